//! Requests to the supervisor (the root task) over the supervisor endpoint
//! in slot 2. The protocol is `pride_supervisor_api`'s table.

use core::fmt::Write;

use kernel_iface::cap::kind::{Endpoint, Notification};
use kernel_iface::{ipc_buffer, Cap, MessageInfo};
use pride_supervisor_api as api;

use crate::component::{SLOT_NOTIFICATION, SLOT_SUPERVISOR_EP, SLOT_WANTED_BASE};

fn endpoint() -> Cap<Endpoint> {
    Cap::from_cptr(SLOT_SUPERVISOR_EP)
}

/// Sends `label` with a byte string (w0 = length, bytes from w1).
fn call_with_bytes(label: u64, bytes: &[u8]) -> u64 {
    let bytes = &bytes[..bytes.len().min(api::PUTS_MAX)];
    let mut words = [0u64; 119];
    let n = api::pack_bytes(bytes, &mut words);
    let mut mrs = [bytes.len() as u64, 0, 0, 0];
    for (i, &w) in words[..n].iter().enumerate() {
        if i + 1 < 4 {
            mrs[i + 1] = w;
        } else {
            ipc_buffer::set_mr(i + 1, w);
        }
    }
    let r = endpoint().call(MessageInfo::new(label, 0, 0, 1 + n as u64), mrs);
    r.info.label()
}

/// Prints text on the console (the supervisor prefixes the component's name).
pub fn puts(s: &str) {
    for chunk in s.as_bytes().chunks(api::PUTS_MAX) {
        call_with_bytes(api::PUTS, chunk);
    }
}

/// A fixed buffer that formats text and sends it with one `PUTS` when full
/// or dropped.
pub struct Console {
    buf: [u8; api::PUTS_MAX],
    len: usize,
}

impl Console {
    pub const fn new() -> Console {
        Console {
            buf: [0; api::PUTS_MAX],
            len: 0,
        }
    }
    /// Sends what is buffered.
    pub fn flush(&mut self) {
        if self.len > 0 {
            call_with_bytes(api::PUTS, &self.buf[..self.len]);
            self.len = 0;
        }
    }
    /// The buffered bytes (for the panic handler).
    pub fn bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

impl Default for Console {
    fn default() -> Self {
        Console::new()
    }
}

impl Write for Console {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for &b in s.as_bytes() {
            if self.len == self.buf.len() {
                self.flush();
            }
            self.buf[self.len] = b;
            self.len += 1;
        }
        Ok(())
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        self.flush();
    }
}

/// `print!` for components: formatted text to the console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let mut c = $crate::supervisor::Console::new();
        let _ = write!(c, $($arg)*);
    }};
}

/// `println!` for components.
#[macro_export]
macro_rules! println {
    ($($arg:tt)*) => {{
        use core::fmt::Write as _;
        let mut c = $crate::supervisor::Console::new();
        let _ = writeln!(c, $($arg)*);
    }};
}

/// Hands `state` (at most `STATE_MAX` bytes) to the supervisor in a
/// `QUIESCED` call and waits for the verdict: returns only if the update
/// was abandoned (if the new version took over, this one never runs again).
pub fn quiesced(state: &[u8]) {
    let n = state.len().min(api::STATE_MAX);
    let mut words = [0u64; 119];
    let count = api::pack_bytes(&state[..n], &mut words);
    let mut mrs = [n as u64, 0, 0, 0];
    for (i, &w) in words[..count].iter().enumerate() {
        if i + 1 < 4 {
            mrs[i + 1] = w;
        } else {
            ipc_buffer::set_mr(i + 1, w);
        }
    }
    endpoint().call(MessageInfo::new(api::QUIESCED, 0, 0, 1 + count as u64), mrs);
}

/// Tells the supervisor start-up is complete (an update waits for this).
pub fn ready() {
    endpoint().call(MessageInfo::new(api::READY, 0, 0, 0), [0; 4]);
}

/// Tells the supervisor start-up failed, with the reason; does not return
/// (the supervisor stops the component).
pub fn start_failed(reason: &str) -> ! {
    call_with_bytes(api::START_FAILED, reason.as_bytes());
    wait_forever()
}

/// Reports a panic message; does not return.
pub fn report_panic(message: &[u8]) -> ! {
    call_with_bytes(api::PANIC, message);
    wait_forever()
}

/// Ends the component with an exit code; does not return.
pub fn exit(code: u64) -> ! {
    endpoint().call(MessageInfo::new(api::EXIT, 0, 0, 1), [code, 0, 0, 0]);
    wait_forever()
}

/// The quota has no room for the pages asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QuotaExhausted;

/// Asks for `pages` more heap pages; returns the address of the first.
pub fn alloc_pages(pages: u64) -> Result<u64, QuotaExhausted> {
    let r = endpoint().call(MessageInfo::new(api::ALLOC_PAGES, 0, 0, 1), [pages, 0, 0, 0]);
    if r.info.label() == api::OK && r.mrs[1] == pages {
        Ok(r.mrs[0])
    } else {
        Err(QuotaExhausted)
    }
}

/// Why a connection could not be made.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConnectError {
    /// The manifest does not list a wanted service with this index.
    NoSuchService,
    /// The service has no running server now.
    ServiceDown,
    /// The supervisor answered something else.
    Refused(u64),
}

/// (Re)connects to the `index`-th wanted service; the capability lands in
/// `SLOT_WANTED_BASE + index` (replacing a stale one).
pub fn connect(index: u64) -> Result<Cap<Endpoint>, ConnectError> {
    let r = endpoint().call(MessageInfo::new(api::CONNECT, 0, 0, 1), [index, 0, 0, 0]);
    match r.info.label() {
        api::OK => Ok(Cap::from_cptr(SLOT_WANTED_BASE + index)),
        api::NO_SUCH_SERVICE => Err(ConnectError::NoSuchService),
        api::SERVICE_DOWN => Err(ConnectError::ServiceDown),
        other => Err(ConnectError::Refused(other)),
    }
}

/// For a Microkit PD: the component id (security subject) of the PD at
/// the other end of its channel `ch`, if the supervisor knows one.
pub fn channel_peer(ch: u64) -> Option<u32> {
    let r = endpoint().call(MessageInfo::new(api::PEER, 0, 0, 1), [ch, 0, 0, 0]);
    (r.info.label() == api::OK).then(|| r.mrs[0] as u32)
}

/// The connection slot of the `index`-th wanted service (made at launch).
pub fn connection(index: u64) -> Cap<Endpoint> {
    Cap::from_cptr(SLOT_WANTED_BASE + index)
}

/// Blocks for good (on the component's own notification, which nobody
/// signals unless the component gives it away).
pub fn wait_forever() -> ! {
    let n: Cap<Notification> = Cap::from_cptr(SLOT_NOTIFICATION);
    loop {
        n.wait();
    }
}
