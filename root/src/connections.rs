//! The supervisor's side of the connection manager
//! (`pride_supervisor_api::connections`).
//!
//! The supervisor starts `conn-mgr` right after the resource manager,
//! registers every service with it as its server starts (handing over the
//! root-owned service endpoint), and from then on gets every client's
//! connection from it: `CONNECT` asks the security server and returns a
//! badged endpoint capability, which the supervisor moves into the client's
//! CSpace (or keeps, for the shell). Closing a client's sessions, forgetting
//! a restarted server's, withdrawing what a new policy denies (`RECHECK`)
//! and listing sessions for `conns` are requests to it as well. Donations
//! stay with the supervisor (`mediation`), which maps the memory.
//!
//! The connection manager holds a connection to the security server with
//! the supervisor's own client id (only that may teach labels), minted by
//! the supervisor into its CNode whenever a security server starts.

use alloc::string::String;
use alloc::vec::Vec;

use kernel_iface::abi::{init_cap, WORD_BITS};
use kernel_iface::cap::{kind, CapRights};
use kernel_iface::syscall::Received;
use kernel_iface::{ipc_buffer, Cap};
use pride_rt::msg::{self, Outgoing};
use pride_supervisor_api::connections::{self as proto, SECURITY_SLOT};
use pride_supervisor_api::{self as api, ClientBadge};
use root_core::supervision::State;

use crate::mediation::SUPERVISOR_CLIENT;
use crate::objects::{root_slot, ROOT_CNODE};
use crate::supervisor::{SupError, Supervisor};

/// The connection manager's image and service.
pub const IMAGE: &str = "conn-mgr";
pub const SERVICE: &str = "connections";

/// Services only the supervisor talks to: never registered for clients.
pub fn supervisor_only(service: &str) -> bool {
    service == SERVICE || service == crate::resources::SERVICE
}

/// A session as the connection manager lists it.
pub struct SessionInfo {
    pub client: u32,
    pub badge: u64,
    pub service: String,
}

impl Supervisor {
    /// Starts the connection manager (after the resource manager).
    pub fn start_connection_manager(&mut self) -> Result<(), SupError> {
        let id = self.launch(IMAGE, None)?;
        let number = self
            .current(id)
            .map(|i| i.number)
            .ok_or(SupError::Refused("no instance"))?;
        self.wait_until_ready(number)?;
        self.link_security();
        Ok(())
    }

    /// True if the connection manager can be asked.
    pub(crate) fn cm_running_pub(&self) -> bool {
        self.cm_running()
    }

    fn cm_running(&self) -> bool {
        self.services
            .iter()
            .find(|s| s.name == SERVICE)
            .and_then(|s| s.server)
            .and_then(|id| self.table.by_id(id))
            .is_some_and(|r| r.state == State::Running)
    }

    /// One request to the connection manager: `None` if there is none.
    fn cm_call(&mut self, label: u64, m: &Outgoing) -> Option<Received> {
        if !self.cm_running() {
            return None;
        }
        let conn = self.supervisor_conn(SERVICE, SUPERVISOR_CLIENT)?;
        Some(m.call(conn, label))
    }

    /// Gives the connection manager a connection to the current security
    /// server, with the supervisor's client id.
    pub(crate) fn link_security(&mut self) {
        let (Some(ep), Some(gen)) = (self.service_endpoint("security"), self.service_generation("security")) else {
            return;
        };
        let Some(cm) = self
            .services
            .iter()
            .find(|s| s.name == SERVICE)
            .and_then(|s| s.server)
            .and_then(|id| self.current(id))
        else {
            return;
        };
        let (cnode, depth) = (cm.loaded.cnode, cm.loaded.cnode_bits);
        let badge = ClientBadge {
            client: SUPERVISOR_CLIENT,
            generation: gen as u16,
        }
        .to_badge();
        let _ = cnode.cnode_delete(SECURITY_SLOT, depth);
        let _ = cnode.cnode_mint(SECURITY_SLOT, depth, root_slot(ep.cptr()), CapRights::ALL, badge);
    }

    /// Registers `service`, served by component `server`, with its endpoint.
    pub(crate) fn cm_register(&mut self, service: &str, server: u32) {
        let Some(ep) = self.service_endpoint(service).filter(|_| !supervisor_only(service)) else {
            return;
        };
        if !self.cm_running() {
            return;
        }
        let Some(conn) = self.supervisor_conn(SERVICE, SUPERVISOR_CLIENT) else {
            return;
        };
        let mut m = Outgoing::new();
        m.word(server as u64)
            .word(service.len() as u64)
            .bytes(service.as_bytes());
        let _ = m.call_with_cap(conn, proto::REGISTER, ep.cptr());
    }

