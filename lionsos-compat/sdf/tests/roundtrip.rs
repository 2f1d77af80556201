//! Property tests: random valid systems survive render → parse unchanged;
//! random damage to a valid file is refused (or at least never panics).
//!
//! The generator draws raw numbers, and `build` turns them into a system that
//! satisfies every rule by construction (unique names and ids, aligned and
//! disjoint maps, calls only upwards, ...). `render` is a small SDF writer
//! with a few style switches (hex or decimal, defaults written or left out,
//! document order) so the parser sees the same system written differently.

use proptest::prelude::*;
use proptest::sample::Index;
use sdf::*;

// ---------------------------------------------------------------- generator

#[derive(Clone, Debug)]
struct MrDraw {
    pages: u64,
    large: bool,
    explicit_small: bool,
    phys: bool,
}

#[derive(Clone, Debug)]
struct PdDraw {
    parent: Option<Index>,
    priority: u8,
    budget: Option<u64>,
    extra_period: Option<u64>,
    passive: bool,
    stack_pages: u64,
    fpu: bool,
    smc: bool,
    symbols_image: bool,
    maps: Vec<(Index, u8, bool, bool, bool)>,
    irqs: Vec<(u8, u64, u64, u8, u8, bool)>,
    ioports: Vec<(u64, bool, bool)>,
    paddr_setvars: Vec<Index>,
    id_seed: u8,
    port_seed: u8,
}

#[derive(Clone, Debug)]
struct ChannelDraw {
    a: Index,
    b: Index,
    notify: (bool, bool),
    pp: u8,
    setvar: (bool, bool),
}

#[derive(Clone, Copy, Debug)]
struct Style {
    hex: bool,
    omit_defaults: bool,
    regions_last: bool,
    channels_first: bool,
}

fn mr_draw() -> impl Strategy<Value = MrDraw> {
    (1u64..4, any::<bool>(), any::<bool>(), any::<bool>()).prop_map(|(pages, large, explicit_small, phys)| MrDraw {
        pages,
        large,
        explicit_small,
        phys,
    })
}

fn pd_draw() -> impl Strategy<Value = PdDraw> {
    let scheduling = (
        proptest::option::of(any::<Index>()),
        0u8..=254,
        proptest::option::of(1u64..5000),
        proptest::option::of(0u64..5000),
        any::<bool>(),
        1u64..8,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    );
    let parts = (
        prop::collection::vec(
            (any::<Index>(), 0u8..6, any::<bool>(), any::<bool>(), any::<bool>()),
            0..4,
        ),
        prop::collection::vec((0u8..3, 0u64..24, 0u64..4, 0u8..32, 0u8..8, any::<bool>()), 0..3),
        prop::collection::vec((1u64..16, any::<bool>(), any::<bool>()), 0..3),
        prop::collection::vec(any::<Index>(), 0..2),
        any::<u8>(),
        any::<u8>(),
    );
    (scheduling, parts).prop_map(
        |(
            (parent, priority, budget, extra_period, passive, stack_pages, fpu, smc, symbols_image),
            (maps, irqs, ioports, paddr_setvars, id_seed, port_seed),
        )| PdDraw {
            parent,
            priority,
            budget,
            extra_period,
            passive,
            stack_pages,
            fpu,
            smc,
            symbols_image,
            maps,
            irqs,
            ioports,
            paddr_setvars,
            id_seed,
            port_seed,
        },
    )
}

fn channel_draw() -> impl Strategy<Value = ChannelDraw> {
    (
        any::<Index>(),
        any::<Index>(),
        (any::<bool>(), any::<bool>()),
        0u8..3,
        (any::<bool>(), any::<bool>()),
    )
        .prop_map(|(a, b, notify, pp, setvar)| ChannelDraw {
            a,
            b,
            notify,
            pp,
            setvar,
        })
}

fn style() -> impl Strategy<Value = Style> {
    (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()).prop_map(
        |(hex, omit_defaults, regions_last, channels_first)| Style {
            hex,
            omit_defaults,
            regions_last,
            channels_first,
        },
    )
}

