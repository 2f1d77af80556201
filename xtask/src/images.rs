//! Building Pride's freestanding programs and packing system images.
//!
//! Programs (the root task and the components) are built for the
//! preinstalled `x86_64-unknown-linux-gnu` target as static, non-PIE
//! executables with no C runtime, linked by `components/rt/link.ld`. The
//! flags are passed only through `CARGO_ENCODED_RUSTFLAGS` with an explicit
//! `--target` into `target/sel4/`, so host builds and host tests never see
//! them.
//!
//! Component images are described by `components/<crate>/manifest.toml`
//! (or `object-servers/<crate>/manifest.toml`):
//! one table per image the crate builds (a binary of that name), holding
//! the image's manifest. An image archive holds every image, its manifest
//! (postcard-encoded, `<image>.manifest`) and the boot script; the root task
//! embeds it.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use pride_supervisor_api::manifest::Manifest;

/// The Rust target the programs are built for.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";

/// A component image: its crate, and its manifest.
pub struct ImageSpec {
    pub image: String,
    pub package: String,
    pub manifest: Manifest,
}

/// A built image.
pub struct BuiltImage {
    pub name: String,
    pub elf: Vec<u8>,
    pub manifest: Vec<u8>,
}

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
        .args(["build", "--release", "--quiet", "--target", TARGET, "--target-dir"])
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

/// Directories whose subdirectories may hold component crates.
const COMPONENT_DIRS: &[&str] = &["components", "object-servers", "lionsos-compat"];

/// Reads every `components/*/manifest.toml` and `object-servers/*/manifest.toml`.
pub fn image_specs(ws: &Path) -> Result<Vec<ImageSpec>> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    for d in COMPONENT_DIRS {
        for e in std::fs::read_dir(ws.join(d))? {
            let p = e?.path();
            if p.join("manifest.toml").is_file() {
                dirs.push(p);
            }
        }
    }
    dirs.sort();
    let mut specs = Vec::new();
    for dir in dirs {
        let path = dir.join("manifest.toml");
        let text = std::fs::read_to_string(&path)?;
        let table: toml::Table = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
        let package = dir
            .file_name()
            .and_then(|n| n.to_str())
            .context("component directory name")?
            .to_string();
        for (image, value) in table {
            let manifest: Manifest = value
                .try_into()
                .with_context(|| format!("{}: manifest of image '{image}'", path.display()))?;
            manifest
                .validate()
                .map_err(|e| anyhow::anyhow!("{}: image '{image}': {e:?}", path.display()))?;
            specs.push(ImageSpec {
                image,
                package: package.clone(),
                manifest,
            });
        }
    }
    Ok(specs)
}

/// Builds every component image; returns them stripped of debug info, with
/// their encoded manifests.
pub fn build_components(ws: &Path) -> Result<Vec<BuiltImage>> {
    let specs = image_specs(ws)?;
    let mut packages: Vec<&str> = specs.iter().map(|s| s.package.as_str()).collect();
    packages.dedup();
    cargo_build(ws, &packages, &[])?;
    let strip_dir = ws.join("target/images/stripped");
    std::fs::create_dir_all(&strip_dir)?;
    specs
        .iter()
        .map(|s| {
            let stripped = strip_dir.join(&s.image);
            let status = Command::new("objcopy")
                .arg("--strip-debug")
                .arg(out_dir(ws).join(&s.image))
                .arg(&stripped)
                .status()
                .context("running objcopy")?;
            if !status.success() {
                bail!("objcopy --strip-debug {} failed", s.image);
            }
            let manifest = s
                .manifest
                .encode()
                .map_err(|e| anyhow::anyhow!("manifest of {}: {e:?}", s.image))?;
            Ok(BuiltImage {
                name: s.image.clone(),
                elf: std::fs::read(&stripped)?,
                manifest,
            })
        })
        .collect()
}

/// Packs `images` (but not the disk-only ones, `files::DISK_IMAGES`) and
/// `boot_cfg` into an archive and builds a root task
/// around it; returns the path of the root ELF for QEMU, kept under
/// `target/images/<image_name>/root.elf`.
pub fn build_image(ws: &Path, image_name: &str, images: &[BuiltImage], boot_cfg: &str) -> Result<PathBuf> {
    let dir = ws.join("target/images").join(image_name);
    std::fs::create_dir_all(&dir)?;
    let manifest_names: Vec<String> = images.iter().map(|i| format!("{}.manifest", i.name)).collect();
    let mut entries: Vec<(&str, &[u8])> = Vec::new();
    for (i, m) in images.iter().zip(&manifest_names) {
        // Images that live on the files disk only (`launch /bin/NAME`).
        if crate::files::DISK_IMAGES.contains(&i.name.as_str()) {
            continue;
        }
        entries.push((i.name.as_str(), i.elf.as_slice()));
        entries.push((m.as_str(), i.manifest.as_slice()));
    }
    entries.push(("boot.cfg", boot_cfg.as_bytes()));
    let systems = systems(ws)?;
    for (name, bytes) in systems {
        entries.push((name.as_str(), bytes.as_slice()));
    }
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

/// Where the Microkit system descriptions come from.
const SYSTEMS_DIR: &str = "lionsos-compat/systems";

/// The system descriptions to pack, as (archive name, bytes): each
/// `lionsos-compat/systems/*.py` metaprogram (run with the venv's Python,
/// which has `sdfgen`) writes its `.system` file (and any configuration
/// blobs) into `target/systems/`; hand-written `*.system` files there are
/// taken as they are. Archive names are `systems/<file>`. Made once per
/// run of the build tool.
pub fn systems(ws: &Path) -> Result<&'static [(String, Vec<u8>)]> {
    static SYSTEMS: std::sync::OnceLock<Vec<(String, Vec<u8>)>> = std::sync::OnceLock::new();
    if let Some(s) = SYSTEMS.get() {
        return Ok(s);
    }
    let venv_bin = crate::prereq::ensure_python_venv(ws)?;
    let out = ws.join("target/systems");
    if out.exists() {
        std::fs::remove_dir_all(&out)?;
    }
    std::fs::create_dir_all(&out)?;
    let mut sources: Vec<PathBuf> = std::fs::read_dir(ws.join(SYSTEMS_DIR))?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<_>>()?;
    sources.sort();
    for src in &sources {
        match src.extension().and_then(|e| e.to_str()) {
            Some("py") => {
                let status = Command::new(venv_bin.join("python"))
                    .arg(src)
                    .arg(&out)
                    .status()
                    .with_context(|| format!("running {}", src.display()))?;
                if !status.success() {
                    bail!("the system metaprogram {} failed", src.display());
                }
            }
            Some("system") => {
                std::fs::copy(src, out.join(src.file_name().context("file name")?))?;
            }
            _ => {}
        }
    }
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let mut dirs = vec![out.clone()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir)? {
            let path = e?.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let rel = path.strip_prefix(&out)?.to_str().context("file name")?.to_string();
            files.push((format!("systems/{rel}"), std::fs::read(&path)?));
        }
    }
    files.sort();
    Ok(SYSTEMS.get_or_init(|| files))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_component_manifest_is_valid_and_names_are_unique() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let specs = image_specs(ws).unwrap();
        let mut names: Vec<&str> = specs.iter().map(|s| s.image.as_str()).collect();
        assert!(names.contains(&"ping") && names.contains(&"counter-v2"));
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n, "image names must be unique");
        for s in &specs {
            let bytes = s.manifest.encode().unwrap();
            assert_eq!(Manifest::decode(&bytes).unwrap(), s.manifest);
        }
    }
}
