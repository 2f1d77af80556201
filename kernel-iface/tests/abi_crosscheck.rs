//! Cross-checks the hand-written ABI constants of `kernel-iface` against the
//! seL4 5.0.0 source the kernel is actually built from.
//!
//! `kernel_iface::abi` (and the bit layouts in `msginfo` and `bootinfo`) are
//! written out by hand so that they read plainly. A wrong number there does
//! not fail to compile: it makes the kernel do something else (another
//! invocation, another object type) or makes the root task misread its boot
//! info. So this test recomputes every constant from the kernel's own files
//! in the build tool's private source copy,
//! `<workspace>/target/kernel/src/seL4` (made by `cargo xtask kernel`), for
//! the board configuration `boards/qemu-x86_64/kernel-config.h`:
//!
//! | test | our constants | kernel source |
//! | --- | --- | --- |
//! | `invocation_labels` | `abi::label` | the three interface XML files, numbered like `invocation_header_gen.py` |
//! | `syscall_numbers` | `abi::syscall` | `include/api/syscall.xml`, numbered like `syscall_header_gen.py` |
//! | `object_types` | `abi::object_type` | the generic, x86_64 and x86 `objecttype.h` enums |
//! | `error_codes` | `abi::error_code` | `errors.h` |
//! | `fault_labels` | `abi::fault` | the `seL4_Fault` tags in the x86 `shared_types.bf` |
//! | `initial_cap_slots` | `abi::init_cap` | `bootinfo_types.h` |
//! | `object_sizes` | `abi::size_bits`, `WORD_BITS` | the x86_64 `constants.h` |
//! | `message_limits` | `MSG_MAX_LENGTH`, `MSG_MAX_EXTRA_CAPS`, `MSG_REGISTERS_IN_CPU` | `constants.h`, the kernel's x86_64 `registerset.h` |
//! | `configuration_values` | `MAX_NUM_BOOTINFO_UNTYPED_CAPS`, `ROOT_CNODE_SIZE_BITS` | the board config (then the kernel's `include/config.h` defaults) |
//! | `message_info_layout` | `MessageInfo` | block `seL4_MessageInfo` in `shared_types_64.bf` |
//! | `badge_width` | `BADGE_BITS` | block `Badge` in `types_64.bf`, `seL4_BadgeBits`, the kernel's cap layouts |
//! | `boot_info_layout` | `bootinfo` offsets, `BOOTINFO_BYTES`, `BootInfo::parse` | the packed `seL4_BootInfo` in `bootinfo_types.h` |
//! | `kernel_compiles_the_headers_libsel4_ships` | — | the kernel's own copies of those headers equal libsel4's |
//! | `every_abi_constant_is_cross_checked` | all of `abi.rs` | — (no constant escapes the tables below) |
//!
//! Where a group is an enumeration, the test also checks that the kernel has
//! exactly as many members as we define, so that a new invocation, object
//! type or error code in the kernel source is noticed, not silently skipped.
//!
//! The parsing here is deliberately small: a C-preprocessor-style condition
//! evaluator (`defined`, `!`, `&&`, `||`, comparisons, arithmetic), `#if`
//! block selection, enum and packed-struct reading, and `.bf` block reading.
//! It understands the shapes that occur in these files, and panics naming
//! the file when it meets something it does not.
//!
//! The kernel source directory missing is a failure, not a skip: run
//! `cargo xtask kernel` (which `cargo xtask test` does first).

use kernel_iface::bootinfo::{BootInfo, BOOTINFO_BYTES};
use kernel_iface::msginfo::{MessageInfo, LABEL_MAX};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------
// The tables: which constant of ours corresponds to which name in the kernel
// source. `every_abi_constant_is_cross_checked` makes sure they cover abi.rs.
// ---------------------------------------------------------------------------

/// One of our constants and the name the kernel source gives it.
struct Entry {
    /// Name in the kernel source (XML method id, C enumerator, `.bf` tag ...).
    kernel: &'static str,
    /// Our constant's path below `abi`, e.g. `label::TCB_SUSPEND`.
    ours: &'static str,
    /// Our constant's value.
    value: i64,
}

/// Builds a `&[Entry]` for constants of module `abi::$module`.
macro_rules! table {
    ($module:ident: $($kernel:literal => $name:ident),* $(,)?) => {
        &[$(Entry {
            kernel: $kernel,
            ours: concat!(stringify!($module), "::", stringify!($name)),
            value: kernel_iface::abi::$module::$name as i64,
        }),*]
    };
}

/// Invocation labels, by XML method id.
static LABELS: &[Entry] = table!(label:
    "UntypedRetype" => UNTYPED_RETYPE,
    "TCBReadRegisters" => TCB_READ_REGISTERS,
    "TCBWriteRegisters" => TCB_WRITE_REGISTERS,
    "TCBCopyRegisters" => TCB_COPY_REGISTERS,
    "TCBConfigure" => TCB_CONFIGURE,
    "TCBSetPriority" => TCB_SET_PRIORITY,
    "TCBSetMCPriority" => TCB_SET_MC_PRIORITY,
    "TCBSetIPCBuffer" => TCB_SET_IPC_BUFFER,
    "TCBSetSpace" => TCB_SET_SPACE,
    "TCBSuspend" => TCB_SUSPEND,
    "TCBResume" => TCB_RESUME,
    "TCBBindNotification" => TCB_BIND_NOTIFICATION,
    "TCBUnbindNotification" => TCB_UNBIND_NOTIFICATION,
    "CNodeRevoke" => CNODE_REVOKE,
    "CNodeDelete" => CNODE_DELETE,
    "CNodeCancelBadgedSends" => CNODE_CANCEL_BADGED_SENDS,
    "CNodeCopy" => CNODE_COPY,
    "CNodeMint" => CNODE_MINT,
    "CNodeMove" => CNODE_MOVE,
    "CNodeMutate" => CNODE_MUTATE,
    "CNodeRotate" => CNODE_ROTATE,
    "CNodeSaveCaller" => CNODE_SAVE_CALLER,
    "IRQIssueIRQHandler" => IRQ_ISSUE_IRQ_HANDLER,
    "IRQAckIRQ" => IRQ_ACK_IRQ,
    "IRQSetIRQHandler" => IRQ_SET_IRQ_HANDLER,
    "IRQClearIRQHandler" => IRQ_CLEAR_IRQ_HANDLER,
    "DomainSetSet" => DOMAIN_SET_SET,
    "X86PDPTMap" => X86_PDPT_MAP,
    "X86PDPTUnmap" => X86_PDPT_UNMAP,
    "X86PageDirectoryMap" => X86_PAGE_DIRECTORY_MAP,
    "X86PageDirectoryUnmap" => X86_PAGE_DIRECTORY_UNMAP,
    "X86PageDirectoryGetStatusBits" => X86_PAGE_DIRECTORY_GET_STATUS_BITS,
    "X86PageTableMap" => X86_PAGE_TABLE_MAP,
    "X86PageTableUnmap" => X86_PAGE_TABLE_UNMAP,
    "X86IOPageTableMap" => X86_IO_PAGE_TABLE_MAP,
    "X86IOPageTableUnmap" => X86_IO_PAGE_TABLE_UNMAP,
    "X86PageMap" => X86_PAGE_MAP,
    "X86PageRemap" => X86_PAGE_REMAP,
    "X86PageUnmap" => X86_PAGE_UNMAP,
    "X86PageMapIO" => X86_PAGE_MAP_IO,
    "X86PageGetAddress" => X86_PAGE_GET_ADDRESS,
    "X86ASIDControlMakePool" => X86_ASID_CONTROL_MAKE_POOL,
    "X86ASIDPoolAssign" => X86_ASID_POOL_ASSIGN,
    "X86IOPortIn8" => X86_IO_PORT_IN8,
    "X86IOPortIn16" => X86_IO_PORT_IN16,
    "X86IOPortIn32" => X86_IO_PORT_IN32,
    "X86IOPortOut8" => X86_IO_PORT_OUT8,
    "X86IOPortOut16" => X86_IO_PORT_OUT16,
    "X86IOPortOut32" => X86_IO_PORT_OUT32,
    "X86IRQIssueIRQHandlerIOAPIC" => X86_IRQ_ISSUE_IRQ_HANDLER_IOAPIC,
    "X86IRQIssueIRQHandlerMSI" => X86_IRQ_ISSUE_IRQ_HANDLER_MSI,
);

