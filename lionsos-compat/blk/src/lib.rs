//! # blk: the sDDF block subsystem on Pride
//!
//! ```text
//!  virtio-blk (PCI) <-> blk_driver <-> blk_virt <-> blk_client0 (partition 0, C)
//!                                               <-> blk_client1 (partition 1, C)
//! ```
//!
//! Described by `lionsos-compat/systems/blk.py` (sdfgen's `Sddf.Blk`),
//! configured by its blobs. Every link is an sDDF request queue, a
//! response queue and a storage-info region (`sddf::blk`); data moves by
//! DMA straight between the device and the clients' data regions, whose
//! physical addresses the virtualiser gives the driver. What the
//! components decide is in `blk-core` (host tested); this crate is the
//! part that touches ports and shared memory, all through safe APIs
//! (`microkit::SharedRegion`, `kernel_iface` capabilities).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod driver;
pub mod virt;

use microkit::SharedRegion;
use sddf::blk::{BlkQueueHandle, StorageInfoRegion};
use sddf::config::blk::BlkConnectionResource;
use sddf::config::ConfigBlob;

/// The request and response queues of a connection.
pub type Link = BlkQueueHandle<SharedRegion>;

/// The queues a connection names, or why not.
pub fn link(conn: &BlkConnectionResource) -> Option<Link> {
    BlkQueueHandle::new(
        SharedRegion::from_resource(&conn.req_queue),
        SharedRegion::from_resource(&conn.resp_queue),
        u32::from(conn.num_buffers),
    )
    .ok()
}

/// The storage-info region a connection names, or why not.
pub fn storage_info(conn: &BlkConnectionResource) -> Option<StorageInfoRegion<SharedRegion>> {
    StorageInfoRegion::new(SharedRegion::from_resource(&conn.storage_info)).ok()
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
