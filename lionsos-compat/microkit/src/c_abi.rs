//! The C ABI: the functions `include/microkit.h` declares, with the
//! Microkit C API's names and signatures, so that C sources written for
//! Microkit compile against the header and link with this crate.
//!
//! `seL4_MessageInfo_t` is a struct of one word, passed and returned in a
//! register like a `u64`; `microkit_channel` is an `unsigned int`.

use kernel_iface::MessageInfo;

use crate::{Channel, Handler};

/// The entry points of a C PD, as function pointers (so this crate has no
/// undefined symbols of its own: a Rust PD links without them).
#[derive(Clone, Copy)]
pub struct CEntries {
    pub init: unsafe extern "C" fn(),
    pub notified: unsafe extern "C" fn(Channel),
    pub protected: unsafe extern "C" fn(Channel, u64) -> u64,
}

/// A PD whose entry points are C functions.
pub struct CHandler(pub CEntries);

impl Handler for CHandler {
    fn init(&mut self) {
        // SAFETY: the C PD defines `void init(void)` (the header declares
        // it); it runs on this thread with the runtime initialised.
        unsafe { (self.0.init)() }
    }
    fn notified(&mut self, ch: Channel) {
        // SAFETY: as above, for `void notified(microkit_channel)`.
        unsafe { (self.0.notified)(ch) }
    }
    fn protected(&mut self, ch: Channel, info: MessageInfo) -> MessageInfo {
        // SAFETY: as above, for `microkit_msginfo protected(microkit_channel,
        // microkit_msginfo)`; `c/defaults.c` links a weak default that
        // answers with an error label if the PD does not define it.
        MessageInfo(unsafe { (self.0.protected)(ch, info.0) })
    }
}

/// The whole `main` of a PD written in C: declares the C entry points and
/// runs them. The PD's crate compiles its C sources and `c/defaults.c`
/// with gcc (see its build script) and links them.
#[macro_export]
macro_rules! c_protection_domain {
    () => {
        extern "C" {
            fn init();
            fn notified(ch: u32);
            fn protected(ch: u32, msginfo: u64) -> u64;
        }
        pride_rt::component_entry!(__microkit_c_main);
        fn __microkit_c_main(boot: pride_rt::component::Boot) -> ! {
            $crate::c_abi::set_replacement($crate::is_replacement(&boot));
            $crate::run($crate::c_abi::CHandler($crate::c_abi::CEntries {
                init,
                notified,
                protected,
            }))
        }
    };
}

static REPLACEMENT: core::sync::atomic::AtomicBool = core::sync::atomic::AtomicBool::new(false);

/// Records whether this C PD replaces a running one (see
/// [`crate::is_replacement`]); called by [`c_protection_domain!`].
pub fn set_replacement(replacement: bool) {
    REPLACEMENT.store(replacement, core::sync::atomic::Ordering::Relaxed);
}

/// Pride's one addition to the Microkit C API: true if this PD replaces
/// one that ran on the same queues (restart or update), so `init` must not
/// hand out buffers again.
#[no_mangle]
pub extern "C" fn pride_microkit_is_replacement() -> bool {
    REPLACEMENT.load(core::sync::atomic::Ordering::Relaxed)
}

#[no_mangle]
pub extern "C" fn microkit_notify(ch: Channel) {
    crate::notify(ch)
}

#[no_mangle]
pub extern "C" fn microkit_irq_ack(ch: Channel) {
    crate::irq_ack(ch)
}

#[no_mangle]
pub extern "C" fn microkit_ppcall(ch: Channel, msginfo: u64) -> u64 {
    crate::ppcall(ch, MessageInfo(msginfo)).0
}

#[no_mangle]
pub extern "C" fn microkit_deferred_notify(ch: Channel) {
    crate::deferred_notify(ch)
}

#[no_mangle]
pub extern "C" fn microkit_deferred_irq_ack(ch: Channel) {
    crate::deferred_irq_ack(ch)
}

#[no_mangle]
pub extern "C" fn microkit_mr_set(mr: u8, value: u64) {
    crate::mr_set(mr as usize, value)
}

#[no_mangle]
pub extern "C" fn microkit_mr_get(mr: u8) -> u64 {
    crate::mr_get(mr as usize)
}

/// `seL4_SetMR` / `seL4_GetMR`, for sDDF code that uses them directly.
#[no_mangle]
pub extern "C" fn pride_microkit_set_mr(i: i32, value: u64) {
    if i >= 0 {
        crate::mr_set(i as usize, value)
    }
}

#[no_mangle]
pub extern "C" fn pride_microkit_get_mr(i: i32) -> u64 {
    if i >= 0 {
        crate::mr_get(i as usize)
    } else {
        0
    }
}

/// Prints one character (buffered by line, as the console is).
#[no_mangle]
pub extern "C" fn microkit_dbg_putc(c: i32) {
    crate::globals_putc(c as u8);
}

/// Prints a NUL-terminated string.
///
/// # Safety
/// `s` points to a NUL-terminated string (the C contract).
#[no_mangle]
pub unsafe extern "C" fn microkit_dbg_puts(s: *const u8) {
    if s.is_null() {
        return;
    }
    let mut i = 0;
    loop {
        // SAFETY: the caller passes a NUL-terminated string; we stop at NUL.
        let c = unsafe { s.add(i).read() };
        if c == 0 {
            break;
        }
        crate::globals_putc(c);
        i += 1;
    }
}

/// Stopping or restarting a child PD: Pride's PDs have no children (the
/// supervisor restarts components), so these print and do nothing.
#[no_mangle]
pub extern "C" fn microkit_pd_restart(child: u32, _entry: u64) {
    pride_rt::println!("{}: microkit_pd_restart({child}): no child PDs on Pride", crate::name());
}

#[no_mangle]
pub extern "C" fn microkit_pd_stop(child: u32) {
    pride_rt::println!("{}: microkit_pd_stop({child}): no child PDs on Pride", crate::name());
}