/// System calls, by `name` in `syscall.xml`.
static SYSCALLS: &[Entry] = table!(syscall:
    "Call" => CALL,
    "ReplyRecv" => REPLY_RECV,
    "Send" => SEND,
    "NBSend" => NB_SEND,
    "Recv" => RECV,
    "Reply" => REPLY,
    "Yield" => YIELD,
    "NBRecv" => NB_RECV,
    "DebugPutChar" => DEBUG_PUT_CHAR,
    "DebugHalt" => DEBUG_HALT,
    "DebugCapIdentify" => DEBUG_CAP_IDENTIFY,
    "DebugSnapshot" => DEBUG_SNAPSHOT,
    "DebugNameThread" => DEBUG_NAME_THREAD,
);

/// Object types, by C enumerator.
static OBJECT_TYPES: &[Entry] = table!(object_type:
    "seL4_UntypedObject" => UNTYPED,
    "seL4_TCBObject" => TCB,
    "seL4_EndpointObject" => ENDPOINT,
    "seL4_NotificationObject" => NOTIFICATION,
    "seL4_CapTableObject" => CAP_TABLE,
    "seL4_X86_PDPTObject" => X86_PDPT,
    "seL4_X64_PML4Object" => X64_PML4,
    "seL4_X64_HugePageObject" => X64_HUGE_PAGE,
    "seL4_X86_4K" => X86_4K,
    "seL4_X86_LargePageObject" => X86_LARGE_PAGE,
    "seL4_X86_PageTableObject" => X86_PAGE_TABLE,
    "seL4_X86_PageDirectoryObject" => X86_PAGE_DIRECTORY,
);

/// Error codes, by C enumerator.
static ERROR_CODES: &[Entry] = table!(error_code:
    "seL4_NoError" => NO_ERROR,
    "seL4_InvalidArgument" => INVALID_ARGUMENT,
    "seL4_InvalidCapability" => INVALID_CAPABILITY,
    "seL4_IllegalOperation" => ILLEGAL_OPERATION,
    "seL4_RangeError" => RANGE_ERROR,
    "seL4_AlignmentError" => ALIGNMENT_ERROR,
    "seL4_FailedLookup" => FAILED_LOOKUP,
    "seL4_TruncatedMessage" => TRUNCATED_MESSAGE,
    "seL4_DeleteFirst" => DELETE_FIRST,
    "seL4_RevokeFirst" => REVOKE_FIRST,
    "seL4_NotEnoughMemory" => NOT_ENOUGH_MEMORY,
);

/// Fault labels, by `seL4_Fault` tag.
static FAULTS: &[Entry] = table!(fault:
    "NullFault" => NULL_FAULT,
    "CapFault" => CAP_FAULT,
    "UnknownSyscall" => UNKNOWN_SYSCALL,
    "UserException" => USER_EXCEPTION,
    "VMFault" => VM_FAULT,
);

/// Initial capability slots, by C enumerator.
static INIT_CAPS: &[Entry] = table!(init_cap:
    "seL4_CapNull" => NULL,
    "seL4_CapInitThreadTCB" => TCB,
    "seL4_CapInitThreadCNode" => CNODE,
    "seL4_CapInitThreadVSpace" => VSPACE,
    "seL4_CapIRQControl" => IRQ_CONTROL,
    "seL4_CapASIDControl" => ASID_CONTROL,
    "seL4_CapInitThreadASIDPool" => ASID_POOL,
    "seL4_CapIOPort" => IO_PORT,
    "seL4_CapIOSpace" => IO_SPACE,
    "seL4_CapBootInfoFrame" => BOOT_INFO_FRAME,
    "seL4_CapInitThreadIPCBuffer" => IPC_BUFFER,
    "seL4_CapDomain" => DOMAIN,
    "seL4_NumInitialCaps" => NUM_INITIAL_CAPS,
);

/// Object sizes, by `#define` in the x86_64 `constants.h`.
static SIZE_BITS: &[Entry] = table!(size_bits:
    "seL4_PageBits" => PAGE,
    "seL4_SlotBits" => SLOT,
    "seL4_TCBBits" => TCB,
    "seL4_EndpointBits" => ENDPOINT,
    "seL4_NotificationBits" => NOTIFICATION,
    "seL4_PageTableBits" => PAGE_TABLE,
    "seL4_PageDirBits" => PAGE_DIRECTORY,
    "seL4_PDPTBits" => PDPT,
    "seL4_PML4Bits" => PML4,
    "seL4_LargePageBits" => LARGE_PAGE,
    "seL4_HugePageBits" => HUGE_PAGE,
    "seL4_MinUntypedBits" => MIN_UNTYPED,
    "seL4_MaxUntypedBits" => MAX_UNTYPED,
);

/// The constants at the top level of `abi`, and the test that checks each.
static TOP_LEVEL: &[(&str, &str)] = &[
    ("MSG_MAX_LENGTH", "message_limits"),
    ("MSG_MAX_EXTRA_CAPS", "message_limits"),
    ("MSG_REGISTERS_IN_CPU", "message_limits"),
    ("MAX_NUM_BOOTINFO_UNTYPED_CAPS", "configuration_values"),
    ("ROOT_CNODE_SIZE_BITS", "configuration_values"),
    ("BADGE_BITS", "badge_width"),
    ("WORD_BITS", "object_sizes"),
];

/// Options the debug kernel flavour adds to the board configuration
/// (`xtask/src/kernel.rs`, `DEBUG_CONFIG`); the debug syscalls need them.
const DEBUG_FLAVOUR: &[&str] = &["CONFIG_DEBUG_BUILD", "CONFIG_PRINTING", "CONFIG_IRQ_REPORTING"];

// ---------------------------------------------------------------------------
// The tests, one per group.
// ---------------------------------------------------------------------------

/// Invocation labels: one running enumeration from 1 over the methods of the
/// generic, then the x86_64 (`sel4_arch`), then the x86 (`arch`) interface
/// file, skipping methods whose condition is false. That is what the
/// kernel's `invocation_header_gen.py` templates produce: the sel4_arch enum
/// starts at `nInvocationLabels`, the arch enum at `nSeL4ArchInvocationLabels`,
/// and conditional methods sit inside `#if`.
#[test]
fn invocation_labels() {
    let k = Kernel::open();
    let mut r = Report::new("invocation label");
    let mut derived: Vec<(String, &str)> = Vec::new();
    for file in [
        "libsel4/include/interfaces/sel4.xml",
        "libsel4/sel4_arch_include/x86_64/interfaces/sel4arch.xml",
        "libsel4/arch_include/x86/interfaces/sel4arch.xml",
    ] {
        let text = k.read(file);
        let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
        for method in doc.descendants().filter(|n| n.has_tag_name("method")) {
            let id = method
                .attribute("id")
                .unwrap_or_else(|| panic!("{file}: method without id"));
            let condition = method.attribute("condition").unwrap_or("");
            if condition.is_empty() || k.config.holds(condition) {
                derived.push((id.to_string(), file));
            }
        }
    }
    // Label n is the n-th surviving method; 0 is InvalidInvocation.
    let number: BTreeMap<&str, (i64, &str)> = derived
        .iter()
        .enumerate()
        .map(|(i, (id, file))| (id.as_str(), (i as i64 + 1, *file)))
        .collect();
    assert_eq!(
        number.len(),
        derived.len(),
        "duplicate method id in the interface XML files"
    );

    for e in LABELS {
        match number.get(e.kernel) {
            Some(&(n, file)) => r.compare(e, n, &format!("method {} in {file}", e.kernel)),
            None => r.problem(format!(
                "abi::{} = {}: method {} is not in the interface XML, or its condition is false for this board",
                e.ours, e.value, e.kernel
            )),
        }
    }
    if derived.len() != LABELS.len() {
        let ours: BTreeSet<&str> = LABELS.iter().map(|e| e.kernel).collect();
        let unbound: Vec<&str> = derived
            .iter()
            .map(|(id, _)| id.as_str())
            .filter(|id| !ours.contains(id))
            .collect();
        r.problem(format!(
            "the kernel has {} invocation labels in this configuration but abi::label defines {}; \
             methods without a constant: {unbound:?}",
            derived.len(),
            LABELS.len()
        ));
    }
    r.finish();
}

