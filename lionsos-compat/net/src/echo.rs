//! The echo server: an sDDF network client running smoltcp over the
//! client queues ([`SddfDevice`], shared with the socket server).
//!
//! A UDP socket and a few TCP sockets on port 7 send back whatever they
//! receive; a TCP socket listens again once its connection is over.
//!
//! smoltcp is polled on every notification, until it has nothing more to
//! do; the PD has no timer, so smoltcp's timers (TCP retransmission,
//! ARP retries) fire only when some notification comes.

use alloc::vec;
use alloc::vec::Vec;

use microkit::Channel;
use smoltcp::iface::{Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet};
use smoltcp::socket::{tcp, udp};

use crate::device::{interface, now, SddfDevice, ADDRESS};

/// The echo port.
pub const PORT: u16 = 7;
/// A UDP payload starting with this makes the server execute the benchmark
/// marker instruction ([`kernel_iface::bench_marker`]) before echoing it.
const BENCH_TAG: &[u8] = b"PRIDE-MARK";
/// TCP sockets on the echo port: connections served at the same time.
const TCP_SOCKETS: usize = 4;
const TCP_BUFFER: usize = 16 * 1024;
const UDP_PACKETS: usize = 16;
const UDP_BUFFER: usize = 8 * 1024;
/// Frames taken from the queue before what they asked for is sent: no more
/// than the UDP socket's receive buffer holds.
const INGRESS_BATCH: usize = UDP_PACKETS;

/// A TCP echo socket, and whether its connection was announced.
struct TcpEcho {
    handle: SocketHandle,
    announced: bool,
}

/// The echo server.
pub struct Echo {
    dev: SddfDevice,
    iface: Interface,
    sockets: SocketSet<'static>,
    udp: SocketHandle,
    tcp: Vec<TcpEcho>,
    rx_ch: Channel,
    tx_ch: Channel,
    mac: [u8; 6],
    /// Where data on its way from a socket's receive buffer to its transmit
    /// buffer passes.
    scratch: Vec<u8>,
    /// This server replaces one that ran on the same queues: its transmit
    /// buffers are already in circulation.
    replacement: bool,
}

