//! Obtaining, configuring and building the seL4 5.0.0 kernel.
//!
//! # Where the kernel comes from
//! The only seL4 kernel source reachable from the package registries is the
//! `seL4/` directory inside the crates.io package `sel4-sys` `=0.0.28`. That
//! crate does not compile on current Rust, so it is never a dependency:
//! [`kernel_source`] has cargo download it through a throw-away manifest under
//! `target/kernel/fetch/` (`cargo fetch`), checks the `.crate` file in
//! `$CARGO_HOME/registry/cache/` against the checksum cargo recorded, and
//! unpacks its `seL4/` directory into a private copy, `target/kernel/src/seL4`
//! (so `target/kernel/src/seL4/VERSION` exists; other xtask code reads the
//! interface XML under `target/kernel/src/seL4/libsel4/`). The registry copy
//! is never modified, and no kernel source is kept in the repository.
//!
//! # Quirks of the kernel's own build, and what this module does about them
//! * `tools/circular_includes.py` crashes (`IndexError`) on the `# 0 "file"`
//!   line markers gcc >= 10 emits. The project's own patches in
//!   `xtask/patches/*.patch` (unified diffs relative to `seL4/`, applied in
//!   name order by a small exact-match applier here, no fuzz) fix that.
//! * The standalone Makefile has no configuration step: it includes
//!   `<autoconf.h>`, found first in `include/plat/<plat>/`. The private copy
//!   gets a two-line shim there that includes `pride_autoconf.h`, which each
//!   build directory holds: the board's `kernel-config.h` plus, for the debug
//!   flavour, [`DEBUG_CONFIG`]. So release and debug builds share one source
//!   copy but not one configuration.
//! * `make DEBUG=1` should define `CONFIG_PRINTING` but misspells the
//!   variable (`DEFINE +=`); the debug options therefore go in the header.
//! * gcc 12 turns two warnings into errors: [`KERNEL_CFLAGS`] demotes them.
//!   `CFLAGS` is passed in the environment, where the Makefile appends to
//!   it; on make's command line it would replace the kernel's own flags.
//! * The Makefile and scripts run `python` (with `tempita`, `ply`, `six`):
//!   the venv from [`prereq::ensure_python_venv`] goes first on `PATH`.
//! * make reads `CONFIG_*`, `DEBUG`, `V`, ... from the environment, so it runs
//!   with a cleared environment (only `PATH`, `HOME`, `TMPDIR`, `LC_ALL`,
//!   `CFLAGS`).
//! * QEMU's multiboot loader refuses ELF64, so the kernel is converted with
//!   `objcopy -O elf32-i386` (the board's `kernel_objcopy_format`).
//!
//! # Rebuilds
//! [`build_kernel`] hashes its inputs (source stamp incl. patches, board
//! settings, generated configuration, make line, flags, gcc version) into a
//! stamp in the build directory and does nothing more when it matches and the
//! output exists. Otherwise it empties the build directory and builds from
//! scratch (a few seconds), logging make's output to
//! `target/kernel/build-<flavour>.log`.
//!
//! # Board configuration
//! The board is given as its directory (`boards/<name>/`); [`Board::load`]
//! reads its `board.toml` (keys `name`, `arch`, `sel4_arch`, `plat`,
//! `kernel_config`, optional `kernel_objcopy_format`; other keys and tables,
//! such as `[qemu]`, are ignored here).

use std::fs;
use std::io::Write;
use std::path::{Component, Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};
use serde::Deserialize;
use sha2::{Digest, Sha256};

use crate::prereq;

/// The crates.io package that carries the seL4 5.0.0 kernel source.
pub const SEL4_SYS_CRATE: &str = "sel4-sys";
/// Its exact version (`seL4/VERSION` in it says 5.0.0).
pub const SEL4_SYS_VERSION: &str = "0.0.28";

/// Extra `CFLAGS` for gcc >= 12, which would otherwise fail the kernel on
/// two warnings (`-Werror` is part of the kernel's own flags).
pub const KERNEL_CFLAGS: &str = "-Wno-error=address-of-packed-member -Wno-error=array-bounds";

/// Options added to the board's configuration for the debug kernel:
/// kernel printing, `seL4_DebugPutChar` and the other debug syscalls, and
/// reports of unexpected interrupts.
pub const DEBUG_CONFIG: &[&str] = &["CONFIG_DEBUG_BUILD", "CONFIG_PRINTING", "CONFIG_IRQ_REPORTING"];

