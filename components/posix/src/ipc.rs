//! [`FileService`] over a connection to the `fs` service and
//! [`SocketService`] over one to `net`: one IPC call per request, the
//! words and bytes as `pride_supervisor_api::fs` and `::net` lay them out.
//! Replies are read with every length checked (`pride_rt::msg`).

use alloc::vec::Vec;

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::syscall::Received;
use kernel_iface::Cap;
use pride_rt::msg::{self, Outgoing};
use pride_supervisor_api::fs::{self as proto, Request, DATA_MAX};
use pride_supervisor_api::OK;

use pride_supervisor_api::net;

use crate::service::{DirEntry, Errno, FileService, Kind, Stat, Usage};
use crate::sockets::{SocketAddr, SocketKind, SocketService};

// A transfer and its three header words fill the IPC buffer exactly.
const _: () = assert!(proto::MSG_WORDS == kernel_iface::abi::MSG_MAX_LENGTH);

/// A connection to the file server.
#[derive(Clone, Copy, Debug)]
pub struct FsConnection(pub Cap<Endpoint>);

fn ok(r: &Received) -> Result<(), Errno> {
    match r.info.label() {
        OK => Ok(()),
        l => Err(Errno::from_label(l)),
    }
}

impl FsConnection {
    /// Sends `req` (encoded by `pride_supervisor_api::fs::encode`, as the
    /// server decodes it); the reply if it is `OK`. A path or data too long
    /// for one message is `TooLarge` without a call.
    fn call(&self, req: Request<'_>) -> Result<Received, Errno> {
        let mut words = [0u64; proto::MSG_WORDS];
        let (label, n) = proto::encode(&req, &mut words).ok_or(Errno::TooLarge)?;
        let mut m = Outgoing::new();
        for w in &words[..n] {
            m.word(*w);
        }
        let r = m.call(self.0, label);
        ok(&r).map(|()| r)
    }
}

impl FileService for FsConnection {
    fn open(&mut self, path: &str, flags: u64) -> Result<u64, Errno> {
        let r = self.call(Request::Open {
            flags,
            path: path.as_bytes(),
        })?;
        Ok(r.mrs[0])
    }

    fn close(&mut self, handle: u64) -> Result<(), Errno> {
        self.call(Request::Close { handle }).map(|_| ())
    }

    fn read_at(&mut self, handle: u64, offset: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let want = buf.len().min(DATA_MAX);
        let r = self.call(Request::Read {
            handle,
            offset,
            max: want as u64,
        })?;
        let n = msg::word(&r, 0).ok_or(Errno::Other(OK))? as usize;
        if n > want {
            return Err(Errno::Other(OK));
        }
        msg::bytes(&r, 1, n, &mut buf[..n]).ok_or(Errno::Other(OK))?;
        Ok(n)
    }

    fn write_at(&mut self, handle: u64, offset: u64, data: &[u8]) -> Result<usize, Errno> {
        let data = &data[..data.len().min(DATA_MAX)];
        let r = self.call(Request::Write { handle, offset, data })?;
        Ok((r.mrs[0] as usize).min(data.len()))
    }

    fn stat(&mut self, path: &str) -> Result<Stat, Errno> {
        let r = self.call(Request::Stat { path: path.as_bytes() })?;
        let kind = if r.mrs[0] == proto::KIND_DIR {
            Kind::Dir
        } else {
            Kind::File
        };
        Ok(Stat { kind, size: r.mrs[1] })
    }

    fn read_dir_from(&mut self, path: &str, start: usize) -> Result<Vec<DirEntry>, Errno> {
        let r = self.call(Request::ReadDir {
            start: start as u64,
            path: path.as_bytes(),
        })?;
        let count = msg::word(&r, 0).ok_or(Errno::Other(OK))?;
        let len = msg::word(&r, 1).ok_or(Errno::Other(OK))? as usize;
        let mut buf = alloc::vec![0u8; len.min(msg::MAX_WORDS * 8)];
        let text = msg::bytes(&r, 2, len, &mut buf).ok_or(Errno::Other(OK))?;
        let text = core::str::from_utf8(text).map_err(|_| Errno::Other(OK))?;
        let entries: Vec<DirEntry> = text.lines().filter_map(DirEntry::parse_line).collect();
        if entries.len() as u64 != count {
            return Err(Errno::Other(OK));
        }
        Ok(entries)
    }

    fn mkdir(&mut self, path: &str) -> Result<(), Errno> {
        self.call(Request::Mkdir { path: path.as_bytes() }).map(|_| ())
    }

