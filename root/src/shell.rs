//! The shell on the serial console: reads lines (interrupt-driven), runs
//! commands (parsing in `root_core::console`), and between lines keeps the
//! supervisor's event loop going: component output, faults and restarts
//! are handled while the prompt waits.

use core::fmt::Write;
use core::sync::atomic::{AtomicU64, Ordering};

use kernel_iface::abi::init_cap;
use kernel_iface::cap::{kind, CapRights, IoapicLine};
use kernel_iface::{Cap, MessageInfo};
use pride_board::current as board;
use root_core::console::{self, Command};
use root_core::linebuf::{Event as LineEvent, LineBuffer, LINE_MAX};
use root_core::supervision::State;

use crate::objects::{root_slot, ObjError, ROOT_CNODE};
use crate::supervisor::{Event, SupError, Supervisor, SERIAL_IRQ_BADGE};
use pride_supervisor_api::net as net_proto;
use pride_supervisor_api::security as sec;
use pride_supervisor_api::store as store_proto;
use pride_supervisor_api::{self as api};

static IRQ_HANDLER: AtomicU64 = AtomicU64::new(0);

/// Handles events until no component is still starting, so the boot
/// components are up before the shell or a scenario begins. Components
/// launched at boot must say `READY` (or fail).
pub fn settle(sup: &mut Supervisor) {
    while sup.table.iter().any(|r| r.state == State::Starting) {
        let e = sup.pump();
        sup.background(e);
    }
}

/// Handles events until component `id` is no longer starting: it said
/// `READY`, or failed for good (its restart policy may restart it first).
/// The shell's `launch` and `restart` wait like this, so what they print
/// and what `ps` shows next is what a person expects.
pub fn wait_started(sup: &mut Supervisor, id: u32) {
    while sup.table.by_id(id).is_some_and(|r| r.state == State::Starting) {
        let e = sup.pump();
        sup.background(e);
    }
}

/// Calls the ping component once: `Some((reply, calls answered, ticks))`.
pub fn ping(sup: &Supervisor, n: u64) -> Option<(u64, u64, u64)> {
    let ep = sup.service_endpoint("ping")?;
    sup.service_generation("ping")?;
    let start = pride_rt::tsc();
    let r = ep.call(MessageInfo::new(0, 0, 0, 1), [n, 0, 0, 0]);
    let ticks = pride_rt::tsc() - start;
    (r.info.label() == 0).then_some((r.mrs[0], r.mrs[1], ticks))
}

/// Runs the shell for ever.
pub fn run(sup: &mut Supervisor) -> ! {
    if let Err(e) = setup_console_irq(sup) {
        let _ = writeln!(sup.out, "console: no input interrupt ({e}); console is output-only");
    }
    let mut line = LineBuffer::new();
    let _ = write!(sup.out, "{}", console::PROMPT);
    loop {
        match sup.pump() {
            Event::Console => serve_console_input(sup, &mut line),
            Event::Failed(n) => {
                sup.apply_failure(n);
                reprompt(sup, &line);
            }
            Event::Exited(n, code) => {
                sup.finish(n, code);
                reprompt(sup, &line);
            }
            Event::Output(_) => reprompt(sup, &line),
            _ => {}
        }
    }
}

fn reprompt(sup: &mut Supervisor, line: &LineBuffer) {
    let _ = write!(sup.out, "{}{}", console::PROMPT, line.line());
}

fn setup_console_irq(sup: &mut Supervisor) -> Result<(), ObjError> {
    use ObjError::Kernel;
    let ntfn = sup.notification;
    let badged = sup.objs.root.alloc_slot()?;
    ROOT_CNODE
        .cnode_mint(badged, 64, root_slot(ntfn.cptr()), CapRights::ALL, SERIAL_IRQ_BADGE)
        .map_err(|e| Kernel("mint notification", e))?;
    let handler_slot = sup.objs.root.alloc_slot()?;
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
    handler.irq_handler_ack().map_err(|e| Kernel("IRQ ack", e))?;
    IRQ_HANDLER.store(handler_slot, Ordering::Relaxed);
    Ok(())
}

