//! # root: Pride's root task
//!
//! The first and only thread seL4 starts. It
//!
//! 1. reads boot info and takes over all untyped memory (allocation
//!    decisions in `root_core::untyped`);
//! 2. prints the boot summary on the console UART through its I/O port
//!    capability (so output works on release kernels too);
//! 3. reads the boot script `boot.cfg` from the image archive linked into
//!    it, and loads the components it names (`loader`);
//! 4. then either runs a built-in test scenario or benchmark and ends QEMU,
//!    or serves the console: faults of components arrive on its fault
//!    endpoint, console input as a notification bound to its TCB, and both
//!    wake the same `Recv`.
//!
//! Kernel glue only: every decision that can be made without the kernel is
//! in `root-core` and tested on the host.

#![no_std]
#![no_main]

mod loader;
mod objects;
mod scenario;
mod serial;

use core::fmt::Write;

use kernel_iface::abi::init_cap;
use kernel_iface::bootinfo::BootInfo;
use kernel_iface::cap::{kind, CapRights, IoapicLine};
use kernel_iface::fault::Fault;
use kernel_iface::{ipc_buffer, Cap};
use pride_archive::Archive;
use pride_board::current as board;
use root_core::bootcfg::{self, Directive};
use root_core::console::{self, Command};
use root_core::linebuf::{Event, LineBuffer};
use root_core::report;
use root_core::untyped::UntypedAllocator;

use loader::{Component, LaunchSpec, FAULT_BADGE};
use objects::{root_slot, Objects, ROOT_CNODE};
use serial::Serial;

/// Page alignment for embedded data: the ELF parser reads headers in place
/// and needs them aligned (the archive keeps each image 8-byte aligned
/// relative to its start).
#[repr(C, align(4096))]
struct Aligned<T: ?Sized>(T);

/// The image archive the build tool packed (see `build.rs`).
static ARCHIVE: &Aligned<[u8]> =
    &Aligned(*include_bytes!(concat!(env!("OUT_DIR"), "/archive.bin")));

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

/// Badge of the console UART's interrupt on the root notification.
const SERIAL_IRQ_BADGE: u64 = 1;
/// Most components the root task tracks.
const MAX_COMPONENTS: usize = 16;
/// Priority of the root task (the kernel starts it at 255).
pub const ROOT_PRIORITY: u8 = 255;

/// The running system as the root task sees it.
pub struct Root {
    pub out: Serial,
    pub objs: Objects,
    pub fault_ep: Cap<kind::Endpoint>,
    pub archive: Archive<'static>,
    pub components: [Option<Component>; MAX_COMPONENTS],
    /// The service endpoint of the `ping` component, if one was launched.
    pub ping_ep: Option<Cap<kind::Endpoint>>,
    next_id: u64,
}

impl Root {
    /// Loads `image` from the archive and starts it. On failure the reason
    /// has been printed on the console and the result is `None`.
    pub fn launch(&mut self, image: &str, priority: u8, serve: bool) -> Option<Component> {
        let Some(entry) = self.archive.entries().find(|e| e.name == image) else {
            let _ = writeln!(self.out, "launch: no image '{image}' in the archive");
            return None;
        };
        let Some(free) = self.components.iter().position(Option::is_none) else {
            let _ = writeln!(
                self.out,
                "launch {image}: too many components (limit {MAX_COMPONENTS})"
            );
            return None;
        };
        let service_ep = if serve {
            match self.objs.endpoint() {
                Ok(ep) => Some(ep),
                Err(e) => {
                    let _ = writeln!(self.out, "launch {image}: {e}");
                    return None;
                }
            }
        } else {
            None
        };
        let id = self.next_id;
        let spec = LaunchSpec {
            name: entry.name,
            image: entry.data,
            id,
            priority,
            service_ep,
            fault_ep: self.fault_ep,
        };
        match loader::launch(&mut self.objs, &spec) {
            Ok(c) => {
                self.next_id += 1;
                self.components[free] = Some(c);
                if image == "ping" {
                    self.ping_ep = service_ep;
                }
                let _ = writeln!(
                    self.out,
                    "launch: started '{}' as id {} at priority {priority}",
                    c.name, c.id
                );
                Some(c)
            }
            Err(e) => {
                let _ = writeln!(self.out, "launch {image}: {e}");
                None
            }
        }
    }

    /// Calls the ping component once: `Some((reply, answered, ticks))`.
    pub fn ping(&self, n: u64) -> Option<(u64, u64, u64)> {
        let ep = self.ping_ep?;
        let start = pride_rt::tsc();
        let r = ep.call(kernel_iface::MessageInfo::new(0, 0, 0, 1), [n, 0, 0, 0]);
        let ticks = pride_rt::tsc() - start;
        (r.info.label() == 0).then_some((r.mrs[0], r.mrs[1], ticks))
    }