/// Name of the generated configuration header in each build directory.
const CONFIG_HEADER: &str = "pride_autoconf.h";
/// Stamp of the private source copy (next to `seL4/`).
const SOURCE_STAMP: &str = ".pride-source-stamp";
/// Stamp of a finished kernel build (inside the build directory).
const BUILD_STAMP: &str = ".pride-build-stamp";
/// Changes whenever this module's build procedure changes, forcing rebuilds.
const RECIPE_VERSION: &str = "pride-kernel-build 1";
/// Lines of make's log printed when the build fails.
const LOG_TAIL_LINES: usize = 40;

/// A board's build settings, from `boards/<name>/board.toml`.
#[derive(Debug, Clone, Deserialize)]
pub struct Board {
    /// Board name (defaults to the directory's name).
    #[serde(default)]
    pub name: String,
    /// seL4 `ARCH` (`x86`).
    pub arch: String,
    /// seL4 `SEL4_ARCH` (`x86_64`).
    pub sel4_arch: String,
    /// seL4 `PLAT` (`pc99`).
    pub plat: String,
    /// The kernel configuration header, relative to the board directory.
    pub kernel_config: PathBuf,
    /// `objcopy -O` format of the kernel image handed to the boot loader.
    #[serde(default = "default_objcopy_format")]
    pub kernel_objcopy_format: String,
    /// The board directory this was loaded from.
    #[serde(skip)]
    pub dir: PathBuf,
}

/// QEMU's multiboot loader takes only 32-bit ELF files.
fn default_objcopy_format() -> String {
    "elf32-i386".to_string()
}

impl Board {
    /// Reads `board_dir/board.toml` and checks the values used on make's
    /// command line.
    pub fn load(board_dir: &Path) -> Result<Board> {
        let file = board_dir.join("board.toml");
        let text = fs::read_to_string(&file).with_context(|| format!("reading {}", file.display()))?;
        let mut board: Board = toml::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        board.dir = board_dir.to_path_buf();
        if board.name.is_empty() {
            board.name = board_dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
        }
        for (key, value) in [
            ("arch", &board.arch),
            ("sel4_arch", &board.sel4_arch),
            ("plat", &board.plat),
            ("kernel_objcopy_format", &board.kernel_objcopy_format),
        ] {
            let ok = !value.is_empty() && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if !ok {
                bail!("{}: bad value {value:?} for `{key}`", file.display());
            }
        }
        Ok(board)
    }

    /// Path of the board's kernel configuration header.
    pub fn kernel_config_path(&self) -> PathBuf {
        self.dir.join(&self.kernel_config)
    }
}

/// `target/kernel` under the workspace root `ws`.
fn kernel_dir(ws: &Path) -> PathBuf {
    ws.join("target/kernel")
}

/// Makes the private, patched copy of the seL4 5.0.0 source and returns its
/// root, `ws/target/kernel/src/seL4` (its `VERSION` file says 5.0.0).
///
/// Fetches `sel4-sys` `=0.0.28` with cargo, unpacks its `seL4/` directory and
/// applies `ws/xtask/patches/*.patch`. A stamp records the crate version and
/// the patches' hashes: when it matches, this returns at once; when a patch
/// is added or changed, the copy is made afresh. Board configuration is not
/// installed here but by [`build_kernel`].
pub fn kernel_source(ws: &Path) -> Result<PathBuf> {
    let ws = &std::path::absolute(ws)?;
    let kdir = kernel_dir(ws);
    let src_dir = kdir.join("src");
    let root = src_dir.join("seL4");
    let patches = read_patches(&ws.join("xtask/patches"))?;
    let stamp = source_stamp(&patches);
    let stamp_file = src_dir.join(SOURCE_STAMP);
    if root.join("VERSION").is_file() && fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        return Ok(root);
    }

    let crate_file = fetch_crate(&kdir)?;
    let tmp = kdir.join("src.tmp");
    remove_dir_if_exists(&tmp)?;
    unpack_kernel(&crate_file, &tmp).with_context(|| format!("unpacking {}", crate_file.display()))?;
    for patch in &patches {
        apply_patch(&tmp.join("seL4"), patch).with_context(|| format!("applying xtask/patches/{}", patch.name))?;
    }
    remove_dir_if_exists(&src_dir)?;
    fs::rename(&tmp, &src_dir).with_context(|| format!("moving the kernel source to {}", src_dir.display()))?;
    fs::write(&stamp_file, stamp)?;
    Ok(root)
}

