//! # net-sockets: the socket server
//!
//! ```text
//!  host ─ QEMU user net ─ virtio-net ─ net_driver ─ net_virt_rx ─ net_copy ─┐
//!                                            └──── net_virt_tx ◀────────────┤
//!                                                                           ▼
//!   tcp-echo ──Call (badged `net` connection)──▶ net_sockets (smoltcp, 10.0.2.15)
//!   shell netstat ─────────────────────────────▶   │ DECIDE on a cache miss
//!                                                   ▼
//!                                                security
//! ```
//!
//! A Microkit PD of the `sockets` system (`lionsos-compat/systems/sockets.py`):
//! the copier's client, in the place the echo server has in the `echo`
//! system, running smoltcp over the client queues (`net::device`), and a
//! Pride object server (its manifest offers `net` and wants `security`; it
//! runs with `microkit::run_server`). Protocol, policy objects and
//! operations: `pride_supervisor_api::net`.
//!
//! - **Sessions.** The supervisor opens a session per admitted client with
//!   the memory the client donated (`OPEN_SESSION`); each socket's record
//!   (kind, handle, port) is kept there, so the sockets a client holds are
//!   charged to it, and a session holds at most `MAX_SOCKETS`. The socket
//!   buffers are on the server's heap, bounded by that limit and by
//!   [`MAX_SMOLTCP_SOCKETS`] overall. `CLOSE_SESSION` (the client exited,
//!   was stopped, or lost its connection) aborts the session's TCP
//!   connections, frees its ports and drops its waiting call.
//! - **Waiting calls.** `ACCEPT`, `CONNECT`, `SEND`, `RECV`, `RECVFROM` that
//!   cannot be answered at once save the caller's reply capability
//!   (`CNode_SaveCaller`) into the session's slot and are answered from
//!   there (`NBSend` on the slot) when smoltcp makes the socket ready,
//!   which is checked after every poll of the network and every request.
//!   The server itself never waits for anything but its endpoint.
//! - **Ordering.** A request's words are read before any system call (a
//!   decision asks the security server, which overwrites the IPC buffer);
//!   other sessions' answers are sent before the request's own reply is
//!   written, for the same reason.
//! - **Policy.** Every request is decided for the client's subject through
//!   the decision cache (`object_server::Mediator`), emptied when the
//!   policy changes, so a swap applies to open sockets from their next
//!   request.
//! - **Time.** The PD has no timer: smoltcp's timers (retransmission, ARP
//!   retries, TIME-WAIT) advance only when a notification or a request
//!   comes. A closed connection is kept only until its FIN is acknowledged
//!   (no TIME-WAIT), and reset if that takes more than [`CLOSE_GRACE_MS`];
//!   its port is free again then.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use kernel_iface::cap::kind::CNode;
use kernel_iface::syscall::{self, Received};
use kernel_iface::{Cap, MessageInfo};
use microkit::{Channel, Handler};
use net::device::{interface, now, SddfDevice, ADDRESS};
use object_server::Mediator;
use pride_rt::component::SLOT_OWN_CNODE;
use pride_rt::donated::{self, Block, OpenedSession, SessionArena};
use pride_rt::msg::{self, Outgoing};
use pride_rt::server::{Reply, Server};
use pride_rt::{println, supervisor};
use pride_supervisor_api::net::{self as proto, DATA_MAX, MAX_BACKLOG, MAX_SOCKETS};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST, DENIED, FLUSH_SIGNAL, OK, QUOTA_EXHAUSTED};
use sddf::config::net::NetClientConfig;
use sddf::config::ConfigBlob;
use security_srv::Operation;
use smoltcp::iface::{Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet};
use smoltcp::socket::{tcp, udp, Socket};
use smoltcp::wire::{IpAddress, IpEndpoint, Ipv4Address};

microkit::config_section!(CONFIG, ".net_client_config", NetClientConfig::SIZE);

pride_rt::component_entry!(main);

/// log2 of the PD's CNode slots (`cnode_bits` in the manifest): the depth
/// of invocations on its own CNode.
const CNODE_BITS: u64 = 9;
/// Slots for saved reply capabilities, one per session at most: clear of
/// the Microkit slots (notifications 10-35, connections 40-47, PPC
/// endpoints 74-99, IRQ handlers 138-163, I/O ports from 394).
const REPLY_SLOT_BASE: u64 = 200;
/// Sessions at once (as many reply slots).
const MAX_SESSIONS: usize = 32;
/// smoltcp sockets at once, over every session and the closing ones.
const MAX_SMOLTCP_SOCKETS: usize = 64;
/// Buffers of a TCP socket (each way) and of a UDP socket.
const TCP_BUFFER: usize = 4096;
const UDP_BUFFER: usize = 4096;
const UDP_PACKETS: usize = 8;
/// Frames taken from the queue before what they asked for is sent.
const INGRESS_BATCH: usize = 16;
/// First local port `CONNECT` gives an unbound socket.
const EPHEMERAL_FIRST: u16 = 49152;
/// How long (smoltcp milliseconds, from the TSC) a connection closed by its
/// owner may take to finish before it is reset. Without a timer smoltcp
/// retransmits a FIN only when the server happens to run; the `sockets`
/// scenario saw a connection closed by both ends at once stay in CLOSING
/// for good otherwise (the peer's last ACK never came; why was not found).
const CLOSE_GRACE_MS: i64 = 2000;

