//! Files rendered by the real PyPI `sdfgen` 0.35.1 for x86_64
//! (`tests/fixtures/make_fixtures.py` writes them): they parse, and the model
//! says what the metaprogram asked for.

use sdf::*;

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.system", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn load(name: &str) -> System {
    parse(&fixture(name)).unwrap_or_else(|err| panic!("{name}.system: {err}"))
}

fn pd<'a>(system: &'a System, name: &str) -> (usize, &'a ProtectionDomain) {
    let index = system
        .pd_index(name)
        .unwrap_or_else(|| panic!("no protection domain '{name}'"));
    (index, &system.protection_domains[index])
}

fn mr_name(system: &System, map: &Map) -> String {
    system.memory_regions[map.mr].name.clone()
}

fn bits(ids: &[u8]) -> u64 {
    ids.iter().fold(0, |mask, id| mask | 1 << id)
}

/// What every accepted system satisfies, whatever wrote it.
fn check_invariants(system: &System) {
    for (index, domain) in system.protection_domains.iter().enumerate() {
        if let Some(link) = &domain.parent {
            assert!(link.pd < index, "a child comes after its parent");
        }
        let mut ids: Vec<u8> = domain.irqs.iter().map(|irq| irq.id).collect();
        ids.extend(system.channels_of(index).iter().map(|channel| channel.id));
        let count = ids.len();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), count, "ids of '{}' are unique", domain.name);
        for map in &domain.maps {
            assert!(map.mr < system.memory_regions.len());
        }
        for channel in system.channels_of(index) {
            if channel.may_call {
                assert!(system.protection_domains[channel.peer].priority > domain.priority);
            }
        }
    }
}

#[test]
fn serial_subsystem() {
    let system = load("serial");
    check_invariants(&system);
    assert_eq!(system.protection_domains.len(), 5);
    assert_eq!(system.memory_regions.len(), 12);
    assert_eq!(system.channels.len(), 6);

    let (driver_index, driver) = pd(&system, "serial_driver");
    assert_eq!(driver.priority, 200);
    assert_eq!(driver.program_image.path, "serial_driver.elf");
    assert_eq!(
        driver.ioports,
        vec![IoPort {
            id: 0,
            addr: 0x3f8,
            size: 8,
            setvar_id: None,
            setvar_addr: None
        }]
    );
    assert_eq!(
        driver.irqs,
        vec![Irq {
            id: 1,
            setvar_id: None,
            kind: IrqKind::Ioapic {
                ioapic: 0,
                pin: 4,
                trigger: Trigger::Edge,
                polarity: Polarity::High,
                vector: 36
            }
        }]
    );
    assert_eq!(driver.maps.len(), 4);
    assert_eq!(
        mr_name(&system, &driver.maps[0]),
        "generic/serial/queue/serial_driver/serial_virt_rx"
    );
    assert_eq!(driver.maps[0].vaddr, 0x2000_0000);
    assert_eq!(driver.maps[0].perms, Perms::READ_WRITE);
    assert!(driver.maps[0].cached);
    assert_eq!(
        system.patch_masks(driver_index),
        PatchMasks {
            irqs: bits(&[1]),
            notifications: bits(&[2, 3]),
            pps: 0,
            ioports: bits(&[0])
        }
    );

    let (client_index, client) = pd(&system, "client0");
    assert_eq!(client.priority, 1);
    assert_eq!(client.budget, DEFAULT_BUDGET);
    assert_eq!(client.period, DEFAULT_BUDGET);
    assert_eq!(client.stack_size, DEFAULT_STACK_SIZE);
    let (virt_rx, _) = pd(&system, "serial_virt_rx");
    let (virt_tx, _) = pd(&system, "serial_virt_tx");
    let channels = system.channels_of(client_index);
    assert_eq!(channels.len(), 2);
    assert_eq!((channels[0].id, channels[0].peer, channels[0].peer_id), (0, virt_rx, 1));
    assert_eq!((channels[1].id, channels[1].peer, channels[1].peer_id), (1, virt_tx, 1));
    assert!(channels
        .iter()
        .all(|c| c.may_notify && c.notified_by_peer && !c.may_call && !c.called_by_peer));
    assert!(system.setvars(client_index).is_empty());
    assert_eq!(system.unused_memory_regions().count(), 0);
}

