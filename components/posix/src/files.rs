//! The descriptor table: Posix-like calls over a [`FileService`].

use alloc::string::String;
use alloc::vec::Vec;

use pride_supervisor_api::fs::open as flags;

use crate::service::{DirEntry, Errno, FileService, Stat, Usage};

/// Descriptors a component may have open at once (the server's per-session
/// limit).
pub const MAX_FDS: usize = pride_supervisor_api::fs::MAX_OPEN;

/// A file descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fd(pub usize);

/// Where `lseek` counts from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SeekFrom {
    Start(u64),
    Current(i64),
    End(i64),
}

struct Open {
    handle: u64,
    path: String,
    position: u64,
    append: bool,
}

/// Open files and their positions, over `S`.
pub struct Files<S: FileService> {
    service: S,
    fds: Vec<Option<Open>>,
}

impl<S: FileService> Files<S> {
    pub fn new(service: S) -> Files<S> {
        let mut fds = Vec::new();
        fds.resize_with(MAX_FDS, || None);
        Files { service, fds }
    }

    /// The service (for calls this table does not wrap).
    pub fn service(&mut self) -> &mut S {
        &mut self.service
    }

    fn get(&mut self, fd: Fd) -> Result<&mut Open, Errno> {
        self.fds
            .get_mut(fd.0)
            .and_then(Option::as_mut)
            .ok_or(Errno::BadDescriptor)
    }

    /// `open(path, flags)`: the lowest free descriptor.
    pub fn open(&mut self, path: &str, open_flags: u64) -> Result<Fd, Errno> {
        let slot = self.fds.iter().position(Option::is_none).ok_or(Errno::TooManyOpen)?;
        let handle = self.service.open(path, open_flags)?;
        self.fds[slot] = Some(Open {
            handle,
            path: String::from(path),
            position: 0,
            append: open_flags & flags::APPEND != 0,
        });
        Ok(Fd(slot))
    }

    /// `close(fd)`. The descriptor is free afterwards even if the server
    /// had forgotten the handle (it restarted).
    pub fn close(&mut self, fd: Fd) -> Result<(), Errno> {
        let open = self
            .fds
            .get_mut(fd.0)
            .and_then(Option::take)
            .ok_or(Errno::BadDescriptor)?;
        self.service.close(open.handle)
    }

    /// `read(fd, buf)`: fills `buf` as far as the file goes (several
    /// requests if need be); 0 at the end of the file.
    pub fn read(&mut self, fd: Fd, buf: &mut [u8]) -> Result<usize, Errno> {
        let (handle, mut position) = {
            let o = self.get(fd)?;
            (o.handle, o.position)
        };
        let mut done = 0;
        while done < buf.len() {
            let n = self.service.read_at(handle, position, &mut buf[done..])?;
            if n == 0 {
                break;
            }
            done += n;
            position += n as u64;
            self.get(fd)?.position = position;
        }
        Ok(done)
    }

    /// `write(fd, data)`: all of it (several requests if need be), at the
    /// position (at the end for a descriptor opened with `APPEND`).
    pub fn write(&mut self, fd: Fd, data: &[u8]) -> Result<usize, Errno> {
        let (handle, mut position, append, path) = {
            let o = self.get(fd)?;
            (o.handle, o.position, o.append, o.path.clone())
        };
        if append {
            position = self.service.stat(&path)?.size;
        }
        let mut done = 0;
        while done < data.len() {
            let n = self.service.write_at(handle, position, &data[done..])?;
            if n == 0 {
                return Err(Errno::NoSpace);
            }
            done += n;
            position += n as u64;
            self.get(fd)?.position = position;
        }
        Ok(done)
    }

    /// `lseek(fd, offset, whence)`: the new position. A position before
    /// the start is `Invalid` and changes nothing.
    pub fn seek(&mut self, fd: Fd, to: SeekFrom) -> Result<u64, Errno> {
        let (position, path) = {
            let o = self.get(fd)?;
            (o.position, o.path.clone())
        };
        let new = match to {
            SeekFrom::Start(p) => Some(p),
            SeekFrom::Current(d) => position.checked_add_signed(d),
            SeekFrom::End(d) => self.service.stat(&path)?.size.checked_add_signed(d),
        }
        .ok_or(Errno::Invalid)?;
        self.get(fd)?.position = new;
        Ok(new)
    }

    /// `fsync(fd)`.
    pub fn sync(&mut self, fd: Fd) -> Result<(), Errno> {
        let h = self.get(fd)?.handle;
        self.service.sync(h)
    }

