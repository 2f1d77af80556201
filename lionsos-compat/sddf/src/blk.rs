//! Block queues and the storage-info region: sDDF's `blk_req_queue_t`,
//! `blk_resp_queue_t` and `blk_storage_info_t`, bit for bit.
//!
//! A client (or the virtualiser, towards the driver) enqueues requests naming
//! a buffer in its data region; the other side answers each with a response
//! carrying the same `id`. Data moves in [`TRANSFER_SIZE`]-byte blocks. There
//! is no signalling flag: each side notifies the other after every batch.
//!
//! ## Layout (LP64, little-endian)
//!
//! | region | offset | field |
//! | --- | --- | --- |
//! | request queue | 0 | `u32 head` (consumer: the driver side) |
//! | | 4 | `u32 tail` (producer: the client side) |
//! | | 8 | `bool plugged` |
//! | | 16 | requests, 32 bytes each |
//! | response queue | 0 | `u32 head` (consumer: the client side) |
//! | | 4 | `u32 tail` (producer: the driver side) |
//! | | 8 | responses, 12 bytes each |
//!
//! Note the order: `head` first here, `tail` first in the network queue.
//!
//! | request field | offset | | response field | offset |
//! | --- | --- | --- | --- | --- |
//! | `u32 code` | 0 | | `u32 status` | 0 |
//! | `u64 io_or_offset` | 8 | | `u16 success_count` | 4 |
//! | `u64 block_number` | 16 | | `u32 id` | 8 |
//! | `u16 count` | 24 | | | |
//! | `u32 id` | 28 | | | |
//!
//! | code | value | | status | value |
//! | --- | --- | --- | --- | --- |
//! | READ | 0 | | OK | 0 |
//! | WRITE | 1 | | ERR_UNSPEC | 1 |
//! | FLUSH | 2 | | ERR_INVALID_PARAM | 2 |
//! | BARRIER | 3 | | ERR_IO | 3 |
//! | | | | ERR_NO_DEVICE | 4 |
//!
//! Codes and statuses come from the peer, so an unknown value decodes to
//! `Unknown(raw)` instead of failing: the id must survive so the request can
//! be answered (with `ERR_INVALID_PARAM`).
//!
//! ## Capacity
//!
//! sDDF does not require a power of two here, and sdfgen does produce other
//! capacities (the driver queue's is the sum of the clients'). Entry `i`
//! lives in slot `i % capacity` exactly as in C. With a capacity that does not
//! divide 2^32, the slot sequence jumps when the 32-bit indices wrap (after
//! 2^32 requests), and entries in flight across that point can share a slot;
//! this module keeps C's arithmetic for compatibility and leaves the choice
//! of capacity to the configuration.
//!
//! ## Plugging
//!
//! `plugged` asks the consumer not to dequeue requests for now
//! ([`BlkRequestQueue::plug`]); sDDF 0.7 defines it but no component acts on
//! it, and neither does [`BlkRequestQueue::dequeue`]: honouring it is the
//! consumer's decision.
//!
//! ## Hand-over
//!
//! [`BlkQueueHandle::fail_pending_requests`] answers every request still in
//! the request queue with a given status, so a client is never left waiting
//! on a driver that went away; [`BlkRequestQueue::snapshot`] lists them
//! without taking them.

use alloc::vec::Vec;

use crate::ring::{DrainError, IndexWidth, LayoutError, QueueError, Ring, RingEntry, RingLayout};
use crate::shared::{Fence, SharedMemory};

/// Bytes in one block of a transfer; `count` and `block_number` are in
/// these units.
pub const TRANSFER_SIZE: usize = 4096;

/// Size of a request, `blk_req_t`.
pub const REQUEST_SIZE: usize = 32;
pub const REQUEST_CODE: usize = 0;
pub const REQUEST_IO_OR_OFFSET: usize = 8;
pub const REQUEST_BLOCK_NUMBER: usize = 16;
pub const REQUEST_COUNT: usize = 24;
pub const REQUEST_ID: usize = 28;

