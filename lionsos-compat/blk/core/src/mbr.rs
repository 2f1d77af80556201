//! The MS-DOS master boot record (sector 0 of a disk): four primary
//! partition entries and a signature.
//!
//! | offset | field |
//! | --- | --- |
//! | 0 | boot code (446 bytes) |
//! | 446 + 16 i | entry i: `u8 status`, `u8 chs_start[3]`, `u8 type`, `u8 chs_end[3]`, `u32 lba_start`, `u32 sectors` (little-endian) |
//! | 510 | signature `0x55 0xAA` (the little-endian u16 0xAA55) |
//!
//! Type 0 marks an empty entry; type 0xEE a protective MBR in front of a
//! GPT, which this module reports as such (Pride's virtualiser reads MBR
//! partitions only).

use crate::SECTOR_SIZE;

pub const PARTITION_TABLE: usize = 446;
pub const ENTRY_SIZE: usize = 16;
pub const MAX_PRIMARY: usize = 4;
pub const SIGNATURE_OFFSET: usize = 510;
pub const SIGNATURE: u16 = 0xAA55;
pub const TYPE_EMPTY: u8 = 0x00;
pub const TYPE_GPT_PROTECTIVE: u8 = 0xEE;
/// A Linux data partition, what Pride's disk images use.
pub const TYPE_LINUX: u8 = 0x83;

/// One primary partition entry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Entry {
    pub status: u8,
    pub kind: u8,
    /// First sector.
    pub lba_start: u32,
    /// Length in sectors.
    pub sectors: u32,
}

impl Entry {
    pub fn is_empty(&self) -> bool {
        self.kind == TYPE_EMPTY
    }
}

/// A parsed master boot record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mbr {
    pub entries: [Entry; MAX_PRIMARY],
}

/// Why sector 0 is not a usable MBR.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MbrError {
    /// Fewer than 512 bytes were given.
    TooShort { len: usize },
    /// Bytes 510-511 are not 0x55 0xAA.
    BadSignature { found: u16 },
    /// A protective MBR: the disk is partitioned with a GPT.
    Gpt,
}

impl core::fmt::Display for MbrError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            MbrError::TooShort { len } => write!(f, "sector 0 has {len} bytes, an MBR 512"),
            MbrError::BadSignature { found } => {
                write!(f, "sector 0 has signature {found:#06x}, not an MBR's 0xaa55")
            }
            MbrError::Gpt => write!(
                f,
                "the disk has a GPT (protective MBR); only MBR partitions are supported"
            ),
        }
    }
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl Mbr {
    /// Parses sector 0 (at least its first 512 bytes).
    pub fn parse(sector: &[u8]) -> Result<Mbr, MbrError> {
        if sector.len() < SECTOR_SIZE as usize {
            return Err(MbrError::TooShort { len: sector.len() });
        }
        let found = u16::from_le_bytes([sector[SIGNATURE_OFFSET], sector[SIGNATURE_OFFSET + 1]]);
        if found != SIGNATURE {
            return Err(MbrError::BadSignature { found });
        }
        let mut mbr = Mbr::default();
        for (i, e) in mbr.entries.iter_mut().enumerate() {
            let at = PARTITION_TABLE + i * ENTRY_SIZE;
            *e = Entry {
                status: sector[at],
                kind: sector[at + 4],
                lba_start: u32_at(sector, at + 8),
                sectors: u32_at(sector, at + 12),
            };
        }
        if mbr.entries[0].kind == TYPE_GPT_PROTECTIVE {
            return Err(MbrError::Gpt);
        }
        Ok(mbr)
    }

    /// The 512-byte sector (no boot code, CHS fields zero: LBA only).
    pub fn encode(&self) -> [u8; SECTOR_SIZE as usize] {
        let mut s = [0u8; SECTOR_SIZE as usize];
        for (i, e) in self.entries.iter().enumerate() {
            let at = PARTITION_TABLE + i * ENTRY_SIZE;
            s[at] = e.status;
            s[at + 4] = e.kind;
            s[at + 8..at + 12].copy_from_slice(&e.lba_start.to_le_bytes());
            s[at + 12..at + 16].copy_from_slice(&e.sectors.to_le_bytes());
        }
        s[SIGNATURE_OFFSET..].copy_from_slice(&SIGNATURE.to_le_bytes());
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn two() -> Mbr {
        let mut m = Mbr::default();
        m.entries[0] = Entry {
            status: 0x80,
            kind: TYPE_LINUX,
            lba_start: 2048,
            sectors: 2048,
        };
        m.entries[1] = Entry {
            status: 0,
            kind: TYPE_LINUX,
            lba_start: 4096,
            sectors: 4096,
        };
        m
    }

    #[test]
    fn layout_is_the_msdos_one() {
        let s = two().encode();
        assert_eq!(&s[510..], &[0x55, 0xAA]);
        assert_eq!(s[446], 0x80);
        assert_eq!(s[446 + 4], 0x83);
        assert_eq!(&s[446 + 8..446 + 12], &2048u32.to_le_bytes());
        assert_eq!(&s[462 + 8..462 + 12], &4096u32.to_le_bytes());
        assert_eq!(s[478 + 4], 0, "entry 2 empty");
    }

    #[test]
    fn round_trips_and_refuses_what_is_not_an_mbr() {
        assert_eq!(Mbr::parse(&two().encode()), Ok(two()));
        let mut s = two().encode();
        s[511] = 0;
        assert_eq!(Mbr::parse(&s), Err(MbrError::BadSignature { found: 0x0055 }));
        assert_eq!(Mbr::parse(&[0u8; 100]), Err(MbrError::TooShort { len: 100 }));
        let mut gpt = Mbr::default();
        gpt.entries[0].kind = TYPE_GPT_PROTECTIVE;
        assert_eq!(Mbr::parse(&gpt.encode()), Err(MbrError::Gpt));
        // Longer input (a whole 4 KiB block) is fine: only sector 0 counts.
        let mut block = [0u8; 4096];
        block[..512].copy_from_slice(&two().encode());
        assert_eq!(Mbr::parse(&block), Ok(two()));
    }

    proptest! {
        #[test]
        fn parsing_any_sector_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = Mbr::parse(&bytes);
        }
    }
}
