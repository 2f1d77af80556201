//! `net-probe`: what the policy and the server decide, one line each, then
//! an exit with sockets open (see the crate doc). Under the allowlist it
//! may bind UDP 9 but not send from it.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_posix::{SocketAddr, SocketKind};
use pride_rt::{println, supervisor};
use tcp_echo::{outcome, sockets};

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    supervisor::ready();
    let mut s = sockets();
    let mut open = 0;
    let mut udp = None;
    for (kind, name, port) in [
        (SocketKind::Tcp, "tcp", 8),
        (SocketKind::Udp, "udp", 9),
        (SocketKind::Tcp, "tcp", 7),
    ] {
        let r = s.socket(kind).and_then(|sd| {
            open += 1;
            s.bind(sd, port).map(|()| sd)
        });
        if kind == SocketKind::Udp {
            udp = r.ok();
        }
        println!("net-probe: bind {name}/{port}: {}", outcome(&r));
    }
    // Bound is not allowed to send: `write` on the port is a decision of
    // its own.
    if let Some(sd) = udp {
        let r = s.send_to(sd, b"probe", SocketAddr::new([10, 0, 2, 2], 9));
        println!("net-probe: sendto from udp/9: {}", outcome(&r));
    }
    let r = s.socket(SocketKind::Tcp).and_then(|sd| {
        open += 1;
        s.bind(sd, 10)?;
        s.listen(sd, 1)
    });
    println!("net-probe: listen tcp/10: {}", outcome(&r));
    println!("net-probe: exiting with {open} sockets open");
    supervisor::exit(0)
}
