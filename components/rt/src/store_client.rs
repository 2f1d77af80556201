//! The client side of the `store` protocol
//! (`pride_supervisor_api::store`): one function per request, for the
//! shell in the root task and for components alike. Each returns the
//! reply label (`OK` or the error) and, where the reply carries data, the
//! bytes copied into the caller's buffer (cut to its length).

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::{Cap, MessageInfo};
use pride_supervisor_api::store as proto;
use pride_supervisor_api::{OK, TOO_LARGE};

use crate::msg::{self, Outgoing};

/// `PUT key value`. Too long a key or value is `TOO_LARGE` without a call.
pub fn put(conn: Cap<Endpoint>, key: &str, value: &[u8]) -> u64 {
    if key.len() > proto::KEY_MAX || value.len() > proto::VALUE_MAX {
        return TOO_LARGE;
    }
    let mut joined = [0u8; proto::KEY_MAX + proto::VALUE_MAX];
    joined[..key.len()].copy_from_slice(key.as_bytes());
    joined[key.len()..key.len() + value.len()].copy_from_slice(value);
    let mut m = Outgoing::new();
    m.word(key.len() as u64)
        .word(value.len() as u64)
        .bytes(&joined[..key.len() + value.len()]);
    m.call(conn, proto::PUT).info.label()
}

/// `GET key`: the label, and the value in `out` when it is `OK`.
pub fn get<'a>(conn: Cap<Endpoint>, key: &str, out: &'a mut [u8]) -> (u64, &'a [u8]) {
    let mut m = Outgoing::new();
    m.word(key.len() as u64).bytes(key.as_bytes());
    let r = m.call(conn, proto::GET);
    let label = r.info.label();
    if label != OK {
        return (label, &[]);
    }
    let len = (msg::word(&r, 0).unwrap_or(0) as usize).min(out.len());
    (label, msg::bytes(&r, 1, len, out).unwrap_or(&[]))
}

/// `DELETE key`.
pub fn delete(conn: Cap<Endpoint>, key: &str) -> u64 {
    let mut m = Outgoing::new();
    m.word(key.len() as u64).bytes(key.as_bytes());
    m.call(conn, proto::DELETE).info.label()
}

/// `LIST`: the label, and the names (one per line) in `out`.
pub fn list(conn: Cap<Endpoint>, out: &mut [u8]) -> (u64, &[u8]) {
    let r = conn.call(MessageInfo::new(proto::LIST, 0, 0, 0), [0; 4]);
    let label = r.info.label();
    if label != OK {
        return (label, &[]);
    }
    let len = (msg::word(&r, 1).unwrap_or(0) as usize).min(out.len());
    (label, msg::bytes(&r, 2, len, out).unwrap_or(&[]))
}
