//! # microkit-build: C protection domains for Pride
//!
//! Called from the build script of a crate with PDs written in C: compiles
//! the C sources, with `microkit/c/defaults.c` (weak default entry points),
//! by gcc, freestanding, against the project's own headers
//! (`microkit/include/microkit.h`, `sddf/include/pride_sddf/*.h`,
//! `fs-protocol/include/lions/fs/protocol.h`), into a
//! static library that the crate's `microkit::c_protection_domain!` binary
//! links (Rust PDs of the same crate pull nothing from it). Warnings are
//! errors.

use std::path::{Path, PathBuf};

/// `lionsos-compat/`, where the headers live.
fn lionsos_compat() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Compiles `sources` (paths relative to the calling crate) into the
/// static library `lib`, and has cargo rerun the build script when they or
/// the headers change.
pub fn compile_c_pd(sources: &[&str], lib: &str) {
    let root = lionsos_compat();
    let defaults = root.join("microkit/c/defaults.c");
    let includes = [
        root.join("microkit/include"),
        root.join("sddf/include"),
        root.join("fs-protocol/include"),
    ];
    for s in sources {
        println!("cargo:rerun-if-changed={s}");
    }
    println!("cargo:rerun-if-changed={}", defaults.display());
    for dir in &includes {
        println!("cargo:rerun-if-changed={}", dir.display());
    }
    let mut build = cc::Build::new();
    build.compiler("gcc").files(sources).file(&defaults).includes(&includes);
    build
        .pic(false)
        .opt_level(2)
        .flag("-ffreestanding")
        .flag("-fno-stack-protector")
        .flag("-fno-builtin")
        .flag("-Wall")
        .flag("-Wextra")
        .flag("-Werror")
        .compile(lib);
}
