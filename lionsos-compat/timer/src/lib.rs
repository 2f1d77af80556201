//! # timer: the sDDF timer subsystem on Pride
//!
//! The driver owns the HPET (its registers mapped from the device's
//! physical address by the system description, `hpet_regs`; its timer 0
//! routed to IOAPIC pin 2) and serves the sDDF timer protocol as PPCs:
//! label 0 reads the time (MR0 = nanoseconds), label 1 sets a timeout for
//! the calling channel (MR0 = nanoseconds from now). When a client's
//! deadline passes the driver notifies it. Deadlines are kept per channel
//! (`sddf::timer::Timeouts`) and the HPET comparator is set to the
//! earliest.

#![no_std]
#![forbid(unsafe_code)]

use kernel_iface::MessageInfo;
use microkit::{Channel, SharedRegion};
use sddf::timer::{Timeouts, TimerReply, TimerRequest};

/// HPET registers (byte offsets).
mod reg {
    pub const CAPABILITIES: usize = 0x000;
    pub const CONFIG: usize = 0x010;
    pub const INTERRUPT_STATUS: usize = 0x020;
    pub const COUNTER: usize = 0x0f0;
    pub const T0_CONFIG: usize = 0x100;
    pub const T0_COMPARATOR: usize = 0x108;
    /// CONFIG: counter running, legacy routing (timer 0 on IRQ 0 / pin 2).
    pub const ENABLE: u64 = 1;
    pub const LEGACY_ROUTE: u64 = 2;
    /// T0_CONFIG: interrupts on (edge-triggered, one-shot).
    pub const T0_INTERRUPT: u64 = 1 << 2;
}

pub struct Hpet {
    regs: SharedRegion,
    /// Femtoseconds per counter tick.
    period_fs: u64,
    irq: Channel,
    timeouts: Timeouts,
}

impl Hpet {
    pub fn new(regs: SharedRegion) -> Hpet {
        Hpet {
            regs,
            period_fs: 1,
            irq: microkit::globals::irqs().trailing_zeros(),
            timeouts: Timeouts::new(),
        }
    }

    fn read(&self, r: usize) -> u64 {
        use sddf::shared::SharedMemory;
        self.regs.load_u64(r)
    }

    fn write(&mut self, r: usize, v: u64) {
        use sddf::shared::SharedMemory;
        self.regs.store_u64(r, v)
    }

    fn now_ns(&self) -> u64 {
        let ticks = self.read(reg::COUNTER) as u128;
        (ticks * self.period_fs as u128 / 1_000_000) as u64
    }

    /// Notifies every client whose deadline passed; arms the comparator for
    /// the next one (and re-checks, since a deadline may pass while it is
    /// being set).
    fn service(&mut self) {
        loop {
            let now = self.now_ns();
            let mut due = self.timeouts.expire(now);
            while due != 0 {
                let ch = due.trailing_zeros();
                due &= due - 1;
                microkit::notify(ch);
            }
            let Some(next) = self.timeouts.next_deadline() else {
                return;
            };
            let ticks = (next as u128 * 1_000_000 / self.period_fs as u128) as u64;
            self.write(reg::T0_COMPARATOR, ticks);
            if self.now_ns() < next {
                return;
            }
        }
    }
}

impl microkit::Handler for Hpet {
    fn init(&mut self) {
        if self.regs.is_empty() {
            pride_rt::supervisor::start_failed("timer: HPET registers not mapped");
        }
        self.period_fs = (self.read(reg::CAPABILITIES) >> 32).max(1);
        self.write(reg::CONFIG, 0);
        self.write(reg::T0_CONFIG, reg::T0_INTERRUPT);
        self.write(reg::CONFIG, reg::ENABLE | reg::LEGACY_ROUTE);
        pride_rt::println!(
            "{}: HPET at {} MHz, IRQ channel {}",
            microkit::name(),
            1_000_000_000 / self.period_fs,
            self.irq
        );
    }

    fn notified(&mut self, ch: Channel) {
        if ch == self.irq {
            self.write(reg::INTERRUPT_STATUS, 1);
            self.service();
            microkit::irq_ack(self.irq);
        }
    }

    fn protected(&mut self, ch: Channel, info: MessageInfo) -> MessageInfo {
        let reply = match TimerRequest::decode(info.label(), microkit::mr_get(0)) {
            Ok(TimerRequest::GetTime) => TimerReply::time(self.now_ns()),
            Ok(TimerRequest::SetTimeout { relative_ns }) => {
                let now = self.now_ns();
                if self.timeouts.set(ch as usize, now, relative_ns).is_ok() {
                    self.service();
                }
                TimerReply::empty()
            }
            Err(_) => return MessageInfo::new(microkit::PPC_UNSUPPORTED, 0, 0, 0),
        };
        if let Some(ns) = reply.mr0 {
            microkit::mr_set(0, ns);
        }
        MessageInfo::new(reply.label, 0, 0, reply.message_length())
    }
}
