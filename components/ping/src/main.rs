//! # ping: the first Pride component
//!
//! A server that answers every call on its service endpoint. Protocol:
//!
//! | label | request words | reply label | reply words |
//! | --- | --- | --- | --- |
//! | 0 (`PING`) | w0 = n | 0 | w0 = n + 1, w1 = calls answered so far |
//! | anything else | | 1 (`BAD_REQUEST`) | |
//!
//! Replies use at most 4 words, carry no capability and the component runs at
//! the caller's priority, so a ping takes seL4's IPC fastpath.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::{Cap, MessageInfo};
use pride_rt::component::SLOT_SERVICE_EP;

const PING: u64 = 0;
const BAD_REQUEST: u64 = 1;

pride_rt::component_entry!(main);

fn main(_ipc_buffer: u64, _id: u64) -> ! {
    let ep: Cap<Endpoint> = Cap::from_cptr(SLOT_SERVICE_EP);
    let mut answered: u64 = 0;
    let mut msg = ep.recv();
    loop {
        let (info, words) = if msg.info.label() == PING {
            answered += 1;
            (
                MessageInfo::new(0, 0, 0, 2),
                [msg.mrs[0].wrapping_add(1), answered, 0, 0],
            )
        } else {
            (MessageInfo::new(BAD_REQUEST, 0, 0, 0), [0; 4])
        };
        msg = ep.reply_recv(info, words);
    }
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    // No console yet: an illegal instruction makes the supervisor report us.
    loop {
        core::hint::spin_loop();
    }
}
