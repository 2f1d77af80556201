//! Sockets: the socket server's requests as a trait ([`SocketService`], so
//! the descriptor table can be tested without a kernel) and the
//! descriptor table over it ([`Sockets`]): `socket`, `bind`, `listen`,
//! `accept`, `connect`, `send`, `recv`, `sendto`, `recvfrom`, `close`.
//!
//! `accept`, `connect`, `send`, `recv` and `recvfrom` wait: the server
//! keeps the call until the socket is ready (see `pride_supervisor_api::net`),
//! so a component written in the usual blocking style neither spins nor
//! polls.

use alloc::vec::Vec;
use core::fmt;

use pride_supervisor_api::net as proto;

use crate::service::Errno;

/// TCP or UDP.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketKind {
    Tcp,
    Udp,
}

impl SocketKind {
    /// `SOCKET`'s word.
    pub fn word(self) -> u64 {
        match self {
            SocketKind::Tcp => proto::KIND_TCP,
            SocketKind::Udp => proto::KIND_UDP,
        }
    }
}

/// An IPv4 address and port.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SocketAddr {
    pub ip: [u8; 4],
    pub port: u16,
}

impl SocketAddr {
    pub const fn new(ip: [u8; 4], port: u16) -> SocketAddr {
        SocketAddr { ip, port }
    }
    /// From the protocol's address and port words (`None` if out of range).
    pub fn from_words(addr: u64, port: u64) -> Option<SocketAddr> {
        Some(SocketAddr {
            ip: proto::ipv4_octets(addr)?,
            port: u16::try_from(port).ok()?,
        })
    }
}

impl fmt::Display for SocketAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.ip;
        write!(f, "{a}.{b}.{c}.{d}:{}", self.port)
    }
}

/// The socket server's requests (see `pride_supervisor_api::net`). A
/// handle is the server's. `send`, `send_to` carry at most
/// [`proto::DATA_MAX`] bytes and `recv`, `recv_from` return at most that.
pub trait SocketService {
    fn socket(&mut self, kind: SocketKind) -> Result<u64, Errno>;
    fn bind(&mut self, handle: u64, port: u16) -> Result<(), Errno>;
    fn listen(&mut self, handle: u64, backlog: u64) -> Result<(), Errno>;
    /// Waits for a connection: its handle and the peer.
    fn accept(&mut self, handle: u64) -> Result<(u64, SocketAddr), Errno>;
    /// Waits until the connection is made (or refused).
    fn connect(&mut self, handle: u64, to: SocketAddr) -> Result<(), Errno>;
    /// Waits for room; returns the bytes taken (at least one).
    fn send(&mut self, handle: u64, data: &[u8]) -> Result<usize, Errno>;
    /// Waits for data; 0 once the peer has finished.
    fn recv(&mut self, handle: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    fn send_to(&mut self, handle: u64, data: &[u8], to: SocketAddr) -> Result<usize, Errno>;
    /// Waits for a datagram (cut to `buf`): its length and sender.
    fn recv_from(&mut self, handle: u64, buf: &mut [u8]) -> Result<(usize, SocketAddr), Errno>;
    fn close(&mut self, handle: u64) -> Result<(), Errno>;
}

/// A socket descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sd(pub usize);

/// Descriptors a component may have at once (the server's per-session
/// limit).
pub const MAX_SDS: usize = proto::MAX_SOCKETS;

#[derive(Clone, Copy)]
struct Open {
    handle: u64,
    kind: SocketKind,
}

/// Open sockets, over `S`.
pub struct Sockets<S: SocketService> {
    service: S,
    sds: Vec<Option<Open>>,
}

impl<S: SocketService> Sockets<S> {
    pub fn new(service: S) -> Sockets<S> {
        Sockets {
            service,
            sds: alloc::vec![None; MAX_SDS],
        }
    }

    /// The service (for calls this table does not wrap).
    pub fn service(&mut self) -> &mut S {
        &mut self.service
    }

