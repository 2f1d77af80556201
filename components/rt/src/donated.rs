//! The memory clients donate to an object server, one arena per session.
//!
//! The supervisor maps a client's donation into a slot of the server's
//! donation window (`pride_supervisor_api::donation`) and names the slot's
//! address in `OPEN_SESSION`. [`SessionArena::claim`] turns that address
//! into an arena (a linked-list heap over exactly that slot) after
//! checking that it is a whole slot of the window and that no live arena
//! uses it. Objects stored in it are [`Block`]s: an offset and a length,
//! checked on every use, never a pointer a server could keep past the
//! session. Dropping the arena releases the slot; the server must have
//! answered `CLOSE_SESSION` (or replaced the session) before the
//! supervisor takes the frames back, and never touches them afterwards.

use core::alloc::Layout;
use core::ptr::NonNull;

use linked_list_allocator::Heap;
use pride_supervisor_api::donation::{slot_at, SESSION_BYTES};
use spin::Mutex;

/// Window slots with a live arena (bit i = slot i).
static CLAIMED: Mutex<u128> = Mutex::new(0);

/// Blocks are 8-byte aligned.
const ALIGN: usize = 8;

/// One session's donated memory.
pub struct SessionArena {
    heap: Heap,
    base: u64,
    slot: u64,
}

/// Bytes kept in an arena. Not `Clone`: freeing it twice is impossible.
#[derive(Debug, PartialEq, Eq)]
pub struct Block {
    /// The arena's address (a block of another arena is refused).
    arena: u64,
    offset: u32,
    len: u32,
}

impl Block {
    pub fn len(&self) -> usize {
        self.len as usize
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

fn layout(len: usize) -> Option<Layout> {
    Layout::from_size_align(len.max(1), ALIGN).ok()
}

impl SessionArena {
    /// The arena over the donation at `address`, `bytes` long. `None` if
    /// that is not exactly one window slot, or the slot is in use.
    pub fn claim(address: u64, bytes: u64) -> Option<SessionArena> {
        let slot = slot_at(address, bytes)?;
        let mut claimed = CLAIMED.lock();
        if *claimed & (1u128 << slot) != 0 {
            return None;
        }
        // SAFETY: the supervisor mapped SESSION_BYTES read-write at this
        // window slot before sending OPEN_SESSION (the only caller's
        // source of `address`), `slot_at` checked it is exactly one slot,
        // and the CLAIMED bit (set below, cleared only when this arena is
        // dropped) makes this arena the only user of the memory. The
        // memory is the kernel's fresh, zeroed frames or a dropped arena's.
        let heap = unsafe { Heap::new(address as *mut u8, SESSION_BYTES as usize) };
        *claimed |= 1u128 << slot;
        Some(SessionArena {
            heap,
            base: address,
            slot,
        })
    }

    /// Copies `parts` one after the other into a new block; `None` when
    /// the donation cannot hold it.
    pub fn store(&mut self, parts: &[&[u8]]) -> Option<Block> {
        let len: usize = parts.iter().map(|p| p.len()).sum();
        let ptr = self.heap.allocate_first_fit(layout(len)?).ok()?;
        let mut at = 0;
        for p in parts {
            // SAFETY: the allocator returned `len` (at least) writable bytes
            // at `ptr`, inside this arena's slot and disjoint from every
            // other live block; `at + p.len() <= len`.
            unsafe { core::ptr::copy_nonoverlapping(p.as_ptr(), ptr.as_ptr().add(at), p.len()) };
            at += p.len();
        }
        Some(Block {
            arena: self.base,
            offset: (ptr.as_ptr() as u64 - self.base) as u32,
            len: len as u32,
        })
    }

    /// The bytes of `block` (empty for a block of another arena).
    pub fn load(&self, block: &Block) -> &[u8] {
        if !self.owns(block) {
            return &[];
        }
        // SAFETY: `owns` checked that the block lies inside this arena's
        // slot, which stays mapped while the arena lives; the block was
        // written by `store` and is not freed (freeing consumes it).
        unsafe { core::slice::from_raw_parts((self.base + block.offset as u64) as *const u8, block.len()) }
    }

    /// `block`'s bytes, to change in place (a server's buffer kept in the
    /// client's memory).
    pub fn load_mut(&mut self, block: &Block) -> &mut [u8] {
        if !self.owns(block) {
            return &mut [];
        }
        // SAFETY: as in `load`; `&mut self` makes this the only view of the
        // arena's bytes while it lives, and blocks do not overlap.
        unsafe { core::slice::from_raw_parts_mut((self.base + block.offset as u64) as *mut u8, block.len()) }
    }

    /// Returns `block`'s bytes to the arena.
    pub fn free(&mut self, block: Block) {
        let (Some(l), true) = (layout(block.len()), self.owns(&block)) else {
            return;
        };
        if let Some(p) = NonNull::new((self.base + block.offset as u64) as *mut u8) {
            // SAFETY: the block came from `store` on this arena (checked by
            // `owns`; blocks cannot be forged or copied) with this layout.
            unsafe { self.heap.deallocate(p, l) }
        }
    }

    fn owns(&self, block: &Block) -> bool {
        block.arena == self.base && block.offset as u64 + block.len as u64 <= SESSION_BYTES
    }

    /// Bytes in use (with the allocator's rounding).
    pub fn used(&self) -> u64 {
        self.heap.used() as u64
    }

    /// Bytes the donation holds.
    pub fn capacity(&self) -> u64 {
        SESSION_BYTES
    }

    /// Where the donation is mapped.
    pub fn address(&self) -> u64 {
        self.base
    }
}

impl Drop for SessionArena {
    fn drop(&mut self) {
        *CLAIMED.lock() &= !(1u128 << self.slot);
    }
}

/// A session the supervisor opened (`OPEN_SESSION`): the client's badge,
/// the client, and the memory it donated.
pub struct OpenedSession {
    pub badge: u64,
    pub client: pride_supervisor_api::ClientBadge,
    pub arena: SessionArena,
}

/// Reads an `OPEN_SESSION` request every object server gets from the
/// supervisor (`pride_supervisor_api::donation`: w0 the client's badge, w1
/// the bytes donated, w2 where they are mapped). `None` (answer
/// `BAD_REQUEST`) unless it comes from the supervisor (client id 0) and
/// names a whole free slot of the donation window. A server that then has
/// no room for the session drops the arena (freeing the slot) and says so.
pub fn open_session(
    from: pride_supervisor_api::ClientBadge,
    msg: &kernel_iface::syscall::Received,
) -> Option<OpenedSession> {
    let (badge, bytes, address) = (
        crate::msg::word(msg, 0)?,
        crate::msg::word(msg, 1)?,
        crate::msg::word(msg, 2)?,
    );
    let client = pride_supervisor_api::ClientBadge::from_badge(badge).filter(|_| from.client == 0)?;
    let arena = SessionArena::claim(address, bytes)?;
    Some(OpenedSession { badge, client, arena })
}

/// The address a `CLOSE_SESSION` request names, if it comes from the
/// supervisor.
pub fn close_session(from: pride_supervisor_api::ClientBadge, msg: &kernel_iface::syscall::Received) -> Option<u64> {
    crate::msg::word(msg, 0).filter(|_| from.client == 0)
}
