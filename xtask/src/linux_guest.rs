//! The Linux guest of the network echo benchmark: a Debian kernel and a
//! minimal initramfs (busybox, the virtio network modules, `udp-echo`).
//!
//! Debian's packages are fetched with `apt-get download` and unpacked with
//! `dpkg -x` into `target/linux-guest/` once (the host's own system is not
//! touched); later runs use that cache. `udp-echo`
//! (`bench/linux-guest/udp-echo.c`) is built static with gcc and the
//! initramfs (a newc cpio archive, written by [`Cpio`]) is written anew on
//! every run, from `bench/linux-guest/init`.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};

/// The Debian metapackage whose dependency names the kernel package.
const KERNEL_METAPACKAGE: &str = "linux-image-cloud-amd64";
const BUSYBOX_PACKAGE: &str = "busybox-static";

/// The virtio network modules, in the order they must be loaded (`dpkg -x`
/// leaves no `modules.dep`); `bench/linux-guest/init` loads them so.
pub const MODULES: [&str; 8] = [
    "virtio_ring",
    "virtio",
    "virtio_pci_legacy_dev",
    "virtio_pci_modern_dev",
    "virtio_pci",
    "failover",
    "net_failover",
    "virtio_net",
];

/// What the guest needs, ready to boot.
pub struct LinuxGuest {
    pub kernel: PathBuf,
    pub initramfs: PathBuf,
    /// The kernel package, as `NAME VERSION`.
    pub kernel_package: String,
}

/// The kernel command line.
pub const KERNEL_CMDLINE: &str = "console=ttyS0 quiet panic=-1";

/// The line `udp-echo` prints once it listens.
pub const READY_LINE: &str = "udp-echo: listening";

