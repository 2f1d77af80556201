//! The virtualiser's request ids towards the driver.
//!
//! Clients choose their own request ids, so two clients may use the same
//! one; the virtualiser gives each request it forwards an id of its own
//! and keeps, under it, whose request it was. An id is
//! `epoch << 16 | slot`: the slot indexes the table, and the epoch is
//! different for each run of the virtualiser (it keeps a counter in
//! memory that outlives it), so that after a restart a late response to a
//! request the previous run sent cannot be taken for one of the new run's.
//!
//! The driver's answers are not trusted either: an id that is not in
//! flight (never given, already answered, another epoch) is reported as
//! unknown and changes nothing.

use alloc::vec::Vec;

/// Largest table: slots are 16 bits.
pub const MAX_SLOTS: usize = 1 << 16;

/// Driver request ids in flight, each with what the virtualiser kept of
/// the request (`T`).
#[derive(Debug)]
pub struct IdMap<T> {
    slots: Vec<Option<T>>,
    free: Vec<u16>,
    epoch: u16,
}

impl<T> IdMap<T> {
    /// A table of `capacity` ids (at most [`MAX_SLOTS`]; more is cut to
    /// that) for a run with this `epoch`.
    pub fn new(capacity: usize, epoch: u16) -> IdMap<T> {
        let capacity = capacity.min(MAX_SLOTS);
        IdMap {
            slots: (0..capacity).map(|_| None).collect(),
            // Lowest slot first out.
            free: (0..capacity).rev().map(|s| s as u16).collect(),
            epoch,
        }
    }

    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Ids in flight.
    pub fn in_flight(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_full(&self) -> bool {
        self.free.is_empty()
    }

    /// Keeps `value` under a fresh id; `None` if every id is in flight.
    pub fn insert(&mut self, value: T) -> Option<u32> {
        let slot = self.free.pop()?;
        self.slots[slot as usize] = Some(value);
        Some(u32::from(self.epoch) << 16 | u32::from(slot))
    }

    /// Takes back what was kept under `id`; `None` if `id` is not in flight.
    pub fn remove(&mut self, id: u32) -> Option<T> {
        if (id >> 16) as u16 != self.epoch {
            return None;
        }
        let slot = (id & 0xffff) as u16;
        let value = self.slots.get_mut(slot as usize)?.take()?;
        self.free.push(slot);
        Some(value)
    }

    /// Whether `id` is in flight.
    pub fn contains(&self, id: u32) -> bool {
        (id >> 16) as u16 == self.epoch && self.slots.get((id & 0xffff) as usize).is_some_and(|s| s.is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;

    #[test]
    fn ids_carry_the_epoch_and_are_reused() {
        let mut m: IdMap<&str> = IdMap::new(2, 7);
        let a = m.insert("a").unwrap();
        let b = m.insert("b").unwrap();
        assert_eq!((a, b), (7 << 16, 7 << 16 | 1));
        assert!(m.is_full() && m.insert("c").is_none());
        assert_eq!(m.remove(b), Some("b"));
        assert_eq!(m.remove(b), None, "answered twice");
        assert_eq!(m.remove(6 << 16), None, "another run's id");
        assert_eq!(m.remove(7 << 16 | 5), None, "a slot that does not exist");
        assert!(m.contains(a) && !m.contains(b));
        assert_eq!(m.in_flight(), 1);
        assert_eq!(m.insert("d"), Some(b));
    }

    proptest! {
        /// Against a model: every id given is unique while in flight, comes
        /// back with its value once, and ids nobody gave change nothing.
        #[test]
        fn agrees_with_a_hashmap(capacity in 1usize..40, ops in proptest::collection::vec((any::<bool>(), any::<u32>()), 0..300)) {
            let mut m = IdMap::new(capacity, 3);
            let mut model: HashMap<u32, u32> = HashMap::new();
            for (insert, x) in ops {
                if insert {
                    match m.insert(x) {
                        Some(id) => { prop_assert!(model.insert(id, x).is_none()); }
                        None => prop_assert_eq!(model.len(), capacity),
                    }
                } else {
                    // Half the time an id in flight, otherwise anything.
                    let id = if x % 2 == 0 { model.keys().next().copied().unwrap_or(x) } else { x };
                    prop_assert_eq!(m.remove(id), model.remove(&id));
                }
                prop_assert_eq!(m.in_flight(), model.len());
            }
        }
    }
}
