//! Access to memory shared with another protection domain.
//!
//! sDDF queues live in memory regions mapped into two protection domains at
//! once. The queue code in this crate never touches that memory directly: it
//! goes through [`SharedMemory`], a handful of fixed-width loads and stores at
//! byte offsets plus a fence hook. That keeps the crate free of `unsafe`, lets
//! the host tests run the very same queue code over a `Vec<u8>`, and leaves
//! the raw-pointer implementation to the seL4 side.
//!
//! ## The contract
//!
//! - Offsets are relative to the start of the region. The queue types check
//!   the region's [`size`](SharedMemory::size) once, when they are built, and
//!   afterwards only pass offsets with `offset + width <= size()`.
//! - Every offset the queue types use is a multiple of the access width, so a
//!   region whose start is 8-byte aligned gives naturally aligned accesses (the
//!   sDDF layouts are C structs with natural alignment).
//! - Values are little-endian, as on every sDDF target this crate serves
//!   (x86_64, and AArch64/RISC-V in their usual configuration).
//! - Each load and store must be a single access of its width that the
//!   compiler may neither merge, split, elide nor invent (volatile or relaxed
//!   atomic), because the other side may read or write the same word at any
//!   time.
//! - [`fence`](SharedMemory::fence) orders the accesses around it as the
//!   [`Fence`] kind says. The queue code places the fences; the implementation
//!   only has to honour them.
//!
//! An implementation may panic on an offset outside the region: that is a bug
//! in this crate, never something a peer can cause.

use alloc::vec::Vec;

/// The ordering a [`SharedMemory::fence`] must provide.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Fence {
    /// Accesses before the fence complete before any store after it. Placed
    /// between writing an entry and publishing it (storing the index), and
    /// between reading an entry and handing its slot back.
    Release,
    /// Loads after the fence happen after the loads before it. Placed between
    /// reading an index and reading the entries it publishes.
    Acquire,
    /// A full barrier, store-load ordering included. Placed between storing a
    /// "signal me" flag and re-checking the queue, and between updating the
    /// queue and reading that flag: the two halves of the signalling protocol.
    SeqCst,
}

/// Fixed-width access to one shared memory region (see the module doc for
/// the contract an implementation must meet).
pub trait SharedMemory {
    /// The region's size in bytes.
    fn size(&self) -> usize;

    fn load_u8(&self, offset: usize) -> u8;
    fn load_u16(&self, offset: usize) -> u16;
    fn load_u32(&self, offset: usize) -> u32;
    fn load_u64(&self, offset: usize) -> u64;

    fn store_u8(&mut self, offset: usize, value: u8);
    fn store_u16(&mut self, offset: usize, value: u16);
    fn store_u32(&mut self, offset: usize, value: u32);
    fn store_u64(&mut self, offset: usize, value: u64);

    /// Orders the accesses around this point (see [`Fence`]).
    fn fence(&self, kind: Fence);

    /// Copies `out.len()` bytes starting at `offset` into `out`. The default
    /// goes byte by byte; an implementation may use a bulk copy, since the
    /// queue code brackets bulk data with fences and indices.
    fn load_bytes(&self, offset: usize, out: &mut [u8]) {
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = self.load_u8(offset + i);
        }
    }

    /// Copies `data` into the region starting at `offset` (see
    /// [`load_bytes`](SharedMemory::load_bytes)).
    fn store_bytes(&mut self, offset: usize, data: &[u8]) {
        for (i, byte) in data.iter().enumerate() {
            self.store_u8(offset + i, *byte);
        }
    }
}

/// A plain byte slice as shared memory: for host tests and for building a
/// region's initial contents. Single-threaded, so fences do nothing.
impl SharedMemory for [u8] {
    fn size(&self) -> usize {
        self.len()
    }

    fn load_u8(&self, offset: usize) -> u8 {
        self[offset]
    }
    fn load_u16(&self, offset: usize) -> u16 {
        u16::from_le_bytes(array_at(self, offset))
    }
    fn load_u32(&self, offset: usize) -> u32 {
        u32::from_le_bytes(array_at(self, offset))
    }
    fn load_u64(&self, offset: usize) -> u64 {
        u64::from_le_bytes(array_at(self, offset))
    }

    fn store_u8(&mut self, offset: usize, value: u8) {
        self[offset] = value;
    }
    fn store_u16(&mut self, offset: usize, value: u16) {
        self[offset..offset + 2].copy_from_slice(&value.to_le_bytes());
    }
    fn store_u32(&mut self, offset: usize, value: u32) {
        self[offset..offset + 4].copy_from_slice(&value.to_le_bytes());
    }
    fn store_u64(&mut self, offset: usize, value: u64) {
        self[offset..offset + 8].copy_from_slice(&value.to_le_bytes());
    }

    fn fence(&self, _kind: Fence) {}

    fn load_bytes(&self, offset: usize, out: &mut [u8]) {
        out.copy_from_slice(&self[offset..offset + out.len()]);
    }
    fn store_bytes(&mut self, offset: usize, data: &[u8]) {
        self[offset..offset + data.len()].copy_from_slice(data);
    }
}