#[test]
fn net_subsystem() {
    let system = load("net");
    check_invariants(&system);
    assert_eq!(system.protection_domains.len(), 7);
    assert_eq!(system.memory_regions.len(), 22);
    assert_eq!(system.channels.len(), 8);

    let (driver_index, driver) = pd(&system, "eth_driver");
    assert_eq!((driver.priority, driver.budget, driver.period), (110, 100, 400));
    assert_eq!(
        driver.irqs[0].kind,
        IrqKind::Msi {
            pci: PciAddress {
                bus: 0,
                device: 3,
                function: 0
            },
            handle: 0,
            vector: 50
        }
    );
    // sdfgen draws I/O port ids from the channel pool; Microkit keeps them apart.
    assert_eq!((driver.ioports[0].id, driver.ioports[0].addr), (1, 0xcf8));
    let masks = system.patch_masks(driver_index);
    assert_eq!(masks.irqs, bits(&[0]));
    assert_eq!(masks.notifications, bits(&[2, 3]));
    assert_eq!(masks.ioports, bits(&[1]));

    let (_, client) = pd(&system, "client0");
    assert_eq!((client.budget, client.period), (20_000, 20_000));

    let device_rx = system.memory_region_index("generic/net/rx/data/device").unwrap();
    assert_eq!(system.memory_regions[device_rx].size, 0x10_0000);
    assert_eq!(system.memory_regions[device_rx].phys_addr, Some(0xfff0_0000));
    let (_, virt_rx) = pd(&system, "net_virt_rx");
    let map = virt_rx.maps.iter().find(|m| m.mr == device_rx).unwrap();
    assert_eq!(
        map.perms,
        Perms {
            read: true,
            write: false,
            execute: false
        }
    );
    assert_eq!(map.vaddr, 0x2000_6000);

    let (copier_index, _) = pd(&system, "client0_net_copier");
    let (client_index, _) = pd(&system, "client0");
    let peers: Vec<usize> = system.channels_of(copier_index).iter().map(|c| c.peer).collect();
    assert_eq!(peers, vec![system.pd_index("net_virt_rx").unwrap(), client_index]);
}

#[test]
fn blk_subsystem() {
    let system = load("blk");
    check_invariants(&system);
    assert_eq!(system.protection_domains.len(), 4);
    let (_, driver) = pd(&system, "blk_driver");
    assert_eq!(driver.stack_size, 0x4000);
    assert_eq!(
        driver.irqs[0].kind,
        IrqKind::Msi {
            pci: PciAddress {
                bus: 0,
                device: 4,
                function: 0
            },
            handle: 1,
            vector: 51
        }
    );
    let (_, virt) = pd(&system, "blk_virt");
    assert_eq!(virt.maps.len(), 12);
    let data = virt
        .maps
        .iter()
        .find(|m| mr_name(&system, m) == "blk_client_client0_data")
        .unwrap();
    assert_eq!(data.vaddr, 0x2020_0000);
    assert_eq!(system.memory_regions[data.mr].size, 0x20_0000);
    assert_eq!(system.memory_regions[data.mr].phys_addr, Some(0xffdf_6000));
    // The virtualiser maps the driver's DMA region too; nothing is left over.
    let (virt_index, _) = pd(&system, "blk_virt");
    let dma = system.memory_region_index("blk_driver_data").unwrap();
    assert_eq!(system.memory_regions[dma].phys_addr, Some(0xffff_6000));
    assert!(system.protection_domains[virt_index].maps.iter().any(|m| m.mr == dma));
    assert_eq!(system.unused_memory_regions().count(), 0);
}

