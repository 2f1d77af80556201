//! The request loop of a server, with the parts of the protocol every
//! server shares:
//!
//! - client badges carry the server generation the connection was made
//!   with; a request on a connection from an earlier generation is answered
//!   with `SERVER_RESTARTED` (the client reconnects);
//! - the supervisor's `QUIESCE_SIGNAL` on the component's bound notification
//!   wakes the `Recv` between two requests; the server then hands its state
//!   over (serialised by [`Server::save`]) in a `QUIESCED` call and waits for
//!   the verdict: either it is replaced (and never runs again) or the update
//!   was abandoned and it carries on. Requests that arrive meanwhile wait in
//!   the endpoint's queue for whichever version serves next.
//! - badge 0 (the supervisor's own unbadged capability) is answered with
//!   `BAD_REQUEST` here; servers that serve the supervisor directly (like
//!   `ping`) do not use this loop.

use kernel_iface::cap::kind::Endpoint;
use kernel_iface::syscall::Received;
use kernel_iface::{ipc_buffer, Cap, MessageInfo};
use pride_supervisor_api::{self as api, ClientBadge};

use crate::component::SLOT_SERVICE_EP;

/// A reply: label and up to four words (the fastpath limit), and perhaps
/// one capability.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reply {
    pub label: u64,
    pub words: [u64; 4],
    pub len: u64,
    /// A slot of the server's CSpace whose capability goes with the reply
    /// (0: none). The client receives a copy where its receive path says.
    pub cap: u64,
}

impl Reply {
    /// A successful reply with `words`.
    pub fn ok(words: &[u64]) -> Reply {
        let mut w = [0; 4];
        let n = words.len().min(4);
        w[..n].copy_from_slice(&words[..n]);
        Reply {
            label: api::OK,
            words: w,
            len: n as u64,
            cap: 0,
        }
    }
    /// An error reply with `label` and no words.
    pub const fn error(label: u64) -> Reply {
        Reply {
            label,
            words: [0; 4],
            len: 0,
            cap: 0,
        }
    }
    /// The same reply, carrying the capability in `slot`.
    pub const fn with_cap(self, slot: u64) -> Reply {
        Reply { cap: slot, ..self }
    }
    /// A reply of `len` words whose words 4 and up the handler already
    /// wrote (with [`crate::msg::Outgoing`]) and whose first four are `words`.
    pub const fn long(label: u64, words: [u64; 4], len: u64) -> Reply {
        Reply {
            label,
            words,
            len,
            cap: 0,
        }
    }
    /// No reply at all: the caller stays blocked until the supervisor
    /// releases it (when this server stops or restarts). For testing that
    /// clients of a misbehaving server never hang for good.
    pub const fn none() -> Reply {
        Reply {
            label: NO_REPLY,
            words: [0; 4],
            len: 0,
            cap: 0,
        }
    }
}

/// Sentinel label of [`Reply::none`] (never sent).
const NO_REPLY: u64 = u64::MAX;

/// A server's behaviour.
pub trait Server {
    /// Handles one request from `client`. `msg` is the whole message:
    /// words beyond the fourth are read with [`crate::msg::word`] and
    /// [`crate::msg::bytes`] (before any other system call). A reply longer
    /// than four words writes its words 4 and up with
    /// [`crate::msg::Outgoing`] and returns [`Reply::long`].
    fn handle(&mut self, client: ClientBadge, label: u64, msg: &Received) -> Reply;
    /// Notification bits other than `QUIESCE_SIGNAL` woke the server
    /// (e.g. `FLUSH_SIGNAL`).
    fn on_signal(&mut self, _bits: u64) {}
    /// Told about each request (while serving the next one, so that this
    /// bookkeeping counts as the server's work too): its label and the
    /// time-stamp-counter ticks the server spent on it in user mode, from
    /// the end of the receive to the start of the reply (under `-icount`,
    /// instructions). For benchmarks that separate a server's own work from
    /// the IPC around it.
    fn account(&mut self, _label: u64, _ticks: u64) {}
    /// Serialises the state to hand to the next version into `buf`;
    /// returns the number of bytes written (at most `buf.len()`).
    fn save(&self, buf: &mut [u8]) -> usize;
}

/// Serves requests on the service endpoint for ever.
pub fn serve<S: Server>(server: &mut S, generation: u64) -> ! {
    let ep: Cap<Endpoint> = Cap::from_cptr(SLOT_SERVICE_EP);
    let mut msg = ep.recv();
    // The last request's (label, ticks), told to `account` while serving
    // the next, so that accounting is part of the server's work.
    let mut last: Option<(u64, u64)> = None;
    loop {
        let received = crate::tsc();
        if let Some((label, ticks)) = last.take() {
            server.account(label, ticks);
        }
        let client = ClientBadge::from_badge(msg.badge);
        if msg.badge != 0 && client.is_none() {
            // Woken by the bound notification, not by a client: no reply owed.
            if msg.badge & api::QUIESCE_SIGNAL != 0 {
                hand_over(server);
            }
            let others = msg.badge & !api::QUIESCE_SIGNAL;
            if others != 0 {
                server.on_signal(others);
            }
            msg = ep.recv();
            continue;
        }
        let label = msg.info.label();
        let reply = answer(server, &msg, generation).unwrap_or(Reply::none());
        last = Some((label, crate::tsc() - received));
        msg = if reply.label == NO_REPLY {
            ep.recv()
        } else if reply.cap != 0 {
            ipc_buffer::set_cap(0, reply.cap);
            ep.reply_recv(MessageInfo::new(reply.label, 0, 1, reply.len), reply.words)
        } else {
            ep.reply_recv(MessageInfo::new(reply.label, 0, 0, reply.len), reply.words)
        };
    }
}

/// The reply to a request that arrived on the service endpoint (not a
/// signal): handled if its connection is of the current `generation`,
/// `SERVER_RESTARTED` if of an earlier one, `BAD_REQUEST` without a client
/// badge; `None` if the handler keeps the caller waiting
/// ([`Reply::none`]). Shared with servers that run their own loop (a
/// Microkit PD that is also a Pride server).
pub fn answer<S: Server>(server: &mut S, msg: &Received, generation: u64) -> Option<Reply> {
    let reply = match ClientBadge::from_badge(msg.badge) {
        Some(c) if c.is_current(generation) => server.handle(c, msg.info.label(), msg),
        Some(_) => Reply::error(api::SERVER_RESTARTED),
        None => Reply::error(api::BAD_REQUEST),
    };
    (reply.label != NO_REPLY).then_some(reply)
}

/// Sends the state to the supervisor in a `QUIESCED` call and waits for the
/// verdict (returns only if the update was abandoned).
fn hand_over<S: Server>(server: &S) {
    let mut state = [0u8; api::STATE_MAX];
    let n = server.save(&mut state).min(api::STATE_MAX);
    crate::supervisor::quiesced(&state[..n]);
}
