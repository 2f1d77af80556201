//! # fs: the file server
//!
//! A Microkit PD of the `files` system (`lionsos-compat/systems/files.py`):
//! the block virtualiser's client on partition 0, on which it keeps a
//! littlefs file system (`fs-core`), and a Pride object server (its
//! manifest offers `fs` and wants `security`; it runs with
//! `microkit::run_server`). Protocol: `pride_supervisor_api::fs`.
//!
//! - **Mediation.** Every request is decided for the client's subject on
//!   `fs:PATH` with the operations `fs_core::path::checks` names, through
//!   the decision cache (`object_server::Mediator`), emptied when the
//!   policy changes. Reads and writes through a handle are asked again on
//!   every request, so a new policy applies to open files too.
//! - **Sessions.** The supervisor opens a session for each admitted client
//!   with the memory the client donated (`OPEN_SESSION`); the session's
//!   open files (`fs_core::Session`) are charged to it: each open handle
//!   keeps a record of its path in the donated memory, so a client that
//!   opens too much runs out of its own memory (`QUOTA_EXHAUSTED`), not the
//!   server's. `CLOSE_SESSION` forgets the session and its handles.
//! - **Buffers in the client's memory.** Each session has a write-back
//!   buffer and a read-ahead cache of 30 KiB each, made from its donated
//!   memory (when it has room; otherwise requests go straight through):
//!   consecutive `WRITE`s to one handle collect there and go to littlefs
//!   together, and a `READ` is served from the bytes the last one read
//!   ahead while nothing changed the file system since. Any request other
//!   than such a `WRITE` first sends every session's buffered writes to
//!   littlefs, so no request (the LionsOS client's included) sees the file
//!   system without a write that was answered.
//! - **Durability.** A request other than `WRITE` that changes the file
//!   system is on the disk (littlefs committed, the device flushed) when
//!   it is answered; a `WRITE` is when its session next does anything
//!   else (`SYNC`, `CLOSE`, ...), when its session ends, and before an
//!   update or a supervisor's restart takes the server over (`quiesce`).
//!   As with Posix, written and synced data survives a crash; a crash at
//!   any point leaves the state before or after each littlefs operation
//!   (littlefs is copy-on-write), and loses the writes still buffered. A
//!   buffered write that fails on its way to the disk is reported at the
//!   session's next `WRITE`, `SYNC` or `CLOSE`. After a restart or an
//!   update the new instance mounts what is there.
//! - **Fault injection** (for the `files` scenario): `FAULT_AFTER n` makes
//!   the server die just before its `n`-th next write to the disk, in the
//!   middle of whatever request it is serving; only clients the policy
//!   lets write `fs-debug:fault` may ask.

#![no_std]
#![no_main]
#![forbid(unsafe_code)]

extern crate alloc;

mod disk;

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;

use fs_core::path::{checks, Access};
use fs_core::{FileSystem, FsError, FsPath, Handle, Kind, MountPolicy, OpenFlags, Session};
use kernel_iface::syscall::Received;
use microkit::{Channel, Handler, SharedRegion};
use object_server::Mediator;
use pride_rt::donated::{self, Block, OpenedSession, SessionArena};
use pride_rt::msg::{self, Outgoing};
use pride_rt::server::{Reply, Server};
use pride_rt::{println, supervisor};
use pride_supervisor_api::fs::{self as proto, Request, DATA_MAX, MAX_OPEN};
use pride_supervisor_api::{ClientBadge, BAD_REQUEST, DENIED, NOT_FOUND, OK, QUOTA_EXHAUSTED, TOO_LARGE};
use sddf::config::blk::BlkClientConfig;
use security_srv::Operation;

use crate::disk::SddfDisk;
use fs_lions::LionsClient;

microkit::config_section!(CONFIG, ".blk_client_config", 80);
// A LionsOS file-system client's connection, when the system has one
// (sdfgen's `LionsOs.FileSystem`); zeros otherwise.
microkit::config_section!(FS_CONFIG, ".fs_server_config", 64);

