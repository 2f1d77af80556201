//! The socket round trip of `cargo xtask bench`: UDP ping-pong from the
//! host to `udp-echo`, a component that echoes through the socket server
//! (`system sockets`: smoltcp in `net_sockets`, two IPC round trips per
//! datagram, `RECVFROM` answered from a saved reply capability and
//! `SENDTO`), against the baseline measured in the same run: the same
//! workloads to the echo server (`system echo`: smoltcp and the echo in
//! one PD). Same QEMU command line, plugin and markers as the network
//! echo benchmark ([`crate::netbench`]); only the boot script differs.

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Result;

use crate::board;
use crate::netbench::{self, Kind, Measured, Workload};

/// The baseline: the echo server system alone.
const ECHO_CFG: &str = "# Socket round-trip baseline: the echo server.\nsystem echo\n";
const ECHO_READY: &str = "net_echo: listening";
/// The socket server and `udp-echo` (the open policy: a decision per
/// request, answered from the cache).
const SOCKETS_CFG: &str =
    "# Socket round trip: udp-echo through the socket server.\nlaunch policy-open\nsystem sockets\nlaunch udp-echo\n";
const SOCKETS_READY: &str = "udp-echo: bound udp/7";

/// Ping-pong, one datagram in flight.
const WORKLOADS: [(usize, Workload); 2] = [
    (
        0,
        Workload {
            len: 64,
            kind: Kind::PingPong { count: 2000 },
        },
    ),
    // The most one message carries (`pride_supervisor_api::net::DATA_MAX`,
    // 928 bytes; a longer datagram is cut).
    (
        1,
        Workload {
            len: 900,
            kind: Kind::PingPong { count: 2000 },
        },
    ),
];

/// The table: instructions per echo, each against the baseline.
fn render(echo: &[Measured], sockets: &[Measured]) -> String {
    let mut t = String::new();
    let _ = writeln!(t, "## Socket round trip (UDP ping-pong from the host)\n");
    let _ = writeln!(
        t,
        "Guest instructions per echoed datagram (`-icount shift=0`, counted by the TCG plugin between two markers), \
         everything the guest ran included. Baseline: the echo server (`system echo`), measured in the same run.\n"
    );
    let _ = writeln!(
        t,
        "| workload | echo server (baseline) | udp-echo through the socket server | ratio | echoed (baseline, sockets) |"
    );
    let _ = writeln!(t, "| --- | ---: | ---: | ---: | --- |");
    for ((_, w), (e, s)) in WORKLOADS.iter().zip(echo.iter().zip(sockets)) {
        let ratio = s.per_echo() / e.per_echo().max(1.0);
        let _ = writeln!(
            t,
            "| {} | {} | {} | {ratio:.2} | {}/{}, {}/{} |",
            w.name(),
            netbench::thousands(e.per_echo().round() as u64),
            netbench::thousands(s.per_echo().round() as u64),
            e.outcome.echoed,
            e.outcome.sent,
            s.outcome.echoed,
            s.outcome.sent,
        );
    }
    t
}

/// Boots both systems one after the other, measures, writes
/// `target/bench/sockets.md` and returns the table.
pub fn run(ws: &Path, q: &board::Qemu, kernel: &Path, comps: &[crate::images::BuiltImage]) -> Result<String> {
    let dir = ws.join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let plugin = netbench::build_plugin(ws)?;
    let mut measured = Vec::new();
    for (label, cfg, ready, file) in [
        ("echo server", ECHO_CFG, ECHO_READY, "sockbench-echo"),
        ("socket server", SOCKETS_CFG, SOCKETS_READY, "sockbench-sockets"),
    ] {
        let root = crate::images::build_image(ws, file, comps, cfg)?;
        let port = board::free_port()?;
        let counts = dir.join(format!("{file}.counts"));
        let cmd = netbench::qemu_command(q, kernel, &root, port, &plugin, &counts, false)?;
        let transcript = dir.join(format!("{file}.log"));
        measured.push(netbench::measure_guest(
            label,
            cmd,
            ready,
            port,
            &counts,
            &transcript,
            &WORKLOADS,
        )?);
    }
    let text = render(&measured[0], &measured[1]);
    std::fs::write(dir.join("sockets.md"), &text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_has_a_row_per_workload_with_the_ratio() {
        let m = |instructions, echoed| Measured {
            outcome: crate::loadgen::Outcome {
                sent: 2000,
                echoed,
                ..Default::default()
            },
            instructions,
        };
        let t = render(
            &[m(2001 * 1000, 2000), m(2001 * 1000, 2000)],
            &[m(2001 * 3000, 2000), m(2001 * 2500, 1999)],
        );
        assert!(
            t.contains("| ping-pong, 64 B | 1,000 | 3,000 | 3.00 | 2000/2000, 2000/2000 |"),
            "{t}"
        );
        assert!(t.contains("| ping-pong, 900 B |"), "{t}");
    }
}
