//! One test per error kind (several cases where one kind covers several
//! rules): the exact message, the exact position, and the kind.
//!
//! Positions are not typed in by hand: `at(xml, needle)` finds the text the
//! error must point at (an element's `<` or an attribute's name) and turns its
//! offset into "line L, column C" independently of roxmltree.

use sdf::*;

/// "line L, column C" of the `n`th (0-based) occurrence of `needle`.
fn at_nth(xml: &str, needle: &str, n: usize) -> String {
    let (offset, _) = xml
        .match_indices(needle)
        .nth(n)
        .unwrap_or_else(|| panic!("'{needle}' occurs fewer than {} times", n + 1));
    let before = &xml[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() + 1;
    format!("line {line}, column {column}")
}

fn at(xml: &str, needle: &str) -> String {
    at_nth(xml, needle, 0)
}

/// Asserts the whole message and returns the kind for a `matches!`.
fn refused(xml: &str, expected: String) -> ErrorKind {
    let err = parse(xml).expect_err("the parser accepted it");
    assert_eq!(err.to_string(), expected);
    err.kind().clone()
}

/// A system with one protection domain 'a' whose body is `body`.
fn one_pd(body: &str) -> String {
    format!(
        "<system>\n    <memory_region name=\"buf\" size=\"0x1000\" />\n    <protection_domain name=\"a\" priority=\"10\">\n        <program_image path=\"a.elf\" />\n{body}    </protection_domain>\n</system>\n"
    )
}

#[test]
fn not_well_formed_xml() {
    let xml = "<system>\n    <protection_domain name=\"a\">\n</system>\n";
    let kind = refused(
        xml,
        format!(
            "{}: not well-formed XML: expected 'protection_domain' tag, not 'system'",
            at(xml, "</system>")
        ),
    );
    assert!(matches!(kind, ErrorKind::Xml(_)));

    let xml = "<system a=\"1\" a=\"2\"/>";
    refused(
        xml,
        format!(
            "{}: not well-formed XML: attribute 'a' is already defined",
            at_nth(xml, "a=", 1)
        ),
    );
}

#[test]
fn root_must_be_system() {
    let xml = "<?xml version=\"1.0\"?>\n<systems>\n</systems>\n";
    let kind = refused(
        xml,
        format!("{}: <systems>: the root element must be <system>", at(xml, "<systems>")),
    );
    assert_eq!(kind, ErrorKind::RootNotSystem);
}

#[test]
fn text_outside_attributes() {
    let xml = one_pd("        hello world\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <protection_domain>: unexpected text 'hello world' (only elements and comments belong here)",
            at(&xml, "hello")
        ),
    );
    assert!(matches!(kind, ErrorKind::UnexpectedText { .. }));

    // Comments and whitespace are fine.
    parse(&one_pd("        <!-- a comment -->\n")).unwrap();
}

#[test]
fn unknown_elements() {
    let xml = one_pd("        <mapp mr=\"buf\" vaddr=\"0x1000\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <mapp> in protection domain 'a': not an element that <protection_domain> may contain",
            at(&xml, "<mapp")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::UnknownElement {
            parent: "protection_domain"
        }
    );

    let xml = "<system>\n    <pd name=\"a\" />\n</system>";
    refused(
        xml,
        format!("{}: <pd>: not an element that <system> may contain", at(xml, "<pd")),
    );

    let xml = one_pd("").replace(
        "</system>",
        "    <channel>\n        <start pd=\"a\" id=\"1\" />\n    </channel>\n</system>",
    );
    refused(
        &xml,
        format!(
            "{}: <start>: not an element that <channel> may contain",
            at(&xml, "<start")
        ),
    );
}

#[test]
fn unsupported_features() {
    let xml = one_pd("        <virtual_machine name=\"vm\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <virtual_machine> in protection domain 'a': virtual machines are not supported by Pride",
            at(&xml, "<virtual_machine")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::Unsupported {
            feature: "virtual machines"
        }
    );

    let xml = one_pd("        <cspace />\n");
    refused(
        &xml,
        format!(
            "{}: <cspace> in protection domain 'a': extra capabilities (<cspace>) are not supported by Pride",
            at(&xml, "<cspace")
        ),
    );

    let xml = one_pd("").replace("</system>", "    <domains />\n</system>");
    refused(
        &xml,
        format!(
            "{}: <domains>: domain schedules are not supported by Pride",
            at(&xml, "<domains")
        ),
    );

    let xml = one_pd("").replace("</system>", "    <io_address_space name=\"x\" />\n</system>");
    refused(
        &xml,
        format!(
            "{}: <io_address_space>: IOMMU address spaces are not supported by Pride",
            at(&xml, "<io_address_space")
        ),
    );

    let xml = one_pd("").replace("size=\"0x1000\"", "prefill_path=\"blob.bin\"");
    refused(
        &xml,
        format!(
            "{}: <memory_region> 'buf': prefilled memory regions are not supported by Pride",
            at(&xml, "prefill_path")
        ),
    );

    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0x1000\" setvar_prefill_size=\"n\" />\n");
    refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': prefilled memory regions are not supported by Pride",
            at(&xml, "setvar_prefill_size")
        ),
    );

    let xml = one_pd("").replace("priority=\"10\"", "domain=\"d\"");
    refused(
        &xml,
        format!(
            "{}: <protection_domain> 'a': scheduling domains are not supported by Pride",
            at(&xml, "domain=")
        ),
    );
}

