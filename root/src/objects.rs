//! Making kernel objects, for the root task itself or inside a resource
//! container, and filling address spaces with page tables on demand.
//!
//! Memory comes in two kinds:
//!
//! - the root task's own pool (the boot-info untypeds it keeps when it hands
//!   the rest to the resource manager): objects that outlive components
//!   (the supervisor endpoint, service endpoints, its notification) and the
//!   resource manager's own container;
//! - containers: whole chunks of [`CHUNK_BITS`]. The resource manager
//!   carves them into slots of the root CNode (`Supervisor::new_memory`);
//!   everything of a component is retyped from them. Destroying a container
//!   revokes its chunks, which deletes every object and capability made from
//!   them at once, and frees the root-CNode slots of those objects; the
//!   resource manager then takes the chunks back for reuse.

use alloc::vec::Vec;

use kernel_iface::abi::{init_cap, object_type, size_bits, WORD_BITS};
use kernel_iface::cap::{kind, CapRights, SlotRef, VmAttributes};
use kernel_iface::{Cap, Sel4Error};
use pride_supervisor_api::donation;
use root_core::untyped::{AllocError, Pool, UntypedAllocator};

pub use pride_supervisor_api::resources::{CHUNK_BITS, CHUNK_BYTES};

/// Why making or mapping an object failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjError {
    /// Out of memory (the container's quota, or the machine's) or slots.
    Alloc(AllocError),
    /// The kernel refused a step (named) of the operation.
    Kernel(&'static str, Sel4Error),
}

impl core::fmt::Display for ObjError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ObjError::Alloc(AllocError::OutOfMemory { size_bits }) => {
                write!(f, "out of memory (no free block of 2^{size_bits} bytes)")
            }
            ObjError::Alloc(AllocError::OutOfSlots) => write!(f, "out of capability slots"),
            ObjError::Kernel(step, e) => write!(f, "kernel refused {step}: {e}"),
        }
    }
}

impl From<AllocError> for ObjError {
    fn from(e: AllocError) -> Self {
        ObjError::Alloc(e)
    }
}

/// The root task's CNode.
pub const ROOT_CNODE: Cap<kind::CNode> = Cap::from_cptr(init_cap::CNODE);
/// The root task's VSpace.
pub const ROOT_VSPACE: Cap<kind::Pml4> = Cap::from_cptr(init_cap::VSPACE);

/// A slot of the root CNode, as a source or destination of CNode calls.
pub fn root_slot(slot: u64) -> SlotRef {
    SlotRef {
        root: ROOT_CNODE,
        index: slot,
        depth: WORD_BITS as u64,
    }
}

/// The memory of one component: whole chunks, and the root-CNode slots
/// that hold capabilities to what was made from them.
#[derive(Debug, Default)]
pub struct Container {
    pool: Pool,
    /// Root-CNode slots of the objects made here (freed on destroy).
    object_slots: Vec<u64>,
    /// Untyped blocks of donations that were taken back: revoked, so as
    /// good as new, and used again for the container's next loan.
    spare_blocks: Vec<u64>,
    /// Root-CNode slots holding copies of capabilities to objects the
    /// container does not own (a shared region's frames): revoking its
    /// chunks does not delete them, so destroying it deletes them itself.
    copied_slots: Vec<u64>,
}

/// Frames per loan.
const LOAN_FRAMES: usize = (donation::SESSION_BYTES / 4096) as usize;

/// Memory a container lends a server for one session: an untyped block
/// of [`donation::SESSION_BITS`] carved from the lender's chunks, retyped
/// into frames mapped in the server's donation window. Every capability is
/// in a slot the lender's container owns, so destroying the lender ends
/// the loan too.
#[derive(Debug)]
pub struct Lent {
    block: u64,
    frames: [u64; LOAN_FRAMES],
}

impl Container {
    /// A container over chunk capabilities in root-CNode slots (with their
    /// physical addresses).
    pub fn from_chunks(chunks: &[(u64, u64)]) -> Container {
        let mut c = Container::default();
        for &(slot, paddr) in chunks {
            c.pool.add(slot, paddr, CHUNK_BITS as u8);
        }
        c
    }
    /// Physical addresses of its chunks.
    pub fn chunk_paddrs(&self) -> Vec<u64> {
        self.pool.untypeds().iter().map(|u| u.paddr).collect()
    }
    /// Bytes the container holds.
    pub fn quota_bytes(&self) -> u64 {
        self.pool.total_bytes()
    }
    /// Bytes in use: handed out by the chunks, less the loan blocks that
    /// were taken back and wait for the next loan.
    pub fn used_bytes(&self) -> u64 {
        let spare = self.spare_blocks.len() as u64 * donation::SESSION_BYTES;
        self.pool.total_bytes() - self.pool.free_bytes() - spare
    }
    /// Loan blocks taken back and ready for the next loan.
    pub fn spare_blocks(&self) -> usize {
        self.spare_blocks.len()
    }
}

