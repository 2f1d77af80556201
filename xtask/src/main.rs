//! # xtask: Pride's build tool
//!
//! `cargo xtask <command>`; every command installs or builds what it needs
//! first (Debian packages when run as root with apt, otherwise it prints the
//! exact install command).
//!
//! | command | does |
//! | --- | --- |
//! | `run [--debug] [--icount]` | builds everything and boots the default system in QEMU; the serial console is on this terminal (standard input goes to the guest, so it can be scripted with a pipe); exits with QEMU's status |
//! | `test [SCENARIO]` | host tests (`cargo test`), then every QEMU scenario; ends with `N passed, N failed`. With a name (or part of one), only the matching scenarios, without host tests |
//! | `bench [net\|files\|sockets]` | benchmarks on the release kernel under `-icount shift=0`: boot and IPC, files, the network echo against a Linux guest (`net`), the socket round trip against the echo server (`sockets`); with an argument that one only; tables on stdout and in `target/bench/` |
//! | `kernel` | builds the release and debug kernels only |
//! | `build` | builds kernels and the default image, prints their paths |

mod block;
mod board;
mod files;
mod images;
mod kernel;
mod linux_guest;
mod loadgen;
mod netbench;
mod prereq;
mod scenarios;
mod sockbench;
mod sockets;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{bail, Context, Result};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

