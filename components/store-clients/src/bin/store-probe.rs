//! `store-probe`: see the crate doc.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    supervisor::ready();
    let read = store_clients::get(supervisor::connection(0), "public/readme");
    let connect = if read == 0 {
        0
    } else {
        match supervisor::connect(0) {
            Ok(_) => 0,
            Err(supervisor::ConnectError::Refused(l)) => l,
            Err(e) => {
                println!("connect: {e:?}");
                0xff
            }
        }
    };
    println!("read label {read:#x}, connect label {connect:#x}");
    supervisor::exit((read << 8) | connect)
}
