//! # crash: a component that faults on purpose
//!
//! Writes to the unmapped address [`BAD_ADDRESS`] right after starting, so
//! tests and people can watch the root task report the fault (component
//! name, address, instruction pointer) and carry on.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

/// Nothing is ever mapped here in a component's address space.
pub const BAD_ADDRESS: u64 = 0xdead_0000;

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    // The write goes through the runtime, so this crate needs no `unsafe`.
    pride_rt::component::touch(BAD_ADDRESS);
    loop {
        core::hint::spin_loop();
    }
}
