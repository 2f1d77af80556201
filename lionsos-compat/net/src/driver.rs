//! The virtio-net driver: a legacy virtio device over PCI I/O ports.
//!
//! QEMU's `virtio-net-pci` with `disable-modern=on` in slot 3. The driver
//! finds it through the PCI configuration ports (0xcf8-0xcff), puts its
//! I/O window (BAR 0) at [`BAR0`] where the system description gives it
//! the ports, turns on I/O decoding and bus mastering, and sets up two
//! virtqueues (receive 0, transmit 1) in a region whose physical address
//! the description patches in (`virtio_rings_paddr`). Its interrupt is
//! PCI INTA, which the pc99 board routes to IOAPIC pin 11, level-triggered.
//!
//! Buffers are sDDF's: the receive virtualiser hands the driver free
//! buffers by I/O (physical) address, the transmit virtualiser full ones.
//! Each goes to the device as a two-descriptor chain: a 10-byte virtio-net
//! header kept in the rings region (its descriptor written once, when the
//! queue is set up), then the buffer.
//!
//! ## Replacement without losing buffers
//!
//! Every buffer the device holds is written down in an *in-flight table*
//! in the rings region (one word per chain, the buffer's I/O address)
//! before the device sees it, and crossed out when the device gives it
//! back. The region outlives the driver, so whoever runs next knows what
//! the device held:
//!
//! - asked to quiesce (a restart or an update), the driver resets the
//!   device, which stops it touching memory, and gives every buffer in
//!   the table back to its owner: receive buffers to the receive
//!   virtualiser as empty frames (which it returns to the free queue),
//!   transmit buffers to the transmit virtualiser as sent (the frames are
//!   dropped);
//! - at `init` the driver does the same with whatever the table still
//!   holds (a driver that crashed could not), then sets the device up.
//!
//! ## Transmit interrupts only when someone waits
//!
//! The device interrupts for a sent frame only while the transmit
//! virtualiser waits for sent buffers (it asked for a signal on its free
//! queue) and the device holds some: otherwise the driver sets
//! `VRING_AVAIL_F_NO_INTERRUPT` on the transmit queue and collects sent
//! buffers whenever it runs anyway (every receive interrupt, every frame
//! to send). A frame arriving alone into an idle system thus costs one
//! interrupt, not two (the second, for its echo having been sent, woke the
//! driver only to move one buffer nobody was waiting for). The transmit
//! virtualiser wakes the driver when it starts to wait (see `virt.rs`).

use alloc::vec::Vec;

use kernel_iface::Cap;
use microkit::{Channel, SharedRegion};
use pci_io::{IoWindow, PciConfig};
use sddf::config::net::NetDriverConfig;
use sddf::net::NetDescriptor;
use sddf::shared::{Fence, SharedMemory};
use virtio_ring::{write_desc, QueueLayout, AVAIL_F_NO_INTERRUPT, DESC_NEXT, DESC_WRITE, USED_F_NO_NOTIFY};

use crate::{config, link, Link};

/// Where the device's I/O window is put (the description's I/O port range).
pub const BAR0: u16 = 0x6000;
/// I/O port range ids the description gives the driver.
pub const PCI_PORTS_ID: u64 = 22;
pub const DEVICE_PORTS_ID: u64 = 23;

/// Legacy virtio registers (offsets in the I/O window).
mod reg {
    pub const DEVICE_FEATURES: u16 = 0x00;
    pub const DRIVER_FEATURES: u16 = 0x04;
    pub const QUEUE_PFN: u16 = 0x08;
    pub const QUEUE_SIZE: u16 = 0x0c;
    pub const QUEUE_SELECT: u16 = 0x0e;
    pub const QUEUE_NOTIFY: u16 = 0x10;
    pub const STATUS: u16 = 0x12;
    pub const ISR: u16 = 0x13;
    pub const MAC: u16 = 0x14;
    pub const ACKNOWLEDGE: u8 = 1;
    pub const DRIVER: u8 = 2;
    pub const DRIVER_OK: u8 = 4;
    pub const FEATURE_MAC: u32 = 1 << 5;
}

