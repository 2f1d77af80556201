//! # crash-sys: makes a system call the kernel does not know
//!
//! The supervisor sees an unknown-syscall fault.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    pride_rt::component::unknown_syscall();
    pride_rt::supervisor::exit(1)
}