/// Builds the seL4 kernel for the board in `board_dir` (release, or debug
/// when `debug`), and returns the kernel image for QEMU's `-kernel`:
/// `ws/target/kernel/build-{release,debug}/kernel.elf32`.
///
/// Makes sure the host packages, the Python venv and the kernel source are
/// there first (each quick when already done). Builds only when an input
/// changed (see the module documentation), printing one line
/// (`building seL4 5.0.0 kernel (release)...`) to stderr; make's output goes
/// to `target/kernel/build-{flavour}.log`, whose tail is printed on failure.
pub fn build_kernel(ws: &Path, board_dir: &Path, debug: bool) -> Result<PathBuf> {
    // make runs in the build directory: every path handed to it is absolute.
    let ws = &std::path::absolute(ws)?;
    let board = Board::load(board_dir)?;
    prereq::ensure_debian_packages(prereq::KERNEL_DEBIAN_PACKAGES)?;
    let venv_bin = prereq::ensure_python_venv(ws)?;
    let src = kernel_source(ws)?;

    let flavour = if debug { "debug" } else { "release" };
    let kdir = kernel_dir(ws);
    let build = kdir.join(format!("build-{flavour}"));
    let elf = build.join("kernel.elf");
    let image = build.join("kernel.elf32");
    let log_path = kdir.join(format!("build-{flavour}.log"));

    let config_path = board.kernel_config_path();
    let board_config =
        fs::read_to_string(&config_path).with_context(|| format!("reading {}", config_path.display()))?;
    let config = flavour_config(&board, &board_config, debug);
    let make_args = make_args(&src, &board, debug);
    let source_stamp = fs::read_to_string(src.parent().unwrap().join(SOURCE_STAMP))?;
    let stamp = stamp_digest(&[
        ("recipe", RECIPE_VERSION),
        ("source", &source_stamp),
        ("board", &board.name),
        ("objcopy", &board.kernel_objcopy_format),
        ("config", &config),
        // The -j option (first) depends on the machine, not the kernel.
        ("make", &make_args[1..].join("\n")),
        ("cflags", KERNEL_CFLAGS),
        ("gcc", &tool_version("gcc")),
    ]);
    let stamp_file = build.join(BUILD_STAMP);
    if image.is_file() && fs::read_to_string(&stamp_file).is_ok_and(|s| s == stamp) {
        return Ok(image);
    }

    let version = fs::read_to_string(src.join("VERSION"))?;
    eprintln!("building seL4 {} kernel ({flavour})...", version.trim());
    install_autoconf_shim(&src, &board.plat)?;
    remove_dir_if_exists(&build)?;
    fs::create_dir_all(&build)?;
    fs::write(build.join(CONFIG_HEADER), &config)?;

    let mut log = fs::File::create(&log_path).with_context(|| format!("creating {}", log_path.display()))?;
    writeln!(log, "# in {}: make {}", build.display(), make_args.join(" "))?;
    let mut make = Command::new("make");
    make.args(&make_args).current_dir(&build);
    kernel_build_env(&mut make, &venv_bin)?;
    run_logged(&mut make, &mut log, &log_path).context("building the seL4 kernel")?;

    let mut objcopy = Command::new("objcopy");
    objcopy
        .arg("-O")
        .arg(&board.kernel_objcopy_format)
        .arg(&elf)
        .arg(&image);
    writeln!(
        log,
        "# objcopy -O {} kernel.elf kernel.elf32",
        board.kernel_objcopy_format
    )?;
    run_logged(&mut objcopy, &mut log, &log_path).context("converting the kernel image")?;

    fs::write(&stamp_file, stamp)?;
    Ok(image)
}

/// The make command line (after `make`) that builds the kernel from `src`;
/// the first argument is `-jN`.
fn make_args(src: &Path, board: &Board, debug: bool) -> Vec<String> {
    let jobs = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut args = vec![
        format!("-j{jobs}"),
        "-f".to_string(),
        src.join("Makefile").display().to_string(),
        format!("SOURCE_ROOT={}", src.display()),
        format!("ARCH={}", board.arch),
        format!("SEL4_ARCH={}", board.sel4_arch),
        format!("PLAT={}", board.plat),
    ];
    if debug {
        args.push("DEBUG=1".to_string());
    }
    args
}

