//! Untyped memory and CNode slot allocation.
//!
//! The kernel places each new object at the next suitably aligned offset of
//! an untyped's free region and reuses the space only once every object made
//! from the untyped is gone (then it starts again from 0). A [`Pool`]
//! mirrors that rule for a set of untypeds, so it can pick an untyped that
//! is certain to have room and keep an exact count of free bytes. The root
//! task has one pool for itself ([`UntypedAllocator`], built from boot
//! info); every resource container has a pool over its own chunks.
//! Device untypeds are kept apart: they are never used for kernel objects.

use alloc::vec::Vec;

use kernel_iface::bootinfo::{BootInfo, SlotRegion};

/// One untyped and how much of it is used.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Untyped {
    pub slot: u64,
    pub paddr: u64,
    pub size_bits: u8,
    /// Bytes from the start that the kernel has handed out.
    pub watermark: u64,
}

impl Untyped {
    pub fn size(&self) -> u64 {
        1u64 << self.size_bits
    }
    /// Where an object of `2^bits` bytes would go, if it fits.
    fn place(&self, bits: u32) -> Option<u64> {
        let align = 1u64.checked_shl(bits)?;
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

/// A set of untypeds objects are made from.
#[derive(Clone, Debug, Default)]
pub struct Pool {
    untypeds: Vec<Untyped>,
}

impl Pool {
    pub const fn new() -> Pool {
        Pool { untypeds: Vec::new() }
    }

    /// Adds an untyped (all of it free).
    pub fn add(&mut self, slot: u64, paddr: u64, size_bits: u8) {
        self.untypeds.push(Untyped {
            slot,
            paddr,
            size_bits,
            watermark: 0,
        });
    }

    /// The untypeds.
    pub fn untypeds(&self) -> &[Untyped] {
        &self.untypeds
    }

    /// Total bytes in the pool.
    pub fn total_bytes(&self) -> u64 {
        self.untypeds.iter().map(Untyped::size).sum()
    }

    /// Bytes not yet handed out (alignment gaps count as used).
    pub fn free_bytes(&self) -> u64 {
        self.untypeds.iter().map(|u| u.size() - u.watermark).sum()
    }

    /// Chooses an untyped for an object of `2^size_bits` bytes and records
    /// the use. Best fit: the untyped that wastes the least alignment and
    /// is the smallest, so large untypeds stay whole for large objects.
    pub fn alloc(&mut self, size_bits: u32) -> Result<Placement, AllocError> {
        let mut best: Option<(usize, u64, (u64, u8))> = None;
        for (i, u) in self.untypeds.iter().enumerate() {
            if let Some(at) = u.place(size_bits) {
                let key = (at - u.watermark, u.size_bits);
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

    /// Places an object of `2^size_bits` bytes in the untyped of slot
    /// `untyped_slot` (not wherever fits best): for objects that must lie at
    /// a given place. Fails if that untyped has no room.
    pub fn alloc_in(&mut self, untyped_slot: u64, size_bits: u32) -> Result<Placement, AllocError> {
        let u = self
            .untypeds
            .iter_mut()
            .find(|u| u.slot == untyped_slot)
            .ok_or(AllocError::OutOfMemory { size_bits })?;
        let at = u.place(size_bits).ok_or(AllocError::OutOfMemory { size_bits })?;
        u.watermark = at + (1u64 << size_bits);
        Ok(Placement {
            untyped_slot: u.slot,
            paddr: u.paddr + at,
        })
    }

    /// Places an object of `2^size_bits` bytes as low in physical memory as
    /// it fits (the resource manager's chunks: the top of RAM stays free
    /// for regions that must be at particular addresses there).
    pub fn alloc_lowest(&mut self, size_bits: u32) -> Result<Placement, AllocError> {
        let slot = self
            .untypeds
            .iter()
            .filter_map(|u| u.place(size_bits).map(|at| (u.paddr + at, u.slot)))
            .min()
            .map(|(_, slot)| slot)
            .ok_or(AllocError::OutOfMemory { size_bits })?;
        self.alloc_in(slot, size_bits)
    }

    /// The untyped that can still make an object at physical address
    /// `paddr`: it holds the address, at or above its watermark. An untyped
    /// split into smaller ones (kept in the pool as untypeds of their own)
    /// holds their addresses too, but below its watermark; this picks the
    /// piece where the address is still free.
    pub fn containing(&self, paddr: u64) -> Option<&Untyped> {
        self.untypeds.iter().find(|u| {
            paddr
                .checked_sub(u.paddr)
                .is_some_and(|offset| offset < u.size() && offset >= u.watermark)
        })
    }

    /// Records that every object made from the pool is gone (its untypeds
    /// were revoked), so the kernel will start each from 0 again.
    pub fn reset(&mut self) {
        for u in &mut self.untypeds {
            u.watermark = 0;
        }
    }

    /// Removes and returns every untyped (for handing chunks back).
    pub fn drain(&mut self) -> Vec<Untyped> {
        core::mem::take(&mut self.untypeds)
    }

    /// Removes and returns the untypeds `pick` chooses.
    pub fn take(&mut self, mut pick: impl FnMut(&Untyped) -> bool) -> Vec<Untyped> {
        let (taken, kept) = core::mem::take(&mut self.untypeds).into_iter().partition(|u| pick(u));
        self.untypeds = kept;
        taken
    }
}

/// The free slots of the root CNode: a bitmap (one bit a slot, set when
/// free), so a CNode of 2^16 slots costs 8 KiB; the lowest free slot is
/// taken first.
#[derive(Clone, Debug)]
pub struct SlotAllocator {
    region: SlotRegion,
    free: Vec<u64>,
    count: u64,
    /// No free slot below this word.
    hint: usize,
}

impl SlotAllocator {
    /// All of `region` free.
    pub fn new(region: SlotRegion) -> SlotAllocator {
        let n = region.len();
        let mut free = alloc::vec![u64::MAX; n.div_ceil(64) as usize];
        if !n.is_multiple_of(64) {
            if let Some(last) = free.last_mut() {
                *last = (1u64 << (n % 64)) - 1;
            }
        }
        SlotAllocator {
            region,
            free,
            count: n,
            hint: 0,
        }
    }
    /// Takes a free slot (the lowest).
    pub fn alloc(&mut self) -> Result<u64, AllocError> {
        let (w, word) = self.free[self.hint..]
            .iter_mut()
            .enumerate()
            .find(|(_, w)| **w != 0)
            .ok_or(AllocError::OutOfSlots)?;
        let bit = word.trailing_zeros() as u64;
        *word &= !(1 << bit);
        let index = (self.hint + w) as u64 * 64 + bit;
        self.hint += w;
        self.count -= 1;
        Ok(self.region.start + index)
    }
    /// Gives a slot back. Slots outside the region, or already free, are
    /// ignored (a double free must not hand one slot out twice).
    pub fn free(&mut self, slot: u64) {
        if !(self.region.start..self.region.end).contains(&slot) {
            return;
        }
        let i = slot - self.region.start;
        let (w, bit) = ((i / 64) as usize, i % 64);
        if self.free[w] & (1 << bit) == 0 {
            self.free[w] |= 1 << bit;
            self.count += 1;
            self.hint = self.hint.min(w);
        }
    }
    /// Number of free slots.
    pub fn free_count(&self) -> u64 {
        self.count
    }
    /// The region managed.
    pub fn region(&self) -> SlotRegion {
        self.region
    }
}

/// The root task's own memory and slots, from boot info.
#[derive(Clone, Debug)]
pub struct UntypedAllocator {
    pub pool: Pool,
    pub slots: SlotAllocator,
    device_bytes: u64,
    device_count: usize,
    /// Device untypeds (memory-mapped devices), for frames at fixed
    /// physical addresses; never used for kernel objects.
    pub device: Vec<Untyped>,
}

impl UntypedAllocator {
    /// Starts from boot info: every RAM untyped is free, and free slots are
    /// the boot info's empty region.
    pub fn from_bootinfo(bi: &BootInfo) -> Self {
        let mut a = UntypedAllocator {
            pool: Pool::new(),
            slots: SlotAllocator::new(bi.empty),
            device_bytes: 0,
            device_count: 0,
            device: Vec::new(),
        };
        for (slot, d) in bi.untypeds() {
            if d.is_device {
                a.device_bytes += 1u64 << d.size_bits;
                a.device_count += 1;
                a.device.push(Untyped {
                    slot,
                    paddr: d.paddr,
                    size_bits: d.size_bits,
                    watermark: 0,
                });
            } else {
                a.pool.add(slot, d.paddr, d.size_bits);
            }
        }
        a
    }

    /// The RAM untypeds.
    pub fn untypeds(&self) -> &[Untyped] {
        self.pool.untypeds()
    }
    /// Total RAM in untypeds, in bytes.
    pub fn total_bytes(&self) -> u64 {
        self.pool.total_bytes()
    }
    /// RAM not yet handed out, in bytes.
    pub fn free_bytes(&self) -> u64 {
        self.pool.free_bytes()
    }
    /// Device memory in untypeds, in bytes, and how many such untypeds.
    pub fn device(&self) -> (u64, usize) {
        (self.device_bytes, self.device_count)
    }
    /// Free root-CNode slots left.
    pub fn free_slots(&self) -> u64 {
        self.slots.free_count()
    }
    /// The boot-info empty region this allocator started from.
    pub fn slot_region(&self) -> SlotRegion {
        self.slots.region()
    }
    /// Takes one free slot.
    pub fn alloc_slot(&mut self) -> Result<u64, AllocError> {
        self.slots.alloc()
    }
    /// Returns a slot.
    pub fn free_slot(&mut self, slot: u64) {
        self.slots.free(slot)
    }
    /// Chooses an untyped for an object of `2^size_bits` bytes.
    pub fn alloc(&mut self, size_bits: u32) -> Result<Placement, AllocError> {
        self.pool.alloc(size_bits)
    }

    /// Removes the untypeds to hand over to the resource manager and
    /// returns them: every untouched untyped of at least `2^min_bits`
    /// bytes, except the lowest in memory of those, which the root task
    /// keeps so that at least `keep_bytes` stay free here (the top of RAM
    /// is where system descriptions put the memory devices reach, which
    /// the resource manager must be able to hand out). Smaller untypeds
    /// always stay (the root task's own objects are small).
    pub fn hand_over(&mut self, min_bits: u8, keep_bytes: u64) -> Vec<Untyped> {
        let mut candidates: Vec<Untyped> = self
            .untypeds()
            .iter()
            .filter(|u| u.watermark == 0 && u.size_bits >= min_bits)
            .copied()
            .collect();
        candidates.sort_by_key(|u| u.paddr);
        let mut kept_free = self.free_bytes() - candidates.iter().map(Untyped::size).sum::<u64>();
        let mut keep = Vec::new();
        while kept_free < keep_bytes && !candidates.is_empty() {
            let u = candidates.remove(0);
            kept_free += u.size();
            keep.push(u.slot);
        }
        let give: Vec<u64> = candidates.iter().map(|u| u.slot).collect();
        self.pool.take(|u| give.contains(&u.slot))
    }
}

/// The objects to retype, in order, from untyped `u` so that `pages` 4 KiB
/// frames land at physical address `paddr` (a device's registers): padding
/// untypeds that move the kernel's watermark up to the address (each as
/// large as its alignment allows, so there are few), then the frames. Sizes
/// are in bits (12 for a frame). `None` if the range is not inside the
/// untyped, not page-aligned, or below what is already used.
pub fn plan_fixed_frames(u: &Untyped, paddr: u64, pages: u64) -> Option<Vec<u32>> {
    let offset = paddr.checked_sub(u.paddr)?;
    let end = offset.checked_add(pages.checked_mul(4096)?)?;
    if !paddr.is_multiple_of(4096) || end > u.size() || offset < u.watermark || pages == 0 {
        return None;
    }
    let mut plan = Vec::new();
    let mut at = u.watermark.next_multiple_of(4096);
    while at < offset {
        // The largest power of two that `at` is aligned to and that fits.
        let mut bits = at.trailing_zeros().min(u.size_bits as u32);
        while at + (1u64 << bits) > offset {
            bits -= 1;
        }
        plan.push(bits);
        at += 1 << bits;
    }
    plan.extend(core::iter::repeat_n(12, pages as usize));
    Some(plan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel_iface::abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS;
    use kernel_iface::bootinfo::UntypedDesc;

    fn bootinfo(untypeds: &[(u64, u8, bool)]) -> BootInfo {
        let mut list = [UntypedDesc::default(); MAX_NUM_BOOTINFO_UNTYPED_CAPS];
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
            empty: SlotRegion { start: 100, end: 103 },
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
        let a = UntypedAllocator::from_bootinfo(&bootinfo(&[(0x10_0000, 20, false), (0xfee0_0000, 12, true)]));
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
        let mut a = UntypedAllocator::from_bootinfo(&bootinfo(&[(0x100_0000, 20, false), (0x10_0000, 12, false)]));
        assert_eq!(a.alloc(12).unwrap().untyped_slot, 21); // the 4 KiB one
        assert_eq!(a.alloc(12).unwrap().untyped_slot, 20);
        assert_eq!(a.alloc(21), Err(AllocError::OutOfMemory { size_bits: 21 }));
        assert_eq!(a.alloc(200), Err(AllocError::OutOfMemory { size_bits: 200 }));
        for _ in 0..255 {
            a.alloc(12).unwrap();
        }
        assert_eq!(a.free_bytes(), 0);
        assert_eq!(a.alloc(4), Err(AllocError::OutOfMemory { size_bits: 4 }));
    }

    #[test]
    fn hands_over_large_untouched_untypeds_and_keeps_a_reserve() {
        let mut a = UntypedAllocator::from_bootinfo(&bootinfo(&[
            (0x1000, 12, false),     // 20: small, always kept
            (0x10_0000, 20, false),  // 21: 1 MiB
            (0x20_0000, 21, false),  // 22: 2 MiB
            (0x100_0000, 24, false), // 23: 16 MiB
            (0x200_0000, 22, false), // 24: 4 MiB, touched below
            (0xfee0_0000, 20, true), // device: never
        ]));
        a.alloc(22).unwrap(); // takes all of 24 (best fit)
        let given = a.hand_over(20, 2 << 20);
        // Keeps the lowest large ones until 2 MiB are free: 21 (1 MiB at
        // 1 MiB) and 22 (2 MiB at 2 MiB); hands over only 23 (at 16 MiB).
        assert_eq!(given.iter().map(|u| u.slot).collect::<Vec<_>>(), [23]);
        assert_eq!(a.untypeds().len(), 4);
        assert_eq!(a.free_bytes(), 4096 + (1 << 20) + (2 << 20));
        // With no reserve asked for, the kept large ones go too; the small
        // one and the touched one stay.
        assert_eq!(a.hand_over(20, 0).len(), 2);
        assert_eq!(a.free_bytes(), 4096);
    }

    #[test]
    fn fixed_frames_are_reached_with_few_paddings() {
        let u = Untyped {
            slot: 9,
            paddr: 0xfec0_0000,
            size_bits: 22,
            watermark: 0,
        };
        // HPET at 0xfed00000: 1 MiB of padding (one untyped), then the frame.
        assert_eq!(plan_fixed_frames(&u, 0xfed0_0000, 1), Some(alloc::vec![20, 12]));
        // An odd offset: aligned pieces that add up to it exactly.
        let plan = plan_fixed_frames(&u, 0xfec0_7000, 2).unwrap();
        assert_eq!(plan, alloc::vec![14, 13, 12, 12, 12]);
        let mut at = 0u64;
        for bits in &plan[..3] {
            assert_eq!(at % (1 << bits), 0, "each padding is aligned");
            at += 1 << bits;
        }
        assert_eq!(at, 0x7000);
        // Outside, unaligned, already used, or nothing asked: no plan.
        assert_eq!(plan_fixed_frames(&u, 0xfe00_0000, 1), None);
        assert_eq!(plan_fixed_frames(&u, 0xfeff_f000, 2), None);
        assert_eq!(plan_fixed_frames(&u, 0xfed0_0800, 1), None);
        let used = Untyped {
            watermark: 0x10_0000,
            ..u
        };
        assert_eq!(plan_fixed_frames(&used, 0xfec0_1000, 1), None);
        assert_eq!(plan_fixed_frames(&used, 0xfed0_0000, 1), Some(alloc::vec![12]));
        assert_eq!(plan_fixed_frames(&u, 0xfed0_0000, 0), None);
    }

    #[test]
    fn objects_can_be_placed_in_a_chosen_untyped() {
        let mut p = Pool::new();
        p.add(5, 0x100_0000, 24);
        p.add(6, 0x20_0000, 21);
        assert_eq!(p.containing(0x180_0000).map(|u| u.slot), Some(5));
        assert_eq!(p.containing(0x40_0000), None);
        // Best fit would pick slot 6; alloc_in takes slot 5 as asked.
        assert_eq!(p.alloc_in(5, 20).unwrap().paddr, 0x100_0000);
        assert_eq!(p.alloc_in(5, 20).unwrap().paddr, 0x110_0000);
        assert_eq!(p.alloc_in(6, 22), Err(AllocError::OutOfMemory { size_bits: 22 }));
        assert_eq!(p.alloc_in(7, 12), Err(AllocError::OutOfMemory { size_bits: 12 }));
        // Lowest first: slot 6 (at 2 MiB) before what is left of slot 5.
        assert_eq!(p.alloc_lowest(20).unwrap().paddr, 0x20_0000);
        assert_eq!(p.alloc_lowest(20).unwrap().paddr, 0x30_0000);
        assert_eq!(p.alloc_lowest(20).unwrap().paddr, 0x120_0000);
    }

    #[test]
    fn slots_come_lowest_first_across_words() {
        let mut a = SlotAllocator::new(SlotRegion {
            start: 10,
            end: 10 + 130,
        });
        let taken: Vec<u64> = (0..130).map(|_| a.alloc().unwrap()).collect();
        assert_eq!(taken, (10..140).collect::<Vec<_>>());
        assert_eq!(a.alloc(), Err(AllocError::OutOfSlots));
        a.free(75);
        a.free(12);
        a.free(139);
        assert_eq!(a.free_count(), 3);
        assert_eq!((a.alloc(), a.alloc(), a.alloc()), (Ok(12), Ok(75), Ok(139)));
        assert_eq!(a.free_count(), 0);
    }

    #[test]
    fn reset_makes_a_pool_whole_again() {
        let mut p = Pool::new();
        p.add(5, 0x20_0000, 16);
        p.alloc(12).unwrap();
        p.alloc(14).unwrap();
        assert!(p.free_bytes() < 1 << 16);
        p.reset();
        assert_eq!(p.free_bytes(), 1 << 16);
        assert_eq!(p.alloc(16).unwrap().paddr, 0x20_0000);
    }

    #[test]
    fn slots_run_out_cleanly_and_come_back_once() {
        let mut a = UntypedAllocator::from_bootinfo(&bootinfo(&[]));
        assert_eq!(a.free_slots(), 3);
        assert_eq!(a.alloc_slot(), Ok(100));
        assert_eq!(a.alloc_slot(), Ok(101));
        assert_eq!(a.alloc_slot(), Ok(102));
        assert_eq!(a.alloc_slot(), Err(AllocError::OutOfSlots));
        a.free_slot(101);
        a.free_slot(101); // double free is ignored
        a.free_slot(7); // outside the region: ignored
        assert_eq!(a.free_slots(), 1);
        assert_eq!(a.alloc_slot(), Ok(101));
        assert_eq!(a.alloc_slot(), Err(AllocError::OutOfSlots));
    }

    #[test]
    fn the_free_piece_of_a_split_untyped_holds_an_address() {
        // A 16 MiB untyped whose lower 8 MiB were split off into an untyped
        // of their own (as the resource manager does below a chunk it must
        // carve at a given address), then the chunk at 8 MiB was made.
        let mut p = Pool::new();
        p.add(5, 0x100_0000, 24);
        assert_eq!(p.alloc_in(5, 23).unwrap().paddr, 0x100_0000);
        p.add(9, 0x100_0000, 23);
        assert_eq!(p.alloc_in(5, 20).unwrap().paddr, 0x180_0000);
        // An address below the chunk is in the split-off piece, not in the
        // untyped it came from (whose watermark is past it).
        assert_eq!(p.containing(0x140_0000).map(|u| u.slot), Some(9));
        assert_eq!(p.containing(0x190_0000).map(|u| u.slot), Some(5));
        // The chunk itself is taken: nobody can make it again.
        assert_eq!(p.containing(0x180_0000), None);
    }
}
