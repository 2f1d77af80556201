//! The contract between the supervisor (the root task's loader) and a
//! component.
//!
//! ## Address space
//!
//! | range | contents |
//! | --- | --- |
//! | 0x1000 .. 0x0f00_0000 | the ELF image, each segment with its own rights |
//! | [`STACK_TOP`] - [`STACK_PAGES`] pages .. [`STACK_TOP`] | the stack (read-write) |
//! | the page below the stack | unmapped guard page: overflow faults |
//! | [`IPC_BUFFER`] | the IPC buffer (one page) |
//! | [`BOOT_PAGE`] | the boot page, read-only: id, generation, inherited state (`pride_supervisor_api::boot_page`) |
//! | 0x2000_0000 .. [`HEAP_BASE`] | free: the regions a Microkit `.system` file maps |
//! | [`HEAP_BASE`] .. | heap pages, mapped on request (`ALLOC_PAGES`), charged to the quota |
//! | `pride_supervisor_api::donation::WINDOW_BASE` .. | an object server's donation window |
//! | 0xa000_0000 .. 0x1_0000_0000 | free: more room for `.system` regions (sdfgen puts some there) |
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
//! | [`SLOT_SERVICE_EP`] | the endpoint the component serves (if it offers a service) |
//! | [`SLOT_SUPERVISOR_EP`] | the supervisor's endpoint, badged with the component id: faults and requests |
//! | [`SLOT_OWN_CNODE`] | the component's own CNode (to receive capabilities and tidy its slots) |
//! | [`SLOT_RECEIVE`] | where a server receives a capability sent to it |
//! | [`SLOT_NOTIFICATION`] | the component's own notification (to wait on) |
//! | [`SLOT_WANTED_BASE`] + i | connection to the i-th service in the manifest's `wants` |

use pride_supervisor_api::boot_page;

/// log2 of the number of slots in a component's CNode.
pub const CNODE_BITS: u64 = 8;
/// Endpoint a server receives on.
pub const SLOT_SERVICE_EP: u64 = 1;
/// The supervisor endpoint (faults and supervisor requests).
pub const SLOT_SUPERVISOR_EP: u64 = 2;
/// Old name of [`SLOT_SUPERVISOR_EP`]: the kernel sends faults there.
pub const SLOT_FAULT_EP: u64 = SLOT_SUPERVISOR_EP;
/// The component's own CNode.
pub const SLOT_OWN_CNODE: u64 = 3;
/// Slot a server names as its receive path for capabilities.
pub const SLOT_RECEIVE: u64 = 4;
/// The component's own notification.
pub const SLOT_NOTIFICATION: u64 = 5;
/// First connection slot; connection i is at `SLOT_WANTED_BASE + i`
/// (at most `MAX_WANTS`, 8). Between the Microkit slots (notifications at
/// 10-35, PPC endpoints from 74), so that a Microkit PD may have
/// connections too.
pub const SLOT_WANTED_BASE: u64 = 40;
/// First slot free for the component's own use.
pub const SLOT_FIRST_FREE: u64 = 48;

/// Top of the stack; the stack grows down from here.
pub const STACK_TOP: u64 = 0x1000_0000;
/// Stack size in pages.
pub const STACK_PAGES: u64 = 16;
/// Where the IPC buffer is mapped (one gap page above the stack).
pub const IPC_BUFFER: u64 = 0x1000_1000;
/// Where the boot page is mapped.
pub const BOOT_PAGE: u64 = boot_page::ADDRESS;
/// Where heap pages are mapped, growing upwards: above the addresses
/// Microkit system descriptions use for their regions (sdfgen places maps
/// from 0x2000_0000 up), and below 4 GiB: on this kernel and QEMU a fault
/// at an address with no page-map level-4 entry is reported with the
/// address's upper 32 bits lost, so everything Pride maps stays low.
pub const HEAP_BASE: u64 = 0x8000_0000;
/// Where a Microkit `.system` file may map regions ([start, end)): below
/// the heap, and between the donation window and 4 GiB.
pub const REGION_WINDOWS: [(u64, u64); 2] = [(0x2000_0000, HEAP_BASE), (0xa000_0000, 0x1_0000_0000)];
// The heap and the donation window lie between the two.
const _: () = {
    use pride_supervisor_api::donation as d;
    assert!(HEAP_BASE + HEAP_MAX <= d::WINDOW_BASE);
    assert!(d::WINDOW_BASE + d::WINDOW_SLOTS * d::SESSION_BYTES <= REGION_WINDOWS[1].0);
};
/// Most heap bytes a component can map (the quota usually ends it sooner).
pub const HEAP_MAX: u64 = 0x1000_0000;

/// What a component learns at start.
#[derive(Clone, Copy, Debug)]
pub struct Boot {
    /// The component's id (stable for its lifetime, across restarts).
    pub id: u64,
    /// How many times it has been started (1 for the first start).
    pub generation: u64,
    /// State handed over by the previous version (empty unless updated).
    pub state: &'static [u8],
    /// Heap pages the supervisor mapped before the start.
    pub heap_pages: u64,
}

/// Reads the boot page. A component started by something other than the
/// supervisor (or a corrupt page) gets an empty boot record.
pub fn boot(id: u64) -> Boot {
    // SAFETY: the loader maps the boot page read-only at BOOT_PAGE before
    // the component starts and never unmaps it while the component runs;
    // nothing writes it afterwards.
    let page: &'static [u8] = unsafe { core::slice::from_raw_parts(BOOT_PAGE as *const u8, 4096) };
    match boot_page::read(page) {
        Some((h, state)) => Boot {
            id: h.id,
            generation: h.generation,
            state,
            heap_pages: h.heap_pages,
        },
        None => Boot {
            id,
            generation: 0,
            state: &[],
            heap_pages: 0,
        },
    }
}

/// Defines the component entry point: `_start` aligns the stack and calls
/// `$main(boot: Boot) -> !` after telling `kernel-iface` where the IPC
/// buffer is.
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
            let main: fn($crate::component::Boot) -> ! = $main;
            main($crate::component::boot(id))
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

/// Reads from `addr`, for demonstrating isolation: faults unless mapped.
pub fn peek(addr: u64) -> u64 {
    // SAFETY: as `touch`: callers pass addresses unmapped in their own
    // address space; the read faults before it returns.
    unsafe { (addr as *const u64).read_volatile() }
}

/// Executes `ud2`, for demonstrating illegal-instruction faults.
pub fn illegal_instruction() -> ! {
    // SAFETY: `ud2` raises an invalid-opcode exception and never falls
    // through; it touches no memory.
    unsafe { core::arch::asm!("ud2", options(noreturn, nomem, nostack)) }
}

/// Makes a system call with a number the kernel does not know (-100), for
/// demonstrating unknown-syscall faults. Returns if the supervisor resumes
/// the thread (it does not).
pub fn unknown_syscall() {
    // SAFETY: as for every system call in kernel-iface: the registers the
    // kernel may change are declared clobbered, and rsp is kept in r12
    // because the kernel returns with rsp = 0.
    unsafe {
        core::arch::asm!(
            "mov r12, rsp",
            "syscall",
            "mov rsp, r12",
            inout("rdx") -100i64 => _,
            out("rcx") _,
            out("r11") _,
            out("r12") _,
            options(nostack),
        )
    }
}
