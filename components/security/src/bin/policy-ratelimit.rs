//! The security server with the `ratelimit` module and the rules in
//! `policies/ratelimit.rules`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    security::run(boot, "ratelimit", include_str!("../../policies/ratelimit.rules"))
}
