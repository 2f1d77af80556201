//! # fs-writer: a client writing while the file server dies
//!
//! Writes and syncs `/crash/file` (version A: [`SIZE`] bytes of `A`),
//! writes and syncs the first half of version B (`B`s) over it, asks the
//! file server to die just before its [`FAULT_AT`]-th next write to the
//! disk (`FAULT_AFTER`, allowed to this component by the policy), then
//! writes the second half, in the requests a `write` makes, and syncs.
//! The server dies in the middle of sending them to the disk: the first
//! half must have survived. Prints what happened and exits 0 if
//! the write was cut short by the server's death, as it must be.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::vec;

use pride_posix::{flags, Files, FsConnection, SeekFrom};
use pride_rt::component::Boot;
use pride_rt::msg::Outgoing;
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

/// Bytes in the file.
pub const SIZE: usize = 64 * 1024;
/// The server dies before its this-many-th next disk write.
pub const FAULT_AT: u64 = 4;
/// The file server's fault-injection request (`fs::FAULT_AFTER`).
const FAULT_AFTER: u64 = 15;

fn main(_boot: Boot) -> ! {
    supervisor::ready();
    let conn = supervisor::connection(0);
    let mut f = Files::new(FsConnection(conn));
    let _ = f.mkdir("/crash");
    let fd = match f.open(
        "/crash/file",
        flags::READ | flags::WRITE | flags::CREATE | flags::TRUNCATE,
    ) {
        Ok(fd) => fd,
        Err(e) => {
            println!("fs-writer: cannot open /crash/file: {}", e.text());
            supervisor::exit(1)
        }
    };
    if let Err(e) = f.write(fd, &vec![b'A'; SIZE]) {
        println!("fs-writer: version A failed: {}", e.text());
        supervisor::exit(2)
    }
    if let Err(e) = f.sync(fd) {
        println!("fs-writer: version A not synced: {}", e.text());
        supervisor::exit(2)
    }
    println!("fs-writer: version A written and synced ({SIZE} bytes)");
    // The first half of version B, synced: it must survive what follows.
    let half = SIZE / 2;
    let _ = f.seek(fd, SeekFrom::Start(0));
    if let Err(e) = f.write(fd, &vec![b'B'; half]).and_then(|_| f.sync(fd)) {
        println!("fs-writer: the first half of version B failed: {}", e.text());
        supervisor::exit(3)
    }
    let r = Outgoing::new().word(FAULT_AT).call(conn, FAULT_AFTER);
    if r.info.label() != pride_supervisor_api::OK {
        println!("fs-writer: the fault was not armed (label {:#x})", r.info.label());
        supervisor::exit(3)
    }
    // The second half; the server buffers writes, the sync sends them to
    // the disk now.
    match f
        .write(fd, &vec![b'B'; SIZE - half])
        .and_then(|n| f.sync(fd).map(|()| n))
    {
        Ok(n) => {
            println!("fs-writer: version B written and synced whole ({n} more bytes): the server did not die");
            supervisor::exit(4)
        }
        Err(e) => {
            println!("fs-writer: version B cut short: {}", e.text());
            supervisor::exit(0)
        }
    }
}
