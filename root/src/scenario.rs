//! Built-in test scenarios and the boot benchmark, selected by the boot
//! script. Each case prints one line, `case NAME: ok` or
//! `case NAME: FAILED (why)`, and the run ends with `N passed, N failed`;
//! then the root task ends QEMU through `isa-debug-exit` with
//! [`EXIT_PASS`] or [`EXIT_FAIL`]. The host harness (`tests/`) checks the
//! lines, the closing count and the exit status.

use core::fmt::Write;

use kernel_iface::bootinfo::BootInfo;
use kernel_iface::cap::{kind, CapRights};
use kernel_iface::{Cap, Sel4Error};

use crate::objects::{root_slot, ROOT_CNODE};
use crate::Root;

/// `isa-debug-exit` value when every case passed (QEMU status 33).
pub const EXIT_PASS: u8 = 0x10;
/// `isa-debug-exit` value when a case failed (QEMU status 35).
pub const EXIT_FAIL: u8 = 0x11;

struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    fn case(&mut self, root: &mut Root, name: &str, result: Result<(), &str>) {
        match result {
            Ok(()) => {
                self.passed += 1;
                let _ = writeln!(root.out, "case {name}: ok");
            }
            Err(why) => {
                self.failed += 1;
                let _ = writeln!(root.out, "case {name}: FAILED ({why})");
            }
        }
    }
}

/// Runs scenario `name` and ends QEMU.
pub fn run(root: &mut Root, bi: &BootInfo, name: &str) -> ! {
    let _ = writeln!(root.out, "scenario {name}: start");
    let mut t = Tally {
        passed: 0,
        failed: 0,
    };
    match name {
        "foundation" => foundation(root, bi, &mut t),
        other => {
            let _ = writeln!(root.out, "scenario: unknown scenario '{other}'");
            t.failed += 1;
        }
    }
    let _ = writeln!(root.out, "{} passed, {} failed", t.passed, t.failed);
    root.exit_qemu(if t.failed == 0 { EXIT_PASS } else { EXIT_FAIL })
}

/// The first scenario: boot summary, a ping to a separate component, and a
/// component that faults being reported while the system carries on.
fn foundation(root: &mut Root, bi: &BootInfo, t: &mut Tally) {
    let r = check_boot_summary(root, bi);
    t.case(root, "boot-summary", r);

    let r = check_ping(root, 3);
    t.case(root, "ping", r);

    let r = check_cap_transfer(root);
    t.case(root, "cap-transfer", r);

    let r = check_fault_report(root);
    t.case(root, "fault-report", r);

    let r = check_ping(root, 3);
    t.case(root, "alive-after-fault", r);
}

/// The allocator's view must agree with boot info and with the kernel: there
/// is untyped RAM, the free-slot region is what boot info says and ends at
/// the CNode's size, its last slot really is empty, and the slot just before
/// it really is occupied.
fn check_boot_summary(root: &mut Root, bi: &BootInfo) -> Result<(), &'static str> {
    let a = &root.objs.alloc;
    if a.total_bytes() == 0 {
        return Err("no untyped RAM");
    }
    if a.slot_region() != bi.empty {
        return Err("free-slot region differs from boot info");
    }
    if bi.empty.end != 1 << bi.init_thread_cnode_size_bits {
        return Err("free slots do not run to the end of the root CNode");
    }
    let probe = |slot: u64| {
        ROOT_CNODE.cnode_copy(
            slot,
            64,
            root_slot(kernel_iface::abi::init_cap::TCB),
            CapRights::ALL,
        )
    };
    let last = bi.empty.end - 1;
    probe(last).map_err(|_| "kernel says the last free slot is not free")?;
    ROOT_CNODE
        .cnode_delete(last, 64)
        .map_err(|_| "cannot clear the probe copy")?;
    match probe(bi.empty.start - 1) {
        Err(Sel4Error::DeleteFirst) => Ok(()),
        Ok(()) => Err("the slot before the free region was empty"),
        Err(_) => Err("unexpected error probing the slot before the free region"),
    }
}

fn check_ping(root: &mut Root, calls: u64) -> Result<(), &'static str> {
    if root.ping_ep.is_none() {
        return Err("no ping component");
    }
    for i in 0..calls {
        let n = 1000 + i;
        match root.ping(n) {
            Some((reply, _, _)) if reply == n + 1 => {}
            Some(_) => return Err("wrong reply"),
            None => return Err("ping refused the request"),
        }
    }
    Ok(())
}

