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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_fits_the_ipc_buffer() {
        // Three header words and the data: exactly the IPC buffer's
        // message words (checked against the kernel's value in
        // kernel-iface's `fs_data_fits_the_ipc_buffer` test).
        assert_eq!(DATA_MAX + 3 * 8, MSG_WORDS * 8);
    }
}