/// Size of a response, `blk_resp_t`.
pub const RESPONSE_SIZE: usize = 12;
pub const RESPONSE_STATUS: usize = 0;
pub const RESPONSE_SUCCESS_COUNT: usize = 4;
pub const RESPONSE_ID: usize = 8;

pub const REQUEST_QUEUE_HEAD: usize = 0;
pub const REQUEST_QUEUE_TAIL: usize = 4;
pub const REQUEST_QUEUE_PLUGGED: usize = 8;
/// Offset of the request array; also the request queue header's size.
pub const REQUEST_QUEUE_ENTRIES: usize = 16;

pub const RESPONSE_QUEUE_HEAD: usize = 0;
pub const RESPONSE_QUEUE_TAIL: usize = 4;
/// Offset of the response array; also the response queue header's size.
pub const RESPONSE_QUEUE_ENTRIES: usize = 8;

/// Bytes a request queue region needs for `capacity` requests.
pub const fn request_queue_region_size(capacity: u32) -> usize {
    REQUEST_QUEUE_ENTRIES + capacity as usize * REQUEST_SIZE
}

/// Bytes a response queue region needs for `capacity` responses.
pub const fn response_queue_region_size(capacity: u32) -> usize {
    RESPONSE_QUEUE_ENTRIES + capacity as usize * RESPONSE_SIZE
}

static REQUEST_LAYOUT: RingLayout = RingLayout {
    head: REQUEST_QUEUE_HEAD,
    tail: REQUEST_QUEUE_TAIL,
    entries: REQUEST_QUEUE_ENTRIES,
    width: IndexWidth::U32,
    power_of_two: false,
};

static RESPONSE_LAYOUT: RingLayout = RingLayout {
    head: RESPONSE_QUEUE_HEAD,
    tail: RESPONSE_QUEUE_TAIL,
    entries: RESPONSE_QUEUE_ENTRIES,
    width: IndexWidth::U32,
    power_of_two: false,
};

/// What a request asks for (`blk_req_code_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RequestCode {
    Read,
    Write,
    Flush,
    Barrier,
    /// A value sDDF does not define, as the peer wrote it.
    Unknown(u32),
}

impl RequestCode {
    pub fn from_raw(raw: u32) -> Self {
        match raw {
            0 => RequestCode::Read,
            1 => RequestCode::Write,
            2 => RequestCode::Flush,
            3 => RequestCode::Barrier,
            other => RequestCode::Unknown(other),
        }
    }

    pub fn raw(self) -> u32 {
        match self {
            RequestCode::Read => 0,
            RequestCode::Write => 1,
            RequestCode::Flush => 2,
            RequestCode::Barrier => 3,
            RequestCode::Unknown(raw) => raw,
        }
    }
}

/// How a request ended (`blk_resp_status_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResponseStatus {
    Ok,
    /// Some other failure.
    ErrUnspec,
    /// The request itself was wrong (code, range, buffer): the requester's fault.
    ErrInvalidParam,
    /// The device failed to carry it out.
    ErrIo,
    /// There is no device (removed, or never there).
    ErrNoDevice,
    /// A value sDDF does not define, as the peer wrote it.
    Unknown(u32),
}

impl ResponseStatus {
    pub fn from_raw(raw: u32) -> Self {
        match raw {
            0 => ResponseStatus::Ok,
            1 => ResponseStatus::ErrUnspec,
            2 => ResponseStatus::ErrInvalidParam,
            3 => ResponseStatus::ErrIo,
            4 => ResponseStatus::ErrNoDevice,
            other => ResponseStatus::Unknown(other),
        }
    }

    pub fn raw(self) -> u32 {
        match self {
            ResponseStatus::Ok => 0,
            ResponseStatus::ErrUnspec => 1,
            ResponseStatus::ErrInvalidParam => 2,
            ResponseStatus::ErrIo => 3,
            ResponseStatus::ErrNoDevice => 4,
            ResponseStatus::Unknown(raw) => raw,
        }
    }
}

/// A request, `blk_req_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlkRequest {
    pub code: RequestCode,
    /// The buffer's offset in the data region, or its I/O address (between
    /// the virtualiser and the driver).
    pub io_or_offset: u64,
    /// First block, in [`TRANSFER_SIZE`] units.
    pub block_number: u64,
    /// Number of blocks.
    pub count: u16,
    /// Chosen by the requester; the response carries it back.
    pub id: u32,
}