    /// Handles a message on the fault endpoint that came from a component:
    /// report it and stop the component. Returns the component and fault.
    pub fn handle_fault(
        &mut self,
        badge: u64,
        label: u64,
        mrs: [u64; 4],
    ) -> (Option<Component>, Fault) {
        let fault = Fault::decode(
            label,
            |i| if i < 4 { mrs[i] } else { ipc_buffer::get_mr(i) },
        );
        let id = badge & !FAULT_BADGE;
        let slot = self
            .components
            .iter()
            .position(|c| c.is_some_and(|c| c.id == id));
        let comp = slot.and_then(|s| self.components[s].take());
        match comp {
            Some(c) => {
                let _ = report::write_fault(&mut self.out, c.name, c.id, &fault);
                // The faulting thread waits for a reply that never comes;
                // suspend it so it stays stopped. (Reclaiming its memory
                // comes with the component manager.)
                if let Err(e) = c.tcb.tcb_suspend() {
                    let _ = writeln!(self.out, "fault: could not stop '{}': {e}", c.name);
                }
                let _ = writeln!(self.out, "supervisor: '{}' stopped", c.name);
            }
            None => {
                let _ = report::write_fault(&mut self.out, "?", id, &fault);
            }
        }
        (comp, fault)
    }

    /// Ends QEMU through `isa-debug-exit` (status `(code << 1) | 1`).
    pub fn exit_qemu(&self, code: u8) -> ! {
        let ports: Cap<kind::IoPort> = Cap::from_cptr(init_cap::IO_PORT);
        let _ = ports.x86_ioport_out8(board::DEBUG_EXIT_PORT, code);
        halt_forever()
    }

    /// Powers the machine off (ACPI S5); QEMU then exits with status 0.
    pub fn power_off(&mut self) -> ! {
        let ports: Cap<kind::IoPort> = Cap::from_cptr(init_cap::IO_PORT);
        let _ = ports.x86_ioport_out16(board::ACPI_PM1A_CONTROL_PORT, board::ACPI_POWER_OFF);
        let _ = writeln!(self.out, "shutdown: power-off did not take effect; halting");
        halt_forever()
    }
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
    let ports: Cap<kind::IoPort> = Cap::from_cptr(init_cap::IO_PORT);
    let mut out = Serial::new(ports, board::CONSOLE_UART_PORT);
    let banner_tsc = pride_rt::tsc();
    let _ = writeln!(out, "\nPride root task on board {}", board::NAME);

    let alloc = UntypedAllocator::from_bootinfo(&bi);
    let _ = report::write_boot_summary(&mut out, &alloc, bi.tsc_mhz);
    let mut objs = Objects { alloc };

    let archive = match Archive::parse(&ARCHIVE.0) {
        Ok(a) => a,
        Err(e) => {
            let _ = writeln!(
                out,
                "boot: image archive unusable ({e:?}); starting with no images"
            );
            Archive::parse(EMPTY_ARCHIVE).unwrap_or_else(|_| halt_forever())
        }
    };
    let fault_ep = match objs.endpoint() {
        Ok(ep) => ep,
        Err(e) => {
            let _ = writeln!(out, "boot: cannot make the fault endpoint: {e}");
            halt_forever()
        }
    };
    let mut root = Root {
        out,
        objs,
        fault_ep,
        archive,
        components: [None; MAX_COMPONENTS],
        ping_ep: None,
        next_id: 1,
    };

    let script = root
        .archive
        .get("boot.cfg")
        .and_then(|b| core::str::from_utf8(b).ok())
        .unwrap_or("");
    let mut mode: Option<Directive<'static>> = None;
    for d in bootcfg::parse(script) {
        match d {
            Ok(Directive::Launch {
                image,
                priority,
                serve,
            }) => {
                let _ = root.launch(image, priority, serve);
            }
            Ok(other) => mode = Some(other),
            Err(e) => {
                let _ = writeln!(
                    root.out,
                    "boot.cfg line {}: {} ('{}')",
                    e.line,
                    e.why,
                    e.text.trim()
                );
            }
        }
    }

    if let Some((reply, _, _)) = root.ping(41) {
        let ok = if reply == 42 { "ok" } else { "WRONG" };
        let _ = writeln!(root.out, "ping: 'ping' answered 41 -> {reply} ({ok})");
    }

    match mode {
        Some(Directive::Scenario(name)) => scenario::run(&mut root, &bi, name),
        Some(Directive::Bench) => scenario::bench(&mut root, entry_tsc, banner_tsc),
        _ => console_loop(&mut root),
    }
}

static EMPTY_ARCHIVE: &[u8] = b"PRIDEAR1\0\0\0\0\0\0\0\0";

