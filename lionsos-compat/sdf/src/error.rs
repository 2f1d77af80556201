//! What went wrong, where, and in which element.
//!
//! An [`Error`] is a [`Position`] (line and column from roxmltree, both
//! 1-based), the [`Subject`] (the element and what it belongs to) and the
//! [`ErrorKind`] (what is wrong, with the values involved). `Display` puts
//! them on one line:
//!
//! ```text
//! line 7, column 9: <map> in protection domain 'driver': memory region 'buf' is not declared
//! ```
//!
//! Errors about one attribute's value (not a number, out of range, not
//! `true`/`false`, ...) point at the attribute; errors about the element
//! (missing attribute, a reference to something undeclared, an overlap, a
//! duplicate) point at the element's `<`. Where a second thing clashes with a
//! first, the error points at the second and names where the first is.

use alloc::boxed::Box;
use alloc::string::String;
use core::fmt;

/// A place in the System Description File, both numbers 1-based.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}", self.line, self.column)
    }
}

/// The element an error is about, and what it belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// The element's tag, without `<>`.
    pub element: String,
    pub context: Context,
}

/// What an element belongs to, to tell one `<map>` from another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Context {
    /// Nothing to add: `<system>`, `<channel>`, or an element whose name is
    /// not known (yet).
    None,
    /// A `<protection_domain>` or `<memory_region>`, by its own name.
    Named(String),
    /// An element inside the protection domain of this name.
    InPd(String),
    /// A channel's `<end>` in the protection domain of this name.
    EndOf(String),
}

impl fmt::Display for Subject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "<{}>", self.element)?;
        match &self.context {
            Context::None => Ok(()),
            Context::Named(name) => write!(f, " '{name}'"),
            Context::InPd(pd) => write!(f, " in protection domain '{pd}'"),
            Context::EndOf(pd) => write!(f, " for protection domain '{pd}'"),
        }
    }
}

/// Which part of an MSI's `pcidev="BUS:DEV.FUNC"` is wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PciProblem {
    /// Not of the form `BUS:DEV.FUNC`.
    Form,
    /// The bus is not a hexadecimal number in `0..=0xff`.
    Bus,
    /// The device is not a hexadecimal number in `0..=0x1f`.
    Device,
    /// The function is not a hexadecimal number in `0..=7`.
    Function,
}

/// A System Description File the parser refuses. Boxed, so a `Result`
/// stays one word wide on the success path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    position: Position,
    subject: Option<Subject>,
    kind: ErrorKind,
}

impl Error {
    pub(crate) fn new(position: Position, subject: Option<Subject>, kind: ErrorKind) -> Self {
        Error(Box::new(Inner {
            position,
            subject,
            kind,
        }))
    }

    /// Where: the attribute for errors about one attribute's value, the
    /// element's `<` otherwise.
    pub fn position(&self) -> Position {
        self.0.position
    }

    /// The element; `None` only for XML that is not well-formed.
    pub fn subject(&self) -> Option<&Subject> {
        self.0.subject.as_ref()
    }

    /// What is wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.0.kind
    }
}

