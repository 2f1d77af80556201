//! Typed capabilities and the invocations on them.
//!
//! A [`Cap<T>`] is a capability pointer (CPtr) into the caller's CSpace,
//! tagged with the kind of object `T` it names. Invocations are methods named
//! after the seL4 call they make, so a call on the wrong kind of object does
//! not compile. Each returns `Result<_, Sel4Error>`; the kernel's refusal is
//! never hidden.
//!
//! Argument order on the wire (checked against the kernel's XML): words that
//! are not capabilities are packed in declaration order (small integers in a
//! word of their own unless two fit), capabilities travel as extra caps.

use core::marker::PhantomData;

use crate::abi::{label, MSG_REGISTERS_IN_CPU};
use crate::error::{Result, Sel4Error};
use crate::ipc_buffer;
use crate::msginfo::MessageInfo;
use crate::syscall::{self, Mrs, Received};

/// A capability pointer: an address in a CSpace.
pub type CPtr = u64;

/// Kinds of kernel object a capability can name.
pub mod kind {
    macro_rules! kinds {
        ($($(#[$m:meta])* $name:ident),* $(,)?) => {
            $( $(#[$m])* #[derive(Clone, Copy, Debug, PartialEq, Eq)] pub enum $name {} )*
        };
    }
    kinds! {
        /// Untyped memory, from which every other object is retyped.
        Untyped,
        /// A thread control block.
        Tcb,
        /// A synchronous IPC endpoint.
        Endpoint,
        /// An asynchronous notification word.
        Notification,
        /// A CNode: a table of capability slots.
        CNode,
        /// The top of an x86_64 address space (PML4), also called the VSpace.
        Pml4,
        /// A page-directory-pointer table (1 GiB per entry... of 512 GiB).
        Pdpt,
        /// A page directory (2 MiB per entry).
        PageDirectory,
        /// A page table (4 KiB per entry).
        PageTable,
        /// A 4 KiB frame.
        Page,
        /// The IRQ controller.
        IrqControl,
        /// The handler of one interrupt line.
        IrqHandler,
        /// The ASID controller.
        AsidControl,
        /// A pool of address-space identifiers.
        AsidPool,
        /// A range of x86 I/O ports.
        IoPort,
        /// A capability whose type is not known statically.
        Unknown,
    }
}

/// A capability to an object of kind `T`.
pub struct Cap<T> {
    cptr: CPtr,
    _kind: PhantomData<T>,
}

impl<T> Clone for Cap<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for Cap<T> {}
impl<T> PartialEq for Cap<T> {
    fn eq(&self, other: &Self) -> bool {
        self.cptr == other.cptr
    }
}
impl<T> Eq for Cap<T> {}
impl<T> core::fmt::Debug for Cap<T> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let full = core::any::type_name::<T>();
        let short = full.rsplit("::").next().unwrap_or(full);
        write!(f, "Cap<{short}>({:#x})", self.cptr)
    }
}

impl<T> Cap<T> {
    /// Names the capability at `cptr` as a `T`. Naming it wrongly is not
    /// unsafe: the kernel checks every invocation and answers
    /// `InvalidCapability` or `IllegalOperation`.
    pub const fn from_cptr(cptr: CPtr) -> Self {
        Cap {
            cptr,
            _kind: PhantomData,
        }
    }
    /// The raw capability pointer.
    pub const fn cptr(self) -> CPtr {
        self.cptr
    }
    /// Forgets the static type.
    pub const fn erase(self) -> Cap<kind::Unknown> {
        Cap::from_cptr(self.cptr)
    }
    /// Re-types a capability whose type the caller knows from elsewhere.
    pub const fn cast<U>(self) -> Cap<U> {
        Cap::from_cptr(self.cptr)
    }
}

/// Access rights of a capability or a mapping (`seL4_CapRights`, 5.0.0:
/// bit 0 write, bit 1 read, bit 2 grant).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapRights(pub u64);

impl CapRights {
    pub const NONE: CapRights = CapRights(0);
    pub const WRITE: CapRights = CapRights(1);
    pub const READ: CapRights = CapRights(2);
    pub const GRANT: CapRights = CapRights(4);
    pub const READ_WRITE: CapRights = CapRights(3);
    pub const ALL: CapRights = CapRights(7);
}

/// x86 memory attributes for mappings (`seL4_X86_VMAttributes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmAttributes(pub u64);

impl VmAttributes {
    /// Write-back caching: ordinary RAM.
    pub const DEFAULT: VmAttributes = VmAttributes(0);
    /// Uncached: device registers.
    pub const CACHE_DISABLED: VmAttributes = VmAttributes(2);
}

/// Cap data that sets a CNode's guard (`seL4_CapData` Guard form, 5.0.0
/// 64-bit: tag bit 31, guard bits 8..26, guard size 2..8).
pub const fn cnode_guard(guard: u64, guard_size: u64) -> u64 {
    (1 << 31) | ((guard & 0x3ffff) << 8) | ((guard_size & 0x3f) << 2)
}

/// Cap data that sets an endpoint or notification badge (`Badge` form:
/// 28 bits). Returns `None` if the badge does not fit.
pub const fn badge(value: u64) -> Option<u64> {
    if value >> crate::abi::BADGE_BITS != 0 {
        None
    } else {
        Some(value)
    }
}

/// Sends an invocation and decodes the reply: a non-zero reply label is the
/// kernel's error code.
fn invoke(cap: CPtr, label: u64, args: &[u64], caps: &[CPtr]) -> Result<Received> {
    debug_assert!(args.len() <= crate::abi::MSG_MAX_LENGTH);
    let mut mrs: Mrs = [0; 4];
    for (i, &a) in args.iter().enumerate() {
        if i < MSG_REGISTERS_IN_CPU {
            mrs[i] = a;
        } else {
            ipc_buffer::set_mr(i, a);
        }
    }
    for (i, &c) in caps.iter().enumerate() {
        ipc_buffer::set_cap(i, c);
    }
    let info = MessageInfo::new(label, 0, caps.len() as u64, args.len() as u64);
    let r = syscall::call(cap, info, mrs);
    match Sel4Error::from_code(r.info.label()) {
        None => Ok(r),
        Some(e) => Err(e),
    }
}

fn invoke_unit(cap: CPtr, label: u64, args: &[u64], caps: &[CPtr]) -> Result<()> {
    invoke(cap, label, args, caps).map(|_| ())
}

/// Sends an invocation of at most four words and no caps without waiting
/// for the kernel's reply: `seL4_Send` instead of `seL4_Call`. Still one
/// kernel entry, but the kernel neither tries its IPC fastpath first nor
/// builds a reply; an error goes unreported. For invocations whose result
/// the caller would ignore anyway (an I/O port write, an IRQ
/// acknowledgement on a device's hot path).
fn invoke_no_reply(cap: CPtr, label: u64, args: &[u64]) {
    debug_assert!(args.len() <= MSG_REGISTERS_IN_CPU);
    let mut mrs: Mrs = [0; 4];
    for (m, &a) in mrs.iter_mut().zip(args) {
        *m = a;
    }
    let len = args.len().min(MSG_REGISTERS_IN_CPU) as u64;
    syscall::send(cap, MessageInfo::new(label, 0, 0, len), mrs);
}

/// Where a CNode invocation's slot is: a CNode, an index in it, and the
/// number of bits of the index to resolve.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotRef {
    pub root: Cap<kind::CNode>,
    pub index: u64,
    pub depth: u64,
}

impl Cap<kind::Untyped> {
    /// `seL4_Untyped_Retype`: makes `num` objects of `obj_type` (and
    /// `size_bits` for variable-sized types) into consecutive slots of the
    /// CNode found at `node_index`/`node_depth` under `root`, starting at
    /// `node_offset`.
    #[allow(clippy::too_many_arguments)]
    pub fn untyped_retype(
        self,
        obj_type: u64,
        size_bits: u64,
        root: Cap<kind::CNode>,
        node_index: u64,
        node_depth: u64,
        node_offset: u64,
        num: u64,
    ) -> Result<()> {
        invoke_unit(
            self.cptr,
            label::UNTYPED_RETYPE,
            &[obj_type, size_bits, node_index, node_depth, node_offset, num],
            &[root.cptr],
        )
    }
}

impl Cap<kind::CNode> {
    /// `seL4_CNode_Copy` into `(self, dest_index, dest_depth)`.
    pub fn cnode_copy(self, dest_index: u64, dest_depth: u64, src: SlotRef, rights: CapRights) -> Result<()> {
        invoke_unit(
            self.cptr,
            label::CNODE_COPY,
            &[dest_index, dest_depth, src.index, src.depth, rights.0],
            &[src.root.cptr],
        )
    }
    /// `seL4_CNode_Mint`: copy with reduced rights and a badge (or guard) set.
    pub fn cnode_mint(
        self,
        dest_index: u64,
        dest_depth: u64,
        src: SlotRef,
        rights: CapRights,
        data: u64,
    ) -> Result<()> {
        invoke_unit(
            self.cptr,
            label::CNODE_MINT,
            &[dest_index, dest_depth, src.index, src.depth, rights.0, data],
            &[src.root.cptr],
        )
    }
    /// `seL4_CNode_Move`.
    pub fn cnode_move(self, dest_index: u64, dest_depth: u64, src: SlotRef) -> Result<()> {
        invoke_unit(
            self.cptr,
            label::CNODE_MOVE,
            &[dest_index, dest_depth, src.index, src.depth],
            &[src.root.cptr],
        )
    }
    /// `seL4_CNode_Mutate`: move and set the badge or guard.
    pub fn cnode_mutate(self, dest_index: u64, dest_depth: u64, src: SlotRef, data: u64) -> Result<()> {
        invoke_unit(
            self.cptr,
            label::CNODE_MUTATE,
            &[dest_index, dest_depth, src.index, src.depth, data],
            &[src.root.cptr],
        )
    }
    /// `seL4_CNode_Delete`.
    pub fn cnode_delete(self, index: u64, depth: u64) -> Result<()> {
        invoke_unit(self.cptr, label::CNODE_DELETE, &[index, depth], &[])
    }
    /// `seL4_CNode_Revoke`: delete every capability derived from the one in the slot.
    pub fn cnode_revoke(self, index: u64, depth: u64) -> Result<()> {
        invoke_unit(self.cptr, label::CNODE_REVOKE, &[index, depth], &[])
    }
    /// `seL4_CNode_SaveCaller`: move the pending reply capability into a slot.
    pub fn cnode_save_caller(self, index: u64, depth: u64) -> Result<()> {
        invoke_unit(self.cptr, label::CNODE_SAVE_CALLER, &[index, depth], &[])
    }
}

/// Registers of a thread in `seL4_UserContext` order (x86_64), the prefix
/// Pride uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserContext {
    pub rip: u64,
    pub rsp: u64,
    pub rflags: u64,
    pub rax: u64,
    pub rbx: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
}

