//! Completions: the encoder (server side) and the checking decoder for
//! completions from an untrusted server (client side).
//!
//! A completion carries the command's `id`, a status and one data word
//! whose meaning depends on the command it answers; the message itself does
//! not say which command that was, so the client decodes a completion
//! against the command it sent ([`decode_completion`]), after looking it up
//! by [`completion_id`].
//!
//! | command | data on success |
//! | --- | --- |
//! | file open, dir open | `fd`: the new descriptor |
//! | file read | `len_read` (at most `buf.size`; less at end of file) |
//! | file write | `len_written` (at most `buf.size`) |
//! | file size | `size` in bytes |
//! | dir read | `path_len`: length of the name written into `buf`, no NUL |
//! | dir tell | `location`, for a later dir seek |
//! | the others | nothing (servers leave the word zero, or stale: it is ignored) |
//!
//! On failure the data word means nothing and is ignored; this crate
//! encodes it as zero.

use crate::codes::{FsError, STATUS_SUCCESS};
use crate::command::{Command, Op, ProtocolError};
use crate::layout::{cmpl, MSG_SIZE};
use crate::wire::{exact, get, put, word_at, Message};
use crate::MAX_NAME_LENGTH;

/// The data of a successful completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reply {
    /// The command returns nothing beyond its status.
    Done,
    /// A file or directory was opened as descriptor `fd`.
    Opened {
        fd: u64,
    },
    Read {
        len: u64,
    },
    Written {
        len: u64,
    },
    Size {
        size: u64,
    },
    /// A directory entry's name, `name_len` bytes, is in the command's buffer.
    DirEntry {
        name_len: u64,
    },
    Location {
        location: u64,
    },
}

impl Reply {
    /// The data word as it goes on the wire.
    pub const fn data(&self) -> u64 {
        match *self {
            Reply::Done => 0,
            Reply::Opened { fd } => fd,
            Reply::Read { len } | Reply::Written { len } => len,
            Reply::Size { size } => size,
            Reply::DirEntry { name_len } => name_len,
            Reply::Location { location } => location,
        }
    }
}

/// A completion: which command, and its outcome.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Completion {
    pub id: u64,
    pub result: Result<Reply, FsError>,
}

impl Completion {
    pub const fn ok(id: u64, reply: Reply) -> Completion {
        Completion { id, result: Ok(reply) }
    }

    pub const fn failed(id: u64, error: FsError) -> Completion {
        Completion { id, result: Err(error) }
    }

    /// The answer to a refused command; `None` when the message was too
    /// short to carry an id (then there is no one to answer).
    pub fn refusal(error: &ProtocolError) -> Option<Completion> {
        Some(Completion::failed(error.id?, error.status()))
    }

    /// The status code as it goes on the wire.
    pub const fn status(&self) -> u64 {
        match self.result {
            Ok(_) => STATUS_SUCCESS,
            Err(error) => error.code(),
        }
    }

    /// The completion as a queue slot's bytes (server side); the bytes past
    /// `fs_cmpl_t` are zero.
    pub fn encode(&self) -> Message {
        let mut msg = [0u8; MSG_SIZE];
        put(&mut msg, cmpl::ID, self.id);
        put(&mut msg, cmpl::STATUS, self.status());
        let data = match self.result {
            Ok(reply) => reply.data(),
            Err(_) => 0,
        };
        put(&mut msg, cmpl::DATA, data);
        msg
    }
}

/// Why a completion from the server was refused: the server is to blame
/// (or the client matched it with the wrong command).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CompletionError {
    /// The message is not [`MSG_SIZE`] bytes.
    WrongLength { len: usize },
    /// The completion answers another command than the one given.
    IdMismatch { expected: u64, got: u64 },
    /// A status code LionsOS does not define.
    UnknownStatus { id: u64, code: u64 },
    /// A length larger than the command allowed (`max`).
    ReplyOutOfRange { id: u64, value: u64, max: u64 },
}

/// The id of the command a completion answers (client side, to find the
/// command); `None` if `raw` is too short to hold one.
pub fn completion_id(raw: &[u8]) -> Option<u64> {
    word_at(raw, cmpl::ID)
}

