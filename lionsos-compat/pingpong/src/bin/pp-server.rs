//! `pp-server`: the Rust protection domain of the pingpong system, which is
//! also a Pride object server (its manifest offers `pp_server` and wants
//! `security`; it runs with `microkit::run_server`).
//!
//! As a Microkit PD, on channel 0 with the C client:
//! - notified: reads the word the client put in the shared region, writes
//!   it plus one after it, and notifies back;
//! - PPC (label 7, one word): answers the word plus one.
//!
//! As a Pride server, on the same endpoint, to clients the connection
//! manager admitted (the supervisor opens their sessions):
//! - [`READ`] (w0 = name length, the name's bytes from w1): `OK` if the
//!   policy lets the client read `pp:NAME`, `DENIED` if not; decisions are
//!   cached until the policy changes;
//! - [`STATS`]: `OK` with the decision cache's hits, misses, flushes and
//!   epoch.

#![no_std]
#![no_main]
#![deny(unsafe_code)]

extern crate alloc;

use alloc::vec::Vec;
use kernel_iface::syscall::Received;
use kernel_iface::MessageInfo;
use microkit::{Channel, Handler};
use object_server::Mediator;
use pride_rt::server::{Reply, Server};
use pride_rt::{msg, println, supervisor};
use pride_supervisor_api::store::{CLOSE_SESSION, OPEN_SESSION};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST, DENIED, FLUSH_SIGNAL, TOO_LARGE};
use security_srv::Operation;

pride_rt::component_entry!(main);

const CLIENT_CH: Channel = 0;

/// Pride request labels.
pub const READ: u64 = 1;
pub const STATS: u64 = 2;
/// Longest name a `READ` may carry.
const NAME_MAX: usize = 64;

microkit::setvar!(
    /// Where the shared region is mapped.
    shared_vaddr
);

struct PpServer {
    region: microkit::SharedRegion,
    security: Mediator,
    /// Badges of the clients with an open session.
    sessions: Vec<u64>,
}

impl Handler for PpServer {
    fn init(&mut self) {
        println!("{}: init, region of {} bytes", microkit::name(), self.region.len());
    }

    fn notified(&mut self, ch: Channel) {
        if ch != CLIENT_CH {
            return;
        }
        let Some(got) = self.region.read_u64(0) else {
            println!("pp_server: no shared region");
            return;
        };
        self.region.write_u64(8, got + 1);
        println!("pp_server: client wrote {got}");
        microkit::notify(CLIENT_CH);
    }

    fn protected(&mut self, ch: Channel, info: MessageInfo) -> MessageInfo {
        if ch != CLIENT_CH || info.label() != 7 || info.length() != 1 {
            return MessageInfo::new(1, 0, 0, 0);
        }
        let x = microkit::mr_get(0);
        microkit::mr_set(0, x + 1);
        MessageInfo::new(0, 0, 0, 1)
    }
}

impl Server for PpServer {
    fn handle(&mut self, client: ClientBadge, label: u64, m: &Received) -> Reply {
        match label {
            OPEN_SESSION => {
                // Only the supervisor (client 0) opens and closes sessions;
                // this server keeps nothing per session but the badge.
                match msg::word(m, 0).and_then(ClientBadge::from_badge) {
                    Some(c) if client.client == 0 => {
                        let b = c.to_badge();
                        if !self.sessions.contains(&b) {
                            self.sessions.push(b);
                        }
                        Reply::ok(&[])
                    }
                    _ => Reply::error(BAD_REQUEST),
                }
            }
            // The supervisor names the session by its donated memory's
            // address, which this server does not use: every session of
            // that client ends when the connection does.
            CLOSE_SESSION if client.client == 0 => Reply::ok(&[0]),
            STATS => Reply::ok(&self.security.stats()),
            READ => {
                if !self.sessions.contains(&client.to_badge()) {
                    return Reply::error(DENIED);
                }
                let Some(len) = msg::word(m, 0) else {
                    return Reply::error(BAD_REQUEST);
                };
                if len as usize > NAME_MAX {
                    return Reply::error(TOO_LARGE);
                }
                let mut buf = [0u8; 3 + NAME_MAX];
                buf[..3].copy_from_slice(b"pp:");
                let Some(name) = msg::bytes(m, 1, len as usize, &mut buf[3..]) else {
                    return Reply::error(BAD_REQUEST);
                };
                let n = name.len();
                let Ok(object) = core::str::from_utf8(&buf[..3 + n]) else {
                    return Reply::error(BAD_REQUEST);
                };
                if self.security.allows(client.client as u32, object, Operation::Read) {
                    Reply::ok(&[])
                } else {
                    Reply::error(DENIED)
                }
            }
            _ => Reply::error(BAD_REQUEST),
        }
    }

    fn on_signal(&mut self, bits: u64) {
        if bits & FLUSH_SIGNAL != 0 {
            self.security.policy_changed();
        }
    }

    fn save(&self, _buf: &mut [u8]) -> usize {
        0
    }
}

fn main(boot: pride_rt::component::Boot) -> ! {
    let region = microkit::SharedRegion::from_setvar(&shared_vaddr, 4096);
    let Some(security) = Mediator::register(supervisor::connection(0)) else {
        supervisor::start_failed("pp_server: cannot reach the security server");
    };
    let server = PpServer {
        region,
        security,
        sessions: Vec::new(),
    };
    microkit::run_server(server, boot.generation)
}
