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
//! ## Replacement without losing a request
//!
//! The id table (`blk_core::ids`) is not on the heap but in the bounce
//! region, which outlives the virtualiser (after block 0's bounce buffer: a
//! header word, then one word per id), with its epoch at the region's end.
//! A virtualiser that replaces another (`microkit::is_replacement`: a
//! restart or an update, which first asks it to quiesce, or a start after
//! it was stopped) takes the table over as it is, epoch and all: when the
//! driver answers a request its predecessor sent, it still knows whose it
//! was and answers the client, so every client request gets exactly one
//! response. It counts each client's requests in flight from the table
//! (for the flow control above) and reads the MBR again; meanwhile
//! answers are passed on, new requests wait. Between two events the
//! virtualiser holds nothing else: requests are taken from a client's
//! queue, entered in the table and put in the driver's queue in one go.
//! Only a fresh table (a new system, or a table whose header is not
//! intact) starts a new epoch, so that late answers to a table that was
//! given up are recognised and dropped. A virtualiser destroyed in the
//! middle of an event could lose the one request it was moving.

use alloc::vec::Vec;

use blk_core::ids::{IdMap, Pending, Slots};
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

/// Where the id table starts in the bounce region (after block 0's
/// buffer): a header word ([`TABLE_MAGIC`] ^ capacity), then the slots.
const TABLE: usize = TRANSFER_SIZE as usize;
const TABLE_MAGIC: u64 = u64::from_le_bytes(*b"PRIDEIDS");

/// The id table's words in the bounce region.
struct BounceSlots {
    mem: SharedRegion,
    count: usize,
}

impl Slots for BounceSlots {
    fn count(&self) -> usize {
        self.count
    }
    fn load(&self, i: usize) -> u64 {
        if i < self.count {
            self.mem.load_u64(TABLE + 8 + 8 * i)
        } else {
            0
        }
    }
    fn store(&mut self, i: usize, value: u64) {
        if i < self.count {
            self.mem.store_u64(TABLE + 8 + 8 * i, value);
        }
    }
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
    ids: IdMap<BounceSlots>,
    state: State,
    /// How the id table was found at start (for the log).
    table: Table,
    complaints: u32,
}

/// How the id table was found at start.
#[derive(Clone, Copy, Debug)]
enum Table {
    Fresh,
    Recovered {
        dropped: usize,
    },
    /// A replacement found no intact table: a new epoch.
    Lost,
}

impl Virt {
    /// The virtualiser of configuration `config_bytes`; `replacement` if it
    /// replaces one that ran on the same regions (see the module
    /// documentation).
    pub fn new(config_bytes: &[u8], replacement: bool) -> Virt {
        let c: BlkVirtConfig = config(config_bytes);
        let (Some(driver), Some(driver_info)) = (link(&c.driver.conn), storage_info(&c.driver.conn)) else {
            pride_rt::supervisor::start_failed("blk virt: driver queues or storage info not mapped");
        };
        let mut bounce = SharedRegion::from_resource(&c.driver.data.region);
        // Block 0, the table's header and at least one slot, the epoch.
        if bounce.len() < TABLE + 24 {
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
        let epoch_at = epoch_offset(&bounce);
        let count = usize::from(c.driver.conn.num_buffers).min((epoch_at - TABLE - 8) / 8);
        let slots = BounceSlots { mem: bounce, count };
        let header = TABLE_MAGIC ^ count as u64;
        let old_epoch = bounce.load_u64(epoch_at) as u16;
        let (ids, table) = if replacement && bounce.load_u64(TABLE) == header {
            let (ids, dropped) = IdMap::recover(slots, old_epoch);
            (ids, Table::Recovered { dropped })
        } else {
            let epoch = old_epoch.wrapping_add(1);
            bounce.store_u64(epoch_at, u64::from(epoch));
            let ids = IdMap::new(slots, epoch);
            bounce.store_u64(TABLE, header);
            (ids, if replacement { Table::Lost } else { Table::Fresh })
        };
        for e in ids.entries() {
            if let Pending::Client { client, .. } = e {
                if let Some(c) = clients.get_mut(usize::from(client)) {
                    c.in_flight += 1;
                }
            }
        }
        Virt {
            driver,
            driver_ch: Channel::from(c.driver.conn.id),
            driver_info,
            bounce,
            bounce_io: c.driver.data.io_addr,
            clients,
            ids,
            state: State::WaitingForDisk,
            table,
            complaints: 0,
        }
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
                Some(Pending::Stale) => {}
                Some(Pending::Client { client, id }) => {
                    let client = usize::from(client);
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
                        let Some(id) = u16::try_from(i)
                            .ok()
                            .and_then(|client| self.ids.insert(Pending::Client { client, id: req.id }))
                        else {
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

    fn notify_clients(&self, which: u64) {
        for (i, c) in self.clients.iter().enumerate() {
            if which & (1 << i.min(63)) != 0 {
                microkit::notify(c.ch);
            }
        }
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
        self.notify_clients(notify);
        if driver {
            microkit::notify(self.driver_ch);
        }
    }
}

impl microkit::Handler for Virt {
    fn init(&mut self) {
        let name = microkit::name();
        match self.table {
            Table::Fresh => {}
            Table::Recovered { dropped } => {
                let per_client: Vec<u32> = self.clients.iter().map(|c| c.in_flight).collect();
                pride_rt::println!(
                    "{name}: took over the id table (epoch {}): {} requests in flight (per client {per_client:?}){}",
                    self.ids.epoch(),
                    self.ids.in_flight(),
                    if dropped > 0 {
                        alloc::format!(", {dropped} unreadable entries dropped")
                    } else {
                        alloc::string::String::new()
                    }
                );
            }
            Table::Lost => pride_rt::println!(
                "{name}: replacing a virtualiser but its id table is not intact: new epoch {}",
                self.ids.epoch()
            ),
        }
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
                // Answers are passed on (a replacement may have taken over
                // requests in flight); clients' requests wait until block 0
                // has come.
                let notify = self.take_answers();
                self.notify_clients(notify);
                if self.state == State::Serving || self.state == State::NoDisk {
                    self.serve();
                }
            }
            State::Serving | State::NoDisk => self.serve(),
        }
    }
}

/// Where the epoch is kept: the bounce region's last word.
fn epoch_offset(bounce: &SharedRegion) -> usize {
    (bounce.len() - 8) & !7
}
