//! The `sockets` scenario: the socket server (`system sockets`, service
//! `net`) serving components written against `pride-posix`, driven from
//! the host through QEMU's forwarded port (host port → guest port 7, TCP
//! and UDP, as for the echo system).
//!
//! The guest boots the allowlist policy and the sockets system; the shell
//! is refused `system start echo` (the same driver, card and memory), then
//! launches `tcp-echo` (TCP port 7) and `udp-echo` (UDP port 7). The host
//! ([`from_host`]) then, step by step, each step started by a line the
//! guest prints:
//!
//! 1. one UDP datagram comes back unchanged; two TCP connections one after
//!    the other, each several lines and a 3000-byte block, come back
//!    exactly;
//!    udp-echo, asked by datagrams, connects to a listener on the host
//!    (a line each way), is refused by a host port nobody listens on
//!    (`CONNECTION_REFUSED`) and by the policy for another host;
//! 2. `netstat` (1) lists tcp-echo's listener and udp-echo's socket;
//! 3. `launch net-probe`: the policy denies TCP port 8 (`DENIED`), allows
//!    UDP 9 (but not sending from it) and TCP 10, and TCP 7 is taken
//!    (`ADDRESS_IN_USE`); it exits with its 4 sockets open, and
//!    `netstat` (2) shows none of them;
//! 4. udp-echo, asked by a datagram `bind tcp/8`, is denied the port
//!    (the server caches the denial); after `policy swap open` the same
//!    question is allowed (the cache was flushed), and so is net-probe,
//!    launched again; `netstat` (3) shows none of its sockets after it
//!    exits;
//! 5. `stop tcp-echo` while it waits in `accept` (the server holds its
//!    reply capability): `netstat` (4) shows no tcp-echo socket, only
//!    udp-echo's; `launch tcp-echo` listens again and a third TCP
//!    connection is echoed: nothing of the stopped one stood in the way;
//! 6. `restart net_sockets` while tcp-echo waits in `accept` (its reply
//!    capability saved in the old server): the supervisor releases it with
//!    `SERVER_RESTARTED` (it exits); launched again, it listens on the new
//!    server and a fourth connection is echoed.

use pride_harness::{Check, Expectation, HostStep};

/// The boot script: the allowlist policy and the socket server's system.
pub const BOOT_CFG: &str = "launch ping\nlaunch policy-allowlist\nsystem sockets\n";

/// Typed at the first prompt.
pub const INPUT: &str = "system start echo\nlaunch tcp-echo\nlaunch udp-echo\n";

/// The rows of the `k`th (from 0) `netstat` in the transcript, or why not.
fn netstat_rows(lines: &[String], k: usize) -> Result<Vec<String>, String> {
    let start = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.starts_with("netstat: ") && l.ends_with(" sockets"))
        .nth(k)
        .map(|(i, _)| i)
        .ok_or(format!("no netstat output number {}", k + 1))?;
    let expected: usize = lines[start]
        .trim_start_matches("netstat: ")
        .trim_end_matches(" sockets")
        .parse()
        .map_err(|_| format!("unreadable netstat header: {}", lines[start]))?;
    let rows: Vec<String> = lines[start + 1..]
        .iter()
        .skip_while(|l| l.starts_with("proto "))
        .take_while(|l| l.starts_with("tcp ") || l.starts_with("udp "))
        .cloned()
        .collect();
    if rows.len() != expected {
        return Err(format!("netstat said {expected} sockets but listed {}", rows.len()));
    }
    Ok(rows)
}

/// A check that the `k`th netstat lists exactly `wanted` (proto, local,
/// state, owner), but for connections still closing (owner `-`) if
/// `closing_ok`: a socket left behind by a client that is gone shows as an
/// extra row (owned by its name, `#id` once the supervisor forgot it, or
/// `?` if the server lost it from its books).
fn netstat_check(
    name: &'static str,
    k: usize,
    wanted: &'static [(&'static str, &'static str, &'static str, &'static str)],
    closing_ok: bool,
) -> Check {
    Check::new(name, move |lines| {
        let rows = netstat_rows(lines, k)?;
        let matches = |r: &String, (proto, local, state, owner): &(&str, &str, &str, &str)| {
            let f: Vec<&str> = r.split_whitespace().collect();
            f.len() >= 5 && f[0] == *proto && f[1] == *local && f[3] == *state && f[4] == *owner
        };
        for w in wanted {
            if !rows.iter().any(|r| matches(r, w)) {
                return Err(format!("no row '{} {} {} {}' in {rows:?}", w.0, w.1, w.2, w.3));
            }
        }
        let closing = |r: &String| closing_ok && r.split_whitespace().nth(4) == Some("-");
        match rows
            .iter()
            .find(|r| !wanted.iter().any(|w| matches(r, w)) && !closing(r))
        {
            Some(extra) => Err(format!("a socket that should be gone: {extra}")),
            None => Ok(()),
        }
    })
}

