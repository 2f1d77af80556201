//! `net-virt-rx`: the network receive virtualiser.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

microkit::config_section!(CONFIG, ".net_virt_rx_config", 27_744);

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    microkit::run(net::virt::VirtRx::new(&CONFIG.bytes(), microkit::is_replacement(&boot)))
}
