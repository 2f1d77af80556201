//! The file server's requests, as a trait (so the descriptor table can be
//! tested without a kernel), and the errors.

use alloc::string::String;
use alloc::vec::Vec;

use pride_supervisor_api as api;
use pride_supervisor_api::fs as proto;
use pride_supervisor_api::net;

/// Why a call failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Errno {
    /// `ENOENT`
    NotFound,
    /// `EACCES`: the security policy said no.
    Denied,
    /// `EEXIST`
    Exists,
    /// `ENOTDIR`
    NotADirectory,
    /// `EISDIR`
    IsADirectory,
    /// `ENOTEMPTY`
    NotEmpty,
    /// `ENOSPC`
    NoSpace,
    /// `EIO`: the disk (or the server) failed.
    Io,
    /// `EBADF`: not an open descriptor (or one the server forgot).
    BadDescriptor,
    /// `EMFILE`
    TooManyOpen,
    /// `EINVAL`: a malformed request (bad path, flags, offset).
    Invalid,
    /// `ENAMETOOLONG` / `EFBIG`
    TooLarge,
    /// The component's donated memory for its session is used up.
    QuotaExhausted,
    /// The server restarted since the connection was made: reconnect.
    ServerRestarted,
    /// The connection is gone (revoked, or the server stopped).
    NoConnection,
    /// `EADDRINUSE`: another socket has the port.
    AddressInUse,
    /// `EOPNOTSUPP` / `ENOTCONN`: not a call for this socket's kind or
    /// state.
    WrongState,
    /// `ECONNREFUSED`
    ConnectionRefused,
    /// `ECONNRESET`
    ConnectionReset,
    /// `EBUSY`: a call of this component already waits at the server.
    Busy,
    /// A label this library does not know.
    Other(u64),
}

impl Errno {
    /// The error a reply label stands for.
    pub fn from_label(label: u64) -> Errno {
        match label {
            api::NOT_FOUND => Errno::NotFound,
            api::DENIED => Errno::Denied,
            proto::EXISTS => Errno::Exists,
            proto::NOT_A_DIRECTORY => Errno::NotADirectory,
            proto::IS_A_DIRECTORY => Errno::IsADirectory,
            proto::NOT_EMPTY => Errno::NotEmpty,
            proto::NO_SPACE => Errno::NoSpace,
            proto::IO_ERROR => Errno::Io,
            proto::BAD_HANDLE => Errno::BadDescriptor,
            proto::TOO_MANY_OPEN => Errno::TooManyOpen,
            net::ADDRESS_IN_USE => Errno::AddressInUse,
            net::WRONG_STATE => Errno::WrongState,
            net::CONNECTION_REFUSED => Errno::ConnectionRefused,
            net::CONNECTION_RESET => Errno::ConnectionReset,
            net::BUSY => Errno::Busy,
            api::BAD_REQUEST => Errno::Invalid,
            api::TOO_LARGE => Errno::TooLarge,
            api::QUOTA_EXHAUSTED => Errno::QuotaExhausted,
            api::SERVER_RESTARTED => Errno::ServerRestarted,
            l if api::is_kernel_error(l) => Errno::NoConnection,
            other => Errno::Other(other),
        }
    }

    /// A short description, for messages.
    pub fn text(self) -> &'static str {
        match self {
            Errno::NotFound => "no such file or directory",
            Errno::Denied => "permission denied by the security policy",
            Errno::Exists => "already exists",
            Errno::NotADirectory => "not a directory",
            Errno::IsADirectory => "is a directory",
            Errno::NotEmpty => "directory not empty",
            Errno::NoSpace => "no space left on the file system",
            Errno::Io => "input/output error",
            Errno::BadDescriptor => "bad file descriptor",
            Errno::TooManyOpen => "too many open files",
            Errno::Invalid => "invalid argument",
            Errno::TooLarge => "name or transfer too long",
            Errno::QuotaExhausted => "session memory used up",
            Errno::ServerRestarted => "the server restarted",
            Errno::NoConnection => "no connection to the server",
            Errno::AddressInUse => "address already in use",
            Errno::WrongState => "not possible on this socket (kind or state)",
            Errno::ConnectionRefused => "connection refused",
            Errno::ConnectionReset => "connection reset",
            Errno::Busy => "a call already waits",
            Errno::Other(_) => "unexpected reply",
        }
    }
}

/// A file or a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
}

/// What `stat` says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stat {
    pub kind: Kind,
    pub size: u64,
}

/// One directory entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DirEntry {
    pub name: String,
    pub kind: Kind,
    pub size: u64,
}

impl DirEntry {
    /// One `KIND SIZE NAME` line of a `READDIR` reply (`None` if it is not
    /// one).
    pub fn parse_line(line: &str) -> Option<DirEntry> {
        let mut parts = line.splitn(3, ' ');
        let kind = match parts.next()? {
            "f" => Kind::File,
            "d" => Kind::Dir,
            _ => return None,
        };
        let size = parts.next()?.parse().ok()?;
        let name = parts.next().filter(|n| !n.is_empty())?;
        Some(DirEntry {
            name: String::from(name),
            kind,
            size,
        })
    }
}

/// Space on the file system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Usage {
    pub total: u64,
    pub free: u64,
    pub block_size: u64,
}

/// The file server's requests (see `pride_supervisor_api::fs`). A handle
/// is the server's; reads and writes name their offset and may move fewer
/// bytes than asked (at most one message's worth).
pub trait FileService {
    fn open(&mut self, path: &str, flags: u64) -> Result<u64, Errno>;
    fn close(&mut self, handle: u64) -> Result<(), Errno>;
    fn read_at(&mut self, handle: u64, offset: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    fn write_at(&mut self, handle: u64, offset: u64, data: &[u8]) -> Result<usize, Errno>;
    fn stat(&mut self, path: &str) -> Result<Stat, Errno>;
    /// Entries from index `start` on (as many as fit one reply; none at
    /// the end).
    fn read_dir_from(&mut self, path: &str, start: usize) -> Result<Vec<DirEntry>, Errno>;
    fn mkdir(&mut self, path: &str) -> Result<(), Errno>;
    fn unlink(&mut self, path: &str) -> Result<(), Errno>;
    fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno>;
    fn sync(&mut self, handle: u64) -> Result<(), Errno>;
    fn usage(&mut self) -> Result<Usage, Errno>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_lines_parse_and_junk_is_refused() {
        assert_eq!(
            DirEntry::parse_line("f 12 notes.txt"),
            Some(DirEntry {
                name: "notes.txt".into(),
                kind: Kind::File,
                size: 12
            })
        );
        assert_eq!(
            DirEntry::parse_line("d 0 a b").map(|e| (e.kind, e.name)),
            Some((Kind::Dir, "a b".into()))
        );
        for bad in ["", "x 1 a", "f a b", "f 1", "f 1 "] {
            assert_eq!(DirEntry::parse_line(bad), None, "{bad:?}");
        }
    }
}