impl UserContext {
    const WORDS: usize = 9;
    fn to_words(self) -> [u64; Self::WORDS] {
        [
            self.rip,
            self.rsp,
            self.rflags,
            self.rax,
            self.rbx,
            self.rcx,
            self.rdx,
            self.rsi,
            self.rdi,
        ]
    }
}

impl Cap<kind::Tcb> {
    /// `seL4_TCB_Configure`. `fault_ep` is a CPtr in the *configured
    /// thread's* CSpace (non-MCS kernels look it up when a fault happens).
    #[allow(clippy::too_many_arguments)]
    pub fn tcb_configure(
        self,
        fault_ep: CPtr,
        mcp: u8,
        priority: u8,
        cspace_root: Cap<kind::CNode>,
        cspace_root_data: u64,
        vspace_root: Cap<kind::Pml4>,
        ipc_buffer_addr: u64,
        ipc_buffer_frame: Cap<kind::Page>,
    ) -> Result<()> {
        let prio = ((mcp as u64) << 8) | priority as u64;
        invoke_unit(
            self.cptr,
            label::TCB_CONFIGURE,
            &[fault_ep, prio, cspace_root_data, 0, ipc_buffer_addr],
            &[cspace_root.cptr, vspace_root.cptr, ipc_buffer_frame.cptr],
        )
    }
    /// `seL4_TCB_SetPriority`.
    pub fn tcb_set_priority(self, priority: u8) -> Result<()> {
        invoke_unit(self.cptr, label::TCB_SET_PRIORITY, &[priority as u64], &[])
    }
    /// `seL4_TCB_WriteRegisters` with the registers in `ctx`.
    pub fn tcb_write_registers(self, resume: bool, ctx: UserContext) -> Result<()> {
        let w = ctx.to_words();
        let mut args = [0u64; 2 + UserContext::WORDS];
        args[0] = resume as u64;
        args[1] = UserContext::WORDS as u64;
        args[2..].copy_from_slice(&w);
        invoke_unit(self.cptr, label::TCB_WRITE_REGISTERS, &args, &[])
    }
    /// `seL4_TCB_ReadRegisters`: the first registers of the thread's context.
    pub fn tcb_read_registers(self, suspend: bool) -> Result<UserContext> {
        let r = invoke(
            self.cptr,
            label::TCB_READ_REGISTERS,
            &[suspend as u64, UserContext::WORDS as u64],
            &[],
        )?;
        let w = |i: usize| {
            if i < 4 {
                r.mrs[i]
            } else {
                ipc_buffer::get_mr(i)
            }
        };
        Ok(UserContext {
            rip: w(0),
            rsp: w(1),
            rflags: w(2),
            rax: w(3),
            rbx: w(4),
            rcx: w(5),
            rdx: w(6),
            rsi: w(7),
            rdi: w(8),
        })
    }
    /// `seL4_TCB_Resume`.
    pub fn tcb_resume(self) -> Result<()> {
        invoke_unit(self.cptr, label::TCB_RESUME, &[], &[])
    }
    /// `seL4_TCB_Suspend`.
    pub fn tcb_suspend(self) -> Result<()> {
        invoke_unit(self.cptr, label::TCB_SUSPEND, &[], &[])
    }
    /// `seL4_TCB_BindNotification`: signals on `ntfn` also wake `Recv` on any endpoint.
    pub fn tcb_bind_notification(self, ntfn: Cap<kind::Notification>) -> Result<()> {
        invoke_unit(self.cptr, label::TCB_BIND_NOTIFICATION, &[], &[ntfn.cptr])
    }
    /// `seL4_TCB_UnbindNotification`.
    pub fn tcb_unbind_notification(self) -> Result<()> {
        invoke_unit(self.cptr, label::TCB_UNBIND_NOTIFICATION, &[], &[])
    }
}