    fn get(&self, sd: Sd) -> Result<Open, Errno> {
        self.sds.get(sd.0).copied().flatten().ok_or(Errno::BadDescriptor)
    }

    /// The handle of `sd` if it is a socket of `kind`.
    fn of_kind(&self, sd: Sd, kind: SocketKind) -> Result<u64, Errno> {
        let o = self.get(sd)?;
        if o.kind == kind {
            Ok(o.handle)
        } else {
            Err(Errno::WrongState)
        }
    }

    fn free_slot(&self) -> Result<usize, Errno> {
        self.sds.iter().position(Option::is_none).ok_or(Errno::TooManyOpen)
    }

    /// `socket(kind)`: the lowest free descriptor.
    pub fn socket(&mut self, kind: SocketKind) -> Result<Sd, Errno> {
        let slot = self.free_slot()?;
        let handle = self.service.socket(kind)?;
        self.sds[slot] = Some(Open { handle, kind });
        Ok(Sd(slot))
    }

    /// `bind(sd, port)` on this host's address.
    pub fn bind(&mut self, sd: Sd, port: u16) -> Result<(), Errno> {
        let h = self.get(sd)?.handle;
        self.service.bind(h, port)
    }

    /// `listen(sd, backlog)` (TCP).
    pub fn listen(&mut self, sd: Sd, backlog: u64) -> Result<(), Errno> {
        let h = self.of_kind(sd, SocketKind::Tcp)?;
        self.service.listen(h, backlog)
    }

    /// `accept(sd)`: waits for a connection; a new descriptor and the peer.
    /// With no descriptor free the connection stays queued at the server.
    pub fn accept(&mut self, sd: Sd) -> Result<(Sd, SocketAddr), Errno> {
        let h = self.of_kind(sd, SocketKind::Tcp)?;
        let slot = self.free_slot()?;
        let (nh, peer) = self.service.accept(h)?;
        self.sds[slot] = Some(Open {
            handle: nh,
            kind: SocketKind::Tcp,
        });
        Ok((Sd(slot), peer))
    }

    /// `connect(sd, to)` (TCP): waits until connected.
    pub fn connect(&mut self, sd: Sd, to: SocketAddr) -> Result<(), Errno> {
        let h = self.of_kind(sd, SocketKind::Tcp)?;
        self.service.connect(h, to)
    }

    /// `send(sd, data)` (TCP): all of it, in as many requests as it takes.
    pub fn send(&mut self, sd: Sd, data: &[u8]) -> Result<usize, Errno> {
        let h = self.of_kind(sd, SocketKind::Tcp)?;
        let mut done = 0;
        while done < data.len() {
            let end = data.len().min(done + proto::DATA_MAX);
            let n = self.service.send(h, &data[done..end])?;
            if n == 0 || n > end - done {
                // The server must take something, and no more than sent.
                return Err(Errno::Other(pride_supervisor_api::OK));
            }
            done += n;
        }
        Ok(done)
    }

    /// `recv(sd, buf)` (TCP): waits for data and returns what one request
    /// brings (at most `buf.len()`); 0 once the peer has finished.
    pub fn recv(&mut self, sd: Sd, buf: &mut [u8]) -> Result<usize, Errno> {
        let h = self.of_kind(sd, SocketKind::Tcp)?;
        let end = buf.len().min(proto::DATA_MAX);
        let n = self.service.recv(h, &mut buf[..end])?;
        if n > end {
            return Err(Errno::Other(pride_supervisor_api::OK));
        }
        Ok(n)
    }

    /// `sendto(sd, data, to)` (UDP): one datagram, at most
    /// [`proto::DATA_MAX`] bytes (`TooLarge` otherwise).
    pub fn send_to(&mut self, sd: Sd, data: &[u8], to: SocketAddr) -> Result<usize, Errno> {
        let h = self.of_kind(sd, SocketKind::Udp)?;
        if data.len() > proto::DATA_MAX {
            return Err(Errno::TooLarge);
        }
        self.service.send_to(h, data, to)
    }

