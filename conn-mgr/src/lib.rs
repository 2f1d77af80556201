//! # conn-mgr: the connection manager's books, without the kernel
//!
//! Servers register service names; a client asks for a connection by name.
//! The connection manager component (`components/connections`) asks the
//! security server first and passes its answer in as a [`Decision`]; on
//! allow, [`Connections`] opens a [`Session`] under the badge the caller
//! chose (in Pride: the client's id and the server generation). The
//! component mints the client's endpoint capability with that badge and,
//! when a session ends here, revokes it.
//!
//! A client has at most one session per service: connecting again (after a
//! server restart, say) replaces the old session, which is returned so its
//! capability can be revoked.
//!
//! ## Operations
//!
//! Methods of [`Connections`]; clients and servers are component ids (`u32`).
//!
//! | operation | effect | errors |
//! | --- | --- | --- |
//! | `register(name, server)` | offers `name`; the same server again: same id, no change | `InvalidName`, `NameTaken` |
//! | `unregister(name)` | withdraws the name; its sessions end | `NoSuchService` |
//! | `unregister_server(server)` | withdraws the server's names; its sessions stay | — |
//! | `connect(client, name, decision, badge, bytes)` | on `Allow`: a session (replacing the client's old one with that service) | `InvalidName`, `NoSuchService`, |
//! | | | `Denied`, `TooManySessions` |
//! | `close(session)` | ends one session | `NoSuchSession` |
//! | `close_client(client)` | ends the client's sessions (it exited) | — |
//! | `close_server(server)` | ends the sessions `server` serves | — |
//! | `withdraw(pred)` | ends the sessions a policy change no longer allows | — |
//! | `find(client, name)` | the client's live session with that service | — |
//! | `sessions()` | live sessions by id, for the shell's `conns` | — |
//!
//! `register` also fails with `TooManyServices` once service ids run out.
//! `connect` records `bytes`, the client's donation to the server for the
//! session; making the donation is the caller's job. Every operation that
//! ends sessions returns them (in session order), so the caller can revoke
//! their capabilities and donations. Checks are made in the order of the
//! errors column; a failed operation changes nothing.

#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

/// Longest service name, in bytes.
pub const NAME_MAX: usize = 64;
/// Live sessions at most, unless [`Connections::with_session_limit`] says
/// otherwise.
pub const DEFAULT_SESSION_LIMIT: u32 = 1 << 20;

/// Names a registration. Never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u32);

/// Names a session. Never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SessionId(pub u64);

/// The security server's answer, as passed in by the caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

/// A registered service name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    /// The server's component id.
    pub server: u32,
}

/// A live connection of a client to a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    /// The client's component id.
    pub client: u32,
    pub service: ServiceId,
    /// The service's name (kept: the service may be unregistered first).
    pub service_name: String,
    /// The server's component id.
    pub server: u32,
    /// The badge of the client's endpoint capability (chosen by the caller).
    pub badge: u64,
    /// Bytes the client donates to the server for this session.
    pub donation: u64,
}

/// Why an operation was refused, and whose fault it is. None changed
/// anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmError {
    /// No service has that name (the client asked for the wrong one, or the
    /// server has not registered yet).
    NoSuchService,
    /// Another server registered that name first.
    NameTaken,
    /// The security server said no.
    Denied,
    /// No live session has that id: the caller's id is stale.
    NoSuchSession,
    /// The limit of live sessions is reached.
    TooManySessions,
    /// Too many registrations (2^32 service ids used).
    TooManyServices,
    /// Empty, longer than [`NAME_MAX`], or not of `[A-Za-z0-9._-]`: the
    /// caller's name is malformed.
    InvalidName,
}

/// Whether `name` can be a service name.
pub fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// The registry and the live sessions.
#[derive(Clone, Debug)]
pub struct Connections {
    services: BTreeMap<String, Service>,
    sessions: BTreeMap<SessionId, Session>,
    limit: u32,
    next_service: u32,
    next_session: u64,
}

impl Default for Connections {
    fn default() -> Self {
        Connections::new()
    }
}

impl Connections {
    /// Empty, with room for [`DEFAULT_SESSION_LIMIT`] live sessions.
    pub fn new() -> Connections {
        Connections::with_session_limit(DEFAULT_SESSION_LIMIT)
    }

    /// Empty, with room for `limit` (at least 1) live sessions.
    pub fn with_session_limit(limit: u32) -> Connections {
        Connections {
            services: BTreeMap::new(),
            sessions: BTreeMap::new(),
            limit: limit.max(1),
            next_service: 0,
            next_session: 0,
        }
    }

