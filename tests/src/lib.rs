//! # pride-harness: runs Pride in QEMU and judges what it prints
//!
//! A scenario is one QEMU boot: the harness starts QEMU, optionally types
//! input into the serial console, collects every console line until QEMU
//! exits or a timeout passes (then kills it), and judges the transcript:
//!
//! - every expected case must have printed `case NAME: ok`; a `FAILED` line,
//!   a missing line or an unexpected case fails the scenario;
//! - the guest's closing `N passed, N failed` line must be present and agree
//!   with the case lines (scenarios that report cases);
//! - extra checks on the transcript (a boot summary with untyped memory,
//!   a fault report naming the component, ...) must hold;
//! - QEMU's exit status must be the expected one (`isa-debug-exit` gives
//!   `(value << 1) | 1`; a clean power-off gives 0).
//!
//! The judging is pure ([`judge`]) and unit-tested; [`run_qemu`] is the thin
//! process part.

#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A predicate over a console transcript: `Err` says what is missing.
pub type Predicate = Box<dyn Fn(&[String]) -> Result<(), String>>;

/// A check on the whole transcript: a name and a predicate over its lines.
pub struct Check {
    pub name: &'static str,
    pub holds: Predicate,
}

impl Check {
    pub fn new(name: &'static str, holds: impl Fn(&[String]) -> Result<(), String> + 'static) -> Check {
        Check {
            name,
            holds: Box::new(holds),
        }
    }

    /// The transcript must contain a line that contains `needle`.
    pub fn contains(name: &'static str, needle: &'static str) -> Check {
        Check::new(name, move |lines| {
            if lines.iter().any(|l| l.contains(needle)) {
                Ok(())
            } else {
                Err(format!("no line contains {needle:?}"))
            }
        })
    }
}

/// What a scenario expects.
pub struct Expectation {
    /// Case names the guest must report as ok, in any order.
    pub cases: Vec<&'static str>,
    /// Further checks on the transcript.
    pub checks: Vec<Check>,
    /// QEMU's expected exit status.
    pub exit_status: i32,
}

/// How QEMU ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    Exited(i32),
    /// Killed by a signal (no status).
    Signalled,
    /// Still running at the timeout, so the harness killed it.
    TimedOut,
}

/// The verdict on one scenario: one line per case or check.
#[derive(Debug, Default)]
pub struct Verdict {
    pub results: Vec<(String, Result<(), String>)>,
}

impl Verdict {
    pub fn passed(&self) -> usize {
        self.results.iter().filter(|r| r.1.is_ok()).count()
    }
    pub fn failed(&self) -> usize {
        self.results.len() - self.passed()
    }
}

/// Parses `N passed, N failed` (alone on a line).
pub fn parse_summary(line: &str) -> Option<(u32, u32)> {
    let (p, rest) = line.trim().split_once(" passed, ")?;
    let f = rest.strip_suffix(" failed")?;
    Some((p.parse().ok()?, f.parse().ok()?))
}

/// Judges a transcript against an expectation.
pub fn judge(lines: &[String], ending: &Ending, exp: &Expectation) -> Verdict {
    let mut v = Verdict::default();
    let mut reported: Vec<(String, bool)> = Vec::new();
    for l in lines {
        if let Some(rest) = l.trim().strip_prefix("case ") {
            if let Some((name, outcome)) = rest.split_once(": ") {
                reported.push((name.to_string(), outcome == "ok"));
            }
        }
    }
    for case in &exp.cases {
        let r = match reported.iter().find(|(n, _)| n == case) {
            Some((_, true)) => Ok(()),
            Some((_, false)) => {
                let line = lines
                    .iter()
                    .find(|l| l.contains(&format!("case {case}: ")))
                    .cloned()
                    .unwrap_or_default();
                Err(format!("guest reported: {}", line.trim()))
            }
            None => Err("no line for this case".to_string()),
        };
        v.results.push((format!("case {case}"), r));
    }
    for (name, _) in &reported {
        if !exp.cases.contains(&name.as_str()) {
            v.results
                .push((format!("case {name}"), Err("unexpected case".to_string())));
        }
    }
    if !exp.cases.is_empty() {
        let summary = lines.iter().rev().find_map(|l| parse_summary(l));
        let ok_count = reported.iter().filter(|r| r.1).count() as u32;
        let r = match summary {
            None => Err("no closing 'N passed, N failed' line".to_string()),
            Some((p, f)) if p == ok_count && f as usize == reported.len() - ok_count as usize => Ok(()),
            Some((p, f)) => Err(format!("closing line says {p} passed, {f} failed; case lines disagree")),
        };
        v.results.push(("closing summary".to_string(), r));
    }
    for c in &exp.checks {
        v.results.push((c.name.to_string(), (c.holds)(lines)));
    }
    let r = match ending {
        Ending::Exited(s) if *s == exp.exit_status => Ok(()),
        Ending::Exited(s) => Err(format!("QEMU exited with status {s}, expected {}", exp.exit_status)),
        Ending::Signalled => Err("QEMU was killed by a signal".to_string()),
        Ending::TimedOut => Err("timed out: QEMU still running".to_string()),
    };
    v.results.push(("exit status".to_string(), r));
    v
}

