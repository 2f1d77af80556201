//! The sDDF network queues of one client as a smoltcp [`Device`], and the
//! interface on it: what every smoltcp client PD of the network system
//! shares (the echo server, `net::echo`, and the socket server,
//! `object-servers/socket-server`).
//!
//! Frames arrive from the copier (rx link: filled buffers in the active
//! queue, offsets into the client's receive data region) and leave through
//! the transmit virtualiser (tx link: the client owns its transmit buffers
//! and puts all of them into the free queue at init, [`SddfDevice::fill_tx`];
//! a frame is written into one and the buffer enqueued on the active
//! queue).
//!
//! The interface ([`interface`]) has the static address 10.0.2.15/24 with
//! the gateway 10.0.2.2 (QEMU's user networking).

use alloc::vec;
use alloc::vec::Vec;

use microkit::{Channel, SharedRegion};
use sddf::config::net::NetClientConfig;
use sddf::net::{NetDescriptor, BUFFER_SIZE};
use smoltcp::iface::{Config, Interface};
use smoltcp::phy::{Device, DeviceCapabilities, Medium, RxToken, TxToken};
use smoltcp::time::Instant;
use smoltcp::wire::{EthernetAddress, HardwareAddress, IpAddress, IpCidr, Ipv4Address};

use crate::buffers::{is_buffer, read_buffer, write_buffer};
use crate::{config, link, Link};

/// The interface's address and prefix, and the default gateway (QEMU's
/// user networking).
pub const ADDRESS: [u8; 4] = [10, 0, 2, 15];
const PREFIX_LEN: u8 = 24;
const GATEWAY: [u8; 4] = [10, 0, 2, 2];
/// Ethernet MTU: 1500 bytes of IP plus the 14-byte header.
const ETHERNET_MTU: usize = 1514;

/// TSC ticks per millisecond. An approximation (a 2 GHz TSC): nothing
/// measures the real rate. smoltcp's clock only drives its timers (TCP
/// retransmission and the like), for which being off by a factor is harmless.
const TSC_PER_MS: u64 = 2_000_000;

pub fn now() -> Instant {
    Instant::from_millis((pride_rt::tsc() / TSC_PER_MS) as i64)
}

/// The receive side: buffers filled by the copier.
pub(crate) struct RxSide {
    pub(crate) link: Link,
    /// The client's receive data region.
    data: SharedRegion,
    /// Buffers were given back to the copier since it was last notified.
    pub(crate) returned: bool,
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
                pride_rt::println!(
                    "{}: received offset {:#x}, not a buffer",
                    microkit::name(),
                    d.io_or_offset
                );
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
                pride_rt::println!(
                    "{}: rx free queue full, buffer {:#x} lost",
                    microkit::name(),
                    d.io_or_offset
                );
            }
            self.returned = true;
            if frame.is_some() {
                return frame;
            }
        }
    }
}

/// The transmit side: this client's buffers.
pub(crate) struct TxSide {
    pub(crate) link: Link,
    /// The client's transmit data region.
    data: SharedRegion,
    /// Frames were enqueued since the transmit virtualiser was last notified.
    pub(crate) sent: bool,
    /// smoltcp found no free buffer: it must be woken when some come back.
    pub(crate) starved: bool,
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
                pride_rt::println!("{}: no transmit buffer, frame dropped", microkit::name());
                return;
            };
            if !is_buffer(d.io_or_offset, self.data.len()) {
                pride_rt::println!(
                    "{}: transmit offset {:#x} is not a buffer",
                    microkit::name(),
                    d.io_or_offset
                );
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
                pride_rt::println!(
                    "{}: tx active queue full, buffer {:#x} lost",
                    microkit::name(),
                    d.io_or_offset
                );
                return;
            }
            self.sent = true;
            return;
        }
    }
}

