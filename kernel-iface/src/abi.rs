//! Numeric constants of the seL4 5.0.0 ABI for Pride's kernel configuration
//! (x86_64, pc99, `CONFIG_HUGE_PAGE`, one node, no VTX, no IOMMU, no
//! hardware debug API).
//!
//! These are written out by hand so that the binding reads plainly, and the
//! test `tests/abi_crosscheck.rs` recomputes every one of them from the
//! kernel's own XML interface files and headers in the build tool's private
//! copy of the kernel source. Change a value here and that test fails.

/// System call numbers (`include/api/syscall.xml`, numbered -1, -2, ...).
pub mod syscall {
    pub const CALL: i64 = -1;
    pub const REPLY_RECV: i64 = -2;
    pub const SEND: i64 = -3;
    pub const NB_SEND: i64 = -4;
    pub const RECV: i64 = -5;
    pub const REPLY: i64 = -6;
    pub const YIELD: i64 = -7;
    pub const NB_RECV: i64 = -8;
    pub const DEBUG_PUT_CHAR: i64 = -9;
    pub const DEBUG_HALT: i64 = -10;
    pub const DEBUG_CAP_IDENTIFY: i64 = -11;
    pub const DEBUG_SNAPSHOT: i64 = -12;
    pub const DEBUG_NAME_THREAD: i64 = -13;
}

/// Invocation labels: one running enumeration over the generic, the
/// x86_64 and the x86 interface files, skipping methods whose condition is
/// false in this configuration.
pub mod label {
    pub const UNTYPED_RETYPE: u64 = 1;
    pub const TCB_READ_REGISTERS: u64 = 2;
    pub const TCB_WRITE_REGISTERS: u64 = 3;
    pub const TCB_COPY_REGISTERS: u64 = 4;
    pub const TCB_CONFIGURE: u64 = 5;
    pub const TCB_SET_PRIORITY: u64 = 6;
    pub const TCB_SET_MC_PRIORITY: u64 = 7;
    pub const TCB_SET_IPC_BUFFER: u64 = 8;
    pub const TCB_SET_SPACE: u64 = 9;
    pub const TCB_SUSPEND: u64 = 10;
    pub const TCB_RESUME: u64 = 11;
    pub const TCB_BIND_NOTIFICATION: u64 = 12;
    pub const TCB_UNBIND_NOTIFICATION: u64 = 13;
    pub const CNODE_REVOKE: u64 = 14;
    pub const CNODE_DELETE: u64 = 15;
    pub const CNODE_CANCEL_BADGED_SENDS: u64 = 16;
    pub const CNODE_COPY: u64 = 17;
    pub const CNODE_MINT: u64 = 18;
    pub const CNODE_MOVE: u64 = 19;
    pub const CNODE_MUTATE: u64 = 20;
    pub const CNODE_ROTATE: u64 = 21;
    pub const CNODE_SAVE_CALLER: u64 = 22;
    pub const IRQ_ISSUE_IRQ_HANDLER: u64 = 23;
    pub const IRQ_ACK_IRQ: u64 = 24;
    pub const IRQ_SET_IRQ_HANDLER: u64 = 25;
    pub const IRQ_CLEAR_IRQ_HANDLER: u64 = 26;
    pub const DOMAIN_SET_SET: u64 = 27;
    pub const X86_PDPT_MAP: u64 = 28;
    pub const X86_PDPT_UNMAP: u64 = 29;
    pub const X86_PAGE_DIRECTORY_MAP: u64 = 30;
    pub const X86_PAGE_DIRECTORY_UNMAP: u64 = 31;
    pub const X86_PAGE_DIRECTORY_GET_STATUS_BITS: u64 = 32;
    pub const X86_PAGE_TABLE_MAP: u64 = 33;
    pub const X86_PAGE_TABLE_UNMAP: u64 = 34;
    pub const X86_IO_PAGE_TABLE_MAP: u64 = 35;
    pub const X86_IO_PAGE_TABLE_UNMAP: u64 = 36;
    pub const X86_PAGE_MAP: u64 = 37;
    pub const X86_PAGE_REMAP: u64 = 38;
    pub const X86_PAGE_UNMAP: u64 = 39;
    pub const X86_PAGE_MAP_IO: u64 = 40;
    pub const X86_PAGE_GET_ADDRESS: u64 = 41;
    pub const X86_ASID_CONTROL_MAKE_POOL: u64 = 42;
    pub const X86_ASID_POOL_ASSIGN: u64 = 43;
    pub const X86_IO_PORT_IN8: u64 = 44;
    pub const X86_IO_PORT_IN16: u64 = 45;
    pub const X86_IO_PORT_IN32: u64 = 46;
    pub const X86_IO_PORT_OUT8: u64 = 47;
    pub const X86_IO_PORT_OUT16: u64 = 48;
    pub const X86_IO_PORT_OUT32: u64 = 49;
    pub const X86_IRQ_ISSUE_IRQ_HANDLER_IOAPIC: u64 = 50;
    pub const X86_IRQ_ISSUE_IRQ_HANDLER_MSI: u64 = 51;
}

