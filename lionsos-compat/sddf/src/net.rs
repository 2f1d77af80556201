//! Network queues: sDDF's `net_queue_t`, bit for bit.
//!
//! Packets travel in fixed [`BUFFER_SIZE`]-byte buffers that never move;
//! queues carry 16-byte descriptors naming them. Each link of the pipeline
//! (rx: driver → virt_rx → copier → client; tx: client → virt_tx → driver)
//! is a [`NetQueueHandle`]: a *free* queue of empty buffers flowing one way
//! and an *active* queue of filled buffers flowing the other. The number of
//! buffers on a link equals the queue capacity, so a queue can never overflow
//! in a well-behaved system.
//!
//! ## Layout (LP64, little-endian)
//!
//! | offset | field | written by |
//! | --- | --- | --- |
//! | 0 | `u16 tail`: next index to fill | producer |
//! | 2 | `u16 head`: next index to empty | consumer |
//! | 4 | `u32 consumer_signalled`: 0 = the consumer wants a notification | both (below) |
//! | 8 | descriptors, 16 bytes each, `capacity` of them | producer |
//!
//! A descriptor is `{u64 io_or_offset @0; u16 len @8; u8 oid:6 @10}`, the
//! ownership id in the low six bits of byte 10. The capacity is a power of
//! two (at most 2^15, so 16-bit free-running indices still tell full from
//! empty); index `i` lives in slot `i % capacity`.
//!
//! ## Signalling
//!
//! Only the producer notifies, and only if the consumer asked:
//!
//! | who | when | sDDF | here |
//! | --- | --- | --- | --- |
//! | consumer | drained the queue, about to wait | `net_request_signal_*` | [`NetQueue::request_signal`] |
//! | consumer | then re-checks; if entries arrived it withdraws | `net_cancel_signal_*` | [`NetQueue::cancel_signal`] |
//! | producer | after enqueueing a batch | `net_require_signal_*` | [`NetQueue::require_signal`] |
//! | producer | if required: marks it given, then notifies | `net_cancel_signal_*` | [`NetQueue::cancel_signal`] |
//!
//! [`NetQueue::request_signal_and_recheck`] and
//! [`NetQueue::claim_signal`] bundle the consumer's and the producer's half.
//! The re-check is what prevents a lost wake-up: if the producer enqueued and
//! looked at the flag between the consumer's last dequeue and its request,
//! the consumer sees the entry on re-checking. A zero-filled region starts
//! with the flag at 0, i.e. the consumer wants the first notification.
//!
//! sDDF puts a release fence after the flag store only on SMP builds; this
//! module uses a full fence on both sides of the protocol (as sDDF's serial
//! queue does), which the store-then-load re-check needs on a multiprocessor.
//!
//! ## Hand-over
//!
//! [`NetQueueHandle::drain_active_to_free`] returns every filled buffer still
//! in the active queue to the free queue, and [`NetQueue::snapshot`] lists a
//! queue's descriptors without taking them, so a hand-over protocol can tell
//! which buffers a departed component was holding.

use alloc::vec::Vec;

use crate::ring::{DrainError, IndexWidth, LayoutError, QueueError, Ring, RingEntry, RingLayout};
use crate::shared::{Fence, SharedMemory};

/// Size of every packet buffer.
pub const BUFFER_SIZE: usize = 2048;

/// Size of a descriptor, `net_buff_desc_t`.
pub const DESCRIPTOR_SIZE: usize = 16;
/// Offset of `io_or_offset` (u64) in a descriptor.
pub const DESCRIPTOR_IO_OR_OFFSET: usize = 0;
/// Offset of `len` (u16) in a descriptor.
pub const DESCRIPTOR_LEN: usize = 8;
/// Offset of the byte holding the 6-bit `oid` in its low bits.
pub const DESCRIPTOR_OID: usize = 10;
/// The bits of byte [`DESCRIPTOR_OID`] that hold the ownership id.
pub const OID_MASK: u8 = 0x3f;

/// Offset of `tail` (u16) in the queue header.
pub const QUEUE_TAIL: usize = 0;
/// Offset of `head` (u16) in the queue header.
pub const QUEUE_HEAD: usize = 2;
/// Offset of `consumer_signalled` (u32) in the queue header.
pub const QUEUE_CONSUMER_SIGNALLED: usize = 4;
/// Offset of the descriptor array; also the header's size.
pub const QUEUE_DESCRIPTORS: usize = 8;
/// Largest capacity 16-bit indices can serve.
pub const MAX_CAPACITY: u32 = 1 << 15;

