//! Errors, each saying who is to blame.
//!
//! Wire codes (0 is success):
//!
//! | code | error | blame |
//! | --- | --- | --- |
//! | 1 | `BadPath` | client |
//! | 2 | `NameTooLong` | client |
//! | 3 | `NotFound` | client |
//! | 4 | `Exists` | client |
//! | 5 | `NotADirectory` | client |
//! | 6 | `IsADirectory` | client |
//! | 7 | `NotEmpty` | client |
//! | 8 | `BadHandle` | client |
//! | 9 | `TooManyOpen` | client |
//! | 10 | `BadOffset` | client |
//! | 11 | `BadFlags` | client |
//! | 12 | `WrongMode` | client |
//! | 13 | `TooLarge` | client |
//! | 14 | `Io` | device |
//! | 15 | `Corrupt` | device |
//! | 16 | `NoSpace` | device |
//! | 17 | `DeviceTooSmall` | device |
//! | 18 | `Unformatted` | device |
//! | 19 | `Incompatible` | device |
//! | 20 | `NotMounted` | server |
//! | 21 | `Internal` | server |

use littlefs2::io::Error as LfsError;

/// Who caused an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Blame {
    /// The request was wrong: the client can fix it.
    Client,
    /// The device failed or the disk's contents are wrong or full.
    Device,
    /// The server's own state (not mounted, or a bug).
    Server,
}

/// Why a file-system request failed. [`FsError::code`] is the number to
/// put on the wire; [`FsError::from_code`] reads it back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FsError {
    /// The path breaks the path rules (see [`crate::path`]), or names `/`
    /// where a file or a non-root entry is needed, or moves a directory
    /// into itself.
    BadPath,
    /// A name or the whole path is longer than allowed (also: a rename
    /// would make a path inside the moved directory too long).
    NameTooLong,
    /// Nothing at the path (or at its parent).
    NotFound,
    /// Something is already at the path (exclusive create, mkdir).
    Exists,
    /// A component of the path, or a rename's target, is a file where a
    /// directory is needed.
    NotADirectory,
    /// The path is a directory where a file is needed.
    IsADirectory,
    /// Removing, or renaming onto, a directory that is not empty.
    NotEmpty,
    /// The handle is not open in this session.
    BadHandle,
    /// The session has as many open handles as it may.
    TooManyOpen,
    /// An offset past the end of the file for a write, or past the
    /// largest file size.
    BadOffset,
    /// Open flags that make no sense (see [`crate::OpenFlags`]).
    BadFlags,
    /// Reading a handle not opened for reading, or writing one not opened
    /// for writing.
    WrongMode,
    /// The file would grow past the largest file size (2 GiB − 1).
    TooLarge,
    /// The device failed a request.
    Io,
    /// The disk's contents are not a consistent littlefs.
    Corrupt,
    /// The file system is full.
    NoSpace,
    /// The device is smaller than the file system ([`crate::FS_SECTORS`]).
    DeviceTooSmall,
    /// No file system on the disk (it is blank) and the mount was told not
    /// to format.
    Unformatted,
    /// The disk holds a littlefs of another geometry or version.
    Incompatible,
    /// The file system is not mounted.
    NotMounted,
    /// littlefs answered something fs-core does not expect (a bug).
    Internal,
}

impl FsError {
    /// Every error, in code order.
    pub const ALL: [FsError; 21] = [
        FsError::BadPath,
        FsError::NameTooLong,
        FsError::NotFound,
        FsError::Exists,
        FsError::NotADirectory,
        FsError::IsADirectory,
        FsError::NotEmpty,
        FsError::BadHandle,
        FsError::TooManyOpen,
        FsError::BadOffset,
        FsError::BadFlags,
        FsError::WrongMode,
        FsError::TooLarge,
        FsError::Io,
        FsError::Corrupt,
        FsError::NoSpace,
        FsError::DeviceTooSmall,
        FsError::Unformatted,
        FsError::Incompatible,
        FsError::NotMounted,
        FsError::Internal,
    ];

    /// Who is to blame.
    pub fn blame(self) -> Blame {
        match self {
            FsError::BadPath
            | FsError::NameTooLong
            | FsError::NotFound
            | FsError::Exists
            | FsError::NotADirectory
            | FsError::IsADirectory
            | FsError::NotEmpty
            | FsError::BadHandle
            | FsError::TooManyOpen
            | FsError::BadOffset
            | FsError::BadFlags
            | FsError::WrongMode
            | FsError::TooLarge => Blame::Client,
            FsError::Io
            | FsError::Corrupt
            | FsError::NoSpace
            | FsError::DeviceTooSmall
            | FsError::Unformatted
            | FsError::Incompatible => Blame::Device,
            FsError::NotMounted | FsError::Internal => Blame::Server,
        }
    }

    /// The wire code: 1 + the position in [`FsError::ALL`] (0 is success).
    pub fn code(self) -> u64 {
        FsError::ALL.iter().position(|e| *e == self).map_or(0, |i| i as u64 + 1)
    }

    /// The error with wire code `code`.
    pub fn from_code(code: u64) -> Option<FsError> {
        let i = usize::try_from(code.checked_sub(1)?).ok()?;
        FsError::ALL.get(i).copied()
    }

    /// A short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            FsError::BadPath => "bad path",
            FsError::NameTooLong => "name too long",
            FsError::NotFound => "not found",
            FsError::Exists => "exists",
            FsError::NotADirectory => "not a directory",
            FsError::IsADirectory => "is a directory",
            FsError::NotEmpty => "directory not empty",
            FsError::BadHandle => "bad handle",
            FsError::TooManyOpen => "too many open files",
            FsError::BadOffset => "bad offset",
            FsError::BadFlags => "bad open flags",
            FsError::WrongMode => "handle not open for that",
            FsError::TooLarge => "file too large",
            FsError::Io => "I/O error",
            FsError::Corrupt => "file system corrupt",
            FsError::NoSpace => "no space",
            FsError::DeviceTooSmall => "device too small",
            FsError::Unformatted => "no file system on the disk",
            FsError::Incompatible => "incompatible file system",
            FsError::NotMounted => "not mounted",
            FsError::Internal => "internal error",
        }
    }
}

impl core::fmt::Display for FsError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl From<LfsError> for FsError {
    /// littlefs's error for an operation on a path. (Mounting reads
    /// `INVALID` as [`FsError::Incompatible`] itself.)
    fn from(e: LfsError) -> FsError {
        match e {
            LfsError::IO => FsError::Io,
            LfsError::CORRUPTION => FsError::Corrupt,
            LfsError::NO_SUCH_ENTRY => FsError::NotFound,
            LfsError::ENTRY_ALREADY_EXISTED => FsError::Exists,
            LfsError::PATH_NOT_DIR => FsError::NotADirectory,
            LfsError::PATH_IS_DIR => FsError::IsADirectory,
            LfsError::DIR_NOT_EMPTY => FsError::NotEmpty,
            LfsError::FILE_TOO_BIG => FsError::TooLarge,
            LfsError::INVALID => FsError::BadPath,
            LfsError::NO_SPACE => FsError::NoSpace,
            LfsError::FILENAME_TOO_LONG => FsError::NameTooLong,
            _ => FsError::Internal,
        }
    }
}