/// Where an object's memory comes from.
pub enum Source<'a> {
    Root,
    Container(&'a mut Container),
}

/// The root task's object factory.
pub struct Objects {
    pub root: UntypedAllocator,
    /// Objects alive in each device untyped (by its index in
    /// `root.device`): when none is left, the kernel starts it from 0 again.
    device_children: alloc::collections::BTreeMap<usize, usize>,
}

/// Frames at a fixed physical address (a device's registers), made from a
/// device untyped, with the padding objects that put them there.
#[derive(Debug, Default)]
pub struct FixedFrames {
    pub frames: Vec<Cap<kind::Page>>,
    untyped: usize,
    slots: Vec<u64>,
}

impl Objects {
    pub fn new(root: UntypedAllocator) -> Objects {
        Objects {
            root,
            device_children: alloc::collections::BTreeMap::new(),
        }
    }

    /// `pages` frames at physical address `paddr`, from the device untyped
    /// that covers it. `None` if no device untyped covers the range or the
    /// part of it is already in use.
    pub fn fixed_frames(&mut self, paddr: u64, pages: u64) -> Result<Option<FixedFrames>, ObjError> {
        let Some((index, plan)) = self
            .root
            .device
            .iter()
            .enumerate()
            .find_map(|(i, u)| root_core::untyped::plan_fixed_frames(u, paddr, pages).map(|p| (i, p)))
        else {
            return Ok(None);
        };
        let mut made = FixedFrames {
            untyped: index,
            ..FixedFrames::default()
        };
        *self.device_children.entry(index).or_default() += 1;
        let untyped = Cap::<kind::Untyped>::from_cptr(self.root.device[index].slot);
        for bits in plan {
            let slot = match self.root.alloc_slot() {
                Ok(s) => s,
                Err(e) => {
                    self.release_fixed(made);
                    return Err(e.into());
                }
            };
            let (ty, size) = if bits == 12 {
                (object_type::X86_4K, 0)
            } else {
                (object_type::UNTYPED, bits as u64)
            };
            if let Err(e) = untyped.untyped_retype(ty, size, ROOT_CNODE, 0, 0, slot, 1) {
                self.root.free_slot(slot);
                self.release_fixed(made);
                return Err(ObjError::Kernel("device untyped retype", e));
            }
            made.slots.push(slot);
            self.root.device[index].watermark += 1 << bits;
            if bits == 12 && self.root.device[index].watermark > paddr - self.root.device[index].paddr {
                made.frames.push(Cap::from_cptr(slot));
            }
        }
        Ok(Some(made))
    }

    /// Deletes fixed frames and their padding; a device untyped with nothing
    /// left in it is whole again.
    pub fn release_fixed(&mut self, made: FixedFrames) {
        for slot in made.slots {
            let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
            self.root.free_slot(slot);
        }
        let left = self.device_children.entry(made.untyped).or_default();
        *left = left.saturating_sub(1);
        if *left == 0 {
            self.root.device[made.untyped].watermark = 0;
        }
    }

    /// Memory of the root task's own pool not in use.
    pub fn free_bytes(&self) -> u64 {
        self.root.free_bytes()
    }

    fn retype(
        &mut self,
        pool: Option<&mut Container>,
        obj_type: u64,
        obj_bits: u64,
        mem_bits: u32,
    ) -> Result<u64, ObjError> {
        let slot = self.root.alloc_slot()?;
        let mut owned_by_container = false;
        let placement = match pool {
            None => self.root.alloc(mem_bits),
            Some(c) => c.pool.alloc(mem_bits).inspect(|_| {
                // From here the container owns the slot: destroying the
                // container frees it whatever happens below.
                c.object_slots.push(slot);
                owned_by_container = true;
            }),
        };
        let result = placement.map_err(ObjError::from).and_then(|p| {
            Cap::<kind::Untyped>::from_cptr(p.untyped_slot)
                .untyped_retype(obj_type, obj_bits, ROOT_CNODE, 0, 0, slot, 1)
                .map_err(|e| ObjError::Kernel("untyped retype", e))
        });
        if result.is_err() && !owned_by_container {
            self.root.free_slot(slot);
        }
        result.map(|()| slot)
    }

