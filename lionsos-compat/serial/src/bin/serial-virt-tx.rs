//! `serial-virt-tx`: the transmit virtualiser.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

microkit::config_section!(CONFIG, ".serial_virt_tx_config", 6840);

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    microkit::run(serial::VirtTx::new(&CONFIG.bytes()))
}
