//! The timer protocol: sDDF's PPC labels and message registers, and the
//! driver's per-client timeout table.
//!
//! The timer driver is passive. A client talks to it only through protected
//! procedure calls on its channel; the driver answers timeouts with a
//! notification on that same channel.
//!
//! | label | request | reply |
//! | --- | --- | --- |
//! | 0 `GET_TIME` | no MRs | label 0, 1 MR: MR0 = nanoseconds since start-up |
//! | 1 `SET_TIMEOUT` | MR0 = timeout, nanoseconds from now | label 0, no MRs |
//! | other | — | label 0, no MRs (ignored) |
//!
//! A new timeout replaces the client's previous one (one per channel); when
//! it passes, the driver notifies the client once. On x86 an sDDF client
//! reads the TSC itself when its frequency is known and calls `GET_TIME` only
//! otherwise.
//!
//! [`TimerRequest::decode`] and [`TimerReply`] turn the PPC into values;
//! [`Timeouts`] is the driver's table, in the driver's time unit.

/// PPC label: read the time.
pub const GET_TIME: u64 = 0;
/// PPC label: set a timeout.
pub const SET_TIMEOUT: u64 = 1;
/// One timeout per channel; a PD has at most this many channels to clients
/// (sDDF's `SDDF_TIMER_MAX_CLIENTS`).
pub const MAX_CLIENTS: usize = 64;

/// A client's call, decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerRequest {
    GetTime,
    /// Notify the caller once `relative_ns` nanoseconds have passed.
    SetTimeout {
        relative_ns: u64,
    },
}

/// A call the driver does not understand: the client's fault. sDDF replies
/// with an empty message and does nothing else.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerError {
    UnknownLabel(u64),
}

impl TimerRequest {
    /// Decodes a call from its label and MR0 (MR0 is only read for
    /// `SET_TIMEOUT`; like sDDF, the message length is not checked).
    pub fn decode(label: u64, mr0: u64) -> Result<Self, TimerError> {
        match label {
            GET_TIME => Ok(TimerRequest::GetTime),
            SET_TIMEOUT => Ok(TimerRequest::SetTimeout { relative_ns: mr0 }),
            other => Err(TimerError::UnknownLabel(other)),
        }
    }

    /// The label and MR0 a client sends (MR0 is 0 for `GetTime`, and the
    /// message then has no MRs).
    pub fn encode(self) -> (u64, u64) {
        match self {
            TimerRequest::GetTime => (GET_TIME, 0),
            TimerRequest::SetTimeout { relative_ns } => (SET_TIMEOUT, relative_ns),
        }
    }

    /// How many MRs the client's message carries.
    pub fn message_length(self) -> u64 {
        match self {
            TimerRequest::GetTime => 0,
            TimerRequest::SetTimeout { .. } => 1,
        }
    }
}

/// The driver's reply: label 0 and at most one MR.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimerReply {
    pub label: u64,
    /// MR0, if the reply has one.
    pub mr0: Option<u64>,
}

impl TimerReply {
    /// The reply to `GET_TIME`.
    pub fn time(now_ns: u64) -> Self {
        TimerReply {
            label: 0,
            mr0: Some(now_ns),
        }
    }

    /// The reply to everything else.
    pub fn empty() -> Self {
        TimerReply { label: 0, mr0: None }
    }

    pub fn message_length(self) -> u64 {
        u64::from(self.mr0.is_some())
    }
}

/// The driver's pending timeouts, one per channel, as absolute deadlines in
/// whatever unit the driver counts (ticks or nanoseconds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Timeouts {
    deadlines: [Option<u64>; MAX_CLIENTS],
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::new()
    }
}

/// A channel id at or above [`MAX_CLIENTS`]: the caller's bug (channel ids
/// come from the driver's own configuration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ChannelOutOfRange(pub usize);

impl Timeouts {
    pub fn new() -> Self {
        Timeouts {
            deadlines: [None; MAX_CLIENTS],
        }
    }

    /// Sets `channel`'s timeout to `now + relative`, replacing any earlier
    /// one. A deadline beyond the counter's range saturates (it never fires,
    /// where C's wrapping addition would fire it at once).
    pub fn set(&mut self, channel: usize, now: u64, relative: u64) -> Result<(), ChannelOutOfRange> {
        let slot = self.deadlines.get_mut(channel).ok_or(ChannelOutOfRange(channel))?;
        *slot = Some(now.saturating_add(relative));
        Ok(())
    }

