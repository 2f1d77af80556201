//! Serial configuration (class 3): `include/sddf/serial/config.h`.
//!
//! Every link is a [`SerialConnectionResource`]: the queue region, the data
//! region (whose size is the queue's capacity) and the channel id.
//!
//! | struct | offsets |
//! | --- | --- |
//! | `serial_connection_resource_t` (40) | queue 0, data 16, `u8 id` 32 |
//! | `serial_driver_config_t` (104) | rx 8, tx 48, `u64 default_baud` 88, `bool rx_enabled` 96 |
//! | `serial_virt_rx_config_t` (2,616) | driver 8, clients 48 (64 × 40), `u8 num_clients` 2,608, `char switch_char` 2,609, `char terminate_num_char` 2,610 |
//! | `serial_virt_tx_client_config_t` (104) | conn 0, `char name[64]` 40 |
//! | `serial_virt_tx_config_t` (6,840) | driver 8, clients 48 (64 × 104), `u8 num_clients` 6,704, `char begin_str[128]` 6,705, `bool enable_colour` 6,833, `bool enable_rx` 6,834 |
//! | `serial_client_config_t` (88) | rx 8, tx 48 |

use alloc::string::String;
use alloc::vec::Vec;

use super::{class, ConfigBlob, ConfigError, Reader, RegionResource, Writer, MAX_ENTRIES};

/// Bytes of a client name in the tx virtualiser's configuration
/// (`SDDF_NAME_LENGTH`, Microkit's PD name length), NUL included.
pub const NAME_LENGTH: usize = 64;
/// Bytes of the tx virtualiser's banner, NUL included.
pub const BEGIN_STR_LENGTH: usize = 128;

/// One link to a neighbour, `serial_connection_resource_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SerialConnectionResource {
    pub queue: RegionResource,
    /// The character region; its size is the queue's capacity.
    pub data: RegionResource,
    /// The channel to the neighbour.
    pub id: u8,
}

impl SerialConnectionResource {
    pub const SIZE: usize = 40;
    pub const QUEUE: usize = 0;
    pub const DATA: usize = 16;
    pub const ID: usize = 32;

    fn read(r: &Reader, at: usize) -> Self {
        SerialConnectionResource {
            queue: RegionResource::read(r, at + Self::QUEUE),
            data: RegionResource::read(r, at + Self::DATA),
            id: r.u8(at + Self::ID),
        }
    }

    fn write(&self, w: &mut Writer, at: usize) {
        self.queue.write(w, at + Self::QUEUE);
        self.data.write(w, at + Self::DATA);
        w.u8(at + Self::ID, self.id);
    }
}

/// The driver's configuration, `serial_driver_config_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SerialDriverConfig {
    /// The link to the rx virtualiser.
    pub rx: SerialConnectionResource,
    /// The link to the tx virtualiser.
    pub tx: SerialConnectionResource,
    pub default_baud: u64,
    /// Whether there is an rx virtualiser at all.
    pub rx_enabled: bool,
}

impl SerialDriverConfig {
    pub const RX: usize = 8;
    pub const TX: usize = 48;
    pub const DEFAULT_BAUD: usize = 88;
    pub const RX_ENABLED: usize = 96;
}

impl ConfigBlob for SerialDriverConfig {
    const CLASS: u8 = class::SERIAL;
    const SIZE: usize = 104;
    const SECTION: &'static str = ".serial_driver_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        Ok(SerialDriverConfig {
            rx: SerialConnectionResource::read(&r, Self::RX),
            tx: SerialConnectionResource::read(&r, Self::TX),
            default_baud: r.u64(Self::DEFAULT_BAUD),
            rx_enabled: r.bool(Self::RX_ENABLED, "rx_enabled")?,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        self.rx.write(&mut w, Self::RX);
        self.tx.write(&mut w, Self::TX);
        w.u64(Self::DEFAULT_BAUD, self.default_baud);
        w.bool(Self::RX_ENABLED, self.rx_enabled);
        Ok(w.finish())
    }
}

/// The rx virtualiser's configuration, `serial_virt_rx_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SerialVirtRxConfig {
    pub driver: SerialConnectionResource,
    pub clients: Vec<SerialConnectionResource>,
    /// The character that starts switching input to another client.
    pub switch_char: u8,
    /// The character that ends the client number after `switch_char`.
    pub terminate_num_char: u8,
}

