//! The network echo benchmark of `cargo xtask bench`: the same bounded UDP
//! workloads from the host ([`crate::loadgen`]) against Pride's echo server
//! and against a Linux guest ([`crate::linux_guest`]), one after the other
//! in one run, on the same QEMU command line (machine, CPU model,
//! `-icount shift=0`, virtio-net legacy PCI card, user network and port
//! forward): only the kernel, the initrd and Linux's command line differ.
//!
//! Guest instructions are counted exactly by a TCG plugin
//! (`bench/plugin/insn-count.c`, built here with gcc): both echo servers
//! execute a marker instruction on a datagram tagged
//! [`loadgen::MARK_TAG`], and the plugin records the instruction count
//! there. Each workload is bracketed by two marker datagrams, so the
//! difference of the two counts is every instruction the guest executed for
//! the workload (drivers, kernel, idle loop, timers, everything), and
//! `difference / (echoed + 1)` is its cost per echoed datagram (the `+ 1`:
//! the end of the first marker's echo and the start of the second's make
//! one more echo).

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

use crate::board;
use crate::linux_guest;
use crate::loadgen::{self, Outcome};

/// Pride's benchmark image: the echo server system alone, then the shell.
pub const BOOT_CFG: &str =
    "# The network echo benchmark: the echo server system (sDDF network, virtio-net).\nsystem echo\n";

/// The line Pride's echo server prints once it listens.
const PRIDE_READY: &str = "net_echo: listening";

/// What the load generator does, in order, against each guest.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Kind {
    /// `count` datagrams, one in flight.
    PingPong { count: u32 },
    /// `rate` datagrams per second for `millis` milliseconds.
    OpenLoop { rate: u32, millis: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Workload {
    /// UDP payload bytes.
    pub len: usize,
    pub kind: Kind,
}

impl Workload {
    pub fn name(&self) -> String {
        match self.kind {
            Kind::PingPong { .. } => format!("ping-pong, {} B", self.len),
            Kind::OpenLoop { rate, .. } => format!("open loop {}/s, {} B", thousands(u64::from(rate)), self.len),
        }
    }

    /// The offered rate, for open-loop workloads.
    pub fn rate(&self) -> Option<u32> {
        match self.kind {
            Kind::OpenLoop { rate, .. } => Some(rate),
            Kind::PingPong { .. } => None,
        }
    }
}

pub const WORKLOADS: [Workload; 7] = [
    Workload {
        len: 64,
        kind: Kind::PingPong { count: 5000 },
    },
    Workload {
        len: 1024,
        kind: Kind::PingPong { count: 5000 },
    },
    Workload {
        len: 64,
        kind: Kind::OpenLoop {
            rate: 1000,
            millis: 3000,
        },
    },
    Workload {
        len: 64,
        kind: Kind::OpenLoop {
            rate: 2000,
            millis: 2000,
        },
    },
    Workload {
        len: 64,
        kind: Kind::OpenLoop {
            rate: 5000,
            millis: 2000,
        },
    },
    Workload {
        len: 64,
        kind: Kind::OpenLoop {
            rate: 10000,
            millis: 2000,
        },
    },
    Workload {
        len: 64,
        kind: Kind::OpenLoop {
            rate: 20000,
            millis: 2000,
        },
    },
];

/// Loss at or below which a guest is said to sustain an offered rate.
pub const SUSTAINED_LOSS: f64 = 0.01;

/// One workload against one guest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measured {
    pub outcome: Outcome,
    /// Guest instructions from the first marker to the second.
    pub instructions: u64,
}

impl Measured {
    pub fn per_echo(&self) -> f64 {
        self.instructions as f64 / (self.outcome.echoed + 1) as f64
    }
}

/// A running QEMU, killed when dropped; its console lines arrive on `lines`.
struct Guest {
    child: Child,
    lines: mpsc::Receiver<String>,
    transcript: Vec<String>,
}

