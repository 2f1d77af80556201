//! Mediation: the connection manager's and resource manager's side of the
//! supervisor, and the shell's view of the security server and the store.
//!
//! - **Connections.** When a component wants a service (at launch, or with
//!   `CONNECT`), the supervisor asks the security server whether the
//!   component's label may `connect` to `service:NAME` (teaching it the
//!   label with `DECIDE_LABELLED`). Without any security server the system
//!   is unmediated and every connection is allowed; with one that is not
//!   available (down, or being swapped), connections are refused: fail
//!   closed. An admitted connection to an object server (a server that
//!   itself wants `security`) comes with a donation: frames made from a
//!   64 KiB untyped block of the client's own container, mapped into the
//!   server's donation window (`pride_supervisor_api::donation`), where the
//!   server keeps the session's objects. It is accounted in
//!   `resource_mgr` and undone unless the server acknowledges the session;
//!   a client whose container cannot afford it is refused.
//! - **Sessions end** when the client's instance is destroyed, when its
//!   connection is withdrawn, or when the server goes: the server is told
//!   (`CLOSE_SESSION` with the memory's address) and forgets the session's
//!   objects, then the block is revoked, which unmaps the frames from the
//!   server, and kept for the client's next session. A server that is
//!   updated keeps its loans: the frames move to the new address space.
//! - **Policy swap** (`policy swap MODULE`) is a live update of the
//!   `security` component to image `policy-MODULE`; then every object
//!   server is signalled `FLUSH_SIGNAL` and the swap completes when the
//!   security server reports (`SETTLED_SIGNAL`) that all acknowledged.
//!   Connections the new policy no longer allows are then withdrawn.
//!
//! The root task calls the security server and object servers
//! synchronously; that is safe because neither ever makes a blocking call
//! to the supervisor while serving a request (the security server only
//! signals it).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt::Write;

use kernel_iface::abi::WORD_BITS;
use kernel_iface::cap::{kind, CapRights};
use kernel_iface::Cap;
use pride_rt::msg::{self, Outgoing};
use pride_rt::store_client;
use pride_supervisor_api::donation;
use pride_supervisor_api::manifest::Manifest;
use pride_supervisor_api::security as sec;
use pride_supervisor_api::store as store_proto;
use pride_supervisor_api::{self as api, ClientBadge};
use root_core::supervision::State;
use security_srv::Operation;

use crate::objects::{root_slot, Container, Lent, Objects, ROOT_CNODE};
use crate::supervisor::{Event, Role, SupError, Supervisor};

/// The shell's subject id (client ids are 12 bits; 0 is the supervisor's
/// own authority, real components count up from 1).
pub const SHELL_SUBJECT: u32 = 0xffe;
/// The supervisor's client id towards servers.
pub const SUPERVISOR_CLIENT: u16 = 0;

/// Whose memory pays for a session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lender {
    /// The shell (and the test subjects the scenarios speak for).
    Shell,
    /// A component instance, by number.
    Instance(u64),
}

/// Where the memory for a new session comes from.
pub enum Purse<'a> {
    Shell,
    /// A running instance.
    Instance(u64),
    /// An instance being started: its container is not in the instance
    /// table yet.
    Starting(u64, &'a mut Container),
}

impl Purse<'_> {
    fn lender(&self) -> Lender {
        match self {
            Purse::Shell => Lender::Shell,
            Purse::Instance(n) | Purse::Starting(n, _) => Lender::Instance(*n),
        }
    }
    fn instance(&self) -> Option<u64> {
        match self.lender() {
            Lender::Shell => None,
            Lender::Instance(n) => Some(n),
        }
    }
}

/// A donation in force: memory of `lender` mapped into `server`'s
/// donation window at `address` for the session of `badge`.
pub struct Loan {
    pub client: u32,
    pub lender: Lender,
    pub service: String,
    pub server: u32,
    pub address: u64,
    pub badge: u64,
    pub lent: Lent,
    pub donation: resource_mgr::DonationId,
}

