//! Host prerequisites of the build: Debian packages and a private Python venv.
//!
//! Pride's machines are fresh Debian systems on which nothing installed by
//! hand survives, so the build tool installs what it needs itself:
//!
//! * [`ensure_debian_packages`] probes for commands (or files) and installs
//!   the Debian packages that provide the missing ones. As root on a machine
//!   with `apt-get` it runs `apt-get update` (once per process) and
//!   `apt-get install -y --no-install-recommends ...` non-interactively;
//!   anywhere else it fails with the exact `sudo apt-get install ...` line
//!   for a person to run.
//! * [`ensure_python_venv`] makes `target/kernel/venv`, a Python venv with
//!   the PyPI packages the build imports: the seL4 5.0.0 build tools'
//!   (`tempita` for the syscall and invocation header generators, `ply`
//!   and `six` for `bitfield_gen.py`) and `sdfgen`, with which the
//!   metaprograms in `lionsos-compat/systems/` write Pride's Microkit
//!   system descriptions, as LionsOS does. The kernel's Makefile and its scripts run plain
//!   `python` (`#!/usr/bin/env python`), which Debian does not provide: the
//!   venv's `bin/` has it, so callers put that directory first on `PATH`.
//!
//! * [`ensure_littlefs_prereqs`] installs `libclang-dev` when no libclang
//!   shared library is found: `littlefs2-sys` (under
//!   `object-servers/fs-core`) runs bindgen, which loads libclang while it
//!   builds; and the C compiler and libc headers littlefs's C code needs.
//!
//! [`KERNEL_DEBIAN_PACKAGES`] lists what building the kernel needs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{bail, Context, Result};

/// Probes and Debian packages needed to build the seL4 kernel: a probe is a
/// command looked up on `PATH` (or an absolute file path), paired with the
/// package that provides it.
///
/// `cpp`, `as`, `ld` and `strip` are run by the kernel's Makefile; `objcopy`
/// converts the kernel to ELF32 for QEMU; `xmllint` validates the syscall
/// XML; `python3` makes the venv. Patches are applied by the build tool
/// itself, so `patch` is not needed.
pub const KERNEL_DEBIAN_PACKAGES: &[(&str, &str)] = &[
    ("gcc", "gcc"),
    ("cpp", "cpp"),
    ("make", "make"),
    ("as", "binutils"),
    ("ld", "binutils"),
    ("strip", "binutils"),
    ("objcopy", "binutils"),
    ("xmllint", "libxml2-utils"),
    ("python3", "python3"),
];

/// PyPI requirements of the kernel's Python tools, pinned to versions known
/// to work with seL4 5.0.0 under Python 3.
pub const KERNEL_PYTHON_REQUIREMENTS: &[&str] = &["tempita==0.6.0", "ply==3.11", "six==1.17.0", "sdfgen==0.35.1"];

/// Modules the venv must be able to import (checked after installing).
const KERNEL_PYTHON_IMPORTS: &str = "import tempita, ply.yacc, six, sdfgen";

/// Set once `apt-get update` has run in this process.
static APT_UPDATED: AtomicBool = AtomicBool::new(false);

/// Makes sure every probe exists, installing the Debian packages of the
/// missing ones.
///
/// `pkgs` pairs a probe with its Debian package: a probe containing `/` is
/// a file that must exist, any other probe a command that must be found on
/// `PATH`. Several probes may name the same package. Missing packages are
/// installed with `apt-get` when running as root on a machine that has it;
/// otherwise the error message gives the `sudo apt-get install` command.
pub fn ensure_debian_packages(pkgs: &[(&str, &str)]) -> Result<()> {
    let absent = || -> Vec<&str> {
        pkgs.iter()
            .filter(|(probe, _)| !probe_exists(probe))
            .map(|(probe, _)| *probe)
            .collect()
    };
    let absent_probes = absent();
    if absent_probes.is_empty() {
        return Ok(());
    }
    let missing = missing_packages(pkgs, probe_exists);
    install_debian_packages(&missing, &format!("missing {}", absent_probes.join(", ")))?;
    let still = absent();
    if !still.is_empty() {
        bail!(
            "still missing after installing {}: {}",
            missing.join(" "),
            still.join(", ")
        );
    }
    Ok(())
}

/// Installs the Debian packages `pkgs` (`why` says what needs them).
///
/// As root with `apt-get` available: `apt-get update` once per process, then
/// `apt-get install -y --no-install-recommends PKGS` with
/// `DEBIAN_FRONTEND=noninteractive`. Otherwise fails with a message that
/// gives the exact command to run.
pub fn install_debian_packages(pkgs: &[&str], why: &str) -> Result<()> {
    if pkgs.is_empty() {
        return Ok(());
    }
    let list = pkgs.join(" ");
    let can_install = is_root() && find_on_path("apt-get").is_some();
    if !can_install {
        bail!(
            "host packages needed ({why}); install them with:\n    \
             sudo apt-get install {list}"
        );
    }
    eprintln!("installing Debian packages ({why}): {list}");
    if !APT_UPDATED.swap(true, Ordering::SeqCst) {
        run_apt(&["update", "-q"])?;
    }
    let mut args = vec!["install", "-y", "-q", "--no-install-recommends"];
    args.extend_from_slice(pkgs);
    run_apt(&args)
}

