//! The `block` QEMU scenario: the sDDF block system (`lionsos-compat/blk`,
//! `systems/blk.py`) on a disk image made here.
//!
//! The disk is 4 MiB with an MBR and two partitions, each starting with a
//! label naming it (`PRIDE-PART-0`, `PRIDE-PART-1`) and otherwise zero:
//!
//! | sectors | what |
//! | --- | --- |
//! | 0 | MBR: entry 0 = sectors 2048..4096, entry 1 = sectors 4096..8192 (type 0x83) |
//! | 2048.. | partition 0 (1 MiB, 256 blocks of 4 KiB) |
//! | 4096.. | partition 1 (2 MiB, 512 blocks) |
//!
//! The echo server's system is started at boot (so the two sDDF systems and
//! their PCI devices share the machine). The console is driven from the
//! host ([`from_host`]): `system start blk`. Each client runs its checks,
//! then a stream of writes and read-backs ([`STREAM_ROUNDS`] rounds of
//! [`STREAM_BLOCKS`] requests each way, all in flight together); while
//! both stream, the host replaces the driver and the virtualiser one after
//! the other ([`REPLACEMENTS`]), each once both streams have gone on since
//! the last. Once both streams are done, `system stop blk`, `mem`, a second
//! start (checks and stream again, nothing replaced), stop, `mem`,
//! shutdown. The judge then reads the transcript (every request of every
//! stream answered exactly once, the data read back intact, progress after
//! every replacement) and the disk image: every client pattern, and the
//! stream's last round, must be on the disk at its partition's offset, the
//! labels untouched, and nothing written anywhere else.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use pride_harness::{Check, Expectation, HostStep};

pub const SECTOR: usize = 512;
pub const BLOCK: usize = 4096;
pub const DISK_SECTORS: usize = 8192;
/// (first sector, sectors) of partitions 0 and 1.
pub const PARTITIONS: [(usize, usize); 2] = [(2048, 2048), (4096, 4096)];
/// Blocks the clients write: 1-4 and their partition's last.
const RUN: std::ops::Range<usize> = 1..5;
/// The clients' stream (`lionsos-compat/blk/c/client.c`): blocks
/// `STREAM_START..STREAM_START + STREAM_BLOCKS`, written and read back
/// `STREAM_ROUNDS` times.
pub const STREAM_START: usize = 8;
pub const STREAM_BLOCKS: usize = 8;
pub const STREAM_ROUNDS: u32 = 300;

/// Requests a second the scenario's disk serves (QEMU throttling): slow
/// enough that the device nearly always holds some of the streams'
/// requests, so that replacing the driver has requests in flight to keep.
pub const DISK_IOPS: u32 = 200;

/// The replacements made while the clients stream: the shell command and
/// the event line that says it is done. `stop` destroys the driver without
/// asking it to quiesce, as a crash would; the `restart` after it must find
/// what the device held in the in-flight table.
pub const REPLACEMENTS: [(&str, &str); 6] = [
    ("restart blk_driver", "restart: 'blk_driver' restarted"),
    ("update blk_driver blk-virtio", "update: 'blk_driver' now runs"),
    ("restart blk_virt", "restart: 'blk_virt' restarted"),
    ("update blk_virt blk-virt", "update: 'blk_virt' now runs"),
    ("stop blk_driver", "stop: 'blk_driver' stopped"),
    ("restart blk_driver", "restart: 'blk_driver' restarted"),
];

/// The boot script: the echo server's system (so the block system runs
/// next to another sDDF system with a PCI device), then the shell; the host
/// types the rest.
pub const BOOT_CFG: &str = "launch ping\nsystem echo\n";
/// Typed at the first prompt.
pub const INPUT: &str = "mem\nsystem start blk\n";

/// True if a scenario starts the block system, which needs the disk.
pub fn wants_disk(boot_cfg: &str, input: &str) -> bool {
    boot_cfg
        .lines()
        .chain(input.lines())
        .any(|l| matches!(l.trim(), "system blk" | "system start blk"))
}

/// Where the scenario's disk image is.
pub fn disk_path(ws: &Path) -> PathBuf {
    ws.join("target/disks/blk.img")
}

fn label(partition: usize) -> String {
    format!("PRIDE-PART-{partition}")
}

