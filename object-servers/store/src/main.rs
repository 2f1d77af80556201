//! # store: a named-object store behind the security server
//!
//! Protocol: `pride_supervisor_api::store`. Every request is mediated: the
//! operation on `store:KEY` (or `service:store` for a listing) is decided
//! by the security server, whose answers are kept in a decision cache
//! (`object_server::Mediator`) until the policy changes. Each client's
//! session (keyed by its badge, opened by the supervisor with
//! `OPEN_SESSION` when it admits the client) keeps the objects it writes in
//! the memory the client donated: frames of the client's own container,
//! mapped into the store's donation window (`pride_rt::donated`). A full
//! session is an error for that client alone; when the session ends the
//! store forgets its objects and the supervisor takes the frames back.
//!
//! Signals: `FLUSH_SIGNAL` empties the cache and acknowledges to the
//! security server, which answers with the new epoch.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::string::String;
use kernel_iface::syscall::Received;
use object_server::store::{Store, StoreError};
use object_server::{Mediator, SessionMemory, Sessions};
use pride_rt::component::Boot;
use pride_rt::donated::{self, Block, OpenedSession, SessionArena};
use pride_rt::msg::{self, Outgoing};
use pride_rt::server::{self, Reply, Server};
use pride_rt::{println, security_client, supervisor};
use pride_supervisor_api::store::{self as proto, valid_key, KEY_MAX, VALUE_MAX};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST, DENIED, FLUSH_SIGNAL, NOT_FOUND, OK, QUOTA_EXHAUSTED, TOO_LARGE};
use security_srv::{Decision, Operation};

pride_rt::component_entry!(main);

struct StoreServer {
    /// The security server and the decisions cached from it.
    security: Mediator,
    sessions: Sessions<Donated>,
    store: Store<Donated>,
    /// Benchmark accounting (`WORK`): whether the request being served
    /// asked the security server, and how long that call took.
    asked: Option<u64>,
    /// (ticks, count) of `GET`s decided from the cache, and of those that
    /// asked (without the call).
    work_cached: (u64, u64),
    work_asked: (u64, u64),
}

/// A session's donated memory, for the framework.
struct Donated(SessionArena);

impl SessionMemory for Donated {
    type Block = Block;
    fn store(&mut self, parts: &[&[u8]]) -> Option<Block> {
        self.0.store(parts)
    }
    fn load(&self, block: &Block) -> &[u8] {
        self.0.load(block)
    }
    fn free(&mut self, block: Block) {
        self.0.free(block)
    }
    fn used(&self) -> u64 {
        self.0.used()
    }
    fn capacity(&self) -> u64 {
        self.0.capacity()
    }
    fn address(&self) -> u64 {
        self.0.address()
    }
}

impl StoreServer {
    /// Asks the cache, then the security server (timing the call, for
    /// `WORK`).
    fn allowed(&mut self, subject: u32, object: &str, op: Operation) -> bool {
        let security = self.security.security();
        let asked = &mut self.asked;
        let d = self.security.cache.decide(subject, object, op, || {
            let before = pride_rt::tsc();
            let answer = security_client::decide(security, subject, op as u8, object);
            *asked = Some(pride_rt::tsc() - before);
            answer
        });
        d == Decision::Allow
    }
}

/// `store:KEY` in `buf`, without allocating (this is on every request).
fn object_name<'a>(buf: &'a mut [u8; 6 + KEY_MAX], key: &str) -> &'a str {
    buf[..6].copy_from_slice(b"store:");
    buf[6..6 + key.len()].copy_from_slice(key.as_bytes());
    // Both parts are ASCII (keys are checked by `valid_key`).
    core::str::from_utf8(&buf[..6 + key.len()]).unwrap_or("store:")
}

