//! Fault messages: what the kernel sends a thread's fault endpoint when the
//! thread faults, decoded into a typed [`Fault`].
//!
//! | label | fault | message words used here |
//! | --- | --- | --- |
//! | 1 | capability fault | 0 ip, 1 address, 2 in-receive-phase, 3 lookup-failure type |
//! | 2 | unknown syscall | 15 fault ip, 16 sp, 18 syscall number |
//! | 3 | user exception | 0 fault ip, 1 sp, 3 exception number, 4 code |
//! | 5 | VM fault | 0 ip, 1 address, 2 prefetch (instruction fetch), 3 fault status |

use crate::abi::fault as label;

/// A decoded fault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fault {
    /// A memory access to an unmapped or forbidden address.
    VmFault {
        ip: u64,
        addr: u64,
        instruction_fetch: bool,
        fsr: u64,
    },
    /// A capability lookup failed during a system call.
    CapFault {
        ip: u64,
        addr: u64,
        in_receive: bool,
        lookup_failure: u64,
    },
    /// A system call number the kernel does not know.
    UnknownSyscall { ip: u64, sp: u64, number: u64 },
    /// A CPU exception (invalid opcode, divide error, general protection...).
    UserException { ip: u64, sp: u64, number: u64, code: u64 },
    /// A label this decoder does not know.
    Other { label: u64 },
}

impl Fault {
    /// Decodes a fault from its label and a reader of message words.
    pub fn decode(label: u64, mr: impl Fn(usize) -> u64) -> Fault {
        match label {
            label::VM_FAULT => Fault::VmFault {
                ip: mr(0),
                addr: mr(1),
                instruction_fetch: mr(2) != 0,
                fsr: mr(3),
            },
            label::CAP_FAULT => Fault::CapFault {
                ip: mr(0),
                addr: mr(1),
                in_receive: mr(2) != 0,
                lookup_failure: mr(3),
            },
            label::UNKNOWN_SYSCALL => Fault::UnknownSyscall {
                ip: mr(15),
                sp: mr(16),
                number: mr(18),
            },
            label::USER_EXCEPTION => Fault::UserException {
                ip: mr(0),
                sp: mr(1),
                number: mr(3),
                code: mr(4),
            },
            other => Fault::Other { label: other },
        }
    }

    /// A short name of the fault kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Fault::VmFault { .. } => "vm fault",
            Fault::CapFault { .. } => "capability fault",
            Fault::UnknownSyscall { .. } => "unknown syscall",
            Fault::UserException { number: 6, .. } => "illegal instruction",
            Fault::UserException { .. } => "user exception",
            Fault::Other { .. } => "unknown fault",
        }
    }

    /// The instruction pointer at the fault, if the message carries one.
    pub fn ip(&self) -> Option<u64> {
        match *self {
            Fault::VmFault { ip, .. }
            | Fault::CapFault { ip, .. }
            | Fault::UnknownSyscall { ip, .. }
            | Fault::UserException { ip, .. } => Some(ip),
            Fault::Other { .. } => None,
        }
    }

    /// The faulting address (data or capability address), if any.
    pub fn addr(&self) -> Option<u64> {
        match *self {
            Fault::VmFault { addr, .. } | Fault::CapFault { addr, .. } => Some(addr),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vm_fault_words() {
        let words = [0x401000, 0xdead_0000, 0, 6];
        let f = Fault::decode(5, |i| words[i]);
        assert_eq!(
            f,
            Fault::VmFault {
                ip: 0x401000,
                addr: 0xdead_0000,
                instruction_fetch: false,
                fsr: 6
            }
        );
        assert_eq!(f.kind(), "vm fault");
        assert_eq!(f.ip(), Some(0x401000));
        assert_eq!(f.addr(), Some(0xdead_0000));
    }

    #[test]
    fn invalid_opcode_is_named() {
        let words = [0x401234, 0x7000, 0, 6, 0];
        let f = Fault::decode(3, |i| words[i]);
        assert_eq!(f.kind(), "illegal instruction");
        assert_eq!(f.addr(), None);
    }

    #[test]
    fn unknown_label_is_kept() {
        assert_eq!(Fault::decode(77, |_| 0), Fault::Other { label: 77 });
    }
}
