//! Network configuration (class 5): `include/sddf/network/config.h`.
//!
//! Every link between two network components is a
//! [`NetConnectionResource`]: the free and active queue regions as this
//! component maps them, the number of buffers (the queues' capacity) and the
//! channel id towards the neighbour.
//!
//! | struct | offsets |
//! | --- | --- |
//! | `net_connection_resource_t` (40) | free_queue 0, active_queue 16, `u16 num_buffers` 32, `u8 id` 34 |
//! | `net_driver_config_t` (88) | virt_rx 8, virt_tx 48 |
//! | `net_virt_tx_data_region_t` (32) | data 0, `u32 num_buffers` 24 |
//! | `net_virt_tx_client_config_t` (2,096) | conn 0, regions 40 (64 × 32), `u8 num_regions` 2088 |
//! | `net_virt_tx_config_t` (134,200) | driver 8, clients 48 (64 × 2,096), `u8 num_clients` 134,192 |
//! | `net_virt_rx_client_config_t` (432) | conn 0, mac_addrs 40 (64 × 6), `u8 num_macs` 424 |
//! | `net_virt_rx_config_t` (27,744) | driver 8, data 48, buffer_metadata 72, clients 88 (64 × 432), `u8 num_clients` 27,736 |
//! | `net_copy_config_t` (1,128) | rx 8, rx_data 48 (64 × 16), client 1,072, client_data 1,112 |
//! | `net_client_config_t` (128) | rx 8, rx_data 48, tx 64, tx_data 104, mac_addr 120 |
//!
//! The vswitch's configuration is not covered.

use alloc::vec::Vec;

use super::{class, ConfigBlob, ConfigError, DeviceRegionResource, Reader, RegionResource, Writer, MAX_ENTRIES};

/// An Ethernet address, `mac_addr_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    pub const SIZE: usize = 6;
}

/// One link to a neighbour, `net_connection_resource_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetConnectionResource {
    pub free_queue: RegionResource,
    pub active_queue: RegionResource,
    /// Buffers on the link: both queues' capacity.
    pub num_buffers: u16,
    /// The channel to the neighbour.
    pub id: u8,
}

impl NetConnectionResource {
    pub const SIZE: usize = 40;
    pub const FREE_QUEUE: usize = 0;
    pub const ACTIVE_QUEUE: usize = 16;
    pub const NUM_BUFFERS: usize = 32;
    pub const ID: usize = 34;

    fn read(r: &Reader, at: usize) -> Self {
        NetConnectionResource {
            free_queue: RegionResource::read(r, at + Self::FREE_QUEUE),
            active_queue: RegionResource::read(r, at + Self::ACTIVE_QUEUE),
            num_buffers: r.u16(at + Self::NUM_BUFFERS),
            id: r.u8(at + Self::ID),
        }
    }

    fn write(&self, w: &mut Writer, at: usize) {
        self.free_queue.write(w, at + Self::FREE_QUEUE);
        self.active_queue.write(w, at + Self::ACTIVE_QUEUE);
        w.u16(at + Self::NUM_BUFFERS, self.num_buffers);
        w.u8(at + Self::ID, self.id);
    }
}

/// The driver's configuration, `net_driver_config_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetDriverConfig {
    pub virt_rx: NetConnectionResource,
    pub virt_tx: NetConnectionResource,
}

impl NetDriverConfig {
    pub const VIRT_RX: usize = 8;
    pub const VIRT_TX: usize = 48;
}

impl ConfigBlob for NetDriverConfig {
    const CLASS: u8 = class::NET;
    const SIZE: usize = 88;
    const SECTION: &'static str = ".net_driver_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        Ok(NetDriverConfig {
            virt_rx: NetConnectionResource::read(&r, Self::VIRT_RX),
            virt_tx: NetConnectionResource::read(&r, Self::VIRT_TX),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        self.virt_rx.write(&mut w, Self::VIRT_RX);
        self.virt_tx.write(&mut w, Self::VIRT_TX);
        Ok(w.finish())
    }
}

/// A client's transmit data region as the tx virtualiser maps it,
/// `net_virt_tx_data_region_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetVirtTxDataRegion {
    pub data: DeviceRegionResource,
    pub num_buffers: u32,
}

