//! `store-waiter`: reads `public/readme`, prints the result, waits for a
//! signal on its own notification, reads again and exits with the second
//! read's label. Shows a connection withdrawn by a policy change in between.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use kernel_iface::cap::kind::Notification;
use kernel_iface::Cap;
use pride_rt::component::SLOT_NOTIFICATION;
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    supervisor::ready();
    let first = store_clients::get(supervisor::connection(0), "public/readme");
    println!("first read label {first:#x}; waiting");
    Cap::<Notification>::from_cptr(SLOT_NOTIFICATION).wait();
    let second = store_clients::get(supervisor::connection(0), "public/readme");
    println!("second read label {second:#x}");
    supervisor::exit(second)
}
