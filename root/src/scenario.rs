//! Built-in test scenarios and benchmarks, selected by the boot script.
//! Each case prints one line, `case NAME: ok` or `case NAME: FAILED (why)`,
//! and the run ends with `N passed, N failed`; then the root task ends QEMU
//! through `isa-debug-exit` with [`EXIT_PASS`] or [`EXIT_FAIL`]. The host
//! harness (`tests/`) checks the lines, the closing count and the exit
//! status.

use alloc::format;
use alloc::string::String;
use core::fmt::Write;

use kernel_iface::bootinfo::BootInfo;
use kernel_iface::cap::{kind, CapRights};
use kernel_iface::fault::Fault;
use kernel_iface::{Cap, MessageInfo, Sel4Error};
use pride_rt::component::HEAP_BASE;
use pride_supervisor_api::{self as api, ClientBadge};
use root_core::supervision::State;

use crate::objects::{root_slot, Source, ROOT_CNODE};
use crate::shell;
use crate::supervisor::{Event, Role, Supervisor};

/// `isa-debug-exit` value when every case passed (QEMU status 33).
pub const EXIT_PASS: u8 = 0x10;
/// `isa-debug-exit` value when a case failed (QEMU status 35).
pub const EXIT_FAIL: u8 = 0x11;

pub type CaseResult = Result<(), String>;

pub struct Tally {
    passed: u32,
    failed: u32,
}

impl Tally {
    pub fn case(&mut self, sup: &mut Supervisor, name: &str, result: CaseResult) {
        match result {
            Ok(()) => {
                self.passed += 1;
                let _ = writeln!(sup.out, "case {name}: ok");
            }
            Err(why) => {
                self.failed += 1;
                let _ = writeln!(sup.out, "case {name}: FAILED ({why})");
            }
        }
    }
}

/// Runs scenario `name` and ends QEMU.
pub fn run(sup: &mut Supervisor, bi: &BootInfo, name: &str) -> ! {
    let _ = writeln!(sup.out, "scenario {name}: start");
    let mut t = Tally { passed: 0, failed: 0 };
    match name {
        "foundation" => foundation(sup, bi, &mut t),
        "components" => components(sup, &mut t),
        "security" => crate::scenario_security::run(sup, &mut |sup, name, r| t.case(sup, name, r)),
        "lionsos" => crate::scenario_lionsos::run(sup, &mut t),
        "files" => crate::scenario_files::run(sup, &mut t),
        "files-bench" => crate::scenario_files::bench(sup, &mut t),
        other => {
            let _ = writeln!(sup.out, "scenario: unknown scenario '{other}'");
            t.failed += 1;
        }
    }
    let _ = writeln!(sup.out, "{} passed, {} failed", t.passed, t.failed);
    crate::exit_qemu(if t.failed == 0 { EXIT_PASS } else { EXIT_FAIL })
}

fn fail<T>(why: &str) -> Result<T, String> {
    Err(String::from(why))
}

// -------------------------------------------------------------------
// foundation: boot, IPC, capability transfer, fault reports
// -------------------------------------------------------------------

fn foundation(sup: &mut Supervisor, bi: &BootInfo, t: &mut Tally) {
    let r = check_boot_summary(sup, bi);
    t.case(sup, "boot-summary", r);
    let r = check_ping(sup, 3);
    t.case(sup, "ping", r);
    let r = check_cap_transfer(sup);
    t.case(sup, "cap-transfer", r);
    let r = check_fault_report(sup);
    t.case(sup, "fault-report", r);
    let r = check_ping(sup, 3);
    t.case(sup, "alive-after-fault", r);
}

/// The allocator's view must agree with boot info and with the kernel: there
/// is untyped RAM, the free-slot region is what boot info says and ends at
/// the CNode's size, its last slot really is empty, and the slot just before
/// it really is occupied.
fn check_boot_summary(sup: &mut Supervisor, bi: &BootInfo) -> CaseResult {
    let a = &sup.objs.root;
    if a.total_bytes() == 0 {
        return fail("no untyped RAM");
    }
    if a.slot_region() != bi.empty {
        return fail("free-slot region differs from boot info");
    }
    if bi.empty.end != 1 << bi.init_thread_cnode_size_bits {
        return fail("free slots do not run to the end of the root CNode");
    }
    let probe =
        |slot: u64| ROOT_CNODE.cnode_copy(slot, 64, root_slot(kernel_iface::abi::init_cap::TCB), CapRights::ALL);
    let last = bi.empty.end - 1;
    probe(last).map_err(|_| "kernel says the last free slot is not free")?;
    ROOT_CNODE
        .cnode_delete(last, 64)
        .map_err(|_| "cannot clear the probe copy")?;
    match probe(bi.empty.start - 1) {
        Err(Sel4Error::DeleteFirst) => Ok(()),
        Ok(()) => fail("the slot before the free region was empty"),
        Err(_) => fail("unexpected error probing the slot before the free region"),
    }
}

