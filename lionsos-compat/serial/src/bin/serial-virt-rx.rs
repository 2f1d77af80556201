//! `serial-virt-rx`: the receive virtualiser.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

microkit::config_section!(CONFIG, ".serial_virt_rx_config", 2616);

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    microkit::run(serial::VirtRx::new(&CONFIG.bytes()))
}
