//! The virtio-blk driver: a legacy virtio device over PCI I/O ports.
//!
//! QEMU's `virtio-blk-pci` with `disable-modern=on` in slot 5. The driver
//! finds it through the PCI configuration ports (0xcf8-0xcff), checks that
//! its I/O window fits the ports the description grants and that its
//! interrupt line is the IOAPIC pin the description grants (slot 5's INTA
//! is PIRQA, which the pc99 firmware routes to IRQ 10, level-triggered;
//! slots 3 and 4 end on pin 11, the network card's), puts the window (BAR 0) at
//! [`BAR0`], turns on I/O decoding and bus mastering, and sets up the one
//! virtqueue in a region whose physical address the description patches in
//! (`virtio_rings_paddr`). Then it publishes the disk's size in the
//! storage-info region and tells the virtualiser.
//!
//! Requests come from the virtualiser with I/O (physical) addresses; each
//! becomes a chain of descriptors (see `blk_core::virtio`) whose header and
//! status byte live in the rings region. A request the plan refuses is
//! answered at once with an error and never reaches the device.
//!
//! ## Replacement without losing a request
//!
//! Every request the device is given is written down in an *in-flight
//! table* in the rings region (one entry per chain: the sDDF request as
//! the virtualiser sent it, `blk_core::virtio::record`) before the device
//! can see the chain, and crossed out when the device has completed it,
//! just before its response goes into the virtualiser's queue. A barrier
//! waiting for earlier requests is written down too. The region outlives
//! the driver, so whoever runs next knows what the device held.
//!
//! What happens to those requests: they are *sent again* by the next
//! driver, not answered with an error. sDDF block requests are reads and
//! writes of whole blocks from and to buffers the client leaves alone
//! until it is answered (and flushes), so doing one twice, or again after
//! the device did part of it, leaves the disk and the buffer as doing it
//! once would; requests in flight together have no order among them
//! (only a barrier orders, and it is kept). Resending keeps the
//! replacement invisible to the virtualiser and the clients, which get
//! exactly one answer per request, instead of making every client retry
//! errors it cannot tell from real ones.
//!
//! - Asked to quiesce (a restart or an update), the driver resets the
//!   device, which stops it touching memory, answers what the device
//!   completed before that, and leaves the rest in the table.
//! - At `init` (after a quiesce, after a driver that died without one, or
//!   after an abandoned update) the driver resets the device, sets up its
//!   queue and sends every request in the table again, each in its own
//!   chain, before taking new ones; a pending barrier stays pending. If
//!   there is no device, they are answered `ERR_NO_DEVICE`.
//!
//! A driver destroyed between taking a request from its queue and writing
//! it into the table, or between crossing it out and answering it, would
//! lose that request. The table is crossed out first on purpose: the other
//! order would answer it twice after a restart, and the second answer
//! could complete a later request the virtualiser gave the same id. A
//! quiesce happens between two events and loses nothing.

use blk_core::virtio::{self, Chains, Disk, Op, QueueLayout, CHAIN, DESC_NEXT, DESC_WRITE, RECORD_WORDS};
use blk_core::{SECTORS_PER_BLOCK, SECTOR_SIZE};
use kernel_iface::Cap;
use microkit::{Channel, SharedRegion};
use pci_io::{IoWindow, PciConfig};
use sddf::blk::{BlkRequest, BlkResponse, ResponseStatus, StorageInfo, StorageInfoRegion, SERIAL_NUMBER_SIZE};
use sddf::config::blk::BlkDriverConfig;
use sddf::ring::QueueError;
use sddf::shared::{Fence, SharedMemory};

use crate::{config, link, storage_info, Link};

/// Where the device's I/O window is put (the description's I/O port range).
pub const BAR0: u16 = 0x6100;
/// Bytes of that range: the window must not be larger.
pub const BAR0_PORTS: u32 = 0x80;
/// I/O port range ids the description gives the driver.
pub const PCI_PORTS_ID: u64 = 22;
pub const DEVICE_PORTS_ID: u64 = 23;
/// The IOAPIC pin the description routes to the driver: the PCI interrupt
/// line of the slot the disk is in must be this.
pub const IRQ_PIN: u8 = 10;
/// Vendor and device id of a transitional virtio block device.
const VIRTIO_BLK_ID: u32 = 0x1001_1af4;

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
    /// The device configuration (no MSI-X): `u64 capacity` in sectors.
    pub const CAPACITY: u16 = 0x14;
    /// `u32 blk_size`, valid with the BLK_SIZE feature.
    pub const BLK_SIZE: u16 = 0x14 + 20;
    pub const ACKNOWLEDGE: u8 = 1;
    pub const DRIVER: u8 = 2;
    pub const DRIVER_OK: u8 = 4;
    pub const FAILED: u8 = 0x80;
}