/// Bytes a queue region needs for `capacity` descriptors.
pub const fn queue_region_size(capacity: u32) -> usize {
    QUEUE_DESCRIPTORS + capacity as usize * DESCRIPTOR_SIZE
}

static LAYOUT: RingLayout = RingLayout {
    head: QUEUE_HEAD,
    tail: QUEUE_TAIL,
    entries: QUEUE_DESCRIPTORS,
    width: IndexWidth::U16,
    power_of_two: true,
};

/// A buffer descriptor, `net_buff_desc_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetDescriptor {
    /// The buffer's offset in its data region, or its I/O address (between a
    /// virtualiser and the driver).
    pub io_or_offset: u64,
    /// Bytes of packet data in the buffer.
    pub len: u16,
    /// Which data region the buffer belongs to, where a queue mixes regions
    /// (vswitch systems); 0 otherwise. Six bits: storing keeps only the low
    /// six, as assigning to the C bit-field does.
    pub oid: u8,
}

impl RingEntry for NetDescriptor {
    const SIZE: usize = DESCRIPTOR_SIZE;

    #[inline(always)]
    fn read<M: SharedMemory + ?Sized>(mem: &M, at: usize) -> Self {
        NetDescriptor {
            io_or_offset: mem.load_u64(at + DESCRIPTOR_IO_OR_OFFSET),
            len: mem.load_u16(at + DESCRIPTOR_LEN),
            oid: mem.load_u8(at + DESCRIPTOR_OID) & OID_MASK,
        }
    }

    #[inline(always)]
    fn write<M: SharedMemory + ?Sized>(&self, mem: &mut M, at: usize) {
        mem.store_u64(at + DESCRIPTOR_IO_OR_OFFSET, self.io_or_offset);
        mem.store_u16(at + DESCRIPTOR_LEN, self.len);
        mem.store_u8(at + DESCRIPTOR_OID, self.oid & OID_MASK);
    }
}

/// One network queue (`net_queue_t`) in the shared region `M`.
#[derive(Debug)]
pub struct NetQueue<M> {
    ring: Ring<M, NetDescriptor>,
}

impl<M: SharedMemory> NetQueue<M> {
    /// Wraps a region holding a queue of `capacity` descriptors. Checks the
    /// capacity (a power of two, at most [`MAX_CAPACITY`]) and the region's
    /// size; leaves the contents alone (see [`init`](Self::init)).
    pub fn new(mem: M, capacity: u32) -> Result<Self, LayoutError> {
        Ok(NetQueue {
            ring: Ring::new(mem, capacity, &LAYOUT)?,
        })
    }

    /// Zeroes the header, as a freshly mapped zero-filled region is: empty,
    /// and the consumer wants a notification. Only before either side uses
    /// the queue.
    pub fn init(&mut self) {
        self.init_at(0);
    }

    /// Like [`init`](Self::init) but with both indices at `start` (tests
    /// start near the wrap-around with it).
    pub fn init_at(&mut self, start: u16) {
        self.ring.reset_indices(u32::from(start));
        self.ring.memory_mut().store_u32(QUEUE_CONSUMER_SIGNALLED, 0);
    }

    #[inline(always)]
    pub fn capacity(&self) -> u32 {
        self.ring.capacity()
    }

    /// The consumer's index (next descriptor to take).
    pub fn head(&self) -> u16 {
        // 16-bit field, zero-extended by the ring.
        self.ring.head() as u16
    }

    /// The producer's index (next slot to fill).
    pub fn tail(&self) -> u16 {
        self.ring.tail() as u16
    }

    /// Descriptors in the queue; `Corrupted` if the indices claim more than
    /// the capacity.
    #[inline(always)]
    pub fn len(&self) -> Result<u32, QueueError> {
        self.ring.len()
    }

    /// `tail - head` unchecked, as `net_queue_length` computes it.
    pub fn raw_len(&self) -> u16 {
        self.ring.raw_len() as u16
    }

