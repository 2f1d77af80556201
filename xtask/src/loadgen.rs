//! The host's bounded UDP load generator for the network echo benchmark.
//!
//! Everything goes to 127.0.0.1 (QEMU's forwarded port) and every loop is
//! bounded in packets and in time: a guest that stops answering costs a
//! timeout, never a hang.
//!
//! - [`ping_pong`]: one datagram in flight; the next goes when the echo of
//!   the last is back or its timeout has passed (then it counts as lost).
//! - [`open_loop`]: datagrams at a fixed offered rate from a sender thread,
//!   whatever comes back; echoes are collected until the sender is done and
//!   the line has been quiet for a while.
//! - [`mark`]: a datagram tagged [`MARK_TAG`], sent until its echo is back;
//!   the guest's echo server executes the marker instruction on it, and the
//!   instruction-counting plugin records the count there.
//!
//! A workload datagram carries a header ([`Header`]): the workload's run
//! number, a sequence number and the send time, so that late echoes of an
//! earlier workload are told apart, duplicates are not counted twice, and
//! round-trip times need no table of send times.

use std::net::UdpSocket;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};

/// The payload prefix on which the echo servers execute the marker.
pub const MARK_TAG: &[u8] = b"PRIDE-MARK";

/// Bytes of [`Header`] at the start of each workload datagram.
pub const HEADER_LEN: usize = 16;

/// The start of a workload datagram.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// The workload's run number (one per workload and guest).
    pub run: u32,
    pub seq: u32,
    /// Nanoseconds from the workload's start to the send.
    pub sent_ns: u64,
}

impl Header {
    /// A `len`-byte datagram (at least [`HEADER_LEN`]) starting with this
    /// header; the rest is a fixed pattern that cannot look like the tag.
    pub fn datagram(&self, len: usize) -> Vec<u8> {
        let mut d: Vec<u8> = (0..len.max(HEADER_LEN)).map(|i| b'a' + (i % 26) as u8).collect();
        d[..4].copy_from_slice(&self.run.to_le_bytes());
        d[4..8].copy_from_slice(&self.seq.to_le_bytes());
        d[8..16].copy_from_slice(&self.sent_ns.to_le_bytes());
        d
    }

    /// The header of a received datagram, if it is long enough.
    pub fn parse(d: &[u8]) -> Option<Header> {
        Some(Header {
            run: u32::from_le_bytes(d.get(0..4)?.try_into().ok()?),
            seq: u32::from_le_bytes(d.get(4..8)?.try_into().ok()?),
            sent_ns: u64::from_le_bytes(d.get(8..16)?.try_into().ok()?),
        })
    }
}

/// Round-trip time percentiles, in microseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Percentiles {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub max: f64,
}

impl Percentiles {
    /// Nearest-rank percentiles of `samples_ns` (sorted here); all zero if
    /// there is no sample.
    pub fn of(samples_ns: &mut [u64]) -> Percentiles {
        if samples_ns.is_empty() {
            return Percentiles::default();
        }
        samples_ns.sort_unstable();
        let rank = |p: f64| -> f64 {
            // Nearest rank: the smallest value with at least p% at or below it.
            let n = samples_ns.len();
            let k = ((p / 100.0) * n as f64).ceil() as usize;
            samples_ns[k.clamp(1, n) - 1] as f64 / 1000.0
        };
        Percentiles {
            p50: rank(50.0),
            p90: rank(90.0),
            p99: rank(99.0),
            max: samples_ns[samples_ns.len() - 1] as f64 / 1000.0,
        }
    }
}

/// What one workload did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    pub sent: u64,
    /// Distinct datagrams whose echo came back (late ones included).
    pub echoed: u64,
    /// Echoes of a datagram already counted.
    pub duplicates: u64,
    /// From the first send to the last echo.
    pub elapsed: Duration,
    pub rtt: Percentiles,
}

impl Outcome {
    pub fn lost(&self) -> u64 {
        self.sent.saturating_sub(self.echoed)
    }

    /// Lost datagrams as a fraction of those sent.
    pub fn loss(&self) -> f64 {
        if self.sent == 0 {
            0.0
        } else {
            self.lost() as f64 / self.sent as f64
        }
    }

    /// Echoes per second of wall time.
    pub fn echo_rate(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.echoed as f64 / s
        } else {
            0.0
        }
    }
}

