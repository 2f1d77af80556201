//! Compiles the C block clients (see `microkit-build`).

fn main() {
    microkit_build::compile_c_pd(&["c/client.c"], "blk_c");
}
