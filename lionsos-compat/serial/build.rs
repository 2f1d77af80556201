//! Compiles the C serial client (see `microkit-build`).

fn main() {
    microkit_build::compile_c_pd(&["c/client.c"], "serial_c");
}