/// Largest queue this driver lays out (the queue fits in [`HEADERS`]).
const MAX_QUEUE: u16 = 256;
/// Where things are in the rings region: the virtqueue, then one request
/// header (16 bytes) and one status byte per chain, then the in-flight
/// table (one entry of [`RECORD_WORDS`] words per chain) and the pending
/// barrier's word ([`BARRIER_PENDING`] | id, or 0).
const QUEUE: usize = 0;
const HEADERS: usize = 0x4000;
const STATUS: usize = 0x5000;
const IN_FLIGHT: usize = 0x6000;
const MAX_CHAINS: usize = (MAX_QUEUE / CHAIN) as usize;
const BARRIER: usize = IN_FLIGHT + MAX_CHAINS * RECORD_WORDS * 8;
const BARRIER_PENDING: u64 = 1 << 63;
const RINGS_BYTES: usize = 0x7000;
const _: () = assert!(BARRIER + 8 <= RINGS_BYTES);

/// What a chain in flight carries: the sDDF request's id and block count.
#[derive(Clone, Copy, Debug)]
struct InFlight {
    id: u32,
    count: u16,
}

/// The device, once set up.
struct Running {
    layout: QueueLayout,
    chains: Chains<InFlight>,
    /// Next avail index to publish, next used index to read.
    avail: u16,
    used: u16,
    disk: Disk,
    /// A barrier waiting for the requests before it to complete.
    barrier: Option<u32>,
}

pub struct Driver {
    pci: PciConfig,
    dev: IoWindow,
    irq: Channel,
    rings: SharedRegion,
    rings_paddr: u64,
    virt: Link,
    virt_ch: Channel,
    info: StorageInfoRegion<SharedRegion>,
    run: Option<Running>,
    /// Responses were put in the virtualiser's queue since it was last
    /// notified.
    answered: bool,
    complaints: u32,
}

/// Complaints about the virtualiser or the device printed at most.
const MAX_COMPLAINTS: u32 = 8;

impl Driver {
    pub fn new(config_bytes: &[u8], rings: SharedRegion, rings_paddr: u64) -> Driver {
        let c: BlkDriverConfig = config(config_bytes);
        let (Some(virt), Some(info)) = (link(&c.virt), storage_info(&c.virt)) else {
            pride_rt::supervisor::start_failed("blk driver: queues or storage info not mapped");
        };
        if rings.len() < RINGS_BYTES || rings_paddr == 0 {
            pride_rt::supervisor::start_failed("blk driver: the rings region is missing");
        }
        Driver {
            pci: PciConfig::new(Cap::from_cptr(microkit::BASE_IOPORT_CAP + PCI_PORTS_ID)),
            dev: IoWindow::new(Cap::from_cptr(microkit::BASE_IOPORT_CAP + DEVICE_PORTS_ID), BAR0),
            irq: microkit::globals::irqs().trailing_zeros(),
            rings,
            rings_paddr,
            virt,
            virt_ch: Channel::from(c.virt.id),
            info,
            run: None,
            answered: false,
            complaints: 0,
        }
    }

    fn complain(&mut self, what: core::fmt::Arguments) {
        self.complaints += 1;
        if self.complaints <= MAX_COMPLAINTS {
            pride_rt::println!("{}: {}", microkit::name(), what);
        }
    }

