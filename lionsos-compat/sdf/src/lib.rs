//! # sdf: Microkit system descriptions
//!
//! A static LionsOS subsystem arrives as a Microkit System Description File
//! (SDF): XML naming protection domains, the memory they share, their
//! interrupts and I/O ports, and the channels between them. The Pride
//! supervisor starts such a subsystem from the [`System`] this crate returns.
//! [`parse`] reads the text, applies the rules the Microkit tool applies
//! (read from its source, `tool/microkit/src/sdf.rs`), and either returns a
//! model in which every rule holds or the first [`Error`], with the line and
//! column and the element it is about:
//!
//! ```text
//! line 7, column 9: <map> in protection domain 'driver': memory region 'buf' is not declared
//! ```
//!
//! Pure logic: `no_std` with `alloc`, no file access, no kernel.
//!
//! ## The model
//!
//! [`System`] holds three lists. `memory_regions` and `channels` are in
//! document order; `protection_domains` is the tree flattened depth first the
//! way the Microkit tool flattens it (a parent, then its children), each child
//! carrying a [`ParentLink`] (parent index, child id). Every reference is
//! resolved: a [`Map`] names its region by index, a [`ChannelEnd`] its
//! protection domain by index, a [`PaddrSetvar`] its region by index. Sizes
//! and addresses are `u64`, ids `u8`, defaults are filled in (priority 0,
//! budget 1000 µs, period = budget, stack 8 KiB, perms `rw`, cached, notify,
//! level trigger, high polarity, IOAPIC 0). Only `page_size` stays as written
//! (`None`: the loader picks, as the Microkit tool does).
//!
//! What a loader asks per protection domain:
//! - [`System::channels_of`]: each channel with its id, the peer and who may
//!   notify or call whom;
//! - [`System::patch_masks`]: `microkit_irqs` (bit per `<irq>` id),
//!   `microkit_notifications` (bit per own end with `notify`), `microkit_pps`
//!   (bit per own end with `pp`), `microkit_ioports` (bit per `<ioport>` id),
//!   derived as the Microkit tool's `patch_symbols` derives them;
//! - [`System::setvars`]: every symbol to overwrite and its value;
//! - [`System::children`], [`System::needs_endpoint`].
//!
//! ## Validation
//!
//! | rule | error |
//! | --- | --- |
//! | well-formed XML, root `<system>`, no text outside attributes | `Xml`, `RootNotSystem`, `UnexpectedText` |
//! | only the elements and attributes Microkit defines, per parent and per `<irq>` form | `UnknownElement`, `UnknownAttribute` |
//! | required attributes present | `MissingAttribute` |
//! | numbers decimal or `0x` hex (`_` allowed), booleans `true`/`false`, `trigger` `level`/`edge`, `polarity` `high`/`low` | `NotANumber`, `NotABool`, `NotAChoice` |
//! | priority 0..=254; channel, IRQ, I/O port and child ids 0..=61; vector 0..=107; `cpu` below [`Config::cpu_cores`]; I/O port size ≥ 1 | `OutOfRange` |
//! | `pcidev` is `BUS:DEV.FUNC` in hex, bus ≤ ff, device ≤ 1f, function ≤ 7 | `BadPciAddress` |
//! | `perms` from `r`, `w`, `x`, not empty, not `w` alone | `BadPerms`, `WriteOnlyPerms` |
//! | stack 4 KiB..=16 MiB in 4 KiB steps; budget ≤ period | `BadStackSize`, `BudgetExceedsPeriod` |
//! | page size 4 KiB or 2 MiB; size and `phys_addr` multiples of it; `phys_addr + size` fits | `UnsupportedPageSize`, `SizeNotPageMultiple`, `MisalignedPhysAddr`, `PhysRangeOverflow` |
//! | an `<irq>` has `irq`, `pin` or `pcidev`; I/O ports stay below 0x10000 | `IrqWithoutSource`, `IoPortBeyondSpace` |
//! | exactly one `<program_image>` per protection domain | `DuplicateProgramImage`, `MissingProgramImage` |
//! | one setvar per symbol per image (maps, IRQs, I/O ports, `<setvar>`, child ids, channel ends) | `DuplicateSetvar` |
//! | a channel has two `<end>`s, `pp` on at most one | `ChannelEndCount`, `BidirectionalPp` |
//! | references resolve | `UnknownPd`, `UnknownMemoryRegion` |
//! | 1..=63 protection domains, unique names, not `monitor`; unique region names | `NoProtectionDomains`, `TooManyProtectionDomains`, `DuplicatePdName`, `ReservedPdName`, `DuplicateMemoryRegion` |
//! | child ids unique per parent | `DuplicateChildId` |
//! | no two `<irq>`s in the system on one vector (x86) or IRQ number | `DuplicateIrq` |
//! | per protection domain, IRQ and channel ids from one pool, no repeats (I/O port ids are a pool of their own, as in the tool, although sdfgen draws them from the channel pool) | `DuplicateId` |
//! | I/O port ids unique per protection domain; port ranges disjoint system-wide | `DuplicateIoPortId`, `IoPortOverlap` |
//! | `pp` only towards a strictly higher priority | `PpToLowerPriority` |
//! | a map's `vaddr` aligned to the region's page size, the region below the stack ([`Config::map_limit`]), no overlap within the protection domain | `MisalignedMap`, `MapOutsideAddressSpace`, `MapOverlap` |
//! | fixed physical ranges disjoint | `PhysOverlap` |
//! | `region_paddr` names a region with a `phys_addr` (x86_64) | `UnknownMemoryRegion`, `SetvarPaddrWithoutPhysAddr` |
//! | Microkit features Pride does not provide | `Unsupported` |
//!
//! Because every call goes to a strictly higher priority, the graph of
//! protected procedure calls is acyclic by construction; no separate check is
//! needed.
//!
//! ## Where Pride differs from the Microkit tool
//!
//! - Refused as `Unsupported`: `<virtual_machine>`, `<cspace>`,
//!   `<io_address_space>`, `<domains>` and the `domain` attribute, and
//!   prefilled regions (`prefill_path`, `prefill_bootinfo`,
//!   `setvar_prefill_size`: they need files or boot information a parser
//!   does not have).
//! - Architecture-neutral parsing: the conventional `irq=` form and `smc` are
//!   kept in the model for the loader to refuse on x86, while the x86_64 facts
//!   that matter here are applied: page sizes, the address-space top in
//!   [`Config`], `region_paddr` needing a `phys_addr`.
//! - Stricter where the tool would build a broken system or panic: child ids
//!   limited to 0..=61 (the tool does not check; larger ids overrun the child
//!   TCB slots), empty `perms` refused, I/O ports must end by 0x10000, a
//!   `region_paddr` naming no region is an error, attributes on `<system>`
//!   are refused (the tool ignores them), numbers are read with one
//!   rule everywhere (the tool reads some attributes as plain decimal and
//!   panics on anything else).
//! - The tool raises a region's page size to 2 MiB when everything allows it;
//!   that is a loader's optimisation and is left to the loader.
//! - Unused memory regions are not an error (the tool warns);
//!   [`System::unused_memory_regions`] lists them.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

