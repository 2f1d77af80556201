//! Compiles the C ping-pong client (see `microkit-build`).

fn main() {
    microkit_build::compile_c_pd(&["c/client.c"], "pingpong_c");
}
