//! # pride-supervisor-api: what components and their supervisor say
//!
//! Every component holds, in CSpace slot 2, a capability to the root task's
//! supervisor endpoint, badged with the component's id. The kernel sends the
//! component's faults there (labels 1-5); the component itself calls it with
//! the requests below (labels from 0x100), so a request can never be taken
//! for a fault and no component can speak for another.
//!
//! ## Requests (component → supervisor, `seL4_Call` on slot 2)
//!
//! | label | request | words in | reply label | words out |
//! | --- | --- | --- | --- | --- |
//! | 0x100 `PUTS` | print text on the console | w0 = length, w1.. = bytes (8 per word, little-endian) | `OK` | |
//! | 0x101 `PANIC` | the component panicked | as `PUTS` | none: the supervisor treats it as a fault | |
//! | 0x102 `READY` | start-up (and state restore) finished | | `OK` | |
//! | 0x103 `ALLOC_PAGES` | map n more heap pages | w0 = n | `OK` / `QUOTA_EXHAUSTED` | w0 = address of the first new page, w1 = pages mapped |
//! | 0x104 `CONNECT` | (re)connect to wanted service i | w0 = i | `OK` / `NO_SUCH_SERVICE` / `SERVICE_DOWN` | the fresh capability is in slot `SLOT_WANTED_BASE + i` |
//! | 0x105 `QUIESCED` | here is my state; I wait for the verdict | w0 = length, w1.. = state bytes | `OK` = carry on (update abandoned); no reply if replaced | |
//! | 0x106 `START_FAILED` | start-up failed (bad handed-over state) | as `PUTS` (the reason) | none | |
//! | 0x107 `EXIT` | the component is done | w0 = exit code | none | |
//! | 0x108 `PEER` | which component is at the other end of my channel? (a Microkit PD that is an object server) | w0 = channel id | `OK` / `NOT_FOUND` (no such peer, or the policy does not let it `connect` to the server's service) | w0 = the peer PD's component id (its security subject) |
//!
//! ## Supervisor → server: quiesce
//!
//! The supervisor never makes a blocking call to a component (a server
//! that needed the supervisor while serving would deadlock it). To ask a
//! server for its state it signals the component's own notification (slot
//! 5, bound to the component's thread) with [`QUIESCE_SIGNAL`]. The
//! server's next `Recv` on its service endpoint returns with that badge
//! word (so it is only ever taken between two requests), and the server
//! calls `QUIESCED` with its state.
//!
//! Client badges on a service endpoint are [`ClientBadge`]s: the client's
//! id and the server generation the connection was made with. A server
//! answers a badge of another generation with [`SERVER_RESTARTED`].
//!
//! ## Reply labels
//!
//! `OK` is 0; labels 1-10 are the kernel's error codes (a call on a revoked
//! connection gets `InvalidCapability`, 2, from the kernel itself); Pride's
//! errors start at 0x41 so that the two never mix: `BAD_REQUEST`,
//! `QUOTA_EXHAUSTED`, `NO_SUCH_SERVICE`, `SERVICE_DOWN`, `SERVER_RESTARTED`,
//! `DENIED`, `NOT_FOUND`, `TOO_LARGE`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod connections;
pub mod donation;
pub mod fs;
pub mod manifest;
pub mod net;
pub mod resources;
pub mod security;
pub mod store;

/// Reply label: success.
pub const OK: u64 = 0;
/// Reply labels 1 to this are the kernel's own error codes (`seL4_Error`):
/// a call on a capability that is no longer there (a revoked connection,
/// say) is answered by the kernel with `InvalidCapability` (2). Pride's own
/// error labels start above them so the two never mix.
pub const KERNEL_ERROR_MAX: u64 = 10;
/// Reply label: the request was malformed or not allowed.
pub const BAD_REQUEST: u64 = 0x41;
/// Reply label: the component's memory quota is used up.
pub const QUOTA_EXHAUSTED: u64 = 0x42;
/// Reply label: no wanted service with that index.
pub const NO_SUCH_SERVICE: u64 = 0x43;
/// Reply label: the service has no running server.
pub const SERVICE_DOWN: u64 = 0x44;
/// Reply label (from a server, or from the supervisor on a server's
/// behalf): the server restarted since the connection was made; call
/// `CONNECT` and try again.
pub const SERVER_RESTARTED: u64 = 0x45;

/// Reply label: the security policy does not allow it.
pub const DENIED: u64 = 0x46;
/// Reply label: no such object.
pub const NOT_FOUND: u64 = 0x47;
/// Reply label: a name or value is longer than the server accepts.
pub const TOO_LARGE: u64 = 0x48;