/// Perms without the empty and the write-only combination.
const PERMS: [Perms; 6] = [
    Perms {
        read: true,
        write: false,
        execute: false,
    },
    Perms {
        read: true,
        write: true,
        execute: false,
    },
    Perms {
        read: true,
        write: false,
        execute: true,
    },
    Perms {
        read: true,
        write: true,
        execute: true,
    },
    Perms {
        read: false,
        write: false,
        execute: true,
    },
    Perms {
        read: false,
        write: true,
        execute: true,
    },
];

/// Ids handed out in a scrambled but collision-free order: k * 7 mod 62
/// visits every id once since 7 and 62 are coprime.
struct IdPool {
    seed: u64,
    next: u64,
}

impl IdPool {
    fn new(seed: u8) -> Self {
        IdPool {
            seed: u64::from(seed),
            next: 0,
        }
    }
    fn take(&mut self) -> u8 {
        let id = (self.seed + self.next * 7) % 62;
        self.next += 1;
        id as u8
    }
}

fn build(mr_draws: &[MrDraw], pd_draws: &[PdDraw], channel_draws: &[ChannelDraw]) -> System {
    let mut symbols = 0;
    let mut symbol = |wanted: bool| {
        wanted.then(|| {
            symbols += 1;
            format!("sym{symbols}")
        })
    };

    // Memory regions: fixed physical ranges 16 MiB apart.
    let memory_regions: Vec<MemoryRegion> = mr_draws
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let page_size = if d.large {
                Some(PageSize::Large)
            } else if d.explicit_small {
                Some(PageSize::Small)
            } else {
                None
            };
            MemoryRegion {
                name: format!("region{i}/data"),
                size: d.pages * page_size.unwrap_or(PageSize::Small).bytes(),
                page_size,
                phys_addr: d.phys.then(|| 0x1_0000_0000 + i as u64 * 0x100_0000),
            }
        })
        .collect();

    // The tree: each draw may hang under an earlier one; the model lists it
    // depth first.
    let parent_of: Vec<Option<usize>> = pd_draws
        .iter()
        .enumerate()
        .map(|(i, d)| if i == 0 { None } else { d.parent.map(|p| p.index(i)) })
        .collect();
    fn visit(node: usize, parent_of: &[Option<usize>], order: &mut Vec<usize>) {
        order.push(node);
        for child in (0..parent_of.len()).filter(|&c| parent_of[c] == Some(node)) {
            visit(child, parent_of, order);
        }
    }
    let mut order = Vec::new();
    for root in (0..pd_draws.len()).filter(|&i| parent_of[i].is_none()) {
        visit(root, &parent_of, &mut order);
    }
    let model_index = |draw: usize| order.iter().position(|&d| d == draw).unwrap();

    let mut vector = 0;
    let mut port_cursor = 0x100;
    let mut pools: Vec<IdPool> = Vec::new();
    let mut child_counters = vec![0u8; pd_draws.len()];
    let mut pds = Vec::new();
    for &draw_index in &order {
        let d = &pd_draws[draw_index];
        let mut maps = Vec::new();
        let mut cursor = 0x1000_0000u64;
        for &(mr, perms, cached, setvar_vaddr, setvar_size) in &d.maps {
            if memory_regions.is_empty() {
                break;
            }
            let mr = mr.index(memory_regions.len());
            let region = &memory_regions[mr];
            let page = region.page_size_bytes();
            let vaddr = cursor.div_ceil(page) * page;
            cursor = vaddr + region.size + 0x1000;
            maps.push(Map {
                mr,
                vaddr,
                perms: PERMS[usize::from(perms)],
                cached,
                setvar_vaddr: symbol(setvar_vaddr),
                setvar_size: symbol(setvar_size),
            });
        }
        let mut pool = IdPool::new(d.id_seed);
        let irqs = d
            .irqs
            .iter()
            .map(|&(form, pin, ioapic, device, function, edge)| {
                let number = vector;
                vector += 1;
                let trigger = if edge { Trigger::Edge } else { Trigger::Level };
                let kind = match form {
                    0 => IrqKind::Conventional { irq: number, trigger },
                    1 => IrqKind::Ioapic {
                        ioapic,
                        pin,
                        trigger,
                        polarity: if edge { Polarity::Low } else { Polarity::High },
                        vector: number as u8,
                    },
                    _ => IrqKind::Msi {
                        pci: PciAddress {
                            bus: device.wrapping_mul(9),
                            device,
                            function,
                        },
                        handle: pin,
                        vector: number as u8,
                    },
                };
                Irq {
                    id: pool.take(),
                    setvar_id: symbol(edge),
                    kind,
                }
            })
            .collect();
        pools.push(pool);
        let mut port_ids = IdPool::new(d.port_seed);
        let ioports = d
            .ioports
            .iter()
            .map(|&(size, setvar_id, setvar_addr)| {
                let addr = port_cursor;
                port_cursor += size + 1;
                IoPort {
                    id: port_ids.take(),
                    addr,
                    size,
                    setvar_id: symbol(setvar_id),
                    setvar_addr: symbol(setvar_addr),
                }
            })
            .collect();
        let with_phys: Vec<usize> = (0..memory_regions.len())
            .filter(|&mr| memory_regions[mr].phys_addr.is_some())
            .collect();
        let paddr_setvars = if with_phys.is_empty() {
            Vec::new()
        } else {
            d.paddr_setvars
                .iter()
                .map(|i| PaddrSetvar {
                    symbol: symbol(true).unwrap(),
                    mr: with_phys[i.index(with_phys.len())],
                })
                .collect()
        };
        let parent = parent_of[draw_index].map(|p| {
            let id = child_counters[p];
            child_counters[p] += 1;
            ParentLink {
                pd: model_index(p),
                id,
                setvar_id: symbol(d.passive),
            }
        });
        let budget = d.budget.unwrap_or(DEFAULT_BUDGET);
        pds.push(ProtectionDomain {
            name: format!("pd{draw_index}"),
            priority: d.priority,
            budget,
            period: budget + d.extra_period.unwrap_or(0),
            passive: d.passive,
            stack_size: d.stack_pages * 0x1000,
            cpu: 0,
            fpu: d.fpu,
            smc: d.smc,
            program_image: ProgramImage {
                path: format!("images/pd{draw_index}.elf"),
                path_for_symbols: d.symbols_image.then(|| format!("pd{draw_index}.debug")),
            },
            maps,
            irqs,
            ioports,
            paddr_setvars,
            parent,
        });
    }

    let channels = channel_draws
        .iter()
        .map(|c| {
            let (a, b) = (c.a.index(pds.len()), c.b.index(pds.len()));
            let (pa, pb) = (pds[a].priority, pds[b].priority);
            let (pp_a, pp_b) = match c.pp {
                1 if pa < pb => (true, false),
                2 if pb < pa => (false, true),
                _ => (false, false),
            };
            let id_a = pools[a].take();
            let id_b = pools[b].take();
            Channel {
                ends: [
                    ChannelEnd {
                        pd: a,
                        id: id_a,
                        notify: c.notify.0,
                        pp: pp_a,
                        setvar_id: symbol(c.setvar.0),
                    },
                    ChannelEnd {
                        pd: b,
                        id: id_b,
                        notify: c.notify.1,
                        pp: pp_b,
                        setvar_id: symbol(c.setvar.1),
                    },
                ],
            }
        })
        .collect();

    System {
        memory_regions,
        protection_domains: pds,
        channels,
    }
}

