//! # blk-core: the block subsystem's logic, without the kernel
//!
//! The sDDF block subsystem on Pride (`lionsos-compat/blk`) is a
//! virtio-blk driver, a virtualiser that gives each client one partition
//! of the disk, and clients. Everything those components decide, as
//! opposed to the loads, stores and port accesses they make, is here, as
//! pure functions and small state machines tested on the host:
//!
//! | module | what |
//! | --- | --- |
//! | [`mbr`] | the MS-DOS master boot record: parsing (and writing, for disk images) |
//! | [`partition`] | a client's partition, and the virtualiser's check and translation of each request |
//! | [`ids`] | the virtualiser's map from driver request ids to (client, client's id) |
//! | [`virtio`] | the virtio-blk driver: what each sDDF request becomes on the device, the legacy virtqueue layout, descriptor chains |
//!
//! Requests come from other protection domains and are not trusted: every
//! field is checked (with overflow-safe arithmetic) and a bad request gets
//! an error *response*, never a panic.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;
#[cfg(test)]
extern crate std;

pub mod ids;
pub mod mbr;
pub mod partition;
pub mod virtio;

/// Bytes in an sDDF block (the transfer unit of every request).
pub const TRANSFER_SIZE: u64 = sddf::blk::TRANSFER_SIZE as u64;
/// Bytes in a disk sector, as the MBR and virtio-blk count them.
pub const SECTOR_SIZE: u64 = 512;
/// Sectors in one sDDF block.
pub const SECTORS_PER_BLOCK: u64 = TRANSFER_SIZE / SECTOR_SIZE;
