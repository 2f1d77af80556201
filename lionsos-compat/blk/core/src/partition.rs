//! A client's partition, and the virtualiser's check and translation of
//! every request a client makes.
//!
//! A client sees its partition as a disk of its own: block 0 is the
//! partition's first block, and it names buffers by their offset in its
//! data region. Towards the driver the virtualiser names the disk's block
//! and the buffer's I/O (physical) address. In between it checks, with
//! arithmetic that cannot overflow:
//!
//! - the code is one sDDF defines;
//! - a read or write moves at least one block, all of them inside the
//!   partition (`block + count <= blocks`);
//! - the buffer (`count` blocks from `offset`) lies inside the client's
//!   data region and starts on a block boundary (a DMA address the device
//!   may be given).
//!
//! A request that fails is answered `ERR_INVALID_PARAM` by the virtualiser
//! and never reaches the driver; [`Refusal`] says why, for the log.

use sddf::blk::{BlkRequest, RequestCode, ResponseStatus};

use crate::mbr::Mbr;
use crate::{SECTORS_PER_BLOCK, TRANSFER_SIZE};

/// The part of the disk one client sees, in sDDF blocks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Partition {
    /// Its MBR entry (0-3).
    pub index: u32,
    /// The disk block where it starts.
    pub start_block: u64,
    /// Its length in blocks (a tail shorter than a block is not used).
    pub blocks: u64,
}

/// Why a client's partition cannot be served.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionError {
    /// The MBR has entries 0-3 only.
    NoSuchEntry { index: u32 },
    /// The entry is empty (type 0).
    Empty { index: u32 },
    /// The partition does not start on a block boundary (sDDF moves whole
    /// 4 KiB blocks).
    Unaligned { index: u32, lba_start: u32 },
    /// Smaller than one block.
    TooSmall { index: u32, sectors: u32 },
    /// It ends beyond the disk.
    BeyondDisk {
        index: u32,
        end_sector: u64,
        disk_sectors: u64,
    },
}

impl core::fmt::Display for PartitionError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            PartitionError::NoSuchEntry { index } => write!(f, "partition {index}: an MBR has partitions 0-3"),
            PartitionError::Empty { index } => write!(f, "partition {index} does not exist (empty entry)"),
            PartitionError::Unaligned { index, lba_start } => write!(
                f,
                "partition {index} starts at sector {lba_start}, not on a {TRANSFER_SIZE}-byte block"
            ),
            PartitionError::TooSmall { index, sectors } => {
                write!(f, "partition {index} has {sectors} sectors, less than one block")
            }
            PartitionError::BeyondDisk {
                index,
                end_sector,
                disk_sectors,
            } => write!(
                f,
                "partition {index} ends at sector {end_sector}, beyond the disk's {disk_sectors}"
            ),
        }
    }
}

impl Partition {
    /// Partition `index` of `mbr` on a disk of `disk_blocks` blocks.
    pub fn select(mbr: &Mbr, index: u32, disk_blocks: u64) -> Result<Partition, PartitionError> {
        let e = mbr
            .entries
            .get(index as usize)
            .ok_or(PartitionError::NoSuchEntry { index })?;
        if e.is_empty() {
            return Err(PartitionError::Empty { index });
        }
        if u64::from(e.lba_start) % SECTORS_PER_BLOCK != 0 {
            return Err(PartitionError::Unaligned {
                index,
                lba_start: e.lba_start,
            });
        }
        let blocks = u64::from(e.sectors) / SECTORS_PER_BLOCK;
        if blocks == 0 {
            return Err(PartitionError::TooSmall {
                index,
                sectors: e.sectors,
            });
        }
        let end_sector = u64::from(e.lba_start) + u64::from(e.sectors);
        let disk_sectors = disk_blocks.saturating_mul(SECTORS_PER_BLOCK);
        if end_sector > disk_sectors {
            return Err(PartitionError::BeyondDisk {
                index,
                end_sector,
                disk_sectors,
            });
        }
        Ok(Partition {
            index,
            start_block: u64::from(e.lba_start) / SECTORS_PER_BLOCK,
            blocks,
        })
    }
}

/// What the virtualiser knows of one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientView {
    pub partition: Partition,
    /// Bytes of its data region.
    pub data_size: u64,
    /// The data region's I/O (physical) address.
    pub data_io: u64,
}

/// Why a client's request was refused (each is answered
/// [`ResponseStatus::ErrInvalidParam`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A code sDDF does not define.
    UnknownCode { code: u32 },
    /// A read or write of no blocks.
    ZeroCount,
    /// Blocks outside the partition.
    BeyondEnd { block: u64, count: u16, blocks: u64 },
    /// The buffer is not inside the data region.
    BufferOutside { offset: u64, count: u16, size: u64 },
    /// The buffer does not start on a block boundary.
    BufferUnaligned { offset: u64 },
}

impl Refusal {
    pub fn status(&self) -> ResponseStatus {
        ResponseStatus::ErrInvalidParam
    }
}

