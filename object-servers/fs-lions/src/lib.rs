//! # fs-lions: the LionsOS file-system protocol in front of fs-core
//!
//! A LionsOS file-system client (a Microkit PD written for LionsOS's FAT
//! or NFS servers) talks to its server through a command queue, a
//! completion queue and a data region it shares with it, and a channel
//! (`fs-protocol` has the layouts). Pride's file server (`object-servers/fs`)
//! serves such clients with this crate: [`LionsClient::serve`] takes the
//! commands waiting in the queue (never more than the completion queue
//! has room for), carries each out on the `fs_core::FileSystem` the
//! server's Pride clients use too, and answers it. It touches no kernel,
//! so it is tested on the host against a RAM disk and byte vectors.
//!
//! - **Every command is answered**, with its id: a malformed one (unknown
//!   code, a buffer outside the data region, bad flags) with the status
//!   `fs-protocol` gives it, a refused one with `SERVER_WAS_DENIED`.
//! - **Policy**: the same decisions as for Pride clients
//!   (`fs_core::path::checks`), through the `allowed` callback the server
//!   gives (its decision cache, for the subject the client PD is).
//! - **Descriptors**: files are `fs_core` handles of this client's
//!   session; directories are numbered from [`DIR_FD_BASE`] up (a cursor
//!   over the directory's entries; `DIR_TELL`/`DIR_SEEK` use the entry's
//!   index). Closing with the wrong command is `INVALID_FD`.
//! - **Errors** map to LionsOS statuses ([`status_of`]): `NoFile`,
//!   `AlreadyExists`, `NotDirectory`, `NotEmpty`, `InvalidFd`,
//!   `TooManyOpenFiles`, `InvalidRead`/`InvalidWrite` for the wrong mode,
//!   `InvalidPath`/`InvalidName` for paths fs-core refuses, and `Error`
//!   for the disk's failures.
//! - **Transfers** are at most [`MAX_TRANSFER`] bytes per command (a read
//!   asking more gets that much, as a short read; a longer write is
//!   `INVALID_BUFFER`).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::vec;

use fs_core::path::Access;
use fs_core::{BlockDevice, FileSystem, FsPath, Handle, Kind, OpenFlags, Session};
use fs_protocol::share::{copy_path, write_name, PathBuf};
use fs_protocol::{Buffer, Completion, FsError, FsQueue, Op, QueueError, Reply, Stat};
use sddf::shared::SharedMemory;

/// Directory descriptors start here (file descriptors are fs-core handle
/// numbers, below 2^32).
pub const DIR_FD_BASE: u64 = 1 << 32;
/// Most bytes one read or write command moves.
pub const MAX_TRANSFER: u64 = 1 << 20;
/// `st_mode` bits of `fs_stat_t` (as Posix: a directory or a regular file,
/// with the permission bits a single-user system shows).
pub const MODE_DIR: u64 = 0o040_755;
pub const MODE_FILE: u64 = 0o100_644;

/// The LionsOS status for a failure of the file system.
pub fn status_of(e: fs_core::FsError, writing: bool) -> FsError {
    use fs_core::FsError as E;
    match e {
        E::BadPath => FsError::InvalidPath,
        E::NameTooLong => FsError::InvalidName,
        E::NotFound => FsError::NoFile,
        E::Exists => FsError::AlreadyExists,
        E::NotADirectory => FsError::NotDirectory,
        E::NotEmpty => FsError::NotEmpty,
        E::BadHandle => FsError::InvalidFd,
        E::TooManyOpen => FsError::TooManyOpenFiles,
        E::WrongMode if writing => FsError::InvalidWrite,
        E::WrongMode => FsError::InvalidRead,
        E::BadOffset | E::BadFlags => FsError::InvalidCommand,
        E::IsADirectory
        | E::TooLarge
        | E::Io
        | E::Corrupt
        | E::NoSpace
        | E::DeviceTooSmall
        | E::Unformatted
        | E::Incompatible
        | E::NotMounted
        | E::Internal => FsError::Error,
    }
}

/// An open directory: its path and the index of the next entry.
struct Dir {
    path: FsPath,
    next: u64,
}

/// One LionsOS client: its queues, its data region, what it has open.
pub struct LionsClient<M: SharedMemory> {
    commands: FsQueue<M>,
    completions: FsQueue<M>,
    share: M,
    files: Session,
    dirs: BTreeMap<u64, Dir>,
    next_dir: u64,
}

impl<M: SharedMemory> LionsClient<M> {
    /// The client whose command queue, completion queue and data region
    /// are `commands`, `completions` and `share`; `None` if a queue region
    /// is too small. At most `max_open` files open at once.
    pub fn new(commands: M, completions: M, share: M, max_open: usize) -> Option<LionsClient<M>> {
        Some(LionsClient {
            commands: FsQueue::new(commands).ok()?,
            completions: FsQueue::new(completions).ok()?,
            share,
            files: Session::new(max_open),
            dirs: BTreeMap::new(),
            next_dir: DIR_FD_BASE,
        })
    }

