//! Loading a component: a fresh CSpace, VSpace and TCB made from untyped
//! memory, the image's segments mapped with their ELF rights, a stack with
//! an unmapped guard page below it, an IPC buffer, and a fault endpoint
//! badged with the component's id. The address-space and CSpace layout is
//! the contract in `pride_rt::component`.

use kernel_iface::abi::{init_cap, object_type, size_bits};
use kernel_iface::cap::{self, kind, CapRights, UserContext};
use kernel_iface::Cap;
use pride_rt::component as abi;
use root_core::elf::{ElfError, LoadPlan, PAGE};

use crate::objects::{root_slot, ObjError, Objects, ROOT_VSPACE};

/// Where the root task maps a frame briefly to fill it.
const SCRATCH: u64 = 0x2000_0000;

/// Badge bit marking a message on the fault endpoint as a component's fault
/// (the rest of the badge is the component id).
pub const FAULT_BADGE: u64 = 1 << 27;

/// Why a component could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The image is not a loadable component.
    Image(ElfError),
    /// Memory, slots or a kernel call failed.
    Object(ObjError),
}

impl From<ObjError> for LoadError {
    fn from(e: ObjError) -> Self {
        LoadError::Object(e)
    }
}

impl core::fmt::Display for LoadError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            LoadError::Image(e) => write!(f, "bad image: {e:?}"),
            LoadError::Object(e) => write!(f, "{e}"),
        }
    }
}

fn kernel(step: &'static str) -> impl Fn(kernel_iface::Sel4Error) -> LoadError {
    move |e| LoadError::Object(ObjError::Kernel(step, e))
}

/// A running component.
#[derive(Clone, Copy, Debug)]
pub struct Component {
    pub name: &'static str,
    pub id: u64,
    pub tcb: Cap<kind::Tcb>,
    /// Range of the image's executable addresses, for fault reports.
    pub text: (u64, u64),
}

/// What the loader needs from the root task.
pub struct LaunchSpec<'a> {
    pub name: &'static str,
    pub image: &'a [u8],
    pub id: u64,
    pub priority: u8,
    /// The endpoint the component serves, placed in its `SLOT_SERVICE_EP`.
    pub service_ep: Option<Cap<kind::Endpoint>>,
    /// The root task's fault endpoint, minted into the component's CSpace.
    pub fault_ep: Cap<kind::Endpoint>,
}

/// Copies `bytes` into `frame` at `offset` through the scratch mapping.
fn fill_frame(
    objs: &mut Objects,
    frame: Cap<kind::Page>,
    offset: u64,
    bytes: &[u8],
) -> Result<(), LoadError> {
    assert!(offset as usize + bytes.len() <= PAGE as usize);
    objs.map_frame(ROOT_VSPACE, frame, SCRATCH, CapRights::READ_WRITE)?;
    let dst = (SCRATCH + offset) as *mut u8;
    // SAFETY: the frame was just mapped read-write at SCRATCH, nothing else
    // uses that address, and offset + len stays inside the 4 KiB page
    // (asserted above).
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
    frame.x86_page_unmap().map_err(kernel("scratch unmap"))
}

/// Loads and starts a component.
pub fn launch(objs: &mut Objects, spec: &LaunchSpec<'_>) -> Result<Component, LoadError> {
    let plan = LoadPlan::from_elf(spec.image).map_err(LoadError::Image)?;

    let cnode: Cap<kind::CNode> = objs.make(
        object_type::CAP_TABLE,
        abi::CNODE_BITS,
        abi::CNODE_BITS as u32 + size_bits::SLOT,
    )?;
    let vspace: Cap<kind::Pml4> = objs.make(object_type::X64_PML4, 0, size_bits::PML4)?;
    Cap::<kind::AsidPool>::from_cptr(init_cap::ASID_POOL)
        .x86_asid_pool_assign(vspace)
        .map_err(kernel("ASID pool assign"))?;

    let mut text = (u64::MAX, 0);
    for seg in plan.segments() {
        if seg.perms.execute {
            text = (text.0.min(seg.vaddr), text.1.max(seg.vaddr + seg.mem_size));
        }
        for page in seg.pages() {
            let frame = objs.frame()?;
            let (from, to) = page.file_range;
            if to > from {
                fill_frame(
                    objs,
                    frame,
                    page.offset_in_page,
                    &spec.image[from as usize..to as usize],
                )?;
            }
            let rights = if page.perms.write {
                CapRights::READ_WRITE
            } else {
                CapRights::READ
            };
            objs.map_frame(vspace, frame, page.vaddr, rights)?;
        }
    }

    // Stack pages below STACK_TOP; the page under them stays unmapped.
    for i in 1..=abi::STACK_PAGES {
        let frame = objs.frame()?;
        objs.map_frame(
            vspace,
            frame,
            abi::STACK_TOP - i * PAGE,
            CapRights::READ_WRITE,
        )?;
    }
    let ipc_frame = objs.frame()?;
    objs.map_frame(vspace, ipc_frame, abi::IPC_BUFFER, CapRights::READ_WRITE)?;

    // The component's CSpace: fault endpoint badged with its id, and its
    // service endpoint if it serves one.
    let depth = abi::CNODE_BITS;
    let fault_badge = cap::badge(FAULT_BADGE | spec.id).ok_or(LoadError::Object(
        ObjError::Kernel("badge", kernel_iface::Sel4Error::RangeError),
    ))?;
    cnode
        .cnode_mint(
            abi::SLOT_FAULT_EP,
            depth,
            root_slot(spec.fault_ep.cptr()),
            CapRights::ALL,
            fault_badge,
        )
        .map_err(kernel("mint fault endpoint"))?;
    cnode
        .cnode_copy(
            abi::SLOT_OWN_CNODE,
            depth,
            root_slot(cnode.cptr()),
            CapRights::ALL,
        )
        .map_err(kernel("copy own CNode"))?;
    if let Some(ep) = spec.service_ep {
        cnode
            .cnode_copy(
                abi::SLOT_SERVICE_EP,
                depth,
                root_slot(ep.cptr()),
                CapRights::ALL,
            )
            .map_err(kernel("copy service endpoint"))?;
    }

    let tcb: Cap<kind::Tcb> = objs.make(object_type::TCB, 0, size_bits::TCB)?;
    let guard = cap::cnode_guard(0, kernel_iface::abi::WORD_BITS as u64 - abi::CNODE_BITS);
    tcb.tcb_configure(
        abi::SLOT_FAULT_EP,
        0,
        spec.priority,
        cnode,
        guard,
        vspace,
        abi::IPC_BUFFER,
        ipc_frame,
    )
    .map_err(kernel("TCB configure"))?;
    let ctx = UserContext {
        rip: plan.entry,
        rsp: abi::STACK_TOP,
        rdi: abi::IPC_BUFFER,
        rsi: spec.id,
        ..Default::default()
    };
    tcb.tcb_write_registers(true, ctx)
        .map_err(kernel("TCB write registers"))?;

    Ok(Component {
        name: spec.name,
        id: spec.id,
        tcb,
        text,
    })
}
