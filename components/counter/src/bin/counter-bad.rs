//! The `counter-bad` image: counter version 3 (see the crate doc).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    counter::run(boot, 3, &[99])
}
