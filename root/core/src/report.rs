//! Texts the root task prints: the boot summary and fault reports. The
//! test harness parses these lines, so their shape is a contract:
//!
//! ```text
//! boot: seL4 5.0.0, untyped 522704 KiB in 29 caps (+106 device), free slots 170..4096 (3926), tsc 999 MHz
//! fault: component 'crash' (id 2): vm fault at address 0xdead0000, ip 0x401005
//! ```

use kernel_iface::fault::Fault;

use crate::untyped::UntypedAllocator;

/// Writes the boot summary line.
pub fn write_boot_summary(out: &mut impl core::fmt::Write, a: &UntypedAllocator, tsc_mhz: u64) -> core::fmt::Result {
    let slots = a.slot_region();
    let (_, device_caps) = a.device();
    writeln!(
        out,
        "boot: seL4 5.0.0, untyped {} KiB in {} caps (+{} device), free slots {}..{} ({}), tsc {} MHz",
        a.total_bytes() / 1024,
        a.untypeds().len(),
        device_caps,
        slots.start,
        slots.end,
        slots.len(),
        tsc_mhz
    )
}

/// Writes a fault report line.
pub fn write_fault(out: &mut impl core::fmt::Write, name: &str, id: u64, fault: &Fault) -> core::fmt::Result {
    write!(out, "fault: component '{name}' (id {id}): {}", fault.kind())?;
    if let Some(addr) = fault.addr() {
        write!(out, " at address {addr:#x}")?;
    }
    if let Fault::UserException { number, code, .. } = fault {
        if *number != 6 {
            write!(out, " (vector {number}, error code {code:#x})")?;
        }
    }
    match fault.ip() {
        Some(ip) => writeln!(out, ", ip {ip:#x}"),
        None => writeln!(out),
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::string::String;

    #[test]
    fn fault_line_shape() {
        let mut s = String::new();
        let f = Fault::VmFault {
            ip: 0x401005,
            addr: 0xdead_0000,
            instruction_fetch: false,
            fsr: 6,
        };
        write_fault(&mut s, "crash", 2, &f).unwrap();
        assert_eq!(
            s,
            "fault: component 'crash' (id 2): vm fault at address 0xdead0000, ip 0x401005\n"
        );
        let mut s = String::new();
        write_fault(&mut s, "x", 3, &Fault::Other { label: 9 }).unwrap();
        assert_eq!(s, "fault: component 'x' (id 3): unknown fault\n");
    }
}