    /// Serves the commands waiting (as many as the completion queue has
    /// room for); returns how many were answered. `allowed` decides each
    /// access. An error means the client corrupted its queues' indices:
    /// nothing more is taken from it.
    pub fn serve<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        allowed: &mut dyn FnMut(&Access<'_>) -> bool,
    ) -> Result<u64, QueueError> {
        let take = fs_protocol::queue::commands_to_take(&self.commands, &self.completions)?;
        let share_size = self.share.size() as u64;
        for _ in 0..take {
            let completion = match self.commands.dequeue_command(share_size)? {
                Ok(cmd) => {
                    let result = self.run(fs, cmd.op, allowed);
                    Completion { id: cmd.id, result }
                }
                Err(refused) => match Completion::refusal(&refused) {
                    Some(c) => c,
                    // Not even an id to answer with (cannot happen with
                    // whole queue slots).
                    None => continue,
                },
            };
            self.completions.enqueue_completion(&completion)?;
        }
        Ok(take)
    }

    fn path(&self, buf: Buffer) -> Result<FsPath, FsError> {
        let mut raw: PathBuf = [0; fs_protocol::MAX_PATH_LENGTH as usize];
        let bytes = copy_path(&self.share, buf, &mut raw).map_err(|_| FsError::InvalidPath)?;
        FsPath::parse_bytes(bytes).map_err(|e| status_of(e, false))
    }

    fn handle(fd: u64) -> Result<Handle, FsError> {
        u32::try_from(fd).map(Handle).map_err(|_| FsError::InvalidFd)
    }

