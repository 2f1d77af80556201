//! Commands: the typed form, the validating decoder for commands from an
//! untrusted client (server side) and the encoder (client side).
//!
//! ## Validation (Pride's rules)
//!
//! [`decode_command`] accepts a command only if all of these hold, checking
//! in this order and reporting the first that fails:
//!
//! | check | failure status |
//! | --- | --- |
//! | the message is exactly [`MSG_SIZE`] bytes | `INVALID_COMMAND` (no id) |
//! | `type < FS_NUM_COMMANDS` | `INVALID_COMMAND` |
//! | every path buffer: `size != 0`, `offset < share_size`, `size <= share_size - offset`, `size <= FS_MAX_PATH_LENGTH` | `INVALID_PATH` |
//! | every data buffer: `size != 0`, `offset < share_size`, `size <= share_size - offset` | `INVALID_BUFFER` |
//! | stat: the buffer holds a whole `fs_stat_t` (136 bytes) | `INVALID_BUFFER` |
//! | dir read: the buffer holds the longest name (`FS_MAX_NAME_LENGTH`, 255 bytes) | `INVALID_BUFFER` |
//! | read/write: `offset + buf.size` does not overflow 64 bits | `INVALID_COMMAND` |
//! | open: no flag bits but the access mode (0, 1, 2) and `CREATE` | `INVALID_COMMAND` |
//! | dir seek: `loc >= 0` | `INVALID_COMMAND` |
//!
//! The region checks are LionsOS's own (`fs_get_client_buffer`,
//! `fs_copy_client_path`); the stat and dir-read minimums are what its FAT
//! and NFS servers require; the last three are Pride's additions (LionsOS
//! servers pass such values on to their back ends). Bytes of the
//! parameter block that the command does not use are ignored, as in C.
//!
//! What decoding cannot check is left to the server: whether a descriptor
//! is open (`INVALID_FD`), and the *contents* of a path, which live in
//! shared memory the client can change at any time: copy them out first
//! with [`copy_path`](crate::share::copy_path), which also rejects NUL
//! bytes.

use crate::codes::{CommandKind, FsError, OpenFlags};
use crate::layout::{buffer, cmd, params, MSG_SIZE};
use crate::wire::{exact, get, put, word_at, Message};
use crate::{MAX_NAME_LENGTH, MAX_PATH_LENGTH};

/// `fs_buffer_t`: a byte range in the client's shared data region, as the
/// client wrote it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Buffer {
    pub offset: u64,
    pub size: u64,
}

/// Why a buffer was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum BufferFault {
    /// `size` is zero.
    Empty,
    /// The range does not lie inside the `share_size`-byte data region.
    OutsideRegion { offset: u64, size: u64, share_size: u64 },
    /// A path buffer longer than [`MAX_PATH_LENGTH`].
    PathTooLong { size: u64 },
    /// The buffer cannot hold the result (`needed` bytes).
    TooSmall { size: u64, needed: u64 },
    /// A path whose contents hold a NUL byte at `at` (found when copying it
    /// out, see [`copy_path`](crate::share::copy_path)).
    ContainsNul { at: usize },
}

impl Buffer {
    pub const fn new(offset: u64, size: u64) -> Buffer {
        Buffer { offset, size }
    }

    /// Checks that the buffer is a non-empty range inside a data region of
    /// `share_size` bytes.
    pub fn check(self, share_size: u64) -> Result<(), BufferFault> {
        if self.size == 0 {
            return Err(BufferFault::Empty);
        }
        if self.offset >= share_size || self.size > share_size - self.offset {
            return Err(BufferFault::OutsideRegion {
                offset: self.offset,
                size: self.size,
                share_size,
            });
        }
        Ok(())
    }

    /// [`check`](Buffer::check), and at most [`MAX_PATH_LENGTH`] bytes.
    pub fn check_path(self, share_size: u64) -> Result<(), BufferFault> {
        self.check(share_size)?;
        if self.size > MAX_PATH_LENGTH {
            return Err(BufferFault::PathTooLong { size: self.size });
        }
        Ok(())
    }

    /// [`check`](Buffer::check), and at least `needed` bytes.
    pub fn check_at_least(self, share_size: u64, needed: u64) -> Result<(), BufferFault> {
        self.check(share_size)?;
        if self.size < needed {
            return Err(BufferFault::TooSmall {
                size: self.size,
                needed,
            });
        }
        Ok(())
    }

