//! # ping: the first Pride component
//!
//! A server that answers every call on its service endpoint. Protocol:
//!
//! | label | request words | reply label | reply words |
//! | --- | --- | --- | --- |
//! | 0 (`PING`) | w0 = n | 0 | w0 = n + 1, w1 = calls answered so far |
//! | 2 (`SIGNAL_GRANTED`) | one notification capability | 0 | w0 = 1 |
//! | anything else, or `SIGNAL_GRANTED` without a capability | | `BAD_REQUEST` (0x41) | |
//!
//! `SIGNAL_GRANTED` exercises capability transfer: ping signals the
//! notification it was given, then deletes its copy.
//!
//! Replies use at most 4 words, carry no capability and the component runs at
//! the caller's priority, so a ping takes seL4's IPC fastpath.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use kernel_iface::cap::kind::{CNode, Endpoint, Notification};
use kernel_iface::syscall::Received;
use kernel_iface::{ipc_buffer, Cap, MessageInfo};
use pride_rt::component::{CNODE_BITS, SLOT_OWN_CNODE, SLOT_RECEIVE, SLOT_SERVICE_EP};

const PING: u64 = 0;
use pride_supervisor_api::BAD_REQUEST;
const SIGNAL_GRANTED: u64 = 2;

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    pride_rt::supervisor::ready();
    let ep: Cap<Endpoint> = Cap::from_cptr(SLOT_SERVICE_EP);
    ipc_buffer::set_receive_path(SLOT_OWN_CNODE, SLOT_RECEIVE, CNODE_BITS);
    let mut answered: u64 = 0;
    let mut msg = ep.recv();
    loop {
        let (info, words) = match msg.info.label() {
            PING => {
                answered += 1;
                (
                    MessageInfo::new(0, 0, 0, 2),
                    [msg.mrs[0].wrapping_add(1), answered, 0, 0],
                )
            }
            SIGNAL_GRANTED => signal_granted(&msg),
            _ => (MessageInfo::new(BAD_REQUEST, 0, 0, 0), [0; 4]),
        };
        msg = ep.reply_recv(info, words);
    }
}

/// Signals the notification that came with `msg` and frees its slot.
fn signal_granted(msg: &Received) -> (MessageInfo, [u64; 4]) {
    // A capability was stored (not unwrapped to a badge) only if the
    // message carried one and the kernel did not unwrap it.
    if msg.info.extra_caps() != 1 || msg.info.caps_unwrapped() != 0 {
        return (MessageInfo::new(BAD_REQUEST, 0, 0, 0), [0; 4]);
    }
    Cap::<Notification>::from_cptr(SLOT_RECEIVE).signal();
    let _ = Cap::<CNode>::from_cptr(SLOT_OWN_CNODE).cnode_delete(SLOT_RECEIVE, CNODE_BITS);
    (MessageInfo::new(0, 0, 0, 1), [1, 0, 0, 0])
}
