//! The `lionsos` scenario: Microkit subsystems described by `.system`
//! files, started inside the dynamic system.
//!
//! `pingpong` (written by `lionsos-compat/systems/pingpong.py` with the
//! PyPI `sdfgen` tool) has a client written in C against Pride's
//! `microkit.h` and a server in Rust: a shared region whose address is
//! patched into both (`setvar_vaddr`), notifications both ways and a PPC
//! from the client to the server. `broken.system` has a mistake and
//! `bigchannel.system` goes beyond Pride's limits: both must be refused
//! with a precise message while the rest keeps running. `serial` is the
//! sDDF serial subsystem (`lionsos-compat/serial`), `timer` the sDDF timer
//! subsystem (`lionsos-compat/timer`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use kernel_iface::MessageInfo;
use pride_rt::msg::Outgoing;
use pride_supervisor_api::{DENIED, OK, TOO_LARGE};

use crate::mediation::SHELL_SUBJECT;
use crate::scenario::{CaseResult, Tally};
use crate::supervisor::{Event, SupError, Supervisor};

/// Pumps events until component `name` prints a line containing `text`;
/// a failure of it ends the wait with an error (a silent one is caught
/// by the harness's timeout).
fn wait_for_line(sup: &mut Supervisor, name: &str, text: &str) -> CaseResult {
    loop {
        let Some(n) = sup
            .table
            .by_name(name)
            .and_then(|r| sup.current(r.id))
            .map(|i| i.number)
        else {
            return Err(format!("'{name}' is not running"));
        };
        if sup.last_output.0 == n && sup.last_output.1.contains(text) {
            return Ok(());
        }
        match sup.pump() {
            Event::Failed(m) | Event::Exited(m, _) if m == n => return Err(format!("'{name}' ended")),
            other => sup.background(other),
        }
    }
}

/// Waits until the serial client reports at least `at_least` lines back;
/// returns the count it reported.
fn lines_back(sup: &mut Supervisor, at_least: u64) -> Result<u64, String> {
    loop {
        wait_for_line(sup, "serial_client", "lines back")?;
        let n: u64 = sup
            .last_output
            .1
            .split_whitespace()
            .nth(1)
            .and_then(|w| w.parse().ok())
            .unwrap_or(0);
        if n >= at_least {
            return Ok(n);
        }
        // Consume this line so the next wait sees a new one.
        sup.last_output.1.clear();
    }
}

fn refused_with(r: Result<(), SupError>, parts: &[&str]) -> CaseResult {
    match r {
        Err(SupError::BadSystem(msg)) if parts.iter().all(|p| msg.contains(p)) => Ok(()),
        Err(e) => Err(format!("refused, but with: {e}")),
        Ok(()) => Err("the system was started".to_string()),
    }
}

/// `pp_server` (a Microkit PD whose manifest offers `pp_server` and wants
/// `security`) serves the shell's connection on the endpoint its PPC
/// peer calls, decides with the policy in force, caches the decisions and
/// empties its cache when the policy changes (its own notification bit).
fn pd_object_server(sup: &mut Supervisor) -> CaseResult {
    const READ: u64 = 1;
    const STATS: u64 = 2;
    let conn = sup
        .shell_conn("pp_server")
        .map_err(|e| format!("no connection to pp_server: {e}"))?;
    let read = |name: &str| {
        let mut m = Outgoing::new();
        m.word(name.len() as u64).bytes(name.as_bytes());
        m.call(conn, READ).info.label()
    };
    let stats = || {
        let r = conn.call(MessageInfo::new(STATS, 0, 0, 0), [0; 4]);
        (r.info.label(), [r.mrs[0], r.mrs[1], r.mrs[2]])
    };
    // Under the allowlist: public names yes, others no.
    let got = [
        read("public/a"),
        read("public/a"),
        read("secret"),
        read(&"x".repeat(65)),
    ];
    if got != [OK, OK, DENIED, TOO_LARGE] {
        return Err(format!("reads under allowlist answered {got:?}"));
    }
    let (label, [hits, misses, flushes]) = stats();
    if label != OK || hits != 1 || misses != 2 {
        return Err(format!(
            "cache after 3 reads: label {label}, {hits} hits, {misses} misses"
        ));
    }
    let report = sup.policy_swap("open").map_err(|e| format!("swap: {e}"))?;
    if report.servers_flushed != 1 {
        return Err(format!(
            "{} object servers flushed, expected pp_server alone",
            report.servers_flushed
        ));
    }
    // The shell's connection may have been renewed by the swap.
    let conn = sup
        .shell_conn("pp_server")
        .map_err(|e| format!("after the swap: {e}"))?;
    let mut m = Outgoing::new();
    m.word(6).bytes(b"secret");
    let label = m.call(conn, READ).info.label();
    let r = conn.call(MessageInfo::new(STATS, 0, 0, 0), [0; 4]);
    let (misses2, flushes2) = (r.mrs[1], r.mrs[2]);
    sup.close_connection(SHELL_SUBJECT, "pp_server");
    if label != OK {
        return Err(format!("'secret' under open answered {label}"));
    }
    if flushes2 <= flushes || misses2 != misses + 1 {
        return Err(format!(
            "after the swap: flushes {flushes} -> {flushes2}, misses {misses} -> {misses2} (the cache was not emptied)"
        ));
    }
    Ok(())
}

