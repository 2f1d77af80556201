//! The `fs` service's protocol: files and directories on the file server
//! (`object-servers/fs`, a PD of the `files` system on the sDDF block path).
//!
//! Reads and writes name their offset (`pread`/`pwrite`): a handle is an
//! open file (its path and how it was opened), the position is the
//! client's (`pride_rt::posix` keeps it per descriptor). Paths are
//! absolute, `/`-separated, without `.`/`..` or empty segments, at most
//! [`PATH_MAX`] bytes.
//!
//! | label | request words | reply |
//! | --- | --- | --- |
//! | 1 `OPEN` | w0 [`open`] bits, w1 path length, path from w2 | `OK`: w0 handle |
//! | 2 `CLOSE` | w0 handle | `OK` |
//! | 3 `READ` | w0 handle, w1 offset, w2 most bytes (at most [`DATA_MAX`]) | `OK`: w0 bytes read (0 at the end), the bytes from w1 |
//! | 4 `WRITE` | w0 handle, w1 offset, w2 length (at most [`DATA_MAX`]), bytes from w3 | `OK`: w0 bytes written |
//! | 5 `STAT` | w0 path length, path from w1 | `OK`: w0 kind (1 file, 2 directory), w1 size in bytes |
//! | 6 `CLOSE_SESSION` | as for every object server (supervisor only, `crate::donation`) | `OK` |
//! | 7 `OPEN_SESSION` | as for every object server (supervisor only) | `OK` |
//! | 8 `READDIR` | w0 first entry's index, w1 path length, path from w2 | `OK`: w0 entries in this reply, w1 text length, one `KIND SIZE NAME\n` line each from w2 (KIND `f` or `d`); fewer than asked (0) at the end |
//! | 9 `MKDIR` | w0 path length, path from w1 | `OK` |
//! | 10 `UNLINK` | w0 path length, path from w1 (a file, or an empty directory) | `OK` |
//! | 11 `RENAME` | w0 from's length, w1 to's length, both paths from w2 | `OK` |
//! | 12 `SYNC` | w0 handle | `OK` once everything the session wrote is on the disk (writes are buffered until the session's next other request; see the server) |
//! | 13 `DF` | | `OK`: w0 total bytes, w1 free bytes, w2 block size |
//! | 14 `STATS` | | `OK`: w0 decision-cache hits, w1 misses, w2 flushes, w3 epoch |
//!
//! Policy: path `P` is the object `fs:P`; what each request needs is
//! `fs_core::path::checks`' table (open: `read`/`write`/`create` as its
//! flags say; `READ`/`WRITE` through a handle: `read`/`write` on its path,
//! asked on every request so that a policy change applies to open handles
//! too; `STAT` `read`; `READDIR` `list`; `MKDIR` `create`; `UNLINK`
//! `delete`; `RENAME` `delete` on the old path, `create` and `write` on
//! the new; `DF` `read` on `fs:/`; `SYNC` `write` on its handle's path).
//!
//! Errors: `DENIED` (policy), `NOT_FOUND`, `BAD_REQUEST` (malformed, or a
//! bad path), `TOO_LARGE` (a path or a transfer too long), and the labels
//! below; a request without a session is `DENIED`.

/// Labels.
pub const OPEN: u64 = 1;
pub const CLOSE: u64 = 2;
pub const READ: u64 = 3;
pub const WRITE: u64 = 4;
pub const STAT: u64 = 5;
pub const CLOSE_SESSION: u64 = crate::store::CLOSE_SESSION;
pub const OPEN_SESSION: u64 = crate::store::OPEN_SESSION;
pub const READDIR: u64 = 8;
pub const MKDIR: u64 = 9;
pub const UNLINK: u64 = 10;
pub const RENAME: u64 = 11;
pub const SYNC: u64 = 12;
pub const DF: u64 = 13;
pub const STATS: u64 = 14;