fn system() -> impl Strategy<Value = (System, Style)> {
    (
        prop::collection::vec(mr_draw(), 0..5),
        prop::collection::vec(pd_draw(), 1..8),
        prop::collection::vec(channel_draw(), 0..8),
        style(),
    )
        .prop_map(|(mrs, pds, channels, style)| (build(&mrs, &pds, &channels), style))
}

// ----------------------------------------------------------------- renderer

struct Writer {
    out: String,
    style: Style,
}

impl Writer {
    fn num(&self, value: u64) -> String {
        if self.style.hex {
            format!("{value:#x}")
        } else {
            value.to_string()
        }
    }

    /// ` name="value"`, unless the style leaves defaults out and it is one.
    fn attr(&mut self, name: &str, value: &str, default: Option<&str>) {
        if self.style.omit_defaults && default == Some(value) {
            return;
        }
        self.out.push_str(&format!(" {name}=\"{value}\""));
    }

    fn number(&mut self, name: &str, value: u64, default: Option<u64>) {
        if self.style.omit_defaults && default == Some(value) {
            return;
        }
        let text = self.num(value);
        self.attr(name, &text, None);
    }

    fn flag(&mut self, name: &str, value: bool, default: bool) {
        if self.style.omit_defaults && value == default {
            return;
        }
        self.attr(name, if value { "true" } else { "false" }, None);
    }