    /// Offers `name`, served by component `server`. Registering again by
    /// the same server changes nothing and returns the same id.
    pub fn register(&mut self, name: &str, server: u32) -> Result<ServiceId, CmError> {
        if !valid_name(name) {
            return Err(CmError::InvalidName);
        }
        if let Some(s) = self.services.get(name) {
            return if s.server == server {
                Ok(s.id)
            } else {
                Err(CmError::NameTaken)
            };
        }
        let id = ServiceId(self.next_service);
        self.next_service = self.next_service.checked_add(1).ok_or(CmError::TooManyServices)?;
        let name = String::from(name);
        self.services.insert(name.clone(), Service { id, name, server });
        Ok(id)
    }

    /// Withdraws the name `name` (its server is gone for good) and ends
    /// its sessions; returns them.
    pub fn unregister(&mut self, name: &str) -> Result<Vec<Session>, CmError> {
        let s = self.services.remove(name).ok_or(CmError::NoSuchService)?;
        Ok(self.withdraw(|x| x.service == s.id))
    }

    /// Withdraws every name `server` offers; returns them. Its sessions go
    /// on until closed.
    pub fn unregister_server(&mut self, server: u32) -> Vec<Service> {
        let (gone, kept) = core::mem::take(&mut self.services)
            .into_iter()
            .partition(|(_, s)| s.server == server);
        self.services = kept;
        gone.into_values().collect()
    }

    /// The service registered as `name`.
    pub fn service(&self, name: &str) -> Option<&Service> {
        self.services.get(name)
    }

    /// Every registered service, by name.
    pub fn services(&self) -> impl Iterator<Item = &Service> {
        self.services.values()
    }

    /// Opens a session of `client` with the service `name`, if `decision`
    /// allows, under `badge`; `donation_bytes` is recorded for the caller's
    /// donation. The client's earlier session with the service, if any,
    /// ends. Returns the new session and the one it replaced.
    pub fn connect(
        &mut self,
        client: u32,
        name: &str,
        decision: Decision,
        badge: u64,
        donation_bytes: u64,
    ) -> Result<(Session, Option<Session>), CmError> {
        if !valid_name(name) {
            return Err(CmError::InvalidName);
        }
        let service = self.services.get(name).ok_or(CmError::NoSuchService)?.clone();
        if decision == Decision::Deny {
            return Err(CmError::Denied);
        }
        let old = self.find(client, name).map(|s| s.id);
        if old.is_none() && self.sessions.len() >= self.limit as usize {
            return Err(CmError::TooManySessions);
        }
        let id = SessionId(self.next_session);
        self.next_session = self.next_session.checked_add(1).ok_or(CmError::TooManySessions)?;
        let replaced = old.and_then(|o| self.sessions.remove(&o));
        let session = Session {
            id,
            client,
            service: service.id,
            service_name: service.name,
            server: service.server,
            badge,
            donation: donation_bytes,
        };
        self.sessions.insert(id, session.clone());
        Ok((session, replaced))
    }

    /// Ends one session; returns it.
    pub fn close(&mut self, id: SessionId) -> Result<Session, CmError> {
        self.sessions.remove(&id).ok_or(CmError::NoSuchSession)
    }

    /// Ends every session of `client` (it exited); returns them.
    pub fn close_client(&mut self, client: u32) -> Vec<Session> {
        self.withdraw(|s| s.client == client)
    }

    /// Ends every session served by `server`; returns them.
    pub fn close_server(&mut self, server: u32) -> Vec<Session> {
        self.withdraw(|s| s.server == server)
    }

    /// Ends every session for which `pred` is true (those a policy change
    /// no longer allows); returns them, so their capabilities are revoked.
    pub fn withdraw(&mut self, pred: impl Fn(&Session) -> bool) -> Vec<Session> {
        let ids: Vec<SessionId> = self.sessions.values().filter(|s| pred(s)).map(|s| s.id).collect();
        ids.into_iter().filter_map(|id| self.close(id).ok()).collect()
    }

    /// The live session of `client` with the service `name`.
    pub fn find(&self, client: u32, name: &str) -> Option<&Session> {
        self.sessions
            .values()
            .find(|s| s.client == client && s.service_name == name)
    }

    /// The live session `id`.
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    /// The first live session with an id of at least `from`.
    pub fn session_from(&self, from: SessionId) -> Option<&Session> {
        self.sessions.range(from..).next().map(|(_, s)| s)
    }

