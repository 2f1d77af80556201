//! The receive and transmit virtualisers (sDDF's `virt_rx` and `virt_tx`).
//!
//! Between a virtualiser and the driver, descriptors carry the buffer's
//! *I/O address* (what the device is given); between a virtualiser and its
//! clients they carry the buffer's *offset* in its data region. The
//! virtualisers are where one becomes the other.
//!
//! Receive buffers all live in one device data region (`config.data`) and
//! belong to `virt_rx`: at init it hands every one of them to the driver.
//! Transmit buffers live in the clients' own transmit data regions and
//! belong to the clients: `virt_tx` only forwards them, and tells them
//! apart on the way back by their I/O address.
//!
//! Signalling follows `sddf::net`: after draining a queue the consumer
//! asks for a signal and re-checks; after a batch the producer notifies
//! only if the consumer asked. A consumer that will look at a queue anyway
//! does not ask: `virt_rx` collects freed buffers on every frame and asks
//! its clients only once they hold half the buffers, `virt_tx` asks the
//! driver for sent buffers only while a client is short of them. Neither
//! virtualiser cares which channel a
//! notification came in on: each does all its work on every one, as sDDF's
//! do.

use alloc::vec::Vec;

use microkit::{Channel, SharedRegion};
use sddf::config::net::{MacAddr, NetVirtRxConfig, NetVirtTxConfig};
use sddf::net::{NetDescriptor, BUFFER_SIZE};
use sddf::shared::SharedMemory;

use crate::{config, link, Link};

const BUF: u64 = BUFFER_SIZE as u64;

/// Where a received frame goes, by its destination address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Destination {
    Client(usize),
    Broadcast,
    Nobody,
}

/// A client of the receive virtualiser (its copier).
struct RxClient {
    link: Link,
    ch: Channel,
    macs: Vec<[u8; 6]>,
}

/// The receive virtualiser: frames from the driver to the client(s) whose
/// address they are sent to, and their buffers back once every client that
/// got one has returned it.
pub struct VirtRx {
    driver: Link,
    driver_ch: Channel,
    /// The device's receive data region (read-only here).
    data: SharedRegion,
    /// Its I/O address: buffer `i` is at `io_addr + i * BUFFER_SIZE`.
    io_addr: u64,
    /// One byte per driver buffer: how many clients still hold it (a
    /// broadcast frame goes to all of them). Kept in the zero-filled
    /// metadata region, as sDDF does.
    refs: SharedRegion,
    clients: Vec<RxClient>,
    /// Driver buffers some client holds (nonzero in `refs`).
    held: u32,
    /// This virtualiser replaces one that ran on the same queues: the
    /// buffers are already in circulation.
    replacement: bool,
}

impl VirtRx {
    pub fn new(config_bytes: &[u8], replacement: bool) -> VirtRx {
        let c: NetVirtRxConfig = config(config_bytes);
        let Some(driver) = link(&c.driver) else {
            pride_rt::supervisor::start_failed("net virt_rx: driver queues not mapped");
        };
        let buffers = u64::from(driver.capacity());
        let data = SharedRegion::from_resource(&c.data.region);
        if (data.len() as u64) < buffers * BUF {
            pride_rt::supervisor::start_failed("net virt_rx: receive data region smaller than the driver's buffers");
        }
        let refs = SharedRegion::from_resource(&c.buffer_metadata);
        if (refs.len() as u64) < buffers {
            pride_rt::supervisor::start_failed("net virt_rx: buffer metadata region too small");
        }
        if c.clients.len() > 64 {
            pride_rt::supervisor::start_failed("net virt_rx: more than 64 clients");
        }
        let mut clients = Vec::with_capacity(c.clients.len());
        for client in &c.clients {
            let Some(l) = link(&client.conn) else {
                pride_rt::supervisor::start_failed("net virt_rx: client queues not mapped");
            };
            clients.push(RxClient {
                link: l,
                ch: Channel::from(client.conn.id),
                macs: client.mac_addrs.iter().map(|MacAddr(m)| *m).collect(),
            });
        }
        VirtRx {
            driver,
            driver_ch: Channel::from(c.driver.id),
            data,
            io_addr: c.data.io_addr,
            refs,
            clients,
            held: 0,
            replacement,
        }
    }