/// Gives `cmd` the clean environment the kernel's Makefile runs in: the
/// venv first on `PATH`, `HOME`, `TMPDIR`, the C locale and [`KERNEL_CFLAGS`].
fn kernel_build_env(cmd: &mut Command, venv_bin: &Path) -> Result<()> {
    let mut paths = vec![venv_bin.to_path_buf()];
    if let Some(path) = std::env::var_os("PATH") {
        paths.extend(std::env::split_paths(&path));
    }
    let path = std::env::join_paths(paths).context("joining PATH")?;
    cmd.env_clear()
        .env("PATH", path)
        .env("LC_ALL", "C")
        .env("CFLAGS", KERNEL_CFLAGS);
    for var in ["HOME", "TMPDIR"] {
        if let Some(value) = std::env::var_os(var) {
            cmd.env(var, value);
        }
    }
    Ok(())
}

/// The build directory's `pride_autoconf.h`: a header line, the board's
/// configuration verbatim and, for the debug flavour, [`DEBUG_CONFIG`].
fn flavour_config(board: &Board, board_config: &str, debug: bool) -> String {
    let flavour = if debug { "debug" } else { "release" };
    let mut out = format!(
        "/* Generated by xtask from boards/{}/{} for the {flavour} kernel: do not edit. */\n",
        board.name,
        board.kernel_config.display()
    );
    out.push_str(board_config);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    if debug {
        out.push_str("\n/* debug flavour (xtask/src/kernel.rs DEBUG_CONFIG) */\n");
        for option in DEBUG_CONFIG {
            out.push_str(&format!("#ifndef {option}\n#define {option} 1\n#endif\n"));
        }
    }
    out
}

/// Replaces `include/plat/<plat>/autoconf.h` in the private source copy by a
/// shim that includes the build directory's `pride_autoconf.h` (found via
/// the Makefile's `-I.`). Leaves the file alone when it is already the shim.
fn install_autoconf_shim(src: &Path, plat: &str) -> Result<()> {
    let dir = src.join("include/plat").join(plat);
    if !dir.is_dir() {
        bail!("the kernel has no platform `{plat}` ({} is missing)", dir.display());
    }
    let shim = format!(
        "/*\n * Installed by Pride's xtask (xtask/src/kernel.rs) over the kernel's own\n \
         * configuration: each build directory holds its {CONFIG_HEADER}, the\n \
         * board's kernel-config.h plus the flavour's options.\n */\n\
         #include \"{CONFIG_HEADER}\"\n"
    );
    write_if_changed(&dir.join("autoconf.h"), &shim)
}

/// Runs `cmd` with stdout and stderr appended to `log`; on failure prints
/// the log's last lines to stderr and fails naming the log file.
fn run_logged(cmd: &mut Command, log: &mut fs::File, log_path: &Path) -> Result<()> {
    log.flush()?;
    let status = cmd
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log.try_clone()?)
        .status()
        .with_context(|| format!("running {:?}", cmd.get_program()))?;
    if status.success() {
        return Ok(());
    }
    let text = fs::read_to_string(log_path).unwrap_or_default();
    eprintln!("---- last lines of {} ----", log_path.display());
    for line in last_lines(&text, LOG_TAIL_LINES) {
        eprintln!("{line}");
    }
    eprintln!("----");
    bail!(
        "{:?} failed ({status}); full log: {}",
        cmd.get_program(),
        log_path.display()
    )
}

/// The last `n` lines of `text`.
fn last_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// First line of `TOOL --version`, or an empty string.
fn tool_version(tool: &str) -> String {
    Command::new(tool)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_default()
}

/// A hex SHA-256 over named parts, each length-prefixed so that no two
/// different part lists hash alike by concatenation.
fn stamp_digest(parts: &[(&str, &str)]) -> String {
    let mut hasher = Sha256::new();
    for (name, value) in parts {
        for field in [name.as_bytes(), value.as_bytes()] {
            hasher.update((field.len() as u64).to_le_bytes());
            hasher.update(field);
        }
    }
    hex(&hasher.finalize())
}

