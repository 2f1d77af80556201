//! # pride-posix: Posix-like I/O for no_std Pride components
//!
//! Ordinary code wants `open`, `read`, `write`, `lseek`, `close`, `stat`,
//! `readdir`, `mkdir`, `unlink`, and `socket`, `bind`, `listen`, `accept`,
//! `connect`, `send`, `recv`. This crate gives a component those calls
//! over the `fs` service (`pride_supervisor_api::fs`) and the `net`
//! service (`pride_supervisor_api::net`), in two layers:
//!
//! | item | what |
//! | --- | --- |
//! | [`FileService`] | the file server's requests as calls (`pread`/`pwrite` style: every read and write names its offset) |
//! | `FsConnection` (feature `ipc`) | a [`FileService`] over a connection to `fs` (IPC; transfers split to fit a message) |
//! | [`Files`] | the descriptor table over any [`FileService`]: descriptors, positions, `lseek`, whole reads and writes; pure logic, tested on the host against an in-memory service |
//! | [`SocketService`] | the socket server's requests (`pride_supervisor_api::net`) as calls |
//! | `NetConnection` (feature `ipc`) | a [`SocketService`] over a connection to `net` |
//! | [`Sockets`] | socket descriptors over any [`SocketService`]: `socket`, `bind`, `listen`, `accept`, `connect`, `send` (all of it), `recv`, `send_to`, `recv_from`, `close`; pure logic, tested on the host against an in-memory network |
//! | [`Errno`] | why a call failed, from the server's reply labels (files and sockets) |
//!
//! Positions live here, not in the server (the server's handles carry no
//! position), so a descriptor's position is the component's own business
//! and a request that fails changes nothing.
//!
//! A server that restarted answers `SERVER_RESTARTED` ([`Errno::ServerRestarted`]):
//! its handles are gone with it, so every descriptor open before is stale
//! ([`Errno::BadDescriptor`] from then on); the component reconnects
//! (`pride_rt::supervisor::connect`) and opens again.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod files;
#[cfg(feature = "ipc")]
mod ipc;
mod service;
mod sockets;

pub use files::{Fd, Files, SeekFrom, MAX_FDS};
#[cfg(feature = "ipc")]
pub use ipc::{FsConnection, NetConnection};
pub use pride_supervisor_api::fs::open as flags;
pub use service::{DirEntry, Errno, FileService, Kind, Stat, Usage};
pub use sockets::{Sd, SocketAddr, SocketKind, SocketService, Sockets, MAX_SDS};
