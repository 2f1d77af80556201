//! `fs_queue_t`: the command queue and the completion queue.
//!
//! Each is its own 32 KiB region: `u64 head` at 0, `u64 tail` at 8, 48
//! bytes of padding, then [`QUEUE_CAPACITY`] (511) slots of 64 bytes from
//! offset 64. One side produces (writes slots, then `tail`), the other
//! consumes (reads slots, then `head`):
//!
//! | queue | producer | consumer |
//! | --- | --- | --- |
//! | command | the client | the server |
//! | completion | the server | the client |
//!
//! ## Index rules (as LionsOS)
//!
//! Both indices are free-running 64-bit counters that start at zero (a
//! fresh, zero-filled region is an empty queue). The queue holds
//! `tail - head` messages; it is full at 511. Message number `i` lives in
//! slot `i % 511`. Since 2^64 is not a multiple of 511, the slot sequence
//! jumps when an index wraps; that takes 2^64 messages, and this crate keeps
//! C's arithmetic so both sides agree on every slot before then.
//!
//! A batch is the C helpers' pattern: look at `len`, touch slots
//! `head + i` (consumer, [`FsQueue::filled`]) or `tail + i` (producer,
//! [`FsQueue::fill_empty`]) for `i` below what is available, then publish
//! the count with one index store ([`FsQueue::publish_consumption`],
//! [`FsQueue::publish_production`]). [`FsQueue::enqueue`] and
//! [`FsQueue::dequeue`] are batches of one.
//!
//! ## Memory ordering
//!
//! The index the other side writes is read with acquire semantics, the
//! index this side writes is stored with release semantics (LionsOS's
//! `__atomic_load_n(.., __ATOMIC_ACQUIRE)` and
//! `__atomic_store_n(.., __ATOMIC_RELEASE)`). Here: every length
//! computation loads both indices and then issues [`Fence::Acquire`], so
//! slot accesses come after the index load that made them available; every
//! publication issues [`Fence::Release`] before storing the index, so the
//! other side sees the slots written (producer) or finished with
//! (consumer) before it sees the index move.
//!
//! ## Signalling
//!
//! There is no flag in the queue: after publishing a batch, the producer
//! notifies the other side's channel (the client after enqueueing
//! commands, the server after enqueueing completions), unconditionally.
//! A server takes a command only while the completion queue has room for
//! its answer ([`commands_to_take`]), so it never has to drop one.
//!
//! ## Trust
//!
//! The other side can write both indices. This side uses them only modulo
//! the capacity, so it never touches memory outside the region, and a
//! length above 511 is reported as [`QueueError::Corrupted`] instead of
//! being acted on. A failed call changes nothing in shared memory.

use sddf::shared::{Fence, SharedMemory};

use crate::command::{decode_command, Command, ProtocolError};
use crate::completion::Completion;
use crate::layout::{queue, MSG_SIZE};
use crate::wire::Message;
use crate::QUEUE_CAPACITY;

/// Why a queue operation did not happen (nothing changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueError {
    /// The queue holds 511 messages: the producer must wait.
    Full,
    /// The queue holds none: the consumer must wait.
    Empty,
    /// `tail - head` is more than the capacity: whoever can write the
    /// region (the other side) corrupted the indices.
    Corrupted { head: u64, tail: u64 },
    /// A batch index or count beyond what is available (`available`): the
    /// caller's bug.
    BeyondAvailable { requested: u64, available: u64 },
}

/// The region cannot hold a queue: whoever sized it is to blame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RegionTooSmall {
    pub needed: usize,
    pub size: usize,
}

/// One file-system queue over a shared region. The same type serves both
/// ends; each method says which side may call it.
#[derive(Debug)]
pub struct FsQueue<M> {
    mem: M,
}

const CAPACITY: u64 = QUEUE_CAPACITY;

impl<M: SharedMemory> FsQueue<M> {
    /// Wraps a region of at least [`queue::SIZEOF`] bytes (LionsOS maps
    /// exactly that: 0x8000).
    pub fn new(mem: M) -> Result<Self, RegionTooSmall> {
        if mem.size() < queue::SIZEOF {
            return Err(RegionTooSmall {
                needed: queue::SIZEOF,
                size: mem.size(),
            });
        }
        Ok(FsQueue { mem })
    }

    /// Sets both indices to `start` (zero is a fresh region). Only for a
    /// queue no one else uses yet.
    pub fn reset(&mut self, start: u64) {
        self.mem.store_u64(queue::HEAD, start);
        self.mem.store_u64(queue::TAIL, start);
    }

