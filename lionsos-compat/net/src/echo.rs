//! The echo server: an sDDF network client running smoltcp.
//!
//! Frames arrive from the copier (rx link: filled buffers in the active
//! queue, offsets into the client's receive data region) and leave through
//! the transmit virtualiser (tx link: this client owns its transmit buffers
//! and puts all of them into the free queue at init; a frame is written into
//! one and the buffer enqueued on the active queue). [`SddfDevice`] is that,
//! as a smoltcp [`Device`].
//!
//! The interface has the static address 10.0.2.15/24 with the gateway
//! 10.0.2.2 (QEMU's user networking). A UDP socket and a few TCP sockets on
//! port 7 send back whatever they receive; a TCP socket listens again once
//! its connection is over.
//!
//! smoltcp is polled on every notification, until it has nothing more to
//! do; the PD has no timer, so smoltcp's timers (TCP retransmission,
//! ARP retries) fire only when some notification comes.

use alloc::vec;
use alloc::vec::Vec;

use microkit::{Channel, SharedRegion};
use sddf::config::net::NetClientConfig;
use sddf::net::{NetDescriptor, BUFFER_SIZE};
use smoltcp::iface::{Config, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::socket::{tcp, udp};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

use crate::buffers::{is_buffer, read_buffer, write_buffer};
use crate::{config, link, Link};

/// The echo port.
pub const PORT: u16 = 7;
/// A UDP payload starting with this makes the server execute the benchmark
/// marker instruction ([`kernel_iface::bench_marker`]) before echoing it.
const BENCH_TAG: &[u8] = b"PRIDE-MARK";
/// The interface's address and prefix, and the default gateway (QEMU's
/// user networking).
const ADDRESS: [u8; 4] = [10, 0, 2, 15];
const PREFIX_LEN: u8 = 24;
const GATEWAY: [u8; 4] = [10, 0, 2, 2];
/// TCP sockets on the echo port: connections served at the same time.
const TCP_SOCKETS: usize = 4;
const TCP_BUFFER: usize = 16 * 1024;
const UDP_PACKETS: usize = 16;
const UDP_BUFFER: usize = 8 * 1024;
/// Frames taken from the queue before what they asked for is sent: no more
/// than the UDP socket's receive buffer holds.
const INGRESS_BATCH: usize = UDP_PACKETS;
/// Ethernet MTU: 1500 bytes of IP plus the 14-byte header.
const ETHERNET_MTU: usize = 1514;

/// TSC ticks per millisecond. An approximation (a 2 GHz TSC): nothing
/// measures the real rate. smoltcp's clock only drives its timers (TCP
/// retransmission and the like), for which being off by a factor is harmless.
const TSC_PER_MS: u64 = 2_000_000;

fn now() -> Instant {
    Instant::from_millis((pride_rt::tsc() / TSC_PER_MS) as i64)
}

/// The receive side: buffers filled by the copier.
struct RxSide {
    link: Link,
    /// The client's receive data region.
    data: SharedRegion,
    /// Buffers were given back to the copier since it was last notified.
    returned: bool,
    /// Where the frame being received is copied.
    frame: Vec<u8>,
}

impl RxSide {
    /// Copies the next received frame into `frame` and returns its length;
    /// its buffer goes straight back to the copier.
    fn take(&mut self) -> Option<usize> {
        loop {
            let d = self.link.active.dequeue().ok()?;
            if !is_buffer(d.io_or_offset, self.data.len()) {
                pride_rt::println!("net_echo: received offset {:#x}, not a buffer", d.io_or_offset);
                continue;
            }
            let len = usize::from(d.len);
            let frame = (len <= BUFFER_SIZE).then(|| {
                read_buffer(&self.data, d.io_or_offset as usize, &mut self.frame[..len]);
                len
            });
            let back = NetDescriptor {
                io_or_offset: d.io_or_offset,
                len: 0,
                oid: 0,
            };
            if self.link.free.enqueue(back).is_err() {
                // Cannot happen: the free queue holds all the link's buffers.
                pride_rt::println!("net_echo: rx free queue full, buffer {:#x} lost", d.io_or_offset);
            }
            self.returned = true;
            if frame.is_some() {
                return frame;
            }
        }
    }
}

/// The transmit side: this client's buffers.
struct TxSide {
    link: Link,
    /// The client's transmit data region.
    data: SharedRegion,
    /// Frames were enqueued since the transmit virtualiser was last notified.
    sent: bool,
    /// smoltcp found no free buffer: it must be woken when some come back.
    starved: bool,
    /// Where smoltcp builds a frame.
    frame: Vec<u8>,
}

impl TxSide {
    /// Sends the first `len` bytes of `frame`.
    fn send(&mut self, len: usize) {
        loop {
            let Ok(d) = self.link.free.dequeue() else {
                // transmit() saw a free buffer, and only this PD takes them.
                self.starved = true;
                pride_rt::println!("net_echo: no transmit buffer, frame dropped");
                return;
            };
            if !is_buffer(d.io_or_offset, self.data.len()) {
                pride_rt::println!("net_echo: transmit offset {:#x} is not a buffer", d.io_or_offset);
                continue;
            }
            write_buffer(&mut self.data, d.io_or_offset as usize, &self.frame[..len]);
            let out = NetDescriptor {
                io_or_offset: d.io_or_offset,
                len: len as u16,
                oid: d.oid,
            };
            if self.link.active.enqueue(out).is_err() {
                // Cannot happen: the active queue holds all the link's buffers.
                pride_rt::println!("net_echo: tx active queue full, buffer {:#x} lost", d.io_or_offset);
                return;
            }
            self.sent = true;
            return;
        }
    }
}

/// The sDDF queues as a smoltcp device.
pub struct SddfDevice {
    rx: RxSide,
    tx: TxSide,
}

/// A received frame (copied out of its buffer, which is already back with
/// the copier).
pub struct SddfRxToken<'a>(&'a [u8]);

