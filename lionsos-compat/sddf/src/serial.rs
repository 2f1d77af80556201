//! Serial queues: sDDF's `serial_queue_t` and its separate character region.
//!
//! A serial link carries bytes. Each direction has a 12-byte queue region
//! (the indices and a flag) and a data region of `capacity` bytes (a power of
//! two) that the indices address modulo `capacity`. The capacity is not in
//! shared memory: both sides take it from their configuration (it is the
//! data region's size), so a peer cannot make this side index outside it.
//!
//! ## Layout (little-endian)
//!
//! | offset | field | written by |
//! | --- | --- | --- |
//! | 0 | `u32 tail`: next byte to fill | producer |
//! | 4 | `u32 head`: next byte to read | consumer |
//! | 8 | `u32 producer_signalled`: 0 = the producer wants a notification | both (below) |
//!
//! ## Signalling
//!
//! The producer always notifies the consumer after enqueueing. The consumer
//! notifies the producer only if the producer asked, which it does when the
//! queue is full and it must wait for room:
//!
//! | who | when | sDDF | here |
//! | --- | --- | --- | --- |
//! | producer | queue full, about to wait; then re-checks | `serial_request_consumer_signal` | [`SerialQueue::request_consumer_signal`] |
//! | consumer | after dequeueing | `serial_require_consumer_signal` | [`SerialQueue::require_consumer_signal`] |
//! | consumer | if required: marks it given, then notifies | `serial_cancel_consumer_signal` | [`SerialQueue::cancel_consumer_signal`] |
//!
//! [`SerialQueue::request_consumer_signal_and_recheck`] and
//! [`SerialQueue::claim_consumer_signal`] bundle the two halves. As in sDDF,
//! a full fence follows the request and precedes the flag check; together
//! they guarantee that either the consumer sees the request or the producer's
//! re-check sees the room.
//!
//! ## Local indices
//!
//! A producer may fill several bytes before publishing them
//! ([`SerialQueue::enqueue_local`] then [`SerialQueue::update_shared_tail`]),
//! and a consumer may read several before freeing them
//! ([`SerialQueue::dequeue_local`], [`SerialQueue::update_shared_head`]).
//! sDDF checks the published value only in debug builds; here an index that
//! would shrink the queue or overfill it is always refused
//! ([`QueueError::LocalIndexOutOfRange`]).

use crate::ring::{LayoutError, QueueError};
use crate::shared::{Fence, SharedMemory};

/// Offset of `tail` (u32).
pub const QUEUE_TAIL: usize = 0;
/// Offset of `head` (u32).
pub const QUEUE_HEAD: usize = 4;
/// Offset of `producer_signalled` (u32).
pub const QUEUE_PRODUCER_SIGNALLED: usize = 8;
/// Size of the queue structure, `serial_queue_t`.
pub const QUEUE_SIZE: usize = 12;
/// Largest capacity 32-bit indices can serve.
pub const MAX_CAPACITY: u32 = 1 << 31;

/// One direction of a serial link: the queue region `Q` and the data region
/// `D` (`serial_queue_handle_t`).
#[derive(Debug)]
pub struct SerialQueue<Q, D> {
    queue: Q,
    data: D,
    capacity: u32,
}

impl<Q: SharedMemory, D: SharedMemory> SerialQueue<Q, D> {
    /// Wraps a queue region and a data region of `capacity` bytes (a power
    /// of two). Checks both sizes; leaves the contents alone.
    pub fn new(queue: Q, data: D, capacity: u32) -> Result<Self, LayoutError> {
        if capacity == 0 {
            return Err(LayoutError::ZeroCapacity);
        }
        if !capacity.is_power_of_two() {
            return Err(LayoutError::CapacityNotPowerOfTwo { capacity });
        }
        if capacity > MAX_CAPACITY {
            return Err(LayoutError::CapacityTooLarge {
                capacity,
                max: MAX_CAPACITY,
            });
        }
        if queue.size() < QUEUE_SIZE {
            return Err(LayoutError::RegionTooSmall {
                needed: QUEUE_SIZE,
                size: queue.size(),
            });
        }
        if data.size() < capacity as usize {
            return Err(LayoutError::RegionTooSmall {
                needed: capacity as usize,
                size: data.size(),
            });
        }
        Ok(SerialQueue { queue, data, capacity })
    }

