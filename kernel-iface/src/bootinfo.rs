//! The boot-info page the kernel gives the root task (`seL4_BootInfo`).
//!
//! The C struct is packed, so it is decoded field by field from bytes by
//! [`BootInfo::parse`], a pure function tested on the host. Offsets for
//! 64-bit 5.0.0:
//!
//! | offset | field |
//! | --- | --- |
//! | 0 | extraLen |
//! | 8 | nodeID |
//! | 16 | numNodes |
//! | 24 | numIOPTLevels |
//! | 32 | ipcBuffer (pointer) |
//! | 40 | empty {start, end} |
//! | 56 | sharedFrames |
//! | 72 | userImageFrames |
//! | 88 | userImagePaging |
//! | 104 | ioSpaceCaps |
//! | 120 | extraBIPages |
//! | 136 | initThreadCNodeSizeBits (u8) |
//! | 137 | initThreadDomain |
//! | 145 | archInfo (TSC frequency in MHz on x86) |
//! | 153 | untyped {start, end} |
//! | 169 | untypedList: 12-byte {paddr, pad, pad, sizeBits, isDevice} entries |

use crate::abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS;

/// Bytes of boot info this binding reads.
pub const BOOTINFO_BYTES: usize = UNTYPED_LIST_OFFSET + 12 * MAX_NUM_BOOTINFO_UNTYPED_CAPS;
const UNTYPED_LIST_OFFSET: usize = 169;

/// A range of CNode slots: `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SlotRegion {
    pub start: u64,
    pub end: u64,
}

impl SlotRegion {
    /// Number of slots in the region.
    pub fn len(&self) -> u64 {
        self.end.saturating_sub(self.start)
    }
    /// True if the region holds no slot.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One untyped capability described by boot info.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct UntypedDesc {
    pub paddr: u64,
    pub size_bits: u8,
    pub is_device: bool,
}

/// The decoded boot info.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootInfo {
    pub extra_len: u64,
    pub node_id: u64,
    pub num_nodes: u64,
    pub num_io_pt_levels: u64,
    pub ipc_buffer: u64,
    pub empty: SlotRegion,
    pub shared_frames: SlotRegion,
    pub user_image_frames: SlotRegion,
    pub user_image_paging: SlotRegion,
    pub io_space_caps: SlotRegion,
    pub extra_bi_pages: SlotRegion,
    pub init_thread_cnode_size_bits: u8,
    pub init_thread_domain: u64,
    /// TSC frequency in MHz as the kernel calibrated it.
    pub tsc_mhz: u64,
    pub untyped: SlotRegion,
    pub untyped_list: [UntypedDesc; MAX_NUM_BOOTINFO_UNTYPED_CAPS],
}

/// Why boot info could not be decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BootInfoError {
    /// Fewer bytes than the structure needs.
    Truncated,
    /// The untyped region claims more entries than the list holds.
    TooManyUntypeds(u64),
    /// A region's end lies before its start.
    BadRegion,
}

fn word(b: &[u8], off: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[off..off + 8]);
    u64::from_le_bytes(w)
}

fn region(b: &[u8], off: usize) -> Result<SlotRegion, BootInfoError> {
    let r = SlotRegion {
        start: word(b, off),
        end: word(b, off + 8),
    };
    if r.end < r.start {
        return Err(BootInfoError::BadRegion);
    }
    Ok(r)
}

