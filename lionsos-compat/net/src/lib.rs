//! # net: the sDDF network subsystem on Pride
//!
//! ```text
//!  virtio-net (PCI) <-> net_driver <-> net_virt_rx --> net_copy (C) --> net_echo (smoltcp)
//!                                  <-- net_virt_tx <---------------------+
//! ```
//!
//! Described by `lionsos-compat/systems/echo.py` (sdfgen's `Sddf.Net`),
//! configured by its blobs. `lionsos-compat/systems/sockets.py` is the same
//! system with the socket server (`object-servers/socket-server`) in the echo
//! server's place; both share the client side, [`device`]. Every link is a pair of sDDF network queues
//! (free and active, `sddf::net`).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod buffers;
pub mod device;
pub mod driver;
pub mod echo;
pub mod virt;

use microkit::SharedRegion;
use sddf::config::net::NetConnectionResource;
use sddf::config::ConfigBlob;
use sddf::net::NetQueueHandle;

/// The free and active queues of a connection.
pub type Link = NetQueueHandle<SharedRegion>;

/// The queues a connection names, or why not.
pub fn link(conn: &NetConnectionResource) -> Option<Link> {
    NetQueueHandle::new(
        SharedRegion::from_resource(&conn.free_queue),
        SharedRegion::from_resource(&conn.active_queue),
        conn.num_buffers as u32,
    )
    .ok()
}

/// Decodes a configuration blob, or reports and stops the PD.
pub fn config<T: ConfigBlob>(bytes: &[u8]) -> T {
    match T::decode(bytes) {
        Ok(c) => c,
        Err(e) => {
            pride_rt::println!("{}: unusable configuration ({e:?})", microkit::name());
            pride_rt::supervisor::start_failed("unusable sDDF configuration")
        }
    }
}