impl SerialVirtRxConfig {
    pub const DRIVER: usize = 8;
    pub const CLIENTS: usize = 48;
    pub const NUM_CLIENTS: usize = Self::CLIENTS + MAX_ENTRIES * SerialConnectionResource::SIZE;
    pub const SWITCH_CHAR: usize = Self::NUM_CLIENTS + 1;
    pub const TERMINATE_NUM_CHAR: usize = Self::NUM_CLIENTS + 2;
}

impl ConfigBlob for SerialVirtRxConfig {
    const CLASS: u8 = class::SERIAL;
    const SIZE: usize = 2616;
    const SECTION: &'static str = ".serial_virt_rx_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        let num_clients = r.count(r.u8(Self::NUM_CLIENTS).into(), "num_clients")?;
        Ok(SerialVirtRxConfig {
            driver: SerialConnectionResource::read(&r, Self::DRIVER),
            clients: r.list(Self::CLIENTS, SerialConnectionResource::SIZE, num_clients, |r, at| {
                Ok(SerialConnectionResource::read(r, at))
            })?,
            switch_char: r.u8(Self::SWITCH_CHAR),
            terminate_num_char: r.u8(Self::TERMINATE_NUM_CHAR),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        let num_clients = w.count(&self.clients, "num_clients")?;
        self.driver.write(&mut w, Self::DRIVER);
        for (i, client) in self.clients.iter().enumerate() {
            client.write(&mut w, Self::CLIENTS + i * SerialConnectionResource::SIZE);
        }
        w.u8(Self::NUM_CLIENTS, num_clients as u8);
        w.u8(Self::SWITCH_CHAR, self.switch_char);
        w.u8(Self::TERMINATE_NUM_CHAR, self.terminate_num_char);
        Ok(w.finish())
    }
}

/// One client of the tx virtualiser, `serial_virt_tx_client_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SerialVirtTxClient {
    pub conn: SerialConnectionResource,
    /// The client's PD name (for colouring and prefixes).
    pub name: String,
}

impl SerialVirtTxClient {
    pub const SIZE: usize = 104;
    pub const CONN: usize = 0;
    pub const NAME: usize = 40;
}

/// The tx virtualiser's configuration, `serial_virt_tx_config_t`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct SerialVirtTxConfig {
    pub driver: SerialConnectionResource,
    pub clients: Vec<SerialVirtTxClient>,
    /// Printed once at start-up.
    pub begin_str: String,
    /// Whether each client's output gets its own colour.
    pub enable_colour: bool,
    /// Whether there is an rx virtualiser (input switching).
    pub enable_rx: bool,
}

impl SerialVirtTxConfig {
    pub const DRIVER: usize = 8;
    pub const CLIENTS: usize = 48;
    pub const NUM_CLIENTS: usize = Self::CLIENTS + MAX_ENTRIES * SerialVirtTxClient::SIZE;
    pub const BEGIN_STR: usize = Self::NUM_CLIENTS + 1;
    pub const ENABLE_COLOUR: usize = Self::BEGIN_STR + BEGIN_STR_LENGTH;
    pub const ENABLE_RX: usize = Self::ENABLE_COLOUR + 1;
}

impl ConfigBlob for SerialVirtTxConfig {
    const CLASS: u8 = class::SERIAL;
    const SIZE: usize = 6840;
    const SECTION: &'static str = ".serial_virt_tx_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        let num_clients = r.count(r.u8(Self::NUM_CLIENTS).into(), "num_clients")?;
        Ok(SerialVirtTxConfig {
            driver: SerialConnectionResource::read(&r, Self::DRIVER),
            clients: r.list(Self::CLIENTS, SerialVirtTxClient::SIZE, num_clients, |r, at| {
                Ok(SerialVirtTxClient {
                    conn: SerialConnectionResource::read(r, at + SerialVirtTxClient::CONN),
                    name: r.string(at + SerialVirtTxClient::NAME, NAME_LENGTH, "clients[].name")?,
                })
            })?,
            begin_str: r.string(Self::BEGIN_STR, BEGIN_STR_LENGTH, "begin_str")?,
            enable_colour: r.bool(Self::ENABLE_COLOUR, "enable_colour")?,
            enable_rx: r.bool(Self::ENABLE_RX, "enable_rx")?,
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        let num_clients = w.count(&self.clients, "num_clients")?;
        self.driver.write(&mut w, Self::DRIVER);
        for (i, client) in self.clients.iter().enumerate() {
            let at = Self::CLIENTS + i * SerialVirtTxClient::SIZE;
            client.conn.write(&mut w, at + SerialVirtTxClient::CONN);
            w.string(
                at + SerialVirtTxClient::NAME,
                NAME_LENGTH,
                &client.name,
                "clients[].name",
            )?;
        }
        w.u8(Self::NUM_CLIENTS, num_clients as u8);
        w.string(Self::BEGIN_STR, BEGIN_STR_LENGTH, &self.begin_str, "begin_str")?;
        w.bool(Self::ENABLE_COLOUR, self.enable_colour);
        w.bool(Self::ENABLE_RX, self.enable_rx);
        Ok(w.finish())
    }
}

/// A client's configuration, `serial_client_config_t`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SerialClientConfig {
    /// The link to the rx virtualiser (zero if there is none).
    pub rx: SerialConnectionResource,
    /// The link to the tx virtualiser.
    pub tx: SerialConnectionResource,
}

