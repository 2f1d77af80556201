//! From XML text to a validated [`System`].
//!
//! Two phases. The walk reads each element once, in document order, and
//! checks what the element alone decides (its attributes, their syntax and
//! ranges, its children). It records where each element was in side tables
//! (`*Meta`), because the model carries no positions. The whole-system checks
//! then run over the model and those tables in a fixed order: protection
//! domain count and names, memory region names, channels (which may name a
//! protection domain declared after them), IRQ numbers, the id pools, I/O
//! ports, maps, physical overlaps, `region_paddr` setvars.

use alloc::borrow::ToOwned;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use roxmltree::{Document, Node};

use crate::error::{Context, Error, ErrorKind, PciProblem, Position, Subject};
use crate::model::*;
use crate::{
    Config, DEFAULT_BUDGET, DEFAULT_STACK_SIZE, IO_PORT_SPACE, MAX_ID, MAX_PDS, MAX_PRIORITY, MAX_STACK_SIZE,
    MAX_VECTOR, MIN_STACK_SIZE,
};

type Result<T> = core::result::Result<T, Error>;

const TRIGGERS: &[&str] = &["level", "edge"];
const POLARITIES: &[&str] = &["high", "low"];

pub(crate) fn parse(text: &str, config: &Config) -> Result<System> {
    let doc = Document::parse(text).map_err(xml_error)?;
    let mut parser = Parser {
        doc: &doc,
        config,
        memory_regions: Vec::new(),
        mr_meta: Vec::new(),
        pds: Vec::new(),
        pd_meta: Vec::new(),
        channels: Vec::new(),
        end_meta: Vec::new(),
    };
    parser.system(doc.root_element())?;
    Ok(System {
        memory_regions: parser.memory_regions,
        protection_domains: parser.pds,
        channels: parser.channels,
    })
}

/// roxmltree's message carries its own " at LINE:COL"; the position goes into
/// [`Error::position`] instead.
fn xml_error(err: roxmltree::Error) -> Error {
    let pos = err.pos();
    let message = err.to_string().replace(&alloc::format!(" at {pos}"), "");
    Error::new(
        Position {
            line: pos.row,
            column: pos.col,
        },
        None,
        ErrorKind::Xml(message),
    )
}