    /// Finds the disk on bus 0, checks its interrupt line and window size
    /// against what the description grants, and gives it its window.
    fn probe(&self) -> Result<u8, alloc::string::String> {
        use alloc::format;
        let dev = self
            .pci
            .find(VIRTIO_BLK_ID)
            .ok_or_else(|| alloc::string::String::from("no virtio-blk device on PCI bus 0"))?;
        let line = self.pci.read(dev, 0x3c) as u8;
        if line != IRQ_PIN {
            return Err(format!(
                "the disk in PCI slot {dev} has interrupt line {line}, but the system description gives the driver IOAPIC pin {IRQ_PIN}: not starting"
            ));
        }
        // Size the I/O window: all ones in, the address bits that stick out.
        let bar = self.pci.read(dev, 0x10);
        if bar & 1 == 0 {
            return Err(format!("the disk's BAR 0 is not an I/O window ({bar:#x})"));
        }
        self.pci.write(dev, 0x10, u32::MAX);
        let mask = self.pci.read(dev, 0x10) & 0xffff_fffc;
        let size = (!mask).wrapping_add(1) & 0xffff;
        if size == 0 || size > BAR0_PORTS {
            self.pci.write(dev, 0x10, bar);
            return Err(format!(
                "the disk's I/O window has {size:#x} ports, the description grants {BAR0_PORTS:#x}"
            ));
        }
        self.pci.write(dev, 0x10, u32::from(BAR0));
        let command = self.pci.read(dev, 0x04) & 0xffff;
        // I/O space and bus mastering on, INTx not disabled.
        self.pci.write(dev, 0x04, (command | 0x5) & !0x400);
        Ok(line)
    }