/// Bytes of the legacy virtio-net header without merged buffers.
const NET_HEADER: u64 = 10;
/// Largest queue this driver lays out (16 KiB of rings each).
const MAX_QUEUE: u16 = 256;
/// Where things are in the rings region.
const RX_RING: usize = 0;
const TX_RING: usize = 0x4000;
const RX_HEADERS: usize = 0x8000;
const TX_HEADERS: usize = 0x9000;
/// The in-flight tables (one u64 per chain: a buffer's I/O address, 0 for
/// none).
const RX_IN_FLIGHT: usize = 0xa000;
const TX_IN_FLIGHT: usize = 0xa400;
const CHAINS: usize = MAX_QUEUE as usize / 2;
const RINGS_BYTES: usize = 0xa800;

/// One virtqueue in the rings region (legacy layout).
struct Queue {
    layout: QueueLayout,
    /// Next avail index to publish, next used index to read.
    avail: u16,
    used: u16,
    /// Free two-descriptor chains (chain c uses descriptors 2c and 2c+1).
    free_chains: Vec<u16>,
    /// The device writes the buffers (receive) or reads them (transmit).
    device_writes: bool,
    /// This queue's in-flight table in the rings region.
    in_flight: usize,
}

impl Queue {
    /// A queue whose chains all start with their header: descriptor 2c
    /// (the chain's 10-byte header in the rings region, zeroed, which the
    /// device writes on receive and reads as "no offloads" on transmit)
    /// leading to descriptor 2c+1 (the buffer). Only the buffer descriptor
    /// changes from one use of a chain to the next.
    fn new(
        mem: &mut SharedRegion,
        rings_paddr: u64,
        layout: QueueLayout,
        headers: usize,
        in_flight: usize,
        device_writes: bool,
    ) -> Queue {
        let flags = if device_writes { DESC_WRITE } else { 0 };
        for c in 0..layout.size / 2 {
            let header = headers + 16 * c as usize;
            for i in (0..16).step_by(8) {
                mem.store_u64(header + i, 0);
            }
            write_desc(
                mem,
                &layout,
                2 * c,
                rings_paddr + header as u64,
                NET_HEADER as u32,
                flags | DESC_NEXT,
                2 * c + 1,
            );
        }
        Queue {
            layout,
            avail: 0,
            used: 0,
            free_chains: (0..layout.size / 2).rev().collect(),
            device_writes,
            in_flight,
        }
    }
    /// Fills one chain's buffer descriptor and publishes the chain.
    fn push(&mut self, mem: &mut SharedRegion, buffer: u64, len: u32) -> bool {
        let Some(c) = self.free_chains.pop() else {
            return false;
        };
        // Written down before the device can see it.
        mem.store_u64(self.in_flight + 8 * c as usize, buffer);
        let flags = if self.device_writes { DESC_WRITE } else { 0 };
        let l = &self.layout;
        write_desc(mem, l, 2 * c + 1, buffer, len, flags, 0);
        mem.store_u16(l.avail_slot(self.avail), 2 * c);
        mem.fence(Fence::Release);
        self.avail = self.avail.wrapping_add(1);
        mem.store_u16(l.avail_idx(), self.avail);
        true
    }
    /// Chains the device holds (given, not yet returned).
    fn in_flight(&self) -> usize {
        usize::from(self.layout.size / 2) - self.free_chains.len()
    }
    /// After publishing: whether the device wants to be told (legacy
    /// virtio: unless it set `VRING_USED_F_NO_NOTIFY` in the used ring's
    /// flags, which QEMU does while it is still processing the queue or,
    /// for receive, while it has buffers). The full fence orders the
    /// avail index store before the flags load.
    fn kick_needed(&self, mem: &SharedRegion) -> bool {
        mem.fence(Fence::SeqCst);
        mem.load_u16(self.layout.used_flags()) & USED_F_NO_NOTIFY == 0
    }
    /// The next chain the device finished: (buffer, bytes it wrote).
    fn pop(&mut self, mem: &mut SharedRegion) -> Option<(u64, u32)> {
        loop {
            if mem.load_u16(self.layout.used_idx()) == self.used {
                return None;
            }
            mem.fence(Fence::Acquire);
            let at = self.layout.used_elem(self.used);
            let (id, len) = (mem.load_u32(at), mem.load_u32(at + 4));
            self.used = self.used.wrapping_add(1);
            let c = id / 2;
            let slot = self.in_flight + 8 * c as usize;
            // A chain the device could not have been given, or one it
            // returns twice, is skipped.
            if id % 2 != 0 || c >= u32::from(self.layout.size / 2) || mem.load_u64(slot) == 0 {
                pride_rt::println!(
                    "{}: the device returned descriptor {id}, not a chain in flight",
                    microkit::name()
                );
                continue;
            }
            let buffer = mem.load_u64(slot);
            mem.store_u64(slot, 0);
            self.free_chains.push(c as u16);
            return Some((buffer, len));
        }
    }
}