/// Decodes a completion as the answer to `sent` (client side), checking
/// that it is: the id matches, the status is known and a returned length
/// fits the buffer the command offered (and, for a name, the name limit).
pub fn decode_completion(raw: &[u8], sent: &Command) -> Result<Completion, CompletionError> {
    let msg = exact(raw).ok_or(CompletionError::WrongLength { len: raw.len() })?;
    let id = get(msg, cmpl::ID);
    if id != sent.id {
        return Err(CompletionError::IdMismatch {
            expected: sent.id,
            got: id,
        });
    }
    let code = get(msg, cmpl::STATUS);
    if code != STATUS_SUCCESS {
        let error = FsError::from_code(code).ok_or(CompletionError::UnknownStatus { id, code })?;
        return Ok(Completion::failed(id, error));
    }
    let data = get(msg, cmpl::DATA);
    let at_most = |max: u64| {
        if data <= max {
            Ok(data)
        } else {
            Err(CompletionError::ReplyOutOfRange { id, value: data, max })
        }
    };
    let reply = match sent.op {
        Op::FileOpen { .. } | Op::DirOpen { .. } => Reply::Opened { fd: data },
        Op::FileRead { buf, .. } => Reply::Read {
            len: at_most(buf.size)?,
        },
        Op::FileWrite { buf, .. } => Reply::Written {
            len: at_most(buf.size)?,
        },
        Op::FileSize { .. } => Reply::Size { size: data },
        Op::DirRead { buf, .. } => Reply::DirEntry {
            name_len: at_most(buf.size.min(MAX_NAME_LENGTH))?,
        },
        Op::DirTell { .. } => Reply::Location { location: data },
        Op::Initialise
        | Op::Deinitialise
        | Op::FileClose { .. }
        | Op::Stat { .. }
        | Op::Rename { .. }
        | Op::FileRemove { .. }
        | Op::FileTruncate { .. }
        | Op::DirCreate { .. }
        | Op::DirRemove { .. }
        | Op::DirClose { .. }
        | Op::FileSync { .. }
        | Op::DirSeek { .. }
        | Op::DirRewind { .. } => Reply::Done,
    };
    Ok(Completion::ok(id, reply))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::command::{decode_command, Buffer, ErrorKind};

    fn read_command() -> Command {
        Command {
            id: 9,
            op: Op::FileRead {
                fd: 2,
                offset: 0,
                buf: Buffer::new(0, 100),
            },
        }
    }

    #[test]
    fn encoding_puts_id_status_and_data_at_their_offsets() {
        let msg = Completion::ok(9, Reply::Read { len: 42 }).encode();
        assert_eq!(get(&msg, 0), 9);
        assert_eq!(get(&msg, 8), 0);
        assert_eq!(get(&msg, 16), 42);
        assert!(msg[24..].iter().all(|b| *b == 0));
        let msg = Completion::failed(9, FsError::InvalidFd).encode();
        assert_eq!((get(&msg, 8), get(&msg, 16)), (4, 0));
    }

    #[test]
    fn the_client_checks_what_the_server_returns() {
        let sent = read_command();
        let ok = Completion::ok(9, Reply::Read { len: 100 });
        assert_eq!(decode_completion(&ok.encode(), &sent), Ok(ok));

        let mut long = Completion::ok(9, Reply::Read { len: 101 }).encode();
        assert_eq!(
            decode_completion(&long, &sent),
            Err(CompletionError::ReplyOutOfRange {
                id: 9,
                value: 101,
                max: 100
            })
        );
        put(&mut long, cmpl::STATUS, 19);
        assert_eq!(
            decode_completion(&long, &sent),
            Err(CompletionError::UnknownStatus { id: 9, code: 19 })
        );
        let other = Completion::ok(8, Reply::Read { len: 1 }).encode();
        assert_eq!(completion_id(&other), Some(8));
        assert_eq!(
            decode_completion(&other, &sent),
            Err(CompletionError::IdMismatch { expected: 9, got: 8 })
        );
        assert_eq!(
            decode_completion(&other[..10], &sent),
            Err(CompletionError::WrongLength { len: 10 })
        );
    }

    #[test]
    fn data_of_commands_without_a_result_is_ignored() {
        let sent = Command {
            id: 1,
            op: Op::FileSync { fd: 3 },
        };
        let mut msg = Completion::ok(1, Reply::Done).encode();
        put(&mut msg, cmpl::DATA, 0x5555);
        assert_eq!(decode_completion(&msg, &sent), Ok(Completion::ok(1, Reply::Done)));
    }

    #[test]
    fn a_refused_command_is_answered_with_its_id() {
        let mut msg = [0u8; MSG_SIZE];
        put(&mut msg, 0, 77);
        put(&mut msg, 8, 1000);
        let error = decode_command(&msg, 4096).unwrap_err();
        assert_eq!(error.kind, ErrorKind::UnknownCommand { code: 1000 });
        let answer = Completion::refusal(&error).unwrap();
        assert_eq!(answer, Completion::failed(77, FsError::InvalidCommand));
        assert_eq!(get(&answer.encode(), cmpl::STATUS), 13);
    }
}