    /// `stat(path)`.
    pub fn stat(&mut self, path: &str) -> Result<Stat, Errno> {
        self.service.stat(path)
    }

    /// `fstat(fd)`.
    pub fn fstat(&mut self, fd: Fd) -> Result<Stat, Errno> {
        let path = self.get(fd)?.path.clone();
        self.service.stat(&path)
    }

    /// Every entry of the directory (`opendir` + `readdir` to the end).
    pub fn read_dir(&mut self, path: &str) -> Result<Vec<DirEntry>, Errno> {
        let mut all = Vec::new();
        loop {
            let page = self.service.read_dir_from(path, all.len())?;
            if page.is_empty() {
                return Ok(all);
            }
            all.extend(page);
        }
    }

    pub fn mkdir(&mut self, path: &str) -> Result<(), Errno> {
        self.service.mkdir(path)
    }

    /// `unlink` (a file) or `rmdir` (an empty directory).
    pub fn unlink(&mut self, path: &str) -> Result<(), Errno> {
        self.service.unlink(path)
    }

    pub fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        self.service.rename(from, to)
    }

    /// `statvfs("/")`, in short.
    pub fn usage(&mut self) -> Result<Usage, Errno> {
        self.service.usage()
    }

    /// Forgets every descriptor (the server restarted and forgot their
    /// handles): later calls on them are `BadDescriptor`.
    pub fn forget_all(&mut self) {
        self.fds.iter_mut().for_each(|f| *f = None);
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use alloc::collections::BTreeMap;
    use alloc::vec;

    use super::*;
    use crate::service::Kind;

    /// An in-memory file server with a small transfer size, so that reads
    /// and writes take several requests.
    #[derive(Default)]
    struct Mem {
        files: BTreeMap<String, Vec<u8>>,
        handles: BTreeMap<u64, String>,
        next: u64,
        requests: usize,
    }

    const CHUNK: usize = 7;

    impl FileService for Mem {
        fn open(&mut self, path: &str, f: u64) -> Result<u64, Errno> {
            self.requests += 1;
            if !self.files.contains_key(path) {
                if f & flags::CREATE == 0 {
                    return Err(Errno::NotFound);
                }
                self.files.insert(path.into(), Vec::new());
            }
            if f & flags::TRUNCATE != 0 {
                self.files.insert(path.into(), Vec::new());
            }
            self.next += 1;
            self.handles.insert(self.next, path.into());
            Ok(self.next)
        }
        fn close(&mut self, h: u64) -> Result<(), Errno> {
            self.handles.remove(&h).map(|_| ()).ok_or(Errno::BadDescriptor)
        }
        fn read_at(&mut self, h: u64, off: u64, buf: &mut [u8]) -> Result<usize, Errno> {
            self.requests += 1;
            let data = &self.files[self.handles.get(&h).ok_or(Errno::BadDescriptor)?];
            let start = (off as usize).min(data.len());
            let n = (data.len() - start).min(buf.len()).min(CHUNK);
            buf[..n].copy_from_slice(&data[start..start + n]);
            Ok(n)
        }
        fn write_at(&mut self, h: u64, off: u64, d: &[u8]) -> Result<usize, Errno> {
            self.requests += 1;
            let path = self.handles.get(&h).ok_or(Errno::BadDescriptor)?.clone();
            let data = self.files.get_mut(&path).ok_or(Errno::NotFound)?;
            let n = d.len().min(CHUNK);
            let end = off as usize + n;
            if data.len() < end {
                data.resize(end, 0);
            }
            data[off as usize..end].copy_from_slice(&d[..n]);
            Ok(n)
        }
        fn stat(&mut self, path: &str) -> Result<Stat, Errno> {
            let f = self.files.get(path).ok_or(Errno::NotFound)?;
            Ok(Stat {
                kind: Kind::File,
                size: f.len() as u64,
            })
        }
        fn read_dir_from(&mut self, _path: &str, start: usize) -> Result<Vec<DirEntry>, Errno> {
            Ok(self
                .files
                .iter()
                .skip(start)
                .take(3)
                .map(|(n, d)| DirEntry {
                    name: n.clone(),
                    kind: Kind::File,
                    size: d.len() as u64,
                })
                .collect())
        }
        fn mkdir(&mut self, _: &str) -> Result<(), Errno> {
            Ok(())
        }
        fn unlink(&mut self, path: &str) -> Result<(), Errno> {
            self.files.remove(path).map(|_| ()).ok_or(Errno::NotFound)
        }
        fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
            let d = self.files.remove(from).ok_or(Errno::NotFound)?;
            self.files.insert(to.into(), d);
            Ok(())
        }
        fn sync(&mut self, _: u64) -> Result<(), Errno> {
            Ok(())
        }
        fn usage(&mut self) -> Result<Usage, Errno> {
            Ok(Usage {
                total: 100,
                free: 50,
                block_size: 4096,
            })
        }
    }

    #[test]
    fn reads_and_writes_move_the_position_over_several_requests() {
        let mut f = Files::new(Mem::default());
        let fd = f.open("/a", flags::READ | flags::WRITE | flags::CREATE).unwrap();
        let text = b"hello, file server, in pieces";
        assert_eq!(f.write(fd, text), Ok(text.len()));
        assert!(f.service().requests > 4, "the write was split");
        assert_eq!(f.seek(fd, SeekFrom::Start(0)), Ok(0));
        let mut buf = vec![0u8; 64];
        assert_eq!(f.read(fd, &mut buf), Ok(text.len()));
        assert_eq!(&buf[..text.len()], text);
        assert_eq!(f.read(fd, &mut buf), Ok(0), "at the end");
        assert_eq!(f.seek(fd, SeekFrom::End(-6)), Ok(text.len() as u64 - 6));
        let mut tail = [0u8; 6];
        assert_eq!(f.read(fd, &mut tail), Ok(6));
        assert_eq!(&tail, b"pieces");
        assert_eq!(f.seek(fd, SeekFrom::Current(-100)), Err(Errno::Invalid));
        assert_eq!(
            f.seek(fd, SeekFrom::Current(0)),
            Ok(text.len() as u64),
            "a bad seek changes nothing"
        );
        assert_eq!(f.close(fd), Ok(()));
        assert_eq!(f.read(fd, &mut buf), Err(Errno::BadDescriptor));
    }

    #[test]
    fn append_writes_at_the_end_and_descriptors_are_reused_lowest_first() {
        let mut f = Files::new(Mem::default());
        let a = f.open("/log", flags::WRITE | flags::CREATE).unwrap();
        f.write(a, b"one\n").unwrap();
        let b = f.open("/log", flags::WRITE | flags::APPEND).unwrap();
        assert_eq!((a, b), (Fd(0), Fd(1)));
        f.write(b, b"two\n").unwrap();
        f.close(a).unwrap();
        let c = f.open("/log", flags::READ).unwrap();
        assert_eq!(c, Fd(0), "the lowest free descriptor");
        let mut buf = [0u8; 16];
        let n = f.read(c, &mut buf).unwrap();
        assert_eq!(&buf[..n], b"one\ntwo\n");
    }

    #[test]
    fn the_table_has_a_limit_and_failed_opens_take_no_descriptor() {
        let mut f = Files::new(Mem::default());
        assert_eq!(f.open("/nothing", flags::READ), Err(Errno::NotFound));
        for i in 0..MAX_FDS {
            assert_eq!(f.open("/x", flags::READ | flags::WRITE | flags::CREATE), Ok(Fd(i)));
        }
        assert_eq!(f.open("/x", flags::READ), Err(Errno::TooManyOpen));
        f.forget_all();
        assert_eq!(f.close(Fd(3)), Err(Errno::BadDescriptor));
        assert_eq!(f.open("/x", flags::READ), Ok(Fd(0)));
    }

    #[test]
    fn listings_are_read_page_by_page_to_the_end() {
        let mut f = Files::new(Mem::default());
        for i in 0..10 {
            let fd = f.open(&std::format!("/f{i:02}"), flags::WRITE | flags::CREATE).unwrap();
            f.close(fd).unwrap();
        }
        let names: Vec<String> = f.read_dir("/").unwrap().into_iter().map(|e| e.name).collect();
        assert_eq!(names.len(), 10);
        assert_eq!(names[0], "/f00");
        assert_eq!(names[9], "/f09");
    }

    #[test]
    fn every_label_maps_to_an_errno() {
        use pride_supervisor_api as api;
        assert_eq!(Errno::from_label(api::DENIED), Errno::Denied);
        assert_eq!(
            Errno::from_label(2),
            Errno::NoConnection,
            "a kernel error: the capability is gone"
        );
        assert_eq!(Errno::from_label(0x7777), Errno::Other(0x7777));
        assert_eq!(
            Errno::from_label(api::fs::NO_SPACE).text(),
            "no space left on the file system"
        );
    }
}
