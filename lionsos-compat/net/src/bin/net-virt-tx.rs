//! `net-virt-tx`: the network transmit virtualiser.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

microkit::config_section!(CONFIG, ".net_virt_tx_config", 134_200);

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    microkit::run(net::virt::VirtTx::new(&CONFIG.bytes()))
}
