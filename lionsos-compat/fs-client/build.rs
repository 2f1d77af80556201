//! Compiles the C LionsOS file-system client (see `microkit-build`).

fn main() {
    microkit_build::compile_c_pd(&["c/client.c"], "fs_client_c");
}
