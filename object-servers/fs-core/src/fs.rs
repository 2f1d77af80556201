//! The file-system facade over littlefs2.

use alloc::boxed::Box;
use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use littlefs2::fs::{Allocation, FileType, Filesystem};
use littlefs2::io::{Error as LfsError, SeekFrom};

use crate::device::{BlockDevice, Disk, Shared, SharedDevice, BLOCK_SIZE, FS_BYTES, FS_SECTORS, SECTOR_SIZE};
use crate::error::FsError;
use crate::path::{FsPath, PATH_MAX};
use crate::session::{Handle, OpenFile, OpenFlags, Session, FILE_MAX};

/// What [`FileSystem::mount`] may do with a disk that has no file system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MountPolicy {
    /// Mount what is there; a blank disk is `Unformatted`.
    Existing,
    /// Format the disk if it is blank: its first two blocks (where
    /// littlefs keeps its superblocks) are all zero or all `0xff` bytes. A
    /// disk with anything else on it that does not mount is never
    /// formatted: that takes an explicit [`FileSystem::format`].
    FormatIfBlank,
}

/// What [`FileSystem::mount`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mounted {
    /// Mounted the file system on the disk.
    Existing,
    /// The disk was blank: formatted it, then mounted.
    Formatted,
}

/// A directory entry's kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A file.
    File,
    /// A directory.
    Dir,
}

/// What `stat` tells.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    /// File or directory.
    pub kind: Kind,
    /// Bytes in a file; 0 for a directory.
    pub size: u64,
}

/// One entry of a directory listing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    /// Its name in the directory.
    pub name: String,
    /// File or directory.
    pub kind: Kind,
    /// Bytes in a file; 0 for a directory.
    pub size: u64,
}

/// Space on the file system (`df`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    /// Bytes in the file system ([`FS_BYTES`]).
    pub total_bytes: u64,
    /// Bytes in blocks littlefs has not allocated. A lower bound: small
    /// files share blocks with directory metadata.
    pub free_bytes: u64,
}

type Lfs<D> = Filesystem<'static, Disk<D>>;

enum State<D: BlockDevice + 'static> {
    Unmounted {
        alloc: &'static mut Allocation<Disk<D>>,
        disk: &'static mut Disk<D>,
    },
    Mounted(Lfs<D>),
    /// A mount that had just succeeded as a probe failed for real, and
    /// littlefs2 does not give back what it was lent. Only a device that
    /// answers differently the second time gets here.
    Lost,
}

/// A littlefs file system on a [`BlockDevice`].
///
/// Every request that changes the file system has committed its change to
/// the device (and flushed the device) when it returns `Ok` (see the crate
/// documentation on durability).
pub struct FileSystem<D: BlockDevice + 'static> {
    shared: SharedDevice<D>,
    state: State<D>,
}

fn kind_of(t: FileType) -> Kind {
    if t.is_dir() {
        Kind::Dir
    } else {
        Kind::File
    }
}

/// The offset as littlefs's `u32`, if it is one littlefs allows.
fn lfs_offset(offset: u64) -> Result<u32, FsError> {
    if offset > FILE_MAX {
        return Err(FsError::BadOffset);
    }
    u32::try_from(offset).map_err(|_| FsError::BadOffset)
}

