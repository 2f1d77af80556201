//! `udp-echo`: sends every datagram to UDP port 7 back to its sender (see
//! the crate doc). Two datagrams are requests instead, answered with one
//! line:
//!
//! - `bind tcp/PORT`: tries to bind a TCP socket to PORT; answers
//!   `bind tcp/PORT: ok` or why not (the host asks the policy about one
//!   long-lived subject before and after a swap);
//! - `connect A.B.C.D:PORT`: connects there by TCP, sends
//!   `hello from udp-echo\n`, reads one answer and closes; answers
//!   `connect A.B.C.D:PORT: ok, got LINE` or why not.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use pride_posix::{NetConnection, Sd, SocketAddr, SocketKind, Sockets};
use pride_rt::{println, supervisor};
use tcp_echo::{bound, fail, outcome, sockets};

pride_rt::component_entry!(main);

const PORT: u16 = 7;
const BIND_REQUEST: &[u8] = b"bind tcp/";
const CONNECT_REQUEST: &[u8] = b"connect ";
/// Echoed datagrams reported on the console.
const QUIET_AFTER: u64 = 3;
/// Datagrams of `cargo xtask bench` that mark the start and end of a
/// workload (as for the echo server).
const BENCH_TAG: &[u8] = b"PRIDE-MARK";

/// Answers a `bind tcp/PORT` datagram.
fn try_bind(s: &mut Sockets<NetConnection>, sd: Sd, request: &[u8], from: SocketAddr) {
    let port = core::str::from_utf8(&request[BIND_REQUEST.len()..])
        .ok()
        .and_then(|p| p.trim().parse::<u16>().ok())
        .unwrap_or(0);
    let r = s.socket(SocketKind::Tcp).and_then(|t| {
        let r = s.bind(t, port);
        let _ = s.close(t);
        r
    });
    let answer = alloc::format!("bind tcp/{port}: {}", outcome(&r));
    println!("udp-echo: {answer}");
    let _ = s.send_to(sd, answer.as_bytes(), from);
}

/// `A.B.C.D:PORT`.
fn parse_addr(text: &str) -> Option<SocketAddr> {
    let (ip, port) = text.trim().split_once(':')?;
    let mut octets = [0u8; 4];
    let mut parts = ip.split('.');
    for o in &mut octets {
        *o = parts.next()?.parse().ok()?;
    }
    if parts.next().is_some() {
        return None;
    }
    Some(SocketAddr::new(octets, port.parse().ok()?))
}

/// Answers a `connect A.B.C.D:PORT` datagram.
fn try_connect(s: &mut Sockets<NetConnection>, sd: Sd, request: &[u8], from: SocketAddr) {
    let target = core::str::from_utf8(&request[CONNECT_REQUEST.len()..])
        .ok()
        .and_then(parse_addr);
    let answer = match target {
        None => alloc::string::String::from("connect: not A.B.C.D:PORT"),
        Some(to) => {
            let mut buf = [0u8; 64];
            let r = s.socket(SocketKind::Tcp).and_then(|t| {
                let r = s
                    .connect(t, to)
                    .and_then(|()| s.send(t, b"hello from udp-echo\n"))
                    .and_then(|_| s.recv(t, &mut buf));
                let _ = s.close(t);
                r
            });
            match r {
                Ok(n) => {
                    let got = core::str::from_utf8(&buf[..n]).unwrap_or("?").trim_end();
                    alloc::format!("connect {to}: ok, got {got}")
                }
                Err(e) => alloc::format!("connect {to}: {}", e.text()),
            }
        }
    };
    println!("udp-echo: {answer}");
    let _ = s.send_to(sd, answer.as_bytes(), from);
}

fn main(_boot: pride_rt::component::Boot) -> ! {
    let mut s = sockets();
    let sd = bound(&mut s, SocketKind::Udp, PORT, "udp-echo");
    println!("udp-echo: bound udp/{PORT}");
    supervisor::ready();
    let mut buf = [0u8; 1024];
    let mut n_datagrams = 0u64;
    loop {
        let (n, from) = s
            .recv_from(sd, &mut buf)
            .unwrap_or_else(|e| fail("udp-echo: recvfrom", e));
        n_datagrams += 1;
        if buf[..n].starts_with(BENCH_TAG) {
            // `cargo xtask bench`'s socket round trip brackets its
            // workloads with tagged datagrams: the instruction-counting
            // plugin notes the count at the marker; they are echoed
            // quietly.
            kernel_iface::bench_marker();
            let _ = s.send_to(sd, &buf[..n], from);
            continue;
        }
        if buf[..n].starts_with(BIND_REQUEST) {
            try_bind(&mut s, sd, &buf[..n], from);
            continue;
        }
        if buf[..n].starts_with(CONNECT_REQUEST) {
            try_connect(&mut s, sd, &buf[..n], from);
            continue;
        }
        // The first few are reported; a load is echoed quietly.
        match s.send_to(sd, &buf[..n], from) {
            Ok(_) if n_datagrams <= QUIET_AFTER => {
                println!("udp-echo: datagram {n_datagrams} ({n} bytes) from {from} sent back")
            }
            Ok(_) => {}
            Err(e) => println!("udp-echo: datagram {n_datagrams} from {from}: {}", e.text()),
        }
    }
}