/// Drains the UART, acting on complete lines, then re-arms the interrupt.
/// The UART is checked again after the ack: a byte that arrived between
/// the last read and the ack raised no new edge.
fn serve_console_input(sup: &mut Supervisor, line: &mut LineBuffer) {
    let handler: Cap<kind::IrqHandler> = Cap::from_cptr(IRQ_HANDLER.load(Ordering::Relaxed));
    loop {
        while let Some(b) = sup.out.try_get() {
            console_byte(sup, line, b);
        }
        sup.console_pending = false;
        let _ = handler.irq_handler_ack();
        if !sup.out.has_data() {
            return;
        }
    }
}

fn console_byte(sup: &mut Supervisor, line: &mut LineBuffer, b: u8) {
    match line.push(b) {
        LineEvent::None => {}
        LineEvent::Echo(c) => sup.out.put(c),
        LineEvent::Erase => {
            let _ = sup.out.write_str("\x08 \x08");
        }
        LineEvent::Overflow => {
            let _ = writeln!(sup.out, "\nerror: line too long (limit {LINE_MAX} characters)");
            let _ = write!(sup.out, "{}", console::PROMPT);
        }
        LineEvent::Line => {
            let _ = writeln!(sup.out);
            run_command(sup, line.line());
            line.clear();
            let _ = write!(sup.out, "{}", console::PROMPT);
        }
    }
}

/// `store ...` as the shell's subject.
fn shell_store(sup: &mut Supervisor, cmd: Command<'_>) -> Result<(), SupError> {
    let conn = sup.shell_conn("store")?;
    let (label, key, value) = match cmd {
        Command::StorePut { key, value } => (store_proto::PUT, key, value),
        Command::StoreGet { key } => (store_proto::GET, key, ""),
        Command::StoreRm { key } => (store_proto::DELETE, key, ""),
        _ => (store_proto::LIST, "", ""),
    };
    let (l, text) = sup.store_request(conn, label, key, value);
    let _ = match l {
        api::OK if label == store_proto::GET => writeln!(sup.out, "{key} = {text}"),
        api::OK if label == store_proto::LIST => write!(sup.out, "{text}"),
        api::OK => writeln!(sup.out, "store: ok"),
        api::DENIED => writeln!(sup.out, "error: store: denied by the security policy"),
        api::NOT_FOUND => writeln!(sup.out, "error: store: no object '{key}'"),
        api::TOO_LARGE => writeln!(sup.out, "error: store: key or value too long"),
        api::BAD_REQUEST => writeln!(sup.out, "error: store: bad key '{key}' (letters, digits, / _ . -)"),
        api::QUOTA_EXHAUSTED => writeln!(sup.out, "error: store: the shell's session is full"),
        api::SERVER_RESTARTED => writeln!(sup.out, "error: store: the store restarted; try again"),
        other => writeln!(sup.out, "error: store: refused ({other:#x})"),
    };
    Ok(())
}

/// `netstat`: the socket server's rows (`pride_supervisor_api::net`,
/// `NETSTAT`, asked page by page as the shell's subject), owners by name.
fn shell_netstat(sup: &mut Supervisor) -> Result<(), SupError> {
    use pride_rt::msg::{self, Outgoing};
    let conn = sup.shell_conn("net").map_err(|e| match e {
        SupError::Refused("service down") => SupError::Refused("no socket server is running (system sockets)"),
        e => e,
    })?;
    let mut rows = alloc::vec::Vec::new();
    loop {
        let r = Outgoing::new().word(rows.len() as u64).call(conn, net_proto::NETSTAT);
        match r.info.label() {
            api::OK => {}
            api::DENIED => return Err(SupError::Refused("denied by the security policy")),
            _ => return Err(SupError::Refused("the socket server refused")),
        }
        let (count, len) = (msg::word(&r, 0).unwrap_or(0), msg::word(&r, 2).unwrap_or(0) as usize);
        let mut buf = alloc::vec![0u8; len.min(msg::MAX_WORDS * 8)];
        let text = msg::bytes(&r, 3, len, &mut buf).ok_or(SupError::Refused("malformed reply"))?;
        let text = core::str::from_utf8(text).map_err(|_| SupError::Refused("malformed reply"))?;
        rows.extend(text.lines().map(alloc::string::String::from));
        if count == 0 || rows.len() as u64 >= msg::word(&r, 1).unwrap_or(0) {
            break;
        }
    }
    let _ = writeln!(sup.out, "netstat: {} sockets", rows.len());
    let _ = writeln!(
        sup.out,
        "{:<5} {:<21} {:<21} {:<12} owner",
        "proto", "local", "peer", "state"
    );
    for line in &rows {
        let Some(row) = net_proto::Row::parse(line) else {
            let _ = writeln!(sup.out, "? {line}");
            continue;
        };
        let owner = match row.owner {
            0 => alloc::string::String::from("- (closing)"),
            net_proto::NO_OWNER => alloc::string::String::from("? (lost)"),
            id if u32::from(id) == crate::mediation::SHELL_SUBJECT => alloc::string::String::from("shell"),
            id => sup
                .table
                .by_id(id as u32)
                .map_or_else(|| alloc::format!("#{id}"), |r| r.name.clone()),
        };
        let _ = writeln!(
            sup.out,
            "{:<5} {:<21} {:<21} {:<12} {owner}",
            row.proto, row.local, row.peer, row.state
        );
    }
    Ok(())
}

