//! `net-virtio`: the virtio-net driver.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::sync::atomic::Ordering;

microkit::setvar!(
    /// Where the rings region is mapped.
    virtio_rings,
    /// Its physical address, for the device.
    virtio_rings_paddr,
);

microkit::config_section!(CONFIG, ".net_driver_config", 88);
microkit::config_section!(DEVICE, ".device_resources", 1608);

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    let _ = &DEVICE;
    let rings = microkit::SharedRegion::from_setvar(&virtio_rings, 0x10_0000);
    let paddr = virtio_rings_paddr.load(Ordering::Relaxed);
    microkit::run(net::driver::Driver::new(&CONFIG.bytes(), rings, paddr))
}
