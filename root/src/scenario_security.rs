//! The `security` scenario: mediation on real seL4. The boot script starts
//! `ping`, the security server with the allowlist policy, and `store`.
//!
//! Besides real components (`store-probe`, `forger`, `store-hog`), the
//! scenario speaks to the store as *test subjects*: subject ids above the
//! component range with labels such as `sys/mallory`, for which the
//! supervisor mints connection badges directly. The store and the security
//! server treat them like any client; this lets one scenario exercise many
//! labels without a component for each.

use alloc::format;
use alloc::string::{String, ToString};
use core::fmt::Write;

use kernel_iface::abi::WORD_BITS;
use kernel_iface::cap::{kind, CapRights};
use kernel_iface::{Cap, MessageInfo};
use pride_rt::msg::Outgoing;
use pride_supervisor_api::security as sec;
use pride_supervisor_api::store as proto;
use pride_supervisor_api::{self as api, ClientBadge};
use security_srv::Operation;

use crate::loader::read_frame;
use crate::mediation::{Purse, SHELL_SUBJECT};
use crate::objects::{root_slot, Objects, ROOT_CNODE};
use crate::scenario::{wait_exit, wait_ready, CaseResult};
use crate::supervisor::{Event, Supervisor};

type Report<'a> = &'a mut dyn FnMut(&mut Supervisor, &str, CaseResult);

/// A connection to the store for test subject `id` labelled `label`.
fn subject(sup: &mut Supervisor, id: u32, label: &str) -> Result<Cap<kind::Endpoint>, String> {
    sup.extra_labels.insert(id, label.to_string());
    // Teach the security server the label (the answer does not matter).
    let _ = sup.ask(id, "service:store", Operation::Connect);
    let ep = sup.service_endpoint("store").ok_or("no store")?;
    let gen = sup.service_generation("store").ok_or("store down")?;
    let slot = sup.objs.root.alloc_slot().map_err(|_| "no slot")?;
    let badge = ClientBadge {
        client: id as u16,
        generation: gen as u16,
    }
    .to_badge();
    // A session for the test subject, paid for by the shell's memory.
    let rc = sup.shell_container;
    sup.donate(id, rc, &mut Purse::Shell, "store", badge)
        .map_err(|e| format!("no session for {label}: {e}"))?;
    ROOT_CNODE
        .cnode_mint(slot, WORD_BITS as u64, root_slot(ep.cptr()), CapRights::ALL, badge)
        .map_err(|_| "mint failed")?;
    Ok(Cap::from_cptr(slot))
}

fn get(sup: &mut Supervisor, conn: Cap<kind::Endpoint>, key: &str) -> u64 {
    sup.store_request(conn, proto::GET, key, "").0
}

fn put(sup: &mut Supervisor, conn: Cap<kind::Endpoint>, key: &str, value: &str) -> u64 {
    sup.store_request(conn, proto::PUT, key, value).0
}

/// (hits, misses, flushes, cache epoch) of the store.
fn stats(conn: Cap<kind::Endpoint>) -> (u64, u64, u64, u64) {
    let r = conn.call(MessageInfo::new(proto::STATS, 0, 0, 0), [0; 4]);
    (r.mrs[0], r.mrs[1], r.mrs[2], r.mrs[3])
}

/// (epoch, settled) of the security server.
fn status(sup: &mut Supervisor) -> (u64, bool) {
    let Some(conn) = sup.supervisor_conn("security", crate::mediation::SUPERVISOR_CLIENT) else {
        return (0, false);
    };
    let r = conn.call(MessageInfo::new(sec::STATUS, 0, 0, 0), [0; 4]);
    (r.mrs[0], r.mrs[1] == 1)
}

fn expect(what: &str, got: u64, want: u64) -> CaseResult {
    if got == want {
        Ok(())
    } else {
        Err(format!("{what}: got label {got:#x}, expected {want:#x}"))
    }
}

fn swap(sup: &mut Supervisor, module: &str) -> CaseResult {
    sup.policy_swap(module)
        .map(|_| ())
        .map_err(|e| format!("swap to {module}: {e}"))
}