fn check_ping(sup: &mut Supervisor, calls: u64) -> CaseResult {
    for i in 0..calls {
        let n = 1000 + i;
        match shell::ping(sup, n) {
            Some((reply, _, _)) if reply == n + 1 => {}
            Some(_) => return fail("wrong reply"),
            None => return fail("no ping component, or it refused the request"),
        }
    }
    Ok(())
}

/// Sends ping a badged notification capability with a call; ping signals
/// it. The root task then finds the badge on the notification, and ping's
/// copy is gone (a second signal does not arrive).
fn check_cap_transfer(sup: &mut Supervisor) -> CaseResult {
    const BADGE: u64 = 0x5a;
    let ep = sup.service_endpoint("ping").ok_or("no ping service")?;
    let ntfn = sup
        .objs
        .notification(Source::Root)
        .map_err(|_| "cannot make a notification")?;
    let badged = sup.objs.root.alloc_slot().map_err(|_| "no slot")?;
    ROOT_CNODE
        .cnode_mint(badged, 64, root_slot(ntfn.cptr()), CapRights::ALL, BADGE)
        .map_err(|_| "cannot mint the badged notification")?;
    if ntfn.poll() != 0 {
        return fail("notification signalled before the call");
    }
    let info = MessageInfo::new(2, 0, 0, 0);
    let r = ep.call_with_caps(info, [0; 4], &[badged]);
    if r.info.label() != 0 || r.mrs[0] != 1 {
        return fail("ping refused the capability");
    }
    if ntfn.poll() != BADGE {
        return fail("ping's signal did not arrive with the badge");
    }
    // Without a capability the same request is refused.
    let r = ep.call(info, [0; 4]);
    if r.info.label() != api::BAD_REQUEST {
        return fail("ping accepted a grant without a capability");
    }
    if ntfn.poll() != 0 {
        return fail("notification signalled again");
    }
    Ok(())
}

/// Handles events until instance `n` exits; returns its exit code.
/// `on_output` sees every line an instance prints (by instance number) and
/// may act on it. A failure of instance `n` is an error, never a wait for
/// ever.
pub fn wait_exit(
    sup: &mut Supervisor,
    n: u64,
    mut on_output: impl FnMut(&mut Supervisor, u64) -> CaseResult,
) -> Result<u64, String> {
    loop {
        match sup.pump() {
            Event::Exited(m, code) if m == n => {
                sup.finish(m, code);
                return Ok(code);
            }
            Event::Failed(m) if m == n => {
                sup.apply_failure(m);
                return Err(format!("instance {n} failed before exiting"));
            }
            Event::Output(m) => on_output(sup, m)?,
            other => sup.background(other),
        }
    }
}

/// Waits for the next failure of component `id`; returns its instance.
pub fn wait_failure(sup: &mut Supervisor, id: u32) -> u64 {
    loop {
        match sup.pump() {
            Event::Failed(n) if sup.instances.iter().any(|i| i.number == n && i.component == id) => return n,
            other => sup.background(other),
        }
    }
}

/// Launches `crash` and waits for its fault: it must come from crash, be a
/// VM fault at the address crash writes to, with an instruction pointer
/// inside crash's code. The supervisor then restarts it.
fn check_fault_report(sup: &mut Supervisor) -> CaseResult {
    let id = sup
        .launch("crash", None)
        .map_err(|e| format!("crash could not be launched: {e}"))?;
    let text = sup.current(id).map(|i| i.loaded.text).ok_or("crash has no instance")?;
    let n = wait_failure(sup, id);
    let result = match sup.last_fault {
        Some((
            fid,
            Fault::VmFault {
                addr: 0xdead_0000, ip, ..
            },
        )) if fid == id && (text.0..text.1).contains(&ip) => Ok(()),
        Some((fid, _)) if fid != id => fail("fault attributed to the wrong component"),
        Some((_, Fault::VmFault { .. })) => fail("VM fault with the wrong address or ip"),
        _ => fail("not a VM fault"),
    };
    sup.apply_failure(n);
    result
}

// -------------------------------------------------------------------
// components: life cycle, supervision, isolation, quotas, update
// -------------------------------------------------------------------

