//! The supervisor: component life cycle (launch, stop, restart, update),
//! the supervisor endpoint's event loop, services and connections.
//!
//! Decisions that need no kernel (names, generations, restart policy) are in
//! `root_core::supervision`; this module turns them into kernel calls.
//!
//! ## Instances and badges
//! Each start of a component is an *instance* with its own number, which is
//! the badge of its supervisor endpoint (`INSTANCE_BADGE | number`). During
//! an update a component briefly has two instances (the retiring one and
//! the candidate); their messages stay apart.
//!
//! ## Services
//! A service endpoint belongs to the root task and outlives the servers that
//! serve it, so requests sent while a server is being replaced wait in its
//! queue. Clients hold copies badged with their id and the server
//! generation (`ClientBadge`). When a server restarts, its generation
//! grows: old connections get `SERVER_RESTARTED` and reconnect. When a
//! server stops, every client copy is revoked: the kernel answers a call on
//! it with `InvalidCapability`. A client blocked in a call to a server that
//! dies is released by the supervisor with `SERVER_RESTARTED` or
//! `SERVICE_DOWN`: it never hangs.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use kernel_iface::abi::{fault as fault_label, syscall as sysno, WORD_BITS};
use kernel_iface::cap::{kind, CapRights};
use kernel_iface::fault::Fault;
use kernel_iface::{ipc_buffer, syscall, Cap, MessageInfo};
use pride_archive::Archive;
use pride_rt::component as abi;
use pride_supervisor_api::manifest::{Manifest, ManifestError, MAX_WANTS};
use pride_supervisor_api::{self as api, boot_page};
use root_core::report;
use root_core::supervision::{Decision, NameError, State, Table};

use crate::loader::{self, LaunchSpec, LoadError, Loaded, INSTANCE_BADGE};
use crate::mediation::{Lender, Purse};
use crate::objects::{root_slot, ObjError, Objects, Source, CHUNK_BYTES, ROOT_CNODE};
use crate::serial::Serial;

/// Badge of the console UART's interrupt on the root notification.
pub const SERIAL_IRQ_BADGE: u64 = 1;
/// Chunks of the shell's container: the memory it lends the servers it
/// uses (and the scenarios' test subjects with it).
pub const SHELL_CHUNKS: u64 = 1;
/// Why the managers cannot be stopped, restarted or updated.
const MANAGERS_ARE_PERMANENT: &str =
    "the resource and connection managers hold the memory and the connections: they cannot be stopped, restarted or updated";
/// The notification bit a Microkit PD's runtime takes as "hand over":
/// above its channels' bits (`microkit::CONTROL_BIT`).
const PD_CONTROL_BIT: u64 = 1 << 26;
/// Slot of the security server's capability to signal the supervisor.
pub const SLOT_SECURITY_NOTIFY: u64 = 6;

/// What an instance is doing for its component.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// The instance that serves the component.
    Current,
    /// Handed its state to a candidate; waits to be destroyed or resumed.
    Retiring,
    /// A new version starting during an update.
    Candidate,
}

/// A running instance of a component.
pub struct Instance {
    pub number: u64,
    pub component: u32,
    pub role: Role,
    pub loaded: Loaded,
    /// Heap pages mapped so far at `HEAP_BASE`.
    pub heap_pages: u64,
    /// Root slot holding the reply to the instance's `QUIESCED` call.
    pub saved_reply: Option<u64>,
    /// The state the instance handed over in `QUIESCED`.
    pub handed_state: Vec<u8>,
}

/// A service: a name and the root-owned endpoint its server receives on.
pub struct Service {
    pub name: String,
    pub endpoint: Cap<kind::Endpoint>,
    /// The component serving it now.
    pub server: Option<u32>,
    /// The connection manager has the endpoint.
    pub registered: bool,
}

/// What one message on the supervisor endpoint turned out to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// Console input is waiting.
    Console,
    /// Instance finished starting.
    Ready(u64),
    /// Instance handed its state over and waits.
    Quiesced(u64),
    /// Instance faulted, panicked or failed to start (already reported).
    Failed(u64),
    /// Instance ended itself with an exit code.
    Exited(u64, u64),
    /// Instance printed a line.
    Output(u64),
    /// The security server settled a policy change.
    Settled,
    /// Anything else (handled, or ignored).
    Nothing,
}

/// Why a supervisor operation failed. Each says who is to blame.
#[derive(Debug)]
pub enum SupError {
    NoImage(String),
    BadManifest(String, ManifestError),
    Name(String, NameError),
    NoSuchComponent(String),
    NotRunning(String),
    TableFull,
    Load(LoadError),
    NotAServer(String),
    ServiceMismatch {
        image: String,
    },
    Refused(&'static str),
    UpdateFailed {
        image: String,
        why: String,
    },
    /// A system description was refused: the message says where and why.
    BadSystem(String),
    /// An image could not be read from the file system.
    DiskImage(String),
}

impl core::fmt::Display for SupError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            SupError::NoImage(i) => write!(f, "no image '{i}' (see 'images')"),
            SupError::DiskImage(why) => write!(f, "cannot read the image from the file system: {why}"),
            SupError::BadManifest(i, e) => {
                write!(f, "image '{i}' has an unusable manifest ({e:?})")
            }
            SupError::Name(n, NameError::Invalid) => {
                write!(f, "'{n}' is not a valid name (letters, digits, - and _)")
            }
            SupError::Name(n, NameError::InUse) => {
                write!(f, "a component named '{n}' is already running")
            }
            SupError::NoSuchComponent(n) => write!(f, "no component named '{n}' (see 'ps')"),
            SupError::NotRunning(n) => write!(f, "'{n}' is not running"),
            SupError::TableFull => write!(f, "too many components"),
            SupError::Load(e) => write!(f, "{e}"),
            SupError::NotAServer(n) => write!(f, "'{n}' offers no service, so it has no state to hand over"),
            SupError::ServiceMismatch { image } => {
                write!(f, "image '{image}' does not offer the same services")
            }
            SupError::Refused(why) => write!(f, "{why}"),
            SupError::UpdateFailed { image, why } => write!(f, "'{image}' failed to start ({why})"),
            SupError::BadSystem(why) => write!(f, "system description refused: {why}"),
        }
    }
}

