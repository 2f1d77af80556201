//! # fs-core: the logic of Pride's file server
//!
//! The `fs` component serves files from a disk partition that it reaches
//! as 512-byte sectors through sDDF block queues. This crate is everything
//! in it that needs no kernel: the file system, the requests, their
//! errors, the handles of each client and the path rules, tested on the
//! host (`cargo test -p fs-core`). The component adds the kernel glue, the
//! block-queue client (a [`BlockDevice`]) and the IPC protocol.
//!
//! | item | what |
//! | --- | --- |
//! | [`BlockDevice`] | the sector device the component implements over its sDDF queues |
//! | [`FileSystem`] | littlefs on the device: format, mount, and the requests below |
//! | [`Session`], [`Handle`], [`OpenFlags`] | one client's open handles (at most a limit) |
//! | [`FsPath`], [`path`] | the path rules, checked in one place; [`path::checks`] names the security object (`fs:/a/b`) and the operations a request needs |
//! | [`FsError`], [`Blame`] | errors that say who is to blame, with wire codes |
//! | [`ram::RamDisk`] | a sparse in-memory disk with fault injection |
//! | [`cache::BlockCache`] | a write-through LRU cache of whole blocks for the server's disk |
//!
//! ## Design
//!
//! * **On-disk format: littlefs** (crate `littlefs2` 0.8.1, the C littlefs
//!   behind a Rust API), which is power-loss resilient: every change is a
//!   copy-on-write update ended by one atomic metadata commit, so after a
//!   crash at any point the disk mounts and shows the state before or
//!   after the request that was running. fs-core writes no file system of
//!   its own.
//! * **Fixed geometry.** littlefs2 fixes the block count at compile time:
//!   the file system is always [`FS_BYTES`] = 32 MiB, [`BLOCK_COUNT`]
//!   blocks of [`BLOCK_SIZE`] = 4 KiB from sector 0. Mounting or
//!   formatting a device with fewer than [`FS_SECTORS`] sectors fails with
//!   `DeviceTooSmall`; a larger device's tail is left alone.
//! * **Mounting is explicit about formatting.** [`MountPolicy::Existing`]
//!   never writes a new file system; [`MountPolicy::FormatIfBlank`]
//!   formats only a disk whose superblock area is blank (all zeros or all
//!   `0xff`), never one that holds something unreadable (`Corrupt`).
//!   [`FileSystem::format`] always formats.
//! * **Handles without open littlefs files.** littlefs2's safe API opens a
//!   file only for the length of a closure (its `File::open` is unsafe,
//!   and this crate forbids `unsafe`). So a [`Session`] keeps, per handle,
//!   the path, the flags and a position; every request opens the littlefs
//!   file, does its work and closes it. A session holds no littlefs state
//!   and can be dropped at any time (a client that dies leaves nothing
//!   open); a handle names a path, not an inode (after a remove, its
//!   requests fail with `NotFound`).
//! * **Durability rule: a request that returns `Ok` is on the disk.**
//!   Closing the littlefs file at the end of each request commits it (one
//!   atomic metadata commit); then fs-core calls [`BlockDevice::flush`]. A
//!   write request is all or nothing: after a crash its file has the old
//!   or the new contents, never a mix (the tests cut the device after
//!   every possible sector write and check this). Opening with `CREATE`
//!   commits the empty file, so a file created and then written takes two
//!   requests and a crash between them leaves it empty. Caveat: littlefs2
//!   0.8.1 ignores littlefs's `sync` callback, so fs-core cannot flush
//!   *inside* a request; against a power loss on a disk whose volatile
//!   cache may reorder writes, the order within one request is the
//!   device's. A crash of the server (or of QEMU) loses nothing that was
//!   handed to the device.
//! * **Mounting finishes what a crash interrupted.** A rename between
//!   directories is two commits tied by littlefs's global state; after a
//!   crash between them littlefs 2.9 shows the right files but *lists* the
//!   old directory wrongly (the crash tests saw a neighbour of the moved
//!   entry vanish) until its next change fixes things up. So `mount` makes
//!   littlefs fix up at once (it writes only when something is pending).
//! * **How crashes are tested.** [`ram::RamDisk::cut_after`] keeps the
//!   first N sector writes and fails every later one (optionally leaving
//!   the first lost sector half written); the tests remount from what was
//!   kept and compare the whole tree (every path and every byte) with the
//!   states before and after the request the cut fell in: for every N of
//!   a fixed workload (29 requests, about 210 sector writes), and for
//!   random workloads at random N.
//! * **Paths are checked before they reach littlefs** ([`path`]): absolute,
//!   `/`-separated, no `.`, `..` or empty names, a small character set,
//!   names up to [`path::NAME_MAX`] and paths up to [`path::PATH_MAX`]
//!   (littlefs2's own limit, 255 bytes). A rename that would push a path
//!   inside a moved directory past the limit is refused, because littlefs2
//!   panics when it lists a directory whose entries' paths are too long;
//!   a disk written by another tool with such paths could still make a
//!   listing panic.
//! * **Security objects** are `fs:` + the path; [`path::checks`] gives the
//!   operations (`read`, `write`, `create`, `delete`, `list`) a request
//!   needs, as a table.
//! * **Memory.** [`FileSystem::new`] leaks one littlefs `Allocation`
//!   (~9 KiB: read and write caches, the lookahead bitmap) because
//!   littlefs2's `Filesystem` borrows it for as long as it is mounted; a
//!   server makes one `FileSystem` for its lifetime. Stack, measured in
//!   the freestanding binary described under *Linking* (release build,
//!   stack painted):
//!   `FileSystem::new` about 17 KiB (littlefs2 builds the `Allocation` by
//!   value before it is boxed), `format` or mounting a blank disk about
//!   22 KiB (a second `Allocation` on the stack), every other request
//!   (open, read, write, readdir, rename, usage, remount) under 9 KiB
//!   (a littlefs file, ~4.2 KiB, is on the stack during a request). A
//!   component's 64 KiB stack is enough; budget 24 KiB for fs-core.
//!
//! ## Requests
//!
//! | request | method | changes the disk | errors a client can cause |
//! | --- | --- | --- | --- |
//! | open | [`FileSystem::open`] | with `CREATE`/`TRUNCATE` | `BadPath`, `NameTooLong`, `NotFound`, `Exists`, `IsADirectory`, `NotADirectory`, `BadFlags`, `TooManyOpen` |
//! | read | [`FileSystem::read`], [`FileSystem::read_at`] | no | `BadHandle`, `WrongMode`, `BadOffset`, `NotFound` |
//! | write | [`FileSystem::write`], [`FileSystem::write_at`] | yes | `BadHandle`, `WrongMode`, `BadOffset` (past the end), `TooLarge`, `NotFound` |
//! | truncate | [`FileSystem::set_len`] | yes | `BadHandle`, `WrongMode`, `TooLarge` |
//! | seek, close | [`Session::seek`], [`Session::close`] | no | `BadHandle`, `BadOffset` |
//! | stat | [`FileSystem::stat`], [`FileSystem::stat_handle`] | no | `BadPath`, `NotFound`, `NotADirectory` |
//! | readdir | [`FileSystem::read_dir`], [`FileSystem::read_dir_page`] | no | `BadPath`, `NotFound`, `NotADirectory` |
//! | mkdir | [`FileSystem::mkdir`] | yes | `BadPath`, `Exists`, `NotFound`, `NotADirectory` |
//! | unlink, rmdir | [`FileSystem::remove`] | yes | `BadPath`, `NotFound`, `NotEmpty` |
//! | rename | [`FileSystem::rename`] | yes | `BadPath`, `NotFound`, `IsADirectory`, `NotADirectory`, `NotEmpty`, `NameTooLong` |
//! | sync | [`FileSystem::sync`] | flushes | — |
//! | df | [`FileSystem::usage`] | no | — |
//!
//! Any request can also fail with `Io`, `Corrupt`, `NoSpace` (the
//! device's or the disk's fault) or `NotMounted`.
//!
//! ## Linking fs-core into a component
//!
//! littlefs is C, compiled by `littlefs2-sys`'s build script with `cc` and
//! bound with bindgen, which loads **libclang** at build time (Debian
//! `libclang-dev`, which also brings clang's `stdint.h`/`stdbool.h`; the C
//! code also needs `gcc` and `libc6-dev` headers). `cargo xtask` installs
//! all three; plain `cargo test` on a machine without libclang fails in
//! that build script with bindgen's "Unable to find libclang".
//!
//! Checked for the component target (`x86_64-unknown-linux-gnu` with the
//! flags of `xtask/src/images.rs`): `nm -u` on littlefs's archive
//! (`liblfs-sys.a`) lists `memcpy`, `memset`, `memcmp`, `strlen`, `strchr`,
//! `strspn`, `strcspn` and `__popcountdi2` (and `lfs_crc`, its own). So a
//! component that links fs-core needs:
//!
//! | symbol | from |
//! | --- | --- |
//! | `strlen`, `strchr`, `strspn`, `strcspn` | `tinyrlibc` 0.5, switched on by fs-core (`littlefs2-sys/tinyrlibc`, only those four functions): nothing to do |
//! | `memcpy`, `memset`, `memcmp` (and `memmove`, `bcmp` for Rust code) | the component's runtime: `pride-rt`'s `mem` module already defines them |
//! | `__popcountdi2` | Rust's prebuilt `compiler_builtins` (exports it) |
//! | `_Unwind_Resume`, `rust_eh_personality` | the stubs every component has (`pride-rt`) |
//! | a `#[global_allocator]` | `pride-rt`'s heap: fs-core allocates (paths, listings, the leaked `Allocation`) |
//!
//! A freestanding static binary (a scratch program, not kept in the
//! repository) with just those (its own `memcpy` family,
//! the two stubs, a bump allocator and `_start`) linked with those flags,
//! formatted, mounted, wrote, remounted, read and listed a [`ram::RamDisk`]
//! on the host: no undefined symbols, no `std` symbols, about 76 KiB of
//! text. The C code is compiled by Debian's gcc 12 with `-O2 -fPIC
//! -march=x86-64` and no stack protector or `_FORTIFY_SOURCE` (both off by
//! default on Debian; no `__stack_chk_fail` or `__memcpy_chk` references).
//! It uses SSE2 (`movaps`, `movdqa`: baseline x86-64, as Rust code does),
//! so the component's threads need the FPU/SSE state enabled and a
//! 16-byte-aligned stack at calls, like any Rust code on this target.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cache;
mod device;
mod error;
mod fs;
pub mod path;
pub mod ram;
mod session;

pub use device::{BlockDevice, IoError, BLOCK_COUNT, BLOCK_SIZE, FS_BYTES, FS_SECTORS, SECTOR_SIZE};
pub use error::{Blame, FsError};
pub use fs::{DirEntry, FileSystem, Kind, MountPolicy, Mounted, Stat, Usage};
pub use path::FsPath;
pub use session::{Handle, OpenFile, OpenFlags, Session, DEFAULT_HANDLE_LIMIT, FILE_MAX};
