//! # pride-rt: what every freestanding Pride program links with
//!
//! Pride builds its programs for the preinstalled `x86_64-unknown-linux-gnu`
//! target with no C library and no start files, so this crate supplies what
//! those would have, and the few services every component needs:
//!
//! | module | what |
//! | --- | --- |
//! | `mem` | `memcpy`, `memmove`, `memset`, `memcmp`, `bcmp` (the prebuilt `compiler_builtins` for linux-gnu does not export them; `#![no_builtins]` keeps LLVM from turning the loops back into calls), and the `_Unwind_Resume` / `rust_eh_personality` stubs the prebuilt `liballoc` names |
//! | [`component`] | the loader ↔ component contract (address map, CSpace slots, boot page) and the entry macro |
//! | [`supervisor`] | requests to the supervisor: console output (`println!`), ready, heap pages, connections, exit |
//! | [`server`] | the request loop of a server: client badges, generations, state hand-over for live update, signals |
//! | [`store_client`] | the client side of the `store` protocol (put, get, delete, list) |
//! | [`security_client`] | what an object server asks the security server: register, decide, acknowledge a policy change |
//! | [`msg`] | long messages: building them and reading them with every length checked |
//! | `donated` (feature `component`) | an object server's arenas over the memory clients donate for their sessions |
//! | `heap` (feature `component`) | the global allocator: a linked-list heap that grows, page by page, from the component's memory quota |
//! | `panic` (feature `component`) | the panic handler: reports the message to the supervisor, which applies the restart policy |
//!
//! `link.ld` is the linker script for every Pride program: exactly three
//! `PT_LOAD` headers (text R-X, rodata R--, data RW-), page-aligned, so the
//! loader can map each with its own rights.

#![no_std]
#![no_builtins]

pub mod component;
#[cfg(feature = "component")]
pub mod donated;
#[cfg(feature = "component")]
mod heap;
mod mem;
pub mod msg;
#[cfg(feature = "component")]
mod panic;
pub mod security_client;
pub mod server;
pub mod store_client;
pub mod supervisor;

#[doc(hidden)]
pub use kernel_iface as __kernel_iface;

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