const USAGE: &str =
    "usage: cargo xtask <run [--debug] [--icount] | test [SCENARIO] | bench [net|files|sockets] | kernel | build>";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("test") => test(args.get(1).map(String::as_str)),
        Some("bench") => match args.get(1).map(String::as_str) {
            None => bench(true, true, true, true),
            Some("net") => bench(false, false, true, false),
            Some("files") => bench(false, true, false, false),
            Some("sockets") => bench(false, false, false, true),
            Some(other) => {
                eprintln!("unknown benchmark {other:?}\n{USAGE}");
                Ok(ExitCode::from(2))
            }
        },
        Some("kernel") => kernels().map(|_| ExitCode::SUCCESS),
        Some("build") => build().map(|_| ExitCode::SUCCESS),
        Some("help" | "--help" | "-h") => {
            println!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("xtask: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Debian packages the QEMU side needs (the kernel's own are ensured by `kernel`).
///
/// Also what building fs-core needs (libclang for littlefs2-sys's bindgen,
/// the C compiler and headers): every command that builds or tests calls
/// this first.
fn ensure_qemu(ws: &Path) -> Result<board::Qemu> {
    prereq::ensure_littlefs_prereqs()?;
    let q = board::load_qemu(&board::board_dir(ws, board::DEFAULT_BOARD))?;
    prereq::ensure_debian_packages(&[(q.binary.as_str(), q.debian_package.as_str()), ("objcopy", "binutils")])?;
    Ok(q)
}

/// Builds (or finds up to date) both kernels; returns (release, debug).
fn kernels() -> Result<(PathBuf, PathBuf)> {
    let ws = workspace();
    let dir = board::board_dir(&ws, board::DEFAULT_BOARD);
    let release = kernel::build_kernel(&ws, &dir, false)?;
    let debug = kernel::build_kernel(&ws, &dir, true)?;
    Ok((release, debug))
}

fn build() -> Result<()> {
    let ws = workspace();
    prereq::ensure_littlefs_prereqs()?;
    let (release, debug) = kernels()?;
    let comps = images::build_components(&ws)?;
    let root = images::build_image(&ws, "default", &comps, scenarios::DEFAULT_BOOT_CFG)?;
    println!("release kernel: {}", release.display());
    println!("debug kernel:   {}", debug.display());
    println!("default image:  {}", root.display());
    Ok(())
}

fn run(args: &[String]) -> Result<ExitCode> {
    let mut debug = false;
    let mut icount = false;
    for a in args {
        match a.as_str() {
            "--debug" => debug = true,
            "--icount" => icount = true,
            other => bail!("unknown option {other:?} ({USAGE})"),
        }
    }
    let ws = workspace();
    let q = ensure_qemu(&ws)?;
    let kernel = kernel::build_kernel(&ws, &board::board_dir(&ws, board::DEFAULT_BOARD), debug)?;
    let comps = images::build_components(&ws)?;
    let root = images::build_image(&ws, "default", &comps, scenarios::DEFAULT_BOOT_CFG)?;
    eprintln!("xtask: booting Pride in QEMU (type 'shutdown' to leave, or Ctrl-A x)");
    let echo_port = board::free_port()?;
    eprintln!("xtask: the echo server's port 7 (UDP and TCP) is forwarded from 127.0.0.1:{echo_port}");
    let mut cmd = board::qemu_command(
        &q,
        &kernel,
        &root,
        &board::RunOptions {
            icount,
            echo_port: Some(echo_port),
        },
    );
    // The files system's disk, kept between runs (delete it for a fresh
    // one): what is written to the file system survives.
    let disk = files::run_disk(&ws, &comps)?;
    board::attach_disk(&mut cmd, &disk, None);
    eprintln!(
        "xtask: {} is the virtio-blk disk of the file server (its files survive runs; delete it for a fresh one)",
        disk.display()
    );
    let status = if std::io::stdin().is_terminal() {
        cmd.status().context("starting QEMU")?
    } else {
        run_scripted(cmd)?
    };
    Ok(match status.code() {
        Some(c) => ExitCode::from(c as u8),
        None => ExitCode::FAILURE,
    })
}

/// Runs QEMU with piped input: the firmware polls the serial port while it
/// boots and would eat input written early, so standard input is held back
/// until the console's first prompt appears, then copied through as it
/// comes. Output is copied to standard output unchanged.
fn run_scripted(mut cmd: Command) -> Result<std::process::ExitStatus> {
    use std::io::{Read, Write};
    use std::process::Stdio;
    use std::sync::mpsc;

    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .context("starting QEMU")?;
    let mut qemu_in = child.stdin.take().expect("piped stdin");
    let mut qemu_out = child.stdout.take().expect("piped stdout");
    let (prompt_tx, prompt_rx) = mpsc::channel::<()>();
    let copier = std::thread::spawn(move || {
        let mut out = std::io::stdout();
        let mut tail: Vec<u8> = Vec::new();
        let mut prompt_tx = Some(prompt_tx);
        let mut buf = [0u8; 4096];
        while let Ok(n) = qemu_out.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = out.write_all(&buf[..n]).and_then(|_| out.flush());
            if prompt_tx.is_some() {
                tail.extend_from_slice(&buf[..n]);
                if tail.windows(PROMPT.len()).any(|w| w == PROMPT) {
                    let _ = prompt_tx.take().map(|tx| tx.send(()));
                }
                let keep = tail.len().saturating_sub(PROMPT.len());
                tail.drain(..keep);
            }
        }
    });
    // Forward standard input once the prompt is up (or never, if QEMU ends first).
    std::thread::spawn(move || {
        if prompt_rx.recv().is_ok() {
            let _ = std::io::copy(&mut std::io::stdin().lock(), &mut qemu_in);
        }
    });
    let status = child.wait().context("waiting for QEMU")?;
    let _ = copier.join();
    Ok(status)
}

/// The console prompt, as the root task prints it.
const PROMPT: &[u8] = b"pride> ";

/// Runs `cargo test` on the host crates; returns (passed, failed) counted
/// from cargo's `test result:` lines, and whether cargo succeeded.
fn host_tests(ws: &Path) -> Result<(usize, usize, bool)> {
    println!("== host tests (cargo test)");
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(ws)
        .args(["test", "--quiet"])
        .output()
        .context("running cargo test")?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    print!("{stdout}");
    eprint!("{stderr}");
    let (mut passed, mut failed) = (0, 0);
    for line in stdout.lines() {
        if let Some(rest) = line.strip_prefix("test result: ") {
            let num = |word: &str| -> usize {
                rest.split([';', '.'])
                    .find_map(|part| part.trim().strip_suffix(word).and_then(|n| n.trim().parse().ok()))
                    .unwrap_or(0)
            };
            passed += num(" passed");
            failed += num(" failed");
        }
    }
    if passed == 0 {
        bail!("cargo test ran no test");
    }
    Ok((passed, failed, out.status.success()))
}

/// `cargo xtask test [FILTER]`: with a filter, only the QEMU scenarios
/// whose name contains it run (no host tests): for working on one scenario.
fn test(filter: Option<&str>) -> Result<ExitCode> {
    let ws = workspace();
    let q = ensure_qemu(&ws)?;
    // The ABI cross-check test reads the kernel source, so fetch it first.
    let (release, debug) = kernels()?;
    let (host_passed, host_failed, host_ok) = match filter {
        None => host_tests(&ws)?,
        Some(_) => (0, 0, true),
    };
    let comps = images::build_components(&ws)?;

    let (mut passed, mut failed) = (0usize, 0usize);
    for s in scenarios::all()
        .into_iter()
        .filter(|s| filter.is_none_or(|f| s.name.contains(f)))
    {
        println!("== QEMU scenario: {}", s.name);
        let echo_port = if scenarios::wants_network(s.boot_cfg) {
            Some(board::free_port()?)
        } else {
            None
        };
        // The block system's scenario gets a fresh disk image, the files
        // system's a fresh file system.
        let disk = if block::wants_disk(s.boot_cfg, s.input) {
            Some(block::make_disk(&ws)?)
        } else if files::wants_files_disk(s.boot_cfg, s.input) {
            let disk = files::scenario_disk(&ws, s.name);
            files::make_files_disk(&ws, &disk, &comps)?;
            Some(disk)
        } else {
            None
        };
        let (cmd, wait_for) = match s.launcher {
            scenarios::Launcher::Qemu => {
                let image_name = s.name.split(' ').next().unwrap_or(s.name);
                let root = images::build_image(&ws, image_name, &comps, s.boot_cfg)?;
                let kernel = if s.debug_kernel { &debug } else { &release };
                let mut cmd = board::qemu_command(
                    &q,
                    kernel,
                    &root,
                    &board::RunOptions {
                        icount: false,
                        echo_port,
                    },
                );
                if let Some(disk) = &disk {
                    // The block test's disk is slowed down (see DISK_IOPS).
                    let iops = block::wants_disk(s.boot_cfg, s.input).then_some(block::DISK_IOPS);
                    board::attach_disk(&mut cmd, disk, iops);
                }
                (cmd, (!s.input.is_empty()).then_some("pride> "))
            }
            scenarios::Launcher::XtaskRun => {
                let mut cmd = Command::new(std::env::current_exe().context("locating xtask")?);
                cmd.arg("run");
                if s.debug_kernel {
                    cmd.arg("--debug");
                }
                (cmd, None)
            }
        };
        let timeout = Duration::from_secs(s.timeout_secs);
        let (lines, ending) = match echo_port.filter(|_| s.echo) {
            Some(port) if s.name == "sockets" => {
                let mut host = sockets::from_host(port);
                pride_harness::run_qemu_with(cmd, s.input, wait_for, timeout, &mut host)?
            }
            Some(port) => {
                let mut host = scenarios::echo_from_host(port);
                pride_harness::run_qemu_with(cmd, s.input, wait_for, timeout, &mut host)?
            }
            None if block::wants_disk(s.boot_cfg, s.input) => {
                let mut host = block::from_host();
                pride_harness::run_qemu_with(cmd, s.input, wait_for, timeout, &mut host)?
            }
            None => pride_harness::run_qemu(cmd, s.input, wait_for, timeout)?,
        };
        let verdict = pride_harness::judge(&lines, &ending, &(s.expect)());
        let log = ws
            .join("target/scenarios")
            .join(format!("{}.log", s.name.replace([' ', '(', ')'], "_")));
        std::fs::create_dir_all(log.parent().expect("has parent"))?;
        std::fs::write(&log, lines.join("\n"))?;
        for (name, r) in &verdict.results {
            match r {
                Ok(()) => println!("  ok      {name}"),
                Err(why) => println!("  FAILED  {name}: {why}"),
            }
        }
        if verdict.failed() > 0 {
            println!("  console transcript: {}", log.display());
            for l in lines.iter().rev().take(25).collect::<Vec<_>>().into_iter().rev() {
                println!("  | {l}");
            }
        }
        passed += verdict.passed();
        failed += verdict.failed();
    }
    println!("== summary: host tests {host_passed} passed, {host_failed} failed; QEMU checks {passed} passed, {failed} failed");
    let total_failed = failed + host_failed + usize::from(!host_ok && host_failed == 0);
    println!("{} passed, {} failed", passed + host_passed, total_failed);
    Ok(if total_failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `cargo xtask bench`: the boot and mediation figures, the file
/// figures, the network echo against Linux (`netbench`) and the socket
/// round trip against the echo server (`sockbench`); `bench net` /
/// `bench files` / `bench sockets` one of them.
fn bench(boot: bool, files: bool, net: bool, sockets: bool) -> Result<ExitCode> {
    let ws = workspace();
    let q = ensure_qemu(&ws)?;
    let kernel = kernel::build_kernel(&ws, &board::board_dir(&ws, board::DEFAULT_BOARD), false)?;
    let comps = images::build_components(&ws)?;
    if boot {
        boot_bench(&ws, &q, &kernel, &comps)?;
    }
    if files {
        files_bench(&ws, &q, &kernel, &comps)?;
    }
    if net {
        let net = netbench::run(&ws, &q, &kernel, &comps)?;
        print!("\n{net}");
        println!("written to {}", ws.join("target/bench/net.md").display());
    }
    if sockets {
        let table = sockbench::run(&ws, &q, &kernel, &comps)?;
        print!("\n{table}");
        println!("written to {}", ws.join("target/bench/sockets.md").display());
    }
    Ok(ExitCode::SUCCESS)
}

/// File throughput (issue 6): the `files-bench` scenario under `-icount`
/// on a fresh files disk, one run; the table goes to
/// `target/bench/files.md`.
fn files_bench(ws: &Path, q: &board::Qemu, kernel: &Path, comps: &[images::BuiltImage]) -> Result<()> {
    let root = images::build_image(ws, "fsbench", comps, scenarios::FILES_BENCH_CFG)?;
    let disk = files::scenario_disk(ws, "fsbench");
    files::make_files_disk(ws, &disk, comps)?;
    let mut cmd = board::qemu_command(
        q,
        kernel,
        &root,
        &board::RunOptions {
            icount: true,
            echo_port: None,
        },
    );
    board::attach_disk(&mut cmd, &disk, None);
    let lines = run_bench_image(ws, cmd, "files-transcript.log", 300)?;
    let dir = ws.join("target/bench");
    let value = |key: &str| bench_value(&lines, key);
    let bytes = value("fs_bytes")?;
    let table = files_table(
        bytes,
        [
            value("fs_write_ticks")?,
            value("raw_write_ticks")?,
            value("fs_read_ticks")?,
            value("raw_read_ticks")?,
        ],
    );
    print!("\n{table}");
    std::fs::write(dir.join("files.md"), &table)?;
    println!("written to {}", dir.join("files.md").display());
    Ok(())
}

/// Runs a benchmark image to its end, keeps its transcript in
/// `target/bench/TRANSCRIPT`; its console lines, or an error (with the
/// lines on standard error) unless it passed.
fn run_bench_image(ws: &Path, cmd: Command, transcript: &str, timeout_secs: u64) -> Result<Vec<String>> {
    let (lines, ending) = pride_harness::run_qemu(cmd, "", None, Duration::from_secs(timeout_secs))?;
    let dir = ws.join("target/bench");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join(transcript), lines.join("\n") + "\n")?;
    if ending != pride_harness::Ending::Exited(scenarios::STATUS_PASS) {
        for l in &lines {
            eprintln!("| {l}");
        }
        bail!("benchmark run ({transcript}) ended with {ending:?}");
    }
    Ok(lines)
}

/// The number a benchmark printed as `bench: KEY=N`.
fn bench_value(lines: &[String], key: &str) -> Result<u64> {
    lines
        .iter()
        .find_map(|l| l.strip_prefix(&format!("bench: {key}=")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .with_context(|| format!("benchmark output lacks {key}"))
}

/// The file table: `ticks` = [file write, raw write, file read, raw read]
/// of `bytes` each (guest TSC ticks under `-icount`: instructions, plus
/// the virtual time that passes while the guest idles, waiting for the
/// disk).
fn files_table(bytes: u64, ticks: [u64; 4]) -> String {
    let [fw, rw, fr, rr] = ticks.map(|t| t.max(1));
    let kib = bytes / 1024;
    // Guest time at 1 tick/ns: MiB per guest second.
    let rate = |t: u64| bytes as f64 / (1 << 20) as f64 / (t as f64 / 1e9);
    format!(
        "| {kib} KiB (release kernel, QEMU TCG, -icount shift=0) | guest TSC ticks (instructions, and idle time while the disk works) | ticks per KiB | MiB per guest second | file / raw |\n\
         | --- | ---: | ---: | ---: | ---: |\n\
         | write a file through `pride-posix` and `fs` (936-byte requests, collected 30 KiB at a time in the session's write-back buffer, then littlefs) | {fw} | {} | {:.1} | {:.2} x |\n\
         | baseline: the same bytes written raw through the same sDDF block path (fs `BENCH_RAW`, 64 KiB requests) | {rw} | {} | {:.1} | |\n\
         | read the file back (936-byte requests, 30 KiB read ahead) | {fr} | {} | {:.1} | {:.2} x |\n\
         | baseline: the same bytes read raw | {rr} | {} | {:.1} | |\n",
        fw / kib.max(1),
        rate(fw),
        fw as f64 / rw as f64,
        rw / kib.max(1),
        rate(rw),
        fr / kib.max(1),
        rate(fr),
        fr as f64 / rr as f64,
        rr / kib.max(1),
        rate(rr),
    )
}

fn boot_bench(ws: &Path, q: &board::Qemu, kernel: &Path, comps: &[images::BuiltImage]) -> Result<()> {
    let root = images::build_image(ws, "bench", comps, scenarios::BENCH_BOOT_CFG)?;
    let cmd = board::qemu_command(
        q,
        kernel,
        &root,
        &board::RunOptions {
            icount: true,
            echo_port: None,
        },
    );
    let lines = run_bench_image(ws, cmd, "transcript.log", 120)?;
    let dir = ws.join("target/bench");
    let value = |key: &str| bench_value(&lines, key);
    let entry = value("root_entry_tsc")?;
    let banner = value("banner_tsc")?;
    let first_reply = value("first_ping_reply_tsc")?;
    let round_trip = value("ping_round_trip_ticks")?.max(1);
    let launch = value("launch_ticks")?;
    let restart = value("restart_ticks")?;
    let stop = value("stop_ticks")?;
    let update = value("update_ticks")?;
    let plain = value("store_plain_ticks")?;
    let cached = value("store_get_cached_ticks")?;
    let miss = value("store_get_miss_ticks")?;
    let cached_call = value("store_get_cached_call")?;
    let cached_call_work = value("store_get_cached_call_work")?;
    let miss_store_work = value("store_get_miss_store_work")?;
    let miss_security_work = value("store_get_miss_security_work")?;
    // What is left when the servers' own work is taken out: IPC and the
    // client's side of the call.
    let cached_ipc = cached_call.saturating_sub(cached_call_work);
    let miss_ipc = miss.saturating_sub(miss_store_work + miss_security_work);
    let swap = value("policy_swap_ticks")?;
    /// Raw seL4 fastpath Call+ReplyRecv between two address spaces, same QEMU
    /// and kernel configuration (shared notes, sel4-5.0-x86_64.md).
    const RAW_SEL4_ROUND_TRIP: u64 = 379;
    let table = format!(
        "| measure (release kernel, QEMU TCG, -icount shift=0) | guest TSC ticks (= instructions) | ratio |\n\
         | --- | ---: | ---: |\n\
         | machine start to root task entry (firmware + kernel boot) | {entry} | |\n\
         | machine start to root banner | {banner} | |\n\
         | machine start to first ping reply | {first_reply} | |\n\
         | ping round trip, root <-> ping component (mean of 1000) | {round_trip} | {:.2} x the raw seL4 fastpath figure (379, shared notes) |\n\
         | launch `hello` until it says READY (mean of 20) | {launch} | {:.0} x ping round trip |\n\
         | restart `hello` until READY (mean of 20) | {restart} | {:.0} x ping round trip |\n\
         | stop `hello`, all memory reclaimed (mean of 20) | {stop} | {:.0} x ping round trip |\n\
         | update `counter` to `counter-v2`, state handed over, until the new version is READY (mean of 20) | {update} | {:.0} x ping round trip |\n\
         | store request without a decision (`STATS`; mean of 1000) | {plain} | {:.2} x ping round trip |\n\
         | store `GET` with a cached decision (mean of 1000) | {cached} | {:.2} x ping round trip; {:.2} x the undecided request |\n\
         | store `GET` with a cache miss that consults the security server (mean of 200) | {miss} | {:.2} x ping round trip; {:.2} x the undecided request |\n\
         | the same cached `GET`, its request built once (the call alone; mean of 1000) | {cached_call} | {:.2} x ping round trip |\n\
         | of that: the store's own work (counted in the store, receive to reply) | {cached_call_work} | |\n\
         | of that: the rest, the IPC round trip (target: at most 1.3 x raw round trip) | {cached_ipc} | {:.2} x ping round trip |\n\
         | of a missed `GET`: the store's own work, without its call to the security server | {miss_store_work} | |\n\
         | of a missed `GET`: the security server's own work on the `DECIDE` | {miss_security_work} | |\n\
         | of a missed `GET`: the rest, two IPC round trips and the client's marshalling (target: at most 3 x raw round trip) | {miss_ipc} | {:.2} x ping round trip |\n\
         | policy swap with 8 object servers flushing and acknowledging (mean of 6) | {swap} | {:.3} ms of guest time at 1 tick/ns |\n",
        round_trip as f64 / RAW_SEL4_ROUND_TRIP as f64,
        launch as f64 / round_trip as f64,
        restart as f64 / round_trip as f64,
        stop as f64 / round_trip as f64,
        update as f64 / round_trip as f64,
        plain as f64 / round_trip as f64,
        cached as f64 / round_trip as f64,
        cached as f64 / plain.max(1) as f64,
        miss as f64 / round_trip as f64,
        miss as f64 / plain.max(1) as f64,
        cached_call as f64 / round_trip as f64,
        cached_ipc as f64 / round_trip as f64,
        miss_ipc as f64 / round_trip as f64,
        swap as f64 / 1e6,
    );
    print!("{table}");
    std::fs::write(dir.join("boot.md"), &table)?;
    println!("written to {}", dir.join("boot.md").display());
    Ok(())
}