/// Fetches (once) and builds the guest.
pub fn prepare(ws: &Path) -> Result<LinuxGuest> {
    crate::prereq::ensure_debian_packages(&[
        ("gcc", "gcc"),
        ("/usr/lib/x86_64-linux-gnu/libc.a", "libc6-dev"),
        ("apt-get", "apt"),
        ("dpkg", "dpkg"),
    ])?;
    let cache = ws.join("target/linux-guest");
    std::fs::create_dir_all(&cache)?;
    let ready = cache.join("ready");
    if !ready.exists() {
        fetch(&cache)?;
    }
    let kernel_package = std::fs::read_to_string(&ready)
        .with_context(|| format!("reading {}", ready.display()))?
        .trim()
        .to_string();

    let echo = cache.join("udp-echo");
    let src = ws.join("bench/linux-guest/udp-echo.c");
    let status = Command::new("gcc")
        .args(["-O2", "-static", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(&echo)
        .arg(&src)
        .status()
        .context("running gcc")?;
    if !status.success() {
        bail!("gcc could not build {}", src.display());
    }

    let init_path = ws.join("bench/linux-guest/init");
    let init = std::fs::read(&init_path).with_context(|| format!("reading {}", init_path.display()))?;
    let mut cpio = Cpio::default();
    for dir in ["bin", "dev", "proc", "sys", "lib", "lib/modules"] {
        cpio.dir(dir);
    }
    cpio.file("init", 0o755, &init);
    cpio.file("bin/busybox", 0o755, &read(&cache.join("busybox"))?);
    cpio.file("bin/udp-echo", 0o755, &read(&echo)?);
    for m in MODULES {
        let name = format!("{m}.ko");
        cpio.file(
            &format!("lib/modules/{name}"),
            0o644,
            &read(&cache.join("modules").join(&name))?,
        );
    }
    let initramfs = cache.join("initramfs.cpio");
    std::fs::write(&initramfs, cpio.finish()).with_context(|| format!("writing {}", initramfs.display()))?;
    Ok(LinuxGuest {
        kernel: cache.join("vmlinuz"),
        initramfs,
        kernel_package,
    })
}

fn read(p: &Path) -> Result<Vec<u8>> {
    std::fs::read(p).with_context(|| format!("reading {}", p.display()))
}

/// Downloads and unpacks the kernel and busybox packages into `cache`; the
/// file `ready` (the kernel package's name and version) is written last.
fn fetch(cache: &Path) -> Result<()> {
    let kernel_pkg = resolve_kernel_package()?;
    let debs = cache.join("debs");
    if debs.exists() {
        std::fs::remove_dir_all(&debs)?;
    }
    std::fs::create_dir_all(&debs)?;
    eprintln!(
        "xtask: fetching {kernel_pkg} and {BUSYBOX_PACKAGE} (apt-get download) into {}",
        debs.display()
    );
    for pkg in [kernel_pkg.as_str(), BUSYBOX_PACKAGE] {
        let out = Command::new("apt-get")
            .args(["download", "-q", pkg])
            .current_dir(&debs)
            .output()
            .context("running apt-get download")?;
        if !out.status.success() {
            bail!(
                "`apt-get download {pkg}` failed, so the Linux guest lacks {}: {}\n(run `apt-get update` and try again)",
                if pkg == BUSYBOX_PACKAGE { "its busybox" } else { "its kernel" },
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
    }
    let unpacked = cache.join("unpacked");
    if unpacked.exists() {
        std::fs::remove_dir_all(&unpacked)?;
    }
    for entry in std::fs::read_dir(&debs)? {
        let deb = entry?.path();
        if deb.extension().is_some_and(|e| e == "deb") {
            let status = Command::new("dpkg")
                .arg("-x")
                .arg(&deb)
                .arg(&unpacked)
                .status()
                .context("running dpkg -x")?;
            if !status.success() {
                bail!("`dpkg -x {}` failed", deb.display());
            }
        }
    }
    // The kernel image and its modules.
    let boot = unpacked.join("boot");
    let vmlinuz = std::fs::read_dir(&boot)
        .with_context(|| format!("{kernel_pkg} unpacked no {}", boot.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("vmlinuz-"))
        })
        .with_context(|| format!("{kernel_pkg} holds no boot/vmlinuz-*"))?;
    std::fs::copy(&vmlinuz, cache.join("vmlinuz"))?;
    let modules = cache.join("modules");
    std::fs::create_dir_all(&modules)?;
    let mut all = Vec::new();
    find_files(&unpacked.join("lib/modules"), &mut all)?;
    for m in MODULES {
        let name = format!("{m}.ko");
        let found = all
            .iter()
            .find(|p| p.file_name().is_some_and(|n| n.to_string_lossy() == name))
            .with_context(|| format!("{kernel_pkg} holds no module {name} (compressed modules are not handled)"))?;
        std::fs::copy(found, modules.join(&name))?;
    }
    let busybox = unpacked.join("bin/busybox");
    if !busybox.exists() {
        bail!("{BUSYBOX_PACKAGE} holds no bin/busybox");
    }
    std::fs::copy(&busybox, cache.join("busybox"))?;
    std::fs::remove_dir_all(&unpacked)?;
    let version = Command::new("dpkg-deb")
        .args(["-f"])
        .arg(
            std::fs::read_dir(&debs)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .find(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(&kernel_pkg))
                })
                .context("the kernel package's .deb is gone")?,
        )
        .arg("Version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    std::fs::write(cache.join("ready"), format!("{kernel_pkg} {version}\n"))?;
    Ok(())
}

/// The kernel package the metapackage depends on now, e.g.
/// `linux-image-6.1.0-56-cloud-amd64`.
fn resolve_kernel_package() -> Result<String> {
    let ask = || -> Result<Option<String>> {
        let out = Command::new("apt-cache")
            .args(["depends", KERNEL_METAPACKAGE])
            .output()
            .context("running apt-cache")?;
        Ok(parse_depends(&String::from_utf8_lossy(&out.stdout)))
    };
    if let Some(p) = ask()? {
        return Ok(p);
    }
    // No package lists yet: fetch them (as root), then ask again.
    eprintln!("xtask: apt-cache does not know {KERNEL_METAPACKAGE}; running apt-get update");
    let _ = Command::new("apt-get").args(["update", "-q"]).status();
    ask()?.with_context(|| {
        format!(
            "cannot tell which kernel package {KERNEL_METAPACKAGE} depends on (`apt-cache depends \
             {KERNEL_METAPACKAGE}` names none): the Linux guest needs it and {BUSYBOX_PACKAGE}; \
             run `apt-get update` as root and try again"
        )
    })
}

/// The `linux-image-*` package in `apt-cache depends` output.
pub fn parse_depends(text: &str) -> Option<String> {
    text.lines()
        .filter_map(|l| l.trim().strip_prefix("Depends:"))
        .map(str::trim)
        .find(|p| p.starts_with("linux-image-") && !p.contains(' ') && !p.starts_with('<'))
        .map(str::to_string)
}

fn find_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    for e in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let p = e?.path();
        if p.is_dir() {
            find_files(&p, out)?;
        } else {
            out.push(p);
        }
    }
    Ok(())
}

/// A newc ("070701") cpio archive, as the Linux kernel unpacks an
/// initramfs: entries in order, then the `TRAILER!!!` entry.
#[derive(Default)]
pub struct Cpio {
    bytes: Vec<u8>,
    next_ino: u32,
}

