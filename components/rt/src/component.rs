//! The contract between the root task (the loader) and a component.
//!
//! ## Address space
//!
//! | range | contents |
//! | --- | --- |
//! | 0x1000 .. 0x0f00_0000 | the ELF image, each segment with its own rights |
//! | [`STACK_TOP`] - [`STACK_PAGES`] pages .. [`STACK_TOP`] | the stack (read-write) |
//! | the page below the stack | unmapped guard page: overflow faults |
//! | [`IPC_BUFFER`] | the IPC buffer (one page) |
//!
//! ## Registers at entry
//!
//! `rsp` = [`STACK_TOP`], `rdi` = IPC buffer address, `rsi` = component id.
//!
//! ## CSpace (a CNode of 2^[`CNODE_BITS`] slots, guard making CPtrs plain slot numbers)
//!
//! | slot | capability |
//! | --- | --- |
//! | 0 | null |
//! | [`SLOT_SERVICE_EP`] | the endpoint the component serves (if it is a server) |
//! | [`SLOT_FAULT_EP`] | the root task's fault endpoint, badged with the component id (the kernel uses it) |
//! | [`SLOT_OWN_CNODE`] | the component's own CNode (to receive capabilities and tidy its slots) |
//! | [`SLOT_RECEIVE`] | where a server receives a capability sent to it |

/// log2 of the number of slots in a component's CNode.
pub const CNODE_BITS: u64 = 8;
/// Endpoint a server receives on.
pub const SLOT_SERVICE_EP: u64 = 1;
/// Fault endpoint (badged by the root task).
pub const SLOT_FAULT_EP: u64 = 2;
/// The component's own CNode.
pub const SLOT_OWN_CNODE: u64 = 3;
/// Slot a server names as its receive path for capabilities.
pub const SLOT_RECEIVE: u64 = 4;
/// First slot free for the component's own use.
pub const SLOT_FIRST_FREE: u64 = 8;

/// Top of the stack; the stack grows down from here.
pub const STACK_TOP: u64 = 0x1000_0000;
/// Stack size in pages.
pub const STACK_PAGES: u64 = 16;
/// Where the IPC buffer is mapped (one gap page above the stack).
pub const IPC_BUFFER: u64 = 0x1000_1000;

/// Defines the component entry point: `_start` aligns the stack and calls
/// `$main(ipc_buffer: u64, id: u64) -> !` after telling `kernel-iface`
/// where the IPC buffer is.
#[macro_export]
macro_rules! component_entry {
    ($main:path) => {
        core::arch::global_asm!(
            ".section .text._start, \"ax\"",
            ".global _start",
            "_start:",
            "    and rsp, -16",
            "    call {entry}",
            "    ud2",
            entry = sym __pride_component_entry,
        );

        extern "C" fn __pride_component_entry(ipc_buffer: u64, id: u64) -> ! {
            // SAFETY: the loader maps the IPC buffer at this address, gives
            // the same address to TCB_Configure, and passes it in rdi; the
            // component is single-threaded.
            unsafe {
                $crate::__kernel_iface::ipc_buffer::init(
                    ipc_buffer as *mut $crate::__kernel_iface::ipc_buffer::IpcBuffer,
                )
            };
            let main: fn(u64, u64) -> ! = $main;
            main(ipc_buffer, id)
        }
    };
}

/// Writes to `addr`, for demonstrating faults: the write faults unless the
/// address is mapped writable. Used by the `crash` demo component.
pub fn touch(addr: u64) {
    // SAFETY: deliberately unsound if `addr` is mapped memory the program
    // uses; callers pass addresses that are unmapped in every component
    // (the point is the fault). A write to an unmapped page cannot corrupt
    // anything: the kernel stops the thread before it completes.
    unsafe { (addr as *mut u64).write_volatile(0x5a5a_5a5a) }
}
