//! The virtio-blk driver's logic (legacy interface, virtio 0.9.5 / the
//! "legacy" chapters of virtio 1.x).
//!
//! ## Requests
//!
//! Every sDDF read or write becomes one chain of three descriptors: a
//! 16-byte header the device reads (`u32 type`, `u32 reserved`,
//! `u64 sector`), the data (one descriptor: the virtualiser hands the
//! driver physically contiguous buffers), and a status byte the device
//! writes (0 OK, 1 IOERR, 2 UNSUPP). A flush is a header and the status
//! byte. sDDF counts in 4096-byte blocks, virtio in 512-byte sectors.
//!
//! A barrier needs nothing from the device: the driver answers it once
//! every request taken before it has completed, and takes no request after
//! it until then ([`Op::Barrier`]).
//!
//! The driver does not trust its virtualiser blindly either: a request
//! outside the disk, of zero blocks or with an unknown code is answered
//! with an error instead of reaching the device.
//!
//! ## The virtqueue (legacy layout, queue size `n`)
//!
//! | part | offset | size |
//! | --- | --- | --- |
//! | descriptors | 0 | 16 n: `u64 addr`, `u32 len`, `u16 flags`, `u16 next` |
//! | available ring | 16 n | 6 + 2 n: `u16 flags`, `u16 idx`, `u16 ring[n]`, `u16 used_event` |
//! | used ring | the next 4096-byte boundary | 6 + 8 n: `u16 flags`, `u16 idx`, `{u32 id, u32 len}[n]`, `u16 avail_event` |

use alloc::vec::Vec;

use sddf::blk::{BlkRequest, RequestCode, ResponseStatus};

use crate::{SECTORS_PER_BLOCK, TRANSFER_SIZE};

/// Request types (`VIRTIO_BLK_T_*`).
pub const T_IN: u32 = 0;
pub const T_OUT: u32 = 1;
pub const T_FLUSH: u32 = 4;
/// Status bytes (`VIRTIO_BLK_S_*`).
pub const S_OK: u8 = 0;
pub const S_IOERR: u8 = 1;
pub const S_UNSUPP: u8 = 2;
/// Bytes of the request header.
pub const HEADER_SIZE: usize = 16;

/// Feature bits of virtio-blk (legacy numbering).
pub mod feature {
    /// The disk is read-only.
    pub const RO: u32 = 1 << 5;
    /// `blk_size` in the configuration is valid.
    pub const BLK_SIZE: u32 = 1 << 6;
    /// Flush requests are supported (legacy name: WCE).
    pub const FLUSH: u32 = 1 << 9;
}

/// The legacy virtqueue layout and descriptor flags (shared with the
/// network driver).
pub use virtio_ring::{QueueLayout, DESC_NEXT, DESC_WRITE};

/// What one sDDF request becomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// A read (`write: false`, the device writes memory) or write of
    /// `bytes` at `addr` from `sector`.
    Data {
        write: bool,
        sector: u64,
        addr: u64,
        bytes: u32,
    },
    /// A flush to the device.
    Flush,
    /// Nothing to send: answer OK at once (a flush to a device without a
    /// write cache).
    Done,
    /// Answer OK once every earlier request completed.
    Barrier,
}

/// The device as the driver found it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disk {
    /// In sDDF blocks.
    pub blocks: u64,
    pub read_only: bool,
    /// The device offers flush requests.
    pub flush: bool,
}

/// Largest single transfer the driver sends (the descriptor's `u32` length
/// limits it to under 4 GiB; this keeps it well inside).
pub const MAX_TRANSFER_BLOCKS: u64 = 0x4000;

/// What to do with request `req`, or the status to answer it with.
pub fn plan(req: &BlkRequest, disk: &Disk) -> Result<Op, ResponseStatus> {
    let write = match req.code {
        RequestCode::Read => false,
        RequestCode::Write => true,
        RequestCode::Flush => return Ok(if disk.flush { Op::Flush } else { Op::Done }),
        RequestCode::Barrier => return Ok(Op::Barrier),
        RequestCode::Unknown(_) => return Err(ResponseStatus::ErrInvalidParam),
    };
    if write && disk.read_only {
        return Err(ResponseStatus::ErrIo);
    }
    let count = u64::from(req.count);
    if count == 0 || count > MAX_TRANSFER_BLOCKS {
        return Err(ResponseStatus::ErrInvalidParam);
    }
    if req.block_number.checked_add(count).is_none_or(|end| end > disk.blocks) {
        return Err(ResponseStatus::ErrInvalidParam);
    }
    if !req.io_or_offset.is_multiple_of(TRANSFER_SIZE) || req.io_or_offset.checked_add(count * TRANSFER_SIZE).is_none()
    {
        return Err(ResponseStatus::ErrInvalidParam);
    }
    Ok(Op::Data {
        write,
        sector: req.block_number * SECTORS_PER_BLOCK,
        addr: req.io_or_offset,
        bytes: (count * TRANSFER_SIZE) as u32,
    })
}

