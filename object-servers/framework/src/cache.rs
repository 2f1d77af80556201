//! The decision cache.

use alloc::string::String;
use core::hash::{Hash, Hasher};

use hashbrown::{Equivalent, HashMap};
use security_srv::{Decision, Operation};

#[derive(PartialEq, Eq, Hash)]
struct Key {
    subject: u32,
    op: Operation,
    object: String,
}

/// A key borrowed for look-ups, so a hit allocates nothing.
struct KeyRef<'a> {
    subject: u32,
    op: Operation,
    object: &'a str,
}

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, h: &mut H) {
        // Must hash exactly as the derived `Hash` of `Key` does.
        self.subject.hash(h);
        self.op.hash(h);
        self.object.hash(h);
    }
}

impl Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, k: &Key) -> bool {
        self.subject == k.subject && self.op == k.op && self.object == k.object
    }
}

/// Most entries kept; beyond it the cache is emptied (a simple bound: the
/// cache is an optimisation, never a source of truth).
pub const CAPACITY: usize = 4096;

/// Longest object name kept in the trace (longer ones are cut).
pub const TRACE_OBJECT_MAX: usize = 64;

/// One decision served from the cache, for the decision trace. Fixed size:
/// recording a hit must not allocate (it is on every cached request).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CachedDecision {
    pub subject: u32,
    object: [u8; TRACE_OBJECT_MAX],
    object_len: u8,
    pub op: Operation,
    pub decision: Decision,
    pub epoch: u64,
}

impl CachedDecision {
    /// The object's name (cut to [`TRACE_OBJECT_MAX`] bytes).
    pub fn object(&self) -> &str {
        core::str::from_utf8(&self.object[..self.object_len as usize]).unwrap_or("?")
    }
}

/// Cache hits remembered for tracing.
pub const TRACE_CAPACITY: usize = 32;

/// Cached decisions of one epoch.
pub struct DecisionCache {
    trace: alloc::collections::VecDeque<CachedDecision>,
    epoch: u64,
    map: HashMap<Key, Decision>,
    hits: u64,
    misses: u64,
    flushes: u64,
}

impl Default for DecisionCache {
    fn default() -> Self {
        Self::new()
    }
}

impl DecisionCache {
    pub fn new() -> DecisionCache {
        DecisionCache {
            trace: alloc::collections::VecDeque::new(),
            epoch: 0,
            map: HashMap::new(),
            hits: 0,
            misses: 0,
            flushes: 0,
        }
    }

    /// The epoch the cached answers belong to.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// A cached answer, counting the hit or miss.
    pub fn get(&mut self, subject: u32, object: &str, op: Operation) -> Option<Decision> {
        let d = self.map.get(&KeyRef { subject, op, object }).copied();
        match d {
            Some(decision) => {
                self.hits += 1;
                if self.trace.len() == TRACE_CAPACITY {
                    self.trace.pop_front();
                }
                let mut name = [0u8; TRACE_OBJECT_MAX];
                let mut n = object.len().min(TRACE_OBJECT_MAX);
                while !object.is_char_boundary(n) {
                    n -= 1;
                }
                name[..n].copy_from_slice(&object.as_bytes()[..n]);
                self.trace.push_back(CachedDecision {
                    subject,
                    object: name,
                    object_len: n as u8,
                    op,
                    decision,
                    epoch: self.epoch,
                });
            }
            None => self.misses += 1,
        }
        d
    }

    /// The decision on (`subject`, `object`, `op`): the cached one, or else
    /// `ask`'s (the security server's answer, as
    /// `pride_rt::security_client::decide` gives it: allowed, the epoch it
    /// was made in, whether it may be cached), remembered if cacheable. No
    /// answer (`None`: the security server could not be asked) denies.
    pub fn decide(
        &mut self,
        subject: u32,
        object: &str,
        op: Operation,
        ask: impl FnOnce() -> Option<(bool, u64, bool)>,
    ) -> Decision {
        if let Some(d) = self.get(subject, object, op) {
            return d;
        }
        let Some((allowed, epoch, cacheable)) = ask() else {
            return Decision::Deny;
        };
        let d = Decision::from_allowed(allowed);
        // A newer epoch than the cache's means the policy changed: the
        // insert (or advance) empties the cache first.
        if cacheable {
            self.insert(subject, object, op, d, epoch);
        } else {
            self.advance(epoch);
        }
        d
    }

    /// Moves to `epoch` if it is newer, emptying the cache. Returns true if
    /// it flushed.
    pub fn advance(&mut self, epoch: u64) -> bool {
        if epoch > self.epoch {
            self.map.clear();
            self.epoch = epoch;
            self.flushes += 1;
            true
        } else {
            false
        }
    }

    /// Records the security server's answer, made in `epoch`. An answer from
    /// an older epoch than the cache's is not stored (it may be stale).
    pub fn insert(&mut self, subject: u32, object: &str, op: Operation, decision: Decision, epoch: u64) {
        self.advance(epoch);
        if epoch < self.epoch {
            return;
        }
        if self.map.len() >= CAPACITY {
            self.map.clear();
        }
        self.map.insert(
            Key {
                subject,
                op,
                object: object.into(),
            },
            decision,
        );
    }

