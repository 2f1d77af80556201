//! `system census NAME`: where every buffer of a network subsystem is.
//!
//! The supervisor made every region of a subsystem, so it can read them
//! all (read-only, through the loader's scratch mapping) and find each
//! buffer of each pool in the queues and in the driver's in-flight table
//! (see `net::driver`). `sddf::census` does the counting. Meant for an
//! idle system: while frames flow, a buffer between two queues is seen in
//! neither or in both.
//!
//! The places come from the file's names, as sdfgen's `Sddf.Net` writes
//! them: `.../net/queue/A/B/{free,active}` for the queues between PDs `A`
//! and `B`, `.../net/rx/data/device` for the device's receive buffers,
//! `.../net/rx/data/client/C` and `.../net/tx/data/client/C` for client
//! `C`'s, `.../net/rx/virt_metadata` for the receive virtualiser's; the
//! driver's in-flight table is in the region it gets `virtio_rings_paddr`
//! of. Queues between the driver and a virtualiser carry I/O addresses,
//! the others offsets in the pool's data region.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use sddf::census::{count, Census, Holding};
use sddf::net::{NetQueue, BUFFER_SIZE};

use crate::supervisor::{SupError, Supervisor};
use crate::systems::Region;

const BUF: u64 = BUFFER_SIZE as u64;
/// The driver's in-flight tables in its rings region (`net::driver`).
const RX_IN_FLIGHT: usize = 0xa000;
const TX_IN_FLIGHT: usize = 0xa400;
const CHAINS: usize = 128;

/// One queue region: (from PD, to PD, free or active, region index).
struct QueueRegion<'a> {
    a: &'a str,
    b: &'a str,
    kind: &'a str,
    region: usize,
}

fn queues(regions: &[Region]) -> Vec<QueueRegion<'_>> {
    regions
        .iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let tail = r.name.split("/net/queue/").nth(1)?;
            let mut parts = tail.split('/');
            let (a, b, kind) = (parts.next()?, parts.next()?, parts.next()?);
            parts.next().is_none().then_some(QueueRegion { a, b, kind, region: i })
        })
        .collect()
}

fn region_ending<'a>(regions: &'a [Region], suffix: &str) -> Option<(usize, &'a Region)> {
    regions.iter().enumerate().find(|(_, r)| r.name.ends_with(suffix))
}

impl Supervisor {
    /// Reads the first `limit` bytes of a region (a copy, in whole pages).
    fn read_region(&mut self, region: usize, regions: &[Region], limit: usize) -> Result<Vec<u8>, SupError> {
        let pages = limit.div_ceil(4096).min(regions[region].frames.len());
        let mut bytes = Vec::with_capacity(pages * 4096);
        let mut page = [0u8; 4096];
        for f in &regions[region].frames[..pages] {
            crate::loader::read_frame(&mut self.objs, *f, &mut page)
                .map_err(|e| SupError::BadSystem(format!("reading region '{}': {e}", regions[region].name)))?;
            bytes.extend_from_slice(&page);
        }
        Ok(bytes)
    }

    /// The buffers queue `q` holds (capacity: the pool's buffer count).
    fn queue_addresses(&mut self, regions: &[Region], region: usize, capacity: u32) -> Result<Vec<u64>, SupError> {
        let bytes = self.read_region(region, regions, usize::MAX)?;
        let name = &regions[region].name;
        let q = NetQueue::new(bytes, capacity).map_err(|e| SupError::BadSystem(format!("queue '{name}': {e:?}")))?;
        let descriptors = q
            .snapshot()
            .map_err(|e| SupError::BadSystem(format!("queue '{name}' is inconsistent: {e:?}")))?;
        Ok(descriptors.iter().map(|d| d.io_or_offset).collect())
    }

    /// Counts every pool of network system `name`.
    pub fn census(&mut self, name: &str) -> Result<Vec<(String, Census)>, SupError> {
        let record = self
            .systems
            .iter_mut()
            .find(|s| s.name == name)
            .ok_or_else(|| SupError::NoSuchComponent(format!("system {name}")))?;
        // The regions are read through `self`; take them out meanwhile.
        let regions = core::mem::take(&mut record.regions);
        let result = self.count_pools(name, &regions);
        if let Some(record) = self.systems.iter_mut().find(|s| s.name == name) {
            record.regions = regions;
        }
        result
    }