/// Syscall numbers: -1, -2, ... over the `api` syscalls, then the `debug`
/// ones, in order. `syscall_header_gen.py` decrements the number for every
/// syscall whether or not its `#if` condition holds, so conditions do not
/// shift the numbering; they only decide whether the kernel accepts the call.
/// Every syscall we define must exist in at least the debug flavour.
#[test]
fn syscall_numbers() {
    let k = Kernel::open();
    let mut r = Report::new("syscall number");
    let file = "include/api/syscall.xml";
    let text = k.read(file);
    let doc = roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{file}: {e}"));

    // (name, condition of its <config>) in generator order: api, then debug.
    let mut all: Vec<(String, String)> = Vec::new();
    for section in ["api", "debug"] {
        let sections: Vec<_> = doc.descendants().filter(|n| n.has_tag_name(section)).collect();
        assert!(sections.len() <= 1, "{file}: more than one <{section}> element");
        assert!(section == "debug" || sections.len() == 1, "{file}: no <api> element");
        for config in sections
            .iter()
            .flat_map(|s| s.descendants())
            .filter(|n| n.has_tag_name("config"))
        {
            let condition = config.attribute("condition").unwrap_or("").to_string();
            for syscall in config.descendants().filter(|n| n.has_tag_name("syscall")) {
                let name = syscall
                    .attribute("name")
                    .unwrap_or_else(|| panic!("{file}: syscall without name"));
                all.push((name.to_string(), condition.clone()));
            }
        }
    }

    let debug = k.config.with(DEBUG_FLAVOUR);
    for e in SYSCALLS {
        match all.iter().position(|(name, _)| name == e.kernel) {
            Some(i) => {
                r.compare(e, -(i as i64) - 1, &format!("syscall {} in {file}", e.kernel));
                let condition = &all[i].1;
                if !condition.is_empty() && !debug.holds(condition) {
                    r.problem(format!(
                        "abi::{}: syscall {} needs `{condition}`, which neither kernel flavour sets",
                        e.ours, e.kernel
                    ));
                }
            }
            None => r.problem(format!(
                "abi::{} = {}: no syscall {} in {file}",
                e.ours, e.value, e.kernel
            )),
        }
    }
    let available: Vec<&str> = all
        .iter()
        .filter(|(_, c)| c.is_empty() || debug.holds(c))
        .map(|(n, _)| n.as_str())
        .collect();
    if available.len() != SYSCALLS.len() {
        r.problem(format!(
            "the debug kernel has {} syscalls ({available:?}) but abi::syscall defines {}",
            available.len(),
            SYSCALLS.len()
        ));
    }
    r.finish();
}

/// Object types: the generic enum, continued by the x86_64 one (from
/// `seL4_NonArchObjectTypeCount`) and the x86 one (from
/// `seL4_ModeObjectTypeCount`), with `#ifdef CONFIG_HUGE_PAGE` / `IOMMU` /
/// `VTX` blocks evaluated for the board.
#[test]
fn object_types() {
    let k = Kernel::open();
    let mut r = Report::new("object type");
    let mut symbols = Symbols::new(&k.config);
    let mut types: Vec<(String, i64)> = Vec::new();
    for file in [
        "libsel4/include/sel4/objecttype.h",
        "libsel4/sel4_arch_include/x86_64/sel4/sel4_arch/objecttype.h",
        "libsel4/arch_include/x86/sel4/arch/objecttype.h",
    ] {
        let enums = c_enums(&k.header(file), &mut symbols, file);
        // The `...Count` enumerators chain the three enums; they are not types.
        types.extend(enums.into_iter().filter(|(name, _)| !name.ends_with("Count")));
    }
    r.compare_enum(OBJECT_TYPES, &types, "the objecttype.h enums");
    r.finish();
}

/// Error codes: the `seL4_Error` enum, without its `seL4_NumErrors` count.
#[test]
fn error_codes() {
    let k = Kernel::open();
    let mut r = Report::new("error code");
    let file = "libsel4/include/sel4/errors.h";
    let mut symbols = Symbols::new(&k.config);
    let codes: Vec<(String, i64)> = c_enums(&k.header(file), &mut symbols, file)
        .into_iter()
        .filter(|(name, _)| name != "seL4_NumErrors")
        .collect();
    if symbols.get("seL4_NumErrors") != Some(codes.len() as i64) {
        r.problem(format!(
            "{file}: seL4_NumErrors is not the count of error codes; update this test"
        ));
    }
    r.compare_enum(ERROR_CODES, &codes, file);
    r.finish();
}

/// Fault labels: the tags of `tagged_union seL4_Fault` (the `DebugException`
/// tag is inside `#ifdef CONFIG_HARDWARE_DEBUG_API`, off for this board).
#[test]
fn fault_labels() {
    let k = Kernel::open();
    let mut r = Report::new("fault label");
    let file = "libsel4/arch_include/x86/sel4/arch/shared_types.bf";
    let tags = bf_tags(&k.bitfield(file), "seL4_Fault", file);
    r.compare_enum(FAULTS, &tags, file);
    r.finish();
}

/// Initial capability slots: the anonymous enum in `bootinfo_types.h`.
#[test]
fn initial_cap_slots() {
    let k = Kernel::open();
    let mut r = Report::new("initial cap slot");
    let file = "libsel4/include/sel4/bootinfo_types.h";
    let mut symbols = Symbols::new(&k.config);
    let slots = c_enums(&k.header(file), &mut symbols, file);
    r.compare_enum(INIT_CAPS, &slots, file);
    r.finish();
}

/// Object sizes and the word size: `#define`s in the x86_64 `constants.h`.
#[test]
fn object_sizes() {
    let k = Kernel::open();
    let mut r = Report::new("object size");
    let file = "libsel4/sel4_arch_include/x86_64/sel4/sel4_arch/constants.h";
    let defines = c_defines(&k.header(file));
    let value = |name: &str| -> Option<i64> {
        defines
            .get(name)
            .map(|v| eval(v, &|_| None, false).unwrap_or_else(|e| panic!("{file}: {name}: {e}")))
    };
    for e in SIZE_BITS {
        match value(e.kernel) {
            Some(v) => r.compare(e, v, &format!("{} in {file}", e.kernel)),
            None => r.problem(format!("abi::{} = {}: {file} defines no {}", e.ours, e.value, e.kernel)),
        }
    }
    r.compare_value(
        "WORD_BITS",
        kernel_iface::abi::WORD_BITS as i64,
        value("seL4_WordBits"),
        &format!("seL4_WordBits in {file}"),
    );
    r.finish();
}

/// Message limits: `seL4_MsgMaxLength`, `seL4_MsgMaxExtraCaps`
/// (`2^seL4_MsgExtraCapBits - 1`), and the number of message registers the
/// kernel passes in CPU registers (`n_msgRegisters` in the kernel's x86_64
/// `registerset.h`; libsel4 5.0.0 has no constant for it).
#[test]
fn message_limits() {
    let k = Kernel::open();
    let mut r = Report::new("message limit");
    let file = "libsel4/include/sel4/constants.h";
    let text = k.header(file);
    let mut symbols = Symbols::new(&k.config);
    c_enums(&text, &mut symbols, file);
    r.compare_value(
        "MSG_MAX_LENGTH",
        kernel_iface::abi::MSG_MAX_LENGTH as i64,
        symbols.get("seL4_MsgMaxLength"),
        &format!("seL4_MsgMaxLength in {file}"),
    );
    // The header spells the maximum as a macro over the bit count; make sure
    // it still does before computing it the same way.
    let formula = c_defines(&text).get("seL4_MsgMaxExtraCaps").map(|v| v.replace(' ', ""));
    if formula.as_deref() != Some("(LIBSEL4_BIT(seL4_MsgExtraCapBits)-1)") {
        r.problem(format!(
            "{file}: seL4_MsgMaxExtraCaps is now {formula:?}; update this test"
        ));
    }
    r.compare_value(
        "MSG_MAX_EXTRA_CAPS",
        kernel_iface::abi::MSG_MAX_EXTRA_CAPS as i64,
        symbols.get("seL4_MsgExtraCapBits").map(|bits| (1 << bits) - 1),
        &format!("2^seL4_MsgExtraCapBits - 1 in {file}"),
    );
    let file = "include/arch/x86/arch/64/mode/machine/registerset.h";
    let mut symbols = Symbols::new(&k.config);
    c_enums(&k.header(file), &mut symbols, file);
    r.compare_value(
        "MSG_REGISTERS_IN_CPU",
        kernel_iface::abi::MSG_REGISTERS_IN_CPU as i64,
        symbols.get("n_msgRegisters"),
        &format!("n_msgRegisters in {file}"),
    );
    r.finish();
}