    /// Drops `channel`'s timeout, if any.
    pub fn cancel(&mut self, channel: usize) -> Result<(), ChannelOutOfRange> {
        *self.deadlines.get_mut(channel).ok_or(ChannelOutOfRange(channel))? = None;
        Ok(())
    }

    pub fn deadline(&self, channel: usize) -> Option<u64> {
        self.deadlines.get(channel).copied().flatten()
    }

    /// Removes every timeout due at `now` and returns their channels as a
    /// bit mask (bit `c` for channel `c`): the channels to notify.
    pub fn expire(&mut self, now: u64) -> u64 {
        let mut due = 0u64;
        for (channel, slot) in self.deadlines.iter_mut().enumerate() {
            if slot.is_some_and(|deadline| deadline <= now) {
                *slot = None;
                due |= 1 << channel;
            }
        }
        due
    }

    /// The earliest pending deadline: what to program the hardware with.
    pub fn next_deadline(&self) -> Option<u64> {
        self.deadlines.iter().flatten().min().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use proptest::prelude::*;

    #[test]
    fn labels_match_sddf() {
        assert_eq!((GET_TIME, SET_TIMEOUT, MAX_CLIENTS), (0, 1, 64));
    }

    #[test]
    fn requests_decode_and_encode() {
        assert_eq!(TimerRequest::decode(0, 99), Ok(TimerRequest::GetTime));
        assert_eq!(
            TimerRequest::decode(1, 5_000),
            Ok(TimerRequest::SetTimeout { relative_ns: 5_000 })
        );
        assert_eq!(TimerRequest::decode(2, 0), Err(TimerError::UnknownLabel(2)));
        let set = TimerRequest::SetTimeout { relative_ns: 7 };
        assert_eq!((set.encode(), set.message_length()), ((1, 7), 1));
        assert_eq!(
            (TimerRequest::GetTime.encode(), TimerRequest::GetTime.message_length()),
            ((0, 0), 0)
        );
        assert_eq!(TimerReply::time(12).message_length(), 1);
        assert_eq!(TimerReply::empty(), TimerReply { label: 0, mr0: None });
    }

    #[test]
    fn timeouts_fire_once_and_replace_each_other() {
        let mut t = Timeouts::new();
        t.set(3, 100, 50).unwrap();
        t.set(5, 100, 10).unwrap();
        assert_eq!(t.next_deadline(), Some(110));
        assert_eq!(t.expire(109), 0);
        assert_eq!(t.expire(110), 1 << 5);
        assert_eq!(t.expire(110), 0, "fired once");
        t.set(3, 120, 1).unwrap();
        assert_eq!(t.deadline(3), Some(121), "replaced");
        assert_eq!(t.expire(u64::MAX), 1 << 3);
        assert_eq!(t.next_deadline(), None);
        assert_eq!(t.set(64, 0, 0), Err(ChannelOutOfRange(64)));
        assert_eq!(t.cancel(64), Err(ChannelOutOfRange(64)));
        t.set(63, u64::MAX - 1, 5).unwrap();
        assert_eq!(t.deadline(63), Some(u64::MAX), "saturates");
        t.cancel(63).unwrap();
        assert_eq!(t.expire(u64::MAX), 0);
    }

    proptest! {
        #[test]
        fn timeouts_agree_with_a_map(ops in proptest::collection::vec((0u8..3, 0usize..64, 0u64..1000), 0..200)) {
            let mut t = Timeouts::new();
            let mut model = BTreeMap::new();
            let mut now = 0u64;
            for (op, channel, x) in ops {
                match op {
                    0 => { t.set(channel, now, x).unwrap(); model.insert(channel, now + x); }
                    1 => { t.cancel(channel).unwrap(); model.remove(&channel); }
                    _ => {
                        now += x;
                        let want = model.iter().filter(|(_, d)| **d <= now).fold(0u64, |m, (c, _)| m | 1 << c);
                        model.retain(|_, d| *d > now);
                        prop_assert_eq!(t.expire(now), want);
                    }
                }
                prop_assert_eq!(t.next_deadline(), model.values().min().copied());
            }
        }
    }
}