/// What a socket is.
enum State {
    /// Made by `SOCKET`, nothing more.
    Fresh,
    /// TCP, bound to a port, not listening.
    Bound(u16),
    /// TCP, listening: the smoltcp sockets waiting for connections.
    Listening { port: u16, backlog: Vec<SocketHandle> },
    /// TCP, connected (or connecting, or accepted): its smoltcp socket
    /// and local port.
    Stream { sock: SocketHandle, port: u16 },
    /// UDP, bound.
    Datagram { sock: SocketHandle, port: u16 },
}

/// One socket of a session.
struct Sock {
    kind: u64,
    state: State,
    /// The object its reads and writes are decided on (the local port,
    /// or for a connection it made the remote end; empty while unbound).
    object: String,
    /// The socket's record in the session's donated memory.
    record: Block,
}

impl Sock {
    /// The local port, if bound.
    fn port(&self) -> Option<u16> {
        match self.state {
            State::Fresh => None,
            State::Bound(p) | State::Listening { port: p, .. } => Some(p),
            State::Stream { port, .. } | State::Datagram { port, .. } => Some(port),
        }
    }
}

/// A call waiting for its socket.
#[derive(Clone, Debug)]
enum Wait {
    Accept,
    Connect,
    Send(Vec<u8>),
    Recv(usize),
    RecvFrom(usize),
}

struct Pending {
    handle: u32,
    wait: Wait,
    /// The slot holding the caller's reply capability.
    slot: u64,
}

/// One admitted client.
struct Session {
    subject: u32,
    arena: SessionArena,
    sockets: BTreeMap<u32, Sock>,
    next_handle: u32,
    pending: Option<Pending>,
}

impl Session {
    /// A handle for a new socket of `kind` and its record in the donated
    /// memory: `TOO_MANY_SOCKETS` at the session's limit,
    /// `QUOTA_EXHAUSTED` if the donation is full.
    fn new_record(&mut self, kind: u64) -> Result<(u32, Block), u64> {
        if self.sockets.len() >= MAX_SOCKETS {
            return Err(proto::TOO_MANY_SOCKETS);
        }
        let h = self.next_handle;
        let record = self
            .arena
            .store(&[&kind.to_le_bytes(), &h.to_le_bytes()])
            .ok_or(QUOTA_EXHAUSTED)?;
        self.next_handle = self.next_handle.wrapping_add(1);
        Ok((h, record))
    }
}

/// A decoded request (every word and byte copied out of the IPC buffer).
enum Request {
    Socket(u64),
    Bind(u32, u16),
    Listen(u32, u64),
    Accept(u32),
    Connect(u32, [u8; 4], u16),
    Send(u32, Vec<u8>),
    Recv(u32, usize),
    SendTo(u32, [u8; 4], u16, Vec<u8>),
    RecvFrom(u32, usize),
    Close(u32),
    Netstat(usize),
}

/// What a request came to.
enum Outcome {
    /// Answer with this.
    Reply(Reply),
    /// Answer `OK` with words and then bytes (a long reply).
    Data(Vec<u64>, Vec<u8>),
    /// The caller waits (its reply capability is saved).
    Wait,
}

impl From<Reply> for Outcome {
    fn from(r: Reply) -> Outcome {
        Outcome::Reply(r)
    }
}

struct SocketServer {
    dev: SddfDevice,
    iface: Interface,
    set: SocketSet<'static>,
    rx_ch: Channel,
    tx_ch: Channel,
    /// The security server and the decisions cached from it.
    security: Mediator,
    sessions: BTreeMap<u64, Session>,
    /// Free reply slots.
    free_slots: Vec<u64>,
    /// Connections whose socket was closed, kept until their FIN or RST
    /// is out (netstat shows them with owner 0), each with the time
    /// (smoltcp milliseconds) after which it is reset instead.
    closing: Vec<(SocketHandle, i64)>,
    next_ephemeral: u16,
    replacement: bool,
}