/// The MBR: two primary partitions, LBA only.
fn mbr() -> [u8; SECTOR] {
    let mut s = [0u8; SECTOR];
    for (i, (start, len)) in PARTITIONS.iter().enumerate() {
        let e = 446 + 16 * i;
        s[e + 4] = 0x83;
        s[e + 8..e + 12].copy_from_slice(&(*start as u32).to_le_bytes());
        s[e + 12..e + 16].copy_from_slice(&(*len as u32).to_le_bytes());
    }
    s[510] = 0x55;
    s[511] = 0xaa;
    s
}

/// The disk image as the scenario starts with it.
pub fn fresh_disk() -> Vec<u8> {
    let mut d = vec![0u8; DISK_SECTORS * SECTOR];
    d[..SECTOR].copy_from_slice(&mbr());
    for (i, (start, _)) in PARTITIONS.iter().enumerate() {
        let l = label(i);
        d[start * SECTOR..start * SECTOR + l.len()].copy_from_slice(l.as_bytes());
    }
    d
}

/// Writes a fresh disk image (every run starts from the same one).
pub fn make_disk(ws: &Path) -> Result<PathBuf> {
    let path = disk_path(ws);
    std::fs::create_dir_all(path.parent().context("disk directory")?)?;
    std::fs::write(&path, fresh_disk()).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The byte the client of `partition` writes at index `i` of its block
/// `block` (the formula of `lionsos-compat/blk/c/client.c`).
fn pattern(partition: usize, block: usize, i: usize) -> u8 {
    let (p, b, i) = (partition as u32, block as u32, i as u32);
    (i.wrapping_mul(7)
        .wrapping_add(b.wrapping_mul(13))
        .wrapping_add(p.wrapping_mul(101))
        .wrapping_add((i >> 8).wrapping_mul(3))) as u8
}

/// The byte round `round` of the stream writes (`stream_pattern` in
/// `client.c`).
fn stream_pattern(partition: usize, block: usize, i: usize, round: u32) -> u8 {
    pattern(partition, block, i).wrapping_add(round.wrapping_mul(29) as u8)
}

/// The disk after the clients ran: each partition's label, the clients'
/// patterns in blocks 1-4 and the last block, the stream's last round in
/// its blocks, zeros everywhere else.
pub fn expected_disk() -> Vec<u8> {
    let mut d = fresh_disk();
    for (p, (start, len)) in PARTITIONS.iter().enumerate() {
        let last = len * SECTOR / BLOCK - 1;
        for b in RUN.chain(last..last + 1) {
            let at = start * SECTOR + b * BLOCK;
            for (i, byte) in d[at..at + BLOCK].iter_mut().enumerate() {
                *byte = pattern(p, b, i);
            }
        }
        for b in STREAM_START..STREAM_START + STREAM_BLOCKS {
            let at = start * SECTOR + b * BLOCK;
            for (i, byte) in d[at..at + BLOCK].iter_mut().enumerate() {
                *byte = stream_pattern(p, b, i, STREAM_ROUNDS);
            }
        }
    }
    d
}

/// Compares the disk image with [`expected_disk`]; names the first
/// difference (which partition and block, or outside any).
pub fn check_disk(image: &[u8]) -> Result<(), String> {
    let want = expected_disk();
    if image.len() != want.len() {
        return Err(format!("the disk image has {} bytes, not {}", image.len(), want.len()));
    }
    let Some(at) = image.iter().zip(&want).position(|(a, b)| a != b) else {
        return Ok(());
    };
    let sector = at / SECTOR;
    let place = PARTITIONS
        .iter()
        .enumerate()
        .find(|(_, (s, l))| (*s..s + l).contains(&sector))
        .map(|(p, (s, _))| format!("partition {p} block {}", (at - s * SECTOR) / BLOCK))
        .unwrap_or_else(|| format!("sector {sector}, outside the partitions"));
    Err(format!(
        "disk byte {at:#x} ({place}) is {:#04x}, expected {:#04x}",
        image[at], want[at]
    ))
}

/// What the host waits for next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Wait {
    /// Both clients streaming (a progress line each) on the first start.
    Streaming,
    /// Replacement `n` was typed: its event line.
    Replaced(usize),
    /// A progress line of each client since replacement `n` was done.
    Progress(usize),
    /// Both streams done (the `n`th time): stop, and start again or shut down.
    StreamsDone(usize),
    Finished,
}

/// The line a client prints every few rounds of its stream.
fn stream_progress(line: &str) -> Option<usize> {
    (0..2).find(|c| line.contains(&format!("blk_client{c}: stream: at round ")))
}