    /// Retypes one object into a fresh root-CNode slot. `obj_bits` is the
    /// object's size argument (CNode slots, untyped size), `mem_bits` its
    /// size in memory.
    pub fn make<K>(
        &mut self,
        from: Source<'_>,
        obj_type: u64,
        obj_bits: u64,
        mem_bits: u32,
    ) -> Result<Cap<K>, ObjError> {
        let pool = match from {
            Source::Root => None,
            Source::Container(c) => Some(c),
        };
        self.retype(pool, obj_type, obj_bits, mem_bits).map(Cap::from_cptr)
    }

    pub fn frame(&mut self, from: Source<'_>) -> Result<Cap<kind::Page>, ObjError> {
        self.make(from, object_type::X86_4K, 0, size_bits::PAGE)
    }

    pub fn endpoint(&mut self, from: Source<'_>) -> Result<Cap<kind::Endpoint>, ObjError> {
        self.make(from, object_type::ENDPOINT, 0, size_bits::ENDPOINT)
    }

    pub fn notification(&mut self, from: Source<'_>) -> Result<Cap<kind::Notification>, ObjError> {
        self.make(from, object_type::NOTIFICATION, 0, size_bits::NOTIFICATION)
    }

    /// Makes a container of `chunks` chunks carved from the root task's own
    /// pool: only for the resource manager itself, which cannot get its
    /// memory from itself. Such a container is never destroyed.
    pub fn bootstrap_container(&mut self, chunks: u64) -> Result<Container, ObjError> {
        let mut c = Container::default();
        for _ in 0..chunks {
            let slot = self.retype(None, object_type::UNTYPED, CHUNK_BITS as u64, CHUNK_BITS)?;
            c.pool.add(slot, 0, CHUNK_BITS as u8);
        }
        Ok(c)
    }

    /// Deletes everything made in the container and frees its slots: each
    /// chunk is revoked, which deletes every object made from it. Threads
    /// must have been suspended by the caller. The chunks stay where they
    /// are (the resource manager reuses them; seL4 zeroes the used part
    /// when the next container's first object is made from one).
    pub fn destroy_container(&mut self, mut c: Container) -> Result<(), ObjError> {
        let mut result = Ok(());
        for u in c.pool.drain() {
            if let Err(e) = ROOT_CNODE.cnode_revoke(u.slot, WORD_BITS as u64) {
                result = Err(ObjError::Kernel("revoke chunk", e));
            }
        }
        for slot in c.copied_slots.drain(..) {
            let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
            self.root.free_slot(slot);
        }
        for slot in c.object_slots.drain(..) {
            self.root.free_slot(slot);
        }
        result
    }

    /// Copies the capability in root slot `src` into a fresh root slot that
    /// container `c` owns (deleted and freed when it is destroyed); returns
    /// the slot.
    pub fn copy_into(&mut self, c: &mut Container, src: u64) -> Result<u64, ObjError> {
        let slot = self.root.alloc_slot()?;
        if let Err(e) = ROOT_CNODE.cnode_copy(slot, WORD_BITS as u64, root_slot(src), CapRights::ALL) {
            self.root.free_slot(slot);
            return Err(ObjError::Kernel("copy capability", e));
        }
        c.copied_slots.push(slot);
        Ok(slot)
    }

    /// Lends `SESSION_BYTES` of `lender`'s memory to a server: frames made
    /// from one untyped block of the lender, mapped read-write at `address`
    /// in `vspace` (page tables, where missing, come from `tables`, the
    /// server's own container). On error nothing is left mapped.
    pub fn lend(
        &mut self,
        lender: &mut Container,
        tables: &mut Container,
        vspace: Cap<kind::Pml4>,
        address: u64,
    ) -> Result<Lent, ObjError> {
        let bits = donation::SESSION_BITS;
        let block = match lender.spare_blocks.pop() {
            Some(b) => b,
            None => self.retype(Some(&mut *lender), object_type::UNTYPED, bits as u64, bits)?,
        };
        let mut lent = Lent {
            block,
            frames: [0; LOAN_FRAMES],
        };
        let result = (|| {
            for (i, frame) in lent.frames.iter_mut().enumerate() {
                let slot = self.root.alloc_slot()?;
                lender.object_slots.push(slot);
                *frame = slot;
                Cap::<kind::Untyped>::from_cptr(block)
                    .untyped_retype(object_type::X86_4K, 0, ROOT_CNODE, 0, 0, slot, 1)
                    .map_err(|e| ObjError::Kernel("untyped retype", e))?;
                let va = address + i as u64 * 4096;
                self.map_frame(
                    Source::Container(tables),
                    vspace,
                    Cap::from_cptr(slot),
                    va,
                    CapRights::READ_WRITE,
                )?;
            }
            Ok(())
        })();
        match result {
            Ok(()) => Ok(lent),
            Err(e) => {
                self.take_back(lender, lent);
                Err(e)
            }
        }
    }

