//! The `connections` service: the connection manager.
//!
//! Servers' names are registered with it (by the supervisor, which owns the
//! service endpoints and hands each over with `REGISTER`). The supervisor
//! asks it for every connection a component (or the shell) wants: it asks
//! the security server whether the client's label may `connect` to
//! `service:NAME`, and on allow mints a copy of the service endpoint badged
//! with the client's [`crate::ClientBadge`] and sends it back; the
//! supervisor moves it into the client's CSpace. The minted capability
//! stays the parent of the client's copy, so closing or withdrawing the
//! session here revokes it: the client's next call is refused by the
//! kernel.
//!
//! Its connection to the security server is in slot
//! [`SECURITY_SLOT`], minted by the supervisor with the supervisor's own
//! client id (only it may teach labels) whenever a security server starts.
//!
//! Only the supervisor (client id 0) may call it; anyone else gets
//! `DENIED`. Names are at most [`NAME_MAX`] bytes, labels at most
//! `security::LABEL_MAX`.
//!
//! | label | request words | reply |
//! | --- | --- | --- |
//! | 1 `REGISTER` | w0 server id, w1 name length, name from w2; the service endpoint as a capability | `OK` |
//! | 2 `CONNECT` | w0 client id, w1 server generation, w2 1 = ask the security server (0 = there is none: allow), w3 name length, w4 label length, name then label from w5 | `OK`: w0 badge, w1 session id, with the badged endpoint. `DENIED`, `NO_SUCH_SERVICE` |
//! | 3 `CLOSE` | w0 client id, w1 name length, name from w2 | `OK`: w0 sessions ended (capability revoked) |
//! | 4 `CLOSE_CLIENT` | w0 client id | `OK`: w0 sessions ended (revoked) |
//! | 5 `FORGET_SERVER` | w0 server id | `OK`: w0 sessions forgotten; their capabilities are left to the clients, whose calls now get `SERVER_RESTARTED` |
//! | 6 `UNREGISTER` | w0 name length, name from w1 | `OK`: w0 sessions ended; the endpoint is dropped |
//! | 7 `RECHECK` | w0 first session id to check | asks the security server about each session from there; the first one it now denies is withdrawn (revoked): `OK` w0 1, w1 client, w2 next session id, w3 name length, name from w4. None left: `OK` w0 0 |
//! | 8 `SESSION` | w0 first session id | the first live session from there: `OK` w0 session id, w1 client, w2 badge, w3 name length, name from w4. None: `NOT_FOUND` |

pub const REGISTER: u64 = 1;
pub const CONNECT: u64 = 2;
pub const CLOSE: u64 = 3;
pub const CLOSE_CLIENT: u64 = 4;
pub const FORGET_SERVER: u64 = 5;
pub const UNREGISTER: u64 = 6;
pub const RECHECK: u64 = 7;
pub const SESSION: u64 = 8;

/// Longest service name.
pub const NAME_MAX: usize = crate::manifest::NAME_MAX;
/// Slot of the connection manager's CNode holding its connection to the
/// security server.
pub const SECURITY_SLOT: u64 = 16;
