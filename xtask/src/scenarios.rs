//! The QEMU scenarios `cargo xtask test` runs: which image, which kernel,
//! what is typed, and what must be seen. Judging is done by
//! `pride_harness::judge`.

use pride_harness::{Check, Expectation};

/// `isa-debug-exit` status when the guest reports every case passed
/// (`EXIT_PASS` = 0x10 in `root/src/scenario.rs`, so (0x10 << 1) | 1).
pub const STATUS_PASS: i32 = 33;

/// How a scenario starts the system.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Launcher {
    /// The harness starts QEMU on this scenario's image; input is typed
    /// after the first prompt.
    Qemu,
    /// `cargo xtask run` exactly as a person scripts it with a pipe: input
    /// is written at once, before the system has booted.
    XtaskRun,
}

/// One scenario.
pub struct Scenario {
    pub name: &'static str,
    pub launcher: Launcher,
    /// Boot script packed into the image.
    pub boot_cfg: &'static str,
    /// Debug kernel (true) or release kernel.
    pub debug_kernel: bool,
    /// Typed into the console once the first prompt appears.
    pub input: &'static str,
    pub expect: fn() -> Expectation,
    pub timeout_secs: u64,
    /// The guest gets a network card, and the host talks to its echo
    /// server once it says it listens (see [`echo_from_host`]).
    pub echo: bool,
}

/// The boot script of the default system.
pub const DEFAULT_BOOT_CFG: &str = "# The default system: ping, the security server (allowlist policy), the store, \
     the echo server system (sDDF network, virtio-net), the files system (the file server on \
     the sDDF block path, virtio-blk), then the shell.\n\
     launch ping\nlaunch policy-allowlist\nlaunch store\nsystem echo\nsystem files\n";

/// True if a boot script starts the echo server or the socket server
/// (`system sockets`), which need a network card.
pub fn wants_network(boot_cfg: &str) -> bool {
    boot_cfg
        .lines()
        .any(|l| l.trim() == "system echo" || l.trim() == "system sockets")
}

const FOUNDATION_CFG: &str = "launch ping\nscenario foundation\n";

const COMPONENTS_CFG: &str = "launch ping\nscenario components\n";

const SECURITY_CFG: &str = "launch ping\nlaunch policy-allowlist\nlaunch store\nscenario security\n";
const LIONSOS_CFG: &str = "launch ping\nlaunch policy-allowlist\nscenario lionsos\n";
const FILES_CFG: &str = "launch ping\nlaunch policy-allowlist\nsystem files\nscenario files\n";

/// The boot script of the benchmark image.
pub const BENCH_BOOT_CFG: &str = "launch ping\nlaunch policy-open\nlaunch store\nbench\n";
/// The boot script of the file benchmark image.
pub const FILES_BENCH_CFG: &str = "launch ping\nlaunch policy-open\nsystem files\nscenario files-bench\n";

fn boot_summary_check() -> Check {
    Check::new("boot summary reports untyped memory and free slots", |lines| {
        let line = lines
            .iter()
            .find(|l| l.starts_with("boot: seL4 5.0.0, untyped "))
            .ok_or("no boot summary line")?;
        let kib: u64 = line["boot: seL4 5.0.0, untyped ".len()..]
            .split(' ')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or("untyped size unreadable")?;
        if kib == 0 {
            return Err("untyped memory is 0 KiB".into());
        }
        let slots = line.split("free slots ").nth(1).ok_or("no free slots field")?;
        let (range, count) = slots.split_once(" (").ok_or("free slots unreadable")?;
        let (a, b) = range.split_once("..").ok_or("free slots range unreadable")?;
        let (a, b): (u64, u64) = (a.parse().map_err(|_| "bad start")?, b.parse().map_err(|_| "bad end")?);
        let n: u64 = count
            .split(')')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or("bad slot count")?;
        if a >= b || b - a != n {
            return Err(format!("free slots {a}..{b} do not make {n}"));
        }
        Ok(())
    })
}