    /// True if there is nothing to dequeue (a corrupted queue is not empty:
    /// dequeueing from it reports the corruption).
    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.len() == Ok(0)
    }

    /// True if nothing can be enqueued (full, or corrupted).
    #[inline(always)]
    pub fn is_full(&self) -> bool {
        self.len().map_or(true, |len| len == self.capacity())
    }

    /// Producer: appends a descriptor.
    #[inline(always)]
    pub fn enqueue(&mut self, descriptor: NetDescriptor) -> Result<(), QueueError> {
        self.ring.enqueue(&descriptor)
    }

    /// Consumer: takes the oldest descriptor.
    #[inline(always)]
    pub fn dequeue(&mut self) -> Result<NetDescriptor, QueueError> {
        self.ring.dequeue()
    }

    /// Every descriptor in the queue, oldest first, none taken.
    pub fn snapshot(&self) -> Result<Vec<NetDescriptor>, QueueError> {
        self.ring.snapshot()
    }

    /// Consumer: moves every descriptor into `dst` (this side is `dst`'s
    /// producer), unchanged; stops if `dst` fills up.
    pub fn drain_to<N: SharedMemory>(&mut self, dst: &mut NetQueue<N>) -> Result<u32, DrainError> {
        self.ring.drain_to(&mut dst.ring, |descriptor| descriptor)
    }

    /// Consumer: asks the producer to notify after its next enqueue
    /// (`consumer_signalled = 0`), then a full fence so the re-check that
    /// must follow cannot be ordered before the request.
    #[inline(always)]
    pub fn request_signal(&mut self) {
        self.ring.memory_mut().store_u32(QUEUE_CONSUMER_SIGNALLED, 0);
        self.ring.memory().fence(Fence::SeqCst);
    }

    /// Either side: marks the request as dealt with (`consumer_signalled =
    /// 1`): the producer just before it notifies, the consumer when its
    /// re-check found work after all.
    #[inline(always)]
    pub fn cancel_signal(&mut self) {
        self.ring.memory_mut().store_u32(QUEUE_CONSUMER_SIGNALLED, 1);
    }

    /// Producer: whether the consumer asked to be notified. The full fence
    /// orders this read after the enqueues before it.
    #[inline(always)]
    pub fn require_signal(&self) -> bool {
        self.ring.memory().fence(Fence::SeqCst);
        self.ring.memory().load_u32(QUEUE_CONSUMER_SIGNALLED) == 0
    }

    /// Producer, after a batch: true if the consumer asked for a signal; the
    /// request is then marked given and the caller must notify the consumer.
    #[inline(always)]
    pub fn claim_signal(&mut self) -> bool {
        if self.require_signal() {
            self.cancel_signal();
            true
        } else {
            false
        }
    }

    /// Consumer, after draining: asks for a signal and re-checks. True if the
    /// queue is still empty (the caller may wait for the notification);
    /// false if descriptors arrived meanwhile, in which case the request is
    /// withdrawn and the caller must process them first.
    #[inline(always)]
    pub fn request_signal_and_recheck(&mut self) -> bool {
        self.request_signal();
        if self.is_empty() {
            true
        } else {
            self.cancel_signal();
            false
        }
    }

    pub fn memory(&self) -> &M {
        self.ring.memory()
    }

    pub fn into_memory(self) -> M {
        self.ring.into_memory()
    }
}

/// A free queue and an active queue of the same capacity: one link of a
/// pipeline (`net_queue_handle_t`).
#[derive(Debug)]
pub struct NetQueueHandle<M> {
    /// Empty buffers, flowing from the side that owns them to the side that
    /// fills them.
    pub free: NetQueue<M>,
    /// Filled buffers, flowing back.
    pub active: NetQueue<M>,
}

impl<M: SharedMemory> NetQueueHandle<M> {
    pub fn new(free: M, active: M, capacity: u32) -> Result<Self, LayoutError> {
        Ok(NetQueueHandle {
            free: NetQueue::new(free, capacity)?,
            active: NetQueue::new(active, capacity)?,
        })
    }

    pub fn capacity(&self) -> u32 {
        self.free.capacity()
    }

    /// Puts every buffer of a data region into the empty free queue:
    /// `capacity` descriptors at `base`, `base + BUFFER_SIZE`, ..., with
    /// `len` and `oid` 0 (`net_buffers_init`). `base` is 0 for offsets into
    /// the region, or its I/O address between a virtualiser and the driver.
    pub fn fill_free(&mut self, base: u64) -> Result<(), QueueError> {
        for i in 0..u64::from(self.capacity()) {
            self.free.enqueue(NetDescriptor {
                io_or_offset: base + i * BUFFER_SIZE as u64,
                len: 0,
                oid: 0,
            })?;
        }
        Ok(())
    }

