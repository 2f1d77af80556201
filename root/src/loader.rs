//! Loading a component instance into a fresh resource container: CSpace,
//! VSpace and TCB retyped from the container's chunks, the image's segments
//! mapped with their ELF rights, a stack with an unmapped guard page below
//! it, an IPC buffer, a read-only boot page (id, generation, handed-over
//! state), the component's own notification, its service endpoint, its
//! connections (moved in: the connection manager minted them), and the supervisor endpoint badged with the instance's
//! badge. The layout is the contract in `pride_rt::component`.
//!
//! If any step fails, the container comes back to the caller with
//! everything made so far, and destroying it leaks nothing.

use kernel_iface::abi::{init_cap, object_type, size_bits, WORD_BITS};
use kernel_iface::cap::{self, kind, CapRights, SlotRef, UserContext};
use kernel_iface::Cap;
use pride_rt::component as abi;
use pride_supervisor_api::boot_page;
use root_core::elf::{ElfError, LoadPlan, PAGE};

use crate::objects::{root_slot, Container, ObjError, Objects, Source, ROOT_CNODE, ROOT_VSPACE};

/// Where the root task maps a frame briefly to fill it.
pub const SCRATCH: u64 = 0x2000_0000;

/// Badge bit marking a message on the supervisor endpoint as coming from a
/// component instance (the rest of the badge is the instance number).
pub const INSTANCE_BADGE: u64 = 1 << 27;

/// Why a component could not be loaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LoadError {
    /// The image is not a loadable component.
    Image(ElfError),
    /// Memory, slots or a kernel call failed.
    Object(ObjError),
    /// A value to patch (a Microkit symbol or configuration section) lies
    /// outside the image's segments.
    PatchOutsideImage { vaddr: u64 },
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
            LoadError::PatchOutsideImage { vaddr } => {
                write!(f, "a value to patch at {vaddr:#x} lies outside the image")
            }
        }
    }
}

fn kernel(step: &'static str) -> impl Fn(kernel_iface::Sel4Error) -> ObjError {
    move |e| ObjError::Kernel(step, e)
}

/// What to load.
pub struct LaunchSpec<'a> {
    pub image: &'a [u8],
    /// Instance number; the supervisor endpoint is minted with
    /// `INSTANCE_BADGE | instance`.
    pub instance: u64,
    pub priority: u8,
    pub boot: boot_page::Header,
    /// State handed over by a previous version (empty for a fresh start).
    pub state: &'a [u8],
    /// The service endpoint, copied unbadged into `SLOT_SERVICE_EP`.
    pub service_ep: Option<Cap<kind::Endpoint>>,
    pub supervisor_ep: Cap<kind::Endpoint>,
    /// (slot, root-CNode capability, badge) to mint into other slots
    /// (badge 0: copied as it is).
    pub extra_caps: &'a [(u64, u64, u64)],
    /// (slot, root-CNode slot): capabilities *moved* into the component's
    /// CNode just before it starts (the root task keeps no copy). If the
    /// start fails they are moved back.
    pub moved_caps: &'a [(u64, u64)],
    /// log2 of the component's CNode slots.
    pub cnode_bits: u64,
    /// The component's own notification, if made by the caller (a Microkit
    /// PD's, which other PDs hold badged copies of); else one is made.
    pub notification: Option<Cap<kind::Notification>>,
    /// Frames of shared regions to map too (a copy of each capability is
    /// made for the mapping).
    pub maps: &'a [ExtraMap],
    /// Bytes written over the image at these addresses before it starts
    /// (what the Microkit tool patches: symbols and configuration sections).
    pub patches: &'a [(u64, &'a [u8])],
}

/// A frame mapped into a component besides its own pages.
#[derive(Clone, Copy, Debug)]
pub struct ExtraMap {
    pub frame: Cap<kind::Page>,
    pub vaddr: u64,
    pub rights: CapRights,
}

/// A loaded, running instance.
#[derive(Debug)]
pub struct Loaded {
    pub tcb: Cap<kind::Tcb>,
    /// The component's own notification, bound to its thread (the
    /// supervisor signals `QUIESCE_SIGNAL` on it).
    pub notification: Cap<kind::Notification>,
    pub vspace: Cap<kind::Pml4>,
    pub cnode: Cap<kind::CNode>,
    /// log2 of `cnode`'s slots: the depth that names one of them.
    pub cnode_bits: u64,
    pub container: Container,
    /// Range of the image's executable addresses, for fault reports.
    pub text: (u64, u64),
}

/// Copies `bytes` into `frame` at `offset` through the scratch mapping.
pub fn fill_frame(objs: &mut Objects, frame: Cap<kind::Page>, offset: u64, bytes: &[u8]) -> Result<(), ObjError> {
    assert!(offset as usize + bytes.len() <= PAGE as usize);
    objs.map_frame(Source::Root, ROOT_VSPACE, frame, SCRATCH, CapRights::READ_WRITE)?;
    let dst = (SCRATCH + offset) as *mut u8;
    // SAFETY: the frame was just mapped read-write at SCRATCH, nothing else
    // uses that address, and offset + len stays inside the 4 KiB page
    // (asserted above).
    unsafe { core::ptr::copy_nonoverlapping(bytes.as_ptr(), dst, bytes.len()) };
    frame.x86_page_unmap().map_err(kernel("scratch unmap"))
}