impl NetVirtTxDataRegion {
    pub const SIZE: usize = 32;
    pub const DATA: usize = 0;
    pub const NUM_BUFFERS: usize = 24;
}

/// One client of the tx virtualiser, `net_virt_tx_client_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetVirtTxClient {
    pub conn: NetConnectionResource,
    /// Indexed by a descriptor's `oid`.
    pub regions: Vec<NetVirtTxDataRegion>,
}

impl NetVirtTxClient {
    pub const SIZE: usize = 2096;
    pub const CONN: usize = 0;
    pub const REGIONS: usize = 40;
    pub const NUM_REGIONS: usize = Self::REGIONS + MAX_ENTRIES * NetVirtTxDataRegion::SIZE;

    fn read(r: &Reader, at: usize) -> Result<Self, ConfigError> {
        let num_regions = r.count(r.u8(at + Self::NUM_REGIONS).into(), "clients[].num_regions")?;
        Ok(NetVirtTxClient {
            conn: NetConnectionResource::read(r, at + Self::CONN),
            regions: r.list(at + Self::REGIONS, NetVirtTxDataRegion::SIZE, num_regions, |r, at| {
                Ok(NetVirtTxDataRegion {
                    data: DeviceRegionResource::read(r, at + NetVirtTxDataRegion::DATA),
                    num_buffers: r.u32(at + NetVirtTxDataRegion::NUM_BUFFERS),
                })
            })?,
        })
    }

    fn write(&self, w: &mut Writer, at: usize) -> Result<(), ConfigError> {
        let num_regions = w.count(&self.regions, "clients[].num_regions")?;
        self.conn.write(w, at + Self::CONN);
        for (i, region) in self.regions.iter().enumerate() {
            let base = at + Self::REGIONS + i * NetVirtTxDataRegion::SIZE;
            region.data.write(w, base + NetVirtTxDataRegion::DATA);
            w.u32(base + NetVirtTxDataRegion::NUM_BUFFERS, region.num_buffers);
        }
        w.u8(at + Self::NUM_REGIONS, num_regions as u8);
        Ok(())
    }
}

/// The tx virtualiser's configuration, `net_virt_tx_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetVirtTxConfig {
    pub driver: NetConnectionResource,
    pub clients: Vec<NetVirtTxClient>,
}

impl NetVirtTxConfig {
    pub const DRIVER: usize = 8;
    pub const CLIENTS: usize = 48;
    pub const NUM_CLIENTS: usize = Self::CLIENTS + MAX_ENTRIES * NetVirtTxClient::SIZE;
}

impl ConfigBlob for NetVirtTxConfig {
    const CLASS: u8 = class::NET;
    const SIZE: usize = 134_200;
    const SECTION: &'static str = ".net_virt_tx_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        let num_clients = r.count(r.u8(Self::NUM_CLIENTS).into(), "num_clients")?;
        Ok(NetVirtTxConfig {
            driver: NetConnectionResource::read(&r, Self::DRIVER),
            clients: r.list(Self::CLIENTS, NetVirtTxClient::SIZE, num_clients, NetVirtTxClient::read)?,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        let num_clients = w.count(&self.clients, "num_clients")?;
        self.driver.write(&mut w, Self::DRIVER);
        for (i, client) in self.clients.iter().enumerate() {
            client.write(&mut w, Self::CLIENTS + i * NetVirtTxClient::SIZE)?;
        }
        w.u8(Self::NUM_CLIENTS, num_clients as u8);
        Ok(w.finish())
    }
}

/// One client of the rx virtualiser, `net_virt_rx_client_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetVirtRxClient {
    pub conn: NetConnectionResource,
    /// The addresses whose packets go to this client.
    pub mac_addrs: Vec<MacAddr>,
}

impl NetVirtRxClient {
    pub const SIZE: usize = 432;
    pub const CONN: usize = 0;
    pub const MAC_ADDRS: usize = 40;
    pub const NUM_MACS: usize = Self::MAC_ADDRS + MAX_ENTRIES * MacAddr::SIZE;

