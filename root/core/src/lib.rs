//! # root-core: the root task's logic, without the kernel
//!
//! Everything the root task decides is here, as plain `no_std` Rust that the
//! host tests drive directly (the split Hubris makes with `kerncore`). The
//! root task binary (`root/`) only turns these decisions into system calls.
//!
//! | module | decides |
//! | --- | --- |
//! | [`bootcfg`] | what the boot script in the image archive asks for |
//! | [`untyped`] | which untyped capability an object is retyped from, and which slot it lands in |
//! | [`elf`] | how a component's ELF image becomes pages: addresses, rights, bytes to copy |
//! | [`console`] | what a console line means |
//! | [`report`] | the text of the boot summary and fault reports |
//! | [`linebuf`] | line editing of console input |
//! | [`supervision`] | the component table, generations, the restart policy |
//! | [`log`] | the supervisor's event log |

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod bootcfg;
pub mod console;
pub mod elf;
pub mod linebuf;
pub mod log;
pub mod report;
pub mod supervision;
pub mod untyped;