    fn unlink(&mut self, path: &str) -> Result<(), Errno> {
        self.call(Request::Unlink { path: path.as_bytes() }).map(|_| ())
    }

    fn rename(&mut self, from: &str, to: &str) -> Result<(), Errno> {
        self.call(Request::Rename {
            from: from.as_bytes(),
            to: to.as_bytes(),
        })
        .map(|_| ())
    }

    fn sync(&mut self, handle: u64) -> Result<(), Errno> {
        self.call(Request::Sync { handle }).map(|_| ())
    }

    fn usage(&mut self) -> Result<Usage, Errno> {
        let r = self.call(Request::Df)?;
        Ok(Usage {
            total: r.mrs[0],
            free: r.mrs[1],
            block_size: r.mrs[2],
        })
    }
}

/// A connection to the socket server.
#[derive(Clone, Copy, Debug)]
pub struct NetConnection(pub Cap<Endpoint>);

/// A reply's data: `n` (word `at`, at most `buf.len()`) bytes from word
/// `at + skip` into `buf`.
fn data_out(r: &Received, at: usize, skip: usize, buf: &mut [u8]) -> Result<usize, Errno> {
    let n = msg::word(r, at).ok_or(Errno::Other(OK))? as usize;
    if n > buf.len() {
        return Err(Errno::Other(OK));
    }
    msg::bytes(r, at + skip, n, &mut buf[..n]).ok_or(Errno::Other(OK))?;
    Ok(n)
}

impl NetConnection {
    fn call(&self, label: u64, words: &[u64], data: &[u8]) -> Result<Received, Errno> {
        let mut m = Outgoing::new();
        for w in words {
            m.word(*w);
        }
        m.bytes(data);
        let r = m.call(self.0, label);
        ok(&r).map(|()| r)
    }
}

impl SocketService for NetConnection {
    fn socket(&mut self, kind: SocketKind) -> Result<u64, Errno> {
        Ok(self.call(net::SOCKET, &[kind.word()], &[])?.mrs[0])
    }

    fn bind(&mut self, handle: u64, port: u16) -> Result<(), Errno> {
        self.call(net::BIND, &[handle, port as u64], &[]).map(|_| ())
    }

    fn listen(&mut self, handle: u64, backlog: u64) -> Result<(), Errno> {
        self.call(net::LISTEN, &[handle, backlog], &[]).map(|_| ())
    }

    fn accept(&mut self, handle: u64) -> Result<(u64, SocketAddr), Errno> {
        let r = self.call(net::ACCEPT, &[handle], &[])?;
        let peer = SocketAddr::from_words(r.mrs[1], r.mrs[2]).ok_or(Errno::Other(OK))?;
        Ok((r.mrs[0], peer))
    }

    fn connect(&mut self, handle: u64, to: SocketAddr) -> Result<(), Errno> {
        self.call(net::CONNECT, &[handle, net::ipv4_word(to.ip), to.port as u64], &[])
            .map(|_| ())
    }

    fn send(&mut self, handle: u64, data: &[u8]) -> Result<usize, Errno> {
        let data = &data[..data.len().min(net::DATA_MAX)];
        let r = self.call(net::SEND, &[handle, data.len() as u64], data)?;
        Ok((r.mrs[0] as usize).min(data.len()))
    }

    fn recv(&mut self, handle: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let want = buf.len().min(net::DATA_MAX);
        let r = self.call(net::RECV, &[handle, want as u64], &[])?;
        data_out(&r, 0, 1, &mut buf[..want])
    }

    fn send_to(&mut self, handle: u64, data: &[u8], to: SocketAddr) -> Result<usize, Errno> {
        if data.len() > net::DATA_MAX {
            return Err(Errno::TooLarge);
        }
        let words = [handle, net::ipv4_word(to.ip), to.port as u64, data.len() as u64];
        let r = self.call(net::SENDTO, &words, data)?;
        Ok((r.mrs[0] as usize).min(data.len()))
    }

    fn recv_from(&mut self, handle: u64, buf: &mut [u8]) -> Result<(usize, SocketAddr), Errno> {
        let want = buf.len().min(net::DATA_MAX);
        let r = self.call(net::RECVFROM, &[handle, want as u64], &[])?;
        let from = SocketAddr::from_words(r.mrs[1], r.mrs[2]).ok_or(Errno::Other(OK))?;
        let n = data_out(&r, 0, 3, &mut buf[..want])?;
        Ok((n, from))
    }

    fn close(&mut self, handle: u64) -> Result<(), Errno> {
        self.call(net::CLOSE, &[handle], &[]).map(|_| ())
    }
}