    /// Ends a loan: revoking the block deletes its frames, which unmaps
    /// them from the server; the block is kept for the lender's next loan.
    pub fn take_back(&mut self, lender: &mut Container, lent: Lent) {
        let _ = ROOT_CNODE.cnode_revoke(lent.block, WORD_BITS as u64);
        for slot in lent.frames.into_iter().filter(|s| *s != 0) {
            lender.object_slots.retain(|s| *s != slot);
            self.root.free_slot(slot);
        }
        lender.spare_blocks.push(lent.block);
    }

    /// Moves a loan to another address space (its server was replaced by a
    /// new version): unmapped from the old one, mapped at the same address
    /// in `vspace`.
    pub fn move_loan(
        &mut self,
        lent: &Lent,
        tables: &mut Container,
        vspace: Cap<kind::Pml4>,
        address: u64,
    ) -> Result<(), ObjError> {
        for (i, slot) in lent.frames.iter().enumerate() {
            let frame = Cap::<kind::Page>::from_cptr(*slot);
            frame.x86_page_unmap().map_err(|e| ObjError::Kernel("page unmap", e))?;
            let va = address + i as u64 * 4096;
            self.map_frame(Source::Container(tables), vspace, frame, va, CapRights::READ_WRITE)?;
        }
        Ok(())
    }

    /// A frame of a loan, for the supervisor to look into (tests).
    pub fn lent_frame(lent: &Lent, i: usize) -> Option<Cap<kind::Page>> {
        lent.frames.get(i).map(|s| Cap::from_cptr(*s))
    }

    /// Maps `frame` at `vaddr` in `vspace`, adding whatever page table,
    /// page directory or PDPT the address still lacks (made from `tables`).
    pub fn map_frame(
        &mut self,
        mut tables: Source<'_>,
        vspace: Cap<kind::Pml4>,
        frame: Cap<kind::Page>,
        vaddr: u64,
        rights: CapRights,
    ) -> Result<(), ObjError> {
        // At most three missing levels, so at most four tries.
        for _ in 0..4 {
            match frame.x86_page_map(vspace, vaddr, rights, VmAttributes::DEFAULT) {
                Ok(()) => return Ok(()),
                Err(Sel4Error::FailedLookup) => self.add_paging_levels(reborrow(&mut tables), vspace, vaddr)?,
                Err(e) => return Err(ObjError::Kernel("page map", e)),
            }
        }
        Err(ObjError::Kernel("page map", Sel4Error::FailedLookup))
    }

    fn add_paging_levels(&mut self, mut from: Source<'_>, vspace: Cap<kind::Pml4>, vaddr: u64) -> Result<(), ObjError> {
        let attr = VmAttributes::DEFAULT;
        let pt: Cap<kind::PageTable> = self.make(
            reborrow(&mut from),
            object_type::X86_PAGE_TABLE,
            0,
            size_bits::PAGE_TABLE,
        )?;
        match pt.x86_page_table_map(vspace, vaddr, attr) {
            Ok(()) => return Ok(()),
            Err(Sel4Error::FailedLookup) => {} // the page directory is missing too
            Err(e) => return Err(ObjError::Kernel("page table map", e)),
        }
        let pd: Cap<kind::PageDirectory> = self.make(
            reborrow(&mut from),
            object_type::X86_PAGE_DIRECTORY,
            0,
            size_bits::PAGE_DIRECTORY,
        )?;
        if pd.x86_page_directory_map(vspace, vaddr, attr) == Err(Sel4Error::FailedLookup) {
            let pdpt: Cap<kind::Pdpt> = self.make(reborrow(&mut from), object_type::X86_PDPT, 0, size_bits::PDPT)?;
            pdpt.x86_pdpt_map(vspace, vaddr, attr)
                .map_err(|e| ObjError::Kernel("pdpt map", e))?;
            pd.x86_page_directory_map(vspace, vaddr, attr)
                .map_err(|e| ObjError::Kernel("page directory map", e))?;
        }
        pt.x86_page_table_map(vspace, vaddr, attr)
            .map_err(|e| ObjError::Kernel("page table map", e))
    }
}

/// A shorter-lived `Source` borrowing the same container.
pub fn reborrow<'a>(from: &'a mut Source<'_>) -> Source<'a> {
    match from {
        Source::Root => Source::Root,
        Source::Container(c) => Source::Container(c),
    }
}
