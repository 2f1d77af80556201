//! # resource-mgr: resource containers, quotas and donation, without the kernel
//!
//! Every component belongs to a resource container with a quota of memory
//! (bytes) and of capability slots. [`Resources`] keeps the books: it decides
//! whether a container may have more. The resource manager component
//! (`components/resources`, which owns the untyped memory after boot) runs
//! these books and [`chunks::Chunks`] (which chunk belongs to which
//! container), and turns their decisions into seL4 calls; the supervisor
//! asks it over IPC.
//! Running out is an error value for the one container that ran out; no
//! operation here touches a container other than those it names.
//!
//! ## The books
//!
//! A global pool (`Resources::new(total_mem, total_slots)`) supplies every
//! container's own quota: creating a container reserves its quota from the
//! pool, destroying it gives the quota back. A container's own quota never
//! changes after that; donation only moves the right to use it:
//!
//! - `mem_used` counts everything charged to the container: against its own
//!   quota (`own_used`) and against the donations it serves (`donated_used`).
//! - `donated_out` is the part of its own quota lent to servers (pending or
//!   committed); the container cannot use it meanwhile.
//! - `donated_in` is what clients have committed to it; it can use that only
//!   through [`Resources::charge_donated`], naming the donation, so the bytes
//!   charged against each donation are known when the donation ends.
//!
//! Invariants, after every operation, successful or not: `pool free + Σ
//! mem_quota == total_mem` (likewise for slots); per container `own_used +
//! donated_out <= mem_quota`, `donated_used <= donated_in`, hence `mem_used <=
//! mem_quota - donated_out + donated_in` (the effective quota), and
//! `slot_used <= slot_quota`; per donation `used <= bytes`. A failed operation
//! changes nothing.
//!
//! ## Donation (Genode's transactional quota transfer)
//!
//! A client opening a session lends part of its free quota to the server:
//! `begin_donation` takes the bytes from the client (pending: neither side can
//! use them), `commit` (the server acknowledged) lets the server charge them,
//! `abort` undoes a pending donation. `revoke` ends a committed one: the bytes
//! go back to the client and whatever the server had charged against the
//! donation is uncharged from the server by force, because the root task
//! revokes the untyped memory behind it (the server's objects in it are gone).
//! The [`DonationId`] is the session's tag: the root task keeps it with the
//! session and ends the donation when the session closes.
//!
//! ## Operations
//!
//! Methods of [`Resources`]; `c` is a [`ContainerId`], `d` a [`DonationId`].
//!
//! | operation | effect | errors |
//! | --- | --- | --- |
//! | `create(name, mem, slots)` | new container; quotas from the pool | `PoolExhausted`, `SlotPoolExhausted` |
//! | `destroy(c)` | ends `c`'s donations (below); quotas back to the pool | — |
//! | `charge(c, bytes, slots)` | uses own quota (both or neither) | `QuotaExceeded`, `SlotQuotaExceeded` |
//! | `release(c, bytes, slots)` | undoes `charge` (both or neither) | `ReleaseMoreThanCharged`, |
//! | | | `ReleaseMoreSlotsThanCharged` |
//! | `usage(c)` | the container's books | — |
//! | `begin_donation(cl, srv, bytes)` | `bytes` of the client's free quota: pending | `SelfDonation`, `QuotaExceeded` |
//! | `commit(d)` | pending → committed: the server may charge against `d` | `NotPending` |
//! | `abort(d)` | ends a pending `d`: the bytes go back to the client | `NotPending` |
//! | `revoke(d)` | ends a committed `d`: bytes back to the client, server's charges on `d` undone | `NotCommitted` |
//! | `charge_donated(srv, d, bytes)` | the server uses `bytes` of `d` | `NotTheServer`, `NotCommitted`, |
//! | | | `DonationExceeded` |
//! | `release_donated(srv, d, bytes)` | undoes `charge_donated` | `NotTheServer`, |
//! | | | `ReleaseMoreThanDonationCharged` |
//! | `report()` | every container, by id, for the shell's `rc` | — |
//!
//! Besides those, naming a container or donation that does not exist fails
//! with `NoSuchContainer` or `NoSuchDonation`, and `create` and
//! `begin_donation` fail with `IdsExhausted` once ids run out. Ids are never
//! reused. `destroy(c)` returns the donations it ended, as they were: those
//! `c` made were revoked (committed) or aborted (pending); those made to `c`
//! went back to their clients. `c` may still have had resources charged: the
//! root task revokes them.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod chunks;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// Names a resource container. Never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ContainerId(pub u32);

/// Names a donation (the session it belongs to is the caller's business).
/// Never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DonationId(pub u64);