/// A policy swap's result.
pub struct SwapReport {
    pub epoch: u64,
    pub servers_flushed: usize,
    pub ticks: u64,
}

impl Supervisor {
    /// The service a component offers: its manifest's, except that a
    /// manifest offering exactly its own name offers the component's name
    /// (`launch store store2` serves `store2`).
    pub(crate) fn offered_service(&self, id: u32, m: &Manifest) -> Option<String> {
        let offered = m.offers.first()?;
        if m.offers.len() == 1 && *offered == m.name {
            self.table.by_id(id).map(|r| r.name.clone())
        } else {
            Some(offered.clone())
        }
    }

    /// The label of subject `id`: `sys/NAME`, the shell's `sys/shell`.
    pub fn label_of(&self, id: u32) -> String {
        if id == SHELL_SUBJECT {
            return "sys/shell".to_string();
        }
        if let Some(l) = self.extra_labels.get(&id) {
            return l.clone();
        }
        let name = self.table.by_id(id).map(|r| r.name.as_str()).unwrap_or("unknown");
        security_srv::label::child(security_srv::label::ROOT, name).unwrap_or_else(|_| "sys/invalid".to_string())
    }

    /// True if the service's server is an object server (it consults the
    /// security server, so its clients donate for their sessions).
    fn is_object_server(&self, service: &str) -> bool {
        let Some(s) = self.services.iter().find(|s| s.name == service) else {
            return false;
        };
        s.server
            .and_then(|id| self.table.by_id(id))
            .is_some_and(|r| r.manifest.wants.iter().any(|w| w == "security"))
    }

    /// A connection of the supervisor itself to `service` (client id 0),
    /// made or refreshed for the service's current generation.
    pub(crate) fn supervisor_conn(&mut self, service: &str, client: u16) -> Option<Cap<kind::Endpoint>> {
        let gen = self.service_generation(service)?;
        if let Some((_, ep, _)) = self
            .shell_conns
            .iter()
            .find(|(s, _, g)| s.as_str() == service && *g == gen)
        {
            return Some(*ep);
        }
        let ep = self.service_endpoint(service)?;
        let slot = self.objs.root.alloc_slot().ok()?;
        let badge = ClientBadge {
            client,
            generation: gen as u16,
        }
        .to_badge();
        if ROOT_CNODE
            .cnode_mint(slot, WORD_BITS as u64, root_slot(ep.cptr()), CapRights::ALL, badge)
            .is_err()
        {
            self.objs.root.free_slot(slot);
            return None;
        }
        // Drop an older connection to the same service.
        if let Some(i) = self.shell_conns.iter().position(|(s, _, _)| s == service) {
            let (_, old, _) = self.shell_conns.swap_remove(i);
            let _ = ROOT_CNODE.cnode_delete(old.cptr(), WORD_BITS as u64);
            self.objs.root.free_slot(old.cptr());
        }
        self.shell_conns.push((service.to_string(), Cap::from_cptr(slot), gen));
        Some(Cap::from_cptr(slot))
    }

    /// True if the security server can be asked now.
    fn security_available(&self) -> bool {
        let Some(s) = self.services.iter().find(|s| s.name == "security") else {
            return false;
        };
        let Some(id) = s.server else { return false };
        self.table.by_id(id).is_some_and(|r| r.state == State::Running)
            && self
                .instances
                .iter()
                .filter(|i| i.component == id)
                .all(|i| i.role == Role::Current)
    }

    /// Asks the security server about `subject` doing `op` on `object`.
    /// `Ok(true)` without a security server at all (unmediated system);
    /// `Ok(false)` when there is one but it cannot be asked (fail closed).
    pub fn ask(&mut self, subject: u32, object: &str, op: Operation) -> Result<bool, SupError> {
        if !self.services.iter().any(|s| s.name == "security") {
            return Ok(true);
        }
        if !self.security_available() {
            return Ok(false);
        }
        let label = self.label_of(subject);
        let conn = self
            .supervisor_conn("security", SUPERVISOR_CLIENT)
            .ok_or(SupError::Refused("no security connection"))?;
        let mut m = Outgoing::new();
        m.word(sec::header(subject, op as u8, object.len()))
            .bytes(object.as_bytes());
        m.word(label.len() as u64).bytes(label.as_bytes());
        let r = m.call(conn, sec::DECIDE_LABELLED);
        Ok(r.info.label() == api::OK && r.mrs[0] == 1)
    }

