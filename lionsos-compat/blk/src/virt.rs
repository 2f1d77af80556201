//! The block virtualiser (sDDF's `blk_virt`): one disk, a partition per
//! client.
//!
//! At start it waits for the driver's storage info to be ready, reads the
//! disk's block 0 into its own bounce region (the description's driver
//! data region) and parses the MBR. Each client is given the partition
//! its configuration names: its storage info gets the partition's size
//! and is published (and the client notified). From then on each client
//! request is checked and translated (`blk_core::partition::translate`):
//! a bad one is answered `ERR_INVALID_PARAM` here, with a line on the
//! console saying why; a good one goes to the driver under an id of the
//! virtualiser's own (`blk_core::ids`), and the driver's answer goes back
//! to the client with the client's id.
//!
//! Flow control, so no response queue can overflow: a client's request is
//! taken only while its response queue has room for every request of its
//! still in flight plus this one, and only while the driver's request
//! queue and the id table have room.
//!
//! A restarted virtualiser starts a new id epoch (a counter kept at the
//! end of the bounce region, which outlives it), so late answers to the
//! previous run's requests are recognised and dropped.

use alloc::vec::Vec;

use blk_core::ids::IdMap;
use blk_core::mbr::Mbr;
use blk_core::partition::{translate, ClientView, Partition};
use blk_core::TRANSFER_SIZE;
use microkit::{Channel, SharedRegion};
use sddf::blk::{BlkRequest, BlkResponse, RequestCode, ResponseStatus, StorageInfoRegion};
use sddf::config::blk::BlkVirtConfig;
use sddf::ring::QueueError;
use sddf::shared::SharedMemory;

use crate::{config, link, storage_info, Link};

/// Refusals printed per client; after that one line says they go on.
const MAX_REPORTED: u32 = 16;

/// What the virtualiser keeps of a request it sent the driver.
#[derive(Clone, Copy, Debug)]
enum Pending {
    /// Its own read of block 0.
    Mbr,
    Client {
        client: usize,
        id: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// The driver has not published the disk yet.
    WaitingForDisk,
    /// Block 0 was asked for.
    ReadingMbr,
    Serving,
    /// No partitions (no MBR, or it could not be read): requests fail.
    NoDisk,
}

struct Client {
    link: Link,
    ch: Channel,
    info: StorageInfoRegion<SharedRegion>,
    /// The partition the configuration names.
    partition: u32,
    data_size: u64,
    data_io: u64,
    /// Set once the MBR gave the partition.
    view: Option<ClientView>,
    /// Requests sent to the driver and not yet answered.
    in_flight: u32,
    /// Its queues are corrupted: it is not served any more.
    broken: bool,
    reported: u32,
}

pub struct Virt {
    driver: Link,
    driver_ch: Channel,
    driver_info: StorageInfoRegion<SharedRegion>,
    bounce: SharedRegion,
    bounce_io: u64,
    clients: Vec<Client>,
    ids: IdMap<Pending>,
    state: State,
    epoch: u16,
    complaints: u32,
}

impl Virt {
    pub fn new(config_bytes: &[u8]) -> Virt {
        let c: BlkVirtConfig = config(config_bytes);
        let (Some(driver), Some(driver_info)) = (link(&c.driver.conn), storage_info(&c.driver.conn)) else {
            pride_rt::supervisor::start_failed("blk virt: driver queues or storage info not mapped");
        };
        let bounce = SharedRegion::from_resource(&c.driver.data.region);
        if bounce.len() < TRANSFER_SIZE as usize + 8 {
            pride_rt::supervisor::start_failed("blk virt: the driver data region is smaller than a block");
        }
        let mut clients = Vec::new();
        for (i, cc) in c.clients.iter().enumerate() {
            let (Some(l), Some(info)) = (link(&cc.conn), storage_info(&cc.conn)) else {
                pride_rt::println!("{}: client {i}: queues or storage info not mapped", microkit::name());
                pride_rt::supervisor::start_failed("blk virt: a client's queues are not mapped");
            };
            clients.push(Client {
                link: l,
                ch: Channel::from(cc.conn.id),
                info,
                partition: cc.partition,
                data_size: cc.data.region.size,
                data_io: cc.data.io_addr,
                view: None,
                in_flight: 0,
                broken: false,
                reported: 0,
            });
        }
        let ids = IdMap::new(usize::from(c.driver.conn.num_buffers), 0);
        Virt {
            driver,
            driver_ch: Channel::from(c.driver.conn.id),
            driver_info,
            bounce,
            bounce_io: c.driver.data.io_addr,
            clients,
            ids,
            state: State::WaitingForDisk,
            epoch: 0,
            complaints: 0,
        }
    }