/// A resource container's books.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Container {
    pub name: String,
    /// Bytes reserved from the pool for this container (its own quota).
    pub mem_quota: u64,
    /// Bytes charged: against its own quota and against donations it serves.
    pub mem_used: u64,
    pub slot_quota: u64,
    pub slot_used: u64,
    /// Bytes of its own quota lent to servers, pending or committed.
    pub donated_out: u64,
    /// Bytes clients have committed to it.
    pub donated_in: u64,
    /// The part of `mem_used` charged against donations it serves.
    pub donated_used: u64,
}

impl Container {
    /// Bytes charged against its own quota.
    pub fn own_used(&self) -> u64 {
        self.mem_used.saturating_sub(self.donated_used)
    }
    /// Bytes of its own quota it can still charge or donate.
    pub fn mem_free(&self) -> u64 {
        self.mem_quota
            .saturating_sub(self.donated_out)
            .saturating_sub(self.own_used())
    }
    /// Own quota less what it lent, plus what it was lent.
    pub fn effective_mem_quota(&self) -> u64 {
        self.mem_quota
            .saturating_sub(self.donated_out)
            .saturating_add(self.donated_in)
    }
    /// Slots it can still charge.
    pub fn slot_free(&self) -> u64 {
        self.slot_quota.saturating_sub(self.slot_used)
    }
}

/// Where a donation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DonationState {
    /// Taken from the client; the server has not acknowledged it.
    Pending,
    /// Acknowledged: the server may charge against it.
    Committed,
}

/// Bytes a client lends a server for one session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Donation {
    pub client: ContainerId,
    pub server: ContainerId,
    pub bytes: u64,
    /// Bytes the server has charged against this donation (0 while pending).
    pub used: u64,
    pub state: DonationState,
}

/// Why an operation was refused. Each variant says who is to blame; none
/// changed anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmError {
    /// The pool cannot supply a new container's memory quota: whoever sized
    /// the container asked for more than is left.
    PoolExhausted { wanted: u64, free: u64 },
    /// The pool cannot supply a new container's slot quota (as above).
    SlotPoolExhausted { wanted: u64, free: u64 },
    /// `container` asked for more memory (to use or to donate) than it has
    /// free: that container is out of memory, no other.
    QuotaExceeded {
        container: ContainerId,
        wanted: u64,
        free: u64,
    },
    /// `container` asked for more slots than it has free.
    SlotQuotaExceeded {
        container: ContainerId,
        wanted: u64,
        free: u64,
    },
    /// The server charged more than is left of the donation: the server has
    /// used up what its client gave it for this session.
    DonationExceeded {
        donation: DonationId,
        wanted: u64,
        free: u64,
    },
    /// Releasing more memory than `container` has charged to its own quota:
    /// the caller's accounting is wrong.
    ReleaseMoreThanCharged {
        container: ContainerId,
        wanted: u64,
        charged: u64,
    },
    /// Releasing more slots than `container` has charged (as above).
    ReleaseMoreSlotsThanCharged {
        container: ContainerId,
        wanted: u64,
        charged: u64,
    },
    /// Releasing more than the server charged against the donation (as above).
    ReleaseMoreThanDonationCharged {
        donation: DonationId,
        wanted: u64,
        charged: u64,
    },
    /// No such container (never made, or destroyed): the caller's id is stale.
    NoSuchContainer(ContainerId),
    /// No such donation (never begun, or ended): the caller's id is stale.
    NoSuchDonation(DonationId),
    /// `commit` or `abort` of a donation already committed: the caller
    /// confused the session's state.
    NotPending(DonationId),
    /// `revoke` or `charge_donated` of a donation not yet committed: the
    /// server has not acknowledged it (abort it instead of revoking).
    NotCommitted(DonationId),
    /// `container` charged against a donation made to another server.
    NotTheServer {
        donation: DonationId,
        container: ContainerId,
    },
    /// A container cannot donate to itself.
    SelfDonation(ContainerId),
    /// Every id has been used (after 2^32 containers or 2^64 donations).
    IdsExhausted,
}

/// The resource manager's books: the pool, the containers, the donations.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resources {
    total_mem: u64,
    total_slots: u64,
    free_mem: u64,
    free_slots: u64,
    containers: BTreeMap<ContainerId, Container>,
    donations: BTreeMap<DonationId, Donation>,
    next_container: u32,
    next_donation: u64,
}

impl Resources {
    /// A pool of `total_mem` bytes and `total_slots` slots, all free.
    pub fn new(total_mem: u64, total_slots: u64) -> Resources {
        Resources {
            total_mem,
            total_slots,
            free_mem: total_mem,
            free_slots: total_slots,
            containers: BTreeMap::new(),
            donations: BTreeMap::new(),
            next_container: 0,
            next_donation: 0,
        }
    }