impl core::fmt::Display for Refusal {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Refusal::UnknownCode { code } => write!(f, "unknown request code {code}"),
            Refusal::ZeroCount => write!(f, "a read or write of 0 blocks"),
            Refusal::BeyondEnd { block, count, blocks } => write!(
                f,
                "blocks {block}..{} are beyond the end of the partition ({blocks} blocks)",
                u128::from(block) + u128::from(count)
            ),
            Refusal::BufferOutside { offset, count, size } => write!(
                f,
                "a buffer of {count} blocks at offset {offset:#x} is outside the data region ({size:#x} bytes)"
            ),
            Refusal::BufferUnaligned { offset } => {
                write!(f, "buffer offset {offset:#x} is not a multiple of {TRANSFER_SIZE}")
            }
        }
    }
}

/// Checks a client's request and gives the request to send the driver (its
/// `id` still the client's: the caller assigns the driver's). Flush and
/// barrier carry no data: block, count and address are zero.
pub fn translate(view: &ClientView, req: &BlkRequest) -> Result<BlkRequest, Refusal> {
    match req.code {
        RequestCode::Read | RequestCode::Write => {}
        RequestCode::Flush | RequestCode::Barrier => {
            return Ok(BlkRequest {
                code: req.code,
                io_or_offset: 0,
                block_number: 0,
                count: 0,
                id: req.id,
            })
        }
        RequestCode::Unknown(code) => return Err(Refusal::UnknownCode { code }),
    }
    if req.count == 0 {
        return Err(Refusal::ZeroCount);
    }
    let blocks = view.partition.blocks;
    let inside = req
        .block_number
        .checked_add(u64::from(req.count))
        .is_some_and(|end| end <= blocks);
    if !inside {
        return Err(Refusal::BeyondEnd {
            block: req.block_number,
            count: req.count,
            blocks,
        });
    }
    if !req.io_or_offset.is_multiple_of(TRANSFER_SIZE) {
        return Err(Refusal::BufferUnaligned {
            offset: req.io_or_offset,
        });
    }
    let bytes = u64::from(req.count) * TRANSFER_SIZE;
    let fits = req
        .io_or_offset
        .checked_add(bytes)
        .is_some_and(|end| end <= view.data_size);
    if !fits {
        return Err(Refusal::BufferOutside {
            offset: req.io_or_offset,
            count: req.count,
            size: view.data_size,
        });
    }
    Ok(BlkRequest {
        code: req.code,
        // Inside the region, so no overflow unless the region's own address
        // does (checked when the view is made).
        io_or_offset: view.data_io.wrapping_add(req.io_or_offset),
        block_number: view.partition.start_block + req.block_number,
        count: req.count,
        id: req.id,
    })
}

