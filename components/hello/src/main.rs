//! # hello: prints a greeting and waits
//!
//! The smallest useful component: it says who it is (name comes from the
//! supervisor's prefix; id and generation from its boot page), tells the
//! supervisor it is ready, and blocks for good.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_rt::component::Boot;
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

fn main(boot: Boot) -> ! {
    println!("hello from component {} (generation {})", boot.id, boot.generation);
    supervisor::ready();
    supervisor::wait_forever()
}
