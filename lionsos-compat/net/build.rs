//! Compiles the C copier (see `microkit-build`).

fn main() {
    microkit_build::compile_c_pd(&["c/copy.c"], "net_c");
}