    fn symbol(&mut self, name: &str, symbol: &Option<String>) {
        if let Some(symbol) = symbol {
            self.attr(name, symbol, None);
        }
    }
}

fn perms_text(perms: Perms) -> String {
    let mut text = String::new();
    for (on, letter) in [(perms.read, 'r'), (perms.write, 'w'), (perms.execute, 'x')] {
        if on {
            text.push(letter);
        }
    }
    text
}

fn trigger_text(trigger: Trigger) -> &'static str {
    match trigger {
        Trigger::Level => "level",
        Trigger::Edge => "edge",
    }
}

fn render_pd(w: &mut Writer, system: &System, index: usize, depth: usize) {
    let pd = &system.protection_domains[index];
    let indent = "    ".repeat(depth);
    w.out.push_str(&format!("{indent}<protection_domain"));
    w.attr("name", &pd.name, None);
    if let Some(link) = &pd.parent {
        w.number("id", u64::from(link.id), None);
        w.symbol("setvar_id", &link.setvar_id);
    }
    w.number("priority", u64::from(pd.priority), Some(0));
    w.number("budget", pd.budget, Some(DEFAULT_BUDGET));
    w.number("period", pd.period, Some(pd.budget));
    w.flag("passive", pd.passive, false);
    w.number("stack_size", pd.stack_size, Some(DEFAULT_STACK_SIZE));
    w.number("cpu", u64::from(pd.cpu), Some(0));
    w.flag("fpu", pd.fpu, true);
    w.flag("smc", pd.smc, false);
    w.out.push_str(">\n");

    w.out.push_str(&format!("{indent}    <program_image"));
    w.attr("path", &pd.program_image.path, None);
    if let Some(path) = &pd.program_image.path_for_symbols {
        w.attr("path_for_symbols", path, None);
    }
    w.out.push_str(" />\n");
    for map in &pd.maps {
        w.out.push_str(&format!("{indent}    <map"));
        w.attr("mr", &system.memory_regions[map.mr].name, None);
        w.number("vaddr", map.vaddr, None);
        w.attr("perms", &perms_text(map.perms), Some("rw"));
        w.flag("cached", map.cached, true);
        w.symbol("setvar_vaddr", &map.setvar_vaddr);
        w.symbol("setvar_size", &map.setvar_size);
        w.out.push_str(" />\n");
    }
    for irq in &pd.irqs {
        w.out.push_str(&format!("{indent}    <irq"));
        w.number("id", u64::from(irq.id), None);
        match irq.kind {
            IrqKind::Conventional { irq, trigger } => {
                w.number("irq", irq, None);
                w.attr("trigger", trigger_text(trigger), Some("level"));
            }
            IrqKind::Ioapic {
                ioapic,
                pin,
                trigger,
                polarity,
                vector,
            } => {
                w.number("pin", pin, None);
                w.number("vector", u64::from(vector), None);
                w.number("ioapic", ioapic, Some(0));
                w.attr("trigger", trigger_text(trigger), Some("level"));
                let polarity = if polarity == Polarity::High { "high" } else { "low" };
                w.attr("polarity", polarity, Some("high"));
            }
            IrqKind::Msi { pci, handle, vector } => {
                let pcidev = format!("{:x}:{:x}.{:x}", pci.bus, pci.device, pci.function);
                w.attr("pcidev", &pcidev, None);
                w.number("handle", handle, None);
                w.number("vector", u64::from(vector), None);
            }
        }
        w.symbol("setvar_id", &irq.setvar_id);
        w.out.push_str(" />\n");
    }
    for port in &pd.ioports {
        w.out.push_str(&format!("{indent}    <ioport"));
        w.number("id", u64::from(port.id), None);
        w.number("addr", port.addr, None);
        w.number("size", port.size, None);
        w.symbol("setvar_id", &port.setvar_id);
        w.symbol("setvar_addr", &port.setvar_addr);
        w.out.push_str(" />\n");
    }
    for setvar in &pd.paddr_setvars {
        w.out.push_str(&format!("{indent}    <setvar"));
        w.attr("symbol", &setvar.symbol, None);
        w.attr("region_paddr", &system.memory_regions[setvar.mr].name, None);
        w.out.push_str(" />\n");
    }
    for child in system.children(index).collect::<Vec<_>>() {
        render_pd(w, system, child, depth + 1);
    }
    w.out.push_str(&format!("{indent}</protection_domain>\n"));
}