    /// Whether to ask the clients to signal the buffers they free: only
    /// once they hold half the driver's buffers. Below that the driver has
    /// enough to keep receiving, and every frame it hands over wakes this
    /// virtualiser, which then collects what the clients freed
    /// (`rx_provide` runs on every notification). This saves the client's
    /// notification, and the driver's, for every packet.
    fn want_free_signals(&self) -> bool {
        2 * self.held >= self.driver.capacity()
    }

    /// The client a frame is for: the first with its destination address,
    /// else every client if it is broadcast, else nobody.
    fn destination(&self, offset: usize, len: u16) -> Destination {
        if usize::from(len) < 6 {
            return Destination::Nobody;
        }
        // The destination address is the frame's first six bytes; buffers
        // are 2048-byte aligned, so one aligned word holds them.
        let word = self.data.load_u64(offset).to_le_bytes();
        let dest = &word[..6];
        if let Some(i) = self.clients.iter().position(|c| c.macs.iter().any(|m| m == dest)) {
            Destination::Client(i)
        } else if dest == [0xff; 6] {
            Destination::Broadcast
        } else {
            Destination::Nobody
        }
    }

    /// The driver's buffer index of a client-side offset, if it names one.
    fn index(&self, offset: u64) -> Option<usize> {
        (offset.is_multiple_of(BUF) && offset / BUF < u64::from(self.driver.capacity()))
            .then_some((offset / BUF) as usize)
    }

    /// Gives buffer `offset` back to the driver (offset -> I/O address).
    fn give_to_driver(&mut self, offset: u64) {
        let d = NetDescriptor {
            io_or_offset: offset + self.io_addr,
            len: 0,
            oid: 0,
        };
        if self.driver.free.enqueue(d).is_err() {
            // Cannot happen: the free queue holds every driver buffer.
            pride_rt::println!("net_virt_rx: driver free queue full, buffer {offset:#x} lost");
        }
    }

    /// Frames the driver received, to their clients. Returns, per client,
    /// whether it was given any; sets `*to_driver` if a buffer went straight
    /// back to the driver.
    fn rx_return(&mut self, to_driver: &mut bool) -> u64 {
        let mut given = 0u64;
        loop {
            while let Ok(d) = self.driver.active.dequeue() {
                // I/O address -> offset in the data region.
                let offset = d.io_or_offset.wrapping_sub(self.io_addr);
                let Some(index) = self.index(offset) else {
                    pride_rt::println!(
                        "net_virt_rx: driver returned {:#x}, not one of its buffers",
                        d.io_or_offset
                    );
                    continue;
                };
                if self.refs.load_u8(index) != 0 {
                    pride_rt::println!("net_virt_rx: driver returned buffer {index}, which a client still holds");
                    continue;
                }
                let desc = NetDescriptor {
                    io_or_offset: offset,
                    len: d.len.min(BUFFER_SIZE as u16),
                    oid: 0,
                };
                let targets = match self.destination(offset as usize, desc.len) {
                    Destination::Client(i) => i..i + 1,
                    Destination::Broadcast => 0..self.clients.len(),
                    Destination::Nobody => 0..0,
                };
                let mut holders = 0u8;
                for i in targets {
                    // A client's active queue holds all of the driver's
                    // buffers in a system sdfgen sized; if not, it misses
                    // this frame.
                    if self.clients[i].link.active.enqueue(desc).is_ok() {
                        holders += 1;
                        given |= 1 << i;
                    }
                }
                if holders == 0 {
                    self.give_to_driver(offset);
                    *to_driver = true;
                } else {
                    self.refs.store_u8(index, holders);
                    self.held += 1;
                }
            }
            if self.driver.active.request_signal_and_recheck() {
                break;
            }
        }
        given
    }

    /// Buffers the clients are done with: back to the driver once nobody
    /// holds them.
    fn rx_provide(&mut self, to_driver: &mut bool) {
        for i in 0..self.clients.len() {
            loop {
                while let Ok(d) = self.clients[i].link.free.dequeue() {
                    let Some(index) = self.index(d.io_or_offset) else {
                        pride_rt::println!(
                            "net_virt_rx: client returned offset {:#x}, not a buffer",
                            d.io_or_offset
                        );
                        continue;
                    };
                    let holders = self.refs.load_u8(index);
                    if holders == 0 {
                        pride_rt::println!("net_virt_rx: client returned buffer {index}, which nobody holds");
                        continue;
                    }
                    self.refs.store_u8(index, holders - 1);
                    if holders == 1 {
                        self.held = self.held.saturating_sub(1);
                        self.give_to_driver(d.io_or_offset);
                        *to_driver = true;
                    }
                }
                if !self.want_free_signals() {
                    // Withdraw an old request: collected on the next frame.
                    self.clients[i].link.free.cancel_signal();
                    break;
                }
                if self.clients[i].link.free.request_signal_and_recheck() {
                    break;
                }
            }
        }
    }

