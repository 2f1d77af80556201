//! # serial: the sDDF serial subsystem on Pride
//!
//! Four protection domains, described by `lionsos-compat/systems/serial.py`
//! (sdfgen's `Sddf.Serial`) and configured by its blobs:
//!
//! ```text
//!  serial_client (C) --tx--> serial_virt_tx --tx--> serial_driver --> 16550 UART (COM2)
//!  serial_client     <--rx-- serial_virt_rx <--rx-- serial_driver <-- (IRQ, pin 3)
//! ```
//!
//! Each link is an sDDF serial queue (`sddf::serial`): the producer always
//! notifies after enqueueing; the consumer notifies back only when the
//! producer asked (a full queue). The driver drains the UART's receive
//! FIFO while it transmits, so a UART in loopback (the test image) never
//! overruns its 16-byte FIFO.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use kernel_iface::cap::kind::IoPort;
use kernel_iface::Cap;
use microkit::{Channel, SharedRegion};
use sddf::config::serial::{SerialConnectionResource, SerialDriverConfig, SerialVirtRxConfig, SerialVirtTxConfig};
use sddf::config::ConfigBlob;
use sddf::serial::{transfer_all, SerialQueue};

/// One direction of a serial link, over the regions its configuration names.
pub type Queue = SerialQueue<SharedRegion, SharedRegion>;

/// The queue of a connection, or why not.
pub fn queue(conn: &SerialConnectionResource) -> Option<Queue> {
    SerialQueue::new(
        SharedRegion::from_resource(&conn.queue),
        SharedRegion::from_resource(&conn.data),
        conn.data.size as u32,
    )
    .ok()
}

/// Decodes a configuration blob, or reports and stops the PD.
pub fn config<T: ConfigBlob>(bytes: &[u8]) -> T {
    match T::decode(bytes) {
        Ok(c) => c,
        Err(e) => {
            pride_rt::println!("{}: unusable configuration ({e:?})", microkit::name());
            pride_rt::supervisor::start_failed("unusable sDDF configuration")
        }
    }
}

/// 16550 registers, offsets from the base port.
mod uart {
    pub const DATA: u16 = 0;
    pub const IER: u16 = 1;
    pub const FCR_IIR: u16 = 2;
    pub const LCR: u16 = 3;
    pub const MCR: u16 = 4;
    pub const LSR: u16 = 5;
    pub const LSR_DATA_READY: u8 = 1;
    pub const LSR_THR_EMPTY: u8 = 0x20;
    pub const MCR_DTR_RTS_OUT2: u8 = 0x0b;
    pub const MCR_LOOPBACK: u8 = 0x10;
}

/// The UART driver: COM2 (I/O ports 0x2f8-0x2ff), its range and IRQ given
/// by the system description (the only I/O port id and IRQ id it has).
pub struct Driver {
    port: Cap<IoPort>,
    base: u16,
    irq: Channel,
    rx: Queue,
    tx: Queue,
    rx_ch: Channel,
    tx_ch: Channel,
    loopback: bool,
    /// 1 for the first start; more after a restart, when the UART may hold
    /// bytes for the receive path and an interrupt may be left unacknowledged.
    generation: u64,
}

/// COM2's I/O ports.
pub const COM2: u16 = 0x2f8;

impl Driver {
    pub fn new(config_bytes: &[u8], loopback: bool, generation: u64) -> Driver {
        let c: SerialDriverConfig = config(config_bytes);
        let io_id = microkit::globals::ioports().trailing_zeros() as u64;
        let irq = microkit::globals::irqs().trailing_zeros();
        let (Some(rx), Some(tx)) = (queue(&c.rx), queue(&c.tx)) else {
            pride_rt::supervisor::start_failed("serial driver: queues not mapped");
        };
        Driver {
            port: Cap::from_cptr(microkit::BASE_IOPORT_CAP + io_id),
            base: COM2,
            irq,
            rx,
            tx,
            rx_ch: c.rx.id as Channel,
            tx_ch: c.tx.id as Channel,
            loopback,
            generation,
        }
    }

    fn out(&self, reg: u16, v: u8) {
        let _ = self.port.x86_ioport_out8(self.base + reg, v);
    }

    fn inb(&self, reg: u16) -> u8 {
        self.port.x86_ioport_in8(self.base + reg).unwrap_or(0)
    }

    /// Moves whatever the UART received into the receive queue; true if
    /// anything was.
    fn drain_uart(&mut self) -> bool {
        let mut got = false;
        while self.inb(uart::LSR) & uart::LSR_DATA_READY != 0 {
            let byte = self.inb(uart::DATA);
            // A full queue drops the byte, as a UART with nobody reading does.
            let _ = self.rx.enqueue(byte);
            got = true;
        }
        got
    }