impl BootInfo {
    /// Decodes boot info from its bytes.
    pub fn parse(b: &[u8]) -> Result<BootInfo, BootInfoError> {
        if b.len() < BOOTINFO_BYTES {
            return Err(BootInfoError::Truncated);
        }
        let untyped = region(b, 153)?;
        if untyped.len() > MAX_NUM_BOOTINFO_UNTYPED_CAPS as u64 {
            return Err(BootInfoError::TooManyUntypeds(untyped.len()));
        }
        let mut untyped_list = [UntypedDesc::default(); MAX_NUM_BOOTINFO_UNTYPED_CAPS];
        for (i, d) in untyped_list.iter_mut().enumerate().take(untyped.len() as usize) {
            let off = UNTYPED_LIST_OFFSET + 12 * i;
            *d = UntypedDesc {
                paddr: word(b, off),
                size_bits: b[off + 10],
                is_device: b[off + 11] != 0,
            };
        }
        Ok(BootInfo {
            extra_len: word(b, 0),
            node_id: word(b, 8),
            num_nodes: word(b, 16),
            num_io_pt_levels: word(b, 24),
            ipc_buffer: word(b, 32),
            empty: region(b, 40)?,
            shared_frames: region(b, 56)?,
            user_image_frames: region(b, 72)?,
            user_image_paging: region(b, 88)?,
            io_space_caps: region(b, 104)?,
            extra_bi_pages: region(b, 120)?,
            init_thread_cnode_size_bits: b[136],
            init_thread_domain: word(b, 137),
            tsc_mhz: word(b, 145),
            untyped,
            untyped_list,
        })
    }

    /// The untyped descriptors that are in use, paired with their slots.
    pub fn untypeds(&self) -> impl Iterator<Item = (u64, UntypedDesc)> + '_ {
        (self.untyped.start..self.untyped.end).zip(self.untyped_list.iter().copied())
    }

    /// Reads boot info from the address the kernel passed the root task.
    ///
    /// # Safety
    /// `addr` must be the boot-info pointer the kernel handed the root task
    /// in `rdi`; the kernel maps that page (and the untyped list after the
    /// header fits within it) read-only for the root task's lifetime.
    pub unsafe fn from_root_task_pointer(addr: u64) -> Result<BootInfo, BootInfoError> {
        // SAFETY: per the contract, BOOTINFO_BYTES (2173 bytes) starting at
        // `addr` lie inside the mapped boot-info frame (4 KiB).
        let bytes = unsafe { core::slice::from_raw_parts(addr as *const u8, BOOTINFO_BYTES) };
        BootInfo::parse(bytes)
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec;

    fn put(b: &mut [u8], off: usize, v: u64) {
        b[off..off + 8].copy_from_slice(&v.to_le_bytes());
    }

    fn sample() -> std::vec::Vec<u8> {
        let mut b = vec![0u8; BOOTINFO_BYTES];
        put(&mut b, 16, 1);
        put(&mut b, 32, 0x5000);
        put(&mut b, 40, 170);
        put(&mut b, 48, 4096);
        b[136] = 12;
        put(&mut b, 145, 999);
        put(&mut b, 153, 30);
        put(&mut b, 161, 32);
        put(&mut b, 169, 0x10_0000);
        b[169 + 10] = 20;
        put(&mut b, 181, 0xfec0_0000);
        b[181 + 10] = 12;
        b[181 + 11] = 1;
        b
    }

    #[test]
    fn parses_packed_fields() {
        let bi = BootInfo::parse(&sample()).unwrap();
        assert_eq!(bi.num_nodes, 1);
        assert_eq!(bi.ipc_buffer, 0x5000);
        assert_eq!(bi.empty, SlotRegion { start: 170, end: 4096 });
        assert_eq!(bi.empty.len(), 3926);
        assert_eq!(bi.init_thread_cnode_size_bits, 12);
        assert_eq!(bi.tsc_mhz, 999);
        let u: std::vec::Vec<_> = bi.untypeds().collect();
        assert_eq!(u.len(), 2);
        assert_eq!(
            u[0],
            (
                30,
                UntypedDesc {
                    paddr: 0x10_0000,
                    size_bits: 20,
                    is_device: false
                }
            )
        );
        assert_eq!(
            u[1],
            (
                31,
                UntypedDesc {
                    paddr: 0xfec0_0000,
                    size_bits: 12,
                    is_device: true
                }
            )
        );
    }

    #[test]
    fn refuses_short_and_inconsistent_input() {
        assert_eq!(BootInfo::parse(&[0u8; 100]), Err(BootInfoError::Truncated));
        let mut b = sample();
        put(&mut b, 161, 30 + 500);
        assert_eq!(BootInfo::parse(&b), Err(BootInfoError::TooManyUntypeds(500)));
        let mut b = sample();
        put(&mut b, 48, 1);
        assert_eq!(BootInfo::parse(&b), Err(BootInfoError::BadRegion));
    }
}
