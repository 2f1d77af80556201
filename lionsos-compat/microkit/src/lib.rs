//! # microkit: the Microkit programming model on Pride
//!
//! A Microkit protection domain (PD) is one thread with entry points
//! `init`, `notified(channel)` and, if it serves protected procedure calls
//! (PPCs), `protected(channel, msginfo)`. This crate runs such a PD as a
//! Pride component:
//!
//! - **Rust PDs** implement [`Handler`] and call [`run`] from their
//!   `main` (entered through `pride_rt::component_entry!`);
//! - **C PDs** are compiled with gcc against `include/microkit.h` (the
//!   project's own header, with the Microkit C API's names and signatures)
//!   and linked into a binary made by [`c_protection_domain!`]: the
//!   `microkit_*` functions of the header are exported from [`c_abi`].
//!
//! ## The CSpace of a PD (laid out by the supervisor from the `.system` file)
//!
//! | slot | capability |
//! | --- | --- |
//! | [`INPUT_EP`] (1) | the PD's own endpoint: PPCs to it arrive here |
//! | 2 | the supervisor endpoint (faults, console output, `READY`) |
//! | 3 | the PD's own CNode |
//! | 5 | the PD's notification, bound to its thread |
//! | [`BASE_OUTPUT_NOTIFICATION_CAP`] + ch | notification of the PD at the other end of channel `ch`, badged with that end's channel bit |
//! | [`BASE_ENDPOINT_CAP`] + ch | endpoint of the PD at the other end, badged [`PPC_BADGE`] ` \| its channel id` (PPC) |
//! | [`BASE_IRQ_CAP`] + ch | IRQ handler of the interrupt on channel `ch` |
//! | [`BASE_IOPORT_CAP`] + id | I/O port range `id` |
//! | 40 + i | a server PD's connection to the i-th service its manifest wants (`pride_rt::supervisor::connection`) |
//!
//! The numbers are Microkit's own, so that sDDF code using the header's
//! `BASE_*_CAP` constants and libmicrokit's deferred-signal globals
//! computes the same slots.
//!
//! ## The event loop
//!
//! After `init` the PD says `READY` to the supervisor and receives on its
//! endpoint. The badge says what arrived: [`PPC_BADGE`] a PPC on channel
//! `badge & 0x3f` (answered by `protected`, replied to with the next
//! receive), otherwise notification bits, each calling `notified(bit)`. A
//! deferred notify or IRQ acknowledgement (at most one, as in libmicrokit)
//! is carried out before the next receive.
//!
//! A PD whose manifest offers a Pride service runs with [`run_server`]
//! instead: the same endpoint then also carries Pride clients' requests,
//! served by the handler's `pride_rt::server::Server` side, and policy
//! changes arrive as [`POLICY_FLUSH_BIT`].
//!
//! ## Globals the supervisor patches
//!
//! `microkit_name`, `microkit_passive` and the u64 bitmasks
//! `microkit_irqs`, `microkit_notifications`, `microkit_pps`,
//! `microkit_ioports`, as the Microkit tool does; see [`globals`].

#![no_std]

extern crate alloc;

pub mod c_abi;
pub mod globals;

use kernel_iface::cap::kind::{Endpoint, IrqHandler, Notification};
use kernel_iface::{ipc_buffer, syscall, Cap, MessageInfo};
use pride_rt::supervisor;

/// A channel id (0-61).
pub type Channel = u32;

