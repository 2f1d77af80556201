//! `tcp-echo`: a TCP echo server on port 7 over the socket server (see the
//! crate doc). When the socket server restarts (a waiting `accept` is
//! answered `SERVER_RESTARTED`, or the connection is gone) it says so and
//! exits.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_posix::{Errno, NetConnection, Sd, SocketKind, Sockets};
use pride_rt::{println, supervisor};
use tcp_echo::{bound, fail, sockets};

pride_rt::component_entry!(main);

const PORT: u16 = 7;

/// A listening socket on [`PORT`].
fn listen() -> (Sockets<NetConnection>, Sd) {
    let mut s = sockets();
    let listener = bound(&mut s, SocketKind::Tcp, PORT, "tcp-echo");
    if let Err(e) = s.listen(listener, 2) {
        fail("tcp-echo: listen", e);
    }
    println!("tcp-echo: listening on tcp/{PORT}");
    (s, listener)
}

fn main(_boot: pride_rt::component::Boot) -> ! {
    let (mut s, listener) = listen();
    supervisor::ready();
    let mut buf = [0u8; 1024];
    let mut served = 0u64;
    loop {
        let (conn, peer) = match s.accept(listener) {
            Ok(c) => c,
            Err(Errno::ServerRestarted | Errno::NoConnection) => {
                // Its sockets went with it. (Connecting again at once would
                // be refused while the new server starts, and this
                // component has no timer to wait with: it ends, and is
                // launched again.)
                println!("tcp-echo: the socket server restarted; exiting");
                supervisor::exit(0)
            }
            Err(e) => fail("tcp-echo: accept", e),
        };
        served += 1;
        println!("tcp-echo: connection {served} from {peer}");
        let mut echoed = 0usize;
        let why = loop {
            match s.recv(conn, &mut buf) {
                Ok(0) => break "the peer finished",
                Ok(n) => match s.send(conn, &buf[..n]) {
                    Ok(m) => echoed += m,
                    Err(e) => break e.text(),
                },
                Err(e) => break e.text(),
            }
        };
        let _ = s.close(conn);
        println!("tcp-echo: connection {served} closed ({why}), {echoed} bytes echoed");
    }
}