/// Sets up the console interrupt and serves faults and console input.
fn console_loop(root: &mut Root) -> ! {
    if let Err(e) = setup_console_irq(root) {
        let _ = writeln!(
            root.out,
            "console: no input interrupt ({e}); console is output-only"
        );
    }
    let mut line = LineBuffer::new();
    let _ = write!(root.out, "{}", console::PROMPT);
    loop {
        let msg = root.fault_ep.recv();
        if msg.badge & FAULT_BADGE != 0 {
            let _ = writeln!(root.out);
            root.handle_fault(msg.badge, msg.info.label(), msg.mrs);
            let _ = write!(root.out, "{}{}", console::PROMPT, line.line());
            continue;
        }
        if msg.badge & SERIAL_IRQ_BADGE != 0 {
            serve_console_input(root, &mut line);
        }
    }
}

fn setup_console_irq(root: &mut Root) -> Result<(), objects::ObjError> {
    use objects::ObjError::Kernel;
    let ntfn = root.objs.notification()?;
    let badged = root.objs.alloc.alloc_slot()?;
    ROOT_CNODE
        .cnode_mint(
            badged,
            64,
            root_slot(ntfn.cptr()),
            CapRights::ALL,
            SERIAL_IRQ_BADGE,
        )
        .map_err(|e| Kernel("mint notification", e))?;
    let handler_slot = root.objs.alloc.alloc_slot()?;
    let line = IoapicLine {
        ioapic: 0,
        pin: board::CONSOLE_UART_IOAPIC_PIN,
        level: false,
        active_low: false,
    };
    Cap::<kind::IrqControl>::from_cptr(init_cap::IRQ_CONTROL)
        .irq_control_get_ioapic(root_slot(handler_slot), line, board::CONSOLE_UART_IRQ)
        .map_err(|e| Kernel("IRQ get", e))?;
    let handler: Cap<kind::IrqHandler> = Cap::from_cptr(handler_slot);
    handler
        .irq_handler_set_notification(Cap::from_cptr(badged))
        .map_err(|e| Kernel("IRQ set notification", e))?;
    Cap::<kind::Tcb>::from_cptr(init_cap::TCB)
        .tcb_bind_notification(ntfn)
        .map_err(|e| Kernel("bind notification", e))?;
    handler
        .irq_handler_ack()
        .map_err(|e| Kernel("IRQ ack", e))?;
    IRQ_HANDLER.store(handler_slot, core::sync::atomic::Ordering::Relaxed);
    Ok(())
}

static IRQ_HANDLER: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Drains the UART, acting on complete lines, then re-arms the interrupt.
/// The UART is checked again after the ack: a byte that arrived between
/// the last read and the ack raised no new edge.
fn serve_console_input(root: &mut Root, line: &mut LineBuffer) {
    let handler: Cap<kind::IrqHandler> =
        Cap::from_cptr(IRQ_HANDLER.load(core::sync::atomic::Ordering::Relaxed));
    loop {
        while let Some(b) = root.out.try_get() {
            console_byte(root, line, b);
        }
        let _ = handler.irq_handler_ack();
        if !root.out.has_data() {
            return;
        }
    }
}

fn console_byte(root: &mut Root, line: &mut LineBuffer, b: u8) {
    match line.push(b) {
        Event::None => {}
        Event::Echo(c) => root.out.put(c),
        Event::Erase => {
            let _ = root.out.write_str("\x08 \x08");
        }
        Event::Overflow => {
            let _ = writeln!(
                root.out,
                "\nerror: line too long (limit {} characters)",
                root_core::linebuf::LINE_MAX
            );
            let _ = write!(root.out, "{}", console::PROMPT);
        }
        Event::Line => {
            let _ = writeln!(root.out);
            run_command(root, line.line());
            line.clear();
            let _ = write!(root.out, "{}", console::PROMPT);
        }
    }
}

fn run_command(root: &mut Root, text: &str) {
    let cmd = console::parse(text);
    match cmd {
        Command::Empty => {}
        Command::Help => {
            let _ = console::write_help(&mut root.out);
        }
        Command::Ping => match root.ping(1) {
            Some((2, answered, ticks)) => {
                let _ = writeln!(
                    root.out,
                    "ping: answered (call {answered}), round trip {ticks} TSC ticks"
                );
            }
            Some((other, _, _)) => {
                let _ = writeln!(root.out, "ping: wrong answer {other} (expected 2)");
            }
            None => {
                let _ = writeln!(root.out, "error: no ping component is running");
            }
        },
        Command::Shutdown => {
            let _ = writeln!(root.out, "shutdown: powering off");
            root.power_off();
        }
        Command::Unknown(_) | Command::UnexpectedArgument { .. } => {
            let _ = console::write_error(&mut root.out, &cmd);
        }
    }
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut out = Serial::attach(Cap::from_cptr(init_cap::IO_PORT), board::CONSOLE_UART_PORT);
    let _ = writeln!(out, "\nroot: PANIC: {info}");
    halt_forever()
}