    /// Bytes in the pool, given and free.
    pub fn total_mem(&self) -> u64 {
        self.total_mem
    }
    /// Slots in the pool, given and free.
    pub fn total_slots(&self) -> u64 {
        self.total_slots
    }
    /// Bytes of the pool not reserved by any container.
    pub fn free_mem(&self) -> u64 {
        self.free_mem
    }
    /// Slots of the pool not reserved by any container.
    pub fn free_slots(&self) -> u64 {
        self.free_slots
    }

    /// Makes a container, reserving its quotas from the pool.
    pub fn create(&mut self, name: &str, mem_quota: u64, slot_quota: u64) -> Result<ContainerId, RmError> {
        if mem_quota > self.free_mem {
            return Err(RmError::PoolExhausted {
                wanted: mem_quota,
                free: self.free_mem,
            });
        }
        if slot_quota > self.free_slots {
            return Err(RmError::SlotPoolExhausted {
                wanted: slot_quota,
                free: self.free_slots,
            });
        }
        let id = ContainerId(self.next_container);
        self.next_container = self.next_container.checked_add(1).ok_or(RmError::IdsExhausted)?;
        self.free_mem -= mem_quota;
        self.free_slots -= slot_quota;
        self.containers.insert(
            id,
            Container {
                name: String::from(name),
                mem_quota,
                mem_used: 0,
                slot_quota,
                slot_used: 0,
                donated_out: 0,
                donated_in: 0,
                donated_used: 0,
            },
        );
        Ok(id)
    }

    /// Destroys a container: ends every donation it is part of and returns
    /// its quotas to the pool, whatever it still had charged (the root task
    /// revokes its memory and slots). Returns the donations ended, as they
    /// were: those where it was the client were revoked (committed) or
    /// aborted (pending); those where it was the server went back to their
    /// clients.
    pub fn destroy(&mut self, id: ContainerId) -> Result<Vec<(DonationId, Donation)>, RmError> {
        self.usage(id)?;
        let ended: Vec<DonationId> = self
            .donations
            .iter()
            .filter(|(_, d)| d.client == id || d.server == id)
            .map(|(&did, _)| did)
            .collect();
        let ended = ended.into_iter().map(|did| (did, self.end(did))).collect();
        let c = self.containers.remove(&id).ok_or(RmError::NoSuchContainer(id))?;
        self.free_mem += c.mem_quota;
        self.free_slots += c.slot_quota;
        Ok(ended)
    }

    /// Charges `bytes` and `slots` to the container's own quota: both or
    /// neither.
    pub fn charge(&mut self, id: ContainerId, bytes: u64, slots: u64) -> Result<(), RmError> {
        let c = self.container_mut(id)?;
        if bytes > c.mem_free() {
            return Err(RmError::QuotaExceeded {
                container: id,
                wanted: bytes,
                free: c.mem_free(),
            });
        }
        if slots > c.slot_free() {
            return Err(RmError::SlotQuotaExceeded {
                container: id,
                wanted: slots,
                free: c.slot_free(),
            });
        }
        c.mem_used += bytes;
        c.slot_used += slots;
        Ok(())
    }

    /// Gives back `bytes` and `slots` charged with [`charge`](Self::charge):
    /// both or neither.
    pub fn release(&mut self, id: ContainerId, bytes: u64, slots: u64) -> Result<(), RmError> {
        let c = self.container_mut(id)?;
        if bytes > c.own_used() {
            return Err(RmError::ReleaseMoreThanCharged {
                container: id,
                wanted: bytes,
                charged: c.own_used(),
            });
        }
        if slots > c.slot_used {
            return Err(RmError::ReleaseMoreSlotsThanCharged {
                container: id,
                wanted: slots,
                charged: c.slot_used,
            });
        }
        c.mem_used -= bytes;
        c.slot_used -= slots;
        Ok(())
    }

    /// The container's books.
    pub fn usage(&self, id: ContainerId) -> Result<&Container, RmError> {
        self.containers.get(&id).ok_or(RmError::NoSuchContainer(id))
    }

    /// Every container, by id (for the shell's `rc`).
    pub fn report(&self) -> impl Iterator<Item = (ContainerId, &Container)> {
        self.containers.iter().map(|(&id, c)| (id, c))
    }

    /// A donation in progress.
    pub fn donation(&self, id: DonationId) -> Result<&Donation, RmError> {
        self.donations.get(&id).ok_or(RmError::NoSuchDonation(id))
    }

    /// Every donation in progress, by id.
    pub fn donations(&self) -> impl Iterator<Item = (DonationId, &Donation)> {
        self.donations.iter().map(|(&id, d)| (id, d))
    }

