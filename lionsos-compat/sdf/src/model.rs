//! The validated system: plain data with every name resolved to an index.
//!
//! A [`System`] only exists once [`crate::parse`] has checked every rule, so a
//! loader can index `memory_regions[map.mr]` or `protection_domains[end.pd]`
//! without checking. The helpers at the bottom answer what a loader asks per
//! protection domain: its channels, the bitmasks the Microkit tool patches,
//! and the value of every setvar symbol.

use alloc::string::String;
use alloc::vec::Vec;

/// A whole System Description File.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct System {
    /// In document order.
    pub memory_regions: Vec<MemoryRegion>,
    /// Flattened like the Microkit tool does it: top-level protection domains
    /// in document order, each followed by its children (depth first, in
    /// document order). A child's index is therefore always greater than its
    /// parent's.
    pub protection_domains: Vec<ProtectionDomain>,
    /// In document order.
    pub channels: Vec<Channel>,
}

/// The two page sizes Microkit offers on x86_64 (and on AArch64, RISC-V).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PageSize {
    /// 4 KiB.
    Small,
    /// 2 MiB.
    Large,
}

impl PageSize {
    pub const fn bytes(self) -> u64 {
        match self {
            PageSize::Small => 0x1000,
            PageSize::Large => 0x20_0000,
        }
    }
}

/// `<memory_region>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    pub name: String,
    /// Bytes; a multiple of the page size.
    pub size: u64,
    /// As written; `None` lets the loader choose (the Microkit tool starts
    /// from 4 KiB and takes 2 MiB pages where the size and every mapping
    /// allow).
    pub page_size: Option<PageSize>,
    /// Fixed physical address (device memory, DMA buffers); aligned to the
    /// page size.
    pub phys_addr: Option<u64>,
}

impl MemoryRegion {
    /// The page size alignment rules are checked against: the one written,
    /// or 4 KiB.
    pub fn page_size_bytes(&self) -> u64 {
        self.page_size.unwrap_or(PageSize::Small).bytes()
    }
}

/// `<protection_domain>`, top-level or child.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtectionDomain {
    /// Unique, not `monitor`. The Microkit tool writes at most the first 64
    /// bytes into `microkit_name`; a loader should do the same.
    pub name: String,
    /// 0..=254 (255 is the monitor's).
    pub priority: u8,
    /// Microseconds (MCS). Default 1000.
    pub budget: u64,
    /// Microseconds, at least `budget`. Default: the budget.
    pub period: u64,
    pub passive: bool,
    /// Bytes: a multiple of 4 KiB in 4 KiB..=16 MiB. Default 8 KiB.
    pub stack_size: u64,
    /// Below [`crate::Config::cpu_cores`].
    pub cpu: u8,
    /// Default true.
    pub fpu: bool,
    /// ARM SMC forwarding: the parser records it, a loader on x86 refuses it.
    pub smc: bool,
    pub program_image: ProgramImage,
    pub maps: Vec<Map>,
    pub irqs: Vec<Irq>,
    pub ioports: Vec<IoPort>,
    /// `<setvar symbol region_paddr>` elements.
    pub paddr_setvars: Vec<PaddrSetvar>,
    /// For a child: its parent and the id the parent knows it by.
    pub parent: Option<ParentLink>,
}

/// `<program_image>`: paths as written (the loader looks them up).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgramImage {
    pub path: String,
    /// An ELF used only to find setvar symbols, if not `path` itself.
    pub path_for_symbols: Option<String>,
}

/// A child's link to its parent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParentLink {
    /// Index of the parent in [`System::protection_domains`].
    pub pd: usize,
    /// 0..=61, unique among the parent's children: the parent's fault badge
    /// and child TCB slot for this child.
    pub id: u8,
    /// A symbol of the *parent's* image that receives `id`.
    pub setvar_id: Option<String>,
}

/// `perms`: at least one of read, write, execute, and never write alone.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Perms {
    pub read: bool,
    pub write: bool,
    pub execute: bool,
}

impl Perms {
    /// The default when `perms` is absent.
    pub const READ_WRITE: Perms = Perms {
        read: true,
        write: true,
        execute: false,
    };
}

/// `<map>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Map {
    /// Index into [`System::memory_regions`].
    pub mr: usize,
    /// Aligned to the region's page size; the whole region fits below the
    /// stack ([`crate::Config::map_limit`]) and overlaps no other map of the
    /// protection domain.
    pub vaddr: u64,
    pub perms: Perms,
    /// Default true.
    pub cached: bool,
    /// Symbol that receives `vaddr`.
    pub setvar_vaddr: Option<String>,
    /// Symbol that receives the region's size.
    pub setvar_size: Option<String>,
}

/// Interrupt trigger mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trigger {
    /// The default.
    Level,
    Edge,
}

/// IOAPIC line polarity.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Polarity {
    /// Active high, the default.
    High,
    Low,
}

