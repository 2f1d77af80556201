//! The configuration blobs LionsOS file-system components receive:
//! `fs_server_config_t` and `fs_client_config_t` of
//! `include/lions/fs/config.h`, as the sdfgen tool writes them.
//!
//! A server declares `fs_server_config_t fs_config` in the section
//! `.fs_server_config`, a client `fs_client_config_t fs_config` in
//! `.fs_client_config`; the build replaces the section with the blob. Both
//! are 64 bytes (LP64): an 8-byte magic `"LionsOS\x01"`, then one
//! connection to the other side.
//!
//! | offset | field |
//! | --- | --- |
//! | 0 | `char magic[8]` |
//! | 8 | `region_resource_t command_queue` (`vaddr`, `size`) |
//! | 24 | `region_resource_t completion_queue` |
//! | 40 | `region_resource_t share`: the client's data region |
//! | 56 | `uint16_t queue_len` |
//! | 58 | `uint8_t id`: the channel to the other side |
//! | 59 | padding to 64 |
//!
//! sdfgen maps 0x8000-byte queues and a 64 MiB data region by default, and
//! writes `queue_len = 512`, a number no LionsOS code reads (the queues
//! hold `FS_QUEUE_CAPACITY`, 511): decoding keeps it and checks nothing
//! about it. Decoding checks the size, the magic and that each queue
//! region can hold a queue; padding may hold anything, encoding writes
//! zeros there.

use sddf::config::RegionResource;

use crate::layout::queue;

/// `LIONS_FS_MAGIC`.
pub const MAGIC: [u8; 8] = *b"LionsOS\x01";
/// Size of either blob.
pub const CONFIG_SIZE: usize = 64;
/// Section of a server's blob.
pub const SERVER_SECTION: &str = ".fs_server_config";
/// Section of a client's blob.
pub const CLIENT_SECTION: &str = ".fs_client_config";

/// Offsets in the blob.
pub mod offsets {
    pub const MAGIC: usize = 0;
    pub const CONNECTION: usize = 8;
    /// Offsets inside `fs_connection_resource_t` (56 bytes).
    pub const COMMAND_QUEUE: usize = 0;
    pub const COMPLETION_QUEUE: usize = 16;
    pub const SHARE: usize = 32;
    pub const QUEUE_LEN: usize = 48;
    pub const ID: usize = 50;
    pub const CONNECTION_SIZEOF: usize = 56;
}

/// `fs_connection_resource_t`: the regions and channel of one connection,
/// as mapped in the component that holds the blob.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct FsConnection {
    pub command_queue: RegionResource,
    pub completion_queue: RegionResource,
    pub share: RegionResource,
    pub queue_len: u16,
    pub id: u8,
}

/// Why a blob was refused: whoever built the system image is to blame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FsConfigError {
    WrongSize {
        found: usize,
    },
    BadMagic {
        found: [u8; 8],
    },
    /// A queue region smaller than a queue (`which` names it).
    QueueRegionTooSmall {
        which: &'static str,
        size: u64,
    },
}

fn word(blob: &[u8], at: usize) -> u64 {
    let mut bytes = [0u8; 8];
    if let Some(src) = blob.get(at..at + 8) {
        bytes.copy_from_slice(src);
    }
    u64::from_le_bytes(bytes)
}

fn region(blob: &[u8], at: usize) -> RegionResource {
    RegionResource {
        vaddr: word(blob, at),
        size: word(blob, at + 8),
    }
}

impl FsConnection {
    /// Decodes a whole blob (either kind: they share the layout).
    pub fn decode(blob: &[u8]) -> Result<FsConnection, FsConfigError> {
        if blob.len() != CONFIG_SIZE {
            return Err(FsConfigError::WrongSize { found: blob.len() });
        }
        let mut magic = [0u8; 8];
        magic.copy_from_slice(blob.get(..8).unwrap_or(&[0; 8]));
        if magic != MAGIC {
            return Err(FsConfigError::BadMagic { found: magic });
        }
        let base = offsets::CONNECTION;
        let connection = FsConnection {
            command_queue: region(blob, base + offsets::COMMAND_QUEUE),
            completion_queue: region(blob, base + offsets::COMPLETION_QUEUE),
            share: region(blob, base + offsets::SHARE),
            queue_len: u16::from_le_bytes([
                blob.get(base + offsets::QUEUE_LEN).copied().unwrap_or(0),
                blob.get(base + offsets::QUEUE_LEN + 1).copied().unwrap_or(0),
            ]),
            id: blob.get(base + offsets::ID).copied().unwrap_or(0),
        };
        for (which, r) in [
            ("command_queue", connection.command_queue),
            ("completion_queue", connection.completion_queue),
        ] {
            if r.size < queue::SIZEOF as u64 {
                return Err(FsConfigError::QueueRegionTooSmall { which, size: r.size });
            }
        }
        Ok(connection)
    }

    /// The blob, as the C compiler lays the struct out.
    pub fn encode(&self) -> [u8; CONFIG_SIZE] {
        let mut blob = [0u8; CONFIG_SIZE];
        blob[..8].copy_from_slice(&MAGIC);
        let base = offsets::CONNECTION;
        for (at, r) in [
            (offsets::COMMAND_QUEUE, self.command_queue),
            (offsets::COMPLETION_QUEUE, self.completion_queue),
            (offsets::SHARE, self.share),
        ] {
            blob[base + at..base + at + 8].copy_from_slice(&r.vaddr.to_le_bytes());
            blob[base + at + 8..base + at + 16].copy_from_slice(&r.size.to_le_bytes());
        }
        blob[base + offsets::QUEUE_LEN..base + offsets::QUEUE_LEN + 2].copy_from_slice(&self.queue_len.to_le_bytes());
        blob[base + offsets::ID] = self.id;
        blob
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FsConnection {
        FsConnection {
            command_queue: RegionResource {
                vaddr: 0x2000_0000,
                size: 0x8000,
            },
            completion_queue: RegionResource {
                vaddr: 0x2000_8000,
                size: 0x8000,
            },
            share: RegionResource {
                vaddr: 0x3000_0000,
                size: 0x400_0000,
            },
            queue_len: 512,
            id: 3,
        }
    }

    #[test]
    fn the_blob_layout() {
        let blob = sample().encode();
        assert_eq!(&blob[..8], b"LionsOS\x01");
        assert_eq!((word(&blob, 8), word(&blob, 16)), (0x2000_0000, 0x8000));
        assert_eq!((word(&blob, 24), word(&blob, 32)), (0x2000_8000, 0x8000));
        assert_eq!((word(&blob, 40), word(&blob, 48)), (0x3000_0000, 0x400_0000));
        assert_eq!(&blob[64 - 8..64 - 5], &[0x00, 0x02, 3]);
        assert_eq!(FsConnection::decode(&blob), Ok(sample()));
    }

    #[test]
    fn bad_blobs_are_refused() {
        let mut blob = sample().encode();
        assert!(FsConnection::decode(&blob[..63]).is_err());
        blob[7] = 2;
        assert!(matches!(
            FsConnection::decode(&blob),
            Err(FsConfigError::BadMagic { .. })
        ));
        let mut small = sample();
        small.completion_queue.size = 0x4000;
        assert_eq!(
            FsConnection::decode(&small.encode()),
            Err(FsConfigError::QueueRegionTooSmall {
                which: "completion_queue",
                size: 0x4000
            })
        );
        // Padding is ignored.
        let mut padded = sample().encode();
        padded[63] = 0xaa;
        assert_eq!(FsConnection::decode(&padded), Ok(sample()));
    }
}