/// Error labels of the file server (beyond the common ones).
pub const EXISTS: u64 = 0x60;
pub const NOT_A_DIRECTORY: u64 = 0x61;
pub const IS_A_DIRECTORY: u64 = 0x62;
pub const NOT_EMPTY: u64 = 0x63;
pub const NO_SPACE: u64 = 0x64;
/// The disk failed (or the file system on it is damaged): the server's
/// side, not the client's.
pub const IO_ERROR: u64 = 0x65;
/// A handle that is not open in this session.
pub const BAD_HANDLE: u64 = 0x66;
/// The session has [`MAX_OPEN`] files open.
pub const TOO_MANY_OPEN: u64 = 0x67;

/// Longest path.
pub const PATH_MAX: usize = 255;
/// Most data bytes one `READ` or `WRITE` carries (the message words after
/// the three header words).
pub const DATA_MAX: usize = (MSG_WORDS - 3) * 8;
/// Files a session may have open at once.
pub const MAX_OPEN: usize = 16;
/// Message words of the IPC buffer (seL4's `seL4_MsgMaxLength`).
pub const MSG_WORDS: usize = 120;

/// Kinds in `STAT` replies.
pub const KIND_FILE: u64 = 1;
pub const KIND_DIR: u64 = 2;

/// How a file is opened: `OPEN`'s w0, these bits (the file server's
/// `fs_core::OpenFlags`, which checks them: read and/or write; create,
/// exclusive, truncate and append need write; exclusive needs create).
pub mod open {
    pub const READ: u64 = 1;
    pub const WRITE: u64 = 1 << 1;
    /// Create the file if it does not exist.
    pub const CREATE: u64 = 1 << 2;
    /// With `CREATE`: fail with `EXISTS` if it exists.
    pub const EXCLUSIVE: u64 = 1 << 3;
    /// Empty it on opening.
    pub const TRUNCATE: u64 = 1 << 4;
    /// Every write goes to the end.
    pub const APPEND: u64 = 1 << 5;
}

/// A request, as a client sends it and as the server reads it (the
/// protocol table above, in types). Paths and data are bytes in the
/// message; the server checks paths itself (`fs_core::FsPath`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    Open { flags: u64, path: &'a [u8] },
    Close { handle: u64 },
    Read { handle: u64, offset: u64, max: u64 },
    Write { handle: u64, offset: u64, data: &'a [u8] },
    Stat { path: &'a [u8] },
    ReadDir { start: u64, path: &'a [u8] },
    Mkdir { path: &'a [u8] },
    Unlink { path: &'a [u8] },
    Rename { from: &'a [u8], to: &'a [u8] },
    Sync { handle: u64 },
    Df,
}

/// Why a message is not a request (the client's fault): the reply label
/// is [`DecodeError::label`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Missing words, a length the message does not hold, an unknown label.
    Malformed,
    /// A path longer than [`PATH_MAX`] or data longer than [`DATA_MAX`].
    TooLarge,
}

impl DecodeError {
    pub const fn label(self) -> u64 {
        match self {
            DecodeError::Malformed => crate::BAD_REQUEST,
            DecodeError::TooLarge => crate::TOO_LARGE,
        }
    }
}

/// `len` bytes packed in `words` from word `at`, copied into `out`.
fn bytes_at<'a>(words: &[u64], at: usize, len: u64, max: usize, out: &'a mut [u8]) -> Result<&'a [u8], DecodeError> {
    if len > max as u64 {
        return Err(DecodeError::TooLarge);
    }
    let len = len as usize;
    let end = at.checked_add(len.div_ceil(8)).ok_or(DecodeError::Malformed)?;
    let src = words.get(at..end).ok_or(DecodeError::Malformed)?;
    crate::unpack_bytes(src.iter().copied(), len, out).ok_or(DecodeError::Malformed)
}

/// Reads request `label` from the message `words` (all the words the
/// message has), copying its bytes into `out` (at least `MSG_WORDS * 8`
/// bytes). Any words give a request or an error, never a panic.
pub fn decode<'a>(label: u64, words: &[u64], out: &'a mut [u8]) -> Result<Request<'a>, DecodeError> {
    let w = |i: usize| words.get(i).copied().ok_or(DecodeError::Malformed);
    Ok(match label {
        OPEN => Request::Open {
            flags: w(0)?,
            path: bytes_at(words, 2, w(1)?, PATH_MAX, out)?,
        },
        CLOSE => Request::Close { handle: w(0)? },
        READ => Request::Read {
            handle: w(0)?,
            offset: w(1)?,
            max: w(2)?,
        },
        WRITE => Request::Write {
            handle: w(0)?,
            offset: w(1)?,
            data: bytes_at(words, 3, w(2)?, DATA_MAX, out)?,
        },
        STAT => Request::Stat {
            path: bytes_at(words, 1, w(0)?, PATH_MAX, out)?,
        },
        READDIR => Request::ReadDir {
            start: w(0)?,
            path: bytes_at(words, 2, w(1)?, PATH_MAX, out)?,
        },
        MKDIR => Request::Mkdir {
            path: bytes_at(words, 1, w(0)?, PATH_MAX, out)?,
        },
        UNLINK => Request::Unlink {
            path: bytes_at(words, 1, w(0)?, PATH_MAX, out)?,
        },
        RENAME => {
            let (a, b) = (w(0)?, w(1)?);
            if a > PATH_MAX as u64 || b > PATH_MAX as u64 {
                return Err(DecodeError::TooLarge);
            }
            let both = bytes_at(words, 2, a + b, 2 * PATH_MAX, out)?;
            let (from, to) = both.split_at(a as usize);
            Request::Rename { from, to }
        }
        SYNC => Request::Sync { handle: w(0)? },
        DF => Request::Df,
        _ => return Err(DecodeError::Malformed),
    })
}