fn components(sup: &mut Supervisor, t: &mut Tally) {
    let r = resource_manager_owns_memory(sup);
    t.case(sup, "resource-manager-owns-memory", r);
    let r = resource_exhaustion_contained(sup);
    t.case(sup, "resource-exhaustion-contained", r);
    let r = managers_serve_only_the_supervisor(sup);
    t.case(sup, "managers-serve-only-the-supervisor", r);
    let r = managers_are_permanent(sup);
    t.case(sup, "managers-are-permanent", r);
    let r = launch_stop_cycles(sup, 200);
    t.case(sup, "launch-stop-200-cycles", r);
    let r = launch_several(sup);
    t.case(sup, "launch-several", r);
    let r = restart_policy(sup);
    t.case(sup, "restart-policy", r);
    let r = isolation(sup);
    t.case(sup, "isolation", r);
    let r = fault_kinds(sup);
    t.case(sup, "fault-kinds", r);
    let r = quota(sup);
    t.case(sup, "quota", r);
    let r = failed_update(sup);
    t.case(sup, "failed-update-keeps-v1", r);
    let r = update_under_load(sup);
    t.case(sup, "update-under-load", r);
    let r = restart_generation(sup);
    t.case(sup, "restart-generation", r);
    let r = stalled_caller_released(sup, false);
    t.case(sup, "stalled-caller-released-on-restart", r);
    let r = stalled_caller_released(sup, true);
    t.case(sup, "stalled-caller-released-on-stop", r);
    let r = client_released(sup);
    t.case(sup, "client-never-hangs", r);
    sup.write_ps();
    sup.write_mem();
}

/// After boot the root task keeps only its reserve: the resource manager
/// holds (nearly) all memory, every component container came from it, and
/// it refuses to be stopped, restarted or updated.
fn resource_manager_owns_memory(sup: &mut Supervisor) -> CaseResult {
    let (rm_free, rm_total, _, _) = sup.rm_stats().ok_or("the resource manager does not answer")?;
    let root_total = sup.objs.root.total_bytes();
    let _ = writeln!(
        sup.out,
        "memory: resource manager {} KiB ({} KiB free), root task {} KiB",
        rm_total / 1024,
        rm_free / 1024,
        root_total / 1024
    );
    // The root task keeps its reserve, rounded up by whole untypeds (the
    // boot untypeds' sizes decide by how much): never more than twice it.
    if root_total > 2 * crate::resources::ROOT_RESERVE {
        return Err(format!("the root task kept {root_total} bytes of untyped memory"));
    }
    if rm_total < 9 * (rm_total + root_total) / 10 {
        return Err(format!("the resource manager holds only {rm_total} bytes"));
    }
    // Every running component but the resource manager has a container
    // in its books.
    let live = sup
        .instances
        .iter()
        .filter(|i| !sup.is_resource_manager(i.component))
        .count();
    let known = sup.containers_in_use().len() - sup.shell_container.is_some() as usize;
    if live != known {
        return Err(format!("{live} instances, {known} resource-manager containers"));
    }
    Ok(())
}

/// Neither manager can be stopped, restarted or updated, and both keep
/// serving afterwards.
fn managers_are_permanent(sup: &mut Supervisor) -> CaseResult {
    for (name, image) in [("resource-mgr", "resource-mgr"), ("conn-mgr", "conn-mgr")] {
        for r in [sup.stop(name), sup.restart(name), sup.update(name, image)] {
            match r {
                Err(crate::supervisor::SupError::Refused(_)) => {}
                other => return Err(format!("stopping or replacing {name}: {other:?}")),
            }
        }
    }
    sup.rm_stats().ok_or("the resource manager stopped answering")?;
    let id = sup
        .launch("hello", Some("hello-managers"))
        .map_err(|e| format!("{e}"))?;
    wait_ready(sup, id)?;
    sup.stop("hello-managers").map_err(|e| format!("{e}"))
}

/// Asking for more memory than is left is an error for the one asking:
/// nothing is half-given, nothing is lost, and launches go on working.
fn resource_exhaustion_contained(sup: &mut Supervisor) -> CaseResult {
    let before = sup.free_memory();
    let mut made = alloc::vec::Vec::new();
    let refusal = loop {
        match sup.rm_create(64, 64) {
            Ok(cid) => made.push(cid),
            Err(e) => break e,
        }
        if made.len() > 64 {
            break crate::resources::RmCallError::Refused(0);
        }
    };
    let squeezed = sup.free_memory();
    let launched = sup.launch("hello", Some("hello-squeezed")).is_ok();
    for cid in made.drain(..) {
        sup.rm_destroy(cid);
    }
    if refusal != crate::resources::RmCallError::Exhausted {
        return Err(format!("asking for too much memory: {refusal:?}"));
    }
    if squeezed >= 64 << 20 {
        return Err(format!("{squeezed} bytes were still free when 64 MiB was refused"));
    }
    if launched {
        let _ = sup.stop("hello-squeezed");
    }
    let after = sup.free_memory();
    if after != before {
        return Err(format!("free memory {before} -> {after} bytes"));
    }
    let id = sup
        .launch("hello", Some("hello-after"))
        .map_err(|e| format!("launch after: {e}"))?;
    wait_ready(sup, id)?;
    sup.stop("hello-after").map_err(|e| format!("{e}"))
}

