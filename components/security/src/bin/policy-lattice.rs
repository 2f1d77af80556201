//! The security server with the `lattice` module and the rules in
//! `policies/lattice.rules`.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    security::run(boot, "lattice", include_str!("../../policies/lattice.rules"))
}
