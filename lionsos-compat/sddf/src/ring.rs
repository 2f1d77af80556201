//! The single-producer single-consumer ring underneath the network and block
//! queues, and the errors every queue in this crate reports.
//!
//! A ring is a header with two free-running indices and an array of
//! `capacity` fixed-size entries. Only the producer writes `tail` (the next
//! slot to fill) and only the consumer writes `head` (the next slot to
//! empty); entry `i` lives in slot `i % capacity`, and the number of entries
//! is `tail - head` in the index type's wrapping arithmetic. The network
//! queue keeps 16-bit indices, the block queues 32-bit ones; where the header
//! fields sit differs per queue, so a `RingLayout` names them.
//!
//! Memory ordering, producer side: load `head`, [`Fence::Acquire`], write the
//! entry, [`Fence::Release`], store `tail + 1`. Consumer side: load `tail`, [`Fence::Acquire`], read the entry,
//! [`Fence::Release`], store `head + 1` (the slot must not be handed back
//! before the read is done). This is at least as strong as sDDF, which relies
//! on x86's ordering for the acquire half.
//!
//! The peer is not trusted: it may scribble over the indices. Slots are always
//! taken modulo the capacity this side was configured with, so nothing outside
//! the region is ever touched, and a length above the capacity is reported as
//! [`QueueError::Corrupted`] instead of being acted on.

use core::marker::PhantomData;

use alloc::vec::Vec;

use crate::shared::{Fence, SharedMemory};

/// Why an enqueue, dequeue or index update did not happen. Nothing in shared
/// memory changed when one of these is returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum QueueError {
    /// The queue already holds `capacity` entries: the producer (the caller)
    /// must wait for the consumer to make room.
    Full,
    /// The queue holds nothing: the consumer (the caller) must wait for the
    /// producer.
    Empty,
    /// The indices in shared memory claim `tail - head` entries, more than
    /// the capacity: the neighbour, or anyone else who can write the region,
    /// corrupted the queue.
    Corrupted { head: u32, tail: u32, capacity: u32 },
    /// A locally kept index handed to a serial `update_shared_*` would shrink
    /// what the caller produced, or overfill the queue: the caller's bug.
    LocalIndexOutOfRange { shared: u32, local: u32 },
}

/// Why a queue could not be built over a region: whoever sized the region or
/// chose the capacity (the system description, or its metaprogram) is to
/// blame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LayoutError {
    /// A queue must hold at least one entry.
    ZeroCapacity,
    /// The capacity must be a power of two (free-running indices wrap
    /// cleanly onto slots only then).
    CapacityNotPowerOfTwo { capacity: u32 },
    /// The index type cannot tell `capacity` entries from none.
    CapacityTooLarge { capacity: u32, max: u32 },
    /// The region is smaller than the header plus `capacity` entries.
    RegionTooSmall { needed: usize, size: usize },
}

/// A drain that stopped part-way: `moved` entries went across before
/// `cause` (the destination was full, or one of the queues is corrupted).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DrainError {
    pub moved: u32,
    pub cause: QueueError,
}

/// Width of a ring's free-running indices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IndexWidth {
    U16,
    U32,
}

impl IndexWidth {
    const fn mask(self) -> u32 {
        match self {
            IndexWidth::U16 => 0xffff,
            IndexWidth::U32 => 0xffff_ffff,
        }
    }
}

/// Where a ring's header fields and entries sit, and what capacities it
/// accepts.
#[derive(Debug)]
pub(crate) struct RingLayout {
    pub head: usize,
    pub tail: usize,
    pub entries: usize,
    pub width: IndexWidth,
    /// Whether the capacity must be a power of two (sDDF requires it for the
    /// network queue; the block queues take any capacity, see `blk`).
    pub power_of_two: bool,
}

impl RingLayout {
    /// The largest capacity whose fullness the indices can still express.
    pub const fn max_capacity(&self) -> u32 {
        match self.width {
            IndexWidth::U16 => 1 << 15,
            IndexWidth::U32 => 1 << 31,
        }
    }

    pub fn check_capacity(&self, capacity: u32) -> Result<(), LayoutError> {
        if capacity == 0 {
            return Err(LayoutError::ZeroCapacity);
        }
        if self.power_of_two && !capacity.is_power_of_two() {
            return Err(LayoutError::CapacityNotPowerOfTwo { capacity });
        }
        if capacity > self.max_capacity() {
            return Err(LayoutError::CapacityTooLarge {
                capacity,
                max: self.max_capacity(),
            });
        }
        Ok(())
    }
}

/// One fixed-size entry of a ring, read and written field by field.
pub(crate) trait RingEntry: Sized {
    const SIZE: usize;
    fn read<M: SharedMemory + ?Sized>(mem: &M, at: usize) -> Self;
    fn write<M: SharedMemory + ?Sized>(&self, mem: &mut M, at: usize);
}

/// A ring of `E` entries in the region `M`.
#[derive(Debug)]
pub(crate) struct Ring<M, E> {
    mem: M,
    capacity: u32,
    layout: &'static RingLayout,
    entry: PhantomData<E>,
}

impl<M: SharedMemory, E: RingEntry> Ring<M, E> {
    pub fn new(mem: M, capacity: u32, layout: &'static RingLayout) -> Result<Self, LayoutError> {
        layout.check_capacity(capacity)?;
        let needed = layout.entries + capacity as usize * E::SIZE;
        if mem.size() < needed {
            return Err(LayoutError::RegionTooSmall {
                needed,
                size: mem.size(),
            });
        }
        Ok(Ring {
            mem,
            capacity,
            layout,
            entry: PhantomData,
        })
    }