#[test]
fn timer_subsystem() {
    let system = load("timer");
    check_invariants(&system);
    let (driver_index, driver) = pd(&system, "timer_driver");
    assert!(driver.passive);
    assert_eq!(driver.priority, 254);
    assert_eq!(driver.maps[0].setvar_vaddr.as_deref(), Some("hpet_regs"));
    assert!(!driver.maps[0].cached);
    assert_eq!(system.memory_regions[driver.maps[0].mr].phys_addr, Some(0xfed0_0000));
    assert_eq!(
        driver.irqs[0].kind,
        IrqKind::Ioapic {
            ioapic: 0,
            pin: 2,
            trigger: Trigger::Edge,
            polarity: Polarity::High,
            vector: 107
        }
    );
    assert!(system.needs_endpoint(driver_index));
    assert_eq!(
        system.patch_masks(driver_index),
        PatchMasks {
            irqs: bits(&[0]),
            notifications: bits(&[1, 2, 3]),
            pps: 0,
            ioports: 0
        }
    );
    assert_eq!(
        system.setvars(driver_index),
        vec![Setvar {
            symbol: "hpet_regs".into(),
            value: 0x2000_0000,
            source: SetvarSource::MapVaddr
        }]
    );
    for client in ["client0", "client1", "client2"] {
        let (index, _) = pd(&system, client);
        let channels = system.channels_of(index);
        assert_eq!(channels.len(), 1);
        assert!(channels[0].may_call && !channels[0].may_notify && channels[0].notified_by_peer);
        assert_eq!(
            system.patch_masks(index),
            PatchMasks {
                irqs: 0,
                notifications: 0,
                pps: bits(&[0]),
                ioports: 0
            }
        );
        assert!(!system.needs_endpoint(index));
    }
}

