//! Static Microkit subsystems inside the dynamic system.
//!
//! `system start NAME` reads `systems/NAME.system` from the image archive
//! (written by a `lionsos-compat/systems/*.py` metaprogram with the PyPI
//! `sdfgen` tool, or by hand), parses and checks it (`sdf`, then the
//! limits of Pride below) and starts every protection domain as a Pride
//! component, with the fixed channels the file describes:
//!
//! 1. one resource container for the subsystem holds the memory regions'
//!    frames and each PD's endpoint and notification (they outlive a PD's
//!    restart: the other PDs hold capabilities to them);
//! 2. each PD gets the Microkit CSpace (`microkit` crate): badged copies of
//!    its peers' notifications and endpoints at the Microkit slots, its
//!    IRQ handlers (IOAPIC form) and I/O port ranges;
//! 3. the regions are mapped where the file says, and the values the
//!    Microkit tool patches are written into the image as it is loaded:
//!    `microkit_name`, the channel/IRQ/PPC/I/O-port bitmasks, and every
//!    `setvar_vaddr` / `setvar_size` symbol;
//! 4. the PDs start, each in its own container like any component, and
//!    the system is up when all said `READY`.
//!
//! Limits of Pride's seL4 5.0 (badges have 28 bits): channel and IRQ ids
//! 0-25, no child PDs, IRQs in the IOAPIC form only. A file beyond them is
//! refused with a message naming the PD and the id; nothing is started.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use kernel_iface::abi::{init_cap, WORD_BITS};
use kernel_iface::cap::{kind, CapRights, IoapicLine};
use kernel_iface::Cap;
use pride_supervisor_api::manifest::Manifest;
use sdf::{IrqKind, Polarity, System, Trigger};

use crate::loader::ExtraMap;
use crate::objects::{root_slot, Container, ObjError, Source, CHUNK_BYTES, ROOT_CNODE};
use crate::supervisor::{Role, SupError, Supervisor};

/// Channel, IRQ and I/O port ids a PD may use (see `microkit::MAX_CHANNELS`).
pub const MAX_ID: u8 = microkit_abi::MAX_CHANNELS as u8 - 1;
/// Channel and IRQ ids a PD that is also a Pride server may use.
pub const MAX_SERVER_ID: u8 = MAX_ID - 1;

/// The slots and badges of the Microkit CSpace (kept equal to the
/// `microkit` crate's, which the root task does not link).
pub(crate) mod microkit_abi {
    pub const BASE_OUTPUT_NOTIFICATION_CAP: u64 = 10;
    pub const BASE_ENDPOINT_CAP: u64 = 74;
    pub const BASE_IRQ_CAP: u64 = 138;
    pub const BASE_IOPORT_CAP: u64 = 394;
    pub const PPC_BADGE: u64 = 1 << 27 | 1 << 24;
    /// A server PD's policy-change bit (channel 25 is not theirs).
    pub const POLICY_FLUSH_BIT: u64 = 1 << 25;
    pub const MAX_CHANNELS: u32 = 26;
    pub const PD_NAME_LENGTH: usize = 64;
    /// A PD's CNode: room for the I/O port slots.
    pub const CNODE_BITS: u64 = 9;
}

/// How one PD is set up; kept for its restarts.
pub struct PdSetup {
    pub endpoint: Cap<kind::Endpoint>,
    pub notification: Cap<kind::Notification>,
    /// (slot, root-CNode capability, badge or I/O range; 0 copies).
    pub caps: Vec<(u64, u64, u64)>,
    pub maps: Vec<ExtraMap>,
    pub patches: Vec<(u64, Vec<u8>)>,
    pub priority: u8,
}

