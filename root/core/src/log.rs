//! The supervisor's event log: the last [`CAPACITY`] events (launches,
//! faults, restarts, updates, stops), shown by the shell's `log` command.

use alloc::collections::VecDeque;
use alloc::string::String;

/// Events kept.
pub const CAPACITY: usize = 64;

/// A bounded log of (time in ms, text).
#[derive(Default)]
pub struct EventLog {
    events: VecDeque<(u64, String)>,
    dropped: u64,
}

impl EventLog {
    pub fn new() -> EventLog {
        EventLog {
            events: VecDeque::new(),
            dropped: 0,
        }
    }
    /// Adds an event, dropping the oldest when full.
    pub fn push(&mut self, time_ms: u64, text: String) {
        if self.events.len() == CAPACITY {
            self.events.pop_front();
            self.dropped += 1;
        }
        self.events.push_back((time_ms, text));
    }
    /// Events, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &(u64, String)> {
        self.events.iter()
    }
    /// How many old events were dropped.
    pub fn dropped(&self) -> u64 {
        self.dropped
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    #[test]
    fn keeps_the_newest() {
        let mut l = EventLog::new();
        for i in 0..(CAPACITY as u64 + 5) {
            l.push(i, format!("e{i}"));
        }
        assert_eq!(l.iter().count(), CAPACITY);
        assert_eq!(l.iter().next().unwrap().1, "e5");
        assert_eq!(l.dropped(), 5);
    }
}
