//! # fs-image: Pride file systems in disk image files, from the host
//!
//! The build tool uses it to put files (component images, say) on the
//! disk the `fs` server mounts, and the `files` scenario to check the disk
//! after a run: the same littlefs code (`fs-core`) the server runs, over
//! a file instead of sDDF block queues.
//!
//! ```text
//! fs-image IMAGE FIRST_SECTOR OP...
//!   format              make an empty file system
//!   mkdir:PATH          make a directory (and its parents)
//!   put:HOSTFILE=PATH   copy a host file in (making its directories)
//!   ls:PATH             list a directory: KIND SIZE NAME
//!   cat:PATH            print a file
//!   check               mount, read every file of the tree; prints
//!                       "check: N files, M directories, B bytes"
//! ```
//!
//! The file system starts at sector FIRST_SECTOR (512-byte sectors) of
//! IMAGE and is `fs_core::FS_BYTES` long. Operations run in order on one
//! mount; the first failure stops the tool with a message and status 1.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom, Write};
use std::process::ExitCode;

use fs_core::{BlockDevice, FileSystem, FsPath, IoError, Kind, MountPolicy, OpenFlags, Session, SECTOR_SIZE};

/// A partition of an image file as a sector device.
struct ImageFile {
    file: File,
    first: u64,
}

impl ImageFile {
    fn seek(&mut self, sector: u64) -> Result<(), IoError> {
        let at = (self.first + sector) * SECTOR_SIZE as u64;
        self.file.seek(SeekFrom::Start(at)).map(|_| ()).map_err(|_| IoError)
    }
}

impl BlockDevice for ImageFile {
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.seek(sector)?;
        self.file.read_exact(buf).map_err(|_| IoError)
    }
    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        self.seek(sector)?;
        self.file.write_all(buf).map_err(|_| IoError)
    }
    fn flush(&mut self) -> Result<(), IoError> {
        self.file.sync_data().map_err(|_| IoError)
    }
    fn sectors(&self) -> u64 {
        let len = self.file.metadata().map(|m| m.len()).unwrap_or(0);
        (len / SECTOR_SIZE as u64).saturating_sub(self.first)
    }
}

type Fs = FileSystem<ImageFile>;

fn path(p: &str) -> Result<FsPath, String> {
    FsPath::parse(p).map_err(|e| format!("{p}: {e:?}"))
}

fn mkdir_all(fs: &mut Fs, p: &FsPath) -> Result<(), String> {
    if p.is_root() || fs.stat(p).is_ok() {
        return Ok(());
    }
    if let Some(parent) = p.parent() {
        mkdir_all(fs, &parent)?;
    }
    fs.mkdir(p).map_err(|e| format!("mkdir {p}: {e:?}"))
}

fn put(fs: &mut Fs, host: &str, to: &str) -> Result<(), String> {
    let data = std::fs::read(host).map_err(|e| format!("{host}: {e}"))?;
    let to = path(to)?;
    if let Some(parent) = to.parent() {
        mkdir_all(fs, &parent)?;
    }
    let mut s = Session::new(1);
    let h = fs
        .open(&mut s, &to, OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE)
        .map_err(|e| format!("open {to}: {e:?}"))?;
    // In pieces, as the server writes them.
    let mut at = 0u64;
    for chunk in data.chunks(64 * 1024) {
        fs.write_at(&mut s, h, at, chunk)
            .map_err(|e| format!("write {to}: {e:?}"))?;
        at += chunk.len() as u64;
    }
    s.close(h).map_err(|e| format!("close {to}: {e:?}"))
}

fn cat(fs: &mut Fs, p: &str) -> Result<Vec<u8>, String> {
    let p = path(p)?;
    let mut s = Session::new(1);
    let h = fs
        .open(&mut s, &p, OpenFlags::READ)
        .map_err(|e| format!("open {p}: {e:?}"))?;
    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = fs
            .read_at(&mut s, h, out.len() as u64, &mut buf)
            .map_err(|e| format!("read {p}: {e:?}"))?;
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    Ok(out)
}

/// Reads the whole tree under `dir`: (files, directories, bytes).
fn check(fs: &mut Fs, dir: &FsPath) -> Result<(u64, u64, u64), String> {
    let mut totals = (0, 1, 0);
    for e in fs.read_dir(dir).map_err(|e| format!("readdir {dir}: {e:?}"))? {
        let p = dir.join(&e.name).map_err(|x| format!("{dir}/{}: {x:?}", e.name))?;
        match e.kind {
            Kind::Dir => {
                let (f, d, b) = check(fs, &p)?;
                totals = (totals.0 + f, totals.1 + d, totals.2 + b);
            }
            Kind::File => {
                let data = cat(fs, p.as_str())?;
                if data.len() as u64 != e.size {
                    return Err(format!("{p}: listed with {} bytes, read {}", e.size, data.len()));
                }
                totals = (totals.0 + 1, totals.1, totals.2 + data.len() as u64);
            }
        }
    }
    Ok(totals)
}

fn run(args: &[String]) -> Result<(), String> {
    let [image, first, ops @ ..] = args else {
        return Err("usage: fs-image IMAGE FIRST_SECTOR OP... (see the crate doc)".into());
    };
    let first: u64 = first
        .parse()
        .map_err(|_| format!("FIRST_SECTOR {first:?} is not a number"))?;
    let file = File::options()
        .read(true)
        .write(true)
        .open(image)
        .map_err(|e| format!("{image}: {e}"))?;
    let mut fs = FileSystem::new(ImageFile { file, first });
    if ops.first().map(String::as_str) == Some("format") {
        fs.format().map_err(|e| format!("format: {e:?}"))?;
    }
    fs.mount(MountPolicy::Existing).map_err(|e| format!("mount: {e:?}"))?;
    for op in ops {
        let (verb, arg) = op.split_once(':').unwrap_or((op.as_str(), ""));
        match verb {
            "format" => {}
            "mkdir" => mkdir_all(&mut fs, &path(arg)?)?,
            "put" => {
                let (host, to) = arg.split_once('=').ok_or(format!("put:{arg}: want HOSTFILE=PATH"))?;
                put(&mut fs, host, to)?;
            }
            "ls" => {
                for e in fs.read_dir(&path(arg)?).map_err(|e| format!("ls {arg}: {e:?}"))? {
                    let kind = if e.kind == Kind::Dir { 'd' } else { 'f' };
                    println!("{kind} {} {}", e.size, e.name);
                }
            }
            "cat" => {
                let data = cat(&mut fs, arg)?;
                std::io::stdout().write_all(&data).map_err(|e| e.to_string())?;
            }
            "check" => {
                let (files, dirs, bytes) = check(&mut fs, &FsPath::root())?;
                println!("check: {files} files, {dirs} directories, {bytes} bytes");
            }
            other => return Err(format!("unknown operation {other:?}")),
        }
    }
    fs.unmount().map_err(|e| format!("unmount: {e:?}"))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fs-image: {e}");
            ExitCode::FAILURE
        }
    }
}
