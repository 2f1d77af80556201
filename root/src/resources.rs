//! The supervisor's side of the resource manager
//! (`pride_supervisor_api::resources`).
//!
//! At boot, before anything else runs, the supervisor starts the
//! `resource-mgr` component in a container carved from its own pool and
//! *moves* every large untyped it does not need into the component's CNode
//! (`UntypedAllocator::hand_over`): from then on the resource manager is
//! the only source of memory. Every other container is created there
//! (`CREATE`), its chunk capabilities copied to the supervisor one by one
//! (`CHUNK`, the reply carrying the capability), and destroyed there
//! (`DESTROY`, which revokes the chunks). Quotas and donations are kept in
//! its books.
//!
//! The resource manager cannot be stopped, restarted or updated: its CNode
//! holds the machine's memory.

use alloc::format;
use alloc::vec::Vec;

use kernel_iface::syscall::Received;
use kernel_iface::MessageInfo;
use pride_supervisor_api::resources::{self as proto, GrantedUntyped, Handover, UNTYPED_SLOT_BASE};
use pride_supervisor_api::{self as api, boot_page};
use resource_mgr::{ContainerId, DonationId};
use root_core::supervision::State;

use crate::mediation::SUPERVISOR_CLIENT;
use crate::objects::{Container, ObjError, CHUNK_BITS};
use crate::supervisor::{Role, SupError, Supervisor, SHELL_CHUNKS};

/// The resource manager's image and service.
pub const IMAGE: &str = "resource-mgr";
pub const SERVICE: &str = "resources";
/// Memory the root task keeps for its own objects when it hands the rest
/// over.
pub const ROOT_RESERVE: u64 = 4 << 20;

/// Why the resource manager said no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RmCallError {
    /// There is no resource manager (it failed, or boot could not start it).
    Absent,
    /// Not enough memory or quota: the caller's to bear.
    Exhausted,
    /// It did not understand the request: a supervisor bug.
    Refused(u64),
}

impl core::fmt::Display for RmCallError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            RmCallError::Absent => write!(f, "no resource manager is running"),
            RmCallError::Exhausted => write!(f, "not enough memory left"),
            RmCallError::Refused(l) => write!(f, "the resource manager refused the request ({l:#x})"),
        }
    }
}

impl From<RmCallError> for SupError {
    fn from(e: RmCallError) -> Self {
        match e {
            RmCallError::Absent => SupError::Refused("no resource manager is running"),
            RmCallError::Exhausted => SupError::Refused("not enough memory left for that quota"),
            RmCallError::Refused(_) => SupError::Refused("the resource manager refused the request"),
        }
    }
}

impl Supervisor {
    /// Starts the resource manager and hands it the untyped memory.
    pub fn start_resource_manager(&mut self) -> Result<(), SupError> {
        let (_, manifest) = self.image(IMAGE)?;
        let id = self
            .table
            .add(manifest.name.clone(), IMAGE.into(), manifest.clone())
            .ok_or(SupError::TableFull)?;
        // Its own memory comes from the root pool first (start_instance
        // knows); then everything large and untouched goes to it, and the
        // root task keeps its reserve and the small untypeds.
        let given = self.objs.root.hand_over(CHUNK_BITS as u8, ROOT_RESERVE);
        let handover = Handover {
            untypeds: given
                .iter()
                .enumerate()
                .map(|(i, u)| GrantedUntyped {
                    slot: UNTYPED_SLOT_BASE + i as u64,
                    size_bits: u.size_bits,
                    paddr: u.paddr,
                })
                .collect(),
        };
        let moved: Vec<(u64, u64)> = given
            .iter()
            .enumerate()
            .map(|(i, u)| (UNTYPED_SLOT_BASE + i as u64, u.slot))
            .collect();
        let mut state = [0u8; boot_page::STATE_MAX];
        let started = match handover.encode(&mut state) {
            Some(state) => self.start_instance(id, IMAGE, state, Role::Current, &moved),
            None => Err(SupError::Refused("too many untypeds to hand over")),
        };
        let number = match started {
            Ok(n) => n,
            Err(e) => {
                // Nothing was moved (or the loader moved it back): the
                // untypeds are the root task's again.
                for u in given {
                    self.objs.root.pool.add(u.slot, u.paddr, u.size_bits);
                }
                self.table.remove(id);
                return Err(e);
            }
        };
        self.wait_until_ready(number)?;
        // The shell's container, now that there is memory to be had.
        let cid = self.rm_create(SHELL_CHUNKS, 64)?;
        self.shell_memory = self.new_memory(cid, SHELL_CHUNKS)?;
        self.shell_container = Some(cid);
        let total: u64 = handover.untypeds.iter().map(|u| 1u64 << u.size_bits).sum();
        self.event(format!(
            "resources: '{IMAGE}' owns {} MiB in {} untypeds; the root task keeps {} KiB",
            total >> 20,
            handover.untypeds.len(),
            self.objs.free_bytes() / 1024
        ));
        Ok(())
    }

    /// True if the resource manager can be asked.
    fn rm_running(&self) -> bool {
        self.services
            .iter()
            .find(|s| s.name == SERVICE)
            .and_then(|s| s.server)
            .and_then(|id| self.table.by_id(id))
            .is_some_and(|r| r.state == State::Running)
    }

