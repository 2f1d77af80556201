//! Which chunk belongs to which container: the resource manager's record
//! of the memory it handed out.
//!
//! A chunk is an untyped capability (named here by its slot) of one chunk's
//! size. A container gets all the chunks it asks for or none; chunks come
//! from the free list first (they were revoked, so they are as good as
//! new) and are carved only when it is empty. Destroying a container puts
//! its chunks on the free list; the caller revokes them first.

use alloc::collections::BTreeMap;
use alloc::vec::Vec;

use crate::ContainerId;

/// Chunks, free and owned.
#[derive(Debug, Default)]
pub struct Chunks {
    free: Vec<u64>,
    owned: BTreeMap<ContainerId, Vec<u64>>,
    carved: u64,
}

impl Chunks {
    pub fn new() -> Chunks {
        Chunks::default()
    }

    /// Gives `container` `n` more chunks: free ones first, then ones
    /// `carve` makes. If `carve` runs out, the container gets nothing and
    /// whatever was carved meanwhile is kept as free. Returns false then.
    pub fn take(&mut self, container: ContainerId, n: usize, mut carve: impl FnMut() -> Option<u64>) -> bool {
        let mut got = Vec::with_capacity(n);
        while got.len() < n {
            match self.free.pop().or_else(|| {
                let c = carve();
                self.carved += c.is_some() as u64;
                c
            }) {
                Some(slot) => got.push(slot),
                None => {
                    self.free.extend(got);
                    return false;
                }
            }
        }
        self.owned.entry(container).or_default().extend(got);
        true
    }

    /// Gives `container` the free chunk in `slot` (a chunk at a particular
    /// physical address); false if that chunk is not free.
    pub fn take_free(&mut self, container: ContainerId, slot: u64) -> bool {
        let Some(i) = self.free.iter().position(|s| *s == slot) else {
            return false;
        };
        self.free.swap_remove(i);
        self.owned.entry(container).or_default().push(slot);
        true
    }

    /// Gives `container` a chunk just carved (at a particular address).
    pub fn take_carved(&mut self, container: ContainerId, slot: u64) {
        self.carved += 1;
        self.owned.entry(container).or_default().push(slot);
    }

    /// The chunks of `container`, in the order they were given.
    pub fn of(&self, container: ContainerId) -> &[u64] {
        self.owned.get(&container).map_or(&[], Vec::as_slice)
    }

    /// Takes every chunk away from `container` and puts it on the free
    /// list; returns them (for the caller to revoke).
    pub fn release(&mut self, container: ContainerId) -> Vec<u64> {
        let chunks = self.owned.remove(&container).unwrap_or_default();
        self.free.extend_from_slice(&chunks);
        chunks
    }

    /// Chunks on the free list.
    pub fn free_count(&self) -> u64 {
        self.free.len() as u64
    }

    /// Chunks carved so far (each stays a chunk for good).
    pub fn carved(&self) -> u64 {
        self.carved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_or_nothing_and_reuse_before_carving() {
        let mut c = Chunks::new();
        let mut next = 100;
        let mut budget = 3;
        let mut carve = || {
            if budget == 0 {
                return None;
            }
            budget -= 1;
            next += 1;
            Some(next)
        };
        assert!(c.take(ContainerId(1), 2, &mut carve));
        assert_eq!(c.of(ContainerId(1)), [101, 102]);
        // Two wanted, one left to carve: nothing given, the carved one kept.
        assert!(!c.take(ContainerId(2), 2, &mut carve));
        assert_eq!(c.of(ContainerId(2)), [] as [u64; 0]);
        assert_eq!((c.free_count(), c.carved()), (1, 3));
        assert_eq!(c.release(ContainerId(1)), [101, 102]);
        assert_eq!(c.free_count(), 3);
        // Free chunks are used before carving anything.
        assert!(c.take(ContainerId(3), 3, || None));
        assert_eq!(c.of(ContainerId(3)).len(), 3);
        assert_eq!((c.free_count(), c.carved()), (0, 3));
        assert_eq!(c.release(ContainerId(9)), [] as [u64; 0]);
    }

    #[test]
    fn particular_chunks_are_given_once() {
        let mut c = Chunks::new();
        c.take_carved(ContainerId(1), 500);
        assert_eq!(c.carved(), 1);
        assert!(!c.take_free(ContainerId(2), 500), "owned, not free");
        c.release(ContainerId(1));
        assert!(c.take_free(ContainerId(2), 500));
        assert_eq!(c.of(ContainerId(2)), [500]);
        assert_eq!(c.free_count(), 0);
        assert!(!c.take_free(ContainerId(3), 500));
    }
}
