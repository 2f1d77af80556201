//! Command codes, status codes and open flags, with their numeric values.

/// The command codes (`FS_CMD_*`), in the order LionsOS numbers them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u64)]
pub enum CommandKind {
    Initialise = 0,
    Deinitialise = 1,
    FileOpen = 2,
    FileClose = 3,
    Stat = 4,
    FileRead = 5,
    FileWrite = 6,
    FileSize = 7,
    Rename = 8,
    FileRemove = 9,
    FileTruncate = 10,
    DirCreate = 11,
    DirRemove = 12,
    DirOpen = 13,
    DirClose = 14,
    FileSync = 15,
    DirRead = 16,
    DirSeek = 17,
    DirTell = 18,
    DirRewind = 19,
}

/// `FS_NUM_COMMANDS`: every code at or above this is unknown.
pub const NUM_COMMANDS: u64 = 20;

impl CommandKind {
    /// Every command, in code order.
    pub const ALL: [CommandKind; NUM_COMMANDS as usize] = [
        CommandKind::Initialise,
        CommandKind::Deinitialise,
        CommandKind::FileOpen,
        CommandKind::FileClose,
        CommandKind::Stat,
        CommandKind::FileRead,
        CommandKind::FileWrite,
        CommandKind::FileSize,
        CommandKind::Rename,
        CommandKind::FileRemove,
        CommandKind::FileTruncate,
        CommandKind::DirCreate,
        CommandKind::DirRemove,
        CommandKind::DirOpen,
        CommandKind::DirClose,
        CommandKind::FileSync,
        CommandKind::DirRead,
        CommandKind::DirSeek,
        CommandKind::DirTell,
        CommandKind::DirRewind,
    ];

    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The command with this code, or `None` for a code LionsOS does not
    /// define.
    pub fn from_code(code: u64) -> Option<CommandKind> {
        usize::try_from(code).ok().and_then(|i| Self::ALL.get(i).copied())
    }

    /// The C enumerator's name, for logs.
    pub const fn c_name(self) -> &'static str {
        match self {
            CommandKind::Initialise => "FS_CMD_INITIALISE",
            CommandKind::Deinitialise => "FS_CMD_DEINITIALISE",
            CommandKind::FileOpen => "FS_CMD_FILE_OPEN",
            CommandKind::FileClose => "FS_CMD_FILE_CLOSE",
            CommandKind::Stat => "FS_CMD_STAT",
            CommandKind::FileRead => "FS_CMD_FILE_READ",
            CommandKind::FileWrite => "FS_CMD_FILE_WRITE",
            CommandKind::FileSize => "FS_CMD_FILE_SIZE",
            CommandKind::Rename => "FS_CMD_RENAME",
            CommandKind::FileRemove => "FS_CMD_FILE_REMOVE",
            CommandKind::FileTruncate => "FS_CMD_FILE_TRUNCATE",
            CommandKind::DirCreate => "FS_CMD_DIR_CREATE",
            CommandKind::DirRemove => "FS_CMD_DIR_REMOVE",
            CommandKind::DirOpen => "FS_CMD_DIR_OPEN",
            CommandKind::DirClose => "FS_CMD_DIR_CLOSE",
            CommandKind::FileSync => "FS_CMD_FILE_SYNC",
            CommandKind::DirRead => "FS_CMD_DIR_READ",
            CommandKind::DirSeek => "FS_CMD_DIR_SEEK",
            CommandKind::DirTell => "FS_CMD_DIR_TELL",
            CommandKind::DirRewind => "FS_CMD_DIR_REWIND",
        }
    }
}

/// `FS_STATUS_SUCCESS`: the one status that is not an [`FsError`].
pub const STATUS_SUCCESS: u64 = 0;
/// `FS_STATUS_NUM_STATUSES`: every status at or above this is unknown.
pub const NUM_STATUSES: u64 = 19;

/// The failure statuses (`FS_STATUS_*` other than `SUCCESS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u64)]
pub enum FsError {
    /// `FS_STATUS_ERROR`: failed for a reason no other code names.
    Error = 1,
    /// `FS_STATUS_INVALID_BUFFER`: a data buffer is outside the client's
    /// region, empty, or too small for the result.
    InvalidBuffer = 2,
    /// `FS_STATUS_INVALID_PATH`: a path buffer is outside the region,
    /// empty, too long, or its contents are not a path.
    InvalidPath = 3,
    /// `FS_STATUS_INVALID_FD`: no such open file or directory.
    InvalidFd = 4,
    /// `FS_STATUS_ALLOCATION_ERROR`: the server ran out of memory.
    AllocationError = 5,
    /// `FS_STATUS_OUTSTANDING_OPERATIONS`: close while other commands on
    /// the descriptor are still running.
    OutstandingOperations = 6,
    /// `FS_STATUS_INVALID_NAME`.
    InvalidName = 7,
    /// `FS_STATUS_TOO_MANY_OPEN_FILES`.
    TooManyOpenFiles = 8,
    /// `FS_STATUS_SERVER_WAS_DENIED`: the backing store refused.
    ServerWasDenied = 9,
    /// `FS_STATUS_INVALID_WRITE`: the file is not open for writing.
    InvalidWrite = 10,
    /// `FS_STATUS_INVALID_READ`: the file is not open for reading.
    InvalidRead = 11,
    /// `FS_STATUS_DIRECTORY_IS_FULL`.
    DirectoryIsFull = 12,
    /// `FS_STATUS_INVALID_COMMAND`: unknown command code, or arguments
    /// no path or buffer status covers (Pride: bad open flags, a negative
    /// seek location, a file range past 2^64).
    InvalidCommand = 13,
    /// `FS_STATUS_END_OF_DIRECTORY`: a directory read found no more entries.
    EndOfDirectory = 14,
    /// `FS_STATUS_NO_FILE`.
    NoFile = 15,
    /// `FS_STATUS_NOT_DIRECTORY`.
    NotDirectory = 16,
    /// `FS_STATUS_ALREADY_EXISTS`.
    AlreadyExists = 17,
    /// `FS_STATUS_NOT_EMPTY`.
    NotEmpty = 18,
}

