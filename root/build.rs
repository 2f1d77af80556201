//! Embeds the image archive named by `PRIDE_ARCHIVE` (the build tool sets
//! it). Without it the root task gets an empty archive and says so at boot.

use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-env-changed=PRIDE_ARCHIVE");
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("archive.bin");
    match std::env::var("PRIDE_ARCHIVE") {
        Ok(path) => {
            println!("cargo:rerun-if-changed={path}");
            std::fs::copy(&path, &out).unwrap_or_else(|e| panic!("cannot read archive {path}: {e}"));
        }
        Err(_) => std::fs::write(&out, b"").expect("write empty archive"),
    }
}
