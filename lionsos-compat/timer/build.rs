//! Compiles the C timer client with gcc against the project's own
//! `microkit.h` (the Rust driver pulls nothing from it).

fn main() {
    for f in ["c/client.c", "../microkit/include/microkit.h"] {
        println!("cargo:rerun-if-changed={f}");
    }
    cc::Build::new()
        .compiler("gcc")
        .file("c/client.c")
        .file("../microkit/c/defaults.c")
        .include("../microkit/include")
        .pic(false)
        .opt_level(2)
        .flag("-ffreestanding")
        .flag("-fno-stack-protector")
        .flag("-fno-builtin")
        .flag("-Wall")
        .flag("-Werror")
        .compile("timer_c");
}