    /// Admits `client` to `service`: the connection manager asks the
    /// policy and mints the connection, then the donation is made. Returns
    /// the root slot holding the client's badged endpoint, and the badge.
    pub(crate) fn admit(&mut self, client: u32, service: &str) -> Option<(u64, u64)> {
        let cc = self.container_of(client);
        let mut purse = if client == SHELL_SUBJECT {
            Purse::Shell
        } else {
            Purse::Instance(self.current_number(client)?)
        };
        self.admit_from(client, cc, &mut purse, service)
    }

    /// As [`admit`](Self::admit), with the client's container and memory
    /// given (a starting instance is not yet in the instance table).
    pub(crate) fn admit_from(
        &mut self,
        client: u32,
        client_container: Option<resource_mgr::ContainerId>,
        purse: &mut Purse<'_>,
        service: &str,
    ) -> Option<(u64, u64)> {
        let gen = self.service_generation(service)?;
        let label = self.label_of(client);
        // Fail closed: with a security server that cannot answer now (down,
        // or being swapped), nobody connects; with none at all, everybody.
        let mediated = self.services.iter().any(|s| s.name == "security");
        let connected = if mediated && !self.security_available() {
            Err(api::DENIED)
        } else {
            self.cm_connect(client, gen, mediated, service, &label)
        };
        let (slot, badge) = match connected {
            Ok(c) => c,
            Err(why) => {
                let why = if why == api::DENIED { "denied" } else { "refused" };
                self.log
                    .push(self.now_ms(), format!("connect: {label} to '{service}' {why}"));
                return None;
            }
        };
        if self.is_object_server(service) {
            if let Err(why) = self.donate(client, client_container, purse, service, badge) {
                self.log
                    .push(self.now_ms(), format!("connect: {label} to '{service}' refused: {why}"));
                self.cm_close(client, service);
                self.objs.root.free_slot(slot);
                return None;
            }
        }
        Some((slot, badge))
    }