    fn run<D: BlockDevice>(
        &mut self,
        fs: &mut FileSystem<D>,
        op: Op,
        allowed: &mut dyn FnMut(&Access<'_>) -> bool,
    ) -> Result<Reply, FsError> {
        let deny = FsError::ServerWasDenied;
        match op {
            Op::Initialise | Op::Deinitialise => Ok(Reply::Done),
            Op::FileOpen { path, flags } => {
                let path = self.path(path)?;
                let mut f = match (flags.readable(), flags.writable()) {
                    (true, true) => OpenFlags::READ | OpenFlags::WRITE,
                    (false, true) => OpenFlags::WRITE,
                    _ => OpenFlags::READ,
                };
                if flags.create && flags.writable() {
                    f = f | OpenFlags::CREATE;
                } else if flags.create && fs.stat(&path) == Err(fs_core::FsError::NotFound) {
                    // Posix lets a read-only open create the file; fs-core
                    // creates only for writing: make it empty first.
                    let make = OpenFlags::WRITE | OpenFlags::CREATE;
                    if !allowed(&Access::Open(&path, make)) {
                        return Err(deny);
                    }
                    let h = fs.open(&mut self.files, &path, make).map_err(|e| status_of(e, true))?;
                    let _ = self.files.close(h);
                }
                if !allowed(&Access::Open(&path, f)) {
                    return Err(deny);
                }
                let h = fs.open(&mut self.files, &path, f).map_err(|e| status_of(e, false))?;
                Ok(Reply::Opened { fd: h.0 as u64 })
            }
            Op::FileClose { fd } => {
                self.files.close(Self::handle(fd)?).map_err(|e| status_of(e, false))?;
                Ok(Reply::Done)
            }
            Op::FileRead { fd, offset, buf } => {
                let h = Self::handle(fd)?;
                let path = self.files.get(h).map_err(|e| status_of(e, false))?.path.clone();
                if !allowed(&Access::Read(&path)) {
                    return Err(deny);
                }
                let range = buf.range().ok_or(FsError::InvalidBuffer)?;
                let want = (buf.size.min(MAX_TRANSFER)) as usize;
                let mut data = vec![0u8; want];
                let n = fs
                    .read_at(&mut self.files, h, offset, &mut data)
                    .map_err(|e| status_of(e, false))?;
                self.share.store_bytes(range.start, &data[..n]);
                Ok(Reply::Read { len: n as u64 })
            }
            Op::FileWrite { fd, offset, buf } => {
                let h = Self::handle(fd)?;
                let path = self.files.get(h).map_err(|e| status_of(e, true))?.path.clone();
                if !allowed(&Access::Write(&path)) {
                    return Err(deny);
                }
                if buf.size > MAX_TRANSFER {
                    return Err(FsError::InvalidBuffer);
                }
                let range = buf.range().ok_or(FsError::InvalidBuffer)?;
                let mut data = vec![0u8; range.len()];
                self.share.load_bytes(range.start, &mut data);
                let n = fs
                    .write_at(&mut self.files, h, offset, &data)
                    .map_err(|e| status_of(e, true))?;
                Ok(Reply::Written { len: n as u64 })
            }
            Op::FileSize { fd } => {
                let st = fs
                    .stat_handle(&self.files, Self::handle(fd)?)
                    .map_err(|e| status_of(e, false))?;
                Ok(Reply::Size { size: st.size })
            }
            Op::Stat { path, buf } => {
                let path = self.path(path)?;
                if !allowed(&Access::Stat(&path)) {
                    return Err(deny);
                }
                let st = fs.stat(&path).map_err(|e| status_of(e, false))?;
                let stat = Stat {
                    mode: if st.kind == Kind::Dir { MODE_DIR } else { MODE_FILE },
                    nlink: 1,
                    size: st.size,
                    blksize: fs_core::BLOCK_SIZE as u64,
                    blocks: st.size.div_ceil(512),
                    ..Stat::default()
                };
                stat.write_to(&mut self.share, buf)
                    .map_err(|_| FsError::InvalidBuffer)?;
                Ok(Reply::Done)
            }
            Op::Rename { old_path, new_path } => {
                let (from, to) = (self.path(old_path)?, self.path(new_path)?);
                if !allowed(&Access::Rename(&from, &to)) {
                    return Err(deny);
                }
                fs.rename(&from, &to).map_err(|e| status_of(e, true))?;
                Ok(Reply::Done)
            }
            Op::FileRemove { path } | Op::DirRemove { path } => {
                let path = self.path(path)?;
                let want_dir = matches!(op, Op::DirRemove { .. });
                if !allowed(&Access::Remove(&path)) {
                    return Err(deny);
                }
                match fs.stat(&path).map_err(|e| status_of(e, true))?.kind {
                    Kind::Dir if !want_dir => return Err(FsError::Error),
                    Kind::File if want_dir => return Err(FsError::NotDirectory),
                    _ => {}
                }
                fs.remove(&path).map_err(|e| status_of(e, true))?;
                Ok(Reply::Done)
            }
            Op::FileTruncate { fd, length } => {
                let h = Self::handle(fd)?;
                let path = self.files.get(h).map_err(|e| status_of(e, true))?.path.clone();
                if !allowed(&Access::Write(&path)) {
                    return Err(deny);
                }
                fs.set_len(&mut self.files, h, length).map_err(|e| status_of(e, true))?;
                Ok(Reply::Done)
            }
            Op::DirCreate { path } => {
                let path = self.path(path)?;
                if !allowed(&Access::Mkdir(&path)) {
                    return Err(deny);
                }
                fs.mkdir(&path).map_err(|e| status_of(e, true))?;
                Ok(Reply::Done)
            }
            Op::DirOpen { path } => {
                let path = self.path(path)?;
                if !allowed(&Access::List(&path)) {
                    return Err(deny);
                }
                if fs.stat(&path).map_err(|e| status_of(e, false))?.kind != Kind::Dir {
                    return Err(FsError::NotDirectory);
                }
                if self.dirs.len() >= self.files.limit() {
                    return Err(FsError::TooManyOpenFiles);
                }
                let fd = self.next_dir;
                self.next_dir += 1;
                self.dirs.insert(fd, Dir { path, next: 0 });
                Ok(Reply::Opened { fd })
            }
            Op::DirClose { fd } => self.dirs.remove(&fd).map(|_| Reply::Done).ok_or(FsError::InvalidFd),
            Op::FileSync { fd } => {
                self.files.get(Self::handle(fd)?).map_err(|e| status_of(e, false))?;
                fs.sync().map_err(|e| status_of(e, true))?;
                Ok(Reply::Done)
            }
            Op::DirRead { fd, buf } => {
                let dir = self.dirs.get(&fd).ok_or(FsError::InvalidFd)?;
                let start = usize::try_from(dir.next).map_err(|_| FsError::EndOfDirectory)?;
                let (entries, _) = fs.read_dir_page(&dir.path, start, 1).map_err(|e| status_of(e, false))?;
                let Some(entry) = entries.first() else {
                    return Err(FsError::EndOfDirectory);
                };
                let len =
                    write_name(&mut self.share, buf, entry.name.as_bytes()).map_err(|_| FsError::InvalidBuffer)?;
                if let Some(d) = self.dirs.get_mut(&fd) {
                    d.next += 1;
                }
                Ok(Reply::DirEntry { name_len: len })
            }
            Op::DirSeek { fd, loc } => {
                let d = self.dirs.get_mut(&fd).ok_or(FsError::InvalidFd)?;
                d.next = u64::try_from(loc).map_err(|_| FsError::InvalidCommand)?;
                Ok(Reply::Done)
            }
            Op::DirTell { fd } => {
                let d = self.dirs.get(&fd).ok_or(FsError::InvalidFd)?;
                Ok(Reply::Location { location: d.next })
            }
            Op::DirRewind { fd } => {
                let d = self.dirs.get_mut(&fd).ok_or(FsError::InvalidFd)?;
                d.next = 0;
                Ok(Reply::Done)
            }
        }
    }
}

#[cfg(test)]
mod tests;
