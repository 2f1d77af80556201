//! # stall-client: calls a server that never answers
//!
//! Sends `STALL` to `counter`, which never replies. The call can only end
//! when the supervisor releases it: when `counter` stops (`SERVICE_DOWN`)
//! or restarts (`SERVER_RESTARTED`). stall-client prints what ended the call
//! and exits with that label as its exit code, so a test can tell.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use kernel_iface::MessageInfo;
use pride_rt::component::Boot;
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

const STALL: u64 = 3;

fn main(_boot: Boot) -> ! {
    supervisor::ready();
    let r = supervisor::connection(0).call(MessageInfo::new(STALL, 0, 0, 0), [0; 4]);
    let label = r.info.label();
    println!("call released with label {label:#x}");
    supervisor::exit(label)
}