/// Makes sure `target/kernel/venv` under the workspace `ws` is a Python venv
/// holding [`KERNEL_PYTHON_REQUIREMENTS`], and returns its `bin` directory,
/// to be put first on `PATH` for the kernel build (which runs `python`).
///
/// The venv is created with `python3 -m venv` only when it is missing, was
/// left unfinished, or was made for another requirement list (a marker file
/// records the list once the packages import). A venv whose interpreter has
/// gone (for example after the host Python changed) is made again.
pub fn ensure_python_venv(ws: &Path) -> Result<PathBuf> {
    let venv = std::path::absolute(ws)?.join("target/kernel/venv");
    let bin = venv.join("bin");
    let marker = venv.join(".pride-venv");
    let wanted = KERNEL_PYTHON_REQUIREMENTS.join("\n") + "\n";
    let ready = bin.join("python").exists() && std::fs::read_to_string(&marker).is_ok_and(|m| m == wanted);
    if ready {
        return Ok(bin);
    }

    ensure_debian_packages(&[("python3", "python3")])?;
    if !python_has_venv() {
        install_debian_packages(&["python3-venv"], "python3 -m venv")?;
    }

    eprintln!("creating Python venv for the kernel's build tools...");
    if venv.exists() {
        std::fs::remove_dir_all(&venv).with_context(|| format!("removing stale venv {}", venv.display()))?;
    }
    std::fs::create_dir_all(venv.parent().unwrap())?;
    run(Command::new("python3").arg("-m").arg("venv").arg(&venv)).context("creating the Python venv")?;
    let python = bin.join("python");
    run(Command::new(&python)
        .args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check"])
        .args(KERNEL_PYTHON_REQUIREMENTS))
    .context("installing the kernel tools' PyPI packages into the venv")?;
    run(Command::new(&python).args(["-c", KERNEL_PYTHON_IMPORTS])).context("checking the venv's packages")?;
    std::fs::write(&marker, wanted)?;
    Ok(bin)
}

/// Debian package that provides libclang (and clang's own headers, which
/// bindgen needs for `stdint.h` and `stdbool.h`).
pub const LIBCLANG_DEBIAN_PACKAGE: &str = "libclang-dev";

/// What compiling littlefs's C code needs besides libclang: `cc` and the
/// libc headers (`lfs_util.h` includes `string.h`, `inttypes.h`, ...).
pub const LITTLEFS_DEBIAN_PACKAGES: &[(&str, &str)] = &[("cc", "gcc"), ("/usr/include/string.h", "libc6-dev")];

/// Makes sure `littlefs2-sys` (which fs-core uses) can build: the C
/// compiler and headers ([`LITTLEFS_DEBIAN_PACKAGES`]), and libclang for
/// its bindgen, installing [`LIBCLANG_DEBIAN_PACKAGE`] if no libclang
/// shared library is found. Call it before anything compiles fs-core.
pub fn ensure_littlefs_prereqs() -> Result<()> {
    ensure_debian_packages(LITTLEFS_DEBIAN_PACKAGES)?;
    if find_libclang().is_some() {
        return Ok(());
    }
    install_debian_packages(
        &[LIBCLANG_DEBIAN_PACKAGE],
        "no libclang shared library: bindgen in littlefs2-sys (fs-core) loads it",
    )?;
    if find_libclang().is_none() {
        bail!("still no libclang shared library after installing {LIBCLANG_DEBIAN_PACKAGE}");
    }
    Ok(())
}

/// The libclang shared library bindgen would load: from `LIBCLANG_PATH` (a
/// directory or the file) if set, else from the directories clang-sys
/// searches on Debian, with any LLVM version (`/usr/lib/llvm-*/lib`).
pub fn find_libclang() -> Option<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(p) = std::env::var_os("LIBCLANG_PATH") {
        let p = PathBuf::from(p);
        if p.is_file() {
            return Some(p);
        }
        dirs.push(p);
    }
    let mut llvm: Vec<PathBuf> = std::fs::read_dir("/usr/lib")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("llvm-"))
        .map(|e| e.path().join("lib"))
        .collect();
    // Newest LLVM first (by name, which is good enough to be deterministic).
    llvm.sort();
    llvm.reverse();
    dirs.extend(llvm);
    for d in ["/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"] {
        dirs.push(PathBuf::from(d));
    }
    find_libclang_in(&dirs)
}

/// The first file in `dirs` (in order) named like a libclang shared
/// library.
fn find_libclang_in(dirs: &[PathBuf]) -> Option<PathBuf> {
    dirs.iter().find_map(|dir| {
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .ok()?
            .flatten()
            .filter(|e| e.path().is_file())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| is_libclang_name(n))
            .collect();
        names.sort();
        names.first().map(|n| dir.join(n))
    })
}