/// A client other than the supervisor that gets hold of a manager's
/// service is refused, whatever it asks.
fn managers_serve_only_the_supervisor(sup: &mut Supervisor) -> CaseResult {
    use pride_supervisor_api::{connections as cm, resources as rm};
    for (service, requests) in [
        (crate::resources::SERVICE, [rm::CREATE, rm::STATS]),
        (crate::connections::SERVICE, [cm::CLOSE_CLIENT, cm::SESSION]),
    ] {
        let ep = sup.service_endpoint(service).ok_or("no such service")?;
        let gen = sup.service_generation(service).ok_or("no generation")?;
        let slot = sup.objs.root.alloc_slot().map_err(|_| "no slot")?;
        let badge = ClientBadge {
            client: 77,
            generation: gen as u16,
        }
        .to_badge();
        ROOT_CNODE
            .cnode_mint(slot, 64, root_slot(ep.cptr()), CapRights::ALL, badge)
            .map_err(|_| "mint failed")?;
        let forged: Cap<kind::Endpoint> = Cap::from_cptr(slot);
        let labels: alloc::vec::Vec<u64> = requests
            .iter()
            .map(|&l| forged.call(MessageInfo::new(l, 0, 0, 2), [1, 64, 0, 0]).info.label())
            .collect();
        let _ = ROOT_CNODE.cnode_delete(slot, 64);
        sup.objs.root.free_slot(slot);
        if labels.iter().any(|&l| l != api::DENIED) {
            return Err(format!("another client of '{service}' got {labels:x?}"));
        }
    }
    Ok(())
}

/// (free bytes, free slots, free chunks).
fn free_resources(sup: &mut Supervisor) -> (u64, u64, u64) {
    (
        sup.free_memory(),
        sup.objs.root.free_slots(),
        sup.rm_stats().map_or(0, |s| s.3),
    )
}

/// Waits until component `id` has said READY (or failed).
pub fn wait_ready(sup: &mut Supervisor, id: u32) -> CaseResult {
    loop {
        match sup.table.by_id(id).map(|r| r.state) {
            Some(State::Running) => return Ok(()),
            Some(State::Starting) => {}
            _ => return fail("component did not start"),
        }
        let e = sup.pump();
        sup.background(e);
    }
}

/// `cycles` launch/stop cycles of `hello` must leave free memory and free
/// slots exactly where they were. One warm-up cycle runs first: it carves
/// the 1 MiB chunk the loop then reuses, and the chunk's capability keeps a
/// root-CNode slot for good; memory is counted from before it, slots from
/// after it.
fn launch_stop_cycles(sup: &mut Supervisor, cycles: u32) -> CaseResult {
    let before = free_resources(sup);
    sup.quiet = true;
    let mut result = Ok(());
    let mut after_warmup = before;
    for i in 0..=cycles {
        if i == 1 {
            after_warmup = free_resources(sup);
        }
        let id = match sup.launch("hello", Some("cycle")) {
            Ok(id) => id,
            Err(e) => {
                result = Err(format!("launch failed: {e}"));
                break;
            }
        };
        if let Err(e) = wait_ready(sup, id).and_then(|_| sup.stop("cycle").map_err(|e| format!("{e}"))) {
            result = Err(e);
            break;
        }
    }
    sup.quiet = false;
    result?;
    let after = free_resources(sup);
    let _ = writeln!(
        sup.out,
        "cycles: {cycles} launch/stop cycles; free memory {} -> {} bytes, free slots {} -> {}",
        before.0, after.0, after_warmup.1, after.1
    );
    if after.0 != before.0 {
        return Err(format!(
            "free memory changed by {} bytes",
            after.0 as i64 - before.0 as i64
        ));
    }
    if after.1 != after_warmup.1 {
        return Err(format!(
            "free slots changed by {}",
            after.1 as i64 - after_warmup.1 as i64
        ));
    }
    Ok(())
}

fn launch_several(sup: &mut Supervisor) -> CaseResult {
    for (image, name) in [("hello", "hello"), ("hello", "hello2"), ("counter", "counter")] {
        let id = sup.launch(image, Some(name)).map_err(|e| format!("{e}"))?;
        wait_ready(sup, id)?;
    }
    sup.write_ps();
    for name in ["hello", "hello2", "counter"] {
        let r = sup.table.by_name(name).ok_or("missing from the table")?;
        if r.state != State::Running || r.generation != 1 {
            return Err(format!("'{name}' is not running in generation 1"));
        }
    }
    Ok(())
}

fn restart_policy(sup: &mut Supervisor) -> CaseResult {
    let id = sup.launch("crash", None).map_err(|e| format!("{e}"))?;
    loop {
        match sup.table.by_id(id).map(|r| r.state) {
            Some(State::Held) => break,
            Some(s) if s.is_live() => {}
            _ => return fail("crash ended up neither running nor held"),
        }
        let e = sup.pump();
        sup.background(e);
    }
    let r = sup.table.by_id(id).ok_or("crash vanished")?;
    if r.generation != 3 {
        return Err(format!(
            "held in generation {} (expected 3: restarted twice)",
            r.generation
        ));
    }
    if sup.current(id).is_some() {
        return fail("a held component still has an instance");
    }
    Ok(())
}