#[test]
fn handmade_system() {
    let system = load("handmade");
    check_invariants(&system);
    let names: Vec<&str> = system.protection_domains.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["server", "client", "parent", "child", "grandchild"]);
    assert_eq!(
        system.memory_regions,
        vec![
            MemoryRegion {
                name: "shared/buffer".into(),
                size: 0x4000,
                page_size: None,
                phys_addr: None
            },
            MemoryRegion {
                name: "large".into(),
                size: 0x40_0000,
                page_size: None,
                phys_addr: None
            },
            MemoryRegion {
                name: "mmio".into(),
                size: 0x1000,
                page_size: None,
                phys_addr: Some(0xfe00_0000)
            },
        ]
    );

    let (server_index, server) = pd(&system, "server");
    assert_eq!(
        (
            server.priority,
            server.budget,
            server.period,
            server.passive,
            server.stack_size,
            server.cpu
        ),
        (150, 500, 1000, true, 0x10000, 0)
    );
    assert!(server.fpu && !server.smc);
    assert_eq!(
        server.maps[1],
        Map {
            mr: 2,
            vaddr: 0x4000_0000,
            perms: Perms::READ_WRITE,
            cached: false,
            setvar_vaddr: Some("mmio_vaddr".into()),
            setvar_size: None
        }
    );
    assert_eq!(
        server.irqs,
        vec![
            Irq {
                id: 10,
                setvar_id: Some("acpi_irq".into()),
                kind: IrqKind::Ioapic {
                    ioapic: 0,
                    pin: 9,
                    trigger: Trigger::Level,
                    polarity: Polarity::Low,
                    vector: 40
                }
            },
            Irq {
                id: 11,
                setvar_id: None,
                kind: IrqKind::Ioapic {
                    ioapic: 1,
                    pin: 3,
                    trigger: Trigger::Level,
                    polarity: Polarity::High,
                    vector: 41
                }
            },
            Irq {
                id: 12,
                setvar_id: Some("msi_irq".into()),
                kind: IrqKind::Msi {
                    pci: PciAddress {
                        bus: 1,
                        device: 5,
                        function: 7
                    },
                    handle: 3,
                    vector: 42
                }
            },
        ]
    );
    let ports: Vec<(u8, u64, u64)> = server.ioports.iter().map(|p| (p.id, p.addr, p.size)).collect();
    assert_eq!(ports, [(20, 0x60, 1), (0, 0x64, 1)]);
    assert_eq!(
        system.patch_masks(server_index),
        PatchMasks {
            irqs: bits(&[10, 11, 12]),
            // The channel to the client has notify="false" on the server's end.
            notifications: bits(&[1]),
            pps: 0,
            ioports: bits(&[0, 20])
        }
    );
    let setvars: Vec<(String, u64, SetvarSource)> = system
        .setvars(server_index)
        .into_iter()
        .map(|s| (s.symbol, s.value, s.source))
        .collect();
    let expected = [
        ("shared_vaddr", 0x3000_0000, SetvarSource::MapVaddr),
        ("shared_size", 0x4000, SetvarSource::MapSize),
        ("mmio_vaddr", 0x4000_0000, SetvarSource::MapVaddr),
        ("acpi_irq", 10, SetvarSource::IrqId),
        ("msi_irq", 12, SetvarSource::IrqId),
    ]
    .map(|(symbol, value, source)| (symbol.to_string(), value, source));
    assert_eq!(setvars, expected);
    assert!(system.needs_endpoint(server_index));

    let (client_index, client) = pd(&system, "client");
    assert_eq!(
        client.maps[0].perms,
        Perms {
            read: true,
            write: false,
            execute: false
        }
    );
    assert_eq!(
        client.maps[1].perms,
        Perms {
            read: true,
            write: true,
            execute: true
        }
    );
    let channels = system.channels_of(client_index);
    assert_eq!(
        channels[0],
        PdChannel {
            channel: 0,
            id: 3,
            peer: server_index,
            peer_id: 4,
            may_notify: true,
            may_call: true,
            notified_by_peer: false,
            called_by_peer: false
        }
    );
    assert_eq!(
        system.patch_masks(client_index),
        PatchMasks {
            irqs: 0,
            notifications: bits(&[0, 3]),
            pps: bits(&[3]),
            ioports: 0
        }
    );
    let symbols: Vec<(String, u64)> = system
        .setvars(client_index)
        .into_iter()
        .map(|s| (s.symbol, s.value))
        .collect();
    assert_eq!(symbols, [("shared_vaddr".into(), 0x1000_0000), ("server_ch".into(), 3)]);
    assert!(!system.needs_endpoint(client_index));

    let (parent_index, _) = pd(&system, "parent");
    let (child_index, child) = pd(&system, "child");
    let (grandchild_index, grandchild) = pd(&system, "grandchild");
    assert_eq!(
        child.parent,
        Some(ParentLink {
            pd: parent_index,
            id: 1,
            setvar_id: None
        })
    );
    assert_eq!(
        grandchild.parent,
        Some(ParentLink {
            pd: child_index,
            id: 5,
            setvar_id: None
        })
    );
    assert_eq!(system.children(parent_index).collect::<Vec<_>>(), [child_index]);
    assert_eq!(system.children(child_index).collect::<Vec<_>>(), [grandchild_index]);
    assert!(system.needs_endpoint(parent_index) && system.needs_endpoint(child_index));
    assert_eq!(
        system.patch_masks(grandchild_index),
        PatchMasks {
            irqs: bits(&[0]),
            notifications: bits(&[1]),
            pps: bits(&[1]),
            ioports: 0
        }
    );
    assert_eq!(
        system.patch_masks(child_index),
        PatchMasks {
            irqs: 0,
            notifications: 0,
            pps: 0,
            ioports: 0
        }
    );
}

/// sdfgen writes the parts of `pcidev` in decimal; Microkit (and this crate)
/// read them as hexadecimal, so device 0x1f comes out as 0x31 and is refused.
#[test]
fn sdfgen_decimal_pcidev_is_refused_like_microkit_does() {
    let err = parse(&fixture("msi_decimal_pcidev")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 5, column 14: <irq> in protection domain 'driver': attribute 'pcidev': '0:31.0' has a device \
         that is not a hexadecimal number in 0..=1f"
    );
}

/// sdfgen renders `pp_b=False` as `pp="true"`: here the parent would call its
/// lower-priority child.
#[test]
fn sdfgen_pp_false_quirk_is_caught() {
    let err = parse(&fixture("pp_false_quirk")).unwrap_err();
    assert_eq!(
        err.to_string(),
        "line 11, column 9: <end> for protection domain 'parent': 'parent' (priority 90) may not call 'child' \
         (priority 80): protected procedure calls go to a strictly higher priority"
    );
}
