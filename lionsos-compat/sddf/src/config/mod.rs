//! The configuration blobs sDDF components receive, decoded and encoded.
//!
//! Each sDDF component declares one global configuration struct in a named
//! ELF section (for example `.serial_virt_tx_config`); the build replaces the
//! section's bytes with the `.data` file the sdfgen metaprogram wrote for
//! that component. The blobs are the C structs of sDDF's
//! `include/sddf/*/config.h` and `include/sddf/resources/*.h` as laid out on
//! an LP64 little-endian target: padding included, pointers as 8-byte
//! virtual addresses in the component's own address space.
//!
//! Every top-level struct starts with a five-byte magic, `"sDDF"` and a class
//! number ([`class`]), and implements [`ConfigBlob`]: its size, magic class
//! and section name as constants, [`ConfigBlob::decode`] from bytes and
//! [`ConfigBlob::encode`] back (so Pride can also write configurations for
//! components it starts at run time).
//!
//! | class | struct | section | size |
//! | --- | --- | --- | --- |
//! | 1 | [`device::DeviceResources`] | `.device_resources` | 1,608 |
//! | 2 | [`blk::BlkDriverConfig`] | `.blk_driver_config` | 64 |
//! | 2 | [`blk::BlkVirtConfig`] | `.blk_virt_config` | 5,728 |
//! | 2 | [`blk::BlkClientConfig`] | `.blk_client_config` | 80 |
//! | 3 | [`serial::SerialDriverConfig`] | `.serial_driver_config` | 104 |
//! | 3 | [`serial::SerialVirtRxConfig`] | `.serial_virt_rx_config` | 2,616 |
//! | 3 | [`serial::SerialVirtTxConfig`] | `.serial_virt_tx_config` | 6,840 |
//! | 3 | [`serial::SerialClientConfig`] | `.serial_client_config` | 88 |
//! | 5 | [`net::NetDriverConfig`] | `.net_driver_config` | 88 |
//! | 5 | [`net::NetVirtRxConfig`] | `.net_virt_rx_config` | 27,744 |
//! | 5 | [`net::NetVirtTxConfig`] | `.net_virt_tx_config` | 134,200 |
//! | 5 | [`net::NetCopyConfig`] | `.net_copy_config` | 1,128 |
//! | 5 | [`net::NetClientConfig`] | `.net_client_config` | 128 |
//! | 6 | [`timer::TimerClientConfig`] | `.timer_client_config` | 6 |
//!
//! ## Validation
//!
//! A blob is checked in one place, on decoding: the magic, the exact size
//! (the class does not say which struct of the class a blob is; the size
//! does), every count against the array it counts, every `bool` byte (0 or
//! 1), and every string for its terminating NUL and UTF-8. Array entries
//! beyond a count are ignored, and padding bytes may hold anything (sdfgen
//! fills some with 0xaa). Encoding writes zeros there.

pub mod blk;
pub mod device;
pub mod net;
pub mod serial;
pub mod timer;

use alloc::string::String;
use alloc::vec::Vec;

/// The class numbers that follow `"sDDF"` in the magic.
pub mod class {
    pub const DEVICE_RESOURCES: u8 = 1;
    pub const BLK: u8 = 2;
    pub const SERIAL: u8 = 3;
    pub const I2C: u8 = 4;
    pub const NET: u8 = 5;
    pub const TIMER: u8 = 6;
    pub const GPU: u8 = 7;
}

/// Length of the magic at offset 0 of every configuration struct.
pub const MAGIC_LEN: usize = 5;

/// Every fixed-size array in the sDDF configuration structs has this many
/// entries (`SDDF_*_MAX_CLIENTS`, `DEVICE_MAX_REGIONS`, `DEVICE_MAX_IRQS`).
pub const MAX_ENTRIES: usize = 64;

/// The magic of class `class`: `"sDDF"` then the class number.
pub const fn magic(class: u8) -> [u8; MAGIC_LEN] {
    [b's', b'D', b'D', b'F', class]
}