    /// Sends everything queued. Each byte is freed only once it is in the
    /// UART, so a driver replaced in the middle repeats a byte at worst and
    /// never loses one.
    fn transmit(&mut self) {
        let mut received = false;
        let mut head = self.tx.head();
        while let Ok(byte) = self.tx.dequeue_local(&mut head) {
            while self.inb(uart::LSR) & uart::LSR_THR_EMPTY == 0 {
                received |= self.drain_uart();
            }
            self.out(uart::DATA, byte);
            let _ = self.tx.update_shared_head(head);
            received |= self.drain_uart();
        }
        if self.tx.claim_consumer_signal() {
            microkit::notify(self.tx_ch);
        }
        if received {
            microkit::notify(self.rx_ch);
        }
    }
}

impl microkit::Handler for Driver {
    fn init(&mut self) {
        self.out(uart::IER, 0);
        self.out(uart::LCR, 0x80); // divisor latch
        self.out(uart::DATA, 1); // 115200 baud
        self.out(uart::IER, 0);
        self.out(uart::LCR, 0x03); // 8N1
                                   // FIFOs on; cleared only on the first start (after a restart they
                                   // hold bytes still on their way).
        self.out(uart::FCR_IIR, if self.generation <= 1 { 0x07 } else { 0x01 });
        let loop_bit = if self.loopback { uart::MCR_LOOPBACK } else { 0 };
        self.out(uart::MCR, uart::MCR_DTR_RTS_OUT2 | loop_bit);
        self.out(uart::IER, 0x01); // receive interrupt
        if self.generation > 1 {
            // The last instance may have died between an interrupt and its
            // acknowledgement; and bytes may be waiting: both carry on now.
            microkit::irq_ack(self.irq);
            if self.drain_uart() {
                microkit::notify(self.rx_ch);
            }
            self.transmit();
        }
        pride_rt::println!(
            "{}: 16550 at {:#x}{}, IRQ channel {}, start {}",
            microkit::name(),
            self.base,
            if self.loopback { " in loopback" } else { "" },
            self.irq,
            self.generation
        );
    }

    fn notified(&mut self, ch: Channel) {
        if ch == self.irq {
            let _ = self.inb(uart::FCR_IIR);
            if self.drain_uart() {
                microkit::notify(self.rx_ch);
            }
            microkit::irq_ack(self.irq);
        } else if ch == self.tx_ch {
            self.transmit();
        }
    }
}

/// The receive virtualiser: everything the driver receives goes to the
/// (one) client.
pub struct VirtRx {
    driver: Queue,
    client: Queue,
    driver_ch: Channel,
    client_ch: Channel,
}

impl VirtRx {
    pub fn new(config_bytes: &[u8]) -> VirtRx {
        let c: SerialVirtRxConfig = config(config_bytes);
        let Some(first) = c.clients.first() else {
            pride_rt::supervisor::start_failed("serial virt_rx: no client");
        };
        let (Some(driver), Some(client)) = (queue(&c.driver), queue(first)) else {
            pride_rt::supervisor::start_failed("serial virt_rx: queues not mapped");
        };
        VirtRx {
            driver,
            client,
            driver_ch: c.driver.id as Channel,
            client_ch: first.id as Channel,
        }
    }
}

impl microkit::Handler for VirtRx {
    fn init(&mut self) {
        // After a restart bytes may be waiting: pass them on.
        let ch = self.driver_ch;
        self.notified(ch);
    }

    fn notified(&mut self, ch: Channel) {
        if ch == self.driver_ch || ch == self.client_ch {
            if matches!(transfer_all(&mut self.driver, &mut self.client), Ok(n) if n > 0) {
                microkit::notify(self.client_ch);
            }
            if self.driver.claim_consumer_signal() {
                microkit::notify(self.driver_ch);
            }
        }
    }
}

/// The transmit virtualiser: every client's bytes go to the driver.
pub struct VirtTx {
    driver: Queue,
    clients: alloc::vec::Vec<(Queue, Channel)>,
    driver_ch: Channel,
}

impl VirtTx {
    pub fn new(config_bytes: &[u8]) -> VirtTx {
        let c: SerialVirtTxConfig = config(config_bytes);
        let Some(driver) = queue(&c.driver) else {
            pride_rt::supervisor::start_failed("serial virt_tx: driver queue not mapped");
        };
        let clients = c
            .clients
            .iter()
            .filter_map(|cl| queue(&cl.conn).map(|q| (q, cl.conn.id as Channel)))
            .collect();
        VirtTx {
            driver,
            clients,
            driver_ch: c.driver.id as Channel,
        }
    }
}

impl microkit::Handler for VirtTx {
    fn init(&mut self) {
        // After a restart bytes may be waiting: pass them on.
        let ch = self.driver_ch;
        self.notified(ch);
    }

    fn notified(&mut self, ch: Channel) {
        let mut moved = false;
        for (q, client_ch) in &mut self.clients {
            if ch != *client_ch && ch != self.driver_ch {
                continue;
            }
            if matches!(transfer_all(q, &mut self.driver), Ok(n) if n > 0) {
                moved = true;
            }
            if q.claim_consumer_signal() {
                microkit::notify(*client_ch);
            }
        }
        if moved {
            microkit::notify(self.driver_ch);
        }
    }
}
