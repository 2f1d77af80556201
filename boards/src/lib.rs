//! # pride-board: what the guest side of Pride knows about its board
//!
//! Each board has a directory `boards/<name>/` with `board.toml` (read by
//! the build tool: kernel build variables, QEMU command line) and
//! `kernel-config.h` (the seL4 configuration), and a module here with the
//! constants the root task needs at run time. A cargo feature picks the
//! board; `qemu-x86_64` is the default and, for now, the only one.
//!
//! To add a board: a directory beside `qemu-x86_64/`, a module below with
//! the same items, and a feature selecting it.

#![no_std]
#![forbid(unsafe_code)]

/// The QEMU `pc` machine (pc99) with a 16550 UART on COM1.
#[cfg(feature = "qemu-x86_64")]
pub mod qemu_x86_64 {
    /// Board name, as in `boards/<name>/`.
    pub const NAME: &str = "qemu-x86_64";
    /// I/O port base of the console UART (COM1).
    pub const CONSOLE_UART_PORT: u16 = 0x3f8;
    /// IOAPIC 0 pin of the console UART's interrupt (ISA IRQ 4).
    pub const CONSOLE_UART_IOAPIC_PIN: u64 = 4;
    /// The kernel IRQ number the root task asks for the console UART.
    pub const CONSOLE_UART_IRQ: u64 = 4;
    /// QEMU's `isa-debug-exit` device: writing V exits QEMU with (V << 1) | 1.
    pub const DEBUG_EXIT_PORT: u16 = 0xf4;
    /// ACPI PM1a control port as SeaBIOS sets it up on the `pc` machine.
    pub const ACPI_PM1A_CONTROL_PORT: u16 = 0x604;
    /// PM1a value for "sleep type S5, sleep enable": power off.
    pub const ACPI_POWER_OFF: u16 = 0x2000;
}

#[cfg(feature = "qemu-x86_64")]
pub use qemu_x86_64 as current;