    fn read(r: &Reader, at: usize) -> Result<Self, ConfigError> {
        let num_macs = r.count(r.u8(at + Self::NUM_MACS).into(), "clients[].num_macs")?;
        Ok(NetVirtRxClient {
            conn: NetConnectionResource::read(r, at + Self::CONN),
            mac_addrs: r.list(at + Self::MAC_ADDRS, MacAddr::SIZE, num_macs, |r, at| {
                Ok(MacAddr(r.bytes(at)))
            })?,
        })
    }

    fn write(&self, w: &mut Writer, at: usize) -> Result<(), ConfigError> {
        let num_macs = w.count(&self.mac_addrs, "clients[].num_macs")?;
        self.conn.write(w, at + Self::CONN);
        for (i, mac) in self.mac_addrs.iter().enumerate() {
            w.bytes(at + Self::MAC_ADDRS + i * MacAddr::SIZE, &mac.0);
        }
        w.u8(at + Self::NUM_MACS, num_macs as u8);
        Ok(())
    }
}

/// The rx virtualiser's configuration, `net_virt_rx_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetVirtRxConfig {
    pub driver: NetConnectionResource,
    /// The receive DMA region.
    pub data: DeviceRegionResource,
    /// Zero-filled scratch for per-buffer reference counts (one byte per
    /// driver buffer at least).
    pub buffer_metadata: RegionResource,
    pub clients: Vec<NetVirtRxClient>,
}

impl NetVirtRxConfig {
    pub const DRIVER: usize = 8;
    pub const DATA: usize = 48;
    pub const BUFFER_METADATA: usize = 72;
    pub const CLIENTS: usize = 88;
    pub const NUM_CLIENTS: usize = Self::CLIENTS + MAX_ENTRIES * NetVirtRxClient::SIZE;
}

impl ConfigBlob for NetVirtRxConfig {
    const CLASS: u8 = class::NET;
    const SIZE: usize = 27_744;
    const SECTION: &'static str = ".net_virt_rx_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        let num_clients = r.count(r.u8(Self::NUM_CLIENTS).into(), "num_clients")?;
        Ok(NetVirtRxConfig {
            driver: NetConnectionResource::read(&r, Self::DRIVER),
            data: DeviceRegionResource::read(&r, Self::DATA),
            buffer_metadata: RegionResource::read(&r, Self::BUFFER_METADATA),
            clients: r.list(Self::CLIENTS, NetVirtRxClient::SIZE, num_clients, NetVirtRxClient::read)?,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        let num_clients = w.count(&self.clients, "num_clients")?;
        self.driver.write(&mut w, Self::DRIVER);
        self.data.write(&mut w, Self::DATA);
        self.buffer_metadata.write(&mut w, Self::BUFFER_METADATA);
        for (i, client) in self.clients.iter().enumerate() {
            client.write(&mut w, Self::CLIENTS + i * NetVirtRxClient::SIZE)?;
        }
        w.u8(Self::NUM_CLIENTS, num_clients as u8);
        Ok(w.finish())
    }
}

/// A copier's configuration, `net_copy_config_t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct NetCopyConfig {
    /// The link to the rx virtualiser.
    pub rx: NetConnectionResource,
    /// The regions the rx virtualiser's buffers may come from, indexed by
    /// descriptor `oid`; unused entries are zero.
    pub rx_data: [RegionResource; MAX_ENTRIES],
    /// The link to the client.
    pub client: NetConnectionResource,
    /// The client's receive data region.
    pub client_data: RegionResource,
}

impl Default for NetCopyConfig {
    fn default() -> Self {
        NetCopyConfig {
            rx: NetConnectionResource::default(),
            rx_data: [RegionResource::default(); MAX_ENTRIES],
            client: NetConnectionResource::default(),
            client_data: RegionResource::default(),
        }
    }
}

impl NetCopyConfig {
    pub const RX: usize = 8;
    pub const RX_DATA: usize = 48;
    pub const CLIENT: usize = 1072;
    pub const CLIENT_DATA: usize = 1112;

    /// The region for descriptor ownership id `oid`, if one is configured
    /// (the copier's C code asserts a non-zero vaddr).
    pub fn rx_data_for(&self, oid: u8) -> Option<RegionResource> {
        self.rx_data
            .get(usize::from(oid))
            .copied()
            .filter(|region| region.vaddr != 0)
    }
}

