//! The `net` service's protocol: TCP and UDP sockets on the socket server
//! (`object-servers/socket-server`, a PD of the `sockets` system on the sDDF network
//! path, smoltcp inside, address 10.0.2.15/24).
//!
//! A handle names one socket of the caller's session. Addresses are IPv4,
//! one word each: the four octets big-endian in the low 32 bits
//! ([`ipv4_word`]).
//!
//! | label | request words | reply |
//! | --- | --- | --- |
//! | 1 `SOCKET` | w0 kind ([`KIND_TCP`] or [`KIND_UDP`]) | `OK`: w0 handle |
//! | 2 `BIND` | w0 handle, w1 local port (1-65535) | `OK` |
//! | 3 `LISTEN` | w0 handle (a bound TCP socket), w1 backlog (1..=[`MAX_BACKLOG`]) | `OK` |
//! | 4 `ACCEPT` | w0 handle (listening) | waits for a connection; `OK`: w0 new handle (connected), w1 peer address, w2 peer port |
//! | 5 `CONNECT` | w0 handle (TCP, bound or not), w1 address, w2 port | waits until the connection is made; `OK`, or `CONNECTION_REFUSED` |
//! | 6 `CLOSE_SESSION` | as for every object server (supervisor only) | `OK`: w0 sessions closed |
//! | 7 `OPEN_SESSION` | as for every object server (supervisor only) | `OK` |
//! | 8 `SEND` | w0 handle (connected TCP), w1 length (at most [`DATA_MAX`]), bytes from w2 | waits for room; `OK`: w0 bytes taken (at least 1 unless the length was 0) |
//! | 9 `RECV` | w0 handle (connected TCP), w1 most bytes | waits for data; `OK`: w0 bytes (0: the peer finished), the bytes from w1 |
//! | 10 `SENDTO` | w0 handle (bound UDP), w1 address, w2 port, w3 length (at most [`DATA_MAX`]), bytes from w4 | `OK`: w0 bytes sent (the datagram is dropped if the socket's buffer is full, as UDP may) |
//! | 11 `RECVFROM` | w0 handle (bound UDP), w1 most bytes | waits for a datagram; `OK`: w0 bytes (a longer datagram is cut), w1 sender's address, w2 its port, the bytes from w3 |
//! | 12 `CLOSE` | w0 handle | `OK` (a TCP connection is finished politely, and reset if that takes more than 2 s; its port is free again when it is over) |
//! | 13 `NETSTAT` | w0 first row | `OK`: w0 rows in this reply, w1 rows in all, w2 text length, from w3 one [`Row`] line each |
//! | 14 `STATS` | | `OK`: w0 decision-cache hits, w1 misses, w2 flushes, w3 epoch |
//!
//! **Waiting.** `ACCEPT`, `CONNECT`, `SEND`, `RECV` and `RECVFROM` wait
//! without blocking the server: when the socket is not ready, the server
//! keeps the caller's reply capability (seL4 5.0's `CNode_SaveCaller`, into
//! a slot of its own) and answers from there when the network makes the
//! socket ready. The client simply stays in its `Call`. A session has at
//! most one waiting call (a second one is `BUSY`); closing the session (the
//! client exits, is stopped, or loses its connection) drops the saved reply
//! and closes every socket of the session.
//!
//! **Policy.** Local ports are objects `net:tcp/PORT` and `net:udp/PORT`
//! ([`local_object`]), remote TCP endpoints `net:tcp/A.B.C.D:PORT`
//! ([`remote_object`]); `NETSTAT` is `list` on `net:sockets`.
//!
//! | request | operation | object |
//! | --- | --- | --- |
//! | `BIND`, `LISTEN` | `create` | the local port |
//! | `CONNECT` | `connect` | the remote endpoint |
//! | `SEND`, `SENDTO` | `write` | the local port (a connected socket: the remote endpoint) |
//! | `RECV`, `RECVFROM`, `ACCEPT` | `read` | likewise |
//! | `NETSTAT` | `list` | `net:sockets` |
//!
//! Every request asks (through the server's decision cache, emptied when
//! the policy changes), so a policy swap applies to open sockets from the
//! next request on; a call already waiting was decided when it was made.
//!
//! Errors: `DENIED` (policy, or no session), `BAD_REQUEST` (malformed),
//! `TOO_LARGE` (more than [`DATA_MAX`] bytes), `QUOTA_EXHAUSTED` (the
//! session's donated memory cannot hold another socket record) and the
//! labels below.