#[test]
fn unknown_attributes() {
    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0x1000\" colour=\"red\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': attribute 'colour' is not allowed here",
            at(&xml, "colour")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::UnknownAttribute {
            attribute: "colour".into()
        }
    );

    // `id` belongs to children only.
    let xml = one_pd("").replace("priority=\"10\"", "id=\"1\"");
    refused(
        &xml,
        format!(
            "{}: <protection_domain> 'a': attribute 'id' is not allowed here",
            at(&xml, "id=")
        ),
    );

    // The IOAPIC form has no `pcidev`.
    let xml = one_pd("        <irq id=\"1\" pin=\"4\" vector=\"40\" pcidev=\"0:1.0\" />\n");
    refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': attribute 'pcidev' is not allowed here",
            at(&xml, "pcidev")
        ),
    );

    let xml = "<system version=\"2\">\n</system>";
    refused(
        xml,
        format!(
            "{}: <system>: attribute 'version' is not allowed here",
            at(xml, "version")
        ),
    );
}

#[test]
fn missing_attributes() {
    let xml = one_pd("        <map mr=\"buf\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': the required attribute 'vaddr' is missing",
            at(&xml, "<map")
        ),
    );
    assert_eq!(kind, ErrorKind::MissingAttribute { attribute: "vaddr" });

    let xml = one_pd("        <protection_domain name=\"kid\">\n            <program_image path=\"k.elf\" />\n        </protection_domain>\n");
    refused(
        &xml,
        format!(
            "{}: <protection_domain> 'kid': the required attribute 'id' is missing",
            at(&xml, "<protection_domain name=\"kid\"")
        ),
    );

    let xml = "<system>\n    <memory_region size=\"0x1000\" />\n</system>";
    refused(
        xml,
        format!(
            "{}: <memory_region>: the required attribute 'name' is missing",
            at(xml, "<memory_region")
        ),
    );
}

#[test]
fn numbers() {
    for bad in ["0xzz", "-1", "", "0x", "1e3", "99999999999999999999999", "+5"] {
        let xml = one_pd(&format!("        <map mr=\"buf\" vaddr=\"{bad}\" />\n"));
        let kind = refused(
            &xml,
            format!(
                "{}: <map> in protection domain 'a': attribute 'vaddr': '{bad}' is not a 64-bit number \
                 (decimal, or hexadecimal with 0x)",
                at(&xml, "vaddr")
            ),
        );
        assert_eq!(
            kind,
            ErrorKind::NotANumber {
                attribute: "vaddr",
                value: bad.into()
            }
        );
    }
    // Decimal, hexadecimal and underscores are all numbers.
    for good in ["16777216", "0x1000000", "0x100_0000", "16_777_216"] {
        let system = parse(&one_pd(&format!("        <map mr=\"buf\" vaddr=\"{good}\" />\n"))).unwrap();
        assert_eq!(system.protection_domains[0].maps[0].vaddr, 0x100_0000);
    }
}

#[test]
fn booleans() {
    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0x1000\" cached=\"yes\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': attribute 'cached': 'yes' is neither 'true' nor 'false'",
            at(&xml, "cached")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::NotABool {
            attribute: "cached",
            value: "yes".into()
        }
    );

    let xml = one_pd("").replace("priority=\"10\"", "passive=\"True\"");
    refused(
        &xml,
        format!(
            "{}: <protection_domain> 'a': attribute 'passive': 'True' is neither 'true' nor 'false'",
            at(&xml, "passive")
        ),
    );
}

#[test]
fn choices() {
    let xml = one_pd("        <irq id=\"1\" pin=\"4\" vector=\"40\" trigger=\"rising\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': attribute 'trigger': 'rising' is not one of 'level', 'edge'",
            at(&xml, "trigger")
        ),
    );
    assert!(matches!(
        kind,
        ErrorKind::NotAChoice {
            attribute: "trigger",
            ..
        }
    ));

    let xml = one_pd("        <irq id=\"1\" pin=\"4\" vector=\"40\" polarity=\"activelow\" />\n");
    refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': attribute 'polarity': 'activelow' is not one of 'high', 'low'",
            at(&xml, "polarity")
        ),
    );
}