/// A PCI function address, as in `pcidev="BUS:DEV.FUNC"` (hexadecimal).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PciAddress {
    pub bus: u8,
    /// 0..=0x1f.
    pub device: u8,
    /// 0..=7.
    pub function: u8,
}

/// `<irq>`: delivered as a notification on channel `id`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Irq {
    /// 0..=61, from the protection domain's pool shared with channel ids.
    pub id: u8,
    /// Symbol that receives `id`.
    pub setvar_id: Option<String>,
    pub kind: IrqKind,
}

/// The three ways Microkit names an interrupt.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IrqKind {
    /// `irq=` (ARM, RISC-V); a loader on x86 refuses it.
    Conventional { irq: u64, trigger: Trigger },
    /// x86 IOAPIC line: `pin`, `ioapic` (default 0), `trigger`, `polarity`,
    /// delivered on `vector` (0..=107).
    Ioapic {
        ioapic: u64,
        pin: u64,
        trigger: Trigger,
        polarity: Polarity,
        vector: u8,
    },
    /// x86 MSI: `pcidev`, `handle`, delivered on `vector` (0..=107).
    Msi { pci: PciAddress, handle: u64, vector: u8 },
}

impl IrqKind {
    /// The number no two `<irq>`s of a system may share: the vector on x86,
    /// the IRQ number otherwise.
    pub fn number(&self) -> u64 {
        match *self {
            IrqKind::Conventional { irq, .. } => irq,
            IrqKind::Ioapic { vector, .. } | IrqKind::Msi { vector, .. } => u64::from(vector),
        }
    }
}

/// `<ioport>`: x86 I/O ports `addr..addr + size`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IoPort {
    /// 0..=61, unique among the protection domain's I/O ports (a pool of its
    /// own, not the channel ids').
    pub id: u8,
    pub addr: u64,
    /// At least 1; `addr + size <= 0x10000`.
    pub size: u64,
    /// Symbol that receives `id`.
    pub setvar_id: Option<String>,
    /// Symbol that receives `addr`.
    pub setvar_addr: Option<String>,
}

/// `<setvar symbol region_paddr>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaddrSetvar {
    pub symbol: String,
    /// Index into [`System::memory_regions`]; that region has a `phys_addr`.
    pub mr: usize,
}

/// `<channel>` with its two ends, in document order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Channel {
    pub ends: [ChannelEnd; 2],
}

/// `<end>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChannelEnd {
    /// Index into [`System::protection_domains`].
    pub pd: usize,
    /// 0..=61, from the protection domain's pool shared with IRQ ids.
    pub id: u8,
    /// This end may notify the other. Default true.
    pub notify: bool,
    /// This end may call the other (which has a strictly higher priority).
    /// Default false; never true at both ends.
    pub pp: bool,
    /// Symbol of this end's image that receives `id`.
    pub setvar_id: Option<String>,
}

/// One channel as one protection domain sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PdChannel {
    /// Index into [`System::channels`].
    pub channel: usize,
    /// The id this protection domain uses (`notified(id)`, `microkit_notify(id)`).
    pub id: u8,
    /// Index of the protection domain at the other end.
    pub peer: usize,
    /// The id the other end uses.
    pub peer_id: u8,
    /// This protection domain may notify the peer.
    pub may_notify: bool,
    /// This protection domain may call the peer (`microkit_ppcall`).
    pub may_call: bool,
    /// The peer may notify this protection domain.
    pub notified_by_peer: bool,
    /// The peer may call this protection domain (`protected(id, ..)`).
    pub called_by_peer: bool,
}

/// The u64 globals the Microkit tool patches into each image; bit `i` stands
/// for id `i`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PatchMasks {
    /// `microkit_irqs`: the ids of the protection domain's `<irq>`s.
    pub irqs: u64,
    /// `microkit_notifications`: the ids of its channel ends with `notify`.
    pub notifications: u64,
    /// `microkit_pps`: the ids of its channel ends with `pp`.
    pub pps: u64,
    /// `microkit_ioports`: the ids of its `<ioport>`s.
    pub ioports: u64,
}

/// Where a setvar's value comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SetvarSource {
    /// `<map setvar_vaddr>`: the mapping's virtual address.
    MapVaddr,
    /// `<map setvar_size>`: the mapped region's size.
    MapSize,
    /// `<setvar region_paddr>`: the region's physical address.
    RegionPaddr,
    /// `<irq setvar_id>`.
    IrqId,
    /// `<ioport setvar_id>`.
    IoPortId,
    /// `<ioport setvar_addr>`: the first port.
    IoPortAddr,
    /// A child's `<protection_domain setvar_id>`: the child's id, patched
    /// into the parent.
    ChildId,
    /// `<end setvar_id>`.
    ChannelId,
}

/// One symbol to overwrite (little-endian, word-sized) in a protection
/// domain's image.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Setvar {
    pub symbol: String,
    pub value: u64,
    pub source: SetvarSource,
}

