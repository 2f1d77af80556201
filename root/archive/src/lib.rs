//! # pride-archive: the image archive inside the root task
//!
//! The build tool packs every component image (and small text files such as
//! the boot script) into one archive that is linked into the root task. The
//! root task reads it with [`Archive::parse`], which validates the whole
//! table once, so later look-ups cannot go out of bounds.
//!
//! Format (all integers little-endian):
//!
//! | offset | size | field |
//! | --- | --- | --- |
//! | 0 | 8 | magic `PRIDEAR1` |
//! | 8 | 4 | entry count N |
//! | 12 | 4 | reserved, 0 |
//! | 16 | 48 x N | entries: name (32 bytes, NUL-padded UTF-8), offset u64, length u64 |
//! | ... | | data; each blob starts at an 8-byte aligned offset |

#![no_std]
#![forbid(unsafe_code)]

#[cfg(any(test, feature = "std"))]
extern crate std;

/// Archive magic.
pub const MAGIC: &[u8; 8] = b"PRIDEAR1";
/// Longest entry name in bytes.
pub const NAME_LEN: usize = 32;
const HEADER: usize = 16;
const ENTRY: usize = NAME_LEN + 16;

/// Why an archive was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArchiveError {
    /// Fewer bytes than the header or table needs.
    Truncated,
    /// The magic is wrong: not an archive, or another version.
    BadMagic,
    /// Entry `index` points outside the archive.
    EntryOutOfBounds { index: usize },
    /// Entry `index` has a name that is not UTF-8 or is empty.
    BadName { index: usize },
}

/// A validated archive.
#[derive(Clone, Copy, Debug)]
pub struct Archive<'a> {
    bytes: &'a [u8],
    count: usize,
}

/// One entry of the archive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    pub name: &'a str,
    pub data: &'a [u8],
}

fn u64_at(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

impl<'a> Archive<'a> {
    /// Validates `bytes` as an archive.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ArchiveError> {
        if bytes.len() < HEADER {
            return Err(ArchiveError::Truncated);
        }
        if &bytes[..8] != MAGIC {
            return Err(ArchiveError::BadMagic);
        }
        let count = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
        let table_end = count
            .checked_mul(ENTRY)
            .and_then(|t| t.checked_add(HEADER))
            .ok_or(ArchiveError::Truncated)?;
        if bytes.len() < table_end {
            return Err(ArchiveError::Truncated);
        }
        let archive = Archive { bytes, count };
        for index in 0..count {
            archive.decode(index)?;
        }
        Ok(archive)
    }

    fn decode(&self, index: usize) -> Result<Entry<'a>, ArchiveError> {
        let e = HEADER + index * ENTRY;
        let raw_name = &self.bytes[e..e + NAME_LEN];
        let len = raw_name.iter().position(|&b| b == 0).unwrap_or(NAME_LEN);
        let name = core::str::from_utf8(&raw_name[..len]).map_err(|_| ArchiveError::BadName { index })?;
        if name.is_empty() {
            return Err(ArchiveError::BadName { index });
        }
        let off = u64_at(self.bytes, e + NAME_LEN);
        let size = u64_at(self.bytes, e + NAME_LEN + 8);
        let end = off.checked_add(size).ok_or(ArchiveError::EntryOutOfBounds { index })?;
        if end > self.bytes.len() as u64 {
            return Err(ArchiveError::EntryOutOfBounds { index });
        }
        Ok(Entry {
            name,
            data: &self.bytes[off as usize..end as usize],
        })
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.count
    }

    /// True if the archive has no entries.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// All entries, in packing order.
    pub fn entries(&self) -> impl Iterator<Item = Entry<'a>> + '_ {
        // Validated in `parse`: decoding cannot fail here.
        (0..self.count).filter_map(move |i| self.decode(i).ok())
    }

    /// The entry called `name`, if any.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.entries().find(|e| e.name == name).map(|e| e.data)
    }
}

/// Builds an archive from named blobs (host side).
#[cfg(any(test, feature = "std"))]
pub fn pack(entries: &[(&str, &[u8])]) -> Result<std::vec::Vec<u8>, std::string::String> {
    use std::format;
    let mut out = std::vec::Vec::new();
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    let mut offset = (HEADER + ENTRY * entries.len()) as u64;
    let mut table = std::vec::Vec::new();
    for (name, data) in entries {
        if name.is_empty() || name.len() > NAME_LEN {
            return Err(format!("archive entry name {name:?} must be 1 to {NAME_LEN} bytes"));
        }
        let mut n = [0u8; NAME_LEN];
        n[..name.len()].copy_from_slice(name.as_bytes());
        table.extend_from_slice(&n);
        offset = offset.next_multiple_of(8);
        table.extend_from_slice(&offset.to_le_bytes());
        table.extend_from_slice(&(data.len() as u64).to_le_bytes());
        offset += data.len() as u64;
    }
    out.extend_from_slice(&table);
    for (_, data) in entries {
        out.resize(out.len().next_multiple_of(8), 0);
        out.extend_from_slice(data);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    #[test]
    fn round_trip() {
        let a = pack(&[("ping", b"ELF-ping"), ("boot.cfg", b"ping\n"), ("empty", b"")]).unwrap();
        let ar = Archive::parse(&a).unwrap();
        assert_eq!(ar.len(), 3);
        assert_eq!(ar.get("ping"), Some(&b"ELF-ping"[..]));
        assert_eq!(ar.get("boot.cfg"), Some(&b"ping\n"[..]));
        assert_eq!(ar.get("empty"), Some(&b""[..]));
        assert_eq!(ar.get("nope"), None);
        let names: Vec<_> = ar.entries().map(|e| e.name).collect();
        assert_eq!(names, ["ping", "boot.cfg", "empty"]);
    }

    #[test]
    fn refuses_bad_input() {
        assert_eq!(Archive::parse(b"short").unwrap_err(), ArchiveError::Truncated);
        assert_eq!(Archive::parse(b"NOTANARCHIVE0000").unwrap_err(), ArchiveError::BadMagic);
        let mut a = pack(&[("x", b"data")]).unwrap();
        // Point the entry's length past the end.
        let len_at = HEADER + NAME_LEN + 8;
        a[len_at..len_at + 8].copy_from_slice(&1000u64.to_le_bytes());
        assert_eq!(
            Archive::parse(&a).unwrap_err(),
            ArchiveError::EntryOutOfBounds { index: 0 }
        );
        let mut a = pack(&[("x", b"data")]).unwrap();
        a[HEADER] = 0xff;
        assert_eq!(Archive::parse(&a).unwrap_err(), ArchiveError::BadName { index: 0 });
        // A huge count must not overflow or panic.
        let mut a = pack(&[]).unwrap();
        a[8..12].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(Archive::parse(&a).unwrap_err(), ArchiveError::Truncated);
    }

    #[test]
    fn names_are_checked_when_packing() {
        assert!(pack(&[("", b"")]).is_err());
        assert!(pack(&[(&"n".repeat(33), b"")]).is_err());
    }
}
