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
//! host ([`from_host`]): `system start blk`;
//! once both clients say they are done, `system stop blk`, `mem`, and a
//! second start; then the virtualiser is restarted and client 1 (restarted
//! too) runs its checks through it; finally the system stops and the guest
//! shuts down. The judge then reads the transcript and the disk image:
//! every client pattern must be on the disk at its partition's offset, the
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

/// The disk after the clients ran: each partition's label, the clients'
/// patterns in blocks 1-4 and the last block, zeros everywhere else.
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

/// Counts the clients' closing lines and types the next step's commands.
pub fn from_host() -> impl FnMut(&str) -> HostStep {
    let mut done = [0usize; 2];
    let mut step = 0;
    move |line: &str| {
        let mut out = HostStep::default();
        if line.contains("FAILED") && step < 3 {
            // No point in going on: stop (the judge says what failed).
            step = 3;
            out.input = Some("shutdown\n".into());
            return out;
        }
        for (c, n) in done.iter_mut().enumerate() {
            if line.contains(&format!("blk_client{c}: done:")) {
                *n += 1;
            }
        }
        let next = match step {
            0 if done[0] >= 1 && done[1] >= 1 => "system stop blk\nmem\nsystem start blk\n",
            1 if done[0] >= 2 && done[1] >= 2 => "restart blk_virt\nrestart blk_client1\n",
            2 if done[1] >= 3 => "system stop blk\nmem\nshutdown\n",
            _ => return out,
        };
        step += 1;
        out.record
            .push(format!("block step {step}: {}", next.trim_end().replace('\n', "; ")));
        out.input = Some(next.into());
        out
    }
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
                    (2, 3) => Ok(()),
                    (a, b) => Err(format!("client 0 passed {a} times (2 expected), client 1 {b} (3 expected)")),
                }
            }),
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
            Check::new(
                "a restarted virtualiser reads the partitions again and serves a client",
                |lines| {
                    let grants = lines
                        .iter()
                        .filter(|l| l.contains("blk_virt: client 1 gets partition 1"))
                        .count();
                    if grants != 3 {
                        return Err(format!("partition 1 granted {grants} times, not 3 (two starts and a restart)"));
                    }
                    match passes(lines, 1) {
                        3 => Ok(()),
                        n => Err(format!("client 1 passed {n} times, not 3")),
                    }
                },
            ),
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
    fn the_host_walks_through_the_steps() {
        let mut h = from_host();
        assert!(h("[blk_client0] blk_client0: done: all checks passed").input.is_none());
        let s = h("[blk_client1] blk_client1: done: all checks passed");
        assert_eq!(s.input.as_deref(), Some("system stop blk\nmem\nsystem start blk\n"));
        h("[blk_client1] blk_client1: done: all checks passed");
        let s = h("[blk_client0] blk_client0: done: all checks passed");
        assert!(s.input.unwrap().starts_with("restart blk_virt"));
        let s = h("[blk_client1] blk_client1: done: all checks passed");
        assert!(s.input.unwrap().ends_with("shutdown\n"));
        let mut h = from_host();
        assert_eq!(
            h("[blk_client0] blk_client0: FAILED: x").input.as_deref(),
            Some("shutdown\n")
        );
        assert!(wants_disk(BOOT_CFG, INPUT) && !wants_disk("launch ping\n", "ps\n"));
        assert!(crate::scenarios::wants_network(BOOT_CFG));
    }
}