/// Labels.
pub const SOCKET: u64 = 1;
pub const BIND: u64 = 2;
pub const LISTEN: u64 = 3;
pub const ACCEPT: u64 = 4;
pub const CONNECT: u64 = 5;
pub const CLOSE_SESSION: u64 = crate::store::CLOSE_SESSION;
pub const OPEN_SESSION: u64 = crate::store::OPEN_SESSION;
pub const SEND: u64 = 8;
pub const RECV: u64 = 9;
pub const SENDTO: u64 = 10;
pub const RECVFROM: u64 = 11;
pub const CLOSE: u64 = 12;
pub const NETSTAT: u64 = 13;
pub const STATS: u64 = 14;

/// Socket kinds (`SOCKET`'s w0).
pub const KIND_TCP: u64 = 1;
pub const KIND_UDP: u64 = 2;

/// Error labels of the socket server (beyond the common ones). A handle
/// not open in the session and a session with [`MAX_SOCKETS`] sockets are
/// the file server's labels, so one error type covers both services.
pub const BAD_HANDLE: u64 = crate::fs::BAD_HANDLE;
pub const TOO_MANY_SOCKETS: u64 = crate::fs::TOO_MANY_OPEN;
/// The port is bound by another socket.
pub const ADDRESS_IN_USE: u64 = 0x70;
/// The request does not suit the socket's kind or state (`SEND` on a
/// listening socket, `LISTEN` on UDP, `BIND` twice, ...).
pub const WRONG_STATE: u64 = 0x71;
/// The peer refused or never answered the connection.
pub const CONNECTION_REFUSED: u64 = 0x72;
/// The connection was reset (or aborted) while in use.
pub const CONNECTION_RESET: u64 = 0x73;
/// The session already has a call waiting.
pub const BUSY: u64 = 0x74;

/// Most data bytes one `SEND`, `RECV`, `SENDTO` or `RECVFROM` carries
/// (the message words after at most four header words).
pub const DATA_MAX: usize = (crate::fs::MSG_WORDS - 4) * 8;
/// Sockets a session may have at once (a listening socket's backlog
/// counts as one).
pub const MAX_SOCKETS: usize = 8;
/// Most connections a listening socket holds before they are accepted.
pub const MAX_BACKLOG: u64 = 4;
/// Rows one `NETSTAT` reply carries at most.
pub const NETSTAT_ROWS: usize = 12;

/// The address word of octets `a.b.c.d`.
pub const fn ipv4_word(octets: [u8; 4]) -> u64 {
    u32::from_be_bytes(octets) as u64
}

/// The octets of an address word (`None` if it has bits above 32).
pub fn ipv4_octets(word: u64) -> Option<[u8; 4]> {
    u32::try_from(word).ok().map(u32::to_be_bytes)
}

/// `tcp` or `udp`.
pub fn kind_name(kind: u64) -> &'static str {
    if kind == KIND_UDP {
        "udp"
    } else {
        "tcp"
    }
}

/// The policy object of a local port: `net:tcp/7`.
pub fn local_object(kind: u64, port: u16) -> alloc::string::String {
    alloc::format!("net:{}/{port}", kind_name(kind))
}

/// The policy object of a remote TCP endpoint: `net:tcp/10.0.2.2:80`.
pub fn remote_object(octets: [u8; 4], port: u16) -> alloc::string::String {
    let [a, b, c, d] = octets;
    alloc::format!("net:tcp/{a}.{b}.{c}.{d}:{port}")
}

/// `OWNER` of a `NETSTAT` row for a socket nothing refers to.
pub const NO_OWNER: u16 = u16::MAX;

/// The object `NETSTAT` lists.
pub const NETSTAT_OBJECT: &str = "net:sockets";

/// One `NETSTAT` line: `PROTO LOCAL PEER STATE OWNER`, single spaces,
/// `LOCAL` and `PEER` as `A.B.C.D:PORT` or `*`, `STATE` without spaces,
/// `OWNER` the client id in decimal (0: a connection still closing after
/// its socket was closed; [`NO_OWNER`]: a socket the server's books lost,
/// which would be a bug).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Row<'a> {
    pub proto: &'a str,
    pub local: &'a str,
    pub peer: &'a str,
    pub state: &'a str,
    pub owner: u16,
}