    /// Resets the device and sets up its queue; the disk as found.
    fn start_device(&mut self) -> Result<(Disk, u16, u64), &'static str> {
        self.dev.out8(reg::STATUS, 0);
        self.dev.out8(reg::STATUS, reg::ACKNOWLEDGE | reg::DRIVER);
        let offered = self.dev.in32(reg::DEVICE_FEATURES);
        let wanted = offered & (virtio::feature::RO | virtio::feature::BLK_SIZE | virtio::feature::FLUSH);
        self.dev.out32(reg::DRIVER_FEATURES, wanted);
        self.dev.out16(reg::QUEUE_SELECT, 0);
        let size = self.dev.in16(reg::QUEUE_SIZE);
        let layout = QueueLayout::legacy(size)
            .filter(|l| l.size <= MAX_QUEUE && QUEUE + l.bytes <= HEADERS)
            .ok_or("the device's queue does not fit")?;
        for at in (QUEUE..HEADERS).step_by(8) {
            self.rings.store_u64(at, 0);
        }
        self.dev
            .out32(reg::QUEUE_PFN, ((self.rings_paddr + QUEUE as u64) >> 12) as u32);
        self.dev
            .out8(reg::STATUS, reg::ACKNOWLEDGE | reg::DRIVER | reg::DRIVER_OK);
        if self.dev.in8(reg::STATUS) & reg::FAILED != 0 {
            return Err("the device refused the driver");
        }
        let sectors = u64::from(self.dev.in32(reg::CAPACITY)) | u64::from(self.dev.in32(reg::CAPACITY + 4)) << 32;
        let sector_size = if wanted & virtio::feature::BLK_SIZE != 0 {
            u64::from(self.dev.in32(reg::BLK_SIZE))
        } else {
            SECTOR_SIZE
        };
        let disk = Disk {
            blocks: sectors / SECTORS_PER_BLOCK,
            read_only: wanted & virtio::feature::RO != 0,
            flush: wanted & virtio::feature::FLUSH != 0,
        };
        self.run = Some(Running {
            layout,
            chains: Chains::new(layout.size),
            avail: 0,
            used: 0,
            disk,
            barrier: None,
        });
        Ok((disk, layout.size, sector_size))
    }

    /// Answers a request to the virtualiser. Callers make sure there is
    /// room (the driver is the queue's only producer, so room it saw stays).
    fn respond(&mut self, status: ResponseStatus, success_count: u16, id: u32) {
        let r = BlkResponse {
            status,
            success_count,
            id,
        };
        if self.virt.responses.enqueue(r).is_err() {
            self.complain(format_args!(
                "the virtualiser's response queue took no answer to {id:#x}: full or corrupted"
            ));
        }
        self.answered = true;
    }

    fn has_room(&self) -> bool {
        !self.virt.responses.is_full()
    }

    /// The request in in-flight entry `c`, if any.
    fn recorded(&self, c: usize) -> Option<BlkRequest> {
        let at = IN_FLIGHT + c * RECORD_WORDS * 8;
        let mut words = [0u64; RECORD_WORDS];
        for (i, w) in words.iter_mut().enumerate() {
            *w = self.rings.load_u64(at + 8 * i);
        }
        virtio::unrecord(words)
    }

    /// Writes `req` into in-flight entry `c` (word 0, which makes it
    /// valid, last).
    fn write_record(&mut self, c: usize, req: &BlkRequest) {
        let at = IN_FLIGHT + c * RECORD_WORDS * 8;
        let words = virtio::record(req);
        for i in (1..RECORD_WORDS).rev() {
            self.rings.store_u64(at + 8 * i, words[i]);
        }
        self.rings.fence(Fence::Release);
        self.rings.store_u64(at, words[0]);
    }

    fn clear_record(&mut self, c: usize) {
        self.rings.store_u64(IN_FLIGHT + c * RECORD_WORDS * 8, 0);
    }

    /// Requests the in-flight table holds.
    fn held(&self) -> usize {
        (0..MAX_CHAINS).filter(|c| self.recorded(*c).is_some()).count()
    }

    /// Waits for every request before it: written down, so that a driver
    /// started later keeps waiting.
    fn set_barrier(&mut self, id: Option<u32>) {
        if let Some(run) = self.run.as_mut() {
            run.barrier = id;
        }
        self.rings
            .store_u64(BARRIER, id.map_or(0, |id| BARRIER_PENDING | u64::from(id)));
    }

    /// A barrier an earlier driver left pending.
    fn recorded_barrier(&self) -> Option<u32> {
        let w = self.rings.load_u64(BARRIER);
        (w & BARRIER_PENDING != 0).then_some(w as u32)
    }

    /// Takes over what an earlier driver left in the in-flight table (the
    /// device was just reset): each request is checked again and sent again
    /// (see the module documentation), a pending barrier stays pending.
    /// Without a device every one is answered `ERR_NO_DEVICE`. Returns how
    /// many were sent again and how many answered.
    fn resubmit(&mut self) -> (u32, u32) {
        let (mut sent, mut answered) = (0, 0);
        for c in 0..MAX_CHAINS {
            let Some(req) = self.recorded(c) else { continue };
            if !self.has_room() {
                // Cannot happen (the virtualiser keeps room for every
                // request it sent); the entry stays for later.
                self.complain(format_args!("no room to answer request {:#x} yet", req.id));
                continue;
            }
            let plan = match self.run.as_ref() {
                Some(run) => virtio::plan(&req, &run.disk),
                None => Err(ResponseStatus::ErrNoDevice),
            };
            let op = match plan {
                Ok(op @ (Op::Data { .. } | Op::Flush)) => op,
                other => {
                    // Refused, or nothing the device does: answered here.
                    self.clear_record(c);
                    self.respond(other.err().unwrap_or(ResponseStatus::Ok), 0, req.id);
                    answered += 1;
                    continue;
                }
            };
            let what = InFlight {
                id: req.id,
                count: req.count,
            };
            let Some(run) = self.run.as_mut() else { continue };
            // The same chain if the queue still has it, else any free one.
            let chain = match u16::try_from(c) {
                Ok(c16) if run.chains.take_at(c16, what) => Some(c16),
                _ => run.chains.take(what),
            };
            let Some(chain) = chain else {
                self.clear_record(c);
                self.respond(ResponseStatus::ErrUnspec, 0, req.id);
                answered += 1;
                continue;
            };
            if chain as usize != c {
                self.write_record(chain as usize, &req);
                self.clear_record(c);
            }
            self.submit(chain, op);
            sent += 1;
        }
        if let Some(id) = self.recorded_barrier() {
            let idle = self.run.as_ref().is_none_or(|r| r.chains.in_flight() == 0);
            if idle && self.has_room() {
                self.set_barrier(None);
                self.respond(ResponseStatus::Ok, 0, id);
                answered += 1;
            } else {
                self.set_barrier(Some(id));
            }
        }
        (sent, answered)
    }

    /// Writes chain `c` for `op` and publishes it.
    fn submit(&mut self, c: u16, op: Op) {
        let Some(run) = self.run.as_mut() else { return };
        let header = HEADERS + virtio::HEADER_SIZE * c as usize;
        let status = STATUS + c as usize;
        let (kind, sector, data) = match op {
            Op::Data {
                write,
                sector,
                addr,
                bytes,
            } => (
                if write { virtio::T_OUT } else { virtio::T_IN },
                sector,
                Some((addr, bytes, write)),
            ),
            _ => (virtio::T_FLUSH, 0, None),
        };
        self.rings.store_u32(header, kind);
        self.rings.store_u32(header + 4, 0);
        self.rings.store_u64(header + 8, sector);
        self.rings.store_u8(status, 0xff);
        let l = run.layout;
        let (h, d, s) = (CHAIN * c, CHAIN * c + 1, CHAIN * c + 2);
        let desc = |mem: &mut SharedRegion, i: u16, addr: u64, len: u32, flags: u16, next: u16| {
            virtio_ring::write_desc(mem, &l, i, addr, len, flags, next)
        };
        let paddr = self.rings_paddr;
        match data {
            Some((addr, bytes, write)) => {
                desc(&mut self.rings, h, paddr + header as u64, 16, DESC_NEXT, d);
                let flags = if write { DESC_NEXT } else { DESC_NEXT | DESC_WRITE };
                desc(&mut self.rings, d, addr, bytes, flags, s);
            }
            None => desc(&mut self.rings, h, paddr + header as u64, 16, DESC_NEXT, s),
        }
        desc(&mut self.rings, s, paddr + status as u64, 1, DESC_WRITE, 0);
        self.rings.store_u16(l.avail_slot(run.avail), h);
        self.rings.fence(Fence::Release);
        run.avail = run.avail.wrapping_add(1);
        self.rings.store_u16(l.avail_idx(), run.avail);
    }

    /// Takes requests from the virtualiser while chains are free (and
    /// there is room to answer); true if the device was given any.
    fn take_requests(&mut self) -> bool {
        let mut submitted = false;
        loop {
            if !self.has_room() {
                break;
            }
            let Some(run) = self.run.as_ref() else {
                // No device: every request fails.
                while self.has_room() {
                    let Ok(r) = self.virt.requests.dequeue() else { break };
                    self.respond(ResponseStatus::ErrNoDevice, 0, r.id);
                }
                return false;
            };
            if run.barrier.is_some() || !run.chains.has_free() {
                break;
            }
            let (disk, idle) = (run.disk, run.chains.in_flight() == 0);
            let r = match self.virt.requests.dequeue() {
                Ok(r) => r,
                Err(QueueError::Corrupted { head, tail, capacity }) => {
                    self.complain(format_args!(
                        "the virtualiser's request queue is corrupted (head {head}, tail {tail}, capacity {capacity})"
                    ));
                    break;
                }
                Err(_) => break,
            };
            match virtio::plan(&r, &disk) {
                Err(status) => {
                    self.complain(format_args!("refused request {r:?}: {status:?}"));
                    self.respond(status, 0, r.id);
                }
                Ok(Op::Done) => self.respond(ResponseStatus::Ok, 0, r.id),
                Ok(Op::Barrier) => {
                    if idle {
                        self.respond(ResponseStatus::Ok, 0, r.id);
                    } else {
                        self.set_barrier(Some(r.id));
                    }
                }
                Ok(op) => {
                    let Some(run) = self.run.as_mut() else { break };
                    let Some(c) = run.chains.take(InFlight {
                        id: r.id,
                        count: r.count,
                    }) else {
                        break;
                    };
                    // Written down before the device can see it.
                    self.write_record(c as usize, &r);
                    self.submit(c, op);
                    submitted = true;
                }
            }
        }
        submitted
    }

    /// Answers every request the device has completed (while the
    /// virtualiser's queue has room: the rest stay in the used ring).
    fn completed(&mut self) {
        loop {
            if !self.has_room() {
                break;
            }
            let Some(run) = self.run.as_mut() else { return };
            let l = run.layout;
            if self.rings.load_u16(l.used_idx()) == run.used {
                break;
            }
            self.rings.fence(Fence::Acquire);
            let head = self.rings.load_u32(l.used_elem(run.used));
            run.used = run.used.wrapping_add(1);
            match run.chains.complete(head) {
                Some((c, f)) => {
                    let status = virtio::status(self.rings.load_u8(STATUS + c as usize));
                    let count = if status == ResponseStatus::Ok { f.count } else { 0 };
                    // Crossed out first: see the module documentation.
                    self.clear_record(c as usize);
                    self.respond(status, count, f.id);
                }
                None => self.complain(format_args!(
                    "the device completed descriptor {head}, which is no request"
                )),
            }
        }
        if let Some(id) = self
            .run
            .as_ref()
            .filter(|r| r.chains.in_flight() == 0)
            .and_then(|r| r.barrier)
        {
            if self.has_room() {
                self.set_barrier(None);
                self.respond(ResponseStatus::Ok, 0, id);
            }
        }
    }

    /// Tells the virtualiser about answers put in its queue.
    fn notify_answers(&mut self) {
        if core::mem::take(&mut self.answered) {
            microkit::notify(self.virt_ch);
        }
    }

    /// All the work there is: completions, new requests, responses.
    fn work(&mut self) {
        self.completed();
        if self.take_requests() {
            self.dev.out16(reg::QUEUE_NOTIFY, 0);
        }
        self.notify_answers();
    }

    /// Stops the device: after a reset it touches no memory and raises no
    /// interrupt (reading the ISR lowers one it raised).
    fn reset_device(&mut self) {
        self.dev.out8(reg::STATUS, 0);
        let _ = self.dev.in8(reg::ISR);
    }

    /// No usable device: what the table holds is answered.
    fn no_device(&mut self) {
        self.run = None;
        let (_, answered) = self.resubmit();
        if answered > 0 {
            pride_rt::println!(
                "{}: answered {answered} requests an earlier driver left with the device: no device",
                microkit::name()
            );
        }
        self.work();
    }
}

