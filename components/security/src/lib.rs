//! # security: the security server component
//!
//! Runs `security_srv::server::SecurityServer` behind the `security`
//! service (protocol: `pride_supervisor_api::security`). Each image
//! (`policy-MODULE`) builds the server with one policy module and its rules
//! (`policies/*.rules`); `policy swap MODULE` in the shell is a live update
//! of this component to another image. The hand-over state carries the
//! epoch, the subjects' labels and the registered object servers, so the
//! new module starts in a new epoch and waits for every server's flush.
//!
//! When the last registered server acknowledges, the server signals the
//! supervisor (`SETTLED_SIGNAL` on the notification in slot 6).

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use kernel_iface::cap::kind::Notification;
use kernel_iface::syscall::Received;
use kernel_iface::Cap;
use pride_rt::component::Boot;
use pride_rt::msg::{self, Outgoing};
use pride_rt::server::{self, Reply, Server};
use pride_rt::{println, supervisor};
use pride_supervisor_api::security::{self as proto, LABEL_MAX, OBJECT_MAX};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST, OK};
use security_srv::server::SecurityServer;
use security_srv::{label, Decision, Operation};
use serde::{Deserialize, Serialize};

/// Slot of the badged notification that reaches the supervisor.
pub const SLOT_SUPERVISOR_NOTIFY: u64 = 6;

/// What one version hands to the next.
#[derive(Serialize, Deserialize, Default)]
struct HandOver {
    epoch: u64,
    labels: Vec<(u32, String)>,
    servers: Vec<u32>,
}

struct Security {
    core: SecurityServer,
    labels: BTreeMap<u32, String>,
    boot_tsc: u64,
    /// Ticks spent serving `DECIDE` requests (see `STATUS`).
    decide_ticks: u64,
}

impl Security {
    fn now_ms(&self) -> u64 {
        // The TSC runs at about 1-3 GHz; coarse milliseconds are enough for
        // rate windows.
        (pride_rt::tsc() - self.boot_tsc) / 1_000_000
    }

    fn settled_signal(&self) {
        Cap::<Notification>::from_cptr(SLOT_SUPERVISOR_NOTIFY).signal();
    }

    fn decide(&mut self, client: ClientBadge, msg: &Received, labelled: bool) -> Reply {
        let Some((subject, op, olen)) = msg::word(msg, 0).and_then(proto::parse_header) else {
            return Reply::error(BAD_REQUEST);
        };
        let subject = subject as u64;
        let Some(op) = Operation::from_u64(op as u64) else {
            return Reply::error(BAD_REQUEST);
        };
        let mut obuf = [0u8; OBJECT_MAX];
        let Some(object) = msg::bytes(msg, 1, olen, &mut obuf).and_then(|b| core::str::from_utf8(b).ok()) else {
            return Reply::error(BAD_REQUEST);
        };
        let object = String::from(object);
        if labelled {
            // Only the supervisor (client id 0) may say who a subject is.
            let lword = 1 + olen.div_ceil(8);
            let (true, Some(llen)) = (client.client == 0, msg::word(msg, lword)) else {
                return Reply::error(BAD_REQUEST);
            };
            let mut lbuf = [0u8; LABEL_MAX];
            match msg::bytes(msg, lword + 1, llen as usize, &mut lbuf).and_then(|b| core::str::from_utf8(b).ok()) {
                Some(l) if label::is_valid(l) => {
                    self.labels.insert(subject as u32, String::from(l));
                }
                _ => return Reply::error(BAD_REQUEST),
            }
        }
        let now = self.now_ms();
        let asking = Some(client.client as u32);
        let outcome = match self.labels.get(&(subject as u32)) {
            Some(l) => {
                let l = l.clone();
                self.core.decide(&l, &object, op, now, asking)
            }
            // Unknown subjects are denied; the answer may not be cached, as
            // the supervisor may introduce the subject later.
            None => security_srv::server::Outcome {
                decision: Decision::Deny,
                epoch: self.core.epoch(),
                cacheable: false,
            },
        };
        let allow = (outcome.decision == Decision::Allow) as u64;
        Reply::ok(&[allow, outcome.epoch, outcome.cacheable as u64])
    }

    fn text_reply(text: &str) -> Reply {
        let bytes = &text.as_bytes()[..text.len().min((msg::MAX_WORDS - 1) * 8)];
        let mut out = Outgoing::new();
        out.word(bytes.len() as u64).bytes(bytes);
        let (info, mrs) = out.finish(OK);
        Reply::long(OK, mrs, info.length())
    }
}