/// Copies the contents of `frame` (which may be mapped elsewhere: a
/// read-only copy of the capability is mapped) into `out`. For checks that
/// memory holds what a component says it does.
pub fn read_frame(objs: &mut Objects, frame: Cap<kind::Page>, out: &mut [u8; PAGE as usize]) -> Result<(), ObjError> {
    let slot = objs.root.alloc_slot()?;
    let copy = Cap::<kind::Page>::from_cptr(slot);
    let result = ROOT_CNODE
        .cnode_copy(slot, WORD_BITS as u64, root_slot(frame.cptr()), CapRights::READ)
        .map_err(kernel("copy frame capability"))
        .and_then(|()| objs.map_frame(Source::Root, ROOT_VSPACE, copy, SCRATCH, CapRights::READ))
        .map(|()| {
            // SAFETY: the frame's copy was just mapped (read-only) at
            // SCRATCH, which nothing else uses, and `out` is one page long.
            unsafe { core::ptr::copy_nonoverlapping(SCRATCH as *const u8, out.as_mut_ptr(), out.len()) };
        });
    let _ = copy.x86_page_unmap();
    let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
    objs.root.free_slot(slot);
    result
}

/// Loads and starts an instance in `container` (made by the caller, who
/// may already have lent some of it to servers). On error the container
/// comes back with the error, for the caller to end its loans and destroy.
#[allow(clippy::result_large_err)] // the container goes back by value, once per launch
pub fn load(
    objs: &mut Objects,
    spec: &LaunchSpec<'_>,
    mut container: Container,
) -> Result<Loaded, (LoadError, Container)> {
    let plan = match LoadPlan::from_elf(spec.image) {
        Ok(p) => p,
        Err(e) => return Err((LoadError::Image(e), container)),
    };
    for &(vaddr, bytes) in spec.patches {
        let end = vaddr.saturating_add(bytes.len() as u64);
        if !plan
            .segments()
            .iter()
            .any(|s| vaddr >= s.vaddr && end <= s.vaddr + s.mem_size)
        {
            return Err((LoadError::PatchOutsideImage { vaddr }, container));
        }
    }
    match build(objs, spec, &plan, &mut container) {
        Ok((tcb, notification, vspace, cnode, text)) => Ok(Loaded {
            tcb,
            notification,
            vspace,
            cnode,
            cnode_bits: spec.cnode_bits,
            container,
            text,
        }),
        Err(e) => Err((e.into(), container)),
    }
}

type Built = (
    Cap<kind::Tcb>,
    Cap<kind::Notification>,
    Cap<kind::Pml4>,
    Cap<kind::CNode>,
    (u64, u64),
);

