//! Hand-written files the parser accepts, and what the model makes of them.

use sdf::*;

/// In the manner of Microkit's examples: a passive server called by a
/// client, a parent with children, an x86 I/O port, `<setvar>`, the
/// conventional IRQ form, defaults everywhere they apply.
const EXAMPLE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<!-- A comment before the root. -->
<system>
    <memory_region name="uart" size="0x1_000" phys_addr="0xfe00_0000" />
    <memory_region name="huge" size="0x400000" page_size="0x200000" />
    <memory_region name="spare" size="4096" />

    <protection_domain name="server" priority="200" passive="true" budget="100" period="1000">
        <program_image path="server.elf" path_for_symbols="server.debug.elf" />
        <map mr="uart" vaddr="0x2000000" perms="rw" cached="false" setvar_vaddr="uart_base" setvar_size="uart_size" />
        <setvar symbol="uart_paddr" region_paddr="uart" />
        <ioport id="0" addr="0x3f8" size="8" setvar_id="com1_id" setvar_addr="com1_addr" />
        <irq irq="33" id="3" trigger="edge" setvar_id="legacy_irq" />
    </protection_domain>

    <protection_domain name="client" priority="100" stack_size="0x4000" fpu="false">
        <program_image path="client.elf" />
        <map mr="huge" vaddr="0x40000000" perms="rx" />
        <map mr="huge" vaddr="0x40400000" />
    </protection_domain>

    <protection_domain name="parent" priority="50">
        <program_image path="parent.elf" />
        <!-- children are protection domains too -->
        <protection_domain name="left" id="0" priority="40" setvar_id="left_id">
            <program_image path="child.elf" />
            <protection_domain name="leaf" id="61" priority="30">
                <program_image path="child.elf" />
            </protection_domain>
        </protection_domain>
        <protection_domain name="right" id="1" priority="40" smc="false">
            <program_image path="child.elf" />
        </protection_domain>
    </protection_domain>

    <channel>
        <end pd="client" id="0" pp="true" notify="false" setvar_id="server_ch" />
        <end pd="server" id="0" />
    </channel>
    <channel>
        <end pd="leaf" id="7" />
        <end pd="parent" id="2" notify="false" />
    </channel>
</system>
"#;

#[test]
fn example_system() {
    let system = parse(EXAMPLE).unwrap();
    let names: Vec<&str> = system.protection_domains.iter().map(|pd| pd.name.as_str()).collect();
    assert_eq!(names, ["server", "client", "parent", "left", "leaf", "right"]);

    assert_eq!(
        system.memory_regions,
        [
            MemoryRegion {
                name: "uart".into(),
                size: 0x1000,
                page_size: None,
                phys_addr: Some(0xfe00_0000)
            },
            MemoryRegion {
                name: "huge".into(),
                size: 0x40_0000,
                page_size: Some(PageSize::Large),
                phys_addr: None
            },
            MemoryRegion {
                name: "spare".into(),
                size: 0x1000,
                page_size: None,
                phys_addr: None
            },
        ]
    );
    assert_eq!(system.unused_memory_regions().collect::<Vec<_>>(), [2]);

    let server = &system.protection_domains[0];
    assert_eq!(
        (
            server.priority,
            server.passive,
            server.budget,
            server.period,
            server.stack_size
        ),
        (200, true, 100, 1000, DEFAULT_STACK_SIZE)
    );
    assert_eq!(
        server.program_image,
        ProgramImage {
            path: "server.elf".into(),
            path_for_symbols: Some("server.debug.elf".into())
        }
    );
    assert_eq!(
        server.irqs[0].kind,
        IrqKind::Conventional {
            irq: 33,
            trigger: Trigger::Edge
        }
    );
    assert_eq!(
        server.paddr_setvars,
        [PaddrSetvar {
            symbol: "uart_paddr".into(),
            mr: 0
        }]
    );
    let symbols: Vec<(String, u64, SetvarSource)> = system
        .setvars(0)
        .into_iter()
        .map(|s| (s.symbol, s.value, s.source))
        .collect();
    let expected = [
        ("uart_base", 0x200_0000, SetvarSource::MapVaddr),
        ("uart_size", 0x1000, SetvarSource::MapSize),
        ("legacy_irq", 3, SetvarSource::IrqId),
        ("com1_id", 0, SetvarSource::IoPortId),
        ("com1_addr", 0x3f8, SetvarSource::IoPortAddr),
        ("uart_paddr", 0xfe00_0000, SetvarSource::RegionPaddr),
    ]
    .map(|(symbol, value, source)| (symbol.to_string(), value, source));
    assert_eq!(symbols, expected);
    // The I/O port id 0 and the channel id 0 live in different pools.
    assert_eq!(
        system.patch_masks(0),
        PatchMasks {
            irqs: 1 << 3,
            notifications: 1,
            pps: 0,
            ioports: 1
        }
    );
    assert!(system.needs_endpoint(0));

    let client = &system.protection_domains[1];
    assert_eq!((client.stack_size, client.fpu), (0x4000, false));
    assert_eq!(
        client.maps[0].perms,
        Perms {
            read: true,
            write: false,
            execute: true
        }
    );
    assert_eq!(client.maps[1].perms, Perms::READ_WRITE);
    assert!(client.maps[1].cached);
    assert_eq!(
        system.patch_masks(1),
        PatchMasks {
            irqs: 0,
            notifications: 0,
            pps: 1,
            ioports: 0
        }
    );
    assert_eq!(system.setvars(1)[0].symbol, "server_ch");

    // The tree: parent(2) -> left(3) -> leaf(4); parent -> right(5).
    assert_eq!(system.children(2).collect::<Vec<_>>(), [3, 5]);
    assert_eq!(system.children(3).collect::<Vec<_>>(), [4]);
    assert_eq!(
        system.protection_domains[4].parent.as_ref().map(|l| (l.pd, l.id)),
        Some((3, 61))
    );
    assert_eq!(
        system.setvars(2),
        [Setvar {
            symbol: "left_id".into(),
            value: 0,
            source: SetvarSource::ChildId
        }]
    );
    assert!(system.needs_endpoint(2) && system.needs_endpoint(3) && !system.needs_endpoint(4));

    let leaf_channels = system.channels_of(4);
    assert_eq!(
        leaf_channels,
        [PdChannel {
            channel: 1,
            id: 7,
            peer: 2,
            peer_id: 2,
            may_notify: true,
            may_call: false,
            notified_by_peer: false,
            called_by_peer: false
        }]
    );
    assert_eq!(system.patch_masks(2).notifications, 0);
}