#[test]
fn ranges() {
    let xml = one_pd("").replace("priority=\"10\"", "priority=\"255\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <protection_domain> 'a': attribute 'priority': 255 is outside 0..=254",
            at(&xml, "priority")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::OutOfRange {
            attribute: "priority",
            value: 255,
            min: 0,
            max: 254
        }
    );

    let xml = one_pd("        <irq id=\"62\" pin=\"4\" vector=\"40\" />\n");
    refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': attribute 'id': 62 is outside 0..=61",
            at(&xml, "id=")
        ),
    );

    let xml = one_pd("        <irq id=\"1\" pin=\"4\" vector=\"108\" />\n");
    refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': attribute 'vector': 108 is outside 0..=107",
            at(&xml, "vector")
        ),
    );

    let xml = one_pd("").replace("priority=\"10\"", "cpu=\"1\"");
    refused(
        &xml,
        format!(
            "{}: <protection_domain> 'a': attribute 'cpu': 1 is outside 0..=0",
            at(&xml, "cpu")
        ),
    );
    let two_cores = Config {
        cpu_cores: 2,
        ..Config::X86_64
    };
    assert_eq!(parse_with(&xml, &two_cores).unwrap().protection_domains[0].cpu, 1);

    let xml = one_pd("        <ioport id=\"1\" addr=\"0x3f8\" size=\"0\" />\n");
    refused(
        &xml,
        format!(
            "{}: <ioport> in protection domain 'a': attribute 'size': 0 is outside 1..=65536",
            at(&xml, "size=\"0\"")
        ),
    );

    let xml = one_pd("").replace("</system>", "    <channel>\n        <end pd=\"a\" id=\"64\" />\n        <end pd=\"a\" id=\"2\" />\n    </channel>\n</system>");
    refused(
        &xml,
        format!(
            "{}: <end> for protection domain 'a': attribute 'id': 64 is outside 0..=61",
            at(&xml, "id=\"64\"")
        ),
    );

    let xml = one_pd("        <protection_domain name=\"kid\" id=\"62\">\n            <program_image path=\"k.elf\" />\n        </protection_domain>\n");
    refused(
        &xml,
        format!(
            "{}: <protection_domain> 'kid': attribute 'id': 62 is outside 0..=61",
            at(&xml, "id=\"62\"")
        ),
    );
}

#[test]
fn pci_addresses() {
    let cases = [
        ("0:3", "is not of the form BUS:DEV.FUNC (hexadecimal)", PciProblem::Form),
        (
            "0.3.0",
            "is not of the form BUS:DEV.FUNC (hexadecimal)",
            PciProblem::Form,
        ),
        (
            "100:0.0",
            "has a bus that is not a hexadecimal number in 0..=ff",
            PciProblem::Bus,
        ),
        (
            "g:0.0",
            "has a bus that is not a hexadecimal number in 0..=ff",
            PciProblem::Bus,
        ),
        (
            "0:20.0",
            "has a device that is not a hexadecimal number in 0..=1f",
            PciProblem::Device,
        ),
        (
            "0:-1.0",
            "has a device that is not a hexadecimal number in 0..=1f",
            PciProblem::Device,
        ),
        (
            "0:1f.8",
            "has a function that is not a hexadecimal number in 0..=7",
            PciProblem::Function,
        ),
        (
            "0:1.",
            "has a function that is not a hexadecimal number in 0..=7",
            PciProblem::Function,
        ),
    ];
    for (value, problem_text, problem) in cases {
        let xml = one_pd(&format!(
            "        <irq id=\"1\" pcidev=\"{value}\" handle=\"0\" vector=\"40\" />\n"
        ));
        let kind = refused(
            &xml,
            format!(
                "{}: <irq> in protection domain 'a': attribute 'pcidev': '{value}' {problem_text}",
                at(&xml, "pcidev")
            ),
        );
        assert_eq!(
            kind,
            ErrorKind::BadPciAddress {
                value: value.into(),
                problem
            }
        );
    }
    let system = parse(&one_pd(
        "        <irq id=\"1\" pcidev=\" ff : 1f . 7 \" handle=\"0\" vector=\"40\" />\n",
    ))
    .unwrap();
    assert!(matches!(
        system.protection_domains[0].irqs[0].kind,
        IrqKind::Msi {
            pci: PciAddress {
                bus: 0xff,
                device: 0x1f,
                function: 7
            },
            ..
        }
    ));
}

#[test]
fn perms() {
    for bad in ["rz", "", "RW"] {
        let xml = one_pd(&format!(
            "        <map mr=\"buf\" vaddr=\"0x1000\" perms=\"{bad}\" />\n"
        ));
        let kind = refused(
            &xml,
            format!(
                "{}: <map> in protection domain 'a': attribute 'perms': '{bad}' is not a non-empty combination \
                 of 'r', 'w' and 'x'",
                at(&xml, "perms")
            ),
        );
        assert_eq!(kind, ErrorKind::BadPerms { value: bad.into() });
    }
}

#[test]
fn write_only_perms() {
    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0x1000\" perms=\"ww\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': attribute 'perms': write-only mappings are not allowed",
            at(&xml, "perms")
        ),
    );
    assert_eq!(kind, ErrorKind::WriteOnlyPerms);
    // Write with anything else is fine.
    parse(&one_pd("        <map mr=\"buf\" vaddr=\"0x1000\" perms=\"wx\" />\n")).unwrap();
}

#[test]
fn stack_size() {
    for bad in [0x800_u64, 0x1800, 0x200_0000] {
        let xml = one_pd("").replace("priority=\"10\"", &format!("stack_size=\"{bad:#x}\""));
        let kind = refused(
            &xml,
            format!(
                "{}: <protection_domain> 'a': attribute 'stack_size': {bad:#x} is not a multiple of 0x1000 in \
                 0x1000..=0x1000000",
                at(&xml, "stack_size")
            ),
        );
        assert_eq!(kind, ErrorKind::BadStackSize { stack_size: bad });
    }
}

