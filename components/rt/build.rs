//! Rebuilds (and so relinks every program) when the linker script changes:
//! cargo does not see files named only in link arguments.
fn main() {
    println!("cargo:rerun-if-changed=link.ld");
}
