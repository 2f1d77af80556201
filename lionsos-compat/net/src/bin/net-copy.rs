//! `net-copy`: the copier between the receive virtualiser and one client.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

microkit::config_section!(CONFIG, ".net_copy_config", 1_128);

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    microkit::run(net::copy::Copy::new(&CONFIG.bytes()))
}