impl RxToken for SddfRxToken<'_> {
    fn consume<R, F>(self, f: F) -> R
    where
        F: FnOnce(&[u8]) -> R,
    {
        f(self.0)
    }
}

/// Permission to send one frame.
pub struct SddfTxToken<'a>(&'a mut TxSide);

impl TxToken for SddfTxToken<'_> {
    fn consume<R, F>(self, len: usize, f: F) -> R
    where
        F: FnOnce(&mut [u8]) -> R,
    {
        let side = self.0;
        if len > side.frame.len() {
            // Beyond the MTU smoltcp was given: build it, but drop it.
            let mut frame = vec![0; len];
            pride_rt::println!("net_echo: {len}-byte frame does not fit a buffer, dropped");
            return f(&mut frame);
        }
        let r = f(&mut side.frame[..len]);
        side.send(len);
        r
    }
}

impl Device for SddfDevice {
    type RxToken<'a> = SddfRxToken<'a>;
    type TxToken<'a> = SddfTxToken<'a>;

    fn receive(&mut self, _timestamp: Instant) -> Option<(Self::RxToken<'_>, Self::TxToken<'_>)> {
        // A received frame may need an answer: take it only when one can be
        // sent (the frame waits in the queue meanwhile).
        if self.tx.link.free.is_empty() {
            if !self.rx.link.active.is_empty() {
                self.tx.starved = true;
            }
            return None;
        }
        let len = self.rx.take()?;
        Some((SddfRxToken(&self.rx.frame[..len]), SddfTxToken(&mut self.tx)))
    }

    fn transmit(&mut self, _timestamp: Instant) -> Option<Self::TxToken<'_>> {
        if self.tx.link.free.is_empty() {
            self.tx.starved = true;
            return None;
        }
        Some(SddfTxToken(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ethernet;
        caps.max_transmission_unit = ETHERNET_MTU;
        caps
    }
}

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
        let c: NetClientConfig = config(config_bytes);
        let (Some(rx), Some(tx)) = (link(&c.rx), link(&c.tx)) else {
            pride_rt::supervisor::start_failed("net echo: queues not mapped");
        };
        let tx_data = SharedRegion::from_resource(&c.tx_data);
        if (tx_data.len() as u64) < u64::from(tx.capacity()) * BUFFER_SIZE as u64 {
            pride_rt::supervisor::start_failed("net echo: transmit data region smaller than its buffers");
        }
        let mac = c.mac_addr.0;
        if !EthernetAddress(mac).is_unicast() {
            pride_rt::supervisor::start_failed("net echo: the MAC address is not a unicast one");
        }
        let mut dev = SddfDevice {
            rx: RxSide {
                link: rx,
                data: SharedRegion::from_resource(&c.rx_data),
                returned: false,
                frame: vec![0; BUFFER_SIZE],
            },
            tx: TxSide {
                link: tx,
                data: tx_data,
                sent: false,
                starved: false,
                frame: vec![0; BUFFER_SIZE],
            },
        };

        let mut iface_config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
        iface_config.random_seed = pride_rt::tsc();
        let mut iface = Interface::new(iface_config, &mut dev, now());
        let [a, b, c3, d] = ADDRESS;
        iface.update_ip_addrs(|addrs| {
            // The list starts empty and holds several.
            let _ = addrs.push(IpCidr::new(IpAddress::v4(a, b, c3, d), PREFIX_LEN));
        });
        let [g0, g1, g2, g3] = GATEWAY;
        if iface
            .routes_mut()
            .add_default_ipv4_route(Ipv4Address::new(g0, g1, g2, g3))
            .is_err()
        {
            pride_rt::println!("net_echo: no room for the default route");
        }

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
            rx_ch: Channel::from(c.rx.id),
            tx_ch: Channel::from(c.tx.id),
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
        if self.dev.rx.returned && self.dev.rx.link.free.claim_signal() {
            self.dev.rx.returned = false;
            microkit::notify(self.rx_ch);
        }
        if self.dev.tx.sent && self.dev.tx.link.active.claim_signal() {
            self.dev.tx.sent = false;
            microkit::notify(self.tx_ch);
        }
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
            let mut again = false;
            // Frames still to come: be notified of them, then look again.
            if !self.dev.rx.link.active.request_signal_and_recheck() {
                if self.dev.tx.link.free.is_empty() {
                    // They must wait for a transmit buffer.
                    self.dev.tx.starved = true;
                } else {
                    again = true;
                }
            }
            // Transmit buffers to wait for: likewise.
            if self.dev.tx.starved {
                self.dev.tx.starved = false;
                if !self.dev.tx.link.free.request_signal_and_recheck() {
                    again = true;
                }
            }
            if !again {
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
        if !self.replacement && self.dev.tx.link.fill_free(0).is_err() {
            pride_rt::supervisor::start_failed("net echo: transmit free queue not empty at start");
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
