//! Compiles the C protection domain with gcc against the project's own
//! `microkit.h`, freestanding, into a static library the `pp-client`
//! binary links (the Rust `pp-server` pulls nothing from it).

fn main() {
    let microkit = std::path::Path::new("../microkit");
    println!("cargo:rerun-if-changed=c/client.c");
    println!("cargo:rerun-if-changed=../microkit/include/microkit.h");
    println!("cargo:rerun-if-changed=../microkit/c/defaults.c");
    cc::Build::new()
        .compiler("gcc")
        .file("c/client.c")
        .file(microkit.join("c/defaults.c"))
        .include(microkit.join("include"))
        .pic(false)
        .opt_level(2)
        .flag("-ffreestanding")
        .flag("-fno-stack-protector")
        .flag("-fno-builtin")
        .flag("-Wall")
        .flag("-Werror")
        .compile("pingpong_c");
}
