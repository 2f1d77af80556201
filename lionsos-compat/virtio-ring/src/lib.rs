//! # virtio-ring: the legacy virtqueue, as Pride's virtio drivers lay it out
//!
//! A legacy (virtio 0.9.5) queue of `n` entries, at a page-aligned offset
//! in the driver's rings region whose physical page number the driver
//! writes into `QUEUE_PFN`: the descriptor table (16 bytes each: address,
//! length, flags, next), then the available ring (flags, index, `n`
//! slots), then, from the next 4 KiB boundary, the used ring (flags,
//! index, `n` elements of id and length). [`QueueLayout`] says where each
//! part is; [`write_desc`] fills one descriptor through any
//! [`SharedMemory`].

#![no_std]
#![forbid(unsafe_code)]

use sddf::shared::SharedMemory;

/// Descriptor flags: the chain goes on at `next`; the device writes the
/// buffer (it reads it otherwise).
pub const DESC_NEXT: u16 = 1;
pub const DESC_WRITE: u16 = 2;
/// Used-ring flag: the device does not need to be told of new buffers.
pub const USED_F_NO_NOTIFY: u16 = 1;
/// Available-ring flag: the driver does not want an interrupt when the
/// device uses buffers of this queue (a hint the device may ignore).
pub const AVAIL_F_NO_INTERRUPT: u16 = 1;

/// Where the parts of a legacy virtqueue of `size` entries lie (offsets in
/// the rings region).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QueueLayout {
    pub size: u16,
    pub desc: usize,
    pub avail: usize,
    pub used: usize,
    /// Bytes the whole queue takes, from `desc`.
    pub bytes: usize,
}

impl QueueLayout {
    /// The layout of a queue of `size` entries (a power of two, at most
    /// 32768) at offset 0, or `None`.
    pub fn legacy(size: u16) -> Option<QueueLayout> {
        QueueLayout::legacy_at(size, 0)
    }

    /// The same at offset `base` (which must be page-aligned, as the
    /// device finds the queue by page number), or `None`.
    pub fn legacy_at(size: u16, base: usize) -> Option<QueueLayout> {
        if size == 0 || !size.is_power_of_two() || size > 0x8000 || !base.is_multiple_of(4096) {
            return None;
        }
        let n = size as usize;
        let avail = 16 * n;
        let used = (avail + 6 + 2 * n).next_multiple_of(4096);
        Some(QueueLayout {
            size,
            desc: base,
            avail: base + avail,
            used: base + used,
            bytes: used + 6 + 8 * n,
        })
    }

    /// Offset of descriptor `i`.
    pub fn desc_at(&self, i: u16) -> usize {
        self.desc + 16 * (i % self.size) as usize
    }
    /// Offset of available-ring slot for the running index `idx`.
    pub fn avail_slot(&self, idx: u16) -> usize {
        self.avail + 4 + 2 * (idx % self.size) as usize
    }
    pub fn avail_idx(&self) -> usize {
        self.avail + 2
    }
    pub fn avail_flags(&self) -> usize {
        self.avail
    }
    /// Offset of the used-ring element for the running index `idx`.
    pub fn used_elem(&self, idx: u16) -> usize {
        self.used + 4 + 8 * (idx % self.size) as usize
    }
    pub fn used_idx(&self) -> usize {
        self.used + 2
    }
    pub fn used_flags(&self) -> usize {
        self.used
    }
}

/// Fills descriptor `i` of the queue `layout` in `mem`.
#[inline]
pub fn write_desc<M: SharedMemory>(
    mem: &mut M,
    layout: &QueueLayout,
    i: u16,
    addr: u64,
    len: u32,
    flags: u16,
    next: u16,
) {
    let at = layout.desc_at(i);
    mem.store_u64(at, addr);
    mem.store_u32(at + 8, len);
    mem.store_u16(at + 12, flags);
    mem.store_u16(at + 14, next);
}

#[cfg(test)]
mod tests {
    extern crate alloc;
    use super::*;

    #[test]
    fn legacy_layout() {
        let q = QueueLayout::legacy(256).unwrap();
        assert_eq!((q.desc, q.avail, q.used, q.bytes), (0, 4096, 8192, 8192 + 6 + 2048));
        let q = QueueLayout::legacy(128).unwrap();
        assert_eq!((q.avail, q.used), (2048, 4096));
        assert_eq!(q.avail_slot(129), 2048 + 4 + 2);
        assert_eq!(q.used_elem(130), 4096 + 4 + 16);
        assert!(QueueLayout::legacy(0).is_none() && QueueLayout::legacy(100).is_none());
    }

    #[test]
    fn a_queue_at_an_offset_moves_whole() {
        let q = QueueLayout::legacy_at(256, 0x4000).unwrap();
        assert_eq!((q.desc, q.avail, q.used), (0x4000, 0x5000, 0x6000));
        assert_eq!((q.avail_idx(), q.used_idx(), q.used_flags()), (0x5002, 0x6002, 0x6000));
        assert_eq!(QueueLayout::legacy_at(256, 0x4010), None);
    }

    #[test]
    fn descriptors_are_little_endian_16_bytes() {
        let q = QueueLayout::legacy(4).unwrap();
        let mut mem = alloc::vec![0u8; q.bytes];
        write_desc(
            &mut mem,
            &q,
            5,
            0x1122_3344_5566_7788,
            0x99aa_bbcc,
            DESC_NEXT | DESC_WRITE,
            2,
        );
        // Descriptor 5 of a 4-entry queue is descriptor 1.
        assert_eq!(
            &mem[16..32],
            &[0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0xcc, 0xbb, 0xaa, 0x99, 3, 0, 2, 0]
        );
    }
}