/// The sDDF queues as a smoltcp device.
pub struct SddfDevice {
    pub(crate) rx: RxSide,
    pub(crate) tx: TxSide,
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
            pride_rt::println!("{}: {len}-byte frame does not fit a buffer, dropped", microkit::name());
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

impl SddfDevice {
    /// The device over the queues and regions of a client's configuration
    /// blob; stops the PD (`START_FAILED`) if they are unusable. Returns
    /// the device, its MAC address and the rx and tx channels.
    pub fn from_config(config_bytes: &[u8]) -> (SddfDevice, [u8; 6], Channel, Channel) {
        let c: NetClientConfig = config(config_bytes);
        let (Some(rx), Some(tx)) = (link(&c.rx), link(&c.tx)) else {
            pride_rt::supervisor::start_failed("net client: queues not mapped");
        };
        let tx_data = SharedRegion::from_resource(&c.tx_data);
        if (tx_data.len() as u64) < u64::from(tx.capacity()) * BUFFER_SIZE as u64 {
            pride_rt::supervisor::start_failed("net client: transmit data region smaller than its buffers");
        }
        let mac = c.mac_addr.0;
        if !EthernetAddress(mac).is_unicast() {
            pride_rt::supervisor::start_failed("net client: the MAC address is not a unicast one");
        }
        let dev = SddfDevice {
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
        (dev, mac, Channel::from(c.rx.id), Channel::from(c.tx.id))
    }

    /// Puts every transmit buffer into the free queue, by offset (at init;
    /// a replacement finds them there, or on their way back from the
    /// driver, and must not). Stops the PD if the queue is not empty.
    pub fn fill_tx(&mut self) {
        if self.tx.link.fill_free(0).is_err() {
            pride_rt::supervisor::start_failed("net client: transmit free queue not empty at start");
        }
    }

    /// Notifies the copier (`rx_ch`) and the transmit virtualiser (`tx_ch`)
    /// if they asked for it and there is something for them.
    pub fn notify_peers(&mut self, rx_ch: Channel, tx_ch: Channel) {
        if self.rx.returned && self.rx.link.free.claim_signal() {
            self.rx.returned = false;
            microkit::notify(rx_ch);
        }
        if self.tx.sent && self.tx.link.active.claim_signal() {
            self.tx.sent = false;
            microkit::notify(tx_ch);
        }
    }

    /// With nothing left to do: asks to be notified of frames from the
    /// copier and, if smoltcp had to wait for one, of transmit buffers,
    /// then looks again. True if there is work after all (poll again),
    /// false if the PD may wait for a notification.
    pub fn wait_for_frames(&mut self) -> bool {
        let mut again = false;
        // Frames still to come: be notified of them, then look again.
        if !self.rx.link.active.request_signal_and_recheck() {
            if self.tx.link.free.is_empty() {
                // They must wait for a transmit buffer.
                self.tx.starved = true;
            } else {
                again = true;
            }
        }
        // Transmit buffers to wait for: likewise.
        if self.tx.starved {
            self.tx.starved = false;
            if !self.tx.link.free.request_signal_and_recheck() {
                again = true;
            }
        }
        again
    }
}

/// The interface on `dev`: MAC `mac`, [`ADDRESS`]/24, default route to the
/// gateway.
pub fn interface(dev: &mut SddfDevice, mac: [u8; 6]) -> Interface {
    let mut iface_config = Config::new(HardwareAddress::Ethernet(EthernetAddress(mac)));
    iface_config.random_seed = pride_rt::tsc();
    let mut iface = Interface::new(iface_config, dev, now());
    let [a, b, c, d] = ADDRESS;
    iface.update_ip_addrs(|addrs| {
        // The list starts empty and holds several.
        let _ = addrs.push(IpCidr::new(IpAddress::v4(a, b, c, d), PREFIX_LEN));
    });
    let [g0, g1, g2, g3] = GATEWAY;
    if iface
        .routes_mut()
        .add_default_ipv4_route(Ipv4Address::new(g0, g1, g2, g3))
        .is_err()
    {
        pride_rt::println!("{}: no room for the default route", microkit::name());
    }
    iface
}
