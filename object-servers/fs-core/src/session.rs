//! A client's open handles.

use alloc::vec::Vec;

use crate::error::FsError;
use crate::path::FsPath;

/// Handles a session may have open unless told otherwise.
pub const DEFAULT_HANDLE_LIMIT: usize = 16;

/// Largest file size (and largest offset) littlefs allows: 2 GiB − 1.
pub const FILE_MAX: u64 = 0x7fff_ffff;

/// How a file is opened. Make one from wire bits with
/// [`OpenFlags::from_bits`], which checks them.
///
/// | bit | flag | meaning |
/// | --- | --- | --- |
/// | 0 | `READ` | the handle may read |
/// | 1 | `WRITE` | the handle may write |
/// | 2 | `CREATE` | create the file if it is missing (needs `WRITE`) |
/// | 3 | `EXCLUSIVE` | with `CREATE`: fail with `Exists` if it is there |
/// | 4 | `TRUNCATE` | empty the file at open (needs `WRITE`) |
/// | 5 | `APPEND` | every write goes to the end, whatever its offset (needs `WRITE`) |
///
/// At least one of `READ` and `WRITE`; no other bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenFlags(u8);

impl OpenFlags {
    /// Read.
    pub const READ: OpenFlags = OpenFlags(1);
    /// Write.
    pub const WRITE: OpenFlags = OpenFlags(1 << 1);
    /// Create if missing.
    pub const CREATE: OpenFlags = OpenFlags(1 << 2);
    /// With `CREATE`: the file must not exist yet.
    pub const EXCLUSIVE: OpenFlags = OpenFlags(1 << 3);
    /// Empty the file at open.
    pub const TRUNCATE: OpenFlags = OpenFlags(1 << 4);
    /// Writes go to the end.
    pub const APPEND: OpenFlags = OpenFlags(1 << 5);

    const KNOWN: u8 = 0x3f;

    /// Checks wire bits.
    pub fn from_bits(bits: u8) -> Result<OpenFlags, FsError> {
        let f = OpenFlags(bits);
        let needs_write = OpenFlags::CREATE.0 | OpenFlags::EXCLUSIVE.0 | OpenFlags::TRUNCATE.0 | OpenFlags::APPEND.0;
        if bits & !Self::KNOWN != 0
            || !(f.contains(OpenFlags::READ) || f.contains(OpenFlags::WRITE))
            || (bits & needs_write != 0 && !f.contains(OpenFlags::WRITE))
            || (f.contains(OpenFlags::EXCLUSIVE) && !f.contains(OpenFlags::CREATE))
        {
            return Err(FsError::BadFlags);
        }
        Ok(f)
    }

    /// The wire bits.
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether every flag of `other` is set.
    pub fn contains(self, other: OpenFlags) -> bool {
        self.0 & other.0 == other.0
    }
}

impl core::ops::BitOr for OpenFlags {
    type Output = OpenFlags;
    fn bitor(self, rhs: OpenFlags) -> OpenFlags {
        OpenFlags(self.0 | rhs.0)
    }
}

/// A handle number, as given to a client. Numbers are not reused within a
/// session until 2³² opens later, so a stale number fails with `BadHandle`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Handle(pub u32);

/// One open handle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OpenFile {
    /// The file's path when it was opened. A handle names a path: after
    /// the file is removed the handle's requests fail with `NotFound`; after
    /// it is renamed they go to whatever is at the old path.
    pub path: FsPath,
    /// The flags it was opened with.
    pub flags: OpenFlags,
    /// Where the next `read`/`write` without an offset starts.
    pub position: u64,
}

/// A client's handle table: at most `limit` open handles. Nothing here
/// holds littlefs state: each request opens and closes the littlefs file,
/// so a session can be dropped at any time (a client that dies leaves
/// nothing open).
#[derive(Debug)]
pub struct Session {
    open: Vec<(Handle, OpenFile)>,
    next: u32,
    limit: usize,
}

impl Session {
    /// A session with room for `limit` handles.
    pub fn new(limit: usize) -> Session {
        Session {
            open: Vec::new(),
            next: 1,
            limit,
        }
    }

    /// How many handles are open.
    pub fn open_count(&self) -> usize {
        self.open.len()
    }

    /// The most handles this session may hold.
    pub fn limit(&self) -> usize {
        self.limit
    }

    /// Whether another handle fits.
    pub(crate) fn check_room(&self) -> Result<(), FsError> {
        if self.open.len() >= self.limit {
            return Err(FsError::TooManyOpen);
        }
        Ok(())
    }

    /// Adds an open file, returning its new handle.
    pub(crate) fn insert(&mut self, file: OpenFile) -> Result<Handle, FsError> {
        self.check_room()?;
        let mut n = self.next;
        while n == 0 || self.open.iter().any(|(h, _)| h.0 == n) {
            n = n.wrapping_add(1);
        }
        self.next = n.wrapping_add(1);
        self.open.push((Handle(n), file));
        Ok(Handle(n))
    }

    /// The open file behind `h`.
    pub fn get(&self, h: Handle) -> Result<&OpenFile, FsError> {
        self.open
            .iter()
            .find(|(x, _)| *x == h)
            .map(|(_, f)| f)
            .ok_or(FsError::BadHandle)
    }

    pub(crate) fn get_mut(&mut self, h: Handle) -> Result<&mut OpenFile, FsError> {
        self.open
            .iter_mut()
            .find(|(x, _)| *x == h)
            .map(|(_, f)| f)
            .ok_or(FsError::BadHandle)
    }

    /// Moves the position of `h` (checked against the largest file size).
    pub fn seek(&mut self, h: Handle, position: u64) -> Result<(), FsError> {
        if position > FILE_MAX {
            return Err(FsError::BadOffset);
        }
        self.get_mut(h)?.position = position;
        Ok(())
    }

    /// Closes `h`. Nothing to write: every write was committed when it
    /// returned.
    pub fn close(&mut self, h: Handle) -> Result<(), FsError> {
        let i = self.open.iter().position(|(x, _)| *x == h).ok_or(FsError::BadHandle)?;
        self.open.swap_remove(i);
        Ok(())
    }

    /// The open handles, in no particular order.
    pub fn handles(&self) -> impl Iterator<Item = (Handle, &OpenFile)> {
        self.open.iter().map(|(h, f)| (*h, f))
    }
}

impl Default for Session {
    fn default() -> Session {
        Session::new(DEFAULT_HANDLE_LIMIT)
    }
}
