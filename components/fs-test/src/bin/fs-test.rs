//! # fs-test: the file server through the Posix-like library
//!
//! Ordinary code with descriptors (`pride_posix::Files` over the `fs`
//! connection its manifest wants). One line per case, `fs-test: CASE: ok`
//! or `fs-test: CASE: FAILED ...`, then `fs-test: done, N failed`; it
//! exits with the number of failures.
//!
//! 1. `big`: `/data/big.bin`, 1.5 MiB of a position-dependent pattern,
//!    written in 4 KiB `write`s, is as long as written and reads back
//!    byte for byte (in 64 KiB reads, and again after `lseek`s).
//! 2. `many`: 100 files in `/many` are listed exactly (names and sizes).
//! 3. `ops`: rename, unlink, rmdir, `stat` of a directory, and the errors
//!    a program must get: no such file, exists, not empty, bad path.
//!
//! It leaves `/data/big.bin` and `/many` behind for the scenario, which
//! checks them again after the server restarted and was updated.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use pride_posix::{flags, Errno, Files, FsConnection, Kind, SeekFrom};
use pride_rt::component::Boot;
use pride_rt::{println, supervisor};

pride_rt::component_entry!(main);

/// Size of the big file.
pub const BIG: usize = 3 * 512 * 1024;

/// The big file's byte at `i` (the scenario computes the same).
pub fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 11)) as u8
}

type F = Files<FsConnection>;
/// A case: what it showed, or why it failed.
type Case = fn(&mut F) -> Result<String, String>;

fn big(f: &mut F) -> Result<String, String> {
    let e = |what: &str, x: Errno| format!("{what}: {}", x.text());
    match f.mkdir("/data") {
        Ok(()) | Err(Errno::Exists) => {}
        Err(x) => return Err(e("mkdir /data", x)),
    }
    let fd = f
        .open("/data/big.bin", flags::WRITE | flags::CREATE | flags::TRUNCATE)
        .map_err(|x| e("open for writing", x))?;
    let mut chunk = vec![0u8; 4096];
    for start in (0..BIG).step_by(4096) {
        for (k, b) in chunk.iter_mut().enumerate() {
            *b = pattern(start + k);
        }
        f.write(fd, &chunk).map_err(|x| e("write", x))?;
    }
    f.close(fd).map_err(|x| e("close", x))?;
    let size = f.stat("/data/big.bin").map_err(|x| e("stat", x))?.size;
    if size != BIG as u64 {
        return Err(format!("stat says {size} bytes, {BIG} written"));
    }
    let fd = f
        .open("/data/big.bin", flags::READ)
        .map_err(|x| e("open for reading", x))?;
    let mut buf = vec![0u8; 64 * 1024];
    let mut at = 0;
    loop {
        let n = f.read(fd, &mut buf).map_err(|x| e("read", x))?;
        if n == 0 {
            break;
        }
        if let Some(k) = (0..n).find(|&k| buf[k] != pattern(at + k)) {
            return Err(format!("byte {} differs", at + k));
        }
        at += n;
    }
    if at != BIG {
        return Err(format!("read {at} bytes back, not {BIG}"));
    }
    // Random access.
    for pos in [BIG - 1, 0, 777_777, 4095, 4096] {
        f.seek(fd, SeekFrom::Start(pos as u64)).map_err(|x| e("lseek", x))?;
        let mut one = [0u8; 1];
        if f.read(fd, &mut one) != Ok(1) || one[0] != pattern(pos) {
            return Err(format!("byte {pos} after lseek is wrong"));
        }
    }
    f.close(fd).map_err(|x| e("close", x))?;
    Ok(format!("{BIG} bytes written and read back intact"))
}

fn many(f: &mut F) -> Result<String, String> {
    let e = |what: &str, x: Errno| format!("{what}: {}", x.text());
    match f.mkdir("/many") {
        Ok(()) | Err(Errno::Exists) => {}
        Err(x) => return Err(e("mkdir /many", x)),
    }
    for i in 0..100 {
        let path = format!("/many/file{i:03}");
        let fd = f
            .open(&path, flags::WRITE | flags::CREATE | flags::TRUNCATE)
            .map_err(|x| e(&path, x))?;
        let text = format!("this is file {i}\n");
        f.write(fd, text.as_bytes()).map_err(|x| e(&path, x))?;
        f.close(fd).map_err(|x| e(&path, x))?;
    }
    let mut listed: Vec<(String, u64)> = f
        .read_dir("/many")
        .map_err(|x| e("readdir /many", x))?
        .into_iter()
        .filter(|d| d.kind == Kind::File)
        .map(|d| (d.name, d.size))
        .collect();
    listed.sort();
    let want: Vec<(String, u64)> = (0..100)
        .map(|i| (format!("file{i:03}"), format!("this is file {i}\n").len() as u64))
        .collect();
    if listed != want {
        return Err(format!("listed {} entries, not the 100 written", listed.len()));
    }
    Ok(String::from("100 files listed with their sizes"))
}

fn ops(f: &mut F) -> Result<String, String> {
    let expect = |what: &str, got: Result<(), Errno>, want: Result<(), Errno>| {
        if got == want {
            Ok(())
        } else {
            Err(format!("{what}: got {got:?}, expected {want:?}"))
        }
    };
    let make = |f: &mut F, path: &str| -> Result<(), Errno> {
        let fd = f.open(path, flags::WRITE | flags::CREATE | flags::TRUNCATE)?;
        f.write(fd, b"x")?;
        f.close(fd)
    };
    expect("mkdir /ops", f.mkdir("/ops"), Ok(()))?;
    expect("make /ops/a", make(f, "/ops/a"), Ok(()))?;
    expect("rename", f.rename("/ops/a", "/ops/b"), Ok(()))?;
    expect(
        "the old name is gone",
        f.stat("/ops/a").map(|_| ()),
        Err(Errno::NotFound),
    )?;
    expect("mkdir again", f.mkdir("/ops"), Err(Errno::Exists))?;
    expect("rmdir of a full directory", f.unlink("/ops"), Err(Errno::NotEmpty))?;
    expect(
        "open a missing file",
        f.open("/ops/none", flags::READ).map(|_| ()),
        Err(Errno::NotFound),
    )?;
    expect(
        "a relative path",
        f.open("ops/b", flags::READ).map(|_| ()),
        Err(Errno::Invalid),
    )?;
    expect(
        "a path with ..",
        f.open("/ops/../many/file000", flags::READ).map(|_| ()),
        Err(Errno::Invalid),
    )?;
    match f.stat("/ops") {
        Ok(s) if s.kind == Kind::Dir => {}
        other => return Err(format!("stat /ops: {other:?}")),
    }
    expect("unlink", f.unlink("/ops/b"), Ok(()))?;
    expect("rmdir", f.unlink("/ops"), Ok(()))?;
    Ok(String::from("rename, unlink, rmdir, stat and their errors"))
}

fn main(_boot: Boot) -> ! {
    supervisor::ready();
    let mut f = Files::new(FsConnection(supervisor::connection(0)));
    let mut failed = 0u64;
    let cases: [(&str, Case); 3] = [("big", big), ("many", many), ("ops", ops)];
    for (name, case) in cases {
        match case(&mut f) {
            Ok(what) => println!("fs-test: {name}: ok ({what})"),
            Err(why) => {
                failed += 1;
                println!("fs-test: {name}: FAILED {why}");
            }
        }
    }
    println!("fs-test: done, {failed} failed");
    supervisor::exit(failed)
}