    /// Zeroes the queue structure, as a zero-filled region is: empty, and
    /// the producer wants a notification. Only before either side uses it.
    pub fn init(&mut self) {
        self.init_at(0);
    }

    /// Like [`init`](Self::init) with both indices at `start`.
    pub fn init_at(&mut self, start: u32) {
        self.queue.store_u32(QUEUE_TAIL, start);
        self.queue.store_u32(QUEUE_HEAD, start);
        self.queue.store_u32(QUEUE_PRODUCER_SIGNALLED, 0);
    }

    pub fn capacity(&self) -> u32 {
        self.capacity
    }
    pub fn head(&self) -> u32 {
        self.queue.load_u32(QUEUE_HEAD)
    }
    pub fn tail(&self) -> u32 {
        self.queue.load_u32(QUEUE_TAIL)
    }

    /// Checks a (head, tail) pair and gives the length between them.
    fn checked_len(&self, head: u32, tail: u32) -> Result<u32, QueueError> {
        let len = tail.wrapping_sub(head);
        if len > self.capacity {
            return Err(QueueError::Corrupted {
                head,
                tail,
                capacity: self.capacity,
            });
        }
        Ok(len)
    }

    /// Bytes in the queue, as published; `Corrupted` if the indices claim
    /// more than the capacity. Either side may ask.
    pub fn len(&self) -> Result<u32, QueueError> {
        let (head, tail) = (self.head(), self.tail());
        // What follows (reading published bytes, or overwriting freed ones)
        // must not be ordered before the index loads.
        self.queue.fence(Fence::Acquire);
        self.checked_len(head, tail)
    }

    /// True if there is nothing to read (a corrupted queue is not empty).
    pub fn is_empty(&self) -> bool {
        self.len() == Ok(0)
    }

    /// Producer: bytes that can still be enqueued.
    pub fn free(&self) -> Result<u32, QueueError> {
        Ok(self.capacity - self.len()?)
    }

    /// True if nothing can be enqueued (full, or corrupted).
    pub fn is_full(&self) -> bool {
        self.free().map_or(true, |free| free == 0)
    }

    /// Producer: free bytes from `tail` up to the end of the data region
    /// (what one copy can fill).
    pub fn contiguous_free(&self) -> Result<u32, QueueError> {
        let free = self.free()?;
        Ok(free.min(self.capacity - self.tail() % self.capacity))
    }

    /// Consumer: bytes from `head` up to the end of the data region (what
    /// one copy can read).
    pub fn contiguous_len(&self) -> Result<u32, QueueError> {
        let len = self.len()?;
        Ok(len.min(self.capacity - self.head() % self.capacity))
    }

    /// Producer: appends one byte and publishes it.
    pub fn enqueue(&mut self, byte: u8) -> Result<(), QueueError> {
        let mut tail = self.tail();
        self.enqueue_local(&mut tail, byte)?;
        self.queue.fence(Fence::Release);
        self.queue.store_u32(QUEUE_TAIL, tail);
        Ok(())
    }

    /// Producer: writes one byte at `*local_tail` and advances it, without
    /// publishing (see [`update_shared_tail`](Self::update_shared_tail)).
    pub fn enqueue_local(&mut self, local_tail: &mut u32, byte: u8) -> Result<(), QueueError> {
        let head = self.head();
        self.queue.fence(Fence::Acquire);
        if self.checked_len(head, *local_tail)? == self.capacity {
            return Err(QueueError::Full);
        }
        self.data.store_u8((*local_tail % self.capacity) as usize, byte);
        *local_tail = local_tail.wrapping_add(1);
        Ok(())
    }

