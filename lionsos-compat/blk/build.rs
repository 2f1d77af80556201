//! Compiles the C block client with gcc against the project's own
//! `microkit.h` and `pride_sddf/blk.h` (the Rust PDs pull nothing from it).

fn main() {
    for f in [
        "c/client.c",
        "../microkit/include/microkit.h",
        "../sddf/include/pride_sddf/blk.h",
    ] {
        println!("cargo:rerun-if-changed={f}");
    }
    cc::Build::new()
        .compiler("gcc")
        .file("c/client.c")
        .file("../microkit/c/defaults.c")
        .include("../microkit/include")
        .include("../sddf/include")
        .pic(false)
        .opt_level(2)
        .flag("-ffreestanding")
        .flag("-fno-stack-protector")
        .flag("-fno-builtin")
        .flag("-Wall")
        .flag("-Wextra")
        .flag("-Werror")
        .compile("blk_c");
}