    /// Every live session, by id (for the shell's `conns`).
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn register_names_unique_per_server() {
        let mut c = Connections::new();
        let fs = c.register("fs", 7).unwrap();
        assert_eq!(c.register("fs", 7), Ok(fs), "same server again: same id");
        assert_eq!(c.register("fs", 8), Err(CmError::NameTaken));
        let net = c.register("net.tcp", 7).unwrap();
        assert_ne!(fs, net);
        assert_eq!(c.register("", 1), Err(CmError::InvalidName));
        assert_eq!(c.register("has space", 1), Err(CmError::InvalidName));
        assert_eq!(c.register(&"x".repeat(NAME_MAX + 1), 1), Err(CmError::InvalidName));
        assert!(c.register(&"x".repeat(NAME_MAX), 1).is_ok());
        assert_eq!(c.service("fs").map(|s| s.server), Some(7));
        assert_eq!(c.services().count(), 3);

        let gone = c.unregister_server(7);
        assert_eq!(
            gone.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
            vec!["fs", "net.tcp"]
        );
        assert_eq!(c.service("fs"), None);
        let fs2 = c.register("fs", 8).unwrap(); // free again
        assert_ne!(fs2, fs, "ids are not reused");
        assert_eq!(c.unregister_server(99), vec![]);
    }

    #[test]
    fn connect_allows_denies_replaces_and_reports() {
        let mut c = Connections::new();
        let svc = c.register("fs", 7).unwrap();
        c.register("net", 8).unwrap();
        assert_eq!(c.connect(1, "nope", Decision::Allow, 5, 0), Err(CmError::NoSuchService));
        assert_eq!(
            c.connect(1, "bad name", Decision::Allow, 5, 0),
            Err(CmError::InvalidName)
        );
        assert_eq!(c.connect(1, "fs", Decision::Deny, 5, 0), Err(CmError::Denied));
        assert_eq!(c.sessions().count(), 0);
        let (s, none) = c.connect(1, "fs", Decision::Allow, 0x100_1001, 4096).unwrap();
        assert_eq!(none, None);
        assert_eq!(
            (s.client, s.service, s.server, s.donation, s.badge),
            (1, svc, 7, 4096, 0x100_1001)
        );
        assert_eq!(s.service_name, "fs");
        // Another service: another session.
        let (n, _) = c.connect(1, "net", Decision::Allow, 0x100_1001, 0).unwrap();
        // The same service again: the old session is replaced.
        let (t, replaced) = c.connect(1, "fs", Decision::Allow, 0x100_2001, 0).unwrap();
        assert_eq!(replaced, Some(s.clone()));
        assert_ne!(s.id, t.id);
        assert_eq!(c.find(1, "fs"), Some(&t));
        assert_eq!(c.session(s.id), None);
        assert_eq!(c.sessions().map(|s| s.id).collect::<Vec<_>>(), vec![n.id, t.id]);
        assert_eq!(c.session_from(SessionId(n.id.0 + 1)), Some(&t));
        assert_eq!(c.session_from(SessionId(t.id.0 + 1)), None);
    }

    #[test]
    fn close_one_and_by_client_and_server_and_unregister() {
        let mut c = Connections::new();
        c.register("fs", 7).unwrap();
        c.register("net", 8).unwrap();
        let (a, _) = c.connect(1, "fs", Decision::Allow, 1, 0).unwrap();
        let (b, _) = c.connect(2, "fs", Decision::Allow, 2, 0).unwrap();
        let (d, _) = c.connect(1, "net", Decision::Allow, 1, 0).unwrap();
        let (e, _) = c.connect(2, "net", Decision::Allow, 2, 0).unwrap();

        assert_eq!(c.close(a.id), Ok(a.clone()));
        assert_eq!(c.close(a.id), Err(CmError::NoSuchSession));

        assert_eq!(c.close_client(1), vec![d]);
        assert_eq!(c.close_client(1), vec![]);
        // Unregistering a server's names does not end sessions; closing the
        // server does.
        c.unregister_server(8);
        assert_eq!(c.session(e.id).map(|s| s.service_name.as_str()), Some("net"));
        assert_eq!(c.close_server(8), vec![e]);
        assert_eq!(c.sessions().cloned().collect::<Vec<_>>(), vec![b.clone()]);
        // Unregistering a name ends its sessions.
        assert_eq!(c.unregister("fs"), Ok(vec![b]));
        assert_eq!(c.unregister("fs"), Err(CmError::NoSuchService));
        assert_eq!(c.sessions().count(), 0);
    }