fn foundation() -> Expectation {
    Expectation {
        cases: vec![
            "boot-summary",
            "ping",
            "cap-transfer",
            "fault-report",
            "alive-after-fault",
        ],
        checks: vec![
            boot_summary_check(),
            Check::contains("ping answered at boot", "ping: 'ping' answered 41 -> 42 (ok)"),
            Check::new("fault report names crash, address and ip", |lines| {
                let prefix = "fault: component 'crash' (id ";
                let l = lines
                    .iter()
                    .find(|l| l.starts_with(prefix))
                    .ok_or("no fault report for crash")?;
                let rest = l.split("): ").nth(1).ok_or("malformed fault line")?;
                let ip = rest
                    .strip_prefix("vm fault at address 0xdead0000, ip 0x")
                    .ok_or_else(|| format!("wrong fault description: {rest}"))?;
                let ip = u64::from_str_radix(ip.trim(), 16).map_err(|_| "ip unreadable")?;
                if !(0x40_0000..0x50_0000).contains(&ip) {
                    return Err(format!("ip {ip:#x} is not in crash's code"));
                }
                Ok(())
            }),
            Check::contains(
                "supervisor restarts the faulting component",
                "restart: 'crash' restarted (generation 2)",
            ),
        ],
        exit_status: STATUS_PASS,
    }
}

fn components() -> Expectation {
    Expectation {
        cases: vec![
            "resource-manager-owns-memory",
            "resource-exhaustion-contained",
            "managers-serve-only-the-supervisor",
            "managers-are-permanent",
            "launch-stop-200-cycles",
            "launch-several",
            "restart-policy",
            "isolation",
            "fault-kinds",
            "quota",
            "failed-update-keeps-v1",
            "update-under-load",
            "restart-generation",
            "stalled-caller-released-on-restart",
            "stalled-caller-released-on-stop",
            "client-never-hangs",
        ],
        checks: vec![
            Check::new(
                "200 cycles leave free memory and slots exactly where they were",
                |lines| {
                    let l = lines
                        .iter()
                        .find(|l| l.starts_with("cycles: 200 launch/stop cycles"))
                        .ok_or("no cycles line")?;
                    let nums: Vec<&str> = l
                        .split(|c: char| !c.is_ascii_digit())
                        .filter(|s| !s.is_empty())
                        .collect();
                    // cycles: 200 ...; free memory A -> B bytes, free slots C -> D
                    match nums.as_slice() {
                        [_, a, b, c, d] if a == b && c == d => Ok(()),
                        _ => Err(format!("not equal: {l}")),
                    }
                },
            ),
            Check::contains(
                "crash is held after repeated faults",
                "supervisor: 'crash' held after 3 failures",
            ),
            Check::new("snoop's read of another component's heap address faults", |lines| {
                lines
                    .iter()
                    .any(|l| l.starts_with("fault: component 'snoop'") && l.contains("vm fault at address 0x80000000"))
                    .then_some(())
                    .ok_or_else(|| "no fault report for snoop at 0x80000000".to_string())
            }),
            Check::contains("hog gets an error, not a crash", "[hog] quota exhausted after"),
            Check::contains("illegal instruction reported", "fault: component 'crash-ill'"),
            Check::contains("capability fault reported", "fault: component 'crash-cap'"),
            Check::contains("unknown syscall reported", "fault: component 'crash-sys'"),
            Check::contains(
                "the failed update is reported",
                "update: 'counter-bad' failed to start; 'counter' keeps running 'counter'",
            ),
            Check::contains(
                "the update is reported",
                "update: 'counter' now runs 'counter-v2' version 2",
            ),
            Check::contains(
                "no call lost across the update",
                "[counter-client] done: 2000 calls answered, 0 lost, 0 repeated",
            ),
        ],
        exit_status: STATUS_PASS,
    }
}

fn lionsos() -> Expectation {
    Expectation {
        cases: vec![
            "system-starts",
            "notify-and-shared-memory",
            "protected-procedure-call",
            "pd-is-an-object-server",
            "bad-system-refused",
            "pride-limits-refused",
            "started-twice-refused",
            "system-stop-reclaims",
            "region-at-physical-address",
            "sddf-serial-loopback",
            "sddf-serial-replaced-under-traffic",
            "sddf-serial-stops",
            "sddf-timer",
        ],
        checks: vec![
            Check::contains(
                "the C PD ran init with its region",
                "[pp_client] pp_client: init, shared region mapped yes",
            ),
            Check::contains(
                "the Rust PD got its patched name and region",
                "[pp_server] pp_server: init, region of 4096 bytes",
            ),
            Check::contains(
                "the server read the client's word",
                "[pp_server] pp_server: client wrote 1000",
            ),
            Check::contains(
                "the client read the server's word",
                "[pp_client] pp_client: server wrote 1001",
            ),
            Check::contains("the PPC was answered", "[pp_client] pp_client: ppc label 0 answered 42"),
            Check::contains(
                "the sDDF serial driver found COM2 and its IRQ",
                "[serial_driver] serial_driver: 16550 at 0x2f8 in loopback, IRQ channel 21",
            ),
            Check::contains(
                "the C serial client's line came back through both virtualisers",
                "[serial_client] serial_client: got: hello through sDDF",
            ),
            Check::contains(
                "the HPET driver found its device",
                "[timer_driver] timer_driver: HPET at 100 MHz",
            ),
            Check::new("every timeout fired, none early", |lines| {
                let fired: Vec<&String> = lines
                    .iter()
                    .filter(|l| l.contains("timer_client: timeout of"))
                    .collect();
                match fired.len() {
                    // Two runs of the system, three timeouts each.
                    6 if fired.iter().all(|l| l.ends_with("(not early)")) => Ok(()),
                    n => Err(format!("{n} timeouts reported: {fired:?}")),
                }
            }),
        ],
        exit_status: STATUS_PASS,
    }
}