/// Object types for `Untyped::retype` (generic, then x86_64, then x86).
pub mod object_type {
    pub const UNTYPED: u64 = 0;
    pub const TCB: u64 = 1;
    pub const ENDPOINT: u64 = 2;
    pub const NOTIFICATION: u64 = 3;
    pub const CAP_TABLE: u64 = 4;
    pub const X86_PDPT: u64 = 5;
    pub const X64_PML4: u64 = 6;
    pub const X64_HUGE_PAGE: u64 = 7;
    pub const X86_4K: u64 = 8;
    pub const X86_LARGE_PAGE: u64 = 9;
    pub const X86_PAGE_TABLE: u64 = 10;
    pub const X86_PAGE_DIRECTORY: u64 = 11;
}

/// Error codes a failed invocation returns as its reply label
/// (`libsel4/include/sel4/errors.h`).
pub mod error_code {
    pub const NO_ERROR: u64 = 0;
    pub const INVALID_ARGUMENT: u64 = 1;
    pub const INVALID_CAPABILITY: u64 = 2;
    pub const ILLEGAL_OPERATION: u64 = 3;
    pub const RANGE_ERROR: u64 = 4;
    pub const ALIGNMENT_ERROR: u64 = 5;
    pub const FAILED_LOOKUP: u64 = 6;
    pub const TRUNCATED_MESSAGE: u64 = 7;
    pub const DELETE_FIRST: u64 = 8;
    pub const REVOKE_FIRST: u64 = 9;
    pub const NOT_ENOUGH_MEMORY: u64 = 10;
}

/// Fault message labels (`seL4_Fault` tags in the x86 `shared_types.bf`).
pub mod fault {
    pub const NULL_FAULT: u64 = 0;
    pub const CAP_FAULT: u64 = 1;
    pub const UNKNOWN_SYSCALL: u64 = 2;
    pub const USER_EXCEPTION: u64 = 3;
    pub const VM_FAULT: u64 = 5;
}

/// Capabilities the kernel places in fixed slots of the root task's CNode
/// (`libsel4/include/sel4/bootinfo_types.h`).
pub mod init_cap {
    pub const NULL: u64 = 0;
    pub const TCB: u64 = 1;
    pub const CNODE: u64 = 2;
    pub const VSPACE: u64 = 3;
    pub const IRQ_CONTROL: u64 = 4;
    pub const ASID_CONTROL: u64 = 5;
    pub const ASID_POOL: u64 = 6;
    pub const IO_PORT: u64 = 7;
    pub const IO_SPACE: u64 = 8;
    pub const BOOT_INFO_FRAME: u64 = 9;
    pub const IPC_BUFFER: u64 = 10;
    pub const DOMAIN: u64 = 11;
    pub const NUM_INITIAL_CAPS: u64 = 12;
}

/// Object sizes (log2 bytes) and limits from the x86_64 constants header.
pub mod size_bits {
    pub const PAGE: u32 = 12;
    pub const SLOT: u32 = 5;
    pub const TCB: u32 = 11;
    pub const ENDPOINT: u32 = 4;
    pub const NOTIFICATION: u32 = 5;
    pub const PAGE_TABLE: u32 = 12;
    pub const PAGE_DIRECTORY: u32 = 12;
    pub const PDPT: u32 = 12;
    pub const PML4: u32 = 12;
    pub const LARGE_PAGE: u32 = 21;
    pub const HUGE_PAGE: u32 = 30;
    pub const MIN_UNTYPED: u32 = 4;
    pub const MAX_UNTYPED: u32 = 47;
}

/// Message-register and IPC-buffer geometry.
pub const MSG_MAX_LENGTH: usize = 120;
/// At most this many capabilities travel with one message.
pub const MSG_MAX_EXTRA_CAPS: usize = 3;
/// Message registers passed in CPU registers (r10, r8, r9, r15).
pub const MSG_REGISTERS_IN_CPU: usize = 4;
/// Size of the bootinfo untyped list in this configuration.
pub const MAX_NUM_BOOTINFO_UNTYPED_CAPS: usize = 167;
/// Bits of a badge that a Mint can set (the 5.0.0 `Badge` cap-data block).
pub const BADGE_BITS: u32 = 28;
/// Root CNode size of the initial thread (`CONFIG_ROOT_CNODE_SIZE_BITS`).
pub const ROOT_CNODE_SIZE_BITS: u32 = 16;
/// Word size in bits; also the depth that resolves a full CPtr.
pub const WORD_BITS: u32 = 64;