/// The PD's own endpoint.
pub const INPUT_EP: u64 = 1;
/// First slot of the outgoing notification capabilities.
pub const BASE_OUTPUT_NOTIFICATION_CAP: u64 = 10;
/// First slot of the PPC endpoint capabilities.
pub const BASE_ENDPOINT_CAP: u64 = 74;
/// First slot of the IRQ handler capabilities.
pub const BASE_IRQ_CAP: u64 = 138;
/// First slot of the I/O port capabilities.
pub const BASE_IOPORT_CAP: u64 = 394;
/// Badge bits of a PPC on the PD's endpoint. seL4 5.0 badges have 28 bits
/// (Microkit, on newer kernels, uses bit 63), so Pride's scheme is: bits 27
/// and 24 mark a PPC, with the channel id in the low bits. A Pride client's
/// badge (`pride_supervisor_api::ClientBadge`) also has bit 27 but never
/// bit 24 (its client id fills bits 12-23), so a PD that is also a Pride
/// server ([`run_server`]) tells the two apart on the same endpoint.
pub const PPC_BADGE: u64 = 1 << 27 | 1 << 24;
/// Bit of the PD's notification word that Pride's supervisor uses for
/// itself (asking the PD to hand over, for replacement at run time).
pub const CONTROL_BIT: u64 = 1 << 26;
/// Bit of a server PD's notification word with which the supervisor tells
/// it that the security policy changed (the `FLUSH_SIGNAL` of ordinary
/// object servers, whose bit 1 is a channel here). Only PDs run with
/// [`run_server`] get it; in them channel 25 is not available.
pub const POLICY_FLUSH_BIT: u64 = 1 << 25;
/// Channels a PD may use on Pride: ids 0-25, one notification bit each,
/// below [`CONTROL_BIT`] (Microkit allows 62; the supervisor refuses a
/// `.system` file that uses more, precisely). A PD that is also a Pride
/// server has ids 0-24 ([`POLICY_FLUSH_BIT`]).
pub const MAX_CHANNELS: u32 = 26;
/// Message words a PPC carries at most, each way.
pub const MAX_PPC_WORDS: usize = 64;
/// Length of `microkit_name`.
pub const PD_NAME_LENGTH: usize = 64;

/// A PD's behaviour.
pub trait Handler {
    /// Called once, before anything else.
    fn init(&mut self);
    /// A notification on channel `ch` (notifications coalesce).
    fn notified(&mut self, ch: Channel);
    /// A PPC on channel `ch`; returns the reply's message info (words set
    /// with [`mr_set`]). PDs that serve no PPC keep the default, which
    /// answers with an error label.
    fn protected(&mut self, ch: Channel, info: MessageInfo) -> MessageInfo {
        let _ = (ch, info);
        MessageInfo::new(PPC_UNSUPPORTED, 0, 0, 0)
    }
    /// The supervisor is about to replace this PD (restart or update): put
    /// back whatever it holds that others own (sDDF buffers given to a
    /// device, say) so that the next version finds everything in the
    /// shared queues. PDs that hold nothing between events keep the default.
    fn quiesce(&mut self) {}
    /// The replacement was abandoned (the new version failed to start):
    /// carry on after [`Handler::quiesce`].
    fn resumed(&mut self) {}
}

/// What a PD hands over to its next version: a marker only (its state
/// lives in its shared regions), which tells the new version that it
/// replaces a running one (see [`is_replacement`]).
const HANDED_OVER: &[u8] = b"microkit-pd";

/// True if this PD replaces one that ran on the same queues (a restart or
/// an update), false on the system's first start. sDDF components that
/// hand out buffers at `init` (the receive virtualiser, a copier, a
/// client) must not do it again: the buffers are already in circulation.
pub fn is_replacement(boot: &pride_rt::component::Boot) -> bool {
    boot.generation > 1 || !boot.state.is_empty()
}

/// Label of the reply to a PPC the PD does not serve.
pub const PPC_UNSUPPORTED: u64 = 0xffff;

fn in_range(ch: Channel, mask: u64) -> bool {
    ch < MAX_CHANNELS && mask & (1 << ch) != 0
}

/// Signals the PD at the other end of channel `ch`. A channel that cannot
/// notify is reported on the console and ignored (as libmicrokit does).
pub fn notify(ch: Channel) {
    if !in_range(ch, globals::notifications()) {
        pride_rt::println!("{}: notify on channel {ch}, which cannot notify", globals::name());
        return;
    }
    Cap::<Notification>::from_cptr(BASE_OUTPUT_NOTIFICATION_CAP + ch as u64).signal();
}

/// Acknowledges the interrupt of channel `ch`.
pub fn irq_ack(ch: Channel) {
    if !in_range(ch, globals::irqs()) {
        pride_rt::println!("{}: irq_ack on channel {ch}, which has no IRQ", globals::name());
        return;
    }
    Cap::<IrqHandler>::from_cptr(BASE_IRQ_CAP + ch as u64).irq_handler_ack_no_reply();
}