impl ConfigBlob for NetCopyConfig {
    const CLASS: u8 = class::NET;
    const SIZE: usize = 1128;
    const SECTION: &'static str = ".net_copy_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        let mut rx_data = [RegionResource::default(); MAX_ENTRIES];
        for (i, region) in rx_data.iter_mut().enumerate() {
            *region = RegionResource::read(&r, Self::RX_DATA + i * RegionResource::SIZE);
        }
        Ok(NetCopyConfig {
            rx: NetConnectionResource::read(&r, Self::RX),
            rx_data,
            client: NetConnectionResource::read(&r, Self::CLIENT),
            client_data: RegionResource::read(&r, Self::CLIENT_DATA),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        self.rx.write(&mut w, Self::RX);
        for (i, region) in self.rx_data.iter().enumerate() {
            region.write(&mut w, Self::RX_DATA + i * RegionResource::SIZE);
        }
        self.client.write(&mut w, Self::CLIENT);
        self.client_data.write(&mut w, Self::CLIENT_DATA);
        Ok(w.finish())
    }
}

/// A client's configuration, `net_client_config_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct NetClientConfig {
    /// The link to the copier (or the rx virtualiser).
    pub rx: NetConnectionResource,
    pub rx_data: RegionResource,
    /// The link to the tx virtualiser.
    pub tx: NetConnectionResource,
    pub tx_data: RegionResource,
    pub mac_addr: MacAddr,
}

impl NetClientConfig {
    pub const RX: usize = 8;
    pub const RX_DATA: usize = 48;
    pub const TX: usize = 64;
    pub const TX_DATA: usize = 104;
    pub const MAC_ADDR: usize = 120;
}

