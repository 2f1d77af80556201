//! The virtualiser's request ids towards the driver.
//!
//! Clients choose their own request ids, so two clients may use the same
//! one; the virtualiser gives each request it forwards an id of its own
//! and keeps, under it, whose request it was. An id is
//! `epoch << 16 | slot`: the slot indexes the table, and the epoch names
//! the table's life (see below).
//!
//! ## The table outlives the virtualiser
//!
//! The table is a row of words ([`Slots`]) in memory that outlives the
//! virtualiser (its bounce region), one per slot: 0 for a free slot,
//! otherwise what was kept ([`Pending`], encoded). A virtualiser that
//! replaces another ([`IdMap::recover`]) keeps the epoch and every slot in
//! flight, so when the driver answers a request the previous version sent
//! the new one still knows whose it was and answers the client. Only a
//! fresh table ([`IdMap::new`], a new system or an unreadable table) starts
//! a new epoch, so that a late answer to a request of a table that was
//! given up cannot be taken for one of the new table's.
//!
//! The driver's answers are not trusted either: an id that is not in
//! flight (never given, already answered, another epoch) is reported as
//! unknown and changes nothing. Nor is the memory: a word that decodes to
//! nothing valid is dropped when the table is recovered.

use alloc::vec::Vec;

/// Largest table: slots are 16 bits.
pub const MAX_SLOTS: usize = 1 << 16;

/// Where the table's words are kept: a `Vec` on the host, a shared region
/// in the virtualiser.
pub trait Slots {
    /// Words available.
    fn count(&self) -> usize;
    fn load(&self, i: usize) -> u64;
    fn store(&mut self, i: usize, value: u64);
}

impl Slots for Vec<u64> {
    fn count(&self) -> usize {
        self.len()
    }
    fn load(&self, i: usize) -> u64 {
        self.get(i).copied().unwrap_or(0)
    }
    fn store(&mut self, i: usize, value: u64) {
        if let Some(w) = self.get_mut(i) {
            *w = value;
        }
    }
}

/// What the virtualiser keeps of a request it sent the driver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pending {
    /// Its own read of block 0.
    Mbr,
    /// A read of block 0 a previous version sent: its answer only frees
    /// the slot.
    Stale,
    /// Client `client`'s request `id`.
    Client { client: u16, id: u32 },
}

const VALID: u64 = 1 << 63;
const MBR: u64 = 1 << 62;
const STALE: u64 = 1 << 61;

impl Pending {
    /// The word kept in the table (never 0).
    pub fn encode(self) -> u64 {
        match self {
            Pending::Mbr => VALID | MBR,
            Pending::Stale => VALID | STALE,
            Pending::Client { client, id } => VALID | u64::from(client) << 32 | u64::from(id),
        }
    }

    /// The value of a table word; `None` for a free slot or a word no
    /// [`Pending::encode`] writes.
    pub fn decode(word: u64) -> Option<Pending> {
        match word {
            w if w == VALID | MBR => Some(Pending::Mbr),
            w if w == VALID | STALE => Some(Pending::Stale),
            w if w & (VALID | MBR | STALE) == VALID && w & 0x1fff_0000_0000_0000 == 0 => Some(Pending::Client {
                client: (w >> 32) as u16,
                id: w as u32,
            }),
            _ => None,
        }
    }
}

/// Driver request ids in flight, each with what the virtualiser kept of
/// the request, in a table of words `S`.
#[derive(Debug)]
pub struct IdMap<S> {
    slots: S,
    capacity: usize,
    free: Vec<u16>,
    epoch: u16,
}

impl<S: Slots> IdMap<S> {
    /// An empty table in `slots` (as many ids as it has words, at most
    /// [`MAX_SLOTS`]) for a table life `epoch`: every word is cleared.
    pub fn new(mut slots: S, epoch: u16) -> IdMap<S> {
        let capacity = slots.count().min(MAX_SLOTS);
        for i in 0..capacity {
            slots.store(i, 0);
        }
        IdMap {
            slots,
            capacity,
            // Lowest slot first out.
            free: (0..capacity).rev().map(|s| s as u16).collect(),
            epoch,
        }
    }

    /// The table a previous version left in `slots`, with its `epoch`:
    /// every slot in flight stays so; a word that is not a valid entry is
    /// cleared, and counted in the second value. The previous version's
    /// own reads of block 0 become [`Pending::Stale`].
    pub fn recover(mut slots: S, epoch: u16) -> (IdMap<S>, usize) {
        let capacity = slots.count().min(MAX_SLOTS);
        let mut free = Vec::new();
        let mut dropped = 0;
        for i in (0..capacity).rev() {
            let word = slots.load(i);
            match Pending::decode(word) {
                Some(Pending::Mbr) => slots.store(i, Pending::Stale.encode()),
                Some(_) => {}
                None => {
                    if word != 0 {
                        dropped += 1;
                        slots.store(i, 0);
                    }
                    free.push(i as u16);
                }
            }
        }
        (
            IdMap {
                slots,
                capacity,
                free,
                epoch,
            },
            dropped,
        )
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn epoch(&self) -> u16 {
        self.epoch
    }

    /// Ids in flight.
    pub fn in_flight(&self) -> usize {
        self.capacity - self.free.len()
    }

    pub fn is_full(&self) -> bool {
        self.free.is_empty()
    }

    /// Keeps `value` under a fresh id; `None` if every id is in flight.
    pub fn insert(&mut self, value: Pending) -> Option<u32> {
        let slot = self.free.pop()?;
        self.slots.store(slot as usize, value.encode());
        Some(u32::from(self.epoch) << 16 | u32::from(slot))
    }

    /// The slot of `id` if it is this table's.
    fn slot(&self, id: u32) -> Option<usize> {
        let slot = (id & 0xffff) as usize;
        ((id >> 16) as u16 == self.epoch && slot < self.capacity).then_some(slot)
    }

    /// Takes back what was kept under `id`; `None` if `id` is not in flight.
    pub fn remove(&mut self, id: u32) -> Option<Pending> {
        let slot = self.slot(id)?;
        let value = Pending::decode(self.slots.load(slot))?;
        self.slots.store(slot, 0);
        self.free.push(slot as u16);
        Some(value)
    }

    /// Whether `id` is in flight.
    pub fn contains(&self, id: u32) -> bool {
        self.get(id).is_some()
    }

    /// What is kept under `id`, if it is in flight.
    pub fn get(&self, id: u32) -> Option<Pending> {
        Pending::decode(self.slots.load(self.slot(id)?))
    }

    /// Every entry in flight.
    pub fn entries(&self) -> impl Iterator<Item = Pending> + '_ {
        (0..self.capacity).filter_map(|i| Pending::decode(self.slots.load(i)))
    }