impl From<LoadError> for SupError {
    fn from(e: LoadError) -> Self {
        SupError::Load(e)
    }
}

impl From<ObjError> for SupError {
    fn from(e: ObjError) -> Self {
        SupError::Load(LoadError::Object(e))
    }
}

/// The supervisor.
pub struct Supervisor {
    pub out: Serial,
    pub objs: Objects,
    /// The supervisor endpoint: faults and requests of every component.
    pub endpoint: Cap<kind::Endpoint>,
    pub archive: Archive<'static>,
    pub table: Table,
    pub instances: Vec<Instance>,
    pub services: Vec<Service>,
    pub log: root_core::log::EventLog,
    /// When set, component output and routine life-cycle lines are not
    /// printed (long test loops).
    pub quiet: bool,
    /// Console input arrived while an operation was waiting.
    pub console_pending: bool,
    /// The last fault reported: (component id, fault).
    pub last_fault: Option<(u32, Fault)>,
    /// The root task's notification, bound to its thread: the console
    /// interrupt and the security server's `SETTLED_SIGNAL` arrive on it.
    pub notification: Cap<kind::Notification>,
    /// The security server signalled that a policy change settled.
    pub settled: bool,
    /// Container of each instance (by instance number).
    pub containers: alloc::collections::BTreeMap<u64, resource_mgr::ContainerId>,
    /// Labels of subjects that are not components (test subjects the
    /// scenarios speak for).
    pub extra_labels: alloc::collections::BTreeMap<u32, String>,
    /// The shell's resource container (it donates to the servers it uses).
    pub shell_container: Option<resource_mgr::ContainerId>,
    /// The memory the shell's donations are made of.
    pub shell_memory: crate::objects::Container,
    /// Donations in force.
    pub loans: Vec<crate::mediation::Loan>,
    /// The last line a component printed: (instance, text).
    pub last_output: (u64, String),
    /// Running Microkit subsystems.
    pub systems: Vec<crate::systems::SystemRecord>,
    /// How each Microkit PD (by component id) is set up, for its restarts.
    pub pd_setups: alloc::collections::BTreeMap<u32, crate::systems::PdSetup>,
    /// The shell's own connections: (service, endpoint copy, generation).
    pub shell_conns: Vec<(String, Cap<kind::Endpoint>, u64)>,
    /// Images read from the file system (`launch /PATH`), by path, kept
    /// while a component made from them may start again.
    pub disk_images: alloc::collections::BTreeMap<String, (ImageBytes, Manifest)>,
    next_instance: u64,
    tsc_per_ms: u64,
}

/// A component image's bytes: in the image archive (for the whole run),
/// or read from the file system (shared with the supervisor's table of
/// disk images).
#[derive(Clone, Debug)]
pub enum ImageBytes {
    Archive(&'static [u8]),
    Disk(alloc::rc::Rc<[u8]>),
}

impl core::ops::Deref for ImageBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            ImageBytes::Archive(b) => b,
            ImageBytes::Disk(b) => b,
        }
    }
}

impl Supervisor {
    pub fn new(
        out: Serial,
        objs: Objects,
        endpoint: Cap<kind::Endpoint>,
        notification: Cap<kind::Notification>,
        archive: Archive<'static>,
        tsc_mhz: u64,
    ) -> Self {
        Supervisor {
            shell_container: None,
            shell_memory: crate::objects::Container::default(),
            loans: Vec::new(),
            systems: Vec::new(),
            last_output: (0, String::new()),
            pd_setups: alloc::collections::BTreeMap::new(),
            extra_labels: alloc::collections::BTreeMap::new(),
            notification,
            settled: false,
            containers: alloc::collections::BTreeMap::new(),
            shell_conns: Vec::new(),
            disk_images: alloc::collections::BTreeMap::new(),
            out,
            objs,
            endpoint,
            archive,
            table: Table::new(),
            instances: Vec::new(),
            services: Vec::new(),
            log: root_core::log::EventLog::new(),
            quiet: false,
            console_pending: false,
            last_fault: None,
            next_instance: 1,
            tsc_per_ms: tsc_mhz.max(1) * 1000,
        }
    }

    /// Milliseconds since boot (from the TSC).
    pub fn now_ms(&self) -> u64 {
        pride_rt::tsc() / self.tsc_per_ms
    }

    pub(crate) fn event(&mut self, text: String) {
        let now = self.now_ms();
        if !self.quiet {
            let _ = writeln!(self.out, "{text}");
        }
        self.log.push(now, text);
    }

    /// The image bytes and manifest of `image`: from the image archive,
    /// or (a path) as `launch` read it from the file system.
    pub fn image(&self, image: &str) -> Result<(ImageBytes, Manifest), SupError> {
        if image.starts_with('/') {
            return self
                .disk_images
                .get(image)
                .cloned()
                .ok_or_else(|| SupError::NoImage(image.to_string()));
        }
        let bytes = self
            .archive
            .get(image)
            .ok_or_else(|| SupError::NoImage(image.to_string()))?;
        let m = self
            .archive
            .get(&format!("{image}.manifest"))
            .ok_or_else(|| SupError::NoImage(image.to_string()))?;
        let manifest = Manifest::decode(m).map_err(|e| SupError::BadManifest(image.to_string(), e))?;
        Ok((ImageBytes::Archive(bytes), manifest))
    }

