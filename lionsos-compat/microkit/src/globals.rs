//! The globals libmicrokit has and the Microkit tool patches, with the C
//! names sDDF code uses.
//!
//! The supervisor writes `microkit_name` and the four bitmasks into the
//! loaded image before the PD starts (the same symbols the Microkit tool
//! patches in the ELF file), so they must live in `.data` (initialised),
//! never in `.bss`. `microkit_have_signal`, `microkit_signal_cap` and
//! `microkit_signal_msg` are the deferred-action state that sDDF reaches
//! into: "a deferred action is pending; it is a send on this capability".
//!
//! The PD is single-threaded, so these are plain statics accessed through
//! volatile reads and writes (the C side may write them behind Rust's back).

#![allow(non_upper_case_globals)]

use core::ptr::{addr_of, addr_of_mut};

use crate::{BASE_IRQ_CAP, PD_NAME_LENGTH};

/// The PD's name, NUL-terminated (patched).
#[no_mangle]
#[used]
pub static mut microkit_name: [u8; PD_NAME_LENGTH] = *b"unnamed\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
/// Nonzero if the PD is passive (patched; Pride runs every PD actively).
#[no_mangle]
#[used]
pub static mut microkit_passive: u8 = 0;
/// Bit `ch` set if channel `ch` has an IRQ (patched).
#[no_mangle]
#[used]
pub static mut microkit_irqs: u64 = 0;
/// Bit `ch` set if the PD may notify on channel `ch` (patched).
#[no_mangle]
#[used]
pub static mut microkit_notifications: u64 = 0;
/// Bit `ch` set if the PD may make PPCs on channel `ch` (patched).
#[no_mangle]
#[used]
pub static mut microkit_pps: u64 = 0;
/// Bit `id` set if the PD has I/O port range `id` (patched).
#[no_mangle]
#[used]
pub static mut microkit_ioports: u64 = 0;

/// A deferred action is pending.
#[no_mangle]
#[used]
pub static mut microkit_have_signal: u8 = 0;
/// Its capability: an output notification (notify) or an IRQ handler (ack).
#[no_mangle]
#[used]
pub static mut microkit_signal_cap: u64 = 0;
/// Its message info (as libmicrokit keeps it; Pride uses only the cap).
#[no_mangle]
#[used]
pub static mut microkit_signal_msg: u64 = 0;

fn read(p: *const u64) -> u64 {
    // SAFETY: `p` points to one of the statics above, which live for the
    // program; the PD has one thread, so no access races this one.
    unsafe { p.read_volatile() }
}

pub fn irqs() -> u64 {
    read(addr_of!(microkit_irqs))
}
pub fn notifications() -> u64 {
    read(addr_of!(microkit_notifications))
}
pub fn pps() -> u64 {
    read(addr_of!(microkit_pps))
}
pub fn ioports() -> u64 {
    read(addr_of!(microkit_ioports))
}

/// The name, up to its NUL.
pub fn name() -> &'static str {
    // SAFETY: `microkit_name` lives for the program and is written only by
    // the supervisor before the PD starts; shared references are fine.
    let bytes: &'static [u8; PD_NAME_LENGTH] = unsafe { &*addr_of!(microkit_name) };
    let len = bytes.iter().position(|&b| b == 0).unwrap_or(PD_NAME_LENGTH);
    core::str::from_utf8(&bytes[..len]).unwrap_or("pd")
}

/// Records a deferred action on `cap`, or does `now` if one is pending
/// already.
pub fn defer(cap: u64, _is_irq: bool, now: impl FnOnce()) {
    // SAFETY: single-threaded PD (see the module doc).
    unsafe {
        if addr_of!(microkit_have_signal).read_volatile() != 0 {
            now();
            return;
        }
        addr_of_mut!(microkit_signal_cap).write_volatile(cap);
        addr_of_mut!(microkit_have_signal).write_volatile(1);
    }
}

/// Carries out the pending deferred action, if any (before the PD waits).
pub fn flush_deferred() {
    // SAFETY: single-threaded PD (see the module doc).
    let (pending, cap) = unsafe {
        (
            addr_of!(microkit_have_signal).read_volatile(),
            addr_of!(microkit_signal_cap).read_volatile(),
        )
    };
    if pending == 0 {
        return;
    }
    // SAFETY: as above.
    unsafe { addr_of_mut!(microkit_have_signal).write_volatile(0) };
    if (BASE_IRQ_CAP..BASE_IRQ_CAP + 64).contains(&cap) {
        kernel_iface::Cap::<kernel_iface::cap::kind::IrqHandler>::from_cptr(cap).irq_handler_ack_no_reply();
    } else {
        kernel_iface::Cap::<kernel_iface::cap::kind::Notification>::from_cptr(cap).signal();
    }
}