#[test]
fn budget_and_period() {
    let xml = one_pd("").replace("priority=\"10\"", "budget=\"2000\" period=\"1000\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <protection_domain> 'a': budget 2000 exceeds period 1000",
            at(&xml, "<protection_domain")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::BudgetExceedsPeriod {
            budget: 2000,
            period: 1000
        }
    );
    // Without a period, the period is the budget.
    let xml = one_pd("").replace("priority=\"10\"", "budget=\"2000\"");
    assert_eq!(parse(&xml).unwrap().protection_domains[0].period, 2000);
}

#[test]
fn page_size() {
    let xml = one_pd("").replace("size=\"0x1000\"", "size=\"0x3000\" page_size=\"0x3000\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <memory_region> 'buf': attribute 'page_size': 0x3000 is not a page size (0x1000 or 0x200000)",
            at(&xml, "page_size")
        ),
    );
    assert_eq!(kind, ErrorKind::UnsupportedPageSize { page_size: 0x3000 });
}

#[test]
fn size_multiple_of_page() {
    let xml = one_pd("").replace("size=\"0x1000\"", "size=\"0x1800\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <memory_region> 'buf': size 0x1800 is not a multiple of the page size 0x1000",
            at(&xml, "size=")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::SizeNotPageMultiple {
            size: 0x1800,
            page_size: 0x1000
        }
    );

    let xml = one_pd("").replace("size=\"0x1000\"", "size=\"0x1000\" page_size=\"0x200000\"");
    refused(
        &xml,
        format!(
            "{}: <memory_region> 'buf': size 0x1000 is not a multiple of the page size 0x200000",
            at(&xml, "size=")
        ),
    );
}

#[test]
fn phys_addr_alignment() {
    let xml = one_pd("").replace("size=\"0x1000\"", "size=\"0x1000\" phys_addr=\"0xfe000800\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <memory_region> 'buf': phys_addr 0xfe000800 is not aligned to the page size 0x1000",
            at(&xml, "phys_addr")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::MisalignedPhysAddr {
            phys_addr: 0xfe00_0800,
            page_size: 0x1000
        }
    );
}

#[test]
fn phys_range_overflow() {
    let xml = one_pd("").replace("size=\"0x1000\"", "size=\"0x2000\" phys_addr=\"0xfffffffffffff000\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <memory_region> 'buf': phys_addr 0xfffffffffffff000 plus size 0x2000 does not fit in 64 bits",
            at(&xml, "<memory_region")
        ),
    );
    assert_eq!(
        kind,
        ErrorKind::PhysRangeOverflow {
            phys_addr: 0xffff_ffff_ffff_f000,
            size: 0x2000
        }
    );
}

#[test]
fn irq_without_source() {
    let xml = one_pd("        <irq id=\"1\" vector=\"40\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': needs one of the attributes 'irq' (conventional), 'pin' (x86 \
             IOAPIC) or 'pcidev' (x86 MSI)",
            at(&xml, "<irq")
        ),
    );
    assert_eq!(kind, ErrorKind::IrqWithoutSource);
}

#[test]
fn io_port_beyond_space() {
    let xml = one_pd("        <ioport id=\"1\" addr=\"0xfff8\" size=\"16\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <ioport> in protection domain 'a': 16 ports from 0xfff8 run past the end of the I/O port space at 0x10000",
            at(&xml, "<ioport")
        ),
    );
    assert_eq!(kind, ErrorKind::IoPortBeyondSpace { addr: 0xfff8, size: 16 });
    // Up to the very end is fine.
    parse(&one_pd("        <ioport id=\"1\" addr=\"0xfff0\" size=\"16\" />\n")).unwrap();
}

#[test]
fn program_image_twice() {
    let xml = one_pd("        <program_image path=\"b.elf\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <program_image> in protection domain 'a': a protection domain has exactly one <program_image>",
            at(&xml, "<program_image path=\"b.elf\"")
        ),
    );
    assert_eq!(kind, ErrorKind::DuplicateProgramImage);
}

#[test]
fn program_image_missing() {
    let xml = "<system>\n    <protection_domain name=\"a\">\n    </protection_domain>\n</system>";
    let kind = refused(
        xml,
        format!(
            "{}: <protection_domain> 'a': has no <program_image>",
            at(xml, "<protection_domain")
        ),
    );
    assert_eq!(kind, ErrorKind::MissingProgramImage);
}