fn files() -> Expectation {
    Expectation {
        cases: vec![
            "fs-serves",
            "posix-component",
            "durable-across-restart-and-update",
            "crash-mid-write-consistent",
            "path-policy",
            "launch-from-disk",
        ],
        checks: vec![
            Check::contains(
                "the file server mounted the file system the build made",
                "[fs] fs: mounted the littlefs on partition 0 (Existing)",
            ),
            Check::contains(
                "a file over 1 MiB written and read back intact (pride-posix)",
                "[fs-test] fs-test: big: ok (1572864 bytes written and read back intact)",
            ),
            Check::contains(
                "100 files in a directory listed",
                "[fs-test] fs-test: many: ok (100 files listed with their sizes)",
            ),
            Check::contains("rename, unlink, rmdir and their errors", "[fs-test] fs-test: ops: ok"),
            Check::contains(
                "the server died in the middle of the writes",
                "fs: fault injected before a write",
            ),
            Check::contains(
                "the writer's write was cut short by it",
                "[fs-writer] fs-writer: version B cut short",
            ),
            Check::contains("the image read from the disk ran", "hello from an image on the disk"),
            Check::contains(
                "the file server knows its LionsOS client's subject",
                "[fs] fs: serving a LionsOS file-system client on channel 0 (subject ",
            ),
            Check::new(
                "a LionsOS file-system client (C) ran its script through the LionsOS protocol",
                |lines| {
                    let steps = lines
                        .iter()
                        .filter(|l| l.starts_with("[fs_lions_client] fs_lions_client: step ") && l.ends_with(": ok"))
                        .count();
                    let done = lines
                        .iter()
                        .any(|l| l == "[fs_lions_client] fs_lions_client: done, 0 failed");
                    if steps == 15 && done {
                        Ok(())
                    } else {
                        Err(format!(
                            "{steps} of 15 steps ok, the done line {}",
                            if done { "there" } else { "missing or with failures" }
                        ))
                    }
                },
            ),
            Check::new(
                "after the run the disk holds a consistent file system (fs-image check)",
                |_| {
                    let ws = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                        .parent()
                        .ok_or("no workspace")?;
                    let disk = crate::files::scenario_disk(ws, "files");
                    let out = crate::files::fs_image(ws, &disk, &["check".into(), "ls:/many".into()])
                        .map_err(|e| format!("{e:#}"))?;
                    let listed = out.lines().filter(|l| l.starts_with("f ")).count();
                    if !out.starts_with("check: ") || listed != 100 {
                        return Err(format!("fs-image: {}", out.lines().next().unwrap_or("")));
                    }
                    Ok(())
                },
            ),
        ],
        exit_status: STATUS_PASS,
    }
}

fn security() -> Expectation {
    Expectation {
        cases: vec![
            "shell-sets-up-objects",
            "objects-live-in-donated-memory",
            "connection-manager-revokes",
            "no-rule-connect-denied",
            "rule-allows-connect-and-read",
            "no-rule-read-denied",
            "cached-decision",
            "swap-allows",
            "swap-back-denies-no-stale-cache",
            "swap-acknowledged-by-every-server",
            "lattice-no-read-up",
            "lattice-no-write-down",
            "lattice-allowed-directions",
            "forged-capability-refused",
            "chinese-wall",
            "ratelimit",
            "swap-to-open",
            "withdrawn-connection-refused",
            "swap-to-open-again",
            "greedy-client-contained",
            "exit-returns-donation",
            "malformed-requests-refused",
            "server-restart-reconnect",
            "decision-log",
            "update-moves-donations",
        ],
        checks: vec![
            Check::contains("store-hog is refused, not crashed", "[store-hog] session full after"),
            Check::contains(
                "forger reports",
                "[forger] empty slot refused: true, re-badge refused: true",
            ),
            Check::contains("swaps are reported", "policy: 'lattice' in force"),
            Check::contains(
                "withdrawal is reported",
                "policy: sys/mallory's connection to 'store' withdrawn",
            ),
        ],
        exit_status: STATUS_PASS,
    }
}