pride_rt::component_entry!(main);

/// Test hook: w0 = the write to the disk (from now, counting from 1) just
/// before which the server dies (0: never). Allowed to whom the policy
/// lets write [`FAULT_OBJECT`].
pub const FAULT_AFTER: u64 = 15;
/// The security object of the fault-injection hook.
pub const FAULT_OBJECT: &str = "fs-debug:fault";
/// Benchmark baseline: w0 = 0 read, 1 write; w1 = blocks (at most
/// [`disk::RAW_BLOCKS`]). Moves that many 4 KiB blocks between the
/// server's data region and the partition's spare tail (past the file
/// system, which it never touches), through the same sDDF block path as
/// the file system but without littlefs or a client's IPC per piece.
/// Allowed to whom the policy lets read [`BENCH_OBJECT`].
pub const BENCH_RAW: u64 = 16;
/// The security object of the benchmark hook.
pub const BENCH_OBJECT: &str = "fs-debug:bench";

/// Bytes of a session's write-back buffer and of its read cache, both in
/// the client's donated memory (64 KiB a session, with the handle records).
const WRITE_BUF: usize = 30 * 1024;
const READ_BUF: usize = 30 * 1024;

/// Writes to one handle waiting to go to the file system together: bytes
/// `start..start + len` of the file.
struct WriteBuf {
    handle: Handle,
    start: u64,
    len: usize,
    block: Block,
}

/// Bytes `start..start + len` of one handle's file, read ahead, valid
/// while the file system's [`FsServer::generation`] is `generation`.
struct ReadCache {
    handle: Handle,
    start: u64,
    len: usize,
    generation: u64,
    block: Block,
}

/// One admitted client.
struct ClientSession {
    subject: u32,
    files: Session,
    /// The memory the client donated, and per open handle the record
    /// charged to it.
    arena: SessionArena,
    records: BTreeMap<u32, Block>,
    wbuf: Option<WriteBuf>,
    rcache: Option<ReadCache>,
    /// A buffered write that failed when it went to the disk: reported at
    /// the session's next `WRITE`, `SYNC` or `CLOSE` (as Posix reports a
    /// failed write-back at `fsync`/`close`).
    deferred: Option<FsError>,
}

impl ClientSession {
    /// Writes the buffered bytes to the file system.
    fn flush(&mut self, fs: &mut FileSystem<SddfDisk>) -> Result<(), FsError> {
        let ClientSession { files, arena, wbuf, .. } = self;
        let Some(w) = wbuf.as_mut().filter(|w| w.len > 0) else {
            return Ok(());
        };
        let len = core::mem::take(&mut w.len);
        let data = arena.load(&w.block).get(..len).unwrap_or(&[]);
        match fs.write_at(files, w.handle, w.start, data) {
            Ok(n) if n == len => Ok(()),
            Ok(_) => Err(FsError::NoSpace),
            Err(e) => Err(e),
        }
    }
}

struct FsServer {
    fs: FileSystem<SddfDisk>,
    /// The security server and the decisions cached from it.
    security: Mediator,
    sessions: BTreeMap<u64, ClientSession>,
    lions: Option<Lions>,
    /// Grows with every request that may change the file system: read
    /// caches of an older generation are stale.
    generation: u64,
}

/// The LionsOS client on a channel (`fs_lions`), and the security subject
/// its requests are decided for: the component the supervisor says is at
/// the other end (none known: every request is denied).
struct Lions {
    ch: Channel,
    subject: u32,
    client: LionsClient<SharedRegion>,
    /// The client corrupted its queue indices: it is not served any more.
    broken: bool,
}

