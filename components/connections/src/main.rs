//! # conn-mgr: connections by name, checked by the policy, revocable
//!
//! Serves the `connections` protocol (`pride_supervisor_api::connections`)
//! to the supervisor alone. The supervisor registers each service with its
//! endpoint; when a client wants a connection the supervisor passes the
//! client's id, label and the server's generation, and this component
//!
//! 1. asks the security server (`DECIDE_LABELLED`: may this label
//!    `connect` to `service:NAME`?), unless there is none;
//! 2. on allow records the session (`conn_mgr::Connections`), replacing the
//!    client's earlier one with that service;
//! 3. mints a copy of the service endpoint badged with the client's
//!    `ClientBadge` into its own CNode and sends it back, for the
//!    supervisor to move into the client's CSpace.
//!
//! The minted capability stays here as the parent of the client's copy:
//! closing, withdrawing or replacing a session revokes it, and the kernel
//! refuses the client's next call. After a policy change `RECHECK` asks the
//! security server about every session again and withdraws the ones it now
//! denies.
//!
//! It calls only the security server while serving, which calls no one, so
//! the supervisor may call it at any time.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;

use conn_mgr::{Connections, Decision, Session, SessionId};
use kernel_iface::bootinfo::SlotRegion;
use kernel_iface::cap::kind::{CNode, Endpoint};
use kernel_iface::cap::{CapRights, SlotRef};
use kernel_iface::syscall::Received;
use kernel_iface::{ipc_buffer, Cap};
use pride_rt::component::{Boot, SLOT_FIRST_FREE, SLOT_OWN_CNODE, SLOT_RECEIVE};
use pride_rt::msg::{self, Outgoing};
use pride_rt::server::{self, Reply, Server};
use pride_rt::{println, supervisor};
use pride_supervisor_api::connections::{self as proto, NAME_MAX, SECURITY_SLOT};
use pride_supervisor_api::security::{self as sec, LABEL_MAX};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST, DENIED, NOT_FOUND, NO_SUCH_SERVICE, OK};
use root_core::untyped::SlotAllocator;
use security_srv::Operation;

pride_rt::component_entry!(main);

/// log2 of this component's CNode slots (its manifest's `cnode_bits`).
const CNODE_BITS: u64 = 10;

struct ConnectionManager {
    book: Connections,
    /// Service name → slot of this CNode holding its endpoint.
    endpoints: BTreeMap<String, u64>,
    /// Session → slot of the capability minted for it.
    minted: BTreeMap<SessionId, u64>,
    /// Session → the client's label (to ask again after a policy change).
    labels: BTreeMap<SessionId, String>,
    slots: SlotAllocator,
}

fn own() -> Cap<CNode> {
    Cap::from_cptr(SLOT_OWN_CNODE)
}

fn slot(index: u64) -> SlotRef {
    SlotRef {
        root: own(),
        index,
        depth: CNODE_BITS,
    }
}

/// Asks the security server whether `label` (subject `client`) may connect
/// to `service`. No answer (no connection, a restarted server) is no.
fn allowed(client: u32, service: &str, label: &str) -> bool {
    let mut object = [0u8; 8 + NAME_MAX];
    object[..8].copy_from_slice(b"service:");
    object[8..8 + service.len()].copy_from_slice(service.as_bytes());
    let object = &object[..8 + service.len()];
    let mut m = Outgoing::new();
    m.word(sec::header(client, Operation::Connect as u8, object.len()))
        .bytes(object);
    m.word(label.len() as u64).bytes(label.as_bytes());
    let r = m.call(Cap::<Endpoint>::from_cptr(SECURITY_SLOT), sec::DECIDE_LABELLED);
    r.info.label() == OK && r.mrs[0] == 1
}

/// A name or label of at most `N` bytes from the message.
fn text<const N: usize>(m: &Received, word: usize, len: u64) -> Option<String> {
    let mut buf = [0u8; N];
    if len as usize > N {
        return None;
    }
    let b = msg::bytes(m, word, len as usize, &mut buf)?;
    core::str::from_utf8(b).ok().map(String::from)
}

impl ConnectionManager {
    /// Revokes and frees the capability minted for `session` (`revoke`:
    /// the client's copy goes too; otherwise it is left to the client).
    fn drop_minted(&mut self, session: &Session, revoke: bool) {
        self.labels.remove(&session.id);
        if let Some(s) = self.minted.remove(&session.id) {
            if revoke {
                let _ = own().cnode_revoke(s, CNODE_BITS);
            }
            let _ = own().cnode_delete(s, CNODE_BITS);
            self.slots.free(s);
        }
    }