macro_rules! paging_structure {
    ($kind:ident, $map:ident, $map_label:ident, $unmap:ident, $unmap_label:ident, $doc:literal) => {
        impl Cap<kind::$kind> {
            #[doc = concat!("`seL4_X86_", $doc, "_Map`: installs this structure in `vspace` to cover `vaddr`.")]
            pub fn $map(self, vspace: Cap<kind::Pml4>, vaddr: u64, attr: VmAttributes) -> Result<()> {
                invoke_unit(self.cptr, label::$map_label, &[vaddr, attr.0], &[vspace.cptr])
            }
            #[doc = concat!("`seL4_X86_", $doc, "_Unmap`.")]
            pub fn $unmap(self) -> Result<()> {
                invoke_unit(self.cptr, label::$unmap_label, &[], &[])
            }
        }
    };
}
paging_structure!(Pdpt, x86_pdpt_map, X86_PDPT_MAP, x86_pdpt_unmap, X86_PDPT_UNMAP, "PDPT");
paging_structure!(
    PageDirectory,
    x86_page_directory_map,
    X86_PAGE_DIRECTORY_MAP,
    x86_page_directory_unmap,
    X86_PAGE_DIRECTORY_UNMAP,
    "PageDirectory"
);
paging_structure!(
    PageTable,
    x86_page_table_map,
    X86_PAGE_TABLE_MAP,
    x86_page_table_unmap,
    X86_PAGE_TABLE_UNMAP,
    "PageTable"
);