/// Configuration values, from the board configuration (falling back, like
/// the kernel, to the defaults in `include/config.h`).
#[test]
fn configuration_values() {
    let k = Kernel::open();
    let mut r = Report::new("configuration value");
    let source = "the board's kernel-config.h (or include/config.h)";
    r.compare_value(
        "MAX_NUM_BOOTINFO_UNTYPED_CAPS",
        kernel_iface::abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS as i64,
        k.config.get("CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS"),
        &format!("CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS in {source}"),
    );
    r.compare_value(
        "ROOT_CNODE_SIZE_BITS",
        kernel_iface::abi::ROOT_CNODE_SIZE_BITS as i64,
        k.config.get("CONFIG_ROOT_CNODE_SIZE_BITS"),
        &format!("CONFIG_ROOT_CNODE_SIZE_BITS in {source}"),
    );
    r.finish();
}

/// The message-info word: each field of block `seL4_MessageInfo` (listed
/// most significant first, `padding` included) must be where
/// `MessageInfo::new` puts the corresponding argument and where the
/// accessors read it, with exactly the declared width.
#[test]
fn message_info_layout() {
    let k = Kernel::open();
    let mut r = Report::new("message-info layout");
    let file = "libsel4/include/sel4/shared_types_64.bf";
    let fields = bf_layout(&k.bitfield(file), "seL4_MessageInfo", file);

    type Getter = fn(MessageInfo) -> u64;
    // (field in the .bf block, argument position of `MessageInfo::new`, accessor)
    let ours: [(&str, usize, Getter); 4] = [
        ("label", 0, MessageInfo::label),
        ("capsUnwrapped", 1, MessageInfo::caps_unwrapped),
        ("extraCaps", 2, MessageInfo::extra_caps),
        ("length", 3, MessageInfo::length),
    ];
    let named: Vec<&BfField> = fields.iter().filter(|f| f.name.is_some()).collect();
    if named.len() != ours.len() {
        r.problem(format!(
            "{file}: seL4_MessageInfo has fields {:?}, MessageInfo handles {:?}",
            named.iter().map(|f| f.name.as_deref().unwrap()).collect::<Vec<_>>(),
            ours.iter().map(|o| o.0).collect::<Vec<_>>()
        ));
    }
    for (name, arg, get) in ours {
        let Some(f) = named.iter().find(|f| f.name.as_deref() == Some(name)) else {
            r.problem(format!("{file}: seL4_MessageInfo has no field {name}"));
            continue;
        };
        let mask = (1u64 << f.width) - 1;
        // All ones in this argument (and one bit more, to see masking): the
        // word must hold exactly `mask << shift`.
        let mut args = [0u64; 4];
        args[arg] = (mask << 1) | 1;
        let word = MessageInfo::new(args[0], args[1], args[2], args[3]).0;
        if word != mask << f.shift {
            r.problem(format!(
                "MessageInfo::new puts {name} at word {word:#x}, but {file} says {} bits at bit {} ({:#x})",
                f.width,
                f.shift,
                mask << f.shift
            ));
        }
        let read = get(MessageInfo(mask << f.shift));
        if read != mask {
            r.problem(format!(
                "MessageInfo::{}() reads {read:#x} from a word with only {name} set ({:#x}); expected {mask:#x}",
                snake(name),
                mask << f.shift
            ));
        }
        if name == "label" {
            r.compare_value(
                "msginfo::LABEL_MAX",
                LABEL_MAX as i64,
                Some(mask as i64),
                &format!("label width in {file}"),
            );
        }
    }
    r.finish();
}

/// Badge width: `BADGE_BITS` must equal the `Badge` field of the cap-data
/// block and `seL4_BadgeBits`, and must be no wider than the badge fields
/// the kernel keeps in endpoint caps (28 bits in 5.0.0) and notification
/// caps (64 bits).
#[test]
fn badge_width() {
    let k = Kernel::open();
    let mut r = Report::new("badge width");
    let ours = kernel_iface::abi::BADGE_BITS as i64;
    let file = "libsel4/include/sel4/types_64.bf";
    let badge = bf_layout(&k.bitfield(file), "Badge", file)
        .into_iter()
        .find(|f| f.name.as_deref() == Some("Badge"))
        .map(|f| f.width as i64);
    r.compare_value(
        "BADGE_BITS",
        ours,
        badge,
        &format!("field Badge of block Badge in {file}"),
    );
    let file = "libsel4/include/sel4/types.h";
    let defined = c_defines(&k.header(file))
        .get("seL4_BadgeBits")
        .map(|v| eval(v, &|_| None, false).unwrap());
    r.compare_value("BADGE_BITS", ours, defined, &format!("seL4_BadgeBits in {file}"));
    // The kernel keeps the badge in the cap itself; a wider field there is
    // fine, a narrower one would drop bits a Mint sets.
    let file = "include/object/structures_64.bf";
    let text = k.bitfield(file);
    for (block, field) in [("endpoint_cap", "capEPBadge"), ("notification_cap", "capNtfnBadge")] {
        match bf_layout(&text, block, file)
            .into_iter()
            .find(|f| f.name.as_deref() == Some(field))
        {
            Some(f) if (f.width as i64) < ours => r.problem(format!(
                "abi::BADGE_BITS = {ours}, but the kernel keeps only {} bits ({field} of {block} in {file})",
                f.width
            )),
            Some(_) => {}
            None => r.problem(format!("{file}: block {block} has no field {field}")),
        }
    }
    r.finish();
}

/// Boot info: the packed `seL4_BootInfo` laid out from its field types must
/// match the offset table documented in `src/bootinfo.rs`, its size must be
/// `BOOTINFO_BYTES`, and `BootInfo::parse` must read every field from its
/// offset (checked by planting a distinct value in each field).
#[test]
fn boot_info_layout() {
    let k = Kernel::open();
    let mut r = Report::new("boot-info layout");
    let layout = BootInfoLayout::derive(&k);
    let fields = &layout.fields;

    // 1. The documented offset table, row by row.
    let documented = documented_bootinfo_offsets();
    for i in 0..fields.len().max(documented.len()) {
        match (fields.get(i), documented.get(i)) {
            (Some(f), Some((off, name))) if (f.name.as_str(), f.offset) != (name.as_str(), *off) => r.problem(format!(
                "bootinfo.rs documents row {i} as `{name}` at offset {off}, \
                     but seL4_BootInfo has `{}` at offset {}",
                f.name, f.offset
            )),
            (Some(_), Some(_)) => {}
            (Some(f), None) => r.problem(format!(
                "seL4_BootInfo field `{}` (offset {}) is missing from the table in bootinfo.rs",
                f.name, f.offset
            )),
            (None, Some((off, name))) => r.problem(format!(
                "bootinfo.rs documents `{name}` at {off}, which seL4_BootInfo does not have"
            )),
            (None, None) => unreachable!(),
        }
    }

    // 2. The number of bytes the binding reads.
    let untyped_list = fields
        .iter()
        .find(|f| f.name == "untypedList")
        .expect("seL4_BootInfo has no untypedList");
    let max = kernel_iface::abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS as i64;
    if untyped_list.count != max as usize {
        r.problem(format!(
            "seL4_BootInfo.untypedList has {} entries in this configuration, abi::MAX_NUM_BOOTINFO_UNTYPED_CAPS = {max}",
            untyped_list.count
        ));
    }
    r.compare_value(
        "bootinfo::BOOTINFO_BYTES",
        BOOTINFO_BYTES as i64,
        Some((untyped_list.offset + layout.untyped_desc_size * max as usize) as i64),
        "offset of untypedList + sizeof(seL4_UntypedDesc) * MAX_NUM_BOOTINFO_UNTYPED_CAPS",
    );
    r.compare_value(
        "bootinfo::BOOTINFO_BYTES",
        BOOTINFO_BYTES as i64,
        Some(layout.size as i64),
        "sizeof(seL4_BootInfo)",
    );

    // 3. BootInfo::parse reads each field from its offset.
    for problem in check_bootinfo_parse(&layout) {
        r.problem(problem);
    }
    r.finish();
}

