//! Sessions: one per connection, keyed by the connection's badge, each
//! owning the memory its client donated. The server keeps the session's
//! objects in that memory and nowhere else, so a request that does not fit
//! is an error for that session alone, and closing the session gives the
//! memory back whole.
//!
//! The memory is anything that implements [`SessionMemory`]: on seL4 an
//! arena over the donated frames (`pride_rt::donated::SessionArena`), on
//! the host [`VecMemory`], which keeps the same accounting.

use alloc::vec::Vec;
use hashbrown::HashMap;

/// Memory a client donated for one session's objects.
pub trait SessionMemory {
    /// A handle to stored bytes.
    type Block;
    /// Copies `parts`, one after the other, into a new block; `None` when
    /// the donation cannot hold them.
    fn store(&mut self, parts: &[&[u8]]) -> Option<Self::Block>;
    /// The bytes of a block.
    fn load(&self, block: &Self::Block) -> &[u8];
    /// Gives a block's memory back.
    fn free(&mut self, block: Self::Block);
    /// Bytes in use.
    fn used(&self) -> u64;
    /// Bytes donated.
    fn capacity(&self) -> u64;
    /// Where the donation is (the supervisor's name for the session's
    /// memory in `CLOSE_SESSION`).
    fn address(&self) -> u64;
}

/// One session.
pub struct Session<M> {
    /// The client's subject id (from the badge).
    pub subject: u32,
    /// The memory the client donated.
    pub memory: M,
}

/// Why a session operation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionError {
    /// No session with this badge (never opened, or closed).
    Unknown,
    /// The session's donation cannot hold this much more state.
    DonationExhausted { wanted: u64, free: u64 },
}

/// The sessions of a server.
pub struct Sessions<M> {
    by_badge: HashMap<u64, Session<M>>,
}

impl<M: SessionMemory> Default for Sessions<M> {
    fn default() -> Self {
        Sessions {
            by_badge: HashMap::new(),
        }
    }
}

impl<M: SessionMemory> Sessions<M> {
    pub fn new() -> Sessions<M> {
        Sessions::default()
    }
    /// Opens the session of `badge` over `memory`. A session the badge
    /// already had is returned: its client was replaced, and the caller
    /// drops what it kept there.
    pub fn open(&mut self, badge: u64, subject: u32, memory: M) -> Option<Session<M>> {
        self.by_badge.insert(badge, Session { subject, memory })
    }
    /// Closes a session; returns it.
    pub fn close(&mut self, badge: u64) -> Option<Session<M>> {
        self.by_badge.remove(&badge)
    }
    /// Closes the session whose memory is at `address`; returns its badge
    /// and the session.
    pub fn close_at(&mut self, address: u64) -> Option<(u64, Session<M>)> {
        let badge = self
            .by_badge
            .iter()
            .find(|(_, s)| s.memory.address() == address)
            .map(|(b, _)| *b)?;
        self.by_badge.remove(&badge).map(|s| (badge, s))
    }
    pub fn get(&self, badge: u64) -> Option<&Session<M>> {
        self.by_badge.get(&badge)
    }
    /// Stores `parts` in the session's memory.
    pub fn store(&mut self, badge: u64, parts: &[&[u8]]) -> Result<M::Block, SessionError> {
        let s = self.by_badge.get_mut(&badge).ok_or(SessionError::Unknown)?;
        s.memory.store(parts).ok_or_else(|| SessionError::DonationExhausted {
            wanted: parts.iter().map(|p| p.len() as u64).sum(),
            free: s.memory.capacity() - s.memory.used(),
        })
    }
    /// Frees a block of session `badge` (nothing if the session is gone:
    /// its memory went with it).
    pub fn free(&mut self, badge: u64, block: M::Block) {
        if let Some(s) = self.by_badge.get_mut(&badge) {
            s.memory.free(block);
        }
    }
    /// The bytes of a block of session `badge`.
    pub fn load(&self, badge: u64, block: &M::Block) -> Option<&[u8]> {
        self.by_badge.get(&badge).map(|s| s.memory.load(block))
    }
    /// Every session: (badge, session).
    pub fn iter(&self) -> impl Iterator<Item = (u64, &Session<M>)> {
        self.by_badge.iter().map(|(b, s)| (*b, s))
    }
}

/// Host stand-in for donated memory: the same accounting as the arena
/// (blocks rounded up to 8 bytes, at least 8), the bytes in ordinary
/// vectors.
pub struct VecMemory {
    address: u64,
    capacity: u64,
    used: u64,
    blocks: Vec<Option<Vec<u8>>>,
}

/// A [`VecMemory`] block: an index into its memory's blocks.
pub struct VecBlock(usize);

impl VecMemory {
    pub fn new(address: u64, capacity: u64) -> VecMemory {
        VecMemory {
            address,
            capacity,
            used: 0,
            blocks: Vec::new(),
        }
    }
    fn cost(len: usize) -> u64 {
        (len.max(1) as u64).next_multiple_of(8)
    }
}

impl SessionMemory for VecMemory {
    type Block = VecBlock;
    fn store(&mut self, parts: &[&[u8]]) -> Option<VecBlock> {
        let bytes: Vec<u8> = parts.concat();
        let cost = Self::cost(bytes.len());
        if self.used + cost > self.capacity {
            return None;
        }
        self.used += cost;
        self.blocks.push(Some(bytes));
        Some(VecBlock(self.blocks.len() - 1))
    }
    fn load(&self, block: &VecBlock) -> &[u8] {
        self.blocks.get(block.0).and_then(Option::as_deref).unwrap_or(&[])
    }
    fn free(&mut self, block: VecBlock) {
        if let Some(bytes) = self.blocks.get_mut(block.0).and_then(Option::take) {
            self.used -= Self::cost(bytes.len());
        }
    }
    fn used(&self) -> u64 {
        self.used
    }
    fn capacity(&self) -> u64 {
        self.capacity
    }
    fn address(&self) -> u64 {
        self.address
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn donation_bounds_state() {
        let mut s = Sessions::new();
        assert!(s.open(0x800_1000, 3, VecMemory::new(0x4000_0000, 100)).is_none());
        let b = s.store(0x800_1000, &[&[1; 60]]).unwrap();
        assert_eq!(s.load(0x800_1000, &b), Some(&[1u8; 60][..]));
        assert!(matches!(
            s.store(0x800_1000, &[&[2; 30], &[3; 20]]),
            Err(SessionError::DonationExhausted { wanted: 50, free: 36 })
        ));
        s.free(0x800_1000, b);
        assert!(s.store(0x800_1000, &[&[2; 30], &[3; 20]]).is_ok());
        assert!(matches!(s.store(7, &[b"x"]), Err(SessionError::Unknown)));
        assert_eq!(s.close(0x800_1000).map(|x| x.subject), Some(3));
        assert!(s.get(0x800_1000).is_none());
    }

    #[test]
    fn sessions_close_by_the_address_of_their_memory() {
        let mut s = Sessions::new();
        s.open(1, 10, VecMemory::new(0x4000_0000, 100));
        s.open(2, 20, VecMemory::new(0x4000_4000, 100));
        // Re-opening a badge hands back the session it replaces.
        let old = s.open(2, 20, VecMemory::new(0x4000_8000, 100)).unwrap();
        assert_eq!(old.memory.address(), 0x4000_4000);
        assert!(s.close_at(0x4000_4000).is_none());
        assert_eq!(s.close_at(0x4000_8000).map(|(b, _)| b), Some(2));
        assert_eq!(s.iter().map(|(b, _)| b).collect::<Vec<_>>(), [1]);
    }
}
