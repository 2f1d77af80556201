//! `tcp-echo`: a TCP echo server on port 7 over the socket server (see the
//! crate doc).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_posix::SocketKind;
use pride_rt::{println, supervisor};
use tcp_echo::{bound, fail, sockets};

pride_rt::component_entry!(main);

const PORT: u16 = 7;

fn main(_boot: pride_rt::component::Boot) -> ! {
    let mut s = sockets();
    let listener = bound(&mut s, SocketKind::Tcp, PORT, "tcp-echo");
    if let Err(e) = s.listen(listener, 2) {
        fail("tcp-echo: listen", e);
    }
    println!("tcp-echo: listening on tcp/{PORT}");
    supervisor::ready();
    let mut buf = [0u8; 1024];
    let mut served = 0u64;
    loop {
        let (conn, peer) = s.accept(listener).unwrap_or_else(|e| fail("tcp-echo: accept", e));
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