    pub(crate) fn instance_index(&self, number: u64) -> Option<usize> {
        self.instances.iter().position(|i| i.number == number)
    }

    /// The current instance of component `id`.
    pub fn current(&self, id: u32) -> Option<&Instance> {
        self.instances
            .iter()
            .find(|i| i.component == id && i.role == Role::Current)
    }

    pub(crate) fn current_number(&self, id: u32) -> Option<u64> {
        self.current(id).map(|i| i.number)
    }

    /// The service called `name`, made on first use.
    pub(crate) fn service(&mut self, name: &str) -> Result<usize, SupError> {
        if let Some(i) = self.services.iter().position(|s| s.name == name) {
            return Ok(i);
        }
        let endpoint = self.objs.endpoint(Source::Root)?;
        self.services.push(Service {
            name: name.to_string(),
            endpoint,
            server: None,
            registered: false,
        });
        Ok(self.services.len() - 1)
    }

    /// The endpoint of service `name`, if it exists.
    pub fn service_endpoint(&self, name: &str) -> Option<Cap<kind::Endpoint>> {
        self.services.iter().find(|s| s.name == name).map(|s| s.endpoint)
    }

    /// The generation clients of `service` must connect with, if it has a
    /// live server.
    pub fn service_generation(&self, service: &str) -> Option<u64> {
        let s = self.services.iter().find(|s| s.name == service)?;
        let r = self.table.by_id(s.server?)?;
        r.state.is_live().then_some(r.generation)
    }

    // ---------------------------------------------------------------
    // Life cycle
    // ---------------------------------------------------------------

    /// Starts a component from `image`, named `name` (default: the
    /// manifest's name). Returns its id.
    pub fn launch(&mut self, image: &str, name: Option<&str>) -> Result<u32, SupError> {
        if image.starts_with('/') {
            self.load_disk_image(image)?;
        }
        let (_, manifest) = self.image(image)?;
        let name = name.unwrap_or(&manifest.name).to_string();
        self.table
            .check_name(&name)
            .map_err(|e| SupError::Name(name.clone(), e))?;
        let version = manifest.version;
        let id = self
            .table
            .add(name.clone(), image.to_string(), manifest)
            .ok_or(SupError::TableFull)?;
        if let Err(e) = self.start_instance(id, image, &[], Role::Current, &[]) {
            self.table.remove(id);
            return Err(e);
        }
        self.event(format!(
            "launch: started '{name}' (id {id}) from image '{image}' version {version}"
        ));
        Ok(id)
    }

    /// Starts an instance of component `id` from `image` with `state`;
    /// `moved` capabilities of the root CNode go into its CNode (see
    /// `LaunchSpec::moved_caps`). Its memory is a new container of the
    /// resource manager, except the resource manager's own, which comes
    /// from the root task's pool.
    pub(crate) fn start_instance(
        &mut self,
        id: u32,
        image: &str,
        state: &[u8],
        role: Role,
        moved: &[(u64, u64)],
    ) -> Result<u64, SupError> {
        let (bytes, manifest) = self.image(image)?;
        let record = self.table.by_id(id).ok_or(SupError::Refused("unknown component"))?;
        let generation = record.generation;
        let service_name = self.offered_service(id, &manifest);
        let service_ep = match &service_name {
            Some(s) => {
                let i = self.service(s)?;
                self.services[i].server = Some(id);
                if !self.services[i].registered {
                    // Once per endpoint: it outlives restarts and updates.
                    self.cm_register(s, id);
                    self.services[i].registered = self.cm_running_pub();
                }
                Some(self.services[i].endpoint)
            }
            None => None,
        };
        // The resource container first: connections to object servers are
        // paid for from it.
        let chunks = (manifest.quota_kib as u64 * 1024).div_ceil(CHUNK_BYTES);
        let (cid, mut memory) = if self.is_resource_manager(id) {
            (None, self.objs.bootstrap_container(chunks)?)
        } else {
            let cid = self.rm_create(chunks, 1 << manifest.cnode_bits)?;
            match self.new_memory(cid, chunks) {
                Ok(m) => (Some(cid), m),
                Err(e) => {
                    self.rm_destroy(cid);
                    return Err(e);
                }
            }
        };
        let number = self.next_instance;
        self.next_instance += 1;
        // Its connections: minted by the connection manager into root slots,
        // moved into its CSpace by the loader.
        let mut moved = moved.to_vec();
        let mut connection_slots = Vec::new();
        for (i, want) in manifest.wants.iter().enumerate().take(MAX_WANTS) {
            let mut purse = Purse::Starting(number, &mut memory);
            if let Some((slot, _)) = self.admit_from(id, cid, &mut purse, want) {
                moved.push((abi::SLOT_WANTED_BASE + i as u64, slot));
                connection_slots.push(slot);
            }
        }
        // The security server gets a way to tell the supervisor that a
        // policy change settled.
        let mut extra = Vec::new();
        if service_name.as_deref() == Some("security") {
            extra.push((SLOT_SECURITY_NOTIFY, self.notification.cptr(), api::SETTLED_SIGNAL));
        }
        // The resource manager makes chunks in the root task's CNode.
        if self.is_resource_manager(id) {
            extra.push((
                pride_supervisor_api::resources::ROOT_CNODE_SLOT,
                kernel_iface::abi::init_cap::CNODE,
                0,
            ));
        }
        // A Microkit PD: its endpoint and notification, its CSpace, maps
        // and patches, from the system description.
        let pd = self.pd_setups.get(&id);
        let service_ep = pd.map(|p| p.endpoint).or(service_ep);
        if let Some(p) = pd {
            extra.extend(p.caps.iter().copied());
        }
        let patches: Vec<(u64, &[u8])> = pd
            .map(|p| p.patches.iter().map(|(v, b)| (*v, b.as_slice())).collect())
            .unwrap_or_default();
        let spec = LaunchSpec {
            image: &bytes,
            instance: number,
            priority: pd.map_or(manifest.priority, |p| p.priority),
            boot: boot_page::Header {
                id: id as u64,
                generation,
                state_len: state.len() as u64,
                heap_pages: manifest.heap_kib as u64 / 4,
            },
            state,
            service_ep,
            supervisor_ep: self.endpoint,
            extra_caps: &extra,
            moved_caps: &moved,
            cnode_bits: if pd.is_some() {
                (manifest.cnode_bits as u64).max(crate::systems::microkit_abi::CNODE_BITS)
            } else {
                manifest.cnode_bits as u64
            },
            notification: pd.map(|p| p.notification),
            maps: pd.map_or(&[], |p| p.maps.as_slice()),
            patches: &patches,
        };
        let loaded = match loader::load(&mut self.objs, &spec, memory) {
            Ok(l) => l,
            Err((e, memory)) => {
                // Undo the sessions and donations of a component that
                // never ran: the servers forget them before the memory goes.
                self.end_loans(|l| l.lender == Lender::Instance(number), false, true);
                // Revokes the connections (back in their root slots, or gone).
                self.cm_close_client(id);
                for slot in connection_slots {
                    let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
                    self.objs.root.free_slot(slot);
                }
                let _ = self.objs.destroy_container(memory);
                if let Some(cid) = cid {
                    self.rm_destroy(cid);
                }
                return Err(e.into());
            }
        };
        // The connections moved out of their root slots.
        for slot in connection_slots {
            self.objs.root.free_slot(slot);
        }
        if let Some(cid) = cid {
            self.containers.insert(number, cid);
        }
        self.instances.push(Instance {
            number,
            component: id,
            role,
            loaded,
            heap_pages: manifest.heap_kib as u64 / 4,
            saved_reply: None,
            handed_state: Vec::new(),
        });
        if let Some(r) = self.table.by_id_mut(id) {
            if role == Role::Current {
                r.state = State::Starting;
            }
        }
        if service_name.as_deref() == Some("security") {
            // The connection manager asks this security server from now on.
            self.link_security();
        }
        Ok(number)
    }

