//! Block configuration (class 2): `include/sddf/blk/config.h`.
//!
//! Every link is a [`BlkConnectionResource`]: the storage-info, request and
//! response queue regions, the queues' capacity and the channel id.
//!
//! | struct | offsets |
//! | --- | --- |
//! | `blk_connection_resource_t` (56) | storage_info 0, req_queue 16, resp_queue 32, `u16 num_buffers` 48, `u8 id` 50 |
//! | `blk_driver_config_t` (64) | virt 8 |
//! | `blk_virt_config_driver_t` (80) | conn 0, data 56 |
//! | `blk_virt_config_client_t` (88) | conn 0, data 56, `u32 partition` 80 |
//! | `blk_virt_config_t` (5,728) | `u64 num_clients` 8, driver 16, clients 96 (64 × 88) |
//! | `blk_client_config_t` (80) | virt 8, data 64 |

use alloc::vec::Vec;

use super::{class, ConfigBlob, ConfigError, DeviceRegionResource, Reader, RegionResource, Writer};

/// One link to a neighbour, `blk_connection_resource_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlkConnectionResource {
    pub storage_info: RegionResource,
    pub req_queue: RegionResource,
    pub resp_queue: RegionResource,
    /// Both queues' capacity.
    pub num_buffers: u16,
    /// The channel to the neighbour.
    pub id: u8,
}

impl BlkConnectionResource {
    pub const SIZE: usize = 56;
    pub const STORAGE_INFO: usize = 0;
    pub const REQ_QUEUE: usize = 16;
    pub const RESP_QUEUE: usize = 32;
    pub const NUM_BUFFERS: usize = 48;
    pub const ID: usize = 50;

    fn read(r: &Reader, at: usize) -> Self {
        BlkConnectionResource {
            storage_info: RegionResource::read(r, at + Self::STORAGE_INFO),
            req_queue: RegionResource::read(r, at + Self::REQ_QUEUE),
            resp_queue: RegionResource::read(r, at + Self::RESP_QUEUE),
            num_buffers: r.u16(at + Self::NUM_BUFFERS),
            id: r.u8(at + Self::ID),
        }
    }

    fn write(&self, w: &mut Writer, at: usize) {
        self.storage_info.write(w, at + Self::STORAGE_INFO);
        self.req_queue.write(w, at + Self::REQ_QUEUE);
        self.resp_queue.write(w, at + Self::RESP_QUEUE);
        w.u16(at + Self::NUM_BUFFERS, self.num_buffers);
        w.u8(at + Self::ID, self.id);
    }
}

/// The driver's configuration, `blk_driver_config_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlkDriverConfig {
    pub virt: BlkConnectionResource,
}

impl BlkDriverConfig {
    pub const VIRT: usize = 8;
}

impl ConfigBlob for BlkDriverConfig {
    const CLASS: u8 = class::BLK;
    const SIZE: usize = 64;
    const SECTION: &'static str = ".blk_driver_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        Ok(BlkDriverConfig {
            virt: BlkConnectionResource::read(&r, Self::VIRT),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        self.virt.write(&mut w, Self::VIRT);
        Ok(w.finish())
    }
}

/// The virtualiser's link to the driver, `blk_virt_config_driver_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlkVirtDriver {
    pub conn: BlkConnectionResource,
    /// The virtualiser's bounce region the device transfers into.
    pub data: DeviceRegionResource,
}

impl BlkVirtDriver {
    pub const SIZE: usize = 80;
    pub const CONN: usize = 0;
    pub const DATA: usize = 56;
}

/// One client of the virtualiser, `blk_virt_config_client_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlkVirtClient {
    pub conn: BlkConnectionResource,
    /// The client's data region, as the virtualiser maps it.
    pub data: DeviceRegionResource,
    /// The partition of the device this client sees.
    pub partition: u32,
}

impl BlkVirtClient {
    pub const SIZE: usize = 88;
    pub const CONN: usize = 0;
    pub const DATA: usize = 56;
    pub const PARTITION: usize = 80;
}

/// The virtualiser's configuration, `blk_virt_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlkVirtConfig {
    pub driver: BlkVirtDriver,
    pub clients: Vec<BlkVirtClient>,
}

impl BlkVirtConfig {
    pub const NUM_CLIENTS: usize = 8;
    pub const DRIVER: usize = 16;
    pub const CLIENTS: usize = 96;
}

impl ConfigBlob for BlkVirtConfig {
    const CLASS: u8 = class::BLK;
    const SIZE: usize = 5728;
    const SECTION: &'static str = ".blk_virt_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        let num_clients = r.count(r.u64(Self::NUM_CLIENTS), "num_clients")?;
        let driver = BlkVirtDriver {
            conn: BlkConnectionResource::read(&r, Self::DRIVER + BlkVirtDriver::CONN),
            data: DeviceRegionResource::read(&r, Self::DRIVER + BlkVirtDriver::DATA),
        };
        Ok(BlkVirtConfig {
            driver,
            clients: r.list(Self::CLIENTS, BlkVirtClient::SIZE, num_clients, |r, at| {
                Ok(BlkVirtClient {
                    conn: BlkConnectionResource::read(r, at + BlkVirtClient::CONN),
                    data: DeviceRegionResource::read(r, at + BlkVirtClient::DATA),
                    partition: r.u32(at + BlkVirtClient::PARTITION),
                })
            })?,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        let num_clients = w.count(&self.clients, "num_clients")?;
        w.u64(Self::NUM_CLIENTS, num_clients as u64);
        self.driver.conn.write(&mut w, Self::DRIVER + BlkVirtDriver::CONN);
        self.driver.data.write(&mut w, Self::DRIVER + BlkVirtDriver::DATA);
        for (i, client) in self.clients.iter().enumerate() {
            let at = Self::CLIENTS + i * BlkVirtClient::SIZE;
            client.conn.write(&mut w, at + BlkVirtClient::CONN);
            client.data.write(&mut w, at + BlkVirtClient::DATA);
            w.u32(at + BlkVirtClient::PARTITION, client.partition);
        }
        Ok(w.finish())
    }
}

/// A client's configuration, `blk_client_config_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BlkClientConfig {
    pub virt: BlkConnectionResource,
    /// The client's data region.
    pub data: RegionResource,
}