#[test]
fn setvar_symbols_are_unique_per_image() {
    let xml = "<system>\n    <memory_region name=\"m\" size=\"0x1000\" phys_addr=\"0x100000\" />\n    <protection_domain name=\"a\">\n        <program_image path=\"a.elf\" />\n        <map mr=\"m\" vaddr=\"0x10000\" setvar_vaddr=\"v\" />\n        <setvar symbol=\"v\" region_paddr=\"m\" />\n    </protection_domain>\n</system>";
    let kind = refused(
        xml,
        format!(
            "{}: <setvar> in protection domain 'a': symbol 'v' of protection domain 'a' is already patched by the \
             setvar at {}",
            at(xml, "symbol="),
            at(xml, "setvar_vaddr")
        ),
    );
    assert!(matches!(kind, ErrorKind::DuplicateSetvar { .. }));

    // A channel end's symbol lives in its protection domain's image.
    let xml = one_pd("        <irq id=\"1\" pin=\"4\" vector=\"40\" setvar_id=\"ch\" />\n").replace(
        "</system>",
        "    <channel>\n        <end pd=\"a\" id=\"2\" setvar_id=\"ch\" />\n        <end pd=\"a\" id=\"3\" />\n    </channel>\n</system>",
    );
    refused(
        &xml,
        format!(
            "{}: <end> for protection domain 'a': symbol 'ch' of protection domain 'a' is already patched by the \
             setvar at {}",
            at_nth(&xml, "setvar_id", 1),
            at_nth(&xml, "setvar_id", 0)
        ),
    );

    // A child's setvar_id lives in the parent's image.
    let xml = one_pd(
        "        <ioport id=\"1\" addr=\"0x60\" size=\"1\" setvar_addr=\"kid\" />\n        <protection_domain name=\"kid\" id=\"0\" setvar_id=\"kid\">\n            <program_image path=\"k.elf\" />\n        </protection_domain>\n",
    );
    refused(
        &xml,
        format!(
            "{}: <protection_domain> in protection domain 'a': symbol 'kid' of protection domain 'a' is already \
             patched by the setvar at {}",
            at(&xml, "setvar_id"),
            at(&xml, "setvar_addr")
        ),
    );
}

#[test]
fn channel_end_count() {
    let one = one_pd("").replace(
        "</system>",
        "    <channel>\n        <end pd=\"a\" id=\"1\" />\n    </channel>\n</system>",
    );
    let kind = refused(
        &one,
        format!(
            "{}: <channel>: has 1 <end> elements; a channel needs exactly two",
            at(&one, "<channel")
        ),
    );
    assert_eq!(kind, ErrorKind::ChannelEndCount { found: 1 });

    let three = one_pd("").replace(
        "</system>",
        "    <channel>\n        <end pd=\"a\" id=\"1\" />\n        <end pd=\"a\" id=\"2\" />\n        <end pd=\"a\" id=\"3\" />\n    </channel>\n</system>",
    );
    refused(
        &three,
        format!(
            "{}: <channel>: has 3 <end> elements; a channel needs exactly two",
            at(&three, "<channel")
        ),
    );
}

/// Two protection domains 'lo' (priority 1) and 'hi' (priority 2) and one
/// channel with the given ends.
fn two_pds(end_lo: &str, end_hi: &str) -> String {
    format!(
        "<system>\n    <protection_domain name=\"lo\" priority=\"1\">\n        <program_image path=\"lo.elf\" />\n    </protection_domain>\n    <protection_domain name=\"hi\" priority=\"2\">\n        <program_image path=\"hi.elf\" />\n    </protection_domain>\n    <channel>\n        <end pd=\"lo\" {end_lo} />\n        <end pd=\"hi\" {end_hi} />\n    </channel>\n</system>\n"
    )
}

#[test]
fn bidirectional_pp() {
    let xml = two_pds("id=\"0\" pp=\"true\"", "id=\"0\" pp=\"true\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <channel>: both ends have pp=\"true\"; protected procedure calls go one way along a channel",
            at(&xml, "<channel")
        ),
    );
    assert_eq!(kind, ErrorKind::BidirectionalPp);
}

#[test]
fn channel_to_unknown_pd() {
    let xml = two_pds("id=\"0\"", "id=\"0\"").replace("pd=\"hi\" id", "pd=\"high\" id");
    let kind = refused(
        &xml,
        format!(
            "{}: <end>: protection domain 'high' is not declared",
            at(&xml, "<end pd=\"high\"")
        ),
    );
    assert_eq!(kind, ErrorKind::UnknownPd { name: "high".into() });
}

#[test]
fn unknown_memory_region() {
    let xml = one_pd("        <map mr=\"buff\" vaddr=\"0x1000\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': memory region 'buff' is not declared",
            at(&xml, "<map")
        ),
    );
    assert_eq!(kind, ErrorKind::UnknownMemoryRegion { name: "buff".into() });

    let xml = one_pd("        <setvar symbol=\"p\" region_paddr=\"nowhere\" />\n");
    refused(
        &xml,
        format!(
            "{}: <setvar> in protection domain 'a': memory region 'nowhere' is not declared",
            at(&xml, "<setvar")
        ),
    );
}

#[test]
fn no_protection_domains() {
    let xml = "<system>\n    <memory_region name=\"m\" size=\"0x1000\" />\n</system>";
    let kind = refused(
        xml,
        format!("{}: <system>: declares no protection domain", at(xml, "<system")),
    );
    assert_eq!(kind, ErrorKind::NoProtectionDomains);
}

