//! # tcp-echo: clients of the socket server
//!
//! Components written against `pride-posix`'s sockets (descriptors over a
//! connection to the `net` service, the socket server of the `sockets`
//! system), as ordinary blocking code: `accept`, `recv` and `recvfrom`
//! wait at the server, which answers when the network has something.
//!
//! | image | what it does |
//! | --- | --- |
//! | `tcp-echo` | listens on TCP port 7 and sends back every byte of each connection, one connection after the other, until the peer finishes; then accepts the next |
//! | `udp-echo` | binds UDP port 7 and sends every datagram back to its sender; `bind tcp/PORT` and `connect A.B.C.D:PORT` datagrams are requests (it binds, or connects and exchanges a line, and answers how it went) |
//! | `net-probe` | tries what the policy decides and what the server refuses (binds TCP 8, UDP 9, TCP 7 again; listens on TCP 10), prints one line per try, and exits with its sockets open: the server must close them |
//!
//! Each says what it does in one line per event, which the `sockets`
//! scenario reads.

#![no_std]
#![forbid(unsafe_code)]

use pride_posix::{Errno, NetConnection, Sd, SocketKind, Sockets};

/// The sockets of this component, over its first wanted connection (`net`).
pub fn sockets() -> Sockets<NetConnection> {
    Sockets::new(NetConnection(pride_rt::supervisor::connection(0)))
}

/// `ok`, or the error's text.
pub fn outcome<T>(r: &Result<T, Errno>) -> &'static str {
    match r {
        Ok(_) => "ok",
        Err(e) => e.text(),
    }
}

/// Reports a failed call in one line and exits with code 1.
pub fn fail(what: &str, e: Errno) -> ! {
    pride_rt::println!("{what}: {} ({e:?})", e.text());
    pride_rt::supervisor::exit(1)
}

/// A socket of `kind` bound to `port`; `who` reports and exits if not.
pub fn bound(s: &mut Sockets<NetConnection>, kind: SocketKind, port: u16, who: &str) -> Sd {
    let name = if kind == SocketKind::Udp { "udp" } else { "tcp" };
    let sd = s.socket(kind).unwrap_or_else(|e| fail(who, e));
    if let Err(e) = s.bind(sd, port) {
        pride_rt::println!("{who}: bind {name}/{port}: {} ({e:?})", e.text());
        pride_rt::supervisor::exit(1)
    }
    sd
}