impl Guest {
    fn start(mut cmd: Command) -> Result<Guest> {
        cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = cmd.spawn().context("starting QEMU")?;
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().context("QEMU's standard output")?;
        let stderr = child.stderr.take().context("QEMU's standard error")?;
        let tx2 = tx.clone();
        std::thread::spawn(move || forward_lines(stdout, "", &tx));
        std::thread::spawn(move || forward_lines(stderr, "[qemu stderr] ", &tx2));
        Ok(Guest {
            child,
            lines,
            transcript: Vec::new(),
        })
    }

    /// Waits until a console line contains `needle`.
    fn wait_for(&mut self, needle: &str, timeout: Duration) -> Result<()> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left.min(Duration::from_millis(200))) {
                Ok(l) => {
                    let found = l.contains(needle);
                    self.transcript.push(l);
                    if found {
                        return Ok(());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    bail!("QEMU ended before the guest printed {needle:?}")
                }
            }
            if let Some(status) = self.child.try_wait()? {
                bail!("QEMU ended ({status}) before the guest printed {needle:?}");
            }
            if left.is_zero() {
                bail!("the guest did not print {needle:?} within {} s", timeout.as_secs());
            }
        }
    }

    /// Ends QEMU and returns the whole console transcript.
    fn finish(mut self) -> Vec<String> {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let deadline = Instant::now() + Duration::from_millis(500);
        while let Ok(l) = self
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            self.transcript.push(l);
        }
        std::mem::take(&mut self.transcript)
    }
}