/// Sends ping a badged notification capability with a call; ping signals
/// it. The root task then finds the badge on the notification, and ping's
/// copy is gone (a second signal does not arrive).
fn check_cap_transfer(root: &mut Root) -> Result<(), &'static str> {
    const BADGE: u64 = 0x5a;
    let ep = root.ping_ep.ok_or("no ping component")?;
    let ntfn = root
        .objs
        .notification()
        .map_err(|_| "cannot make a notification")?;
    let badged = root.objs.alloc.alloc_slot().map_err(|_| "no slot")?;
    ROOT_CNODE
        .cnode_mint(badged, 64, root_slot(ntfn.cptr()), CapRights::ALL, BADGE)
        .map_err(|_| "cannot mint the badged notification")?;
    if ntfn.poll() != 0 {
        return Err("notification signalled before the call");
    }
    let info = kernel_iface::MessageInfo::new(2, 0, 0, 0);
    let r = ep.call_with_caps(info, [0; 4], &[badged]);
    if r.info.label() != 0 || r.mrs[0] != 1 {
        return Err("ping refused the capability");
    }
    if ntfn.poll() != BADGE {
        return Err("ping's signal did not arrive with the badge");
    }
    // Without a capability the same request is refused.
    let r = ep.call(info, [0; 4]);
    if r.info.label() != 1 {
        return Err("ping accepted a grant without a capability");
    }
    if ntfn.poll() != 0 {
        return Err("notification signalled again");
    }
    Ok(())
}

/// Launches `crash` and waits for its fault on the fault endpoint: it must
/// come from crash's id, be a VM fault at the address crash writes to, with
/// an instruction pointer inside crash's code.
fn check_fault_report(root: &mut Root) -> Result<(), &'static str> {
    let crash = root
        .launch("crash", 254, false)
        .ok_or("crash could not be launched")?;
    let msg = root.fault_ep.recv();
    if msg.badge & crate::loader::FAULT_BADGE == 0 {
        return Err("woken by something other than a fault");
    }
    let (comp, fault) = root.handle_fault(msg.badge, msg.info.label(), msg.mrs);
    let comp = comp.ok_or("fault badge names no known component")?;
    if comp.id != crash.id {
        return Err("fault attributed to the wrong component");
    }
    match fault {
        kernel_iface::fault::Fault::VmFault {
            addr: 0xdead_0000,
            ip,
            ..
        } if (crash.text.0..crash.text.1).contains(&ip) => Ok(()),
        kernel_iface::fault::Fault::VmFault { .. } => Err("VM fault with the wrong address or ip"),
        _ => Err("not a VM fault"),
    }
}

/// The boot benchmark: guest time from machine start to the banner and to
/// the first ping reply, and the cost of one ping round trip.
pub fn bench(root: &mut Root, entry_tsc: u64, banner_tsc: u64) -> ! {
    const ROUNDS: u64 = 1000;
    let Some((_, _, _)) = root.ping(0) else {
        let _ = writeln!(root.out, "bench: no ping component");
        root.exit_qemu(EXIT_FAIL)
    };
    let first_reply_tsc = pride_rt::tsc();
    // Warm up, then time a batch.
    for i in 0..100 {
        let _ = root.ping(i);
    }
    let ep: Cap<kind::Endpoint> = root.ping_ep.unwrap_or(Cap::from_cptr(0));
    let info = kernel_iface::MessageInfo::new(0, 0, 0, 1);
    let start = pride_rt::tsc();
    for i in 0..ROUNDS {
        let _ = ep.call(info, [i, 0, 0, 0]);
    }
    let per_call = (pride_rt::tsc() - start) / ROUNDS;
    let _ = writeln!(root.out, "bench: root_entry_tsc={entry_tsc}");
    let _ = writeln!(root.out, "bench: banner_tsc={banner_tsc}");
    let _ = writeln!(root.out, "bench: first_ping_reply_tsc={first_reply_tsc}");
    let _ = writeln!(
        root.out,
        "bench: ping_round_trip_ticks={per_call} rounds={ROUNDS}"
    );
    root.exit_qemu(EXIT_PASS)
}