/// Runs `cmd` (a QEMU command line), writes `input` to its standard input
/// (once the output so far contains `wait_for`, if given: a prompt has no
/// line end, so partial lines count), and collects its output lines until
/// it exits or `timeout` passes.
pub fn run_qemu(
    cmd: Command,
    input: &str,
    wait_for: Option<&str>,
    timeout: Duration,
) -> std::io::Result<(Vec<String>, Ending)> {
    run_qemu_with(cmd, input, wait_for, timeout, &mut |_| HostStep::default())
}

/// What the host does when the guest prints a line (see [`run_qemu_with`]).
#[derive(Debug, Default)]
pub struct HostStep {
    /// Lines to put in the transcript (prefixed `[host] `), for the judge.
    pub record: Vec<String>,
    /// Text to type into the guest's console.
    pub input: Option<String>,
}

/// As [`run_qemu`], and `on_line` is shown every complete line the guest
/// prints as it arrives: the host can act on it (send network traffic to
/// the guest, say), record what it saw, and type into the console.
pub fn run_qemu_with(
    mut cmd: Command,
    input: &str,
    wait_for: Option<&str>,
    timeout: Duration,
    on_line: &mut dyn FnMut(&str) -> HostStep,
) -> std::io::Result<(Vec<String>, Ending)> {
    cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
    let mut child = cmd.spawn()?;
    let mut stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let tx2 = tx.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stdout.read(&mut buf) {
            if n == 0 || tx.send(buf[..n].to_vec()).is_err() {
                break;
            }
        }
    });
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx2.send(format!("[qemu stderr] {line}\n").into_bytes()).is_err() {
                break;
            }
        }
    });
    let mut stdin = child.stdin.take();
    let mut pending_input = (!input.is_empty()).then_some(input);
    let deadline = Instant::now() + timeout;
    let mut output: Vec<u8> = Vec::new();
    // Bytes of `output` already shown to `on_line`; lines the host recorded.
    let mut seen = 0;
    let mut recorded: Vec<u8> = Vec::new();
    let finish = |output: &[u8]| -> Vec<String> {
        String::from_utf8_lossy(output)
            .replace('\r', "")
            .lines()
            .map(str::to_string)
            .collect()
    };
    loop {
        if let Some(text) = pending_input {
            let ready = wait_for.is_none_or(|w| String::from_utf8_lossy(&output).contains(w));
            if ready {
                if let Some(s) = stdin.as_mut() {
                    // A write error means QEMU is gone; its exit is seen below.
                    let _ = s.write_all(text.as_bytes()).and_then(|_| s.flush());
                }
                pending_input = None;
            }
        }
        if let Ok(chunk) = rx.recv_timeout(Duration::from_millis(50)) {
            output.extend_from_slice(&chunk);
            // New complete lines go to the host's hook.
            while let Some(end) = output[seen..].iter().position(|&b| b == b'\n') {
                let line = String::from_utf8_lossy(&output[seen..seen + end]).replace('\r', "");
                seen += end + 1;
                let step = on_line(&line);
                for r in step.record {
                    recorded.extend_from_slice(format!("[host] {r}\n").as_bytes());
                }
                if let (Some(text), Some(s)) = (step.input, stdin.as_mut()) {
                    let _ = s.write_all(text.as_bytes()).and_then(|_| s.flush());
                }
            }
        }
        if let Some(status) = child.try_wait()? {
            while let Ok(chunk) = rx.recv_timeout(Duration::from_millis(200)) {
                output.extend_from_slice(&chunk);
            }
            let ending = status.code().map(Ending::Exited).unwrap_or(Ending::Signalled);
            output.extend_from_slice(&recorded);
            return Ok((finish(&output), ending));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            while let Ok(chunk) = rx.try_recv() {
                output.extend_from_slice(&chunk);
            }
            output.extend_from_slice(&recorded);
            return Ok((finish(&output), Ending::TimedOut));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(lines: &[&str]) -> Vec<String> {
        lines.iter().map(|l| l.to_string()).collect()
    }

    fn exp(cases: &[&'static str]) -> Expectation {
        Expectation {
            cases: cases.to_vec(),
            checks: vec![],
            exit_status: 33,
        }
    }

    #[test]
    fn all_ok() {
        let t = s(&["boot", "case a: ok", "case b: ok", "2 passed, 0 failed"]);
        let v = judge(&t, &Ending::Exited(33), &exp(&["a", "b"]));
        assert_eq!(v.failed(), 0, "{v:?}");
        assert_eq!(v.passed(), 4);
    }

    #[test]
    fn failures_are_caught() {
        let t = s(&["case a: ok", "case b: FAILED (wrong reply)", "1 passed, 1 failed"]);
        let v = judge(&t, &Ending::Exited(35), &exp(&["a", "b"]));
        assert_eq!(v.failed(), 2); // case b and the exit status
        let t = s(&["case a: ok"]);
        let v = judge(&t, &Ending::TimedOut, &exp(&["a", "b"]));
        let failed: Vec<_> = v
            .results
            .iter()
            .filter(|r| r.1.is_err())
            .map(|r| r.0.as_str())
            .collect();
        assert_eq!(failed, ["case b", "closing summary", "exit status"]);
    }

    #[test]
    fn lying_summary_and_unexpected_cases_fail() {
        let t = s(&["case a: ok", "case z: ok", "5 passed, 0 failed"]);
        let v = judge(&t, &Ending::Exited(33), &exp(&["a"]));
        let failed: Vec<_> = v
            .results
            .iter()
            .filter(|r| r.1.is_err())
            .map(|r| r.0.as_str())
            .collect();
        assert_eq!(failed, ["case z", "closing summary"]);
    }

    #[test]
    fn checks_run_on_the_transcript() {
        let mut e = exp(&[]);
        e.exit_status = 0;
        e.checks.push(Check::contains("prompt", "pride> "));
        let v = judge(&s(&["pride> help"]), &Ending::Exited(0), &e);
        assert_eq!(v.failed(), 0);
        let v = judge(&s(&["nothing"]), &Ending::Exited(0), &e);
        assert_eq!(v.failed(), 1);
    }

    #[test]
    fn summary_parsing() {
        assert_eq!(parse_summary("3 passed, 0 failed"), Some((3, 0)));
        assert_eq!(parse_summary("  10 passed, 2 failed\r"), Some((10, 2)));
        assert_eq!(parse_summary("passed, failed"), None);
        assert_eq!(parse_summary("3 passed, x failed"), None);
    }

    #[test]
    fn runs_a_process_and_times_out() {
        let mut c = Command::new("sh");
        c.args(["-c", "echo one; echo two; exit 3"]);
        let (lines, ending) = run_qemu(c, "", None, Duration::from_secs(10)).unwrap();
        assert_eq!(lines, ["one", "two"]);
        assert_eq!(ending, Ending::Exited(3));
        let mut c = Command::new("sh");
        c.args(["-c", "printf 'prompt> '; read x; echo got $x; sleep 30"]);
        let (lines, ending) = run_qemu(c, "hello\n", Some("prompt> "), Duration::from_millis(500)).unwrap();
        assert_eq!(lines, ["prompt> got hello"]);
        assert_eq!(ending, Ending::TimedOut);
    }
}
