//! The security service's protocol (service `security`, served by the
//! `security` component; the module in force is chosen by its image,
//! `policy-MODULE`).
//!
//! | label | request words | reply |
//! | --- | --- | --- |
//! | 1 `DECIDE` | w0 subject id, w1 operation, w2 object length, object bytes from w3 | `OK`: w0 1 allow / 0 deny, w1 epoch, w2 1 if cacheable |
//! | 2 `DECIDE_LABELLED` | as `DECIDE`, then w3 label length, label bytes after the object's | as `DECIDE`; also teaches the server the subject's label (only the supervisor may send it) |
//! | 3 `ACK` | w0 epoch the server flushed to | `OK`: w0 current epoch |
//! | 4 `REGISTER` | | `OK`: w0 current epoch; the caller caches decisions and must be waited for on a swap |
//! | 5 `SHOW` | | `OK`: w0 length, text from w1 (module, epoch, waiting servers, rules) |
//! | 6 `LOG` | | `OK`: w0 length, text from w1 (the newest decisions) |
//! | 7 `STATUS` | | `OK`: w0 epoch, w1 1 if settled, w2 decisions made |
//!
//! Subjects are component ids; the supervisor (the only holder of a badge
//! with client id 0) teaches the server each subject's label with
//! `DECIDE_LABELLED` when it first asks about a connection. A subject whose
//! label the server does not know is denied everything.

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