impl Cap<kind::Page> {
    /// `seL4_X86_Page_Map`. A frame capability maps at one place at a time.
    pub fn x86_page_map(
        self,
        vspace: Cap<kind::Pml4>,
        vaddr: u64,
        rights: CapRights,
        attr: VmAttributes,
    ) -> Result<()> {
        invoke_unit(
            self.cptr,
            label::X86_PAGE_MAP,
            &[vaddr, rights.0, attr.0],
            &[vspace.cptr],
        )
    }
    /// `seL4_X86_Page_Unmap`.
    pub fn x86_page_unmap(self) -> Result<()> {
        invoke_unit(self.cptr, label::X86_PAGE_UNMAP, &[], &[])
    }
    /// `seL4_X86_Page_GetAddress`: the frame's physical address.
    pub fn x86_page_get_address(self) -> Result<u64> {
        invoke(self.cptr, label::X86_PAGE_GET_ADDRESS, &[], &[]).map(|r| r.mrs[0])
    }
}

impl Cap<kind::AsidPool> {
    /// `seL4_X86_ASIDPool_Assign`: gives `vspace` an address-space id.
    pub fn x86_asid_pool_assign(self, vspace: Cap<kind::Pml4>) -> Result<()> {
        invoke_unit(self.cptr, label::X86_ASID_POOL_ASSIGN, &[], &[vspace.cptr])
    }
}

