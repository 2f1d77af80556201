//! The security server with the `allowlist` module and the rules in
//! `policies/allowlist.rules`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    security::run(boot, "allowlist", include_str!("../../policies/allowlist.rules"))
}