fn render(system: &System, style: Style) -> String {
    let mut w = Writer {
        out: String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<system>\n"),
        style,
    };
    let regions = |w: &mut Writer| {
        for mr in &system.memory_regions {
            w.out.push_str("    <memory_region");
            w.attr("name", &mr.name, None);
            w.number("size", mr.size, None);
            if let Some(page_size) = mr.page_size {
                w.number("page_size", page_size.bytes(), None);
            }
            if let Some(phys_addr) = mr.phys_addr {
                w.number("phys_addr", phys_addr, None);
            }
            w.out.push_str(" />\n");
        }
    };
    let channels = |w: &mut Writer| {
        for channel in &system.channels {
            w.out.push_str("    <channel>\n");
            for end in &channel.ends {
                w.out.push_str("        <end");
                w.attr("pd", &system.protection_domains[end.pd].name, None);
                w.number("id", u64::from(end.id), None);
                w.flag("notify", end.notify, true);
                w.flag("pp", end.pp, false);
                w.symbol("setvar_id", &end.setvar_id);
                w.out.push_str(" />\n");
            }
            w.out.push_str("    </channel>\n");
        }
    };
    if style.channels_first {
        channels(&mut w);
    }
    if !style.regions_last {
        regions(&mut w);
    }
    for (index, pd) in system.protection_domains.iter().enumerate() {
        if pd.parent.is_none() {
            render_pd(&mut w, system, index, 1);
        }
    }
    if style.regions_last {
        regions(&mut w);
    }
    if !style.channels_first {
        channels(&mut w);
    }
    w.out.push_str("</system>\n");
    w.out
}

// --------------------------------------------------------------- properties

/// Protected procedure calls form no cycle (they go strictly upwards in
/// priority, so this must hold for every accepted system).
fn ppc_graph_is_acyclic(system: &System) -> bool {
    let n = system.protection_domains.len();
    let mut callees = vec![Vec::new(); n];
    for channel in &system.channels {
        for side in 0..2 {
            if channel.ends[side].pp {
                callees[channel.ends[side].pd].push(channel.ends[1 - side].pd);
            }
        }
    }
    // Kahn's algorithm: every node gets removed iff there is no cycle.
    let mut incoming = vec![0; n];
    for list in &callees {
        for &to in list {
            incoming[to] += 1;
        }
    }
    let mut ready: Vec<usize> = (0..n).filter(|&v| incoming[v] == 0).collect();
    let mut removed = 0;
    while let Some(v) = ready.pop() {
        removed += 1;
        for &to in &callees[v] {
            incoming[to] -= 1;
            if incoming[to] == 0 {
                ready.push(to);
            }
        }
    }
    removed == n
}