/// A running subsystem.
pub struct SystemRecord {
    pub name: String,
    /// Component ids of its PDs.
    pub pds: Vec<u32>,
    pub container: Option<Container>,
    pub cid: resource_mgr::ContainerId,
    /// Root slots of its IRQ handlers and badged notification copies.
    pub slots: Vec<u64>,
    /// Frames of its regions at fixed physical addresses (device registers).
    pub fixed: Vec<crate::objects::FixedFrames>,
    /// Containers of its regions at fixed RAM addresses.
    pub placed: Vec<(resource_mgr::ContainerId, Container)>,
    /// Its system description, as parsed when it started (for the census
    /// and for `PEER`).
    pub sys: System,
    /// Every memory region: name, physical address if the file fixes one,
    /// size, frames (owned by the containers above), for `system census`.
    pub regions: Vec<Region>,
}

/// A memory region of a running subsystem.
pub struct Region {
    pub name: String,
    pub phys_addr: Option<u64>,
    pub size: u64,
    pub frames: Vec<Cap<kind::Page>>,
}

/// Why a subsystem was refused: the file's fault, or Pride's limit.
fn refuse(pd: &str, what: String) -> SupError {
    SupError::BadSystem(format!("protection domain '{pd}': {what}"))
}

impl Supervisor {
    /// `system start NAME`.
    pub fn start_system(&mut self, name: &str) -> Result<(), SupError> {
        if self.systems.iter().any(|s| s.name == name) {
            return Err(SupError::Refused("that system is running already"));
        }
        let file = format!("systems/{name}.system");
        let text = self.archive.get(&file).ok_or_else(|| SupError::NoImage(file.clone()))?;
        let text = core::str::from_utf8(text).map_err(|_| SupError::BadSystem(format!("{file} is not UTF-8 text")))?;
        let sys = sdf::parse(text).map_err(|e| SupError::BadSystem(format!("{file}: {e}")))?;
        // The Pride service each PD's image offers, if any (read once:
        // it decodes the image's manifest).
        let services: Vec<Option<String>> = sys.protection_domains.iter().map(|pd| self.pd_service(pd)).collect();
        self.check_system(&sys, &services)?;
        let configs = self.system_configs(name, &sys)?;

        // A PD whose image offers a Pride service is also an object
        // server: its endpoint is the service's (which outlives the PD), so
        // its PPC peers and the connection manager's clients reach it on
        // the one endpoint it receives on (told apart by their badges).
        let mut service_endpoints = Vec::new();
        for service in &services {
            service_endpoints.push(match service {
                Some(service) => {
                    let s = self.service(service)?;
                    Some(self.services[s].endpoint)
                }
                None => None,
            });
        }

        // 1. The subsystem's own memory: regions, endpoints, notifications.
        let region_bytes: u64 = sys.memory_regions.iter().map(|m| m.size.next_multiple_of(4096)).sum();
        let chunks = (region_bytes + 64 * 1024).div_ceil(CHUNK_BYTES).max(1);
        let cid = self.rm_create(chunks, 64)?;
        let mut memory = match self.new_memory(cid, chunks) {
            Ok(m) => m,
            Err(e) => {
                self.rm_destroy(cid);
                return Err(e);
            }
        };
        let mut fixed = Vec::new();
        let mut placed = Vec::new();
        let made = self.make_system_objects(&sys, &mut memory, &mut fixed, &mut placed);
        let (frames, mut endpoints, notifications) = match made {
            Ok(x) => x,
            Err(e) => {
                for f in fixed {
                    self.objs.release_fixed(f);
                }
                for (cid, c) in placed {
                    let _ = self.objs.destroy_container(c);
                    self.rm_destroy(cid);
                }
                let _ = self.objs.destroy_container(memory);
                self.rm_destroy(cid);
                return Err(e);
            }
        };
        for (i, ep) in service_endpoints.into_iter().enumerate() {
            if let Some(ep) = ep {
                endpoints[i] = ep;
            }
        }
        let mut record = SystemRecord {
            name: name.to_string(),
            pds: Vec::new(),
            container: Some(memory),
            cid,
            slots: Vec::new(),
            fixed,
            placed,
            regions: sys
                .memory_regions
                .iter()
                .zip(&frames)
                .map(|(mr, f)| Region {
                    name: mr.name.clone(),
                    phys_addr: mr.phys_addr,
                    size: mr.size,
                    frames: f.clone(),
                })
                .collect(),
            sys: sys.clone(),
        };

        // 2-3. Each PD's capabilities, maps and patches.
        let mut setups = Vec::new();
        for (i, pd) in sys.protection_domains.iter().enumerate() {
            match self.pd_setup(
                &sys,
                &configs,
                i,
                &frames,
                &endpoints,
                &notifications,
                &mut record.slots,
            ) {
                Ok(s) => setups.push((pd, s, services[i].clone())),
                Err(e) => {
                    self.end_system(record);
                    return Err(e);
                }
            }
        }

        // 4. Start them.
        for (pd, setup, service) in setups {
            let image = image_name(&pd.program_image.path);
            let manifest = match self.image(image) {
                Ok((_, m)) => Manifest {
                    name: pd.name.clone(),
                    priority: pd.priority,
                    offers: service.into_iter().collect(),
                    ..m
                },
                Err(e) => {
                    self.end_system(record);
                    return Err(e);
                }
            };
            let Some(id) = self.table.add(pd.name.clone(), image.to_string(), manifest) else {
                self.end_system(record);
                return Err(SupError::TableFull);
            };
            self.pd_setups.insert(id, setup);
            record.pds.push(id);
            if let Err(e) = self.start_instance(id, image, &[], Role::Current, &[]) {
                self.pd_setups.remove(&id);
                self.table.remove(id);
                record.pds.pop();
                self.end_system(record);
                return Err(e);
            }
        }
        let pds = record.pds.clone();
        self.systems.push(record);
        for id in &pds {
            let _ = crate::scenario::wait_ready(self, *id);
        }
        self.event(format!("system: '{name}' started, {} protection domains", pds.len()));
        Ok(())
    }