impl Server for StoreServer {
    fn handle(&mut self, client: ClientBadge, label: u64, m: &Received) -> Reply {
        let badge = client.to_badge();
        let subject = client.client as u32;
        // Read everything from the message before any other system call.
        let mut kbuf = [0u8; KEY_MAX];
        let mut vbuf = [0u8; VALUE_MAX];
        let (key, value): (Option<&[u8]>, Option<&[u8]>) = match label {
            proto::PUT => {
                let (Some(kl), Some(vl)) = (msg::word(m, 0), msg::word(m, 1)) else {
                    return Reply::error(BAD_REQUEST);
                };
                if kl as usize > KEY_MAX || vl as usize > VALUE_MAX {
                    return Reply::error(TOO_LARGE);
                }
                let mut joined = [0u8; KEY_MAX + VALUE_MAX];
                let Some(both) = msg::bytes(m, 2, (kl + vl) as usize, &mut joined) else {
                    return Reply::error(BAD_REQUEST);
                };
                kbuf[..kl as usize].copy_from_slice(&both[..kl as usize]);
                vbuf[..vl as usize].copy_from_slice(&both[kl as usize..]);
                (Some(&kbuf[..kl as usize]), Some(&vbuf[..vl as usize]))
            }
            proto::GET | proto::DELETE => {
                let Some(kl) = msg::word(m, 0) else {
                    return Reply::error(BAD_REQUEST);
                };
                if kl as usize > KEY_MAX {
                    return Reply::error(TOO_LARGE);
                }
                match msg::bytes(m, 1, kl as usize, &mut kbuf) {
                    Some(k) => (Some(k), None),
                    None => return Reply::error(BAD_REQUEST),
                }
            }
            proto::LIST | proto::STATS | proto::TRACE | proto::WORK => (None, None),
            proto::OPEN_SESSION => {
                let Some(OpenedSession {
                    badge: b,
                    client: c,
                    arena,
                }) = donated::open_session(client, m)
                else {
                    return Reply::error(BAD_REQUEST);
                };
                if self.sessions.open(b, c.client as u32, Donated(arena)).is_some() {
                    // The badge's client was replaced: what it kept lived
                    // in the old memory, which the supervisor takes back.
                    self.store.drop_session(b);
                }
                return Reply::ok(&[]);
            }
            proto::CLOSE_SESSION => {
                // Only the supervisor ends sessions; it names the memory.
                let Some(address) = donated::close_session(client, m) else {
                    return Reply::error(BAD_REQUEST);
                };
                let dropped = match self.sessions.close_at(address) {
                    Some((b, _)) => self.store.drop_session(b),
                    None => 0,
                };
                return Reply::ok(&[dropped as u64]);
            }
            _ => return Reply::error(BAD_REQUEST),
        };
        let key = match key {
            Some(k) if !valid_key(k) => return Reply::error(BAD_REQUEST),
            Some(k) => Some(core::str::from_utf8(k).unwrap_or("")),
            None => None,
        };
        if self.sessions.get(badge).is_none() && !matches!(label, proto::STATS | proto::TRACE | proto::WORK) {
            return Reply::error(DENIED);
        }
        let mut nbuf = [0u8; 6 + KEY_MAX];
        match (label, key) {
            (proto::TRACE, _) => {
                let mut text = String::new();
                for d in self.security.cache.trace() {
                    let line = alloc::format!(
                        "epoch {} subject {} {} {} {} cached\n",
                        d.epoch,
                        d.subject,
                        d.op.name(),
                        d.object(),
                        d.decision.name()
                    );
                    if text.len() + line.len() > (msg::MAX_WORDS - 2) * 8 {
                        break;
                    }
                    text.push_str(&line);
                }
                let mut out = Outgoing::new();
                out.word(text.len() as u64).bytes(text.as_bytes());
                let (info, mrs) = out.finish(OK);
                Reply::long(OK, mrs, info.length())
            }
            (proto::STATS, _) => Reply::ok(&self.security.stats()),
            (proto::WORK, _) => Reply::ok(&[
                self.work_cached.0,
                self.work_cached.1,
                self.work_asked.0,
                self.work_asked.1,
            ]),
            (proto::LIST, _) => {
                if !self.allowed(subject, "service:store", Operation::List) {
                    return Reply::error(DENIED);
                }
                let mut text = String::new();
                let mut count = 0u64;
                for k in self.store.keys() {
                    if text.len() + k.len() + 1 > (msg::MAX_WORDS - 3) * 8 {
                        break;
                    }
                    text.push_str(k);
                    text.push('\n');
                    count += 1;
                }
                let mut out = Outgoing::new();
                out.word(count).word(text.len() as u64).bytes(text.as_bytes());
                let (info, mrs) = out.finish(OK);
                Reply::long(OK, mrs, info.length())
            }
            (proto::PUT, Some(key)) => {
                let op = if self.store.contains(key) {
                    Operation::Write
                } else {
                    Operation::Create
                };
                if !self.allowed(subject, object_name(&mut nbuf, key), op) {
                    return Reply::error(DENIED);
                }
                match self.store.put(&mut self.sessions, badge, key, value.unwrap_or(&[])) {
                    Ok(_) => Reply::ok(&[]),
                    Err(StoreError::Quota(_)) => Reply::error(QUOTA_EXHAUSTED),
                    Err(StoreError::NotFound) => Reply::error(NOT_FOUND),
                }
            }
            (proto::GET, Some(key)) => {
                if !self.allowed(subject, object_name(&mut nbuf, key), Operation::Read) {
                    return Reply::error(DENIED);
                }
                match self.store.get(&self.sessions, key) {
                    Ok(v) => {
                        let mut out = Outgoing::new();
                        out.word(v.len() as u64).bytes(v);
                        let (info, mrs) = out.finish(OK);
                        Reply::long(OK, mrs, info.length())
                    }
                    Err(_) => Reply::error(NOT_FOUND),
                }
            }
            (proto::DELETE, Some(key)) => {
                if !self.allowed(subject, object_name(&mut nbuf, key), Operation::Delete) {
                    return Reply::error(DENIED);
                }
                match self.store.delete(&mut self.sessions, key) {
                    Ok(()) => Reply::ok(&[]),
                    Err(_) => Reply::error(NOT_FOUND),
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

    fn account(&mut self, label: u64, ticks: u64) {
        let asked = self.asked.take();
        if label != proto::GET {
            return;
        }
        match asked {
            None => self.work_cached = (self.work_cached.0 + ticks, self.work_cached.1 + 1),
            Some(call) => self.work_asked = (self.work_asked.0 + ticks.saturating_sub(call), self.work_asked.1 + 1),
        }
    }

    fn save(&self, _buf: &mut [u8]) -> usize {
        // No state survives an update yet: objects are lost (persistence
        // comes with the file server).
        0
    }
}

fn main(boot: Boot) -> ! {
    let Some(security) = Mediator::register(supervisor::connection(0)) else {
        supervisor::start_failed("cannot reach the security server");
    };
    let epoch = security.cache.epoch();
    let mut s = StoreServer {
        security,
        sessions: Sessions::new(),
        store: Store::new(),
        asked: None,
        work_cached: (0, 0),
        work_asked: (0, 0),
    };
    println!("store ready (policy epoch {epoch})");
    supervisor::ready();
    server::serve(&mut s, boot.generation)
}
