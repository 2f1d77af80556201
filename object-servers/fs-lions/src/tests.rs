//! A LionsOS client's side of the queues, against a RAM disk.

extern crate std;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use fs_core::ram::RamDisk;
use fs_core::{FileSystem, MountPolicy, FS_SECTORS};
use fs_protocol::layout::queue::SIZEOF as QUEUE_BYTES;
use fs_protocol::{
    decode_completion, Access as Mode, Buffer, Command, Completion, FsError, FsQueue, Op, OpenFlags, Reply,
};
use proptest::prelude::*;

use super::*;

const SHARE: usize = 64 * 1024;

/// The server's view and the client's view of the same memory are the
/// same `Vec`s here: the test plays the client by reaching into the
/// server's `LionsClient` (its queues and share).
struct Rig {
    fs: FileSystem<RamDisk>,
    client: LionsClient<Vec<u8>>,
    next_id: u64,
    /// Paths the policy refuses (prefixes).
    denied: Vec<&'static str>,
}

impl Rig {
    fn new() -> Rig {
        let mut fs = FileSystem::new(RamDisk::new(FS_SECTORS));
        fs.mount(MountPolicy::FormatIfBlank).unwrap();
        let client = LionsClient::new(vec![0; QUEUE_BYTES], vec![0; QUEUE_BYTES], vec![0; SHARE], 8).unwrap();
        Rig {
            fs,
            client,
            next_id: 100,
            denied: Vec::new(),
        }
    }

    /// Puts `bytes` in the share at `at`; the buffer naming them.
    fn put(&mut self, at: u64, bytes: &[u8]) -> Buffer {
        self.client.share[at as usize..at as usize + bytes.len()].copy_from_slice(bytes);
        Buffer::new(at, bytes.len() as u64)
    }

    /// Sends one command and serves it: its completion.
    fn call(&mut self, op: Op) -> Completion {
        let cmd = Command { id: self.next_id, op };
        self.next_id += 1;
        self.client.commands.enqueue_command(&cmd).unwrap();
        let denied = self.denied.clone();
        let mut allowed = |a: &Access<'_>| {
            let objects = fs_core::path::checks(a);
            !objects
                .iter()
                .any(|c| denied.iter().any(|d| c.object.starts_with(&std::format!("fs:{d}"))))
        };
        assert_eq!(self.client.serve(&mut self.fs, &mut allowed), Ok(1));
        let raw = self.client.completions.dequeue().unwrap();
        let c = decode_completion(&raw, &cmd).unwrap();
        assert_eq!(c.id, cmd.id, "the completion names the command");
        c
    }

    fn open(&mut self, path: &str, access: Mode, create: bool) -> Result<u64, FsError> {
        let path = self.put(0, path.as_bytes());
        match self
            .call(Op::FileOpen {
                path,
                flags: OpenFlags { access, create },
            })
            .result
        {
            Ok(Reply::Opened { fd }) => Ok(fd),
            Ok(other) => panic!("open answered {other:?}"),
            Err(e) => Err(e),
        }
    }
}

#[test]
fn a_file_written_and_read_back_through_the_queues() {
    let mut r = Rig::new();
    let fd = r.open("/hello.txt", Mode::ReadWrite, true).unwrap();
    let text = b"hello from a LionsOS client";
    let buf = r.put(4096, text);
    assert_eq!(
        r.call(Op::FileWrite { fd, offset: 0, buf }).result,
        Ok(Reply::Written { len: text.len() as u64 })
    );
    assert_eq!(
        r.call(Op::FileSize { fd }).result,
        Ok(Reply::Size {
            size: text.len() as u64
        })
    );
    let into = Buffer::new(8192, 1000);
    assert_eq!(
        r.call(Op::FileRead {
            fd,
            offset: 6,
            buf: into
        })
        .result,
        Ok(Reply::Read {
            len: text.len() as u64 - 6
        })
    );
    assert_eq!(&r.client.share[8192..8192 + text.len() - 6], &text[6..]);
    assert_eq!(r.call(Op::FileSync { fd }).result, Ok(Reply::Done));
    assert_eq!(r.call(Op::FileClose { fd }).result, Ok(Reply::Done));
    assert_eq!(r.call(Op::FileClose { fd }).result, Err(FsError::InvalidFd));
    // Stat fills fs_stat_t.
    let path = r.put(0, b"/hello.txt");
    assert_eq!(
        r.call(Op::Stat {
            path,
            buf: Buffer::new(1024, 200)
        })
        .result,
        Ok(Reply::Done)
    );
    let st = Stat::from_bytes(&r.client.share[1024..1024 + Stat::SIZE]).unwrap();
    assert!(st.is_regular());
    assert_eq!(st.size, text.len() as u64);
}