pub struct Driver {
    pci: PciConfig,
    dev: IoWindow,
    irq: Channel,
    rings: SharedRegion,
    rings_paddr: u64,
    virt_rx: Link,
    virt_tx: Link,
    rx_ch: Channel,
    tx_ch: Channel,
    rxq: Option<Queue>,
    txq: Option<Queue>,
}

impl Driver {
    pub fn new(config_bytes: &[u8], rings: SharedRegion, rings_paddr: u64) -> Driver {
        let c: NetDriverConfig = config(config_bytes);
        let (Some(virt_rx), Some(virt_tx)) = (link(&c.virt_rx), link(&c.virt_tx)) else {
            pride_rt::supervisor::start_failed("net driver: queues not mapped");
        };
        if rings.len() < RINGS_BYTES || rings_paddr == 0 {
            pride_rt::supervisor::start_failed("net driver: the rings region is missing");
        }
        Driver {
            pci: PciConfig::new(Cap::from_cptr(microkit::BASE_IOPORT_CAP + PCI_PORTS_ID)),
            dev: IoWindow::new(Cap::from_cptr(microkit::BASE_IOPORT_CAP + DEVICE_PORTS_ID), BAR0),
            irq: microkit::globals::irqs().trailing_zeros(),
            rings,
            rings_paddr,
            virt_rx,
            virt_tx,
            rx_ch: c.virt_rx.id as Channel,
            tx_ch: c.virt_tx.id as Channel,
            rxq: None,
            txq: None,
        }
    }

    /// Finds the device on bus 0 and gives it its I/O window; returns its
    /// interrupt line as the firmware set it.
    fn probe(&self) -> Option<u8> {
        let dev = self.pci.find(0x1000_1af4)?;
        self.pci.write(dev, 0x10, BAR0 as u32);
        let command = self.pci.read(dev, 0x04) & 0xffff;
        // I/O space and bus mastering on, INTx not disabled.
        self.pci.write(dev, 0x04, (command | 0x5) & !0x400);
        Some(self.pci.read(dev, 0x3c) as u8)
    }

    fn setup_queue(&mut self, index: u16, base: usize, headers: usize) -> Option<Queue> {
        self.dev.out16(reg::QUEUE_SELECT, index);
        let size = self.dev.in16(reg::QUEUE_SIZE);
        if size > MAX_QUEUE {
            return None;
        }
        let layout = QueueLayout::legacy_at(size, base)?;
        for at in (base..base + 0x4000).step_by(8) {
            self.rings.store_u64(at, 0);
        }
        self.dev
            .out32(reg::QUEUE_PFN, ((self.rings_paddr + base as u64) >> 12) as u32);
        let (in_flight, device_writes) = if index == 0 {
            (RX_IN_FLIGHT, true)
        } else {
            (TX_IN_FLIGHT, false)
        };
        Some(Queue::new(
            &mut self.rings,
            self.rings_paddr,
            layout,
            headers,
            in_flight,
            device_writes,
        ))
    }

    /// Stops the device: after a reset it touches no memory and raises no
    /// interrupt (reading the ISR lowers one it raised).
    fn reset_device(&mut self) {
        self.dev.out8(reg::STATUS, 0);
        let _ = self.dev.in8(reg::ISR);
        self.rxq = None;
        self.txq = None;
    }

