//! # resource-mgr: the only source of memory after boot
//!
//! The root task moves every untyped capability it does not keep for itself
//! into this component's CNode and lists them in the boot page
//! (`pride_supervisor_api::resources::Handover`). This component then
//! serves the `resources` protocol (`pride_supervisor_api::resources`) to
//! the supervisor alone:
//!
//! - a resource container is created with its quotas in the books
//!   (`resource_mgr::Resources`) and gets whole chunks, carved from the
//!   untypeds (`root_core::untyped::Pool` mirrors the kernel's placement)
//!   or reused from destroyed containers (`resource_mgr::chunks::Chunks`);
//! - a chunk is carved straight into a slot of the root task's CNode that
//!   the supervisor offers (this component holds a capability to that
//!   CNode), so that the supervisor retypes objects from the chunk itself
//!   and seL4 zeroes the used memory before the chunk is used again;
//! - destroying a container revokes its chunks, which deletes every object
//!   made from them wherever its capabilities are, and ends its donations
//!   in the books;
//! - donations are begun, committed, aborted and revoked in the books.
//!
//! It never calls anyone while serving (its heap is mapped before it
//! starts), so the supervisor may call it at any time.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;

use kernel_iface::abi::{object_type, WORD_BITS};
use kernel_iface::cap::kind::{CNode, Untyped};
use kernel_iface::syscall::Received;
use kernel_iface::Cap;
use pride_rt::component::Boot;
use pride_rt::server::{self, Reply, Server};
use pride_rt::{msg, println, supervisor};
use pride_supervisor_api::resources::{self as proto, Handover, CHUNK_BITS, CHUNK_BYTES};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST, DENIED, QUOTA_EXHAUSTED};
use resource_mgr::chunks::Chunks;
use resource_mgr::{ContainerId, DonationId, Resources, RmError};
use root_core::untyped::Pool;

pride_rt::component_entry!(main);

struct ResourceManager {
    books: Resources,
    chunks: Chunks,
    /// The handed-over untypeds, chunks are carved from.
    pool: Pool,
    /// Physical address of each chunk, by its root-CNode slot.
    paddrs: BTreeMap<u64, u64>,
    /// Free slots of this component's own CNode (for the untypeds split
    /// off when a chunk at a given address is carved).
    own_slots: root_core::untyped::SlotAllocator,
}

/// The root task's CNode: chunks live there.
fn root_cnode() -> Cap<CNode> {
    Cap::from_cptr(proto::ROOT_CNODE_SLOT)
}

/// This component's own CNode.
fn own_cnode() -> Cap<CNode> {
    Cap::from_cptr(pride_rt::component::SLOT_OWN_CNODE)
}

/// Slots of this component's CNode (its manifest's `cnode_bits`, 9).
const OWN_SLOTS: u64 = 1 << 9;

/// Most chunks one container may have (its quota is at most 64 MiB).
const MAX_CHUNKS: u64 = 64;

impl ResourceManager {
    /// Carves one chunk from the pool into `slot` of the root CNode;
    /// returns its physical address.
    fn carve(pool: &mut Pool, slot: u64) -> Option<u64> {
        let p = pool.alloc_lowest(CHUNK_BITS).ok()?;
        Cap::<Untyped>::from_cptr(p.untyped_slot)
            .untyped_retype(object_type::UNTYPED, CHUNK_BITS as u64, root_cnode(), 0, 0, slot, 1)
            .ok()
            .map(|()| p.paddr)
    }

    fn create(&mut self, chunks: u64, slot_quota: u64) -> Reply {
        if chunks == 0 || chunks > MAX_CHUNKS {
            return Reply::error(BAD_REQUEST);
        }
        // The books reserve the quota. The pool holds at least that many
        // chunks (every untyped handed over is a whole number of them and
        // the books' total is the pool's), so the chunks asked for later
        // exist.
        match self.books.create("", chunks * CHUNK_BYTES, slot_quota) {
            Ok(id) => Reply::ok(&[id.0 as u64]),
            Err(_) => Reply::error(QUOTA_EXHAUSTED),
        }
    }