impl Drop for Guest {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn forward_lines(from: impl Read, prefix: &str, to: &mpsc::Sender<String>) {
    for line in BufReader::new(from).split(b'\n').map_while(Result::ok) {
        let text = String::from_utf8_lossy(&line).replace('\r', "");
        if to.send(format!("{prefix}{text}")).is_err() {
            break;
        }
    }
}

/// Builds the instruction-counting plugin into `target/bench/`.
pub fn build_plugin(ws: &Path) -> Result<PathBuf> {
    crate::prereq::ensure_debian_packages(&[("gcc", "gcc")])?;
    let src = ws.join("bench/plugin/insn-count.c");
    let out = ws.join("target/bench/libinsn-count.so");
    std::fs::create_dir_all(ws.join("target/bench"))?;
    let status = Command::new("gcc")
        .args(["-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .context("running gcc")?;
    if !status.success() {
        bail!("gcc could not build the QEMU plugin {}", src.display());
    }
    Ok(out)
}

/// The same QEMU command line for both guests: `kernel` and `initrd` are
/// Pride's kernel and root task, or Linux's kernel and initramfs.
pub(crate) fn qemu_command(
    q: &board::Qemu,
    kernel: &Path,
    initrd: &Path,
    port: u16,
    plugin: &Path,
    counts: &Path,
    profile: bool,
) -> Result<Command> {
    let opts = board::RunOptions {
        icount: true,
        echo_port: Some(port),
    };
    let mut cmd = board::qemu_command(q, kernel, initrd, &opts);
    let (p, c) = (plugin.to_string_lossy(), counts.to_string_lossy());
    if p.contains(',') || c.contains(',') {
        bail!("QEMU's -plugin option cannot take a path with a comma ({p}, {c})");
    }
    let mode = if profile { ",mode=profile" } else { "" };
    cmd.arg("-plugin").arg(format!("{p},out={c}{mode}"));
    Ok(cmd)
}

/// The plugin's last record: (markers so far, instructions at the last).
fn read_mark(counts: &Path) -> Result<(u64, u64)> {
    let text = std::fs::read_to_string(counts).with_context(|| format!("reading {}", counts.display()))?;
    loadgen::last_mark(&text).with_context(|| format!("no marker recorded in {}", counts.display()))
}

/// Marker datagrams sent so far, and markers the plugin recorded.
#[derive(Default)]
struct Marks {
    nonce: u64,
    recorded: u64,
}

impl Marks {
    /// Sends a marker datagram until its echo is back; returns the
    /// instruction count the plugin recorded at the (last) marker.
    fn take(&mut self, sock: &std::net::UdpSocket, counts: &Path) -> Result<u64> {
        self.nonce += 1;
        loadgen::mark(sock, self.nonce, 5, Duration::from_secs(1))?;
        let (recorded, count) = read_mark(counts)?;
        if recorded <= self.recorded {
            bail!("the guest echoed a marker datagram but the plugin recorded no marker");
        }
        self.recorded = recorded;
        Ok(count)
    }
}

/// Runs `workloads` against the guest that `cmd` boots.
pub(crate) fn measure_guest(
    label: &str,
    cmd: Command,
    ready: &str,
    port: u16,
    counts: &Path,
    transcript: &Path,
    workloads: &[(usize, Workload)],
) -> Result<Vec<Measured>> {
    if counts.exists() {
        std::fs::remove_file(counts)?;
    }
    eprintln!("xtask: net bench: booting {label}");
    let mut guest = Guest::start(cmd)?;
    let result = (|| -> Result<Vec<Measured>> {
        guest.wait_for(ready, Duration::from_secs(180))?;
        let sock = loadgen::connect(port)?;
        // Warm up: ARP, QEMU's translation caches, the guest's own.
        let warm = loadgen::ping_pong(&sock, 0, 64, 300, Duration::from_secs(1), Duration::from_secs(30))?;
        if warm.echoed == 0 {
            bail!("{label} answered none of 300 warm-up datagrams");
        }
        let mut marks = Marks::default();
        let mut out = Vec::new();
        for &(i, w) in workloads {
            let run = i as u32 + 1;
            let begin = marks.take(&sock, counts)?;
            let outcome = match w.kind {
                Kind::PingPong { count } => loadgen::ping_pong(
                    &sock,
                    run,
                    w.len,
                    count,
                    Duration::from_millis(500),
                    Duration::from_secs(60),
                )?,
                Kind::OpenLoop { rate, millis } => loadgen::open_loop(
                    &sock,
                    run,
                    w.len,
                    rate,
                    (u64::from(rate) * u64::from(millis) / 1000) as u32,
                    Duration::from_millis(u64::from(millis) * 3 / 2),
                )?,
            };
            let end = marks.take(&sock, counts)?;
            let m = Measured {
                outcome,
                instructions: end.saturating_sub(begin),
            };
            eprintln!(
                "xtask: net bench: {label}: {}: {} sent, {} echoed, {:.0} echoes/s, {:.0} instructions per echo",
                w.name(),
                m.outcome.sent,
                m.outcome.echoed,
                m.outcome.echo_rate(),
                m.per_echo()
            );
            out.push(m);
        }
        Ok(out)
    })();
    let lines = guest.finish();
    std::fs::write(transcript, lines.join("\n") + "\n")?;
    result.with_context(|| format!("{label} (console transcript in {})", transcript.display()))
}

/// The workloads to run, with their index in [`WORKLOADS`]: all of them,
/// or (for working on one guest) those listed by index in
/// `PRIDE_BENCH_WORKLOADS` (e.g. `0,5,5`); then no report is written.
fn selected_workloads() -> Result<Vec<(usize, Workload)>> {
    let Some(list) = std::env::var_os("PRIDE_BENCH_WORKLOADS").filter(|v| !v.is_empty()) else {
        return Ok(WORKLOADS.iter().copied().enumerate().collect());
    };
    let list = list.to_string_lossy().into_owned();
    list.split(',')
        .map(|i| {
            let i: usize = i
                .trim()
                .parse()
                .with_context(|| format!("PRIDE_BENCH_WORKLOADS: {i:?}"))?;
            let w = WORKLOADS
                .get(i)
                .with_context(|| format!("PRIDE_BENCH_WORKLOADS: no workload {i}"))?;
            Ok((i, *w))
        })
        .collect()
}

/// Both guests' figures, workload by workload (in [`WORKLOADS`] order).
pub struct Report {
    pub pride: Vec<Measured>,
    pub linux: Vec<Measured>,
    /// `qemu-system-x86_64 --version`, first line.
    pub qemu: String,
    pub cpu: String,
    /// The Debian kernel package, name and version.
    pub linux_kernel: String,
}

/// How the targets of the benchmark fare.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    /// Pride / Linux instructions per echo, 64-byte ping-pong (target: at most 0.5).
    pub ping_pong_ratio: f64,
    /// The highest offered rate the Linux guest sustains (loss at most
    /// [`SUSTAINED_LOSS`]), if any.
    pub linux_highest: Option<u32>,
    /// Workloads up to that rate (ping-pong included) where Pride does not
    /// take fewer instructions per echo than Linux.
    pub not_fewer: Vec<String>,
}

impl Verdict {
    pub fn half_met(&self) -> bool {
        self.ping_pong_ratio <= 0.5
    }
}

pub fn verdict(workloads: &[Workload], pride: &[Measured], linux: &[Measured]) -> Verdict {
    let ping_pong_ratio = workloads
        .iter()
        .zip(pride.iter().zip(linux))
        .find(|(w, _)| w.len == 64 && matches!(w.kind, Kind::PingPong { .. }))
        .map(|(_, (p, l))| p.per_echo() / l.per_echo().max(1.0))
        .unwrap_or(f64::INFINITY);
    let linux_highest = workloads
        .iter()
        .zip(linux)
        .filter(|(_, l)| l.outcome.sent > 0 && l.outcome.loss() <= SUSTAINED_LOSS)
        .filter_map(|(w, _)| w.rate())
        .max();
    let not_fewer = workloads
        .iter()
        .zip(pride.iter().zip(linux))
        .filter(|(w, _)| w.rate().is_none_or(|r| linux_highest.is_some_and(|h| r <= h)))
        .filter(|(_, (p, l))| p.per_echo() >= l.per_echo())
        .map(|(w, _)| w.name())
        .collect();
    Verdict {
        ping_pong_ratio,
        linux_highest,
        not_fewer,
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The report as Markdown.
pub fn render(workloads: &[Workload], r: &Report) -> String {
    let mut s = format!(
        "Network echo, Pride against a Linux guest: {}, TCG, `-icount shift=0` (one instruction per guest ns), \
         CPU `{}`, virtio-net legacy PCI on QEMU's user network, UDP to port 7 from 127.0.0.1. \
         Linux guest: Debian `{}`, busybox, `udp-echo`. Instructions: exact guest counts (TCG plugin) between two \
         marker datagrams around each workload, divided by echoes + 1.\n\n",
        r.qemu, r.cpu, r.linux_kernel
    );
    s.push_str(
        "| workload | Pride instructions per echo | Linux instructions per echo | Pride / Linux | Pride echoes/s | \
         Linux echoes/s | Pride loss | Linux loss |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    let pct = |o: &Outcome| format!("{:.2}% ({} of {})", o.loss() * 100.0, o.lost(), o.sent);
    for (w, (p, l)) in workloads.iter().zip(r.pride.iter().zip(&r.linux)) {
        s.push_str(&format!(
            "| {} | {} | {} | {:.2} | {} | {} | {} | {} |\n",
            w.name(),
            thousands(p.per_echo().round() as u64),
            thousands(l.per_echo().round() as u64),
            p.per_echo() / l.per_echo().max(1.0),
            thousands(p.outcome.echo_rate().round() as u64),
            thousands(l.outcome.echo_rate().round() as u64),
            pct(&p.outcome),
            pct(&l.outcome),
        ));
    }
    s.push_str(
        "\n| workload | Pride round trip p50 / p99 / max (µs) | Linux round trip p50 / p99 / max (µs) |\n\
         | --- | ---: | ---: |\n",
    );
    let rtt = |o: &Outcome| format!("{:.0} / {:.0} / {:.0}", o.rtt.p50, o.rtt.p99, o.rtt.max);
    for (w, (p, l)) in workloads.iter().zip(r.pride.iter().zip(&r.linux)) {
        s.push_str(&format!(
            "| {} | {} | {} |\n",
            w.name(),
            rtt(&p.outcome),
            rtt(&l.outcome)
        ));
    }
    let v = verdict(workloads, &r.pride, &r.linux);
    s.push_str(&format!(
        "\nTarget: at most half the Linux guest's instructions per echo in 64-byte ping-pong: **{}** ({:.2}).\n",
        if v.half_met() { "met" } else { "missed" },
        v.ping_pong_ratio
    ));
    match v.linux_highest {
        Some(h) => s.push_str(&format!(
            "Target: fewer instructions per echo than Linux at every load up to the highest offered rate the Linux \
             guest sustains (at most {:.0}% lost: {}/s): **{}**{}.\n",
            SUSTAINED_LOSS * 100.0,
            thousands(u64::from(h)),
            if v.not_fewer.is_empty() { "met" } else { "missed" },
            if v.not_fewer.is_empty() {
                String::new()
            } else {
                format!(" (not fewer: {})", v.not_fewer.join("; "))
            }
        )),
        None => {
            s.push_str("Target: fewer at every load: the Linux guest sustained no offered rate, nothing to compare.\n")
        }
    }
    s
}

/// Runs the benchmark against both guests; prints and writes the report
/// (`target/bench/net.md`, console transcripts and plugin records beside
/// it) and returns it.
pub fn run(ws: &Path, q: &board::Qemu, pride_kernel: &Path, comps: &[crate::images::BuiltImage]) -> Result<String> {
    let dir = ws.join("target/bench");
    std::fs::create_dir_all(&dir)?;
    let plugin = build_plugin(ws)?;
    let linux = linux_guest::prepare(ws)?;
    let pride_root = crate::images::build_image(ws, "netbench", comps, BOOT_CFG)?;

    // With PRIDE_BENCH_PROFILE set, the plugin also records per-block
    // execution counts at each marker (bench/plugin/profile.py reads them).
    let profile = std::env::var_os("PRIDE_BENCH_PROFILE").is_some_and(|v| !v.is_empty() && v != "0");
    let guests = [
        ("Pride", pride_kernel, pride_root.as_path(), None, PRIDE_READY, "pride"),
        (
            "Linux",
            linux.kernel.as_path(),
            linux.initramfs.as_path(),
            Some(linux_guest::KERNEL_CMDLINE),
            linux_guest::READY_LINE,
            "linux",
        ),
    ];
    // PRIDE_BENCH_GUESTS=pride (or linux) measures one guest only, and
    // PRIDE_BENCH_WORKLOADS a selection: figures on the console, no report.
    let only = std::env::var("PRIDE_BENCH_GUESTS").ok().filter(|v| !v.is_empty());
    let partial = only.is_some() || std::env::var_os("PRIDE_BENCH_WORKLOADS").is_some_and(|v| !v.is_empty());
    let mut measured = Vec::new();
    for (label, kernel, initrd, cmdline, ready, file) in guests {
        if only.as_deref().is_some_and(|o| o != file) {
            continue;
        }
        let port = board::free_port()?;
        let counts = dir.join(format!("net-{file}.counts"));
        let mut cmd = qemu_command(q, kernel, initrd, port, &plugin, &counts, profile)?;
        if let Some(line) = cmdline {
            cmd.args(["-append", line]);
        }
        let transcript = dir.join(format!("net-{file}.log"));
        measured.push(measure_guest(
            label,
            cmd,
            ready,
            port,
            &counts,
            &transcript,
            &selected_workloads()?,
        )?);
    }
    if partial {
        return Ok("partial run (PRIDE_BENCH_GUESTS or PRIDE_BENCH_WORKLOADS): no report\n".into());
    }
    let linux_measured = measured.pop().context("no Linux figures")?;
    let pride = measured.pop().context("no Pride figures")?;

    let qemu = Command::new(&q.binary)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).lines().next().map(str::to_string))
        .unwrap_or_else(|| q.binary.clone());
    let report = Report {
        pride,
        linux: linux_measured,
        qemu,
        cpu: q.cpu.clone(),
        linux_kernel: linux.kernel_package,
    };
    let text = render(&WORKLOADS, &report);
    std::fs::write(dir.join("net.md"), &text)?;
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(instructions: u64, sent: u64, echoed: u64) -> Measured {
        Measured {
            outcome: Outcome {
                sent,
                echoed,
                elapsed: Duration::from_secs(1),
                ..Outcome::default()
            },
            instructions,
        }
    }

    #[test]
    fn per_echo_counts_the_marker_pair_as_one_echo() {
        assert_eq!(m(10_000, 10, 9).per_echo(), 1000.0);
        assert_eq!(m(500, 0, 0).per_echo(), 500.0);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(16_382), "16,382");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn workload_names() {
        assert_eq!(WORKLOADS[0].name(), "ping-pong, 64 B");
        assert_eq!(WORKLOADS[5].name(), "open loop 10,000/s, 64 B");
    }

    #[test]
    fn the_verdict_compares_up_to_the_highest_rate_linux_sustains() {
        let w = [
            Workload {
                len: 64,
                kind: Kind::PingPong { count: 10 },
            },
            Workload {
                len: 64,
                kind: Kind::OpenLoop {
                    rate: 1000,
                    millis: 1000,
                },
            },
            Workload {
                len: 64,
                kind: Kind::OpenLoop {
                    rate: 5000,
                    millis: 1000,
                },
            },
            Workload {
                len: 64,
                kind: Kind::OpenLoop {
                    rate: 20000,
                    millis: 1000,
                },
            },
        ];
        // Linux: 16,000 a ping-pong echo; sustains 1k and 5k, loses half at 20k.
        let linux = [
            m(16_000 * 11, 10, 10),
            m(22_000 * 1001, 1000, 1000),
            m(21_000 * 4951, 5000, 4950),
            m(20_000 * 10001, 20000, 10000),
        ];
        let pride = [
            m(7_000 * 11, 10, 10),
            m(9_000 * 1001, 1000, 1000),
            m(21_500 * 4951, 5000, 4950),
            m(30_000 * 10001, 20000, 10000),
        ];
        let v = verdict(&w, &pride, &linux);
        assert!((v.ping_pong_ratio - 7.0 / 16.0).abs() < 1e-9);
        assert!(v.half_met());
        assert_eq!(v.linux_highest, Some(5000));
        // 20k is beyond what Linux sustains, so it does not count.
        assert_eq!(v.not_fewer, ["open loop 5,000/s, 64 B"]);
        let r = Report {
            pride: pride.to_vec(),
            linux: linux.to_vec(),
            qemu: "QEMU emulator version 7.2".into(),
            cpu: "Nehalem".into(),
            linux_kernel: "linux-image-x 1".into(),
        };
        let text = render(&w, &r);
        assert!(
            text.contains("| ping-pong, 64 B | 7,000 | 16,000 | 0.44 | 10 | 10 | 0.00% (0 of 10) | 0.00% (0 of 10) |")
        );
        assert!(text.contains("in 64-byte ping-pong: **met** (0.44)"));
        assert!(text.contains("5,000/s): **missed** (not fewer: open loop 5,000/s, 64 B)"));
    }

    #[test]
    fn both_guests_get_the_same_qemu_command_but_kernel_and_initrd() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let q = board::load_qemu(&board::board_dir(ws, board::DEFAULT_BOARD)).unwrap();
        let args = |k: &str, i: &str| -> Vec<String> {
            let c = qemu_command(
                &q,
                Path::new(k),
                Path::new(i),
                4321,
                Path::new("p.so"),
                Path::new("c"),
                false,
            )
            .unwrap();
            c.get_args().map(|a| a.to_string_lossy().into_owned()).collect()
        };
        let pride = args("kernel.elf32", "root.elf");
        let linux = args("vmlinuz", "initramfs.cpio");
        let differ: Vec<_> = pride.iter().zip(&linux).filter(|(a, b)| a != b).collect();
        assert_eq!(differ.len(), 2, "{differ:?}");
        let joined = pride.join(" ");
        assert!(joined.contains("-icount shift=0"));
        assert!(joined.contains("virtio-net-pci,netdev=net0,addr=0x3,disable-modern=on"));
        assert!(joined.contains("-plugin p.so,out=c"));
        assert!(qemu_command(
            &q,
            Path::new("k"),
            Path::new("i"),
            1,
            Path::new("a,b"),
            Path::new("c"),
            false
        )
        .is_err());
    }
}