/// The reply label for an error of the file system.
fn label_of(e: FsError) -> u64 {
    match e {
        FsError::BadPath | FsError::BadFlags | FsError::BadOffset | FsError::WrongMode => BAD_REQUEST,
        FsError::NameTooLong | FsError::TooLarge => TOO_LARGE,
        FsError::NotFound => NOT_FOUND,
        FsError::Exists => proto::EXISTS,
        FsError::NotADirectory => proto::NOT_A_DIRECTORY,
        FsError::IsADirectory => proto::IS_A_DIRECTORY,
        FsError::NotEmpty => proto::NOT_EMPTY,
        FsError::BadHandle => proto::BAD_HANDLE,
        FsError::TooManyOpen => proto::TOO_MANY_OPEN,
        FsError::NoSpace => proto::NO_SPACE,
        FsError::Io
        | FsError::Corrupt
        | FsError::DeviceTooSmall
        | FsError::Unformatted
        | FsError::Incompatible
        | FsError::NotMounted
        | FsError::Internal => proto::IO_ERROR,
    }
}

fn error(e: FsError) -> Reply {
    Reply::error(label_of(e))
}

/// A path the client sent, checked.
fn path_of(bytes: &[u8]) -> Result<FsPath, Reply> {
    FsPath::parse_bytes(bytes).map_err(error)
}

impl FsServer {
    /// Whether `subject` may do what `access` needs (every check).
    fn allowed(&mut self, subject: u32, access: &Access<'_>) -> bool {
        checks(access)
            .iter()
            .all(|c| self.allows(subject, &c.object, c.operation))
    }

    /// One decision, from the cache or the security server.
    fn allows(&mut self, subject: u32, object: &str, op: Operation) -> bool {
        self.security.allows(subject, object, op)
    }

    /// Sends every session's buffered writes to the file system, so that
    /// whatever comes next sees them. A failure is kept for its session.
    fn flush_all(&mut self) {
        for s in self.sessions.values_mut() {
            if let Err(e) = s.flush(&mut self.fs) {
                s.deferred = Some(e);
            }
        }
    }