    /// The `i`th chunk of container `c` (the next one is given on demand:
    /// a free chunk, or one carved into `offered`; the one at physical
    /// address `at` if that is not 0): (slot, physical address).
    fn chunk(&mut self, c: ContainerId, i: u64, offered: u64, at: u64) -> Option<(u64, u64)> {
        let quota = self.books.usage(c).ok()?.mem_quota / CHUNK_BYTES;
        let have = self.chunks.of(c).len() as u64;
        if i >= quota || i > have {
            return None;
        }
        if i == have && at != 0 {
            self.chunk_at(c, offered, at)?;
        } else if i == have {
            let (pool, paddrs) = (&mut self.pool, &mut self.paddrs);
            let took = self.chunks.take(c, 1, || {
                let paddr = Self::carve(pool, offered)?;
                paddrs.insert(offered, paddr);
                Some(offered)
            });
            if !took {
                return None;
            }
        }
        let slot = *self.chunks.of(c).get(i as usize)?;
        Some((slot, self.paddrs.get(&slot).copied().unwrap_or(0)))
    }

    /// Gives `c` the chunk at physical address `at` (for memory a device
    /// reaches by physical address: a system description's region with a
    /// `phys_addr`). A free chunk there is taken; otherwise it is carved,
    /// the memory below it in its untyped split off into untypeds of this
    /// component's own (which stay in the pool for later chunks).
    fn chunk_at(&mut self, c: ContainerId, offered: u64, at: u64) -> Option<()> {
        if let Some(slot) = self.paddrs.iter().find(|(_, p)| **p == at).map(|(s, _)| *s) {
            return self.chunks.take_free(c, slot).then_some(());
        }
        let u = *self.pool.containing(at)?;
        let offset = at - u.paddr;
        if !offset.is_multiple_of(CHUNK_BYTES) || offset < u.watermark {
            return None;
        }
        // Split off what lies below, as large aligned untypeds.
        let mut w = u.watermark;
        while w < offset {
            let mut bits = w.trailing_zeros().min(u.size_bits as u32);
            while w + (1u64 << bits) > offset {
                bits -= 1;
            }
            let slot = self.own_slots.alloc().ok()?;
            let p = self.pool.alloc_in(u.slot, bits).ok()?;
            Cap::<Untyped>::from_cptr(u.slot)
                .untyped_retype(object_type::UNTYPED, bits as u64, own_cnode(), 0, 0, slot, 1)
                .ok()?;
            self.pool.add(slot, p.paddr, bits as u8);
            w += 1 << bits;
        }
        let p = self.pool.alloc_in(u.slot, CHUNK_BITS).ok()?;
        Cap::<Untyped>::from_cptr(u.slot)
            .untyped_retype(object_type::UNTYPED, CHUNK_BITS as u64, root_cnode(), 0, 0, offered, 1)
            .ok()?;
        self.paddrs.insert(offered, p.paddr);
        self.chunks.take_carved(c, offered);
        Some(())
    }

    fn destroy(&mut self, id: ContainerId) -> Reply {
        if self.books.destroy(id).is_err() {
            return Reply::error(BAD_REQUEST);
        }
        let chunks = self.chunks.release(id);
        for slot in &chunks {
            // Deletes everything made from the chunk (the supervisor
            // usually has already); the chunk stays, for reuse.
            let _ = root_cnode().cnode_revoke(*slot, WORD_BITS as u64);
        }
        Reply::ok(&[chunks.len() as u64 * CHUNK_BYTES])
    }

    /// Free bytes: memory no container's quota claims (the pool always
    /// has at least that much left to carve, in whole chunks).
    fn stats(&self) -> Reply {
        Reply::ok(&[
            self.books.free_mem(),
            self.books.total_mem(),
            self.chunks.carved(),
            self.chunks.free_count(),
        ])
    }
}

fn donation_reply(r: Result<impl Sized, RmError>) -> Reply {
    match r {
        Ok(_) => Reply::ok(&[]),
        Err(_) => Reply::error(BAD_REQUEST),
    }
}

