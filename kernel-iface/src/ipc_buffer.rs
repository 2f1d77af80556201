//! The thread's IPC buffer: message words beyond the four carried in CPU
//! registers, capabilities sent and received, and the receive slot.
//!
//! Layout (`seL4_IPCBuffer`, 5.0.0, 64-bit words): word 0 tag, words 1..=120
//! message registers, 121 user data, 122..=124 caps or badges, 125 receive
//! CNode, 126 receive index, 127 receive depth. The kernel reads and writes
//! it during system calls, so every access is volatile.

use core::sync::atomic::{AtomicPtr, Ordering};

use crate::abi::{MSG_MAX_EXTRA_CAPS, MSG_MAX_LENGTH};

/// The kernel's IPC buffer layout.
#[repr(C)]
pub struct IpcBuffer {
    pub tag: u64,
    pub msg: [u64; MSG_MAX_LENGTH],
    pub user_data: u64,
    pub caps_or_badges: [u64; MSG_MAX_EXTRA_CAPS],
    pub receive_cnode: u64,
    pub receive_index: u64,
    pub receive_depth: u64,
}

const _: () = assert!(core::mem::size_of::<IpcBuffer>() == 128 * 8);

static BUFFER: AtomicPtr<IpcBuffer> = AtomicPtr::new(core::ptr::null_mut());

/// Records where this thread's IPC buffer is mapped.
///
/// # Safety
/// `buffer` must be the address the kernel was given for this thread's IPC
/// buffer (boot info for the root task, `TCB_Configure` for others), mapped
/// writable for the life of the program, and not used through any other
/// reference. Pride components are single-threaded, so one global suffices.
pub unsafe fn init(buffer: *mut IpcBuffer) {
    BUFFER.store(buffer, Ordering::Relaxed);
}

fn buffer() -> *mut IpcBuffer {
    let p = BUFFER.load(Ordering::Relaxed);
    assert!(!p.is_null(), "IPC buffer used before ipc_buffer::init");
    p
}

/// Sets message word `i` (only words 4 and up live here; 0-3 travel in
/// registers, but the kernel also reads them here for long messages).
pub fn set_mr(i: usize, value: u64) {
    assert!(i < MSG_MAX_LENGTH);
    // SAFETY: `init`'s contract: the buffer is mapped and exclusively ours;
    // the index is bounds-checked above.
    unsafe { core::ptr::addr_of_mut!((*buffer()).msg[i]).write_volatile(value) }
}

/// Reads message word `i`.
pub fn get_mr(i: usize) -> u64 {
    assert!(i < MSG_MAX_LENGTH);
    // SAFETY: as in `set_mr`.
    unsafe { core::ptr::addr_of!((*buffer()).msg[i]).read_volatile() }
}

/// Places the CPtr of the `i`th capability to send.
pub fn set_cap(i: usize, cptr: u64) {
    assert!(i < MSG_MAX_EXTRA_CAPS);
    // SAFETY: as in `set_mr`.
    unsafe { core::ptr::addr_of_mut!((*buffer()).caps_or_badges[i]).write_volatile(cptr) }
}

/// Reads the `i`th cap-or-badge word of a received message.
pub fn get_badge(i: usize) -> u64 {
    assert!(i < MSG_MAX_EXTRA_CAPS);
    // SAFETY: as in `set_mr`.
    unsafe { core::ptr::addr_of!((*buffer()).caps_or_badges[i]).read_volatile() }
}

/// Sets where a received capability is stored: slot `index` resolved to
/// `depth` bits in the CNode `cnode`.
pub fn set_receive_path(cnode: u64, index: u64, depth: u64) {
    let b = buffer();
    // SAFETY: as in `set_mr`.
    unsafe {
        core::ptr::addr_of_mut!((*b).receive_cnode).write_volatile(cnode);
        core::ptr::addr_of_mut!((*b).receive_index).write_volatile(index);
        core::ptr::addr_of_mut!((*b).receive_depth).write_volatile(depth);
    }
}

/// Copies bytes into the message area (NUL-terminated, cut to fit), for
/// calls such as `DebugNameThread` that take a string.
pub fn write_bytes(bytes: &[u8]) {
    let max = MSG_MAX_LENGTH * 8 - 1;
    let n = bytes.len().min(max);
    let base = buffer() as *mut u8;
    for (i, &b) in bytes[..n].iter().enumerate() {
        // SAFETY: offset 8 + i stays inside `msg` because n < 960.
        unsafe { base.add(8 + i).write_volatile(b) }
    }
    // SAFETY: as above, 8 + n <= 8 + 959.
    unsafe { base.add(8 + n).write_volatile(0) }
}