    #[test]
    fn withdraw_removes_what_policy_no_longer_allows() {
        let mut c = Connections::new();
        c.register("fs", 7).unwrap();
        let s: Vec<Session> = (0..6)
            .map(|i| c.connect(i, "fs", Decision::Allow, i as u64, 0).unwrap().0)
            .collect();
        let gone = c.withdraw(|s| s.client % 2 == 1);
        assert_eq!(gone, vec![s[1].clone(), s[3].clone(), s[5].clone()]);
        assert_eq!(c.sessions().count(), 3);
        assert_eq!(c.withdraw(|_| false), vec![]);
    }

    #[test]
    fn the_session_limit_holds_but_a_replacement_fits() {
        let mut c = Connections::with_session_limit(2);
        c.register("fs", 7).unwrap();
        c.connect(1, "fs", Decision::Allow, 1, 0).unwrap();
        c.connect(2, "fs", Decision::Allow, 2, 0).unwrap();
        assert_eq!(c.connect(3, "fs", Decision::Allow, 3, 0), Err(CmError::TooManySessions));
        assert!(c.connect(2, "fs", Decision::Allow, 2, 0).is_ok());
        assert_eq!(c.sessions().count(), 2);
    }

    #[derive(Clone, Debug)]
    enum Op {
        Register(usize, u32),
        Unregister(u32),
        Connect(u32, usize, bool, u64),
        Close(u64),
        CloseClient(u32),
        CloseServer(u32),
        Withdraw(u64, u64),
    }

    const NAMES: [&str; 4] = ["fs", "net", "log", "bad name"];

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            2 => (0..NAMES.len(), 0..4u32).prop_map(|(n, s)| Op::Register(n, s)),
            1 => (0..4u32).prop_map(Op::Unregister),
            8 => (0..6u32, 0..NAMES.len(), any::<bool>(), any::<u64>())
                .prop_map(|(c, n, a, b)| Op::Connect(c, n, a, b)),
            4 => (0..64u64).prop_map(Op::Close),
            1 => (0..6u32).prop_map(Op::CloseClient),
            1 => (0..4u32).prop_map(Op::CloseServer),
            1 => (1..5u64, 0..5u64).prop_map(|(m, r)| Op::Withdraw(m, r)),
        ]
    }

    /// One live session per (client, service), never more than the limit.
    fn check(c: &Connections) {
        let mut seen = alloc::collections::BTreeSet::new();
        for s in c.sessions() {
            assert!(
                seen.insert((s.client, s.service)),
                "two sessions of {} with {}",
                s.client,
                s.service_name
            );
            assert_eq!(c.find(s.client, &s.service_name), Some(s));
        }
        assert!(c.sessions.len() <= c.limit as usize);
    }

    fn run(c: &mut Connections, ops: &[Op]) -> Result<(), TestCaseError> {
        for op in ops {
            match *op {
                Op::Register(n, s) => {
                    let _ = c.register(NAMES[n], s);
                }
                Op::Unregister(s) => {
                    c.unregister_server(s);
                }
                Op::Connect(client, n, allow, badge) => {
                    let live = c.sessions().count();
                    let decision = if allow { Decision::Allow } else { Decision::Deny };
                    match c.connect(client, NAMES[n], decision, badge, 0) {
                        Ok((s, replaced)) => {
                            prop_assert_eq!(c.session(s.id), Some(&s));
                            prop_assert_eq!(c.sessions().count(), live + replaced.is_none() as usize);
                        }
                        Err(CmError::TooManySessions) => prop_assert_eq!(live, c.limit as usize),
                        Err(_) => prop_assert_eq!(c.sessions().count(), live),
                    }
                }
                Op::Close(id) => {
                    let _ = c.close(SessionId(id));
                }
                Op::CloseClient(client) => {
                    c.close_client(client);
                    prop_assert!(c.sessions().all(|s| s.client != client));
                }
                Op::CloseServer(server) => {
                    c.close_server(server);
                    prop_assert!(c.sessions().all(|s| s.server != server));
                }
                Op::Withdraw(m, r) => {
                    let gone = c.withdraw(|s| s.badge % m == r);
                    prop_assert!(gone.iter().all(|s| s.badge % m == r && c.session(s.id).is_none()));
                    prop_assert!(c.sessions().all(|s| s.badge % m != r));
                }
            }
            check(c);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn one_session_per_client_and_service(ops in proptest::collection::vec(op(), 1..200)) {
            run(&mut Connections::with_session_limit(8), &ops)?;
        }

        #[test]
        fn with_the_default_limit(ops in proptest::collection::vec(op(), 1..100)) {
            run(&mut Connections::new(), &ops)?;
        }
    }
}