/// A response, `blk_resp_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BlkResponse {
    pub status: ResponseStatus,
    /// Blocks actually read or written.
    pub success_count: u16,
    /// The id of the request this answers.
    pub id: u32,
}

impl RingEntry for BlkRequest {
    const SIZE: usize = REQUEST_SIZE;

    fn read<M: SharedMemory + ?Sized>(mem: &M, at: usize) -> Self {
        BlkRequest {
            code: RequestCode::from_raw(mem.load_u32(at + REQUEST_CODE)),
            io_or_offset: mem.load_u64(at + REQUEST_IO_OR_OFFSET),
            block_number: mem.load_u64(at + REQUEST_BLOCK_NUMBER),
            count: mem.load_u16(at + REQUEST_COUNT),
            id: mem.load_u32(at + REQUEST_ID),
        }
    }

    fn write<M: SharedMemory + ?Sized>(&self, mem: &mut M, at: usize) {
        mem.store_u32(at + REQUEST_CODE, self.code.raw());
        mem.store_u64(at + REQUEST_IO_OR_OFFSET, self.io_or_offset);
        mem.store_u64(at + REQUEST_BLOCK_NUMBER, self.block_number);
        mem.store_u16(at + REQUEST_COUNT, self.count);
        mem.store_u32(at + REQUEST_ID, self.id);
    }
}

impl RingEntry for BlkResponse {
    const SIZE: usize = RESPONSE_SIZE;

    fn read<M: SharedMemory + ?Sized>(mem: &M, at: usize) -> Self {
        BlkResponse {
            status: ResponseStatus::from_raw(mem.load_u32(at + RESPONSE_STATUS)),
            success_count: mem.load_u16(at + RESPONSE_SUCCESS_COUNT),
            id: mem.load_u32(at + RESPONSE_ID),
        }
    }

    fn write<M: SharedMemory + ?Sized>(&self, mem: &mut M, at: usize) {
        mem.store_u32(at + RESPONSE_STATUS, self.status.raw());
        mem.store_u16(at + RESPONSE_SUCCESS_COUNT, self.success_count);
        mem.store_u32(at + RESPONSE_ID, self.id);
    }
}

/// The operations both block queues share, over their ring.
macro_rules! ring_queue_methods {
    ($entry:ty) => {
        pub fn capacity(&self) -> u32 {
            self.ring.capacity()
        }
        /// The consumer's index.
        pub fn head(&self) -> u32 {
            self.ring.head()
        }
        /// The producer's index.
        pub fn tail(&self) -> u32 {
            self.ring.tail()
        }
        /// Entries in the queue; `Corrupted` if the indices claim more than
        /// the capacity.
        pub fn len(&self) -> Result<u32, QueueError> {
            self.ring.len()
        }
        /// True if there is nothing to dequeue (a corrupted queue is not
        /// empty: dequeueing reports the corruption).
        pub fn is_empty(&self) -> bool {
            self.len() == Ok(0)
        }
        /// True if nothing can be enqueued (full, or corrupted).
        pub fn is_full(&self) -> bool {
            self.len().map_or(true, |len| len == self.capacity())
        }
        /// Producer: appends an entry.
        pub fn enqueue(&mut self, entry: $entry) -> Result<(), QueueError> {
            self.ring.enqueue(&entry)
        }
        /// Consumer: takes the oldest entry.
        pub fn dequeue(&mut self) -> Result<$entry, QueueError> {
            self.ring.dequeue()
        }
        /// Every entry in the queue, oldest first, none taken.
        pub fn snapshot(&self) -> Result<Vec<$entry>, QueueError> {
            self.ring.snapshot()
        }
        pub fn memory(&self) -> &M {
            self.ring.memory()
        }
        pub fn into_memory(self) -> M {
            self.ring.into_memory()
        }
    };
}

/// A request queue (`blk_req_queue_t`) in the shared region `M`.
#[derive(Debug)]
pub struct BlkRequestQueue<M> {
    ring: Ring<M, BlkRequest>,
}