    fn epoch_offset(&self) -> usize {
        (self.bounce.len() - 8) & !7
    }

    fn complain(&mut self, what: core::fmt::Arguments) {
        self.complaints += 1;
        if self.complaints <= MAX_REPORTED {
            pride_rt::println!("{}: {}", microkit::name(), what);
        }
    }

    /// Asks the driver for block 0.
    fn request_mbr(&mut self) {
        let Some(id) = self.ids.insert(Pending::Mbr) else {
            return;
        };
        let req = BlkRequest {
            code: RequestCode::Read,
            io_or_offset: self.bounce_io,
            block_number: 0,
            count: 1,
            id,
        };
        if self.driver.requests.enqueue(req).is_err() {
            let _ = self.ids.remove(id);
            self.complain(format_args!("the driver's request queue is full or corrupted"));
            return;
        }
        self.state = State::ReadingMbr;
        microkit::notify(self.driver_ch);
    }

    /// Block 0 has arrived (or failed): the clients' partitions.
    fn partitions(&mut self, status: ResponseStatus) {
        let name = microkit::name();
        if status != ResponseStatus::Ok {
            pride_rt::println!("{name}: reading block 0 failed ({status:?}): no partitions");
            self.state = State::NoDisk;
            return;
        }
        let mut sector = [0u8; 512];
        self.bounce.load_bytes(0, &mut sector);
        let mbr = match Mbr::parse(&sector) {
            Ok(m) => m,
            Err(e) => {
                pride_rt::println!("{name}: {e}: no partitions");
                self.state = State::NoDisk;
                return;
            }
        };
        let disk = self.driver_info.read();
        for (i, e) in mbr.entries.iter().enumerate().filter(|(_, e)| !e.is_empty()) {
            pride_rt::println!(
                "{name}: MBR partition {i}: type {:#04x}, sectors {}..{}",
                e.kind,
                e.lba_start,
                u64::from(e.lba_start) + u64::from(e.sectors)
            );
        }
        for (i, c) in self.clients.iter_mut().enumerate() {
            let view = Partition::select(&mbr, c.partition, disk.capacity)
                .map_err(|e| alloc::format!("{e}"))
                .and_then(|p| {
                    ClientView::new(p, c.data_size, c.data_io)
                        .ok_or_else(|| alloc::string::String::from("its data region's address wraps"))
                });
            match view {
                Ok(v) => {
                    let mut info = disk;
                    info.capacity = v.partition.blocks;
                    c.info.write(&info);
                    c.info.set_ready(true);
                    c.view = Some(v);
                    pride_rt::println!(
                        "{name}: client {i} gets partition {}: blocks {}..{} of the disk",
                        v.partition.index,
                        v.partition.start_block,
                        v.partition.start_block + v.partition.blocks
                    );
                    microkit::notify(c.ch);
                }
                Err(why) => pride_rt::println!("{name}: client {i} is not served: {why}"),
            }
        }
        self.state = State::Serving;
    }

    /// Takes the driver's answers and passes them on; returns which
    /// clients got one.
    fn take_answers(&mut self) -> u64 {
        let mut notify = 0u64;
        loop {
            let r = match self.driver.responses.dequeue() {
                Ok(r) => r,
                Err(QueueError::Corrupted { head, tail, .. }) => {
                    self.complain(format_args!(
                        "the driver's response queue is corrupted (head {head}, tail {tail})"
                    ));
                    break;
                }
                Err(_) => break,
            };
            match self.ids.remove(r.id) {
                Some(Pending::Mbr) => self.partitions(r.status),
                Some(Pending::Client { client, id }) => {
                    let Some(c) = self.clients.get_mut(client) else {
                        continue;
                    };
                    c.in_flight = c.in_flight.saturating_sub(1);
                    let resp = BlkResponse {
                        status: r.status,
                        success_count: r.success_count,
                        id,
                    };
                    // Room was kept for it; only a client that corrupted its
                    // queue loses the answer.
                    if c.link.responses.enqueue(resp).is_err() {
                        c.broken = true;
                    }
                    notify |= 1 << client.min(63);
                }
                None => self.complain(format_args!(
                    "the driver answered id {:#x}, which is not in flight",
                    r.id
                )),
            }
        }
        notify
    }

