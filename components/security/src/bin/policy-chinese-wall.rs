//! The security server with the `chinese-wall` module and the rules in
//! `policies/chinese-wall.rules`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    security::run(boot, "chinese-wall", include_str!("../../policies/chinese-wall.rules"))
}