    /// Serves a request of an admitted client. Writes are buffered per
    /// session (appending to one handle), and every other request first
    /// sends all buffered writes to the file system, so that no request
    /// sees the file system without a write that was answered.
    fn serve(&mut self, badge: u64, label: u64, m: &Received) -> Result<Reply, Reply> {
        let subject = self.sessions.get(&badge).ok_or(Reply::error(DENIED))?.subject;
        let deny = || Reply::error(DENIED);
        if label != proto::WRITE {
            self.flush_all();
        }
        if !matches!(label, proto::READ | proto::STAT | proto::READDIR | proto::DF) {
            self.generation += 1;
        }
        // Everything the client sent, read before any other system call.
        let mut words = [0u64; msg::MAX_WORDS];
        let mut bytes = [0u8; msg::MAX_WORDS * 8];
        let request =
            proto::decode(label, msg::words(m, &mut words), &mut bytes).map_err(|e| Reply::error(e.label()))?;
        match request {
            Request::Open { flags: bits, path } => {
                let flags = u8::try_from(bits)
                    .map_err(|_| FsError::BadFlags)
                    .and_then(OpenFlags::from_bits)
                    .map_err(error)?;
                let path = path_of(path)?;
                if !self.allowed(subject, &Access::Open(&path, flags)) {
                    return Err(deny());
                }
                let s = self.sessions.get_mut(&badge).ok_or_else(deny)?;
                // The handle's record, in the client's donated memory.
                let record = s
                    .arena
                    .store(&[&[flags.bits()], path.as_str().as_bytes()])
                    .ok_or(Reply::error(QUOTA_EXHAUSTED))?;
                match self.fs.open(&mut s.files, &path, flags) {
                    Ok(h) => {
                        s.records.insert(h.0, record);
                        Ok(Reply::ok(&[h.0 as u64]))
                    }
                    Err(e) => {
                        s.arena.free(record);
                        Err(error(e))
                    }
                }
            }
            Request::Close { handle: h } => {
                let h = Handle(u32::try_from(h).map_err(|_| Reply::error(proto::BAD_HANDLE))?);
                let s = self.sessions.get_mut(&badge).ok_or_else(deny)?;
                s.files.close(h).map_err(error)?;
                if let Some(b) = s.records.remove(&h.0) {
                    s.arena.free(b);
                }
                if let Some(c) = s.rcache.as_mut().filter(|c| c.handle == h) {
                    c.len = 0;
                    c.generation = u64::MAX;
                }
                match s.deferred.take() {
                    Some(e) => Err(error(e)),
                    None => Ok(Reply::ok(&[])),
                }
            }
            Request::Read { handle: h, offset, max } => {
                let h = self.open_handle(badge, h)?;
                let path = self.path_of(badge, h)?;
                if !self.allowed(subject, &Access::Read(&path)) {
                    return Err(deny());
                }
                let want = (max as usize).min(DATA_MAX);
                let generation = self.generation;
                let s = self.sessions.get_mut(&badge).ok_or_else(deny)?;
                let ClientSession {
                    files, arena, rcache, ..
                } = s;
                // A read-ahead cache hit: the wanted bytes are in it, or it
                // reaches the end of the file.
                let hit = rcache.as_ref().is_some_and(|c| {
                    c.handle == h
                        && c.generation == generation
                        && offset >= c.start
                        && (offset + want as u64 <= c.start + c.len as u64 || c.len < READ_BUF)
                });
                if !hit {
                    if rcache.is_none() {
                        *rcache = arena.store(&[&[0u8; READ_BUF]]).map(|block| ReadCache {
                            handle: h,
                            start: 0,
                            len: 0,
                            generation: u64::MAX,
                            block,
                        });
                    }
                    match rcache.as_mut() {
                        Some(c) => {
                            (c.len, c.generation) = (0, u64::MAX);
                            c.len = self
                                .fs
                                .read_at(files, h, offset, arena.load_mut(&c.block))
                                .map_err(error)?;
                            (c.handle, c.start, c.generation) = (h, offset, generation);
                        }
                        None => {
                            // No room for a cache in the client's memory:
                            // read just what was asked.
                            let mut buf = alloc::vec![0u8; want];
                            let n = self.fs.read_at(files, h, offset, &mut buf).map_err(error)?;
                            let mut out = Outgoing::new();
                            out.word(n as u64).bytes(&buf[..n]);
                            let (info, mrs) = out.finish(OK);
                            return Ok(Reply::long(OK, mrs, info.length()));
                        }
                    }
                }
                let c = rcache.as_ref().ok_or_else(deny)?;
                let from = ((offset - c.start) as usize).min(c.len);
                let n = want.min(c.len - from);
                let bytes = arena.load(&c.block).get(from..from + n).unwrap_or(&[]);
                let mut out = Outgoing::new();
                out.word(bytes.len() as u64).bytes(bytes);
                let (info, mrs) = out.finish(OK);
                Ok(Reply::long(OK, mrs, info.length()))
            }
            Request::Write {
                handle: h,
                offset,
                data,
            } => {
                let h = self.open_handle(badge, h)?;
                let path = self.path_of(badge, h)?;
                if !self.allowed(subject, &Access::Write(&path)) {
                    return Err(deny());
                }
                let s = self.sessions.get_mut(&badge).ok_or_else(deny)?;
                if let Some(e) = s.deferred.take() {
                    return Err(error(e));
                }
                let appends = s.wbuf.as_ref().is_some_and(|w| {
                    w.handle == h && w.start + w.len as u64 == offset && w.len + data.len() <= WRITE_BUF
                });
                if !appends {
                    s.flush(&mut self.fs).map_err(error)?;
                    // What the file system would refuse now must not be
                    // buffered: a handle not open for writing, or a
                    // write past the end (no holes).
                    let f = s.files.get(h).map_err(error)?;
                    if !f.flags.contains(OpenFlags::WRITE) {
                        return Err(error(FsError::WrongMode));
                    }
                    let size = self.fs.stat_handle(&s.files, h).map_err(error)?.size;
                    if offset > size || f.flags.contains(OpenFlags::APPEND) {
                        let n = self.fs.write_at(&mut s.files, h, offset, data).map_err(error)?;
                        return Ok(Reply::ok(&[n as u64]));
                    }
                    if s.wbuf.is_none() {
                        s.wbuf = s.arena.store(&[&[0u8; WRITE_BUF]]).map(|block| WriteBuf {
                            handle: h,
                            start: 0,
                            len: 0,
                            block,
                        });
                    }
                    match s.wbuf.as_mut() {
                        Some(w) => (w.handle, w.start, w.len) = (h, offset, 0),
                        None => {
                            // No room in the client's memory: write through.
                            let n = self.fs.write_at(&mut s.files, h, offset, data).map_err(error)?;
                            return Ok(Reply::ok(&[n as u64]));
                        }
                    }
                }
                let ClientSession { arena, wbuf, .. } = s;
                let w = wbuf.as_mut().ok_or_else(deny)?;
                let room = arena.load_mut(&w.block);
                room.get_mut(w.len..w.len + data.len())
                    .ok_or_else(deny)?
                    .copy_from_slice(data);
                w.len += data.len();
                Ok(Reply::ok(&[data.len() as u64]))
            }
            Request::Stat { path } => {
                let path = path_of(path)?;
                if !self.allowed(subject, &Access::Stat(&path)) {
                    return Err(deny());
                }
                let st = self.fs.stat(&path).map_err(error)?;
                let kind = match st.kind {
                    Kind::File => proto::KIND_FILE,
                    Kind::Dir => proto::KIND_DIR,
                };
                Ok(Reply::ok(&[kind, st.size]))
            }
            Request::ReadDir { start, path } => {
                let path = path_of(path)?;
                if !self.allowed(subject, &Access::List(&path)) {
                    return Err(deny());
                }
                let start = usize::try_from(start).map_err(|_| Reply::error(BAD_REQUEST))?;
                let (entries, _) = self.fs.read_dir_page(&path, start, 64).map_err(error)?;
                let room = (msg::MAX_WORDS - 2) * 8;
                let mut text = String::new();
                let mut count = 0u64;
                for e in &entries {
                    let kind = if e.kind == Kind::Dir { 'd' } else { 'f' };
                    let line = format!("{kind} {} {}\n", e.size, e.name);
                    if text.len() + line.len() > room {
                        break;
                    }
                    text.push_str(&line);
                    count += 1;
                }
                let mut out = Outgoing::new();
                out.word(count).word(text.len() as u64).bytes(text.as_bytes());
                let (info, mrs) = out.finish(OK);
                Ok(Reply::long(OK, mrs, info.length()))
            }
            Request::Mkdir { path } | Request::Unlink { path } => {
                let path = path_of(path)?;
                let access = if label == proto::MKDIR {
                    Access::Mkdir(&path)
                } else {
                    Access::Remove(&path)
                };
                if !self.allowed(subject, &access) {
                    return Err(deny());
                }
                let r = if label == proto::MKDIR {
                    self.fs.mkdir(&path)
                } else {
                    self.fs.remove(&path)
                };
                r.map_err(error)?;
                Ok(Reply::ok(&[]))
            }
            Request::Rename { from, to } => {
                let (from, to) = (path_of(from)?, path_of(to)?);
                if !self.allowed(subject, &Access::Rename(&from, &to)) {
                    return Err(deny());
                }
                self.fs.rename(&from, &to).map_err(error)?;
                Ok(Reply::ok(&[]))
            }
            Request::Sync { handle: h } => {
                // `fsync` of a file: decided on the file.
                let h = self.open_handle(badge, h)?;
                let path = self.path_of(badge, h)?;
                if !self.allowed(subject, &Access::Write(&path)) {
                    return Err(deny());
                }
                if let Some(e) = self.sessions.get_mut(&badge).and_then(|s| s.deferred.take()) {
                    return Err(error(e));
                }
                self.fs.sync().map_err(error)?;
                Ok(Reply::ok(&[]))
            }
            Request::Df => {
                if !self.allowed(subject, &Access::Usage) {
                    return Err(deny());
                }
                let u = self.fs.usage().map_err(error)?;
                Ok(Reply::ok(&[u.total_bytes, u.free_bytes, fs_core::BLOCK_SIZE as u64]))
            }
        }
    }