    /// Producer: publishes everything written up to `local_tail`. Refuses a
    /// value that would unpublish bytes or overfill the queue.
    pub fn update_shared_tail(&mut self, local_tail: u32) -> Result<(), QueueError> {
        let (head, tail) = (self.head(), self.tail());
        let current = self.checked_len(head, tail)?;
        let new = local_tail.wrapping_sub(head);
        if new < current || new > self.capacity {
            return Err(QueueError::LocalIndexOutOfRange {
                shared: tail,
                local: local_tail,
            });
        }
        self.queue.fence(Fence::Release);
        self.queue.store_u32(QUEUE_TAIL, local_tail);
        Ok(())
    }

    /// Producer: enqueues as much of `bytes` as fits, in at most two copies,
    /// and publishes it. Returns how many bytes went in.
    pub fn enqueue_batch(&mut self, bytes: &[u8]) -> Result<u32, QueueError> {
        let free = self.free()?;
        let count = free.min(u32::try_from(bytes.len()).unwrap_or(u32::MAX));
        let tail = self.tail();
        let start = tail % self.capacity;
        let before_wrap = count.min(self.capacity - start);
        let (first, second) = bytes[..count as usize].split_at(before_wrap as usize);
        self.data.store_bytes(start as usize, first);
        self.data.store_bytes(0, second);
        self.queue.fence(Fence::Release);
        self.queue.store_u32(QUEUE_TAIL, tail.wrapping_add(count));
        Ok(count)
    }

    /// Consumer: takes one byte and frees its slot.
    pub fn dequeue(&mut self) -> Result<u8, QueueError> {
        let mut head = self.head();
        let byte = self.dequeue_local(&mut head)?;
        self.queue.fence(Fence::Release);
        self.queue.store_u32(QUEUE_HEAD, head);
        Ok(byte)
    }

    /// Consumer: reads the byte at `*local_head` and advances it, without
    /// freeing it (see [`update_shared_head`](Self::update_shared_head)).
    pub fn dequeue_local(&mut self, local_head: &mut u32) -> Result<u8, QueueError> {
        let tail = self.tail();
        self.queue.fence(Fence::Acquire);
        if self.checked_len(*local_head, tail)? == 0 {
            return Err(QueueError::Empty);
        }
        let byte = self.data.load_u8((*local_head % self.capacity) as usize);
        *local_head = local_head.wrapping_add(1);
        Ok(byte)
    }

    /// Consumer: frees everything read up to `local_head`. Refuses a value
    /// that would free unread bytes' slots past `tail` or give back freed
    /// ones.
    pub fn update_shared_head(&mut self, local_head: u32) -> Result<(), QueueError> {
        let (head, tail) = (self.head(), self.tail());
        let current = self.checked_len(head, tail)?;
        let new = tail.wrapping_sub(local_head);
        if new > current {
            return Err(QueueError::LocalIndexOutOfRange {
                shared: head,
                local: local_head,
            });
        }
        self.queue.fence(Fence::Release);
        self.queue.store_u32(QUEUE_HEAD, local_head);
        Ok(())
    }

    /// Consumer: takes as many bytes as `out` holds or the queue has, in at
    /// most two copies, and frees their slots. Returns how many it took.
    pub fn dequeue_batch(&mut self, out: &mut [u8]) -> Result<u32, QueueError> {
        let len = self.len()?;
        let count = len.min(u32::try_from(out.len()).unwrap_or(u32::MAX));
        let head = self.head();
        let start = head % self.capacity;
        let before_wrap = count.min(self.capacity - start);
        let (first, second) = out[..count as usize].split_at_mut(before_wrap as usize);
        self.data.load_bytes(start as usize, first);
        self.data.load_bytes(0, second);
        self.queue.fence(Fence::Release);
        self.queue.store_u32(QUEUE_HEAD, head.wrapping_add(count));
        Ok(count)
    }