fn isolation(sup: &mut Supervisor) -> CaseResult {
    let id = sup.launch("snoop", None).map_err(|e| format!("{e}"))?;
    let n = wait_failure(sup, id);
    let result = match sup.last_fault {
        Some((fid, Fault::VmFault { addr, .. })) if fid == id && addr == HEAP_BASE => Ok(()),
        _ => fail("snoop's read did not fault at the heap address"),
    };
    sup.apply_failure(n);
    result?;
    for name in ["hello", "counter"] {
        if sup.table.by_name(name).map(|r| r.state) != Some(State::Running) {
            return Err(format!("'{name}' stopped running"));
        }
    }
    Ok(())
}

/// Each kind of fault is caught and reported with the component's name.
fn fault_kinds(sup: &mut Supervisor) -> CaseResult {
    for (image, kind) in [
        ("crash-ill", "illegal instruction"),
        ("crash-cap", "capability fault"),
        ("crash-sys", "unknown syscall"),
    ] {
        let id = sup.launch(image, None).map_err(|e| format!("{e}"))?;
        let n = wait_failure(sup, id);
        let got = match sup.last_fault {
            Some((fid, f)) if fid == id => f.kind(),
            _ => "nothing",
        };
        sup.apply_failure(n);
        if got != kind {
            return Err(format!("{image}: expected {kind}, got {got}"));
        }
    }
    Ok(())
}

fn quota(sup: &mut Supervisor) -> CaseResult {
    let free_before = sup.free_memory();
    let id = sup.launch("hog", None).map_err(|e| format!("{e}"))?;
    // hog prints once, when its quota is exhausted.
    loop {
        match sup.pump() {
            Event::Output(n) if sup.current(id).is_some_and(|i| i.number == n) => break,
            Event::Failed(n) if sup.current(id).is_some_and(|i| i.number == n) => {
                sup.apply_failure(n);
                return fail("hog crashed instead of getting an error");
            }
            other => sup.background(other),
        }
    }
    let inst = sup.current(id).ok_or("hog has no instance")?;
    let (used, quota) = (inst.loaded.container.used_bytes(), inst.loaded.container.quota_bytes());
    if used * 10 < quota * 9 {
        return Err(format!("hog used only {used} of {quota} bytes"));
    }
    // Only hog's own container was used up: the machine lost exactly the
    // chunk hog was given.
    let lost = free_before - sup.free_memory();
    if lost != quota {
        return Err(format!("the machine lost {lost} bytes for a {quota}-byte quota"));
    }
    if sup.table.by_name("counter").map(|r| r.state) != Some(State::Running) {
        return fail("counter stopped running");
    }
    sup.stop("hog").map_err(|e| format!("{e}"))
}

/// A connection for the root task itself (client id 0) to `service`.
fn root_connection(sup: &mut Supervisor, service: &str) -> Result<Cap<kind::Endpoint>, String> {
    let ep = sup.service_endpoint(service).ok_or("no such service")?;
    let gen = sup.service_generation(service).ok_or("service down")?;
    let slot = sup.objs.root.alloc_slot().map_err(|_| "no slot")?;
    let badge = ClientBadge {
        client: 0,
        generation: gen as u16,
    }
    .to_badge();
    ROOT_CNODE
        .cnode_mint(slot, 64, root_slot(ep.cptr()), CapRights::ALL, badge)
        .map_err(|_| "mint failed")?;
    Ok(Cap::from_cptr(slot))
}

fn counter_call(conn: Cap<kind::Endpoint>, label: u64) -> Result<u64, u64> {
    let r = conn.call(MessageInfo::new(label, 0, 0, 0), [0; 4]);
    if r.info.label() == api::OK {
        Ok(r.mrs[0])
    } else {
        Err(r.info.label())
    }
}

const INCREMENT: u64 = 0;
const GET: u64 = 1;
const VERSION: u64 = 2;

fn failed_update(sup: &mut Supervisor) -> CaseResult {
    let conn = root_connection(sup, "counter")?;
    for _ in 0..5 {
        counter_call(conn, INCREMENT).map_err(|l| format!("increment refused ({l})"))?;
    }
    let before = counter_call(conn, GET).map_err(|_| "get refused")?;
    match sup.update("counter", "counter-bad") {
        Ok(()) => return fail("the broken update was accepted"),
        Err(e) => {
            let _ = writeln!(sup.out, "update refused as expected: {e}");
        }
    }
    if counter_call(conn, VERSION) != Ok(1) {
        return fail("counter is not version 1 after the failed update");
    }
    if counter_call(conn, GET) != Ok(before) {
        return fail("counter lost its count in the failed update");
    }
    if sup.instances.iter().any(|i| i.role != Role::Current) {
        return fail("an instance of the failed update was left behind");
    }
    Ok(())
}

