//! The components' global allocator: a linked-list heap at `HEAP_BASE` that
//! grows by asking the supervisor for pages, which are charged to the
//! component's quota. When the quota is used up the allocation fails (a
//! null pointer: `try_reserve` reports it, `Vec::push` panics and the panic
//! is reported to the supervisor): the component is contained, nobody else
//! loses memory.

use core::alloc::{GlobalAlloc, Layout};
use core::ptr::NonNull;

use linked_list_allocator::Heap;
use spin::Mutex;

use crate::component::{HEAP_BASE, HEAP_MAX};
use crate::supervisor;

struct GrowingHeap {
    heap: Mutex<Option<Heap>>,
}

const PAGE: usize = 4096;

impl GrowingHeap {
    /// Maps enough pages for `layout` (at least 4) at the heap's end. The
    /// first time, the pages the supervisor mapped before the start (the
    /// boot page says how many) are taken without asking.
    fn grow(heap: &mut Option<Heap>, layout: Layout) -> bool {
        if heap.is_none() {
            let premapped = crate::component::boot(0).heap_pages as usize;
            if premapped > 0 {
                // SAFETY: the supervisor mapped `premapped` pages read-write
                // at HEAP_BASE before the component started; nothing else
                // uses them.
                *heap = Some(unsafe { Heap::new(HEAP_BASE as *mut u8, premapped * PAGE) });
                return true;
            }
        }
        let want = (layout.size() + layout.align() + 64).div_ceil(PAGE).max(4);
        let mapped = heap.as_ref().map_or(0, |h| h.size());
        if (mapped + want * PAGE) as u64 > HEAP_MAX {
            return false;
        }
        let Ok(addr) = supervisor::alloc_pages(want as u64) else {
            return false;
        };
        if addr != HEAP_BASE + mapped as u64 {
            // The supervisor maps pages contiguously; anything else is a bug
            // there, and using the pages would be unsound.
            return false;
        }
        match heap {
            // SAFETY: the supervisor just mapped `want` pages read-write at
            // `addr`, right after the heap's end (checked above), and nothing
            // else uses them.
            Some(h) => unsafe { h.extend(want * PAGE) },
            None => {
                // SAFETY: as above, for the first pages at HEAP_BASE.
                *heap = Some(unsafe { Heap::new(addr as *mut u8, want * PAGE) });
            }
        }
        true
    }
}

// SAFETY: `alloc` returns either null or a block of at least `layout.size()`
// bytes aligned to `layout.align()` from linked_list_allocator, which keeps
// blocks disjoint; `dealloc` hands back exactly such blocks. The mutex makes
// it safe to share.
unsafe impl GlobalAlloc for GrowingHeap {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let mut heap = self.heap.lock();
        loop {
            if let Some(h) = heap.as_mut() {
                if let Ok(p) = h.allocate_first_fit(layout) {
                    return p.as_ptr();
                }
            }
            if !Self::grow(&mut heap, layout) {
                return core::ptr::null_mut();
            }
        }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if let (Some(h), Some(p)) = (self.heap.lock().as_mut(), NonNull::new(ptr)) {
            // SAFETY: the caller passes a block this allocator returned with
            // the same layout (GlobalAlloc's contract).
            unsafe { h.deallocate(p, layout) }
        }
    }
}

#[global_allocator]
static HEAP: GrowingHeap = GrowingHeap { heap: Mutex::new(None) };
