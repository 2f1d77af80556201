//! `net-echo`: the UDP and TCP echo server (port 7) on smoltcp.
#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use sddf::config::net::NetClientConfig;
use sddf::config::ConfigBlob;

microkit::config_section!(CONFIG, ".net_client_config", NetClientConfig::SIZE);

pride_rt::component_entry!(main);

fn main(boot: pride_rt::component::Boot) -> ! {
    microkit::run(net::echo::Echo::new(&CONFIG.bytes(), microkit::is_replacement(&boot)))
}