    #[inline(always)]
    pub fn capacity(&self) -> u32 {
        self.capacity
    }
    pub fn memory(&self) -> &M {
        &self.mem
    }
    pub fn memory_mut(&mut self) -> &mut M {
        &mut self.mem
    }
    pub fn into_memory(self) -> M {
        self.mem
    }

    #[inline(always)]
    fn load_index(&self, offset: usize) -> u32 {
        match self.layout.width {
            IndexWidth::U16 => u32::from(self.mem.load_u16(offset)),
            IndexWidth::U32 => self.mem.load_u32(offset),
        }
    }

    #[inline(always)]
    fn store_index(&mut self, offset: usize, value: u32) {
        match self.layout.width {
            // The mask keeps the value in range, so the cast loses nothing.
            IndexWidth::U16 => self.mem.store_u16(offset, (value & 0xffff) as u16),
            IndexWidth::U32 => self.mem.store_u32(offset, value),
        }
    }

    #[inline(always)]
    pub fn head(&self) -> u32 {
        self.load_index(self.layout.head)
    }
    #[inline(always)]
    pub fn tail(&self) -> u32 {
        self.load_index(self.layout.tail)
    }

    /// Sets both indices (the initial state is `start`, `start`), as a fresh
    /// zero-filled region would with `start == 0`. Only for a queue no one
    /// else is using yet.
    pub fn reset_indices(&mut self, start: u32) {
        let start = start & self.layout.width.mask();
        self.store_index(self.layout.head, start);
        self.store_index(self.layout.tail, start);
    }

    /// `tail - head` as the indices stand, without any sanity check (what
    /// sDDF's `*_length` returns).
    #[inline(always)]
    pub fn raw_len(&self) -> u32 {
        self.tail().wrapping_sub(self.head()) & self.layout.width.mask()
    }

    /// The number of entries, or `Corrupted` if the indices claim more than
    /// the capacity.
    #[inline(always)]
    pub fn len(&self) -> Result<u32, QueueError> {
        let (head, tail) = (self.head(), self.tail());
        let len = tail.wrapping_sub(head) & self.layout.width.mask();
        if len > self.capacity {
            return Err(QueueError::Corrupted {
                head,
                tail,
                capacity: self.capacity,
            });
        }
        Ok(len)
    }

    #[inline(always)]
    fn slot_offset(&self, index: u32) -> usize {
        self.layout.entries + (index % self.capacity) as usize * E::SIZE
    }

    /// Producer side: appends `entry` at `tail` and publishes it.
    #[inline(always)]
    pub fn enqueue(&mut self, entry: &E) -> Result<(), QueueError> {
        let len = self.len()?;
        if len == self.capacity {
            return Err(QueueError::Full);
        }
        // The consumer's last read of the slot we are about to reuse happened
        // before it published `head`; keep our write after our read of it.
        self.mem.fence(Fence::Acquire);
        let tail = self.tail();
        let at = self.slot_offset(tail);
        entry.write(&mut self.mem, at);
        self.mem.fence(Fence::Release);
        self.store_index(self.layout.tail, tail.wrapping_add(1));
        Ok(())
    }

    /// Consumer side: takes the entry at `head` and hands its slot back.
    #[inline(always)]
    pub fn dequeue(&mut self) -> Result<E, QueueError> {
        let len = self.len()?;
        if len == 0 {
            return Err(QueueError::Empty);
        }
        self.mem.fence(Fence::Acquire);
        let head = self.head();
        let entry = E::read(&self.mem, self.slot_offset(head));
        self.mem.fence(Fence::Release);
        self.store_index(self.layout.head, head.wrapping_add(1));
        Ok(entry)
    }

    /// Every entry between `head` and `tail`, oldest first, without taking
    /// any (for hand-over bookkeeping and tests).
    pub fn snapshot(&self) -> Result<Vec<E>, QueueError> {
        let len = self.len()?;
        self.mem.fence(Fence::Acquire);
        let head = self.head();
        Ok((0..len)
            .map(|i| E::read(&self.mem, self.slot_offset(head.wrapping_add(i))))
            .collect())
    }

    /// Moves entries from this ring (as its consumer) into `dst` (as its
    /// producer), converting each with `convert`, until this ring is empty.
    /// Stops early if `dst` fills up; the entry that did not fit stays here.
    pub fn drain_to<N: SharedMemory, F: RingEntry>(
        &mut self,
        dst: &mut Ring<N, F>,
        mut convert: impl FnMut(E) -> F,
    ) -> Result<u32, DrainError> {
        let mut moved = 0;
        loop {
            let fail = |cause| DrainError { moved, cause };
            if self.len().map_err(fail)? == 0 {
                return Ok(moved);
            }
            let room = dst.len().map_err(fail)?;
            if room == dst.capacity() {
                return Err(fail(QueueError::Full));
            }
            // The peers can only add to this ring and take from `dst`, which
            // keeps both checks true: neither call below fails for want of
            // an entry or of room.
            let entry = self.dequeue().map_err(fail)?;
            dst.enqueue(&convert(entry)).map_err(fail)?;
            moved += 1;
        }
    }
}