/// Notification bits a [`wait_channel`] took that were not its own: the
/// event loop handles them before it next receives.
static PENDING: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// Blocks until channel `ch` is notified (a Pride extension: Microkit PDs
/// only ever return to the event loop). For a PD that must finish a piece
/// of work with a peer's help before it answers anything else, such as a
/// server PD reading a disk block through the block virtualiser while a
/// client waits for its reply: waiting on the endpoint instead would take
/// the next client's request and lose the reply owed to this one. Other
/// notifications that arrive meanwhile are kept and handled by the event
/// loop afterwards, in the usual way.
pub fn wait_channel(ch: Channel) {
    use core::sync::atomic::Ordering;
    let bit = 1u64 << ch;
    // An earlier wait may already have taken this channel's signal.
    if PENDING.fetch_and(!bit, Ordering::Relaxed) & bit != 0 {
        return;
    }
    let own = Cap::<Notification>::from_cptr(pride_rt::component::SLOT_NOTIFICATION);
    loop {
        let word = own.wait();
        let others = word & !bit;
        if others != 0 {
            PENDING.fetch_or(others, Ordering::Relaxed);
        }
        if word & bit != 0 {
            return;
        }
    }
}

/// Calls the PD at the other end of channel `ch` (which must have a higher
/// priority); message words are set and read with [`mr_set`]/[`mr_get`].
pub fn ppcall(ch: Channel, info: MessageInfo) -> MessageInfo {
    if !in_range(ch, globals::pps()) {
        pride_rt::println!("{}: ppcall on channel {ch}, which has no PPC", globals::name());
        return MessageInfo::new(PPC_UNSUPPORTED, 0, 0, 0);
    }
    let r = Cap::<Endpoint>::from_cptr(BASE_ENDPOINT_CAP + ch as u64).call(info, registers());
    keep_registers(&r);
    r.info
}

/// Sets message word `i` of the next message sent.
pub fn mr_set(i: usize, value: u64) {
    if i < MAX_PPC_WORDS {
        ipc_buffer::set_mr(i, value);
    }
}

/// Message word `i` of the last message received (0 beyond the limit).
pub fn mr_get(i: usize) -> u64 {
    if i < MAX_PPC_WORDS {
        ipc_buffer::get_mr(i)
    } else {
        0
    }
}

/// The first four message words, from the IPC buffer, for a system call
/// (which carries them in registers).
fn registers() -> [u64; 4] {
    [
        ipc_buffer::get_mr(0),
        ipc_buffer::get_mr(1),
        ipc_buffer::get_mr(2),
        ipc_buffer::get_mr(3),
    ]
}

/// Puts the register words of a received message where [`mr_get`] reads.
fn keep_registers(r: &syscall::Received) {
    for (i, w) in r.mrs.iter().enumerate() {
        ipc_buffer::set_mr(i, *w);
    }
}

/// Defers a notify on `ch` until the PD next waits (at most one deferred
/// action at a time: a second replaces nothing and is done at once).
pub fn deferred_notify(ch: Channel) {
    globals::defer(BASE_OUTPUT_NOTIFICATION_CAP + ch as u64, false, || notify(ch));
}

/// Defers an IRQ acknowledgement on `ch` likewise.
pub fn deferred_irq_ack(ch: Channel) {
    globals::defer(BASE_IRQ_CAP + ch as u64, true, || irq_ack(ch));
}

/// The PD's name, as the `.system` file gave it.
pub fn name() -> &'static str {
    globals::name()
}

/// Prints on the console (through the supervisor). Like any IPC, it
/// overwrites the message words: set them after printing.
pub fn dbg_puts(s: &str) {
    supervisor::puts(s);
}

/// One character of C's `microkit_dbg_putc`/`puts`, collected into lines.
fn globals_putc(c: u8) {
    static LINE: spin::Mutex<([u8; 128], usize)> = spin::Mutex::new(([0; 128], 0));
    let mut l = LINE.lock();
    let (buf, len) = &mut *l;
    if c == b'\r' {
        return;
    }
    buf[*len] = c;
    *len += 1;
    if c == b'\n' || *len == buf.len() {
        supervisor::puts(core::str::from_utf8(&buf[..*len]).unwrap_or("?\n"));
        *len = 0;
    }
}

