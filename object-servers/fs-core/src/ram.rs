//! A block device in memory, with fault injection: for tests (host and
//! QEMU scenarios) and for trying the file system without a disk.

use alloc::collections::BTreeMap;

use crate::device::{BlockDevice, IoError, SECTOR_SIZE};

/// The contents of a [`RamDisk`]: sectors never written read as zeros.
pub type Image = BTreeMap<u64, [u8; SECTOR_SIZE]>;

/// A sparse in-memory disk that can be told to stop keeping writes, as if
/// the server died in the middle of a request.
#[derive(Clone, Debug)]
pub struct RamDisk {
    sectors: u64,
    image: Image,
    sector_writes: u64,
    flushes: u64,
    /// Where writes stop being kept.
    cut: Option<Cut>,
    failing: bool,
}

#[derive(Clone, Copy, Debug)]
struct Cut {
    keep: u64,
    torn: bool,
}

impl RamDisk {
    /// A zeroed disk of `sectors` sectors.
    pub fn new(sectors: u64) -> RamDisk {
        RamDisk {
            sectors,
            image: Image::new(),
            sector_writes: 0,
            flushes: 0,
            cut: None,
            failing: false,
        }
    }

    /// Sector writes so far (each sector of a multi-sector write counts).
    pub fn sector_writes(&self) -> u64 {
        self.sector_writes
    }

    /// Flush requests so far.
    pub fn flushes(&self) -> u64 {
        self.flushes
    }

    /// From now on, keep only the next `keep` sector writes: the one after
    /// them and every later one fails with `IoError` and is lost, as if the
    /// server had died there (nothing it did afterwards would reach the
    /// disk). With `torn`, the first lost sector is half written (its first
    /// 256 bytes are new, the rest old). Sectors before the cut in the
    /// same multi-sector write are kept.
    pub fn cut_after(&mut self, keep: u64, torn: bool) {
        self.cut = Some(Cut {
            keep: self.sector_writes + keep,
            torn,
        });
    }

    /// Keep every write again.
    pub fn heal(&mut self) {
        self.cut = None;
    }

    /// Fail every request with `IoError` (or stop failing).
    pub fn set_failing(&mut self, failing: bool) {
        self.failing = failing;
    }

    /// A copy of the contents.
    pub fn image(&self) -> Image {
        self.image.clone()
    }

    /// Replaces the contents.
    pub fn restore(&mut self, image: &Image) {
        self.image = image.clone();
    }

    fn check(&self, sector: u64, len: usize) -> Result<u64, IoError> {
        if self.failing || len == 0 || !len.is_multiple_of(SECTOR_SIZE) {
            return Err(IoError);
        }
        let count = (len / SECTOR_SIZE) as u64;
        match sector.checked_add(count) {
            Some(end) if end <= self.sectors => Ok(count),
            _ => Err(IoError),
        }
    }
}

impl BlockDevice for RamDisk {
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.check(sector, buf.len())?;
        for (i, chunk) in buf.chunks_mut(SECTOR_SIZE).enumerate() {
            match self.image.get(&(sector + i as u64)) {
                Some(s) => chunk.copy_from_slice(s),
                None => chunk.fill(0),
            }
        }
        Ok(())
    }

    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        self.check(sector, buf.len())?;
        for (i, chunk) in buf.chunks(SECTOR_SIZE).enumerate() {
            let n = self.sector_writes;
            self.sector_writes += 1;
            let slot = self.image.entry(sector + i as u64).or_insert([0; SECTOR_SIZE]);
            match self.cut {
                Some(c) if n >= c.keep => {
                    if n == c.keep && c.torn {
                        slot[..SECTOR_SIZE / 2].copy_from_slice(&chunk[..SECTOR_SIZE / 2]);
                    }
                    return Err(IoError);
                }
                _ => slot.copy_from_slice(chunk),
            }
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        if self.failing {
            return Err(IoError);
        }
        self.flushes += 1;
        Ok(())
    }

    fn sectors(&self) -> u64 {
        self.sectors
    }
}