/// Lower-case hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes `contents` to `path` unless the file already holds exactly that
/// (keeping its modification time then).
fn write_if_changed(path: &Path, contents: &str) -> Result<()> {
    if fs::read(path).is_ok_and(|old| old == contents.as_bytes()) {
        return Ok(());
    }
    fs::write(path, contents).with_context(|| format!("writing {}", path.display()))
}

/// Removes a directory tree if it exists.
fn remove_dir_if_exists(dir: &Path) -> Result<()> {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", dir.display())),
    }
}

// ---------------------------------------------------------------------------
// Fetching and unpacking the crate
// ---------------------------------------------------------------------------

/// Has cargo download `sel4-sys` through a throw-away manifest in
/// `kdir/fetch/` and returns the path of the verified `.crate` file in
/// cargo's registry cache. When cargo fails (say, offline) but the crate is
/// already cached and matches the lock file, that copy is used.
fn fetch_crate(kdir: &Path) -> Result<PathBuf> {
    let fetch = kdir.join("fetch");
    fs::create_dir_all(fetch.join("src"))?;
    // The empty [workspace] keeps cargo from taking this manifest for a
    // member of the Pride workspace it lies under.
    let manifest = format!(
        "# Throw-away manifest: lets cargo download the seL4 kernel source.\n\
         [package]\nname = \"pride-kernel-fetch\"\nversion = \"0.0.0\"\n\
         edition = \"2021\"\npublish = false\n\n\
         [dependencies]\n{SEL4_SYS_CRATE} = \"={SEL4_SYS_VERSION}\"\n\n[workspace]\n"
    );
    let manifest_path = fetch.join("Cargo.toml");
    write_if_changed(&manifest_path, &manifest)?;
    write_if_changed(&fetch.join("src/lib.rs"), "")?;

    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(&cargo)
        .arg("fetch")
        .arg("--quiet")
        .arg("--manifest-path")
        .arg(&manifest_path)
        .stdin(Stdio::null())
        .output()
        .with_context(|| format!("running {cargo:?} fetch"))?;
    let fetched = output.status.success();

    let crate_name = format!("{SEL4_SYS_CRATE}-{SEL4_SYS_VERSION}.crate");
    let Some(crate_file) = find_cached_crate(&cargo_home()?, &crate_name)? else {
        bail!(
            "cargo fetch did not provide {crate_name} ({}):\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    };
    if !fetched {
        eprintln!(
            "warning: cargo fetch failed ({}); using the cached {}",
            output.status,
            crate_file.display()
        );
    }
    verify_crate(&crate_file, &fetch.join("Cargo.lock"))?;
    Ok(crate_file)
}

/// `$CARGO_HOME`, or `~/.cargo`.
fn cargo_home() -> Result<PathBuf> {
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        return Ok(PathBuf::from(home));
    }
    let home = std::env::var_os("HOME").ok_or_else(|| anyhow!("neither CARGO_HOME nor HOME is set"))?;
    Ok(PathBuf::from(home).join(".cargo"))
}

/// The newest `registry/cache/*/<crate_name>` under `cargo_home`.
fn find_cached_crate(cargo_home: &Path, crate_name: &str) -> Result<Option<PathBuf>> {
    let cache = cargo_home.join("registry/cache");
    let Ok(dirs) = fs::read_dir(&cache) else {
        return Ok(None);
    };
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for dir in dirs {
        let candidate = dir?.path().join(crate_name);
        if let Ok(meta) = fs::metadata(&candidate) {
            let mtime = meta.modified().unwrap_or(std::time::UNIX_EPOCH);
            if best.as_ref().is_none_or(|(t, _)| mtime > *t) {
                best = Some((mtime, candidate));
            }
        }
    }
    Ok(best.map(|(_, p)| p))
}

/// Checks the `.crate` file's SHA-256 against the checksum cargo wrote for
/// `sel4-sys` in the throw-away `Cargo.lock`.
fn verify_crate(crate_file: &Path, lock_file: &Path) -> Result<()> {
    #[derive(Deserialize)]
    struct Lock {
        #[serde(default)]
        package: Vec<LockedPackage>,
    }
    #[derive(Deserialize)]
    struct LockedPackage {
        name: String,
        version: String,
        checksum: Option<String>,
    }
    let text = fs::read_to_string(lock_file).with_context(|| format!("reading {}", lock_file.display()))?;
    let lock: Lock = toml::from_str(&text).with_context(|| format!("parsing {}", lock_file.display()))?;
    let expected = lock
        .package
        .iter()
        .find(|p| p.name == SEL4_SYS_CRATE && p.version == SEL4_SYS_VERSION)
        .and_then(|p| p.checksum.clone())
        .ok_or_else(|| anyhow!("{} has no checksum for {SEL4_SYS_CRATE}", lock_file.display()))?;
    let actual = hex(&Sha256::digest(fs::read(crate_file)?));
    if actual != expected {
        bail!(
            "{} has SHA-256 {actual}, but cargo locked {expected}: delete it and retry",
            crate_file.display()
        );
    }
    Ok(())
}

/// Unpacks the `seL4/` directory of the `.crate` file (a gzipped tar whose
/// entries start with `sel4-sys-0.0.28/`) into `dest`, giving `dest/seL4`.
/// Only plain files and directories with plain relative paths are accepted.
fn unpack_kernel(crate_file: &Path, dest: &Path) -> Result<()> {
    let file = fs::File::open(crate_file)?;
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(file));
    let prefix = format!("{SEL4_SYS_CRATE}-{SEL4_SYS_VERSION}");
    fs::create_dir_all(dest)?;
    for entry in archive.entries()? {
        let mut entry = entry?;
        let path = entry.path()?.into_owned();
        let Ok(rel) = path.strip_prefix(&prefix) else {
            continue;
        };
        if !rel.starts_with("seL4") {
            continue;
        }
        if !rel.components().all(|c| matches!(c, Component::Normal(_))) {
            bail!("unexpected path {} in the crate", path.display());
        }
        let kind = entry.header().entry_type();
        if !(kind.is_file() || kind.is_dir()) {
            bail!("unexpected entry type {kind:?} for {} in the crate", path.display());
        }
        let out = dest.join(rel);
        if let Some(parent) = out.parent() {
            fs::create_dir_all(parent)?;
        }
        entry.unpack(&out)?;
    }
    if !dest.join("seL4/VERSION").is_file() {
        bail!("the crate has no seL4/VERSION");
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// The project's patches
// ---------------------------------------------------------------------------

/// One patch file from `xtask/patches/`.
#[derive(Debug, Clone)]
struct PatchFile {
    /// File name, e.g. `0001-....patch`.
    name: String,
    /// Its text: free-form description, then a unified diff.
    text: String,
}

/// The `*.patch` files of `dir`, sorted by name (a missing dir has none).
fn read_patches(dir: &Path) -> Result<Vec<PatchFile>> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut patches = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "patch") {
            patches.push(PatchFile {
                name: path.file_name().unwrap().to_string_lossy().into_owned(),
                text: fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
            });
        }
    }
    patches.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(patches)
}