    /// One request to the resource manager.
    fn rm_call(&mut self, label: u64, words: &[u64]) -> Result<Received, RmCallError> {
        if !self.rm_running() {
            return Err(RmCallError::Absent);
        }
        let conn = self
            .supervisor_conn(SERVICE, SUPERVISOR_CLIENT)
            .ok_or(RmCallError::Absent)?;
        let mut mrs = [0u64; 4];
        mrs[..words.len()].copy_from_slice(words);
        let r = conn.call(MessageInfo::new(label, 0, 0, words.len() as u64), mrs);
        match r.info.label() {
            api::OK => Ok(r),
            api::QUOTA_EXHAUSTED => Err(RmCallError::Exhausted),
            other => Err(RmCallError::Refused(other)),
        }
    }

    /// A new resource container of `chunks` chunks.
    pub fn rm_create(&mut self, chunks: u64, slots: u64) -> Result<ContainerId, RmCallError> {
        self.rm_call(proto::CREATE, &[chunks, slots])
            .map(|r| ContainerId(r.mrs[0] as u32))
    }

    /// The memory of container `cid`: its `chunks` chunks, each in a slot
    /// of the root CNode (a new chunk is carved into a slot offered here).
    pub fn new_memory(&mut self, cid: ContainerId, chunks: u64) -> Result<Container, SupError> {
        self.new_memory_at(cid, chunks, None)
    }

    /// As [`new_memory`](Self::new_memory), with the chunks at consecutive
    /// physical addresses from `at` (for memory a device reaches by
    /// physical address), if given.
    pub fn new_memory_at(&mut self, cid: ContainerId, chunks: u64, at: Option<u64>) -> Result<Container, SupError> {
        let mut got = Vec::new();
        for i in 0..chunks {
            let offered = self.objs.root.alloc_slot().map_err(ObjError::from)?;
            let paddr = at.map_or(0, |a| a + i * crate::objects::CHUNK_BYTES);
            let r = self.rm_call(proto::CHUNK, &[cid.0 as u64, i, offered, paddr]);
            let chunk = r.map(|r| (r.mrs[0], r.mrs[1]));
            if chunk.map_or(true, |(slot, _)| slot != offered) {
                self.objs.root.free_slot(offered);
            }
            got.push(chunk?);
        }
        Ok(Container::from_chunks(&got))
    }

    /// Ends container `cid` in the resource manager: its chunks are revoked
    /// and free again, its donations end.
    pub fn rm_destroy(&mut self, cid: ContainerId) {
        let _ = self.rm_call(proto::DESTROY, &[cid.0 as u64]);
    }

    /// Begins a donation of `bytes` from `client` to `server`.
    pub fn rm_begin(
        &mut self,
        client: ContainerId,
        server: ContainerId,
        bytes: u64,
    ) -> Result<DonationId, RmCallError> {
        self.rm_call(proto::BEGIN, &[client.0 as u64, server.0 as u64, bytes])
            .map(|r| DonationId(r.mrs[0]))
    }

    pub fn rm_commit(&mut self, d: DonationId) {
        let _ = self.rm_call(proto::COMMIT, &[d.0]);
    }

    pub fn rm_abort(&mut self, d: DonationId) {
        let _ = self.rm_call(proto::ABORT, &[d.0]);
    }

    pub fn rm_revoke(&mut self, d: DonationId) {
        let _ = self.rm_call(proto::REVOKE, &[d.0]);
    }

    /// (quota, bytes lent, bytes received) of container `cid`.
    pub fn rm_usage(&mut self, cid: ContainerId) -> Option<(u64, u64, u64)> {
        self.rm_call(proto::USAGE, &[cid.0 as u64])
            .ok()
            .map(|r| (r.mrs[0], r.mrs[1], r.mrs[2]))
    }

    /// (free bytes, total bytes, chunks carved, chunks free) of the
    /// resource manager.
    pub fn rm_stats(&mut self) -> Option<(u64, u64, u64, u64)> {
        self.rm_call(proto::STATS, &[])
            .ok()
            .map(|r| (r.mrs[0], r.mrs[1], r.mrs[2], r.mrs[3]))
    }

    /// Memory no one uses: the root task's own free pool and what the
    /// resource manager can still hand out.
    pub fn free_memory(&mut self) -> u64 {
        self.objs.free_bytes() + self.rm_stats().map_or(0, |s| s.0)
    }

    /// True if component `id` is the resource manager (which is never
    /// stopped, restarted or updated).
    pub fn is_resource_manager(&self, id: u32) -> bool {
        self.table.by_id(id).is_some_and(|r| r.image == IMAGE)
    }

    /// Waits until instance `number` is ready (or failed).
    pub(crate) fn wait_until_ready(&mut self, number: u64) -> Result<(), SupError> {
        loop {
            match self.pump() {
                crate::supervisor::Event::Ready(n) if n == number => return Ok(()),
                crate::supervisor::Event::Failed(n) | crate::supervisor::Event::Exited(n, _) if n == number => {
                    return Err(SupError::Refused("the resource manager failed to start"));
                }
                other => self.background(other),
            }
        }
    }
}
