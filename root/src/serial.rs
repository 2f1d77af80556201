//! The console UART (a 16550 on an I/O port range), driven through the
//! root task's I/O port capability: output by polling, input by interrupt.

use kernel_iface::cap::kind::IoPort;
use kernel_iface::Cap;

// 16550 register offsets.
const DATA: u16 = 0;
const IER: u16 = 1;
const FCR: u16 = 2;
const LCR: u16 = 3;
const MCR: u16 = 4;
const LSR: u16 = 5;
const LSR_DATA_READY: u8 = 0x01;
const LSR_THR_EMPTY: u8 = 0x20;

/// The console UART.
#[derive(Clone, Copy)]
pub struct Serial {
    ports: Cap<IoPort>,
    base: u16,
}

impl Serial {
    /// Sets the UART to 8N1 with FIFOs and the receive interrupt enabled.
    pub fn new(ports: Cap<IoPort>, base: u16) -> Serial {
        let s = Serial { ports, base };
        s.out(LCR, 0x03);
        s.out(FCR, 0x07); // enable and clear FIFOs, interrupt at 1 byte
        s.out(MCR, 0x0b); // DTR, RTS, OUT2 (gates the interrupt line)
        s.out(IER, 0x01); // interrupt when data is ready
        s
    }

    /// Uses the UART as the boot code left it (for the panic handler).
    pub const fn attach(ports: Cap<IoPort>, base: u16) -> Serial {
        Serial { ports, base }
    }

    fn out(&self, reg: u16, v: u8) {
        // The I/O port capability covers every port on this kernel; a
        // failure here would mean the boot-time capability is gone, and
        // there is nobody left to tell.
        let _ = self.ports.x86_ioport_out8(self.base + reg, v);
    }

    fn inb(&self, reg: u16) -> u8 {
        self.ports.x86_ioport_in8(self.base + reg).unwrap_or(0)
    }

    /// Writes one byte, waiting for the transmitter.
    pub fn put(&self, b: u8) {
        for _ in 0..100_000 {
            if self.inb(LSR) & LSR_THR_EMPTY != 0 {
                break;
            }
        }
        self.out(DATA, b);
    }

    /// True if a received byte is waiting.
    pub fn has_data(&self) -> bool {
        self.inb(LSR) & LSR_DATA_READY != 0
    }

    /// The next received byte, if any.
    pub fn try_get(&self) -> Option<u8> {
        (self.inb(LSR) & LSR_DATA_READY != 0).then(|| self.inb(DATA))
    }
}

impl core::fmt::Write for Serial {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        for b in s.bytes() {
            if b == b'\n' {
                self.put(b'\r');
            }
            self.put(b);
        }
        Ok(())
    }
}