impl Echo {
    pub fn new(config_bytes: &[u8], replacement: bool) -> Echo {
        let (mut dev, mac, rx_ch, tx_ch) = SddfDevice::from_config(config_bytes);
        let iface = interface(&mut dev, mac);

        let mut sockets = SocketSet::new(Vec::new());
        let mut udp = udp::Socket::new(
            udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_PACKETS], vec![0; UDP_BUFFER]),
            udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_PACKETS], vec![0; UDP_BUFFER]),
        );
        if udp.bind(PORT).is_err() {
            pride_rt::supervisor::start_failed("net echo: cannot bind the UDP socket");
        }
        let udp = sockets.add(udp);
        let tcp = (0..TCP_SOCKETS)
            .map(|_| {
                let mut s = tcp::Socket::new(
                    tcp::SocketBuffer::new(vec![0; TCP_BUFFER]),
                    tcp::SocketBuffer::new(vec![0; TCP_BUFFER]),
                );
                // No timer wakes this PD: acknowledge and send at once
                // rather than wait for one.
                s.set_ack_delay(None);
                s.set_nagle_enabled(false);
                if s.listen(PORT).is_err() {
                    pride_rt::supervisor::start_failed("net echo: cannot listen on the TCP port");
                }
                TcpEcho {
                    handle: sockets.add(s),
                    announced: false,
                }
            })
            .collect();
        Echo {
            dev,
            iface,
            sockets,
            udp,
            tcp,
            rx_ch,
            tx_ch,
            mac,
            scratch: vec![0; UDP_BUFFER.max(TCP_BUFFER)],
            replacement,
        }
    }

    /// Sends back what the sockets received; true if anything moved (or a
    /// socket changed state), so smoltcp has work again.
    fn serve(&mut self) -> bool {
        let mut moved = false;

        let udp = self.sockets.get_mut::<udp::Socket>(self.udp);
        while udp.can_recv() && udp.can_send() {
            let Ok((n, meta)) = udp.recv_slice(&mut self.scratch) else {
                break;
            };
            // `cargo xtask bench` brackets its workloads with tagged
            // datagrams: the instruction-counting QEMU plugin notes the
            // count at the marker.
            if self.scratch[..n].starts_with(BENCH_TAG) {
                kernel_iface::bench_marker();
            }
            // A datagram the transmit buffer has no room for is dropped.
            let _ = udp.send_slice(&self.scratch[..n], meta.endpoint);
            moved = true;
        }

        for echo in &mut self.tcp {
            let s = self.sockets.get_mut::<tcp::Socket>(echo.handle);
            if !s.is_open() {
                // Closed (or in TIME-WAIT, which without a timer would last
                // until the next notification): listen again.
                if s.listen(PORT).is_err() {
                    pride_rt::println!("net_echo: cannot listen on TCP port {PORT}");
                }
                echo.announced = false;
            }
            if s.state() == tcp::State::Listen {
                // No connection: nothing to announce, echo or close.
                continue;
            }
            if s.state() == tcp::State::Established && !echo.announced {
                echo.announced = true;
                if let Some(peer) = s.remote_endpoint() {
                    pride_rt::println!("{}: TCP connection from {peer}", microkit::name());
                }
            }
            while s.can_recv() && s.can_send() {
                let room = s.send_capacity() - s.send_queue();
                let take = room.min(self.scratch.len());
                let n = s.recv_slice(&mut self.scratch[..take]).unwrap_or(0);
                if n == 0 {
                    break;
                }
                let _ = s.send_slice(&self.scratch[..n]);
                moved = true;
            }
            if s.state() == tcp::State::CloseWait && !s.can_recv() {
                // The peer has finished and everything is echoed (or
                // queued): finish too.
                s.close();
                moved = true;
            }
        }
        moved
    }

    /// Notifies the copier and the transmit virtualiser if they asked for it
    /// and there is something for them.
    fn notify_peers(&mut self) {
        self.dev.notify_peers(self.rx_ch, self.tx_ch);
    }

    /// Runs smoltcp until it waits for the network: for frames from the
    /// copier, or for transmit buffers.
    ///
    /// Frames are taken [`INGRESS_BATCH`] at a time, each batch answered
    /// (served and sent) before the next is taken. smoltcp's `poll` would
    /// take every frame queued before sending anything: under overload the
    /// queue never empties, the UDP socket's receive buffer fills after
    /// [`UDP_PACKETS`] datagrams and every further frame is received only to
    /// be dropped (receive livelock, a few hundred echoes a second). With
    /// bounded batches what cannot be taken stays in the queues, the
    /// copier and the receive virtualiser run out of buffers and the device
    /// drops what arrives, at no cost to the guest.
    fn process(&mut self) {
        loop {
            let t = now();
            let mut taken = 0;
            while taken < INGRESS_BATCH
                && self.iface.poll_ingress_single(t, &mut self.dev, &mut self.sockets) != PollIngressSingleResult::None
            {
                taken += 1;
            }
            self.serve();
            while self.iface.poll_egress(t, &mut self.dev, &mut self.sockets) != PollResult::None {}
            // Sockets whose state changed while sending (a TCP close), or
            // that can move more now that their transmit buffers were
            // emptied, are served again; what that moves needs another
            // round. (What the first `serve` moved was just sent: no round
            // for that, the checks below look for more frames.)
            let moved = self.serve();
            self.notify_peers();
            if moved || taken == INGRESS_BATCH {
                continue;
            }
            if !self.dev.wait_for_frames() {
                break;
            }
        }
    }
}

impl microkit::Handler for Echo {
    fn init(&mut self) {
        // This client owns its transmit buffers: all of them to the free
        // queue, by offset (a replacement finds them there, or on their way
        // back from the driver).
        if !self.replacement {
            self.dev.fill_tx();
        }
        let m = self.mac;
        pride_rt::println!(
            "{}: listening on {}.{}.{}.{} port {PORT} (UDP and TCP), MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
            microkit::name(),
            ADDRESS[0],
            ADDRESS[1],
            ADDRESS[2],
            ADDRESS[3],
            m[0],
            m[1],
            m[2],
            m[3],
            m[4],
            m[5]
        );
        self.process();
    }

    fn notified(&mut self, _ch: Channel) {
        self.process();
    }
}