fn stream_done(line: &str) -> Option<usize> {
    (0..2).find(|c| line.contains(&format!("blk_client{c}: stream: done after round ")))
}

/// Follows the clients' lines and types the next step's commands (see the
/// module documentation); records what it saw for the judge.
pub fn from_host() -> impl FnMut(&str) -> HostStep {
    let mut wait = Wait::Streaming;
    let mut progress = [false; 2];
    let mut done = [0usize; 2];
    move |line: &str| {
        let mut out = HostStep::default();
        let say = |out: &mut HostStep, record: String, input: &str| {
            out.record.push(record);
            out.input = Some(input.into());
        };
        if wait == Wait::Finished {
            return out;
        }
        if line.contains("FAILED") || line.starts_with("error:") || line.contains("> error:") {
            // No point in going on: stop (the judge says what failed).
            wait = Wait::Finished;
            say(&mut out, format!("block: giving up after '{line}'"), "shutdown\n");
            return out;
        }
        if let Some(c) = stream_progress(line) {
            progress[c] = true;
        }
        if let Some(c) = stream_done(line) {
            done[c] += 1;
            if !matches!(wait, Wait::StreamsDone(_)) {
                say(
                    &mut out,
                    format!("block: FAILED: client {c}'s stream ended before the replacements did (waiting for {wait:?}; make STREAM_ROUNDS larger)"),
                    "shutdown\n",
                );
                wait = Wait::Finished;
                return out;
            }
        }
        let both = progress == [true, true];
        match wait {
            Wait::Streaming if both => {
                wait = Wait::Replaced(0);
                say(
                    &mut out,
                    format!("block: both streams run; {}", REPLACEMENTS[0].0),
                    &format!("{}\n", REPLACEMENTS[0].0),
                );
            }
            Wait::Replaced(n) if line.contains(REPLACEMENTS[n].1) => {
                progress = [false; 2];
                match REPLACEMENTS.get(n + 1) {
                    // A stopped driver makes no progress: restart it at once.
                    Some((next, _)) if REPLACEMENTS[n].0.starts_with("stop ") => {
                        wait = Wait::Replaced(n + 1);
                        say(
                            &mut out,
                            format!("block: {} done; {next}", REPLACEMENTS[n].0),
                            &format!("{next}\n"),
                        );
                    }
                    _ => wait = Wait::Progress(n),
                }
            }
            Wait::Progress(n) if both => {
                progress = [false; 2];
                out.record
                    .push(format!("block: both streams went on after {}", REPLACEMENTS[n].0));
                match REPLACEMENTS.get(n + 1) {
                    Some((next, _)) => {
                        wait = Wait::Replaced(n + 1);
                        out.record.push(format!("block: {next}"));
                        out.input = Some(format!("{next}\n"));
                    }
                    None => wait = Wait::StreamsDone(1),
                }
            }
            Wait::StreamsDone(n) if done[0] >= n && done[1] >= n => {
                let next = if n == 1 {
                    wait = Wait::StreamsDone(2);
                    "system stop blk\nmem\nsystem start blk\n"
                } else {
                    wait = Wait::Finished;
                    "system stop blk\nmem\nshutdown\n"
                };
                say(
                    &mut out,
                    format!(
                        "block: both streams done ({n}); {}",
                        next.trim_end().replace('\n', "; ")
                    ),
                    next,
                );
            }
            _ => {}
        }
        out
    }
}

/// The closing lines of `client`'s streams: (rounds, requests made,
/// requests answered) of each that read back intact.
fn streams(lines: &[String], client: usize) -> Vec<(u32, u64, u64)> {
    let needle = format!("[blk_client{client}] blk_client{client}: stream: done after round ");
    lines
        .iter()
        .filter_map(|l| l.split_once(&needle).map(|(_, rest)| rest))
        .filter_map(|rest| {
            let rest = rest.strip_suffix(" answered once each, read back intact")?;
            let (round, rest) = rest.split_once(": ")?;
            let (made, answered) = rest.split_once(" requests made, ")?;
            Some((round.parse().ok()?, made.parse().ok()?, answered.parse().ok()?))
        })
        .collect()
}

/// Lines of `client` (0 or 1) ending a run with every check passed.
fn passes(lines: &[String], client: usize) -> usize {
    let needle = format!("[blk_client{client}] blk_client{client}: done: all checks passed");
    lines.iter().filter(|l| l.contains(&needle)).count()
}