/// Notification word asking an object server to flush its decision cache
/// (the security policy changed) and acknowledge to the security server.
pub const FLUSH_SIGNAL: u64 = 2;
/// Badge of the security server's signal to the supervisor: a policy change
/// is settled (every object server acknowledged its flush).
pub const SETTLED_SIGNAL: u64 = 2;

/// True if `label` is a kernel error rather than a reply from the other
/// side: for a connection, it means the connection is gone (reconnect).
pub const fn is_kernel_error(label: u64) -> bool {
    label >= 1 && label <= KERNEL_ERROR_MAX
}

pub const PUTS: u64 = 0x100;
pub const PANIC: u64 = 0x101;
pub const READY: u64 = 0x102;
pub const ALLOC_PAGES: u64 = 0x103;
pub const CONNECT: u64 = 0x104;
pub const QUIESCED: u64 = 0x105;
pub const START_FAILED: u64 = 0x106;
pub const EXIT: u64 = 0x107;
pub const PEER: u64 = 0x108;

/// Notification word asking a server to hand its state over. Client
/// badges always have bit 27 set, so this word is never taken for one.
pub const QUIESCE_SIGNAL: u64 = 1;

/// Most text bytes one `PUTS` carries (119 message words after the length).
pub const PUTS_MAX: usize = 119 * 8;
/// Most state bytes a `QUIESCED` request carries.
pub const STATE_MAX: usize = 119 * 8;

/// Badge of a client's capability to a service endpoint (28 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientBadge {
    /// The client component's id (1..=0xfff).
    pub client: u16,
    /// The server generation the connection was made with (12 bits, wraps).
    pub generation: u16,
}

/// Badge bit set on every client badge, so badge 0 is the supervisor's.
const CLIENT_BIT: u64 = 1 << 27;

impl ClientBadge {
    /// The 28-bit badge word.
    pub const fn to_badge(self) -> u64 {
        CLIENT_BIT | ((self.client as u64 & 0xfff) << 12) | (self.generation as u64 & 0xfff)
    }
    /// Decodes a badge; `None` for the supervisor's badge 0 or a foreign word.
    pub const fn from_badge(badge: u64) -> Option<ClientBadge> {
        // Bits 24-26 are never set: bit 27 with bit 24 is a Microkit PPC
        // on a PD's endpoint (`microkit::PPC_BADGE`).
        if badge & CLIENT_BIT == 0 || badge & !(CLIENT_BIT | 0xff_ffff) != 0 {
            return None;
        }
        Some(ClientBadge {
            client: ((badge >> 12) & 0xfff) as u16,
            generation: (badge & 0xfff) as u16,
        })
    }
    /// True if the connection was made with server generation `generation`.
    pub const fn is_current(self, generation: u64) -> bool {
        self.generation as u64 == generation & 0xfff
    }
}

/// Packs bytes into message words (8 per word, little-endian); returns the
/// number of words written. `words` must hold `bytes.len().div_ceil(8)`.
pub fn pack_bytes(bytes: &[u8], words: &mut [u64]) -> usize {
    let n = bytes.len().div_ceil(8);
    for (i, chunk) in bytes.chunks(8).enumerate() {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        words[i] = u64::from_le_bytes(w);
    }
    n
}

/// Unpacks `len` bytes from message words into `out` (which must hold them).
/// Returns `None` if `len` exceeds what `words` or `out` hold.
pub fn unpack_bytes(words: impl Iterator<Item = u64>, len: usize, out: &mut [u8]) -> Option<&[u8]> {
    if len > out.len() {
        return None;
    }
    let mut filled = 0;
    for w in words {
        if filled >= len {
            break;
        }
        let b = w.to_le_bytes();
        let take = (len - filled).min(8);
        out[filled..filled + take].copy_from_slice(&b[..take]);
        filled += take;
    }
    (filled == len).then_some(&out[..len])
}

/// The page the supervisor maps at [`BOOT_PAGE`] in every component before
/// it starts: who it is and, after an update, the state it inherits.
///
/// Layout: w0 magic, w1 component id, w2 generation, w3 heap pages already
/// mapped, w4 state length, bytes from offset 64.
pub mod boot_page {
    /// Address of the boot page in every component.
    pub const ADDRESS: u64 = 0x1000_2000;
    /// `"PRIDEBOT"` little-endian.
    pub const MAGIC: u64 = u64::from_le_bytes(*b"PRIDEBOT");
    /// Offset of the state bytes.
    pub const STATE_OFFSET: usize = 64;
    /// Most state bytes.
    pub const STATE_MAX: usize = 4096 - STATE_OFFSET;