/// The shell as a person uses it, typed line by line.
fn shell() -> Expectation {
    Expectation {
        cases: vec![],
        checks: vec![
            Check::contains("images lists the store", "counter-v2       2  1024 KiB  counter"),
            Check::contains("launch hello", "[hello] hello from component"),
            Check::new("ps shows running components", |lines| {
                lines
                    .iter()
                    .any(|l| l.contains(" hello ") && l.contains("running"))
                    .then_some(())
                    .ok_or_else(|| "no running hello in ps".to_string())
            }),
            Check::contains(
                "duplicate name refused",
                "error: launch: a component named 'hello' is already running",
            ),
            Check::contains(
                "unknown image refused",
                "error: launch: no image 'nosuch' (see 'images')",
            ),
            Check::contains("stop reclaims", "stop: 'hello' stopped, 1024 KiB reclaimed"),
            Check::contains(
                "stop of a stopped component refused",
                "error: stop: 'hello' is not running",
            ),
            Check::contains(
                "restart of a held component",
                "restart: 'crash' restarted (generation 4)",
            ),
            Check::contains(
                "update of a non-server refused",
                "error: update: 'hello2' offers no service",
            ),
            Check::contains("usage errors", "error: usage: update NAME IMAGE"),
            Check::contains("mem", "memory: "),
            Check::contains("log", " ms  launch: started 'hello'"),
            Check::contains("shutdown is announced", "shutdown: powering off"),
        ],
        exit_status: 0,
    }
}

/// What the `files shell` scenario types at the default system's shell.
const FILES_SHELL_INPUT: &str = "df\nls /\ncat /README\nmkdir /notes\nwrite /notes/todo buy milk and eggs\n\
cat /notes/todo\nls /notes\nwrite /private/x nope\ncat /nothing\nrm /notes\nrm /notes/todo\nrm /notes\n\
ls /notes\nwrite relative x\nlaunch /bin/hello-disk\nls /bin\nshutdown\n";

fn files_shell() -> Expectation {
    Expectation {
        cases: vec![],
        checks: vec![
            Check::contains("df", "fs: 32768 KiB, "),
            Check::new("ls / lists the README and /bin", |lines| {
                let has = |s: &str| lines.iter().any(|l| l.trim_end().ends_with(s));
                (has(" README") && has(" bin/"))
                    .then_some(())
                    .ok_or_else(|| "ls / lacks README or bin/".to_string())
            }),
            Check::contains(
                "cat /README",
                "This is Pride's file system (littlefs, served by the fs PD).",
            ),
            Check::contains("mkdir", "mkdir: /notes"),
            Check::contains("write", "write: 18 bytes to /notes/todo"),
            Check::contains("cat what was written", "buy milk and eggs"),
            Check::contains("ls /notes", "       18  todo"),
            Check::contains(
                "a path the policy denies",
                "error: write: /private/x: permission denied by the security policy",
            ),
            Check::contains("a missing file", "error: cat: /nothing: no such file or directory"),
            Check::contains("a full directory is kept", "error: rm: /notes: directory not empty"),
            Check::contains("rm a file", "rm: /notes/todo"),
            Check::contains("then the directory", "error: ls: /notes: no such file or directory"),
            Check::contains("a bad path", "error: write: relative: invalid argument"),
            Check::contains("launch from the disk", "[hello-disk] hello from an image on the disk"),
            Check::contains("the image and its manifest are in /bin", "hello-disk.manifest"),
            Check::contains("shutdown is announced", "shutdown: powering off"),
        ],
        exit_status: 0,
    }
}