impl Cap<kind::IoPort> {
    /// `seL4_X86_IOPort_In8`.
    pub fn x86_ioport_in8(self, port: u16) -> Result<u8> {
        invoke(self.cptr, label::X86_IO_PORT_IN8, &[port as u64], &[]).map(|r| r.mrs[0] as u8)
    }
    /// `seL4_X86_IOPort_In16`.
    pub fn x86_ioport_in16(self, port: u16) -> Result<u16> {
        invoke(self.cptr, label::X86_IO_PORT_IN16, &[port as u64], &[]).map(|r| r.mrs[0] as u16)
    }
    /// `seL4_X86_IOPort_In32`.
    pub fn x86_ioport_in32(self, port: u16) -> Result<u32> {
        invoke(self.cptr, label::X86_IO_PORT_IN32, &[port as u64], &[]).map(|r| r.mrs[0] as u32)
    }
    /// `seL4_X86_IOPort_Out8`.
    pub fn x86_ioport_out8(self, port: u16, value: u8) -> Result<()> {
        invoke_unit(self.cptr, label::X86_IO_PORT_OUT8, &[port as u64, value as u64], &[])
    }
    /// `seL4_X86_IOPort_Out16`.
    pub fn x86_ioport_out16(self, port: u16, value: u16) -> Result<()> {
        invoke_unit(self.cptr, label::X86_IO_PORT_OUT16, &[port as u64, value as u64], &[])
    }
    /// `seL4_X86_IOPort_Out32`.
    pub fn x86_ioport_out32(self, port: u16, value: u32) -> Result<()> {
        invoke_unit(self.cptr, label::X86_IO_PORT_OUT32, &[port as u64, value as u64], &[])
    }
    /// `seL4_X86_IOPort_Out8` without waiting for the kernel's reply (an
    /// error, such as a port outside the cap's range, goes unreported).
    pub fn x86_ioport_out8_no_reply(self, port: u16, value: u8) {
        invoke_no_reply(self.cptr, label::X86_IO_PORT_OUT8, &[port as u64, value as u64])
    }
    /// `seL4_X86_IOPort_Out16` likewise.
    pub fn x86_ioport_out16_no_reply(self, port: u16, value: u16) {
        invoke_no_reply(self.cptr, label::X86_IO_PORT_OUT16, &[port as u64, value as u64])
    }
    /// `seL4_X86_IOPort_Out32` likewise.
    pub fn x86_ioport_out32_no_reply(self, port: u16, value: u32) {
        invoke_no_reply(self.cptr, label::X86_IO_PORT_OUT32, &[port as u64, value as u64])
    }
}

/// Electrical description of an IOAPIC interrupt line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoapicLine {
    pub ioapic: u64,
    pub pin: u64,
    /// true: level-triggered; false: edge-triggered.
    pub level: bool,
    /// true: active low; false: active high.
    pub active_low: bool,
}

impl Cap<kind::IrqControl> {
    /// `seL4_IRQControl_GetIOAPIC`: makes a handler for `line`, delivered as
    /// kernel IRQ number `irq`, into `dest`.
    pub fn irq_control_get_ioapic(self, dest: SlotRef, line: IoapicLine, irq: u64) -> Result<()> {
        invoke_unit(
            self.cptr,
            label::X86_IRQ_ISSUE_IRQ_HANDLER_IOAPIC,
            &[
                dest.index,
                dest.depth,
                line.ioapic,
                line.pin,
                line.level as u64,
                line.active_low as u64,
                irq,
            ],
            &[dest.root.cptr],
        )
    }
}