#[test]
fn directories_are_read_entry_by_entry_to_the_end() {
    let mut r = Rig::new();
    let d = r.put(0, b"/d");
    assert_eq!(r.call(Op::DirCreate { path: d }).result, Ok(Reply::Done));
    for name in ["a", "b", "c"] {
        let fd = r.open(&std::format!("/d/{name}"), Mode::WriteOnly, true).unwrap();
        r.call(Op::FileClose { fd });
    }
    let d = r.put(0, b"/d");
    let Ok(Reply::Opened { fd }) = r.call(Op::DirOpen { path: d }).result else {
        panic!("dir open");
    };
    assert!(fd >= DIR_FD_BASE);
    let mut names = Vec::new();
    loop {
        match r
            .call(Op::DirRead {
                fd,
                buf: Buffer::new(2048, 255),
            })
            .result
        {
            Ok(Reply::DirEntry { name_len }) => {
                names.push(String::from_utf8(r.client.share[2048..2048 + name_len as usize].to_vec()).unwrap())
            }
            Err(FsError::EndOfDirectory) => break,
            other => panic!("dir read: {other:?}"),
        }
    }
    assert_eq!(names, ["a", "b", "c"]);
    assert_eq!(r.call(Op::DirTell { fd }).result, Ok(Reply::Location { location: 3 }));
    assert_eq!(r.call(Op::DirSeek { fd, loc: 1 }).result, Ok(Reply::Done));
    assert!(matches!(
        r.call(Op::DirRead {
            fd,
            buf: Buffer::new(2048, 255)
        })
        .result,
        Ok(Reply::DirEntry { .. })
    ));
    assert_eq!(&r.client.share[2048..2049], b"b");
    assert_eq!(
        r.call(Op::FileClose { fd }).result,
        Err(FsError::InvalidFd),
        "a directory is not a file"
    );
    assert_eq!(r.call(Op::DirClose { fd }).result, Ok(Reply::Done));
    let d = r.put(0, b"/d");
    assert_eq!(r.call(Op::DirRemove { path: d }).result, Err(FsError::NotEmpty));
}

#[test]
fn errors_have_their_lionsos_statuses() {
    let mut r = Rig::new();
    assert_eq!(r.open("/missing", Mode::ReadOnly, false), Err(FsError::NoFile));
    assert_eq!(r.open("relative", Mode::ReadOnly, true), Err(FsError::InvalidPath));
    let fd = r.open("/ro", Mode::ReadOnly, true).unwrap();
    let buf = r.put(4096, b"x");
    assert_eq!(
        r.call(Op::FileWrite { fd, offset: 0, buf }).result,
        Err(FsError::InvalidWrite)
    );
    assert_eq!(
        r.call(Op::FileRead { fd: 77, offset: 0, buf }).result,
        Err(FsError::InvalidFd)
    );
    let ro = r.put(0, b"/ro");
    assert_eq!(r.call(Op::DirCreate { path: ro }).result, Err(FsError::AlreadyExists));
    assert_eq!(r.call(Op::DirOpen { path: ro }).result, Err(FsError::NotDirectory));
    // The policy says no.
    r.denied.push("/secret");
    assert_eq!(
        r.open("/secret/x", Mode::ReadWrite, true),
        Err(FsError::ServerWasDenied)
    );
    // A buffer outside the data region is refused before anything runs.
    let outside = Buffer::new(SHARE as u64 - 4, 100);
    assert_eq!(
        r.call(Op::FileWrite {
            fd,
            offset: 0,
            buf: outside
        })
        .result,
        Err(FsError::InvalidBuffer)
    );
}

#[test]
fn no_more_is_taken_than_the_completions_can_hold() {
    let mut r = Rig::new();
    for _ in 0..fs_protocol::QUEUE_CAPACITY {
        r.client
            .completions
            .enqueue_completion(&Completion::ok(1, Reply::Done))
            .unwrap();
    }
    r.client
        .commands
        .enqueue_command(&Command {
            id: 9,
            op: Op::Initialise,
        })
        .unwrap();
    assert_eq!(
        r.client.serve(&mut r.fs, &mut |_| true),
        Ok(0),
        "the completion queue is full"
    );
    r.client.completions.dequeue().unwrap();
    assert_eq!(r.client.serve(&mut r.fs, &mut |_| true), Ok(1));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    /// Whatever a client writes into its command queue, every slot it
    /// published is answered and the server neither panics nor stops.
    #[test]
    fn garbage_commands_are_answered(slots in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 64), 1..20)) {
        let mut r = Rig::new();
        for s in &slots {
            let mut m = [0u8; 64];
            m.copy_from_slice(s);
            r.client.commands.enqueue(&m).unwrap();
        }
        let served = r.client.serve(&mut r.fs, &mut |_| true).unwrap();
        prop_assert_eq!(served, slots.len() as u64);
        prop_assert_eq!(r.client.completions.len().unwrap(), slots.len() as u64);
    }
}
