//! The components' panic handler: the message goes to the supervisor,
//! which reports it with the component's name and applies the restart
//! policy, as for a fault.

use core::fmt::Write;

use crate::supervisor::{self, Console};

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    let mut msg = Console::new();
    let _ = write!(msg, "{}", info.message());
    if let Some(loc) = info.location() {
        let _ = write!(msg, " at {}:{}", loc.file(), loc.line());
    }
    let bytes = msg.bytes();
    let mut copy = [0u8; pride_supervisor_api::PUTS_MAX];
    let n = bytes.len().min(copy.len());
    copy[..n].copy_from_slice(&bytes[..n]);
    core::mem::forget(msg); // do not send it as console output too
    supervisor::report_panic(&copy[..n])
}
