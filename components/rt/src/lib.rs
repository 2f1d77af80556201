//! # pride-rt: what every freestanding Pride program links with
//!
//! Pride builds its programs for the preinstalled `x86_64-unknown-linux-gnu`
//! target with no C library and no start files, so this crate supplies what
//! those would have:
//!
//! - `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp` (the prebuilt
//!   `compiler_builtins` for linux-gnu does not export them). The crate is
//!   `#![no_builtins]` so LLVM cannot turn these loops back into calls to
//!   themselves.
//! - stubs for `_Unwind_Resume` and `rust_eh_personality`, which the
//!   prebuilt `liballoc` refers to even under `panic = "abort"`.
//! - the component entry point `_start` (see [`component`]) and the
//!   contract between the root task and a component: where the stack and
//!   IPC buffer are, what is in which CSpace slot, and what arrives in which
//!   register.
//! - `link.ld`, the linker script for every Pride program: exactly three
//!   `PT_LOAD` headers (text R-X, rodata R--, data RW-), page-aligned, so the
//!   loader can map each with its own rights.

#![no_std]
#![no_builtins]

pub mod component;
#[doc(hidden)]
pub use kernel_iface as __kernel_iface;
mod mem;

/// Reads the time-stamp counter. Under QEMU with `-icount shift=0` it counts
/// guest instructions (one per nanosecond of virtual time).
#[inline(always)]
pub fn tsc() -> u64 {
    // SAFETY: `rdtsc` only reads a counter; it has no memory effects and is
    // available on every x86_64 CPU.
    #[allow(unused_unsafe)]
    unsafe {
        core::arch::x86_64::_rdtsc()
    }
}