/// The sDDF status for a virtio status byte.
pub fn status(byte: u8) -> ResponseStatus {
    match byte {
        S_OK => ResponseStatus::Ok,
        S_IOERR => ResponseStatus::ErrIo,
        S_UNSUPP => ResponseStatus::ErrInvalidParam,
        _ => ResponseStatus::ErrUnspec,
    }
}

/// Words of one entry of the driver's in-flight table ([`record`]).
pub const RECORD_WORDS: usize = 4;
const RECORD_VALID: u64 = 1 << 63;

/// The in-flight table entry for `req`: enough to send it again. Word 0
/// says the entry is valid and must be written last (the driver writes
/// words 1-3, then word 0, then lets the device see the chain).
pub fn record(req: &BlkRequest) -> [u64; RECORD_WORDS] {
    [
        RECORD_VALID | u64::from(req.code.raw()) << 16 | u64::from(req.count),
        u64::from(req.id),
        req.block_number,
        req.io_or_offset,
    ]
}

/// The request an in-flight table entry holds; `None` for an empty entry
/// or words [`record`] does not write (the driver answers nothing for
/// those: there is no id to answer).
pub fn unrecord(words: [u64; RECORD_WORDS]) -> Option<BlkRequest> {
    let [head, id, block_number, io_or_offset] = words;
    if head & RECORD_VALID == 0 || head & !(RECORD_VALID | 0xffff_ffff_ffff) != 0 {
        return None;
    }
    Some(BlkRequest {
        code: RequestCode::from_raw((head >> 16) as u32),
        io_or_offset,
        block_number,
        count: head as u16,
        id: u32::try_from(id).ok()?,
    })
}

/// Descriptors per chain: header, data, status.
pub const CHAIN: u16 = 3;

/// The chains of a queue and the sDDF request each carries: chain `c` uses
/// descriptors `3c`, `3c + 1`, `3c + 2`, and its header and status byte
/// have slot `c` in the driver's memory.
#[derive(Debug)]
pub struct Chains<T> {
    free: Vec<u16>,
    busy: Vec<Option<T>>,
}

impl<T: Copy> Chains<T> {
    /// The chains of a queue of `size` descriptors.
    pub fn new(size: u16) -> Chains<T> {
        let n = size / CHAIN;
        Chains {
            free: (0..n).rev().collect(),
            busy: (0..n).map(|_| None).collect(),
        }
    }

    pub fn count(&self) -> usize {
        self.busy.len()
    }

    pub fn in_flight(&self) -> usize {
        self.busy.len() - self.free.len()
    }

    pub fn has_free(&self) -> bool {
        !self.free.is_empty()
    }

    /// Takes a free chain for `what`.
    pub fn take(&mut self, what: T) -> Option<u16> {
        let c = self.free.pop()?;
        self.busy[c as usize] = Some(what);
        Some(c)
    }

    /// Takes chain `c` for `what` (a driver taking over the chains an
    /// earlier one had in flight); false if there is no such chain or it
    /// is busy.
    pub fn take_at(&mut self, c: u16, what: T) -> bool {
        let Some(at) = self.free.iter().position(|f| *f == c) else {
            return false;
        };
        self.free.remove(at);
        self.busy[c as usize] = Some(what);
        true
    }

