//! # counter: a server that counts calls and survives live update
//!
//! Protocol (service `counter`):
//!
//! | label | request | reply words |
//! | --- | --- | --- |
//! | 0 `INCREMENT` | | w0 = the new count |
//! | 1 `GET` | | w0 = the count |
//! | 2 `VERSION` | | w0 = the image version |
//! | 3 `STALL` | | none: the server prints a line and never replies (a misbehaving server, for tests) |
//! | other | | label `BAD_REQUEST` |
//!
//! The state handed over on update is postcard-encoded `(state version,
//! state)`. Version 1 images write `StateV1 { count }`; version 2 images
//! read version 1 or 2 and write `StateV2 { count, updates }`. A version
//! that cannot read the state it is given reports `START_FAILED`, and the
//! supervisor keeps the old version running. The three binaries:
//! `counter` (v1), `counter-v2`, and `counter-bad` (a v3 that accepts no
//! state at all, for testing failed updates).

#![no_std]
#![forbid(unsafe_code)]

use pride_rt::component::Boot;
use pride_rt::server::{self, Reply, Server};
use pride_rt::{println, supervisor};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST};
use serde::{Deserialize, Serialize};

pub const INCREMENT: u64 = 0;
pub const GET: u64 = 1;
pub const VERSION: u64 = 2;
pub const STALL: u64 = 3;

#[derive(Serialize, Deserialize)]
struct StateV1 {
    count: u64,
}

#[derive(Serialize, Deserialize)]
struct StateV2 {
    count: u64,
    updates: u32,
}

/// The counter's state, whatever version wrote it.
pub struct Counter {
    pub version: u32,
    pub count: u64,
    pub updates: u32,
}

/// Why handed-over state was refused.
#[derive(Debug)]
pub enum StateError {
    Undecodable,
    UnsupportedVersion(u32),
}

impl Counter {
    /// Restores from handed-over state (empty: a fresh start). `accepts`
    /// lists the state versions this image can read.
    pub fn restore(version: u32, accepts: &[u32], state: &[u8]) -> Result<Counter, StateError> {
        let mut c = Counter {
            version,
            count: 0,
            updates: 0,
        };
        if state.is_empty() {
            return Ok(c);
        }
        let (v, rest): (u32, &[u8]) = postcard::take_from_bytes(state).map_err(|_| StateError::Undecodable)?;
        if !accepts.contains(&v) {
            return Err(StateError::UnsupportedVersion(v));
        }
        match v {
            1 => {
                let s: StateV1 = postcard::from_bytes(rest).map_err(|_| StateError::Undecodable)?;
                c.count = s.count;
                c.updates = 1;
            }
            2 => {
                let s: StateV2 = postcard::from_bytes(rest).map_err(|_| StateError::Undecodable)?;
                c.count = s.count;
                c.updates = s.updates + 1;
            }
            other => return Err(StateError::UnsupportedVersion(other)),
        }
        Ok(c)
    }
}

impl Server for Counter {
    fn handle(&mut self, _client: ClientBadge, label: u64, _msg: &kernel_iface::syscall::Received) -> Reply {
        match label {
            INCREMENT => {
                self.count += 1;
                Reply::ok(&[self.count])
            }
            GET => Reply::ok(&[self.count]),
            VERSION => Reply::ok(&[self.version as u64]),
            STALL => {
                println!("stalling the caller: no reply");
                Reply::none()
            }
            _ => Reply::error(BAD_REQUEST),
        }
    }

    fn save(&self, buf: &mut [u8]) -> usize {
        let written = if self.version >= 2 {
            postcard::to_slice(
                &(
                    2u32,
                    StateV2 {
                        count: self.count,
                        updates: self.updates,
                    },
                ),
                buf,
            )
            .map(|b| b.len())
        } else {
            postcard::to_slice(&(1u32, StateV1 { count: self.count }), buf).map(|b| b.len())
        };
        written.unwrap_or(0)
    }
}

/// The common main of every counter image.
pub fn run(boot: Boot, version: u32, accepts: &[u32]) -> ! {
    let mut counter = match Counter::restore(version, accepts, boot.state) {
        Ok(c) => c,
        Err(StateError::UnsupportedVersion(v)) => {
            println!("version {version} cannot read state version {v}");
            supervisor::start_failed("unsupported state version")
        }
        Err(StateError::Undecodable) => supervisor::start_failed("state undecodable"),
    };
    if boot.state.is_empty() {
        println!(
            "counter version {version} ready (generation {}, count 0)",
            boot.generation
        );
    } else {
        println!("counter version {version} ready, count {} carried over", counter.count);
    }
    supervisor::ready();
    server::serve(&mut counter, boot.generation)
}
