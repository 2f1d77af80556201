//! `timer-hpet`: the HPET timer driver.
#![no_std]
#![no_main]
#![deny(unsafe_code)]

use core::sync::atomic::AtomicU64;

/// Patched by the supervisor with where the HPET's registers are mapped.
// SAFETY: an exported symbol the supervisor writes before the PD starts
// (the Microkit `setvar_vaddr` contract); nothing else defines it.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
static hpet_regs: AtomicU64 = AtomicU64::new(0);

microkit::config_section!(DEVICE, ".device_resources", 1608);

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    let _ = &DEVICE;
    microkit::run(timer::Hpet::new(microkit::SharedRegion::from_setvar(&hpet_regs, 4096)))
}