fn build(objs: &mut Objects, spec: &LaunchSpec<'_>, plan: &LoadPlan, c: &mut Container) -> Result<Built, ObjError> {
    let cnode: Cap<kind::CNode> = objs.make(
        Source::Container(c),
        object_type::CAP_TABLE,
        spec.cnode_bits,
        spec.cnode_bits as u32 + size_bits::SLOT,
    )?;
    let vspace: Cap<kind::Pml4> = objs.make(Source::Container(c), object_type::X64_PML4, 0, size_bits::PML4)?;
    Cap::<kind::AsidPool>::from_cptr(init_cap::ASID_POOL)
        .x86_asid_pool_assign(vspace)
        .map_err(kernel("ASID pool assign"))?;

    let mut text = (u64::MAX, 0);
    for seg in plan.segments() {
        if seg.perms.execute {
            text = (text.0.min(seg.vaddr), text.1.max(seg.vaddr + seg.mem_size));
        }
        for page in seg.pages() {
            let frame = objs.frame(Source::Container(c))?;
            let (from, to) = page.file_range;
            let patched = spec
                .patches
                .iter()
                .any(|&(v, b)| v < page.vaddr + PAGE && v + b.len() as u64 > page.vaddr);
            if patched {
                // The page as the file has it, then the patches over it.
                let mut buf = [0u8; PAGE as usize];
                let at = page.offset_in_page as usize;
                buf[at..at + (to - from) as usize].copy_from_slice(&spec.image[from as usize..to as usize]);
                for &(v, b) in spec.patches {
                    for (i, byte) in b.iter().enumerate() {
                        let a = v + i as u64;
                        if (page.vaddr..page.vaddr + PAGE).contains(&a) {
                            buf[(a - page.vaddr) as usize] = *byte;
                        }
                    }
                }
                fill_frame(objs, frame, 0, &buf)?;
            } else if to > from {
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
            objs.map_frame(Source::Container(c), vspace, frame, page.vaddr, rights)?;
        }
    }

    // Stack pages below STACK_TOP; the page under them stays unmapped.
    for i in 1..=abi::STACK_PAGES {
        let frame = objs.frame(Source::Container(c))?;
        objs.map_frame(
            Source::Container(c),
            vspace,
            frame,
            abi::STACK_TOP - i * PAGE,
            CapRights::READ_WRITE,
        )?;
    }
    let ipc_frame = objs.frame(Source::Container(c))?;
    objs.map_frame(
        Source::Container(c),
        vspace,
        ipc_frame,
        abi::IPC_BUFFER,
        CapRights::READ_WRITE,
    )?;

    // Heap pages mapped before the start (the manifest's heap_kib).
    for i in 0..spec.boot.heap_pages {
        let frame = objs.frame(Source::Container(c))?;
        objs.map_frame(
            Source::Container(c),
            vspace,
            frame,
            abi::HEAP_BASE + i * PAGE,
            CapRights::READ_WRITE,
        )?;
    }

    let boot_frame = objs.frame(Source::Container(c))?;
    let mut page = [0u8; 4096];
    if !boot_page::write(&mut page, &spec.boot, spec.state) {
        return Err(ObjError::Kernel("boot page", kernel_iface::Sel4Error::RangeError));
    }
    fill_frame(objs, boot_frame, 0, &page)?;
    objs.map_frame(
        Source::Container(c),
        vspace,
        boot_frame,
        abi::BOOT_PAGE,
        CapRights::READ,
    )?;

    // Shared regions: a copy of each frame capability, owned by the
    // container, is what gets mapped (a capability maps one place only).
    for m in spec.maps {
        let copy = objs.copy_into(c, m.frame.cptr())?;
        objs.map_frame(Source::Container(c), vspace, Cap::from_cptr(copy), m.vaddr, m.rights)?;
    }

    // The CSpace.
    let depth = spec.cnode_bits;
    let badge = cap::badge(INSTANCE_BADGE | spec.instance)
        .ok_or(ObjError::Kernel("badge", kernel_iface::Sel4Error::RangeError))?;
    cnode
        .cnode_mint(
            abi::SLOT_SUPERVISOR_EP,
            depth,
            root_slot(spec.supervisor_ep.cptr()),
            CapRights::ALL,
            badge,
        )
        .map_err(kernel("mint supervisor endpoint"))?;
    cnode
        .cnode_copy(abi::SLOT_OWN_CNODE, depth, root_slot(cnode.cptr()), CapRights::ALL)
        .map_err(kernel("copy own CNode"))?;
    let ntfn = match spec.notification {
        Some(n) => n,
        None => objs.notification(Source::Container(c))?,
    };
    cnode
        .cnode_copy(abi::SLOT_NOTIFICATION, depth, root_slot(ntfn.cptr()), CapRights::ALL)
        .map_err(kernel("copy notification"))?;
    if let Some(ep) = spec.service_ep {
        cnode
            .cnode_copy(abi::SLOT_SERVICE_EP, depth, root_slot(ep.cptr()), CapRights::ALL)
            .map_err(kernel("copy service endpoint"))?;
    }
    for &(slot, src, badge) in spec.extra_caps {
        // Badge 0 is a plain copy (minting a CNode capability would set
        // its guard).
        if badge == 0 {
            cnode
                .cnode_copy(slot, depth, root_slot(src), CapRights::ALL)
                .map_err(kernel("copy extra capability"))?;
        } else {
            cnode
                .cnode_mint(slot, depth, root_slot(src), CapRights::ALL, badge)
                .map_err(kernel("mint extra capability"))?;
        }
    }

    let tcb: Cap<kind::Tcb> = objs.make(Source::Container(c), object_type::TCB, 0, size_bits::TCB)?;
    let guard = cap::cnode_guard(0, kernel_iface::abi::WORD_BITS as u64 - spec.cnode_bits);
    tcb.tcb_configure(
        abi::SLOT_SUPERVISOR_EP,
        0,
        spec.priority,
        cnode,
        guard,
        vspace,
        abi::IPC_BUFFER,
        ipc_frame,
    )
    .map_err(kernel("TCB configure"))?;
    tcb.tcb_bind_notification(ntfn).map_err(kernel("bind notification"))?;
    let ctx = UserContext {
        rip: plan.entry,
        rsp: abi::STACK_TOP,
        rdi: abi::IPC_BUFFER,
        rsi: spec.boot.id,
        ..Default::default()
    };
    let move_back = |n: usize| {
        for &(slot, src) in &spec.moved_caps[..n] {
            let _ = ROOT_CNODE.cnode_move(
                src,
                WORD_BITS as u64,
                SlotRef {
                    root: cnode,
                    index: slot,
                    depth,
                },
            );
        }
    };
    for (i, &(slot, src)) in spec.moved_caps.iter().enumerate() {
        if let Err(e) = cnode.cnode_move(slot, depth, root_slot(src)) {
            move_back(i);
            return Err(ObjError::Kernel("move capability", e));
        }
    }
    if let Err(e) = tcb.tcb_write_registers(true, ctx) {
        move_back(spec.moved_caps.len());
        return Err(ObjError::Kernel("TCB write registers", e));
    }
    Ok((tcb, ntfn, vspace, cnode, text))
}
