//! # hog: allocates until its quota runs out
//!
//! Grows a vector of 64 KiB blocks with `try_reserve`, so running out of
//! quota is an error value here, not a crash: the heap asks the supervisor
//! for pages, the supervisor refuses once the component's container is
//! full, and the allocation fails. hog reports how far it got and waits.
//! Nothing outside its container is touched.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use pride_rt::component::Boot;
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

const BLOCK: usize = 64 * 1024;

fn main(_boot: Boot) -> ! {
    supervisor::ready();
    let mut blocks: Vec<Vec<u8>> = Vec::new();
    let mut total = 0usize;
    loop {
        let mut block = Vec::new();
        if block.try_reserve_exact(BLOCK).is_err() || blocks.try_reserve(1).is_err() {
            break;
        }
        // Touch every page so the memory is really in use.
        block.resize(BLOCK, 0xa5);
        total += BLOCK;
        blocks.push(block);
    }
    println!(
        "quota exhausted after {} KiB: allocation refused, hog keeps running",
        total / 1024
    );
    supervisor::wait_forever()
}
