//! Device resources (class 1): a driver's device registers and interrupts,
//! `device_resources_t`.
//!
//! | offset | field |
//! | --- | --- |
//! | 0 | magic `"sDDF\x01"` |
//! | 5 | `u8 num_regions` |
//! | 6 | `u8 num_irqs` |
//! | 8 | 64 × `device_region_resource_t` (24 bytes) |
//! | 1544 | 64 × `u8` irq channel id |
//!
//! sdfgen writes this blob for every driver, with no regions and no
//! interrupts when the system was described without a device node.

use alloc::vec::Vec;

use super::{class, ConfigBlob, ConfigError, DeviceRegionResource, Reader, Writer, MAX_ENTRIES};

/// `device_resources_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct DeviceResources {
    /// The device's register regions, as mapped into the driver.
    pub regions: Vec<DeviceRegionResource>,
    /// The channel id of each of the device's interrupts.
    pub irqs: Vec<u8>,
}

impl DeviceResources {
    pub const NUM_REGIONS: usize = 5;
    pub const NUM_IRQS: usize = 6;
    pub const REGIONS: usize = 8;
    pub const IRQS: usize = Self::REGIONS + MAX_ENTRIES * DeviceRegionResource::SIZE;
}

impl ConfigBlob for DeviceResources {
    const CLASS: u8 = class::DEVICE_RESOURCES;
    const SIZE: usize = 1608;
    const SECTION: &'static str = ".device_resources";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        let num_regions = r.count(r.u8(Self::NUM_REGIONS).into(), "num_regions")?;
        let num_irqs = r.count(r.u8(Self::NUM_IRQS).into(), "num_irqs")?;
        Ok(DeviceResources {
            regions: r.list(Self::REGIONS, DeviceRegionResource::SIZE, num_regions, |r, at| {
                Ok(DeviceRegionResource::read(r, at))
            })?,
            irqs: r.list(Self::IRQS, 1, num_irqs, |r, at| Ok(r.u8(at)))?,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        w.u8(Self::NUM_REGIONS, w.count(&self.regions, "num_regions")? as u8);
        w.u8(Self::NUM_IRQS, w.count(&self.irqs, "num_irqs")? as u8);
        for (i, region) in self.regions.iter().enumerate() {
            region.write(&mut w, Self::REGIONS + i * DeviceRegionResource::SIZE);
        }
        w.bytes(Self::IRQS, &self.irqs);
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_framing, decode_never_panics, pokes};
    use super::super::RegionResource;
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn layout_matches_sddf() {
        assert_eq!((DeviceResources::NUM_REGIONS, DeviceResources::NUM_IRQS), (5, 6));
        assert_eq!(
            (DeviceResources::REGIONS, DeviceResources::IRQS, DeviceResources::SIZE),
            (8, 1544, 1608)
        );
        assert_eq!(DeviceResources::IRQS + MAX_ENTRIES, DeviceResources::SIZE);
    }

    #[test]
    fn framing_and_fields() {
        let sample = DeviceResources {
            regions: vec![DeviceRegionResource {
                region: RegionResource {
                    vaddr: 0x2000_0000,
                    size: 0x1000,
                },
                io_addr: 0xfed0_0000,
            }],
            irqs: vec![3, 4],
        };
        check_framing(&sample);
        let blob = sample.encode().unwrap();
        assert_eq!((blob[5], blob[6]), (1, 2));
        assert_eq!(blob[8..16], 0x2000_0000u64.to_le_bytes());
        assert_eq!(blob[24..32], 0xfed0_0000u64.to_le_bytes());
        assert_eq!(blob[1544..1546], [3, 4]);
    }

    #[test]
    fn counts_are_checked_both_ways() {
        let mut blob = DeviceResources::default().encode().unwrap();
        blob[6] = 65;
        assert_eq!(
            DeviceResources::decode(&blob),
            Err(ConfigError::CountOutOfRange {
                field: "num_irqs",
                count: 65,
                max: 64
            })
        );
        let too_many = DeviceResources {
            regions: vec![DeviceRegionResource::default(); 65],
            irqs: vec![],
        };
        assert_eq!(
            too_many.encode(),
            Err(ConfigError::CountOutOfRange {
                field: "num_regions",
                count: 65,
                max: 64
            })
        );
    }

    proptest! {
        #[test]
        fn round_trips(regions in proptest::collection::vec(any::<(u64, u64, u64)>(), 0..=64), irqs in proptest::collection::vec(any::<u8>(), 0..=64)) {
            let value = DeviceResources {
                regions: regions.into_iter().map(|(vaddr, size, io_addr)| DeviceRegionResource { region: RegionResource { vaddr, size }, io_addr }).collect(),
                irqs,
            };
            prop_assert_eq!(DeviceResources::decode(&value.encode().unwrap()), Ok(value));
        }

        #[test]
        fn decoding_junk_never_panics(pokes in pokes()) {
            decode_never_panics::<DeviceResources>(&[5, 6], &pokes);
        }
    }
}
