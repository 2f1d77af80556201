//! Raw seL4 system calls for x86_64 with `CONFIG_SYSCALL`.
//!
//! Register convention (5.0.0): `rdx` holds the syscall number, `rdi` the
//! capability (or badge on return), `rsi` the message info, and `r10`, `r8`,
//! `r9`, `r15` message registers 0-3. `syscall` clobbers `rcx` and `r11`, and
//! the kernel returns with `rsp` zeroed, so the stack pointer is parked in
//! `r12` (which the kernel restores) across the instruction. LLVM reserves
//! `rbx`, which libsel4 uses for the same purpose.
//!
//! These functions are safe to call: a system call can only act through the
//! capabilities the thread holds, and the only memory the kernel touches is
//! the thread's own IPC buffer, which Rust code reaches only through
//! [`crate::ipc_buffer`]'s volatile accessors.

use crate::abi::syscall as sys;
use crate::msginfo::MessageInfo;

/// The four message registers carried in CPU registers.
pub type Mrs = [u64; 4];

/// What a receiving system call returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Received {
    /// Message info of the received message.
    pub info: MessageInfo,
    /// Badge of the capability the sender used (or the notification word).
    pub badge: u64,
    /// Message registers 0-3.
    pub mrs: Mrs,
}

#[cfg(all(target_arch = "x86_64", not(test)))]
macro_rules! raw_syscall {
    ($num:expr, $rdi:expr, $rsi:expr, $mrs:expr) => {{
        let (mut rdi, mut rsi) = ($rdi, $rsi);
        let [mut m0, mut m1, mut m2, mut m3]: Mrs = $mrs;
        // SAFETY: the seL4 syscall ABI: every register the kernel may change
        // is an output or clobber; the stack pointer is saved in r12 because
        // the kernel returns with rsp = 0; memory may be read and written by
        // the kernel (the IPC buffer), which the default asm memory model
        // already assumes.
        unsafe {
            core::arch::asm!(
                "mov r12, rsp",
                "syscall",
                "mov rsp, r12",
                inout("rdx") $num as u64 => _,
                inout("rdi") rdi,
                inout("rsi") rsi,
                inout("r10") m0,
                inout("r8") m1,
                inout("r9") m2,
                inout("r15") m3,
                out("rcx") _,
                out("r11") _,
                out("r12") _,
                options(nostack),
            );
        }
        (rdi, rsi, [m0, m1, m2, m3])
    }};
}

// Host builds (unit tests of crates that depend on this one) never run on
// seL4: make every call a loud failure rather than a silent wrong answer.
#[cfg(any(not(target_arch = "x86_64"), test))]
macro_rules! raw_syscall {
    ($num:expr, $rdi:expr, $rsi:expr, $mrs:expr) => {{
        let _ = ($num, $rdi, $rsi, $mrs);
        not_on_sel4()
    }};
}

#[cfg(any(not(target_arch = "x86_64"), test))]
fn not_on_sel4() -> (u64, u64, Mrs) {
    panic!("seL4 system call outside seL4")
}

/// `seL4_Call`: send to `dest` and wait for the reply.
#[inline(always)]
pub fn call(dest: u64, info: MessageInfo, mrs: Mrs) -> Received {
    let (badge, info, mrs) = raw_syscall!(sys::CALL, dest, info.0, mrs);
    Received {
        info: MessageInfo(info),
        badge,
        mrs,
    }
}

/// `seL4_ReplyRecv`: reply to the last caller, then wait on `src`.
#[inline(always)]
pub fn reply_recv(src: u64, info: MessageInfo, mrs: Mrs) -> Received {
    let (badge, info, mrs) = raw_syscall!(sys::REPLY_RECV, src, info.0, mrs);
    Received {
        info: MessageInfo(info),
        badge,
        mrs,
    }
}

/// `seL4_Send`: blocking send to `dest`.
#[inline(always)]
pub fn send(dest: u64, info: MessageInfo, mrs: Mrs) {
    let _ = raw_syscall!(sys::SEND, dest, info.0, mrs);
}

/// `seL4_NBSend`: send if a receiver is waiting, else drop the message.
#[inline(always)]
pub fn nb_send(dest: u64, info: MessageInfo, mrs: Mrs) {
    let _ = raw_syscall!(sys::NB_SEND, dest, info.0, mrs);
}

/// `seL4_Recv`: wait for a message or signal on `src`.
#[inline(always)]
pub fn recv(src: u64) -> Received {
    let (badge, info, mrs) = raw_syscall!(sys::RECV, src, 0u64, [0; 4]);
    Received {
        info: MessageInfo(info),
        badge,
        mrs,
    }
}

/// `seL4_NBRecv`: poll `src`; the badge is 0 and the info empty if nothing was there.
#[inline(always)]
pub fn nb_recv(src: u64) -> Received {
    let (badge, info, mrs) = raw_syscall!(sys::NB_RECV, src, 0u64, [0; 4]);
    Received {
        info: MessageInfo(info),
        badge,
        mrs,
    }
}

/// `seL4_Reply`: reply to the last caller.
#[inline(always)]
pub fn reply(info: MessageInfo, mrs: Mrs) {
    let _ = raw_syscall!(sys::REPLY, 0u64, info.0, mrs);
}

/// `seL4_Yield`: give up the rest of the time slice.
#[inline(always)]
pub fn yield_now() {
    let _ = raw_syscall!(sys::YIELD, 0u64, 0u64, [0; 4]);
}

/// Debug-kernel calls. On a release kernel these are unknown system calls
/// and raise a fault: call them only when the kernel is known to be a
/// debug build.
pub mod debug {
    use super::*;

    /// `seL4_DebugPutChar`: the kernel prints one byte on its console.
    #[inline(always)]
    pub fn put_char(c: u8) {
        let _ = raw_syscall!(sys::DEBUG_PUT_CHAR, c as u64, 0u64, [0; 4]);
    }

    /// `seL4_DebugHalt`: stop the machine.
    #[inline(always)]
    pub fn halt() {
        let _ = raw_syscall!(sys::DEBUG_HALT, 0u64, 0u64, [0; 4]);
    }

    /// `seL4_DebugSnapshot`: dump the capability graph (capDL) on the console.
    #[inline(always)]
    pub fn snapshot() {
        let _ = raw_syscall!(sys::DEBUG_SNAPSHOT, 0u64, 0u64, [0; 4]);
    }

    /// `seL4_DebugCapIdentify`: the kernel's type tag of the cap in `cptr` (0 = null).
    #[inline(always)]
    pub fn cap_identify(cptr: u64) -> u32 {
        let (rdi, _, _) = raw_syscall!(sys::DEBUG_CAP_IDENTIFY, cptr, 0u64, [0; 4]);
        rdi as u32
    }

    /// `seL4_DebugNameThread`: name a thread in kernel messages.
    /// The name travels in the IPC buffer and is cut to fit it.
    pub fn name_thread(tcb: u64, name: &str) {
        crate::ipc_buffer::write_bytes(name.as_bytes());
        let _ = raw_syscall!(sys::DEBUG_NAME_THREAD, tcb, 0u64, [0; 4]);
    }
}
