//! Untyped memory and CNode slot allocation for the root task.
//!
//! The kernel places each new object at the next suitably aligned offset of
//! an untyped's free region and never reuses the space until the untyped is
//! revoked. [`UntypedAllocator`] mirrors that rule for every RAM untyped
//! boot info lists, so it can pick an untyped that is certain to have room
//! and keep an exact count of free bytes. Device untypeds are kept apart:
//! they are never used for kernel objects.

use kernel_iface::bootinfo::{BootInfo, SlotRegion};

/// Most untypeds tracked (the boot-info list length).
pub const MAX_UNTYPEDS: usize = kernel_iface::abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS;

/// One RAM untyped and how much of it is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Untyped {
    pub slot: u64,
    pub paddr: u64,
    pub size_bits: u8,
    /// Bytes from the start that the kernel has handed out.
    pub watermark: u64,
}

impl Untyped {
    fn size(&self) -> u64 {
        1u64 << self.size_bits
    }
    /// Where an object of `2^bits` bytes would go, if it fits.
    fn place(&self, bits: u32) -> Option<u64> {
        let align = 1u64 << bits;
        let at = self.watermark.checked_next_multiple_of(align)?;
        (at.checked_add(align)? <= self.size()).then_some(at)
    }
}

/// Why an allocation failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AllocError {
    /// No untyped has a free, aligned block of this size.
    OutOfMemory { size_bits: u32 },
    /// The root CNode has no free slot.
    OutOfSlots,
}

/// A decision: retype from the untyped in `untyped_slot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Placement {
    pub untyped_slot: u64,
    /// Physical address the object will have.
    pub paddr: u64,
}

/// Tracks RAM untypeds and the free slots of the root CNode.
#[derive(Clone, Debug)]
pub struct UntypedAllocator {
    untypeds: [Untyped; MAX_UNTYPEDS],
    count: usize,
    device_bytes: u64,
    device_count: usize,
    slots: SlotRegion,
    next_slot: u64,
}

impl UntypedAllocator {
    /// Starts from boot info: every RAM untyped is free, and free slots are
    /// the boot info's empty region.
    pub fn from_bootinfo(bi: &BootInfo) -> Self {
        let mut a = UntypedAllocator {
            untypeds: [Untyped::default(); MAX_UNTYPEDS],
            count: 0,
            device_bytes: 0,
            device_count: 0,
            slots: bi.empty,
            next_slot: bi.empty.start,
        };
        for (slot, d) in bi.untypeds() {
            if d.is_device {
                a.device_bytes += 1u64 << d.size_bits;
                a.device_count += 1;
            } else if a.count < MAX_UNTYPEDS {
                a.untypeds[a.count] = Untyped {
                    slot,
                    paddr: d.paddr,
                    size_bits: d.size_bits,
                    watermark: 0,
                };
                a.count += 1;
            }
        }
        a
    }

    /// The RAM untypeds.
    pub fn untypeds(&self) -> &[Untyped] {
        &self.untypeds[..self.count]
    }