    /// The chain whose head descriptor the device reports used, and what it
    /// carried; `None` for an id that is no busy chain's head (a device
    /// bug: nothing changes).
    pub fn complete(&mut self, head: u32) -> Option<(u16, T)> {
        if !head.is_multiple_of(u32::from(CHAIN)) {
            return None;
        }
        let c = u16::try_from(head / u32::from(CHAIN)).ok()?;
        let what = self.busy.get_mut(c as usize)?.take()?;
        self.free.push(c);
        Some((c, what))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DISK: Disk = Disk {
        blocks: 1024,
        read_only: false,
        flush: true,
    };

    fn req(code: RequestCode, io: u64, block: u64, count: u16) -> BlkRequest {
        BlkRequest {
            code,
            io_or_offset: io,
            block_number: block,
            count,
            id: 1,
        }
    }

    #[test]
    fn requests_become_sectors() {
        assert_eq!(
            plan(&req(RequestCode::Read, 0x1df0_0000, 256, 4), &DISK),
            Ok(Op::Data {
                write: false,
                sector: 2048,
                addr: 0x1df0_0000,
                bytes: 16384
            })
        );
        assert!(matches!(
            plan(&req(RequestCode::Write, 0x1000, 1023, 1), &DISK),
            Ok(Op::Data { write: true, .. })
        ));
        assert_eq!(
            plan(&req(RequestCode::Write, 0x1000, 1023, 2), &DISK),
            Err(ResponseStatus::ErrInvalidParam)
        );
        assert_eq!(
            plan(&req(RequestCode::Read, 0x1000, 0, 0), &DISK),
            Err(ResponseStatus::ErrInvalidParam)
        );
        assert_eq!(
            plan(&req(RequestCode::Read, 0x1001, 0, 1), &DISK),
            Err(ResponseStatus::ErrInvalidParam)
        );
        assert_eq!(
            plan(&req(RequestCode::Unknown(5), 0, 0, 1), &DISK),
            Err(ResponseStatus::ErrInvalidParam)
        );
        assert_eq!(plan(&req(RequestCode::Flush, 0, 0, 0), &DISK), Ok(Op::Flush));
        let no_cache = Disk { flush: false, ..DISK };
        assert_eq!(plan(&req(RequestCode::Flush, 0, 0, 0), &no_cache), Ok(Op::Done));
        assert_eq!(plan(&req(RequestCode::Barrier, 0, 0, 0), &DISK), Ok(Op::Barrier));
        let ro = Disk {
            read_only: true,
            ..DISK
        };
        assert_eq!(plan(&req(RequestCode::Write, 0, 0, 1), &ro), Err(ResponseStatus::ErrIo));
        assert_eq!(
            (status(0), status(1), status(2), status(9)),
            (
                ResponseStatus::Ok,
                ResponseStatus::ErrIo,
                ResponseStatus::ErrInvalidParam,
                ResponseStatus::ErrUnspec
            )
        );
    }

    #[test]
    fn chains_come_back_once() {
        let mut c: Chains<u32> = Chains::new(8);
        assert_eq!(c.count(), 2);
        let a = c.take(10).unwrap();
        let b = c.take(11).unwrap();
        assert!(c.take(12).is_none());
        assert_eq!(c.complete(u32::from(b) * 3), Some((b, 11)));
        assert_eq!(c.complete(u32::from(b) * 3), None, "completed twice");
        assert_eq!(c.complete(u32::from(a) * 3 + 1), None, "not a chain head");
        assert_eq!(c.complete(300), None, "no such chain");
        assert_eq!(c.in_flight(), 1);
        assert!(c.take_at(b, 20) && !c.take_at(b, 21) && !c.take_at(7, 22));
        assert_eq!(c.complete(u32::from(b) * 3), Some((b, 20)));
    }

    #[test]
    fn in_flight_records_round_trip() {
        let r = BlkRequest {
            code: RequestCode::Write,
            io_or_offset: 0x1df0_4000,
            block_number: 300,
            count: 4,
            id: 0x0003_0007,
        };
        let w = record(&r);
        assert_eq!(unrecord(w), Some(r));
        assert_eq!(unrecord([0, 1, 2, 3]), None, "an empty entry");
        assert_eq!(unrecord([w[0] | 1 << 60, w[1], w[2], w[3]]), None, "stray bits");
        assert_eq!(unrecord([w[0], 1 << 40, w[2], w[3]]), None, "an id wider than 32 bits");
    }

    proptest! {
        /// Whatever request was taken, its in-flight entry gives it back.
        #[test]
        fn any_request_round_trips(code in any::<u32>(), io in any::<u64>(), block in any::<u64>(), count in any::<u16>(), id in any::<u32>()) {
            let r = BlkRequest { code: RequestCode::from_raw(code), io_or_offset: io, block_number: block, count, id };
            prop_assert_eq!(unrecord(record(&r)), Some(r));
        }

        /// A planned transfer never leaves the disk, whatever the request.
        #[test]
        fn plans_stay_on_the_disk(code in 0u32..5, io in any::<u64>(), block in any::<u64>(), count in any::<u16>()) {
            if let Ok(Op::Data { sector, bytes, addr, .. }) = plan(&req(RequestCode::from_raw(code), io, block, count), &DISK) {
                prop_assert!(bytes > 0);
                prop_assert!(sector + u64::from(bytes) / 512 <= DISK.blocks * 8);
                prop_assert!(addr.checked_add(u64::from(bytes)).is_some());
            }
        }
    }
}
