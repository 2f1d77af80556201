//! # pci-io: PCI configuration space and I/O-port windows on seL4
//!
//! The legacy virtio devices of the pc99 board (the network card and the
//! disk) are reached through x86 I/O ports only: PCI configuration space
//! through the address/data pair at 0xcf8/0xcfc (configuration mechanism
//! 1, bus 0), and the device's registers through the I/O window its BAR 0
//! is put at. A system description grants each driver those ranges as I/O
//! port capabilities; these two types wrap them.
//!
//! Port accesses through a capability that does not cover the port fail;
//! writes are then dropped, configuration reads give all ones (as an
//! absent device does) and window reads give 0 (a device that reports
//! nothing), so a driver with a wrong description finds no device instead
//! of faulting.

#![no_std]
#![forbid(unsafe_code)]

use kernel_iface::cap::kind::IoPort;
use kernel_iface::Cap;

const CONFIG_ADDRESS: u16 = 0xcf8;
const CONFIG_DATA: u16 = 0xcfc;

/// PCI configuration space of bus 0.
#[derive(Clone, Copy, Debug)]
pub struct PciConfig {
    ports: Cap<IoPort>,
}

impl PciConfig {
    /// Over a capability to ports 0xcf8-0xcff.
    pub fn new(ports: Cap<IoPort>) -> PciConfig {
        PciConfig { ports }
    }

    fn select(&self, dev: u32, reg: u32) {
        let _ = self
            .ports
            .x86_ioport_out32(CONFIG_ADDRESS, 0x8000_0000 | (dev & 31) << 11 | (reg & 0xfc));
    }

    /// The 32-bit register at `reg` (rounded down to 4) of device `dev`.
    pub fn read(&self, dev: u32, reg: u32) -> u32 {
        self.select(dev, reg);
        self.ports.x86_ioport_in32(CONFIG_DATA).unwrap_or(u32::MAX)
    }

    /// Writes the 32-bit register at `reg` of device `dev`.
    pub fn write(&self, dev: u32, reg: u32, value: u32) {
        self.select(dev, reg);
        let _ = self.ports.x86_ioport_out32(CONFIG_DATA, value);
    }

    /// The first device (function 0) on bus 0 whose vendor and device id
    /// register reads `id` (device id in the high half).
    pub fn find(&self, id: u32) -> Option<u32> {
        (0..32).find(|d| self.read(*d, 0) == id)
    }
}

/// A device's registers in an I/O-port window starting at `base`.
#[derive(Clone, Copy, Debug)]
pub struct IoWindow {
    ports: Cap<IoPort>,
    base: u16,
}

impl IoWindow {
    pub fn new(ports: Cap<IoPort>, base: u16) -> IoWindow {
        IoWindow { ports, base }
    }
    /// The window's first port.
    pub fn base(&self) -> u16 {
        self.base
    }
    pub fn out8(&self, reg: u16, value: u8) {
        self.ports.x86_ioport_out8_no_reply(self.base + reg, value);
    }
    pub fn in8(&self, reg: u16) -> u8 {
        self.ports.x86_ioport_in8(self.base + reg).unwrap_or(0)
    }
    pub fn out16(&self, reg: u16, value: u16) {
        self.ports.x86_ioport_out16_no_reply(self.base + reg, value);
    }
    pub fn in16(&self, reg: u16) -> u16 {
        self.ports.x86_ioport_in16(self.base + reg).unwrap_or(0)
    }
    pub fn out32(&self, reg: u16, value: u32) {
        self.ports.x86_ioport_out32_no_reply(self.base + reg, value);
    }
    pub fn in32(&self, reg: u16) -> u32 {
        self.ports.x86_ioport_in32(self.base + reg).unwrap_or(0)
    }
}