/// Whether `name` is a libclang shared library's file name: `libclang.so`,
/// `libclang.so.1`, `libclang-14.so`, `libclang-14.so.1`, ... but not
/// `libclang-cpp.so.14` (the C++ library) nor the static `libclangAST.a`.
fn is_libclang_name(name: &str) -> bool {
    if name == "libclang.so" || name.starts_with("libclang.so.") {
        return true;
    }
    match name.strip_prefix("libclang-") {
        Some(rest) => {
            rest.starts_with(|c: char| c.is_ascii_digit())
                && rest
                    .split(".so")
                    .next()
                    .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
                && (rest.ends_with(".so") || rest.contains(".so."))
        }
        None => false,
    }
}

/// The packages (deduplicated, in order) whose probes `exists` rejects.
fn missing_packages<'a>(pkgs: &[(&str, &'a str)], exists: impl Fn(&str) -> bool) -> Vec<&'a str> {
    let mut missing: Vec<&str> = Vec::new();
    for (probe, pkg) in pkgs {
        if !exists(probe) && !missing.contains(pkg) {
            missing.push(pkg);
        }
    }
    missing
}

/// Whether a probe is present: a path (contains `/`) must exist, a command
/// must be found on `PATH`.
fn probe_exists(probe: &str) -> bool {
    if probe.contains('/') {
        Path::new(probe).exists()
    } else {
        find_on_path(probe).is_some()
    }
}

/// The first executable file called `cmd` in the directories of `PATH`.
pub fn find_on_path(cmd: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|dir| dir.join(cmd)).find(|p| {
        std::fs::metadata(p)
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    })
}

/// Whether this process runs as root (`id -u` prints 0).
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.status.success() && String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// Whether `python3` can make a venv with pip (Debian splits `ensurepip`
/// into the `python3-venv` package).
fn python_has_venv() -> bool {
    Command::new("python3")
        .args(["-c", "import venv, ensurepip"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Runs `apt-get ARGS` non-interactively.
fn run_apt(args: &[&str]) -> Result<()> {
    run(Command::new("apt-get")
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive"))
    .with_context(|| format!("apt-get {}", args.join(" ")))
}

/// Runs a command with inherited output; fails unless it exits with 0.
fn run(cmd: &mut Command) -> Result<()> {
    let status = cmd
        .status()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    if !status.success() {
        bail!("{:?} failed: {status}", cmd.get_program());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_packages_are_deduplicated_in_order() {
        let pkgs = [
            ("objcopy", "binutils"),
            ("gcc", "gcc"),
            ("ld", "binutils"),
            ("xmllint", "libxml2-utils"),
        ];
        let present = |p: &str| p == "gcc";
        assert_eq!(missing_packages(&pkgs, present), vec!["binutils", "libxml2-utils"]);
        assert!(missing_packages(&pkgs, |_| true).is_empty());
    }

    #[test]
    fn libclang_names() {
        for yes in [
            "libclang.so",
            "libclang.so.1",
            "libclang-14.so",
            "libclang-14.so.1",
            "libclang-14.0.6.so",
        ] {
            assert!(is_libclang_name(yes), "{yes}");
        }
        for no in [
            "libclang-cpp.so.14",
            "libclangAST.a",
            "libclang.a",
            "libclang-14.a",
            "libclang",
            "libclang-.so",
        ] {
            assert!(!is_libclang_name(no), "{no}");
        }
    }

    #[test]
    fn libclang_probe_searches_directories_in_order() {
        let base = std::env::temp_dir().join(format!("pride-libclang-probe-{}", std::process::id()));
        let (empty, old, new) = (base.join("empty"), base.join("llvm-13/lib"), base.join("llvm-15/lib"));
        for d in [&empty, &old, &new] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(old.join("libclang-13.so.1"), b"").unwrap();
        std::fs::write(new.join("libclang-cpp.so.15"), b"").unwrap();
        std::fs::write(new.join("libclangBasic.a"), b"").unwrap();
        // Only the C++ library and a static one in llvm-15: not libclang.
        assert_eq!(find_libclang_in(&[empty.clone(), new.clone()]), None);
        assert_eq!(
            find_libclang_in(&[empty.clone(), new.clone(), old.clone()]),
            Some(old.join("libclang-13.so.1"))
        );
        std::fs::write(new.join("libclang.so.1"), b"").unwrap();
        assert_eq!(
            find_libclang_in(&[new.clone(), old.clone()]),
            Some(new.join("libclang.so.1"))
        );
        assert_eq!(find_libclang_in(&[base.join("missing")]), None);
        std::fs::remove_dir_all(&base).unwrap();
    }

    /// On this machine (which has built fs-core) the probe finds it.
    #[test]
    fn libclang_is_found_here() {
        assert!(
            find_libclang().is_some(),
            "libclang not found: sudo apt-get install {LIBCLANG_DEBIAN_PACKAGE}"
        );
    }

    #[test]
    fn path_probes_check_files() {
        assert!(probe_exists("/"));
        assert!(!probe_exists("/nonexistent/pride-probe"));
        assert!(!probe_exists("pride-no-such-command-anywhere"));
    }
}
