//! `fs_stat_t`: what a stat command writes into the client's buffer.
//!
//! Seventeen `u64`s, the same order as libnfs's `struct nfs_stat_64` (the
//! NFS server copies one straight in). `mode` uses the POSIX `S_IF*` type
//! bits; LionsOS's FAT server sets only `mode` (type and permissions),
//! `size`, `blksize` and the three times, and zeroes the rest.

use sddf::shared::SharedMemory;

use crate::command::{Buffer, BufferFault};
use crate::layout::stat as at;

/// `S_IFMT`: the file-type bits of `mode`.
pub const MODE_TYPE_MASK: u64 = 0o170_000;
/// `S_IFDIR`.
pub const MODE_DIRECTORY: u64 = 0o040_000;
/// `S_IFREG`.
pub const MODE_REGULAR: u64 = 0o100_000;

/// `fs_stat_t`, field for field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u64,
    pub nlink: u64,
    pub uid: u64,
    pub gid: u64,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    pub atime: u64,
    pub mtime: u64,
    pub ctime: u64,
    pub atime_nsec: u64,
    pub mtime_nsec: u64,
    pub ctime_nsec: u64,
    pub used: u64,
}

/// A field of [`Stat`], by mutable reference.
type Field = fn(&mut Stat) -> &mut u64;

/// Every field's offset, in declaration order, with an accessor.
const FIELDS: [(usize, Field); 17] = [
    (at::DEV, |s| &mut s.dev),
    (at::INO, |s| &mut s.ino),
    (at::MODE, |s| &mut s.mode),
    (at::NLINK, |s| &mut s.nlink),
    (at::UID, |s| &mut s.uid),
    (at::GID, |s| &mut s.gid),
    (at::RDEV, |s| &mut s.rdev),
    (at::SIZE, |s| &mut s.size),
    (at::BLKSIZE, |s| &mut s.blksize),
    (at::BLOCKS, |s| &mut s.blocks),
    (at::ATIME, |s| &mut s.atime),
    (at::MTIME, |s| &mut s.mtime),
    (at::CTIME, |s| &mut s.ctime),
    (at::ATIME_NSEC, |s| &mut s.atime_nsec),
    (at::MTIME_NSEC, |s| &mut s.mtime_nsec),
    (at::CTIME_NSEC, |s| &mut s.ctime_nsec),
    (at::USED, |s| &mut s.used),
];

impl Stat {
    pub const SIZE: usize = at::SIZEOF;

    pub const fn is_directory(&self) -> bool {
        self.mode & MODE_TYPE_MASK == MODE_DIRECTORY
    }

    pub const fn is_regular(&self) -> bool {
        self.mode & MODE_TYPE_MASK == MODE_REGULAR
    }

    pub fn to_bytes(&self) -> [u8; at::SIZEOF] {
        let mut copy = *self;
        let mut out = [0u8; at::SIZEOF];
        for (offset, field) in FIELDS {
            if let Some(bytes) = out.get_mut(offset..offset + 8) {
                bytes.copy_from_slice(&field(&mut copy).to_le_bytes());
            }
        }
        out
    }

    /// Reads a stat from the first [`Stat::SIZE`] bytes of `bytes`; `None`
    /// if there are fewer. Any contents are a valid `Stat`.
    pub fn from_bytes(bytes: &[u8]) -> Option<Stat> {
        let bytes = bytes.get(..at::SIZEOF)?;
        let mut stat = Stat::default();
        for (offset, field) in FIELDS {
            let word: [u8; 8] = bytes.get(offset..offset + 8)?.try_into().ok()?;
            *field(&mut stat) = u64::from_le_bytes(word);
        }
        Some(stat)
    }

    /// Server side: writes the stat at the start of the client's `buf`,
    /// checking the buffer against the region first.
    pub fn write_to<M: SharedMemory + ?Sized>(&self, share: &mut M, buf: Buffer) -> Result<(), BufferFault> {
        buf.check_at_least(share.size() as u64, at::SIZEOF as u64)?;
        let start = buf.range().ok_or(BufferFault::OutsideRegion {
            offset: buf.offset,
            size: buf.size,
            share_size: share.size() as u64,
        })?;
        share.store_bytes(start.start, &self.to_bytes());
        Ok(())
    }

    /// Client side: reads the stat the server wrote into `buf`.
    pub fn read_from<M: SharedMemory + ?Sized>(share: &M, buf: Buffer) -> Result<Stat, BufferFault> {
        buf.check_at_least(share.size() as u64, at::SIZEOF as u64)?;
        let start = buf.range().ok_or(BufferFault::OutsideRegion {
            offset: buf.offset,
            size: buf.size,
            share_size: share.size() as u64,
        })?;
        let mut bytes = [0u8; at::SIZEOF];
        share.load_bytes(start.start, &mut bytes);
        Stat::from_bytes(&bytes).ok_or(BufferFault::TooSmall {
            size: buf.size,
            needed: at::SIZEOF as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_sit_at_their_offsets() {
        let mut stat = Stat::default();
        for (i, (_, field)) in FIELDS.iter().enumerate() {
            *field(&mut stat) = 0x100 + i as u64;
        }
        let bytes = stat.to_bytes();
        for (i, (offset, _)) in FIELDS.iter().enumerate() {
            assert_eq!(*offset, 8 * i);
            assert_eq!(bytes[*offset], i as u8);
            assert_eq!(bytes[*offset + 1], 0x01);
        }
        assert_eq!(u64::from_le_bytes(bytes[56..64].try_into().unwrap()), stat.size);
        assert_eq!(u64::from_le_bytes(bytes[128..136].try_into().unwrap()), stat.used);
        assert_eq!(Stat::from_bytes(&bytes), Some(stat));
        assert_eq!(Stat::from_bytes(&bytes[..135]), None);
    }

    #[test]
    fn written_into_and_read_from_a_client_buffer() {
        let mut share = alloc::vec![0u8; 4096];
        let stat = Stat {
            mode: MODE_DIRECTORY | 0o755,
            size: 512,
            ..Stat::default()
        };
        assert!(stat.is_directory() && !stat.is_regular());
        stat.write_to(&mut share, Buffer::new(1000, 200)).unwrap();
        assert_eq!(Stat::read_from(&share, Buffer::new(1000, 136)), Ok(stat));
        assert_eq!(
            stat.write_to(&mut share, Buffer::new(4000, 136)),
            Err(BufferFault::OutsideRegion {
                offset: 4000,
                size: 136,
                share_size: 4096
            })
        );
        assert!(Stat::read_from(&share, Buffer::new(0, 100)).is_err());
    }
}