impl microkit::Handler for Driver {
    fn init(&mut self) {
        let line = match self.probe() {
            Ok(line) => line,
            Err(why) => {
                pride_rt::println!("{}: {why}", microkit::name());
                self.no_device();
                return;
            }
        };
        let (disk, queue, sector_size) = match self.start_device() {
            Ok(x) => x,
            Err(why) => {
                pride_rt::println!("{}: {why}", microkit::name());
                self.reset_device();
                self.no_device();
                return;
            }
        };
        self.info.write(&StorageInfo {
            serial_number_bytes: [0; SERIAL_NUMBER_SIZE],
            read_only: disk.read_only,
            sector_size: sector_size as u16,
            block_size: 1,
            queue_depth: queue / CHAIN,
            cylinders: 0,
            heads: 0,
            blocks: 0,
            capacity: disk.blocks,
        });
        self.info.set_ready(true);
        pride_rt::println!(
            "{}: virtio-blk at I/O {:#x}, {} blocks of 4096 bytes ({} KiB){}, PCI interrupt line {}, queue {}",
            microkit::name(),
            BAR0,
            disk.blocks,
            disk.blocks * 4,
            if disk.read_only { ", read-only" } else { "" },
            line,
            queue
        );
        // Whatever an earlier driver left with the device goes first.
        let (sent, answered) = self.resubmit();
        if sent + answered > 0 {
            pride_rt::println!(
                "{}: took over {} requests an earlier driver left with the device: {sent} sent again, {answered} answered",
                microkit::name(),
                sent + answered
            );
        }
        if sent > 0 {
            self.dev.out16(reg::QUEUE_NOTIFY, 0);
        }
        // The virtualiser may be waiting for the disk.
        microkit::notify(self.virt_ch);
        self.work();
        // After a replacement the interrupt may have been left
        // unacknowledged (masked) by the driver that was replaced.
        microkit::irq_ack(self.irq);
    }

    fn quiesce(&mut self) {
        self.reset_device();
        // What the device finished before the reset is answered; the rest
        // stays in the in-flight table for the next driver.
        let before = self.held();
        self.completed();
        self.notify_answers();
        let held = self.held();
        self.run = None;
        pride_rt::println!(
            "{}: quiesced: device reset, {} completed requests answered, {held} left in the in-flight table for the next driver",
            microkit::name(),
            before - held
        );
    }

    fn resumed(&mut self) {
        self.init();
    }

    fn notified(&mut self, ch: Channel) {
        if ch == self.irq {
            // Reading the ISR acknowledges the device's interrupt.
            let _ = self.dev.in8(reg::ISR);
            self.work();
            microkit::irq_ack(self.irq);
        } else if ch == self.virt_ch {
            self.work();
        }
    }
}