/// The kernel is compiled against its own copies of the ABI headers (under
/// `include/`), not libsel4's. The checks above read libsel4's, so they are
/// only valid while the two copies are the same.
#[test]
fn kernel_compiles_the_headers_libsel4_ships() {
    let k = Kernel::open();
    let mut r = Report::new("kernel/libsel4 header");
    for (kernel, libsel4) in [
        ("include/api/bootinfo_types.h", "libsel4/include/sel4/bootinfo_types.h"),
        ("include/api/errors.h", "libsel4/include/sel4/errors.h"),
        ("include/api/objecttype.h", "libsel4/include/sel4/objecttype.h"),
        ("include/api/constants.h", "libsel4/include/sel4/constants.h"),
        (
            "include/arch/x86/arch/64/mode/api/objecttype.h",
            "libsel4/sel4_arch_include/x86_64/sel4/sel4_arch/objecttype.h",
        ),
        (
            "include/arch/x86/arch/api/objecttype.h",
            "libsel4/arch_include/x86/sel4/arch/objecttype.h",
        ),
        (
            "include/arch/x86/arch/64/mode/api/constants.h",
            "libsel4/sel4_arch_include/x86_64/sel4/sel4_arch/constants.h",
        ),
        (
            "include/arch/x86/arch/api/shared_types.bf",
            "libsel4/arch_include/x86/sel4/arch/shared_types.bf",
        ),
        (
            "include/64/mode/api/shared_types.bf",
            "libsel4/include/sel4/shared_types_64.bf",
        ),
    ] {
        if k.read(kernel) != k.read(libsel4) {
            r.problem(format!(
                "the kernel's {kernel} differs from {libsel4}; check which one the ABI follows"
            ));
        }
    }
    r.finish();
}

/// Every `pub const` in `abi.rs` is in one of the tables above, so a new
/// constant cannot slip in unchecked.
#[test]
fn every_abi_constant_is_cross_checked() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/abi.rs");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut module: Option<String> = None;
    let mut defined = BTreeSet::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("pub mod ") {
            module = Some(rest.trim_end_matches(['{', ' ']).to_string());
        } else if line.starts_with('}') {
            module = None;
        } else if let Some(rest) = line.trim_start().strip_prefix("pub const ") {
            let name = rest.split(':').next().unwrap().trim();
            defined.insert(match &module {
                Some(m) => format!("{m}::{name}"),
                None => name.to_string(),
            });
        }
    }
    let checked: BTreeSet<String> = [
        LABELS,
        SYSCALLS,
        OBJECT_TYPES,
        ERROR_CODES,
        FAULTS,
        INIT_CAPS,
        SIZE_BITS,
    ]
    .iter()
    .flat_map(|t| t.iter().map(|e| e.ours.to_string()))
    .chain(TOP_LEVEL.iter().map(|(name, _)| name.to_string()))
    .collect();
    let unchecked: Vec<_> = defined.difference(&checked).collect();
    let stale: Vec<_> = checked.difference(&defined).collect();
    assert!(
        unchecked.is_empty() && stale.is_empty(),
        "abi.rs and the tables of tests/abi_crosscheck.rs disagree:\n  \
         constants in abi.rs that no test checks: {unchecked:?}\n  \
         table entries with no constant in abi.rs: {stale:?}"
    );
}

// ---------------------------------------------------------------------------
// Reporting: collect every mismatch of a group, then fail once listing all.
// ---------------------------------------------------------------------------

struct Report {
    group: &'static str,
    problems: Vec<String>,
}

impl Report {
    fn new(group: &'static str) -> Self {
        Report {
            group,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    /// Compares a table entry with the value derived from `source`.
    fn compare(&mut self, e: &Entry, kernel: i64, source: &str) {
        if e.value != kernel {
            self.problem(format!(
                "abi::{} = {}, but the kernel source gives {kernel} ({source})",
                e.ours, e.value
            ));
        }
    }

    /// Compares a named value with a derived one (`None`: not found).
    fn compare_value(&mut self, ours: &str, value: i64, kernel: Option<i64>, source: &str) {
        match kernel {
            Some(k) if k == value => {}
            Some(k) => self.problem(format!("{ours} = {value}, but the kernel source gives {k} ({source})")),
            None => self.problem(format!("{ours} = {value}: could not find {source}")),
        }
    }

    /// Compares a table against a whole derived enumeration: each entry's
    /// value, and that the enumeration has no member the table lacks.
    fn compare_enum(&mut self, table: &[Entry], derived: &[(String, i64)], source: &str) {
        for e in table {
            match derived.iter().find(|(name, _)| name == e.kernel) {
                Some((_, v)) => self.compare(e, *v, &format!("{} in {source}", e.kernel)),
                None => self.problem(format!(
                    "abi::{} = {}: {} is not in {source} for this configuration",
                    e.ours, e.value, e.kernel
                )),
            }
        }
        let unbound: Vec<&str> = derived
            .iter()
            .map(|(name, _)| name.as_str())
            .filter(|name| !table.iter().any(|e| e.kernel == *name))
            .collect();
        if !unbound.is_empty() {
            self.problem(format!("{source} has members with no constant in abi: {unbound:?}"));
        }
    }

    fn finish(self) {
        if !self.problems.is_empty() {
            panic!(
                "{} {} mismatch(es) between kernel-iface and the seL4 source:\n  - {}\n",
                self.problems.len(),
                self.group,
                self.problems.join("\n  - ")
            );
        }
    }
}

// ---------------------------------------------------------------------------
// The kernel source and the board configuration.
// ---------------------------------------------------------------------------

struct Kernel {
    /// `<workspace>/target/kernel/src/seL4`.
    root: PathBuf,
    /// The board configuration, with the kernel's defaults filled in.
    config: Config,
}

impl Kernel {
    fn open() -> Kernel {
        let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
            .parent()
            .expect("kernel-iface has a parent directory");
        let root = workspace.join("target/kernel/src/seL4");
        if !root.is_dir() {
            panic!(
                "kernel source missing: run `cargo xtask kernel` first (looked for {})",
                root.display()
            );
        }
        let board = workspace.join("boards/qemu-x86_64/kernel-config.h");
        let board_text = std::fs::read_to_string(&board).unwrap_or_else(|e| panic!("{}: {e}", board.display()));
        let mut config = Config::default();
        // The board header is a flat list of `#define CONFIG_X value`.
        for (name, value) in c_defines(&strip_c_comments(&board_text)) {
            if name.starts_with("CONFIG_") {
                config.set(&name, &value);
            }
        }
        let mut k = Kernel { root, config };
        // include/config.h: `#ifndef CONFIG_X / #define CONFIG_X default`.
        let defaults = strip_c_comments(&k.read("include/config.h"));
        let mut guard: Option<String> = None;
        for line in defaults.lines().map(str::trim) {
            if let Some(name) = line.strip_prefix("#ifndef ") {
                guard = Some(name.trim().to_string());
            } else if let Some(rest) = line.strip_prefix("#define ") {
                let (name, value) = split_define(rest);
                if guard.as_deref() == Some(name) && k.config.get(name).is_none() {
                    k.config.set(name, value);
                }
            } else if line.starts_with("#endif") {
                guard = None;
            }
        }
        k
    }

    fn read(&self, rel: &str) -> String {
        let path = self.root.join(rel);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading kernel source {}: {e}", path.display()))
    }

    /// A C header with comments removed and `#if` blocks selected.
    fn header(&self, rel: &str) -> String {
        preprocess(&strip_c_comments(&self.read(rel)), &self.config, rel)
    }

    /// A `.bf` file with `--` comments removed and `#if` blocks selected.
    fn bitfield(&self, rel: &str) -> String {
        let text: String = self
            .read(rel)
            .lines()
            .map(|l| l.split("--").next().unwrap().to_string() + "\n")
            .collect();
        preprocess(&text, &self.config, rel)
    }
}

/// Preprocessor macros of a configuration and their values.
#[derive(Clone, Default)]
struct Config(BTreeMap<String, i64>);

impl Config {
    fn set(&mut self, name: &str, value: &str) {
        let v = if value.is_empty() {
            1
        } else {
            eval(value, &|_| None, false).unwrap_or_else(|e| panic!("{name}: {e}"))
        };
        self.0.insert(name.to_string(), v);
    }

    fn get(&self, name: &str) -> Option<i64> {
        self.0.get(name).copied()
    }

    /// This configuration plus the given options set to 1.
    fn with(&self, options: &[&str]) -> Config {
        let mut c = self.clone();
        for o in options {
            c.0.insert(o.to_string(), 1);
        }
        c
    }

    /// Evaluates a preprocessor condition (undefined names are 0, as in cpp).
    fn holds(&self, condition: &str) -> bool {
        eval(condition, &|name| self.get(name), true).unwrap_or_else(|e| panic!("condition `{condition}`: {e}")) != 0
    }
}

/// Enumerator values seen so far, resolving also configuration macros.
struct Symbols<'a> {
    config: &'a Config,
    values: BTreeMap<String, i64>,
}

impl<'a> Symbols<'a> {
    fn new(config: &'a Config) -> Self {
        Symbols {
            config,
            values: BTreeMap::new(),
        }
    }