/// What is wrong. Each variant carries the values a reader needs to fix it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    // ---- the document
    /// Not well-formed XML (roxmltree's own message, without its position).
    Xml(String),
    /// The root element is not `<system>`.
    RootNotSystem,
    /// Text other than whitespace inside or between elements.
    UnexpectedText {
        text: String,
    },

    // ---- elements and attributes
    /// An element the parent element may not contain.
    UnknownElement {
        parent: &'static str,
    },
    /// Something the Microkit tool accepts but Pride does not provide.
    Unsupported {
        feature: &'static str,
    },
    /// An attribute the element may not carry (in this form, for `<irq>`).
    UnknownAttribute {
        attribute: String,
    },
    MissingAttribute {
        attribute: &'static str,
    },
    /// Neither decimal nor `0x` hexadecimal (underscores allowed), or more
    /// than 64 bits.
    NotANumber {
        attribute: &'static str,
        value: String,
    },
    NotABool {
        attribute: &'static str,
        value: String,
    },
    NotAChoice {
        attribute: &'static str,
        value: String,
        choices: &'static [&'static str],
    },
    OutOfRange {
        attribute: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    BadPciAddress {
        value: String,
        problem: PciProblem,
    },
    /// `perms` empty or with a letter other than `r`, `w`, `x`.
    BadPerms {
        value: String,
    },
    /// `perms="w"`: the kernel has no write-only mappings.
    WriteOnlyPerms,

    // ---- one element's own rules
    /// `stack_size` outside 4 KiB..=16 MiB or not a multiple of 4 KiB.
    BadStackSize {
        stack_size: u64,
    },
    BudgetExceedsPeriod {
        budget: u64,
        period: u64,
    },
    UnsupportedPageSize {
        page_size: u64,
    },
    SizeNotPageMultiple {
        size: u64,
        page_size: u64,
    },
    MisalignedPhysAddr {
        phys_addr: u64,
        page_size: u64,
    },
    /// `phys_addr + size` does not fit in 64 bits.
    PhysRangeOverflow {
        phys_addr: u64,
        size: u64,
    },
    /// An `<irq>` with none of `irq`, `pin`, `pcidev`.
    IrqWithoutSource,
    /// `addr + size` runs past the 64 KiB x86 I/O port space.
    IoPortBeyondSpace {
        addr: u64,
        size: u64,
    },
    DuplicateProgramImage,
    MissingProgramImage,
    /// Two setvars of one protection domain patch the same symbol.
    DuplicateSetvar {
        symbol: String,
        pd: String,
        first: Position,
    },
    ChannelEndCount {
        found: usize,
    },
    /// Both ends of a channel have `pp="true"`.
    BidirectionalPp,

    // ---- references and the whole system
    UnknownPd {
        name: String,
    },
    UnknownMemoryRegion {
        name: String,
    },
    NoProtectionDomains,
    /// The 64th protection domain (children count).
    TooManyProtectionDomains,
    /// `monitor` is the Microkit monitor's name.
    ReservedPdName,
    DuplicatePdName {
        first: Position,
    },
    DuplicateMemoryRegion {
        first: Position,
    },
    DuplicateChildId {
        id: u64,
        first: Position,
    },
    /// Two `<irq>`s claim one interrupt: the vector for the x86 forms, the
    /// `irq` number otherwise (the Microkit tool compares these numbers).
    DuplicateIrq {
        number: u64,
        vector: bool,
        other_pd: String,
        first: Position,
    },
    /// An id already taken in the protection domain's pool of channel and
    /// IRQ ids. `first_element` is `irq` or `end`.
    DuplicateId {
        id: u64,
        first: Position,
        first_element: &'static str,
    },
    DuplicateIoPortId {
        id: u64,
        first: Position,
    },
    IoPortOverlap {
        addr: u64,
        size: u64,
        other_pd: String,
        other_addr: u64,
        other_size: u64,
        first: Position,
    },
    /// `pp="true"` towards a protection domain of equal or lower priority.
    PpToLowerPriority {
        caller: String,
        caller_priority: u8,
        callee: String,
        callee_priority: u8,
    },
    MisalignedMap {
        mr: String,
        vaddr: u64,
        page_size: u64,
    },
    /// The mapping reaches `limit` (where the stack begins) or beyond.
    MapOutsideAddressSpace {
        mr: String,
        vaddr: u64,
        size: u64,
        limit: u64,
    },
    MapOverlap {
        mr: String,
        vaddr: u64,
        size: u64,
        other_mr: String,
        other_vaddr: u64,
        other_size: u64,
        first: Position,
    },
    PhysOverlap {
        phys_addr: u64,
        size: u64,
        other: String,
        other_phys_addr: u64,
        other_size: u64,
        first: Position,
    },
    /// `<setvar region_paddr>` on a region without `phys_addr`: on x86_64
    /// the tool cannot know where it will allocate it.
    SetvarPaddrWithoutPhysAddr {
        region: String,
    },
}