/// Tallies echoes of one run: distinct sequence numbers, duplicates and RTTs.
pub struct Tally {
    run: u32,
    seen: Vec<bool>,
    pub echoed: u64,
    pub duplicates: u64,
    pub rtts_ns: Vec<u64>,
    pub last_echo: Option<Instant>,
}

impl Tally {
    pub fn new(run: u32, count: usize) -> Tally {
        Tally {
            run,
            seen: vec![false; count],
            echoed: 0,
            duplicates: 0,
            rtts_ns: Vec::with_capacity(count),
            last_echo: None,
        }
    }

    /// Counts datagram `d`, received `now_ns` after the run's start. Returns
    /// its sequence number if it is a first echo of this run.
    pub fn record(&mut self, d: &[u8], now_ns: u64, at: Instant) -> Option<u32> {
        let h = Header::parse(d).filter(|h| h.run == self.run)?;
        let seen = self.seen.get_mut(h.seq as usize)?;
        if *seen {
            self.duplicates += 1;
            return None;
        }
        *seen = true;
        self.echoed += 1;
        self.rtts_ns.push(now_ns.saturating_sub(h.sent_ns));
        self.last_echo = Some(at);
        Some(h.seq)
    }
}

/// A socket for talking to the guest's echo port through QEMU's forward.
pub fn connect(port: u16) -> Result<UdpSocket> {
    let s = UdpSocket::bind("127.0.0.1:0").context("binding a UDP socket on 127.0.0.1")?;
    s.connect(("127.0.0.1", port))
        .with_context(|| format!("connecting to 127.0.0.1:{port}"))?;
    Ok(s)
}

/// Throws away whatever is waiting on the socket.
fn drain(sock: &UdpSocket) -> Result<()> {
    sock.set_nonblocking(true)?;
    let mut buf = [0u8; 2048];
    while sock.recv(&mut buf).is_ok() {}
    sock.set_nonblocking(false)?;
    Ok(())
}

/// `count` datagrams of `len` bytes, one in flight, each given `timeout` to
/// come back; stops early when `limit` has passed.
pub fn ping_pong(
    sock: &UdpSocket,
    run: u32,
    len: usize,
    count: u32,
    timeout: Duration,
    limit: Duration,
) -> Result<Outcome> {
    drain(sock)?;
    let mut tally = Tally::new(run, count as usize);
    let mut buf = vec![0u8; len.max(HEADER_LEN) + 64];
    let start = Instant::now();
    let mut sent = 0u64;
    for seq in 0..count {
        if start.elapsed() > limit {
            break;
        }
        let h = Header {
            run,
            seq,
            sent_ns: start.elapsed().as_nanos() as u64,
        };
        sock.send(&h.datagram(len)).context("sending a datagram")?;
        sent += 1;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            sock.set_read_timeout(Some(left))?;
            match sock.recv(&mut buf) {
                Ok(n) => {
                    let now = Instant::now();
                    if tally.record(&buf[..n], (now - start).as_nanos() as u64, now) == Some(seq) {
                        break;
                    }
                }
                Err(e) if is_timeout(&e) => break,
                Err(e) => return Err(e).context("receiving an echo"),
            }
        }
    }
    // Late echoes still count as echoed.
    collect_quiet(
        sock,
        &mut tally,
        start,
        Duration::from_millis(100),
        Duration::from_millis(500),
    )?;
    Ok(finish(tally, sent, start))
}

/// `count` datagrams of `len` bytes offered at `rate` per second (the sender
/// catches up after a late wake-up, never runs ahead), all echoes collected
/// until the line is quiet; stops sending when `limit` has passed.
pub fn open_loop(sock: &UdpSocket, run: u32, len: usize, rate: u32, count: u32, limit: Duration) -> Result<Outcome> {
    if rate == 0 {
        bail!("an offered rate of 0 datagrams per second");
    }
    drain(sock)?;
    let sender_sock = sock.try_clone().context("cloning the UDP socket")?;
    let start = Instant::now();
    let interval_ns = 1_000_000_000u64 / u64::from(rate);
    let sender = std::thread::spawn(move || -> std::io::Result<u64> {
        let mut sent = 0u64;
        for seq in 0..count {
            let due = start + Duration::from_nanos(u64::from(seq) * interval_ns);
            let now = Instant::now();
            if now.duration_since(start) > limit {
                break;
            }
            if due > now {
                std::thread::sleep(due - now);
            }
            let h = Header {
                run,
                seq,
                sent_ns: start.elapsed().as_nanos() as u64,
            };
            match sender_sock.send(&h.datagram(len)) {
                Ok(_) => sent += 1,
                // The host's own queue is full: that datagram is lost.
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.raw_os_error() == Some(105) => {} // ENOBUFS
                Err(e) => return Err(e),
            }
        }
        Ok(sent)
    });
    let mut tally = Tally::new(run, count as usize);
    let mut buf = vec![0u8; len.max(HEADER_LEN) + 64];
    sock.set_read_timeout(Some(Duration::from_millis(20)))?;
    // While the sender runs: take echoes as they come (bounded by the
    // sender's own limit plus a margin).
    let hard_stop = start + limit + Duration::from_secs(5);
    while !sender.is_finished() && Instant::now() < hard_stop {
        receive_one(sock, &mut tally, &mut buf, start)?;
    }
    let sent = match sender.join() {
        Ok(r) => r.context("sending datagrams")?,
        Err(_) => bail!("the sender thread panicked"),
    };
    collect_quiet(
        sock,
        &mut tally,
        start,
        Duration::from_millis(300),
        Duration::from_secs(3),
    )?;
    Ok(finish(tally, sent, start))
}