/// The source copy's stamp: crate version, then each patch's name and hash.
fn source_stamp(patches: &[PatchFile]) -> String {
    let mut stamp = format!("{SEL4_SYS_CRATE} {SEL4_SYS_VERSION}\n");
    for patch in patches {
        let digest = hex(&Sha256::digest(patch.text.as_bytes()));
        stamp.push_str(&format!("patch {} {digest}\n", patch.name));
    }
    stamp
}

/// The changes a unified diff makes to one file.
#[derive(Debug, PartialEq)]
struct FileDiff {
    /// Path relative to the patched tree (first component of `+++ b/...`
    /// stripped, like `patch -p1`).
    path: PathBuf,
    hunks: Vec<Hunk>,
}

/// One `@@` hunk: the lines it expects and the lines that replace them.
#[derive(Debug, PartialEq)]
struct Hunk {
    /// 1-based line number of the first old line, from the hunk header.
    old_start: usize,
    old: Vec<String>,
    new: Vec<String>,
}

/// Parses the unified diffs in `text`. Lines before the first `--- ` header
/// (a description) are ignored. File creation and deletion are not needed
/// and not supported.
fn parse_unified_diff(text: &str) -> Result<Vec<FileDiff>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut files: Vec<FileDiff> = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.starts_with("--- ") && i + 1 < lines.len() && lines[i + 1].starts_with("+++ ") {
            let target = lines[i + 1][4..].split('\t').next().unwrap().trim();
            if target == "/dev/null" || lines[i][4..].starts_with("/dev/null") {
                bail!("line {}: creating or deleting files is not supported", i + 1);
            }
            let path: PathBuf = Path::new(target).components().skip(1).collect();
            if path.as_os_str().is_empty() || !path.components().all(|c| matches!(c, Component::Normal(_))) {
                bail!("line {}: bad file name {target:?}", i + 2);
            }
            files.push(FileDiff {
                path,
                hunks: Vec::new(),
            });
            i += 2;
        } else if line.starts_with("@@ ") {
            let file = files
                .last_mut()
                .ok_or_else(|| anyhow!("line {}: hunk before any file header", i + 1))?;
            let (old_start, old_len, new_len) =
                parse_hunk_header(line).ok_or_else(|| anyhow!("line {}: bad hunk header", i + 1))?;
            let mut hunk = Hunk {
                old_start,
                old: Vec::new(),
                new: Vec::new(),
            };
            i += 1;
            while hunk.old.len() < old_len || hunk.new.len() < new_len {
                let Some(&body) = lines.get(i) else {
                    bail!("hunk at line {old_start} of {} is cut short", file.path.display());
                };
                match body.chars().next() {
                    Some(' ') => {
                        hunk.old.push(body[1..].to_string());
                        hunk.new.push(body[1..].to_string());
                    }
                    // An empty context line whose blank was trimmed by an editor.
                    None => {
                        hunk.old.push(String::new());
                        hunk.new.push(String::new());
                    }
                    Some('-') => hunk.old.push(body[1..].to_string()),
                    Some('+') => hunk.new.push(body[1..].to_string()),
                    Some('\\') => {}
                    _ => bail!("line {}: unexpected line in hunk", i + 1),
                }
                i += 1;
            }
            if hunk.old.len() != old_len || hunk.new.len() != new_len {
                bail!(
                    "hunk at line {old_start} of {}: line counts differ from its header",
                    file.path.display()
                );
            }
            file.hunks.push(hunk);
        } else {
            i += 1;
        }
    }
    Ok(files)
}

