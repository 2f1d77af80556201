//! Buffer census: where is every buffer of a pool?
//!
//! An sDDF buffer pool (the device's receive buffers, a client's transmit
//! buffers) circulates between components through queues, and a driver
//! also lends buffers to its device. Whoever can see every place a pool's
//! buffers may sit (the supervisor, reading the shared regions while the
//! system is idle) lists what each place holds; [`count`] then says whether
//! every buffer is somewhere exactly once. After components were replaced,
//! this is the proof that none leaked and none was handed out twice.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

/// One place and the buffers it holds, each named by its address (an I/O
/// address or an offset in the pool's data region, as the place keeps it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Holding {
    pub place: String,
    /// The address of buffer 0 in this place's terms (the pool's I/O
    /// address, or 0 for offsets).
    pub base: u64,
    pub addresses: Vec<u64>,
}

/// The outcome for one pool.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Census {
    pub buffers: u32,
    /// Buffers found exactly once.
    pub accounted: u32,
    /// Buffers found nowhere.
    pub missing: Vec<u32>,
    /// Buffers found more than once.
    pub duplicated: Vec<u32>,
    /// Entries that name no buffer of the pool.
    pub foreign: u32,
    /// How many buffers each place holds, in the order given.
    pub per_place: Vec<(String, u32)>,
}

impl Census {
    /// Every buffer in exactly one place, and nothing else anywhere.
    pub fn all_accounted(&self) -> bool {
        self.accounted == self.buffers && self.missing.is_empty() && self.duplicated.is_empty() && self.foreign == 0
    }
}

/// Counts a pool of `buffers` buffers of `buffer_size` bytes.
pub fn count(buffers: u32, buffer_size: u64, holdings: &[Holding]) -> Census {
    let mut seen = vec![0u32; buffers as usize];
    let mut foreign = 0;
    let mut per_place = Vec::with_capacity(holdings.len());
    for h in holdings {
        let mut here = 0;
        for &a in &h.addresses {
            let index = a
                .checked_sub(h.base)
                .filter(|o| o % buffer_size == 0 && o / buffer_size < u64::from(buffers))
                .map(|o| (o / buffer_size) as usize);
            match index {
                Some(i) => {
                    seen[i] += 1;
                    here += 1;
                }
                None => foreign += 1,
            }
        }
        per_place.push((h.place.clone(), here));
    }
    let pick = |want: fn(u32) -> bool| -> Vec<u32> {
        seen.iter()
            .enumerate()
            .filter(|(_, n)| want(**n))
            .map(|(i, _)| i as u32)
            .collect()
    };
    Census {
        buffers,
        accounted: seen.iter().filter(|n| **n == 1).count() as u32,
        missing: pick(|n| n == 0),
        duplicated: pick(|n| n > 1),
        foreign,
        per_place,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn holding(place: &str, base: u64, addresses: &[u64]) -> Holding {
        Holding {
            place: place.to_string(),
            base,
            addresses: addresses.to_vec(),
        }
    }

    #[test]
    fn every_buffer_once_across_io_addresses_and_offsets() {
        let c = count(
            4,
            2048,
            &[
                holding("device", 0x1000_0000, &[0x1000_0000, 0x1000_1000]),
                holding("client free", 0, &[2048, 3 * 2048]),
            ],
        );
        assert!(c.all_accounted(), "{c:?}");
        assert_eq!(c.per_place, [("device".to_string(), 2), ("client free".to_string(), 2)]);
    }

    #[test]
    fn a_lost_buffer_is_missing_and_a_twice_given_one_duplicated() {
        let c = count(
            4,
            2048,
            &[holding("free", 0, &[0, 2048, 2048]), holding("active", 0, &[])],
        );
        assert!(!c.all_accounted());
        assert_eq!(c.missing, [2, 3]);
        assert_eq!(c.duplicated, [1]);
        assert_eq!(c.accounted, 1);
    }

    #[test]
    fn addresses_outside_the_pool_or_unaligned_are_foreign() {
        let c = count(
            2,
            2048,
            &[holding(
                "q",
                0x100,
                &[0x100, 0x100 + 4096, 0x100 + 5, 0x50, 0x100 + 2048],
            )],
        );
        assert_eq!(c.foreign, 3);
        assert!(!c.all_accounted());
        assert_eq!(c.accounted, 2);
    }
}