/// A container id from a request word.
fn container(w: u64) -> Option<ContainerId> {
    u32::try_from(w).ok().map(ContainerId)
}

impl Server for ResourceManager {
    fn handle(&mut self, client: ClientBadge, label: u64, m: &Received) -> Reply {
        if client.client != 0 {
            return Reply::error(DENIED);
        }
        let w = |i| msg::word(m, i);
        let c = |i| w(i).and_then(container);
        match label {
            proto::CREATE => match (w(0), w(1)) {
                (Some(chunks), Some(slots)) => self.create(chunks, slots),
                _ => Reply::error(BAD_REQUEST),
            },
            proto::CHUNK => match (c(0), w(1), w(2)).into_option() {
                Some((id, i, offered)) => match self.chunk(id, i, offered, w(3).unwrap_or(0)) {
                    Some((slot, paddr)) => Reply::ok(&[slot, paddr]),
                    None => Reply::error(BAD_REQUEST),
                },
                None => Reply::error(BAD_REQUEST),
            },
            proto::DESTROY => match c(0) {
                Some(id) => self.destroy(id),
                None => Reply::error(BAD_REQUEST),
            },
            proto::BEGIN => match (c(0), c(1), w(2)).into_option() {
                Some((from, to, bytes)) => match self.books.begin_donation(from, to, bytes) {
                    Ok(d) => Reply::ok(&[d.0]),
                    Err(RmError::QuotaExceeded { .. }) => Reply::error(QUOTA_EXHAUSTED),
                    Err(_) => Reply::error(BAD_REQUEST),
                },
                None => Reply::error(BAD_REQUEST),
            },
            proto::COMMIT | proto::ABORT | proto::REVOKE => {
                let Some(d) = w(0).map(DonationId) else {
                    return Reply::error(BAD_REQUEST);
                };
                match label {
                    proto::COMMIT => donation_reply(self.books.commit(d)),
                    proto::ABORT => donation_reply(self.books.abort(d)),
                    _ => donation_reply(self.books.revoke(d)),
                }
            }
            proto::USAGE => match c(0).map(|id| self.books.usage(id)) {
                Some(Ok(u)) => Reply::ok(&[u.mem_quota, u.donated_out, u.donated_in]),
                _ => Reply::error(BAD_REQUEST),
            },
            proto::STATS => self.stats(),
            _ => Reply::error(BAD_REQUEST),
        }
    }

    fn save(&self, _buf: &mut [u8]) -> usize {
        // Never updated: the supervisor refuses to.
        0
    }
}

/// Three optional words, all present or none.
trait IntoOption<T> {
    fn into_option(self) -> Option<T>;
}

impl<A, B, C> IntoOption<(A, B, C)> for (Option<A>, Option<B>, Option<C>) {
    fn into_option(self) -> Option<(A, B, C)> {
        Some((self.0?, self.1?, self.2?))
    }
}

fn main(boot: Boot) -> ! {
    let Some(handover) = Handover::decode(boot.state) else {
        supervisor::start_failed("no untyped memory handed over");
    };
    let mut pool = Pool::new();
    for u in &handover.untypeds {
        pool.add(u.slot, u.paddr, u.size_bits);
    }
    let total = pool.total_bytes();
    let first_free = handover
        .untypeds
        .iter()
        .map(|u| u.slot + 1)
        .max()
        .unwrap_or(proto::UNTYPED_SLOT_BASE);
    let mut rm = ResourceManager {
        // Slot quotas are kept by the supervisor (its CNode holds the
        // objects); the books only check them against this total.
        books: Resources::new(total, u32::MAX as u64),
        chunks: Chunks::new(),
        pool,
        paddrs: BTreeMap::new(),
        own_slots: root_core::untyped::SlotAllocator::new(kernel_iface::bootinfo::SlotRegion {
            start: first_free,
            end: OWN_SLOTS,
        }),
    };
    println!(
        "resource manager: {} KiB in {} untypeds",
        total / 1024,
        handover.untypeds.len()
    );
    supervisor::ready();
    server::serve(&mut rm, boot.generation)
}
