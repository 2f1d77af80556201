//! The `resources` service: the resource manager, which owns every untyped
//! capability the root task does not keep for itself.
//!
//! At boot the root task moves the untypeds into the resource manager's
//! CNode and lists them in its boot page ([`Handover`]). From then on the
//! resource manager is the only source of memory: a resource container's
//! memory is whole chunks of [`CHUNK_BITS`] that it carves and revokes. It
//! also keeps the books of quotas and donations (`resource_mgr`).
//!
//! The chunk capabilities live in the root task's CNode (the resource
//! manager holds a capability to it, in [`ROOT_CNODE_SLOT`]): the
//! supervisor retypes the component's objects from the chunk itself, not
//! from a copy, because seL4 zeroes an untyped's used memory only when the
//! capability that was used is retyped again after all its children are
//! gone. A chunk keeps its slot for good; destroyed containers' chunks are
//! revoked and reused.
//!
//! Only the supervisor (client id 0) may call it; anyone else gets
//! `DENIED`. Every request fits in four words, so in seL4's fastpath.
//!
//! | label | request words | reply |
//! | --- | --- | --- |
//! | 1 `CREATE` | w0 chunks (1 to 64), w1 slot quota | `OK`: w0 container id; the quota is reserved, the chunks come with `CHUNK`. `QUOTA_EXHAUSTED`: the machine has not that much memory left |
//! | 2 `CHUNK` | w0 container, w1 index (< chunks), w2 a free slot of the root CNode, w3 0 or the physical address the chunk must have | `OK`: w0 the root-CNode slot holding the chunk (the one offered if the chunk is new), w1 its physical address. `BAD_REQUEST` if that memory is taken |
//! | 3 `DESTROY` | w0 container | `OK`: w0 bytes returned. Every chunk is revoked: all objects made from it are gone |
//! | 4 `BEGIN` | w0 client container, w1 server container, w2 bytes | `OK`: w0 donation id. `QUOTA_EXHAUSTED`: the client cannot afford it |
//! | 5 `COMMIT` | w0 donation | `OK` |
//! | 6 `ABORT` | w0 donation | `OK` |
//! | 7 `REVOKE` | w0 donation | `OK` |
//! | 8 `USAGE` | w0 container | `OK`: w0 quota bytes, w1 bytes lent, w2 bytes received |
//! | 9 `STATS` | | `OK`: w0 free bytes (claimed by no quota), w1 total bytes, w2 chunks carved, w3 chunks free |
//!
//! A request naming a container or donation that does not exist, or in the
//! wrong state, is `BAD_REQUEST`.

use alloc::vec::Vec;
use serde::{Deserialize, Serialize};

pub const CREATE: u64 = 1;
pub const CHUNK: u64 = 2;
pub const DESTROY: u64 = 3;
pub const BEGIN: u64 = 4;
pub const COMMIT: u64 = 5;
pub const ABORT: u64 = 6;
pub const REVOKE: u64 = 7;
pub const USAGE: u64 = 8;
pub const STATS: u64 = 9;

/// log2 of a chunk: 1 MiB, the unit of memory quotas.
pub const CHUNK_BITS: u32 = 20;
/// Bytes per chunk.
pub const CHUNK_BYTES: u64 = 1 << CHUNK_BITS;

/// First slot of the resource manager's CNode that holds a handed-over
/// untyped.
pub const UNTYPED_SLOT_BASE: u64 = 64;
/// Slot of the resource manager's CNode that holds a capability to the
/// root task's CNode, where the chunks are made.
pub const ROOT_CNODE_SLOT: u64 = 8;

/// One untyped handed to the resource manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GrantedUntyped {
    /// Slot in the resource manager's CNode.
    pub slot: u64,
    pub size_bits: u8,
    pub paddr: u64,
}

/// What the resource manager finds in its boot page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Handover {
    pub untypeds: Vec<GrantedUntyped>,
}

impl Handover {
    /// Encodes into `buf`; `None` if it does not fit.
    pub fn encode<'a>(&self, buf: &'a mut [u8]) -> Option<&'a [u8]> {
        postcard::to_slice(self, buf).ok().map(|b| &*b)
    }
    /// Decodes; `None` for bytes that are not a hand-over.
    pub fn decode(bytes: &[u8]) -> Option<Handover> {
        postcard::from_bytes(bytes).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn a_handover_survives_encoding_and_garbage_is_refused() {
        let h = Handover {
            untypeds: vec![
                GrantedUntyped {
                    slot: 64,
                    size_bits: 27,
                    paddr: 0x800_0000,
                },
                GrantedUntyped {
                    slot: 65,
                    size_bits: 20,
                    paddr: 0x10_0000,
                },
            ],
        };
        let mut buf = [0u8; 256];
        let bytes = h.encode(&mut buf).unwrap();
        assert_eq!(Handover::decode(bytes), Some(h.clone()));
        assert_eq!(Handover::decode(&[0xff; 3]), None);
        // Forty untypeds fit the boot page's state area comfortably.
        let many = Handover {
            untypeds: vec![h.untypeds[0]; 40],
        };
        let mut big = [0u8; crate::boot_page::STATE_MAX];
        assert!(many.encode(&mut big).is_some());
        let mut small = [0u8; 8];
        assert!(many.encode(&mut small).is_none());
    }
}