#[test]
fn too_many_protection_domains() {
    let pd = |i: usize| {
        format!("    <protection_domain name=\"pd{i}\">\n        <program_image path=\"x.elf\" />\n    </protection_domain>\n")
    };
    let ok: String = (0..63).map(pd).collect();
    assert_eq!(
        parse(&format!("<system>\n{ok}</system>"))
            .unwrap()
            .protection_domains
            .len(),
        63
    );

    let xml = format!("<system>\n{ok}{}</system>", pd(63));
    let kind = refused(
        &xml,
        format!(
            "{}: <protection_domain> 'pd63': one protection domain too many: a system has at most 63 (children included)",
            at(&xml, "<protection_domain name=\"pd63\"")
        ),
    );
    assert_eq!(kind, ErrorKind::TooManyProtectionDomains);

    // Children count: a parent with 62 children is 63, one more is too many.
    let children: String = (0..62)
        .map(|i| {
            format!(
                "        <protection_domain name=\"c{i}\" id=\"{i}\">\n            <program_image path=\"x.elf\" />\n        </protection_domain>\n"
            )
        })
        .collect();
    let family = format!("    <protection_domain name=\"p\">\n        <program_image path=\"x.elf\" />\n{children}    </protection_domain>\n");
    assert_eq!(
        parse(&format!("<system>\n{family}</system>"))
            .unwrap()
            .protection_domains
            .len(),
        63
    );
    let xml = format!("<system>\n{}{family}</system>", pd(99));
    refused(
        &xml,
        format!(
            "{}: <protection_domain> 'c61': one protection domain too many: a system has at most 63 (children included)",
            at(&xml, "<protection_domain name=\"c61\"")
        ),
    );
}

#[test]
fn reserved_name() {
    let xml = one_pd("").replace("name=\"a\"", "name=\"monitor\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <protection_domain> 'monitor': the name 'monitor' is reserved for the Microkit monitor",
            at(&xml, "<protection_domain")
        ),
    );
    assert_eq!(kind, ErrorKind::ReservedPdName);
}

#[test]
fn duplicate_pd_names() {
    // A child may not take a top-level protection domain's name either.
    let xml = "<system>\n    <protection_domain name=\"a\">\n        <program_image path=\"a.elf\" />\n    </protection_domain>\n    <protection_domain name=\"p\">\n        <program_image path=\"p.elf\" />\n        <protection_domain name=\"a\" id=\"1\">\n            <program_image path=\"a.elf\" />\n        </protection_domain>\n    </protection_domain>\n</system>";
    let kind = refused(
        xml,
        format!(
            "{}: <protection_domain> 'a': the name is already used by the protection domain at {}",
            at_nth(xml, "<protection_domain name=\"a\"", 1),
            at_nth(xml, "<protection_domain name=\"a\"", 0)
        ),
    );
    assert!(matches!(kind, ErrorKind::DuplicatePdName { .. }));
}

#[test]
fn duplicate_memory_region_names() {
    let xml = one_pd("").replace(
        "    <protection_domain",
        "    <memory_region name=\"buf\" size=\"0x2000\" />\n    <protection_domain",
    );
    let kind = refused(
        &xml,
        format!(
            "{}: <memory_region> 'buf': the name is already used by the memory region at {}",
            at_nth(&xml, "<memory_region", 1),
            at_nth(&xml, "<memory_region", 0)
        ),
    );
    assert!(matches!(kind, ErrorKind::DuplicateMemoryRegion { .. }));
}

#[test]
fn duplicate_child_ids() {
    let xml = one_pd(
        "        <protection_domain name=\"k1\" id=\"3\">\n            <program_image path=\"k.elf\" />\n        </protection_domain>\n        <protection_domain name=\"k2\" id=\"3\">\n            <program_image path=\"k.elf\" />\n        </protection_domain>\n",
    );
    let kind = refused(
        &xml,
        format!(
            "{}: <protection_domain> 'k2': child id 3 is already used by the child at {}",
            at(&xml, "<protection_domain name=\"k2\""),
            at(&xml, "<protection_domain name=\"k1\"")
        ),
    );
    assert!(matches!(kind, ErrorKind::DuplicateChildId { id: 3, .. }));
}

#[test]
fn duplicate_irq_numbers_across_the_system() {
    let xml = "<system>\n    <protection_domain name=\"a\">\n        <program_image path=\"a.elf\" />\n        <irq id=\"1\" pin=\"4\" vector=\"40\" />\n    </protection_domain>\n    <protection_domain name=\"b\">\n        <program_image path=\"b.elf\" />\n        <irq id=\"1\" pcidev=\"0:3.0\" handle=\"0\" vector=\"40\" />\n    </protection_domain>\n</system>";
    let kind = refused(
        xml,
        format!(
            "{}: <irq> in protection domain 'b': vector 40 is already claimed by protection domain 'a' at {}",
            at_nth(xml, "<irq", 1),
            at_nth(xml, "<irq", 0)
        ),
    );
    assert!(matches!(
        kind,
        ErrorKind::DuplicateIrq {
            number: 40,
            vector: true,
            ..
        }
    ));

    let xml = one_pd("        <irq id=\"1\" irq=\"33\" />\n        <irq id=\"2\" irq=\"33\" trigger=\"edge\" />\n");
    refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': IRQ 33 is already claimed by protection domain 'a' at {}",
            at_nth(&xml, "<irq", 1),
            at_nth(&xml, "<irq", 0)
        ),
    );
}