impl<M: SharedMemory> BlkRequestQueue<M> {
    /// Wraps a region holding `capacity` requests (any non-zero capacity, see
    /// the module doc). Checks the size; leaves the contents alone.
    pub fn new(mem: M, capacity: u32) -> Result<Self, LayoutError> {
        Ok(BlkRequestQueue {
            ring: Ring::new(mem, capacity, &REQUEST_LAYOUT)?,
        })
    }

    /// Zeroes the header (empty, unplugged), as a zero-filled region is.
    pub fn init(&mut self) {
        self.init_at(0);
    }

    /// Like [`init`](Self::init) with both indices at `start`.
    pub fn init_at(&mut self, start: u32) {
        self.ring.reset_indices(start);
        self.ring.memory_mut().store_u8(REQUEST_QUEUE_PLUGGED, 0);
    }

    ring_queue_methods!(BlkRequest);

    /// Asks the consumer to stop dequeueing requests for now.
    pub fn plug(&mut self) {
        self.ring.memory_mut().store_u8(REQUEST_QUEUE_PLUGGED, 1);
    }

    pub fn unplug(&mut self) {
        self.ring.memory_mut().store_u8(REQUEST_QUEUE_PLUGGED, 0);
    }

    /// Whether the queue is plugged (any non-zero byte counts, as C's bool
    /// load would read it).
    pub fn is_plugged(&self) -> bool {
        self.ring.memory().load_u8(REQUEST_QUEUE_PLUGGED) != 0
    }
}

/// A response queue (`blk_resp_queue_t`) in the shared region `M`.
#[derive(Debug)]
pub struct BlkResponseQueue<M> {
    ring: Ring<M, BlkResponse>,
}

impl<M: SharedMemory> BlkResponseQueue<M> {
    /// Wraps a region holding `capacity` responses. Checks the size; leaves
    /// the contents alone.
    pub fn new(mem: M, capacity: u32) -> Result<Self, LayoutError> {
        Ok(BlkResponseQueue {
            ring: Ring::new(mem, capacity, &RESPONSE_LAYOUT)?,
        })
    }

    /// Zeroes the header (empty), as a zero-filled region is.
    pub fn init(&mut self) {
        self.init_at(0);
    }

    /// Like [`init`](Self::init) with both indices at `start`.
    pub fn init_at(&mut self, start: u32) {
        self.ring.reset_indices(start);
    }

    ring_queue_methods!(BlkResponse);
}

/// A request queue and a response queue of the same capacity
/// (`blk_queue_handle_t`).
#[derive(Debug)]
pub struct BlkQueueHandle<M> {
    pub requests: BlkRequestQueue<M>,
    pub responses: BlkResponseQueue<M>,
}

impl<M: SharedMemory> BlkQueueHandle<M> {
    pub fn new(requests: M, responses: M, capacity: u32) -> Result<Self, LayoutError> {
        Ok(BlkQueueHandle {
            requests: BlkRequestQueue::new(requests, capacity)?,
            responses: BlkResponseQueue::new(responses, capacity)?,
        })
    }

    pub fn capacity(&self) -> u32 {
        self.requests.capacity()
    }

    /// Hand-over: answers every request still queued with `status` and a
    /// success count of 0, oldest first. The caller takes the serving side's
    /// roles (consumer of requests, producer of responses). Stops if the
    /// response queue fills up.
    pub fn fail_pending_requests(&mut self, status: ResponseStatus) -> Result<u32, DrainError> {
        self.requests
            .ring
            .drain_to(&mut self.responses.ring, |request| BlkResponse {
                status,
                success_count: 0,
                id: request.id,
            })
    }
}