impl ClientView {
    /// A view, if the data region's addresses do not wrap.
    pub fn new(partition: Partition, data_size: u64, data_io: u64) -> Option<ClientView> {
        data_io.checked_add(data_size)?;
        Some(ClientView {
            partition,
            data_size,
            data_io,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mbr::{Entry, TYPE_LINUX};
    use proptest::prelude::*;

    fn mbr() -> Mbr {
        let mut m = Mbr::default();
        m.entries[0] = Entry {
            status: 0,
            kind: TYPE_LINUX,
            lba_start: 2048,
            sectors: 2048,
        };
        m.entries[1] = Entry {
            status: 0,
            kind: TYPE_LINUX,
            lba_start: 4096,
            sectors: 4100,
        };
        m.entries[2] = Entry {
            status: 0,
            kind: TYPE_LINUX,
            lba_start: 9,
            sectors: 64,
        };
        m.entries[3] = Entry {
            status: 0,
            kind: TYPE_LINUX,
            lba_start: 8192,
            sectors: 7,
        };
        m
    }

    fn view(index: u32) -> ClientView {
        ClientView::new(Partition::select(&mbr(), index, 1100).unwrap(), 0x10_0000, 0x1df0_0000).unwrap()
    }

    fn req(code: RequestCode, offset: u64, block: u64, count: u16) -> BlkRequest {
        BlkRequest {
            code,
            io_or_offset: offset,
            block_number: block,
            count,
            id: 77,
        }
    }

    #[test]
    fn partitions_in_blocks() {
        assert_eq!(
            Partition::select(&mbr(), 0, 1100),
            Ok(Partition {
                index: 0,
                start_block: 256,
                blocks: 256
            })
        );
        // 4100 sectors: 512 whole blocks, the 4-sector tail unused.
        assert_eq!(Partition::select(&mbr(), 1, 1100).map(|p| p.blocks), Ok(512));
        assert_eq!(
            Partition::select(&mbr(), 2, 1024),
            Err(PartitionError::Unaligned { index: 2, lba_start: 9 })
        );
        assert_eq!(
            Partition::select(&mbr(), 3, 1024),
            Err(PartitionError::TooSmall { index: 3, sectors: 7 })
        );
        assert_eq!(
            Partition::select(&mbr(), 4, 1024),
            Err(PartitionError::NoSuchEntry { index: 4 })
        );
        assert_eq!(
            Partition::select(&mbr(), 1, 1000),
            Err(PartitionError::BeyondDisk {
                index: 1,
                end_sector: 8196,
                disk_sectors: 8000
            })
        );
        let mut m = mbr();
        m.entries[1].kind = 0;
        assert_eq!(Partition::select(&m, 1, 1024), Err(PartitionError::Empty { index: 1 }));
    }

    #[test]
    fn requests_are_moved_into_the_partition_and_the_device_address() {
        let t = translate(&view(1), &req(RequestCode::Write, 0x3000, 10, 4)).unwrap();
        assert_eq!(
            t,
            BlkRequest {
                code: RequestCode::Write,
                io_or_offset: 0x1df0_3000,
                block_number: 512 + 10,
                count: 4,
                id: 77
            }
        );
        // The last block of the partition is fine, one past it is not.
        assert!(translate(&view(0), &req(RequestCode::Read, 0, 255, 1)).is_ok());
        assert_eq!(
            translate(&view(0), &req(RequestCode::Read, 0, 255, 2)),
            Err(Refusal::BeyondEnd {
                block: 255,
                count: 2,
                blocks: 256
            })
        );
        assert!(matches!(
            translate(&view(0), &req(RequestCode::Read, 0, 256, 1)),
            Err(Refusal::BeyondEnd { .. })
        ));
        assert_eq!(
            translate(&view(0), &req(RequestCode::Read, 0, 0, 0)),
            Err(Refusal::ZeroCount)
        );
        assert_eq!(
            translate(&view(0), &req(RequestCode::Unknown(9), 0, 0, 1)),
            Err(Refusal::UnknownCode { code: 9 })
        );
        assert_eq!(
            translate(&view(0), &req(RequestCode::Read, 0x800, 0, 1)),
            Err(Refusal::BufferUnaligned { offset: 0x800 })
        );
        // The whole data region is fine, a block more is not.
        assert!(translate(&view(0), &req(RequestCode::Read, 0, 0, 256)).is_ok());
        assert!(matches!(
            translate(&view(0), &req(RequestCode::Read, 0x1000, 0, 256)),
            Err(Refusal::BufferOutside { .. })
        ));
        let flush = translate(&view(0), &req(RequestCode::Flush, 0x1234, 99999, 3)).unwrap();
        assert_eq!((flush.io_or_offset, flush.block_number, flush.count), (0, 0, 0));
        assert!(Refusal::ZeroCount.status() == ResponseStatus::ErrInvalidParam);
    }

    #[test]
    fn refusals_read_clearly() {
        let r = Refusal::BeyondEnd {
            block: 255,
            count: 2,
            blocks: 256,
        };
        assert_eq!(
            alloc::format!("{r}"),
            "blocks 255..257 are beyond the end of the partition (256 blocks)"
        );
    }

    /// Every request around the partition's end and the data region's end:
    /// accepted exactly when it lies inside both.
    #[test]
    fn edges_exhaustively() {
        let v = view(1);
        for count in 0u16..=9 {
            for block in 500u64..=515 {
                for offset in [0xf6000u64, 0xf7000, 0xf8000, 0xf9000, 0xfa000] {
                    let inside = count > 0
                        && block + u64::from(count) <= 512
                        && offset + u64::from(count) * TRANSFER_SIZE <= 0x10_0000;
                    let r = translate(&v, &req(RequestCode::Read, offset, block, count));
                    assert_eq!(
                        r.is_ok(),
                        inside,
                        "block {block} count {count} offset {offset:#x}: {r:?}"
                    );
                }
            }
        }
    }

    proptest! {
        /// Whatever a client puts in a request: no panic, and what goes to
        /// the driver stays inside the partition and the data region.
        #[test]
        fn translated_requests_stay_inside(code in 0u32..6, offset in any::<u64>(), block in any::<u64>(), count in any::<u16>(), small in any::<bool>()) {
            // Small: block-aligned buffers near the region's end, blocks near the partition's.
            let (offset, block, count) = if small { ((offset % 0x120) << 12, block % 600, count % 600) } else { (offset, block, count) };
            let v = view(1);
            if let Ok(t) = translate(&v, &req(RequestCode::from_raw(code), offset, block, count)) {
                if matches!(t.code, RequestCode::Read | RequestCode::Write) {
                    prop_assert!(t.count > 0);
                    prop_assert!(t.block_number >= v.partition.start_block);
                    prop_assert!(t.block_number + u64::from(t.count) <= v.partition.start_block + v.partition.blocks);
                    prop_assert!(t.io_or_offset >= v.data_io);
                    prop_assert!(t.io_or_offset + u64::from(t.count) * TRANSFER_SIZE <= v.data_io + v.data_size);
                    prop_assert_eq!(t.io_or_offset % TRANSFER_SIZE, 0);
                }
            }
        }
    }
}