    /// Stops an instance and reclaims everything it had. Returns the bytes
    /// its container held.
    fn destroy_instance(&mut self, number: u64) -> u64 {
        let Some(idx) = self.instance_index(number) else {
            return 0;
        };
        let _ = self.instances[idx].loaded.tcb.tcb_suspend();
        // Its sessions with servers end while its memory still exists (the
        // servers forget them first); as a server, the memory its clients
        // lent goes back to them, unless this is a version being replaced
        // (then the loans move to the new one).
        self.end_loans(|l| l.lender == Lender::Instance(number), false, true);
        let (component, role) = (self.instances[idx].component, self.instances[idx].role);
        if role == Role::Current {
            self.end_loans(|l| l.server == component, true, false);
        }
        let Some(idx) = self.instance_index(number) else {
            return 0;
        };
        let inst = self.instances.swap_remove(idx);
        let cid = self.containers.remove(&number);
        if inst.role == Role::Current {
            self.close_sessions_of(inst.component);
        }
        if let Some(slot) = inst.saved_reply {
            let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
            self.objs.root.free_slot(slot);
        }
        let bytes = inst.loaded.container.quota_bytes();
        if let Err(e) = self.objs.destroy_container(inst.loaded.container) {
            let _ = writeln!(self.out, "supervisor: reclaiming instance {number}: {e}");
        }
        if let Some(cid) = cid {
            // The chunks go back to the resource manager, and the books end
            // the container's donations: those it made (returned to it
            // first) and those made to it (returned to their clients).
            self.rm_destroy(cid);
        }
        bytes
    }

    /// The services component `id` serves.
    fn served_by(&self, id: u32) -> Vec<String> {
        self.services
            .iter()
            .filter(|s| s.server == Some(id))
            .map(|s| s.name.clone())
            .collect()
    }

    /// A service lost its server for good: revoke every client connection
    /// (their next call gets `SERVICE_DOWN`) and release blocked callers.
    fn service_down(&mut self, service: &str) {
        if let Some(s) = self.services.iter_mut().find(|s| s.name == service) {
            s.server = None;
            s.registered = false;
            let _ = ROOT_CNODE.cnode_revoke(s.endpoint.cptr(), WORD_BITS as u64);
        }
        // The revoke took the connection manager's copy and every
        // connection made from it; its books follow.
        self.cm_unregister(service);
        self.release_callers(service, api::SERVICE_DOWN);
    }

    /// Makes every client blocked in a call on its connection to `service`
    /// return from the call with `label` instead of waiting for a reply that
    /// will never come. A thread blocked in a system call has the address
    /// of its `syscall` instruction as its instruction pointer, the call
    /// number in rdx and the capability in rdi; moving it past the
    /// instruction with the error in rsi (the message info) is what a reply
    /// would have done.
    fn release_callers(&mut self, service: &str, label: u64) {
        for inst in &self.instances {
            let Some(record) = self.table.by_id(inst.component) else {
                continue;
            };
            for (i, want) in record.manifest.wants.iter().enumerate() {
                if want != service {
                    continue;
                }
                let slot = abi::SLOT_WANTED_BASE + i as u64;
                let tcb = inst.loaded.tcb;
                let Ok(mut regs) = tcb.tcb_read_registers(false) else {
                    continue;
                };
                if regs.rdx == sysno::CALL as u64 && regs.rdi == slot {
                    regs.rip += 2; // past `syscall`
                    regs.rsi = MessageInfo::new(label, 0, 0, 0).0;
                    regs.rdi = 0;
                    let _ = tcb.tcb_write_registers(true, regs);
                }
            }
        }
    }