    /// Producer: asks the consumer to notify once it has made room
    /// (`producer_signalled = 0`), then a full fence so the re-check that
    /// must follow cannot be ordered before the request.
    pub fn request_consumer_signal(&mut self) {
        self.queue.store_u32(QUEUE_PRODUCER_SIGNALLED, 0);
        self.queue.fence(Fence::SeqCst);
    }

    /// Either side: marks the request as dealt with (`producer_signalled =
    /// 1`): the consumer just before it notifies, the producer when its
    /// re-check found room after all.
    pub fn cancel_consumer_signal(&mut self) {
        self.queue.store_u32(QUEUE_PRODUCER_SIGNALLED, 1);
    }

    /// Consumer: whether the producer asked to be notified. The full fence
    /// orders this read after the dequeues before it.
    pub fn require_consumer_signal(&self) -> bool {
        self.queue.fence(Fence::SeqCst);
        self.queue.load_u32(QUEUE_PRODUCER_SIGNALLED) == 0
    }

    /// Consumer, after dequeueing: true if the producer asked for a signal;
    /// the request is then marked given and the caller must notify.
    pub fn claim_consumer_signal(&mut self) -> bool {
        if self.require_consumer_signal() {
            self.cancel_consumer_signal();
            true
        } else {
            false
        }
    }

    /// Producer, on finding the queue full: asks for a signal and re-checks.
    /// True if it is still full (the caller may wait); false if room
    /// appeared meanwhile, in which case the request is withdrawn and the
    /// caller should carry on enqueueing.
    pub fn request_consumer_signal_and_recheck(&mut self) -> bool {
        self.request_consumer_signal();
        if self.is_full() {
            true
        } else {
            self.cancel_consumer_signal();
            false
        }
    }

    pub fn queue_memory(&self) -> &Q {
        &self.queue
    }
    pub fn data_memory(&self) -> &D {
        &self.data
    }
}