/// Runs the PD: `init`, `READY`, then the event loop. Never returns.
pub fn run<H: Handler>(handler: H) -> ! {
    event_loop(handler, false, |_, _| None, |_| {})
}

/// Runs a PD that is also a Pride object server: its image's manifest
/// offers a service, and the supervisor made the PD's endpoint that
/// service's endpoint. Besides PPCs and notifications, the endpoint then
/// receives requests from Pride clients (connections minted by the
/// connection manager, the supervisor's own with client id 0), served by
/// the [`Server`](pride_rt::server::Server) side of `handler` exactly as
/// `pride_rt::server::serve` serves them (a connection of an earlier
/// generation is answered `SERVER_RESTARTED`); a policy change
/// ([`POLICY_FLUSH_BIT`]) reaches [`Server::on_signal`] as
/// `FLUSH_SIGNAL`. `generation` is the PD's (its `Boot`'s).
///
/// [`Server::on_signal`]: pride_rt::server::Server::on_signal
pub fn run_server<H: Handler + pride_rt::server::Server>(handler: H, generation: u64) -> ! {
    event_loop(
        handler,
        true,
        |h, r| {
            let reply = pride_rt::server::answer(h, r, generation)?;
            for (i, w) in reply.words.iter().enumerate() {
                ipc_buffer::set_mr(i, *w);
            }
            let caps = if reply.cap != 0 {
                ipc_buffer::set_cap(0, reply.cap);
                1
            } else {
                0
            };
            Some(MessageInfo::new(reply.label, 0, caps, reply.len))
        },
        |h| h.on_signal(pride_supervisor_api::FLUSH_SIGNAL),
    )
}

/// The event loop. `request` answers a message on the endpoint that is
/// neither a PPC nor a notification (a Pride client's; `None`: no reply),
/// `flush` a [`POLICY_FLUSH_BIT`] if `server` (otherwise that bit is
/// channel 25).
fn event_loop<H: Handler>(
    mut handler: H,
    server: bool,
    mut request: impl FnMut(&mut H, &syscall::Received) -> Option<MessageInfo>,
    mut flush: impl FnMut(&mut H),
) -> ! {
    handler.init();
    supervisor::ready();
    let ep = Cap::<Endpoint>::from_cptr(INPUT_EP);
    let mut reply: Option<MessageInfo> = None;
    loop {
        globals::flush_deferred();
        let pending = PENDING.swap(0, core::sync::atomic::Ordering::Relaxed);
        let r = match (reply.take(), pending) {
            (Some(info), 0) => ep.reply_recv(info, registers()),
            (None, 0) => ep.recv(),
            (reply, bits) => {
                // Signals a `wait_channel` kept: send the reply owed
                // first, then handle them as if they had just arrived.
                if let Some(info) = reply {
                    syscall::reply(info, registers());
                }
                syscall::Received {
                    badge: bits,
                    info: MessageInfo::new(0, 0, 0, 0),
                    mrs: [0; 4],
                }
            }
        };
        if r.badge & PPC_BADGE == PPC_BADGE {
            keep_registers(&r);
            let ch = (r.badge & 0x3f) as Channel;
            reply = Some(handler.protected(ch, r.info));
            continue;
        }
        if r.badge == 0 || r.badge & (1 << 27) != 0 {
            // A message, not a signal: a Pride client's (or, badge 0, a
            // holder of the unbadged endpoint, which only a server PD's
            // supervisor has).
            reply = request(&mut handler, &r);
            continue;
        }
        if r.badge & CONTROL_BIT != 0 {
            // The supervisor is replacing this PD by a new version: stop
            // here, between two events (the PD's state lives in its shared
            // regions, so there is nothing else to hand over). Returns if
            // the update was abandoned.
            handler.quiesce();
            supervisor::quiesced(HANDED_OVER);
            handler.resumed();
        }
        let mut bits = r.badge & !CONTROL_BIT;
        if server && bits & POLICY_FLUSH_BIT != 0 {
            bits &= !POLICY_FLUSH_BIT;
            flush(&mut handler);
        }
        while bits != 0 {
            let ch = bits.trailing_zeros();
            bits &= bits - 1;
            if ch < MAX_CHANNELS {
                handler.notified(ch);
            }
        }
    }
}

