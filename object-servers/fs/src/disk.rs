//! The file server's disk: its partition, reached through the block
//! virtualiser's sDDF queues (`sddf::blk`), as an `fs_core::BlockDevice`.
//!
//! Requests are synchronous: one request in the queue at a time, and the
//! server waits for its answer on the virtualiser's channel
//! (`microkit::wait_channel`) before it goes on, because the request it
//! serves for a client must finish before the client gets its reply. Data
//! moves through the server's data region (its first [`WINDOW`] bytes).
//! sDDF moves whole 4 KiB blocks; littlefs writes 512-byte sectors at a
//! time, so a write that does not cover whole blocks reads the block
//! first and writes it back whole (the rest of the block is what littlefs
//! already wrote there, so nothing else changes). The last
//! [`CACHED_BLOCKS`] blocks used stay in a write-through cache
//! (`fs_core::cache`): littlefs reads the directory's metadata and a
//! file's skip-list again on every operation, and those reads, and the
//! read half of a partial write, then cost no request.

use fs_core::cache::BlockCache;
use fs_core::{BlockDevice, IoError, SECTOR_SIZE};
use microkit::{Channel, SharedRegion};
use sddf::blk::{BlkRequest, RequestCode, ResponseStatus, StorageInfoRegion, TRANSFER_SIZE};
use sddf::shared::SharedMemory;

/// Bytes of the data region used per request: 16 blocks.
const WINDOW: usize = 16 * TRANSFER_SIZE;
const SECTORS_PER_BLOCK: u64 = (TRANSFER_SIZE / SECTOR_SIZE) as u64;
/// Most blocks one benchmark transfer moves ([`SddfDisk::raw_transfer`]).
pub const RAW_BLOCKS: u64 = 256;
/// Blocks the server keeps cached (256 KiB of its heap).
const CACHED_BLOCKS: usize = 64;

pub struct SddfDisk {
    link: blk::Link,
    data: SharedRegion,
    virt: Channel,
    next_id: u32,
    /// Sectors in the partition (from the storage info).
    sectors: u64,
    /// Fault injection: the write requests still to go before the server
    /// dies (0: never).
    fault_in: u64,
    /// Recently used blocks, write-through (`fs_core::cache`).
    cache: BlockCache,
}

impl SddfDisk {
    /// The disk behind the virtualiser on channel `virt`; waits until the
    /// virtualiser has published the partition. `None` if the data region
    /// is too small for a request.
    pub fn open(
        link: blk::Link,
        info: StorageInfoRegion<SharedRegion>,
        data: SharedRegion,
        virt: Channel,
    ) -> Option<SddfDisk> {
        if data.len() < WINDOW {
            return None;
        }
        while !info.is_ready() {
            microkit::wait_channel(virt);
        }
        let sectors = info.read().capacity * SECTORS_PER_BLOCK;
        Some(SddfDisk {
            link,
            data,
            virt,
            next_id: 1,
            sectors,
            fault_in: 0,
            cache: BlockCache::new(TRANSFER_SIZE, CACHED_BLOCKS),
        })
    }

    /// Makes the server die just before its `n`-th write request from now
    /// (0: never), to test that the file system survives a crash in the
    /// middle of a request.
    pub fn fault_after(&mut self, n: u64) {
        self.fault_in = n;
    }