/// Size of the storage-info region each block connection has.
pub const STORAGE_INFO_REGION_SIZE: usize = 0x1000;
/// Size of `blk_storage_info_t` at the start of that region.
pub const STORAGE_INFO_SIZE: usize = 88;
/// Bytes of the serial-number field, NUL included (`BLK_MAX_SERIAL_NUMBER + 1`).
pub const SERIAL_NUMBER_SIZE: usize = 64;
pub const STORAGE_INFO_SERIAL_NUMBER: usize = 0;
pub const STORAGE_INFO_READ_ONLY: usize = 64;
pub const STORAGE_INFO_READY: usize = 65;
pub const STORAGE_INFO_SECTOR_SIZE: usize = 66;
pub const STORAGE_INFO_BLOCK_SIZE: usize = 68;
pub const STORAGE_INFO_QUEUE_DEPTH: usize = 70;
pub const STORAGE_INFO_CYLINDERS: usize = 72;
pub const STORAGE_INFO_HEADS: usize = 74;
pub const STORAGE_INFO_BLOCKS: usize = 76;
pub const STORAGE_INFO_CAPACITY: usize = 80;

/// What the driver (and, per partition, the virtualiser) publishes about the
/// device, `blk_storage_info_t` without its `ready` flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct StorageInfo {
    /// NUL-padded; see [`serial_number`](Self::serial_number).
    pub serial_number_bytes: [u8; SERIAL_NUMBER_SIZE],
    /// The device refuses writes.
    pub read_only: bool,
    /// Bytes per sector.
    pub sector_size: u16,
    /// Optimal block size, in [`TRANSFER_SIZE`] units.
    pub block_size: u16,
    pub queue_depth: u16,
    pub cylinders: u16,
    pub heads: u16,
    pub blocks: u16,
    /// Device size, in [`TRANSFER_SIZE`] units.
    pub capacity: u64,
}

impl StorageInfo {
    /// The serial number up to its first NUL (all of it if there is none).
    pub fn serial_number(&self) -> &[u8] {
        let end = self
            .serial_number_bytes
            .iter()
            .position(|b| *b == 0)
            .unwrap_or(SERIAL_NUMBER_SIZE);
        &self.serial_number_bytes[..end]
    }
}

/// The storage-info region of a block connection.
#[derive(Debug)]
pub struct StorageInfoRegion<M> {
    mem: M,
}

impl<M: SharedMemory> StorageInfoRegion<M> {
    pub fn new(mem: M) -> Result<Self, LayoutError> {
        if mem.size() < STORAGE_INFO_SIZE {
            return Err(LayoutError::RegionTooSmall {
                needed: STORAGE_INFO_SIZE,
                size: mem.size(),
            });
        }
        Ok(StorageInfoRegion { mem })
    }

    /// Whether the information is populated and the device usable (a load
    /// with acquire ordering: the fields read afterwards are the ones
    /// written before `ready` was set).
    pub fn is_ready(&self) -> bool {
        let ready = self.mem.load_u8(STORAGE_INFO_READY) != 0;
        self.mem.fence(Fence::Acquire);
        ready
    }

    /// Publishes (or withdraws) readiness, with release ordering: fields
    /// written before are visible to whoever sees `ready`.
    pub fn set_ready(&mut self, ready: bool) {
        self.mem.fence(Fence::Release);
        self.mem.store_u8(STORAGE_INFO_READY, u8::from(ready));
    }

    /// Reads every field but `ready`. Check [`is_ready`](Self::is_ready)
    /// first; booleans read as "non-zero", like C's.
    pub fn read(&self) -> StorageInfo {
        let mut serial_number_bytes = [0u8; SERIAL_NUMBER_SIZE];
        self.mem
            .load_bytes(STORAGE_INFO_SERIAL_NUMBER, &mut serial_number_bytes);
        StorageInfo {
            serial_number_bytes,
            read_only: self.mem.load_u8(STORAGE_INFO_READ_ONLY) != 0,
            sector_size: self.mem.load_u16(STORAGE_INFO_SECTOR_SIZE),
            block_size: self.mem.load_u16(STORAGE_INFO_BLOCK_SIZE),
            queue_depth: self.mem.load_u16(STORAGE_INFO_QUEUE_DEPTH),
            cylinders: self.mem.load_u16(STORAGE_INFO_CYLINDERS),
            heads: self.mem.load_u16(STORAGE_INFO_HEADS),
            blocks: self.mem.load_u16(STORAGE_INFO_BLOCKS),
            capacity: self.mem.load_u64(STORAGE_INFO_CAPACITY),
        }
    }

