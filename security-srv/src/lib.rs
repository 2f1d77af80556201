//! # security-srv: decisions, policy modules, epochs
//!
//! The security server answers `decide(subject, object, operation)` with a
//! decision, using the *policy module* in force, and keeps what object
//! servers need to cache decisions safely: an *epoch* that grows whenever a
//! cached decision might have become wrong (a module swap, or a state change
//! of a stateful module), and a swap protocol that completes only when every
//! object server acknowledged flushing its cache. Every decision is logged.
//!
//! This crate is the logic, without the kernel: the `security` component
//! runs it behind its endpoint, and the host tests drive it directly.
//!
//! | item | what |
//! | --- | --- |
//! | [`label`] | subjects: labels given by the launcher, prefixed by each parent |
//! | [`Operation`], [`Decision`] | what is asked and the answer |
//! | [`module`] | the policy modules: `allowlist`, `lattice`, `chinese-wall`, `ratelimit` |
//! | [`server`] | the security server: module in force, epoch, swap protocol, decision log |
//!
//! ## Objects
//!
//! Objects are named `KIND:NAME`: `service:store` is the service itself
//! (operation `connect`), `store:notes/todo` a named object inside the
//! `store` server. Patterns in rules match a whole name, or a prefix when
//! they end in `*`.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod label;
pub mod module;
pub mod server;

use serde::{Deserialize, Serialize};

/// What a subject wants to do to an object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[repr(u8)]
pub enum Operation {
    Connect = 0,
    Read = 1,
    Write = 2,
    Create = 3,
    Delete = 4,
    List = 5,
}

impl Operation {
    /// Every operation, in number order.
    pub const ALL: [Operation; 6] = [
        Operation::Connect,
        Operation::Read,
        Operation::Write,
        Operation::Create,
        Operation::Delete,
        Operation::List,
    ];

    /// The operation with wire number `n`.
    pub fn from_u64(n: u64) -> Option<Operation> {
        Operation::ALL.get(n as usize).copied()
    }

    /// Its name in rules and logs.
    pub fn name(self) -> &'static str {
        match self {
            Operation::Connect => "connect",
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Create => "create",
            Operation::Delete => "delete",
            Operation::List => "list",
        }
    }

    /// Parses a name as used in rules.
    pub fn parse(s: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|o| o.name() == s)
    }

    /// Reads modify nothing; the lattice module needs to know.
    pub fn is_read(self) -> bool {
        matches!(self, Operation::Read | Operation::List | Operation::Connect)
    }
}

/// The answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    /// `Allow` if `allowed` (a yes/no answer on the wire).
    pub const fn from_allowed(allowed: bool) -> Decision {
        if allowed {
            Decision::Allow
        } else {
            Decision::Deny
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Deny => "deny",
        }
    }
}

/// Matches `name` against `pattern` (exact, or prefix if it ends in `*`).
pub fn matches(pattern: &str, name: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => name.starts_with(prefix),
        None => pattern == name,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("store:notes/*", "store:notes/todo"));
        assert!(matches("*", "anything"));
        assert!(matches("sys/alice", "sys/alice"));
        assert!(!matches("sys/alice", "sys/alice2"));
        assert!(!matches("store:notes/*", "store:secret/x"));
    }

    #[test]
    fn operations_round_trip() {
        for o in Operation::ALL {
            assert_eq!(Operation::parse(o.name()), Some(o));
            assert_eq!(Operation::from_u64(o as u64), Some(o));
        }
        assert_eq!(Operation::from_u64(6), None);
        assert_eq!(Operation::parse("fly"), None);
    }
}