/// Runs one command line.
pub fn run_command(sup: &mut Supervisor, text: &str) {
    let cmd = console::parse(text);
    let result = match cmd {
        Command::Empty => Ok(()),
        Command::Help => {
            let _ = console::write_help(&mut sup.out);
            Ok(())
        }
        Command::Ps => {
            sup.write_ps();
            Ok(())
        }
        Command::Images => {
            sup.write_images();
            Ok(())
        }
        Command::Mem => {
            sup.write_mem();
            Ok(())
        }
        Command::Log => {
            sup.write_log();
            Ok(())
        }
        Command::Launch { image, name } => sup.launch(image, name).map(|id| wait_started(sup, id)),
        Command::Stop { name } => sup.stop(name),
        Command::Restart { name } => sup.restart(name).map(|()| {
            if let Some(id) = sup.table.by_name(name).map(|r| r.id) {
                wait_started(sup, id);
            }
        }),
        Command::Update { name, image } => sup.update(name, image),
        Command::Rc => {
            sup.write_rc();
            Ok(())
        }
        Command::Conns => {
            sup.write_conns();
            Ok(())
        }
        Command::PolicyShow => sup.security_text(sec::SHOW).map(|t| {
            let _ = sup.out.write_str(&t);
        }),
        Command::PolicyLog => sup.decision_trace().map(|t| {
            let _ = sup.out.write_str(&t);
        }),
        Command::PolicySwap { module } => sup.policy_swap(module).map(|r| {
            let _ = writeln!(
                sup.out,
                "policy: swapped to '{module}' in {} TSC ticks, epoch {}, {} object servers acknowledged",
                r.ticks, r.epoch, r.servers_flushed
            );
        }),
        Command::SystemStart { name } => sup.start_system(name),
        Command::SystemStop { name } => sup.stop_system(name),
        Command::SystemCensus { name } => sup.write_census(name),
        Command::Systems => {
            sup.write_systems();
            Ok(())
        }
        Command::StorePut { .. } | Command::StoreGet { .. } | Command::StoreLs | Command::StoreRm { .. } => {
            shell_store(sup, cmd)
        }
        Command::Ls { path } => sup.shell_ls(path),
        Command::Cat { path } => sup.shell_cat(path),
        Command::Write { path, text } => sup.shell_write(path, text),
        Command::Rm { path } => sup.shell_rm_mkdir(path, false),
        Command::Mkdir { path } => sup.shell_rm_mkdir(path, true),
        Command::Df => sup.shell_df(),
        Command::Netstat => shell_netstat(sup),
        Command::Ping => {
            match ping(sup, 1) {
                Some((2, answered, ticks)) => {
                    let _ = writeln!(
                        sup.out,
                        "ping: answered (call {answered}), round trip {ticks} TSC ticks"
                    );
                }
                Some((other, _, _)) => {
                    let _ = writeln!(sup.out, "ping: wrong answer {other} (expected 2)");
                }
                None => {
                    let _ = writeln!(sup.out, "error: no ping component is running");
                }
            }
            Ok(())
        }
        Command::Shutdown => {
            let _ = writeln!(sup.out, "shutdown: powering off");
            crate::power_off(&mut sup.out)
        }
        Command::Unknown(_) | Command::Usage(_) => {
            let _ = console::write_error(&mut sup.out, &cmd);
            Ok(())
        }
    };
    if let Err(e) = result {
        let verb = text.split_ascii_whitespace().next().unwrap_or("");
        let _ = writeln!(sup.out, "error: {verb}: {e}");
    }
}