impl ConfigBlob for NetClientConfig {
    const CLASS: u8 = class::NET;
    const SIZE: usize = 128;
    const SECTION: &'static str = ".net_client_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        Ok(NetClientConfig {
            rx: NetConnectionResource::read(&r, Self::RX),
            rx_data: RegionResource::read(&r, Self::RX_DATA),
            tx: NetConnectionResource::read(&r, Self::TX),
            tx_data: RegionResource::read(&r, Self::TX_DATA),
            mac_addr: MacAddr(r.bytes(Self::MAC_ADDR)),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        self.rx.write(&mut w, Self::RX);
        self.rx_data.write(&mut w, Self::RX_DATA);
        self.tx.write(&mut w, Self::TX);
        self.tx_data.write(&mut w, Self::TX_DATA);
        w.bytes(Self::MAC_ADDR, &self.mac_addr.0);
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_framing, decode_never_panics, pokes};
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    fn conn(seed: u64) -> NetConnectionResource {
        NetConnectionResource {
            free_queue: RegionResource {
                vaddr: 0x2000_0000 + seed * 0x10000,
                size: 0x3000,
            },
            active_queue: RegionResource {
                vaddr: 0x2000_3000 + seed * 0x10000,
                size: 0x3000,
            },
            num_buffers: 512,
            id: seed as u8,
        }
    }

    #[test]
    fn layout_matches_sddf() {
        assert_eq!(
            (
                NetConnectionResource::SIZE,
                NetConnectionResource::ACTIVE_QUEUE,
                NetConnectionResource::NUM_BUFFERS,
                NetConnectionResource::ID
            ),
            (40, 16, 32, 34)
        );
        assert_eq!(
            (
                NetDriverConfig::VIRT_RX,
                NetDriverConfig::VIRT_TX,
                NetDriverConfig::SIZE
            ),
            (8, 48, 88)
        );
        assert_eq!((NetVirtTxDataRegion::SIZE, NetVirtTxDataRegion::NUM_BUFFERS), (32, 24));
        assert_eq!(
            (
                NetVirtTxClient::SIZE,
                NetVirtTxClient::REGIONS,
                NetVirtTxClient::NUM_REGIONS
            ),
            (2096, 40, 2088)
        );
        assert_eq!(
            (
                NetVirtTxConfig::DRIVER,
                NetVirtTxConfig::CLIENTS,
                NetVirtTxConfig::NUM_CLIENTS,
                NetVirtTxConfig::SIZE
            ),
            (8, 48, 134_192, 134_200)
        );
        assert_eq!(
            (
                NetVirtRxClient::SIZE,
                NetVirtRxClient::MAC_ADDRS,
                NetVirtRxClient::NUM_MACS
            ),
            (432, 40, 424)
        );
        assert_eq!(
            (
                NetVirtRxConfig::DATA,
                NetVirtRxConfig::BUFFER_METADATA,
                NetVirtRxConfig::CLIENTS,
                NetVirtRxConfig::NUM_CLIENTS,
                NetVirtRxConfig::SIZE
            ),
            (48, 72, 88, 27_736, 27_744)
        );
        assert_eq!(
            (
                NetCopyConfig::RX,
                NetCopyConfig::RX_DATA,
                NetCopyConfig::CLIENT,
                NetCopyConfig::CLIENT_DATA
            ),
            (8, 48, 1072, 1112)
        );
        assert_eq!(
            NetCopyConfig::RX_DATA + MAX_ENTRIES * RegionResource::SIZE,
            NetCopyConfig::CLIENT
        );
        assert_eq!(NetCopyConfig::SIZE, 1128);
        assert_eq!(
            (
                NetClientConfig::RX_DATA,
                NetClientConfig::TX,
                NetClientConfig::TX_DATA,
                NetClientConfig::MAC_ADDR,
                NetClientConfig::SIZE
            ),
            (48, 64, 104, 120, 128)
        );
    }

    #[test]
    fn framing() {
        check_framing(&NetDriverConfig {
            virt_rx: conn(0),
            virt_tx: conn(1),
        });
        check_framing(&NetVirtTxConfig {
            driver: conn(0),
            clients: vec![NetVirtTxClient {
                conn: conn(1),
                regions: vec![NetVirtTxDataRegion {
                    data: DeviceRegionResource {
                        region: RegionResource { vaddr: 1, size: 2 },
                        io_addr: 3,
                    },
                    num_buffers: 512,
                }],
            }],
        });
        check_framing(&NetVirtRxConfig {
            driver: conn(0),
            data: DeviceRegionResource::default(),
            buffer_metadata: RegionResource { vaddr: 5, size: 6 },
            clients: vec![NetVirtRxClient {
                conn: conn(2),
                mac_addrs: vec![MacAddr([1, 2, 3, 4, 5, 6])],
            }],
        });
        let mut copy = NetCopyConfig {
            rx: conn(0),
            client: conn(1),
            ..NetCopyConfig::default()
        };
        copy.rx_data[3] = RegionResource { vaddr: 0x4000, size: 1 };
        check_framing(&copy);
        assert_eq!(copy.rx_data_for(3), Some(RegionResource { vaddr: 0x4000, size: 1 }));
        assert_eq!(copy.rx_data_for(2), None, "not configured");
        assert_eq!(copy.rx_data_for(200), None, "beyond the array");
        check_framing(&NetClientConfig {
            rx: conn(0),
            tx: conn(1),
            mac_addr: MacAddr([0x52, 0x54, 0, 0, 0, 1]),
            ..NetClientConfig::default()
        });
    }

    #[test]
    fn nested_counts_are_checked() {
        let config = NetVirtTxConfig {
            driver: conn(0),
            clients: vec![NetVirtTxClient::default(); 2],
        };
        let mut blob = config.encode().unwrap();
        blob[NetVirtTxConfig::CLIENTS + NetVirtTxClient::SIZE + NetVirtTxClient::NUM_REGIONS] = 65;
        assert_eq!(
            NetVirtTxConfig::decode(&blob),
            Err(ConfigError::CountOutOfRange {
                field: "clients[].num_regions",
                count: 65,
                max: 64
            })
        );
        blob[NetVirtTxConfig::NUM_CLIENTS] = 1;
        assert!(
            NetVirtTxConfig::decode(&blob).is_ok(),
            "entries beyond the count are ignored"
        );
        blob[NetVirtTxConfig::NUM_CLIENTS] = 255;
        assert_eq!(
            NetVirtTxConfig::decode(&blob),
            Err(ConfigError::CountOutOfRange {
                field: "num_clients",
                count: 255,
                max: 64
            })
        );

        let rx = NetVirtRxConfig {
            clients: vec![NetVirtRxClient {
                conn: conn(1),
                mac_addrs: vec![MacAddr::default(); 65],
            }],
            ..NetVirtRxConfig::default()
        };
        assert_eq!(
            rx.encode(),
            Err(ConfigError::CountOutOfRange {
                field: "clients[].num_macs",
                count: 65,
                max: 64
            })
        );
    }

    fn arb_conn() -> impl Strategy<Value = NetConnectionResource> {
        (any::<[u64; 4]>(), any::<u16>(), any::<u8>()).prop_map(|(r, num_buffers, id)| NetConnectionResource {
            free_queue: RegionResource {
                vaddr: r[0],
                size: r[1],
            },
            active_queue: RegionResource {
                vaddr: r[2],
                size: r[3],
            },
            num_buffers,
            id,
        })
    }

    proptest! {
        #[test]
        fn virt_rx_round_trips(driver in arb_conn(), clients in proptest::collection::vec((arb_conn(), proptest::collection::vec(any::<[u8; 6]>(), 0..5)), 0..5)) {
            let value = NetVirtRxConfig {
                driver,
                data: DeviceRegionResource { region: RegionResource { vaddr: 1, size: 2 }, io_addr: 3 },
                buffer_metadata: RegionResource { vaddr: 4, size: 5 },
                clients: clients.into_iter().map(|(conn, macs)| NetVirtRxClient { conn, mac_addrs: macs.into_iter().map(MacAddr).collect() }).collect(),
            };
            prop_assert_eq!(NetVirtRxConfig::decode(&value.encode().unwrap()), Ok(value));
        }

        #[test]
        fn virt_tx_round_trips(driver in arb_conn(), clients in proptest::collection::vec((arb_conn(), proptest::collection::vec(any::<(u64, u32)>(), 0..4)), 0..4)) {
            let value = NetVirtTxConfig {
                driver,
                clients: clients.into_iter().map(|(conn, regions)| NetVirtTxClient {
                    conn,
                    regions: regions.into_iter().map(|(x, num_buffers)| NetVirtTxDataRegion {
                        data: DeviceRegionResource { region: RegionResource { vaddr: x, size: !x }, io_addr: x ^ 0xff },
                        num_buffers,
                    }).collect(),
                }).collect(),
            };
            prop_assert_eq!(NetVirtTxConfig::decode(&value.encode().unwrap()), Ok(value));
        }

        #[test]
        fn client_and_driver_round_trip(a in arb_conn(), b in arb_conn(), mac in any::<[u8; 6]>(), r in any::<[u64; 4]>()) {
            let client = NetClientConfig {
                rx: a, tx: b, mac_addr: MacAddr(mac),
                rx_data: RegionResource { vaddr: r[0], size: r[1] },
                tx_data: RegionResource { vaddr: r[2], size: r[3] },
            };
            prop_assert_eq!(NetClientConfig::decode(&client.encode().unwrap()), Ok(client));
            let driver = NetDriverConfig { virt_rx: a, virt_tx: b };
            prop_assert_eq!(NetDriverConfig::decode(&driver.encode().unwrap()), Ok(driver));
        }

        #[test]
        fn decoding_junk_never_panics(pokes in pokes()) {
            let tx_counts: Vec<usize> = (0..MAX_ENTRIES)
                .map(|i| NetVirtTxConfig::CLIENTS + i * NetVirtTxClient::SIZE + NetVirtTxClient::NUM_REGIONS)
                .chain([NetVirtTxConfig::NUM_CLIENTS])
                .collect();
            decode_never_panics::<NetVirtTxConfig>(&tx_counts, &pokes);
            let rx_counts: Vec<usize> = (0..MAX_ENTRIES)
                .map(|i| NetVirtRxConfig::CLIENTS + i * NetVirtRxClient::SIZE + NetVirtRxClient::NUM_MACS)
                .chain([NetVirtRxConfig::NUM_CLIENTS])
                .collect();
            decode_never_panics::<NetVirtRxConfig>(&rx_counts, &pokes);
            decode_never_panics::<NetCopyConfig>(&[], &pokes);
            decode_never_panics::<NetClientConfig>(&[], &pokes);
            decode_never_panics::<NetDriverConfig>(&[], &pokes);
        }
    }
}