    /// Hand-over: moves every descriptor left in the active queue back to
    /// the free queue, with `len` 0 (the data is dropped; the buffer is not).
    /// The caller consumes the active queue and produces the free one, which
    /// is the role the owner of the buffers already has on every link.
    pub fn drain_active_to_free(&mut self) -> Result<u32, DrainError> {
        self.active
            .ring
            .drain_to(&mut self.free.ring, |descriptor| NetDescriptor { len: 0, ..descriptor })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec;
    use proptest::prelude::*;

    fn queue(capacity: u32) -> NetQueue<Vec<u8>> {
        NetQueue::new(vec![0u8; queue_region_size(capacity)], capacity).unwrap()
    }

    fn desc(i: u64) -> NetDescriptor {
        NetDescriptor {
            io_or_offset: i * BUFFER_SIZE as u64,
            len: (i % 1500) as u16 + 1,
            oid: (i % 64) as u8,
        }
    }

    #[test]
    fn layout_matches_sddf() {
        assert_eq!(DESCRIPTOR_SIZE, 16);
        assert_eq!(DESCRIPTOR_IO_OR_OFFSET, 0);
        assert_eq!(DESCRIPTOR_LEN, 8);
        assert_eq!(DESCRIPTOR_OID, 10);
        assert_eq!(
            (QUEUE_TAIL, QUEUE_HEAD, QUEUE_CONSUMER_SIGNALLED, QUEUE_DESCRIPTORS),
            (0, 2, 4, 8)
        );
        assert_eq!(BUFFER_SIZE, 2048);
        // sdfgen's default driver queue: 512 descriptors in a 0x3000 region.
        assert_eq!(queue_region_size(512), 8 + 512 * 16);
        assert!(queue_region_size(512) <= 0x3000);
    }

    #[test]
    fn descriptors_land_where_c_puts_them() {
        let mut q = queue(4);
        q.init_at(2);
        q.enqueue(NetDescriptor {
            io_or_offset: 0x1122_3344_5566_7788,
            len: 0xabcd,
            oid: 0x3f,
        })
        .unwrap();
        let mem = q.memory();
        // Index 2 of 4: slot 2, at 8 + 2 * 16.
        let at = 8 + 32;
        assert_eq!(mem[at..at + 8], 0x1122_3344_5566_7788u64.to_le_bytes());
        assert_eq!(mem[at + 8..at + 10], 0xabcdu16.to_le_bytes());
        assert_eq!(mem[at + 10], 0x3f);
        assert_eq!(mem[0..2], 3u16.to_le_bytes(), "tail at offset 0");
        assert_eq!(mem[2..4], 2u16.to_le_bytes(), "head at offset 2");
    }

    #[test]
    fn oid_keeps_six_bits_both_ways() {
        let mut q = queue(2);
        q.enqueue(NetDescriptor { oid: 0xff, ..desc(1) }).unwrap();
        assert_eq!(q.memory()[8 + 10], 0x3f);
        // Bits above the field (the C compiler may leave anything there) are ignored.
        let mut mem = q.into_memory();
        mem[8 + 10] = 0xc5;
        let mut q = NetQueue::new(mem, 2).unwrap();
        assert_eq!(q.dequeue().unwrap().oid, 0x05);
    }

    #[test]
    fn layout_errors_blame_the_configuration() {
        assert_eq!(NetQueue::new(vec![0u8; 8], 0).unwrap_err(), LayoutError::ZeroCapacity);
        assert_eq!(
            NetQueue::new(vec![0u8; 1024], 3).unwrap_err(),
            LayoutError::CapacityNotPowerOfTwo { capacity: 3 }
        );
        assert_eq!(
            NetQueue::new(vec![0u8; 8], 1 << 16).unwrap_err(),
            LayoutError::CapacityTooLarge {
                capacity: 1 << 16,
                max: 1 << 15
            }
        );
        assert_eq!(
            NetQueue::new(vec![0u8; queue_region_size(8) - 1], 8).unwrap_err(),
            LayoutError::RegionTooSmall { needed: 136, size: 135 }
        );
        assert!(NetQueue::new(vec![0u8; queue_region_size(MAX_CAPACITY)], MAX_CAPACITY).is_ok());
    }

    #[test]
    fn full_and_empty_are_errors_that_change_nothing() {
        let mut q = queue(2);
        assert_eq!(q.dequeue(), Err(QueueError::Empty));
        q.enqueue(desc(0)).unwrap();
        q.enqueue(desc(1)).unwrap();
        let before = q.memory().clone();
        assert_eq!(q.enqueue(desc(2)), Err(QueueError::Full));
        assert_eq!(*q.memory(), before);
        assert!(q.is_full());
        assert_eq!(q.dequeue(), Ok(desc(0)));
    }

    #[test]
    fn indices_claiming_too_much_are_reported_as_corruption() {
        let mut mem = vec![0u8; queue_region_size(4)];
        mem[0..2].copy_from_slice(&9u16.to_le_bytes()); // tail 9, head 0: 9 entries in 4 slots
        let mut q = NetQueue::new(mem, 4).unwrap();
        let corrupted = QueueError::Corrupted {
            head: 0,
            tail: 9,
            capacity: 4,
        };
        assert_eq!(q.dequeue(), Err(corrupted));
        assert_eq!(q.enqueue(desc(0)), Err(corrupted));
        assert_eq!(q.len(), Err(corrupted));
        assert_eq!(q.snapshot(), Err(corrupted));
        assert!(!q.is_empty() && q.is_full());
        assert_eq!(q.raw_len(), 9);
    }

    #[test]
    fn the_full_check_survives_the_tail_wrapping_before_the_head() {
        // tail has wrapped to 1, head is still 65533: four entries, full.
        // (C's `tail - head == capacity` computes this in int and misses it.)
        let mut q = queue(4);
        q.init_at(65533);
        for i in 0..4 {
            q.enqueue(desc(i)).unwrap();
        }
        assert_eq!((q.head(), q.tail()), (65533, 1));
        assert_eq!(q.enqueue(desc(9)), Err(QueueError::Full));
    }

    #[test]
    fn signalling_flag_values_match_sddf() {
        let mut q = queue(2);
        assert!(q.require_signal(), "a zero-filled queue asks for the first signal");
        assert!(q.claim_signal());
        assert_eq!(q.memory()[4..8], 1u32.to_le_bytes());
        assert!(!q.require_signal());
        assert!(!q.claim_signal());
        q.request_signal();
        assert_eq!(q.memory()[4..8], 0u32.to_le_bytes());
        q.cancel_signal();
        assert!(!q.require_signal());
    }

    #[test]
    fn the_consumer_recheck_withdraws_its_request_when_work_arrived() {
        let mut q = queue(2);
        q.cancel_signal();
        assert!(q.request_signal_and_recheck(), "empty: may sleep, request stands");
        assert!(q.require_signal());
        q.enqueue(desc(0)).unwrap();
        assert!(!q.request_signal_and_recheck(), "work arrived: reprocess");
        assert!(!q.require_signal(), "and the request is withdrawn");
    }

    #[test]
    fn fill_free_hands_out_every_buffer_once() {
        let mut h = NetQueueHandle::new(vec![0u8; queue_region_size(8)], vec![0u8; queue_region_size(8)], 8).unwrap();
        h.fill_free(0x1000_0000).unwrap();
        let all = h.free.snapshot().unwrap();
        assert_eq!(all.len(), 8);
        for (i, d) in all.iter().enumerate() {
            assert_eq!(d.io_or_offset, 0x1000_0000 + i as u64 * 2048);
            assert_eq!((d.len, d.oid), (0, 0));
        }
        assert_eq!(h.fill_free(0), Err(QueueError::Full));
    }

    #[test]
    fn draining_active_returns_buffers_to_free_without_their_data() {
        let mut h = NetQueueHandle::new(vec![0u8; queue_region_size(4)], vec![0u8; queue_region_size(4)], 4).unwrap();
        h.fill_free(0).unwrap();
        // The driver takes three buffers, fills two and hands them over.
        let mut taken = Vec::new();
        for _ in 0..3 {
            taken.push(h.free.dequeue().unwrap());
        }
        for d in &taken[..2] {
            h.active.enqueue(NetDescriptor { len: 60, ..*d }).unwrap();
        }
        assert_eq!(h.drain_active_to_free(), Ok(2));
        assert!(h.active.is_empty());
        let free = h.free.snapshot().unwrap();
        assert_eq!(free.len(), 3, "one still with the driver");
        assert!(free.iter().all(|d| d.len == 0));
        assert_eq!(free[1..], taken[..2]);
    }

    #[test]
    fn a_drain_into_a_full_queue_stops_and_says_how_far_it_got() {
        let mut src = queue(4);
        let mut dst = queue(2);
        for i in 0..3 {
            src.enqueue(desc(i)).unwrap();
        }
        dst.enqueue(desc(7)).unwrap();
        assert_eq!(
            src.drain_to(&mut dst),
            Err(DrainError {
                moved: 1,
                cause: QueueError::Full
            })
        );
        assert_eq!(src.snapshot().unwrap(), [desc(1), desc(2)]);
        assert_eq!(dst.snapshot().unwrap(), [desc(7), desc(0)]);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Enqueue(u64),
        Dequeue,
    }

    fn ops() -> impl Strategy<Value = Vec<Op>> {
        proptest::collection::vec(
            prop_oneof![any::<u64>().prop_map(Op::Enqueue), Just(Op::Dequeue)],
            0..300,
        )
    }

    proptest! {
        /// FIFO order, never more than the capacity, Full/Empty exactly when
        /// the model says so, from any starting index (wrapping included).
        #[test]
        fn agrees_with_a_vecdeque(log2 in 0u32..6, start in prop_oneof![Just(65530u16), Just(u16::MAX), any::<u16>()], ops in ops()) {
            let capacity = 1u32 << log2;
            let mut q = queue(capacity);
            q.init_at(start);
            let mut model = VecDeque::new();
            for op in ops {
                match op {
                    Op::Enqueue(x) => {
                        let d = NetDescriptor { io_or_offset: x, len: x as u16, oid: (x >> 16) as u8 & OID_MASK };
                        let got = q.enqueue(d);
                        if model.len() == capacity as usize {
                            prop_assert_eq!(got, Err(QueueError::Full));
                        } else {
                            prop_assert_eq!(got, Ok(()));
                            model.push_back(d);
                        }
                    }
                    Op::Dequeue => prop_assert_eq!(q.dequeue().ok(), model.pop_front()),
                }
                prop_assert_eq!(q.len(), Ok(model.len() as u32));
                prop_assert!(model.len() <= capacity as usize);
                prop_assert_eq!(q.snapshot().unwrap(), model.iter().copied().collect::<Vec<_>>());
                prop_assert_eq!(q.tail().wrapping_sub(q.head()), model.len() as u16);
            }
        }

        /// Draining loses nothing and keeps the order: every descriptor ends
        /// up in exactly one of the two queues.
        #[test]
        fn drain_conserves_descriptors(in_src in 0u32..8, in_dst in 0u32..8, start in any::<u16>()) {
            let mut src = queue(8);
            let mut dst = queue(8);
            src.init_at(start);
            dst.init_at(start.wrapping_mul(7));
            for i in 0..in_src { src.enqueue(desc(u64::from(i))).unwrap(); }
            for i in 0..in_dst { dst.enqueue(desc(100 + u64::from(i))).unwrap(); }
            let before: Vec<_> = dst.snapshot().unwrap().into_iter().chain(src.snapshot().unwrap()).collect();
            let result = src.drain_to(&mut dst);
            let moved = in_src.min(8 - in_dst);
            if moved == in_src {
                prop_assert_eq!(result, Ok(moved));
            } else {
                prop_assert_eq!(result, Err(DrainError { moved, cause: QueueError::Full }));
            }
            let after: Vec<_> = dst.snapshot().unwrap().into_iter().chain(src.snapshot().unwrap()).collect();
            prop_assert_eq!(after, before);
        }

        /// The producer is told to notify exactly when the consumer's last
        /// word on the flag was a request that no notification has answered.
        #[test]
        fn a_signal_is_claimed_exactly_when_requested(steps in proptest::collection::vec(0u8..3, 0..100)) {
            let mut q = queue(4);
            let mut requested = true; // zero-filled: requested
            for step in steps {
                match step {
                    0 => { q.request_signal(); requested = true; }
                    1 => { q.cancel_signal(); requested = false; }
                    _ => {
                        prop_assert_eq!(q.claim_signal(), requested);
                        requested = false;
                    }
                }
            }
        }
    }
}
