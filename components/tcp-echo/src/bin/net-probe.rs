//! `net-probe`: what the policy and the server decide, one line each, then
//! an exit with sockets open (see the crate doc).

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

use pride_posix::SocketKind;
use pride_rt::{println, supervisor};
use tcp_echo::{outcome, sockets};

pride_rt::component_entry!(main);

fn main(_boot: pride_rt::component::Boot) -> ! {
    supervisor::ready();
    let mut s = sockets();
    let mut open = 0;
    for (kind, name, port) in [
        (SocketKind::Tcp, "tcp", 8),
        (SocketKind::Udp, "udp", 9),
        (SocketKind::Tcp, "tcp", 7),
    ] {
        let r = s.socket(kind).and_then(|sd| {
            open += 1;
            s.bind(sd, port)
        });
        println!("net-probe: bind {name}/{port}: {}", outcome(&r));
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