    fn get(&self, name: &str) -> Option<i64> {
        self.values.get(name).copied().or_else(|| self.config.get(name))
    }
}

// ---------------------------------------------------------------------------
// Expressions: the subset of C/cpp integer expressions these files use.
// ---------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(i64),
    Ident(String),
    Op(&'static str),
}

fn tokenize(s: &str) -> Result<Vec<Tok>, String> {
    const OPS: [&str; 20] = [
        "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "(", ")", "!", "<", ">", "+", "-", "*", "/", "|", "&", "~",
    ];
    let mut toks = Vec::new();
    let mut rest = s.trim_start();
    while !rest.is_empty() {
        let c = rest.chars().next().unwrap();
        let len = if c.is_ascii_digit() {
            let len = rest.find(|c: char| !c.is_ascii_alphanumeric()).unwrap_or(rest.len());
            let lit = rest[..len].trim_end_matches(['u', 'U', 'l', 'L']);
            let n = match lit.strip_prefix("0x").or_else(|| lit.strip_prefix("0X")) {
                Some(hex) => i64::from_str_radix(hex, 16),
                None => lit.parse(),
            };
            toks.push(Tok::Num(n.map_err(|_| format!("bad number `{}`", &rest[..len]))?));
            len
        } else if c.is_ascii_alphabetic() || c == '_' {
            let len = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            toks.push(Tok::Ident(rest[..len].to_string()));
            len
        } else if let Some(op) = OPS.iter().find(|op| rest.starts_with(**op)) {
            toks.push(Tok::Op(op));
            op.len()
        } else {
            return Err(format!("unexpected `{c}` in `{s}`"));
        };
        rest = rest[len..].trim_start();
    }
    Ok(toks)
}

/// Evaluates `expr`. Names resolve through `lookup`; in a preprocessor
/// condition (`cpp`) `defined` is recognised and unknown names are 0,
/// otherwise an unknown name is an error.
fn eval(expr: &str, lookup: &dyn Fn(&str) -> Option<i64>, cpp: bool) -> Result<i64, String> {
    let toks = tokenize(expr)?;
    let mut p = ExprParser {
        toks: &toks,
        pos: 0,
        lookup,
        cpp,
    };
    let v = p.binary(0)?;
    if p.pos != toks.len() {
        return Err(format!("trailing tokens in `{expr}`"));
    }
    Ok(v)
}

struct ExprParser<'a> {
    toks: &'a [Tok],
    pos: usize,
    lookup: &'a dyn Fn(&str) -> Option<i64>,
    cpp: bool,
}

/// Binary operators from loosest to tightest binding, as in C.
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["&"],
    &["==", "!="],
    &["<", ">", "<=", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/"],
];

impl ExprParser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self) -> Result<Tok, String> {
        let t = self.toks.get(self.pos).cloned().ok_or("unexpected end of expression")?;
        self.pos += 1;
        Ok(t)
    }

    fn expect(&mut self, op: &str) -> Result<(), String> {
        match self.next()? {
            Tok::Op(o) if o == op => Ok(()),
            t => Err(format!("expected `{op}`, found {t:?}")),
        }
    }

    fn binary(&mut self, level: usize) -> Result<i64, String> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some(&Tok::Op(op)) = self.peek() {
            if !LEVELS[level].contains(&op) {
                break;
            }
            self.pos += 1;
            let rhs = self.binary(level + 1)?;
            lhs = match op {
                "||" => ((lhs != 0) || (rhs != 0)) as i64,
                "&&" => ((lhs != 0) && (rhs != 0)) as i64,
                "|" => lhs | rhs,
                "&" => lhs & rhs,
                "==" => (lhs == rhs) as i64,
                "!=" => (lhs != rhs) as i64,
                "<" => (lhs < rhs) as i64,
                ">" => (lhs > rhs) as i64,
                "<=" => (lhs <= rhs) as i64,
                ">=" => (lhs >= rhs) as i64,
                "<<" => lhs << rhs,
                ">>" => lhs >> rhs,
                "+" => lhs + rhs,
                "-" => lhs - rhs,
                "*" => lhs * rhs,
                "/" => lhs.checked_div(rhs).ok_or("division by zero")?,
                _ => unreachable!(),
            };
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, String> {
        match self.next()? {
            Tok::Num(n) => Ok(n),
            Tok::Op("!") => Ok((self.unary()? == 0) as i64),
            Tok::Op("-") => Ok(-self.unary()?),
            Tok::Op("~") => Ok(!self.unary()?),
            Tok::Op("(") => {
                let v = self.binary(0)?;
                self.expect(")")?;
                Ok(v)
            }
            Tok::Ident(d) if self.cpp && d == "defined" => {
                // `defined(NAME)` or `defined NAME`
                let paren = self.peek() == Some(&Tok::Op("("));
                if paren {
                    self.pos += 1;
                }
                let Tok::Ident(name) = self.next()? else {
                    return Err("`defined` without a name".into());
                };
                if paren {
                    self.expect(")")?;
                }
                Ok((self.lookup)(&name).is_some() as i64)
            }
            Tok::Ident(name) => match (self.lookup)(&name) {
                Some(v) => Ok(v),
                None if self.cpp => Ok(0),
                None => Err(format!("unknown name `{name}`")),
            },
            t => Err(format!("unexpected {t:?}")),
        }
    }
}

// ---------------------------------------------------------------------------
// C headers: comments, #if blocks, #defines, enums, packed structs.
// ---------------------------------------------------------------------------

/// Removes `/* */` and `//` comments (keeping line breaks) and joins
/// backslash-continued lines.
fn strip_c_comments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("/*") {
            let end = after.find("*/").map_or(after.len(), |i| i + 2);
            out.extend(after[..end].chars().filter(|&c| c == '\n'));
            rest = &after[end..];
        } else if rest.starts_with("//") {
            rest = &rest[rest.find('\n').unwrap_or(rest.len())..];
        } else {
            let c = rest.chars().next().unwrap();
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    out.replace("\\\n", " ")
}

/// Keeps the lines of `text` that the preprocessor would compile for
/// `config`: `#if`, `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif` are
/// evaluated and dropped; other directives (`#define`, `#include`) in active
/// blocks are kept. Macros the file itself defines are not tracked; in these
/// headers they are only include guards.
fn preprocess(text: &str, config: &Config, file: &str) -> String {
    // Per open #if: (enclosing block active, this branch active, some branch taken).
    let mut stack: Vec<(bool, bool, bool)> = Vec::new();
    let active = |stack: &[(bool, bool, bool)]| stack.last().is_none_or(|&(outer, this, _)| outer && this);
    let mut out = String::new();
    for line in text.lines() {
        let Some(directive) = line.trim_start().strip_prefix('#') else {
            if active(&stack) {
                out.push_str(line);
                out.push('\n');
            }
            continue;
        };
        let directive = directive.trim_start();
        let (word, rest) = directive.split_once(char::is_whitespace).unwrap_or((directive, ""));
        let rest = rest.trim();
        let outer = active(&stack);
        match word {
            "if" | "ifdef" | "ifndef" => {
                let cond = match word {
                    "if" => config.holds(rest),
                    "ifdef" => config.get(rest).is_some(),
                    _ => config.get(rest).is_none(),
                };
                stack.push((outer, cond, cond));
            }
            "elif" | "else" => {
                let (outer, _, taken) = stack.pop().unwrap_or_else(|| panic!("{file}: #{word} without #if"));
                let cond = !taken && (word == "else" || config.holds(rest));
                stack.push((outer, cond, taken || cond));
            }
            "endif" => {
                stack.pop().unwrap_or_else(|| panic!("{file}: #endif without #if"));
            }
            _ if outer => {
                out.push_str(line);
                out.push('\n');
            }
            _ => {}
        }
    }
    assert!(stack.is_empty(), "{file}: unterminated #if");
    out
}

/// Splits the text after `#define ` into name and value.
fn split_define(rest: &str) -> (&str, &str) {
    let rest = rest.trim();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    (&rest[..end], rest[end..].trim())
}