/// A memory region the `.system` file maps into this PD (and others), at
/// the address the supervisor patched into a `setvar_vaddr` variable.
/// Accesses are volatile and bounds-checked: another PD may change the
/// memory at any time, and a region that was not mapped (address 0) has
/// no bytes.
#[derive(Clone, Copy, Debug)]
pub struct SharedRegion {
    base: usize,
    len: usize,
}

impl SharedRegion {
    /// The region of `len` bytes whose address the supervisor wrote into
    /// `var` (a `#[no_mangle]` static named as the map's `setvar_vaddr`).
    pub fn from_setvar(var: &core::sync::atomic::AtomicU64, len: usize) -> SharedRegion {
        let base = var.load(core::sync::atomic::Ordering::Relaxed) as usize;
        SharedRegion {
            base,
            len: if base == 0 { 0 } else { len },
        }
    }

    /// Bytes in the region.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if the region was not mapped.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    fn word(&self, offset: usize) -> Option<*mut u64> {
        (offset.is_multiple_of(8) && offset.checked_add(8)? <= self.len).then_some((self.base + offset) as *mut u64)
    }

    /// The aligned word at `offset`; `None` outside the region.
    pub fn read_u64(&self, offset: usize) -> Option<u64> {
        // SAFETY: `word` checked that the 8 aligned bytes lie inside the
        // region, which the supervisor mapped at `base` for the PD's
        // lifetime (the setvar contract); volatile because other PDs write it.
        self.word(offset).map(|p| unsafe { p.read_volatile() })
    }

    /// Writes the aligned word at `offset`; false outside the region.
    pub fn write_u64(&self, offset: usize, value: u64) -> bool {
        // SAFETY: as in `read_u64`; the map is writable if the `.system`
        // file says so (a write to a read-only map faults: the PD's bug).
        self.word(offset).map(|p| unsafe { p.write_volatile(value) }).is_some()
    }
}

impl SharedRegion {
    /// The region a configuration blob names (an sDDF `region_resource`:
    /// the address the supervisor mapped it at in this PD, and its size).
    pub fn from_resource(r: &sddf::config::RegionResource) -> SharedRegion {
        SharedRegion {
            base: r.vaddr as usize,
            len: if r.vaddr == 0 { 0 } else { r.size as usize },
        }
    }

    #[inline]
    fn at<T>(&self, offset: usize) -> *mut T {
        let size = core::mem::size_of::<T>();
        assert!(
            offset.checked_add(size).is_some_and(|end| end <= self.len) && offset.is_multiple_of(size),
            "shared-region access at {offset} outside its {} bytes",
            self.len
        );
        (self.base + offset) as *mut T
    }

    /// The address of `len` bytes at `offset`, which must lie inside the
    /// region.
    fn span(&self, offset: usize, len: usize) -> *mut u8 {
        assert!(
            offset.checked_add(len).is_some_and(|end| end <= self.len),
            "shared-region copy of {len} bytes at {offset} outside its {} bytes",
            self.len
        );
        (self.base + offset) as *mut u8
    }
}