fn is_timeout(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)
}

/// Waits (at most the socket's read timeout) for one datagram and tallies it.
fn receive_one(sock: &UdpSocket, tally: &mut Tally, buf: &mut [u8], start: Instant) -> Result<bool> {
    match sock.recv(buf) {
        Ok(n) => {
            let now = Instant::now();
            tally.record(&buf[..n], (now - start).as_nanos() as u64, now);
            Ok(true)
        }
        Err(e) if is_timeout(&e) => Ok(false),
        // Linux reports an earlier datagram's ICMP error on the next call.
        Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => Ok(false),
        Err(e) => Err(e).context("receiving an echo"),
    }
}

/// Takes echoes until none has come for `quiet`, or `most` has passed.
fn collect_quiet(sock: &UdpSocket, tally: &mut Tally, start: Instant, quiet: Duration, most: Duration) -> Result<()> {
    let end = Instant::now() + most;
    let mut last = Instant::now();
    sock.set_read_timeout(Some(Duration::from_millis(20)))?;
    let mut buf = vec![0u8; 2048];
    while Instant::now() < end && last.elapsed() < quiet {
        if receive_one(sock, tally, &mut buf, start)? {
            last = Instant::now();
        }
    }
    Ok(())
}

fn finish(mut tally: Tally, sent: u64, start: Instant) -> Outcome {
    let elapsed = tally.last_echo.map(|t| t - start).unwrap_or_default();
    Outcome {
        sent,
        echoed: tally.echoed,
        duplicates: tally.duplicates,
        elapsed,
        rtt: Percentiles::of(&mut tally.rtts_ns),
    }
}

/// Sends a marker datagram (tag and `nonce`) until its echo is back (at
/// most `tries` times, `timeout` each); returns how many were sent.
pub fn mark(sock: &UdpSocket, nonce: u64, tries: u32, timeout: Duration) -> Result<u32> {
    let mut d = MARK_TAG.to_vec();
    d.extend_from_slice(format!(" {nonce:016x}").as_bytes());
    let mut buf = [0u8; 2048];
    for attempt in 1..=tries {
        drain(sock)?;
        sock.send(&d).context("sending a marker datagram")?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            sock.set_read_timeout(Some(left))?;
            match sock.recv(&mut buf) {
                Ok(n) if buf[..n] == d[..] => return Ok(attempt),
                Ok(_) => {}
                Err(e) if is_timeout(&e) || e.kind() == std::io::ErrorKind::ConnectionRefused => break,
                Err(e) => return Err(e).context("receiving a marker's echo"),
            }
        }
    }
    bail!("no echo of the marker datagram after {tries} tries")
}

