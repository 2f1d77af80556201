//! Making kernel objects: the root task's untyped allocator (decisions in
//! `root_core::untyped`) turned into `Untyped_Retype` calls, and address
//! spaces filled with page tables on demand.

use kernel_iface::abi::{init_cap, object_type, size_bits, WORD_BITS};
use kernel_iface::cap::{kind, CapRights, SlotRef, VmAttributes};
use kernel_iface::{Cap, Sel4Error};
use root_core::untyped::{AllocError, UntypedAllocator};

/// Why making or mapping an object failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjError {
    /// Out of untyped memory or root-CNode slots.
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

/// The root task's object factory.
pub struct Objects {
    pub alloc: UntypedAllocator,
}

impl Objects {
    /// Retypes one object into a fresh root-CNode slot. `obj_bits` is the
    /// object's size argument (CNode slots, untyped size), `mem_bits` its
    /// size in memory.
    pub fn make<K>(
        &mut self,
        obj_type: u64,
        obj_bits: u64,
        mem_bits: u32,
    ) -> Result<Cap<K>, ObjError> {
        let slot = self.alloc.alloc_slot()?;
        let place = self.alloc.alloc(mem_bits)?;
        Cap::<kind::Untyped>::from_cptr(place.untyped_slot)
            .untyped_retype(obj_type, obj_bits, ROOT_CNODE, 0, 0, slot, 1)
            .map_err(|e| ObjError::Kernel("untyped retype", e))?;
        Ok(Cap::from_cptr(slot))
    }

    pub fn frame(&mut self) -> Result<Cap<kind::Page>, ObjError> {
        self.make(object_type::X86_4K, 0, size_bits::PAGE)
    }

    pub fn endpoint(&mut self) -> Result<Cap<kind::Endpoint>, ObjError> {
        self.make(object_type::ENDPOINT, 0, size_bits::ENDPOINT)
    }

    pub fn notification(&mut self) -> Result<Cap<kind::Notification>, ObjError> {
        self.make(object_type::NOTIFICATION, 0, size_bits::NOTIFICATION)
    }

    /// Maps `frame` at `vaddr` in `vspace`, adding whatever page table,
    /// page directory or PDPT the address still lacks.
    pub fn map_frame(
        &mut self,
        vspace: Cap<kind::Pml4>,
        frame: Cap<kind::Page>,
        vaddr: u64,
        rights: CapRights,
    ) -> Result<(), ObjError> {
        // At most three missing levels, so at most four tries.
        for _ in 0..4 {
            match frame.x86_page_map(vspace, vaddr, rights, VmAttributes::DEFAULT) {
                Ok(()) => return Ok(()),
                Err(Sel4Error::FailedLookup) => self.add_paging_levels(vspace, vaddr)?,
                Err(e) => return Err(ObjError::Kernel("page map", e)),
            }
        }
        Err(ObjError::Kernel("page map", Sel4Error::FailedLookup))
    }

    fn add_paging_levels(&mut self, vspace: Cap<kind::Pml4>, vaddr: u64) -> Result<(), ObjError> {
        let attr = VmAttributes::DEFAULT;
        let pt: Cap<kind::PageTable> =
            self.make(object_type::X86_PAGE_TABLE, 0, size_bits::PAGE_TABLE)?;
        match pt.x86_page_table_map(vspace, vaddr, attr) {
            Ok(()) => return Ok(()),
            Err(Sel4Error::FailedLookup) => {} // the page directory is missing too
            Err(e) => return Err(ObjError::Kernel("page table map", e)),
        }
        let pd: Cap<kind::PageDirectory> = self.make(
            object_type::X86_PAGE_DIRECTORY,
            0,
            size_bits::PAGE_DIRECTORY,
        )?;
        if pd.x86_page_directory_map(vspace, vaddr, attr) == Err(Sel4Error::FailedLookup) {
            let pdpt: Cap<kind::Pdpt> = self.make(object_type::X86_PDPT, 0, size_bits::PDPT)?;
            pdpt.x86_pdpt_map(vspace, vaddr, attr)
                .map_err(|e| ObjError::Kernel("pdpt map", e))?;
            pd.x86_page_directory_map(vspace, vaddr, attr)
                .map_err(|e| ObjError::Kernel("page directory map", e))?;
        }
        pt.x86_page_table_map(vspace, vaddr, attr)
            .map_err(|e| ObjError::Kernel("page table map", e))
    }
}