    /// Component `id` has no instance any more and will not get one by
    /// itself: record `state`, and take its services down.
    fn retire(&mut self, id: u32, state: State) {
        if let Some(r) = self.table.by_id_mut(id) {
            r.state = state;
        }
        for s in self.served_by(id) {
            self.service_down(&s);
        }
    }

    /// The record of a running (or starting) component called `name`.
    fn live_record(&self, name: &str) -> Result<&root_core::supervision::Record, SupError> {
        let r = self
            .table
            .by_name(name)
            .ok_or_else(|| SupError::NoSuchComponent(name.to_string()))?;
        if !r.state.is_live() {
            return Err(SupError::NotRunning(name.to_string()));
        }
        Ok(r)
    }

    /// Destroys every instance of component `id`; returns the bytes their
    /// containers held.
    fn destroy_instances_of(&mut self, id: u32) -> u64 {
        let numbers: Vec<u64> = self
            .instances
            .iter()
            .filter(|i| i.component == id)
            .map(|i| i.number)
            .collect();
        numbers.into_iter().map(|n| self.destroy_instance(n)).sum()
    }

    /// Stops component `name`.
    pub fn stop(&mut self, name: &str) -> Result<(), SupError> {
        let r = self.live_record(name)?;
        let id = r.id;
        self.not_a_manager(id)?;
        let bytes = self.destroy_instances_of(id);
        self.retire(id, State::Stopped);
        self.event(format!("stop: '{name}' stopped, {} KiB reclaimed", bytes / 1024));
        Ok(())
    }

    /// Refuses to stop or replace a manager.
    fn not_a_manager(&self, id: u32) -> Result<(), SupError> {
        if self.is_manager(id) {
            return Err(SupError::Refused(MANAGERS_ARE_PERMANENT));
        }
        Ok(())
    }

    /// Restarts component `name` (a person asked: its failure history is forgotten).
    pub fn restart(&mut self, name: &str) -> Result<(), SupError> {
        let r = self
            .table
            .by_name_mut(name)
            .ok_or_else(|| SupError::NoSuchComponent(name.to_string()))?;
        if r.image == crate::resources::IMAGE || r.image == crate::connections::IMAGE {
            return Err(SupError::Refused(MANAGERS_ARE_PERMANENT));
        }
        r.forgive();
        let id = r.id;
        self.quiesce_pd(id)?;
        self.restart_component(id)
    }

    /// Before a Microkit PD that is running is restarted, it is asked to
    /// stop between two events and put back what it holds that others own
    /// (an sDDF driver returns the buffers its device holds), as for an
    /// update. A PD that fails meanwhile is restarted all the same; other
    /// components are simply destroyed.
    fn quiesce_pd(&mut self, id: u32) -> Result<(), SupError> {
        if !self.pd_setups.contains_key(&id) {
            return Ok(());
        }
        let Some((old, ntfn)) = self
            .current_number(id)
            .and_then(|n| self.current(id).map(|i| (n, i.loaded.notification)))
        else {
            return Ok(());
        };
        // Quiesced or ended: either way it can be destroyed now.
        self.ask_to_quiesce(old, ntfn, PD_CONTROL_BIT).map(|_quiesced| ())
    }

    /// Signals instance `old` on its notification `ntfn` with `ask` (the
    /// bit it takes between two requests or events) and serves everything
    /// else until it says QUIESCED (`Ok(true)`) or ends (`Ok(false)`; its
    /// failure or exit is not acted on yet).
    fn ask_to_quiesce(&mut self, old: u64, ntfn: Cap<kind::Notification>, ask: u64) -> Result<bool, SupError> {
        self.signal_badged(ntfn, ask)?;
        loop {
            match self.pump() {
                Event::Quiesced(n) if n == old => return Ok(true),
                Event::Failed(n) | Event::Exited(n, _) if n == old => return Ok(false),
                other => self.background(other),
            }
        }
    }

    /// Destroys whatever runs of component `id` and starts a new generation.
    fn restart_component(&mut self, id: u32) -> Result<(), SupError> {
        self.destroy_instances_of(id);
        let Some(r) = self.table.by_id_mut(id) else {
            return Err(SupError::Refused("unknown component"));
        };
        r.generation += 1;
        let (name, image, generation) = (r.name.clone(), r.image.clone(), r.generation);
        for s in self.served_by(id) {
            self.release_callers(&s, api::SERVER_RESTARTED);
        }
        match self.start_instance(id, &image, &[], Role::Current, &[]) {
            Ok(_) => {
                self.event(format!("restart: '{name}' restarted (generation {generation})"));
                Ok(())
            }
            Err(e) => {
                self.retire(id, State::Stopped);
                self.event(format!("restart: '{name}' could not be restarted: {e}"));
                Err(e)
            }
        }
    }

    /// Applies the restart policy after instance `number` failed.
    pub fn apply_failure(&mut self, number: u64) {
        let Some(idx) = self.instance_index(number) else {
            return;
        };
        let (id, role) = (self.instances[idx].component, self.instances[idx].role);
        if role != Role::Current {
            // Candidates and retiring instances are the update's business.
            return;
        }
        let now = self.now_ms();
        let Some(r) = self.table.by_id_mut(id) else {
            return;
        };
        let decision = r.on_failure(now);
        let name = r.name.clone();
        match decision {
            Decision::Restart => {
                let _ = self.restart_component(id);
            }
            Decision::Hold { faults, window_ms } => {
                self.destroy_instance(number);
                self.retire(id, State::Held);
                self.event(format!(
                    "supervisor: '{name}' held after {faults} failures within {window_ms} ms (use 'restart {name}')"
                ));
            }
            Decision::Stop => {
                self.destroy_instance(number);
                self.retire(id, State::Stopped);
                self.event(format!("supervisor: '{name}' stopped (restart policy: never)"));
            }
        }
    }