fn console() -> Expectation {
    Expectation {
        cases: vec![],
        checks: vec![
            boot_summary_check(),
            Check::contains("prompt", "pride> "),
            Check::new("help lists the commands", |lines| {
                for cmd in ["  help ", "  ping ", "  netstat ", "  shutdown "] {
                    if !lines.iter().any(|l| l.starts_with(cmd)) {
                        return Err(format!("help text lacks {cmd:?}"));
                    }
                }
                Ok(())
            }),
            Check::contains("ping from the console", "ping: answered (call "),
            Check::contains(
                "unknown command is one clear error",
                "error: unknown command 'bogus' (type 'help' for the list)",
            ),
            Check::contains("argument error", "error: usage: help"),
            Check::contains(
                "netstat without the socket server is one clear error",
                "error: netstat: no socket server is running (system sockets)",
            ),
            Check::contains("shutdown is announced", "shutdown: powering off"),
        ],
        exit_status: 0,
    }
}

fn piped_run() -> Expectation {
    Expectation {
        cases: vec![],
        checks: vec![
            boot_summary_check(),
            Check::contains("prompt and echoed command", "pride> launch hello"),
            Check::contains("hello runs", "[hello] hello from component"),
            Check::contains("crash is held", "supervisor: 'crash' held after 3 failures"),
            Check::contains("counter runs", "[counter] counter version 1 ready"),
            Check::contains("update", "update: 'counter' now runs 'counter-v2' version 2"),
            Check::new("ps after the update shows counter-v2 running", |lines| {
                lines
                    .iter()
                    .any(|l| l.contains(" counter ") && l.contains("counter-v2") && l.contains("running"))
                    .then_some(())
                    .ok_or_else(|| "no running counter-v2 in ps".to_string())
            }),
            Check::contains("shutdown is announced", "shutdown: powering off"),
        ],
        exit_status: 0,
    }
}

/// Every scenario, in the order they run.
pub fn all() -> Vec<Scenario> {
    vec![
        Scenario {
            name: "foundation (release kernel)",
            launcher: Launcher::Qemu,
            boot_cfg: FOUNDATION_CFG,
            debug_kernel: false,
            input: "",
            expect: foundation,
            timeout_secs: 60,
            echo: false,
        },
        Scenario {
            name: "foundation (debug kernel)",
            launcher: Launcher::Qemu,
            boot_cfg: FOUNDATION_CFG,
            debug_kernel: true,
            input: "",
            expect: foundation,
            timeout_secs: 60,
            echo: false,
        },
        Scenario {
            name: "components",
            launcher: Launcher::Qemu,
            boot_cfg: COMPONENTS_CFG,
            debug_kernel: false,
            input: "",
            expect: components,
            echo: false,
            timeout_secs: 240,
        },
        Scenario {
            name: "security",
            launcher: Launcher::Qemu,
            boot_cfg: SECURITY_CFG,
            debug_kernel: false,
            input: "",
            expect: security,
            echo: false,
            timeout_secs: 240,
        },
        Scenario {
            name: "lionsos",
            launcher: Launcher::Qemu,
            boot_cfg: LIONSOS_CFG,
            debug_kernel: false,
            input: "",
            expect: lionsos,
            echo: false,
            timeout_secs: 120,
        },
        Scenario {
            name: "files",
            launcher: Launcher::Qemu,
            boot_cfg: FILES_CFG,
            debug_kernel: false,
            input: "",
            expect: files,
            echo: false,
            timeout_secs: 300,
        },
        Scenario {
            name: "files shell",
            launcher: Launcher::Qemu,
            boot_cfg: DEFAULT_BOOT_CFG,
            debug_kernel: false,
            input: FILES_SHELL_INPUT,
            expect: files_shell,
            echo: false,
            timeout_secs: 180,
        },
        Scenario {
            name: "shell",
            launcher: Launcher::Qemu,
            boot_cfg: DEFAULT_BOOT_CFG,
            debug_kernel: false,
            input: "images\nlaunch hello\nlaunch hello hello2\nps\nlaunch hello\nlaunch nosuch\nstop hello\nstop hello\nlaunch crash\nrestart crash\nupdate hello2 counter\nupdate counter\nmem\nlog\nshutdown\n",
            expect: shell,
            echo: false,
            timeout_secs: 120,
        },
        Scenario {
            name: "console",
            launcher: Launcher::Qemu,
            boot_cfg: DEFAULT_BOOT_CFG,
            debug_kernel: false,
            input: "help\nping\nbogus\nhelp me\n\x7f\x1b[A\nnetstat\nshutdown\n",
            expect: console,
            timeout_secs: 60,
            echo: false,
        },
        Scenario {
            name: "xtask run, piped input",
            launcher: Launcher::XtaskRun,
            boot_cfg: DEFAULT_BOOT_CFG,
            debug_kernel: false,
            input: "launch hello\nps\nlaunch crash\nlaunch counter\nps\nupdate counter counter-v2\nps\nshutdown\n",
            expect: piped_run,
            timeout_secs: 120,
            echo: false,
        },
        Scenario {
            name: "network",
            launcher: Launcher::Qemu,
            boot_cfg: NETWORK_CFG,
            debug_kernel: false,
            input: "",
            expect: network,
            timeout_secs: 120,
            echo: true,
        },
        // The socket server on the network path (xtask/src/sockets.rs).
        Scenario {
            name: "sockets",
            launcher: Launcher::Qemu,
            boot_cfg: crate::sockets::BOOT_CFG,
            debug_kernel: false,
            input: crate::sockets::INPUT,
            expect: crate::sockets::expectation,
            timeout_secs: 180,
            echo: true,
        },
        // The sDDF block system on a two-partition disk (xtask/src/block.rs).
        Scenario {
            name: "block",
            launcher: Launcher::Qemu,
            boot_cfg: crate::block::BOOT_CFG,
            debug_kernel: false,
            input: crate::block::INPUT,
            expect: crate::block::expectation,
            timeout_secs: 120,
            echo: false,
        },
    ]
}