/// Parses `@@ -a[,b] +c[,d] @@...` into (a, b, d).
fn parse_hunk_header(line: &str) -> Option<(usize, usize, usize)> {
    let mut fields = line.strip_prefix("@@ ")?.split(' ');
    let range = |s: &str| -> Option<(usize, usize)> {
        match s.split_once(',') {
            Some((start, len)) => Some((start.parse().ok()?, len.parse().ok()?)),
            None => Some((s.parse().ok()?, 1)),
        }
    };
    let (old_start, old_len) = range(fields.next()?.strip_prefix('-')?)?;
    let (_, new_len) = range(fields.next()?.strip_prefix('+')?)?;
    (fields.next()? == "@@").then_some((old_start, old_len, new_len))
}

/// Applies `hunks` to `original`. Each hunk's old lines must match exactly,
/// at the line its header names (shifted by earlier hunks) or, failing that,
/// at the nearest place after the previous hunk. The original's line ending
/// at end of file is kept.
fn apply_hunks(original: &str, hunks: &[Hunk]) -> Result<String> {
    let mut lines: Vec<String> = original.lines().map(str::to_string).collect();
    let mut offset: isize = 0;
    let mut floor = 0usize;
    for (n, hunk) in hunks.iter().enumerate() {
        let base = if hunk.old.is_empty() {
            hunk.old_start
        } else {
            hunk.old_start.saturating_sub(1)
        };
        let expected = (base as isize + offset).max(0) as usize;
        let fits = |at: usize| at + hunk.old.len() <= lines.len() && lines[at..at + hunk.old.len()] == hunk.old[..];
        let at = if expected >= floor && fits(expected) {
            expected
        } else {
            (floor..=lines.len())
                .filter(|&at| fits(at))
                .min_by_key(|&at| at.abs_diff(expected))
                .ok_or_else(|| anyhow!("hunk {} (line {}) does not apply", n + 1, hunk.old_start))?
        };
        lines.splice(at..at + hunk.old.len(), hunk.new.iter().cloned());
        offset += hunk.new.len() as isize - hunk.old.len() as isize + (at as isize - expected as isize);
        floor = at + hunk.new.len();
    }
    let mut out = lines.join("\n");
    if !lines.is_empty() && (original.ends_with('\n') || original.is_empty()) {
        out.push('\n');
    }
    Ok(out)
}