impl FsError {
    /// Every failure status, in code order (codes 1 to 18).
    pub const ALL: [FsError; (NUM_STATUSES - 1) as usize] = [
        FsError::Error,
        FsError::InvalidBuffer,
        FsError::InvalidPath,
        FsError::InvalidFd,
        FsError::AllocationError,
        FsError::OutstandingOperations,
        FsError::InvalidName,
        FsError::TooManyOpenFiles,
        FsError::ServerWasDenied,
        FsError::InvalidWrite,
        FsError::InvalidRead,
        FsError::DirectoryIsFull,
        FsError::InvalidCommand,
        FsError::EndOfDirectory,
        FsError::NoFile,
        FsError::NotDirectory,
        FsError::AlreadyExists,
        FsError::NotEmpty,
    ];

    pub const fn code(self) -> u64 {
        self as u64
    }

    /// The failure with this status code; `None` for success (0) and for
    /// codes LionsOS does not define.
    pub fn from_code(code: u64) -> Option<FsError> {
        let index = usize::try_from(code.checked_sub(1)?).ok()?;
        Self::ALL.get(index).copied()
    }

    /// The C enumerator's name, for logs.
    pub const fn c_name(self) -> &'static str {
        match self {
            FsError::Error => "FS_STATUS_ERROR",
            FsError::InvalidBuffer => "FS_STATUS_INVALID_BUFFER",
            FsError::InvalidPath => "FS_STATUS_INVALID_PATH",
            FsError::InvalidFd => "FS_STATUS_INVALID_FD",
            FsError::AllocationError => "FS_STATUS_ALLOCATION_ERROR",
            FsError::OutstandingOperations => "FS_STATUS_OUTSTANDING_OPERATIONS",
            FsError::InvalidName => "FS_STATUS_INVALID_NAME",
            FsError::TooManyOpenFiles => "FS_STATUS_TOO_MANY_OPEN_FILES",
            FsError::ServerWasDenied => "FS_STATUS_SERVER_WAS_DENIED",
            FsError::InvalidWrite => "FS_STATUS_INVALID_WRITE",
            FsError::InvalidRead => "FS_STATUS_INVALID_READ",
            FsError::DirectoryIsFull => "FS_STATUS_DIRECTORY_IS_FULL",
            FsError::InvalidCommand => "FS_STATUS_INVALID_COMMAND",
            FsError::EndOfDirectory => "FS_STATUS_END_OF_DIRECTORY",
            FsError::NoFile => "FS_STATUS_NO_FILE",
            FsError::NotDirectory => "FS_STATUS_NOT_DIRECTORY",
            FsError::AlreadyExists => "FS_STATUS_ALREADY_EXISTS",
            FsError::NotEmpty => "FS_STATUS_NOT_EMPTY",
        }
    }

    /// A one-line description, for logs.
    pub const fn description(self) -> &'static str {
        match self {
            FsError::Error => "the operation failed",
            FsError::InvalidBuffer => "the client's buffer is invalid",
            FsError::InvalidPath => "the client's path or path buffer is invalid",
            FsError::InvalidFd => "the client's file descriptor is invalid",
            FsError::AllocationError => "the server could not allocate",
            FsError::OutstandingOperations => "the descriptor still has operations in flight",
            FsError::InvalidName => "the client's file name is invalid",
            FsError::TooManyOpenFiles => "the server has too many files open",
            FsError::ServerWasDenied => "the backing store refused the server",
            FsError::InvalidWrite => "the file is not open for writing",
            FsError::InvalidRead => "the file is not open for reading",
            FsError::DirectoryIsFull => "the directory is full",
            FsError::InvalidCommand => "the command is invalid",
            FsError::EndOfDirectory => "end of directory",
            FsError::NoFile => "no such file",
            FsError::NotDirectory => "not a directory",
            FsError::AlreadyExists => "the file or directory already exists",
            FsError::NotEmpty => "the directory is not empty",
        }
    }
}