    /// The buffer as a range of `usize` offsets into the region, once it
    /// passed [`check`](Buffer::check) (`None` if it does not fit `usize`).
    pub fn range(self) -> Option<core::ops::Range<usize>> {
        let start = usize::try_from(self.offset).ok()?;
        let end = start.checked_add(usize::try_from(self.size).ok()?)?;
        Some(start..end)
    }

    fn read(msg: &Message, at: usize) -> Buffer {
        Buffer {
            offset: get(msg, at + buffer::OFFSET),
            size: get(msg, at + buffer::SIZE),
        }
    }

    fn write(self, msg: &mut Message, at: usize) {
        put(msg, at + buffer::OFFSET, self.offset);
        put(msg, at + buffer::SIZE, self.size);
    }
}

/// Which path argument of a command a fault is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PathArg {
    Path,
    OldPath,
    NewPath,
}

/// A command's operation and its arguments. Descriptors are the server's
/// numbers, as returned by an open; paths and data are buffers in the
/// client's region. Paths are not NUL-terminated: `size` is the length.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    /// Mount the file system; the first command a client sends.
    Initialise,
    /// Unmount it.
    Deinitialise,
    FileOpen {
        path: Buffer,
        flags: OpenFlags,
    },
    FileClose {
        fd: u64,
    },
    /// Write the `fs_stat_t` of `path` into `buf`.
    Stat {
        path: Buffer,
        buf: Buffer,
    },
    /// Read up to `buf.size` bytes at file offset `offset` into `buf`.
    FileRead {
        fd: u64,
        offset: u64,
        buf: Buffer,
    },
    /// Write the `buf.size` bytes in `buf` at file offset `offset`.
    FileWrite {
        fd: u64,
        offset: u64,
        buf: Buffer,
    },
    FileSize {
        fd: u64,
    },
    Rename {
        old_path: Buffer,
        new_path: Buffer,
    },
    FileRemove {
        path: Buffer,
    },
    /// Set the file's length to `length`.
    FileTruncate {
        fd: u64,
        length: u64,
    },
    DirCreate {
        path: Buffer,
    },
    DirRemove {
        path: Buffer,
    },
    DirOpen {
        path: Buffer,
    },
    DirClose {
        fd: u64,
    },
    FileSync {
        fd: u64,
    },
    /// Write the next entry's name (no NUL) into `buf`.
    DirRead {
        fd: u64,
        buf: Buffer,
    },
    /// Move to a position a `DirTell` returned.
    DirSeek {
        fd: u64,
        loc: i64,
    },
    DirTell {
        fd: u64,
    },
    DirRewind {
        fd: u64,
    },
}

impl Op {
    pub const fn kind(&self) -> CommandKind {
        match self {
            Op::Initialise => CommandKind::Initialise,
            Op::Deinitialise => CommandKind::Deinitialise,
            Op::FileOpen { .. } => CommandKind::FileOpen,
            Op::FileClose { .. } => CommandKind::FileClose,
            Op::Stat { .. } => CommandKind::Stat,
            Op::FileRead { .. } => CommandKind::FileRead,
            Op::FileWrite { .. } => CommandKind::FileWrite,
            Op::FileSize { .. } => CommandKind::FileSize,
            Op::Rename { .. } => CommandKind::Rename,
            Op::FileRemove { .. } => CommandKind::FileRemove,
            Op::FileTruncate { .. } => CommandKind::FileTruncate,
            Op::DirCreate { .. } => CommandKind::DirCreate,
            Op::DirRemove { .. } => CommandKind::DirRemove,
            Op::DirOpen { .. } => CommandKind::DirOpen,
            Op::DirClose { .. } => CommandKind::DirClose,
            Op::FileSync { .. } => CommandKind::FileSync,
            Op::DirRead { .. } => CommandKind::DirRead,
            Op::DirSeek { .. } => CommandKind::DirSeek,
            Op::DirTell { .. } => CommandKind::DirTell,
            Op::DirRewind { .. } => CommandKind::DirRewind,
        }
    }
}

/// A command: the client's request id and the operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Command {
    /// Chosen by the client (LionsOS's helpers use 0 to
    /// `FS_QUEUE_CAPACITY - 1`); the server echoes it and gives it no other
    /// meaning.
    pub id: u64,
    pub op: Op,
}