    /// Instance `number` exited by itself.
    pub fn finish(&mut self, number: u64, code: u64) {
        let Some(idx) = self.instance_index(number) else {
            return;
        };
        let id = self.instances[idx].component;
        self.destroy_instance(number);
        let name = self.table.by_id(id).map(|r| r.name.clone()).unwrap_or_default();
        self.retire(id, State::Exited(code));
        self.event(format!("supervisor: '{name}' exited with code {code}"));
    }

    /// Replaces component `name` by `image`, handing its state over.
    /// Requests that arrive meanwhile wait on the service endpoint; if the
    /// new image fails to start, the old instance carries on.
    pub fn update(&mut self, name: &str, image: &str) -> Result<(), SupError> {
        let r = self.live_record(name)?;
        let (id, old_offers, old_image) = (r.id, r.manifest.offers.clone(), r.image.clone());
        self.not_a_manager(id)?;
        // A Microkit PD keeps its place in its system (endpoint,
        // notification, channels, regions); a server keeps its service.
        let pd = self.pd_setups.get(&id).map(|p| p.priority);
        let (_, mut new_manifest) = self.image(image)?;
        if let Some(priority) = pd {
            new_manifest.name = name.to_string();
            new_manifest.priority = priority;
        } else {
            let service = old_offers
                .first()
                .cloned()
                .ok_or_else(|| SupError::NotAServer(name.to_string()))?;
            if new_manifest.offers != old_offers {
                return Err(SupError::ServiceMismatch {
                    image: image.to_string(),
                });
            }
            if self.service_endpoint(&service).is_none() {
                return Err(SupError::Refused("service has no endpoint"));
            }
        }
        let old = self
            .current_number(id)
            .ok_or_else(|| SupError::NotRunning(name.to_string()))?;

        // 1. Ask the server for its state: a signal it takes between two
        //    requests (requests already queued are served by the old
        //    version). Wait for its QUIESCED call, serving everything else.
        let Some(ntfn) = self.current(id).map(|i| i.loaded.notification) else {
            return Err(SupError::NotRunning(name.to_string()));
        };
        // A PD's notification bits 0-25 are its channels: it is asked with
        // the bit its runtime keeps for the supervisor.
        let ask = if pd.is_some() {
            PD_CONTROL_BIT
        } else {
            api::QUIESCE_SIGNAL
        };
        if !self.ask_to_quiesce(old, ntfn, ask)? {
            self.apply_failure(old);
            return Err(SupError::UpdateFailed {
                image: old_image,
                why: "the old version failed while handing over".to_string(),
            });
        }
        let state = self
            .instance_index(old)
            .map(|i| core::mem::take(&mut self.instances[i].handed_state))
            .unwrap_or_default();
        if let Some(i) = self.instance_index(old) {
            self.instances[i].role = Role::Retiring;
            if pd.is_some() {
                // The PD's notification goes to the new version (a
                // notification is bound to one thread at a time).
                let _ = self.instances[i].loaded.tcb.tcb_unbind_notification();
            }
        }

        // 3. Start the new version with the state; wait for READY.
        let outcome = match self.start_instance(id, image, &state, Role::Candidate, &[]) {
            Err(e) => Err(e.to_string()),
            Ok(new) => loop {
                match self.pump() {
                    Event::Ready(n) if n == new => break Ok(new),
                    Event::Failed(n) | Event::Exited(n, _) if n == new => {
                        self.destroy_instance(new);
                        break Err("see the report above".to_string());
                    }
                    other => self.background(other),
                }
            },
        };

        match outcome {
            Ok(new) => {
                self.destroy_instance(old);
                if let Some(i) = self.instance_index(new) {
                    self.instances[i].role = Role::Current;
                }
                if let Some(r) = self.table.by_id_mut(id) {
                    r.image = image.to_string();
                    r.manifest = new_manifest.clone();
                    r.state = State::Running;
                }
                self.move_loans(id, new);
                self.event(format!(
                    "update: '{name}' now runs '{image}' version {}, {} bytes of state handed over",
                    new_manifest.version,
                    state.len()
                ));
                Ok(())
            }
            Err(why) => {
                // Resume the old version: reply to its QUIESCED call.
                if let Some(i) = self.instance_index(old) {
                    self.instances[i].role = Role::Current;
                    if pd.is_some() {
                        let (tcb, n) = (self.instances[i].loaded.tcb, self.instances[i].loaded.notification);
                        let _ = tcb.tcb_bind_notification(n);
                    }
                    if let Some(slot) = self.instances[i].saved_reply.take() {
                        Cap::<kind::Endpoint>::from_cptr(slot).send(MessageInfo::new(api::OK, 0, 0, 0), [0; 4]);
                        let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
                        self.objs.root.free_slot(slot);
                    }
                }
                self.event(format!(
                    "update: '{image}' failed to start; '{name}' keeps running '{old_image}'"
                ));
                Err(SupError::UpdateFailed {
                    image: image.to_string(),
                    why,
                })
            }
        }
    }

    /// Signals `ntfn` with `badge` (through a badged copy made for the purpose).
    pub(crate) fn signal_badged(&mut self, ntfn: Cap<kind::Notification>, badge: u64) -> Result<(), SupError> {
        let slot = self.objs.root.alloc_slot().map_err(ObjError::from)?;
        let minted = ROOT_CNODE.cnode_mint(slot, WORD_BITS as u64, root_slot(ntfn.cptr()), CapRights::ALL, badge);
        if minted.is_ok() {
            Cap::<kind::Notification>::from_cptr(slot).signal();
            let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
        }
        self.objs.root.free_slot(slot);
        minted.map_err(|e| SupError::from(ObjError::Kernel("mint notification", e)))
    }