/// Applies every file diff of `patch` to the tree at `root`.
fn apply_patch(root: &Path, patch: &PatchFile) -> Result<()> {
    let diffs = parse_unified_diff(&patch.text)?;
    if diffs.is_empty() {
        bail!("no unified diff in it");
    }
    for diff in diffs {
        let path = root.join(&diff.path);
        let original = fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
        let patched =
            apply_hunks(&original, &diff.hunks).with_context(|| format!("patching {}", diff.path.display()))?;
        fs::write(&path, patched).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIFF: &str = "\
A description that is not part of the diff.

--- a/tools/demo.py
+++ b/tools/demo.py
@@ -2,3 +2,5 @@
 two
 three
+three and a half
+three and three quarters
 four
@@ -8,2 +10,2 @@
 eight
-nine
+NINE
";

    fn numbers() -> String {
        [
            "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        ]
        .join("\n")
            + "\n"
    }

    #[test]
    fn parses_unified_diff() {
        let files = parse_unified_diff(DIFF).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].path, PathBuf::from("tools/demo.py"));
        assert_eq!(files[0].hunks.len(), 2);
        assert_eq!(files[0].hunks[0].old, vec!["two", "three", "four"]);
        assert_eq!(files[0].hunks[1].new, vec!["eight", "NINE"]);
        assert_eq!(parse_hunk_header("@@ -7 +7,0 @@ fn x"), Some((7, 1, 0)));
        assert_eq!(parse_hunk_header("@@ -x +1 @@"), None);
    }

    #[test]
    fn applies_hunks_exactly_and_with_offset() {
        let files = parse_unified_diff(DIFF).unwrap();
        let out = apply_hunks(&numbers(), &files[0].hunks).unwrap();
        assert!(out.contains("three\nthree and a half\nthree and three quarters\nfour\n"));
        assert!(out.ends_with("eight\nNINE\nten\n"));

        // Two extra lines at the top: the hunks are found further down.
        let shifted = format!("zero\nzero again\n{}", numbers());
        let out = apply_hunks(&shifted, &files[0].hunks).unwrap();
        assert!(out.starts_with("zero\nzero again\none\ntwo\nthree\nthree and a half\n"));
        assert!(out.ends_with("eight\nNINE\nten\n"));
    }

    #[test]
    fn refuses_hunks_that_do_not_match() {
        let files = parse_unified_diff(DIFF).unwrap();
        let changed = numbers().replace("nine", "neuf");
        assert!(apply_hunks(&changed, &files[0].hunks).is_err());
    }

    #[test]
    fn project_patches_parse() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("patches");
        let patches = read_patches(&dir).unwrap();
        assert!(!patches.is_empty());
        for patch in &patches {
            let files = parse_unified_diff(&patch.text).unwrap();
            assert!(!files.is_empty(), "{}", patch.name);
        }
    }

    #[test]
    fn stamp_depends_on_every_part_and_its_boundaries() {
        let a = stamp_digest(&[("config", "ab"), ("make", "c")]);
        assert_eq!(a, stamp_digest(&[("config", "ab"), ("make", "c")]));
        assert_eq!(a.len(), 64);
        assert_ne!(a, stamp_digest(&[("config", "a"), ("make", "bc")]));
        assert_ne!(a, stamp_digest(&[("config", "ab"), ("make", "d")]));
    }

    #[test]
    fn debug_options_only_in_debug_config() {
        let board = Board {
            name: "demo".into(),
            arch: "x86".into(),
            sel4_arch: "x86_64".into(),
            plat: "pc99".into(),
            kernel_config: "kernel-config.h".into(),
            kernel_objcopy_format: default_objcopy_format(),
            dir: PathBuf::new(),
        };
        let cfg = "#define CONFIG_FASTPATH 1";
        let release = flavour_config(&board, cfg, false);
        let debug = flavour_config(&board, cfg, true);
        assert!(release.contains(cfg) && debug.contains(cfg));
        assert!(!release.contains("CONFIG_PRINTING"));
        assert!(debug.contains("#define CONFIG_PRINTING 1"));
        assert!(debug.contains("#define CONFIG_DEBUG_BUILD 1"));
    }

    #[test]
    fn board_toml_loads() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../boards/qemu-x86_64");
        let board = Board::load(&dir).unwrap();
        assert_eq!((board.arch.as_str(), board.plat.as_str()), ("x86", "pc99"));
        assert!(board.kernel_config_path().is_file());
    }
}