    /// Moves `bytes` of the client's free quota into a pending donation to
    /// `server`.
    pub fn begin_donation(
        &mut self,
        client: ContainerId,
        server: ContainerId,
        bytes: u64,
    ) -> Result<DonationId, RmError> {
        let free = self.usage(client)?.mem_free();
        self.usage(server)?;
        if client == server {
            return Err(RmError::SelfDonation(client));
        }
        if bytes > free {
            return Err(RmError::QuotaExceeded {
                container: client,
                wanted: bytes,
                free,
            });
        }
        let id = DonationId(self.next_donation);
        self.next_donation = self.next_donation.checked_add(1).ok_or(RmError::IdsExhausted)?;
        self.container_mut(client)?.donated_out += bytes;
        self.donations.insert(
            id,
            Donation {
                client,
                server,
                bytes,
                used: 0,
                state: DonationState::Pending,
            },
        );
        Ok(id)
    }

    /// The server acknowledged a pending donation: it may now charge
    /// against it.
    pub fn commit(&mut self, id: DonationId) -> Result<(), RmError> {
        let d = self.pending(id)?;
        self.container_mut(d.server)?.donated_in += d.bytes;
        if let Some(d) = self.donations.get_mut(&id) {
            d.state = DonationState::Committed;
        }
        Ok(())
    }

    /// Undoes a pending donation: the bytes go back to the client.
    pub fn abort(&mut self, id: DonationId) -> Result<Donation, RmError> {
        self.pending(id)?;
        Ok(self.end(id))
    }

    /// Ends a committed donation: the bytes go back to the client, and what
    /// the server had charged against it is uncharged (the root task revokes
    /// that memory). Returns the donation as it was; `used` is what the
    /// server lost.
    pub fn revoke(&mut self, id: DonationId) -> Result<Donation, RmError> {
        self.committed(id)?;
        Ok(self.end(id))
    }

    /// `server` uses `bytes` of donation `id`.
    pub fn charge_donated(&mut self, server: ContainerId, id: DonationId, bytes: u64) -> Result<(), RmError> {
        let d = self.served_by(server, id)?;
        if d.state != DonationState::Committed {
            return Err(RmError::NotCommitted(id));
        }
        let free = d.bytes - d.used;
        if bytes > free {
            return Err(RmError::DonationExceeded {
                donation: id,
                wanted: bytes,
                free,
            });
        }
        let c = self.container_mut(server)?;
        c.mem_used += bytes;
        c.donated_used += bytes;
        if let Some(d) = self.donations.get_mut(&id) {
            d.used += bytes;
        }
        Ok(())
    }

    /// `server` gives back `bytes` charged with
    /// [`charge_donated`](Self::charge_donated).
    pub fn release_donated(&mut self, server: ContainerId, id: DonationId, bytes: u64) -> Result<(), RmError> {
        let d = self.served_by(server, id)?;
        if bytes > d.used {
            return Err(RmError::ReleaseMoreThanDonationCharged {
                donation: id,
                wanted: bytes,
                charged: d.used,
            });
        }
        let c = self.container_mut(server)?;
        c.mem_used -= bytes;
        c.donated_used -= bytes;
        if let Some(d) = self.donations.get_mut(&id) {
            d.used -= bytes;
        }
        Ok(())
    }

    fn container_mut(&mut self, id: ContainerId) -> Result<&mut Container, RmError> {
        self.containers.get_mut(&id).ok_or(RmError::NoSuchContainer(id))
    }

    fn pending(&self, id: DonationId) -> Result<Donation, RmError> {
        let d = *self.donation(id)?;
        match d.state {
            DonationState::Pending => Ok(d),
            DonationState::Committed => Err(RmError::NotPending(id)),
        }
    }

    fn committed(&self, id: DonationId) -> Result<Donation, RmError> {
        let d = *self.donation(id)?;
        match d.state {
            DonationState::Committed => Ok(d),
            DonationState::Pending => Err(RmError::NotCommitted(id)),
        }
    }

    /// The donation, if `server` exists and serves it.
    fn served_by(&self, server: ContainerId, id: DonationId) -> Result<Donation, RmError> {
        self.usage(server)?;
        let d = *self.donation(id)?;
        if d.server != server {
            return Err(RmError::NotTheServer {
                donation: id,
                container: server,
            });
        }
        Ok(d)
    }