/// What is wrong with a command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// The message is not [`MSG_SIZE`] bytes (a caller's bug: queue slots
    /// always are).
    WrongLength { len: usize },
    /// `type` is not a command code.
    UnknownCommand { code: u64 },
    /// A path argument's buffer.
    Path { arg: PathArg, fault: BufferFault },
    /// The data buffer.
    Buffer { fault: BufferFault },
    /// Open flags with undefined bits, or access mode 3.
    OpenFlags { raw: u64 },
    /// A directory seek to a negative location.
    NegativeSeek { loc: i64 },
    /// A read or write whose file range `offset .. offset + size` passes
    /// 2^64.
    FileRangeOverflow { offset: u64, size: u64 },
}

impl ErrorKind {
    /// The status the server answers with.
    pub const fn status(&self) -> FsError {
        match self {
            ErrorKind::Path { .. } => FsError::InvalidPath,
            ErrorKind::Buffer { .. } => FsError::InvalidBuffer,
            ErrorKind::WrongLength { .. }
            | ErrorKind::UnknownCommand { .. }
            | ErrorKind::OpenFlags { .. }
            | ErrorKind::NegativeSeek { .. }
            | ErrorKind::FileRangeOverflow { .. } => FsError::InvalidCommand,
        }
    }
}

/// A command that was refused. The client that wrote it is to blame
/// (except for `WrongLength`); the server answers it with a completion
/// carrying `id` and [`status`](ProtocolError::status), see
/// [`Completion::refusal`](crate::Completion::refusal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ProtocolError {
    /// The command's id, when the message was long enough to hold one.
    pub id: Option<u64>,
    pub kind: ErrorKind,
}

impl ProtocolError {
    pub const fn status(&self) -> FsError {
        self.kind.status()
    }
}

/// Decodes and validates a command from a client whose data region is
/// `share_size` bytes (server side). Any bytes give a `Command` that passes
/// every rule in the module doc, or an error; never a panic.
pub fn decode_command(raw: &[u8], share_size: u64) -> Result<Command, ProtocolError> {
    let Some(msg) = exact(raw) else {
        return Err(ProtocolError {
            id: word_at(raw, cmd::ID),
            kind: ErrorKind::WrongLength { len: raw.len() },
        });
    };
    let id = get(msg, cmd::ID);
    let fail = |kind| ProtocolError { id: Some(id), kind };
    let op = parse_op(msg).map_err(fail)?;
    let command = Command { id, op };
    command.validate(share_size).map_err(fail)?;
    Ok(command)
}

/// Reads the operation without checking buffers against a region.
fn parse_op(msg: &Message) -> Result<Op, ErrorKind> {
    let code = get(msg, cmd::TYPE);
    let kind = CommandKind::from_code(code).ok_or(ErrorKind::UnknownCommand { code })?;
    let p = cmd::PARAMS;
    let word = |at: usize| get(msg, p + at);
    let buf = |at: usize| Buffer::read(msg, p + at);
    Ok(match kind {
        CommandKind::Initialise => Op::Initialise,
        CommandKind::Deinitialise => Op::Deinitialise,
        CommandKind::FileOpen => {
            let raw = word(params::file_open::FLAGS);
            Op::FileOpen {
                path: buf(params::file_open::PATH),
                flags: OpenFlags::from_raw(raw).map_err(|raw| ErrorKind::OpenFlags { raw })?,
            }
        }
        CommandKind::FileClose => Op::FileClose {
            fd: word(params::file_close::FD),
        },
        CommandKind::Stat => Op::Stat {
            path: buf(params::stat::PATH),
            buf: buf(params::stat::BUF),
        },
        CommandKind::FileRead => Op::FileRead {
            fd: word(params::file_read::FD),
            offset: word(params::file_read::OFFSET),
            buf: buf(params::file_read::BUF),
        },
        CommandKind::FileWrite => Op::FileWrite {
            fd: word(params::file_write::FD),
            offset: word(params::file_write::OFFSET),
            buf: buf(params::file_write::BUF),
        },
        CommandKind::FileSize => Op::FileSize {
            fd: word(params::file_size::FD),
        },
        CommandKind::Rename => Op::Rename {
            old_path: buf(params::rename::OLD_PATH),
            new_path: buf(params::rename::NEW_PATH),
        },
        CommandKind::FileRemove => Op::FileRemove {
            path: buf(params::file_remove::PATH),
        },
        CommandKind::FileTruncate => Op::FileTruncate {
            fd: word(params::file_truncate::FD),
            length: word(params::file_truncate::LENGTH),
        },
        CommandKind::DirCreate => Op::DirCreate {
            path: buf(params::dir_create::PATH),
        },
        CommandKind::DirRemove => Op::DirRemove {
            path: buf(params::dir_remove::PATH),
        },
        CommandKind::DirOpen => Op::DirOpen {
            path: buf(params::dir_open::PATH),
        },
        CommandKind::DirClose => Op::DirClose {
            fd: word(params::dir_close::FD),
        },
        CommandKind::FileSync => Op::FileSync {
            fd: word(params::file_sync::FD),
        },
        CommandKind::DirRead => Op::DirRead {
            fd: word(params::dir_read::FD),
            buf: buf(params::dir_read::BUF),
        },
        CommandKind::DirSeek => Op::DirSeek {
            fd: word(params::dir_seek::FD),
            // The C field is int64_t: the same bits, read as signed.
            loc: i64::from_le_bytes(word(params::dir_seek::LOC).to_le_bytes()),
        },
        CommandKind::DirTell => Op::DirTell {
            fd: word(params::dir_tell::FD),
        },
        CommandKind::DirRewind => Op::DirRewind {
            fd: word(params::dir_rewind::FD),
        },
    })
}