    fn open_handle(&self, badge: u64, h: u64) -> Result<Handle, Reply> {
        u32::try_from(h)
            .map(Handle)
            .map_err(|_| Reply::error(proto::BAD_HANDLE))
            .and_then(|h| {
                let s = self.sessions.get(&badge).ok_or(Reply::error(DENIED))?;
                s.files.get(h).map(|_| h).map_err(error)
            })
    }

    fn path_of(&self, badge: u64, h: Handle) -> Result<FsPath, Reply> {
        let s = self.sessions.get(&badge).ok_or(Reply::error(DENIED))?;
        s.files.get(h).map(|f| f.path.clone()).map_err(error)
    }
}

impl Handler for FsServer {
    fn init(&mut self) {}

    /// Replaced (an update or a restart the supervisor asks for): what
    /// clients wrote goes to the disk first.
    fn quiesce(&mut self) {
        self.flush_all();
    }

    /// The LionsOS client's channel: serve its commands. (The block
    /// virtualiser's signals matter only while a request waits for the
    /// disk, `microkit::wait_channel`; one arriving here is late.)
    fn notified(&mut self, ch: Channel) {
        let FsServer {
            fs,
            security,
            lions,
            sessions,
            generation,
        } = self;
        if !lions.as_ref().is_some_and(|l| l.ch == ch && !l.broken) {
            return;
        }
        // The LionsOS client must see what Pride clients wrote, and their
        // read caches what it writes.
        for s in sessions.values_mut() {
            if let Err(e) = s.flush(fs) {
                s.deferred = Some(e);
            }
        }
        *generation += 1;
        let Some(l) = lions.as_mut() else {
            return;
        };
        let subject = l.subject;
        let mut allowed = |a: &Access<'_>| {
            checks(a)
                .iter()
                .all(|c| security.allows(subject, &c.object, c.operation))
        };
        match l.client.serve(fs, &mut allowed) {
            Ok(0) => {}
            Ok(_) => microkit::notify(ch),
            Err(e) => {
                l.broken = true;
                println!(
                    "fs: the LionsOS client on channel {ch} corrupted its queues ({e:?}); it is not served any more"
                );
            }
        }
    }
}

