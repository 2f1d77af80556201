//! # fs-protocol: the LionsOS file-system protocol
//!
//! LionsOS file-system clients (its POSIX layer, MicroPython, WAMR) talk to
//! a file-system server (FAT, NFS) over two shared queues and a shared data
//! region. For a LionsOS client to use Pride's file server unchanged, the
//! server must read and write those regions bit for bit as LionsOS lays
//! them out; and a Rust client on Pride can use the same code from the
//! other end. This crate is that knowledge as pure logic: no kernel calls,
//! no `unsafe`, tested on the host.
//!
//! The layouts, codes and rules follow LionsOS's
//! `include/lions/fs/protocol.h` (with `lib/fs/server/memory.c` for the
//! buffer checks and `lib/fs/helpers/helpers.c` for the client
//! conventions) at commit `eb1cddee0045e915212a88509898daeeb27835c7` of
//! <https://github.com/au-ts/lionsos> (2026-05-11); `protocol.h` last
//! changed in `7a58fc43d539` ("fs protocol: add error cases"). The C
//! header `include/pride_lions_fs/protocol.h` in this crate, written for
//! Pride, gives C clients the same names; `include/lions/fs/protocol.h`
//! forwards to it so LionsOS sources compile unchanged.
//!
//! ## The regions
//!
//! | region | size | written by |
//! | --- | --- | --- |
//! | command queue (`fs_queue_t`) | 32 KiB | client: slots and `tail`; server: `head` |
//! | completion queue (`fs_queue_t`) | 32 KiB | server: slots and `tail`; client: `head` |
//! | data region (`fs_share`) | set by the system (64 MiB in LionsOS's examples) | client: paths, data to write; server: data read, stat results, names |
//!
//! ## Message flow
//!
//! 1. The client writes a path or data into its data region and names it
//!    by `{offset, size}` ([`Buffer`]) in a command with an `id` of its
//!    choosing; it enqueues the command and notifies the server.
//! 2. The server takes commands (only as many as the completion queue has
//!    room to answer), validates each ([`decode_command`]), performs it,
//!    writing any result into the client's buffer, and enqueues a
//!    completion with the same `id`, a status and one data word; then it
//!    notifies the client. Completions may come back in any order.
//! 3. The client matches a completion to its command by `id` and
//!    interprets the data word for that command ([`decode_completion`]).
//!
//! The first command is `INITIALISE` (mount). Descriptors returned by the
//! opens are the server's numbers, used by later commands. The LionsOS
//! client helpers carve the data region into `FS_BUFFER_SIZE` (32 KiB)
//! buffers and use request ids below [`QUEUE_CAPACITY`]; neither is part
//! of the protocol, so Pride's server assumes neither.
//!
//! ## Messages (LP64, little-endian, every field `u64`)
//!
//! | struct | size | fields (offset) |
//! | --- | --- | --- |
//! | slot (`fs_msg_t`) | 64 | a command or a completion |
//! | command (`fs_cmd_t`) | 64 | `id` 0, `type` 8, params 16 (48 bytes) |
//! | completion (`fs_cmpl_t`) | 24 | `id` 0, `status` 8, data 16 |
//! | buffer (`fs_buffer_t`) | 16 | `offset` 0, `size` 8 |
//! | stat result (`fs_stat_t`) | 136 | 17 words, see [`Stat`] |
//!
//! | code | command | parameters (offset in params) | data on success |
//! | --- | --- | --- | --- |
//! | 0 | `INITIALISE` | none | none |
//! | 1 | `DEINITIALISE` | none | none |
//! | 2 | `FILE_OPEN` | `path` 0, `flags` 16 | `fd` |
//! | 3 | `FILE_CLOSE` | `fd` 0 | none |
//! | 4 | `STAT` | `path` 0, `buf` 16 (gets a `fs_stat_t`) | none |
//! | 5 | `FILE_READ` | `fd` 0, `offset` 8, `buf` 16 | `len_read` |
//! | 6 | `FILE_WRITE` | `fd` 0, `offset` 8, `buf` 16 | `len_written` |
//! | 7 | `FILE_SIZE` | `fd` 0 | `size` |
//! | 8 | `RENAME` | `old_path` 0, `new_path` 16 | none |
//! | 9 | `FILE_REMOVE` | `path` 0 | none |
//! | 10 | `FILE_TRUNCATE` | `fd` 0, `length` 8 | none |
//! | 11 | `DIR_CREATE` | `path` 0 | none |
//! | 12 | `DIR_REMOVE` | `path` 0 | none |
//! | 13 | `DIR_OPEN` | `path` 0 | `fd` |
//! | 14 | `DIR_CLOSE` | `fd` 0 | none |
//! | 15 | `FILE_SYNC` | `fd` 0 | none |
//! | 16 | `DIR_READ` | `fd` 0, `buf` 8 (gets the name, no NUL) | `path_len` |
//! | 17 | `DIR_SEEK` | `fd` 0, `loc` 8 (`i64`) | none |
//! | 18 | `DIR_TELL` | `fd` 0 | `location` |
//! | 19 | `DIR_REWIND` | `fd` 0 | none |
//!
//! Statuses 0 (`SUCCESS`) to 18 are [`codes::STATUS_SUCCESS`] and
//! [`FsError`]; open flags are an access mode in bits 0-1 (0 read, 1 write,
//! 2 read-write) and `CREATE` (4). Paths are at most [`MAX_PATH_LENGTH`]
//! bytes and are not NUL-terminated (the buffer's size is the length);
//! names are at most [`MAX_NAME_LENGTH`].
//!
//! ## Design
//!
//! - **Shared memory through `sddf`'s trait.** Queues and buffers are read
//!   and written through [`sddf::shared::SharedMemory`], the trait Pride's
//!   sDDF code already uses, so a component maps the regions once and the
//!   host tests run the same code over a `Vec<u8>`.
//! - **Untrusted input validated in one place.** A command is copied out of
//!   its slot and decoded by [`decode_command`] into a [`Command`] whose
//!   buffers lie inside the client's region (the rules are in [`command`]);
//!   anything else is a [`ProtocolError`] carrying the id and the status to
//!   answer with. Queue indices are used only modulo the capacity. Nothing
//!   panics on any content.
//! - **Errors say who is to blame**: [`ProtocolError`] the client,
//!   [`CompletionError`] the server, [`QueueError::Corrupted`] whoever
//!   wrote the indices, [`queue::RegionTooSmall`] the system's sizing.
//!
//! ## Modules
//!
//! | module | what |
//! | --- | --- |
//! | [`layout`] | every size and offset, per C struct |
//! | [`codes`] | command codes, statuses, open flags |
//! | [`command`] | [`Command`], [`decode_command`] (server), [`Command::encode`] (client) |
//! | [`completion`] | [`Completion`], its encoder (server), [`decode_completion`] (client) |
//! | [`stat`] | [`Stat`], the stat result |
//! | [`share`] | copying paths out of, and names into, the data region |
//! | [`queue`] | [`FsQueue`], both ends of a queue, and the memory-ordering rule |
//! | [`config`] | the `fs_server_config_t` / `fs_client_config_t` blobs sdfgen writes |

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod codes;
pub mod command;
pub mod completion;
pub mod config;
pub mod layout;
pub mod queue;
pub mod share;
pub mod stat;
mod wire;

pub use codes::{Access, CommandKind, FsError, OpenFlags};
pub use command::{decode_command, Buffer, BufferFault, Command, ErrorKind, Op, PathArg, ProtocolError};
pub use completion::{completion_id, decode_completion, Completion, CompletionError, Reply};
pub use queue::{FsQueue, QueueError};
pub use stat::Stat;
pub use wire::Message;

/// `FS_QUEUE_CAPACITY`: slots in each queue.
pub const QUEUE_CAPACITY: u64 = 511;
/// `FS_MAX_NAME_LENGTH`: the longest directory-entry name, in bytes.
pub const MAX_NAME_LENGTH: u64 = 255;
/// `FS_MAX_PATH_LENGTH`: the longest path, in bytes (without a NUL).
pub const MAX_PATH_LENGTH: u64 = 4095;
/// `FS_BUFFER_SIZE` of LionsOS's client helpers (`lions/fs/helpers.h`):
/// the size of the buffers they carve the data region into. A client
/// convention, not checked by the server.
pub const CLIENT_BUFFER_SIZE: u64 = 0x8000;