    fn count_pools(&mut self, name: &str, regions: &[Region]) -> Result<Vec<(String, Census)>, SupError> {
        let not_net = || SupError::BadSystem(format!("system '{name}' has no sDDF network regions to count"));
        let (_, device) = region_ending(regions, "/net/rx/data/device").ok_or_else(not_net)?;
        let device_io = device.phys_addr.ok_or_else(not_net)?;
        let device_buffers = (device.size / BUF) as u32;
        let qs = queues(regions);
        let sys = self
            .systems
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.sys.clone())
            .ok_or_else(|| SupError::NoSuchComponent(format!("system {name}")))?;
        // The receive virtualiser maps the metadata region; the driver is
        // on the other side of its queues that carry I/O addresses.
        let virt_rx = sys
            .protection_domains
            .iter()
            .find(|pd| {
                pd.maps.iter().any(|m| {
                    sys.memory_regions
                        .get(m.mr)
                        .is_some_and(|r| r.name.ends_with("/net/rx/virt_metadata"))
                })
            })
            .map(|pd| pd.name.clone())
            .ok_or_else(not_net)?;
        let virt_rx = virt_rx.as_str();
        let driver = qs.iter().find(|q| q.b == virt_rx).map(|q| q.a).ok_or_else(not_net)?;
        let rings_index = sys
            .protection_domains
            .iter()
            .find(|pd| pd.name == driver)
            .and_then(|pd| pd.paddr_setvars.iter().find(|v| v.symbol == "virtio_rings_paddr"))
            .and_then(|v| sys.memory_regions.get(v.mr))
            .and_then(|mr| regions.iter().position(|r| r.name == mr.name))
            .ok_or_else(|| SupError::BadSystem(format!("driver '{driver}' has no rings region")))?;
        let rings = self.read_region(rings_index, regions, TX_IN_FLIGHT + 8 * CHAINS)?;
        let in_flight = |table: usize| -> Vec<u64> {
            (0..CHAINS)
                .filter_map(|c| {
                    let at = table + 8 * c;
                    let word = u64::from_le_bytes(rings.get(at..at + 8)?.try_into().ok()?);
                    (word != 0).then_some(word)
                })
                .collect()
        };
        let (rx_in_flight, tx_in_flight) = (in_flight(RX_IN_FLIGHT), in_flight(TX_IN_FLIGHT));
        let mut pools = Vec::new();

        // The device's receive buffers.
        let mut holdings = alloc::vec![Holding {
            place: format!("{driver} (device)"),
            base: device_io,
            addresses: rx_in_flight,
        }];
        for q in qs.iter().filter(|q| q.b == virt_rx || q.a == virt_rx) {
            let base = if q.b == virt_rx { device_io } else { 0 };
            holdings.push(Holding {
                place: format!("{}->{} {}", q.a, q.b, q.kind),
                base,
                addresses: self.queue_addresses(regions, q.region, device_buffers)?,
            });
        }
        pools.push((
            "device receive buffers".to_string(),
            count(device_buffers, BUF, &holdings),
        ));

        // Each client's own pools.
        let virt_tx = qs
            .iter()
            .find(|q| q.a == driver && q.b != virt_rx)
            .map(|q| q.b)
            .ok_or_else(not_net)?;
        let driver_tx: Vec<&QueueRegion<'_>> = qs.iter().filter(|q| q.a == driver && q.b == virt_tx).collect();
        for (_, rx_data) in regions
            .iter()
            .enumerate()
            .filter(|(_, r)| r.name.contains("/net/rx/data/client/"))
        {
            let client = rx_data.name.rsplit('/').next().unwrap_or("");
            let buffers = (rx_data.size / BUF) as u32;
            let mut holdings = Vec::new();
            for q in qs.iter().filter(|q| q.b == client && q.a != virt_tx) {
                holdings.push(Holding {
                    place: format!("{}->{} {}", q.a, q.b, q.kind),
                    base: 0,
                    addresses: self.queue_addresses(regions, q.region, buffers)?,
                });
            }
            pools.push((format!("{client} receive buffers"), count(buffers, BUF, &holdings)));

            let Some((_, tx_data)) = region_ending(regions, &format!("/net/tx/data/client/{client}")) else {
                continue;
            };
            let Some(tx_io) = tx_data.phys_addr else {
                continue;
            };
            let buffers = (tx_data.size / BUF) as u32;
            let in_pool = |a: &u64| *a >= tx_io && *a < tx_io + u64::from(buffers) * BUF;
            let mut holdings = alloc::vec![Holding {
                place: format!("{driver} (device)"),
                base: tx_io,
                addresses: tx_in_flight.iter().copied().filter(in_pool).collect(),
            }];
            for q in &driver_tx {
                let all = self.queue_addresses(regions, q.region, buffers)?;
                holdings.push(Holding {
                    place: format!("{}->{} {}", q.a, q.b, q.kind),
                    base: tx_io,
                    addresses: all.into_iter().filter(in_pool).collect(),
                });
            }
            for q in qs.iter().filter(|q| q.a == virt_tx && q.b == client) {
                holdings.push(Holding {
                    place: format!("{}->{} {}", q.a, q.b, q.kind),
                    base: 0,
                    addresses: self.queue_addresses(regions, q.region, buffers)?,
                });
            }
            pools.push((format!("{client} transmit buffers"), count(buffers, BUF, &holdings)));
        }
        Ok(pools)
    }

    /// `system census NAME`: one line per pool.
    pub fn write_census(&mut self, name: &str) -> Result<(), SupError> {
        let pools = self.census(name)?;
        for (pool, c) in pools {
            let places: Vec<String> = c.per_place.iter().map(|(p, n)| format!("{p} {n}")).collect();
            let verdict = if c.all_accounted() {
                "every buffer accounted for".to_string()
            } else {
                format!(
                    "{} MISSING {}, {} TWICE {}, {} stray entries",
                    c.missing.len(),
                    first_few(&c.missing),
                    c.duplicated.len(),
                    first_few(&c.duplicated),
                    c.foreign
                )
            };
            let _ = core::fmt::Write::write_fmt(
                &mut self.out,
                format_args!(
                    "census: {name}: {pool}: {} of {} once ({}): {verdict}\n",
                    c.accounted,
                    c.buffers,
                    places.join(", ")
                ),
            );
        }
        Ok(())
    }
}

/// Up to eight buffer numbers, for a line on the console.
fn first_few(buffers: &[u32]) -> String {
    let shown: Vec<String> = buffers.iter().take(8).map(|b| b.to_string()).collect();
    let more = if buffers.len() > 8 { ", ..." } else { "" };
    format!("[{}{more}]", shown.join(", "))
}