    /// Writes every field but `ready`; follow with
    /// [`set_ready(true)`](Self::set_ready) to publish.
    pub fn write(&mut self, info: &StorageInfo) {
        self.mem
            .store_bytes(STORAGE_INFO_SERIAL_NUMBER, &info.serial_number_bytes);
        self.mem.store_u8(STORAGE_INFO_READ_ONLY, u8::from(info.read_only));
        self.mem.store_u16(STORAGE_INFO_SECTOR_SIZE, info.sector_size);
        self.mem.store_u16(STORAGE_INFO_BLOCK_SIZE, info.block_size);
        self.mem.store_u16(STORAGE_INFO_QUEUE_DEPTH, info.queue_depth);
        self.mem.store_u16(STORAGE_INFO_CYLINDERS, info.cylinders);
        self.mem.store_u16(STORAGE_INFO_HEADS, info.heads);
        self.mem.store_u16(STORAGE_INFO_BLOCKS, info.blocks);
        self.mem.store_u64(STORAGE_INFO_CAPACITY, info.capacity);
    }

    pub fn memory(&self) -> &M {
        &self.mem
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec;
    use proptest::prelude::*;

    fn handle(capacity: u32) -> BlkQueueHandle<Vec<u8>> {
        BlkQueueHandle::new(
            vec![0u8; request_queue_region_size(capacity)],
            vec![0u8; response_queue_region_size(capacity)],
            capacity,
        )
        .unwrap()
    }

    fn request(id: u32) -> BlkRequest {
        BlkRequest {
            code: RequestCode::from_raw(id % 5),
            io_or_offset: u64::from(id) * TRANSFER_SIZE as u64,
            block_number: u64::from(id) << 20,
            count: (id % 8) as u16 + 1,
            id,
        }
    }

    #[test]
    fn layout_matches_sddf() {
        assert_eq!(
            (
                REQUEST_SIZE,
                REQUEST_CODE,
                REQUEST_IO_OR_OFFSET,
                REQUEST_BLOCK_NUMBER,
                REQUEST_COUNT,
                REQUEST_ID
            ),
            (32, 0, 8, 16, 24, 28)
        );
        assert_eq!(
            (RESPONSE_SIZE, RESPONSE_STATUS, RESPONSE_SUCCESS_COUNT, RESPONSE_ID),
            (12, 0, 4, 8)
        );
        assert_eq!(
            (
                REQUEST_QUEUE_HEAD,
                REQUEST_QUEUE_TAIL,
                REQUEST_QUEUE_PLUGGED,
                REQUEST_QUEUE_ENTRIES
            ),
            (0, 4, 8, 16)
        );
        assert_eq!(
            (RESPONSE_QUEUE_HEAD, RESPONSE_QUEUE_TAIL, RESPONSE_QUEUE_ENTRIES),
            (0, 4, 8)
        );
        assert_eq!(TRANSFER_SIZE, 4096);
        assert_eq!(
            (
                STORAGE_INFO_READ_ONLY,
                STORAGE_INFO_READY,
                STORAGE_INFO_SECTOR_SIZE,
                STORAGE_INFO_BLOCK_SIZE,
                STORAGE_INFO_QUEUE_DEPTH
            ),
            (64, 65, 66, 68, 70)
        );
        assert_eq!(
            (
                STORAGE_INFO_CYLINDERS,
                STORAGE_INFO_HEADS,
                STORAGE_INFO_BLOCKS,
                STORAGE_INFO_CAPACITY,
                STORAGE_INFO_SIZE
            ),
            (72, 74, 76, 80, 88)
        );
        const _: () = assert!(STORAGE_INFO_SIZE <= STORAGE_INFO_REGION_SIZE);
    }

    #[test]
    fn entries_land_where_c_puts_them() {
        let mut h = handle(4);
        h.requests.init_at(5);
        h.requests
            .enqueue(BlkRequest {
                code: RequestCode::Write,
                io_or_offset: 0x1122_3344_5566_7788,
                block_number: 0x99,
                count: 7,
                id: 0xdead_beef,
            })
            .unwrap();
        let mem = h.requests.memory();
        let at = 16 + 32; // index 5 of 4: slot 1
        assert_eq!(mem[at..at + 4], 1u32.to_le_bytes());
        assert_eq!(mem[at + 8..at + 16], 0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(mem[at + 16..at + 24], 0x99u64.to_le_bytes());
        assert_eq!(mem[at + 24..at + 26], 7u16.to_le_bytes());
        assert_eq!(mem[at + 28..at + 32], 0xdead_beefu32.to_le_bytes());
        assert_eq!(mem[0..4], 5u32.to_le_bytes(), "head at offset 0");
        assert_eq!(mem[4..8], 6u32.to_le_bytes(), "tail at offset 4");

        h.responses
            .enqueue(BlkResponse {
                status: ResponseStatus::ErrNoDevice,
                success_count: 3,
                id: 42,
            })
            .unwrap();
        let mem = h.responses.memory();
        assert_eq!(mem[8..12], 4u32.to_le_bytes());
        assert_eq!(mem[12..14], 3u16.to_le_bytes());
        assert_eq!(mem[16..20], 42u32.to_le_bytes());
        assert_eq!(mem[4..8], 1u32.to_le_bytes());
    }

    #[test]
    fn codes_and_statuses_round_trip_including_unknown_ones() {
        for raw in 0..10 {
            assert_eq!(RequestCode::from_raw(raw).raw(), raw);
            assert_eq!(ResponseStatus::from_raw(raw).raw(), raw);
        }
        assert_eq!(RequestCode::from_raw(3), RequestCode::Barrier);
        assert_eq!(RequestCode::from_raw(4), RequestCode::Unknown(4));
        assert_eq!(ResponseStatus::from_raw(4), ResponseStatus::ErrNoDevice);
        assert_eq!(ResponseStatus::from_raw(5), ResponseStatus::Unknown(5));
    }

    #[test]
    fn any_capacity_is_accepted_and_slots_are_taken_as_c_takes_them() {
        assert_eq!(
            BlkRequestQueue::new(vec![0u8; 16], 0).unwrap_err(),
            LayoutError::ZeroCapacity
        );
        assert_eq!(
            BlkResponseQueue::new(vec![0u8; response_queue_region_size(3) - 1], 3).unwrap_err(),
            LayoutError::RegionTooSmall { needed: 44, size: 43 }
        );
        // sdfgen's driver queue for clients of 128 and 64: 192 entries.
        let mut q = BlkRequestQueue::new(vec![0u8; request_queue_region_size(192)], 192).unwrap();
        q.init_at(u32::MAX);
        q.enqueue(request(1)).unwrap();
        let slot = (u32::MAX % 192) as usize;
        assert_eq!(q.memory()[16 + slot * 32 + 28..16 + slot * 32 + 32], 1u32.to_le_bytes());
        assert_eq!(q.tail(), 0);
        assert_eq!(q.dequeue(), Ok(request(1)));
    }

    #[test]
    fn plugging_is_a_byte_at_offset_8() {
        let mut h = handle(2);
        assert!(!h.requests.is_plugged());
        h.requests.plug();
        assert_eq!(h.requests.memory()[8], 1);
        assert!(h.requests.is_plugged());
        h.requests.enqueue(request(1)).unwrap();
        assert_eq!(h.requests.dequeue(), Ok(request(1)), "the plug is advisory");
        h.requests.unplug();
        assert!(!h.requests.is_plugged());
    }

    #[test]
    fn full_empty_and_corruption() {
        let mut h = handle(1);
        assert_eq!(h.requests.dequeue(), Err(QueueError::Empty));
        h.requests.enqueue(request(1)).unwrap();
        assert_eq!(h.requests.enqueue(request(2)), Err(QueueError::Full));
        let mut mem = h.responses.into_memory();
        mem[4..8].copy_from_slice(&3u32.to_le_bytes());
        let mut responses = BlkResponseQueue::new(mem, 1).unwrap();
        assert_eq!(
            responses.dequeue(),
            Err(QueueError::Corrupted {
                head: 0,
                tail: 3,
                capacity: 1
            })
        );
        assert!(!responses.is_empty() && responses.is_full());
    }

    #[test]
    fn pending_requests_are_answered_on_hand_over() {
        let mut h = handle(4);
        for id in 10..13 {
            h.requests.enqueue(request(id)).unwrap();
        }
        assert_eq!(h.fail_pending_requests(ResponseStatus::ErrNoDevice), Ok(3));
        assert!(h.requests.is_empty());
        let answered: Vec<_> = h.responses.snapshot().unwrap();
        assert_eq!(answered.iter().map(|r| r.id).collect::<Vec<_>>(), [10, 11, 12]);
        assert!(answered
            .iter()
            .all(|r| r.status == ResponseStatus::ErrNoDevice && r.success_count == 0));
    }

    #[test]
    fn storage_info_round_trips_and_ready_publishes_it() {
        let mut region = StorageInfoRegion::new(vec![0u8; STORAGE_INFO_REGION_SIZE]).unwrap();
        assert!(!region.is_ready());
        let mut serial = [0u8; SERIAL_NUMBER_SIZE];
        serial[..6].copy_from_slice(b"QM0001");
        let info = StorageInfo {
            serial_number_bytes: serial,
            read_only: true,
            sector_size: 512,
            block_size: 1,
            queue_depth: 128,
            cylinders: 1,
            heads: 2,
            blocks: 3,
            capacity: 0x1_0000,
        };
        region.write(&info);
        assert!(!region.is_ready(), "writing the fields does not publish them");
        region.set_ready(true);
        assert!(region.is_ready());
        assert_eq!(region.read(), info);
        assert_eq!(region.read().serial_number(), b"QM0001");
        let mem = region.memory();
        assert_eq!((mem[64], mem[65]), (1, 1));
        assert_eq!(mem[66..68], 512u16.to_le_bytes());
        assert_eq!(mem[80..88], 0x1_0000u64.to_le_bytes());
        assert_eq!(
            StorageInfoRegion::new(vec![0u8; 87]).unwrap_err(),
            LayoutError::RegionTooSmall { needed: 88, size: 87 }
        );
    }

    proptest! {
        /// Both block queues against a model, with any capacity (power of two
        /// near the u32 wrap, anything far from it): FIFO, bounded, responses
        /// carry what was put in.
        #[test]
        fn agrees_with_a_vecdeque(
            capacity in 1u32..20,
            near_wrap in any::<bool>(),
            start in any::<u32>(),
            ops in proptest::collection::vec((0u8..4, any::<u32>()), 0..300),
        ) {
            let (capacity, start) = if near_wrap {
                (capacity.next_power_of_two(), u32::MAX - (start % 40))
            } else {
                (capacity, start % (1 << 30))
            };
            let mut h = handle(capacity);
            h.requests.init_at(start);
            h.responses.init_at(start.wrapping_mul(3));
            let mut requests = VecDeque::new();
            let mut responses = VecDeque::new();
            for (op, x) in ops {
                match op {
                    0 => {
                        let full = requests.len() == capacity as usize;
                        prop_assert_eq!(h.requests.enqueue(request(x)), if full { Err(QueueError::Full) } else { Ok(()) });
                        if !full { requests.push_back(request(x)); }
                    }
                    1 => prop_assert_eq!(h.requests.dequeue().ok(), requests.pop_front()),
                    2 => {
                        let r = BlkResponse { status: ResponseStatus::from_raw(x % 7), success_count: x as u16, id: x };
                        let full = responses.len() == capacity as usize;
                        prop_assert_eq!(h.responses.enqueue(r), if full { Err(QueueError::Full) } else { Ok(()) });
                        if !full { responses.push_back(r); }
                    }
                    _ => prop_assert_eq!(h.responses.dequeue().ok(), responses.pop_front()),
                }
                prop_assert_eq!(h.requests.len(), Ok(requests.len() as u32));
                prop_assert_eq!(h.responses.len(), Ok(responses.len() as u32));
                prop_assert_eq!(h.requests.snapshot().unwrap(), requests.iter().copied().collect::<Vec<_>>());
            }
        }
    }
}
