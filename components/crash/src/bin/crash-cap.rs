//! # crash-cap: calls through a capability address that resolves to nothing
//!
//! A CPtr whose high bits do not match the CSpace guard cannot be looked
//! up: the kernel raises a capability fault, which the supervisor reports.
//! (A call on an empty slot is different: that is refused with an error
//! reply, not a fault.)

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::{Cap, MessageInfo};

pride_rt::component_entry!(main);

/// Outside the 8 bits the CNode resolves: the 56-bit guard (0) does not match.
pub const UNRESOLVABLE: u64 = 1 << 40;

fn main(_boot: pride_rt::component::Boot) -> ! {
    let nowhere: Cap<Endpoint> = Cap::from_cptr(UNRESOLVABLE);
    nowhere.call(MessageInfo::new(0, 0, 0, 0), [0; 4]);
    pride_rt::supervisor::exit(1)
}