/// A description of any status code, known or not (what
/// `fs_status_to_str` is for in C).
pub fn status_description(code: u64) -> &'static str {
    if code == STATUS_SUCCESS {
        return "success";
    }
    match FsError::from_code(code) {
        Some(error) => error.description(),
        None => "unknown status code",
    }
}

/// `FS_OPEN_FLAGS_READ_ONLY`, `_WRITE_ONLY`, `_READ_WRITE`: the access mode,
/// in the low two bits of the flags.
pub const OPEN_FLAGS_READ_ONLY: u64 = 0;
pub const OPEN_FLAGS_WRITE_ONLY: u64 = 1;
pub const OPEN_FLAGS_READ_WRITE: u64 = 2;
/// `FS_OPEN_FLAGS_CREATE`: create the file if it does not exist.
pub const OPEN_FLAGS_CREATE: u64 = 4;
/// Bits of the access mode field.
pub const OPEN_FLAGS_ACCESS_MASK: u64 = 3;
/// Every bit LionsOS defines; Pride rejects flags with any other bit set.
pub const OPEN_FLAGS_KNOWN: u64 = OPEN_FLAGS_ACCESS_MASK | OPEN_FLAGS_CREATE;

/// How a file is opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Access {
    ReadOnly,
    WriteOnly,
    ReadWrite,
}

/// Validated open flags: an access mode and whether to create.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpenFlags {
    pub access: Access,
    pub create: bool,
}

impl OpenFlags {
    /// Decodes the flags word. Fails (returning it) on an unknown bit or on
    /// access mode 3, which LionsOS leaves undefined.
    pub fn from_raw(raw: u64) -> Result<OpenFlags, u64> {
        if raw & !OPEN_FLAGS_KNOWN != 0 {
            return Err(raw);
        }
        let access = match raw & OPEN_FLAGS_ACCESS_MASK {
            OPEN_FLAGS_READ_ONLY => Access::ReadOnly,
            OPEN_FLAGS_WRITE_ONLY => Access::WriteOnly,
            OPEN_FLAGS_READ_WRITE => Access::ReadWrite,
            _ => return Err(raw),
        };
        Ok(OpenFlags {
            access,
            create: raw & OPEN_FLAGS_CREATE != 0,
        })
    }

    pub const fn to_raw(self) -> u64 {
        let access = match self.access {
            Access::ReadOnly => OPEN_FLAGS_READ_ONLY,
            Access::WriteOnly => OPEN_FLAGS_WRITE_ONLY,
            Access::ReadWrite => OPEN_FLAGS_READ_WRITE,
        };
        if self.create {
            access | OPEN_FLAGS_CREATE
        } else {
            access
        }
    }

    pub const fn readable(self) -> bool {
        matches!(self.access, Access::ReadOnly | Access::ReadWrite)
    }

    pub const fn writable(self) -> bool {
        matches!(self.access, Access::WriteOnly | Access::ReadWrite)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_codes_are_lionsos_numbering() {
        for (code, kind) in CommandKind::ALL.iter().enumerate() {
            assert_eq!(kind.code(), code as u64);
            assert_eq!(CommandKind::from_code(code as u64), Some(*kind));
        }
        assert_eq!(CommandKind::FileOpen.code(), 2);
        assert_eq!(CommandKind::DirRead.code(), 16);
        assert_eq!(CommandKind::DirRewind.code(), 19);
        assert_eq!(CommandKind::from_code(NUM_COMMANDS), None);
        assert_eq!(CommandKind::from_code(u64::MAX), None);
    }

    #[test]
    fn status_codes_are_lionsos_numbering() {
        assert_eq!(FsError::from_code(STATUS_SUCCESS), None);
        for (i, error) in FsError::ALL.iter().enumerate() {
            assert_eq!(error.code(), i as u64 + 1);
            assert_eq!(FsError::from_code(error.code()), Some(*error));
        }
        assert_eq!(FsError::InvalidCommand.code(), 13);
        assert_eq!(FsError::NotEmpty.code(), 18);
        assert_eq!(FsError::from_code(NUM_STATUSES), None);
        assert_eq!(FsError::from_code(u64::MAX), None);
        assert_eq!(status_description(0), "success");
        assert_eq!(status_description(99), "unknown status code");
    }

    #[test]
    fn open_flags_accept_exactly_the_defined_combinations() {
        for raw in 0..64u64 {
            let ok = raw & !7 == 0 && raw & 3 != 3;
            let decoded = OpenFlags::from_raw(raw);
            assert_eq!(decoded.is_ok(), ok, "flags {raw:#x}");
            if let Ok(flags) = decoded {
                assert_eq!(flags.to_raw(), raw);
            }
        }
        let rw = OpenFlags::from_raw(OPEN_FLAGS_READ_WRITE | OPEN_FLAGS_CREATE).unwrap();
        assert!(rw.readable() && rw.writable() && rw.create);
        assert_eq!(OpenFlags::from_raw(1 << 63), Err(1 << 63));
    }
}
