//! Sessions: one per connection, keyed by the connection's badge, with the
//! memory the client donated for it and what the server has charged
//! against that donation. A request that would exceed the donation is an
//! error for that session alone.

use hashbrown::HashMap;

/// One session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Session {
    /// The client's subject id (from the badge).
    pub subject: u32,
    /// Bytes the client donated for the session's state.
    pub donated: u64,
    /// Bytes of session state charged so far.
    pub used: u64,
}

/// Why a session operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// No session with this badge (never opened, or closed).
    Unknown,
    /// The session's donation cannot hold this much more state.
    DonationExhausted { wanted: u64, free: u64 },
    /// More released than was charged: a server bug.
    ReleaseMoreThanCharged,
}

/// The sessions of a server.
#[derive(Default)]
pub struct Sessions {
    by_badge: HashMap<u64, Session>,
}

impl Sessions {
    pub fn new() -> Sessions {
        Sessions {
            by_badge: HashMap::new(),
        }
    }
    /// Opens (or re-opens, replacing) the session of `badge`.
    pub fn open(&mut self, badge: u64, subject: u32, donated: u64) {
        self.by_badge.insert(
            badge,
            Session {
                subject,
                donated,
                used: 0,
            },
        );
    }
    /// Closes a session; returns it.
    pub fn close(&mut self, badge: u64) -> Option<Session> {
        self.by_badge.remove(&badge)
    }
    pub fn get(&self, badge: u64) -> Option<&Session> {
        self.by_badge.get(&badge)
    }
    /// Charges `bytes` of state to the session.
    pub fn charge(&mut self, badge: u64, bytes: u64) -> Result<(), SessionError> {
        let s = self.by_badge.get_mut(&badge).ok_or(SessionError::Unknown)?;
        let free = s.donated - s.used;
        if bytes > free {
            return Err(SessionError::DonationExhausted { wanted: bytes, free });
        }
        s.used += bytes;
        Ok(())
    }
    /// Releases `bytes` charged before.
    pub fn release(&mut self, badge: u64, bytes: u64) -> Result<(), SessionError> {
        let s = self.by_badge.get_mut(&badge).ok_or(SessionError::Unknown)?;
        s.used = s.used.checked_sub(bytes).ok_or(SessionError::ReleaseMoreThanCharged)?;
        Ok(())
    }
    /// Closes every session of `subject`; returns their badges.
    pub fn close_subject(&mut self, subject: u32) -> alloc::vec::Vec<u64> {
        let badges: alloc::vec::Vec<u64> = self
            .by_badge
            .iter()
            .filter(|(_, s)| s.subject == subject)
            .map(|(b, _)| *b)
            .collect();
        for b in &badges {
            self.by_badge.remove(b);
        }
        badges
    }

    /// Every session: (badge, session).
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Session)> {
        self.by_badge.iter().map(|(b, s)| (*b, s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn donation_bounds_state() {
        let mut s = Sessions::new();
        s.open(0x800_1000, 3, 100);
        s.charge(0x800_1000, 60).unwrap();
        assert_eq!(
            s.charge(0x800_1000, 50),
            Err(SessionError::DonationExhausted { wanted: 50, free: 40 })
        );
        s.release(0x800_1000, 60).unwrap();
        assert_eq!(s.release(0x800_1000, 1), Err(SessionError::ReleaseMoreThanCharged));
        assert_eq!(s.charge(7, 1), Err(SessionError::Unknown));
        assert_eq!(s.close(0x800_1000).map(|x| x.subject), Some(3));
        assert_eq!(s.get(0x800_1000), None);
    }
}