    /// Gives every buffer of the in-flight tables back to its owner (the
    /// device must be stopped): receive buffers to the receive virtualiser
    /// as empty frames, transmit buffers to the transmit virtualiser as
    /// sent. Returns how many of each.
    fn return_in_flight(&mut self) -> (u32, u32) {
        let (mut rx, mut tx) = (0, 0);
        for c in 0..CHAINS {
            for (table, count) in [(RX_IN_FLIGHT, &mut rx), (TX_IN_FLIGHT, &mut tx)] {
                let slot = table + 8 * c;
                let buffer = self.rings.load_u64(slot);
                if buffer == 0 {
                    continue;
                }
                let d = NetDescriptor {
                    io_or_offset: buffer,
                    len: 0,
                    oid: 0,
                };
                let link = if table == RX_IN_FLIGHT {
                    &mut self.virt_rx.active
                } else {
                    &mut self.virt_tx.free
                };
                // Each queue holds every buffer of its pool, so there is
                // room; if not, the buffer stays in the table for later.
                if link.enqueue(d).is_ok() {
                    self.rings.store_u64(slot, 0);
                    *count += 1;
                }
            }
        }
        if rx > 0 {
            microkit::notify(self.rx_ch);
        }
        if tx > 0 {
            microkit::notify(self.tx_ch);
        }
        (rx, tx)
    }

    /// Gives the device every free buffer the receive virtualiser passed.
    ///
    /// The driver asks to be notified of free buffers only while the device
    /// holds fewer than half the chains the ring has: otherwise the device
    /// can still receive, and the interrupt of the next frame brings the
    /// driver back here anyway. This saves a notification (and a wake-up
    /// of the driver) per packet.
    fn refill_rx(&mut self) {
        let Some(q) = self.rxq.as_mut() else { return };
        let mut added = false;
        loop {
            while !q.free_chains.is_empty() {
                let Ok(d) = self.virt_rx.free.dequeue() else { break };
                q.push(&mut self.rings, d.io_or_offset, sddf::net::BUFFER_SIZE as u32);
                added = true;
            }
            if q.free_chains.is_empty() || 2 * q.in_flight() >= usize::from(q.layout.size / 2) {
                // Enough posted: no signal wanted (withdraw an old request).
                self.virt_rx.free.cancel_signal();
                break;
            }
            if self.virt_rx.free.request_signal_and_recheck() {
                break;
            }
        }
        if added && q.kick_needed(&self.rings) {
            self.dev.out16(reg::QUEUE_NOTIFY, 0);
        }
    }

    /// Hands what the device received to the receive virtualiser.
    fn receive(&mut self) {
        let Some(q) = self.rxq.as_mut() else { return };
        let mut got = false;
        while let Some((buffer, len)) = q.pop(&mut self.rings) {
            let len = (len as u64).saturating_sub(NET_HEADER) as u16;
            let _ = self.virt_rx.active.enqueue(NetDescriptor {
                io_or_offset: buffer,
                len,
                oid: 0,
            });
            got = true;
        }
        if got && self.virt_rx.active.claim_signal() {
            microkit::notify(self.rx_ch);
        }
    }

    /// Gives the device every packet the transmit virtualiser queued.
    fn transmit(&mut self) {
        let Some(q) = self.txq.as_mut() else { return };
        let mut sent = false;
        loop {
            while !q.free_chains.is_empty() {
                let Ok(d) = self.virt_tx.active.dequeue() else { break };
                q.push(&mut self.rings, d.io_or_offset, d.len as u32);
                sent = true;
            }
            if q.free_chains.is_empty() || self.virt_tx.active.request_signal_and_recheck() {
                break;
            }
        }
        if sent && q.kick_needed(&self.rings) {
            self.dev.out16(reg::QUEUE_NOTIFY, 1);
        }
    }