/// Decodes a request of a client (`Err`: the error label), with
/// `pride_supervisor_api::net::decode` (property-tested there); data is
/// copied out, as a waiting `SEND` keeps it.
fn decode(label: u64, m: &Received) -> Result<Request, u64> {
    let mut words = [0u64; msg::MAX_WORDS];
    let mut bytes = [0u8; DATA_MAX];
    Ok(match proto::decode(label, msg::words(m, &mut words), &mut bytes)? {
        proto::Request::Socket(k) => Request::Socket(k),
        proto::Request::Bind(h, p) => Request::Bind(h, p),
        proto::Request::Listen(h, b) => Request::Listen(h, b),
        proto::Request::Accept(h) => Request::Accept(h),
        proto::Request::Connect(h, a, p) => Request::Connect(h, a, p),
        proto::Request::Send(h, d) => Request::Send(h, d.to_vec()),
        proto::Request::Recv(h, n) => Request::Recv(h, n),
        proto::Request::SendTo(h, a, p, d) => Request::SendTo(h, a, p, d.to_vec()),
        proto::Request::RecvFrom(h, n) => Request::RecvFrom(h, n),
        proto::Request::Close(h) => Request::Close(h),
        proto::Request::Netstat(first) => Request::Netstat(first),
    })
}

fn tcp_socket() -> tcp::Socket<'static> {
    let mut s = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; TCP_BUFFER]),
        tcp::SocketBuffer::new(vec![0; TCP_BUFFER]),
    );
    // No timer wakes this PD: acknowledge and send at once rather than
    // wait for one.
    s.set_ack_delay(None);
    s.set_nagle_enabled(false);
    s
}

fn udp_socket() -> udp::Socket<'static> {
    udp::Socket::new(
        udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_PACKETS], vec![0; UDP_BUFFER]),
        udp::PacketBuffer::new(vec![udp::PacketMetadata::EMPTY; UDP_PACKETS], vec![0; UDP_BUFFER]),
    )
}

fn endpoint_text(e: Option<IpEndpoint>) -> String {
    match e {
        Some(e) => e.to_string(),
        None => "*".to_string(),
    }
}

fn octets_of(addr: IpAddress) -> [u8; 4] {
    match addr {
        IpAddress::Ipv4(a) => a.octets(),
    }
}

/// A connection that is over for its receiver: nothing more will come.
fn finished(s: &tcp::Socket) -> bool {
    !s.may_recv() && !s.can_recv()
}

/// A backlog socket holding a connection ready to be accepted.
fn acceptable(s: &tcp::Socket) -> bool {
    !matches!(
        s.state(),
        tcp::State::Listen | tcp::State::SynReceived | tcp::State::Closed
    )
}

impl SocketServer {
    /// Whether `subject` may do `op` on `object` (through the cache).
    fn allowed(&mut self, subject: u32, object: &str, op: Operation) -> bool {
        self.security.allows(subject, object, op)
    }

    /// smoltcp sockets in use.
    fn in_use(&self) -> usize {
        self.set.iter().count()
    }

    /// True if some socket holds local `port` of `kind`.
    fn port_taken(&self, kind: u64, port: u16) -> bool {
        let held = self
            .sessions
            .values()
            .flat_map(|s| s.sockets.values())
            .any(|k| k.kind == kind && k.port() == Some(port));
        held || (kind == proto::KIND_TCP
            && self.closing.iter().any(|(h, _)| {
                self.set
                    .get::<tcp::Socket>(*h)
                    .local_endpoint()
                    .is_some_and(|e| e.port == port)
            }))
    }

    fn ephemeral_port(&mut self) -> Option<u16> {
        for _ in 0..(u16::MAX - EPHEMERAL_FIRST) {
            let p = self.next_ephemeral;
            self.next_ephemeral = if p == u16::MAX { EPHEMERAL_FIRST } else { p + 1 };
            if !self.port_taken(proto::KIND_TCP, p) {
                return Some(p);
            }
        }
        None
    }

    fn session(&mut self, badge: u64) -> Result<&mut Session, u64> {
        self.sessions.get_mut(&badge).ok_or(DENIED)
    }

    fn sock(&mut self, badge: u64, h: u32) -> Result<&mut Sock, u64> {
        self.session(badge)?.sockets.get_mut(&h).ok_or(proto::BAD_HANDLE)
    }

    /// Decides `op` on the object of socket `h` (through the cache,
    /// without copying the object's name).
    fn check_socket(&mut self, badge: u64, subject: u32, h: u32, op: Operation) -> Result<(), u64> {
        let k = self
            .sessions
            .get(&badge)
            .ok_or(DENIED)?
            .sockets
            .get(&h)
            .ok_or(proto::BAD_HANDLE)?;
        if k.object.is_empty() {
            return Err(proto::WRONG_STATE);
        }
        if self.security.allows(subject, k.object.as_str(), op) {
            Ok(())
        } else {
            Err(DENIED)
        }
    }