    /// `system stop NAME`: stops its PDs and frees everything it had.
    pub fn stop_system(&mut self, name: &str) -> Result<(), SupError> {
        let i = self
            .systems
            .iter()
            .position(|s| s.name == name)
            .ok_or_else(|| SupError::NoSuchComponent(format!("system {name}")))?;
        let record = self.systems.swap_remove(i);
        self.end_system(record);
        self.event(format!("system: '{name}' stopped"));
        Ok(())
    }

    /// Stops what a system started and frees its memory and slots.
    fn end_system(&mut self, mut record: SystemRecord) {
        for id in core::mem::take(&mut record.pds) {
            if let Some(r) = self.table.by_id(id) {
                let name = r.name.clone();
                if r.state.is_live() {
                    let _ = self.stop(&name);
                }
            }
            self.pd_setups.remove(&id);
        }
        for slot in record.slots.drain(..) {
            let _ = Cap::<kind::IrqHandler>::from_cptr(slot).irq_handler_clear();
            let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
            self.objs.root.free_slot(slot);
        }
        if let Some(c) = record.container.take() {
            let _ = self.objs.destroy_container(c);
        }
        for f in record.fixed.drain(..) {
            self.objs.release_fixed(f);
        }
        for (cid, c) in record.placed.drain(..) {
            let _ = self.objs.destroy_container(c);
            self.rm_destroy(cid);
        }
        self.rm_destroy(record.cid);
    }