pub fn run(sup: &mut Supervisor, t: &mut Tally) {
    // Free memory, and free root slots counting those that chunks carved
    // meanwhile keep for good (a chunk keeps its slot; it is reused).
    let free = |sup: &mut Supervisor| {
        let carved = sup.rm_stats().map_or(0, |s| s.2);
        (sup.free_memory(), sup.objs.root.free_slots() + carved)
    };
    let free_before = free(sup);

    let r = sup.start_system("pingpong").map_err(|e| format!("{e}")).and_then(|()| {
        for pd in ["pp_client", "pp_server"] {
            if sup.table.by_name(pd).map(|r| r.state) != Some(root_core::supervision::State::Running) {
                return Err(format!("'{pd}' is not running"));
            }
        }
        Ok(())
    });
    t.case(sup, "system-starts", r);

    // The client wrote 1000 into the shared page and notified; the server
    // read it through its own mapping, wrote 1001 and notified back.
    let r = wait_for_line(sup, "pp_client", "server wrote 1001");
    t.case(sup, "notify-and-shared-memory", r);

    // Then the client called the server with 41: label 0, answer 42.
    let r = wait_for_line(sup, "pp_client", "ppc label 0 answered 42");
    t.case(sup, "protected-procedure-call", r);

    // The server PD is also a Pride object server on the same endpoint.
    let r = pd_object_server(sup);
    t.case(sup, "pd-is-an-object-server", r);

    let r = refused_with(
        sup.start_system("broken"),
        &[
            "line 13, column 9",
            "'pp_server'",
            "memory region 'pingpong_buffer' is not declared",
        ],
    )
    .and_then(|()| match crate::shell::ping(sup, 7) {
        Some((8, _, _)) => Ok(()),
        _ => Err("ping stopped answering".to_string()),
    });
    t.case(sup, "bad-system-refused", r);

    let r = refused_with(
        sup.start_system("bigchannel"),
        &["protection domain 'pp_client'", "channel id 30 is above 25"],
    );
    t.case(sup, "pride-limits-refused", r);

    let r = refused_with(sup.start_system("pingpong"), &[]).or_else(|e| match sup.start_system("pingpong") {
        Err(SupError::Refused(_)) => Ok(()),
        _ => Err(e),
    });
    t.case(sup, "started-twice-refused", r);

    // What the first start made for good: `pp_server`'s service endpoint
    // (it outlives the PD, like any service's) and the supervisor's own
    // connection to the new security server. A second start and stop must
    // then give back everything.
    let r = sup.stop_system("pingpong").map_err(|e| format!("{e}")).and_then(|()| {
        let first = free(sup);
        if first.0 + 4096 < free_before.0 {
            return Err(format!("the first start kept {} bytes", free_before.0 - first.0));
        }
        sup.start_system("pingpong").map_err(|e| format!("again: {e}"))?;
        sup.stop_system("pingpong").map_err(|e| format!("again: {e}"))?;
        let after = free(sup);
        if after != first {
            return Err(format!("free (memory, slots) {first:?} -> {after:?}"));
        }
        if sup.table.by_name("pp_client").is_some_and(|r| r.state.is_live()) {
            return Err("pp_client still runs".to_string());
        }
        Ok(())
    });
    t.case(sup, "system-stop-reclaims", r);

    // Regions at fixed physical addresses in RAM (as sdfgen places DMA
    // regions, from the top down): the resource manager carves the chunk
    // that is there, the lower one from the piece the first split off; the
    // second start takes both from the free chunks.
    let r = (|| -> CaseResult {
        for round in ["first", "second"] {
            sup.start_system("physical")
                .map_err(|e| format!("{round} start: {e}"))?;
            wait_for_line(sup, "pp_client", "ppc label 0 answered 42").map_err(|e| format!("{round}: {e}"))?;
            let at: Vec<u64> = sup
                .systems
                .iter()
                .filter(|s| s.name == "physical")
                .flat_map(|s| s.placed.iter().flat_map(|(_, c)| c.chunk_paddrs()))
                .collect();
            if at != [0x1df0_0000, 0x1de0_0000] {
                return Err(format!("{round}: the region's memory is at {at:x?}"));
            }
            sup.stop_system("physical").map_err(|e| format!("{round} stop: {e}"))?;
        }
        Ok(())
    })();
    t.case(sup, "region-at-physical-address", r);

    // The sDDF serial subsystem (sdfgen's Sddf.Serial, blobs injected into
    // the components' configuration sections): the C client's line goes
    // out through the transmit virtualiser and the driver, the UART (in
    // loopback) returns it, and it comes back through the receive path.
    let r = sup
        .start_system("serial")
        .map_err(|e| format!("{e}"))
        .and_then(|()| wait_for_line(sup, "serial_client", "got: hello through sDDF"));
    t.case(sup, "sddf-serial-loopback", r);

    // Replacing sDDF components while lines flow: each restart or update
    // must leave the client's lines coming back (200 more each time).
    let r = (|| -> CaseResult {
        let mut seen = lines_back(sup, 100)?;
        for (what, name, image) in [
            ("restart", "serial_virt_rx", ""),
            ("restart", "serial_driver", ""),
            ("restart", "serial_virt_tx", ""),
            ("update", "serial_virt_rx", "serial-virt-rx"),
            ("update", "serial_driver", "serial-com2-loopback"),
        ] {
            let done = if what == "restart" {
                sup.restart(name)
            } else {
                sup.update(name, image)
            };
            done.map_err(|e| format!("{what} {name}: {e}"))?;
            seen = lines_back(sup, seen + 200).map_err(|e| format!("after {what} of {name}: {e}"))?;
        }
        Ok(())
    })();
    t.case(sup, "sddf-serial-replaced-under-traffic", r);
    let r = sup.stop_system("serial").map_err(|e| format!("{e}"));
    t.case(sup, "sddf-serial-stops", r);

    // The sDDF timer subsystem: the HPET's registers mapped from its
    // physical address (a device untyped), its interrupt on IOAPIC pin 2,
    // and a C client asking for three timeouts through PPCs.
    let free_before = free(sup);
    let r = sup
        .start_system("timer")
        .map_err(|e| format!("{e}"))
        .and_then(|()| wait_for_line(sup, "timer_client", "done"))
        .and_then(|()| sup.stop_system("timer").map_err(|e| format!("{e}")))
        .and_then(|()| {
            let after = free(sup);
            if after != free_before {
                return Err(format!("free (memory, slots) {free_before:?} -> {after:?}"));
            }
            // The device frames went back: the system starts again.
            sup.start_system("timer").map_err(|e| format!("again: {e}"))?;
            wait_for_line(sup, "timer_client", "done").map_err(|e| format!("again: {e}"))?;
            sup.stop_system("timer").map_err(|e| format!("again: {e}"))
        });
    t.case(sup, "sddf-timer", r);
    sup.write_ps();
}