/// The echo server system at boot, then the shell (the host types
/// `shutdown` once it has talked to the echo server).
const NETWORK_CFG: &str = DEFAULT_BOOT_CFG;

fn network() -> Expectation {
    Expectation {
        cases: vec![],
        checks: vec![
            Check::contains(
                "the driver found the virtio-net card",
                "[net_driver] net_driver: virtio-net at I/O 0x6000",
            ),
            Check::contains("the echo server listens", "[net_echo] net_echo: listening"),
            Check::contains("UDP echo from the host", "[host] udp echo: ok"),
            Check::contains("TCP echo from the host", "[host] tcp echo: ok"),
            Check::contains("echo load flows", "[host] echo load: ok"),
            Check::contains(
                "echo resumes after the receive virtualiser is updated under load",
                "[host] echo after update net_virt_rx net-virt-rx: ok",
            ),
            Check::contains(
                "echo resumes after the copier (C) is restarted under load",
                "[host] echo after restart net_copy: ok",
            ),
            Check::contains(
                "echo resumes after the transmit virtualiser is restarted under load",
                "[host] echo after restart net_virt_tx: ok",
            ),
            Check::contains(
                "echo resumes after the receive virtualiser is restarted under load",
                "[host] echo after restart net_virt_rx: ok",
            ),
            Check::contains(
                "echo resumes after the driver is restarted",
                "[host] echo after restart net_driver: ok",
            ),
            Check::new("the quiesced driver returned the buffers its device held", |lines| {
                let l = lines
                    .iter()
                    .find(|l| l.contains("net_driver: quiesced: device reset, "))
                    .ok_or("the driver never said it quiesced")?;
                let rx: u32 = l
                    .split("device reset, ")
                    .nth(1)
                    .and_then(|t| t.split(' ').next())
                    .and_then(|n| n.parse().ok())
                    .ok_or("unreadable quiesce line")?;
                if rx == 0 {
                    return Err(format!("no receive buffer returned: {l}"));
                }
                Ok(())
            }),
            Check::contains(
                "echo resumes after the driver is updated",
                "[host] echo after update net_driver net-virtio: ok",
            ),
            Check::contains(
                "a driver started after one was destroyed without warning takes back what the device held",
                "[net_driver] net_driver: recovered 128 receive and ",
            ),
            Check::contains(
                "echo resumes after that driver starts",
                "[host] echo after restart net_driver again: ok",
            ),
            Check::new("afterwards every buffer of every pool is accounted for", |lines| {
                let census: Vec<&String> = lines.iter().filter(|l| l.starts_with("census: echo: ")).collect();
                if census.len() != CENSUS_POOLS {
                    return Err(format!("{} census lines, not {CENSUS_POOLS}", census.len()));
                }
                match census.iter().find(|l| !l.ends_with("every buffer accounted for")) {
                    Some(bad) => Err(bad.to_string()),
                    None => Ok(()),
                }
            }),
            Check::contains(
                "UDP echo after the replacements",
                "[host] udp echo after the replacements: ok",
            ),
        ],
        exit_status: 0,
    }
}