impl System {
    /// The index of the protection domain called `name`.
    pub fn pd_index(&self, name: &str) -> Option<usize> {
        self.protection_domains.iter().position(|pd| pd.name == name)
    }

    /// The index of the memory region called `name`.
    pub fn memory_region_index(&self, name: &str) -> Option<usize> {
        self.memory_regions.iter().position(|mr| mr.name == name)
    }

    /// The indices of `pd`'s direct children, in document order.
    pub fn children(&self, pd: usize) -> impl Iterator<Item = usize> + '_ {
        self.protection_domains
            .iter()
            .enumerate()
            .filter(move |(_, child)| child.parent.as_ref().is_some_and(|link| link.pd == pd))
            .map(|(index, _)| index)
    }

    /// `pd`'s channels, in document order, from its side.
    pub fn channels_of(&self, pd: usize) -> Vec<PdChannel> {
        let mut seen = Vec::new();
        for (index, channel) in self.channels.iter().enumerate() {
            for side in 0..2 {
                let (mine, theirs) = (&channel.ends[side], &channel.ends[1 - side]);
                if mine.pd == pd {
                    seen.push(PdChannel {
                        channel: index,
                        id: mine.id,
                        peer: theirs.pd,
                        peer_id: theirs.id,
                        may_notify: mine.notify,
                        may_call: mine.pp,
                        notified_by_peer: theirs.notify,
                        called_by_peer: theirs.pp,
                    });
                }
            }
        }
        seen
    }

    /// The bitmasks the Microkit tool writes into `pd`'s image, derived as
    /// the tool derives them (see [`PatchMasks`]).
    pub fn patch_masks(&self, pd: usize) -> PatchMasks {
        let domain = &self.protection_domains[pd];
        let mut masks = PatchMasks::default();
        for irq in &domain.irqs {
            masks.irqs |= 1 << irq.id;
        }
        for port in &domain.ioports {
            masks.ioports |= 1 << port.id;
        }
        for channel in self.channels_of(pd) {
            if channel.may_notify {
                masks.notifications |= 1 << channel.id;
            }
            if channel.may_call {
                masks.pps |= 1 << channel.id;
            }
        }
        masks
    }

    /// Whether `pd` needs an endpoint as well as its notification: it has
    /// children (their faults arrive there) or something may call it.
    pub fn needs_endpoint(&self, pd: usize) -> bool {
        self.children(pd).next().is_some() || self.channels_of(pd).iter().any(|channel| channel.called_by_peer)
    }

    /// Every symbol to patch in `pd`'s image and its value: maps, IRQs, I/O
    /// ports, `<setvar>` elements, its children's ids, then channel ends.
    /// Symbols are unique (the parser refuses a second setvar of a symbol).
    pub fn setvars(&self, pd: usize) -> Vec<Setvar> {
        let domain = &self.protection_domains[pd];
        let mut out = Vec::new();
        let mut add = |symbol: &Option<String>, value: u64, source: SetvarSource| {
            if let Some(symbol) = symbol {
                out.push(Setvar {
                    symbol: symbol.clone(),
                    value,
                    source,
                });
            }
        };
        for map in &domain.maps {
            add(&map.setvar_vaddr, map.vaddr, SetvarSource::MapVaddr);
            add(
                &map.setvar_size,
                self.memory_regions[map.mr].size,
                SetvarSource::MapSize,
            );
        }
        for irq in &domain.irqs {
            add(&irq.setvar_id, u64::from(irq.id), SetvarSource::IrqId);
        }
        for port in &domain.ioports {
            add(&port.setvar_id, u64::from(port.id), SetvarSource::IoPortId);
            add(&port.setvar_addr, port.addr, SetvarSource::IoPortAddr);
        }
        for setvar in &domain.paddr_setvars {
            // The parser guarantees the region has a physical address.
            let paddr = self.memory_regions[setvar.mr].phys_addr.unwrap_or_default();
            add(&Some(setvar.symbol.clone()), paddr, SetvarSource::RegionPaddr);
        }
        for child in self.children(pd) {
            if let Some(link) = &self.protection_domains[child].parent {
                add(&link.setvar_id, u64::from(link.id), SetvarSource::ChildId);
            }
        }
        for channel in &self.channels {
            for end in channel.ends.iter().filter(|end| end.pd == pd) {
                add(&end.setvar_id, u64::from(end.id), SetvarSource::ChannelId);
            }
        }
        out
    }

    /// Memory regions no `<map>` uses (the Microkit tool warns about these;
    /// sDDF's DMA regions are legitimately among them).
    pub fn unused_memory_regions(&self) -> impl Iterator<Item = usize> + '_ {
        (0..self.memory_regions.len()).filter(|&mr| {
            !self
                .protection_domains
                .iter()
                .any(|pd| pd.maps.iter().any(|map| map.mr == mr))
        })
    }
}