/// The last `MARKERS COUNT` line of the plugin's output: (markers seen,
/// instructions executed up to the last marker).
pub fn last_mark(plugin_output: &str) -> Option<(u64, u64)> {
    plugin_output
        .lines()
        .rev()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut w = l.split_whitespace();
            let m = w.next()?.parse().ok()?;
            let c = w.next()?.parse().ok()?;
            w.next().is_none().then_some((m, c))
        })
        .next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_fill_the_length() {
        let h = Header {
            run: 7,
            seq: 123_456,
            sent_ns: 9_876_543_210,
        };
        let d = h.datagram(64);
        assert_eq!(d.len(), 64);
        assert_eq!(Header::parse(&d), Some(h));
        assert!(!d.starts_with(MARK_TAG));
        assert_eq!(h.datagram(1024).len(), 1024);
        assert_eq!(h.datagram(3).len(), HEADER_LEN);
        assert_eq!(Header::parse(&d[..15]), None);
    }

    #[test]
    fn percentiles_by_nearest_rank() {
        let mut v: Vec<u64> = (1..=100).rev().map(|i| i * 1000).collect();
        let p = Percentiles::of(&mut v);
        assert_eq!(
            p,
            Percentiles {
                p50: 50.0,
                p90: 90.0,
                p99: 99.0,
                max: 100.0
            }
        );
        let mut one = [5000u64];
        assert_eq!(Percentiles::of(&mut one).p50, 5.0);
        assert_eq!(Percentiles::of(&mut []), Percentiles::default());
    }

    #[test]
    fn the_tally_counts_each_echo_once_and_ignores_strangers() {
        let mut t = Tally::new(3, 4);
        let at = Instant::now();
        let d = |run, seq, sent_ns| Header { run, seq, sent_ns }.datagram(64);
        assert_eq!(t.record(&d(3, 0, 100), 600, at), Some(0));
        assert_eq!(t.record(&d(3, 0, 100), 700, at), None); // duplicate
        assert_eq!(t.record(&d(2, 1, 100), 700, at), None); // an earlier run
        assert_eq!(t.record(&d(3, 9, 100), 700, at), None); // never sent
        assert_eq!(t.record(b"short", 700, at), None);
        assert_eq!(t.record(&d(3, 2, 1000), 1500, at), Some(2));
        assert_eq!((t.echoed, t.duplicates), (2, 1));
        assert_eq!(t.rtts_ns, [500, 500]);
    }

    #[test]
    fn outcome_rates_and_loss() {
        let o = Outcome {
            sent: 1000,
            echoed: 990,
            duplicates: 0,
            elapsed: Duration::from_millis(500),
            rtt: Percentiles::default(),
        };
        assert_eq!(o.lost(), 10);
        assert!((o.loss() - 0.01).abs() < 1e-12);
        assert!((o.echo_rate() - 1980.0).abs() < 1e-9);
        assert_eq!(Outcome::default().loss(), 0.0);
        assert_eq!(Outcome::default().echo_rate(), 0.0);
    }

    #[test]
    fn the_plugin_output_gives_the_last_mark() {
        assert_eq!(last_mark(""), None);
        assert_eq!(last_mark("1 100\n2 250\n"), Some((2, 250)));
        assert_eq!(
            last_mark("1 100\n2 250\n# exit: 2 markers, 300 instructions\n"),
            Some((2, 250))
        );
        // A line cut short by a write in progress is skipped.
        assert_eq!(last_mark("1 100\n2 25x\n"), Some((1, 100)));
        assert_eq!(last_mark("1 100 7\n"), None);
    }

    #[test]
    fn ping_pong_against_a_local_echo_counts_everything() {
        // An echo thread on loopback stands in for the guest.
        let echo = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = echo.local_addr().unwrap().port();
        echo.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let t = std::thread::spawn(move || {
            let mut buf = [0u8; 2048];
            let mut marks = 0;
            while let Ok((n, from)) = echo.recv_from(&mut buf) {
                if buf[..n].starts_with(MARK_TAG) {
                    marks += 1;
                }
                // Drop every fifth of run 2 (the open-loop run).
                let h = Header::parse(&buf[..n]);
                if h.is_some_and(|h| h.run == 2 && h.seq % 5 == 0) {
                    continue;
                }
                echo.send_to(&buf[..n], from).unwrap();
                if marks == 2 {
                    break;
                }
            }
            marks
        });
        let s = connect(port).unwrap();
        assert_eq!(mark(&s, 1, 3, Duration::from_secs(1)).unwrap(), 1);
        let o = ping_pong(&s, 1, 64, 50, Duration::from_secs(1), Duration::from_secs(10)).unwrap();
        assert_eq!((o.sent, o.echoed, o.lost()), (50, 50, 0));
        assert!(o.rtt.p50 > 0.0 && o.rtt.max >= o.rtt.p99);
        let o = open_loop(&s, 2, 64, 2000, 100, Duration::from_secs(10)).unwrap();
        assert_eq!((o.sent, o.echoed, o.lost()), (100, 80, 20));
        assert_eq!(mark(&s, 2, 3, Duration::from_secs(1)).unwrap(), 1);
        assert_eq!(t.join().unwrap(), 2);
    }
}