impl Server for FsServer {
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
                // A client that was replaced gets a fresh session: its old
                // handles went with the old memory.
                self.sessions.insert(
                    b,
                    ClientSession {
                        subject: c.client as u32,
                        files: Session::new(MAX_OPEN),
                        arena,
                        records: BTreeMap::new(),
                        wbuf: None,
                        rcache: None,
                        deferred: None,
                    },
                );
                Reply::ok(&[])
            }
            proto::CLOSE_SESSION => {
                let Some(address) = donated::close_session(client, m) else {
                    return Reply::error(BAD_REQUEST);
                };
                // What the client wrote stays written (as a process's
                // writes do when it exits).
                self.flush_all();
                let before = self.sessions.len();
                self.sessions.retain(|_, s| s.arena.address() != address);
                Reply::ok(&[(before - self.sessions.len()) as u64])
            }
            proto::STATS => Reply::ok(&self.security.stats()),
            FAULT_AFTER => {
                // A test hook, so the policy decides who may use it.
                let Some(n) = msg::word(m, 0) else {
                    return Reply::error(BAD_REQUEST);
                };
                let Some(subject) = self.sessions.get(&client.to_badge()).map(|s| s.subject) else {
                    return Reply::error(DENIED);
                };
                if !self.allows(subject, FAULT_OBJECT, Operation::Write) {
                    return Reply::error(DENIED);
                }
                self.fs.with_device(|d| d.fault_after(n));
                Reply::ok(&[])
            }
            BENCH_RAW => {
                let (Some(write), Some(blocks)) = (msg::word(m, 0), msg::word(m, 1)) else {
                    return Reply::error(BAD_REQUEST);
                };
                let Some(subject) = self.sessions.get(&client.to_badge()).map(|s| s.subject) else {
                    return Reply::error(DENIED);
                };
                if !self.allows(subject, BENCH_OBJECT, Operation::Read) {
                    return Reply::error(DENIED);
                }
                match self.fs.with_device(|d| d.raw_transfer(write == 1, blocks)) {
                    Ok(()) => Reply::ok(&[blocks]),
                    Err(_) => Reply::error(proto::IO_ERROR),
                }
            }
            _ => match self.serve(client.to_badge(), label, m) {
                Ok(r) | Err(r) => r,
            },
        }
    }

    fn on_signal(&mut self, bits: u64) {
        if bits & pride_supervisor_api::FLUSH_SIGNAL != 0 {
            self.security.policy_changed();
        }
    }

    fn save(&self, _buf: &mut [u8]) -> usize {
        // Everything lives on the disk.
        0
    }
}

