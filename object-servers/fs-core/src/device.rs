//! The sector device below the file system, and its adapter to littlefs.

use alloc::rc::Rc;
use core::cell::RefCell;

use littlefs2::consts::{U128, U4096};
use littlefs2::driver::Storage;
use littlefs2::io;

/// Bytes in a sector of a [`BlockDevice`] (sDDF block queues carry 512-byte
/// sectors).
pub const SECTOR_SIZE: usize = 512;

/// Bytes in a littlefs block (its unit of allocation and erasure).
pub const BLOCK_SIZE: usize = 4096;

/// Blocks in the file system. littlefs2 fixes the count at compile time
/// (`Storage::BLOCK_COUNT`), so every Pride file system has this size:
/// 32 MiB. A device must have at least [`FS_SECTORS`] sectors; a larger one
/// is used up to that size and the rest is left alone.
pub const BLOCK_COUNT: usize = 8192;

/// Bytes in the file system: [`BLOCK_SIZE`] × [`BLOCK_COUNT`] = 32 MiB.
pub const FS_BYTES: u64 = (BLOCK_SIZE * BLOCK_COUNT) as u64;

/// Sectors the file system occupies, from sector 0.
pub const FS_SECTORS: u64 = FS_BYTES / SECTOR_SIZE as u64;

/// The device failed a request (the sDDF response said so, or the request
/// could not be made). The file system reports it as `FsError::Io`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IoError;

/// A device of 512-byte sectors: what the `fs` component implements over
/// its sDDF block queues.
///
/// Buffers are whole sectors: `buf.len()` is a non-zero multiple of
/// [`SECTOR_SIZE`] and covers consecutive sectors from `sector` on (one
/// sDDF request can carry them all). fs-core never asks for a sector at or
/// past `sectors()`.
pub trait BlockDevice {
    /// Reads `buf.len() / 512` sectors starting at `sector` into `buf`.
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError>;
    /// Writes `buf.len() / 512` sectors starting at `sector`. When it
    /// returns the device has the data; whether it survives a power loss
    /// is up to [`BlockDevice::flush`].
    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError>;
    /// Makes every completed write durable (sDDF `FLUSH`, virtio-blk
    /// `VIRTIO_BLK_T_FLUSH`).
    fn flush(&mut self) -> Result<(), IoError>;
    /// Sectors on the device.
    fn sectors(&self) -> u64;
}

/// The device with a note of whether it has writes not yet flushed.
pub(crate) struct Shared<D> {
    pub(crate) dev: D,
    pub(crate) dirty: bool,
}

/// The device as shared between the file-system facade (which flushes it)
/// and littlefs (which reads and writes it through [`Disk`]).
pub(crate) type SharedDevice<D> = Rc<RefCell<Shared<D>>>;

/// littlefs's view of a [`BlockDevice`]: the first [`FS_BYTES`] of it as
/// [`BLOCK_COUNT`] blocks of [`BLOCK_SIZE`].
pub(crate) struct Disk<D> {
    pub(crate) shared: SharedDevice<D>,
}

impl<D: BlockDevice> Disk<D> {
    /// The first sector of the byte range `[off, off + len)`, if the range
    /// is whole sectors inside the file system.
    fn sector_of(off: usize, len: usize) -> io::Result<u64> {
        let end = off.checked_add(len).ok_or(io::Error::INVALID)?;
        if !off.is_multiple_of(SECTOR_SIZE) || !len.is_multiple_of(SECTOR_SIZE) || end as u64 > FS_BYTES {
            return Err(io::Error::INVALID);
        }
        Ok((off / SECTOR_SIZE) as u64)
    }
}

impl<D: BlockDevice> Storage for Disk<D> {
    const READ_SIZE: usize = SECTOR_SIZE;
    const WRITE_SIZE: usize = SECTOR_SIZE;
    const BLOCK_SIZE: usize = BLOCK_SIZE;
    const BLOCK_COUNT: usize = BLOCK_COUNT;
    /// Wear levelling off: a virtual disk does not wear out, and levelling
    /// costs extra writes.
    const BLOCK_CYCLES: isize = -1;
    /// One block: littlefs moves data in runs of up to 4 KiB (8 sectors
    /// per device request instead of 1). Each of the read cache, the write
    /// cache and an open file's cache is this size.
    type CACHE_SIZE = U4096;
    /// 128 × 64 bits: the allocator's lookahead covers all 8192 blocks.
    type LOOKAHEAD_SIZE = U128;

    fn read(&mut self, off: usize, buf: &mut [u8]) -> io::Result<usize> {
        let sector = Self::sector_of(off, buf.len())?;
        let mut shared = self.shared.try_borrow_mut().map_err(|_| io::Error::IO)?;
        shared.dev.read(sector, buf).map_err(|_| io::Error::IO)?;
        Ok(buf.len())
    }

    fn write(&mut self, off: usize, data: &[u8]) -> io::Result<usize> {
        let sector = Self::sector_of(off, data.len())?;
        let mut shared = self.shared.try_borrow_mut().map_err(|_| io::Error::IO)?;
        shared.dirty = true;
        shared.dev.write(sector, data).map_err(|_| io::Error::IO)?;
        Ok(data.len())
    }

    /// A disk needs no erase: littlefs checks its commits by CRC and never
    /// relies on erased contents.
    fn erase(&mut self, off: usize, len: usize) -> io::Result<usize> {
        Self::sector_of(off, len)?;
        Ok(len)
    }
}