impl BlkClientConfig {
    pub const VIRT: usize = 8;
    pub const DATA: usize = 64;
}

impl ConfigBlob for BlkClientConfig {
    const CLASS: u8 = class::BLK;
    const SIZE: usize = 80;
    const SECTION: &'static str = ".blk_client_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        Ok(BlkClientConfig {
            virt: BlkConnectionResource::read(&r, Self::VIRT),
            data: RegionResource::read(&r, Self::DATA),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        self.virt.write(&mut w, Self::VIRT);
        self.data.write(&mut w, Self::DATA);
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_framing, decode_never_panics, pokes};
    use super::super::MAX_ENTRIES;
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn conn(id: u8) -> BlkConnectionResource {
        BlkConnectionResource {
            storage_info: RegionResource {
                vaddr: 0x2000_0000,
                size: 0x1000,
            },
            req_queue: RegionResource {
                vaddr: 0x2000_1000,
                size: 0x4000,
            },
            resp_queue: RegionResource {
                vaddr: 0x2000_5000,
                size: 0x4000,
            },
            num_buffers: 128,
            id,
        }
    }

    #[test]
    fn layout_matches_sddf() {
        assert_eq!(
            (
                BlkConnectionResource::SIZE,
                BlkConnectionResource::REQ_QUEUE,
                BlkConnectionResource::RESP_QUEUE,
                BlkConnectionResource::NUM_BUFFERS,
                BlkConnectionResource::ID
            ),
            (56, 16, 32, 48, 50)
        );
        assert_eq!((BlkDriverConfig::VIRT, BlkDriverConfig::SIZE), (8, 64));
        assert_eq!((BlkVirtDriver::SIZE, BlkVirtDriver::DATA), (80, 56));
        assert_eq!(
            (BlkVirtClient::SIZE, BlkVirtClient::DATA, BlkVirtClient::PARTITION),
            (88, 56, 80)
        );
        assert_eq!(
            (
                BlkVirtConfig::NUM_CLIENTS,
                BlkVirtConfig::DRIVER,
                BlkVirtConfig::CLIENTS,
                BlkVirtConfig::SIZE
            ),
            (8, 16, 96, 5728)
        );
        assert_eq!(
            BlkVirtConfig::CLIENTS + MAX_ENTRIES * BlkVirtClient::SIZE,
            BlkVirtConfig::SIZE
        );
        assert_eq!(
            (BlkClientConfig::VIRT, BlkClientConfig::DATA, BlkClientConfig::SIZE),
            (8, 64, 80)
        );
    }

    #[test]
    fn framing() {
        check_framing(&BlkDriverConfig { virt: conn(0) });
        check_framing(&BlkVirtConfig {
            driver: BlkVirtDriver {
                conn: conn(0),
                data: DeviceRegionResource::default(),
            },
            clients: vec![BlkVirtClient {
                conn: conn(1),
                data: DeviceRegionResource::default(),
                partition: 2,
            }],
        });
        check_framing(&BlkClientConfig {
            virt: conn(0),
            data: RegionResource { vaddr: 1, size: 2 },
        });
    }

    #[test]
    fn the_64_bit_client_count_is_checked() {
        let mut blob = BlkVirtConfig::default().encode().unwrap();
        blob[8..16].copy_from_slice(&(1u64 << 40).to_le_bytes());
        assert_eq!(
            BlkVirtConfig::decode(&blob),
            Err(ConfigError::CountOutOfRange {
                field: "num_clients",
                count: 1 << 40,
                max: 64
            })
        );
        let too_many = BlkVirtConfig {
            clients: vec![BlkVirtClient::default(); 65],
            ..BlkVirtConfig::default()
        };
        assert!(matches!(too_many.encode(), Err(ConfigError::CountOutOfRange { .. })));
    }

    proptest! {
        #[test]
        fn virt_round_trips(clients in proptest::collection::vec((any::<u8>(), any::<u16>(), any::<u32>(), any::<u64>()), 0..=64)) {
            let value = BlkVirtConfig {
                driver: BlkVirtDriver { conn: conn(0), data: DeviceRegionResource { region: RegionResource { vaddr: 9, size: 8 }, io_addr: 7 } },
                clients: clients.into_iter().map(|(id, num_buffers, partition, x)| BlkVirtClient {
                    conn: BlkConnectionResource { num_buffers, ..conn(id) },
                    data: DeviceRegionResource { region: RegionResource { vaddr: x, size: !x }, io_addr: x.rotate_left(7) },
                    partition,
                }).collect(),
            };
            prop_assert_eq!(BlkVirtConfig::decode(&value.encode().unwrap()), Ok(value));
        }

        #[test]
        fn decoding_junk_never_panics(pokes in pokes()) {
            decode_never_panics::<BlkVirtConfig>(&[8, 9, 10, 15], &pokes);
            decode_never_panics::<BlkDriverConfig>(&[], &pokes);
            decode_never_panics::<BlkClientConfig>(&[], &pokes);
        }
    }
}