/// The label and the message words of `req` (into `words`); `None` if it
/// does not fit one message (a path or data too long: the server would
/// refuse it anyway).
pub fn encode(req: &Request<'_>, words: &mut [u64; MSG_WORDS]) -> Option<(u64, usize)> {
    let mut n = 0;
    let mut put = |ws: &[u64], words: &mut [u64; MSG_WORDS]| -> Option<()> {
        words.get_mut(n..n + ws.len())?.copy_from_slice(ws);
        n += ws.len();
        Some(())
    };
    let bytes = |b: &[u8], words: &mut [u64; MSG_WORDS], n: usize| -> Option<usize> {
        let need = b.len().div_ceil(8);
        Some(crate::pack_bytes(b, words.get_mut(n..n + need)?))
    };
    let label = match *req {
        Request::Open { flags, path } => {
            put(&[flags, path.len() as u64], words)?;
            OPEN
        }
        Request::Close { handle } => {
            put(&[handle], words)?;
            CLOSE
        }
        Request::Read { handle, offset, max } => {
            put(&[handle, offset, max], words)?;
            READ
        }
        Request::Write { handle, offset, data } => {
            put(&[handle, offset, data.len() as u64], words)?;
            WRITE
        }
        Request::Stat { path } | Request::Mkdir { path } | Request::Unlink { path } => {
            put(&[path.len() as u64], words)?;
            match req {
                Request::Stat { .. } => STAT,
                Request::Mkdir { .. } => MKDIR,
                _ => UNLINK,
            }
        }
        Request::ReadDir { start, path } => {
            put(&[start, path.len() as u64], words)?;
            READDIR
        }
        Request::Rename { from, to } => {
            put(&[from.len() as u64, to.len() as u64], words)?;
            RENAME
        }
        Request::Sync { handle } => {
            put(&[handle], words)?;
            SYNC
        }
        Request::Df => DF,
    };
    let tail = match *req {
        Request::Open { path, .. }
        | Request::Stat { path }
        | Request::Mkdir { path }
        | Request::Unlink { path }
        | Request::ReadDir { path, .. } => bytes(path, words, n)?,
        Request::Write { data, .. } => bytes(data, words, n)?,
        Request::Rename { from, to } => {
            let mut joined = [0u8; 2 * PATH_MAX];
            let both = joined.get_mut(..from.len() + to.len())?;
            both[..from.len()].copy_from_slice(from);
            both[from.len()..].copy_from_slice(to);
            bytes(both, words, n)?
        }
        _ => 0,
    };
    Some((label, n + tail))
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use proptest::prelude::*;

    fn round_trip(req: Request<'_>) {
        let mut words = [0u64; MSG_WORDS];
        let (label, n) = encode(&req, &mut words).expect("fits");
        let mut out = [0u8; MSG_WORDS * 8];
        assert_eq!(decode(label, &words[..n], &mut out), Ok(req));
    }

    #[test]
    fn every_request_round_trips() {
        let data = [7u8; DATA_MAX];
        round_trip(Request::Open {
            flags: open::READ | open::WRITE,
            path: b"/a/b.txt",
        });
        round_trip(Request::Close { handle: 3 });
        round_trip(Request::Read {
            handle: 3,
            offset: 1 << 40,
            max: 936,
        });
        round_trip(Request::Write {
            handle: 3,
            offset: 9,
            data: &data,
        });
        round_trip(Request::Write {
            handle: 3,
            offset: 9,
            data: b"odd",
        });
        round_trip(Request::Stat { path: b"/" });
        round_trip(Request::ReadDir {
            start: 64,
            path: b"/many",
        });
        round_trip(Request::Mkdir { path: b"/d" });
        round_trip(Request::Unlink { path: b"/d" });
        round_trip(Request::Rename {
            from: b"/abc",
            to: b"/defgh",
        });
        round_trip(Request::Sync { handle: 1 });
        round_trip(Request::Df);
    }

    #[test]
    fn bad_messages_are_refused_with_the_right_label() {
        let mut out = [0u8; MSG_WORDS * 8];
        assert_eq!(decode(OPEN, &[1], &mut out), Err(DecodeError::Malformed), "no length");
        assert_eq!(
            decode(OPEN, &[1, 20, 0], &mut out),
            Err(DecodeError::Malformed),
            "20 bytes in one word"
        );
        assert_eq!(decode(OPEN, &[1, 256], &mut out), Err(DecodeError::TooLarge));
        assert_eq!(
            decode(WRITE, &[1, 0, DATA_MAX as u64 + 1], &mut out),
            Err(DecodeError::TooLarge)
        );
        assert_eq!(decode(RENAME, &[u64::MAX, 1], &mut out), Err(DecodeError::TooLarge));
        assert_eq!(decode(99, &[], &mut out), Err(DecodeError::Malformed));
        assert_eq!(DecodeError::TooLarge.label(), crate::TOO_LARGE);
        let mut words = [0u64; MSG_WORDS];
        let long = [b'a'; DATA_MAX + 1];
        assert_eq!(
            encode(
                &Request::Write {
                    handle: 0,
                    offset: 0,
                    data: &long
                },
                &mut words
            ),
            None
        );
    }

    proptest! {
        /// Any label and words: a request or an error, never a panic; a
        /// request's bytes come from the words.
        #[test]
        fn decoding_never_panics(label in 0u64..20, words in proptest::collection::vec(any::<u64>(), 0..MSG_WORDS)) {
            let mut out = [0u8; MSG_WORDS * 8];
            let _ = decode(label, &words, &mut out);
        }

        #[test]
        fn paths_and_data_round_trip(path in proptest::collection::vec(any::<u8>(), 0..PATH_MAX), data in proptest::collection::vec(any::<u8>(), 0..DATA_MAX)) {
            round_trip(Request::Open { flags: 3, path: &path });
            round_trip(Request::Write { handle: 1, offset: 2, data: &data });
            let cut = path.len() / 2;
            round_trip(Request::Rename { from: &path[..cut], to: &path[cut..] });
        }
    }

    #[test]
    fn a_transfer_fits_the_ipc_buffer() {
        // Three header words and the data: exactly the IPC buffer's
        // message words (checked against the kernel's value in
        // kernel-iface's `fs_data_fits_the_ipc_buffer` test).
        assert_eq!(DATA_MAX + 3 * 8, MSG_WORDS * 8);
    }
}