/// The replacements the `network` scenario makes: the shell command, the
/// event line that says it is done, and whether the echo load keeps
/// running meanwhile. After each but `stop`, echoes must flow again.
/// `stop` destroys the driver without asking it to quiesce, as a crash
/// would: the next driver must find what the device held in its in-flight
/// table. Everything is replaced under load (replacing the driver while
/// frames arrived used to corrupt the kernel's IDT: seL4 5.0.0 reset its
/// stack to a misaligned "top" before servicing a pending interrupt, fixed
/// by `xtask/patches/0002-...`; see docs/architecture.md, "Replacing sDDF
/// components").
const REPLACEMENTS: [(&str, &str, bool); 8] = [
    ("update net_virt_rx net-virt-rx", "update: 'net_virt_rx' now runs", true),
    ("restart net_copy", "restart: 'net_copy' restarted", true),
    ("restart net_virt_tx", "restart: 'net_virt_tx' restarted", true),
    ("restart net_virt_rx", "restart: 'net_virt_rx' restarted", true),
    ("restart net_driver", "restart: 'net_driver' restarted", true),
    ("update net_driver net-virtio", "update: 'net_driver' now runs", true),
    ("stop net_driver", "stop: 'net_driver' stopped", true),
    ("restart net_driver", "restart: 'net_driver' restarted", true),
];

/// Pools `system census echo` reports (one line each).
const CENSUS_POOLS: usize = 3;

/// The host's side of the `network` scenario. Once the guest's echo server
/// says it listens, a UDP datagram and a TCP stream to it through QEMU's
/// forwarded port must come back unchanged. Then a load of UDP echoes
/// runs while the host has the guest replace sDDF components one after
/// the other ([`REPLACEMENTS`]); after each, echoes must flow again. With
/// the load stopped, `system census echo` must find every buffer; a last
/// datagram must come back; then the host shuts the guest down.
pub fn echo_from_host(port: u16) -> impl FnMut(&str) -> pride_harness::HostStep {
    let mut load: Option<EchoLoad> = None;
    let mut next = 0;
    let mut census_lines = 0;
    move |line: &str| {
        let mut step = pride_harness::HostStep::default();
        if line.contains("net_echo: listening") && load.is_none() {
            step.record.push(match udp_echo(port) {
                Ok(n) => format!("udp echo: ok ({n} bytes)"),
                Err(e) => format!("udp echo: FAILED ({e})"),
            });
            step.record.push(match tcp_echo(port) {
                Ok(n) => format!("tcp echo: ok ({n} bytes)"),
                Err(e) => format!("tcp echo: FAILED ({e})"),
            });
            match EchoLoad::start(port) {
                Ok(l) => {
                    let resumed = l.wait_for_echoes(50);
                    step.record.push(format!("echo load: {resumed}"));
                    step.input = Some(l.before(0));
                    load = Some(l);
                }
                Err(e) => {
                    step.record.push(format!("echo load: FAILED to start ({e})"));
                    step.input = Some("shutdown\n".to_string());
                }
            }
            return step;
        }
        if let (Some(l), Some((command, done, _))) = (load.as_ref(), REPLACEMENTS.get(next)) {
            if line.contains(done) {
                l.pause(false);
                if !command.starts_with("stop ") {
                    let again = if next + 1 == REPLACEMENTS.len() { " again" } else { "" };
                    step.record
                        .push(format!("echo after {command}{again}: {}", l.wait_for_echoes(50)));
                }
                next += 1;
                step.input = Some(if next < REPLACEMENTS.len() {
                    l.before(next)
                } else {
                    let (sent, echoed) = l.stop();
                    step.record.push(format!("echo load: {sent} sent, {echoed} echoed"));
                    // Let what is in flight settle before counting.
                    std::thread::sleep(std::time::Duration::from_millis(500));
                    "system census echo\n".to_string()
                });
            } else if line.contains("could not") || line.contains("error:") {
                step.record.push(format!("echo after {command}: FAILED ({line})"));
                step.input = Some("shutdown\n".to_string());
            }
            return step;
        }
        if line.starts_with("census: echo: ") {
            census_lines += 1;
            if census_lines == CENSUS_POOLS {
                step.record.push(match udp_echo(port) {
                    Ok(n) => format!("udp echo after the replacements: ok ({n} bytes)"),
                    Err(e) => format!("udp echo after the replacements: FAILED ({e})"),
                });
                step.input = Some("shutdown\n".to_string());
            }
        }
        step
    }
}