fn update_under_load(sup: &mut Supervisor) -> CaseResult {
    let conn = root_connection(sup, "counter")?;
    let start = counter_call(conn, GET).map_err(|_| "get refused")?;
    let client = sup.launch("counter-client", None).map_err(|e| format!("{e}"))?;
    let client_instance = sup.current(client).map(|i| i.number).ok_or("no client instance")?;
    let mut outputs = 0;
    let mut updated = false;
    let code = wait_exit(sup, client_instance, |sup, n| {
        if n == client_instance {
            outputs += 1;
            // Update in the middle of the client's run.
            if outputs == 2 && !updated {
                sup.update("counter", "counter-v2")
                    .map_err(|e| format!("update failed: {e}"))?;
                updated = true;
            }
        }
        Ok(())
    })
    .map_err(|e| format!("the client failed: {e}"))?;
    if !updated {
        return fail("the client finished before the update");
    }
    if code != 0 {
        return Err(format!("the client saw lost or repeated calls (exit code {code})"));
    }
    if counter_call(conn, VERSION) != Ok(2) {
        return fail("counter is not version 2");
    }
    let end = counter_call(conn, GET).map_err(|_| "get refused")?;
    let calls = 2000; // counter-client's CALLS
    if end != start + calls {
        return Err(format!("count went from {start} to {end}, expected +{calls}"));
    }
    Ok(())
}

fn restart_generation(sup: &mut Supervisor) -> CaseResult {
    let old = root_connection(sup, "counter")?;
    let gen = sup.table.by_name("counter").map(|r| r.generation).ok_or("no counter")?;
    sup.restart("counter").map_err(|e| format!("{e}"))?;
    let id = sup.table.by_name("counter").map(|r| r.id).ok_or("no counter")?;
    wait_ready(sup, id)?;
    if sup.table.by_id(id).map(|r| r.generation) != Some(gen + 1) {
        return fail("the generation did not grow");
    }
    if counter_call(old, GET) != Err(api::SERVER_RESTARTED) {
        return fail("an old connection did not get SERVER_RESTARTED");
    }
    let new = root_connection(sup, "counter")?;
    if counter_call(new, INCREMENT) != Ok(1) {
        return fail("the restarted counter did not start from 0");
    }
    Ok(())
}

/// A client blocked in a call the server will never answer is released
/// when the server restarts (`SERVER_RESTARTED`) or stops (`SERVICE_DOWN`).
/// `counter` prints a line when it takes the `STALL` request, so at that
/// moment the client is certainly blocked waiting for the reply.
fn stalled_caller_released(sup: &mut Supervisor, stop: bool) -> CaseResult {
    let counter = sup.table.by_name("counter").map(|r| r.id).ok_or("no counter")?;
    if sup.table.by_id(counter).map(|r| r.state) != Some(State::Running) {
        let id = sup.launch("counter", None).map_err(|e| format!("{e}"))?;
        wait_ready(sup, id)?;
    }
    let counter = sup.table.by_name("counter").map(|r| r.id).ok_or("no counter")?;
    let name = if stop { "stall-stop" } else { "stall-restart" };
    let client = sup.launch("stall-client", Some(name)).map_err(|e| format!("{e}"))?;
    let n = sup.current(client).map(|i| i.number).ok_or("no client instance")?;
    let mut acted = false;
    let code = wait_exit(sup, n, |sup, m| {
        if !acted && sup.current(counter).is_some_and(|i| i.number == m) {
            acted = true;
            let r = if stop {
                sup.stop("counter")
            } else {
                sup.restart("counter")
            };
            r.map_err(|e| format!("{e}"))?;
        }
        Ok(())
    })?;
    let expected = if stop { api::SERVICE_DOWN } else { api::SERVER_RESTARTED };
    if code != expected {
        return Err(format!("the call ended with label {code:#x}, expected {expected:#x}"));
    }
    Ok(())
}

fn client_released(sup: &mut Supervisor) -> CaseResult {
    if sup.table.by_name("counter").map(|r| r.state) != Some(State::Running) {
        let id = sup.launch("counter", None).map_err(|e| format!("{e}"))?;
        wait_ready(sup, id)?;
    }
    let client = sup
        .launch("counter-client", Some("client2"))
        .map_err(|e| format!("{e}"))?;
    let n = sup.current(client).map(|i| i.number).ok_or("no client instance")?;
    let mut stopped = false;
    let code = wait_exit(sup, n, |sup, m| {
        if m == n && !stopped {
            sup.stop("counter").map_err(|e| format!("{e}"))?;
            stopped = true;
        }
        Ok(())
    })
    .map_err(|e| format!("the client faulted instead of getting an error: {e}"))?;
    if code != 3 {
        return Err(format!(
            "the client exited with {code}, expected 3 (gave up on SERVICE_DOWN)"
        ));
    }
    Ok(())
}

