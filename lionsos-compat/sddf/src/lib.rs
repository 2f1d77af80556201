//! # sddf: sDDF queues and configuration, without the kernel
//!
//! Pride runs unmodified sDDF components (drivers, virtualisers, copiers,
//! clients written in C against sDDF 0.7) next to its own Rust components.
//! For the two to talk, Pride's side must read and write the shared queues
//! bit for bit as sDDF's C headers lay them out, follow the same signalling
//! rules, and understand the configuration blobs sdfgen writes. This crate
//! is that knowledge as pure logic: no kernel calls, no `unsafe`, tested on
//! the host.
//!
//! ## Design
//!
//! - **Shared memory through a trait.** Queues live in regions mapped into
//!   two protection domains. Every queue here is generic over
//!   [`shared::SharedMemory`]: fixed-width loads and stores at byte offsets
//!   plus a fence hook. Host tests use `Vec<u8>`; seL4 components implement
//!   it over the mapped region with volatile or atomic accesses (outside this
//!   crate, since that needs `unsafe`). The queue code decides where fences
//!   go; the implementation only honours them.
//! - **Layouts as constants.** Every size and offset is a named constant
//!   (checked against sDDF's C structs compiled for x86_64), and entries are
//!   read and written field by field at those offsets.
//! - **The peer is not trusted.** The capacity comes from this side's
//!   configuration, never from shared memory, and slots are taken modulo it,
//!   so a peer cannot make this side access outside a region. Indices that
//!   claim more entries than the capacity are reported as
//!   [`ring::QueueError::Corrupted`] rather than acted on. Configuration
//!   blobs are validated in one place, on decoding.
//! - **Errors say who is to blame**: `Full`/`Empty` mean "wait for the
//!   other side", `Corrupted` blames whoever wrote the indices,
//!   [`ring::LayoutError`] blames the region sizing or capacity,
//!   [`config::ConfigError`] the blob. A failed operation changes nothing
//!   in shared memory.
//! - **Hand-over.** sDDF never resets a queue and has no way to replace a
//!   component. Pride's hand-over protocol needs to see and move what is in
//!   flight: `snapshot` lists a queue's entries without taking them,
//!   [`net::NetQueueHandle::drain_active_to_free`] returns filled network
//!   buffers to their free queue, and
//!   [`blk::BlkQueueHandle::fail_pending_requests`] answers every queued
//!   block request.
//!
//! ## Modules
//!
//! | module | what |
//! | --- | --- |
//! | [`shared`] | the [`SharedMemory`](shared::SharedMemory) trait and its `[u8]`/`Vec<u8>` implementations |
//! | [`ring`] | the queue errors; the single-producer single-consumer ring under the network and block queues |
//! | [`net`] | network descriptor queues, free/active pairs, the consumer-requests-signal protocol |
//! | [`serial`] | serial byte queues with a separate data region, the producer-requests-signal protocol |
//! | [`blk`] | block request/response queues, codes and statuses, the storage-info region |
//! | [`timer`] | the timer driver's PPC protocol and its per-channel timeout table |
//! | [`config`] | sdfgen configuration blobs: device resources, block, serial, network, timer |
//!
//! ## Who writes what
//!
//! Every queue is single-producer single-consumer: only the producer writes
//! `tail` and the entries, only the consumer writes `head`. The queue types
//! do not know which side they are on; each method's doc names the side that
//! may call it, as sDDF's do.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod blk;
pub mod census;
pub mod config;
pub mod net;
pub mod ring;
pub mod serial;
pub mod shared;
pub mod timer;