fn path(arg: PathArg, buf: Buffer, share_size: u64) -> Result<(), ErrorKind> {
    buf.check_path(share_size)
        .map_err(|fault| ErrorKind::Path { arg, fault })
}

fn data(buf: Buffer, share_size: u64, needed: u64) -> Result<(), ErrorKind> {
    buf.check_at_least(share_size, needed)
        .map_err(|fault| ErrorKind::Buffer { fault })
}

fn file_range(offset: u64, buf: Buffer) -> Result<(), ErrorKind> {
    match offset.checked_add(buf.size) {
        Some(_) => Ok(()),
        None => Err(ErrorKind::FileRangeOverflow { offset, size: buf.size }),
    }
}

impl Command {
    pub const fn kind(&self) -> CommandKind {
        self.op.kind()
    }

    /// Checks the rules of the module doc against a data region of
    /// `share_size` bytes. [`decode_command`] applies it to every command;
    /// a client may apply it before sending.
    pub fn validate(&self, share_size: u64) -> Result<(), ErrorKind> {
        match self.op {
            Op::Initialise | Op::Deinitialise => Ok(()),
            // The flags are an `OpenFlags`, valid by construction.
            Op::FileOpen { path: p, .. } => path(PathArg::Path, p, share_size),
            Op::Stat { path: p, buf } => {
                path(PathArg::Path, p, share_size)?;
                data(buf, share_size, crate::layout::stat::SIZEOF as u64)
            }
            Op::FileRead { offset, buf, .. } | Op::FileWrite { offset, buf, .. } => {
                data(buf, share_size, 1)?;
                file_range(offset, buf)
            }
            Op::Rename { old_path, new_path } => {
                path(PathArg::OldPath, old_path, share_size)?;
                path(PathArg::NewPath, new_path, share_size)
            }
            Op::FileRemove { path: p }
            | Op::DirCreate { path: p }
            | Op::DirRemove { path: p }
            | Op::DirOpen { path: p } => path(PathArg::Path, p, share_size),
            Op::DirRead { buf, .. } => data(buf, share_size, MAX_NAME_LENGTH),
            Op::DirSeek { loc, .. } if loc < 0 => Err(ErrorKind::NegativeSeek { loc }),
            Op::FileClose { .. }
            | Op::FileSize { .. }
            | Op::FileTruncate { .. }
            | Op::DirClose { .. }
            | Op::FileSync { .. }
            | Op::DirSeek { .. }
            | Op::DirTell { .. }
            | Op::DirRewind { .. } => Ok(()),
        }
    }