// -------------------------------------------------------------------
// benchmarks
// -------------------------------------------------------------------

/// The benchmarks: guest time from machine start to the banner and to the
/// first ping reply, the cost of one ping round trip, and the latencies of
/// launch, stop, restart and update.
pub fn bench(sup: &mut Supervisor, entry_tsc: u64, banner_tsc: u64) -> ! {
    const ROUNDS: u64 = 1000;
    if shell::ping(sup, 0).is_none() {
        let _ = writeln!(sup.out, "bench: no ping component");
        crate::exit_qemu(EXIT_FAIL)
    }
    let first_reply_tsc = pride_rt::tsc();
    for i in 0..100 {
        let _ = shell::ping(sup, i);
    }
    let Some(ep) = sup.service_endpoint("ping") else {
        crate::exit_qemu(EXIT_FAIL)
    };
    let info = MessageInfo::new(0, 0, 0, 1);
    let start = pride_rt::tsc();
    for i in 0..ROUNDS {
        let _ = ep.call(info, [i, 0, 0, 0]);
    }
    let per_call = (pride_rt::tsc() - start) / ROUNDS;
    let _ = writeln!(sup.out, "bench: root_entry_tsc={entry_tsc}");
    let _ = writeln!(sup.out, "bench: banner_tsc={banner_tsc}");
    let _ = writeln!(sup.out, "bench: first_ping_reply_tsc={first_reply_tsc}");
    let _ = writeln!(sup.out, "bench: ping_round_trip_ticks={per_call} rounds={ROUNDS}");

    if let Err(e) = mediation_costs(sup) {
        let _ = writeln!(sup.out, "bench: mediation failed: {e}");
        crate::exit_qemu(EXIT_FAIL)
    }
    match lifecycle_latencies(sup) {
        Ok(()) => crate::exit_qemu(EXIT_PASS),
        Err(e) => {
            let _ = writeln!(sup.out, "bench: lifecycle failed: {e}");
            crate::exit_qemu(EXIT_FAIL)
        }
    }
}

