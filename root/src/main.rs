//! # root: Pride's root task
//!
//! The first and only thread seL4 starts. It
//!
//! 1. reads boot info and takes over all untyped memory (allocation
//!    decisions in `root_core::untyped`);
//! 2. prints the boot summary on the console UART through its I/O port
//!    capability (so output works on release kernels too);
//! 3. reads the boot script `boot.cfg` from the image archive linked into
//!    it and launches the components it names (`supervisor`, `loader`);
//! 4. then either runs a built-in test scenario or benchmark and ends QEMU,
//!    or runs the shell: component faults and requests arrive on the
//!    supervisor endpoint, console input as a notification bound to the
//!    root task's TCB, and both wake the same `Recv`.
//!
//! Kernel glue only: every decision that can be made without the kernel is
//! in `root-core` and tested on the host.

#![no_std]
#![no_main]

extern crate alloc;

mod census;
mod connections;
mod files;
mod loader;
mod mediation;
mod objects;
mod resources;
mod scenario;
mod scenario_files;
mod scenario_lionsos;
mod scenario_security;
mod serial;
mod shell;
mod supervisor;
mod systems;

use core::fmt::Write;

use kernel_iface::abi::init_cap;
use kernel_iface::bootinfo::BootInfo;
use kernel_iface::cap::kind;
use kernel_iface::{ipc_buffer, Cap};
use pride_archive::Archive;
use pride_board::current as board;
use root_core::bootcfg::{self, Directive};
use root_core::report;
use root_core::untyped::UntypedAllocator;

use objects::{Objects, Source};
use serial::Serial;
use supervisor::Supervisor;

/// Page alignment for embedded data: the ELF parser reads headers in place
/// and needs them aligned (the archive keeps each image 8-byte aligned
/// relative to its start).
#[repr(C, align(4096))]
struct Aligned<T: ?Sized>(T);

/// The image archive the build tool packed (see `build.rs`).
static ARCHIVE: &Aligned<[u8]> = &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/archive.bin")));

const STACK_BYTES: usize = 64 * 1024;

#[repr(C, align(16))]
struct Stack([u8; STACK_BYTES]);

/// The root task's stack: the kernel starts it without one.
#[no_mangle]
static mut ROOT_STACK: Stack = Stack([0; STACK_BYTES]);

core::arch::global_asm!(
    ".section .text._start, \"ax\"",
    ".global _start",
    "_start:",
    "    lea rsp, [rip + {stack} + {size}]",
    "    call {main}",
    "    ud2",
    stack = sym ROOT_STACK,
    size = const STACK_BYTES,
    main = sym root_main,
);

/// 2 MiB: the per-frame records of the default system's Microkit regions
/// (kept for their PDs' restarts) and images read from disk (up to
/// `files::DISK_IMAGE_MAX`) live here too.
const HEAP_BYTES: usize = 2 * 1024 * 1024;

#[repr(C, align(4096))]
struct HeapMemory([u8; HEAP_BYTES]);

/// The root task's heap (component table, logs, state buffers).
static mut HEAP_MEMORY: HeapMemory = HeapMemory([0; HEAP_BYTES]);

#[global_allocator]
static ALLOCATOR: linked_list_allocator::LockedHeap = linked_list_allocator::LockedHeap::empty();

/// Ends QEMU through `isa-debug-exit` (status `(code << 1) | 1`).
pub fn exit_qemu(code: u8) -> ! {
    let ports: Cap<kind::IoPort> = Cap::from_cptr(init_cap::IO_PORT);
    let _ = ports.x86_ioport_out8(board::DEBUG_EXIT_PORT, code);
    halt_forever()
}

/// Powers the machine off (ACPI S5); QEMU then exits with status 0.
pub fn power_off(out: &mut Serial) -> ! {
    let ports: Cap<kind::IoPort> = Cap::from_cptr(init_cap::IO_PORT);
    let _ = ports.x86_ioport_out16(board::ACPI_PM1A_CONTROL_PORT, board::ACPI_POWER_OFF);
    let _ = writeln!(out, "shutdown: power-off did not take effect; halting");
    halt_forever()
}

/// Stops doing anything. Used after asking QEMU to exit (which takes
/// effect at once) and when boot cannot go on.
fn halt_forever() -> ! {
    loop {
        kernel_iface::syscall::yield_now();
    }
}