    /// One request for `count` blocks from `block`, with the data at the
    /// start of the window; waits for its answer.
    fn request(&mut self, code: RequestCode, block: u64, count: u16) -> Result<(), IoError> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let req = BlkRequest {
            code,
            io_or_offset: 0,
            block_number: block,
            count,
            id,
        };
        if self.link.requests.enqueue(req).is_err() {
            return Err(IoError);
        }
        microkit::notify(self.virt);
        loop {
            match self.link.responses.dequeue() {
                Ok(r) if r.id == id => {
                    return if r.status == ResponseStatus::Ok && (count == 0 || r.success_count == count) {
                        Ok(())
                    } else {
                        Err(IoError)
                    };
                }
                // An answer to no request of ours (one from before a
                // restart of this server): dropped.
                Ok(_) => continue,
                Err(_) => microkit::wait_channel(self.virt),
            }
        }
    }

    /// Benchmark baseline: `blocks` (at most [`RAW_BLOCKS`]) whole blocks
    /// read or written, a window at a time, in the partition's tail past
    /// the file system (which littlefs never touches); the data is
    /// whatever the window holds. `IoError` if the partition has no such
    /// tail.
    pub fn raw_transfer(&mut self, write: bool, blocks: u64) -> Result<(), IoError> {
        let first = fs_core::FS_SECTORS / SECTORS_PER_BLOCK;
        let blocks = blocks.min(RAW_BLOCKS);
        if (first + blocks) * SECTORS_PER_BLOCK > self.sectors {
            return Err(IoError);
        }
        let per = (WINDOW / TRANSFER_SIZE) as u64;
        let code = if write { RequestCode::Write } else { RequestCode::Read };
        let mut done = 0;
        while done < blocks {
            let n = (blocks - done).min(per);
            self.request(code, first + done, n as u16)?;
            done += n;
        }
        Ok(())
    }

    /// Puts whole blocks `block..block + count` into the window: from the
    /// cache if it has them all, else from the disk (and then into the
    /// cache).
    fn read_blocks(&mut self, block: u64, count: usize) -> Result<(), IoError> {
        if self.cache.has_all(block, count as u64) {
            for i in 0..count {
                if let Some(bytes) = self.cache.get(block + i as u64) {
                    self.data.store_bytes(i * TRANSFER_SIZE, bytes);
                }
            }
            return Ok(());
        }
        self.request(RequestCode::Read, block, count as u16)?;
        self.cache_window(block, count);
        Ok(())
    }

    /// Copies the window's first `count` blocks into the cache as blocks
    /// `block..`.
    fn cache_window(&mut self, block: u64, count: usize) {
        let mut bytes = [0u8; TRANSFER_SIZE];
        for i in 0..count {
            self.data.load_bytes(i * TRANSFER_SIZE, &mut bytes);
            self.cache.put(block + i as u64, &bytes);
        }
    }

    /// Checks that `len` bytes from `sector` are whole sectors inside the
    /// partition.
    fn check(&self, sector: u64, len: usize) -> Result<(), IoError> {
        let n = (len / SECTOR_SIZE) as u64;
        if len == 0 || !len.is_multiple_of(SECTOR_SIZE) || sector.checked_add(n).is_none_or(|end| end > self.sectors) {
            return Err(IoError);
        }
        Ok(())
    }
}

/// The blocks that sectors `sector..sector + len/512` touch, at most a
/// window's worth at a time: (first block, blocks, byte offset of the first
/// sector in the first block).
fn span(sector: u64, len: usize) -> (u64, usize, usize) {
    let first = sector / SECTORS_PER_BLOCK;
    let skip = (sector % SECTORS_PER_BLOCK) as usize * SECTOR_SIZE;
    let blocks = (skip + len).div_ceil(TRANSFER_SIZE);
    (first, blocks, skip)
}

impl BlockDevice for SddfDisk {
    fn read(&mut self, sector: u64, buf: &mut [u8]) -> Result<(), IoError> {
        self.check(sector, buf.len())?;
        let mut done = 0;
        while done < buf.len() {
            let at = sector + (done / SECTOR_SIZE) as u64;
            let (first, _, skip) = span(at, 0);
            let chunk = (buf.len() - done).min(WINDOW - skip);
            let (_, blocks, _) = span(at, chunk);
            self.read_blocks(first, blocks)?;
            self.data.load_bytes(skip, &mut buf[done..done + chunk]);
            done += chunk;
        }
        Ok(())
    }

    fn write(&mut self, sector: u64, buf: &[u8]) -> Result<(), IoError> {
        self.check(sector, buf.len())?;
        let mut done = 0;
        while done < buf.len() {
            let at = sector + (done / SECTOR_SIZE) as u64;
            let (first, _, skip) = span(at, 0);
            let chunk = (buf.len() - done).min(WINDOW - skip);
            let (_, blocks, _) = span(at, chunk);
            if skip != 0 || !chunk.is_multiple_of(TRANSFER_SIZE) {
                // Part of a block: keep what the rest of it holds.
                self.read_blocks(first, blocks)?;
            }
            self.data.store_bytes(skip, &buf[done..done + chunk]);
            if self.fault_in > 0 {
                self.fault_in -= 1;
                if self.fault_in == 0 {
                    panic!("fs: fault injected before a write of block {first}");
                }
            }
            if let Err(e) = self.request(RequestCode::Write, first, blocks as u16) {
                // What the disk holds is not known now.
                (first..first + blocks as u64).for_each(|b| self.cache.forget(b));
                return Err(e);
            }
            self.cache_window(first, blocks);
            done += chunk;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<(), IoError> {
        self.request(RequestCode::Flush, 0, 0)
    }

    fn sectors(&self) -> u64 {
        self.sectors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_cover_the_sectors() {
        assert_eq!(span(0, 4096), (0, 1, 0));
        assert_eq!(span(1, 512), (0, 1, 512));
        assert_eq!(span(7, 1024), (0, 2, 3584));
        assert_eq!(span(8, 8192), (1, 2, 0));
    }
}
