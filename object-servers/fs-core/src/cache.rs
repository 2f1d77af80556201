//! A block cache for a file server's disk: the most recently used whole
//! blocks, kept so that what littlefs reads again and again (the
//! directory's metadata pair on every open, the skip-list blocks on every
//! seek) does not cross the sDDF block path each time.
//!
//! The server's disk keeps it write-through: every block written goes to
//! the device and, whole, into the cache; nothing else writes the
//! partition, so the cache never holds a stale block. A restart starts
//! with an empty one. The cache only ever holds whole blocks.

use alloc::boxed::Box;
use alloc::vec::Vec;

/// Up to `capacity` blocks of `block_size` bytes, the least recently used
/// evicted first.
pub struct BlockCache {
    block_size: usize,
    capacity: usize,
    /// (block number, last use, bytes).
    entries: Vec<(u64, u64, Box<[u8]>)>,
    clock: u64,
    hits: u64,
    misses: u64,
}

impl BlockCache {
    pub fn new(block_size: usize, capacity: usize) -> BlockCache {
        BlockCache {
            block_size,
            capacity,
            entries: Vec::new(),
            clock: 0,
            hits: 0,
            misses: 0,
        }
    }

    fn tick(&mut self) -> u64 {
        self.clock += 1;
        self.clock
    }

    /// Block `block`'s bytes, if cached (and counts the look-up).
    pub fn get(&mut self, block: u64) -> Option<&[u8]> {
        let now = self.tick();
        match self.entries.iter_mut().find(|e| e.0 == block) {
            Some(e) => {
                self.hits += 1;
                e.1 = now;
                Some(&e.2)
            }
            None => {
                self.misses += 1;
                None
            }
        }
    }

    /// Whether every block of `first..first + count` is cached (no use is
    /// counted).
    pub fn has_all(&self, first: u64, count: u64) -> bool {
        (first..first + count).all(|b| self.entries.iter().any(|e| e.0 == b))
    }

    /// Keeps `bytes` (a whole block, else ignored) as block `block`.
    pub fn put(&mut self, block: u64, bytes: &[u8]) {
        if bytes.len() != self.block_size || self.capacity == 0 {
            return;
        }
        let now = self.tick();
        if let Some(e) = self.entries.iter_mut().find(|e| e.0 == block) {
            e.1 = now;
            e.2.copy_from_slice(bytes);
            return;
        }
        if self.entries.len() < self.capacity {
            self.entries.push((block, now, bytes.into()));
            return;
        }
        // Reuse the least recently used entry's memory.
        if let Some(e) = self.entries.iter_mut().min_by_key(|e| e.1) {
            e.0 = block;
            e.1 = now;
            e.2.copy_from_slice(bytes);
        }
    }

    /// Forgets block `block`.
    pub fn forget(&mut self, block: u64) {
        self.entries.retain(|e| e.0 != block);
    }

    /// (hits, misses) of [`BlockCache::get`] so far.
    pub fn stats(&self) -> (u64, u64) {
        (self.hits, self.misses)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn keeps_the_most_recently_used_blocks() {
        let mut c = BlockCache::new(4, 2);
        c.put(1, &[1; 4]);
        c.put(2, &[2; 4]);
        assert_eq!(c.get(1), Some(&[1u8; 4][..]));
        c.put(3, &[3; 4]); // evicts 2, used longest ago
        assert_eq!(c.get(2), None);
        assert_eq!(c.get(1), Some(&[1u8; 4][..]));
        assert_eq!(c.get(3), Some(&[3u8; 4][..]));
        assert!(c.has_all(3, 1) && !c.has_all(1, 3));
        assert_eq!(c.stats(), (3, 1));
    }

    #[test]
    fn a_write_replaces_the_cached_bytes_and_partial_blocks_are_refused() {
        let mut c = BlockCache::new(4, 2);
        c.put(7, &[0; 4]);
        c.put(7, &[9; 4]);
        assert_eq!(c.get(7), Some(&[9u8; 4][..]));
        c.put(8, &[1; 3]);
        assert_eq!(c.get(8), None);
        c.forget(7);
        assert_eq!(c.get(7), None);
        let mut none = BlockCache::new(4, 0);
        none.put(1, &vec![1; 4]);
        assert_eq!(none.get(1), None);
    }
}