    /// Total RAM in untypeds, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.untypeds().iter().map(Untyped::size).sum()
    }

    /// RAM not yet handed out, in bytes (alignment gaps count as used).
    pub fn free_bytes(&self) -> u64 {
        self.untypeds().iter().map(|u| u.size() - u.watermark).sum()
    }

    /// Device memory in untypeds, in bytes, and how many such untypeds.
    pub fn device(&self) -> (u64, usize) {
        (self.device_bytes, self.device_count)
    }

    /// Free root-CNode slots left.
    pub fn free_slots(&self) -> u64 {
        self.slots.end - self.next_slot
    }

    /// The boot-info empty region this allocator started from.
    pub fn slot_region(&self) -> SlotRegion {
        self.slots
    }

    /// Takes one free slot.
    pub fn alloc_slot(&mut self) -> Result<u64, AllocError> {
        if self.next_slot >= self.slots.end {
            return Err(AllocError::OutOfSlots);
        }
        self.next_slot += 1;
        Ok(self.next_slot - 1)
    }

    /// Chooses an untyped for an object of `2^size_bits` bytes and records
    /// the use. Best fit: the untyped that wastes the least alignment and
    /// is the smallest, so large untypeds stay whole for large objects.
    pub fn alloc(&mut self, size_bits: u32) -> Result<Placement, AllocError> {
        let mut best: Option<(usize, u64, u64)> = None; // (index, offset, waste+size key)
        for (i, u) in self.untypeds().iter().enumerate() {
            if let Some(at) = u.place(size_bits) {
                let key = (at - u.watermark).saturating_mul(1 << 16) + u.size_bits as u64;
                if best.is_none_or(|(_, _, k)| key < k) {
                    best = Some((i, at, key));
                }
            }
        }
        let (i, at, _) = best.ok_or(AllocError::OutOfMemory { size_bits })?;
        let u = &mut self.untypeds[i];
        u.watermark = at + (1u64 << size_bits);
        Ok(Placement {
            untyped_slot: u.slot,
            paddr: u.paddr + at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel_iface::bootinfo::UntypedDesc;

    fn bootinfo(untypeds: &[(u64, u8, bool)]) -> BootInfo {
        let mut list = [UntypedDesc::default(); MAX_UNTYPEDS];
        for (i, &(paddr, size_bits, is_device)) in untypeds.iter().enumerate() {
            list[i] = UntypedDesc {
                paddr,
                size_bits,
                is_device,
            };
        }
        BootInfo {
            extra_len: 0,
            node_id: 0,
            num_nodes: 1,
            num_io_pt_levels: 0,
            ipc_buffer: 0,
            empty: SlotRegion {
                start: 100,
                end: 103,
            },
            shared_frames: SlotRegion::default(),
            user_image_frames: SlotRegion::default(),
            user_image_paging: SlotRegion::default(),
            io_space_caps: SlotRegion::default(),
            extra_bi_pages: SlotRegion::default(),
            init_thread_cnode_size_bits: 12,
            init_thread_domain: 0,
            tsc_mhz: 0,
            untyped: SlotRegion {
                start: 20,
                end: 20 + untypeds.len() as u64,
            },
            untyped_list: list,
        }
    }

    #[test]
    fn counts_ram_and_device_separately() {
        let a = UntypedAllocator::from_bootinfo(&bootinfo(&[
            (0x10_0000, 20, false),
            (0xfee0_0000, 12, true),
        ]));
        assert_eq!(a.total_bytes(), 1 << 20);
        assert_eq!(a.free_bytes(), 1 << 20);
        assert_eq!(a.device(), (4096, 1));
        assert_eq!(a.untypeds().len(), 1);
        assert_eq!(a.untypeds()[0].slot, 20);
    }

    #[test]
    fn follows_the_kernels_alignment_rule() {
        let mut a = UntypedAllocator::from_bootinfo(&bootinfo(&[(0x10_0000, 16, false)]));
        let p = a.alloc(4).unwrap(); // endpoint, 16 bytes
        assert_eq!(
            p,
            Placement {
                untyped_slot: 20,
                paddr: 0x10_0000
            }
        );
        let p = a.alloc(12).unwrap(); // a page must be 4 KiB aligned: skips to 0x1000
        assert_eq!(p.paddr, 0x10_1000);
        assert_eq!(a.free_bytes(), (1 << 16) - 0x2000);
    }

    #[test]
    fn prefers_small_untypeds_and_reports_exhaustion() {
        let mut a = UntypedAllocator::from_bootinfo(&bootinfo(&[
            (0x100_0000, 20, false),
            (0x10_0000, 12, false),
        ]));
        assert_eq!(a.alloc(12).unwrap().untyped_slot, 21); // the 4 KiB one
        assert_eq!(a.alloc(12).unwrap().untyped_slot, 20);
        assert_eq!(a.alloc(21), Err(AllocError::OutOfMemory { size_bits: 21 }));
        for _ in 0..255 {
            a.alloc(12).unwrap();
        }
        assert_eq!(a.free_bytes(), 0);
        assert_eq!(a.alloc(4), Err(AllocError::OutOfMemory { size_bits: 4 }));
    }

    #[test]
    fn slots_run_out_cleanly() {
        let mut a = UntypedAllocator::from_bootinfo(&bootinfo(&[]));
        assert_eq!(a.free_slots(), 3);
        assert_eq!(a.alloc_slot(), Ok(100));
        assert_eq!(a.alloc_slot(), Ok(101));
        assert_eq!(a.alloc_slot(), Ok(102));
        assert_eq!(a.alloc_slot(), Err(AllocError::OutOfSlots));
        assert_eq!(a.free_slots(), 0);
    }
}