/// Object-like `#define NAME value` lines (function-like macros skipped).
fn c_defines(text: &str) -> BTreeMap<String, String> {
    let mut defines = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix('#') else {
            continue;
        };
        let Some(rest) = rest.trim_start().strip_prefix("define") else {
            continue;
        };
        let (name, value) = split_define(rest);
        if !rest.trim_start()[name.len()..].starts_with('(') {
            defines.insert(name.to_string(), value.to_string());
        }
    }
    defines
}

/// All enumerators of all `enum { ... }` bodies of a (preprocessed) header,
/// in order, with their values. Values are recorded in `symbols` so that a
/// later enum (or file) can continue from an earlier one. The libsel4 macro
/// `SEL4_FORCE_LONG_ENUM(...)` only widens the type and is skipped.
fn c_enums(text: &str, symbols: &mut Symbols, file: &str) -> Vec<(String, i64)> {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut found = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("enum").map(|i| i + from) {
        from = i + 4;
        let before_ok = text[..i].chars().next_back().is_none_or(|c| !is_ident(c));
        let after = &text[from..];
        if !before_ok || after.starts_with(is_ident) {
            continue; // part of a longer word
        }
        // `enum [tag] {`; anything else (a use as a type) is not a definition.
        let Some(open) = after.find(|c: char| !(is_ident(c) || c.is_whitespace())) else {
            break;
        };
        if !after[open..].starts_with('{') {
            continue;
        }
        let body = &after[open + 1..];
        let close = body.find('}').unwrap_or_else(|| panic!("{file}: unterminated enum"));
        let mut next = 0;
        for item in body[..close].split(',').map(str::trim).filter(|s| !s.is_empty()) {
            if item.starts_with("SEL4_FORCE_LONG_ENUM") {
                continue;
            }
            let (name, value) = match item.split_once('=') {
                Some((name, expr)) => (
                    name.trim(),
                    eval(expr, &|n| symbols.get(n), false).unwrap_or_else(|e| panic!("{file}: enumerator {item}: {e}")),
                ),
                None => (item, next),
            };
            assert!(name.chars().all(is_ident), "{file}: cannot read enumerator `{item}`");
            symbols.values.insert(name.to_string(), value);
            found.push((name.to_string(), value));
            next = value + 1;
        }
        from += open + 1 + close;
    }
    found
}

/// One member of a C struct.
struct CField {
    ty: String,
    pointer: bool,
    name: String,
    /// Array length expression, if an array.
    array: Option<String>,
}

/// The members of `typedef struct { ... } [SEL4_PACKED] name;` and whether
/// it is packed.
fn c_struct(text: &str, name: &str, file: &str) -> (Vec<CField>, bool) {
    let is_ident = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let end = text
        .match_indices(name)
        .map(|(i, _)| i)
        .find(|&i| {
            !text[..i].ends_with(is_ident)
                && text[i + name.len()..].trim_start().starts_with(';')
                && text[..i]
                    .trim_end()
                    .trim_end_matches("SEL4_PACKED")
                    .trim_end()
                    .ends_with('}')
        })
        .unwrap_or_else(|| panic!("{file}: no struct {name}"));
    let head = &text[..end];
    let close = head.rfind('}').unwrap();
    let packed = head[close..].contains("SEL4_PACKED");
    let open = head[..close].rfind('{').unwrap();
    let fields = head[open + 1..close]
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|decl| {
            let (decl, array) = match decl.split_once('[') {
                Some((d, a)) => (d.trim(), Some(a.trim_end_matches(']').trim().to_string())),
                None => (decl, None),
            };
            let split = decl
                .rfind(|c: char| !is_ident(c))
                .unwrap_or_else(|| panic!("{file}: cannot read `{decl}`"));
            let ty = &decl[..=split];
            CField {
                pointer: ty.contains('*'),
                ty: ty.replace('*', "").trim().to_string(),
                name: decl[split + 1..].to_string(),
                array,
            }
        })
        .collect();
    (fields, packed)
}

// ---------------------------------------------------------------------------
// Bitfield (.bf) files.
// ---------------------------------------------------------------------------

/// A `field`/`padding` of a `.bf` block and where it lies in the block.
struct BfField {
    /// `None` for padding.
    name: Option<String>,
    width: u32,
    /// Bit offset of the least significant bit within the block.
    shift: u32,
}

/// The lines between the braces of `<keyword> <name> ... {` ... `}`.
fn bf_body<'t>(text: &'t str, keyword: &str, name: &str, file: &str) -> Vec<&'t str> {
    let start = text
        .lines()
        .position(|l| {
            let mut words = l
                .split(|c: char| c.is_whitespace() || c == '(' || c == '{')
                .filter(|w| !w.is_empty());
            words.next() == Some(keyword) && words.next() == Some(name)
        })
        .unwrap_or_else(|| panic!("{file}: no {keyword} {name}"));
    let mut lines = text.lines().skip(start);
    // The header may span lines (a block's parameter list).
    let mut body = Vec::new();
    let mut inside = false;
    for line in &mut lines {
        let line = if inside {
            line
        } else {
            match line.split_once('{') {
                Some((_, after)) => {
                    inside = true;
                    after
                }
                None => continue,
            }
        };
        if let Some((before, _)) = line.split_once('}') {
            body.push(before);
            return body;
        }
        body.push(line);
    }
    panic!("{file}: unterminated {keyword} {name}");
}

/// Fields of `block name`, listed most significant first as in the file,
/// with their bit offsets within the block.
fn bf_layout(text: &str, block: &str, file: &str) -> Vec<BfField> {
    let mut fields = Vec::new();
    for line in bf_body(text, "block", block, file) {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (name, width) = match words.as_slice() {
            [] => continue,
            ["padding", w] => (None, w),
            ["field" | "field_high", n, w] => (Some(n.to_string()), w),
            _ => panic!("{file}: block {block}: cannot read `{line}`"),
        };
        let width: u32 = width
            .parse()
            .unwrap_or_else(|_| panic!("{file}: block {block}: bad width in `{line}`"));
        fields.push(BfField { name, width, shift: 0 });
    }
    // The last field is bit 0; each earlier one sits above the later ones.
    let mut shift = 0;
    for f in fields.iter_mut().rev() {
        f.shift = shift;
        shift += f.width;
    }
    assert!(
        shift % 32 == 0,
        "{file}: block {block} is {shift} bits, not whole words"
    );
    fields
}