impl<D: BlockDevice + 'static> FileSystem<D> {
    /// Takes the device; the file system starts unmounted.
    ///
    /// littlefs2's `Filesystem` borrows its state (`Allocation`, about
    /// 9 KiB with the caches) and its storage for as long as it is
    /// mounted, and both must stay where they are. So this leaks them
    /// (`Box::leak`) once: a server makes one `FileSystem` for its
    /// lifetime, and mounts and unmounts it as often as it likes.
    pub fn new(device: D) -> FileSystem<D> {
        let shared: SharedDevice<D> = Rc::new(RefCell::new(Shared {
            dev: device,
            dirty: false,
        }));
        let disk = Box::leak(Box::new(Disk { shared: shared.clone() }));
        let alloc = Box::leak(Box::new(Allocation::new()));
        FileSystem {
            shared,
            state: State::Unmounted { alloc, disk },
        }
    }

    /// Runs `f` on the device (for tests and diagnostics). Do not write to
    /// the device while the file system is mounted.
    pub fn with_device<R>(&self, f: impl FnOnce(&mut D) -> R) -> R {
        f(&mut self.shared.borrow_mut().dev)
    }

    /// Whether the file system is mounted.
    pub fn is_mounted(&self) -> bool {
        matches!(self.state, State::Mounted(_))
    }

    fn check_device_size(&self) -> Result<(), FsError> {
        if self.shared.borrow().dev.sectors() < FS_SECTORS {
            return Err(FsError::DeviceTooSmall);
        }
        Ok(())
    }

    /// Whether the superblock area (blocks 0 and 1) is all zeros or all
    /// `0xff`.
    fn is_blank(&self) -> Result<bool, FsError> {
        let mut buf = [0u8; SECTOR_SIZE];
        let mut shared = self.shared.borrow_mut();
        let first = {
            shared.dev.read(0, &mut buf).map_err(|_| FsError::Io)?;
            buf[0]
        };
        if first != 0 && first != 0xff {
            return Ok(false);
        }
        for sector in 0..(2 * BLOCK_SIZE / SECTOR_SIZE) as u64 {
            shared.dev.read(sector, &mut buf).map_err(|_| FsError::Io)?;
            if buf.iter().any(|b| *b != first) {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Writes the shared device's pending writes through to stable
    /// storage.
    fn flush(&self) -> Result<(), FsError> {
        let mut shared = self.shared.borrow_mut();
        if shared.dirty {
            shared.dev.flush().map_err(|_| FsError::Io)?;
            shared.dirty = false;
        }
        Ok(())
    }

    /// Makes a new, empty file system on the device (everything on it is
    /// lost) and mounts it. Open handles of every session go stale.
    pub fn format(&mut self) -> Result<(), FsError> {
        self.unmount()?;
        self.check_device_size()?;
        match &mut self.state {
            State::Unmounted { disk, .. } => Filesystem::format(&mut **disk).map_err(FsError::from)?,
            State::Mounted(_) => return Err(FsError::Internal),
            State::Lost => return Err(FsError::NotMounted),
        }
        self.flush()?;
        self.mount(MountPolicy::Existing).map(|_| ())
    }

    /// Mounts the file system (nothing to do if it is mounted).
    pub fn mount(&mut self, policy: MountPolicy) -> Result<Mounted, FsError> {
        if self.is_mounted() {
            return Ok(Mounted::Existing);
        }
        self.check_device_size()?;
        let mut outcome = Mounted::Existing;
        // Probe with borrowed state first: a failed `Filesystem::mount`
        // drops what it was lent, so only a mount known to work gets the
        // long-lived borrows.
        let probe = match &mut self.state {
            State::Unmounted { alloc, disk } => Filesystem::mount(&mut **alloc, &mut **disk).map(|_| ()),
            State::Mounted(_) => return Ok(Mounted::Existing),
            State::Lost => return Err(FsError::NotMounted),
        };
        if let Err(e) = probe {
            if e == LfsError::IO {
                return Err(FsError::Io);
            }
            if e == LfsError::INVALID {
                return Err(FsError::Incompatible);
            }
            if !self.is_blank()? {
                return Err(FsError::Corrupt);
            }
            if policy == MountPolicy::Existing {
                return Err(FsError::Unformatted);
            }
            if let State::Unmounted { disk, .. } = &mut self.state {
                Filesystem::format(&mut **disk).map_err(FsError::from)?;
            }
            self.flush()?;
            outcome = Mounted::Formatted;
        }
        let root = FsPath::root().lfs()?;
        match core::mem::replace(&mut self.state, State::Lost) {
            State::Unmounted { alloc, disk } => match Filesystem::mount(alloc, disk) {
                Ok(fs) => {
                    // Finish what a crash interrupted (a rename between
                    // directories, orphaned blocks) now: littlefs 2.9 lists
                    // a directory wrongly while a rename is pending (it
                    // hid a neighbour of the moved entry in the crash
                    // tests). littlefs2 does not export
                    // `lfs_fs_mkconsistent`, but every removal runs
                    // `lfs_fs_forceconsistency` first; removing `/` then
                    // fails with INVALID and changes nothing else. It
                    // writes only when there is something to finish.
                    // If that fails for want of space the file system
                    // stays mounted (littlefs tries again before every
                    // change); any other failure unmounts it.
                    match fs.remove(&root) {
                        Ok(()) | Err(LfsError::INVALID) | Err(LfsError::NO_SPACE) => {
                            self.state = State::Mounted(fs);
                            self.flush()?;
                            Ok(outcome)
                        }
                        Err(e) => {
                            let (alloc, disk) = fs.into_inner();
                            self.state = State::Unmounted { alloc, disk };
                            Err(FsError::from(e))
                        }
                    }
                }
                Err(e) => Err(FsError::from(e)),
            },
            other => {
                self.state = other;
                Err(FsError::Internal)
            }
        }
    }

    /// Unmounts (nothing to do if it is not mounted). Every change was
    /// committed already; this flushes the device.
    pub fn unmount(&mut self) -> Result<(), FsError> {
        if let State::Mounted(_) = self.state {
            if let State::Mounted(fs) = core::mem::replace(&mut self.state, State::Lost) {
                let (alloc, disk) = fs.into_inner();
                self.state = State::Unmounted { alloc, disk };
            }
        }
        self.flush()
    }

    fn lfs(&self) -> Result<&Lfs<D>, FsError> {
        match &self.state {
            State::Mounted(fs) => Ok(fs),
            _ => Err(FsError::NotMounted),
        }
    }

    /// Opens the file at `path` with `flags` in `session`. Creating and
    /// truncating happen here, and are committed when this returns.
    pub fn open(&mut self, session: &mut Session, path: &FsPath, flags: OpenFlags) -> Result<Handle, FsError> {
        let flags = OpenFlags::from_bits(flags.bits())?;
        session.check_room()?;
        if path.is_root() {
            return Err(FsError::IsADirectory);
        }
        let lp = path.lfs()?;
        let fs = self.lfs()?;
        fs.open_file_with_options_and_then(
            |o| {
                o.read(flags.contains(OpenFlags::READ))
                    .write(flags.contains(OpenFlags::WRITE))
                    .create(flags.contains(OpenFlags::CREATE))
                    .truncate(flags.contains(OpenFlags::TRUNCATE));
                if flags.contains(OpenFlags::EXCLUSIVE) {
                    o.create_new(true);
                }
                o
            },
            &lp,
            |_| Ok(()),
        )?;
        if flags.contains(OpenFlags::CREATE) || flags.contains(OpenFlags::TRUNCATE) {
            self.flush()?;
        }
        session.insert(OpenFile {
            path: path.clone(),
            flags,
            position: 0,
        })
    }

    /// Reads at the handle's position into `buf`, and moves the position
    /// past what was read. Returns the bytes read: fewer than `buf.len()`
    /// only at the end of the file; 0 at or past it.
    pub fn read(&mut self, session: &mut Session, h: Handle, buf: &mut [u8]) -> Result<usize, FsError> {
        let position = session.get(h)?.position;
        self.read_at(session, h, position, buf)
    }

    /// Reads from `offset` into `buf` (and sets the handle's position past
    /// what was read).
    pub fn read_at(&mut self, session: &mut Session, h: Handle, offset: u64, buf: &mut [u8]) -> Result<usize, FsError> {
        let file = session.get(h)?;
        if !file.flags.contains(OpenFlags::READ) {
            return Err(FsError::WrongMode);
        }
        let off = lfs_offset(offset)?;
        let lp = file.path.lfs()?;
        let fs = self.lfs()?;
        let n = fs.open_file_with_options_and_then(
            |o| o.read(true),
            &lp,
            |f| {
                if off as usize >= f.len()? {
                    return Ok(0);
                }
                f.seek(SeekFrom::Start(off))?;
                let mut done = 0;
                while done < buf.len() {
                    let n = f.read(&mut buf[done..])?;
                    if n == 0 {
                        break;
                    }
                    done += n;
                }
                Ok(done)
            },
        )?;
        session.get_mut(h)?.position = offset + n as u64;
        Ok(n)
    }

    /// Writes `data` at the handle's position (at the end for an `APPEND`
    /// handle) and moves the position past it.
    pub fn write(&mut self, session: &mut Session, h: Handle, data: &[u8]) -> Result<usize, FsError> {
        let position = session.get(h)?.position;
        self.write_at(session, h, position, data)
    }

    /// Writes `data` at `offset` (at the end for an `APPEND` handle), and
    /// sets the handle's position past it. `offset` may be at most the
    /// file's size (no holes). Committed and flushed when it returns `Ok`:
    /// after a crash the file has either all of this write or none of it.
    pub fn write_at(&mut self, session: &mut Session, h: Handle, offset: u64, data: &[u8]) -> Result<usize, FsError> {
        let file = session.get(h)?;
        if !file.flags.contains(OpenFlags::WRITE) {
            return Err(FsError::WrongMode);
        }
        let append = file.flags.contains(OpenFlags::APPEND);
        let off = lfs_offset(offset)?;
        let lp = file.path.lfs()?;
        let fs = self.lfs()?;
        let end = fs.open_file_with_options_and_then(
            |o| o.write(true),
            &lp,
            |f| {
                let size = f.len()? as u64;
                let start = if append { size } else { u64::from(off) };
                if start > size {
                    return Ok(Err(FsError::BadOffset));
                }
                let end = start + data.len() as u64;
                if end > FILE_MAX {
                    return Ok(Err(FsError::TooLarge));
                }
                if data.is_empty() {
                    return Ok(Ok(start));
                }
                f.seek(SeekFrom::Start(start as u32))?;
                let mut done = 0;
                while done < data.len() {
                    let n = f.write(&data[done..])?;
                    if n == 0 {
                        return Err(LfsError::NO_SPACE);
                    }
                    done += n;
                }
                Ok(Ok(end))
            },
        )??;
        self.flush()?;
        session.get_mut(h)?.position = end;
        Ok(data.len())
    }

    /// Sets the file's size to `len` (cutting it, or extending it with
    /// zeros). Committed when it returns.
    pub fn set_len(&mut self, session: &mut Session, h: Handle, len: u64) -> Result<(), FsError> {
        let file = session.get(h)?;
        if !file.flags.contains(OpenFlags::WRITE) {
            return Err(FsError::WrongMode);
        }
        if len > FILE_MAX {
            return Err(FsError::TooLarge);
        }
        let lp = file.path.lfs()?;
        self.lfs()?
            .open_file_with_options_and_then(|o| o.write(true), &lp, |f| f.set_len(len as usize))?;
        self.flush()
    }

    /// Kind and size of what is at `path`.
    pub fn stat(&mut self, path: &FsPath) -> Result<Stat, FsError> {
        let m = self.lfs()?.metadata(&path.lfs()?)?;
        let kind = kind_of(m.file_type());
        let size = if kind == Kind::File { m.len() as u64 } else { 0 };
        Ok(Stat { kind, size })
    }

    /// Kind and size of the handle's file.
    pub fn stat_handle(&mut self, session: &Session, h: Handle) -> Result<Stat, FsError> {
        let path = session.get(h)?.path.clone();
        self.stat(&path)
    }

    /// Every entry of the directory at `path` (without `.` and `..`),
    /// sorted by name.
    pub fn read_dir(&mut self, path: &FsPath) -> Result<Vec<DirEntry>, FsError> {
        let mut out = Vec::new();
        self.lfs()?.read_dir_and_then(&path.lfs()?, |rd| {
            for entry in rd {
                let entry = entry?;
                let name = entry.file_name().as_str();
                if name == "." || name == ".." {
                    continue;
                }
                let kind = kind_of(entry.file_type());
                let size = if kind == Kind::File {
                    entry.metadata().len() as u64
                } else {
                    0
                };
                out.push(DirEntry {
                    name: String::from(name),
                    kind,
                    size,
                });
            }
            Ok(())
        })?;
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// At most `max` entries of the directory at `path`, from the
    /// `start`-th on (in name order), and whether more follow: for replies
    /// that cannot carry a whole listing.
    pub fn read_dir_page(&mut self, path: &FsPath, start: usize, max: usize) -> Result<(Vec<DirEntry>, bool), FsError> {
        let all = self.read_dir(path)?;
        let more = all.len() > start.saturating_add(max);
        Ok((all.into_iter().skip(start).take(max).collect(), more))
    }

    /// Makes an empty directory at `path` (its parent must exist).
    pub fn mkdir(&mut self, path: &FsPath) -> Result<(), FsError> {
        if path.is_root() {
            return Err(FsError::Exists);
        }
        self.lfs()?.create_dir(&path.lfs()?)?;
        self.flush()
    }

    /// Removes the file or empty directory at `path`.
    pub fn remove(&mut self, path: &FsPath) -> Result<(), FsError> {
        if path.is_root() {
            return Err(FsError::BadPath);
        }
        self.lfs()?.remove(&path.lfs()?)?;
        self.flush()
    }

    /// Renames `from` to `to`, atomically. What is at `to` is replaced: a
    /// file by a file, an empty directory by a directory. A directory
    /// cannot move into itself (`BadPath`), nor so deep that a path inside
    /// it would pass `PATH_MAX` (`NameTooLong`).
    pub fn rename(&mut self, from: &FsPath, to: &FsPath) -> Result<(), FsError> {
        if from.is_root() || to.is_root() || (to.is_within(from) && to != from) {
            return Err(FsError::BadPath);
        }
        let from_stat = self.stat(from)?;
        if from_stat.kind == Kind::Dir && to.as_str().len() > from.as_str().len() {
            let deepest = self.deepest_below(from)?;
            if to.as_str().len() + deepest > PATH_MAX {
                return Err(FsError::NameTooLong);
            }
        }
        self.lfs()?.rename(&from.lfs()?, &to.lfs()?)?;
        self.flush()
    }

    /// The length of the longest path below `dir`, minus `dir`'s length.
    fn deepest_below(&mut self, dir: &FsPath) -> Result<usize, FsError> {
        let base = dir.as_str().len();
        let mut deepest = 0;
        let mut todo = alloc::vec![dir.clone()];
        while let Some(d) = todo.pop() {
            for e in self.read_dir(&d)? {
                let p = d.join(&e.name)?;
                deepest = deepest.max(p.as_str().len() - base);
                if e.kind == Kind::Dir {
                    todo.push(p);
                }
            }
        }
        Ok(deepest)
    }

    /// Flushes the device. (Every change is committed and flushed when its
    /// request returns; this is for a client that wants to be sure.)
    pub fn sync(&mut self) -> Result<(), FsError> {
        self.lfs()?;
        self.shared.borrow_mut().dirty = true;
        self.flush()
    }

    /// Total and free space (`df`). Walks the whole file system.
    pub fn usage(&mut self) -> Result<Usage, FsError> {
        let free = self.lfs()?.available_space()? as u64;
        Ok(Usage {
            total_bytes: FS_BYTES,
            free_bytes: free,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ram::RamDisk;
    use littlefs2::fs::FileAllocation;

    /// The memory figures in the crate documentation.
    #[test]
    fn state_sizes() {
        let alloc = core::mem::size_of::<Allocation<Disk<RamDisk>>>();
        let file = core::mem::size_of::<FileAllocation<Disk<RamDisk>>>();
        assert!((9 * 1024..10 * 1024).contains(&alloc), "Allocation is {alloc} bytes");
        assert!((4 * 1024..5 * 1024).contains(&file), "FileAllocation is {file} bytes");
    }
}