const ECHO_ROWS: &[(&str, &str, &str, &str)] = &[
    ("tcp", "10.0.2.15:7", "LISTEN", "tcp-echo"),
    ("udp", "10.0.2.15:7", "BOUND", "udp-echo"),
];

pub fn expectation() -> Expectation {
    Expectation {
        cases: vec![],
        checks: vec![
            Check::contains(
                "the socket server runs on the network path",
                "[net_sockets] net_sockets: serving TCP and UDP sockets on 10.0.2.15",
            ),
            Check::contains(
                "the echo system is refused while the sockets system runs",
                "error: system: system description refused: protection domain 'net_driver'",
            ),
            Check::contains(
                "tcp-echo listens through the socket server",
                "[tcp-echo] tcp-echo: listening on tcp/7",
            ),
            Check::contains("udp-echo is bound", "[udp-echo] udp-echo: bound udp/7"),
            Check::contains("a UDP datagram comes back from udp-echo", "[host] udp exchange: ok"),
            Check::contains(
                "a datagram longer than a message comes back cut, and the next call still works",
                "[host] long datagram cut: ok",
            ),
            Check::contains("a TCP connection is echoed exactly", "[host] tcp connection 1: ok"),
            Check::contains(
                "a second TCP connection is echoed after the first closed",
                "[host] tcp connection 2: ok",
            ),
            Check::contains(
                "tcp-echo saw both connections end",
                "[tcp-echo] tcp-echo: connection 2 closed (the peer finished)",
            ),
            Check::new("udp-echo connects to a listener on the host and they talk", |lines| {
                let answer = lines
                    .iter()
                    .find(|l| l.starts_with("[host] udp-echo connect to the host: "))
                    .ok_or("no answer recorded")?;
                if !answer.starts_with("[host] udp-echo connect to the host: connect 10.0.2.2:")
                    || !answer.ends_with(": ok, got hi pride")
                {
                    return Err(answer.clone());
                }
                match lines.iter().find(|l| l.starts_with("[host] the host's listener")) {
                    Some(l) if l == "[host] the host's listener got: hello from udp-echo" => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            }),
            Check::new("a connection to a closed port is refused", |lines| {
                match lines
                    .iter()
                    .find(|l| l.starts_with("[host] udp-echo connect to a closed host port: "))
                {
                    Some(l) if l.ends_with(": connection refused") => Ok(()),
                    other => Err(format!("{other:?}")),
                }
            }),
            Check::contains(
                "the policy denies a connection to another host",
                "[host] udp-echo connect to 10.0.2.3:80: connect 10.0.2.3:80: permission denied by the security policy",
            ),
            netstat_check(
                "netstat lists tcp-echo's listener and udp-echo's socket",
                0,
                ECHO_ROWS,
                true,
            ),
            Check::contains(
                "the policy denies net-probe TCP port 8",
                "[net-probe] net-probe: bind tcp/8: permission denied by the security policy",
            ),
            Check::contains("the policy allows net-probe UDP port 9", "[net-probe] net-probe: bind udp/9: ok"),
            Check::contains(
                "the policy denies net-probe sending from UDP port 9 (write, decided per request)",
                "[net-probe] net-probe: sendto from udp/9: permission denied by the security policy",
            ),
            Check::contains(
                "after the swap net-probe may send from it",
                "[net-probe] net-probe: sendto from udp/9: ok",
            ),
            Check::contains(
                "a port another client holds is refused",
                "[net-probe] net-probe: bind tcp/7: address already in use",
            ),
            Check::contains(
                "net-probe listens on TCP port 10",
                "[net-probe] net-probe: listen tcp/10: ok",
            ),
            Check::contains(
                "net-probe exits with its sockets open",
                "[net-probe] net-probe: exiting with 4 sockets open",
            ),
            netstat_check(
                "after net-probe exited none of its sockets is left",
                1,
                ECHO_ROWS,
                true,
            ),
            Check::contains(
                "after 'policy swap open' TCP port 8 is allowed to a new client",
                "[net-probe] net-probe: bind tcp/8: ok",
            ),
            Check::contains(
                "the allowlist denies udp-echo TCP port 8 (decision cached)",
                "[host] udp-echo asked to bind tcp/8 under the allowlist: bind tcp/8: permission denied by the security policy",
            ),
            Check::contains(
                "after the swap the same client may (its cached denial was flushed)",
                "[host] udp-echo asked to bind tcp/8 after the swap: bind tcp/8: ok",
            ),
            netstat_check(
                "after net-probe exited again none of its sockets is left",
                2,
                ECHO_ROWS,
                true,
            ),
            netstat_check(
                "tcp-echo stopped while waiting in accept leaves no socket, and no closed connection lingers",
                3,
                &[("udp", "10.0.2.15:7", "BOUND", "udp-echo")],
                false,
            ),
            Check::contains(
                "tcp-echo launched again echoes a new connection",
                "[host] tcp connection 3: ok",
            ),
            Check::contains(
                "restarting the socket server releases tcp-echo from accept (SERVER_RESTARTED)",
                "[tcp-echo] tcp-echo: the socket server restarted; exiting",
            ),
            Check::contains(
                "after the restart a new tcp-echo listens and echoes a connection",
                "[host] tcp connection 4: ok",
            ),
        ],
        exit_status: 0,
    }
}

/// Several lines, each sent and read back on its own, then a 3000-byte
/// block; the connection is then closed by the host.
fn tcp_session(port: u16, n: usize) -> std::io::Result<usize> {
    use std::io::{Read, Write};
    use std::time::Duration;
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let mut s = std::net::TcpStream::connect_timeout(&addr, Duration::from_secs(5))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut total = 0;
    let block: Vec<u8> = (0..3000u32).map(|i| b"pride sockets "[i as usize % 14]).collect();
    let lines: Vec<Vec<u8>> = (1..=3)
        .map(|i| format!("connection {n} line {i}\n").into_bytes())
        .chain(std::iter::once(block))
        .collect();
    for message in &lines {
        s.write_all(message)?;
        let mut back = vec![0u8; message.len()];
        s.read_exact(&mut back)?;
        if &back != message {
            return Err(std::io::Error::other(format!(
                "sent {:?}, got {:?} back",
                String::from_utf8_lossy(&message[..message.len().min(40)]),
                String::from_utf8_lossy(&back[..back.len().min(40)])
            )));
        }
        total += back.len();
    }
    s.shutdown(std::net::Shutdown::Write)?;
    // The echo server finishes too: end of stream, nothing more.
    let mut rest = Vec::new();
    s.read_to_end(&mut rest)?;
    if !rest.is_empty() {
        return Err(std::io::Error::other(format!(
            "{} unexpected bytes at the end",
            rest.len()
        )));
    }
    Ok(total)
}

fn record(what: &str, r: std::io::Result<usize>) -> String {
    match r {
        Ok(n) => format!("{what}: ok ({n} bytes)"),
        Err(e) => format!("{what}: FAILED ({e})"),
    }
}

/// A datagram longer than one message carries comes back cut to
/// [`pride_supervisor_api::net::DATA_MAX`] bytes.
fn long_datagram(port: u16) -> std::io::Result<usize> {
    use std::time::Duration;
    let max = pride_supervisor_api::net::DATA_MAX;
    let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let message: Vec<u8> = (0..1000u32).map(|i| (i % 200) as u8 + 32).collect();
    sock.send_to(&message, ("127.0.0.1", port))?;
    let mut buf = [0u8; 2048];
    let (n, _) = sock.recv_from(&mut buf)?;
    if n != max || buf[..n] != message[..max] {
        return Err(std::io::Error::other(format!("got {n} bytes, not the first {max}")));
    }
    Ok(n)
}

/// Sends `request` to udp-echo and returns its answer.
fn udp_request(port: u16, request: &str) -> std::io::Result<String> {
    use std::time::Duration;
    let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
    sock.set_read_timeout(Some(Duration::from_secs(2)))?;
    let mut buf = [0u8; 256];
    for _ in 0..3 {
        sock.send_to(request.as_bytes(), ("127.0.0.1", port))?;
        if let Ok((n, _)) = sock.recv_from(&mut buf) {
            return Ok(String::from_utf8_lossy(&buf[..n]).into_owned());
        }
    }
    Err(std::io::Error::other("no answer to 3 datagrams"))
}

fn record_answer(what: &str, r: std::io::Result<String>) -> String {
    match r {
        Ok(a) => format!("{what}: {a}"),
        Err(e) => format!("{what}: FAILED ({e})"),
    }
}

/// Asks udp-echo to connect to `to` (one datagram, its answer awaited
/// for 10 s: a connection takes a while).
fn connect_request(port: u16, to: &str) -> std::io::Result<String> {
    use std::time::Duration;
    let sock = std::net::UdpSocket::bind("127.0.0.1:0")?;
    sock.set_read_timeout(Some(Duration::from_secs(10)))?;
    sock.send_to(format!("connect {to}").as_bytes(), ("127.0.0.1", port))?;
    let mut buf = [0u8; 256];
    let (n, _) = sock.recv_from(&mut buf)?;
    Ok(String::from_utf8_lossy(&buf[..n]).into_owned())
}

/// Lines for the host's part in udp-echo's outgoing connections: one to a
/// listener on the host (10.0.2.2 from the guest), which answers `hi
/// pride`; one to a host port nobody listens on; one the policy denies.
fn outgoing(port: u16) -> Vec<String> {
    use std::io::{BufRead, BufReader, Write};
    use std::time::{Duration, Instant};
    let mut out = Vec::new();
    let listener = match std::net::TcpListener::bind("127.0.0.1:0") {
        Ok(l) => l,
        Err(e) => return vec![format!("host listener: FAILED ({e})")],
    };
    let lport = listener.local_addr().map(|a| a.port()).unwrap_or(0);
    let server = std::thread::spawn(move || -> std::io::Result<String> {
        listener.set_nonblocking(true)?;
        let deadline = Instant::now() + Duration::from_secs(15);
        let (stream, _) = loop {
            match listener.accept() {
                Ok(c) => break c,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => return Err(e),
            }
        };
        stream.set_nonblocking(false)?;
        stream.set_read_timeout(Some(Duration::from_secs(5)))?;
        let mut line = String::new();
        BufReader::new(&stream).read_line(&mut line)?;
        (&stream).write_all(b"hi pride\n")?;
        Ok(line.trim_end().to_string())
    });
    out.push(record_answer(
        "udp-echo connect to the host",
        connect_request(port, &format!("10.0.2.2:{lport}")),
    ));
    out.push(match server.join() {
        Ok(Ok(line)) => format!("the host's listener got: {line}"),
        Ok(Err(e)) => format!("the host's listener: FAILED ({e})"),
        Err(_) => "the host's listener: FAILED (panicked)".to_string(),
    });
    // A port nobody listens on: take a free one and let it go.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(1);
    out.push(record_answer(
        "udp-echo connect to a closed host port",
        connect_request(port, &format!("10.0.2.2:{closed}")),
    ));
    out.push(record_answer(
        "udp-echo connect to 10.0.2.3:80",
        connect_request(port, "10.0.2.3:80"),
    ));
    out
}

/// Types `text` into the guest's console.
fn typed(text: &str) -> HostStep {
    HostStep {
        record: vec![],
        input: Some(text.to_string()),
    }
}

/// The host's side (see the module doc).
pub fn from_host(port: u16) -> impl FnMut(&str) -> HostStep {
    let (mut tcp_ready, mut udp_ready, mut talked) = (false, false, false);
    let mut netstats = 0;
    let mut relaunched = false;
    let mut restarted = false;
    move |line: &str| {
        if line.contains("[tcp-echo] tcp-echo: listening on tcp/7") && restarted {
            let mut step = typed("shutdown\n");
            step.record.push(record("tcp connection 4", tcp_session(port, 4)));
            return step;
        }
        if line.contains("[tcp-echo] tcp-echo: listening on tcp/7") && relaunched {
            // Then the socket server itself is restarted under tcp-echo,
            // which waits in accept.
            let mut step = typed("restart net_sockets\n");
            step.record.push(record("tcp connection 3", tcp_session(port, 3)));
            return step;
        }
        if line.contains("restart: 'net_sockets' restarted") {
            // The shell is back once the new server said READY.
            restarted = true;
            return typed("launch tcp-echo\n");
        }
        tcp_ready |= line.contains("[tcp-echo] tcp-echo: listening on tcp/7");
        udp_ready |= line.contains("[udp-echo] udp-echo: bound udp/7");
        if tcp_ready && udp_ready && !talked {
            talked = true;
            let mut step = typed("netstat\n");
            // The datagram first: it resolves the guest's ARP entry for
            // the gateway.
            step.record
                .push(record("udp exchange", crate::scenarios::udp_echo(port)));
            step.record.push(record("long datagram cut", long_datagram(port)));
            step.record.push(record("tcp connection 1", tcp_session(port, 1)));
            step.record.push(record("tcp connection 2", tcp_session(port, 2)));
            step.record.push(record_answer(
                "udp-echo asked to bind tcp/8 under the allowlist",
                udp_request(port, "bind tcp/8"),
            ));
            step.record.extend(outgoing(port));
            return step;
        }
        if line.starts_with("netstat: ") {
            netstats += 1;
            return typed(match netstats {
                1 => "launch net-probe\n",
                2 => "policy swap open\n",
                3 => "stop tcp-echo\n",
                _ => {
                    relaunched = true;
                    "launch tcp-echo\n"
                }
            });
        }
        if line.contains("supervisor: 'net-probe' exited with code") || line.contains("stop: 'tcp-echo' stopped") {
            return typed("netstat\n");
        }
        if line.contains("policy: swapped to 'open'") {
            let mut step = typed("launch net-probe\n");
            step.record.push(record_answer(
                "udp-echo asked to bind tcp/8 after the swap",
                udp_request(port, "bind tcp/8"),
            ));
            return step;
        }
        if line.contains("error:") && !line.contains("error: system: ") {
            let mut step = typed("shutdown\n");
            step.record.push(format!("guest error: {line}"));
            return step;
        }
        HostStep::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(text: &str) -> Vec<String> {
        text.lines().map(String::from).collect()
    }

    #[test]
    fn netstat_blocks_are_found_and_checked() {
        let t = lines(
            "pride> netstat\nnetstat: 2 sockets\nproto local peer state owner\n\
             tcp   10.0.2.15:7   *   LISTEN   tcp-echo\nudp   10.0.2.15:7   *   BOUND   udp-echo\npride> \n\
             netstat: 1 sockets\nproto local\ntcp 10.0.2.15:9 * BOUND net-probe\n",
        );
        assert_eq!(netstat_rows(&t, 0).map(|r| r.len()), Ok(2));
        assert!(netstat_rows(&t, 2).is_err());
        let ok = netstat_check("x", 0, ECHO_ROWS, false);
        assert!((ok.holds)(&t).is_ok());
        // A row more than wanted (a socket left behind) fails, and so
        // does one less.
        let leak = netstat_check("x", 1, &[], true);
        assert!((leak.holds)(&t).is_err());
        let fewer = netstat_check("x", 0, &ECHO_ROWS[..1], true);
        assert!((fewer.holds)(&t).is_err());
        let missing = netstat_check("x", 1, ECHO_ROWS, true);
        assert!((missing.holds)(&t).is_err());
        // A connection still closing is tolerated only if asked; a lost
        // socket never.
        let c = lines("netstat: 1 sockets\ntcp 10.0.2.15:1 10.0.2.2:5 CLOSING - (closing)\n");
        assert!((netstat_check("x", 0, &[], true).holds)(&c).is_ok());
        assert!((netstat_check("x", 0, &[], false).holds)(&c).is_err());
        let lost = lines("netstat: 1 sockets\ntcp 10.0.2.15:1 * LISTEN ? (lost)\n");
        assert!((netstat_check("x", 0, &[], true).holds)(&lost).is_err());
        // A header that does not match its rows fails.
        let short = lines("netstat: 3 sockets\nproto\ntcp a b c d\n");
        assert!(netstat_rows(&short, 0).is_err());
    }
}