impl Cap<kind::IrqHandler> {
    /// `seL4_IRQHandler_Ack`: allows the next interrupt on this line.
    pub fn irq_handler_ack(self) -> Result<()> {
        invoke_unit(self.cptr, label::IRQ_ACK_IRQ, &[], &[])
    }
    /// `seL4_IRQHandler_Ack` without waiting for the kernel's reply (an
    /// error goes unreported).
    pub fn irq_handler_ack_no_reply(self) {
        invoke_no_reply(self.cptr, label::IRQ_ACK_IRQ, &[])
    }
    /// `seL4_IRQHandler_SetNotification`: interrupts signal `ntfn` (with its badge).
    pub fn irq_handler_set_notification(self, ntfn: Cap<kind::Notification>) -> Result<()> {
        invoke_unit(self.cptr, label::IRQ_SET_IRQ_HANDLER, &[], &[ntfn.cptr])
    }
    /// `seL4_IRQHandler_Clear`.
    pub fn irq_handler_clear(self) -> Result<()> {
        invoke_unit(self.cptr, label::IRQ_CLEAR_IRQ_HANDLER, &[], &[])
    }
}

impl Cap<kind::Endpoint> {
    /// `seL4_Call` on this endpoint.
    pub fn call(self, info: MessageInfo, mrs: Mrs) -> Received {
        syscall::call(self.cptr, info, mrs)
    }
    /// `seL4_Call` that also transfers up to three capabilities (`caps`, CPtrs
    /// in the caller's CSpace). The receiver gets them in the slot it named
    /// with [`ipc_buffer::set_receive_path`], or as badges if they are
    /// endpoint caps to its own endpoint. `info`'s extra-caps count is set
    /// from `caps`. The endpoint cap needs the Grant right.
    pub fn call_with_caps(self, info: MessageInfo, mrs: Mrs, caps: &[CPtr]) -> Received {
        assert!(
            caps.len() <= crate::abi::MSG_MAX_EXTRA_CAPS,
            "at most 3 caps travel with a message"
        );
        for (i, &c) in caps.iter().enumerate() {
            ipc_buffer::set_cap(i, c);
        }
        let info = MessageInfo::new(info.label(), 0, caps.len() as u64, info.length());
        syscall::call(self.cptr, info, mrs)
    }
    /// `seL4_Send` on this endpoint.
    pub fn send(self, info: MessageInfo, mrs: Mrs) {
        syscall::send(self.cptr, info, mrs)
    }
    /// `seL4_Recv` on this endpoint.
    pub fn recv(self) -> Received {
        syscall::recv(self.cptr)
    }
    /// `seL4_ReplyRecv`: reply to the caller, then wait on this endpoint.
    pub fn reply_recv(self, info: MessageInfo, mrs: Mrs) -> Received {
        syscall::reply_recv(self.cptr, info, mrs)
    }
}

impl Cap<kind::Notification> {
    /// `seL4_Signal`.
    pub fn signal(self) {
        syscall::send(self.cptr, MessageInfo::default(), [0; 4])
    }
    /// `seL4_Wait`: blocks until signalled; returns the accumulated word.
    pub fn wait(self) -> u64 {
        syscall::recv(self.cptr).badge
    }
    /// `seL4_Poll`: the accumulated word, 0 if none.
    pub fn poll(self) -> u64 {
        syscall::nb_recv(self.cptr).badge
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::format;

    #[test]
    fn guard_data_layout() {
        // Guard size 52 for a 4096-slot root CNode: tag bit 31 and 52 << 2.
        assert_eq!(cnode_guard(0, 52), 0x8000_0000 | (52 << 2));
        assert_eq!(cnode_guard(1, 0), 0x8000_0000 | (1 << 8));
    }

    #[test]
    fn badges_beyond_28_bits_are_refused() {
        assert_eq!(badge((1 << 28) - 1), Some((1 << 28) - 1));
        assert_eq!(badge(1 << 28), None);
    }

    #[test]
    fn debug_names_the_kind() {
        let c: Cap<kind::Tcb> = Cap::from_cptr(0x10);
        assert_eq!(format!("{c:?}"), "Cap<Tcb>(0x10)");
    }
}