#[test]
fn duplicate_ids_in_the_channel_and_irq_pool() {
    let xml =
        one_pd("        <irq id=\"5\" pin=\"4\" vector=\"40\" />\n        <irq id=\"5\" pin=\"5\" vector=\"41\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <irq> in protection domain 'a': id 5 is already used by the <irq> at {} (channels and IRQs of a \
             protection domain share one id space)",
            at_nth(&xml, "<irq", 1),
            at_nth(&xml, "<irq", 0)
        ),
    );
    assert!(matches!(
        kind,
        ErrorKind::DuplicateId {
            id: 5,
            first_element: "irq",
            ..
        }
    ));

    // A channel end on an IRQ's id; the channel comes first in the document
    // but is checked against the IRQs.
    let xml = "<system>\n    <channel>\n        <end pd=\"a\" id=\"5\" />\n        <end pd=\"b\" id=\"0\" />\n    </channel>\n    <protection_domain name=\"a\">\n        <program_image path=\"a.elf\" />\n        <irq id=\"5\" pin=\"4\" vector=\"40\" />\n    </protection_domain>\n    <protection_domain name=\"b\">\n        <program_image path=\"b.elf\" />\n    </protection_domain>\n</system>";
    refused(
        xml,
        format!(
            "{}: <end> for protection domain 'a': id 5 is already used by the <irq> at {} (channels and IRQs of a \
             protection domain share one id space)",
            at(xml, "<end pd=\"a\""),
            at(xml, "<irq")
        ),
    );

    // Two channels of one protection domain on one id.
    let xml = two_pds("id=\"0\"", "id=\"0\"").replace(
        "</system>",
        "    <channel>\n        <end pd=\"lo\" id=\"0\" />\n        <end pd=\"hi\" id=\"1\" />\n    </channel>\n</system>",
    );
    refused(
        &xml,
        format!(
            "{}: <end> for protection domain 'lo': id 0 is already used by the <end> at {} (channels and IRQs of a \
             protection domain share one id space)",
            at_nth(&xml, "<end pd=\"lo\"", 1),
            at_nth(&xml, "<end pd=\"lo\"", 0)
        ),
    );
}

#[test]
fn duplicate_io_port_ids() {
    let xml = one_pd(
        "        <ioport id=\"1\" addr=\"0x60\" size=\"1\" />\n        <ioport id=\"1\" addr=\"0x64\" size=\"1\" />\n",
    );
    let kind = refused(
        &xml,
        format!(
            "{}: <ioport> in protection domain 'a': I/O port id 1 is already used by the <ioport> at {}",
            at_nth(&xml, "<ioport", 1),
            at_nth(&xml, "<ioport", 0)
        ),
    );
    assert!(matches!(kind, ErrorKind::DuplicateIoPortId { id: 1, .. }));
}

#[test]
fn overlapping_io_ports() {
    let xml = "<system>\n    <protection_domain name=\"a\">\n        <program_image path=\"a.elf\" />\n        <ioport id=\"0\" addr=\"0x3f8\" size=\"8\" />\n    </protection_domain>\n    <protection_domain name=\"b\">\n        <program_image path=\"b.elf\" />\n        <ioport id=\"0\" addr=\"1020\" size=\"2\" />\n    </protection_domain>\n</system>";
    let kind = refused(
        xml,
        format!(
            "{}: <ioport> in protection domain 'b': ports [0x3fc..0x3fe) overlap ports [0x3f8..0x400) of protection \
             domain 'a' at {}",
            at_nth(xml, "<ioport", 1),
            at_nth(xml, "<ioport", 0)
        ),
    );
    assert!(matches!(
        kind,
        ErrorKind::IoPortOverlap {
            addr: 0x3fc,
            size: 2,
            ..
        }
    ));
}

#[test]
fn pp_goes_to_strictly_higher_priority() {
    let xml = two_pds("id=\"0\"", "id=\"0\" pp=\"true\"");
    let kind = refused(
        &xml,
        format!(
            "{}: <end> for protection domain 'hi': 'hi' (priority 2) may not call 'lo' (priority 1): protected \
             procedure calls go to a strictly higher priority",
            at(&xml, "<end pd=\"hi\"")
        ),
    );
    assert!(matches!(
        kind,
        ErrorKind::PpToLowerPriority {
            caller_priority: 2,
            callee_priority: 1,
            ..
        }
    ));

    let xml = two_pds("id=\"0\" pp=\"true\"", "id=\"0\"").replace("priority=\"2\"", "priority=\"1\"");
    refused(
        &xml,
        format!(
            "{}: <end> for protection domain 'lo': 'lo' (priority 1) may not call 'hi' (priority 1): protected \
             procedure calls go to a strictly higher priority",
            at(&xml, "<end pd=\"lo\"")
        ),
    );
    // Upwards is fine.
    parse(&two_pds("id=\"0\" pp=\"true\"", "id=\"0\"")).unwrap();
}

