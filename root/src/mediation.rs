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
//!   itself wants `security`) comes with a donation of `SESSION_DONATION`
//!   bytes from the client's container to the server's, committed in
//!   `resource_mgr`; a client whose container cannot afford it is refused.
//! - **Sessions end** when the client's instance is destroyed: the
//!   supervisor tells each object server (`CLOSE_SESSION`), which drops the
//!   session's objects, and the donation returns with the container.
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
use pride_supervisor_api::manifest::Manifest;
use pride_supervisor_api::security as sec;
use pride_supervisor_api::store as store_proto;
use pride_supervisor_api::{self as api, ClientBadge};
use root_core::supervision::State;
use security_srv::Operation;

use crate::objects::{root_slot, ObjError, ROOT_CNODE};
use crate::supervisor::{Event, Role, SupError, Supervisor};

/// The shell's subject id (client ids are 12 bits; 0 is the supervisor's
/// own authority, real components count up from 1).
pub const SHELL_SUBJECT: u32 = 0xffe;
/// The supervisor's client id towards servers.
pub const SUPERVISOR_CLIENT: u16 = 0;

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

    /// Admits `client` to `service`: asks the policy, makes the donation,
    /// records the session. Returns the endpoint and the badge to mint.
    pub(crate) fn admit(&mut self, client: u32, service: &str) -> Option<(Cap<kind::Endpoint>, u64)> {
        let cc = self.container_of(client);
        self.admit_from(client, cc, service)
    }

    /// As [`admit`](Self::admit), with the client's container given (a
    /// starting instance is not yet in the instance table).
    pub(crate) fn admit_from(
        &mut self,
        client: u32,
        client_container: Option<resource_mgr::ContainerId>,
        service: &str,
    ) -> Option<(Cap<kind::Endpoint>, u64)> {
        let ep = self.service_endpoint(service)?;
        let gen = self.service_generation(service)?;
        if !self
            .ask(client, &format!("service:{service}"), Operation::Connect)
            .unwrap_or(false)
        {
            let _ = self.conns.connect(client, service, conn_mgr::Decision::Deny, 0);
            let label = self.label_of(client);
            self.log
                .push(self.now_ms(), format!("connect: {label} to '{service}' denied"));
            return None;
        }
        let mut donation = 0;
        if self.is_object_server(service) {
            donation = store_proto::SESSION_DONATION;
            let server = self.services.iter().find(|s| s.name == service).and_then(|s| s.server);
            let (Some(cc), Some(sc)) = (client_container, server.and_then(|s| self.container_of(s))) else {
                return None;
            };
            // Transactional: the bytes leave the client's quota now, and
            // reach the server's only when the server acknowledges the
            // session; otherwise they go back.
            let d = self.rm.begin_donation(cc, sc, donation).ok()?;
            let badge = ClientBadge {
                client: client as u16,
                generation: gen as u16,
            }
            .to_badge();
            if !self.open_session(service, badge, donation) {
                let _ = self.rm.abort(d);
                return None;
            }
            self.rm.commit(d).ok()?;
        }
        let _ = self.conns.connect(client, service, conn_mgr::Decision::Allow, donation);
        Some((
            ep,
            ClientBadge {
                client: client as u16,
                generation: gen as u16,
            }
            .to_badge(),
        ))
    }

    /// Asks the server of `service` to open a session for `badge` with
    /// `bytes` donated. Only a running server is asked (one still starting
    /// may need the supervisor, which would then be blocked here).
    fn open_session(&mut self, service: &str, badge: u64, bytes: u64) -> bool {
        let running = self
            .services
            .iter()
            .find(|s| s.name == service)
            .and_then(|s| s.server)
            .and_then(|id| self.table.by_id(id))
            .is_some_and(|r| r.state == State::Running);
        if !running {
            return false;
        }
        let Some(conn) = self.supervisor_conn(service, SUPERVISOR_CLIENT) else {
            return false;
        };
        let r = Outgoing::new()
            .word(badge)
            .word(bytes)
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

    /// Ends the sessions of client `id` (its instance is going away).
    pub(crate) fn close_sessions_of(&mut self, id: u32) {
        let sessions = self.conns.close_client(id);
        for s in sessions {
            if !self.is_object_server(&s.service_name) {
                continue;
            }
            if let Some(conn) = self.supervisor_conn(&s.service_name, SUPERVISOR_CLIENT) {
                let _ = Outgoing::new().word(id as u64).call(conn, store_proto::CLOSE_SESSION);
            }
        }
        let _ = self.conns.close_server(id);
    }

    /// `policy swap MODULE`: replaces the security server's module, flushes
    /// every object server's cache and waits until all acknowledged.
    pub fn policy_swap(&mut self, module: &str) -> Result<SwapReport, SupError> {
        let image = format!("policy-{module}");
        self.image(&image)?;
        let t0 = pride_rt::tsc();
        self.settled = false;
        self.update("security", &image)?;
        let servers: Vec<Cap<kind::Notification>> = self
            .instances
            .iter()
            .filter(|i| i.role == Role::Current)
            .filter(|i| {
                self.table
                    .by_id(i.component)
                    .is_some_and(|r| r.manifest.wants.iter().any(|w| w == "security") && !r.manifest.offers.is_empty())
            })
            .map(|i| i.loaded.notification)
            .collect();
        for n in &servers {
            self.signal_badged(*n, api::FLUSH_SIGNAL)?;
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
    /// is withdrawn. The capability is deleted from the client's CSpace, so
    /// its next call on it is refused by the kernel (`InvalidCapability`),
    /// and the session is closed. Returns how many were withdrawn.
    pub fn withdraw_denied(&mut self) -> usize {
        let mut gone = Vec::new();
        for inst in self.instances.iter().filter(|i| i.role == Role::Current) {
            let Some(r) = self.table.by_id(inst.component) else {
                continue;
            };
            for (i, want) in r.manifest.wants.iter().enumerate() {
                if self
                    .conns
                    .sessions()
                    .any(|s| s.client == inst.component && &s.service_name == want)
                {
                    gone.push((inst.component, inst.loaded.cnode, i as u64, want.clone()));
                }
            }
        }
        let mut withdrawn = 0;
        for (client, cnode, index, service) in gone {
            if self
                .ask(client, &format!("service:{service}"), Operation::Connect)
                .unwrap_or(false)
            {
                continue;
            }
            let _ = cnode.cnode_delete(
                pride_rt::component::SLOT_WANTED_BASE + index,
                pride_rt::component::CNODE_BITS,
            );
            let _ = self.conns.withdraw(|s| s.client == client && s.service_name == service);
            let label = self.label_of(client);
            self.event(format!("policy: {label}'s connection to '{service}' withdrawn"));
            withdrawn += 1;
        }
        withdrawn
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
        let (ep, badge) = self
            .admit(SHELL_SUBJECT, service)
            .ok_or(SupError::Refused("the policy denies the shell a connection"))?;
        let slot = self.objs.root.alloc_slot().map_err(ObjError::from)?;
        ROOT_CNODE
            .cnode_mint(slot, WORD_BITS as u64, root_slot(ep.cptr()), CapRights::ALL, badge)
            .map_err(|e| SupError::from(ObjError::Kernel("mint", e)))?;
        let key = format!("shell:{service}");
        if let Some(i) = self.shell_conns.iter().position(|(s, _, _)| *s == key) {
            let (_, old, _) = self.shell_conns.swap_remove(i);
            let _ = ROOT_CNODE.cnode_delete(old.cptr(), WORD_BITS as u64);
            self.objs.root.free_slot(old.cptr());
        }
        self.shell_conns.push((key, Cap::from_cptr(slot), gen));
        Ok(Cap::from_cptr(slot))
    }

    /// One store request from the shell: `label` with `key` and `value`.
    /// Returns the reply label and the reply's text (value or listing).
    pub fn store_request(&mut self, conn: Cap<kind::Endpoint>, label: u64, key: &str, value: &str) -> (u64, String) {
        let mut m = Outgoing::new();
        match label {
            store_proto::PUT => {
                m.word(key.len() as u64).word(value.len() as u64);
                let mut joined = Vec::with_capacity(key.len() + value.len());
                joined.extend_from_slice(key.as_bytes());
                joined.extend_from_slice(value.as_bytes());
                m.bytes(&joined);
            }
            store_proto::GET | store_proto::DELETE => {
                m.word(key.len() as u64).bytes(key.as_bytes());
            }
            _ => {}
        }
        let r = m.call(conn, label);
        let l = r.info.label();
        let text = match (l, label) {
            (api::OK, store_proto::GET) => {
                let len = msg::word(&r, 0).unwrap_or(0) as usize;
                let mut buf = alloc::vec![0u8; len.min(store_proto::VALUE_MAX)];
                msg::bytes(&r, 1, len, &mut buf)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            }
            (api::OK, store_proto::LIST) => {
                let len = msg::word(&r, 1).unwrap_or(0) as usize;
                let mut buf = alloc::vec![0u8; len.min(msg::MAX_WORDS * 8)];
                msg::bytes(&r, 2, len, &mut buf)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            }
            _ => String::new(),
        };
        (l, text)
    }

    /// `rc`: containers, quotas, use, donations.
    pub fn write_rc(&mut self) {
        let mut t = String::new();
        let _ = writeln!(
            t,
            "{:>4}  {:<14} {:>10} {:>10} {:>10} {:>10}",
            "rc", "name", "quota KiB", "used KiB", "lent B", "got B"
        );
        for (id, c) in self.rm.report() {
            let used = self
                .containers
                .iter()
                .find(|(_, cid)| **cid == id)
                .and_then(|(n, _)| self.instances.iter().find(|i| i.number == *n))
                .map_or(0, |i| i.loaded.container.used_bytes());
            let _ = writeln!(
                t,
                "{:>4}  {:<14} {:>10} {:>10} {:>10} {:>10}",
                id.0,
                c.name,
                c.mem_quota / 1024,
                used / 1024,
                c.donated_out,
                c.donated_in
            );
        }
        let _ = self.out.write_str(&t);
    }

    /// `conns`: sessions.
    pub fn write_conns(&mut self) {
        let mut t = String::new();
        let _ = writeln!(t, "{:<16} {:<12} {:>10} {:>9}", "client", "service", "badge", "donated");
        for s in self.conns.sessions() {
            let client = self.label_of(s.client);
            let gen = self.service_generation(&s.service_name).unwrap_or(0);
            let badge = ClientBadge {
                client: s.client as u16,
                generation: gen as u16,
            }
            .to_badge();
            let _ = writeln!(
                t,
                "{:<16} {:<12} {:>#10x} {:>9}",
                client, s.service_name, badge, s.donation
            );
        }
        let _ = self.out.write_str(&t);
    }
}