    /// Pride's limits on a parsed system, and what it needs from the archive.
    fn check_system(&self, sys: &System, services: &[Option<String>]) -> Result<(), SupError> {
        // What seL4 5.0 cannot express first, then what this system lacks.
        for ch in &sys.channels {
            for end in &ch.ends {
                if end.id > MAX_ID {
                    let pd = &sys.protection_domains[end.pd].name;
                    return Err(refuse(
                        pd,
                        format!("channel id {} is above {MAX_ID}, Pride's limit", end.id),
                    ));
                }
            }
        }
        for (i, pd) in sys.protection_domains.iter().enumerate() {
            if let Some(service) = &services[i] {
                if let Some(ch) = sys.channels_of(i).into_iter().find(|c| c.id > MAX_SERVER_ID) {
                    return Err(refuse(
                        &pd.name,
                        format!(
                            "channel id {} is above {MAX_SERVER_ID}: a PD serving '{service}' keeps bit 25 for policy changes",
                            ch.id
                        ),
                    ));
                }
                if pd.irqs.iter().any(|q| q.id > MAX_SERVER_ID) {
                    return Err(refuse(
                        &pd.name,
                        format!("IRQ ids above {MAX_SERVER_ID} are not available to a PD serving '{service}'"),
                    ));
                }
            }
            if pd.parent.is_some() {
                return Err(refuse(
                    &pd.name,
                    "child protection domains are not supported on Pride".into(),
                ));
            }
            if pd.priority > 254 {
                return Err(refuse(&pd.name, format!("priority {} is above 254", pd.priority)));
            }
            let image = image_name(&pd.program_image.path);
            if self.archive.get(image).is_none() {
                return Err(refuse(
                    &pd.name,
                    format!("program image '{image}' is not in the image store"),
                ));
            }
            if let Err(e) = self.table.check_name(&pd.name) {
                return Err(refuse(&pd.name, format!("cannot be a component name ({e:?})")));
            }
            for irq in &pd.irqs {
                if irq.id > MAX_ID {
                    return Err(refuse(
                        &pd.name,
                        format!("IRQ id {} is above {MAX_ID}, Pride's limit", irq.id),
                    ));
                }
                if !matches!(irq.kind, IrqKind::Ioapic { .. }) {
                    return Err(refuse(
                        &pd.name,
                        format!("IRQ {}: only the IOAPIC form is supported", irq.id),
                    ));
                }
            }
            for io in &pd.ioports {
                if io.id > MAX_ID || io.addr + io.size > 0x1_0000 || io.size == 0 {
                    return Err(refuse(&pd.name, format!("I/O port range id {} is not usable", io.id)));
                }
            }
            for m in &pd.maps {
                let mr = &sys.memory_regions[m.mr];
                let end = m.vaddr.saturating_add(mr.size);
                let inside = |(lo, hi): (u64, u64)| m.vaddr >= lo && end <= hi;
                if !pride_rt::component::REGION_WINDOWS.into_iter().any(inside) {
                    return Err(refuse(
                        &pd.name,
                        format!(
                            "map of '{}' at {:#x} is outside {}, where Pride puts regions",
                            mr.name,
                            m.vaddr,
                            pride_rt::component::REGION_WINDOWS
                                .map(|(lo, hi)| format!("{lo:#x}..{hi:#x}"))
                                .join(" and ")
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// `systems/NAME.configs`: which configuration blob goes into which
    /// section of which PD, one `PD SECTION FILE` line each (written by the
    /// metaprogram next to the `.system` file). None is fine.
    fn system_configs(&self, name: &str, sys: &System) -> Result<Vec<(String, String, String)>, SupError> {
        let file = format!("systems/{name}.configs");
        let Some(text) = self.archive.get(&file) else {
            return Ok(Vec::new());
        };
        let text = core::str::from_utf8(text).map_err(|_| SupError::BadSystem(format!("{file} is not UTF-8 text")))?;
        let mut out = Vec::new();
        for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
            let mut w = line.split_ascii_whitespace();
            match (w.next(), w.next(), w.next(), w.next()) {
                (Some(pd), Some(section), Some(blob), None) if sys.pd_index(pd).is_some() => {
                    out.push((pd.to_string(), section.to_string(), blob.to_string()));
                }
                _ => {
                    return Err(SupError::BadSystem(format!(
                        "{file} line {}: expected 'PD SECTION FILE' naming a protection domain of the system",
                        n + 1
                    )))
                }
            }
        }
        Ok(out)
    }

    /// The frames of every region and each PD's endpoint and notification,
    /// all in the subsystem's container.
    #[allow(clippy::type_complexity)]
    fn make_system_objects(
        &mut self,
        sys: &System,
        memory: &mut Container,
        fixed: &mut Vec<crate::objects::FixedFrames>,
        placed: &mut Vec<(resource_mgr::ContainerId, Container)>,
    ) -> Result<
        (
            Vec<Vec<Cap<kind::Page>>>,
            Vec<Cap<kind::Endpoint>>,
            Vec<Cap<kind::Notification>>,
        ),
        SupError,
    > {
        let mut frames = Vec::new();
        for mr in &sys.memory_regions {
            let pages = mr.size.div_ceil(4096);
            if let Some(paddr) = mr.phys_addr {
                // A device's registers: frames of the device untyped there.
                if let Some(f) = self.objs.fixed_frames(paddr, pages)? {
                    frames.push(f.frames.clone());
                    fixed.push(f);
                    continue;
                }
                // RAM a device reaches by physical address: chunks there,
                // in a container of their own, the frames in order.
                let chunks = mr.size.div_ceil(CHUNK_BYTES);
                if !paddr.is_multiple_of(CHUNK_BYTES) {
                    return Err(SupError::BadSystem(format!(
                        "region '{}' at physical address {paddr:#x}: Pride places such regions in whole MiB",
                        mr.name
                    )));
                }
                let cid = self.rm_create(chunks, 0)?;
                let mut dma = match self.new_memory_at(cid, chunks, Some(paddr)) {
                    Ok(m) => m,
                    Err(_) => {
                        self.rm_destroy(cid);
                        return Err(SupError::BadSystem(format!(
                            "region '{}' at physical address {paddr:#x}: that memory is not free",
                            mr.name
                        )));
                    }
                };
                let mut list = Vec::new();
                for _ in 0..pages {
                    list.push(self.objs.frame(Source::Container(&mut dma))?);
                }
                // A device will reach the region by physical address: make
                // sure (with the kernel) that every frame is where it should
                // be before any PD can hand the address out.
                let misplaced = list.iter().enumerate().find_map(|(i, f)| {
                    let want = paddr + i as u64 * 4096;
                    let got = f.x86_page_get_address().unwrap_or(u64::MAX);
                    (got != want).then_some((want, got))
                });
                placed.push((cid, dma));
                if let Some((want, got)) = misplaced {
                    return Err(SupError::BadSystem(format!(
                        "region '{}': the frame for physical address {want:#x} is at {got:#x}",
                        mr.name
                    )));
                }
                frames.push(list);
                continue;
            }
            let mut list = Vec::new();
            for _ in 0..pages {
                list.push(self.objs.frame(Source::Container(memory))?);
            }
            frames.push(list);
        }
        let mut endpoints = Vec::new();
        let mut notifications = Vec::new();
        for _ in &sys.protection_domains {
            endpoints.push(self.objs.endpoint(Source::Container(memory))?);
            notifications.push(self.objs.notification(Source::Container(memory))?);
        }
        Ok((frames, endpoints, notifications))
    }

    /// Capabilities, maps and patches of PD `i`.
    #[allow(clippy::too_many_arguments)]
    fn pd_setup(
        &mut self,
        sys: &System,
        configs: &[(String, String, String)],
        i: usize,
        frames: &[Vec<Cap<kind::Page>>],
        endpoints: &[Cap<kind::Endpoint>],
        notifications: &[Cap<kind::Notification>],
        slots: &mut Vec<u64>,
    ) -> Result<PdSetup, SupError> {
        use microkit_abi::*;
        let pd = &sys.protection_domains[i];
        let mut caps = Vec::new();
        for ch in sys.channels_of(i) {
            if ch.may_notify {
                caps.push((
                    BASE_OUTPUT_NOTIFICATION_CAP + ch.id as u64,
                    notifications[ch.peer].cptr(),
                    1u64 << ch.peer_id,
                ));
            }
            if ch.may_call {
                caps.push((
                    BASE_ENDPOINT_CAP + ch.id as u64,
                    endpoints[ch.peer].cptr(),
                    PPC_BADGE | ch.peer_id as u64,
                ));
            }
        }
        for irq in &pd.irqs {
            let IrqKind::Ioapic {
                ioapic,
                pin,
                trigger,
                polarity,
                vector,
            } = irq.kind
            else {
                continue;
            };
            let handler = self.objs.root.alloc_slot().map_err(ObjError::from)?;
            slots.push(handler);
            Cap::<kind::IrqControl>::from_cptr(init_cap::IRQ_CONTROL)
                .irq_control_get_ioapic(
                    root_slot(handler),
                    IoapicLine {
                        ioapic,
                        pin,
                        level: trigger == Trigger::Level,
                        active_low: polarity == Polarity::Low,
                    },
                    vector as u64,
                )
                .map_err(|e| {
                    refuse(
                        &pd.name,
                        format!("IRQ {} (pin {pin}): the kernel refused it ({e})", irq.id),
                    )
                })?;
            // Delivered on the PD's notification as the IRQ's channel bit.
            let badged = self.objs.root.alloc_slot().map_err(ObjError::from)?;
            slots.push(badged);
            ROOT_CNODE
                .cnode_mint(
                    badged,
                    WORD_BITS as u64,
                    root_slot(notifications[i].cptr()),
                    CapRights::ALL,
                    1 << irq.id,
                )
                .map_err(|e| SupError::from(ObjError::Kernel("mint IRQ notification", e)))?;
            Cap::<kind::IrqHandler>::from_cptr(handler)
                .irq_handler_set_notification(Cap::from_cptr(badged))
                .map_err(|e| SupError::from(ObjError::Kernel("IRQ set notification", e)))?;
            caps.push((BASE_IRQ_CAP + irq.id as u64, handler, 0));
        }
        for io in &pd.ioports {
            // Minting the I/O port capability narrows it to the range.
            let range = (io.addr << 16) | (io.addr + io.size - 1);
            caps.push((BASE_IOPORT_CAP + io.id as u64, init_cap::IO_PORT, range));
        }
        let mut maps = Vec::new();
        for m in &pd.maps {
            let rights = match (m.perms.read, m.perms.write) {
                (_, true) => CapRights::READ_WRITE,
                _ => CapRights::READ,
            };
            for (p, frame) in frames[m.mr].iter().enumerate() {
                maps.push(ExtraMap {
                    frame: *frame,
                    vaddr: m.vaddr + p as u64 * 4096,
                    rights,
                });
            }
        }

        // What the Microkit tool patches.
        let image_name = image_name(&pd.program_image.path);
        let image = self.archive.get(image_name).unwrap_or(&[]);
        let mut patches: Vec<(u64, Vec<u8>)> = Vec::new();
        let mut patch = |symbol: &str, bytes: Vec<u8>, required: bool| -> Result<(), SupError> {
            match root_core::elf::symbol(image, symbol) {
                Some(place) if place.size == 0 || place.size >= bytes.len() as u64 => {
                    patches.push((place.vaddr, bytes));
                    Ok(())
                }
                Some(place) => Err(refuse(
                    &pd.name,
                    format!(
                        "symbol '{symbol}' in '{image_name}' has {} bytes, {} needed",
                        place.size,
                        bytes.len()
                    ),
                )),
                None if required => Err(refuse(&pd.name, format!("'{image_name}' has no symbol '{symbol}'"))),
                None => Ok(()),
            }
        };
        let mut name_bytes = alloc::vec![0u8; PD_NAME_LENGTH];
        let n = pd.name.len().min(PD_NAME_LENGTH - 1);
        name_bytes[..n].copy_from_slice(&pd.name.as_bytes()[..n]);
        patch("microkit_name", name_bytes, true)?;
        let masks = sys.patch_masks(i);
        patch("microkit_passive", alloc::vec![pd.passive as u8], false)?;
        patch("microkit_irqs", masks.irqs.to_le_bytes().to_vec(), false)?;
        patch(
            "microkit_notifications",
            masks.notifications.to_le_bytes().to_vec(),
            false,
        )?;
        patch("microkit_pps", masks.pps.to_le_bytes().to_vec(), false)?;
        patch("microkit_ioports", masks.ioports.to_le_bytes().to_vec(), false)?;
        // Every setvar the file names (map addresses and sizes, IRQ and
        // I/O port ids and addresses), as the Microkit tool resolves them.
        for var in sys.setvars(i) {
            patch(&var.symbol, var.value.to_le_bytes().to_vec(), true)?;
        }
        // sDDF configuration blobs, into the sections the components declare
        // (what `objcopy --update-section` does in a LionsOS build).
        for (section, file) in configs
            .iter()
            .filter(|(pd_name, _, _)| *pd_name == pd.name)
            .map(|(_, s, f)| (s, f))
        {
            let blob = self.archive.get(&format!("systems/{file}")).ok_or_else(|| {
                refuse(
                    &pd.name,
                    format!("configuration blob '{file}' is not in the image store"),
                )
            })?;
            let place = root_core::elf::section(image, section)
                .ok_or_else(|| refuse(&pd.name, format!("'{image_name}' has no section '{section}'")))?;
            if place.size != blob.len() as u64 {
                return Err(refuse(
                    &pd.name,
                    format!(
                        "configuration blob '{file}' has {} bytes, section '{section}' of '{image_name}' {}",
                        blob.len(),
                        place.size
                    ),
                ));
            }
            patches.push((place.vaddr, blob.to_vec()));
        }
        Ok(PdSetup {
            endpoint: endpoints[i],
            notification: notifications[i],
            caps,
            maps,
            patches,
            priority: pd.priority,
        })
    }

    /// The Pride service PD `pd` offers, if its image's manifest offers
    /// one (a manifest offering its own name offers the PD's name).
    pub(crate) fn pd_service(&self, pd: &sdf::ProtectionDomain) -> Option<String> {
        let (_, m) = self.image(image_name(&pd.program_image.path)).ok()?;
        let offered = m.offers.first()?;
        Some(if m.offers.len() == 1 && *offered == m.name {
            pd.name.clone()
        } else {
            offered.clone()
        })
    }

    /// The component at the other end of channel `ch` of PD `id` (a
    /// running system's), from its system description.
    pub(crate) fn channel_peer(&self, id: u32, ch: u64) -> Option<u32> {
        let record = self.systems.iter().find(|s| s.pds.contains(&id))?;
        let sys = &record.sys;
        let name = &self.table.by_id(id)?.name;
        let me = sys.protection_domains.iter().position(|pd| pd.name == *name)?;
        let peer = sys.channels_of(me).into_iter().find(|c| u64::from(c.id) == ch)?.peer;
        let peer_name = &sys.protection_domains[peer].name;
        record
            .pds
            .iter()
            .copied()
            .find(|p| self.table.by_id(*p).is_some_and(|r| r.name == *peer_name))
    }

    /// [`Self::channel_peer`] for a PD that is an object server, if the
    /// policy lets the peer use its service (`connect` on `service:NAME`,
    /// as for a connection): the channel is the peer's connection. Asking
    /// also teaches the security server the peer's label, so that the
    /// server's own decisions for that subject can be made.
    pub(crate) fn channel_peer_admitted(&mut self, id: u32, ch: u64) -> Option<u32> {
        let peer = self.channel_peer(id, ch)?;
        let service = self.offered_service(id, &self.table.by_id(id)?.manifest)?;
        let object = format!("service:{service}");
        match self.ask(peer, &object, security_srv::Operation::Connect) {
            Ok(true) => Some(peer),
            _ => {
                let label = self.label_of(peer);
                self.event(format!("policy: {label} may not use '{service}' over its channel"));
                None
            }
        }
    }

    /// `systems`: the running subsystems and their PDs.
    pub fn write_systems(&mut self) {
        let mut t = String::new();
        for s in &self.systems {
            let names: Vec<String> = s
                .pds
                .iter()
                .filter_map(|id| self.table.by_id(*id).map(|r| r.name.clone()))
                .collect();
            let _ = core::fmt::Write::write_fmt(&mut t, format_args!("{}: {}\n", s.name, names.join(", ")));
        }
        if t.is_empty() {
            t.push_str("no systems running\n");
        }
        let _ = core::fmt::Write::write_str(&mut self.out, &t);
    }
}

/// The image a `program_image` path names: its file name without `.elf`.
pub fn image_name(path: &str) -> &str {
    let file = path.rsplit('/').next().unwrap_or(path);
    file.strip_suffix(".elf").unwrap_or(file)
}