    /// `recvfrom(sd, buf)` (UDP): waits for a datagram.
    pub fn recv_from(&mut self, sd: Sd, buf: &mut [u8]) -> Result<(usize, SocketAddr), Errno> {
        let h = self.of_kind(sd, SocketKind::Udp)?;
        let end = buf.len().min(proto::DATA_MAX);
        let (n, from) = self.service.recv_from(h, &mut buf[..end])?;
        if n > end {
            return Err(Errno::Other(pride_supervisor_api::OK));
        }
        Ok((n, from))
    }

    /// `close(sd)`. The descriptor is free afterwards even if the server
    /// had forgotten the handle (it restarted).
    pub fn close(&mut self, sd: Sd) -> Result<(), Errno> {
        let o = self
            .sds
            .get_mut(sd.0)
            .and_then(Option::take)
            .ok_or(Errno::BadDescriptor)?;
        self.service.close(o.handle)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;

    use alloc::collections::{BTreeMap, VecDeque};
    use alloc::string::ToString;
    use alloc::vec;

    use super::*;

    /// An in-memory socket server on one host: a TCP connect to a port
    /// some handle listens on queues a connection for its `accept`; bytes
    /// sent on one end arrive at the other, taken at most `CHUNK` per
    /// request; UDP datagrams go to the handle bound to their port.
    #[derive(Default)]
    struct Loop {
        next: u64,
        kinds: BTreeMap<u64, SocketKind>,
        ports: BTreeMap<u64, u16>,
        listening: BTreeMap<u64, VecDeque<u64>>,
        peer: BTreeMap<u64, u64>,
        inbox: BTreeMap<u64, VecDeque<u8>>,
        datagrams: BTreeMap<u64, VecDeque<(Vec<u8>, SocketAddr)>>,
        closed: Vec<u64>,
        requests: usize,
    }

    const CHUNK: usize = 300;
    const ME: [u8; 4] = [10, 0, 2, 15];

    impl Loop {
        fn new_handle(&mut self, kind: SocketKind) -> u64 {
            self.next += 1;
            self.kinds.insert(self.next, kind);
            self.next
        }
        fn known(&self, h: u64) -> Result<(), Errno> {
            self.kinds.contains_key(&h).then_some(()).ok_or(Errno::BadDescriptor)
        }
    }

    impl SocketService for Loop {
        fn socket(&mut self, kind: SocketKind) -> Result<u64, Errno> {
            self.requests += 1;
            Ok(self.new_handle(kind))
        }
        fn bind(&mut self, h: u64, port: u16) -> Result<(), Errno> {
            self.known(h)?;
            let kind = self.kinds[&h];
            if self.ports.iter().any(|(o, p)| *p == port && self.kinds[o] == kind) {
                return Err(Errno::AddressInUse);
            }
            self.ports.insert(h, port);
            Ok(())
        }
        fn listen(&mut self, h: u64, _backlog: u64) -> Result<(), Errno> {
            self.ports.get(&h).ok_or(Errno::WrongState)?;
            self.listening.insert(h, VecDeque::new());
            Ok(())
        }
        fn accept(&mut self, h: u64) -> Result<(u64, SocketAddr), Errno> {
            let q = self.listening.get_mut(&h).ok_or(Errno::WrongState)?;
            // Nothing queued would wait for ever: the tests never do that.
            let client = q.pop_front().ok_or(Errno::Busy)?;
            let server_end = self.new_handle(SocketKind::Tcp);
            self.peer.insert(server_end, client);
            self.peer.insert(client, server_end);
            Ok((server_end, SocketAddr::new(ME, 40000 + client as u16)))
        }
        fn connect(&mut self, h: u64, to: SocketAddr) -> Result<(), Errno> {
            self.known(h)?;
            let listener = self
                .ports
                .iter()
                .find(|(o, p)| **p == to.port && self.listening.contains_key(o))
                .map(|(o, _)| *o)
                .ok_or(Errno::ConnectionRefused)?;
            self.listening.entry(listener).or_default().push_back(h);
            Ok(())
        }
        fn send(&mut self, h: u64, data: &[u8]) -> Result<usize, Errno> {
            self.requests += 1;
            assert!(data.len() <= proto::DATA_MAX);
            let to = *self.peer.get(&h).ok_or(Errno::WrongState)?;
            let n = data.len().min(CHUNK);
            self.inbox.entry(to).or_default().extend(&data[..n]);
            Ok(n)
        }
        fn recv(&mut self, h: u64, buf: &mut [u8]) -> Result<usize, Errno> {
            self.requests += 1;
            let peer = *self.peer.get(&h).ok_or(Errno::WrongState)?;
            let q = self.inbox.entry(h).or_default();
            if q.is_empty() {
                return if self.closed.contains(&peer) {
                    Ok(0)
                } else {
                    Err(Errno::Busy)
                };
            }
            let n = buf.len().min(q.len());
            for b in buf.iter_mut().take(n) {
                *b = q.pop_front().unwrap_or(0);
            }
            Ok(n)
        }
        fn send_to(&mut self, h: u64, data: &[u8], to: SocketAddr) -> Result<usize, Errno> {
            let from = SocketAddr::new(ME, *self.ports.get(&h).ok_or(Errno::WrongState)?);
            if let Some((dest, _)) = self
                .ports
                .iter()
                .find(|(o, p)| **p == to.port && self.kinds[o] == SocketKind::Udp)
            {
                self.datagrams
                    .entry(*dest)
                    .or_default()
                    .push_back((data.to_vec(), from));
            }
            Ok(data.len())
        }
        fn recv_from(&mut self, h: u64, buf: &mut [u8]) -> Result<(usize, SocketAddr), Errno> {
            let (d, from) = self
                .datagrams
                .get_mut(&h)
                .and_then(VecDeque::pop_front)
                .ok_or(Errno::Busy)?;
            let n = d.len().min(buf.len());
            buf[..n].copy_from_slice(&d[..n]);
            Ok((n, from))
        }
        fn close(&mut self, h: u64) -> Result<(), Errno> {
            self.kinds.remove(&h).ok_or(Errno::BadDescriptor)?;
            self.ports.remove(&h);
            self.listening.remove(&h);
            self.closed.push(h);
            Ok(())
        }
    }

    #[test]
    fn a_tcp_server_and_client_talk_through_descriptors() {
        let mut s = Sockets::new(Loop::default());
        let listener = s.socket(SocketKind::Tcp).unwrap();
        s.bind(listener, 7).unwrap();
        s.listen(listener, 2).unwrap();
        let client = s.socket(SocketKind::Tcp).unwrap();
        assert_eq!((listener, client), (Sd(0), Sd(1)));
        s.connect(client, SocketAddr::new(ME, 7)).unwrap();
        let (conn, peer) = s.accept(listener).unwrap();
        assert_eq!(conn, Sd(2));
        assert_eq!(peer.to_string(), "10.0.2.15:40002");

        // A long send takes several requests, all of it arrives.
        let message: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
        let before = s.service().requests;
        assert_eq!(s.send(client, &message), Ok(message.len()));
        assert!(s.service().requests - before >= message.len().div_ceil(CHUNK));
        let mut got = Vec::new();
        let mut buf = [0u8; 2000];
        while got.len() < message.len() {
            let n = s.recv(conn, &mut buf).unwrap();
            assert!(n > 0 && n <= proto::DATA_MAX);
            got.extend_from_slice(&buf[..n]);
        }
        assert_eq!(got, message);

        // The peer finishes: recv says 0.
        s.close(client).unwrap();
        assert_eq!(s.recv(conn, &mut buf), Ok(0));
        s.close(conn).unwrap();
        // The lowest free descriptor is used again.
        assert_eq!(s.socket(SocketKind::Udp), Ok(Sd(1)));
    }

    #[test]
    fn udp_datagrams_keep_their_sender_and_size_limit() {
        let mut s = Sockets::new(Loop::default());
        let a = s.socket(SocketKind::Udp).unwrap();
        let b = s.socket(SocketKind::Udp).unwrap();
        s.bind(a, 5000).unwrap();
        s.bind(b, 5001).unwrap();
        let c = s.socket(SocketKind::Udp).unwrap();
        assert_eq!(s.bind(c, 5000), Err(Errno::AddressInUse));
        assert_eq!(s.send_to(a, b"hello", SocketAddr::new(ME, 5001)), Ok(5));
        let mut buf = [0u8; 64];
        assert_eq!(s.recv_from(b, &mut buf), Ok((5, SocketAddr::new(ME, 5000))));
        assert_eq!(&buf[..5], b"hello");
        let big = vec![0u8; proto::DATA_MAX + 1];
        assert_eq!(s.send_to(a, &big, SocketAddr::new(ME, 5001)), Err(Errno::TooLarge));
        // Stream calls on a datagram socket, and the reverse, are refused
        // here, without a request.
        assert_eq!(s.send(a, b"x"), Err(Errno::WrongState));
        assert_eq!(s.listen(a, 1), Err(Errno::WrongState));
        let t = s.socket(SocketKind::Tcp).unwrap();
        assert_eq!(s.recv_from(t, &mut buf), Err(Errno::WrongState));
    }

    #[test]
    fn descriptors_run_out_and_bad_ones_are_refused() {
        let mut s = Sockets::new(Loop::default());
        for i in 0..MAX_SDS {
            assert_eq!(s.socket(SocketKind::Tcp), Ok(Sd(i)));
        }
        let requests = s.service().requests;
        assert_eq!(s.socket(SocketKind::Tcp), Err(Errno::TooManyOpen));
        // Refused before asking the server.
        assert_eq!(s.service().requests, requests);
        assert_eq!(s.close(Sd(MAX_SDS)), Err(Errno::BadDescriptor));
        assert_eq!(s.bind(Sd(usize::MAX), 1), Err(Errno::BadDescriptor));
        s.close(Sd(3)).unwrap();
        assert_eq!(s.close(Sd(3)), Err(Errno::BadDescriptor));
        assert_eq!(s.connect(Sd(3), SocketAddr::new(ME, 1)), Err(Errno::BadDescriptor));
        // Connecting where nobody listens.
        assert_eq!(s.connect(Sd(0), SocketAddr::new(ME, 9)), Err(Errno::ConnectionRefused));
    }

    #[test]
    fn addresses_from_words() {
        assert_eq!(
            SocketAddr::from_words(proto::ipv4_word([10, 0, 2, 2]), 80),
            Some(SocketAddr::new([10, 0, 2, 2], 80))
        );
        assert_eq!(SocketAddr::from_words(1 << 40, 80), None);
        assert_eq!(SocketAddr::from_words(0, 70000), None);
    }

    #[test]
    fn socket_errors_come_from_the_servers_labels() {
        for (label, e) in [
            (proto::ADDRESS_IN_USE, Errno::AddressInUse),
            (proto::WRONG_STATE, Errno::WrongState),
            (proto::CONNECTION_REFUSED, Errno::ConnectionRefused),
            (proto::CONNECTION_RESET, Errno::ConnectionReset),
            (proto::BUSY, Errno::Busy),
            (proto::BAD_HANDLE, Errno::BadDescriptor),
            (proto::TOO_MANY_SOCKETS, Errno::TooManyOpen),
            (pride_supervisor_api::DENIED, Errno::Denied),
        ] {
            assert_eq!(Errno::from_label(label), e);
            assert!(!e.text().is_empty());
        }
    }
}