impl Cpio {
    /// A directory (mode 0755).
    pub fn dir(&mut self, path: &str) {
        self.entry(path, 0o040_755, 2, &[]);
    }

    /// A regular file with permissions `perm`.
    pub fn file(&mut self, path: &str, perm: u32, data: &[u8]) {
        self.entry(path, 0o100_000 | (perm & 0o7777), 1, data);
    }

    fn entry(&mut self, path: &str, mode: u32, nlink: u32, data: &[u8]) {
        self.next_ino += 1;
        let name_size = path.len() + 1;
        let fields = [
            self.next_ino,
            mode,
            0, // uid
            0, // gid
            nlink,
            0, // mtime
            data.len() as u32,
            0, // devmajor
            0, // devminor
            0, // rdevmajor
            0, // rdevminor
            name_size as u32,
            0, // check
        ];
        self.bytes.extend_from_slice(b"070701");
        for f in fields {
            self.bytes.extend_from_slice(format!("{f:08X}").as_bytes());
        }
        self.bytes.extend_from_slice(path.as_bytes());
        self.bytes.push(0);
        self.pad();
        self.bytes.extend_from_slice(data);
        self.pad();
    }

    /// Header and name, and data, each end on a 4-byte boundary.
    fn pad(&mut self) {
        while !self.bytes.len().is_multiple_of(4) {
            self.bytes.push(0);
        }
    }

    /// The archive, with its trailer.
    pub fn finish(mut self) -> Vec<u8> {
        self.entry("TRAILER!!!", 0, 1, &[]);
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads a newc archive back: (name, mode, data) per entry.
    fn unpack(a: &[u8]) -> Vec<(String, u32, Vec<u8>)> {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            assert_eq!(&a[at..at + 6], b"070701", "magic at {at}");
            let field = |i: usize| {
                let s = std::str::from_utf8(&a[at + 6 + 8 * i..at + 14 + 8 * i]).unwrap();
                u32::from_str_radix(s, 16).unwrap() as usize
            };
            let (mode, size, name_size) = (field(1), field(6), field(11));
            let name_at = at + 110;
            let name = std::str::from_utf8(&a[name_at..name_at + name_size - 1])
                .unwrap()
                .to_string();
            assert_eq!(a[name_at + name_size - 1], 0);
            let data_at = (name_at + name_size).next_multiple_of(4);
            let data = a[data_at..data_at + size].to_vec();
            at = (data_at + size).next_multiple_of(4);
            if name == "TRAILER!!!" {
                assert_eq!(at, a.len());
                return out;
            }
            out.push((name, mode as u32, data));
        }
    }

    #[test]
    fn cpio_newc_round_trips() {
        let mut c = Cpio::default();
        c.dir("bin");
        c.file("init", 0o755, b"#!/bin/sh\n");
        c.file("bin/x", 0o644, b"abc");
        c.file("empty", 0o600, b"");
        let a = c.finish();
        assert_eq!(a.len() % 4, 0);
        assert_eq!(
            unpack(&a),
            [
                ("bin".to_string(), 0o040_755, vec![]),
                ("init".to_string(), 0o100_755, b"#!/bin/sh\n".to_vec()),
                ("bin/x".to_string(), 0o100_644, b"abc".to_vec()),
                ("empty".to_string(), 0o100_600, vec![]),
            ]
        );
        // The header of the first entry, field by field.
        let header = [
            "070701", "00000001", "000041ED", "00000000", "00000000", "00000002", "00000000", "00000000", "00000000",
            "00000000", "00000000", "00000000", "00000004", "00000000",
        ]
        .concat();
        assert_eq!(&a[..110], header.as_bytes());
        assert_eq!(&a[110..116], b"bin\0\0\0");
    }

    #[test]
    fn the_kernel_package_is_found_in_apt_cache_output() {
        let text = "linux-image-cloud-amd64\n  Depends: linux-image-6.1.0-56-cloud-amd64\n";
        assert_eq!(parse_depends(text).as_deref(), Some("linux-image-6.1.0-56-cloud-amd64"));
        assert_eq!(parse_depends("linux-image-cloud-amd64\n"), None);
        assert_eq!(parse_depends("  Depends: <linux-image-virtual>\n"), None);
    }

    #[test]
    fn the_init_script_loads_the_modules_in_order() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let init = std::fs::read_to_string(ws.join("bench/linux-guest/init")).unwrap();
        assert!(init.starts_with("#!/bin/busybox sh\n"));
        assert!(init.contains(&format!("for m in {}; do", MODULES.join(" "))));
        assert!(init.contains("exec /bin/udp-echo 7"));
    }
}