    /// The header fields.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
    pub struct Header {
        pub id: u64,
        pub generation: u64,
        pub state_len: u64,
        /// Heap pages already mapped at the heap base.
        pub heap_pages: u64,
    }

    /// Writes header and state into a page image. Returns false if the
    /// state does not fit.
    pub fn write(page: &mut [u8; 4096], h: &Header, state: &[u8]) -> bool {
        if state.len() > STATE_MAX {
            return false;
        }
        let words = [MAGIC, h.id, h.generation, h.heap_pages, state.len() as u64];
        for (i, w) in words.iter().enumerate() {
            page[i * 8..i * 8 + 8].copy_from_slice(&w.to_le_bytes());
        }
        page[STATE_OFFSET..STATE_OFFSET + state.len()].copy_from_slice(state);
        true
    }

    /// Reads a page image; `None` if the magic or the length is wrong.
    pub fn read(page: &[u8]) -> Option<(Header, &[u8])> {
        if page.len() < 4096 {
            return None;
        }
        let w = |i: usize| u64::from_le_bytes(page[i * 8..i * 8 + 8].try_into().unwrap_or([0; 8]));
        if w(0) != MAGIC {
            return None;
        }
        let len = w(4) as usize;
        if len > STATE_MAX {
            return None;
        }
        Some((
            Header {
                id: w(1),
                generation: w(2),
                state_len: len as u64,
                heap_pages: w(3),
            },
            &page[STATE_OFFSET..STATE_OFFSET + len],
        ))
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;

    #[test]
    fn client_badges_round_trip_and_fit_28_bits() {
        let b = ClientBadge {
            client: 0xabc,
            generation: 0x123,
        };
        assert!(b.to_badge() < 1 << 28);
        assert_eq!(ClientBadge::from_badge(b.to_badge()), Some(b));
        assert_eq!(ClientBadge::from_badge(0), None);
        assert_eq!(ClientBadge::from_badge(1 << 40), None);
        assert!(b.is_current(0x1123)); // generations wrap at 12 bits
        assert!(!b.is_current(0x124));
    }

    #[test]
    fn microkit_ppc_badges_are_not_client_badges() {
        // A PD that is also a server gets both on one endpoint: bit 27
        // with bit 24 and the channel id (`microkit::PPC_BADGE`).
        for ch in 0..26u64 {
            assert_eq!(ClientBadge::from_badge(1 << 27 | 1 << 24 | ch), None);
        }
        for client in [0u16, 1, 0xfff] {
            let b = ClientBadge {
                client,
                generation: 0xfff,
            }
            .to_badge();
            assert_eq!(b & (1 << 24 | 1 << 25 | 1 << 26), 0);
        }
    }

    #[test]
    fn pride_errors_never_look_like_kernel_errors() {
        for l in [
            OK,
            BAD_REQUEST,
            QUOTA_EXHAUSTED,
            NO_SUCH_SERVICE,
            SERVICE_DOWN,
            SERVER_RESTARTED,
            DENIED,
            NOT_FOUND,
            TOO_LARGE,
        ] {
            assert!(!is_kernel_error(l));
        }
        assert!(is_kernel_error(2)); // seL4_InvalidCapability
    }

    #[test]
    fn bytes_pack_and_unpack() {
        let mut words = [0u64; 4];
        let n = pack_bytes(b"hello, world!", &mut words);
        assert_eq!(n, 2);
        let mut out = [0u8; 32];
        assert_eq!(
            unpack_bytes(words.iter().copied(), 13, &mut out),
            Some(&b"hello, world!"[..])
        );
        // Asking for more than was sent, or than fits, is refused.
        assert_eq!(unpack_bytes(words.iter().copied().take(1), 13, &mut out), None);
        assert_eq!(unpack_bytes(words.iter().copied(), 40, &mut out), None);
    }

    #[test]
    fn boot_page_round_trip_and_validation() {
        let mut page = [0u8; 4096];
        let h = boot_page::Header {
            id: 7,
            generation: 3,
            state_len: 5,
            heap_pages: 2,
        };
        assert!(boot_page::write(&mut page, &h, b"state"));
        assert_eq!(boot_page::read(&page), Some((h, &b"state"[..])));
        let mut bad = page;
        bad[0] ^= 1;
        assert_eq!(boot_page::read(&bad), None);
        let mut long = page;
        long[32..40].copy_from_slice(&5000u64.to_le_bytes());
        assert_eq!(boot_page::read(&long), None);
        assert!(!boot_page::write(&mut page, &h, &[0u8; 4033]));
    }
}