impl Server for Security {
    fn handle(&mut self, client: ClientBadge, label: u64, msg: &Received) -> Reply {
        match label {
            proto::DECIDE => self.decide(client, msg, false),
            proto::DECIDE_LABELLED => self.decide(client, msg, true),
            proto::ACK => {
                let Some(epoch) = msg::word(msg, 0) else {
                    return Reply::error(BAD_REQUEST);
                };
                let was_settled = self.core.is_settled();
                if self.core.ack(client.client as u32, epoch) && !was_settled {
                    self.settled_signal();
                }
                Reply::ok(&[self.core.epoch()])
            }
            proto::REGISTER => {
                self.core.register_server(client.client as u32);
                Reply::ok(&[self.core.epoch()])
            }
            proto::SHOW => {
                let mut t = String::new();
                let _ = writeln!(t, "module {} epoch {}", self.core.module_name(), self.core.epoch());
                let servers: Vec<u32> = self.core.servers().collect();
                let waiting: Vec<u32> = self.core.waiting().collect();
                let _ = writeln!(t, "object servers {servers:?}, waiting for {waiting:?}");
                let _ = writeln!(t, "subjects known: {}", self.labels.len());
                self.core.describe(&mut t);
                Self::text_reply(&t)
            }
            proto::LOG => {
                let mut t = String::new();
                let _ = writeln!(t, "{} decisions in all; the newest:", self.core.log.total());
                // As many whole lines, newest last, as fit one reply.
                let room = (msg::MAX_WORDS - 1) * 8 - t.len();
                let mut lines: Vec<String> = Vec::new();
                let mut used = 0;
                for e in self.core.log.iter().collect::<Vec<_>>().into_iter().rev() {
                    let line = alloc::format!(
                        "epoch {} {} {} {} {} {}\n",
                        e.epoch,
                        e.subject,
                        e.op.name(),
                        e.object,
                        e.decision.name(),
                        if e.cached { "cached" } else { "decided" }
                    );
                    if used + line.len() > room {
                        break;
                    }
                    used += line.len();
                    lines.push(line);
                }
                for l in lines.iter().rev() {
                    t.push_str(l);
                }
                Self::text_reply(&t)
            }
            proto::STATUS => Reply::ok(&[
                self.core.epoch(),
                self.core.is_settled() as u64,
                self.core.log.total(),
                self.decide_ticks,
            ]),
            _ => Reply::error(BAD_REQUEST),
        }
    }

    fn account(&mut self, label: u64, ticks: u64) {
        if label == proto::DECIDE {
            self.decide_ticks += ticks;
        }
    }

    fn save(&self, buf: &mut [u8]) -> usize {
        let h = HandOver {
            epoch: self.core.epoch(),
            labels: self.labels.iter().map(|(k, v)| (*k, v.clone())).collect(),
            servers: self.core.servers().collect(),
        };
        postcard::to_slice(&h, buf).map(|b| b.len()).unwrap_or(0)
    }
}

/// The main of every `policy-*` image.
pub fn run(boot: Boot, module: &str, rules: &str) -> ! {
    let m = match security_srv::module::load(module, rules) {
        Ok(m) => m,
        Err(e) => {
            println!("rules line {}: {}", e.line, e.why);
            supervisor::start_failed("the policy rules do not parse")
        }
    };
    let handed: HandOver = if boot.state.is_empty() {
        HandOver::default()
    } else {
        match postcard::from_bytes(boot.state) {
            Ok(h) => h,
            Err(_) => supervisor::start_failed("handed-over state undecodable"),
        }
    };
    let mut core = SecurityServer::new(m);
    for s in &handed.servers {
        core.register_server(*s);
    }
    let mut sec = Security {
        core,
        labels: handed.labels.into_iter().collect(),
        boot_tsc: pride_rt::tsc(),
        decide_ticks: 0,
    };
    if !boot.state.is_empty() {
        // A swap: the new module starts a new epoch, and every object
        // server must flush its cache before the swap is complete.
        sec.core.resume_epoch(handed.epoch);
        let fresh = security_srv::module::load(module, rules).unwrap_or_else(|_| supervisor::start_failed("rules"));
        sec.core.swap(fresh);
    }
    println!(
        "policy module '{}' in force, epoch {}, {} object servers to flush",
        sec.core.module_name(),
        sec.core.epoch(),
        sec.core.waiting().count()
    );
    supervisor::ready();
    if sec.core.is_settled() {
        sec.settled_signal();
    }
    server::serve(&mut sec, boot.generation)
}