impl<'a> Row<'a> {
    /// Parses a line (without its newline); `None` if it is not one.
    pub fn parse(line: &'a str) -> Option<Row<'a>> {
        let mut p = line.split(' ');
        let row = Row {
            proto: p.next().filter(|s| *s == "tcp" || *s == "udp")?,
            local: p.next().filter(|s| !s.is_empty())?,
            peer: p.next().filter(|s| !s.is_empty())?,
            state: p.next().filter(|s| !s.is_empty())?,
            owner: p.next()?.parse().ok()?,
        };
        p.next().is_none().then_some(row)
    }
}

impl core::fmt::Display for Row<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "{} {} {} {} {}",
            self.proto, self.local, self.peer, self.state, self.owner
        )
    }
}

/// A request as the socket server reads it (the protocol table above, in
/// types): words checked, data copied out of the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    Socket(u64),
    Bind(u32, u16),
    Listen(u32, u64),
    Accept(u32),
    Connect(u32, [u8; 4], u16),
    Send(u32, &'a [u8]),
    Recv(u32, usize),
    SendTo(u32, [u8; 4], u16, &'a [u8]),
    RecvFrom(u32, usize),
    Close(u32),
    Netstat(usize),
}

/// Reads request `label` from the message `words` (all it has), copying
/// data into `out` (at least [`DATA_MAX`] bytes); `Err` is the label to
/// answer with (`BAD_REQUEST`, `TOO_LARGE`, [`BAD_HANDLE`]). Any words
/// give a request or an error, never a panic.
pub fn decode<'a>(label: u64, words: &[u64], out: &'a mut [u8]) -> Result<Request<'a>, u64> {
    use crate::{BAD_REQUEST, TOO_LARGE};
    let w = |i: usize| words.get(i).copied().ok_or(BAD_REQUEST);
    let handle = |i: usize| w(i).and_then(|h| u32::try_from(h).map_err(|_| BAD_HANDLE));
    let port = |i: usize| w(i).and_then(|p| u16::try_from(p).ok().filter(|p| *p != 0).ok_or(BAD_REQUEST));
    let address = |i: usize| w(i).and_then(|a| ipv4_octets(a).ok_or(BAD_REQUEST));
    let max = |i: usize| w(i).map(|m| (m as usize).min(DATA_MAX));
    let data = |len_at: usize, out: &'a mut [u8]| -> Result<&'a [u8], u64> {
        let len = w(len_at)?;
        if len > DATA_MAX as u64 {
            return Err(TOO_LARGE);
        }
        let len = len as usize;
        let from = len_at + 1;
        let src = words.get(from..from + len.div_ceil(8)).ok_or(BAD_REQUEST)?;
        crate::unpack_bytes(src.iter().copied(), len, out).ok_or(BAD_REQUEST)
    };
    Ok(match label {
        SOCKET => match w(0)? {
            k @ (KIND_TCP | KIND_UDP) => Request::Socket(k),
            _ => return Err(BAD_REQUEST),
        },
        BIND => Request::Bind(handle(0)?, port(1)?),
        LISTEN => Request::Listen(handle(0)?, w(1)?),
        ACCEPT => Request::Accept(handle(0)?),
        CONNECT => Request::Connect(handle(0)?, address(1)?, port(2)?),
        SEND => Request::Send(handle(0)?, data(1, out)?),
        RECV => Request::Recv(handle(0)?, max(1)?),
        SENDTO => Request::SendTo(handle(0)?, address(1)?, port(2)?, data(3, out)?),
        RECVFROM => Request::RecvFrom(handle(0)?, max(1)?),
        CLOSE => Request::Close(handle(0)?),
        NETSTAT => Request::Netstat(usize::try_from(words.first().copied().unwrap_or(0)).map_err(|_| BAD_REQUEST)?),
        _ => return Err(BAD_REQUEST),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;
    use proptest::prelude::*;

    #[test]
    fn requests_decode_and_bad_ones_are_refused_with_their_label() {
        let mut out = [0u8; DATA_MAX];
        let addr = ipv4_word([10, 0, 2, 2]);
        assert_eq!(decode(SOCKET, &[KIND_UDP], &mut out), Ok(Request::Socket(KIND_UDP)));
        assert_eq!(decode(SOCKET, &[9], &mut out), Err(crate::BAD_REQUEST));
        assert_eq!(
            decode(CONNECT, &[1, addr, 80], &mut out),
            Ok(Request::Connect(1, [10, 0, 2, 2], 80))
        );
        assert_eq!(
            decode(CONNECT, &[1, addr, 0], &mut out),
            Err(crate::BAD_REQUEST),
            "port 0"
        );
        assert_eq!(
            decode(CONNECT, &[1, 1 << 40, 80], &mut out),
            Err(crate::BAD_REQUEST),
            "not IPv4"
        );
        assert_eq!(decode(BIND, &[1 << 33, 7], &mut out), Err(BAD_HANDLE));
        assert_eq!(decode(BIND, &[1, 7], &mut out), Ok(Request::Bind(1, 7)));
        assert_eq!(
            decode(BIND, &[1, 1 << 16], &mut out),
            Err(crate::BAD_REQUEST),
            "not a port"
        );
        let hello = u64::from_le_bytes(*b"hello\0\0\0");
        assert_eq!(decode(SEND, &[2, 5, hello], &mut out), Ok(Request::Send(2, b"hello")));
        assert_eq!(
            decode(SEND, &[2, 9, hello], &mut out),
            Err(crate::BAD_REQUEST),
            "9 bytes in one word"
        );
        assert_eq!(decode(SEND, &[2, DATA_MAX as u64 + 1], &mut out), Err(crate::TOO_LARGE));
        assert_eq!(
            decode(SENDTO, &[2, addr, 53, 5, hello], &mut out),
            Ok(Request::SendTo(2, [10, 0, 2, 2], 53, b"hello"))
        );
        assert_eq!(decode(RECV, &[2, u64::MAX], &mut out), Ok(Request::Recv(2, DATA_MAX)));
        assert_eq!(decode(NETSTAT, &[], &mut out), Ok(Request::Netstat(0)));
        assert_eq!(decode(99, &[1, 2], &mut out), Err(crate::BAD_REQUEST));
    }

    proptest! {
        /// Any label and words: a request or an error label, never a panic.
        #[test]
        fn decoding_never_panics(label in 0u64..20, words in proptest::collection::vec(any::<u64>(), 0..crate::fs::MSG_WORDS)) {
            let mut out = [0u8; DATA_MAX];
            if let Err(l) = decode(label, &words, &mut out) {
                prop_assert!([crate::BAD_REQUEST, crate::TOO_LARGE, BAD_HANDLE].contains(&l));
            }
        }
    }

    // RECVFROM's reply: three header words and the data.
    const _: () = assert!(DATA_MAX + 3 * 8 <= crate::fs::MSG_WORDS * 8);

    #[test]
    fn a_transfer_fits_the_ipc_buffer() {
        // SENDTO: four header words and the data fill the IPC buffer.
        assert_eq!(DATA_MAX + 4 * 8, crate::fs::MSG_WORDS * 8);
    }

    #[test]
    fn addresses_and_objects() {
        assert_eq!(ipv4_word([10, 0, 2, 15]), 0x0a00_020f);
        assert_eq!(ipv4_octets(0x0a00_020f), Some([10, 0, 2, 15]));
        assert_eq!(ipv4_octets(1 << 32), None);
        assert_eq!(local_object(KIND_TCP, 7), "net:tcp/7");
        assert_eq!(local_object(KIND_UDP, 5000), "net:udp/5000");
        assert_eq!(remote_object([10, 0, 2, 2], 80), "net:tcp/10.0.2.2:80");
    }

    #[test]
    fn rows_round_trip_and_junk_is_refused() {
        let r = Row {
            proto: "tcp",
            local: "10.0.2.15:7",
            peer: "10.0.2.2:40000",
            state: "ESTABLISHED",
            owner: 12,
        };
        let line = r.to_string();
        assert_eq!(line, "tcp 10.0.2.15:7 10.0.2.2:40000 ESTABLISHED 12");
        assert_eq!(Row::parse(&line), Some(r));
        for bad in [
            "",
            "icmp a b c 1",
            "tcp a b c",
            "tcp a b c x",
            "tcp a b c 1 extra",
            "tcp  b c 1",
            "tcp a b c 70000",
        ] {
            assert_eq!(Row::parse(bad), None, "{bad:?}");
        }
    }
}
