//! `store-hog`: see the crate doc.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_rt::{println, supervisor};
use pride_supervisor_api::{OK, QUOTA_EXHAUSTED};

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    supervisor::ready();
    let conn = supervisor::connection(0);
    let value = [0x68u8; 400];
    let mut written = 0u64;
    let mut key = [0u8; 16];
    loop {
        let n = written;
        let k = format_key(&mut key, n);
        match store_clients::put(conn, k, &value) {
            OK => written += 1,
            QUOTA_EXHAUSTED => break,
            other => {
                println!("unexpected reply {other:#x} after {written} objects");
                supervisor::exit(0xffff)
            }
        }
    }
    println!("session full after {written} objects: refused, not crashed");
    supervisor::exit(written)
}

/// `hog/NNNN` into `buf`.
fn format_key(buf: &mut [u8; 16], n: u64) -> &str {
    buf[..4].copy_from_slice(b"hog/");
    let mut x = n;
    for i in (4..12).rev() {
        buf[i] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    core::str::from_utf8(&buf[..12]).unwrap_or("hog/x")
}
