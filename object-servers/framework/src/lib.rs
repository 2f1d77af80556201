//! # object-server: the framework every object server stands on
//!
//! | piece | job |
//! | --- | --- |
//! | [`DecisionCache`] | remembers the security server's answers per (subject, object, operation), tagged with the epoch they belong to; flushed when the epoch moves |
//! | [`Sessions`] | per-client sessions keyed by badge, each owning the memory its client donated ([`SessionMemory`]) |
//! | [`store`] | the model of the `store` server: named objects kept in the memory of the session that wrote them |
//! | `Mediator` (feature `ipc`) | the security server's connection with the cache: register, decide, acknowledge a policy change |
//!
//! The cache is correct only under the security server's epoch rule: a
//! cached answer is used only while the cache's epoch is the newest the
//! server has seen; an answer or a flush request carrying a newer epoch
//! empties the cache first. Pure logic: the server components drive it and
//! the host tests check it.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod cache;
#[cfg(feature = "ipc")]
pub mod mediator;
pub mod sessions;
pub mod store;

pub use cache::DecisionCache;
#[cfg(feature = "ipc")]
pub use mediator::Mediator;
pub use sessions::{Session, SessionError, SessionMemory, Sessions};
