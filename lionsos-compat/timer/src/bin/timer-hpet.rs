//! `timer-hpet`: the HPET timer driver.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

microkit::setvar!(
    /// Where the HPET's registers are mapped.
    hpet_regs
);

microkit::config_section!(DEVICE, ".device_resources", 1608);

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    let _ = &DEVICE;
    microkit::run(timer::Hpet::new(microkit::SharedRegion::from_setvar(&hpet_regs, 4096)))
}