/// Store requests with and without mediation, and a policy swap with eight
/// object servers acknowledging.
fn mediation_costs(sup: &mut Supervisor) -> CaseResult {
    use pride_supervisor_api::store as proto;
    const N: u64 = 1000;
    sup.quiet = true;
    let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
    if sup.store_request(shell, proto::PUT, "public/readme", "hello").0 != api::OK {
        return fail("cannot write the benchmark object");
    }
    // A request the store answers without consulting anyone.
    let stats = MessageInfo::new(proto::STATS, 0, 0, 0);
    let t = pride_rt::tsc();
    for _ in 0..N {
        let _ = shell.call(stats, [0; 4]);
    }
    let plain = (pride_rt::tsc() - t) / N;
    // GET with a cached decision (the first one fills the cache).
    let get = |key: &str| {
        let mut m = pride_rt::msg::Outgoing::new();
        m.word(key.len() as u64).bytes(key.as_bytes());
        m.call(shell, proto::GET).info.label()
    };
    if get("public/readme") != api::OK {
        return fail("benchmark read refused");
    }
    // The servers' own work, as they count it (user-mode ticks from
    // receive to reply): the store's per GET, the security server's per
    // DECIDE. What is left of a request's cost is IPC and the client.
    let store_work = || shell.call(MessageInfo::new(proto::WORK, 0, 0, 0), [0; 4]).mrs;
    let security_work = |sup: &mut Supervisor| {
        sup.supervisor_conn("security", crate::mediation::SUPERVISOR_CLIENT)
            .map(|c| {
                c.call(
                    MessageInfo::new(pride_supervisor_api::security::STATUS, 0, 0, 0),
                    [0; 4],
                )
                .mrs[3]
            })
            .unwrap_or(0)
    };
    let w0 = store_work();
    let t = pride_rt::tsc();
    for _ in 0..N {
        let _ = get("public/readme");
    }
    let cached = (pride_rt::tsc() - t) / N;
    let w1 = store_work();
    // GET of a different object each time: every decision is a cache miss
    // that consults the security server (the objects do not exist: the
    // store answers NOT_FOUND after the decision).
    let keys: alloc::vec::Vec<String> = (0..200).map(|i| format!("miss/{i}")).collect();
    let s0 = security_work(sup);
    let t = pride_rt::tsc();
    for k in &keys {
        let _ = get(k);
    }
    let miss = (pride_rt::tsc() - t) / keys.len() as u64;
    let w2 = store_work();
    let s1 = security_work(sup);
    if w1[1] - w0[1] != N || w2[3] - w1[3] != keys.len() as u64 {
        return fail("the store did not count every benchmark GET");
    }
    // The same cached GET with the request built once: the call alone,
    // without the client's marshalling.
    let (info, mrs) = {
        let mut m = pride_rt::msg::Outgoing::new();
        m.word(13).bytes(b"public/readme");
        m.finish(proto::GET)
    };
    let w3 = store_work();
    let t = pride_rt::tsc();
    for _ in 0..N {
        let _ = shell.call(info, mrs);
    }
    let cached_call = (pride_rt::tsc() - t) / N;
    let w4 = store_work();
    if w4[1] - w3[1] != N {
        return fail("the store did not count every benchmark GET");
    }
    let cached_call_work = (w4[0] - w3[0]) / N;
    let _ = writeln!(sup.out, "bench: store_get_cached_call={cached_call}");
    let _ = writeln!(sup.out, "bench: store_get_cached_call_work={cached_call_work}");

    let miss_store_work = (w2[2] - w1[2]) / keys.len() as u64;
    let miss_security_work = (s1 - s0) / keys.len() as u64;
    let _ = writeln!(sup.out, "bench: store_plain_ticks={plain} rounds={N}");
    let _ = writeln!(sup.out, "bench: store_get_cached_ticks={cached} rounds={N}");
    let _ = writeln!(sup.out, "bench: store_get_miss_ticks={miss} rounds={}", keys.len());
    let _ = writeln!(sup.out, "bench: store_get_miss_store_work={miss_store_work}");
    let _ = writeln!(sup.out, "bench: store_get_miss_security_work={miss_security_work}");
    // Eight object servers, then swaps.
    for i in 2..=8 {
        let name = format!("store{i}");
        let id = sup.launch("store", Some(&name)).map_err(|e| format!("{e}"))?;
        wait_ready(sup, id)?;
    }
    // One swap first, not counted: the first update of the security server
    // may have to carve a fresh chunk for the new version (about 5 M
    // instructions, once), after which the versions reuse each other's.
    sup.policy_swap("open").map_err(|e| format!("{e}"))?;
    let mut total = 0;
    let mut servers = 0;
    const SWAPS: u64 = 6;
    for i in 0..SWAPS {
        let module = if i % 2 == 0 { "allowlist" } else { "open" };
        let r = sup.policy_swap(module).map_err(|e| format!("{e}"))?;
        total += r.ticks;
        servers = r.servers_flushed;
    }
    let _ = writeln!(
        sup.out,
        "bench: policy_swap_ticks={} servers={servers} rounds={SWAPS}",
        total / SWAPS
    );
    for i in 2..=8 {
        let _ = sup.stop(&format!("store{i}"));
    }
    sup.quiet = false;
    Ok(())
}

/// Mean ticks of launch (until READY), stop, restart (until READY) and
/// update (until the new version is READY) over a few rounds.
fn lifecycle_latencies(sup: &mut Supervisor) -> CaseResult {
    const ROUNDS: u64 = 20;
    sup.quiet = true;
    let (mut launch, mut stop, mut restart, mut update) = (0, 0, 0, 0);
    // Warm up: carve the chunks the rounds reuse.
    let id = sup.launch("counter", None).map_err(|e| format!("{e}"))?;
    wait_ready(sup, id)?;
    for _ in 0..ROUNDS {
        let t0 = pride_rt::tsc();
        let id = sup.launch("hello", Some("bench")).map_err(|e| format!("{e}"))?;
        wait_ready(sup, id)?;
        let t1 = pride_rt::tsc();
        sup.restart("bench").map_err(|e| format!("{e}"))?;
        wait_ready(sup, id)?;
        let t2 = pride_rt::tsc();
        sup.stop("bench").map_err(|e| format!("{e}"))?;
        let t3 = pride_rt::tsc();
        // counter -> counter-v2 once, then counter-v2 -> counter-v2 (a v2
        // reads both state versions; v1 would refuse v2's).
        sup.update("counter", "counter-v2").map_err(|e| format!("{e}"))?;
        let t4 = pride_rt::tsc();
        launch += t1 - t0;
        restart += t2 - t1;
        stop += t3 - t2;
        update += t4 - t3;
    }
    sup.quiet = false;
    let _ = writeln!(sup.out, "bench: launch_ticks={} rounds={ROUNDS}", launch / ROUNDS);
    let _ = writeln!(sup.out, "bench: restart_ticks={} rounds={ROUNDS}", restart / ROUNDS);
    let _ = writeln!(sup.out, "bench: stop_ticks={} rounds={ROUNDS}", stop / ROUNDS);
    let _ = writeln!(sup.out, "bench: update_ticks={} rounds={ROUNDS}", update / ROUNDS);
    Ok(())
}