/// Why a blob could not be decoded, or a struct encoded. On decoding the
/// blob (that is, whoever built the system image) is at fault; on encoding,
/// the caller that filled in the struct.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ConfigError {
    /// The blob does not start with the expected magic: another device
    /// class's configuration, or no sDDF configuration at all.
    BadMagic { expected: [u8; MAGIC_LEN], found: Vec<u8> },
    /// The blob's length is not the struct's size: another struct of the
    /// same class, a truncated blob, or one from another sDDF version.
    WrongSize { expected: usize, found: usize },
    /// A count exceeds the array it counts (or, encoding, a list is longer
    /// than the array).
    CountOutOfRange { field: &'static str, count: u64, max: u64 },
    /// A `bool` byte holds neither 0 nor 1.
    BadBool { field: &'static str, value: u8 },
    /// A string field has no terminating NUL (or, encoding, a string does
    /// not fit with its NUL, or contains one).
    StringTooLong { field: &'static str, max: usize },
    /// A string field is not UTF-8.
    NotUtf8 { field: &'static str },
}

/// A top-level sDDF configuration struct.
pub trait ConfigBlob: Sized {
    /// The class number in the magic.
    const CLASS: u8;
    /// `sizeof` the C struct: the exact length of the blob.
    const SIZE: usize;
    /// The ELF section the component declares the struct in.
    const SECTION: &'static str;

    /// Decodes and validates a blob.
    fn decode(blob: &[u8]) -> Result<Self, ConfigError>;

    /// Encodes the struct as the C compiler lays it out.
    fn encode(&self) -> Result<Vec<u8>, ConfigError>;
}

/// A region mapped into the component: `region_resource_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RegionResource {
    /// Where it is mapped, in the component's address space.
    pub vaddr: u64,
    /// Its size in bytes.
    pub size: u64,
}

impl RegionResource {
    pub const SIZE: usize = 16;
    pub const VADDR: usize = 0;
    pub const SIZE_FIELD: usize = 8;

    pub(crate) fn read(r: &Reader, at: usize) -> Self {
        RegionResource {
            vaddr: r.u64(at + Self::VADDR),
            size: r.u64(at + Self::SIZE_FIELD),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer, at: usize) {
        w.u64(at + Self::VADDR, self.vaddr);
        w.u64(at + Self::SIZE_FIELD, self.size);
    }
}

/// A region that a device also reaches: `device_region_resource_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeviceRegionResource {
    pub region: RegionResource,
    /// The address the device uses for it (physical, without an IOMMU).
    pub io_addr: u64,
}

impl DeviceRegionResource {
    pub const SIZE: usize = 24;
    pub const REGION: usize = 0;
    pub const IO_ADDR: usize = 16;

    pub(crate) fn read(r: &Reader, at: usize) -> Self {
        DeviceRegionResource {
            region: RegionResource::read(r, at + Self::REGION),
            io_addr: r.u64(at + Self::IO_ADDR),
        }
    }

    pub(crate) fn write(&self, w: &mut Writer, at: usize) {
        self.region.write(w, at + Self::REGION);
        w.u64(at + Self::IO_ADDR, self.io_addr);
    }
}

/// Reads fields of a blob whose length has been checked: every offset the
/// decoders pass is inside it, by the layout constants.
pub(crate) struct Reader<'a> {
    blob: &'a [u8],
}

impl<'a> Reader<'a> {
    /// Checks the magic and the size, in that order (a blob of another class
    /// says so, whatever its size).
    pub fn open(blob: &'a [u8], class: u8, size: usize) -> Result<Self, ConfigError> {
        let expected = magic(class);
        let found = &blob[..blob.len().min(MAGIC_LEN)];
        if found != expected {
            return Err(ConfigError::BadMagic {
                expected,
                found: found.to_vec(),
            });
        }
        if blob.len() != size {
            return Err(ConfigError::WrongSize {
                expected: size,
                found: blob.len(),
            });
        }
        Ok(Reader { blob })
    }

    fn array<const N: usize>(&self, at: usize) -> [u8; N] {
        let mut out = [0; N];
        out.copy_from_slice(&self.blob[at..at + N]);
        out
    }

    pub fn u8(&self, at: usize) -> u8 {
        self.blob[at]
    }
    pub fn u16(&self, at: usize) -> u16 {
        u16::from_le_bytes(self.array(at))
    }
    pub fn u32(&self, at: usize) -> u32 {
        u32::from_le_bytes(self.array(at))
    }
    pub fn u64(&self, at: usize) -> u64 {
        u64::from_le_bytes(self.array(at))
    }
    pub fn bytes<const N: usize>(&self, at: usize) -> [u8; N] {
        self.array(at)
    }

    pub fn bool(&self, at: usize, field: &'static str) -> Result<bool, ConfigError> {
        match self.u8(at) {
            0 => Ok(false),
            1 => Ok(true),
            value => Err(ConfigError::BadBool { field, value }),
        }
    }

    /// A count of at most [`MAX_ENTRIES`].
    pub fn count(&self, value: u64, field: &'static str) -> Result<usize, ConfigError> {
        if value > MAX_ENTRIES as u64 {
            return Err(ConfigError::CountOutOfRange {
                field,
                count: value,
                max: MAX_ENTRIES as u64,
            });
        }
        Ok(value as usize)
    }

    /// A NUL-terminated string in a `len`-byte field.
    pub fn string(&self, at: usize, len: usize, field: &'static str) -> Result<String, ConfigError> {
        let bytes = &self.blob[at..at + len];
        let end = bytes
            .iter()
            .position(|b| *b == 0)
            .ok_or(ConfigError::StringTooLong { field, max: len - 1 })?;
        let text = core::str::from_utf8(&bytes[..end]).map_err(|_| ConfigError::NotUtf8 { field })?;
        Ok(String::from(text))
    }

    /// `count` entries of `stride` bytes from `at`, each decoded by `read`.
    pub fn list<T>(
        &self,
        at: usize,
        stride: usize,
        count: usize,
        mut read: impl FnMut(&Self, usize) -> Result<T, ConfigError>,
    ) -> Result<Vec<T>, ConfigError> {
        (0..count).map(|i| read(self, at + i * stride)).collect()
    }
}

/// Builds a blob: zero-filled, magic in place.
pub(crate) struct Writer {
    blob: Vec<u8>,
}

impl Writer {
    pub fn new(class: u8, size: usize) -> Self {
        let mut blob = alloc::vec![0u8; size];
        blob[..MAGIC_LEN].copy_from_slice(&magic(class));
        Writer { blob }
    }

    pub fn finish(self) -> Vec<u8> {
        self.blob
    }

    pub fn u8(&mut self, at: usize, value: u8) {
        self.blob[at] = value;
    }
    pub fn u16(&mut self, at: usize, value: u16) {
        self.blob[at..at + 2].copy_from_slice(&value.to_le_bytes());
    }
    pub fn u32(&mut self, at: usize, value: u32) {
        self.blob[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }
    pub fn u64(&mut self, at: usize, value: u64) {
        self.blob[at..at + 8].copy_from_slice(&value.to_le_bytes());
    }
    pub fn bytes(&mut self, at: usize, value: &[u8]) {
        self.blob[at..at + value.len()].copy_from_slice(value);
    }
    pub fn bool(&mut self, at: usize, value: bool) {
        self.blob[at] = u8::from(value);
    }

    /// A list of at most [`MAX_ENTRIES`]; gives its length for the count field.
    pub fn count<T>(&self, list: &[T], field: &'static str) -> Result<usize, ConfigError> {
        if list.len() > MAX_ENTRIES {
            return Err(ConfigError::CountOutOfRange {
                field,
                count: list.len() as u64,
                max: MAX_ENTRIES as u64,
            });
        }
        Ok(list.len())
    }

    /// A string into a `len`-byte field, with its NUL.
    pub fn string(&mut self, at: usize, len: usize, value: &str, field: &'static str) -> Result<(), ConfigError> {
        if value.len() >= len || value.contains('\0') {
            return Err(ConfigError::StringTooLong { field, max: len - 1 });
        }
        self.bytes(at, value.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    /// What every blob type must do: refuse another class's magic, any other
    /// length, and round-trip whatever it encodes.
    pub fn check_framing<T: ConfigBlob + PartialEq + core::fmt::Debug>(sample: &T) {
        let blob = sample.encode().unwrap();
        assert_eq!(blob.len(), T::SIZE);
        assert_eq!(blob[..5], magic(T::CLASS));
        assert_eq!(&T::decode(&blob).unwrap(), sample);

        let mut other_class = blob.clone();
        other_class[4] = T::CLASS + 1;
        assert_eq!(
            T::decode(&other_class).unwrap_err(),
            ConfigError::BadMagic {
                expected: magic(T::CLASS),
                found: magic(T::CLASS + 1).to_vec()
            }
        );
        assert!(matches!(T::decode(&blob[..3]), Err(ConfigError::BadMagic { .. })));
        assert_eq!(
            T::decode(&blob[..T::SIZE - 1]).unwrap_err(),
            ConfigError::WrongSize {
                expected: T::SIZE,
                found: T::SIZE - 1
            }
        );
        let mut longer = blob.clone();
        longer.push(0);
        assert_eq!(
            T::decode(&longer).unwrap_err(),
            ConfigError::WrongSize {
                expected: T::SIZE,
                found: T::SIZE + 1
            }
        );
    }

    /// Random byte pokes for [`decode_never_panics`]: (aim at one of the
    /// interesting offsets?, which offset, value).
    pub fn pokes() -> impl Strategy<Value = Vec<(bool, usize, u8)>> {
        proptest::collection::vec((any::<bool>(), any::<usize>(), any::<u8>()), 0..100)
    }

    /// Decoding arbitrary bytes behind a valid magic never panics. Half the
    /// pokes aim at `interesting` offsets (counts, bools, strings), the rest
    /// land anywhere.
    pub fn decode_never_panics<T: ConfigBlob>(interesting: &[usize], pokes: &[(bool, usize, u8)]) {
        let mut blob = vec![0u8; T::SIZE];
        blob[..5].copy_from_slice(&magic(T::CLASS));
        for &(aimed, index, value) in pokes {
            let at = if aimed && !interesting.is_empty() {
                interesting[index % interesting.len()]
            } else {
                MAGIC_LEN + index % (T::SIZE - MAGIC_LEN)
            };
            blob[at] = value;
        }
        let _ = T::decode(&blob);
    }

    #[test]
    fn magics_are_sddf_and_the_class() {
        assert_eq!(magic(class::NET), *b"sDDF\x05");
        assert_eq!(
            [
                class::DEVICE_RESOURCES,
                class::BLK,
                class::SERIAL,
                class::I2C,
                class::NET,
                class::TIMER,
                class::GPU
            ],
            [1, 2, 3, 4, 5, 6, 7]
        );
    }

    #[test]
    fn resource_layouts() {
        assert_eq!(
            (RegionResource::SIZE, RegionResource::VADDR, RegionResource::SIZE_FIELD),
            (16, 0, 8)
        );
        assert_eq!(
            (
                DeviceRegionResource::SIZE,
                DeviceRegionResource::REGION,
                DeviceRegionResource::IO_ADDR
            ),
            (24, 0, 16)
        );
    }

    #[test]
    fn strings_need_their_nul_and_utf8() {
        let mut blob = vec![b'x'; 16];
        blob[..5].copy_from_slice(&magic(3));
        let r = Reader::open(&blob, 3, 16).unwrap();
        assert_eq!(
            r.string(8, 8, "name"),
            Err(ConfigError::StringTooLong { field: "name", max: 7 })
        );
        blob[10] = 0;
        blob[9] = 0xff;
        let r = Reader::open(&blob, 3, 16).unwrap();
        assert_eq!(r.string(8, 8, "name"), Err(ConfigError::NotUtf8 { field: "name" }));
        blob[9] = b'y';
        let r = Reader::open(&blob, 3, 16).unwrap();
        assert_eq!(r.string(8, 8, "name").unwrap(), "xy");

        let mut w = Writer::new(3, 16);
        assert_eq!(
            w.string(8, 8, "12345678", "name"),
            Err(ConfigError::StringTooLong { field: "name", max: 7 })
        );
        assert_eq!(
            w.string(8, 8, "a\0b", "name"),
            Err(ConfigError::StringTooLong { field: "name", max: 7 })
        );
        assert_eq!(w.string(8, 8, "1234567", "name"), Ok(()));
    }

    #[test]
    fn bools_must_be_zero_or_one() {
        let mut blob = vec![0u8; 8];
        blob[..5].copy_from_slice(&magic(3));
        blob[6] = 2;
        let r = Reader::open(&blob, 3, 8).unwrap();
        assert_eq!(r.bool(5, "flag"), Ok(false));
        assert_eq!(
            r.bool(6, "flag"),
            Err(ConfigError::BadBool {
                field: "flag",
                value: 2
            })
        );
    }

    proptest! {
        #[test]
        fn counts_above_the_array_are_refused(count in 0u64..300) {
            let blob = magic(1);
            let r = Reader::open(&blob, 1, 5).unwrap();
            let got = r.count(count, "n");
            if count <= 64 {
                prop_assert_eq!(got, Ok(count as usize));
            } else {
                prop_assert_eq!(got, Err(ConfigError::CountOutOfRange { field: "n", count, max: 64 }));
            }
        }
    }
}