    /// Serves a decoded request of the session `badge`.
    fn execute(&mut self, badge: u64, req: Request) -> Result<Outcome, u64> {
        let subject = self.session(badge)?.subject;
        match req {
            Request::Socket(kind) => {
                let s = self.session(badge)?;
                let (h, record) = s.new_record(kind)?;
                s.sockets.insert(
                    h,
                    Sock {
                        kind,
                        state: State::Fresh,
                        object: String::new(),
                        record,
                    },
                );
                Ok(Reply::ok(&[h as u64]).into())
            }
            Request::Bind(h, port) => {
                let kind = self.sock(badge, h)?.kind;
                if !matches!(self.sock(badge, h)?.state, State::Fresh) {
                    return Err(proto::WRONG_STATE);
                }
                let object = proto::local_object(kind, port);
                if !self.allowed(subject, &object, Operation::Create) {
                    return Err(DENIED);
                }
                if self.port_taken(kind, port) {
                    return Err(proto::ADDRESS_IN_USE);
                }
                let state = if kind == proto::KIND_UDP {
                    if self.in_use() >= MAX_SMOLTCP_SOCKETS {
                        return Err(proto::TOO_MANY_SOCKETS);
                    }
                    let mut u = udp_socket();
                    u.bind(port).map_err(|_| BAD_REQUEST)?;
                    State::Datagram {
                        sock: self.set.add(u),
                        port,
                    }
                } else {
                    State::Bound(port)
                };
                let k = self.sock(badge, h)?;
                k.state = state;
                k.object = object;
                Ok(Reply::ok(&[]).into())
            }
            Request::Listen(h, backlog) => {
                if !(1..=MAX_BACKLOG).contains(&backlog) {
                    return Err(BAD_REQUEST);
                }
                let State::Bound(port) = self.sock(badge, h)?.state else {
                    return Err(proto::WRONG_STATE);
                };
                if !self.allowed(subject, &proto::local_object(proto::KIND_TCP, port), Operation::Create) {
                    return Err(DENIED);
                }
                if self.in_use() + backlog as usize > MAX_SMOLTCP_SOCKETS {
                    return Err(proto::TOO_MANY_SOCKETS);
                }
                let mut list = Vec::new();
                for _ in 0..backlog {
                    let mut t = tcp_socket();
                    t.listen(port).map_err(|_| BAD_REQUEST)?;
                    list.push(self.set.add(t));
                }
                self.sock(badge, h)?.state = State::Listening { port, backlog: list };
                Ok(Reply::ok(&[]).into())
            }
            Request::Accept(h) => {
                if !matches!(self.sock(badge, h)?.state, State::Listening { .. }) {
                    return Err(proto::WRONG_STATE);
                }
                self.check_socket(badge, subject, h, Operation::Read)?;
                self.try_or_wait(badge, h, Wait::Accept)
            }
            Request::Connect(h, addr, port) => {
                let k = self.sock(badge, h)?;
                let local = match k.state {
                    State::Fresh if k.kind == proto::KIND_TCP => None,
                    State::Bound(p) => Some(p),
                    _ => return Err(proto::WRONG_STATE),
                };
                let object = proto::remote_object(addr, port);
                if !self.allowed(subject, &object, Operation::Connect) {
                    return Err(DENIED);
                }
                let local = match local {
                    Some(p) => p,
                    None => self.ephemeral_port().ok_or(proto::ADDRESS_IN_USE)?,
                };
                if self.in_use() >= MAX_SMOLTCP_SOCKETS {
                    return Err(proto::TOO_MANY_SOCKETS);
                }
                let mut t = tcp_socket();
                let [a, b, c, d] = addr;
                let remote = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(a, b, c, d)), port);
                if t.connect(self.iface.context(), remote, local).is_err() {
                    return Err(BAD_REQUEST);
                }
                let sock = self.set.add(t);
                let k = self.sock(badge, h)?;
                k.state = State::Stream { sock, port: local };
                k.object = object;
                // The SYN goes now.
                self.poll();
                self.try_or_wait(badge, h, Wait::Connect)
            }
            Request::Send(h, data) => {
                if !matches!(self.sock(badge, h)?.state, State::Stream { .. }) {
                    return Err(proto::WRONG_STATE);
                }
                self.check_socket(badge, subject, h, Operation::Write)?;
                self.try_or_wait(badge, h, Wait::Send(data))
            }
            Request::Recv(h, max) => {
                if !matches!(self.sock(badge, h)?.state, State::Stream { .. }) {
                    return Err(proto::WRONG_STATE);
                }
                self.check_socket(badge, subject, h, Operation::Read)?;
                self.try_or_wait(badge, h, Wait::Recv(max))
            }
            Request::SendTo(h, addr, port, data) => {
                let State::Datagram { sock, .. } = self.sock(badge, h)?.state else {
                    return Err(proto::WRONG_STATE);
                };
                self.check_socket(badge, subject, h, Operation::Write)?;
                let [a, b, c, d] = addr;
                let to = IpEndpoint::new(IpAddress::Ipv4(Ipv4Address::new(a, b, c, d)), port);
                let u = self.set.get_mut::<udp::Socket>(sock);
                // A datagram the buffer has no room for is dropped, as UDP may.
                let n = if u.send_slice(&data, to).is_ok() { data.len() } else { 0 };
                Ok(Reply::ok(&[n as u64]).into())
            }
            Request::RecvFrom(h, max) => {
                if !matches!(self.sock(badge, h)?.state, State::Datagram { .. }) {
                    return Err(proto::WRONG_STATE);
                }
                self.check_socket(badge, subject, h, Operation::Read)?;
                self.try_or_wait(badge, h, Wait::RecvFrom(max))
            }
            Request::Close(h) => {
                let s = self.session(badge)?;
                if s.pending.as_ref().is_some_and(|p| p.handle == h) {
                    // Cannot happen with one thread per client: the caller
                    // of the waiting call is the one calling now.
                    return Err(proto::BUSY);
                }
                let sock = s.sockets.remove(&h).ok_or(proto::BAD_HANDLE)?;
                s.arena.free(sock.record);
                self.release(sock.state, false);
                Ok(Reply::ok(&[]).into())
            }
            Request::Netstat(first) => {
                if !self.allowed(subject, proto::NETSTAT_OBJECT, Operation::List) {
                    return Err(DENIED);
                }
                // The state as of now.
                self.poll();
                let rows = self.netstat_rows();
                let mut text = String::new();
                let mut count = 0u64;
                for r in rows.iter().skip(first).take(proto::NETSTAT_ROWS) {
                    text.push_str(r);
                    text.push('\n');
                    count += 1;
                }
                Ok(Outcome::Data(
                    vec![count, rows.len() as u64, text.len() as u64],
                    text.into_bytes(),
                ))
            }
        }
    }

    /// Gives a socket's smoltcp sockets back: UDP and listening ones at
    /// once, a connection once its FIN (`abort`: RST) is out.
    fn release(&mut self, state: State, abort: bool) {
        match state {
            State::Fresh | State::Bound(_) => {}
            State::Datagram { sock, .. } => {
                self.set.remove(sock);
            }
            State::Listening { backlog, .. } => {
                for b in backlog {
                    // A connection not yet accepted is refused.
                    self.set.get_mut::<tcp::Socket>(b).abort();
                    self.closing.push((b, 0));
                }
            }
            State::Stream { sock, .. } => {
                let t = self.set.get_mut::<tcp::Socket>(sock);
                if abort {
                    t.abort();
                } else {
                    t.close();
                }
                self.closing.push((sock, now().total_millis() + CLOSE_GRACE_MS));
            }
        }
        self.poll();
    }

    /// Completes the call on socket `h` now if it can be, or saves the
    /// caller's reply capability and makes it the session's waiting call.
    fn try_or_wait(&mut self, badge: u64, h: u32, wait: Wait) -> Result<Outcome, u64> {
        if let Some(done) = self.attempt(badge, h, &wait) {
            return done;
        }
        if self.session(badge)?.pending.is_some() {
            return Err(proto::BUSY);
        }
        let slot = self.free_slots.pop().ok_or(proto::BUSY)?;
        let own: Cap<CNode> = Cap::from_cptr(SLOT_OWN_CNODE);
        if own.cnode_save_caller(slot, CNODE_BITS).is_err() {
            self.free_slots.push(slot);
            return Err(proto::BUSY);
        }
        self.session(badge)?.pending = Some(Pending { handle: h, wait, slot });
        Ok(Outcome::Wait)
    }

    /// The answer to `wait` on socket `h` if it has one now.
    fn attempt(&mut self, badge: u64, h: u32, wait: &Wait) -> Option<Result<Outcome, u64>> {
        /// What the socket is, without borrowing it.
        enum Is {
            Listening(u16, Option<usize>),
            Stream(SocketHandle),
            Datagram(SocketHandle),
            Other,
        }
        let is = match self.sessions.get(&badge).map(|s| s.sockets.get(&h).map(|k| &k.state)) {
            None => return Some(Err(DENIED)),
            Some(None) => return Some(Err(proto::BAD_HANDLE)),
            Some(Some(State::Listening { port, backlog })) => Is::Listening(
                *port,
                backlog.iter().position(|b| acceptable(self.set.get::<tcp::Socket>(*b))),
            ),
            Some(Some(State::Stream { sock, .. })) => Is::Stream(*sock),
            Some(Some(State::Datagram { sock, .. })) => Is::Datagram(*sock),
            Some(Some(_)) => Is::Other,
        };
        match (wait, is) {
            (Wait::Accept, Is::Listening(port, ready)) => ready.map(|i| self.accept(badge, h, port, i)),
            (Wait::Connect, Is::Stream(sock)) => match self.set.get::<tcp::Socket>(sock).state() {
                tcp::State::SynSent | tcp::State::SynReceived => None,
                tcp::State::Closed => Some(Err(proto::CONNECTION_REFUSED)),
                _ => Some(Ok(Reply::ok(&[]).into())),
            },
            (Wait::Send(data), Is::Stream(sock)) => {
                let t = self.set.get_mut::<tcp::Socket>(sock);
                if !t.may_send() {
                    return Some(Err(proto::CONNECTION_RESET));
                }
                if data.is_empty() {
                    return Some(Ok(Reply::ok(&[0]).into()));
                }
                let n = t.send_slice(data).unwrap_or(0);
                (n > 0).then(|| Ok(Reply::ok(&[n as u64]).into()))
            }
            (Wait::Recv(max), Is::Stream(sock)) => {
                let t = self.set.get_mut::<tcp::Socket>(sock);
                if t.can_recv() {
                    let mut buf = vec![0u8; *max];
                    let n = t.recv_slice(&mut buf).unwrap_or(0);
                    buf.truncate(n);
                    Some(Ok(Outcome::Data(vec![n as u64], buf)))
                } else if finished(t) || *max == 0 {
                    Some(Ok(Outcome::Data(vec![0], Vec::new())))
                } else {
                    None
                }
            }
            (Wait::RecvFrom(max), Is::Datagram(sock)) => {
                let u = self.set.get_mut::<udp::Socket>(sock);
                if !u.can_recv() {
                    return None;
                }
                // A datagram longer than asked for is cut (`recv_slice`
                // would drop it and leave the caller waiting).
                let (payload, meta) = u.recv().ok()?;
                let n = payload.len().min(*max);
                let buf = payload[..n].to_vec();
                let from = proto::ipv4_word(octets_of(meta.endpoint.addr));
                Some(Ok(Outcome::Data(vec![n as u64, from, meta.endpoint.port as u64], buf)))
            }
            // The socket changed under the waiting call (cannot happen:
            // only its own client changes it, and that client waits).
            _ => Some(Err(proto::WRONG_STATE)),
        }
    }

    /// Takes the `i`th backlog connection of listening socket `h` as a new
    /// socket of the session; a fresh socket listens in its place.
    fn accept(&mut self, badge: u64, h: u32, port: u16, i: usize) -> Result<Outcome, u64> {
        let (nh, record) = self.session(badge)?.new_record(proto::KIND_TCP)?;
        let mut fresh = tcp_socket();
        let again = fresh.listen(port).is_ok().then(|| self.set.add(fresh));
        let s = self.session(badge)?;
        let Some(Sock {
            state: State::Listening { backlog, .. },
            ..
        }) = s.sockets.get_mut(&h)
        else {
            s.arena.free(record);
            if let Some(a) = again {
                self.set.remove(a);
            }
            return Err(proto::WRONG_STATE);
        };
        let conn = match again {
            Some(a) => core::mem::replace(&mut backlog[i], a),
            None => backlog.remove(i),
        };
        s.sockets.insert(
            nh,
            Sock {
                kind: proto::KIND_TCP,
                state: State::Stream { sock: conn, port },
                object: proto::local_object(proto::KIND_TCP, port),
                record,
            },
        );
        let peer = self.set.get::<tcp::Socket>(conn).remote_endpoint();
        let (addr, pport) = peer.map_or((0, 0), |e| (proto::ipv4_word(octets_of(e.addr)), e.port as u64));
        Ok(Reply::ok(&[nh as u64, addr, pport]).into())
    }

    /// Runs smoltcp until it waits for the network, then drops closed
    /// connections whose last segment is out.
    fn poll(&mut self) {
        // Connections closed too long ago are reset (the RST goes below).
        let t = now().total_millis();
        for (h, deadline) in &self.closing {
            if t > *deadline {
                self.set.get_mut::<tcp::Socket>(*h).abort();
            }
        }
        loop {
            let t = now();
            let mut taken = 0;
            while taken < INGRESS_BATCH
                && self.iface.poll_ingress_single(t, &mut self.dev, &mut self.set) != PollIngressSingleResult::None
            {
                taken += 1;
            }
            while self.iface.poll_egress(t, &mut self.dev, &mut self.set) != PollResult::None {}
            self.dev.notify_peers(self.rx_ch, self.tx_ch);
            if taken == INGRESS_BATCH {
                continue;
            }
            if !self.dev.wait_for_frames() {
                break;
            }
        }
        let set = &mut self.set;
        self.closing.retain(|(h, _)| {
            let done = matches!(
                set.get::<tcp::Socket>(*h).state(),
                tcp::State::Closed | tcp::State::TimeWait
            );
            if done {
                set.remove(*h);
            }
            !done
        });
    }

    /// Answers every waiting call whose socket is ready; true if it
    /// answered any.
    fn wake(&mut self) -> bool {
        let mut answered = false;
        let ready: Vec<(u64, u32, Wait)> = self
            .sessions
            .iter()
            .filter_map(|(b, s)| s.pending.as_ref().map(|p| (*b, p.handle, p.wait.clone())))
            .collect();
        for (badge, h, wait) in ready {
            let Some(outcome) = self.attempt(badge, h, &wait) else {
                continue;
            };
            let Some(p) = self.sessions.get_mut(&badge).and_then(|s| s.pending.take()) else {
                continue;
            };
            let (info, mrs) = match outcome {
                Ok(Outcome::Reply(r)) => (MessageInfo::new(r.label, 0, 0, r.len), r.words),
                Ok(Outcome::Data(w, bytes)) => long_reply(&w, &bytes),
                Ok(Outcome::Wait) => (MessageInfo::new(proto::BUSY, 0, 0, 0), [0; 4]),
                Err(l) => (MessageInfo::new(l, 0, 0, 0), [0; 4]),
            };
            // The slot is empty if the caller is gone: nothing is sent.
            syscall::nb_send(p.slot, info, mrs);
            self.free_slots.push(p.slot);
            answered = true;
        }
        answered
    }

    /// Lets smoltcp run, then answers what became ready.
    fn pump(&mut self) {
        self.poll();
        // Answers that took data (room in a window) or finished a socket
        // may have something more to send.
        if self.wake() {
            self.poll();
        }
    }

    /// `NETSTAT` lines: every socket of every session, then the closing
    /// connections (and any smoltcp socket nothing refers to).
    fn netstat_rows(&self) -> Vec<String> {
        let mut rows = Vec::new();
        let [a, b, c, d] = ADDRESS;
        let me = |p: Option<u16>| p.map_or("*".to_string(), |p| format!("{a}.{b}.{c}.{d}:{p}"));
        for (badge, s) in &self.sessions {
            let owner = ClientBadge::from_badge(*badge).map_or(0, |c| c.client);
            for k in s.sockets.values() {
                let (peer, state) = match &k.state {
                    State::Fresh => (
                        "*".to_string(),
                        if k.kind == proto::KIND_UDP { "UNBOUND" } else { "CLOSED" }.to_string(),
                    ),
                    State::Bound(_) => ("*".to_string(), "BOUND".to_string()),
                    State::Listening { .. } => ("*".to_string(), "LISTEN".to_string()),
                    State::Stream { sock, .. } => {
                        let t = self.set.get::<tcp::Socket>(*sock);
                        (endpoint_text(t.remote_endpoint()), t.state().to_string())
                    }
                    State::Datagram { .. } => ("*".to_string(), "BOUND".to_string()),
                };
                rows.push(row(proto::kind_name(k.kind), &me(k.port()), &peer, &state, owner));
            }
        }
        // The closing connections (owner 0), and (a check on this
        // server's books) any smoltcp socket nothing refers to (owner
        // `NO_OWNER`).
        let mut known: Vec<SocketHandle> = Vec::new();
        for k in self.sessions.values().flat_map(|s| s.sockets.values()) {
            match &k.state {
                State::Stream { sock, .. } | State::Datagram { sock, .. } => known.push(*sock),
                State::Listening { backlog, .. } => known.extend(backlog.iter().copied()),
                State::Fresh | State::Bound(_) => {}
            }
        }
        for (h, sock) in self.set.iter() {
            if known.contains(&h) {
                continue;
            }
            let owner = if self.closing.iter().any(|(c, _)| *c == h) {
                0
            } else {
                proto::NO_OWNER
            };
            match sock {
                Socket::Tcp(t) => {
                    let local = endpoint_text(t.local_endpoint());
                    let state = t.state().to_string();
                    rows.push(row("tcp", &local, &endpoint_text(t.remote_endpoint()), &state, owner));
                }
                Socket::Udp(u) => rows.push(row("udp", &format!("*:{}", u.endpoint().port), "*", "BOUND", owner)),
            }
        }
        rows
    }

    /// Ends the session whose donation is at `address`: its waiting call
    /// is dropped, its sockets closed (connections reset). Returns how
    /// many sessions ended.
    fn close_session(&mut self, address: u64) -> u64 {
        let gone: Vec<u64> = self
            .sessions
            .iter()
            .filter(|(_, s)| s.arena.address() == address)
            .map(|(b, _)| *b)
            .collect();
        for b in &gone {
            let Some(s) = self.sessions.remove(b) else {
                continue;
            };
            if let Some(p) = s.pending {
                // The caller is gone (or going): its reply capability too.
                let own: Cap<CNode> = Cap::from_cptr(SLOT_OWN_CNODE);
                let _ = own.cnode_delete(p.slot, CNODE_BITS);
                self.free_slots.push(p.slot);
            }
            for (_, sock) in s.sockets {
                self.release(sock.state, true);
            }
        }
        gone.len() as u64
    }
}

