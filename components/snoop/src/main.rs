//! # snoop: tries to read memory that is not its own
//!
//! Every component's heap starts at the same virtual address in its own
//! address space. snoop reads that address without having asked for heap
//! pages: in its address space nothing is mapped there, whatever another
//! component keeps at the same address in its own. The read faults and the
//! supervisor reports it; no component can name another's memory.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_rt::component::{peek, Boot, HEAP_BASE};
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

fn main(_boot: Boot) -> ! {
    println!("reading {:#x}, where other components keep their heaps", HEAP_BASE);
    let value = peek(HEAP_BASE);
    // Only reached if isolation is broken.
    println!("ISOLATION BROKEN: read {:#x}", value);
    supervisor::exit(1)
}
