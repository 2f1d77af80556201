//! Compiles the C copier with gcc against the project's own `microkit.h`
//! and `pride_sddf/network.h` (the Rust PDs pull nothing from it).

fn main() {
    for f in [
        "c/copy.c",
        "../microkit/include/microkit.h",
        "../sddf/include/pride_sddf/network.h",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    cc::Build::new()
        .compiler("gcc")
        .file("c/copy.c")
        .file("../microkit/c/defaults.c")
        .include("../microkit/include")
        .include("../sddf/include")
        .pic(false)
        .opt_level(2)
        .flag("-ffreestanding")
        .flag("-fno-stack-protector")
        .flag("-fno-builtin")
        .flag("-Wall")
        .flag("-Werror")
        .compile("net_c");
}
