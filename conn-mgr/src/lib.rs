//! # conn-mgr: the connection manager's books, without the kernel
//!
//! Servers register service names; a client asks for a connection by name.
//! The root task asks the security server first and passes its answer in as
//! a [`Decision`]; on allow, [`Connections`] opens a [`Session`] and picks
//! the badge that names it. The root task mints the client's endpoint
//! capability with that badge, sets up the donation (with `resource-mgr`),
//! and, when a session ends here, revokes the capability and the donation.
//!
//! ## Badges
//!
//! A session badge is 28 bits: bit 27 ([`SESSION_BADGE_BIT`]) is set and the
//! low bits are a session number below [`SESSION_NUMBERS`] (2^20). Numbers
//! are handed out in turn and wrap around; a number whose session is still
//! live is skipped, so no two live sessions ever share a badge. A badge is
//! reused only after its session has ended (the root task has revoked the
//! capability minted with it by then).
//!
//! ## Operations
//!
//! Methods of [`Connections`]; clients and servers are component ids (`u32`).
//!
//! | operation | effect | errors |
//! | --- | --- | --- |
//! | `register(name, server)` | offers `name`; the same server again: same id, no change | `InvalidName`, `NameTaken` |
//! | `unregister_server(server)` | withdraws the server's names; its sessions stay | — |
//! | `connect(client, name, decision, bytes)` | on `Allow`: a session, fresh badge | `InvalidName`, `NoSuchService`, |
//! | | | `Denied`, `TooManySessions` |
//! | `close(session)` | ends one session | `NoSuchSession` |
//! | `close_client(client)` | ends the client's sessions (it exited) | — |
//! | `close_server(server)` | ends the sessions `server` serves | — |
//! | `withdraw(pred)` | ends the sessions a policy change no longer allows | — |
//! | `by_badge(badge)` | the live session with that badge | — |
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

/// Badge bit set on every session badge.
pub const SESSION_BADGE_BIT: u64 = 1 << 27;
/// Session numbers are `0..SESSION_NUMBERS`: at most this many live sessions.
pub const SESSION_NUMBERS: u32 = 1 << 20;
/// Longest service name, in bytes.
pub const NAME_MAX: usize = 64;

/// The badge of session number `number` (below [`SESSION_NUMBERS`]).
pub const fn session_badge(number: u32) -> u64 {
    SESSION_BADGE_BIT | (number as u64 & (SESSION_NUMBERS as u64 - 1))
}

/// The session number in a session badge; `None` for any other word.
pub const fn session_number(badge: u64) -> Option<u32> {
    let number = badge & !SESSION_BADGE_BIT;
    if badge & SESSION_BADGE_BIT == 0 || number >= SESSION_NUMBERS as u64 {
        None
    } else {
        Some(number as u32)
    }
}

/// Names a registration. Never reused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ServiceId(pub u32);

/// Names a session. Never reused (its badge may be, once it has ended).
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
    /// The badge of the client's endpoint capability.
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
    /// Every session number is live: the system holds too many sessions.
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
    /// Live badges and their sessions.
    badges: BTreeMap<u64, SessionId>,
    /// Session numbers in use are `0..numbers`.
    numbers: u32,
    /// The next number to try.
    cursor: u32,
    next_service: u32,
    next_session: u64,
}

impl Default for Connections {
    fn default() -> Self {
        Connections::new()
    }
}

impl Connections {
    /// Empty, with all [`SESSION_NUMBERS`] session numbers.
    pub fn new() -> Connections {
        Connections::with_session_limit(SESSION_NUMBERS)
    }

