//! The security server: the module in force, the epoch, the flush protocol
//! and the decision log.
//!
//! ## Epochs and flushes
//!
//! Object servers cache decisions tagged with the epoch they were made in.
//! The epoch grows when a cached decision may have become wrong: a module
//! swap, or a decision of a stateful module that `invalidates` earlier ones
//! (a chinese-wall first touch). Then every registered object server must
//! flush its cache and acknowledge with the new epoch; until all have, the
//! change is *pending*. The server whose request caused the change is not
//! waited for: it learns the new epoch from the reply, and a server that
//! sees a reply with a newer epoch than its cache flushes before using it.
//!
//! | operation | effect |
//! | --- | --- |
//! | [`SecurityServer::decide`] | asks the module, logs, grows the epoch if the module says so |
//! | [`SecurityServer::swap`] | replaces the module, grows the epoch, waits for every server |
//! | [`SecurityServer::ack`] | a server flushed up to an epoch |
//! | [`SecurityServer::is_settled`] | no flush is pending: no request can be served on an old decision |

use alloc::boxed::Box;
use alloc::collections::{BTreeSet, VecDeque};
use alloc::string::String;

use crate::module::PolicyModule;
use crate::{Decision, Operation};

/// One logged decision.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    pub subject: String,
    pub object: String,
    pub op: Operation,
    pub decision: Decision,
    pub epoch: u64,
    /// Served from an object server's cache rather than decided here.
    pub cached: bool,
}

/// Entries the log keeps.
pub const LOG_CAPACITY: usize = 128;

/// The last [`LOG_CAPACITY`] decisions.
#[derive(Default)]
pub struct DecisionLog {
    entries: VecDeque<Entry>,
    total: u64,
}

impl DecisionLog {
    pub fn push(&mut self, e: Entry) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(e);
        self.total += 1;
    }
    /// Entries, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }
    /// Decisions logged in all (including those no longer kept).
    pub fn total(&self) -> u64 {
        self.total
    }
}

/// What [`SecurityServer::decide`] answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outcome {
    pub decision: Decision,
    /// The epoch the decision belongs to.
    pub epoch: u64,
    /// May the asking server cache it (until the epoch changes)?
    pub cacheable: bool,
}

/// The security server's state.
pub struct SecurityServer {
    module: Box<dyn PolicyModule>,
    epoch: u64,
    servers: BTreeSet<u32>,
    waiting: BTreeSet<u32>,
    pub log: DecisionLog,
}

impl SecurityServer {
    /// Starts with `module` in epoch 1.
    pub fn new(module: Box<dyn PolicyModule>) -> SecurityServer {
        SecurityServer {
            module,
            epoch: 1,
            servers: BTreeSet::new(),
            waiting: BTreeSet::new(),
            log: DecisionLog::default(),
        }
    }

