//! The file system from the root task, as the shell's subject (`sys/shell`,
//! admitted to the `fs` service by the policy like any client, donating
//! from the shell's container): the shell's `ls`, `cat`, `write`, `rm`,
//! `mkdir`, `df`, and `launch /PATH`, which starts a component from an
//! image read from the file system (with its manifest, `/PATH.manifest`).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use pride_posix::{flags, Errno, FileService, Files, FsConnection, Kind};
use pride_supervisor_api::manifest::Manifest;

use crate::supervisor::{ImageBytes, SupError, Supervisor};

/// Largest image `launch /PATH` reads (the root task's heap is 2 MiB).
pub const DISK_IMAGE_MAX: u64 = 256 * 1024;
/// Largest file `cat` prints.
const CAT_MAX: u64 = 64 * 1024;

/// Reads all of `path` (at most `max` bytes).
pub fn read_file<S: FileService>(files: &mut Files<S>, path: &str, max: u64) -> Result<Vec<u8>, Errno> {
    let st = files.stat(path)?;
    if st.kind == Kind::Dir {
        return Err(Errno::IsADirectory);
    }
    if st.size > max {
        return Err(Errno::TooLarge);
    }
    let fd = files.open(path, flags::READ)?;
    let mut data = alloc::vec![0u8; st.size as usize];
    let n = files.read(fd, &mut data);
    let closed = files.close(fd);
    data.truncate(n?);
    closed?;
    Ok(data)
}

impl Supervisor {
    /// The shell's descriptor table on the `fs` service.
    pub fn shell_files(&mut self) -> Result<Files<FsConnection>, SupError> {
        let conn = self
            .shell_conn("fs")
            .map_err(|_| SupError::Refused("no file server (is the 'files' system running?)"))?;
        Ok(Files::new(FsConnection(conn)))
    }

    /// Reads the image at `path` and its manifest from the file system
    /// into the table of disk images (replacing an older read of the
    /// path). Images no live component uses any more are forgotten.
    pub(crate) fn load_disk_image(&mut self, path: &str) -> Result<(), SupError> {
        let mut files = self.shell_files()?;
        let bad = |what: &str, e: Errno| SupError::DiskImage(format!("{what}: {}", e.text()));
        let elf = read_file(&mut files, path, DISK_IMAGE_MAX).map_err(|e| bad(path, e))?;
        let manifest_path = format!("{path}.manifest");
        let m = read_file(&mut files, &manifest_path, 4096).map_err(|e| bad(&manifest_path, e))?;
        let manifest = Manifest::decode(&m).map_err(|e| SupError::BadManifest(manifest_path.clone(), e))?;
        let table = &self.table;
        self.disk_images
            .retain(|p, _| table.iter().any(|r| r.image == *p && r.state.is_live()));
        self.disk_images
            .insert(path.to_string(), (ImageBytes::Disk(elf.into()), manifest));
        Ok(())
    }

    /// `ls PATH`.
    pub fn shell_ls(&mut self, path: &str) -> Result<(), SupError> {
        let mut files = self.shell_files()?;
        match files.read_dir(path) {
            Ok(entries) => {
                for e in &entries {
                    let _ = match e.kind {
                        Kind::Dir => writeln!(self.out, "  {:>9}  {}/", "-", e.name),
                        Kind::File => writeln!(self.out, "  {:>9}  {}", e.size, e.name),
                    };
                }
                let _ = writeln!(self.out, "{} entries", entries.len());
            }
            Err(e) => self.fs_error("ls", path, e),
        }
        Ok(())
    }

    /// `cat PATH`.
    pub fn shell_cat(&mut self, path: &str) -> Result<(), SupError> {
        let mut files = self.shell_files()?;
        match read_file(&mut files, path, CAT_MAX) {
            Ok(data) => {
                let text = String::from_utf8_lossy(&data);
                let _ = self.out.write_str(&text);
                if !text.ends_with('\n') && !text.is_empty() {
                    let _ = writeln!(self.out);
                }
            }
            Err(e) => self.fs_error("cat", path, e),
        }
        Ok(())
    }

    /// `write PATH TEXT`: the file holds TEXT and a newline afterwards.
    pub fn shell_write(&mut self, path: &str, text: &str) -> Result<(), SupError> {
        let mut files = self.shell_files()?;
        let r = files
            .open(path, flags::WRITE | flags::CREATE | flags::TRUNCATE)
            .and_then(|fd| {
                let wrote = files.write(fd, format!("{text}\n").as_bytes());
                files.close(fd).and(wrote)
            });
        match r {
            Ok(n) => {
                let _ = writeln!(self.out, "write: {n} bytes to {path}");
            }
            Err(e) => self.fs_error("write", path, e),
        }
        Ok(())
    }

    /// `rm PATH` and `mkdir PATH`.
    pub fn shell_rm_mkdir(&mut self, path: &str, mkdir: bool) -> Result<(), SupError> {
        let mut files = self.shell_files()?;
        let (verb, r) = if mkdir {
            ("mkdir", files.mkdir(path))
        } else {
            ("rm", files.unlink(path))
        };
        match r {
            Ok(()) => {
                let _ = writeln!(self.out, "{verb}: {path}");
            }
            Err(e) => self.fs_error(verb, path, e),
        }
        Ok(())
    }

    /// `df`.
    pub fn shell_df(&mut self) -> Result<(), SupError> {
        let mut files = self.shell_files()?;
        match files.usage() {
            Ok(u) => {
                let _ = writeln!(
                    self.out,
                    "fs: {} KiB, {} KiB used, {} KiB free ({} KiB blocks)",
                    u.total / 1024,
                    (u.total - u.free.min(u.total)) / 1024,
                    u.free / 1024,
                    u.block_size / 1024
                );
            }
            Err(e) => self.fs_error("df", "/", e),
        }
        Ok(())
    }

    /// One error line; a restarted server's stale connection is dropped so
    /// the next command reconnects.
    fn fs_error(&mut self, verb: &str, path: &str, e: Errno) {
        if matches!(e, Errno::ServerRestarted | Errno::NoConnection) {
            self.forget_shell_conn("fs");
        }
        let _ = writeln!(self.out, "error: {verb}: {path}: {}", e.text());
    }
}