fn row(proto_name: &str, local: &str, peer: &str, state: &str, owner: u16) -> String {
    proto::Row {
        proto: proto_name,
        local,
        peer,
        state,
        owner,
    }
    .to_string()
}

/// An `OK` reply of `words` then `bytes`: words 4 and up are written into
/// the IPC buffer; returns the message info and the first four words.
fn long_reply(words: &[u64], bytes: &[u8]) -> (MessageInfo, [u64; 4]) {
    let mut out = Outgoing::new();
    for w in words {
        out.word(*w);
    }
    out.bytes(bytes);
    out.finish(OK)
}

impl Handler for SocketServer {
    fn init(&mut self) {
        // This client owns its transmit buffers (a replacement finds them
        // in circulation).
        if !self.replacement {
            self.dev.fill_tx();
        }
        let [a, b, c, d] = ADDRESS;
        println!(
            "{}: serving TCP and UDP sockets on {a}.{b}.{c}.{d} (service net)",
            microkit::name()
        );
        self.poll();
    }

    fn notified(&mut self, _ch: Channel) {
        self.pump();
    }
}

impl Server for SocketServer {
    fn handle(&mut self, client: ClientBadge, label: u64, m: &Received) -> Reply {
        match label {
            proto::OPEN_SESSION => {
                let Some(OpenedSession {
                    badge: b,
                    client: c,
                    arena,
                }) = donated::open_session(client, m)
                else {
                    return Reply::error(BAD_REQUEST);
                };
                if !self.sessions.contains_key(&b) && self.sessions.len() >= MAX_SESSIONS {
                    // The arena is let go untouched.
                    return Reply::error(QUOTA_EXHAUSTED);
                }
                // A client that was replaced gets a fresh session: its old
                // sockets went with the old one.
                if let Some(old) = self.sessions.get(&b).map(|s| s.arena.address()) {
                    self.close_session(old);
                }
                self.sessions.insert(
                    b,
                    Session {
                        subject: c.client as u32,
                        arena,
                        sockets: BTreeMap::new(),
                        next_handle: 1,
                        pending: None,
                    },
                );
                Reply::ok(&[])
            }
            proto::CLOSE_SESSION => {
                let Some(address) = donated::close_session(client, m) else {
                    return Reply::error(BAD_REQUEST);
                };
                let n = self.close_session(address);
                self.pump();
                Reply::ok(&[n])
            }
            proto::STATS => Reply::ok(&self.security.stats()),
            _ => {
                let badge = client.to_badge();
                let outcome = decode(label, m).and_then(|req| self.execute(badge, req));
                // Other sessions' answers go first: the reply below may be
                // a long one, written into the IPC buffer.
                self.pump();
                match outcome {
                    Ok(Outcome::Reply(r)) => r,
                    Ok(Outcome::Data(w, bytes)) => {
                        let (info, mrs) = long_reply(&w, &bytes);
                        Reply::long(OK, mrs, info.length())
                    }
                    Ok(Outcome::Wait) => Reply::none(),
                    Err(l) => Reply::error(l),
                }
            }
        }
    }

    fn on_signal(&mut self, bits: u64) {
        if bits & FLUSH_SIGNAL != 0 {
            self.security.policy_changed();
        }
    }

    fn save(&self, _buf: &mut [u8]) -> usize {
        // Connections do not survive a replacement.
        0
    }
}

fn main(boot: pride_rt::component::Boot) -> ! {
    let (mut dev, mac, rx_ch, tx_ch) = SddfDevice::from_config(&CONFIG.bytes());
    let iface = interface(&mut dev, mac);
    let Some(security) = Mediator::register(supervisor::connection(0)) else {
        supervisor::start_failed("net_sockets: cannot reach the security server");
    };
    let server = SocketServer {
        dev,
        iface,
        set: SocketSet::new(Vec::new()),
        rx_ch,
        tx_ch,
        security,
        sessions: BTreeMap::new(),
        free_slots: (0..MAX_SESSIONS as u64).rev().map(|i| REPLY_SLOT_BASE + i).collect(),
        closing: Vec::new(),
        next_ephemeral: EPHEMERAL_FIRST,
        replacement: microkit::is_replacement(&boot),
    };
    microkit::run_server(server, boot.generation)
}
