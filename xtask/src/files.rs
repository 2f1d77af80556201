//! The disk of the `files` system (`lionsos-compat/systems/files.py`): an
//! MBR with one partition, on which the file server keeps its littlefs.
//!
//! | sectors | what |
//! | --- | --- |
//! | 0 | MBR: partition 0 from [`FIRST_SECTOR`], [`PARTITION_SECTORS`] long |
//! | 2048.. | partition 0: the file system (`fs_core::FS_BYTES`, 32 MiB) |
//!
//! The build puts files on it with the host tool `fs-image` (the server's
//! own littlefs code, `object-servers/fs-image`), run through cargo after
//! libclang is installed (xtask itself cannot link littlefs: it is what
//! installs libclang). [`DISK_IMAGES`] go to `/bin` (with their manifests):
//! they are in no image archive, so `launch /bin/NAME` can only have read
//! them from the disk.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

use crate::images::BuiltImage;

pub const SECTOR: u64 = 512;
/// Where partition 0 starts.
pub const FIRST_SECTOR: u64 = 2048;
/// Partition 0: the 32 MiB file system and 1 MiB to spare.
pub const PARTITION_SECTORS: u64 = 33 * 2048;
/// The whole disk.
pub const DISK_SECTORS: u64 = FIRST_SECTOR + PARTITION_SECTORS;
// The partition holds the file system (fs_core::FS_BYTES, 32 MiB) and the
// spare megabyte the file server's raw benchmark uses.
const _: () = assert!(PARTITION_SECTORS >= (32 + 1) * 1024 * 1024 / SECTOR);
/// Images that live on the disk only (left out of every image archive).
pub const DISK_IMAGES: &[&str] = &["hello-disk"];

/// True if a boot script or console input starts the `files` system.
pub fn wants_files_disk(boot_cfg: &str, input: &str) -> bool {
    boot_cfg
        .lines()
        .chain(input.lines())
        .any(|l| matches!(l.trim(), "system files" | "system start files"))
}

/// The MBR: partition 0, type 0x83, LBA only.
fn mbr() -> [u8; SECTOR as usize] {
    let mut s = [0u8; SECTOR as usize];
    s[446 + 4] = 0x83;
    s[446 + 8..446 + 12].copy_from_slice(&(FIRST_SECTOR as u32).to_le_bytes());
    s[446 + 12..446 + 16].copy_from_slice(&(PARTITION_SECTORS as u32).to_le_bytes());
    s[510] = 0x55;
    s[511] = 0xaa;
    s
}

/// Runs the `fs-image` tool on `disk` with `ops`; its standard output.
pub fn fs_image(ws: &Path, disk: &Path, ops: &[String]) -> Result<String> {
    crate::prereq::ensure_littlefs_prereqs()?;
    let out = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .current_dir(ws)
        .args(["run", "--quiet", "--release", "-p", "fs-image", "--"])
        .arg(disk)
        .arg(FIRST_SECTOR.to_string())
        .args(ops)
        .output()
        .context("running fs-image")?;
    if !out.status.success() {
        bail!(
            "fs-image {} failed: {}",
            ops.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Makes `disk` afresh: the MBR, a new file system with the disk-only
/// images in `/bin` and a `/README`.
pub fn make_files_disk(ws: &Path, disk: &Path, images: &[BuiltImage]) -> Result<()> {
    std::fs::create_dir_all(disk.parent().context("disk directory")?)?;
    let mut bytes = vec![0u8; (DISK_SECTORS * SECTOR) as usize];
    bytes[..SECTOR as usize].copy_from_slice(&mbr());
    std::fs::write(disk, &bytes).with_context(|| format!("writing {}", disk.display()))?;
    let staging = ws.join("target/disks/staging");
    std::fs::create_dir_all(&staging)?;
    let readme = staging.join("README");
    std::fs::write(
        &readme,
        "This is Pride's file system (littlefs, served by the fs PD).\n\
         /bin holds component images: launch /bin/NAME starts one.\n",
    )?;
    let mut ops = vec!["format".to_string(), format!("put:{}=/README", readme.display())];
    for name in DISK_IMAGES {
        let image = images
            .iter()
            .find(|i| i.name == *name)
            .with_context(|| format!("the disk image '{name}' was not built"))?;
        let elf = staging.join(name);
        let manifest = staging.join(format!("{name}.manifest"));
        std::fs::write(&elf, &image.elf)?;
        std::fs::write(&manifest, &image.manifest)?;
        ops.push(format!("put:{}=/bin/{name}", elf.display()));
        ops.push(format!("put:{}=/bin/{name}.manifest", manifest.display()));
    }
    fs_image(ws, disk, &ops)?;
    Ok(())
}

/// Where scenario `name`'s files disk is (made afresh for each run).
pub fn scenario_disk(ws: &Path, name: &str) -> PathBuf {
    ws.join("target/disks")
        .join(format!("{}.img", name.replace([' ', '(', ')'], "_")))
}

/// `cargo xtask run`'s disk: made once, then kept (its files survive
/// runs; delete it for a fresh one).
pub fn run_disk(ws: &Path, images: &[BuiltImage]) -> Result<PathBuf> {
    let disk = ws.join("target/disks/files.img");
    if !disk.exists() {
        make_files_disk(ws, &disk, images)?;
    }
    Ok(disk)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_partition_holds_the_file_system() {
        let m = mbr();
        assert_eq!(u32::from_le_bytes(m[454..458].try_into().unwrap()) as u64, FIRST_SECTOR);
        assert_eq!(
            u32::from_le_bytes(m[458..462].try_into().unwrap()) as u64,
            PARTITION_SECTORS
        );
        assert_eq!((m[510], m[511]), (0x55, 0xaa));
    }

    #[test]
    fn the_files_system_wants_the_disk() {
        assert!(wants_files_disk("launch ping\nsystem files\n", ""));
        assert!(wants_files_disk("", "system start files\n"));
        assert!(!wants_files_disk("system blk\n", "ls /\n"));
    }
}