impl SerialClientConfig {
    pub const RX: usize = 8;
    pub const TX: usize = 48;
}

impl ConfigBlob for SerialClientConfig {
    const CLASS: u8 = class::SERIAL;
    const SIZE: usize = 88;
    const SECTION: &'static str = ".serial_client_config";

    fn decode(blob: &[u8]) -> Result<Self, ConfigError> {
        let r = Reader::open(blob, Self::CLASS, Self::SIZE)?;
        Ok(SerialClientConfig {
            rx: SerialConnectionResource::read(&r, Self::RX),
            tx: SerialConnectionResource::read(&r, Self::TX),
        })
    }

    fn encode(&self) -> Result<Vec<u8>, ConfigError> {
        let mut w = Writer::new(Self::CLASS, Self::SIZE);
        self.rx.write(&mut w, Self::RX);
        self.tx.write(&mut w, Self::TX);
        Ok(w.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{check_framing, decode_never_panics, pokes};
    use super::*;
    use alloc::string::ToString;
    use alloc::vec;
    use proptest::prelude::*;

    fn conn(id: u8) -> SerialConnectionResource {
        SerialConnectionResource {
            queue: RegionResource {
                vaddr: 0x2000_0000,
                size: 0x1000,
            },
            data: RegionResource {
                vaddr: 0x2000_1000,
                size: 0x10000,
            },
            id,
        }
    }

    #[test]
    fn layout_matches_sddf() {
        assert_eq!(
            (
                SerialConnectionResource::SIZE,
                SerialConnectionResource::DATA,
                SerialConnectionResource::ID
            ),
            (40, 16, 32)
        );
        assert_eq!(
            (
                SerialDriverConfig::RX,
                SerialDriverConfig::TX,
                SerialDriverConfig::DEFAULT_BAUD,
                SerialDriverConfig::RX_ENABLED,
                SerialDriverConfig::SIZE
            ),
            (8, 48, 88, 96, 104)
        );
        assert_eq!(
            (
                SerialVirtRxConfig::CLIENTS,
                SerialVirtRxConfig::NUM_CLIENTS,
                SerialVirtRxConfig::SWITCH_CHAR,
                SerialVirtRxConfig::TERMINATE_NUM_CHAR,
                SerialVirtRxConfig::SIZE
            ),
            (48, 2608, 2609, 2610, 2616)
        );
        assert_eq!((SerialVirtTxClient::SIZE, SerialVirtTxClient::NAME), (104, 40));
        assert_eq!(
            (
                SerialVirtTxConfig::NUM_CLIENTS,
                SerialVirtTxConfig::BEGIN_STR,
                SerialVirtTxConfig::ENABLE_COLOUR,
                SerialVirtTxConfig::ENABLE_RX,
                SerialVirtTxConfig::SIZE
            ),
            (6704, 6705, 6833, 6834, 6840)
        );
        assert_eq!(
            (SerialClientConfig::RX, SerialClientConfig::TX, SerialClientConfig::SIZE),
            (8, 48, 88)
        );
    }

    #[test]
    fn framing() {
        check_framing(&SerialDriverConfig {
            rx: conn(0),
            tx: conn(1),
            default_baud: 115_200,
            rx_enabled: true,
        });
        check_framing(&SerialVirtRxConfig {
            driver: conn(0),
            clients: vec![conn(1), conn(2)],
            switch_char: 0x1c,
            terminate_num_char: b'\r',
        });
        check_framing(&SerialVirtTxConfig {
            driver: conn(0),
            clients: vec![SerialVirtTxClient {
                conn: conn(1),
                name: "shell".to_string(),
            }],
            begin_str: "pride\n".to_string(),
            enable_colour: true,
            enable_rx: false,
        });
        check_framing(&SerialClientConfig {
            rx: conn(0),
            tx: conn(1),
        });
    }

    #[test]
    fn bad_bools_and_strings_name_their_field() {
        let mut blob = SerialDriverConfig::default().encode().unwrap();
        blob[SerialDriverConfig::RX_ENABLED] = 7;
        assert_eq!(
            SerialDriverConfig::decode(&blob),
            Err(ConfigError::BadBool {
                field: "rx_enabled",
                value: 7
            })
        );

        let tx = SerialVirtTxConfig {
            clients: vec![SerialVirtTxClient::default()],
            ..SerialVirtTxConfig::default()
        };
        let good = tx.encode().unwrap();
        let mut blob = good.clone();
        blob[SerialVirtTxConfig::CLIENTS + SerialVirtTxClient::NAME..][..NAME_LENGTH].fill(b'a');
        assert_eq!(
            SerialVirtTxConfig::decode(&blob),
            Err(ConfigError::StringTooLong {
                field: "clients[].name",
                max: 63
            })
        );
        let mut blob = good.clone();
        blob[SerialVirtTxConfig::BEGIN_STR] = 0xc0;
        assert_eq!(
            SerialVirtTxConfig::decode(&blob),
            Err(ConfigError::NotUtf8 { field: "begin_str" })
        );
        let mut blob = good;
        blob[SerialVirtTxConfig::ENABLE_RX] = 2;
        assert_eq!(
            SerialVirtTxConfig::decode(&blob),
            Err(ConfigError::BadBool {
                field: "enable_rx",
                value: 2
            })
        );

        let long_name = SerialVirtTxConfig {
            clients: vec![SerialVirtTxClient {
                conn: conn(1),
                name: "n".repeat(64),
            }],
            ..SerialVirtTxConfig::default()
        };
        assert_eq!(
            long_name.encode(),
            Err(ConfigError::StringTooLong {
                field: "clients[].name",
                max: 63
            })
        );
        let mut blob = SerialVirtRxConfig::default().encode().unwrap();
        blob[SerialVirtRxConfig::NUM_CLIENTS] = 65;
        assert_eq!(
            SerialVirtRxConfig::decode(&blob),
            Err(ConfigError::CountOutOfRange {
                field: "num_clients",
                count: 65,
                max: 64
            })
        );
    }

    proptest! {
        #[test]
        fn virt_tx_round_trips(
            names in proptest::collection::vec("[a-z_0-9]{0,63}", 0..6),
            begin in "[ -~]{0,127}",
            colour in any::<bool>(),
            rx in any::<bool>(),
        ) {
            let value = SerialVirtTxConfig {
                driver: conn(0),
                clients: names.into_iter().enumerate().map(|(i, name)| SerialVirtTxClient { conn: conn(i as u8 + 1), name }).collect(),
                begin_str: begin,
                enable_colour: colour,
                enable_rx: rx,
            };
            prop_assert_eq!(SerialVirtTxConfig::decode(&value.encode().unwrap()), Ok(value));
        }

        #[test]
        fn decoding_junk_never_panics(pokes in pokes()) {
            let tx_fields: Vec<usize> = (0..MAX_ENTRIES)
                .map(|i| SerialVirtTxConfig::CLIENTS + i * SerialVirtTxClient::SIZE + SerialVirtTxClient::NAME + 63)
                .chain([SerialVirtTxConfig::NUM_CLIENTS, SerialVirtTxConfig::ENABLE_COLOUR, SerialVirtTxConfig::ENABLE_RX])
                .collect();
            decode_never_panics::<SerialVirtTxConfig>(&tx_fields, &pokes);
            decode_never_panics::<SerialVirtRxConfig>(&[SerialVirtRxConfig::NUM_CLIENTS], &pokes);
            decode_never_panics::<SerialDriverConfig>(&[SerialDriverConfig::RX_ENABLED], &pokes);
            decode_never_panics::<SerialClientConfig>(&[], &pokes);
        }
    }
}