const REQUIRED: &[&str] = &[
    "name",
    "size",
    "path",
    "mr",
    "vaddr",
    "id",
    "vector",
    "handle",
    "addr",
    "symbol",
    "region_paddr",
    "pd",
];
const NUMERIC: &[&str] = &[
    "size",
    "page_size",
    "phys_addr",
    "vaddr",
    "priority",
    "budget",
    "period",
    "stack_size",
    "cpu",
    "id",
    "pin",
    "vector",
    "ioapic",
    "handle",
    "addr",
    "irq",
];
const NOT_NUMBERS: &[&str] = &[
    "",
    "0x",
    "zz",
    "-1",
    "1.5",
    "0xg",
    "99999999999999999999999",
    "1 2",
    "0b101",
    "+",
];

/// The byte ranges of the values of every ` NAME="..."` in `xml` whose NAME
/// is in `names`, with the range of the whole attribute.
fn attribute_spans(xml: &str, names: &[&str]) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    let mut spans = Vec::new();
    for name in names {
        let needle = format!(" {name}=\"");
        for (start, _) in xml.match_indices(&needle) {
            let value_start = start + needle.len();
            let value_end = value_start + xml[value_start..].find('"').unwrap();
            spans.push((start..value_end + 1, value_start..value_end));
        }
    }
    spans.sort_by_key(|(whole, _)| whole.start);
    spans
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn valid_systems_round_trip((system, style) in system()) {
        let xml = render(&system, style);
        let parsed = parse(&xml).map_err(|err| TestCaseError::fail(format!("{err}\n{xml}")))?;
        prop_assert_eq!(&parsed, &system, "{}", xml);
        prop_assert!(ppc_graph_is_acyclic(&parsed));
        for pd in 0..parsed.protection_domains.len() {
            let masks = parsed.patch_masks(pd);
            let irq_bits = parsed.protection_domains[pd].irqs.iter().fold(0u64, |m, irq| m | 1 << irq.id);
            prop_assert_eq!(masks.irqs, irq_bits);
            // Notification and call bits only on ids the protection domain has.
            let own: u64 = parsed.channels_of(pd).iter().fold(0, |m, c| m | 1 << c.id);
            prop_assert_eq!(masks.notifications & !own, 0);
            prop_assert_eq!(masks.pps & !own, 0);
            prop_assert_eq!(masks.irqs & own, 0);
        }
    }

    #[test]
    fn dropping_a_required_attribute_is_refused((system, style) in system(), pick in any::<Index>()) {
        let xml = render(&system, style);
        let spans = attribute_spans(&xml, REQUIRED);
        let (whole, _) = spans[pick.index(spans.len())].clone();
        let damaged = format!("{}{}", &xml[..whole.start], &xml[whole.end..]);
        prop_assert!(parse(&damaged).is_err(), "accepted:\n{}", damaged);
    }

    #[test]
    fn a_bad_number_is_refused((system, style) in system(), pick in any::<Index>(), bad in prop::sample::select(NOT_NUMBERS)) {
        let xml = render(&system, Style { omit_defaults: false, ..style });
        let spans = attribute_spans(&xml, NUMERIC);
        let (_, value) = spans[pick.index(spans.len())].clone();
        let damaged = format!("{}{}{}", &xml[..value.start], bad, &xml[value.end..]);
        prop_assert!(parse(&damaged).is_err(), "accepted:\n{}", damaged);
    }

    #[test]
    fn random_damage_never_panics(
        (system, style) in system(),
        edits in prop::collection::vec((any::<Index>(), 0u8..3, prop::sample::select(&['<', '>', '"', '/', '=', 'x', '0', ' ', '\n', '&'][..])), 1..6),
    ) {
        let mut xml: Vec<char> = render(&system, style).chars().collect();
        for (at, action, c) in edits {
            let at = at.index(xml.len().max(1));
            match action {
                0 if !xml.is_empty() => { xml.remove(at.min(xml.len() - 1)); }
                1 => xml.insert(at, c),
                _ if !xml.is_empty() => { let last = xml.len() - 1; xml[at.min(last)] = c; }
                _ => {}
            }
        }
        let text: String = xml.into_iter().collect();
        // Either verdict is fine; reaching it without a panic is the property.
        let _ = parse(&text);
    }
}