    fn end(&mut self, sessions: alloc::vec::Vec<Session>, revoke: bool) -> Reply {
        let n = sessions.len() as u64;
        for s in &sessions {
            self.drop_minted(s, revoke);
        }
        Reply::ok(&[n])
    }

    fn register(&mut self, m: &Received) -> Reply {
        let (Some(server), Some(len)) = (msg::word(m, 0), msg::word(m, 1)) else {
            return Reply::error(BAD_REQUEST);
        };
        let got_cap = m.info.extra_caps() == 1 && m.info.caps_unwrapped() == 0;
        let name = text::<NAME_MAX>(m, 2, len);
        let (Some(name), true, Ok(server)) = (name, got_cap, u32::try_from(server)) else {
            let _ = own().cnode_delete(SLOT_RECEIVE, CNODE_BITS);
            return Reply::error(BAD_REQUEST);
        };
        if self.book.register(&name, server).is_err() {
            let _ = own().cnode_delete(SLOT_RECEIVE, CNODE_BITS);
            return Reply::error(BAD_REQUEST);
        }
        let Ok(s) = self.slots.alloc() else {
            let _ = own().cnode_delete(SLOT_RECEIVE, CNODE_BITS);
            return Reply::error(BAD_REQUEST);
        };
        if own().cnode_move(s, CNODE_BITS, slot(SLOT_RECEIVE)).is_err() {
            self.slots.free(s);
            return Reply::error(BAD_REQUEST);
        }
        // A new endpoint for a known name (the old one's server was stopped
        // and its endpoint revoked): the old copy goes. Deleting it leaves
        // whatever was minted from it in place.
        if let Some(old) = self.endpoints.insert(name, s) {
            let _ = own().cnode_delete(old, CNODE_BITS);
            self.slots.free(old);
        }
        Reply::ok(&[])
    }

    fn connect(&mut self, m: &Received) -> Reply {
        let w = |i| msg::word(m, i);
        let (Some(client), Some(generation), Some(mediated), Some(nlen), Some(llen)) = (w(0), w(1), w(2), w(3), w(4))
        else {
            return Reply::error(BAD_REQUEST);
        };
        // Name and label follow each other from w5.
        let mut both = [0u8; NAME_MAX + LABEL_MAX];
        if nlen as usize > NAME_MAX || llen as usize > LABEL_MAX {
            return Reply::error(BAD_REQUEST);
        }
        let Some(bytes) = msg::bytes(m, 5, (nlen + llen) as usize, &mut both) else {
            return Reply::error(BAD_REQUEST);
        };
        let (Ok(name), Ok(label)) = (
            core::str::from_utf8(&bytes[..nlen as usize]),
            core::str::from_utf8(&bytes[nlen as usize..]),
        ) else {
            return Reply::error(BAD_REQUEST);
        };
        let (Ok(client), Ok(generation)) = (u16::try_from(client), u16::try_from(generation)) else {
            return Reply::error(BAD_REQUEST);
        };
        let Some(&endpoint) = self.endpoints.get(name) else {
            return Reply::error(NO_SUCH_SERVICE);
        };
        let badge = ClientBadge { client, generation }.to_badge();
        let decision = if mediated == 0 || allowed(client as u32, name, label) {
            Decision::Allow
        } else {
            Decision::Deny
        };
        let Ok(s) = self.slots.alloc() else {
            return Reply::error(BAD_REQUEST);
        };
        let (session, replaced) = match self.book.connect(client as u32, name, decision, badge, 0) {
            Ok(r) => r,
            Err(e) => {
                self.slots.free(s);
                return Reply::error(if e == conn_mgr::CmError::Denied {
                    DENIED
                } else {
                    BAD_REQUEST
                });
            }
        };
        if own()
            .cnode_mint(s, CNODE_BITS, slot(endpoint), CapRights::ALL, badge)
            .is_err()
        {
            self.slots.free(s);
            let _ = self.book.close(session.id);
            if let Some(r) = replaced {
                self.drop_minted(&r, true);
            }
            return Reply::error(BAD_REQUEST);
        }
        if let Some(r) = replaced {
            self.drop_minted(&r, true);
        }
        self.minted.insert(session.id, s);
        self.labels.insert(session.id, String::from(label));
        Reply::ok(&[badge, session.id.0]).with_cap(s)
    }