    /// Has the device interrupt for sent frames only while the transmit
    /// virtualiser waits for sent buffers and the device holds some (see
    /// the module documentation). Turning the interrupt on, the driver
    /// looks again for frames the device sent meanwhile, which raised none.
    fn arm_tx_interrupt(&mut self) {
        loop {
            let Some(q) = self.txq.as_ref() else { return };
            let wanted = q.in_flight() > 0 && self.virt_tx.free.require_signal();
            let flags = if wanted { 0 } else { AVAIL_F_NO_INTERRUPT };
            let at = q.layout.avail_flags();
            if self.rings.load_u16(at) != flags {
                self.rings.store_u16(at, flags);
            }
            if !wanted {
                return;
            }
            // The flag store before the used index load.
            self.rings.fence(Fence::SeqCst);
            if self.rings.load_u16(q.layout.used_idx()) == q.used {
                return;
            }
            // Sent meanwhile: returning them signals the virtualiser,
            // which withdraws its request (so the loop ends).
            self.transmitted();
        }
    }

    /// Returns the buffers the device has sent to the transmit virtualiser.
    fn transmitted(&mut self) {
        let Some(q) = self.txq.as_mut() else { return };
        let mut done = false;
        while let Some((buffer, _)) = q.pop(&mut self.rings) {
            let _ = self.virt_tx.free.enqueue(NetDescriptor {
                io_or_offset: buffer,
                len: 0,
                oid: 0,
            });
            done = true;
        }
        if done && self.virt_tx.free.claim_signal() {
            microkit::notify(self.tx_ch);
        }
    }
}

impl microkit::Handler for Driver {
    fn init(&mut self) {
        let Some(line) = self.probe() else {
            pride_rt::println!("{}: no virtio-net device on PCI bus 0", microkit::name());
            return;
        };
        // Whatever an earlier driver left with the device goes back first.
        self.reset_device();
        let (rx, tx) = self.return_in_flight();
        if rx + tx > 0 {
            pride_rt::println!(
                "{}: recovered {rx} receive and {tx} transmit buffers an earlier driver left with the device",
                microkit::name()
            );
        }
        self.dev.out8(reg::STATUS, reg::ACKNOWLEDGE | reg::DRIVER);
        let features = self.dev.in32(reg::DEVICE_FEATURES);
        self.dev.out32(reg::DRIVER_FEATURES, features & reg::FEATURE_MAC);
        self.rxq = self.setup_queue(0, RX_RING, RX_HEADERS);
        self.txq = self.setup_queue(1, TX_RING, TX_HEADERS);
        if self.rxq.is_none() || self.txq.is_none() {
            pride_rt::println!("{}: the device's queues do not fit", microkit::name());
            return;
        }
        self.dev
            .out8(reg::STATUS, reg::ACKNOWLEDGE | reg::DRIVER | reg::DRIVER_OK);
        let mac: Vec<u8> = (0..6).map(|i| self.dev.in8(reg::MAC + i)).collect();
        pride_rt::println!(
            "{}: virtio-net at I/O {:#x}, MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}, PCI interrupt line {}, queues {}/{}",
            microkit::name(),
            BAR0,
            mac[0],
            mac[1],
            mac[2],
            mac[3],
            mac[4],
            mac[5],
            line,
            self.rxq.as_ref().map_or(0, |q| q.layout.size),
            self.txq.as_ref().map_or(0, |q| q.layout.size)
        );
        self.refill_rx();
        self.transmit();
        self.arm_tx_interrupt();
        // After a restart the interrupt may have been left unacknowledged
        // (masked) by the driver that was replaced.
        microkit::irq_ack(self.irq);
    }

    fn quiesce(&mut self) {
        self.reset_device();
        let (rx, tx) = self.return_in_flight();
        pride_rt::println!(
            "{}: quiesced: device reset, {rx} receive and {tx} transmit buffers returned",
            microkit::name()
        );
    }

    fn resumed(&mut self) {
        self.init();
    }

    fn notified(&mut self, ch: Channel) {
        if ch == self.irq {
            // Reading the ISR acknowledges the device's interrupt.
            let _ = self.dev.in8(reg::ISR);
            self.receive();
            self.refill_rx();
            self.transmitted();
            self.transmit();
            self.arm_tx_interrupt();
            microkit::irq_ack(self.irq);
        } else if ch == self.rx_ch {
            self.refill_rx();
        } else if ch == self.tx_ch {
            self.transmit();
            self.transmitted();
            self.arm_tx_interrupt();
        }
    }
}