/// sDDF queues over a region: every access volatile (another PD writes the
/// memory), every offset checked (the queues check sizes once, but a bug
/// must fault here, not corrupt a neighbour).
impl sddf::shared::SharedMemory for SharedRegion {
    #[inline]
    fn size(&self) -> usize {
        self.len
    }
    #[inline]
    fn load_u8(&self, offset: usize) -> u8 {
        // SAFETY: `at` checked bounds and alignment within the mapped region.
        unsafe { self.at::<u8>(offset).read_volatile() }
    }
    #[inline]
    fn load_u16(&self, offset: usize) -> u16 {
        // SAFETY: as in `load_u8`.
        unsafe { self.at::<u16>(offset).read_volatile() }
    }
    #[inline]
    fn load_u32(&self, offset: usize) -> u32 {
        // SAFETY: as in `load_u8`.
        unsafe { self.at::<u32>(offset).read_volatile() }
    }
    #[inline]
    fn load_u64(&self, offset: usize) -> u64 {
        // SAFETY: as in `load_u8`.
        unsafe { self.at::<u64>(offset).read_volatile() }
    }
    #[inline]
    fn store_u8(&mut self, offset: usize, value: u8) {
        // SAFETY: as in `load_u8`.
        unsafe { self.at::<u8>(offset).write_volatile(value) }
    }
    #[inline]
    fn store_u16(&mut self, offset: usize, value: u16) {
        // SAFETY: as in `load_u8`.
        unsafe { self.at::<u16>(offset).write_volatile(value) }
    }
    #[inline]
    fn store_u32(&mut self, offset: usize, value: u32) {
        // SAFETY: as in `load_u8`.
        unsafe { self.at::<u32>(offset).write_volatile(value) }
    }
    #[inline]
    fn store_u64(&mut self, offset: usize, value: u64) {
        // SAFETY: as in `load_u8`.
        unsafe { self.at::<u64>(offset).write_volatile(value) }
    }
    #[inline]
    fn fence(&self, kind: sddf::shared::Fence) {
        use core::sync::atomic::{fence, Ordering};
        fence(match kind {
            sddf::shared::Fence::Release => Ordering::Release,
            sddf::shared::Fence::Acquire => Ordering::Acquire,
            sddf::shared::Fence::SeqCst => Ordering::SeqCst,
        });
    }
    /// One bounds check, then a bulk copy (packet data: the queue protocol
    /// gives the buffer to one side at a time, with fences around the
    /// hand-over, so nothing writes it while it is read).
    fn load_bytes(&self, offset: usize, out: &mut [u8]) {
        let src = self.span(offset, out.len());
        // SAFETY: `span` checked that the bytes lie inside the mapped region;
        // `out` is the PD's own memory, not part of any shared region.
        unsafe { core::ptr::copy_nonoverlapping(src, out.as_mut_ptr(), out.len()) }
    }
    fn store_bytes(&mut self, offset: usize, data: &[u8]) {
        let dst = self.span(offset, data.len());
        // SAFETY: as in `load_bytes`; a read-only map faults (the PD's bug).
        unsafe { core::ptr::copy_nonoverlapping(data.as_ptr(), dst, data.len()) }
    }
}

/// An sDDF configuration section: `N` bytes the supervisor fills with the
/// system description's blob before the PD starts. Declare it with
/// [`config_section!`] and read it with [`ConfigSection::bytes`].
#[repr(C, align(8))]
pub struct ConfigSection<const N: usize>(core::cell::UnsafeCell<[u8; N]>);

// SAFETY: written only by the supervisor before the PD's one thread runs;
// afterwards only read (volatile, so the zeros it was compiled with are
// never assumed).
unsafe impl<const N: usize> Sync for ConfigSection<N> {}

impl<const N: usize> ConfigSection<N> {
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        ConfigSection(core::cell::UnsafeCell::new([0; N]))
    }

    /// A copy of the blob.
    pub fn bytes(&'static self) -> alloc::vec::Vec<u8> {
        let p = self.0.get() as *const u8;
        // SAFETY: `p` points to N bytes of this static, which nothing writes
        // while the PD runs (see the `Sync` impl).
        (0..N).map(|i| unsafe { p.add(i).read_volatile() }).collect()
    }
}

/// Declares `setvar` symbols: exported `u64`s, named as in the `.system`
/// file, that the supervisor patches with an address, a size or a physical
/// address before the PD starts (read them with `load`, or
/// [`SharedRegion::from_setvar`]). The one place a PD's `#[no_mangle]`
/// lives.
#[macro_export]
macro_rules! setvar {
    ($($(#[$doc:meta])* $name:ident),+ $(,)?) => {
        $(
            $(#[$doc])*
            // SAFETY: an exported symbol that the supervisor writes before
            // the PD starts (the Microkit `setvar_vaddr` / `setvar_size` /
            // `region_paddr` contract), named as in the `.system` file;
            // nothing else in the program defines it, and it is only read,
            // atomically.
            #[allow(unsafe_code, non_upper_case_globals)]
            #[unsafe(no_mangle)]
            static $name: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);
        )+
    };
}

/// Declares the sDDF configuration section `$section` of `$size` bytes as
/// the static `$name` (what an sDDF C component declares with
/// `__attribute__((__section__(...)))`).
#[macro_export]
macro_rules! config_section {
    ($name:ident, $section:literal, $size:expr) => {
        #[unsafe(link_section = $section)]
        #[used]
        static $name: $crate::ConfigSection<{ $size }> = $crate::ConfigSection::new();
    };
}