/// Tags of `tagged_union name`.
fn bf_tags(text: &str, union: &str, file: &str) -> Vec<(String, i64)> {
    bf_body(text, "tagged_union", union, file)
        .into_iter()
        .filter_map(|line| match line.split_whitespace().collect::<Vec<_>>().as_slice() {
            [] => None,
            ["tag", name, value] => Some((
                name.to_string(),
                value.parse().unwrap_or_else(|_| panic!("{file}: bad tag `{line}`")),
            )),
            _ => panic!("{file}: tagged_union {union}: cannot read `{line}`"),
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Boot info.
// ---------------------------------------------------------------------------

/// A member of `seL4_BootInfo` placed in the packed layout.
struct Placed {
    name: String,
    /// C type (or `ptr` for a pointer).
    ty: String,
    offset: usize,
    /// Size of one element.
    size: usize,
    /// Number of elements (1 unless an array).
    count: usize,
}

struct BootInfoLayout {
    fields: Vec<Placed>,
    size: usize,
    untyped_desc_size: usize,
    /// Fields of the structs nested in seL4_BootInfo, by struct type.
    nested: BTreeMap<String, Vec<Placed>>,
}

impl BootInfoLayout {
    /// Lays out the packed `seL4_BootInfo` by summing member sizes. Sizes
    /// come from the typedef chains in libsel4's x86_64 `simple_types.h` and
    /// `types.h` down to C base types (LP64), and from the nested packed
    /// structs in `bootinfo_types.h`.
    fn derive(k: &Kernel) -> BootInfoLayout {
        let bootinfo_file = "libsel4/include/sel4/bootinfo_types.h";
        let bootinfo = k.header(bootinfo_file);
        let mut typedefs = BTreeMap::new();
        for file in [
            "libsel4/sel4_arch_include/x86_64/sel4/sel4_arch/simple_types.h",
            "libsel4/sel4_arch_include/x86_64/sel4/sel4_arch/types.h",
            bootinfo_file,
        ] {
            let text = if file == bootinfo_file {
                bootinfo.clone()
            } else {
                k.header(file)
            };
            for line in text.lines().map(str::trim) {
                let Some(decl) = line.strip_prefix("typedef ").and_then(|d| d.strip_suffix(';')) else {
                    continue;
                };
                if decl.contains(['{', '(']) || decl.starts_with("struct") || decl.starts_with("enum") {
                    continue;
                }
                let (ty, name) = decl.rsplit_once(char::is_whitespace).unwrap();
                typedefs.insert(name.to_string(), ty.trim().to_string());
            }
        }

        let layout_of = |name: &str| -> Vec<Placed> {
            let (members, packed) = c_struct(&bootinfo, name, bootinfo_file);
            assert!(
                packed,
                "{bootinfo_file}: {name} is no longer SEL4_PACKED; offsets need alignment now"
            );
            let mut offset = 0;
            members
                .into_iter()
                .map(|m| {
                    let (ty, size) = if m.pointer {
                        ("ptr".to_string(), 8)
                    } else {
                        (m.ty.clone(), type_size(&m.ty, &typedefs, &bootinfo, bootinfo_file))
                    };
                    let count = m.array.map_or(1, |n| {
                        eval(&n, &|x| k.config.get(x), false).unwrap_or_else(|e| panic!("{bootinfo_file}: {name}: {e}"))
                            as usize
                    });
                    let p = Placed {
                        name: m.name,
                        ty,
                        offset,
                        size,
                        count,
                    };
                    offset += size * count;
                    p
                })
                .collect()
        };
        let fields = layout_of("seL4_BootInfo");
        let mut nested = BTreeMap::new();
        for f in &fields {
            if f.ty.starts_with("seL4_") && !typedefs.contains_key(&f.ty) {
                nested.insert(f.ty.clone(), layout_of(&f.ty));
            }
        }
        let last = fields.last().unwrap();
        BootInfoLayout {
            size: last.offset + last.size * last.count,
            untyped_desc_size: type_size("seL4_UntypedDesc", &typedefs, &bootinfo, bootinfo_file),
            fields,
            nested,
        }
    }

    /// Every scalar in the layout, flattened as (path, offset, size); of the
    /// untyped list only entry 0. Padding members are left out.
    fn leaves(&self) -> Vec<(String, usize, usize)> {
        let mut out = Vec::new();
        for f in &self.fields {
            let prefix = if f.count > 1 {
                format!("{}[0]", f.name)
            } else {
                f.name.clone()
            };
            match self.nested.get(&f.ty) {
                Some(members) => {
                    for m in members.iter().filter(|m| !m.name.starts_with("padding")) {
                        out.push((format!("{prefix}.{}", m.name), f.offset + m.offset, m.size));
                    }
                }
                None => out.push((prefix, f.offset, f.size)),
            }
        }
        out
    }
}

/// Size in bytes of a C type on x86_64, through typedefs and packed structs.
fn type_size(ty: &str, typedefs: &BTreeMap<String, String>, structs: &str, file: &str) -> usize {
    let base = ty.trim_start_matches("signed ").trim_start_matches("unsigned ").trim();
    match base {
        "char" => 1,
        "short" => 2,
        "int" => 4,
        "long" => 8, // LP64
        _ => match typedefs.get(ty) {
            Some(target) => type_size(target, typedefs, structs, file),
            None => {
                let (members, packed) = c_struct(structs, ty, file);
                assert!(packed, "{file}: {ty} is no longer SEL4_PACKED");
                members
                    .iter()
                    .map(|m| {
                        assert!(
                            m.array.is_none() && !m.pointer,
                            "{file}: {ty}: unexpected member {}",
                            m.name
                        );
                        type_size(&m.ty, typedefs, structs, file)
                    })
                    .sum()
            }
        },
    }
}

/// The (offset, field) rows of the table in `src/bootinfo.rs`'s module doc.
fn documented_bootinfo_offsets() -> Vec<(usize, String)> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/bootinfo.rs");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines()
        .filter_map(|l| l.strip_prefix("//! |"))
        .filter_map(|row| {
            let mut cells = row.split('|').map(str::trim);
            let offset = cells.next()?.parse().ok()?; // skips the header and rule
            let name = cells
                .next()?
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .next()?;
            Some((offset, name.to_string()))
        })
        .collect()
}

/// Plants a distinct value in every field of a boot-info image laid out as
/// derived, parses it with `BootInfo::parse`, and lists the fields that did
/// not come back.
fn check_bootinfo_parse(layout: &BootInfoLayout) -> Vec<String> {
    let leaves = layout.leaves();
    let mut image = vec![0u8; layout.size.max(BOOTINFO_BYTES)];
    let mut planted = BTreeMap::new();
    for (i, (path, offset, size)) in leaves.iter().enumerate() {
        // Increasing values keep every region's end above its start, and a
        // region of length 1 keeps the untyped list within bounds.
        let value = i as u64 + 1;
        image[*offset..offset + size].copy_from_slice(&value.to_le_bytes()[..*size]);
        planted.insert(path.as_str(), value);
    }
    let bi = match BootInfo::parse(&image) {
        Ok(bi) => bi,
        Err(e) => {
            return vec![format!(
                "BootInfo::parse rejects an image laid out like seL4_BootInfo: {e:?}"
            )]
        }
    };
    let u = &bi.untyped_list[0];
    let decoded: &[(&str, u64)] = &[
        ("extraLen", bi.extra_len),
        ("nodeID", bi.node_id),
        ("numNodes", bi.num_nodes),
        ("numIOPTLevels", bi.num_io_pt_levels),
        ("ipcBuffer", bi.ipc_buffer),
        ("empty.start", bi.empty.start),
        ("empty.end", bi.empty.end),
        ("sharedFrames.start", bi.shared_frames.start),
        ("sharedFrames.end", bi.shared_frames.end),
        ("userImageFrames.start", bi.user_image_frames.start),
        ("userImageFrames.end", bi.user_image_frames.end),
        ("userImagePaging.start", bi.user_image_paging.start),
        ("userImagePaging.end", bi.user_image_paging.end),
        ("ioSpaceCaps.start", bi.io_space_caps.start),
        ("ioSpaceCaps.end", bi.io_space_caps.end),
        ("extraBIPages.start", bi.extra_bi_pages.start),
        ("extraBIPages.end", bi.extra_bi_pages.end),
        ("initThreadCNodeSizeBits", bi.init_thread_cnode_size_bits as u64),
        ("initThreadDomain", bi.init_thread_domain),
        ("archInfo", bi.tsc_mhz),
        ("untyped.start", bi.untyped.start),
        ("untyped.end", bi.untyped.end),
        ("untypedList[0].paddr", u.paddr),
        ("untypedList[0].sizeBits", u.size_bits as u64),
        // A bool: compared as "non-zero" below, and checked for false apart.
        ("untypedList[0].isDevice", u.is_device as u64),
    ];
    let mut problems = Vec::new();
    for (path, value) in &planted {
        match decoded.iter().find(|(p, _)| p == path) {
            None => problems.push(format!("seL4_BootInfo member {path} is not decoded by BootInfo::parse")),
            Some((_, got)) if path.ends_with("isDevice") && *got != 0 => {}
            Some((_, got)) if got == value => {}
            Some((_, got)) => problems.push(format!(
                "BootInfo::parse reads {path} as {got:#x}; the value planted at its seL4_BootInfo offset was {value:#x}"
            )),
        }
    }
    for (path, _) in decoded {
        if !planted.contains_key(path) {
            problems.push(format!(
                "BootInfo::parse decodes {path}, which seL4_BootInfo does not have"
            ));
        }
    }
    // isDevice must also read false when only its own byte is clear.
    if let Some((_, offset, _)) = leaves.iter().find(|(p, _, _)| p.ends_with("isDevice")) {
        image[*offset] = 0;
        if BootInfo::parse(&image).map(|b| b.untyped_list[0].is_device) != Ok(false) {
            problems.push(format!(
                "BootInfo::parse does not read untypedList[0].isDevice from offset {offset}"
            ));
        }
    }
    problems
}

/// `capsUnwrapped` -> `caps_unwrapped`, for messages.
fn snake(name: &str) -> String {
    name.chars()
        .flat_map(|c| {
            if c.is_ascii_uppercase() {
                vec!['_', c.to_ascii_lowercase()]
            } else {
                vec![c]
            }
        })
        .collect()
}
