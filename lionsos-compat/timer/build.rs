//! Compiles the C timer client (see `microkit-build`).

fn main() {
    microkit_build::compile_c_pd(&["c/client.c"], "timer_c");
}
