//! # fs-writer: a client writing while the file server dies
//!
//! Writes and syncs `/crash/file` (version A: [`SIZE`] bytes of `A`), asks the file
//! server to die just before its [`FAULT_AT`]-th next write to the disk
//! (`FAULT_AFTER`, allowed to this component by the policy), then writes
//! version B (`B`s) over it, in the requests a `write` makes. The server
//! dies in the middle of one of them. Prints what happened and exits 0 if
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
pub const FAULT_AT: u64 = 40;
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
    let r = Outgoing::new().word(FAULT_AT).call(conn, FAULT_AFTER);
    if r.info.label() != pride_supervisor_api::OK {
        println!("fs-writer: the fault was not armed (label {:#x})", r.info.label());
        supervisor::exit(3)
    }
    let _ = f.seek(fd, SeekFrom::Start(0));
    match f.write(fd, &vec![b'B'; SIZE]) {
        Ok(n) => {
            println!("fs-writer: version B written whole ({n} bytes): the server did not die");
            supervisor::exit(4)
        }
        Err(e) => {
            println!("fs-writer: version B cut short: {}", e.text());
            supervisor::exit(0)
        }
    }
}