    pub fn memory(&self) -> &M {
        &self.mem
    }

    pub fn into_memory(self) -> M {
        self.mem
    }

    pub fn head(&self) -> u64 {
        self.mem.load_u64(queue::HEAD)
    }

    pub fn tail(&self) -> u64 {
        self.mem.load_u64(queue::TAIL)
    }

    /// Messages in the queue (either side). What the C helpers'
    /// `fs_queue_length_consumer` / `_producer` return, checked.
    pub fn len(&self) -> Result<u64, QueueError> {
        let (head, tail) = (self.head(), self.tail());
        self.mem.fence(Fence::Acquire);
        let len = tail.wrapping_sub(head);
        if len > CAPACITY {
            return Err(QueueError::Corrupted { head, tail });
        }
        Ok(len)
    }

    pub fn is_empty(&self) -> Result<bool, QueueError> {
        Ok(self.len()? == 0)
    }

    pub fn is_full(&self) -> Result<bool, QueueError> {
        Ok(self.len()? == CAPACITY)
    }

    /// Free slots (producer).
    pub fn free(&self) -> Result<u64, QueueError> {
        Ok(CAPACITY - self.len()?)
    }

    fn slot(index: u64) -> usize {
        // index % 511 < 511, so the product stays inside the region.
        queue::BUFFER + (index % CAPACITY) as usize * MSG_SIZE
    }

    /// Consumer: the message `index` places after `head`, without taking
    /// it (`fs_queue_idx_filled`).
    pub fn filled(&self, index: u64) -> Result<Message, QueueError> {
        let len = self.len()?;
        if index >= len {
            return Err(QueueError::BeyondAvailable {
                requested: index,
                available: len,
            });
        }
        let mut msg = [0u8; MSG_SIZE];
        self.mem
            .load_bytes(Self::slot(self.head().wrapping_add(index)), &mut msg);
        Ok(msg)
    }

    /// Consumer: hands `count` messages' slots back to the producer.
    pub fn publish_consumption(&mut self, count: u64) -> Result<(), QueueError> {
        let len = self.len()?;
        if count > len {
            return Err(QueueError::BeyondAvailable {
                requested: count,
                available: len,
            });
        }
        let head = self.head();
        self.mem.fence(Fence::Release);
        self.mem.store_u64(queue::HEAD, head.wrapping_add(count));
        Ok(())
    }

    /// Consumer: takes the oldest message.
    pub fn dequeue(&mut self) -> Result<Message, QueueError> {
        let msg = match self.filled(0) {
            Err(QueueError::BeyondAvailable { .. }) => return Err(QueueError::Empty),
            other => other?,
        };
        self.publish_consumption(1)?;
        Ok(msg)
    }

    /// Producer: writes `msg` into the free slot `index` places after
    /// `tail`, unpublished (`fs_queue_idx_empty`).
    pub fn fill_empty(&mut self, index: u64, msg: &Message) -> Result<(), QueueError> {
        let free = self.free()?;
        if index >= free {
            return Err(QueueError::BeyondAvailable {
                requested: index,
                available: free,
            });
        }
        let at = Self::slot(self.tail().wrapping_add(index));
        self.mem.store_bytes(at, msg);
        Ok(())
    }

    /// Producer: makes the next `count` filled slots visible.
    pub fn publish_production(&mut self, count: u64) -> Result<(), QueueError> {
        let free = self.free()?;
        if count > free {
            return Err(QueueError::BeyondAvailable {
                requested: count,
                available: free,
            });
        }
        let tail = self.tail();
        self.mem.fence(Fence::Release);
        self.mem.store_u64(queue::TAIL, tail.wrapping_add(count));
        Ok(())
    }

    /// Producer: appends one message.
    pub fn enqueue(&mut self, msg: &Message) -> Result<(), QueueError> {
        match self.fill_empty(0, msg) {
            Err(QueueError::BeyondAvailable { .. }) => return Err(QueueError::Full),
            other => other?,
        }
        self.publish_production(1)
    }

    /// Client, command queue: sends a command.
    pub fn enqueue_command(&mut self, command: &Command) -> Result<(), QueueError> {
        self.enqueue(&command.encode())
    }