mod error;
mod model;
mod parse;

pub use error::{Context, Error, ErrorKind, PciProblem, Position, Subject};
pub use model::{
    Channel, ChannelEnd, IoPort, Irq, IrqKind, Map, MemoryRegion, PaddrSetvar, PageSize, ParentLink, PatchMasks,
    PciAddress, PdChannel, Perms, Polarity, ProgramImage, ProtectionDomain, Setvar, SetvarSource, System, Trigger,
};

/// At most this many protection domains, children included (Microkit's
/// monitor serialises 63 names; the PD index fits the fault badge).
pub const MAX_PDS: usize = 63;
/// Channel, IRQ, I/O port and child ids are 0..=61: a badge is 64 bits and
/// the top two mark PPCs and faults.
pub const MAX_ID: u64 = 61;
/// 255 is the monitor's.
pub const MAX_PRIORITY: u8 = 254;
/// The highest x86 vector a user IRQ may use (seL4's user vector range).
pub const MAX_VECTOR: u64 = 107;
/// Microseconds, when `budget` is absent.
pub const DEFAULT_BUDGET: u64 = 1000;
pub const DEFAULT_STACK_SIZE: u64 = 0x2000;
pub const MIN_STACK_SIZE: u64 = 0x1000;
pub const MAX_STACK_SIZE: u64 = 0x100_0000;
/// Ports 0..0x10000.
pub const IO_PORT_SPACE: u64 = 0x1_0000;
/// The name Microkit keeps for its monitor.
pub const MONITOR_NAME: &str = "monitor";

/// The facts about the target the rules depend on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// The highest user virtual address, inclusive (`seL4_UserTop`).
    pub user_top: u64,
    /// Protection domains' `cpu` must be below this.
    pub cpu_cores: u8,
}

impl Config {
    /// seL4 on x86_64, one core.
    pub const X86_64: Config = Config {
        user_top: 0x0000_7fff_ffff_ffff,
        cpu_cores: 1,
    };

    /// The first address a protection domain with this stack may not map:
    /// Microkit puts the IPC buffer in the top page, a guard page below it,
    /// and the stack below that.
    pub const fn map_limit(&self, stack_size: u64) -> u64 {
        let ipc_buffer = self.user_top & !(PageSize::Small.bytes() - 1);
        ipc_buffer
            .saturating_sub(PageSize::Small.bytes())
            .saturating_sub(stack_size)
    }
}

impl Default for Config {
    fn default() -> Self {
        Config::X86_64
    }
}

/// Parses and validates a System Description File for [`Config::X86_64`].
pub fn parse(text: &str) -> Result<System, Error> {
    parse::parse(text, &Config::X86_64)
}

/// Parses and validates a System Description File for `config`.
pub fn parse_with(text: &str, config: &Config) -> Result<System, Error> {
    parse::parse(text, config)
}