/// The LionsOS client the configuration names, if any.
fn lions_client() -> Option<Lions> {
    let conn = fs_protocol::config::FsConnection::decode(&FS_CONFIG.bytes()).ok()?;
    let region = |r: &sddf::config::RegionResource| SharedRegion::from_resource(r);
    let client = LionsClient::new(
        region(&conn.command_queue),
        region(&conn.completion_queue),
        region(&conn.share),
        MAX_OPEN,
    );
    let Some(client) = client else {
        println!("fs: the LionsOS client's queue regions are too small; not serving it");
        return None;
    };
    let ch = conn.id as Channel;
    let subject = supervisor::channel_peer(ch as u64);
    println!(
        "fs: serving a LionsOS file-system client on channel {ch} (subject {})",
        subject.map_or("unknown: everything denied".into(), |s| format!("{s}"))
    );
    Some(Lions {
        ch,
        subject: subject.unwrap_or(u32::MAX),
        client,
        broken: false,
    })
}

fn main(boot: pride_rt::component::Boot) -> ! {
    let config: BlkClientConfig = blk::config(&CONFIG.bytes());
    let (Some(link), Some(info)) = (blk::link(&config.virt), blk::storage_info(&config.virt)) else {
        supervisor::start_failed("fs: the block queues in the configuration are unusable");
    };
    let data = SharedRegion::from_resource(&config.data);
    let Some(disk) = SddfDisk::open(link, info, data, config.virt.id as Channel) else {
        supervisor::start_failed("fs: the data region is too small");
    };
    let Some(security) = Mediator::register(supervisor::connection(0)) else {
        supervisor::start_failed("fs: cannot reach the security server");
    };
    let mut fs = FileSystem::new(disk);
    match fs.mount(MountPolicy::FormatIfBlank) {
        Ok(how) => {
            let usage = fs.usage().map(|u| u.free_bytes / 1024).unwrap_or(0);
            println!("fs: mounted the littlefs on partition 0 ({how:?}), {usage} KiB free");
        }
        Err(e) => {
            println!("fs: cannot mount partition 0: {e:?}");
            supervisor::start_failed("fs: no usable file system on the disk");
        }
    }
    let lions = lions_client();
    let server = FsServer {
        fs,
        security,
        sessions: BTreeMap::new(),
        lions,
        generation: 0,
    };
    microkit::run_server(server, boot.generation)
}