    /// Server, command queue: takes the oldest command and decodes it
    /// against a client region of `share_size` bytes. The outer error is the
    /// queue's; the inner one a refused command (already taken off the
    /// queue: answer it with [`Completion::refusal`]).
    pub fn dequeue_command(&mut self, share_size: u64) -> Result<Result<Command, ProtocolError>, QueueError> {
        let msg = self.dequeue()?;
        Ok(decode_command(&msg, share_size))
    }

    /// Server, completion queue: sends a completion.
    pub fn enqueue_completion(&mut self, completion: &Completion) -> Result<(), QueueError> {
        self.enqueue(&completion.encode())
    }
}

/// Server: how many commands to take now, so that each has room for its
/// completion (LionsOS's NFS server rule): the smaller of the commands
/// waiting and the free completion slots.
pub fn commands_to_take<C: SharedMemory, D: SharedMemory>(
    commands: &FsQueue<C>,
    completions: &FsQueue<D>,
) -> Result<u64, QueueError> {
    Ok(commands.len()?.min(completions.free()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use alloc::vec::Vec;

    fn fresh() -> FsQueue<Vec<u8>> {
        FsQueue::new(vec![0u8; queue::SIZEOF]).unwrap()
    }

    fn msg(tag: u8) -> Message {
        [tag; MSG_SIZE]
    }

    #[test]
    fn a_zeroed_region_is_an_empty_queue() {
        let mut q = fresh();
        assert_eq!(q.len(), Ok(0));
        assert_eq!(q.dequeue(), Err(QueueError::Empty));
        assert!(FsQueue::new(vec![0u8; queue::SIZEOF - 1]).is_err());
    }

    #[test]
    fn fills_to_511_then_refuses() {
        let mut q = fresh();
        for i in 0..QUEUE_CAPACITY {
            q.enqueue(&msg(i as u8)).unwrap();
        }
        assert_eq!(q.is_full(), Ok(true));
        assert_eq!(q.enqueue(&msg(0)), Err(QueueError::Full));
        assert_eq!(q.tail(), 511);
        assert_eq!(q.dequeue(), Ok(msg(0)));
        q.enqueue(&msg(0xaa)).unwrap();
        // Message 511 went into slot 0, at the start of the slot array.
        assert_eq!(q.memory()[queue::BUFFER], 0xaa);
    }

    #[test]
    fn slots_are_index_modulo_511_from_offset_64() {
        let mut q = fresh();
        q.reset(1000);
        q.enqueue(&msg(7)).unwrap();
        let at = queue::BUFFER + (1000 % 511) * MSG_SIZE;
        assert!(q.memory()[at..at + MSG_SIZE].iter().all(|b| *b == 7));
        assert_eq!((q.head(), q.tail()), (1000, 1001));
        assert_eq!(q.memory()[..8], 1000u64.to_le_bytes());
        assert_eq!(q.memory()[8..16], 1001u64.to_le_bytes());
    }

    #[test]
    fn batches_publish_once() {
        let mut q = fresh();
        for i in 0..3 {
            q.fill_empty(i, &msg(i as u8 + 1)).unwrap();
        }
        assert_eq!(q.len(), Ok(0));
        q.publish_production(3).unwrap();
        assert_eq!(q.filled(2), Ok(msg(3)));
        assert!(matches!(q.filled(3), Err(QueueError::BeyondAvailable { .. })));
        assert!(q.publish_consumption(4).is_err());
        q.publish_consumption(2).unwrap();
        assert_eq!(q.dequeue(), Ok(msg(3)));
    }

    #[test]
    fn corrupted_indices_are_reported_not_followed() {
        let mut q = fresh();
        q.reset(5);
        let mut mem = q.into_memory();
        mem[8..16].copy_from_slice(&(5u64 + 512).to_le_bytes());
        let mut q = FsQueue::new(mem).unwrap();
        assert_eq!(q.len(), Err(QueueError::Corrupted { head: 5, tail: 517 }));
        assert!(q.dequeue().is_err() && q.enqueue(&msg(1)).is_err());
        let mut mem = q.into_memory();
        mem[..16].copy_from_slice(&[0xff; 16]);
        let q = FsQueue::new(mem).unwrap();
        assert_eq!(q.len(), Ok(0));
    }

    #[test]
    fn the_server_takes_only_what_it_can_answer() {
        let mut commands = fresh();
        let mut completions = fresh();
        for _ in 0..10 {
            commands.enqueue(&msg(1)).unwrap();
        }
        for _ in 0..505 {
            completions.enqueue(&msg(2)).unwrap();
        }
        assert_eq!(commands_to_take(&commands, &completions), Ok(6));
    }
}