    /// Removes donation `id` (which exists) and undoes it on both sides.
    fn end(&mut self, id: DonationId) -> Donation {
        let d = self.donations.remove(&id).expect("end: donation exists");
        if d.state == DonationState::Committed {
            if let Some(s) = self.containers.get_mut(&d.server) {
                s.mem_used -= d.used;
                s.donated_used -= d.used;
                s.donated_in -= d.bytes;
            }
        }
        if let Some(c) = self.containers.get_mut(&d.client) {
            c.donated_out -= d.bytes;
        }
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    const KIB: u64 = 1024;

    /// Every invariant of the module doc, recomputed from the donations.
    fn check(r: &Resources) {
        let quotas: u64 = r.containers.values().map(|c| c.mem_quota).sum();
        let slot_quotas: u64 = r.containers.values().map(|c| c.slot_quota).sum();
        assert_eq!(r.free_mem + quotas, r.total_mem, "memory is conserved");
        assert_eq!(r.free_slots + slot_quotas, r.total_slots, "slots are conserved");
        for (id, c) in &r.containers {
            let out: u64 = r.donations.values().filter(|d| d.client == *id).map(|d| d.bytes).sum();
            let inn: u64 = r
                .donations
                .values()
                .filter(|d| d.server == *id && d.state == DonationState::Committed)
                .map(|d| d.bytes)
                .sum();
            let dused: u64 = r.donations.values().filter(|d| d.server == *id).map(|d| d.used).sum();
            assert_eq!(c.donated_out, out, "{id:?} donated_out");
            assert_eq!(c.donated_in, inn, "{id:?} donated_in");
            assert_eq!(c.donated_used, dused, "{id:?} donated_used");
            assert!(c.donated_used <= c.mem_used, "{id:?}");
            assert!(
                c.own_used() + c.donated_out <= c.mem_quota,
                "{id:?} own use within own quota"
            );
            assert!(c.donated_used <= c.donated_in, "{id:?} donated use within donations");
            assert!(
                c.mem_used <= c.effective_mem_quota(),
                "{id:?} use within effective quota"
            );
            assert!(c.slot_used <= c.slot_quota, "{id:?} slots");
        }
        for (id, d) in &r.donations {
            assert!(r.containers.contains_key(&d.client), "{id:?} client lives");
            assert!(r.containers.contains_key(&d.server), "{id:?} server lives");
            assert_ne!(d.client, d.server);
            assert!(d.used <= d.bytes);
            if d.state == DonationState::Pending {
                assert_eq!(d.used, 0);
            }
        }
    }

    #[test]
    fn create_reserves_and_destroy_returns() {
        let mut r = Resources::new(100 * KIB, 50);
        let a = r.create("a", 60 * KIB, 20).unwrap();
        assert_eq!(r.free_mem(), 40 * KIB);
        assert_eq!(r.free_slots(), 30);
        assert_eq!(
            r.create("b", 41 * KIB, 1),
            Err(RmError::PoolExhausted {
                wanted: 41 * KIB,
                free: 40 * KIB
            })
        );
        assert_eq!(
            r.create("b", KIB, 31),
            Err(RmError::SlotPoolExhausted { wanted: 31, free: 30 })
        );
        let b = r.create("b", 40 * KIB, 30).unwrap();
        assert_ne!(a, b);
        assert_eq!((r.free_mem(), r.free_slots()), (0, 0));
        r.charge(a, KIB, 1).unwrap(); // destroying what is in use is allowed
        assert_eq!(r.destroy(a), Ok(vec![]));
        assert_eq!((r.free_mem(), r.free_slots()), (60 * KIB, 20));
        assert_eq!(r.destroy(a), Err(RmError::NoSuchContainer(a)));
        assert_eq!(r.usage(a), Err(RmError::NoSuchContainer(a)));
        let c = r.create("c", 0, 0).unwrap();
        assert_ne!(c, a, "ids are not reused");
        check(&r);
    }

    #[test]
    fn charge_and_release_stay_within_quota() {
        let mut r = Resources::new(10 * KIB, 10);
        let a = r.create("a", 4 * KIB, 3).unwrap();
        let b = r.create("b", 4 * KIB, 3).unwrap();
        r.charge(a, 3 * KIB, 2).unwrap();
        assert_eq!(
            r.charge(a, 2 * KIB, 0),
            Err(RmError::QuotaExceeded {
                container: a,
                wanted: 2 * KIB,
                free: KIB
            })
        );
        assert_eq!(
            r.charge(a, 0, 2),
            Err(RmError::SlotQuotaExceeded {
                container: a,
                wanted: 2,
                free: 1
            })
        );
        // Both or neither: the memory was not charged when the slots failed.
        assert_eq!(
            r.charge(a, KIB, 5),
            Err(RmError::SlotQuotaExceeded {
                container: a,
                wanted: 5,
                free: 1
            })
        );
        assert_eq!(r.usage(a).unwrap().mem_used, 3 * KIB);
        // a's exhaustion does not touch b.
        r.charge(b, 4 * KIB, 3).unwrap();
        r.charge(a, KIB, 1).unwrap();
        assert_eq!(r.usage(a).unwrap().mem_free(), 0);
        assert_eq!(r.usage(a).unwrap().slot_free(), 0);

        assert_eq!(
            r.release(a, 5 * KIB, 0),
            Err(RmError::ReleaseMoreThanCharged {
                container: a,
                wanted: 5 * KIB,
                charged: 4 * KIB
            })
        );
        assert_eq!(
            r.release(a, 0, 4),
            Err(RmError::ReleaseMoreSlotsThanCharged {
                container: a,
                wanted: 4,
                charged: 3
            })
        );
        assert_eq!(r.release(a, u64::MAX, u64::MAX).map_err(|_| ()), Err(()));
        r.release(a, 4 * KIB, 3).unwrap();
        assert_eq!(r.usage(a).unwrap().mem_used, 0);
        let gone = ContainerId(99);
        assert_eq!(r.charge(gone, 0, 0), Err(RmError::NoSuchContainer(gone)));
        assert_eq!(r.release(gone, 0, 0), Err(RmError::NoSuchContainer(gone)));
        check(&r);
    }

    #[test]
    fn donation_commit_charge_revoke() {
        let mut r = Resources::new(100 * KIB, 10);
        let client = r.create("client", 10 * KIB, 1).unwrap();
        let server = r.create("server", 2 * KIB, 1).unwrap();
        let d = r.begin_donation(client, server, 4 * KIB).unwrap();
        // Pending: the client has lost it, the server does not have it yet.
        assert_eq!(r.usage(client).unwrap().mem_free(), 6 * KIB);
        assert_eq!(r.usage(server).unwrap().effective_mem_quota(), 2 * KIB);
        assert_eq!(r.charge_donated(server, d, KIB), Err(RmError::NotCommitted(d)));
        assert_eq!(r.revoke(d), Err(RmError::NotCommitted(d)));
        r.commit(d).unwrap();
        assert_eq!(r.commit(d), Err(RmError::NotPending(d)));
        assert_eq!(r.abort(d), Err(RmError::NotPending(d)));
        let s = r.usage(server).unwrap();
        assert_eq!((s.effective_mem_quota(), s.donated_in), (6 * KIB, 4 * KIB));
        assert_eq!(r.usage(client).unwrap().donated_out, 4 * KIB);

        // The server's own quota does not include the donation...
        assert!(matches!(
            r.charge(server, 3 * KIB, 0),
            Err(RmError::QuotaExceeded { .. })
        ));
        // ...it is charged by naming the donation.
        r.charge_donated(server, d, 3 * KIB).unwrap();
        r.charge(server, 2 * KIB, 0).unwrap();
        assert_eq!(
            r.charge_donated(server, d, 2 * KIB),
            Err(RmError::DonationExceeded {
                donation: d,
                wanted: 2 * KIB,
                free: KIB
            })
        );
        assert_eq!(r.usage(server).unwrap().mem_used, 5 * KIB);
        assert_eq!(r.donation(d).unwrap().used, 3 * KIB);
        // Own releases cannot eat into donated charges.
        assert!(matches!(
            r.release(server, 3 * KIB, 0),
            Err(RmError::ReleaseMoreThanCharged { charged, .. }) if charged == 2 * KIB
        ));
        r.release_donated(server, d, KIB).unwrap();
        assert_eq!(
            r.release_donated(server, d, 3 * KIB),
            Err(RmError::ReleaseMoreThanDonationCharged {
                donation: d,
                wanted: 3 * KIB,
                charged: 2 * KIB
            })
        );
        check(&r);

        // Revoke reclaims by force what the server still had charged.
        let ended = r.revoke(d).unwrap();
        assert_eq!((ended.bytes, ended.used), (4 * KIB, 2 * KIB));
        let s = r.usage(server).unwrap();
        assert_eq!((s.mem_used, s.donated_in, s.donated_used), (2 * KIB, 0, 0));
        let c = r.usage(client).unwrap();
        assert_eq!((c.donated_out, c.mem_free()), (0, 10 * KIB));
        assert_eq!(r.revoke(d), Err(RmError::NoSuchDonation(d)));
        assert_eq!(r.charge_donated(server, d, 0), Err(RmError::NoSuchDonation(d)));
        check(&r);
    }

    #[test]
    fn abort_returns_a_pending_donation() {
        let mut r = Resources::new(100 * KIB, 10);
        let client = r.create("client", 10 * KIB, 1).unwrap();
        let server = r.create("server", 0, 0).unwrap();
        let d = r.begin_donation(client, server, 10 * KIB).unwrap();
        assert!(matches!(
            r.charge(client, 1, 0),
            Err(RmError::QuotaExceeded { free: 0, .. })
        ));
        let ended = r.abort(d).unwrap();
        assert_eq!(ended.state, DonationState::Pending);
        assert_eq!(r.usage(client).unwrap().mem_free(), 10 * KIB);
        assert_eq!(r.abort(d), Err(RmError::NoSuchDonation(d)));
        assert_eq!(r.commit(d), Err(RmError::NoSuchDonation(d)));
        check(&r);
    }

    #[test]
    fn begin_donation_errors() {
        let mut r = Resources::new(100 * KIB, 10);
        let a = r.create("a", 10 * KIB, 1).unwrap();
        let b = r.create("b", 10 * KIB, 1).unwrap();
        let gone = ContainerId(7);
        assert_eq!(r.begin_donation(gone, b, 1), Err(RmError::NoSuchContainer(gone)));
        assert_eq!(r.begin_donation(a, gone, 1), Err(RmError::NoSuchContainer(gone)));
        assert_eq!(r.begin_donation(a, a, 1), Err(RmError::SelfDonation(a)));
        r.charge(a, 4 * KIB, 0).unwrap();
        assert_eq!(
            r.begin_donation(a, b, 7 * KIB),
            Err(RmError::QuotaExceeded {
                container: a,
                wanted: 7 * KIB,
                free: 6 * KIB
            })
        );
        let d = r.begin_donation(a, b, 6 * KIB).unwrap();
        r.commit(d).unwrap();
        // Donated bytes cannot be passed on: b's free own quota is unchanged.
        let c = r.create("c", 0, 0).unwrap();
        assert!(matches!(
            r.begin_donation(b, c, 11 * KIB),
            Err(RmError::QuotaExceeded { free, .. }) if free == 10 * KIB
        ));
        assert_eq!(
            r.charge_donated(c, d, 1),
            Err(RmError::NotTheServer {
                donation: d,
                container: c
            })
        );
        assert_eq!(
            r.release_donated(a, d, 0),
            Err(RmError::NotTheServer {
                donation: d,
                container: a
            })
        );
        assert_eq!(r.charge_donated(gone, d, 1), Err(RmError::NoSuchContainer(gone)));
        check(&r);
    }

    #[test]
    fn destroying_a_client_revokes_its_donations() {
        let mut r = Resources::new(100 * KIB, 10);
        let client = r.create("client", 10 * KIB, 1).unwrap();
        let server = r.create("server", KIB, 1).unwrap();
        let committed = r.begin_donation(client, server, 4 * KIB).unwrap();
        r.commit(committed).unwrap();
        r.charge_donated(server, committed, 3 * KIB).unwrap();
        let pending = r.begin_donation(client, server, 2 * KIB).unwrap();
        let ended = r.destroy(client).unwrap();
        assert_eq!(ended.len(), 2);
        assert_eq!(ended[0].0, committed);
        assert_eq!(ended[0].1.used, 3 * KIB);
        assert_eq!(ended[1].0, pending);
        assert_eq!(ended[1].1.state, DonationState::Pending);
        let s = r.usage(server).unwrap();
        assert_eq!((s.mem_used, s.donated_in, s.donated_used), (0, 0, 0));
        assert_eq!(r.donations().count(), 0);
        assert_eq!(r.free_mem(), 99 * KIB);
        check(&r);
    }

    #[test]
    fn destroying_a_server_returns_donations_to_clients() {
        let mut r = Resources::new(100 * KIB, 10);
        let c1 = r.create("c1", 10 * KIB, 1).unwrap();
        let c2 = r.create("c2", 10 * KIB, 1).unwrap();
        let server = r.create("server", KIB, 1).unwrap();
        let other = r.create("other", KIB, 1).unwrap();
        let d1 = r.begin_donation(c1, server, 4 * KIB).unwrap();
        r.commit(d1).unwrap();
        r.charge_donated(server, d1, 4 * KIB).unwrap();
        r.begin_donation(c2, server, 5 * KIB).unwrap();
        let kept = r.begin_donation(c2, other, KIB).unwrap();
        let ended = r.destroy(server).unwrap();
        assert_eq!(ended.len(), 2);
        assert_eq!(r.usage(c1).unwrap().mem_free(), 10 * KIB);
        assert_eq!(r.usage(c2).unwrap().mem_free(), 9 * KIB);
        assert_eq!(r.donations().map(|(id, _)| id).collect::<Vec<_>>(), vec![kept]);
        check(&r);
    }

    #[test]
    fn report_lists_containers_in_id_order() {
        let mut r = Resources::new(100 * KIB, 10);
        let a = r.create("a", KIB, 1).unwrap();
        let b = r.create("b", 2 * KIB, 1).unwrap();
        let d = r.begin_donation(b, a, KIB).unwrap();
        r.commit(d).unwrap();
        let rows: Vec<_> = r
            .report()
            .map(|(id, c)| (id, c.name.as_str(), c.mem_quota, c.donated_in, c.donated_out))
            .collect();
        assert_eq!(rows, vec![(a, "a", KIB, KIB, 0), (b, "b", 2 * KIB, 0, KIB)]);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Create(u64, u64),
        Destroy(u32),
        Charge(u32, u64, u64),
        Release(u32, u64, u64),
        Begin(u32, u32, u64),
        Commit(u32),
        Abort(u32),
        Revoke(u32),
        ChargeDonated(u32, u32, u64),
        ReleaseDonated(u32, u32, u64),
    }

    /// Mostly small amounts, sometimes absurd ones.
    fn amount() -> impl Strategy<Value = u64> {
        prop_oneof![6 => 0..64u64, 2 => 64..256u64, 1 => Just(u64::MAX), 1 => Just(u64::MAX / 2 + 1)]
    }

    fn slots() -> impl Strategy<Value = u64> {
        prop_oneof![8 => 0..4u64, 1 => Just(u64::MAX)]
    }

    /// Selectors (`u32`) name mostly live containers and donations, and
    /// sometimes any id at all (stale, never made).
    fn op() -> impl Strategy<Value = Op> {
        let sel = || 0..64u32;
        prop_oneof![
            3 => (0..800u64, 0..10u64).prop_map(|(m, s)| Op::Create(m, s)),
            1 => sel().prop_map(Op::Destroy),
            2 => (sel(), amount(), slots()).prop_map(|(c, b, s)| Op::Charge(c, b, s)),
            2 => (sel(), amount(), slots()).prop_map(|(c, b, s)| Op::Release(c, b, s)),
            4 => (sel(), sel(), amount()).prop_map(|(a, b, n)| Op::Begin(a, b, n)),
            3 => sel().prop_map(Op::Commit),
            1 => sel().prop_map(Op::Abort),
            1 => sel().prop_map(Op::Revoke),
            3 => (sel(), sel(), amount()).prop_map(|(c, d, n)| Op::ChargeDonated(c, d, n)),
            2 => (sel(), sel(), amount()).prop_map(|(c, d, n)| Op::ReleaseDonated(c, d, n)),
        ]
    }

    fn container(r: &Resources, sel: u32) -> ContainerId {
        let live: Vec<ContainerId> = r.containers.keys().copied().collect();
        if sel.is_multiple_of(8) || live.is_empty() {
            ContainerId(sel / 8)
        } else {
            live[sel as usize % live.len()]
        }
    }

    fn donation(r: &Resources, sel: u32) -> DonationId {
        let live: Vec<DonationId> = r.donations.keys().copied().collect();
        if sel.is_multiple_of(8) || live.is_empty() {
            DonationId(u64::from(sel / 8))
        } else {
            live[sel as usize % live.len()]
        }
    }

    /// The server of the donation `d` names, mostly.
    fn server(r: &Resources, sel: u32, d: DonationId) -> ContainerId {
        match r.donations.get(&d) {
            Some(d) if !sel.is_multiple_of(4) => d.server,
            _ => container(r, sel),
        }
    }

    fn apply(r: &mut Resources, op: &Op) -> Result<(), RmError> {
        match *op {
            Op::Create(m, s) => r.create("x", m, s).map(drop),
            Op::Destroy(c) => r.destroy(container(r, c)).map(drop),
            Op::Charge(c, b, s) => r.charge(container(r, c), b, s),
            Op::Release(c, b, s) => r.release(container(r, c), b, s),
            Op::Begin(a, b, n) => r.begin_donation(container(r, a), container(r, b), n).map(drop),
            Op::Commit(d) => r.commit(donation(r, d)),
            Op::Abort(d) => r.abort(donation(r, d)).map(drop),
            Op::Revoke(d) => r.revoke(donation(r, d)).map(drop),
            Op::ChargeDonated(c, d, n) => {
                let d = donation(r, d);
                r.charge_donated(server(r, c, d), d, n)
            }
            Op::ReleaseDonated(c, d, n) => {
                let d = donation(r, d);
                r.release_donated(server(r, c, d), d, n)
            }
        }
    }

    proptest! {
        #[test]
        fn books_balance_after_any_operations(ops in proptest::collection::vec(op(), 1..120)) {
            let mut r = Resources::new(4000, 40);
            for op in &ops {
                let before = r.clone();
                if apply(&mut r, op).is_err() {
                    prop_assert_eq!(&r, &before, "a failed {:?} changed the books", op);
                }
                check(&r);
            }
            // Destroying everything gives the whole pool back.
            let ids: Vec<ContainerId> = r.report().map(|(id, _)| id).collect();
            for id in ids {
                r.destroy(id).unwrap();
                check(&r);
            }
            prop_assert_eq!((r.free_mem(), r.free_slots()), (4000, 40));
            prop_assert_eq!(r.donations().count(), 0);
        }
    }
}