/// A bounded UDP echo load: one datagram in flight at a time, each waited
/// for at most 100 ms, until stopped (or after 5 minutes).
struct EchoLoad {
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    paused: std::sync::Arc<std::sync::atomic::AtomicBool>,
    sent: std::sync::Arc<std::sync::atomic::AtomicU64>,
    echoed: std::sync::Arc<std::sync::atomic::AtomicU64>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl EchoLoad {
    fn start(port: u16) -> std::io::Result<EchoLoad> {
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        use std::sync::Arc;
        use std::time::{Duration, Instant};
        let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
        sock.set_read_timeout(Some(Duration::from_millis(100)))?;
        sock.connect(("127.0.0.1", port))?;
        let (stop, sent, echoed) = (
            Arc::new(AtomicBool::new(false)),
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicU64::new(0)),
        );
        let paused = Arc::new(AtomicBool::new(false));
        let (stop2, paused2, sent2, echoed2) = (stop.clone(), paused.clone(), sent.clone(), echoed.clone());
        let thread = std::thread::spawn(move || {
            let deadline = Instant::now() + Duration::from_secs(300);
            let mut buf = [0u8; 512];
            let mut n: u64 = 0;
            while !stop2.load(Ordering::Relaxed) && Instant::now() < deadline {
                if paused2.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                n += 1;
                let message = format!("pride load {n:012}");
                if sock.send(message.as_bytes()).is_err() {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
                sent2.fetch_add(1, Ordering::Relaxed);
                // Answers to earlier datagrams that came late are skipped.
                let until = Instant::now() + Duration::from_millis(100);
                while Instant::now() < until {
                    match sock.recv(&mut buf) {
                        Ok(k) if &buf[..k] == message.as_bytes() => {
                            echoed2.fetch_add(1, Ordering::Relaxed);
                            break;
                        }
                        Ok(_) => continue,
                        Err(_) => break,
                    }
                }
            }
        });
        Ok(EchoLoad {
            stop,
            paused,
            sent,
            echoed,
            thread: Some(thread),
        })
    }

    /// Waits (at most 20 s) until `more` further datagrams came back.
    fn wait_for_echoes(&self, more: u64) -> String {
        use std::sync::atomic::Ordering;
        use std::time::{Duration, Instant};
        let from = self.echoed.load(Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let now = self.echoed.load(Ordering::Relaxed);
            if now >= from + more {
                return format!("ok ({} more echoed)", now - from);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        format!(
            "FAILED (only {} more echoed in 20 s)",
            self.echoed.load(Ordering::Relaxed) - from
        )
    }

    /// Pauses (true) or resumes the load.
    fn pause(&self, paused: bool) {
        self.paused.store(paused, std::sync::atomic::Ordering::Relaxed);
    }

    /// Prepares replacement `i` (pausing the load if it must not run
    /// meanwhile) and returns its command line.
    fn before(&self, i: usize) -> String {
        let (command, _, under_load) = REPLACEMENTS[i];
        if !under_load {
            self.pause(true);
            // Let the datagram in flight come back.
            std::thread::sleep(std::time::Duration::from_millis(200));
        }
        format!("{command}\n")
    }

    /// Stops the load; (datagrams sent, echoed).
    fn stop(&self) -> (u64, u64) {
        use std::sync::atomic::Ordering;
        self.stop.store(true, Ordering::Relaxed);
        (self.sent.load(Ordering::Relaxed), self.echoed.load(Ordering::Relaxed))
    }
}

impl Drop for EchoLoad {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) fn udp_echo(port: u16) -> std::io::Result<usize> {
    use std::time::Duration;
    let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let message = b"pride udp echo 0123456789";
    let mut buf = [0u8; 256];
    // The first datagram may go while the guest's ARP reply is on its way.
    for _ in 0..5 {
        sock.send_to(message, ("127.0.0.1", port))?;
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            if &buf[..n] == message {
                return Ok(n);
            }
            return Err(std::io::Error::other(format!("got {n} bytes back, not the datagram")));
        }
    }
    Err(std::io::Error::other("no answer to 5 datagrams"))
}

fn tcp_echo(port: u16) -> std::io::Result<usize> {
    use std::io::{Read, Write};
    use std::time::Duration;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let message: Vec<u8> = (0..3000u32).map(|i| b"pride tcp echo "[i as usize % 15]).collect();
    s.write_all(&message)?;
    let mut back = vec![0u8; message.len()];
    s.read_exact(&mut back)?;
    if back != message {
        return Err(std::io::Error::other("the stream came back changed"));
    }
    Ok(back.len())
}