    fn work(&mut self) {
        let mut to_driver = false;
        let given = self.rx_return(&mut to_driver);
        for (i, client) in self.clients.iter_mut().enumerate() {
            if given & (1 << i) != 0 && client.link.active.claim_signal() {
                microkit::notify(client.ch);
            }
        }
        self.rx_provide(&mut to_driver);
        if to_driver && self.driver.free.claim_signal() {
            microkit::notify(self.driver_ch);
        }
    }
}

impl microkit::Handler for VirtRx {
    fn init(&mut self) {
        if self.replacement {
            // A restart or an update: every buffer is with the driver, in a
            // queue, or with a client (the metadata region counts those);
            // the old version held none between two events. Catch up on
            // what arrived meanwhile, and wake everyone once.
            self.held = (0..self.driver.capacity() as usize)
                .filter(|&i| self.refs.load_u8(i) != 0)
                .count() as u32;
            self.work();
            microkit::notify(self.driver_ch);
            for client in &self.clients {
                microkit::notify(client.ch);
            }
            return;
        }
        // Every receive buffer to the driver, by I/O address.
        if self.driver.fill_free(self.io_addr).is_err() {
            pride_rt::supervisor::start_failed("net virt_rx: driver free queue not empty at start");
        }
        if self.driver.free.claim_signal() {
            microkit::notify(self.driver_ch);
        }
    }

    fn notified(&mut self, _ch: Channel) {
        self.work();
    }
}

/// One transmit data region of a client, as `virt_tx` sees it.
#[derive(Clone, Copy, Debug)]
struct TxRegion {
    io_addr: u64,
    num_buffers: u64,
}

impl TxRegion {
    fn contains(&self, io: u64) -> bool {
        io >= self.io_addr && io - self.io_addr < self.num_buffers * BUF
    }
}

/// A client of the transmit virtualiser.
struct TxClient {
    link: Link,
    ch: Channel,
    /// Indexed by a descriptor's `oid`.
    regions: Vec<TxRegion>,
}

/// The transmit virtualiser: every client's frames to the driver, and the
/// buffers the driver has sent back to the client they came from.
pub struct VirtTx {
    driver: Link,
    driver_ch: Channel,
    clients: Vec<TxClient>,
}

impl VirtTx {
    pub fn new(config_bytes: &[u8]) -> VirtTx {
        let c: NetVirtTxConfig = config(config_bytes);
        let Some(driver) = link(&c.driver) else {
            pride_rt::supervisor::start_failed("net virt_tx: driver queues not mapped");
        };
        if c.clients.len() > 64 {
            pride_rt::supervisor::start_failed("net virt_tx: more than 64 clients");
        }
        let mut clients = Vec::with_capacity(c.clients.len());
        for client in &c.clients {
            let Some(l) = link(&client.conn) else {
                pride_rt::supervisor::start_failed("net virt_tx: client queues not mapped");
            };
            clients.push(TxClient {
                link: l,
                ch: Channel::from(client.conn.id),
                regions: client
                    .regions
                    .iter()
                    .map(|r| TxRegion {
                        io_addr: r.data.io_addr,
                        num_buffers: u64::from(r.num_buffers),
                    })
                    .collect(),
            });
        }
        VirtTx {
            driver,
            driver_ch: Channel::from(c.driver.id),
            clients,
        }
    }

    /// The client and region an I/O address belongs to, and its offset
    /// there.
    fn owner(&self, io: u64) -> Option<(usize, u8, u64)> {
        self.clients.iter().enumerate().find_map(|(c, client)| {
            client
                .regions
                .iter()
                .position(|r| r.contains(io))
                .map(|oid| (c, oid as u8, io - client.regions[oid].io_addr))
        })
    }

    /// Whether some client is short of transmit buffers: fewer than half
    /// of them in its free queue.
    fn clients_short(&self) -> bool {
        self.clients
            .iter()
            .any(|c| c.link.free.len().map_or(true, |n| 2 * n < c.link.capacity()))
    }