/// True if `needle` is in the memory `client` lent the store (all its
/// loans, each read whole through a copy of its frames' capabilities).
fn lent_memory_holds(sup: &mut Supervisor, client: u32, needle: &[u8]) -> Result<bool, String> {
    let loans: alloc::vec::Vec<alloc::vec::Vec<Cap<kind::Page>>> = sup
        .loans
        .iter()
        .filter(|l| l.client == client && l.service == "store")
        .map(|l| (0..).map_while(|i| Objects::lent_frame(&l.lent, i)).collect())
        .collect();
    if loans.is_empty() {
        return Err(format!("client {client} lent the store nothing"));
    }
    let mut page = [0u8; 4096];
    for frames in loans {
        let mut memory = alloc::vec::Vec::new();
        for f in frames {
            read_frame(&mut sup.objs, f, &mut page).map_err(|e| format!("reading a lent frame: {e}"))?;
            memory.extend_from_slice(&page);
        }
        if memory.windows(needle.len()).any(|w| w == needle) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Launches `image` as `name` and waits for its exit code.
fn run_client(sup: &mut Supervisor, image: &str, name: &str) -> Result<u64, String> {
    let id = sup.launch(image, Some(name)).map_err(|e| format!("{e}"))?;
    let n = sup.current(id).map(|i| i.number).ok_or("no instance")?;
    wait_exit(sup, n, |_, _| Ok(())).map_err(|e| format!("{name}: {e}"))
}

/// `alice` (allowed by the rules) connects and reads; the connection
/// manager lists the session under her badge; closing it there revokes her
/// copy, and her next read is refused by the kernel.
fn connection_manager_revokes(sup: &mut Supervisor) -> CaseResult {
    let id = sup.launch("store-waiter", Some("alice")).map_err(|e| format!("{e}"))?;
    let n = sup.current(id).map(|i| i.number).ok_or("no instance")?;
    loop {
        match sup.pump() {
            Event::Output(m) if m == n => break,
            Event::Exited(m, _) | Event::Failed(m) if m == n => return Err("waiter ended early".to_string()),
            other => sup.background(other),
        }
    }
    let gen = sup.service_generation("store").ok_or("no store")?;
    let badge = ClientBadge {
        client: id as u16,
        generation: gen as u16,
    }
    .to_badge();
    let listed = |sup: &mut Supervisor| {
        sup.cm_sessions()
            .iter()
            .any(|s| s.client == id && s.service == "store" && s.badge == badge)
    };
    if !listed(sup) {
        return Err("the connection manager does not list alice's session".to_string());
    }
    sup.close_connection(id, "store");
    if listed(sup) || sup.loans.iter().any(|l| l.client == id) {
        return Err("alice's session or donation outlived the close".to_string());
    }
    let ntfn = sup.current(id).map(|i| i.loaded.notification).ok_or("waiter gone")?;
    sup.signal_badged(ntfn, 4).map_err(|e| format!("{e}"))?;
    let code = wait_exit(sup, n, |_, _| Ok(())).map_err(|e| format!("waiter: {e}"))?;
    // InvalidCapability: the kernel refused the revoked connection.
    expect("alice's read after the close", code, 2)
}

/// Under `open`, `mallory` connects and reads; the swap to `allowlist`
/// (no rule for mallory) withdraws the connection; mallory's next read is
/// refused by the kernel: the capability is gone.
fn withdrawn_connection(sup: &mut Supervisor) -> CaseResult {
    let id = sup
        .launch("store-waiter", Some("mallory"))
        .map_err(|e| format!("{e}"))?;
    let n = sup.current(id).map(|i| i.number).ok_or("no instance")?;
    loop {
        match sup.pump() {
            Event::Output(m) if m == n => break,
            Event::Exited(m, _) | Event::Failed(m) if m == n => return Err("waiter ended early".to_string()),
            other => sup.background(other),
        }
    }
    if !sup.loans.iter().any(|l| l.client == id) {
        return Err("mallory's session has no donation".to_string());
    }
    swap(sup, "allowlist")?;
    // The withdrawal ended the loan: the memory is mallory's again.
    if sup.loans.iter().any(|l| l.client == id) {
        return Err("mallory's donation outlived the withdrawn connection".to_string());
    }
    let spare = sup.current(id).map(|i| i.loaded.container.spare_blocks()).unwrap_or(0);
    if spare != 1 {
        return Err(format!("mallory's container got {spare} blocks back, expected 1"));
    }
    let ntfn = sup.current(id).map(|i| i.loaded.notification).ok_or("waiter gone")?;
    sup.signal_badged(ntfn, 4).map_err(|e| format!("{e}"))?;
    let code = wait_exit(sup, n, |_, _| Ok(())).map_err(|e| format!("waiter: {e}"))?;
    // InvalidCapability: the kernel refused the withdrawn connection.
    expect("mallory's read after the withdrawal", code, 2)
}

pub fn run(sup: &mut Supervisor, case: Report<'_>) {
    let shell = sup.shell_conn("store");
    let r = (|| -> CaseResult {
        let shell = shell.map_err(|e| format!("{e}"))?;
        for (k, v) in [
            ("public/readme", "hello"),
            ("secret/plan", "s3cret"),
            ("bank-a/acct", "100"),
            ("bank-b/acct", "200"),
        ] {
            expect(k, put(sup, shell, k, v), api::OK)?;
        }
        Ok(())
    })();
    case(sup, "shell-sets-up-objects", r);

    let r = (|| -> CaseResult {
        // The store keeps what the shell writes in the frames the shell's
        // container lent it, key then value.
        let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
        expect("put", put(sup, shell, "notes/marker", "donated-7f3a"), api::OK)?;
        if !lent_memory_holds(sup, SHELL_SUBJECT, b"notes/markerdonated-7f3a")? {
            return Err("the object is not in the memory the shell lent".to_string());
        }
        let used = sup.shell_memory.used_bytes();
        if used < proto::SESSION_DONATION {
            return Err(format!("the shell's container holds only {used} bytes"));
        }
        Ok(())
    })();
    case(sup, "objects-live-in-donated-memory", r);

    let r = connection_manager_revokes(sup);
    case(sup, "connection-manager-revokes", r);

    let r = run_client(sup, "store-probe", "mallory")
        .and_then(|code| expect("mallory's (read << 8 | connect)", code, (2 << 8) | api::DENIED));
    case(sup, "no-rule-connect-denied", r);

    let r = run_client(sup, "store-probe", "alice").and_then(|code| expect("alice's (read << 8 | connect)", code, 0));
    case(sup, "rule-allows-connect-and-read", r);

    let mallory = subject(sup, 4001, "sys/mallory");
    let alice = subject(sup, 4002, "sys/alice");
    let (Ok(mallory), Ok(alice)) = (mallory, alice) else {
        case(sup, "test-subjects", Err("cannot make test subjects".to_string()));
        return;
    };

    let r = expect("mallory reads", get(sup, mallory, "public/readme"), api::DENIED);
    case(sup, "no-rule-read-denied", r);

    let r = (|| -> CaseResult {
        expect("alice reads", get(sup, alice, "public/readme"), api::OK)?;
        let before = stats(alice);
        expect("alice reads again", get(sup, alice, "public/readme"), api::OK)?;
        let after = stats(alice);
        if after.0 != before.0 + 1 || after.1 != before.1 {
            return Err(format!("second read was not a cache hit: {before:?} -> {after:?}"));
        }
        expect("alice writes", put(sup, alice, "public/readme", "x"), api::DENIED)
    })();
    case(sup, "cached-decision", r);

    let r = (|| -> CaseResult {
        let before = stats(mallory);
        swap(sup, "open")?;
        let after = stats(mallory);
        if after.2 <= before.2 {
            return Err("the store did not flush its cache on the swap".to_string());
        }
        expect("mallory reads under open", get(sup, mallory, "public/readme"), api::OK)
    })();
    case(sup, "swap-allows", r);

    let r = (|| -> CaseResult {
        let before = stats(mallory);
        expect("mallory reads again", get(sup, mallory, "public/readme"), api::OK)?;
        let hit = stats(mallory);
        if hit.0 != before.0 + 1 {
            return Err("the second read under open was not a cache hit".to_string());
        }
        swap(sup, "allowlist")?;
        let flushed = stats(mallory);
        expect(
            "mallory reads after swapping back",
            get(sup, mallory, "public/readme"),
            api::DENIED,
        )?;
        let after = stats(mallory);
        if after.1 != flushed.1 + 1 || after.0 != flushed.0 {
            return Err(format!(
                "the denial was served from a stale cache: {flushed:?} -> {after:?}"
            ));
        }
        Ok(())
    })();
    case(sup, "swap-back-denies-no-stale-cache", r);

    let r = (|| -> CaseResult {
        let (epoch, settled) = status(sup);
        let cache_epoch = stats(alice).3;
        if !settled {
            return Err("the security server is not settled after the swap".to_string());
        }
        if cache_epoch != epoch {
            return Err(format!(
                "the store's cache is in epoch {cache_epoch}, the policy in {epoch}"
            ));
        }
        Ok(())
    })();
    case(sup, "swap-acknowledged-by-every-server", r);

    let r = swap(sup, "lattice").and_then(|_| {
        let low = subject(sup, 4003, "sys/low")?;
        expect("low reads secret", get(sup, low, "secret/plan"), api::DENIED)
    });
    case(sup, "lattice-no-read-up", r);

    let r = subject(sup, 4004, "sys/high").and_then(|high| {
        expect(
            "high writes public",
            put(sup, high, "public/readme", "leak"),
            api::DENIED,
        )
    });
    case(sup, "lattice-no-write-down", r);

    let r = (|| -> CaseResult {
        let low = subject(sup, 4003, "sys/low")?;
        let high = subject(sup, 4004, "sys/high")?;
        expect("low writes up", put(sup, low, "secret/drop", "tip"), api::OK)?;
        expect("high reads down", get(sup, high, "public/readme"), api::OK)
    })();
    case(sup, "lattice-allowed-directions", r);

    let r = run_client(sup, "forger", "forger").and_then(|code| expect("forger's result bits", code, 7));
    case(sup, "forged-capability-refused", r);

    let r = swap(sup, "chinese-wall").and_then(|_| {
        let carol = subject(sup, 4005, "sys/carol")?;
        let dave = subject(sup, 4006, "sys/dave")?;
        expect("carol reads bank-a", get(sup, carol, "bank-a/acct"), api::OK)?;
        expect("carol reads bank-b", get(sup, carol, "bank-b/acct"), api::DENIED)?;
        expect("carol reads bank-a again", get(sup, carol, "bank-a/acct"), api::OK)?;
        expect("dave reads bank-b", get(sup, dave, "bank-b/acct"), api::OK)
    });
    case(sup, "chinese-wall", r);

    let r = swap(sup, "ratelimit").and_then(|_| {
        let greedy = subject(sup, 4007, "sys/greedy")?;
        let other = subject(sup, 4008, "sys/other")?;
        // 20 decisions per window: the connect decision made when the
        // connection was set up, then 19 reads.
        let mut allowed = 0;
        for _ in 0..25 {
            if get(sup, greedy, "public/readme") == api::OK {
                allowed += 1;
            }
        }
        if allowed != 19 {
            return Err(format!(
                "greedy got {allowed} of 25 reads, expected 19 (20 decisions with the connect)"
            ));
        }
        expect("another subject reads", get(sup, other, "public/readme"), api::OK)
    });
    case(sup, "ratelimit", r);

    // Greedy client and donation.
    let r = swap(sup, "open");
    case(sup, "swap-to-open", r);

    let r = withdrawn_connection(sup);
    case(sup, "withdrawn-connection-refused", r);
    let r = swap(sup, "open");
    case(sup, "swap-to-open-again", r);
    // Bytes the store's current container received, from the resource
    // manager's books.
    let donated_in = |sup: &mut Supervisor| {
        let cid = sup
            .containers_in_use()
            .into_iter()
            .find(|(_, name, _)| name == "store")
            .map(|(cid, _, _)| cid)?;
        sup.rm_usage(cid).map(|(_, _, got)| got)
    };
    let before = donated_in(sup);
    let r = (|| -> CaseResult {
        let written = run_client(sup, "store-hog", "store-hog")?;
        if written == 0 || written > proto::SESSION_DONATION / 400 {
            return Err(format!("store-hog wrote {written} objects"));
        }
        let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
        expect(
            "the shell still writes",
            put(sup, shell, "notes/after-hog", "fine"),
            api::OK,
        )?;
        expect("the shell still reads", get(sup, shell, "notes/after-hog"), api::OK)
    })();
    case(sup, "greedy-client-contained", r);

    let r = (|| -> CaseResult {
        let after = donated_in(sup);
        if after != before {
            return Err(format!("store's donated bytes {before:?} -> {after:?}"));
        }
        let hog = sup
            .table
            .by_name("store-hog")
            .map(|r| r.id)
            .ok_or("no store-hog record")?;
        if sup.loans.iter().any(|l| l.client == hog) {
            return Err("store-hog's loan outlived it".to_string());
        }
        let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
        let (l, list) = sup.store_request(shell, proto::LIST, "", "");
        expect("list", l, api::OK)?;
        if list.contains("hog/") {
            return Err("store-hog's objects outlived its session".to_string());
        }
        Ok(())
    })();
    case(sup, "exit-returns-donation", r);

    let r = (|| -> CaseResult {
        let m = Outgoing::new();
        let _ = m;
        let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
        // A key longer than allowed.
        let mut m = Outgoing::new();
        m.word(1000).word(0);
        expect("oversized key", m.call(shell, proto::PUT).info.label(), api::TOO_LARGE)?;
        // Lengths that the message does not carry.
        let mut m = Outgoing::new();
        m.word(40).word(400);
        expect(
            "lengths beyond the message",
            m.call(shell, proto::PUT).info.label(),
            api::BAD_REQUEST,
        )?;
        // A key with a forbidden character.
        expect("bad key", get(sup, shell, "a b"), api::BAD_REQUEST)?;
        // An unknown request.
        expect(
            "unknown request",
            Outgoing::new().call(shell, 99).info.label(),
            api::BAD_REQUEST,
        )?;
        // And the server still serves.
        expect("still serving", get(sup, shell, "public/readme"), api::OK)
    })();
    case(sup, "malformed-requests-refused", r);

    let r = (|| -> CaseResult {
        let old = subject(sup, 4009, "sys/alice")?;
        sup.restart("store").map_err(|e| format!("{e}"))?;
        let id = sup.table.by_name("store").map(|r| r.id).ok_or("no store")?;
        wait_ready(sup, id)?;
        expect("old connection", get(sup, old, "public/readme"), api::SERVER_RESTARTED)?;
        let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
        expect("reconnected write", put(sup, shell, "public/readme", "again"), api::OK)?;
        expect("reconnected read", get(sup, shell, "public/readme"), api::OK)
    })();
    case(sup, "server-restart-reconnect", r);

    let r = (|| -> CaseResult {
        // A decided read, then the same read served from the cache: both
        // must show in the trace, marked.
        let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
        expect("read", get(sup, shell, "public/readme"), api::OK)?;
        expect("read again", get(sup, shell, "public/readme"), api::OK)?;
        let log = sup.decision_trace().map_err(|e| format!("{e}"))?;
        let _ = sup.out.write_str(&log);
        if !log.contains("sys/shell read store:public/readme allow decided") {
            return Err("the trace lacks the shell's decided read".to_string());
        }
        if !log.contains("sys/shell read store:public/readme allow cached") {
            return Err("the trace lacks the shell's cached read".to_string());
        }
        Ok(())
    })();
    case(sup, "decision-log", r);

    let r = (|| -> CaseResult {
        // An updated server keeps its clients' loans: the frames move to
        // the new version and the sessions open again there, so the same
        // connection keeps working (the objects themselves do not survive
        // an update yet).
        let shell = sup.shell_conn("store").map_err(|e| format!("{e}"))?;
        let loans = sup.loans.iter().filter(|l| l.service == "store").count();
        sup.update("store", "store").map_err(|e| format!("{e}"))?;
        let after = sup.loans.iter().filter(|l| l.service == "store").count();
        if after != loans || loans == 0 {
            return Err(format!("loans to the store: {loans} before the update, {after} after"));
        }
        let got = donated_in(sup);
        if got != Some(loans as u64 * proto::SESSION_DONATION) {
            return Err(format!("the new store's container got {got:?} bytes for {loans} loans"));
        }
        expect(
            "write after the update",
            put(sup, shell, "notes/updated", "moved-9c1e"),
            api::OK,
        )?;
        expect("read after the update", get(sup, shell, "notes/updated"), api::OK)?;
        if !lent_memory_holds(sup, SHELL_SUBJECT, b"notes/updatedmoved-9c1e")? {
            return Err("after the update the object is not in the shell's memory".to_string());
        }
        Ok(())
    })();
    case(sup, "update-moves-donations", r);
    sup.write_conns();
    sup.write_rc();
}