    /// Handles an event that arrived while an operation was waiting for
    /// another one.
    pub fn background(&mut self, e: Event) {
        match e {
            Event::Console => self.console_pending = true,
            Event::Failed(n) => self.apply_failure(n),
            Event::Exited(n, code) => self.finish(n, code),
            _ => {}
        }
    }

    // ---------------------------------------------------------------
    // The supervisor endpoint
    // ---------------------------------------------------------------

    /// Waits for one message on the supervisor endpoint and handles it.
    pub fn pump(&mut self) -> Event {
        let msg = self.endpoint.recv();
        if msg.badge & INSTANCE_BADGE == 0 {
            if msg.badge & api::SETTLED_SIGNAL != 0 {
                self.settled = true;
            }
            return if msg.badge & SERIAL_IRQ_BADGE != 0 {
                Event::Console
            } else if msg.badge & api::SETTLED_SIGNAL != 0 {
                Event::Settled
            } else {
                Event::Nothing
            };
        }
        let number = msg.badge & !INSTANCE_BADGE;
        let Some(idx) = self.instance_index(number) else {
            // From an instance already destroyed: nobody to answer.
            return Event::Nothing;
        };
        let label = msg.info.label();
        let mr = |i: usize| {
            if i < 4 {
                msg.mrs[i]
            } else {
                ipc_buffer::get_mr(i)
            }
        };
        match label {
            fault_label::CAP_FAULT
            | fault_label::UNKNOWN_SYSCALL
            | fault_label::USER_EXCEPTION
            | fault_label::VM_FAULT => {
                let fault = Fault::decode(label, mr);
                let (name, id) = self.names(idx);
                self.last_fault = Some((id, fault));
                let _ = report::write_fault(&mut self.out, &name, id as u64, &fault);
                self.log
                    .push(self.now_ms(), format!("fault: '{name}': {}", fault.kind()));
                Event::Failed(number)
            }
            api::PUTS | api::PANIC | api::START_FAILED => {
                let mut buf = [0u8; api::PUTS_MAX];
                let len = (mr(0) as usize)
                    .min(api::PUTS_MAX)
                    .min(msg.info.length().saturating_sub(1) as usize * 8);
                let words = len.div_ceil(8);
                let text = api::unpack_bytes((1..=words).map(mr), len, &mut buf).unwrap_or(&[]);
                let mut clean = String::with_capacity(text.len());
                for &b in text {
                    clean.push(if b == b'\n' || (0x20..0x7f).contains(&b) {
                        b as char
                    } else {
                        '?'
                    });
                }
                let (name, _) = self.names(idx);
                match label {
                    api::PUTS => {
                        syscall::reply(MessageInfo::new(api::OK, 0, 0, 0), [0; 4]);
                        if !self.quiet {
                            for line in clean.lines() {
                                let _ = writeln!(self.out, "[{name}] {line}");
                            }
                        }
                        self.last_output = (number, clean.trim_end().to_string());
                        Event::Output(number)
                    }
                    api::PANIC => {
                        let _ = writeln!(self.out, "panic: component '{name}': {}", clean.trim_end());
                        self.log.push(self.now_ms(), format!("panic: '{name}'"));
                        Event::Failed(number)
                    }
                    _ => {
                        let _ = writeln!(self.out, "start failed: component '{name}': {}", clean.trim_end());
                        Event::Failed(number)
                    }
                }
            }
            api::READY => {
                syscall::reply(MessageInfo::new(api::OK, 0, 0, 0), [0; 4]);
                let (id, role) = (self.instances[idx].component, self.instances[idx].role);
                if role == Role::Current {
                    if let Some(r) = self.table.by_id_mut(id) {
                        r.state = State::Running;
                    }
                }
                Event::Ready(number)
            }
            api::ALLOC_PAGES => {
                let (label, first, mapped) = self.alloc_pages(idx, mr(0));
                syscall::reply(MessageInfo::new(label, 0, 0, 2), [first, mapped, 0, 0]);
                Event::Nothing
            }
            api::CONNECT => {
                let label = self.connect(idx, mr(0));
                syscall::reply(MessageInfo::new(label, 0, 0, 0), [0; 4]);
                Event::Nothing
            }
            api::PEER => {
                let peer = self.channel_peer_admitted(self.instances[idx].component, mr(0));
                let (label, id) = peer.map_or((api::NOT_FOUND, 0), |id| (api::OK, id as u64));
                syscall::reply(MessageInfo::new(label, 0, 0, 1), [id, 0, 0, 0]);
                Event::Nothing
            }
            api::QUIESCED => {
                // The state first: reading message words must come before
                // any other system call.
                let len = (mr(0) as usize)
                    .min(api::STATE_MAX)
                    .min(msg.info.length().saturating_sub(1) as usize * 8);
                let mut buf = [0u8; api::STATE_MAX];
                let state = api::unpack_bytes((1..=len.div_ceil(8)).map(mr), len, &mut buf)
                    .unwrap_or(&[])
                    .to_vec();
                self.instances[idx].handed_state = state;
                // Keep the reply for later: it decides whether the instance
                // ever runs again.
                match self.objs.root.alloc_slot() {
                    Ok(slot) if ROOT_CNODE.cnode_save_caller(slot, WORD_BITS as u64).is_ok() => {
                        self.instances[idx].saved_reply = Some(slot);
                    }
                    Ok(slot) => self.objs.root.free_slot(slot),
                    Err(_) => {}
                }
                Event::Quiesced(number)
            }
            api::EXIT => Event::Exited(number, mr(0)),
            _ => {
                syscall::reply(MessageInfo::new(api::BAD_REQUEST, 0, 0, 0), [0; 4]);
                Event::Nothing
            }
        }
    }