    /// The first session from `from` on that the policy now denies is
    /// withdrawn and reported.
    fn recheck(&mut self, from: u64) -> Reply {
        let mut cursor = SessionId(from);
        while let Some(s) = self.book.session_from(cursor).cloned() {
            cursor = SessionId(s.id.0 + 1);
            let label = self.labels.get(&s.id).cloned().unwrap_or_default();
            if allowed(s.client, &s.service_name, &label) {
                continue;
            }
            let _ = self.book.close(s.id);
            self.drop_minted(&s, true);
            let mut out = Outgoing::new();
            out.word(1)
                .word(s.client as u64)
                .word(cursor.0)
                .word(s.service_name.len() as u64)
                .bytes(s.service_name.as_bytes());
            let (info, mrs) = out.finish(OK);
            return Reply::long(OK, mrs, info.length());
        }
        Reply::ok(&[0])
    }

    fn session(&self, from: u64) -> Reply {
        let Some(s) = self.book.session_from(SessionId(from)) else {
            return Reply::error(NOT_FOUND);
        };
        let mut out = Outgoing::new();
        out.word(s.id.0)
            .word(s.client as u64)
            .word(s.badge)
            .word(s.service_name.len() as u64)
            .bytes(s.service_name.as_bytes());
        let (info, mrs) = out.finish(OK);
        Reply::long(OK, mrs, info.length())
    }
}

impl Server for ConnectionManager {
    fn handle(&mut self, client: ClientBadge, label: u64, m: &Received) -> Reply {
        if client.client != 0 {
            if m.info.extra_caps() != 0 {
                let _ = own().cnode_delete(SLOT_RECEIVE, CNODE_BITS);
            }
            return Reply::error(DENIED);
        }
        let w = |i| msg::word(m, i);
        match label {
            proto::REGISTER => self.register(m),
            proto::CONNECT => self.connect(m),
            proto::CLOSE => match (w(0).and_then(|c| u32::try_from(c).ok()), w(1)) {
                (Some(c), Some(len)) => match text::<NAME_MAX>(m, 2, len) {
                    Some(name) => {
                        let gone = self.book.withdraw(|s| s.client == c && s.service_name == name);
                        self.end(gone, true)
                    }
                    None => Reply::error(BAD_REQUEST),
                },
                _ => Reply::error(BAD_REQUEST),
            },
            proto::CLOSE_CLIENT => match w(0).and_then(|c| u32::try_from(c).ok()) {
                Some(c) => {
                    let gone = self.book.close_client(c);
                    self.end(gone, true)
                }
                None => Reply::error(BAD_REQUEST),
            },
            proto::FORGET_SERVER => match w(0).and_then(|c| u32::try_from(c).ok()) {
                Some(server) => {
                    let gone = self.book.close_server(server);
                    self.end(gone, false)
                }
                None => Reply::error(BAD_REQUEST),
            },
            proto::UNREGISTER => match w(0).and_then(|len| text::<NAME_MAX>(m, 1, len)) {
                Some(name) => {
                    let gone = self.book.unregister(&name).unwrap_or_default();
                    if let Some(e) = self.endpoints.remove(&name) {
                        let _ = own().cnode_delete(e, CNODE_BITS);
                        self.slots.free(e);
                    }
                    self.end(gone, true)
                }
                None => Reply::error(BAD_REQUEST),
            },
            proto::RECHECK => match w(0) {
                Some(from) => self.recheck(from),
                None => Reply::error(BAD_REQUEST),
            },
            proto::SESSION => match w(0) {
                Some(from) => self.session(from),
                None => Reply::error(BAD_REQUEST),
            },
            _ => Reply::error(BAD_REQUEST),
        }
    }

    fn save(&self, _buf: &mut [u8]) -> usize {
        // Never updated: the supervisor refuses to.
        0
    }
}

fn main(boot: Boot) -> ! {
    // Endpoints the supervisor registers arrive here.
    ipc_buffer::set_receive_path(SLOT_OWN_CNODE, SLOT_RECEIVE, CNODE_BITS);
    let mut cm = ConnectionManager {
        book: Connections::new(),
        endpoints: BTreeMap::new(),
        minted: BTreeMap::new(),
        labels: BTreeMap::new(),
        slots: SlotAllocator::new(SlotRegion {
            start: SLOT_FIRST_FREE,
            end: 1 << CNODE_BITS,
        }),
    };
    println!("connection manager ready");
    supervisor::ready();
    server::serve(&mut cm, boot.generation)
}
