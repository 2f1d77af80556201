//! What every object server does with the security server, over the
//! connection its manifest's `wants = ["security"]` gave it: register,
//! decide through the [`DecisionCache`], empty the cache and acknowledge
//! when the policy changes. (Feature `ipc`: it makes system calls.)

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::Cap;
use pride_rt::security_client;
use security_srv::{Decision, Operation};

use crate::DecisionCache;

/// The security server's connection and the decisions cached from it.
pub struct Mediator {
    pub cache: DecisionCache,
    security: Cap<Endpoint>,
}

impl Mediator {
    /// Registers with the security server on `security` (it will wait for
    /// this server's acknowledgement on a policy change); `None` if it
    /// refused. The cache starts at the epoch in force.
    pub fn register(security: Cap<Endpoint>) -> Option<Mediator> {
        let epoch = security_client::register(security)?;
        let mut cache = DecisionCache::new();
        cache.advance(epoch);
        Some(Mediator { cache, security })
    }

    /// The security server's connection (for a server that asks in its
    /// own way, e.g. timing the call).
    pub fn security(&self) -> Cap<Endpoint> {
        self.security
    }

    /// Whether `subject` may do `op` on `object`: from the cache, or asked.
    pub fn allows(&mut self, subject: u32, object: &str, op: Operation) -> bool {
        let security = self.security;
        let d = self.cache.decide(subject, object, op, || {
            security_client::decide(security, subject, op as u8, object)
        });
        d == Decision::Allow
    }

    /// What the servers' `STATS` requests answer: the cache's hits,
    /// misses and flushes, and its epoch.
    pub fn stats(&self) -> [u64; 4] {
        let (hits, misses, flushes, _) = self.cache.stats();
        [hits, misses, flushes, self.cache.epoch()]
    }

    /// The policy changed (`FLUSH_SIGNAL`): empty the cache, acknowledge.
    pub fn policy_changed(&mut self) {
        let security = self.security;
        self.cache
            .policy_changed(|| security_client::acknowledge_flush(security));
    }
}