    /// Takes client `i`'s requests; returns (client to be notified, driver
    /// to be notified).
    fn take_requests(&mut self, i: usize) -> (bool, bool) {
        let name = microkit::name();
        let (mut to_client, mut to_driver) = (false, false);
        let serving = self.state == State::Serving;
        let Some(c) = self.clients.get_mut(i) else {
            return (false, false);
        };
        while !c.broken {
            if self.driver.requests.is_full() || self.ids.is_full() {
                break;
            }
            let room = match c.link.responses.len() {
                Ok(len) => c.link.capacity().saturating_sub(len),
                Err(_) => 0,
            };
            if room <= c.in_flight {
                break;
            }
            let req = match c.link.requests.dequeue() {
                Ok(r) => r,
                Err(QueueError::Corrupted { head, tail, capacity }) => {
                    pride_rt::println!(
                        "{name}: client {i}'s request queue is corrupted (head {head}, tail {tail}, capacity {capacity}): it is not served any more"
                    );
                    c.broken = true;
                    break;
                }
                Err(_) => break,
            };
            let status = match (serving, c.view) {
                (true, Some(view)) => match translate(&view, &req) {
                    Ok(mut fwd) => {
                        let Some(id) = self.ids.insert(Pending::Client { client: i, id: req.id }) else {
                            break;
                        };
                        fwd.id = id;
                        if self.driver.requests.enqueue(fwd).is_err() {
                            let _ = self.ids.remove(id);
                            ResponseStatus::ErrUnspec
                        } else {
                            c.in_flight += 1;
                            to_driver = true;
                            continue;
                        }
                    }
                    Err(why) => {
                        c.reported += 1;
                        if c.reported <= MAX_REPORTED {
                            pride_rt::println!(
                                "{name}: client {i} (partition {}): request {} refused: {why}",
                                c.partition,
                                req.id
                            );
                        } else if c.reported == MAX_REPORTED + 1 {
                            pride_rt::println!("{name}: client {i}: further refusals are not reported");
                        }
                        why.status()
                    }
                },
                _ => ResponseStatus::ErrNoDevice,
            };
            let resp = BlkResponse {
                status,
                success_count: 0,
                id: req.id,
            };
            if c.link.responses.enqueue(resp).is_err() {
                c.broken = true;
            }
            to_client = true;
        }
        (to_client, to_driver)
    }

    fn serve(&mut self) {
        let mut notify = self.take_answers();
        let mut driver = false;
        for i in 0..self.clients.len() {
            let (c, d) = self.take_requests(i);
            if c {
                notify |= 1 << i.min(63);
            }
            driver |= d;
        }
        for (i, c) in self.clients.iter().enumerate() {
            if notify & (1 << i.min(63)) != 0 {
                microkit::notify(c.ch);
            }
        }
        if driver {
            microkit::notify(self.driver_ch);
        }
    }
}

impl microkit::Handler for Virt {
    fn init(&mut self) {
        let at = self.epoch_offset();
        self.epoch = (self.bounce.load_u64(at) as u16).wrapping_add(1);
        self.bounce.store_u64(at, u64::from(self.epoch));
        self.ids = IdMap::new(self.ids.capacity(), self.epoch);
        if self.driver_info.is_ready() {
            self.request_mbr();
        } else {
            pride_rt::println!("{}: waiting for the disk", microkit::name());
        }
    }

    fn notified(&mut self, _ch: Channel) {
        match self.state {
            State::WaitingForDisk => {
                if self.driver_info.is_ready() {
                    self.request_mbr();
                }
                // Clients get nothing until the partitions are known.
            }
            State::ReadingMbr => {
                // Only the answer to block 0 can come; serve once it has.
                let _ = self.take_answers();
                if self.state == State::Serving || self.state == State::NoDisk {
                    self.serve();
                }
            }
            State::Serving | State::NoDisk => self.serve(),
        }
    }
}