/// Moves every byte from `from` (the caller consumes it) to `to` (the caller
/// produces it), as `serial_transfer_all` does. Moves nothing and returns
/// `Full` unless `to` has room for all of it; returns the count moved.
pub fn transfer_all<Q1, D1, Q2, D2>(
    from: &mut SerialQueue<Q1, D1>,
    to: &mut SerialQueue<Q2, D2>,
) -> Result<u32, QueueError>
where
    Q1: SharedMemory,
    D1: SharedMemory,
    Q2: SharedMemory,
    D2: SharedMemory,
{
    let len = from.len()?;
    if len > to.free()? {
        return Err(QueueError::Full);
    }
    let mut chunk = [0u8; 64];
    let mut left = len;
    while left > 0 {
        let take = left.min(chunk.len() as u32) as usize;
        let got = from.dequeue_batch(&mut chunk[..take])?;
        let put = to.enqueue_batch(&chunk[..got as usize])?;
        // `to` had room for all `len` bytes and only we produce into it.
        debug_assert_eq!(put, got);
        left -= got;
    }
    Ok(len)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::VecDeque;
    use alloc::vec;
    use alloc::vec::Vec;
    use proptest::prelude::*;

    type Host = SerialQueue<Vec<u8>, Vec<u8>>;

    fn queue(capacity: u32) -> Host {
        SerialQueue::new(vec![0u8; QUEUE_SIZE], vec![0u8; capacity as usize], capacity).unwrap()
    }

    #[test]
    fn layout_matches_sddf() {
        assert_eq!(
            (QUEUE_TAIL, QUEUE_HEAD, QUEUE_PRODUCER_SIGNALLED, QUEUE_SIZE),
            (0, 4, 8, 12)
        );
        let mut q = queue(8);
        q.init_at(6);
        q.enqueue_batch(b"abcd").unwrap();
        assert_eq!(q.queue_memory()[0..4], 10u32.to_le_bytes());
        assert_eq!(q.queue_memory()[4..8], 6u32.to_le_bytes());
        // Index 6 of 8 and on: the bytes wrap onto the start of the region.
        assert_eq!(q.data_memory()[..], *b"cd\0\0\0\0ab");
    }

    #[test]
    fn layout_errors_blame_the_configuration() {
        let new = |q: usize, d: usize, c: u32| Host::new(vec![0; q], vec![0; d], c).map(|_| ());
        assert_eq!(new(12, 8, 0), Err(LayoutError::ZeroCapacity));
        assert_eq!(new(12, 8, 6), Err(LayoutError::CapacityNotPowerOfTwo { capacity: 6 }));
        assert_eq!(new(11, 8, 8), Err(LayoutError::RegionTooSmall { needed: 12, size: 11 }));
        assert_eq!(new(12, 7, 8), Err(LayoutError::RegionTooSmall { needed: 8, size: 7 }));
        assert_eq!(new(12, 8, 8), Ok(()));
    }

    #[test]
    fn full_empty_and_corruption() {
        let mut q = queue(2);
        assert_eq!(q.dequeue(), Err(QueueError::Empty));
        q.enqueue(1).unwrap();
        q.enqueue(2).unwrap();
        assert_eq!(q.enqueue(3), Err(QueueError::Full));
        assert!(q.is_full());
        assert_eq!(q.enqueue_batch(b"xyz"), Ok(0));
        let mut mem = q.queue_memory().clone();
        mem[0..4].copy_from_slice(&7u32.to_le_bytes()); // tail 7, head 0
        let mut bad = SerialQueue::new(mem, vec![0u8; 2], 2).unwrap();
        let corrupted = QueueError::Corrupted {
            head: 0,
            tail: 7,
            capacity: 2,
        };
        assert_eq!(bad.dequeue(), Err(corrupted));
        assert_eq!(bad.enqueue(0), Err(corrupted));
        assert_eq!(bad.free(), Err(corrupted));
        assert!(!bad.is_empty() && bad.is_full());
    }

    #[test]
    fn local_indices_publish_only_when_told() {
        let mut q = queue(4);
        let mut tail = q.tail();
        q.enqueue_local(&mut tail, b'a').unwrap();
        q.enqueue_local(&mut tail, b'b').unwrap();
        assert!(q.is_empty(), "nothing published yet");
        q.update_shared_tail(tail).unwrap();
        assert_eq!(q.len(), Ok(2));

        let mut head = q.head();
        assert_eq!(q.dequeue_local(&mut head), Ok(b'a'));
        assert_eq!(q.free(), Ok(2), "nothing freed yet");
        q.update_shared_head(head).unwrap();
        assert_eq!(q.free(), Ok(3));
    }

    #[test]
    fn bad_local_indices_are_the_callers_bug() {
        let mut q = queue(4);
        q.enqueue_batch(b"ab").unwrap();
        // Shrinking what was published, or publishing more than fits.
        assert_eq!(
            q.update_shared_tail(1),
            Err(QueueError::LocalIndexOutOfRange { shared: 2, local: 1 })
        );
        assert_eq!(
            q.update_shared_tail(5),
            Err(QueueError::LocalIndexOutOfRange { shared: 2, local: 5 })
        );
        // Freeing past the tail, or un-freeing.
        assert_eq!(
            q.update_shared_head(3),
            Err(QueueError::LocalIndexOutOfRange { shared: 0, local: 3 })
        );
        q.dequeue().unwrap();
        assert_eq!(
            q.update_shared_head(0),
            Err(QueueError::LocalIndexOutOfRange { shared: 1, local: 0 })
        );
        assert_eq!(q.len(), Ok(1));
        // A full local tail cannot take more.
        let mut tail = q.tail();
        for b in b"cde" {
            q.enqueue_local(&mut tail, *b).unwrap();
        }
        assert_eq!(q.enqueue_local(&mut tail, b'f'), Err(QueueError::Full));
    }

    #[test]
    fn contiguous_counts_stop_at_the_end_of_the_region() {
        let mut q = queue(8);
        q.init_at(5);
        assert_eq!(q.contiguous_free(), Ok(3));
        q.enqueue_batch(b"abcde").unwrap();
        assert_eq!(q.contiguous_len(), Ok(3));
        assert_eq!(q.contiguous_free(), Ok(3));
    }

    #[test]
    fn the_signalling_flag_and_its_helpers() {
        let mut q = queue(2);
        assert!(q.require_consumer_signal(), "zero-filled: requested");
        assert!(q.claim_consumer_signal());
        assert_eq!(q.queue_memory()[8..12], 1u32.to_le_bytes());
        assert!(!q.claim_consumer_signal());
        // Producer finds room: the request is withdrawn.
        assert!(!q.request_consumer_signal_and_recheck());
        assert!(!q.require_consumer_signal());
        // Producer finds it full: the request stands.
        q.enqueue_batch(b"ab").unwrap();
        assert!(q.request_consumer_signal_and_recheck());
        assert_eq!(q.queue_memory()[8..12], 0u32.to_le_bytes());
    }

    #[test]
    fn transfer_all_is_all_or_nothing() {
        let mut from = queue(8);
        let mut to = queue(4);
        from.enqueue_batch(b"hello").unwrap();
        assert_eq!(transfer_all(&mut from, &mut to), Err(QueueError::Full));
        assert_eq!((from.len(), to.len()), (Ok(5), Ok(0)));
        let mut big = queue(128);
        big.init_at(u32::MAX - 2);
        assert_eq!(transfer_all(&mut from, &mut big), Ok(5));
        let mut out = [0u8; 8];
        assert_eq!(big.dequeue_batch(&mut out), Ok(5));
        assert_eq!(&out[..5], b"hello");
    }

    #[derive(Clone, Debug)]
    enum Op {
        Put(u8),
        Take,
        PutBatch(Vec<u8>),
        TakeBatch(usize),
    }

    proptest! {
        /// Byte queue against a model, from any start index (near the u32
        /// wrap included): FIFO, never beyond capacity, batch counts right.
        #[test]
        fn agrees_with_a_vecdeque(
            log2 in 0u32..5,
            start in prop_oneof![Just(u32::MAX - 3), any::<u32>()],
            ops in proptest::collection::vec(prop_oneof![
                any::<u8>().prop_map(Op::Put),
                Just(Op::Take),
                proptest::collection::vec(any::<u8>(), 0..20).prop_map(Op::PutBatch),
                (0usize..20).prop_map(Op::TakeBatch),
            ], 0..200),
        ) {
            let capacity = 1u32 << log2;
            let mut q = queue(capacity);
            q.init_at(start);
            let mut model: VecDeque<u8> = VecDeque::new();
            for op in ops {
                match op {
                    Op::Put(b) => {
                        let full = model.len() == capacity as usize;
                        prop_assert_eq!(q.enqueue(b), if full { Err(QueueError::Full) } else { Ok(()) });
                        if !full { model.push_back(b); }
                    }
                    Op::Take => prop_assert_eq!(q.dequeue().ok(), model.pop_front()),
                    Op::PutBatch(bytes) => {
                        let fits = bytes.len().min(capacity as usize - model.len());
                        prop_assert_eq!(q.enqueue_batch(&bytes), Ok(fits as u32));
                        model.extend(&bytes[..fits]);
                    }
                    Op::TakeBatch(n) => {
                        let mut out = vec![0u8; n];
                        let want: Vec<u8> = model.drain(..n.min(model.len())).collect();
                        prop_assert_eq!(q.dequeue_batch(&mut out), Ok(want.len() as u32));
                        prop_assert_eq!(&out[..want.len()], &want[..]);
                    }
                }
                prop_assert_eq!(q.len(), Ok(model.len() as u32));
                prop_assert_eq!(q.free(), Ok(capacity - model.len() as u32));
            }
        }
    }
}