    /// Sent buffers, from the driver back to their clients (I/O address ->
    /// client, region and offset).
    ///
    /// The driver is asked to signal sent buffers only while some client
    /// is short of them. Otherwise they wait in the queue until the next
    /// frame a client sends wakes this virtualiser, which collects them
    /// first: a client with buffers to spare loses nothing by that, and
    /// the driver's notification per packet is saved. A client runs short
    /// only by sending, and every frame it sends wakes this virtualiser
    /// (after the client took the buffer), so the check below sees it
    /// before the client can wait for buffers. The driver, for its part,
    /// has the device interrupt for sent frames only while this request
    /// stands, so a new request wakes it.
    fn tx_return(&mut self) {
        let mut returned = 0u64;
        loop {
            while let Ok(d) = self.driver.free.dequeue() {
                let Some((c, oid, offset)) = self.owner(d.io_or_offset) else {
                    pride_rt::println!("net_virt_tx: driver returned {:#x}, no client's buffer", d.io_or_offset);
                    continue;
                };
                let back = NetDescriptor {
                    io_or_offset: offset,
                    len: d.len,
                    oid,
                };
                if self.clients[c].link.free.enqueue(back).is_err() {
                    // Cannot happen: the free queue holds all the client's buffers.
                    pride_rt::println!("net_virt_tx: client {c}'s free queue full, buffer {offset:#x} lost");
                    continue;
                }
                returned |= 1 << c;
            }
            if !self.clients_short() {
                self.driver.free.cancel_signal();
                break;
            }
            // The driver has the device interrupt for sent frames only
            // while this request stands: on a new one, wake the driver so
            // that it turns the interrupt on (`driver.rs`).
            let asked = self.driver.free.require_signal();
            if self.driver.free.request_signal_and_recheck() {
                if !asked {
                    microkit::notify(self.driver_ch);
                }
                break;
            }
        }
        for (i, client) in self.clients.iter_mut().enumerate() {
            if returned & (1 << i) != 0 && client.link.free.claim_signal() {
                microkit::notify(client.ch);
            }
        }
    }

    /// Frames the clients want sent, to the driver (client offset -> I/O
    /// address of the client's region). A descriptor that does not name a
    /// buffer of the client goes straight back to it.
    fn tx_provide(&mut self) {
        let mut enqueued = false;
        for client in &mut self.clients {
            let mut refused = false;
            loop {
                while let Ok(d) = client.link.active.dequeue() {
                    let io = client.regions.get(usize::from(d.oid)).and_then(|r| {
                        let valid = d.len != 0
                            && usize::from(d.len) <= BUFFER_SIZE
                            && d.io_or_offset.is_multiple_of(BUF)
                            && d.io_or_offset / BUF < r.num_buffers;
                        valid.then_some(r.io_addr + d.io_or_offset)
                    });
                    let sent = io.is_some_and(|io| {
                        let to_driver = NetDescriptor {
                            io_or_offset: io,
                            len: d.len,
                            oid: 0,
                        };
                        self.driver.active.enqueue(to_driver).is_ok()
                    });
                    if sent {
                        enqueued = true;
                    } else {
                        pride_rt::println!(
                            "net_virt_tx: refused buffer (offset {:#x}, length {}, region {})",
                            d.io_or_offset,
                            d.len,
                            d.oid
                        );
                        let _ = client.link.free.enqueue(d);
                        refused = true;
                    }
                }
                if client.link.active.request_signal_and_recheck() {
                    break;
                }
            }
            if refused && client.link.free.claim_signal() {
                microkit::notify(client.ch);
            }
        }
        if enqueued && self.driver.active.claim_signal() {
            microkit::notify(self.driver_ch);
        }
    }
}

impl microkit::Handler for VirtTx {
    fn init(&mut self) {
        // The clients own their buffers (each fills its own free queue):
        // only pass on what may already be queued, and (after a restart or
        // an update) what the driver sent back meanwhile.
        self.tx_provide();
        self.tx_return();
        microkit::notify(self.driver_ch);
        for client in &self.clients {
            microkit::notify(client.ch);
        }
    }

    fn notified(&mut self, _ch: Channel) {
        // Frames first, so that the buffers their clients took are counted
        // when `tx_return` decides whether the driver must signal.
        self.tx_provide();
        self.tx_return();
    }
}
