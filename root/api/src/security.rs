//! The security service's protocol (service `security`, served by the
//! `security` component; the module in force is chosen by its image,
//! `policy-MODULE`).
//!
//! | label | request words | reply |
//! | --- | --- | --- |
//! | 1 `DECIDE` | w0 = [`header`] (subject id, operation, object length), object bytes from w1 | `OK`: w0 1 allow / 0 deny, w1 epoch, w2 1 if cacheable |
//! | 2 `DECIDE_LABELLED` | as `DECIDE`, then the label length and the label bytes after the object's words | as `DECIDE`; also teaches the server the subject's label (only the supervisor may send it) |
//! | 3 `ACK` | w0 epoch the server flushed to | `OK`: w0 current epoch |
//! | 4 `REGISTER` | | `OK`: w0 current epoch; the caller caches decisions and must be waited for on a swap |
//! | 5 `SHOW` | | `OK`: w0 length, text from w1 (module, epoch, waiting servers, rules) |
//! | 6 `LOG` | | `OK`: w0 length, text from w1 (the newest decisions) |
//! | 7 `STATUS` | | `OK`: w0 epoch, w1 1 if settled, w2 decisions made, w3 ticks spent on `DECIDE` requests (user mode, receive to reply) |
//!
//! Subjects are component ids; the supervisor (the only holder of a badge
//! with client id 0) teaches the server each subject's label with
//! `DECIDE_LABELLED` when it first asks about a connection. A subject whose
//! label the server does not know is denied everything.

/// `DECIDE`'s first word: subject id (bits 0-31), operation (32-39), object
/// length (40-47). An object name of up to 24 bytes then fits the three
/// other register words, so the call takes seL4's fastpath.
pub const fn header(subject: u32, op: u8, object_len: usize) -> u64 {
    subject as u64 | (op as u64) << 32 | ((object_len as u64) & 0xff) << 40
}

/// (subject, operation, object length) of a `DECIDE` header; `None` if
/// reserved bits are set.
pub const fn parse_header(w: u64) -> Option<(u32, u8, usize)> {
    if w >> 48 != 0 {
        return None;
    }
    Some((w as u32, (w >> 32) as u8, ((w >> 40) & 0xff) as usize))
}

pub const DECIDE: u64 = 1;
pub const DECIDE_LABELLED: u64 = 2;
pub const ACK: u64 = 3;
pub const REGISTER: u64 = 4;
pub const SHOW: u64 = 5;
pub const LOG: u64 = 6;
pub const STATUS: u64 = 7;

/// Longest object name in a request.
pub const OBJECT_MAX: usize = 64;
/// Longest label in a request.
pub const LABEL_MAX: usize = 96;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_round_trip_and_refuse_reserved_bits() {
        let h = header(0xffe, 3, 19);
        assert_eq!(parse_header(h), Some((0xffe, 3, 19)));
        assert_eq!(parse_header(h | 1 << 50), None);
    }
}