    /// Name of the module in force.
    pub fn module_name(&self) -> &'static str {
        self.module.name()
    }

    /// Writes the rules in force.
    pub fn describe(&self, out: &mut String) {
        self.module.describe(out)
    }

    /// The current epoch.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Continues from a handed-over epoch (after the server itself was
    /// replaced); never goes backwards.
    pub fn resume_epoch(&mut self, epoch: u64) {
        self.epoch = self.epoch.max(epoch);
    }

    /// An object server that caches decisions (it will be asked to flush).
    pub fn register_server(&mut self, server: u32) {
        self.servers.insert(server);
    }

    /// An object server is gone: nobody waits for it any more.
    pub fn unregister_server(&mut self, server: u32) {
        self.servers.remove(&server);
        self.waiting.remove(&server);
    }

    /// The registered object servers.
    pub fn servers(&self) -> impl Iterator<Item = u32> + '_ {
        self.servers.iter().copied()
    }

    /// Servers that have not acknowledged the current epoch.
    pub fn waiting(&self) -> impl Iterator<Item = u32> + '_ {
        self.waiting.iter().copied()
    }

    /// True when no flush is pending.
    pub fn is_settled(&self) -> bool {
        self.waiting.is_empty()
    }

    fn bump(&mut self, except: Option<u32>) {
        self.epoch += 1;
        self.waiting = self.servers.iter().copied().filter(|s| Some(*s) != except).collect();
    }

    /// Decides for `asking_server` (if an object server asks).
    pub fn decide(
        &mut self,
        subject: &str,
        object: &str,
        op: Operation,
        now_ms: u64,
        asking_server: Option<u32>,
    ) -> Outcome {
        let v = self.module.decide(subject, object, op, now_ms);
        if v.invalidates {
            self.bump(asking_server);
        }
        self.log.push(Entry {
            subject: subject.into(),
            object: object.into(),
            op,
            decision: v.decision,
            epoch: self.epoch,
            cached: false,
        });
        Outcome {
            decision: v.decision,
            epoch: self.epoch,
            cacheable: v.cacheable,
        }
    }

    /// Records a decision an object server served from its cache.
    pub fn log_cached(&mut self, subject: &str, object: &str, op: Operation, decision: Decision, epoch: u64) {
        self.log.push(Entry {
            subject: subject.into(),
            object: object.into(),
            op,
            decision,
            epoch,
            cached: true,
        });
    }

    /// Puts `module` in force. Returns the new epoch; the swap is complete
    /// when [`is_settled`](Self::is_settled).
    pub fn swap(&mut self, module: Box<dyn PolicyModule>) -> u64 {
        self.module = module;
        self.bump(None);
        self.epoch
    }

    /// `server` flushed its cache up to `epoch`. Returns true if that
    /// settled the pending change. An acknowledgement of an older epoch
    /// does not count.
    pub fn ack(&mut self, server: u32, epoch: u64) -> bool {
        if epoch >= self.epoch {
            self.waiting.remove(&server);
        }
        self.is_settled()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::module::load;

    fn allow_all() -> Box<dyn PolicyModule> {
        load("allowlist", "allow * * *").unwrap()
    }
    fn deny_all() -> Box<dyn PolicyModule> {
        load("allowlist", "").unwrap()
    }

    #[test]
    fn swap_bumps_the_epoch_and_waits_for_every_server() {
        let mut s = SecurityServer::new(deny_all());
        s.register_server(7);
        s.register_server(8);
        assert!(s.is_settled());
        let o = s.decide("sys/a", "store:x", Operation::Read, 0, Some(7));
        assert_eq!((o.decision, o.epoch, o.cacheable), (Decision::Deny, 1, true));
        let e = s.swap(allow_all());
        assert_eq!(e, 2);
        assert!(!s.is_settled());
        assert!(!s.ack(7, 1)); // an old epoch does not count
        assert!(!s.ack(7, 2));
        assert!(s.ack(8, 2));
        assert_eq!(
            s.decide("sys/a", "store:x", Operation::Read, 0, Some(7)).decision,
            Decision::Allow
        );
    }

    #[test]
    fn a_gone_server_is_not_waited_for() {
        let mut s = SecurityServer::new(deny_all());
        s.register_server(1);
        s.register_server(2);
        s.swap(allow_all());
        s.unregister_server(2);
        assert!(s.ack(1, 2));
    }

    /// A module whose first answer invalidates earlier ones.
    struct Flipper(bool);
    impl PolicyModule for Flipper {
        fn name(&self) -> &'static str {
            "flipper"
        }
        fn decide(&mut self, _: &str, _: &str, _: Operation, _: u64) -> crate::module::Verdict {
            let first = !self.0;
            self.0 = true;
            crate::module::Verdict {
                decision: Decision::Allow,
                cacheable: true,
                invalidates: first,
            }
        }
        fn describe(&self, _: &mut String) {}
    }

    #[test]
    fn invalidating_decisions_grow_the_epoch_except_for_the_asker() {
        let mut s = SecurityServer::new(Box::new(Flipper(false)));
        s.register_server(1);
        s.register_server(2);
        let o = s.decide("sys/c", "store:a/1", Operation::Read, 0, Some(1));
        assert_eq!(o.epoch, 2);
        assert_eq!(s.waiting().collect::<alloc::vec::Vec<_>>(), [2]);
        assert!(s.ack(2, 2));
        assert_eq!(s.decide("sys/c", "store:b/1", Operation::Read, 0, Some(2)).epoch, 2);
    }

    #[test]
    fn the_log_keeps_the_newest_and_marks_cached_entries() {
        let mut s = SecurityServer::new(allow_all());
        for i in 0..(LOG_CAPACITY + 3) {
            s.decide("sys/a", &alloc::format!("store:{i}"), Operation::Read, 0, None);
        }
        s.log_cached("sys/a", "store:0", Operation::Read, Decision::Allow, 1);
        assert_eq!(s.log.total(), LOG_CAPACITY as u64 + 4);
        assert_eq!(s.log.iter().count(), LOG_CAPACITY);
        assert!(s.log.iter().last().unwrap().cached);
        assert!(!s.log.iter().next().unwrap().cached);
    }

    #[test]
    fn resume_epoch_never_goes_back() {
        let mut s = SecurityServer::new(allow_all());
        s.resume_epoch(9);
        assert_eq!(s.epoch(), 9);
        s.resume_epoch(3);
        assert_eq!(s.epoch(), 9);
    }
}