extern "C" fn root_main(bootinfo_addr: u64) -> ! {
    let entry_tsc = pride_rt::tsc();
    // SAFETY: the kernel passes the boot-info address in rdi to the root
    // task, and maps that page for the root task's lifetime.
    let bi = match unsafe { BootInfo::from_root_task_pointer(bootinfo_addr) } {
        Ok(bi) => bi,
        Err(_) => halt_forever(),
    };
    // SAFETY: boot info names the root task's IPC buffer, mapped by the kernel.
    unsafe { ipc_buffer::init(bi.ipc_buffer as *mut ipc_buffer::IpcBuffer) };
    // SAFETY: HEAP_MEMORY is used by nothing but the allocator, which is
    // initialised once, here, before anything allocates.
    unsafe {
        ALLOCATOR
            .lock()
            .init(core::ptr::addr_of_mut!(HEAP_MEMORY) as *mut u8, HEAP_BYTES)
    };
    let ports: Cap<kind::IoPort> = Cap::from_cptr(init_cap::IO_PORT);
    let mut out = Serial::new(ports, board::CONSOLE_UART_PORT);
    let banner_tsc = pride_rt::tsc();
    let _ = writeln!(out, "\nPride root task on board {}", board::NAME);

    let alloc = UntypedAllocator::from_bootinfo(&bi);
    let _ = report::write_boot_summary(&mut out, &alloc, bi.tsc_mhz);
    let mut objs = Objects::new(alloc);

    let archive = match Archive::parse(&ARCHIVE.0) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(out, "boot: image archive unusable ({e:?}); starting with no images");
            Archive::parse(EMPTY_ARCHIVE).unwrap_or_else(|_| halt_forever())
        }
    };
    let endpoint = match objs.endpoint(Source::Root) {
        Ok(ep) => ep,
        Err(e) => {
            let _ = writeln!(out, "boot: cannot make the supervisor endpoint: {e}");
            halt_forever()
        }
    };
    // Page tables for the loader's scratch mapping, made once from the root
    // pool so that filling a component's pages never charges the component
    // for the root task's own tables.
    if let Err(e) = objs
        .frame(Source::Root)
        .and_then(|f| loader::fill_frame(&mut objs, f, 0, &[]))
    {
        let _ = writeln!(out, "boot: cannot set up the loader's scratch mapping: {e}");
        halt_forever()
    }
    // The root task's own notification, bound to its thread, so that the
    // console interrupt and the security server's signals wake the same
    // Recv as the supervisor endpoint.
    let notification = match objs.notification(Source::Root).and_then(|n| {
        Cap::<kind::Tcb>::from_cptr(init_cap::TCB)
            .tcb_bind_notification(n)
            .map(|()| n)
            .map_err(|e| objects::ObjError::Kernel("bind notification", e))
    }) {
        Ok(n) => n,
        Err(e) => {
            let _ = writeln!(out, "boot: cannot make the root notification: {e}");
            halt_forever()
        }
    };
    let mut sup = Supervisor::new(out, objs, endpoint, notification, archive, bi.tsc_mhz);
    // The resource manager first: from here on it owns the memory.
    if let Err(e) = sup.start_resource_manager() {
        let _ = writeln!(sup.out, "boot: no resource manager ({e}); no component can be launched");
    }
    // Then the connection manager: every connection comes from it.
    if let Err(e) = sup.start_connection_manager() {
        let _ = writeln!(sup.out, "boot: no connection manager ({e}); no component can connect");
    }

    let script = sup
        .archive
        .get("boot.cfg")
        .and_then(|b| core::str::from_utf8(b).ok())
        .unwrap_or("");
    let mut mode: Option<Directive<'static>> = None;
    for d in bootcfg::parse(script) {
        match d {
            Ok(Directive::Launch { image, name }) => match sup.launch(image, name) {
                // One at a time: a component may want a service the one
                // before it offers.
                Ok(id) => shell::wait_started(&mut sup, id),
                Err(e) => {
                    let _ = writeln!(sup.out, "launch {image}: {e}");
                }
            },
            Ok(Directive::System(name)) => match sup.start_system(name) {
                // Its protection domains say READY before the next line:
                // a component launched next may want a service a PD offers
                // (the socket server's `net`).
                Ok(()) => shell::settle(&mut sup),
                Err(e) => {
                    let _ = writeln!(sup.out, "system {name}: {e}");
                }
            },
            Ok(other) => mode = Some(other),
            Err(e) => {
                let _ = writeln!(sup.out, "boot.cfg line {}: {} ('{}')", e.line, e.why, e.text.trim());
            }
        }
    }
    // Let the boot components start (they say READY) before going on.
    shell::settle(&mut sup);
    if let Some((reply, _, _)) = shell::ping(&sup, 41) {
        let ok = if reply == 42 { "ok" } else { "WRONG" };
        let _ = writeln!(sup.out, "ping: 'ping' answered 41 -> {reply} ({ok})");
    }

    match mode {
        Some(Directive::Scenario(name)) => scenario::run(&mut sup, &bi, name),
        Some(Directive::Bench) => scenario::bench(&mut sup, entry_tsc, banner_tsc),
        _ => shell::run(&mut sup),
    }
}

static EMPTY_ARCHIVE: &[u8] = b"PRIDEAR1\0\0\0\0\0\0\0\0";

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut out = Serial::attach(Cap::from_cptr(init_cap::IO_PORT), board::CONSOLE_UART_PORT);
    let _ = writeln!(out, "\nroot: PANIC: {info}");
    halt_forever()
}