/// An owned byte buffer as shared memory (see the `[u8]` implementation).
/// `Vec<u8>` is `Clone + Hash + Eq`, so a test can keep whole queue states in
/// a set when it explores interleavings.
impl SharedMemory for Vec<u8> {
    fn size(&self) -> usize {
        self.len()
    }
    fn load_u8(&self, offset: usize) -> u8 {
        self.as_slice().load_u8(offset)
    }
    fn load_u16(&self, offset: usize) -> u16 {
        self.as_slice().load_u16(offset)
    }
    fn load_u32(&self, offset: usize) -> u32 {
        self.as_slice().load_u32(offset)
    }
    fn load_u64(&self, offset: usize) -> u64 {
        self.as_slice().load_u64(offset)
    }
    fn store_u8(&mut self, offset: usize, value: u8) {
        self.as_mut_slice().store_u8(offset, value)
    }
    fn store_u16(&mut self, offset: usize, value: u16) {
        self.as_mut_slice().store_u16(offset, value)
    }
    fn store_u32(&mut self, offset: usize, value: u32) {
        self.as_mut_slice().store_u32(offset, value)
    }
    fn store_u64(&mut self, offset: usize, value: u64) {
        self.as_mut_slice().store_u64(offset, value)
    }
    fn fence(&self, _kind: Fence) {}
    fn load_bytes(&self, offset: usize, out: &mut [u8]) {
        self.as_slice().load_bytes(offset, out)
    }
    fn store_bytes(&mut self, offset: usize, data: &[u8]) {
        self.as_mut_slice().store_bytes(offset, data)
    }
}

/// Borrowed shared memory: a queue can work on memory it does not own (a
/// test keeps the bytes, builds a queue over `&mut bytes` for each step).
impl<M: SharedMemory + ?Sized> SharedMemory for &mut M {
    fn size(&self) -> usize {
        (**self).size()
    }
    fn load_u8(&self, offset: usize) -> u8 {
        (**self).load_u8(offset)
    }
    fn load_u16(&self, offset: usize) -> u16 {
        (**self).load_u16(offset)
    }
    fn load_u32(&self, offset: usize) -> u32 {
        (**self).load_u32(offset)
    }
    fn load_u64(&self, offset: usize) -> u64 {
        (**self).load_u64(offset)
    }
    fn store_u8(&mut self, offset: usize, value: u8) {
        (**self).store_u8(offset, value)
    }
    fn store_u16(&mut self, offset: usize, value: u16) {
        (**self).store_u16(offset, value)
    }
    fn store_u32(&mut self, offset: usize, value: u32) {
        (**self).store_u32(offset, value)
    }
    fn store_u64(&mut self, offset: usize, value: u64) {
        (**self).store_u64(offset, value)
    }
    fn fence(&self, kind: Fence) {
        (**self).fence(kind)
    }
    fn load_bytes(&self, offset: usize, out: &mut [u8]) {
        (**self).load_bytes(offset, out)
    }
    fn store_bytes(&mut self, offset: usize, data: &[u8]) {
        (**self).store_bytes(offset, data)
    }
}

fn array_at<const N: usize>(bytes: &[u8], offset: usize) -> [u8; N] {
    let mut out = [0; N];
    out.copy_from_slice(&bytes[offset..offset + N]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn values_are_little_endian_at_byte_offsets() {
        let mut mem = vec![0u8; 16];
        mem.store_u64(8, 0x0102_0304_0506_0708);
        mem.store_u32(4, 0xaabb_ccdd);
        mem.store_u16(2, 0x1122);
        mem.store_u8(1, 0x33);
        assert_eq!(
            mem,
            [0, 0x33, 0x22, 0x11, 0xdd, 0xcc, 0xbb, 0xaa, 8, 7, 6, 5, 4, 3, 2, 1]
        );
        assert_eq!(mem.load_u64(8), 0x0102_0304_0506_0708);
        assert_eq!(mem.load_u32(4), 0xaabb_ccdd);
        assert_eq!(mem.load_u16(2), 0x1122);
        assert_eq!(mem.load_u8(1), 0x33);
    }

    #[test]
    fn bulk_copies_match_byte_accesses() {
        // Through the `&mut M` forwarding, as a queue over borrowed memory uses it.
        fn round_trip<M: SharedMemory>(mut mem: M) -> [u8; 3] {
            mem.store_bytes(3, b"abc");
            mem.store_u16(6, 0x4241);
            mem.fence(Fence::SeqCst);
            let mut out = [0u8; 3];
            mem.load_bytes(5, &mut out);
            assert_eq!(mem.size(), 8);
            out
        }
        let mut mem = vec![0u8; 8];
        assert_eq!(&round_trip(&mut mem), b"cAB");
        assert_eq!(mem[3..8], *b"abcAB");
        let mut on_stack = [0u8; 8];
        assert_eq!(&round_trip(&mut on_stack[..]), b"cAB");
    }

    #[test]
    #[should_panic]
    fn an_access_past_the_end_panics_on_the_host() {
        let mem = vec![0u8; 4];
        mem.load_u32(1);
    }
}