/// `0x` hexadecimal or decimal, underscores ignored, as the Microkit tool
/// reads numbers. No sign.
fn parse_number(text: &str) -> Option<u64> {
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    let (digits, radix) = match digits.strip_prefix("0x") {
        Some(hex) => (hex, 16),
        None => (digits.as_str(), 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// `BUS:DEV.FUNC`, each part hexadecimal (surrounding spaces allowed), as the
/// Microkit tool reads `pcidev`.
fn parse_pci(text: &str) -> core::result::Result<PciAddress, PciProblem> {
    let (bus, rest) = text.split_once(':').ok_or(PciProblem::Form)?;
    let (device, function) = rest.split_once('.').ok_or(PciProblem::Form)?;
    let part = |text: &str, max: u8, problem| {
        let text = text.trim();
        if text.is_empty() || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(problem);
        }
        match u64::from_str_radix(text, 16) {
            // `max` < 256, so the cast keeps the value.
            Ok(value) if value <= u64::from(max) => Ok(value as u8),
            _ => Err(problem),
        }
    };
    Ok(PciAddress {
        bus: part(bus, 0xff, PciProblem::Bus)?,
        device: part(device, 0x1f, PciProblem::Device)?,
        function: part(function, 7, PciProblem::Function)?,
    })
}

/// Where a protection domain's parts were, for the whole-system checks.
#[derive(Default)]
struct PdMeta {
    pos: Position,
    /// Per map: where, and the region name as written.
    maps: Vec<(Position, String)>,
    irqs: Vec<Position>,
    ioports: Vec<Position>,
    /// Per `<setvar>`: where, and the region name as written.
    paddr_setvars: Vec<(Position, String)>,
    /// Every symbol patched into this protection domain's image so far.
    symbols: Vec<(String, Position)>,
}

/// Where each end of a channel was.
type EndMeta = [Position; 2];

struct Parser<'a, 'input> {
    doc: &'a Document<'input>,
    config: &'a Config,
    memory_regions: Vec<MemoryRegion>,
    mr_meta: Vec<Position>,
    pds: Vec<ProtectionDomain>,
    pd_meta: Vec<PdMeta>,
    channels: Vec<Channel>,
    end_meta: Vec<EndMeta>,
}

/// One element being read: its node and what errors about it are called.
struct Element<'a, 'input> {
    node: Node<'a, 'input>,
    subject: Subject,
}

impl<'a, 'input: 'a> Element<'a, 'input> {
    fn new(node: Node<'a, 'input>, context: Context) -> Self {
        let subject = Subject {
            element: node.tag_name().name().to_string(),
            context,
        };
        Element { node, subject }
    }

    fn pos(&self) -> Position {
        position(self.node.document(), self.node.range().start)
    }

    fn attr_pos(&self, name: &str) -> Position {
        match self.node.attributes().find(|a| a.name() == name) {
            Some(attr) => position(self.node.document(), attr.range().start),
            None => self.pos(),
        }
    }

    /// An error about the element as a whole.
    fn error(&self, kind: ErrorKind) -> Error {
        Error::new(self.pos(), Some(self.subject.clone()), kind)
    }

    /// An error about one attribute's value.
    fn attr_error(&self, name: &str, kind: ErrorKind) -> Error {
        Error::new(self.attr_pos(name), Some(self.subject.clone()), kind)
    }

    fn allow(&self, allowed: &[&str]) -> Result<()> {
        match self.node.attributes().find(|a| !allowed.contains(&a.name())) {
            Some(attr) => Err(self.attr_error(
                attr.name(),
                ErrorKind::UnknownAttribute {
                    attribute: attr.name().to_string(),
                },
            )),
            None => Ok(()),
        }
    }

    fn has(&self, name: &str) -> bool {
        self.node.has_attribute(name)
    }

    fn optional(&self, name: &str) -> Option<&'a str> {
        self.node.attribute(name)
    }

    fn optional_string(&self, name: &str) -> Option<String> {
        self.optional(name).map(ToOwned::to_owned)
    }

    fn required(&self, name: &'static str) -> Result<&'a str> {
        self.optional(name)
            .ok_or_else(|| self.error(ErrorKind::MissingAttribute { attribute: name }))
    }

    fn number(&self, name: &'static str) -> Result<Option<u64>> {
        match self.optional(name) {
            None => Ok(None),
            Some(text) => parse_number(text).map(Some).ok_or_else(|| {
                self.attr_error(
                    name,
                    ErrorKind::NotANumber {
                        attribute: name,
                        value: text.to_string(),
                    },
                )
            }),
        }
    }

    fn required_number(&self, name: &'static str) -> Result<u64> {
        match self.number(name)? {
            Some(value) => Ok(value),
            None => Err(self.error(ErrorKind::MissingAttribute { attribute: name })),
        }
    }

    /// A number in `min..=max`, or `default` when absent (`None`: required).
    fn ranged(&self, name: &'static str, default: Option<u64>, min: u64, max: u64) -> Result<u64> {
        let value = match default {
            Some(default) => self.number(name)?.unwrap_or(default),
            None => self.required_number(name)?,
        };
        if value < min || value > max {
            return Err(self.attr_error(
                name,
                ErrorKind::OutOfRange {
                    attribute: name,
                    value,
                    min,
                    max,
                },
            ));
        }
        Ok(value)
    }

    /// A required id in `0..=MAX_ID`.
    fn id(&self, name: &'static str) -> Result<u8> {
        // MAX_ID < 256, so the cast keeps the value.
        Ok(self.ranged(name, None, 0, MAX_ID)? as u8)
    }

    fn boolean(&self, name: &'static str, default: bool) -> Result<bool> {
        match self.optional(name) {
            None => Ok(default),
            Some("true") => Ok(true),
            Some("false") => Ok(false),
            Some(other) => Err(self.attr_error(
                name,
                ErrorKind::NotABool {
                    attribute: name,
                    value: other.to_string(),
                },
            )),
        }
    }

    /// The index of the value in `choices`, or `default`.
    fn choice(&self, name: &'static str, choices: &'static [&'static str], default: usize) -> Result<usize> {
        match self.optional(name) {
            None => Ok(default),
            Some(text) => choices.iter().position(|c| *c == text).ok_or_else(|| {
                self.attr_error(
                    name,
                    ErrorKind::NotAChoice {
                        attribute: name,
                        value: text.to_string(),
                        choices,
                    },
                )
            }),
        }
    }

    fn children(&self) -> impl Iterator<Item = Node<'a, 'input>> {
        self.node.children().filter(|n| n.is_element())
    }
}

fn position(doc: &Document, offset: usize) -> Position {
    let pos = doc.text_pos_at(offset);
    Position {
        line: pos.row,
        column: pos.col,
    }
}

fn tag<'a>(node: &Node<'a, '_>) -> &'a str {
    node.tag_name().name()
}

/// Adds a setvar symbol to a protection domain's list; a second setvar of the
/// same symbol is an error at `at`.
fn add_symbol(meta: &mut PdMeta, pd: &str, symbol: &str, at: &Element, attribute: &str) -> Result<()> {
    if let Some((_, first)) = meta.symbols.iter().find(|(s, _)| s == symbol) {
        return Err(at.attr_error(
            attribute,
            ErrorKind::DuplicateSetvar {
                symbol: symbol.to_string(),
                pd: pd.to_string(),
                first: *first,
            },
        ));
    }
    meta.symbols.push((symbol.to_string(), at.attr_pos(attribute)));
    Ok(())
}

impl<'a, 'input: 'a> Parser<'a, 'input> {
    fn system(&mut self, root: Node<'a, 'input>) -> Result<()> {
        let system = Element::new(root, Context::None);
        if tag(&root) != "system" {
            return Err(system.error(ErrorKind::RootNotSystem));
        }
        self.check_no_text(root)?;
        system.allow(&[])?;

        let mut channel_nodes = Vec::new();
        for child in system.children() {
            match tag(&child) {
                "memory_region" => self.memory_region(child)?,
                "protection_domain" => {
                    self.protection_domain(child, None)?;
                }
                // Channels name protection domains that may come later.
                "channel" => channel_nodes.push(child),
                "virtual_machine" => return Err(unsupported(child, Context::None, "virtual machines")),
                "io_address_space" => return Err(unsupported(child, Context::None, "IOMMU address spaces")),
                "domains" => return Err(unsupported(child, Context::None, "domain schedules")),
                _ => {
                    let element = Element::new(child, Context::None);
                    return Err(element.error(ErrorKind::UnknownElement { parent: "system" }));
                }
            }
        }

        self.check_pd_count_and_names(&system)?;
        self.check_memory_region_names()?;
        for node in channel_nodes {
            self.channel(node)?;
        }
        self.check_irq_numbers()?;
        self.check_id_pools()?;
        self.check_io_ports()?;
        self.resolve_maps()?;
        self.check_phys_overlaps()?;
        self.resolve_paddr_setvars()
    }

    /// Only whitespace may sit between and inside elements (comments and
    /// processing instructions are fine).
    fn check_no_text(&self, root: Node<'a, 'input>) -> Result<()> {
        for node in root.descendants().filter(|n| n.is_text()) {
            let text = node.text().unwrap_or("").trim();
            if text.is_empty() {
                continue;
            }
            let raw = &self.doc.input_text()[node.range()];
            let start = node.range().start + (raw.len() - raw.trim_start().len());
            let parent = node.parent_element().unwrap_or(root);
            let shown: String = text.chars().take(40).collect();
            return Err(Error::new(
                position(self.doc, start),
                Some(Element::new(parent, Context::None).subject),
                ErrorKind::UnexpectedText { text: shown },
            ));
        }
        Ok(())
    }

    fn memory_region(&mut self, node: Node<'a, 'input>) -> Result<()> {
        let e = Element::new(node, named(node));
        e.allow(&[
            "name",
            "size",
            "page_size",
            "phys_addr",
            "prefill_path",
            "prefill_bootinfo",
        ])?;
        let name = e.required("name")?;
        for attribute in ["prefill_path", "prefill_bootinfo"] {
            if e.has(attribute) {
                return Err(e.attr_error(
                    attribute,
                    ErrorKind::Unsupported {
                        feature: "prefilled memory regions",
                    },
                ));
            }
        }
        let page_size = match e.number("page_size")? {
            None => None,
            Some(0x1000) => Some(PageSize::Small),
            Some(0x20_0000) => Some(PageSize::Large),
            Some(page_size) => return Err(e.attr_error("page_size", ErrorKind::UnsupportedPageSize { page_size })),
        };
        let page_bytes = page_size.unwrap_or(PageSize::Small).bytes();
        let size = e.required_number("size")?;
        if !size.is_multiple_of(page_bytes) {
            return Err(e.attr_error(
                "size",
                ErrorKind::SizeNotPageMultiple {
                    size,
                    page_size: page_bytes,
                },
            ));
        }
        let phys_addr = e.number("phys_addr")?;
        if let Some(phys_addr) = phys_addr {
            if !phys_addr.is_multiple_of(page_bytes) {
                let kind = ErrorKind::MisalignedPhysAddr {
                    phys_addr,
                    page_size: page_bytes,
                };
                return Err(e.attr_error("phys_addr", kind));
            }
            if phys_addr.checked_add(size).is_none() {
                return Err(e.error(ErrorKind::PhysRangeOverflow { phys_addr, size }));
            }
        }
        self.memory_regions.push(MemoryRegion {
            name: name.to_string(),
            size,
            page_size,
            phys_addr,
        });
        self.mr_meta.push(e.pos());
        Ok(())
    }

    /// Reads one protection domain, then its children (so the list comes out
    /// depth first, like the Microkit tool's); returns its index.
    fn protection_domain(&mut self, node: Node<'a, 'input>, parent: Option<usize>) -> Result<usize> {
        let e = Element::new(node, named(node));
        let mut allowed = alloc::vec![
            "name",
            "priority",
            "budget",
            "period",
            "passive",
            "stack_size",
            "smc",
            "cpu",
            "domain",
            "fpu"
        ];
        if parent.is_some() {
            allowed.extend(["id", "setvar_id"]);
        }
        e.allow(&allowed)?;
        let name = e.required("name")?.to_string();
        let parent = match parent {
            Some(pd) => Some(ParentLink {
                pd,
                id: e.id("id")?,
                setvar_id: e.optional_string("setvar_id"),
            }),
            None => None,
        };
        // The range checks keep priority and cpu within u8.
        let priority = e.ranged("priority", Some(0), 0, u64::from(MAX_PRIORITY))? as u8;
        let budget = e.number("budget")?.unwrap_or(DEFAULT_BUDGET);
        let period = e.number("period")?.unwrap_or(budget);
        if budget > period {
            return Err(e.error(ErrorKind::BudgetExceedsPeriod { budget, period }));
        }
        let passive = e.boolean("passive", false)?;
        let stack_size = e.number("stack_size")?.unwrap_or(DEFAULT_STACK_SIZE);
        if !(MIN_STACK_SIZE..=MAX_STACK_SIZE).contains(&stack_size)
            || !stack_size.is_multiple_of(PageSize::Small.bytes())
        {
            return Err(e.attr_error("stack_size", ErrorKind::BadStackSize { stack_size }));
        }
        let smc = e.boolean("smc", false)?;
        let cores = u64::from(self.config.cpu_cores.max(1));
        let cpu = e.ranged("cpu", Some(0), 0, cores - 1)? as u8;
        if e.has("domain") {
            return Err(e.attr_error(
                "domain",
                ErrorKind::Unsupported {
                    feature: "scheduling domains",
                },
            ));
        }
        let fpu = e.boolean("fpu", true)?;

        let mut meta = PdMeta {
            pos: e.pos(),
            ..PdMeta::default()
        };
        let mut program_image = None;
        let mut maps = Vec::new();
        let mut irqs = Vec::new();
        let mut ioports = Vec::new();
        let mut paddr_setvars = Vec::new();
        let mut child_nodes = Vec::new();
        for child in e.children() {
            let c = Element::new(child, Context::InPd(name.clone()));
            match tag(&child) {
                "program_image" => {
                    c.allow(&["path", "path_for_symbols"])?;
                    if program_image.is_some() {
                        return Err(c.error(ErrorKind::DuplicateProgramImage));
                    }
                    program_image = Some(ProgramImage {
                        path: c.required("path")?.to_string(),
                        path_for_symbols: c.optional_string("path_for_symbols"),
                    });
                }
                "map" => maps.push(map(&c, &name, &mut meta)?),
                "irq" => {
                    irqs.push(irq(&c, &name, &mut meta)?);
                    meta.irqs.push(c.pos());
                }
                "ioport" => {
                    ioports.push(ioport(&c, &name, &mut meta)?);
                    meta.ioports.push(c.pos());
                }
                "setvar" => {
                    c.allow(&["symbol", "region_paddr"])?;
                    let symbol = c.required("symbol")?;
                    let region = c.required("region_paddr")?;
                    add_symbol(&mut meta, &name, symbol, &c, "symbol")?;
                    // The region index is filled in once all regions are known.
                    paddr_setvars.push(PaddrSetvar {
                        symbol: symbol.to_string(),
                        mr: usize::MAX,
                    });
                    meta.paddr_setvars.push((c.pos(), region.to_string()));
                }
                "protection_domain" => {
                    // The child's id is patched into this (the parent's) image.
                    if let Some(symbol) = c.optional("setvar_id") {
                        add_symbol(&mut meta, &name, symbol, &c, "setvar_id")?;
                    }
                    child_nodes.push(child);
                }
                "virtual_machine" => {
                    return Err(unsupported(child, Context::InPd(name.clone()), "virtual machines"));
                }
                "cspace" => {
                    return Err(unsupported(
                        child,
                        Context::InPd(name.clone()),
                        "extra capabilities (<cspace>)",
                    ));
                }
                _ => {
                    return Err(c.error(ErrorKind::UnknownElement {
                        parent: "protection_domain",
                    }))
                }
            }
        }
        let Some(program_image) = program_image else {
            return Err(e.error(ErrorKind::MissingProgramImage));
        };

        let index = self.pds.len();
        self.pds.push(ProtectionDomain {
            name,
            priority,
            budget,
            period,
            passive,
            stack_size,
            cpu,
            fpu,
            smc,
            program_image,
            maps,
            irqs,
            ioports,
            paddr_setvars,
            parent,
        });
        self.pd_meta.push(meta);

        let mut child_ids: Vec<(u8, Position)> = Vec::new();
        for child in child_nodes {
            let child_index = self.protection_domain(child, Some(index))?;
            let id = self.pds[child_index].parent.as_ref().map_or(0, |link| link.id);
            let pos = self.pd_meta[child_index].pos;
            if let Some((_, first)) = child_ids.iter().find(|(other, _)| *other == id) {
                let e = Element::new(child, named(child));
                return Err(e.error(ErrorKind::DuplicateChildId {
                    id: u64::from(id),
                    first: *first,
                }));
            }
            child_ids.push((id, pos));
        }
        Ok(index)
    }

    fn channel(&mut self, node: Node<'a, 'input>) -> Result<()> {
        let e = Element::new(node, Context::None);
        e.allow(&[])?;
        let mut ends = Vec::new();
        for child in e.children() {
            if tag(&child) != "end" {
                let c = Element::new(child, Context::None);
                return Err(c.error(ErrorKind::UnknownElement { parent: "channel" }));
            }
            ends.push(self.channel_end(child)?);
        }
        let [(a, a_element), (b, b_element)]: [_; 2] = ends
            .try_into()
            .map_err(|ends: Vec<_>| e.error(ErrorKind::ChannelEndCount { found: ends.len() }))?;
        if a.pp && b.pp {
            return Err(e.error(ErrorKind::BidirectionalPp));
        }
        for (end, element) in [(&a, &a_element), (&b, &b_element)] {
            if let Some(symbol) = &end.setvar_id {
                let pd = &self.pds[end.pd].name;
                add_symbol(&mut self.pd_meta[end.pd], pd, symbol, element, "setvar_id")?;
            }
        }
        self.end_meta.push([a_element.pos(), b_element.pos()]);
        self.channels.push(Channel { ends: [a, b] });
        Ok(())
    }

    fn channel_end(&self, node: Node<'a, 'input>) -> Result<(ChannelEnd, Element<'a, 'input>)> {
        let context = node
            .attribute("pd")
            .map_or(Context::None, |pd| Context::EndOf(pd.to_string()));
        let e = Element::new(node, context);
        e.allow(&["pd", "id", "pp", "notify", "setvar_id"])?;
        let pd_name = e.required("pd")?;
        let id = e.id("id")?;
        let notify = e.boolean("notify", true)?;
        let pp = e.boolean("pp", false)?;
        let Some(pd) = self.pds.iter().position(|pd| pd.name == pd_name) else {
            let plain = Element::new(node, Context::None);
            return Err(plain.error(ErrorKind::UnknownPd {
                name: pd_name.to_string(),
            }));
        };
        let end = ChannelEnd {
            pd,
            id,
            notify,
            pp,
            setvar_id: e.optional_string("setvar_id"),
        };
        Ok((end, e))
    }

    /// The error for a protection domain's element, found by index (the
    /// whole-system checks no longer hold nodes).
    fn pd_error(&self, pd: usize, kind: ErrorKind) -> Error {
        Error::new(
            self.pd_meta[pd].pos,
            Some(Subject {
                element: "protection_domain".to_string(),
                context: Context::Named(self.pds[pd].name.clone()),
            }),
            kind,
        )
    }

    fn in_pd_error(&self, pd: usize, element: &str, position: Position, kind: ErrorKind) -> Error {
        Error::new(
            position,
            Some(Subject {
                element: element.to_string(),
                context: Context::InPd(self.pds[pd].name.clone()),
            }),
            kind,
        )
    }

    fn check_pd_count_and_names(&self, system: &Element) -> Result<()> {
        if self.pds.is_empty() {
            return Err(system.error(ErrorKind::NoProtectionDomains));
        }
        if self.pds.len() > MAX_PDS {
            return Err(self.pd_error(MAX_PDS, ErrorKind::TooManyProtectionDomains));
        }
        for (index, pd) in self.pds.iter().enumerate() {
            if pd.name == crate::MONITOR_NAME {
                return Err(self.pd_error(index, ErrorKind::ReservedPdName));
            }
            if let Some(first) = self.pds[..index].iter().position(|other| other.name == pd.name) {
                let first = self.pd_meta[first].pos;
                return Err(self.pd_error(index, ErrorKind::DuplicatePdName { first }));
            }
        }
        Ok(())
    }

    fn check_memory_region_names(&self) -> Result<()> {
        for (index, mr) in self.memory_regions.iter().enumerate() {
            if let Some(first) = self.memory_regions[..index]
                .iter()
                .position(|other| other.name == mr.name)
            {
                return Err(self.mr_error(
                    index,
                    ErrorKind::DuplicateMemoryRegion {
                        first: self.mr_meta[first],
                    },
                ));
            }
        }
        Ok(())
    }

    fn mr_error(&self, mr: usize, kind: ErrorKind) -> Error {
        Error::new(
            self.mr_meta[mr],
            Some(Subject {
                element: "memory_region".to_string(),
                context: Context::Named(self.memory_regions[mr].name.clone()),
            }),
            kind,
        )
    }

    /// No two `<irq>`s in the whole system claim the same interrupt.
    fn check_irq_numbers(&self) -> Result<()> {
        let mut seen: Vec<(u64, usize, Position)> = Vec::new();
        for (pd, domain) in self.pds.iter().enumerate() {
            for (irq, &pos) in domain.irqs.iter().zip(&self.pd_meta[pd].irqs) {
                let number = irq.kind.number();
                if let Some(&(_, other, first)) = seen.iter().find(|(n, _, _)| *n == number) {
                    let vector = !matches!(irq.kind, IrqKind::Conventional { .. });
                    let other_pd = self.pds[other].name.clone();
                    let kind = ErrorKind::DuplicateIrq {
                        number,
                        vector,
                        other_pd,
                        first,
                    };
                    return Err(self.in_pd_error(pd, "irq", pos, kind));
                }
                seen.push((number, pd, pos));
            }
        }
        Ok(())
    }

    /// Channel and IRQ ids of one protection domain come from one pool of
    /// 0..=61 (one notification badge bit each); and calls go up in priority.
    fn check_id_pools(&self) -> Result<()> {
        let mut pools: Vec<Vec<(u8, Position, &'static str)>> = Vec::new();
        for (pd, domain) in self.pds.iter().enumerate() {
            let mut pool: Vec<(u8, Position, &'static str)> = Vec::new();
            for (irq, &pos) in domain.irqs.iter().zip(&self.pd_meta[pd].irqs) {
                if let Some(&(_, first, first_element)) = pool.iter().find(|(id, _, _)| *id == irq.id) {
                    let kind = ErrorKind::DuplicateId {
                        id: u64::from(irq.id),
                        first,
                        first_element,
                    };
                    return Err(self.in_pd_error(pd, "irq", pos, kind));
                }
                pool.push((irq.id, pos, "irq"));
            }
            pools.push(pool);
        }
        for (channel, positions) in self.channels.iter().zip(&self.end_meta) {
            for (end, &pos) in channel.ends.iter().zip(positions) {
                let pool = &mut pools[end.pd];
                if let Some(&(_, first, first_element)) = pool.iter().find(|(id, _, _)| *id == end.id) {
                    let kind = ErrorKind::DuplicateId {
                        id: u64::from(end.id),
                        first,
                        first_element,
                    };
                    return Err(self.end_error(end.pd, pos, kind));
                }
                pool.push((end.id, pos, "end"));
            }
            for (side, &pos) in positions.iter().enumerate() {
                let (caller, callee) = (&channel.ends[side], &channel.ends[1 - side]);
                let (from, to) = (&self.pds[caller.pd], &self.pds[callee.pd]);
                if caller.pp && from.priority >= to.priority {
                    let kind = ErrorKind::PpToLowerPriority {
                        caller: from.name.clone(),
                        caller_priority: from.priority,
                        callee: to.name.clone(),
                        callee_priority: to.priority,
                    };
                    return Err(self.end_error(caller.pd, pos, kind));
                }
            }
        }
        Ok(())
    }

    fn end_error(&self, pd: usize, position: Position, kind: ErrorKind) -> Error {
        Error::new(
            position,
            Some(Subject {
                element: "end".to_string(),
                context: Context::EndOf(self.pds[pd].name.clone()),
            }),
            kind,
        )
    }

    /// I/O port ids are unique per protection domain (their own pool); port
    /// ranges do not overlap anywhere in the system.
    fn check_io_ports(&self) -> Result<()> {
        let mut ranges: Vec<(usize, &IoPort, Position)> = Vec::new();
        for (pd, domain) in self.pds.iter().enumerate() {
            for (index, (port, &pos)) in domain.ioports.iter().zip(&self.pd_meta[pd].ioports).enumerate() {
                if let Some(first) = domain.ioports[..index].iter().position(|other| other.id == port.id) {
                    let first = self.pd_meta[pd].ioports[first];
                    let kind = ErrorKind::DuplicateIoPortId {
                        id: u64::from(port.id),
                        first,
                    };
                    return Err(self.in_pd_error(pd, "ioport", pos, kind));
                }
                let end = port.addr + port.size;
                if let Some(&(other_pd, other, first)) = ranges
                    .iter()
                    .find(|(_, other, _)| port.addr < other.addr + other.size && other.addr < end)
                {
                    let kind = ErrorKind::IoPortOverlap {
                        addr: port.addr,
                        size: port.size,
                        other_pd: self.pds[other_pd].name.clone(),
                        other_addr: other.addr,
                        other_size: other.size,
                        first,
                    };
                    return Err(self.in_pd_error(pd, "ioport", pos, kind));
                }
                ranges.push((pd, port, pos));
            }
        }
        Ok(())
    }

    /// Resolves each map's region, then checks alignment, the address-space
    /// limit and overlaps within the protection domain.
    fn resolve_maps(&mut self) -> Result<()> {
        for pd in 0..self.pds.len() {
            let limit = self.config.map_limit(self.pds[pd].stack_size);
            let mut placed: Vec<(usize, u64, u64, Position)> = Vec::new();
            for index in 0..self.pds[pd].maps.len() {
                let (pos, ref mr_name) = self.pd_meta[pd].maps[index];
                let Some(mr) = self.memory_regions.iter().position(|mr| mr.name == *mr_name) else {
                    let kind = ErrorKind::UnknownMemoryRegion { name: mr_name.clone() };
                    return Err(self.in_pd_error(pd, "map", pos, kind));
                };
                let region = &self.memory_regions[mr];
                let vaddr = self.pds[pd].maps[index].vaddr;
                let page_size = region.page_size_bytes();
                if !vaddr.is_multiple_of(page_size) {
                    let kind = ErrorKind::MisalignedMap {
                        mr: region.name.clone(),
                        vaddr,
                        page_size,
                    };
                    return Err(self.in_pd_error(pd, "map", pos, kind));
                }
                let size = region.size;
                if vaddr >= limit || vaddr.checked_add(size).is_none_or(|end| end > limit) {
                    let kind = ErrorKind::MapOutsideAddressSpace {
                        mr: region.name.clone(),
                        vaddr,
                        size,
                        limit,
                    };
                    return Err(self.in_pd_error(pd, "map", pos, kind));
                }
                if let Some(&(other, other_vaddr, other_size, first)) = placed
                    .iter()
                    .find(|(_, start, len, _)| vaddr < start + len && *start < vaddr + size)
                {
                    let kind = ErrorKind::MapOverlap {
                        mr: region.name.clone(),
                        vaddr,
                        size,
                        other_mr: self.memory_regions[other].name.clone(),
                        other_vaddr,
                        other_size,
                        first,
                    };
                    return Err(self.in_pd_error(pd, "map", pos, kind));
                }
                placed.push((mr, vaddr, size, pos));
                self.pds[pd].maps[index].mr = mr;
            }
        }
        Ok(())
    }

    fn check_phys_overlaps(&self) -> Result<()> {
        let mut placed: Vec<(usize, u64)> = Vec::new();
        for (index, mr) in self.memory_regions.iter().enumerate() {
            let Some(phys_addr) = mr.phys_addr else { continue };
            let end = phys_addr + mr.size;
            let clash = placed
                .iter()
                .find(|&&(other, start)| phys_addr < start + self.memory_regions[other].size && start < end);
            if let Some(&(other, other_phys_addr)) = clash {
                let kind = ErrorKind::PhysOverlap {
                    phys_addr,
                    size: mr.size,
                    other: self.memory_regions[other].name.clone(),
                    other_phys_addr,
                    other_size: self.memory_regions[other].size,
                    first: self.mr_meta[other],
                };
                return Err(self.mr_error(index, kind));
            }
            placed.push((index, phys_addr));
        }
        Ok(())
    }

    fn resolve_paddr_setvars(&mut self) -> Result<()> {
        for pd in 0..self.pds.len() {
            for index in 0..self.pds[pd].paddr_setvars.len() {
                let (pos, ref region) = self.pd_meta[pd].paddr_setvars[index];
                let Some(mr) = self.memory_regions.iter().position(|mr| mr.name == *region) else {
                    let kind = ErrorKind::UnknownMemoryRegion { name: region.clone() };
                    return Err(self.in_pd_error(pd, "setvar", pos, kind));
                };
                if self.memory_regions[mr].phys_addr.is_none() {
                    let kind = ErrorKind::SetvarPaddrWithoutPhysAddr { region: region.clone() };
                    return Err(self.in_pd_error(pd, "setvar", pos, kind));
                }
                self.pds[pd].paddr_setvars[index].mr = mr;
            }
        }
        Ok(())
    }
}

/// The context naming a `<protection_domain>` or `<memory_region>` by its
/// `name`, if it has one.
fn named(node: Node) -> Context {
    node.attribute("name")
        .map_or(Context::None, |name| Context::Named(name.to_string()))
}

fn unsupported(node: Node, context: Context, feature: &'static str) -> Error {
    Element::new(node, context).error(ErrorKind::Unsupported { feature })
}

fn map(e: &Element, pd: &str, meta: &mut PdMeta) -> Result<Map> {
    e.allow(&[
        "mr",
        "vaddr",
        "perms",
        "cached",
        "setvar_vaddr",
        "setvar_size",
        "setvar_prefill_size",
    ])?;
    let mr = e.required("mr")?;
    let vaddr = e.required_number("vaddr")?;
    let perms = match e.optional("perms") {
        None => Perms::READ_WRITE,
        Some(text) => {
            let mut perms = Perms {
                read: false,
                write: false,
                execute: false,
            };
            for c in text.chars() {
                match c {
                    'r' => perms.read = true,
                    'w' => perms.write = true,
                    'x' => perms.execute = true,
                    _ => {
                        return Err(e.attr_error(
                            "perms",
                            ErrorKind::BadPerms {
                                value: text.to_string(),
                            },
                        ))
                    }
                }
            }
            if text.is_empty() {
                return Err(e.attr_error("perms", ErrorKind::BadPerms { value: String::new() }));
            }
            if perms
                == (Perms {
                    read: false,
                    write: true,
                    execute: false,
                })
            {
                return Err(e.attr_error("perms", ErrorKind::WriteOnlyPerms));
            }
            perms
        }
    };
    let cached = e.boolean("cached", true)?;
    if e.has("setvar_prefill_size") {
        let kind = ErrorKind::Unsupported {
            feature: "prefilled memory regions",
        };
        return Err(e.attr_error("setvar_prefill_size", kind));
    }
    let setvar_vaddr = e.optional_string("setvar_vaddr");
    let setvar_size = e.optional_string("setvar_size");
    for (attribute, symbol) in [("setvar_vaddr", &setvar_vaddr), ("setvar_size", &setvar_size)] {
        if let Some(symbol) = symbol {
            add_symbol(meta, pd, symbol, e, attribute)?;
        }
    }
    meta.maps.push((e.pos(), mr.to_string()));
    // The region index is filled in once all regions are known.
    Ok(Map {
        mr: usize::MAX,
        vaddr,
        perms,
        cached,
        setvar_vaddr,
        setvar_size,
    })
}

fn trigger(e: &Element) -> Result<Trigger> {
    Ok(match e.choice("trigger", TRIGGERS, 0)? {
        0 => Trigger::Level,
        _ => Trigger::Edge,
    })
}

fn irq(e: &Element, pd: &str, meta: &mut PdMeta) -> Result<Irq> {
    // Which attribute is present decides the form, in the tool's order.
    let kind = if e.has("irq") {
        e.allow(&["irq", "id", "setvar_id", "trigger"])?;
        let irq = e.required_number("irq")?;
        IrqKind::Conventional {
            irq,
            trigger: trigger(e)?,
        }
    } else if e.has("pin") {
        e.allow(&["id", "setvar_id", "ioapic", "pin", "trigger", "polarity", "vector"])?;
        let ioapic = e.number("ioapic")?.unwrap_or(0);
        let pin = e.required_number("pin")?;
        let trigger = trigger(e)?;
        let polarity = match e.choice("polarity", POLARITIES, 0)? {
            0 => Polarity::High,
            _ => Polarity::Low,
        };
        // MAX_VECTOR < 256, so the cast keeps the value.
        let vector = e.ranged("vector", None, 0, MAX_VECTOR)? as u8;
        IrqKind::Ioapic {
            ioapic,
            pin,
            trigger,
            polarity,
            vector,
        }
    } else if e.has("pcidev") {
        e.allow(&["id", "setvar_id", "pcidev", "handle", "vector"])?;
        let text = e.required("pcidev")?;
        let pci = parse_pci(text).map_err(|problem| {
            e.attr_error(
                "pcidev",
                ErrorKind::BadPciAddress {
                    value: text.to_string(),
                    problem,
                },
            )
        })?;
        let handle = e.required_number("handle")?;
        let vector = e.ranged("vector", None, 0, MAX_VECTOR)? as u8;
        IrqKind::Msi { pci, handle, vector }
    } else {
        return Err(e.error(ErrorKind::IrqWithoutSource));
    };
    let id = e.id("id")?;
    let setvar_id = e.optional_string("setvar_id");
    if let Some(symbol) = &setvar_id {
        add_symbol(meta, pd, symbol, e, "setvar_id")?;
    }
    Ok(Irq { id, setvar_id, kind })
}

fn ioport(e: &Element, pd: &str, meta: &mut PdMeta) -> Result<IoPort> {
    e.allow(&["id", "setvar_id", "setvar_addr", "addr", "size"])?;
    let id = e.id("id")?;
    let addr = e.required_number("addr")?;
    let size = e.ranged("size", None, 1, IO_PORT_SPACE)?;
    if addr.checked_add(size).is_none_or(|end| end > IO_PORT_SPACE) {
        return Err(e.error(ErrorKind::IoPortBeyondSpace { addr, size }));
    }
    let setvar_id = e.optional_string("setvar_id");
    let setvar_addr = e.optional_string("setvar_addr");
    for (attribute, symbol) in [("setvar_id", &setvar_id), ("setvar_addr", &setvar_addr)] {
        if let Some(symbol) = symbol {
            add_symbol(meta, pd, symbol, e, attribute)?;
        }
    }
    Ok(IoPort {
        id,
        addr,
        size,
        setvar_id,
        setvar_addr,
    })
}