    /// The policy changed (the server was signalled): empties the cache and
    /// acknowledges with `ack` (to the security server), moving to the
    /// epoch its reply names, if any.
    pub fn policy_changed(&mut self, ack: impl FnOnce() -> Option<u64>) {
        self.clear();
        if let Some(epoch) = ack() {
            self.advance(epoch);
        }
    }

    /// Empties the cache without changing its epoch (a flush request; the
    /// new epoch comes with the acknowledgement's reply).
    pub fn clear(&mut self) {
        self.map.clear();
        self.flushes += 1;
    }

    /// Forgets everything about `subject` (its session closed).
    pub fn forget_subject(&mut self, subject: u32) {
        self.map.retain(|k, _| k.subject != subject);
    }

    /// The newest decisions served from the cache, oldest first.
    pub fn trace(&self) -> impl Iterator<Item = &CachedDecision> {
        self.trace.iter()
    }

    /// (hits, misses, flushes, entries).
    pub fn stats(&self) -> (u64, u64, u64, usize) {
        (self.hits, self.misses, self.flushes, self.map.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use Operation::*;

    #[test]
    fn decide_asks_once_per_cacheable_answer_and_denies_without_one() {
        let mut c = DecisionCache::new();
        let mut asked = 0;
        for _ in 0..3 {
            let d = c.decide(1, "fs:/a", Read, || {
                asked += 1;
                Some((true, 1, true))
            });
            assert_eq!(d, Allow);
        }
        assert_eq!(asked, 1, "a cacheable answer is asked for once");
        for _ in 0..2 {
            assert_eq!(
                c.decide(1, "fs:/b", Write, || {
                    asked += 1;
                    Some((true, 1, false))
                }),
                Allow
            );
        }
        assert_eq!(asked, 3, "an answer that may not be cached is asked for every time");
        assert_eq!(c.decide(1, "fs:/c", Read, || None), Deny, "no answer denies");
        assert_eq!(c.get(1, "fs:/c", Read), None, "and is not remembered");
        // A newer epoch in an uncacheable answer still empties the cache.
        assert_eq!(c.decide(2, "fs:/d", Read, || Some((false, 2, false))), Deny);
        assert_eq!(c.get(1, "fs:/a", Read), None);
    }

    #[test]
    fn hits_within_an_epoch_and_flushes_on_a_newer_one() {
        let mut c = DecisionCache::new();
        assert_eq!(c.get(1, "store:x", Read), None);
        c.insert(1, "store:x", Read, Allow, 3);
        assert_eq!(c.get(1, "store:x", Read), Some(Allow));
        assert_eq!(c.get(1, "store:x", Write), None);
        assert_eq!(c.get(2, "store:x", Read), None);
        assert!(c.advance(4));
        assert_eq!(c.get(1, "store:x", Read), None);
        assert_eq!(c.stats(), (1, 4, 2, 0));
        let t: alloc::vec::Vec<_> = c.trace().collect();
        assert_eq!(t.len(), 1);
        assert_eq!(
            (t[0].subject, t[0].object(), t[0].decision, t[0].epoch),
            (1, "store:x", Allow, 3)
        );
    }

    #[test]
    fn stale_answers_are_not_stored() {
        let mut c = DecisionCache::new();
        c.advance(5);
        c.insert(1, "store:x", Read, Allow, 4);
        assert_eq!(c.get(1, "store:x", Read), None);
        assert!(!c.advance(5));
    }

    #[test]
    fn forgetting_a_subject() {
        let mut c = DecisionCache::new();
        c.insert(1, "a", Read, Allow, 1);
        c.insert(2, "a", Read, Deny, 1);
        c.forget_subject(1);
        assert_eq!(c.get(1, "a", Read), None);
        assert_eq!(c.get(2, "a", Read), Some(Deny));
    }

    proptest::proptest! {
        /// Whatever the sequence, a hit always returns the latest answer
        /// stored in the cache's current epoch (a reference model).
        #[test]
        fn agrees_with_a_model(ops in proptest::collection::vec((0u8..3, 0u32..3, 0u8..3, 0u64..4, proptest::bool::ANY), 0..200)) {
            let mut c = DecisionCache::new();
            let mut model: alloc::collections::BTreeMap<(u32, u8), (Decision, u64)> = Default::default();
            let mut epoch = 0u64;
            for (kind, subject, obj, e, allow) in ops {
                let object = alloc::format!("o{obj}");
                match kind {
                    0 => {
                        let d = if allow { Decision::Allow } else { Decision::Deny };
                        c.insert(subject, &object, Read, d, e);
                        if e > epoch { epoch = e; model.clear(); }
                        if e == epoch { model.insert((subject, obj), (d, e)); }
                    }
                    1 => {
                        if c.advance(e) { epoch = e; model.clear(); }
                    }
                    _ => {
                        let got = c.get(subject, &object, Read);
                        let want = model.get(&(subject, obj)).map(|(d, _)| *d);
                        proptest::prop_assert_eq!(got, want);
                    }
                }
            }
        }
    }
}