    /// The command as a queue slot's bytes (client side). Parameter bytes
    /// the operation does not use are zero. Encoding does not validate: see
    /// [`validate`](Command::validate).
    pub fn encode(&self) -> Message {
        let mut msg = [0u8; MSG_SIZE];
        put(&mut msg, cmd::ID, self.id);
        put(&mut msg, cmd::TYPE, self.kind().code());
        let p = cmd::PARAMS;
        match self.op {
            Op::Initialise | Op::Deinitialise => {}
            Op::FileOpen { path, flags } => {
                path.write(&mut msg, p + params::file_open::PATH);
                put(&mut msg, p + params::file_open::FLAGS, flags.to_raw());
            }
            Op::Stat { path, buf } => {
                path.write(&mut msg, p + params::stat::PATH);
                buf.write(&mut msg, p + params::stat::BUF);
            }
            Op::FileRead { fd, offset, buf } => {
                put(&mut msg, p + params::file_read::FD, fd);
                put(&mut msg, p + params::file_read::OFFSET, offset);
                buf.write(&mut msg, p + params::file_read::BUF);
            }
            Op::FileWrite { fd, offset, buf } => {
                put(&mut msg, p + params::file_write::FD, fd);
                put(&mut msg, p + params::file_write::OFFSET, offset);
                buf.write(&mut msg, p + params::file_write::BUF);
            }
            Op::Rename { old_path, new_path } => {
                old_path.write(&mut msg, p + params::rename::OLD_PATH);
                new_path.write(&mut msg, p + params::rename::NEW_PATH);
            }
            Op::FileRemove { path } => path.write(&mut msg, p + params::file_remove::PATH),
            Op::DirCreate { path } => path.write(&mut msg, p + params::dir_create::PATH),
            Op::DirRemove { path } => path.write(&mut msg, p + params::dir_remove::PATH),
            Op::DirOpen { path } => path.write(&mut msg, p + params::dir_open::PATH),
            Op::FileTruncate { fd, length } => {
                put(&mut msg, p + params::file_truncate::FD, fd);
                put(&mut msg, p + params::file_truncate::LENGTH, length);
            }
            Op::DirRead { fd, buf } => {
                put(&mut msg, p + params::dir_read::FD, fd);
                buf.write(&mut msg, p + params::dir_read::BUF);
            }
            Op::DirSeek { fd, loc } => {
                put(&mut msg, p + params::dir_seek::FD, fd);
                put(
                    &mut msg,
                    p + params::dir_seek::LOC,
                    u64::from_le_bytes(loc.to_le_bytes()),
                );
            }
            // Every remaining operation has just a descriptor, at offset 0.
            Op::FileClose { fd }
            | Op::FileSize { fd }
            | Op::DirClose { fd }
            | Op::FileSync { fd }
            | Op::DirTell { fd }
            | Op::DirRewind { fd } => put(&mut msg, p, fd),
        }
        msg
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Access;

    const SHARE: u64 = 0x10000;

    fn raw(id: u64, code: u64, words: &[u64]) -> Message {
        let mut msg = [0u8; MSG_SIZE];
        put(&mut msg, cmd::ID, id);
        put(&mut msg, cmd::TYPE, code);
        for (i, w) in words.iter().enumerate() {
            put(&mut msg, cmd::PARAMS + 8 * i, *w);
        }
        msg
    }

    #[test]
    fn a_write_as_the_posix_library_sends_it() {
        // fd 3, file offset 100, 5 bytes at 0x8000 of the region.
        let msg = raw(7, 6, &[3, 100, 0x8000, 5]);
        let command = decode_command(&msg, SHARE).unwrap();
        assert_eq!(
            command,
            Command {
                id: 7,
                op: Op::FileWrite {
                    fd: 3,
                    offset: 100,
                    buf: Buffer::new(0x8000, 5)
                }
            }
        );
        assert_eq!(command.encode(), msg);
    }

    #[test]
    fn open_reads_path_then_flags() {
        let msg = raw(1, 2, &[0, 9, 2 | 4]);
        let command = decode_command(&msg, SHARE).unwrap();
        let Op::FileOpen { path, flags } = command.op else {
            panic!("{command:?}");
        };
        assert_eq!(path, Buffer::new(0, 9));
        assert_eq!(flags.access, Access::ReadWrite);
        assert!(flags.create);
    }

    #[test]
    fn unused_parameter_bytes_are_ignored() {
        let msg = raw(1, 3, &[4, 0xdead, 0xbeef, 1, 2, 3]);
        assert_eq!(decode_command(&msg, SHARE).unwrap().op, Op::FileClose { fd: 4 });
    }

    fn refused(msg: &Message) -> ErrorKind {
        let error = decode_command(msg, SHARE).unwrap_err();
        assert_eq!(error.id, Some(get(msg, cmd::ID)));
        error.kind
    }

    #[test]
    fn each_rule_refuses_with_the_status_lionsos_uses() {
        let unknown = refused(&raw(1, 20, &[]));
        assert_eq!(unknown, ErrorKind::UnknownCommand { code: 20 });
        assert_eq!(unknown.status(), FsError::InvalidCommand);

        let empty_path = refused(&raw(2, 13, &[0, 0]));
        assert_eq!(empty_path.status(), FsError::InvalidPath);
        let outside = refused(&raw(2, 13, &[SHARE, 1]));
        assert!(matches!(
            outside,
            ErrorKind::Path {
                fault: BufferFault::OutsideRegion { .. },
                ..
            }
        ));
        let past_end = refused(&raw(2, 13, &[SHARE - 1, 2]));
        assert!(matches!(
            past_end,
            ErrorKind::Path {
                fault: BufferFault::OutsideRegion { .. },
                ..
            }
        ));
        let wrapping = refused(&raw(2, 13, &[u64::MAX, 2]));
        assert!(matches!(
            wrapping,
            ErrorKind::Path {
                fault: BufferFault::OutsideRegion { .. },
                ..
            }
        ));
        let too_long = refused(&raw(2, 13, &[0, MAX_PATH_LENGTH + 1]));
        assert_eq!(
            too_long,
            ErrorKind::Path {
                arg: PathArg::Path,
                fault: BufferFault::PathTooLong {
                    size: MAX_PATH_LENGTH + 1
                }
            }
        );
        assert!(decode_command(&raw(2, 13, &[SHARE - MAX_PATH_LENGTH, MAX_PATH_LENGTH]), SHARE).is_ok());

        let bad_new = refused(&raw(3, 8, &[0, 4, 0, 0]));
        assert!(matches!(
            bad_new,
            ErrorKind::Path {
                arg: PathArg::NewPath,
                ..
            }
        ));

        let small_stat = refused(&raw(4, 4, &[0, 4, 64, 135]));
        assert_eq!(
            small_stat,
            ErrorKind::Buffer {
                fault: BufferFault::TooSmall { size: 135, needed: 136 }
            }
        );
        assert_eq!(small_stat.status(), FsError::InvalidBuffer);
        assert!(decode_command(&raw(4, 4, &[0, 4, 64, 136]), SHARE).is_ok());

        let small_name = refused(&raw(5, 16, &[1, 0, 254]));
        assert_eq!(small_name.status(), FsError::InvalidBuffer);
        assert!(decode_command(&raw(5, 16, &[1, 0, 255]), SHARE).is_ok());

        let empty_read = refused(&raw(6, 5, &[1, 0, 0, 0]));
        assert_eq!(
            empty_read,
            ErrorKind::Buffer {
                fault: BufferFault::Empty
            }
        );
        let overflow = refused(&raw(6, 5, &[1, u64::MAX, 0, 2]));
        assert_eq!(
            overflow,
            ErrorKind::FileRangeOverflow {
                offset: u64::MAX,
                size: 2
            }
        );

        let flags = refused(&raw(7, 2, &[0, 4, 3]));
        assert_eq!(flags, ErrorKind::OpenFlags { raw: 3 });
        assert_eq!(flags.status(), FsError::InvalidCommand);
        assert_eq!(refused(&raw(7, 2, &[0, 4, 8])), ErrorKind::OpenFlags { raw: 8 });

        let seek = refused(&raw(8, 17, &[1, u64::MAX]));
        assert_eq!(seek, ErrorKind::NegativeSeek { loc: -1 });
    }

    #[test]
    fn a_short_message_is_refused_without_panicking() {
        let error = decode_command(&[1, 0, 0, 0, 0, 0, 0, 0, 9], SHARE).unwrap_err();
        assert_eq!(error.id, Some(1));
        assert_eq!(error.kind, ErrorKind::WrongLength { len: 9 });
        assert_eq!(decode_command(&[], SHARE).unwrap_err().id, None);
        assert!(decode_command(&[0; MSG_SIZE + 1], SHARE).is_err());
    }

    #[test]
    fn buffer_ranges_fit_usize() {
        assert_eq!(Buffer::new(8, 4).range(), Some(8..12));
        assert_eq!(Buffer::new(u64::MAX, 4).range(), None);
    }
}