    /// A connection of `client` (labelled `label`) to `service` at server
    /// generation `gen`. `mediated`: ask the security server. Returns the
    /// root slot holding the badged endpoint and the badge, or the label
    /// of the refusal.
    pub(crate) fn cm_connect(
        &mut self,
        client: u32,
        gen: u64,
        mediated: bool,
        service: &str,
        label: &str,
    ) -> Result<(u64, u64), u64> {
        let slot = self.objs.root.alloc_slot().map_err(|_| api::BAD_REQUEST)?;
        let mut m = Outgoing::new();
        m.word(client as u64)
            .word(gen)
            .word(mediated as u64)
            .word(service.len() as u64)
            .word(label.len() as u64);
        let mut both = Vec::with_capacity(service.len() + label.len());
        both.extend_from_slice(service.as_bytes());
        both.extend_from_slice(label.as_bytes());
        m.bytes(&both);
        ipc_buffer::set_receive_path(init_cap::CNODE, slot, WORD_BITS as u64);
        let r = self.cm_call(proto::CONNECT, &m);
        ipc_buffer::set_receive_path(0, 0, 0);
        match r {
            Some(r) if r.info.label() == api::OK && r.info.extra_caps() == 1 && r.info.caps_unwrapped() == 0 => {
                Ok((slot, r.mrs[0]))
            }
            other => {
                // A capability that came with a refusal is not kept.
                let _ = ROOT_CNODE.cnode_delete(slot, WORD_BITS as u64);
                self.objs.root.free_slot(slot);
                Err(other.map_or(api::SERVICE_DOWN, |r| match r.info.label() {
                    api::OK => api::BAD_REQUEST,
                    l => l,
                }))
            }
        }
    }

    /// Ends `client`'s session with `service` (the capability is revoked).
    pub(crate) fn cm_close(&mut self, client: u32, service: &str) {
        let mut m = Outgoing::new();
        m.word(client as u64)
            .word(service.len() as u64)
            .bytes(service.as_bytes());
        let _ = self.cm_call(proto::CLOSE, &m);
    }

    /// Ends every session of `client` (revoked).
    pub(crate) fn cm_close_client(&mut self, client: u32) {
        let mut m = Outgoing::new();
        m.word(client as u64);
        let _ = self.cm_call(proto::CLOSE_CLIENT, &m);
    }

    /// Forgets the sessions served by `server` (it restarts): the clients
    /// keep their capabilities and learn `SERVER_RESTARTED` on their next call.
    pub(crate) fn cm_forget_server(&mut self, server: u32) {
        let mut m = Outgoing::new();
        m.word(server as u64);
        let _ = self.cm_call(proto::FORGET_SERVER, &m);
    }

    /// Drops `service` (its server stopped for good) and its sessions.
    pub(crate) fn cm_unregister(&mut self, service: &str) {
        let mut m = Outgoing::new();
        m.word(service.len() as u64).bytes(service.as_bytes());
        let _ = self.cm_call(proto::UNREGISTER, &m);
    }

    /// Asks the connection manager to check every session against the
    /// policy again; returns the (client, service) pairs it withdrew.
    pub(crate) fn cm_recheck(&mut self) -> Vec<(u32, String)> {
        let mut gone = Vec::new();
        let mut cursor = 0;
        loop {
            let mut m = Outgoing::new();
            m.word(cursor);
            let Some(r) = self.cm_call(proto::RECHECK, &m) else {
                return gone;
            };
            if r.info.label() != api::OK || r.mrs[0] != 1 {
                return gone;
            }
            let len = msg::word(&r, 3).unwrap_or(0) as usize;
            let mut buf = [0u8; proto::NAME_MAX];
            let name = msg::bytes(&r, 4, len, &mut buf)
                .and_then(|b| core::str::from_utf8(b).ok())
                .map(String::from)
                .unwrap_or_default();
            gone.push((r.mrs[1] as u32, name));
            cursor = r.mrs[2];
        }
    }

    /// Every live session, from the connection manager.
    pub fn cm_sessions(&mut self) -> Vec<SessionInfo> {
        let mut all = Vec::new();
        let mut cursor = 0;
        loop {
            let mut m = Outgoing::new();
            m.word(cursor);
            let Some(r) = self.cm_call(proto::SESSION, &m) else {
                return all;
            };
            if r.info.label() != api::OK {
                return all;
            }
            let len = msg::word(&r, 3).unwrap_or(0) as usize;
            let mut buf = [0u8; proto::NAME_MAX];
            let service = msg::bytes(&r, 4, len, &mut buf)
                .and_then(|b| core::str::from_utf8(b).ok())
                .map(String::from)
                .unwrap_or_default();
            all.push(SessionInfo {
                client: r.mrs[1] as u32,
                badge: r.mrs[2],
                service,
            });
            cursor = r.mrs[0] + 1;
        }
    }

    /// True if component `id` is one of the managers, which are never
    /// stopped, restarted or updated.
    pub fn is_manager(&self, id: u32) -> bool {
        self.table
            .by_id(id)
            .is_some_and(|r| r.image == IMAGE || r.image == crate::resources::IMAGE)
    }

    /// Moves the capability in root slot `from` into slot `to` of `cnode`
    /// (of `depth` bits), replacing what was there; frees the root slot.
    pub(crate) fn move_to_client(&mut self, from: u64, cnode: Cap<kind::CNode>, to: u64, depth: u64) -> bool {
        let _ = cnode.cnode_delete(to, depth);
        let moved = cnode.cnode_move(to, depth, root_slot(from)).is_ok();
        if !moved {
            let _ = ROOT_CNODE.cnode_delete(from, WORD_BITS as u64);
        }
        self.objs.root.free_slot(from);
        moved
    }
}