    /// Empty, with session numbers `0..limit` only (`limit` is clamped to
    /// `1..=SESSION_NUMBERS`): at most `limit` live sessions.
    pub fn with_session_limit(limit: u32) -> Connections {
        Connections {
            services: BTreeMap::new(),
            sessions: BTreeMap::new(),
            badges: BTreeMap::new(),
            numbers: limit.clamp(1, SESSION_NUMBERS),
            cursor: 0,
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
    /// allows, with a fresh badge; `donation_bytes` is recorded for the
    /// caller's donation. Returns a copy of the session.
    pub fn connect(
        &mut self,
        client: u32,
        name: &str,
        decision: Decision,
        donation_bytes: u64,
    ) -> Result<Session, CmError> {
        if !valid_name(name) {
            return Err(CmError::InvalidName);
        }
        let service = self.services.get(name).ok_or(CmError::NoSuchService)?;
        if decision == Decision::Deny {
            return Err(CmError::Denied);
        }
        let number = self.free_number().ok_or(CmError::TooManySessions)?;
        let id = SessionId(self.next_session);
        self.next_session = self.next_session.checked_add(1).ok_or(CmError::TooManySessions)?;
        let session = Session {
            id,
            client,
            service: service.id,
            service_name: service.name.clone(),
            server: service.server,
            badge: session_badge(number),
            donation: donation_bytes,
        };
        self.cursor = (number + 1) % self.numbers;
        self.badges.insert(session.badge, id);
        self.sessions.insert(id, session.clone());
        Ok(session)
    }

    /// Ends one session; returns it.
    pub fn close(&mut self, id: SessionId) -> Result<Session, CmError> {
        let s = self.sessions.remove(&id).ok_or(CmError::NoSuchSession)?;
        self.badges.remove(&s.badge);
        Ok(s)
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

    /// The live session with `badge`.
    pub fn by_badge(&self, badge: u64) -> Option<&Session> {
        self.sessions.get(self.badges.get(&badge)?)
    }

    /// The live session `id`.
    pub fn session(&self, id: SessionId) -> Option<&Session> {
        self.sessions.get(&id)
    }

    /// Every live session, by id (for the shell's `conns`).
    pub fn sessions(&self) -> impl Iterator<Item = &Session> {
        self.sessions.values()
    }

    /// The first number not in use, from the cursor on, wrapping around.
    /// Walks only the run of live numbers that starts at the cursor.
    fn free_number(&self) -> Option<u32> {
        if self.badges.len() >= self.numbers as usize {
            return None;
        }
        let first_gap = |from: u32| {
            let mut n = from;
            for &badge in self.badges.range(session_badge(from)..).map(|(b, _)| b) {
                if n >= self.numbers || badge != session_badge(n) {
                    break;
                }
                n += 1;
            }
            n
        };
        let n = first_gap(self.cursor);
        if n < self.numbers {
            return Some(n);
        }
        // Fewer live sessions than numbers: there is a gap before the cursor.
        Some(first_gap(0)).filter(|&n| n < self.cursor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeSet;
    use alloc::vec;
    use proptest::prelude::*;

    fn badge_ok(b: u64) -> bool {
        b & SESSION_BADGE_BIT != 0 && b >> 28 == 0
    }

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
    fn connect_allows_denies_and_reports() {
        let mut c = Connections::new();
        let svc = c.register("fs", 7).unwrap();
        assert_eq!(c.connect(1, "nope", Decision::Allow, 0), Err(CmError::NoSuchService));
        assert_eq!(c.connect(1, "bad name", Decision::Allow, 0), Err(CmError::InvalidName));
        assert_eq!(c.connect(1, "fs", Decision::Deny, 0), Err(CmError::Denied));
        assert_eq!(c.sessions().count(), 0);
        let s = c.connect(1, "fs", Decision::Allow, 4096).unwrap();
        assert_eq!((s.client, s.service, s.server, s.donation), (1, svc, 7, 4096));
        assert_eq!(s.service_name, "fs");
        assert!(badge_ok(s.badge));
        assert_eq!(session_number(s.badge), Some(0));
        let t = c.connect(1, "fs", Decision::Allow, 0).unwrap();
        assert_ne!(s.badge, t.badge);
        assert_ne!(s.id, t.id);
        assert_eq!(c.by_badge(s.badge), Some(&s));
        assert_eq!(c.session(t.id), Some(&t));
        assert_eq!(c.by_badge(0), None);
        assert_eq!(c.sessions().map(|s| s.id).collect::<Vec<_>>(), vec![s.id, t.id]);
    }

    #[test]
    fn close_one_and_by_client_and_server() {
        let mut c = Connections::new();
        c.register("fs", 7).unwrap();
        c.register("net", 8).unwrap();
        let a = c.connect(1, "fs", Decision::Allow, 0).unwrap();
        let b = c.connect(2, "fs", Decision::Allow, 0).unwrap();
        let d = c.connect(1, "net", Decision::Allow, 0).unwrap();
        let e = c.connect(2, "net", Decision::Allow, 0).unwrap();

        assert_eq!(c.close(a.id), Ok(a.clone()));
        assert_eq!(c.close(a.id), Err(CmError::NoSuchSession));
        assert_eq!(c.by_badge(a.badge), None);

        assert_eq!(c.close_client(1), vec![d]);
        assert_eq!(c.close_client(1), vec![]);
        // Unregistering does not end sessions; closing the server does.
        c.unregister_server(8);
        assert_eq!(c.session(e.id).map(|s| s.service_name.as_str()), Some("net"));
        assert_eq!(c.close_server(8), vec![e]);
        assert_eq!(c.sessions().cloned().collect::<Vec<_>>(), vec![b]);
    }

    #[test]
    fn withdraw_removes_what_policy_no_longer_allows() {
        let mut c = Connections::new();
        c.register("fs", 7).unwrap();
        let s: Vec<Session> = (0..6)
            .map(|i| c.connect(i, "fs", Decision::Allow, 0).unwrap())
            .collect();
        let gone = c.withdraw(|s| s.client % 2 == 1);
        assert_eq!(gone, vec![s[1].clone(), s[3].clone(), s[5].clone()]);
        for g in &gone {
            assert_eq!(c.by_badge(g.badge), None);
        }
        assert_eq!(c.sessions().count(), 3);
        assert_eq!(c.withdraw(|_| false), vec![]);
    }

    #[test]
    fn badges_wrap_and_skip_live_sessions() {
        let mut c = Connections::with_session_limit(4);
        c.register("fs", 7).unwrap();
        let s: Vec<Session> = (0..4)
            .map(|i| c.connect(i, "fs", Decision::Allow, 0).unwrap())
            .collect();
        let numbers: Vec<_> = s.iter().map(|s| session_number(s.badge).unwrap()).collect();
        assert_eq!(numbers, vec![0, 1, 2, 3]);
        assert_eq!(c.connect(9, "fs", Decision::Allow, 0), Err(CmError::TooManySessions));
        c.close(s[2].id).unwrap();
        c.close(s[0].id).unwrap();
        // The cursor is past 3: wraps, then 0 is free.
        let t = c.connect(9, "fs", Decision::Allow, 0).unwrap();
        assert_eq!(session_number(t.badge), Some(0));
        // 1 is live: skipped.
        let u = c.connect(9, "fs", Decision::Allow, 0).unwrap();
        assert_eq!(session_number(u.badge), Some(2));
        assert_eq!(c.connect(9, "fs", Decision::Allow, 0), Err(CmError::TooManySessions));
    }

    #[test]
    fn a_full_wrap_of_the_badge_space_skips_a_live_session() {
        let mut c = Connections::new();
        c.register("fs", 7).unwrap();
        let keep = c.connect(1, "fs", Decision::Allow, 0).unwrap();
        let kept = c.connect(1, "fs", Decision::Allow, 0).unwrap();
        c.close(keep.id).unwrap(); // number 0 free, number 1 live
        for n in 2..SESSION_NUMBERS {
            let s = c.connect(2, "fs", Decision::Allow, 0).unwrap();
            assert_eq!(session_number(s.badge), Some(n));
            c.close(s.id).unwrap();
        }
        let s = c.connect(2, "fs", Decision::Allow, 0).unwrap();
        assert_eq!(session_number(s.badge), Some(0));
        let s = c.connect(2, "fs", Decision::Allow, 0).unwrap();
        assert_eq!(session_number(s.badge), Some(2), "number 1 is live: skipped");
        assert_eq!(c.by_badge(kept.badge), Some(&kept));
    }

    #[test]
    fn badge_encoding() {
        assert_eq!(session_badge(0), 1 << 27);
        assert_eq!(session_badge(SESSION_NUMBERS - 1), (1 << 27) | 0xf_ffff);
        assert_eq!(session_number(session_badge(12345)), Some(12345));
        assert_eq!(session_number(12345), None);
        assert_eq!(session_number((1 << 27) | (1 << 20)), None);
        assert_eq!(session_number((1 << 28) | (1 << 27)), None);
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

    fn check(c: &Connections) {
        let mut seen = BTreeSet::new();
        for s in c.sessions() {
            assert!(badge_ok(s.badge), "badge {:#x}", s.badge);
            let n = session_number(s.badge).expect("a session badge");
            assert!(n < c.numbers);
            assert!(seen.insert(s.badge), "badge {:#x} twice", s.badge);
            assert_eq!(c.by_badge(s.badge), Some(s));
        }
        assert_eq!(c.badges.len(), c.sessions.len());
        assert!(c.sessions.len() <= c.numbers as usize);
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
                Op::Connect(client, n, allow, bytes) => {
                    let live = c.sessions().count();
                    let decision = if allow { Decision::Allow } else { Decision::Deny };
                    match c.connect(client, NAMES[n], decision, bytes) {
                        Ok(s) => prop_assert_eq!(c.by_badge(s.badge), Some(&s)),
                        Err(CmError::TooManySessions) => prop_assert_eq!(live, c.numbers as usize),
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
                    prop_assert!(gone.iter().all(|s| s.badge % m == r && c.by_badge(s.badge).is_none()));
                    prop_assert!(c.sessions().all(|s| s.badge % m != r));
                }
            }
            check(c);
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn badges_stay_unique_and_well_formed(ops in proptest::collection::vec(op(), 1..200)) {
            run(&mut Connections::with_session_limit(8), &ops)?;
        }

        #[test]
        fn badges_stay_unique_with_the_full_space(ops in proptest::collection::vec(op(), 1..100)) {
            run(&mut Connections::new(), &ops)?;
        }
    }
}
