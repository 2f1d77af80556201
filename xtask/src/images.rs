//! Building Pride's freestanding programs and packing system images.
//!
//! Programs (the root task and the components) are built for the
//! preinstalled `x86_64-unknown-linux-gnu` target as static, non-PIE
//! executables with no C runtime, linked by `components/rt/link.ld`. The
//! flags are passed only through `CARGO_ENCODED_RUSTFLAGS` with an explicit
//! `--target` into `target/sel4/`, so host builds and host tests never see
//! them. An image is the root task with an archive of component images and
//! a boot script (`boot.cfg`) embedded in it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The Rust target the programs are built for.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";
/// Components packed into every image.
pub const COMPONENTS: &[&str] = &["ping", "crash"];

fn rustflags(ws: &Path) -> String {
    let ld = ws.join("components/rt/link.ld");
    let flags = [
        "-Crelocation-model=static".to_string(),
        "-Ctarget-feature=+crt-static".to_string(),
        "-Clink-arg=-nostartfiles".to_string(),
        "-Clink-arg=-nostdlib".to_string(),
        "-Clink-arg=-static".to_string(),
        "-Clink-arg=-no-pie".to_string(),
        format!("-Clink-arg=-Wl,-T,{}", ld.display()),
        "-Clink-arg=-Wl,--build-id=none".to_string(),
    ];
    flags.join("\x1f")
}

fn out_dir(ws: &Path) -> PathBuf {
    ws.join("target/sel4").join(TARGET).join("release")
}

fn cargo_build(ws: &Path, packages: &[&str], envs: &[(&str, &Path)]) -> Result<()> {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(ws)
        .args([
            "build",
            "--release",
            "--quiet",
            "--target",
            TARGET,
            "--target-dir",
        ])
        .arg(ws.join("target/sel4"))
        .env("CARGO_ENCODED_RUSTFLAGS", rustflags(ws))
        .env_remove("RUSTFLAGS");
    for p in packages {
        c.args(["-p", p]);
    }
    for (k, v) in envs {
        c.env(k, v);
    }
    let status = c.status().context("running cargo")?;
    if !status.success() {
        bail!("building {} for seL4 failed", packages.join(", "));
    }
    Ok(())
}

/// Builds the component programs; returns (name, stripped image bytes).
pub fn build_components(ws: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    cargo_build(ws, COMPONENTS, &[])?;
    let strip_dir = ws.join("target/images/stripped");
    std::fs::create_dir_all(&strip_dir)?;
    COMPONENTS
        .iter()
        .map(|name| {
            let stripped = strip_dir.join(name);
            let status = Command::new("objcopy")
                .arg("--strip-debug")
                .arg(out_dir(ws).join(name))
                .arg(&stripped)
                .status()
                .context("running objcopy")?;
            if !status.success() {
                bail!("objcopy --strip-debug {name} failed");
            }
            Ok((name.to_string(), std::fs::read(&stripped)?))
        })
        .collect()
}

/// Packs `components` and `boot_cfg` into an archive and builds a root task
/// around it; returns the path of the root ELF for QEMU, kept under
/// `target/images/<image_name>/root.elf`.
pub fn build_image(
    ws: &Path,
    image_name: &str,
    components: &[(String, Vec<u8>)],
    boot_cfg: &str,
) -> Result<PathBuf> {
    let dir = ws.join("target/images").join(image_name);
    std::fs::create_dir_all(&dir)?;
    let mut entries: Vec<(&str, &[u8])> = components
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    entries.push(("boot.cfg", boot_cfg.as_bytes()));
    let archive = pride_archive::pack(&entries).map_err(anyhow::Error::msg)?;
    let archive_path = dir.join("archive.bin");
    // Rewrite only on change, so cargo does not rebuild the root task needlessly.
    if std::fs::read(&archive_path).ok().as_deref() != Some(archive.as_slice()) {
        std::fs::write(&archive_path, &archive)?;
    }
    cargo_build(ws, &["root"], &[("PRIDE_ARCHIVE", &archive_path)])?;
    let root = dir.join("root.elf");
    let status = Command::new("objcopy")
        .arg("--strip-debug")
        .arg(out_dir(ws).join("root"))
        .arg(&root)
        .status()
        .context("running objcopy")?;
    if !status.success() {
        bail!("objcopy of the root task failed");
    }
    Ok(root)
}