impl fmt::Display for PciProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PciProblem::Form => "is not of the form BUS:DEV.FUNC (hexadecimal)",
            PciProblem::Bus => "has a bus that is not a hexadecimal number in 0..=ff",
            PciProblem::Device => "has a device that is not a hexadecimal number in 0..=1f",
            PciProblem::Function => "has a function that is not a hexadecimal number in 0..=7",
        })
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ErrorKind::*;
        match self {
            Xml(message) => write!(f, "not well-formed XML: {message}"),
            RootNotSystem => f.write_str("the root element must be <system>"),
            UnexpectedText { text } => {
                write!(f, "unexpected text '{text}' (only elements and comments belong here)")
            }
            UnknownElement { parent } => write!(f, "not an element that <{parent}> may contain"),
            Unsupported { feature } => write!(f, "{feature} are not supported by Pride"),
            UnknownAttribute { attribute } => write!(f, "attribute '{attribute}' is not allowed here"),
            MissingAttribute { attribute } => write!(f, "the required attribute '{attribute}' is missing"),
            NotANumber { attribute, value } => write!(
                f,
                "attribute '{attribute}': '{value}' is not a 64-bit number (decimal, or hexadecimal with 0x)"
            ),
            NotABool { attribute, value } => {
                write!(f, "attribute '{attribute}': '{value}' is neither 'true' nor 'false'")
            }
            NotAChoice {
                attribute,
                value,
                choices,
            } => {
                write!(f, "attribute '{attribute}': '{value}' is not one of ")?;
                for (i, choice) in choices.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}'{choice}'")?;
                }
                Ok(())
            }
            OutOfRange {
                attribute,
                value,
                min,
                max,
            } => {
                write!(f, "attribute '{attribute}': {value} is outside {min}..={max}")
            }
            BadPciAddress { value, problem } => write!(f, "attribute 'pcidev': '{value}' {problem}"),
            BadPerms { value } => write!(
                f,
                "attribute 'perms': '{value}' is not a non-empty combination of 'r', 'w' and 'x'"
            ),
            WriteOnlyPerms => f.write_str("attribute 'perms': write-only mappings are not allowed"),
            BadStackSize { stack_size } => write!(
                f,
                "attribute 'stack_size': {stack_size:#x} is not a multiple of 0x1000 in 0x1000..=0x1000000"
            ),
            BudgetExceedsPeriod { budget, period } => write!(f, "budget {budget} exceeds period {period}"),
            UnsupportedPageSize { page_size } => {
                write!(
                    f,
                    "attribute 'page_size': {page_size:#x} is not a page size (0x1000 or 0x200000)"
                )
            }
            SizeNotPageMultiple { size, page_size } => {
                write!(f, "size {size:#x} is not a multiple of the page size {page_size:#x}")
            }
            MisalignedPhysAddr { phys_addr, page_size } => {
                write!(
                    f,
                    "phys_addr {phys_addr:#x} is not aligned to the page size {page_size:#x}"
                )
            }
            PhysRangeOverflow { phys_addr, size } => {
                write!(
                    f,
                    "phys_addr {phys_addr:#x} plus size {size:#x} does not fit in 64 bits"
                )
            }
            IrqWithoutSource => f.write_str(
                "needs one of the attributes 'irq' (conventional), 'pin' (x86 IOAPIC) or 'pcidev' (x86 MSI)",
            ),
            IoPortBeyondSpace { addr, size } => write!(
                f,
                "{size} ports from {addr:#x} run past the end of the I/O port space at 0x10000"
            ),
            DuplicateProgramImage => f.write_str("a protection domain has exactly one <program_image>"),
            MissingProgramImage => f.write_str("has no <program_image>"),
            DuplicateSetvar { symbol, pd, first } => write!(
                f,
                "symbol '{symbol}' of protection domain '{pd}' is already patched by the setvar at {first}"
            ),
            ChannelEndCount { found } => write!(f, "has {found} <end> elements; a channel needs exactly two"),
            BidirectionalPp => {
                f.write_str("both ends have pp=\"true\"; protected procedure calls go one way along a channel")
            }
            UnknownPd { name } => write!(f, "protection domain '{name}' is not declared"),
            UnknownMemoryRegion { name } => write!(f, "memory region '{name}' is not declared"),
            NoProtectionDomains => f.write_str("declares no protection domain"),
            TooManyProtectionDomains => write!(
                f,
                "one protection domain too many: a system has at most {} (children included)",
                crate::MAX_PDS
            ),
            ReservedPdName => f.write_str("the name 'monitor' is reserved for the Microkit monitor"),
            DuplicatePdName { first } => write!(f, "the name is already used by the protection domain at {first}"),
            DuplicateMemoryRegion { first } => {
                write!(f, "the name is already used by the memory region at {first}")
            }
            DuplicateChildId { id, first } => write!(f, "child id {id} is already used by the child at {first}"),
            DuplicateIrq {
                number,
                vector,
                other_pd,
                first,
            } => {
                let what = if *vector { "vector" } else { "IRQ" };
                write!(
                    f,
                    "{what} {number} is already claimed by protection domain '{other_pd}' at {first}"
                )
            }
            DuplicateId {
                id,
                first,
                first_element,
            } => write!(
                f,
                "id {id} is already used by the <{first_element}> at {first} \
                 (channels and IRQs of a protection domain share one id space)"
            ),
            DuplicateIoPortId { id, first } => {
                write!(f, "I/O port id {id} is already used by the <ioport> at {first}")
            }
            IoPortOverlap {
                addr,
                size,
                other_pd,
                other_addr,
                other_size,
                first,
            } => write!(
                f,
                "ports [{addr:#x}..{:#x}) overlap ports [{other_addr:#x}..{:#x}) of protection domain \
                 '{other_pd}' at {first}",
                addr.wrapping_add(*size),
                other_addr.wrapping_add(*other_size)
            ),
            PpToLowerPriority {
                caller,
                caller_priority,
                callee,
                callee_priority,
            } => write!(
                f,
                "'{caller}' (priority {caller_priority}) may not call '{callee}' (priority {callee_priority}): \
                 protected procedure calls go to a strictly higher priority"
            ),
            MisalignedMap { mr, vaddr, page_size } => write!(
                f,
                "vaddr {vaddr:#x} is not aligned to the page size {page_size:#x} of memory region '{mr}'"
            ),
            MapOutsideAddressSpace { mr, vaddr, size, limit } => write!(
                f,
                "memory region '{mr}' ({size:#x} bytes at {vaddr:#x}) reaches past {limit:#x}, \
                 where the stack and IPC buffer begin"
            ),
            MapOverlap {
                mr,
                vaddr,
                size,
                other_mr,
                other_vaddr,
                other_size,
                first,
            } => write!(
                f,
                "memory region '{mr}' at [{vaddr:#x}..{:#x}) overlaps memory region '{other_mr}' at \
                 [{other_vaddr:#x}..{:#x}) mapped at {first}",
                vaddr.wrapping_add(*size),
                other_vaddr.wrapping_add(*other_size)
            ),
            PhysOverlap {
                phys_addr,
                size,
                other,
                other_phys_addr,
                other_size,
                first,
            } => write!(
                f,
                "physical range [{phys_addr:#x}..{:#x}) overlaps memory region '{other}' at \
                 [{other_phys_addr:#x}..{:#x}) declared at {first}",
                phys_addr.wrapping_add(*size),
                other_phys_addr.wrapping_add(*other_size)
            ),
            SetvarPaddrWithoutPhysAddr { region } => write!(
                f,
                "memory region '{region}' has no phys_addr, which region_paddr needs on x86_64"
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.subject() {
            Some(subject) => write!(f, "{}: {}: {}", self.position(), subject, self.kind()),
            None => write!(f, "{}: {}", self.position(), self.kind()),
        }
    }
}

impl core::error::Error for Error {}
