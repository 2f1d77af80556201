//! # kernel-iface: Pride's binding to the seL4 5.0.0 ABI (x86_64)
//!
//! This is the only crate in Pride that speaks to the kernel directly. Every
//! other crate sees typed capabilities and `Result`s.
//!
//! Design principles (after Hubris's kernel crate):
//!
//! 1. **One place for `unsafe`.** The `syscall` instruction, the IPC buffer
//!    (memory the kernel reads and writes behind the compiler's back) and the
//!    boot-info page live here, each with a `// SAFETY:` note. Everything
//!    built on top is safe Rust.
//! 2. **Typed capabilities.** A [`cap::Cap<T>`] is a CPtr tagged with the
//!    kind of object it names; invocations are methods on the right type,
//!    named after the seL4 call they make (`Cap<Tcb>::tcb_resume`), so that
//!    asking a page to `Retype` does not compile.
//! 3. **Errors say who is to blame.** A failed invocation returns
//!    [`error::Sel4Error`], the kernel's own error code, with no guessing.
//! 4. **Constants are checked against the kernel.** [`abi`] is hand-written
//!    and `tests/abi_crosscheck.rs` recomputes it from the kernel's XML and
//!    headers, so a drifting constant fails the test suite rather than a boot.
//!
//! | module | what it holds |
//! | --- | --- |
//! | [`abi`] | syscall numbers, invocation labels, object types, error codes, fault labels, initial slots |
//! | [`msginfo`] | the message-info word |
//! | [`syscall`] | raw system calls (`Call`, `ReplyRecv`, `Send`, ... and the debug calls) |
//! | [`ipc_buffer`] | the per-thread IPC buffer: message words beyond 4, extra caps, receive slot |
//! | [`cap`] | typed capabilities and the invocations on them |
//! | [`bootinfo`] | the boot-info page handed to the root task |
//! | [`fault`] | decoding fault messages into a typed [`fault::Fault`] |

#![no_std]

pub mod abi;
pub mod bootinfo;
pub mod cap;
pub mod error;
pub mod fault;
pub mod ipc_buffer;
pub mod msginfo;
pub mod syscall;

pub use cap::{CPtr, Cap};
pub use error::Sel4Error;
pub use msginfo::MessageInfo;

/// The benchmark marker: executes `nopl 0x44495250(%rax,%rax,1)` (bytes
/// `0f 1f 84 00 50 52 49 44`; the displacement spells "PRID"), a no-op that
/// only a QEMU plugin watching for that encoding notices. `cargo xtask
/// bench` has its instruction-counting plugin record the guest's
/// instruction count each time a marker runs.
#[inline(always)]
pub fn bench_marker() {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: the bytes are one complete instruction, a multi-byte `nop`:
    // it computes no address it uses (a `nop`'s memory operand is never
    // accessed), changes no register, flag or memory, and is allowed at
    // every privilege level, so it cannot break any assumption of the
    // surrounding code (hence `nomem, nostack, preserves_flags`).
    unsafe {
        core::arch::asm!(
            ".byte 0x0f, 0x1f, 0x84, 0x00, 0x50, 0x52, 0x49, 0x44",
            options(nomem, nostack, preserves_flags)
        );
    }
}
