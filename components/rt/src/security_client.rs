//! What an object server asks the security server (protocol:
//! `pride_supervisor_api::security`), over the connection its manifest's
//! `wants = ["security"]` gave it.

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::{Cap, MessageInfo};
use pride_supervisor_api::{security as sec, OK};

use crate::msg::Outgoing;

/// Registers this server with the security server (it will be told about
/// policy changes); returns the policy epoch in force, `None` if refused.
pub fn register(security: Cap<Endpoint>) -> Option<u64> {
    let r = security.call(MessageInfo::new(sec::REGISTER, 0, 0, 0), [0; 4]);
    (r.info.label() == OK).then_some(r.mrs[0])
}

/// Asks whether `subject` may do operation `op` (its wire number) on
/// `object`: `(allowed, epoch, cacheable)`, or `None` if the security
/// server did not answer.
pub fn decide(security: Cap<Endpoint>, subject: u32, op: u8, object: &str) -> Option<(bool, u64, bool)> {
    let mut m = Outgoing::new();
    m.word(sec::header(subject, op, object.len())).bytes(object.as_bytes());
    let r = m.call(security, sec::DECIDE);
    (r.info.label() == OK).then_some((r.mrs[0] == 1, r.mrs[1], r.mrs[2] == 1))
}

/// Acknowledges a policy change (after emptying the decision cache);
/// returns the new epoch, `None` if the security server did not take it.
pub fn acknowledge_flush(security: Cap<Endpoint>) -> Option<u64> {
    let r = Outgoing::new().word(u64::MAX).call(security, sec::ACK);
    (r.info.label() == OK).then_some(r.mrs[0])
}