#[test]
fn minimal_system_gets_every_default() {
    let system =
        parse("<system><protection_domain name=\"only\"><program_image path=\"x\"/></protection_domain></system>")
            .unwrap();
    assert_eq!(
        system.protection_domains,
        [ProtectionDomain {
            name: "only".into(),
            priority: 0,
            budget: DEFAULT_BUDGET,
            period: DEFAULT_BUDGET,
            passive: false,
            stack_size: DEFAULT_STACK_SIZE,
            cpu: 0,
            fpu: true,
            smc: false,
            program_image: ProgramImage {
                path: "x".into(),
                path_for_symbols: None
            },
            maps: vec![],
            irqs: vec![],
            ioports: vec![],
            paddr_setvars: vec![],
            parent: None,
        }]
    );
    assert!(system.channels.is_empty() && system.memory_regions.is_empty());
}

#[test]
fn ioapic_defaults() {
    let system = parse(
        "<system><protection_domain name=\"d\"><program_image path=\"x\"/>\
         <irq id=\"0\" pin=\"2\" vector=\"0x6b\"/></protection_domain></system>",
    )
    .unwrap();
    assert_eq!(
        system.protection_domains[0].irqs[0],
        Irq {
            id: 0,
            setvar_id: None,
            kind: IrqKind::Ioapic {
                ioapic: 0,
                pin: 2,
                trigger: Trigger::Level,
                polarity: Polarity::High,
                vector: 107
            }
        }
    );
    assert_eq!(system.protection_domains[0].irqs[0].kind.number(), 107);
}

#[test]
fn a_channel_may_declare_its_ends_before_the_protection_domains() {
    let system = parse(
        "<system>\n<channel><end pd=\"b\" id=\"1\"/><end pd=\"a\" id=\"2\" pp=\"true\"/></channel>\n\
         <protection_domain name=\"a\" priority=\"1\"><program_image path=\"a\"/></protection_domain>\n\
         <protection_domain name=\"b\" priority=\"2\"><program_image path=\"b\"/></protection_domain>\n</system>",
    )
    .unwrap();
    assert_eq!(system.channels[0].ends[0].pd, 1);
    assert_eq!(system.channels[0].ends[1].pd, 0);
    assert!(system.needs_endpoint(1) && !system.needs_endpoint(0));
}

#[test]
fn config_moves_the_map_limit() {
    let xml = "<system><memory_region name=\"m\" size=\"0x1000\"/><protection_domain name=\"a\">\
               <program_image path=\"a\"/><map mr=\"m\" vaddr=\"0xffff000\"/></protection_domain></system>";
    parse(xml).unwrap();
    // A 256 MiB address space with an 8 KiB stack leaves 0..0xfffc000.
    let small = Config {
        user_top: 0xfff_ffff,
        cpu_cores: 1,
    };
    assert_eq!(small.map_limit(DEFAULT_STACK_SIZE), 0xfff_c000);
    assert!(matches!(
        parse_with(xml, &small).unwrap_err().kind(),
        ErrorKind::MapOutsideAddressSpace { .. }
    ));
    assert_eq!(Config::default(), Config::X86_64);
}