    /// (name, id) of the component of instance `idx`.
    fn names(&self, idx: usize) -> (String, u32) {
        let id = self.instances[idx].component;
        (
            self.table
                .by_id(id)
                .map(|r| r.name.clone())
                .unwrap_or_else(|| "?".to_string()),
            id,
        )
    }

    /// Maps up to `pages` heap pages for instance `idx`, charged to its
    /// container. Returns (label, first address, pages mapped).
    fn alloc_pages(&mut self, idx: usize, pages: u64) -> (u64, u64, u64) {
        let inst = &mut self.instances[idx];
        let first = abi::HEAP_BASE + inst.heap_pages * 4096;
        let pages = pages.min(256);
        if pages == 0 || (inst.heap_pages + pages) * 4096 > abi::HEAP_MAX {
            return (api::BAD_REQUEST, first, 0);
        }
        let mut mapped = 0;
        while mapped < pages {
            let c = &mut inst.loaded.container;
            let vaddr = abi::HEAP_BASE + inst.heap_pages * 4096;
            let ok = self.objs.frame(Source::Container(c)).and_then(|frame| {
                self.objs.map_frame(
                    Source::Container(c),
                    inst.loaded.vspace,
                    frame,
                    vaddr,
                    CapRights::READ_WRITE,
                )
            });
            if ok.is_err() {
                return (api::QUOTA_EXHAUSTED, first, mapped);
            }
            inst.heap_pages += 1;
            mapped += 1;
        }
        (api::OK, first, mapped)
    }

    /// (Re)connects instance `idx` to its `index`-th wanted service.
    fn connect(&mut self, idx: usize, index: u64) -> u64 {
        let (id, cnode, depth) = (
            self.instances[idx].component,
            self.instances[idx].loaded.cnode,
            self.instances[idx].loaded.cnode_bits,
        );
        let Some(want) = self
            .table
            .by_id(id)
            .and_then(|r| r.manifest.wants.get(index as usize))
            .cloned()
        else {
            return api::NO_SUCH_SERVICE;
        };
        if self.service_generation(&want).is_none() {
            return api::SERVICE_DOWN;
        }
        let Some((from, _)) = self.admit(id, &want) else {
            return api::DENIED;
        };
        if self.move_to_client(from, cnode, abi::SLOT_WANTED_BASE + index, depth) {
            api::OK
        } else {
            api::SERVICE_DOWN
        }
    }

    // ---------------------------------------------------------------
    // Shell views
    // ---------------------------------------------------------------

    /// `ps`.
    pub fn write_ps(&mut self) {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{:>4}  {:<14} {:<14} {:>3} {:>4}  {:<9} {:>15}",
            "id", "name", "image", "ver", "gen", "state", "memory"
        );
        for r in self.table.iter() {
            let mem = match self.current(r.id) {
                Some(i) => format!(
                    "{}/{} KiB",
                    i.loaded.container.used_bytes() / 1024,
                    i.loaded.container.quota_bytes() / 1024
                ),
                None => "-".to_string(),
            };
            let state = match r.state {
                State::Exited(code) => format!("exited({code})"),
                s => s.name().to_string(),
            };
            let _ = writeln!(
                text,
                "{:>4}  {:<14} {:<14} {:>3} {:>4}  {:<9} {:>15}",
                r.id, r.name, r.image, r.manifest.version, r.generation, state, mem
            );
        }
        let _ = self.out.write_str(&text);
    }

    /// `images`.
    pub fn write_images(&mut self) {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "{:<14} {:>3} {:>9}  {:<10} wants",
            "image", "ver", "quota", "offers"
        );
        let names: Vec<&str> = self
            .archive
            .entries()
            .map(|e| e.name)
            .filter(|n| !n.contains('.'))
            .collect();
        for n in names {
            match self.image(n) {
                Ok((_, m)) => {
                    let _ = writeln!(
                        text,
                        "{:<14} {:>3} {:>5} KiB  {:<10} {}",
                        n,
                        m.version,
                        m.quota_kib,
                        m.offers.join(","),
                        m.wants.join(",")
                    );
                }
                Err(e) => {
                    let _ = writeln!(text, "{n:<14} (unusable: {e})");
                }
            }
        }
        let _ = self.out.write_str(&text);
    }

    /// `mem`.
    pub fn write_mem(&mut self) {
        let in_use: u64 = self.instances.iter().map(|i| i.loaded.container.quota_bytes()).sum();
        let (rm_free, rm_total, chunks, free_chunks) = self.rm_stats().unwrap_or_default();
        let _ = writeln!(
            self.out,
            "memory: {} KiB free, {} KiB in component containers ({} chunks of {} KiB carved, {} free)",
            (self.objs.free_bytes() + rm_free) / 1024,
            in_use / 1024,
            chunks,
            CHUNK_BYTES / 1024,
            free_chunks
        );
        let _ = writeln!(
            self.out,
            "resource manager: {} KiB of {} KiB free; root task's own pool: {} KiB free",
            rm_free / 1024,
            rm_total / 1024,
            self.objs.free_bytes() / 1024
        );
        let _ = writeln!(
            self.out,
            "slots: {} free of {} in the root CNode",
            self.objs.root.free_slots(),
            self.objs.root.slot_region().len()
        );
    }

    /// `log`.
    pub fn write_log(&mut self) {
        let mut text = String::new();
        if self.log.dropped() > 0 {
            let _ = writeln!(text, "({} older events dropped)", self.log.dropped());
        }
        for (t, e) in self.log.iter() {
            let _ = writeln!(text, "{t:>8} ms  {e}");
        }
        let _ = self.out.write_str(&text);
    }
}