#[test]
fn map_alignment() {
    let xml = one_pd("        <map mr=\"big\" vaddr=\"0x1000\" />\n").replace(
        "    <protection_domain",
        "    <memory_region name=\"big\" size=\"0x200000\" page_size=\"0x200000\" />\n    <protection_domain",
    );
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': vaddr 0x1000 is not aligned to the page size 0x200000 of memory \
             region 'big'",
            at(&xml, "<map")
        ),
    );
    assert!(matches!(
        kind,
        ErrorKind::MisalignedMap {
            vaddr: 0x1000,
            page_size: 0x20_0000,
            ..
        }
    ));

    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0x1800\" />\n");
    refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': vaddr 0x1800 is not aligned to the page size 0x1000 of memory \
             region 'buf'",
            at(&xml, "<map")
        ),
    );
}

#[test]
fn map_below_the_stack() {
    // Default stack 8 KiB: the IPC buffer at 0x7ffffffff000, a guard page,
    // the stack from 0x7fffffffc000.
    let limit = Config::X86_64.map_limit(DEFAULT_STACK_SIZE);
    assert_eq!(limit, 0x7fff_ffff_c000);
    parse(&one_pd(&format!(
        "        <map mr=\"buf\" vaddr=\"{:#x}\" />\n",
        limit - 0x1000
    )))
    .unwrap();

    let xml = one_pd(&format!("        <map mr=\"buf\" vaddr=\"{limit:#x}\" />\n"));
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': memory region 'buf' (0x1000 bytes at 0x7fffffffc000) reaches past \
             0x7fffffffc000, where the stack and IPC buffer begin",
            at(&xml, "<map")
        ),
    );
    assert!(matches!(kind, ErrorKind::MapOutsideAddressSpace { .. }));

    // A bigger stack moves the limit down.
    let xml = one_pd(&format!("        <map mr=\"buf\" vaddr=\"{:#x}\" />\n", limit - 0x1000))
        .replace("priority=\"10\"", "stack_size=\"0x4000\"");
    refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': memory region 'buf' (0x1000 bytes at 0x7fffffffb000) reaches past \
             0x7fffffffa000, where the stack and IPC buffer begin",
            at(&xml, "<map")
        ),
    );

    // The end wrapping around 2^64 is caught, not overflowed.
    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0xfffffffffffff000\" />\n");
    assert!(matches!(
        parse(&xml).unwrap_err().kind(),
        ErrorKind::MapOutsideAddressSpace { .. }
    ));
}

#[test]
fn overlapping_maps() {
    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0x10000\" />\n        <map mr=\"two\" vaddr=\"0xf000\" />\n")
        .replace(
            "    <protection_domain",
            "    <memory_region name=\"two\" size=\"0x2000\" />\n    <protection_domain",
        );
    let kind = refused(
        &xml,
        format!(
            "{}: <map> in protection domain 'a': memory region 'two' at [0xf000..0x11000) overlaps memory region \
             'buf' at [0x10000..0x11000) mapped at {}",
            at(&xml, "<map mr=\"two\""),
            at(&xml, "<map mr=\"buf\"")
        ),
    );
    assert!(matches!(kind, ErrorKind::MapOverlap { .. }));
    // The same region twice at different addresses is fine; so are other
    // protection domains' maps at the same address.
    parse(&one_pd(
        "        <map mr=\"buf\" vaddr=\"0x10000\" />\n        <map mr=\"buf\" vaddr=\"0x11000\" />\n",
    ))
    .unwrap();
}

#[test]
fn overlapping_physical_ranges() {
    let xml = one_pd("").replace(
        "    <memory_region name=\"buf\" size=\"0x1000\" />",
        "    <memory_region name=\"dev\" size=\"0x4000\" phys_addr=\"0xfe000000\" />\n    <memory_region name=\"regs\" size=\"0x1000\" phys_addr=\"0xfe003000\" />",
    );
    let kind = refused(
        &xml,
        format!(
            "{}: <memory_region> 'regs': physical range [0xfe003000..0xfe004000) overlaps memory region 'dev' at \
             [0xfe000000..0xfe004000) declared at {}",
            at(&xml, "<memory_region name=\"regs\""),
            at(&xml, "<memory_region name=\"dev\"")
        ),
    );
    assert!(matches!(kind, ErrorKind::PhysOverlap { .. }));
}

#[test]
fn region_paddr_needs_a_phys_addr() {
    let xml = one_pd("        <setvar symbol=\"p\" region_paddr=\"buf\" />\n");
    let kind = refused(
        &xml,
        format!(
            "{}: <setvar> in protection domain 'a': memory region 'buf' has no phys_addr, which region_paddr needs \
             on x86_64",
            at(&xml, "<setvar")
        ),
    );
    assert_eq!(kind, ErrorKind::SetvarPaddrWithoutPhysAddr { region: "buf".into() });
}

#[test]
fn error_accessors() {
    let xml = one_pd("        <map mr=\"buf\" vaddr=\"0xzz\" />\n");
    let err = parse(&xml).unwrap_err();
    assert_eq!(
        format!("line {}, column {}", err.position().line, err.position().column),
        at(&xml, "vaddr")
    );
    assert_eq!(
        err.subject(),
        Some(&Subject {
            element: "map".into(),
            context: Context::InPd("a".into())
        })
    );
}