/// The numbers between `before` and `after` in the lines that have them
/// (what `mem` prints), in order.
fn numbers(lines: &[String], before: &str, after: &str) -> Vec<u64> {
    lines
        .iter()
        .filter_map(|l| l.split(before).nth(1))
        .filter_map(|r| r.split(after).next()?.trim().parse().ok())
        .collect()
}

pub fn expectation() -> Expectation {
    Expectation {
        cases: vec![],
        checks: vec![
            Check::contains(
                "the driver found the disk",
                "[blk_driver] blk_driver: virtio-blk at I/O 0x6100, 1024 blocks of 4096 bytes (4096 KiB), PCI interrupt line 10",
            ),
            Check::contains(
                "the virtualiser gives client 0 partition 0",
                "[blk_virt] blk_virt: client 0 gets partition 0: blocks 256..512 of the disk",
            ),
            Check::contains(
                "the virtualiser gives client 1 partition 1",
                "[blk_virt] blk_virt: client 1 gets partition 1: blocks 512..1024 of the disk",
            ),
            Check::contains(
                "client 0 reads its own partition's label",
                "[blk_client0] blk_client0: block 0 holds the label PRIDE-PART-0, as expected",
            ),
            Check::contains(
                "client 1 reads its own partition's label",
                "[blk_client1] blk_client1: block 0 holds the label PRIDE-PART-1, as expected",
            ),
            Check::contains(
                "client 0's writes (one of 4 blocks) read back intact",
                "[blk_client0] blk_client0: read back blocks 1-4 and 255: intact",
            ),
            Check::contains(
                "client 1's writes (one of 4 blocks) read back intact",
                "[blk_client1] blk_client1: read back blocks 1-4 and 511: intact",
            ),
            Check::contains(
                "the virtualiser refuses a read past a partition's end, saying why",
                "[blk_virt] blk_virt: client 0 (partition 0): request 7 refused: blocks 255..257 are beyond the end of the partition (256 blocks)",
            ),
            Check::contains(
                "the client gets the refusal as an error response",
                "[blk_client1] blk_client1: read of 2 blocks from the last block (past the partition's end): refused (invalid parameter), as it must be",
            ),
            Check::contains(
                "a buffer outside the data region is refused",
                "[blk_client0] blk_client0: read into a buffer running past the data region: refused (invalid parameter), as it must be",
            ),
            Check::new("no check failed anywhere", |lines| {
                match lines.iter().find(|l| l.contains("FAILED") && !l.starts_with("[host]")) {
                    Some(l) => Err(l.clone()),
                    None => Ok(()),
                }
            }),
            Check::new("both clients pass on both starts of the system", |lines| {
                match (passes(lines, 0), passes(lines, 1)) {
                    (2, 2) => Ok(()),
                    (a, b) => Err(format!("client 0 passed {a} times, client 1 {b} (2 each expected)")),
                }
            }),
            Check::new(
                "every request of every stream is answered exactly once and reads back intact",
                |lines| {
                    // The checks' 10 requests, then 2 x STREAM_BLOCKS a round.
                    let want = 10 + 2 * STREAM_BLOCKS as u64 * u64::from(STREAM_ROUNDS);
                    for c in 0..2 {
                        let s = streams(lines, c);
                        if s.len() != 2 || s.iter().any(|x| *x != (STREAM_ROUNDS, want, want)) {
                            return Err(format!(
                                "client {c}'s intact streams (rounds, requests made, answered): {s:?}, expected 2 x {:?}",
                                (STREAM_ROUNDS, want, want)
                            ));
                        }
                    }
                    Ok(())
                },
            ),
            Check::new("both streams go on after each replacement of the driver and the virtualiser", |lines| {
                let missing: Vec<&str> = REPLACEMENTS
                    .iter()
                    .map(|(cmd, _)| *cmd)
                    .filter(|cmd| !cmd.starts_with("stop "))
                    .filter(|cmd| {
                        let needle = format!("[host] block: both streams went on after {cmd}");
                        !lines.contains(&needle)
                    })
                    .collect();
                // The last restart comes after the stop: its line is the last.
                let after_stop = lines.iter().filter(|l| l.starts_with("[host] block: both streams went on after restart blk_driver")).count();
                match (missing.as_slice(), after_stop) {
                    ([], 2) => Ok(()),
                    _ => Err(format!("no progress seen after {missing:?} ({after_stop} of 2 driver restarts)")),
                }
            }),
            Check::new("the quiesced driver resets the device and keeps what it held for the next one", |lines| {
                let n = lines
                    .iter()
                    .filter(|l| l.contains("blk_driver: quiesced: device reset, "))
                    .count();
                if n == 2 { Ok(()) } else { Err(format!("{n} quiesce lines, not 2 (restart, update)")) }
            }),
            Check::new(
                "the replaced virtualiser takes over its id table with the clients' requests in flight",
                |lines| {
                    let takeovers: Vec<String> = lines
                        .iter()
                        .filter(|l| l.contains("blk_virt: took over the id table (epoch "))
                        .cloned()
                        .collect();
                    let n = numbers(&takeovers, "): ", " requests in flight");
                    match n.as_slice() {
                        [a, b] if *a > 0 && *b > 0 => Ok(()),
                        _ => Err(format!(
                            "requests in flight at the take-overs: {n:?} (2 take-overs, restart and update, each with some)"
                        )),
                    }
                },
            ),
            Check::new(
                "a driver started after one was destroyed without warning sends again what the device held",
                |lines| {
                    let l = lines
                        .iter()
                        .find(|l| l.contains("blk_driver: took over "))
                        .ok_or("no driver took over requests an earlier one left")?;
                    let sent = numbers(std::slice::from_ref(l), "with the device: ", " sent again");
                    match sent.as_slice() {
                        [n] if *n > 0 && l.ends_with(&format!("{n} sent again, 0 answered")) => Ok(()),
                        _ => Err(l.clone()),
                    }
                },
            ),
            Check::new("system stop gives back every byte", |lines| {
                // Before the first start, after the first stop, after the last.
                match numbers(lines, "memory: ", " KiB free").as_slice() {
                    [a, b, c] if a == b && b == c => Ok(()),
                    other => Err(format!("free memory (KiB) at the three 'mem's: {other:?}")),
                }
            }),
            Check::new("system stop gives back every slot", |lines| {
                // Chunks carved meanwhile keep a slot each (and are reused).
                let slots = numbers(lines, "slots: ", " free");
                let carved = numbers(lines, "KiB in component containers (", " chunks");
                match (slots.as_slice(), carved.as_slice()) {
                    ([a, b, c], [x, y, z]) if b == c && y == z && a - b == y - x => Ok(()),
                    _ => Err(format!("free slots {slots:?}, chunks carved {carved:?} at the three 'mem's")),
                }
            }),
            Check::new("a replaced virtualiser reads the partitions again", |lines| {
                let grants = lines
                    .iter()
                    .filter(|l| l.contains("blk_virt: client 1 gets partition 1"))
                    .count();
                if grants != 4 {
                    return Err(format!(
                        "partition 1 granted {grants} times, not 4 (two starts, a restart and an update)"
                    ));
                }
                Ok(())
            }),
            Check::new(
                "the disk holds each client's data at its partition, and nothing else changed",
                |_| {
                    let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().ok_or("no workspace")?;
                    let image = std::fs::read(disk_path(ws)).map_err(|e| format!("reading the disk image: {e}"))?;
                    check_disk(&image)
                },
            ),
            Check::contains("the echo server's system runs alongside", "[net_echo] net_echo: listening"),
            Check::contains("shutdown is announced", "shutdown: powering off"),
        ],
        exit_status: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mbr_describes_two_partitions() {
        let d = fresh_disk();
        assert_eq!(d.len(), 4 << 20);
        assert_eq!(&d[510..512], &[0x55, 0xaa]);
        assert_eq!(&d[446 + 8..446 + 16], &[0, 8, 0, 0, 0, 8, 0, 0]);
        assert_eq!(&d[462 + 8..462 + 16], &[0, 16, 0, 0, 0, 16, 0, 0]);
        assert_eq!(&d[2048 * 512..2048 * 512 + 12], b"PRIDE-PART-0");
        assert_eq!(&d[4096 * 512..4096 * 512 + 12], b"PRIDE-PART-1");
    }

    #[test]
    fn the_disk_check_finds_a_misplaced_write() {
        let mut d = expected_disk();
        assert_eq!(check_disk(&d), Ok(()));
        assert!(check_disk(&fresh_disk()).unwrap_err().contains("partition 0 block 1"));
        d[4096 * 512 + 5] ^= 1;
        assert!(check_disk(&d).unwrap_err().contains("partition 1 block 0"));
        let mut d = expected_disk();
        d[600] = 1;
        assert!(check_disk(&d).unwrap_err().contains("outside the partitions"));
    }

    #[test]
    fn the_pattern_is_the_c_clients() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let c = std::fs::read_to_string(ws.join("lionsos-compat/blk/c/client.c")).unwrap();
        assert!(c.contains("(uint8_t)(i * 7u + (uint32_t)block * 13u + (uint32_t)partition * 101u + (i >> 8) * 3u)"));
        assert_eq!(pattern(1, 2, 300), ((300 * 7 + 26 + 101 + 3) % 256) as u8);
    }

    #[test]
    fn the_stream_is_the_c_clients() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let c = std::fs::read_to_string(ws.join("lionsos-compat/blk/c/client.c")).unwrap();
        assert!(c.contains(&format!("#define STREAM_ROUNDS {STREAM_ROUNDS}\n")));
        assert!(c.contains(&format!("#define STREAM_START {STREAM_START}\n")));
        assert!(c.contains(&format!("#define STREAM_BLOCKS {STREAM_BLOCKS}\n")));
        assert!(c.contains("return (uint8_t)(pattern(block, i) + r * 29u);"));
        let d = expected_disk();
        let at = 2048 * SECTOR + STREAM_START * BLOCK + 1;
        assert_eq!(d[at], stream_pattern(0, STREAM_START, 1, STREAM_ROUNDS));
    }

    #[test]
    fn the_host_walks_through_the_steps() {
        let mut h = from_host();
        let progress = |c: usize, r: u32| {
            format!("[blk_client{c}] blk_client{c}: stream: at round {r}: 1 requests made, 1 answered once each, read back intact")
        };
        assert!(h(&progress(0, 25)).input.is_none());
        let s = h(&progress(1, 25));
        assert_eq!(s.input.as_deref(), Some("restart blk_driver\n"));
        assert!(h("restart: 'blk_driver' restarted (generation 2)").input.is_none());
        assert!(h(&progress(1, 50)).input.is_none());
        let s = h(&progress(0, 50));
        assert_eq!(s.input.as_deref(), Some("update blk_driver blk-virtio\n"));
        assert_eq!(s.record[0], "block: both streams went on after restart blk_driver");
        h("update: 'blk_driver' now runs 'blk-virtio' version 1, 11 bytes of state handed over");
        h(&progress(0, 75));
        assert_eq!(h(&progress(1, 75)).input.as_deref(), Some("restart blk_virt\n"));
        h("restart: 'blk_virt' restarted (generation 2)");
        h(&progress(0, 100));
        assert_eq!(
            h(&progress(1, 100)).input.as_deref(),
            Some("update blk_virt blk-virt\n")
        );
        h("update: 'blk_virt' now runs 'blk-virt' version 1, 11 bytes of state handed over");
        h(&progress(0, 125));
        assert_eq!(h(&progress(1, 125)).input.as_deref(), Some("stop blk_driver\n"));
        let s = h("stop: 'blk_driver' stopped, 1024 KiB reclaimed");
        assert_eq!(
            s.input.as_deref(),
            Some("restart blk_driver\n"),
            "a stopped driver is restarted at once"
        );
        h("restart: 'blk_driver' restarted (generation 3)");
        h(&progress(0, 150));
        assert!(h(&progress(1, 150)).input.is_none());
        let done = |c: usize| {
            format!("[blk_client{c}] blk_client{c}: stream: done after round 400: 6410 requests made, 6410 answered once each, read back intact")
        };
        assert!(h(&done(0)).input.is_none());
        assert_eq!(
            h(&done(1)).input.as_deref(),
            Some("system stop blk\nmem\nsystem start blk\n")
        );
        h(&done(1));
        assert_eq!(h(&done(0)).input.as_deref(), Some("system stop blk\nmem\nshutdown\n"));
        assert_eq!(streams(&[done(0)], 0), vec![(400, 6410, 6410)]);
        // A stream that ends before the replacements is a failure, as is any FAILED line.
        let mut h = from_host();
        h(&progress(0, 25));
        h(&progress(1, 25));
        assert_eq!(h(&done(0)).input.as_deref(), Some("shutdown\n"));
        let mut h = from_host();
        assert_eq!(
            h("[blk_client0] blk_client0: FAILED: x").input.as_deref(),
            Some("shutdown\n")
        );
        assert!(wants_disk(BOOT_CFG, INPUT) && !wants_disk("launch ping\n", "ps\n"));
        assert!(crate::scenarios::wants_network(BOOT_CFG));
    }
}
