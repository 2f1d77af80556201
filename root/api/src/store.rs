//! The `store` service's protocol: a named-object store.
//!
//! | label | request words | reply |
//! | --- | --- | --- |
//! | 1 `PUT` | w0 key length, w1 value length, key then value bytes from w2 | `OK` |
//! | 2 `GET` | w0 key length, key bytes from w1 | `OK`: w0 value length, bytes from w1 |
//! | 3 `LIST` | | `OK`: w0 count, w1 text length, names (one per line) from w2 |
//! | 4 `DELETE` | w0 key length, key bytes from w1 | `OK` |
//! | 5 `STATS` | | `OK`: w0 cache hits, w1 misses, w2 flushes, w3 cache epoch |
//! | 6 `CLOSE_SESSION` | w0 address of the session's donated memory (supervisor only) | `OK`: w0 objects dropped |
//! | 7 `OPEN_SESSION` | w0 client badge, w1 bytes donated, w2 their address in the server (supervisor only) | `OK` acknowledges the donation |
//! | 8 `TRACE` | | `OK`: w0 length, text from w1: the newest decisions served from the cache |
//! | 9 `WORK` | | `OK`: w0 ticks the store spent on `GET`s served from its cache, w1 how many; w2 ticks on `GET`s that asked the security server (without the call to it), w3 how many |
//!
//! A request on a badge with no open session is `DENIED`: the client was
//! never admitted (or its session was closed).
//!
//! Errors: `DENIED` (the policy said no), `NOT_FOUND`, `TOO_LARGE`,
//! `QUOTA_EXHAUSTED` (the session's share is used up), `BAD_REQUEST`
//! (malformed: lengths that do not fit the message, a key with characters
//! outside `[A-Za-z0-9/_.-]`).
//!
//! Each key `K` is the object `store:K` for the security server; `PUT`
//! is `create` for a new key and `write` for an existing one, `GET` is
//! `read`, `DELETE` is `delete`, `LIST` is `list` on `service:store`.

pub const PUT: u64 = 1;
pub const GET: u64 = 2;
pub const LIST: u64 = 3;
pub const DELETE: u64 = 4;
pub const STATS: u64 = 5;
/// From the supervisor only (client id 0): w0 = the address of the donated
/// memory of the session that ends (see [`crate::donation`]). Afterwards the
/// server never touches that memory again: the supervisor takes it back.
pub const CLOSE_SESSION: u64 = 6;
/// From the supervisor only: w0 = client badge, w1 = bytes donated, w2 =
/// where they are mapped in the server's donation window. The server's
/// `OK` is the acknowledgement that commits the donation. A badge that
/// already has a session (its client was updated) gets the new memory; the
/// objects kept in the old are dropped.
pub const OPEN_SESSION: u64 = 7;
/// The newest decisions served from the store's cache: `OK`, w0 length,
/// text from w1 (one `epoch E subject S op object decision cached` line each).
pub const TRACE: u64 = 8;
/// The store's own work on `GET`s (for benchmarks), in time-stamp-counter
/// ticks: w0/w1 total and count of those decided from the cache, w2/w3 of
/// those that asked the security server, without the call itself.
pub const WORK: u64 = 9;

/// Bytes of object data each client's session may hold (the memory it
/// donates to the store when it connects).
pub const SESSION_DONATION: u64 = crate::donation::SESSION_BYTES;

/// Longest key.
pub const KEY_MAX: usize = 48;
/// Longest value.
pub const VALUE_MAX: usize = 512;

/// True if `key` is 1..=KEY_MAX of `[A-Za-z0-9/_.-]`.
pub fn valid_key(key: &[u8]) -> bool {
    !key.is_empty()
        && key.len() <= KEY_MAX
        && key
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'.' | b'-'))
}