    /// The table's words (for tests).
    pub fn slots(&self) -> &S {
        &self.slots
    }

    /// Gives the words back (a replacement's successor recovers them).
    pub fn into_slots(self) -> S {
        self.slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::vec;

    fn client(id: u32) -> Pending {
        Pending::Client { client: 1, id }
    }

    #[test]
    fn ids_carry_the_epoch_and_are_reused() {
        let mut m = IdMap::new(vec![7u64; 2], 7);
        assert_eq!(m.slots(), &vec![0, 0], "a new table is cleared");
        let a = m.insert(client(10)).unwrap();
        let b = m.insert(client(11)).unwrap();
        assert_eq!((a, b), (7 << 16, 7 << 16 | 1));
        assert!(m.is_full() && m.insert(client(12)).is_none());
        assert_eq!(m.remove(b), Some(client(11)));
        assert_eq!(m.remove(b), None, "answered twice");
        assert_eq!(m.remove(6 << 16), None, "another table's id");
        assert_eq!(m.remove(7 << 16 | 5), None, "a slot that does not exist");
        assert!(m.contains(a) && !m.contains(b));
        assert_eq!(m.in_flight(), 1);
        assert_eq!(m.insert(client(13)), Some(b));
    }

    #[test]
    fn entries_round_trip_and_garbage_is_refused() {
        for p in [
            Pending::Mbr,
            Pending::Stale,
            Pending::Client { client: 0, id: 0 },
            Pending::Client {
                client: u16::MAX,
                id: u32::MAX,
            },
        ] {
            assert_ne!(p.encode(), 0);
            assert_eq!(Pending::decode(p.encode()), Some(p));
        }
        for w in [0, 1, VALID | MBR | STALE, VALID | MBR | 5, VALID | 1 << 50, u64::MAX] {
            assert_eq!(Pending::decode(w), None, "{w:#x}");
        }
    }

    #[test]
    fn a_successor_recovers_the_requests_in_flight() {
        let mut m = IdMap::new(vec![0u64; 4], 3);
        let mbr = m.insert(Pending::Mbr).unwrap();
        let a = m.insert(client(1)).unwrap();
        let b = m.insert(client(2)).unwrap();
        assert_eq!(m.remove(a), Some(client(1)));
        let mut words = m.into_slots();
        words[3] = 0xdead; // not an entry
        let (mut m, dropped) = IdMap::recover(words, 3);
        assert_eq!(dropped, 1);
        assert_eq!(m.in_flight(), 2);
        assert_eq!(m.entries().collect::<Vec<_>>(), vec![Pending::Stale, client(2)]);
        // The driver's answers to the previous version's requests still find them.
        assert_eq!(m.remove(b), Some(client(2)));
        assert_eq!(m.remove(mbr), Some(Pending::Stale));
        // Fresh ids come from the free slots (the last freed first).
        let (c, d) = (m.insert(client(5)).unwrap(), m.insert(client(6)).unwrap());
        assert_eq!((c, d), (3 << 16, 3 << 16 | 2));
        assert_eq!(m.in_flight(), 2);
    }

    proptest! {
        /// Against a model: every id given is unique while in flight, comes
        /// back with its value once, and ids nobody gave change nothing;
        /// a recovery at any point keeps exactly what was in flight.
        #[test]
        fn agrees_with_a_hashmap(capacity in 1usize..40, ops in proptest::collection::vec((0u8..5, any::<u32>()), 0..300)) {
            let mut m = IdMap::new(vec![0u64; capacity], 3);
            let mut model: HashMap<u32, Pending> = HashMap::new();
            for (op, x) in ops {
                match op {
                    0 | 1 => match m.insert(client(x)) {
                        Some(id) => { prop_assert!(model.insert(id, client(x)).is_none()); }
                        None => prop_assert_eq!(model.len(), capacity),
                    },
                    2 => {
                        let (r, dropped) = IdMap::recover(m.into_slots(), 3);
                        prop_assert_eq!(dropped, 0);
                        m = r;
                    }
                    _ => {
                        // Half the time an id in flight, otherwise anything.
                        let id = if x % 2 == 0 { model.keys().next().copied().unwrap_or(x) } else { x };
                        prop_assert_eq!(m.remove(id), model.remove(&id));
                    }
                }
                prop_assert_eq!(m.in_flight(), model.len());
            }
        }
    }
}