    /// Lends `SESSION_BYTES` of the client's memory (from `purse`) to the
    /// server of `service` for the session of `badge`. Transactional: the
    /// bytes leave the client's quota and the frames are mapped into the
    /// server now, and both are undone unless the server acknowledges the
    /// session with `OPEN_SESSION`.
    pub(crate) fn donate(
        &mut self,
        client: u32,
        client_container: Option<resource_mgr::ContainerId>,
        purse: &mut Purse<'_>,
        service: &str,
        badge: u64,
    ) -> Result<(), &'static str> {
        let server = self
            .services
            .iter()
            .find(|s| s.name == service)
            .and_then(|s| s.server)
            .ok_or("no server")?;
        let server_idx = self
            .instances
            .iter()
            .position(|i| i.component == server && i.role == Role::Current)
            .ok_or("server not running")?;
        if purse.instance() == Some(self.instances[server_idx].number) {
            return Err("a server cannot connect to itself");
        }
        let (Some(cc), Some(sc)) = (client_container, self.container_of(server)) else {
            return Err("no resource container");
        };
        let address = (0..donation::WINDOW_SLOTS)
            .filter_map(donation::slot_address)
            .find(|a| !self.loans.iter().any(|l| l.server == server && l.address == *a))
            .ok_or("the server holds as many sessions as it can")?;
        let d = self
            .rm_begin(cc, sc, donation::SESSION_BYTES)
            .map_err(|_| "the client's quota cannot pay for the session")?;
        let vspace = self.instances[server_idx].loaded.vspace;
        let mut tables = core::mem::take(&mut self.instances[server_idx].loaded.container);
        let lent = self.with_purse(purse, |objs, memory| objs.lend(memory, &mut tables, vspace, address));
        self.instances[server_idx].loaded.container = tables;
        let lent = match lent {
            Some(Ok(l)) => l,
            _ => {
                self.rm_abort(d);
                return Err("the client's memory cannot pay for the session");
            }
        };
        if !self.open_session(service, badge, address) {
            self.with_purse(purse, |objs, memory| objs.take_back(memory, lent));
            self.rm_abort(d);
            return Err("the server did not open the session");
        }
        self.rm_commit(d);
        self.loans.push(Loan {
            client,
            lender: purse.lender(),
            service: service.to_string(),
            server,
            address,
            badge,
            lent,
            donation: d,
        });
        Ok(())
    }

    /// Runs `f` on the memory `purse` names.
    fn with_purse<R>(&mut self, purse: &mut Purse<'_>, f: impl FnOnce(&mut Objects, &mut Container) -> R) -> Option<R> {
        match purse {
            Purse::Starting(_, memory) => Some(f(&mut self.objs, memory)),
            Purse::Shell => Some(f(&mut self.objs, &mut self.shell_memory)),
            Purse::Instance(n) => {
                let i = self.instances.iter().position(|i| i.number == *n)?;
                Some(f(&mut self.objs, &mut self.instances[i].loaded.container))
            }
        }
    }

    /// True if the server of `service` is running (so a call to it will be
    /// answered).
    fn server_running(&self, service: &str) -> bool {
        self.services
            .iter()
            .find(|s| s.name == service)
            .and_then(|s| s.server)
            .and_then(|id| self.table.by_id(id))
            .is_some_and(|r| r.state == State::Running)
    }

    /// Ends the loans `pred` picks. The server is told first
    /// (`CLOSE_SESSION`), so it never touches the memory again, unless it
    /// is gone itself; then the memory goes back to the lender, unless the
    /// lender's container is being destroyed (which takes the frames with
    /// it). Returns how many loans ended.
    pub(crate) fn end_loans(&mut self, pred: impl Fn(&Loan) -> bool, server_gone: bool, lender_gone: bool) -> usize {
        let (ending, kept): (Vec<Loan>, Vec<Loan>) = core::mem::take(&mut self.loans).into_iter().partition(pred);
        self.loans = kept;
        let count = ending.len();
        for loan in ending {
            if !server_gone && self.server_running(&loan.service) {
                if let Some(conn) = self.supervisor_conn(&loan.service, SUPERVISOR_CLIENT) {
                    let _ = Outgoing::new()
                        .word(loan.address)
                        .call(conn, store_proto::CLOSE_SESSION);
                }
            }
            self.rm_revoke(loan.donation);
            if !lender_gone {
                let mut purse = match loan.lender {
                    Lender::Shell => Purse::Shell,
                    Lender::Instance(n) => Purse::Instance(n),
                };
                let lent = loan.lent;
                self.with_purse(&mut purse, |objs, memory| objs.take_back(memory, lent));
            }
        }
        count
    }

    /// The loans to component `id` move to its new instance `number` (it
    /// was updated): the frames are mapped into the new address space at
    /// the same addresses and each session is opened again there. A loan
    /// that cannot move ends.
    pub(crate) fn move_loans(&mut self, id: u32, number: u64) {
        let Some(idx) = self.instance_index(number) else {
            return;
        };
        let vspace = self.instances[idx].loaded.vspace;
        let mut failed = Vec::new();
        for i in 0..self.loans.len() {
            if self.loans[i].server != id {
                continue;
            }
            let mut tables = core::mem::take(&mut self.instances[idx].loaded.container);
            let moved = self
                .objs
                .move_loan(&self.loans[i].lent, &mut tables, vspace, self.loans[i].address);
            self.instances[idx].loaded.container = tables;
            let (service, badge, address) = (
                self.loans[i].service.clone(),
                self.loans[i].badge,
                self.loans[i].address,
            );
            if moved.is_err() || !self.open_session(&service, badge, address) {
                failed.push(address);
                continue;
            }
            // The old version's container took its donations with it; the
            // new one receives them.
            let lender = match self.loans[i].lender {
                Lender::Shell => self.shell_container,
                Lender::Instance(n) => self.containers.get(&n).copied(),
            };
            if let (Some(cc), Some(sc)) = (lender, self.containers.get(&number).copied()) {
                if let Ok(d) = self.rm_begin(cc, sc, donation::SESSION_BYTES) {
                    self.rm_commit(d);
                    self.loans[i].donation = d;
                }
            }
        }
        if !failed.is_empty() {
            self.end_loans(|l| l.server == id && failed.contains(&l.address), true, false);
        }
    }

    /// Asks the server of `service` to open a session for `badge` over the
    /// donation mapped at `address` in it. Only a running server is asked
    /// (one still starting may need the supervisor, which would then be
    /// blocked here).
    fn open_session(&mut self, service: &str, badge: u64, address: u64) -> bool {
        if !self.server_running(service) {
            return false;
        }
        let Some(conn) = self.supervisor_conn(service, SUPERVISOR_CLIENT) else {
            return false;
        };
        let r = Outgoing::new()
            .word(badge)
            .word(donation::SESSION_BYTES)
            .word(address)
            .call(conn, store_proto::OPEN_SESSION);
        r.info.label() == api::OK
    }

    /// The resource container of component `id`'s current instance.
    fn container_of(&self, id: u32) -> Option<resource_mgr::ContainerId> {
        if id == SHELL_SUBJECT {
            return self.shell_container;
        }
        let n = self
            .instances
            .iter()
            .find(|i| i.component == id && i.role == Role::Current)?
            .number;
        self.containers.get(&n).copied()
    }

    /// Ends the sessions of component `id`, as a client and as a server
    /// (its current instance is going away). As a server its clients keep
    /// their capabilities: their next call says `SERVER_RESTARTED`, or,
    /// if the service goes down, the kernel refuses it.
    pub(crate) fn close_sessions_of(&mut self, id: u32) {
        self.cm_close_client(id);
        self.cm_forget_server(id);
    }

    /// `policy swap MODULE`: replaces the security server's module, flushes
    /// every object server's cache and waits until all acknowledged.
    pub fn policy_swap(&mut self, module: &str) -> Result<SwapReport, SupError> {
        let image = format!("policy-{module}");
        self.image(&image)?;
        let t0 = pride_rt::tsc();
        self.settled = false;
        self.update("security", &image)?;
        let servers: Vec<(Cap<kind::Notification>, u64)> = self
            .instances
            .iter()
            .filter(|i| i.role == Role::Current)
            .filter(|i| {
                self.table
                    .by_id(i.component)
                    .is_some_and(|r| r.manifest.wants.iter().any(|w| w == "security") && !r.manifest.offers.is_empty())
            })
            .map(|i| {
                // A Microkit PD's notification bits are its channels: it
                // has its own bit for this.
                let bit = if self.pd_setups.contains_key(&i.component) {
                    crate::systems::microkit_abi::POLICY_FLUSH_BIT
                } else {
                    api::FLUSH_SIGNAL
                };
                (i.loaded.notification, bit)
            })
            .collect();
        for (n, bit) in &servers {
            self.signal_badged(*n, *bit)?;
        }
        let conn = self
            .supervisor_conn("security", SUPERVISOR_CLIENT)
            .ok_or(SupError::Refused("no security"))?;
        loop {
            let r = conn.call(kernel_iface::MessageInfo::new(sec::STATUS, 0, 0, 0), [0; 4]);
            if r.info.label() == api::OK && r.mrs[1] == 1 {
                self.withdraw_denied();
                let report = SwapReport {
                    epoch: r.mrs[0],
                    servers_flushed: servers.len(),
                    ticks: pride_rt::tsc() - t0,
                };
                self.event(format!(
                    "policy: '{module}' in force, epoch {}, {} object servers flushed",
                    report.epoch, report.servers_flushed
                ));
                return Ok(report);
            }
            loop {
                match self.pump() {
                    Event::Settled => break,
                    other => self.background(other),
                }
            }
        }
    }

    /// After a policy change: every connection the policy no longer allows
    /// is withdrawn. The connection manager asks the security server about
    /// each session again and revokes the capability of each one denied, so
    /// the client's next call on it is refused by the kernel
    /// (`InvalidCapability`); its donation ends here. Returns how many were
    /// withdrawn.
    pub fn withdraw_denied(&mut self) -> usize {
        let gone = self.cm_recheck();
        for (client, service) in &gone {
            self.end_loans(|l| l.client == *client && l.service == *service, false, false);
            if *client == SHELL_SUBJECT {
                // The shell's copy is gone: forget it, so its next command
                // asks again (and hears the policy's answer).
                self.forget_shell_conn(service);
            }
            let label = self.label_of(*client);
            self.event(format!("policy: {label}'s connection to '{service}' withdrawn"));
        }
        gone.len()
    }

    /// The text of a `SHOW` or `LOG` request to the security server.
    pub fn security_text(&mut self, request: u64) -> Result<String, SupError> {
        let conn = self
            .supervisor_conn("security", SUPERVISOR_CLIENT)
            .ok_or(SupError::Refused("no security server"))?;
        let r = conn.call(kernel_iface::MessageInfo::new(request, 0, 0, 0), [0; 4]);
        let len = msg::word(&r, 0).unwrap_or(0) as usize;
        let mut buf = alloc::vec![0u8; len];
        let text = msg::bytes(&r, 1, len, &mut buf).ok_or(SupError::Refused("malformed reply"))?;
        Ok(String::from_utf8_lossy(text).into_owned())
    }

    /// The decision trace: the security server's log of decisions it made,
    /// then each object server's newest decisions served from its cache,
    /// with subject ids turned into labels.
    pub fn decision_trace(&mut self) -> Result<String, SupError> {
        let mut text = self.security_text(sec::LOG)?;
        let servers: Vec<String> = self
            .services
            .iter()
            .map(|s| s.name.clone())
            .filter(|s| self.is_object_server(s))
            .collect();
        for service in servers {
            let Some(conn) = self.supervisor_conn(&service, SUPERVISOR_CLIENT) else {
                continue;
            };
            let r = conn.call(kernel_iface::MessageInfo::new(store_proto::TRACE, 0, 0, 0), [0; 4]);
            let len = msg::word(&r, 0).unwrap_or(0) as usize;
            let mut buf = alloc::vec![0u8; len];
            let Some(t) = msg::bytes(&r, 1, len, &mut buf) else {
                continue;
            };
            let _ = writeln!(text, "served from the cache of '{service}':");
            for line in String::from_utf8_lossy(t).lines() {
                // "epoch E subject N rest" -> "epoch E LABEL rest"
                let mut w = line.splitn(5, ' ');
                match (w.next(), w.next(), w.next(), w.next(), w.next()) {
                    (Some("epoch"), Some(e), Some("subject"), Some(n), Some(rest)) => {
                        let label = n.parse().map(|id| self.label_of(id)).unwrap_or_else(|_| n.to_string());
                        let _ = writeln!(text, "epoch {e} {label} {rest}");
                    }
                    _ => {
                        let _ = writeln!(text, "{line}");
                    }
                }
            }
        }
        Ok(text)
    }

    /// Ends `client`'s connection to `service`: the connection manager
    /// revokes it (the client's next call is refused by the kernel) and
    /// the donation ends (the server forgets the session first).
    pub fn close_connection(&mut self, client: u32, service: &str) {
        self.cm_close(client, service);
        self.end_loans(|l| l.client == client && l.service == service, false, false);
        if client == SHELL_SUBJECT {
            self.forget_shell_conn(service);
        }
    }

    /// Forgets the shell's connection to `service` (it was closed or
    /// withdrawn): the next command asks for a new one.
    pub fn forget_shell_conn(&mut self, service: &str) {
        let key = format!("shell:{service}");
        if let Some(i) = self.shell_conns.iter().position(|(s, _, _)| *s == key) {
            let (_, old, _) = self.shell_conns.swap_remove(i);
            let _ = ROOT_CNODE.cnode_delete(old.cptr(), WORD_BITS as u64);
            self.objs.root.free_slot(old.cptr());
        }
    }

    /// The shell's connection to `service`, admitted by the policy.
    pub fn shell_conn(&mut self, service: &str) -> Result<Cap<kind::Endpoint>, SupError> {
        let gen = self
            .service_generation(service)
            .ok_or(SupError::Refused("service down"))?;
        if let Some((_, ep, _)) = self
            .shell_conns
            .iter()
            .find(|(s, _, g)| *s == format!("shell:{service}") && *g == gen)
        {
            return Ok(*ep);
        }
        let (slot, _) = self
            .admit(SHELL_SUBJECT, service)
            .ok_or(SupError::Refused("the policy denies the shell a connection"))?;
        self.forget_shell_conn(service);
        self.shell_conns
            .push((format!("shell:{service}"), Cap::from_cptr(slot), gen));
        Ok(Cap::from_cptr(slot))
    }

    /// One store request from the shell: `label` with `key` and `value`.
    /// Returns the reply label and the reply's text (value or listing).
    pub fn store_request(&mut self, conn: Cap<kind::Endpoint>, label: u64, key: &str, value: &str) -> (u64, String) {
        let mut buf = alloc::vec![0u8; msg::MAX_WORDS * 8];
        let (l, text) = match label {
            store_proto::PUT => (store_client::put(conn, key, value.as_bytes()), &[][..]),
            store_proto::GET => store_client::get(conn, key, &mut buf),
            store_proto::DELETE => (store_client::delete(conn, key), &[][..]),
            store_proto::LIST => store_client::list(conn, &mut buf),
            _ => (Outgoing::new().call(conn, label).info.label(), &[][..]),
        };
        (l, String::from_utf8_lossy(text).into_owned())
    }

    /// Every resource container the supervisor made: (container, name,
    /// bytes in use).
    pub fn containers_in_use(&self) -> Vec<(resource_mgr::ContainerId, String, u64)> {
        let mut all = Vec::new();
        if let Some(cid) = self.shell_container {
            all.push((cid, "shell".to_string(), self.shell_memory.used_bytes()));
        }
        for inst in &self.instances {
            if let Some(cid) = self.containers.get(&inst.number) {
                let name = self
                    .table
                    .by_id(inst.component)
                    .map(|r| r.name.clone())
                    .unwrap_or_default();
                all.push((*cid, name, inst.loaded.container.used_bytes()));
            }
        }
        all.sort_by_key(|c| c.0);
        all
    }

    /// `rc`: containers, quotas, use, donations.
    pub fn write_rc(&mut self) {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{:>4}  {:<14} {:>10} {:>10} {:>10} {:>10}",
            "rc", "name", "quota KiB", "used KiB", "lent B", "got B"
        );
        for (id, name, used) in self.containers_in_use() {
            let Some((quota, lent, got)) = self.rm_usage(id) else {
                continue;
            };
            let _ = writeln!(
                t,
                "{:>4}  {:<14} {:>10} {:>10} {:>10} {:>10}",
                id.0,
                name,
                quota / 1024,
                used / 1024,
                lent,
                got
            );
        }
        let _ = self.out.write_str(&t);
    }

    /// `conns`: sessions, from the connection manager, with the bytes
    /// each client lent the server.
    pub fn write_conns(&mut self) {
        let mut t = String::new();
        let _ = writeln!(t, "{:<16} {:<12} {:>10} {:>9}", "client", "service", "badge", "donated");
        for s in self.cm_sessions() {
            let client = self.label_of(s.client);
            let donated: u64 = self
                .loans
                .iter()
                .filter(|l| l.client == s.client && l.service == s.service)
                .map(|_| donation::SESSION_BYTES)
                .sum();
            let _ = writeln!(t, "{:<16} {:<12} {:>#10x} {:>9}", client, s.service, s.badge, donated);
        }
        let _ = self.out.write_str(&t);
    }
}
