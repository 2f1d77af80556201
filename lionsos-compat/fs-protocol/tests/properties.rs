//! Property tests: the queue arithmetic against a model, the command
//! decoder against arbitrary bytes and its own encoder, and the completion
//! codec likewise.

use std::collections::VecDeque;

use fs_protocol::layout::{cmd, queue, MSG_SIZE};
use fs_protocol::{
    decode_command, decode_completion, Access, Buffer, Command, Completion, FsError, FsQueue, Message, Op, OpenFlags,
    QueueError, Reply, Stat, QUEUE_CAPACITY,
};
use proptest::prelude::*;

// ---- queue ---------------------------------------------------------------

#[derive(Clone, Debug)]
enum QueueOp {
    Enqueue(u64),
    Dequeue,
    /// Fill up to n slots, then publish them at once.
    ProduceBatch(u64, u64),
    /// Peek up to n messages, then publish their consumption at once.
    ConsumeBatch(u64),
}

fn queue_op() -> impl Strategy<Value = QueueOp> {
    prop_oneof![
        4 => any::<u64>().prop_map(QueueOp::Enqueue),
        3 => Just(QueueOp::Dequeue),
        1 => (0u64..600, any::<u64>()).prop_map(|(n, seed)| QueueOp::ProduceBatch(n, seed)),
        1 => (0u64..600).prop_map(QueueOp::ConsumeBatch),
    ]
}

fn message(seed: u64) -> Message {
    let mut msg = [0u8; MSG_SIZE];
    for (i, chunk) in msg.chunks_mut(8).enumerate() {
        chunk.copy_from_slice(&seed.wrapping_mul(i as u64 + 1).wrapping_add(i as u64).to_le_bytes());
    }
    msg
}

fn check_matches(q: &FsQueue<Vec<u8>>, model: &VecDeque<Message>) {
    let len = model.len() as u64;
    assert_eq!(q.len(), Ok(len));
    assert_eq!(q.is_empty(), Ok(len == 0));
    assert_eq!(q.is_full(), Ok(len == QUEUE_CAPACITY));
    assert_eq!(q.free(), Ok(QUEUE_CAPACITY - len));
    assert_eq!(q.tail().wrapping_sub(q.head()), len);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Any sequence of operations, from any starting index (short of the
    /// 2^64 wrap, see the queue module), behaves as a bounded FIFO.
    #[test]
    fn the_queue_is_a_bounded_fifo(
        start in prop_oneof![Just(0u64), 0u64..10_000, (u64::MAX / 2)..(u64::MAX - (1 << 20))],
        ops in proptest::collection::vec(queue_op(), 0..1500),
    ) {
        let mut q = FsQueue::new(vec![0u8; queue::SIZEOF]).unwrap();
        q.reset(start);
        let mut model: VecDeque<Message> = VecDeque::new();
        for op in ops {
            match op {
                QueueOp::Enqueue(seed) => {
                    let msg = message(seed);
                    let result = q.enqueue(&msg);
                    if model.len() as u64 == QUEUE_CAPACITY {
                        prop_assert_eq!(result, Err(QueueError::Full));
                    } else {
                        prop_assert_eq!(result, Ok(()));
                        model.push_back(msg);
                    }
                }
                QueueOp::Dequeue => {
                    prop_assert_eq!(q.dequeue().ok(), model.pop_front());
                }
                QueueOp::ProduceBatch(n, seed) => {
                    let free = QUEUE_CAPACITY - model.len() as u64;
                    for i in 0..n {
                        let msg = message(seed ^ i);
                        let result = q.fill_empty(i, &msg);
                        prop_assert_eq!(result.is_ok(), i < free);
                    }
                    let published = n.min(free);
                    for i in 0..published {
                        model.push_back(message(seed ^ i));
                    }
                    prop_assert_eq!(q.publish_production(n).is_ok(), n <= free);
                    if n > free {
                        q.publish_production(published).unwrap();
                    }
                }
                QueueOp::ConsumeBatch(n) => {
                    let len = model.len() as u64;
                    for i in 0..n {
                        let got = q.filled(i);
                        match model.get(i as usize) {
                            Some(want) => prop_assert_eq!(got, Ok(*want)),
                            None => prop_assert!(got.is_err()),
                        }
                    }
                    prop_assert_eq!(q.publish_consumption(n).is_ok(), n <= len);
                    let taken = n.min(len);
                    if n > len {
                        q.publish_consumption(taken).unwrap();
                    }
                    model.drain(..taken as usize);
                }
            }
            check_matches(&q, &model);
        }
    }

    /// Whatever the other side writes into the indices, no operation
    /// panics, a length above the capacity is reported, and a refused
    /// operation leaves the region untouched.
    #[test]
    fn corrupted_indices_never_panic(head in any::<u64>(), tail in any::<u64>(), seed in any::<u64>()) {
        let mut mem = vec![0u8; queue::SIZEOF];
        mem[..8].copy_from_slice(&head.to_le_bytes());
        mem[8..16].copy_from_slice(&tail.to_le_bytes());
        let before = mem.clone();
        let mut q = FsQueue::new(mem).unwrap();
        let len = tail.wrapping_sub(head);
        if len > QUEUE_CAPACITY {
            prop_assert_eq!(q.len(), Err(QueueError::Corrupted { head, tail }));
            prop_assert!(q.enqueue(&message(seed)).is_err());
            prop_assert!(q.dequeue().is_err());
            prop_assert!(q.filled(0).is_err());
            prop_assert!(q.publish_consumption(1).is_err());
            prop_assert!(q.publish_production(1).is_err());
            prop_assert_eq!(q.into_memory(), before);
        } else {
            prop_assert_eq!(q.len(), Ok(len));
            let _ = q.enqueue(&message(seed));
            let _ = q.dequeue();
            let _ = q.dequeue_command(seed);
        }
    }
}

// ---- commands ------------------------------------------------------------

/// A buffer that passes the decoder's checks for a region of `share`
/// bytes: at least `min` and at most `max` bytes long.
fn buffer_in(share: u64, min: u64, max: u64) -> impl Strategy<Value = Buffer> {
    (min..=max.min(share)).prop_flat_map(move |size| (0..=share - size).prop_map(move |offset| Buffer { offset, size }))
}

fn path_in(share: u64) -> impl Strategy<Value = Buffer> {
    buffer_in(share, 1, fs_protocol::MAX_PATH_LENGTH)
}

fn open_flags() -> impl Strategy<Value = OpenFlags> {
    (
        prop_oneof![Just(Access::ReadOnly), Just(Access::WriteOnly), Just(Access::ReadWrite)],
        any::<bool>(),
    )
        .prop_map(|(access, create)| OpenFlags { access, create })
}

fn valid_op(share: u64) -> impl Strategy<Value = Op> {
    let fd = any::<u64>();
    let offset_and_data = move || {
        buffer_in(share, 1, share).prop_flat_map(|buf| (0..=u64::MAX - buf.size).prop_map(move |offset| (offset, buf)))
    };
    prop_oneof![
        Just(Op::Initialise),
        Just(Op::Deinitialise),
        (path_in(share), open_flags()).prop_map(|(path, flags)| Op::FileOpen { path, flags }),
        fd.prop_map(|fd| Op::FileClose { fd }),
        (path_in(share), buffer_in(share, 136, share)).prop_map(|(path, buf)| Op::Stat { path, buf }),
        (fd, offset_and_data()).prop_map(|(fd, (offset, buf))| Op::FileRead { fd, offset, buf }),
        (fd, offset_and_data()).prop_map(|(fd, (offset, buf))| Op::FileWrite { fd, offset, buf }),
        fd.prop_map(|fd| Op::FileSize { fd }),
        (path_in(share), path_in(share)).prop_map(|(old_path, new_path)| Op::Rename { old_path, new_path }),
        path_in(share).prop_map(|path| Op::FileRemove { path }),
        (fd, any::<u64>()).prop_map(|(fd, length)| Op::FileTruncate { fd, length }),
        path_in(share).prop_map(|path| Op::DirCreate { path }),
        path_in(share).prop_map(|path| Op::DirRemove { path }),
        path_in(share).prop_map(|path| Op::DirOpen { path }),
        fd.prop_map(|fd| Op::DirClose { fd }),
        fd.prop_map(|fd| Op::FileSync { fd }),
        (fd, buffer_in(share, 255, share)).prop_map(|(fd, buf)| Op::DirRead { fd, buf }),
        (fd, 0..=i64::MAX).prop_map(|(fd, loc)| Op::DirSeek { fd, loc }),
        fd.prop_map(|fd| Op::DirTell { fd }),
        fd.prop_map(|fd| Op::DirRewind { fd }),
    ]
}

fn share_size() -> impl Strategy<Value = u64> {
    prop_oneof![Just(0x400_0000u64), 4096u64..=0x400_0000, Just(u64::MAX)]
}

fn valid_command() -> impl Strategy<Value = (u64, Command)> {
    share_size()
        .prop_flat_map(|share| (Just(share), any::<u64>(), valid_op(share)))
        .prop_map(|(share, id, op)| (share, Command { id, op }))
}

/// The bytes of the parameter block a command's operation leaves unused.
fn unused_params(op: &Op) -> std::ops::Range<usize> {
    use fs_protocol::layout::params;
    let used = match op {
        Op::Initialise | Op::Deinitialise => 0,
        Op::FileOpen { .. } => params::file_open::SIZEOF,
        Op::Stat { .. } => params::stat::SIZEOF,
        Op::FileRead { .. } | Op::FileWrite { .. } => params::file_read::SIZEOF,
        Op::Rename { .. } => params::rename::SIZEOF,
        Op::FileTruncate { .. } | Op::DirSeek { .. } => params::file_truncate::SIZEOF,
        Op::DirRead { .. } => params::dir_read::SIZEOF,
        Op::FileRemove { .. } | Op::DirCreate { .. } | Op::DirRemove { .. } | Op::DirOpen { .. } => 16,
        Op::FileClose { .. }
        | Op::FileSize { .. }
        | Op::DirClose { .. }
        | Op::FileSync { .. }
        | Op::DirTell { .. }
        | Op::DirRewind { .. } => 8,
    };
    cmd::PARAMS + used..MSG_SIZE
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Arbitrary bytes of any length never panic the decoder, and whatever
    /// it accepts is valid and encodes back to the same command.
    #[test]
    fn the_decoder_survives_any_bytes(
        raw in prop_oneof![
            proptest::collection::vec(any::<u8>(), MSG_SIZE),
            proptest::collection::vec(any::<u8>(), 0..200),
        ],
        share in share_size(),
    ) {
        match decode_command(&raw, share) {
            Ok(command) => {
                prop_assert_eq!(command.validate(share), Ok(()));
                let again = decode_command(&command.encode(), share);
                prop_assert_eq!(again, Ok(command));
            }
            Err(error) => {
                if raw.len() >= 8 {
                    prop_assert_eq!(error.id, Some(u64::from_le_bytes(raw[..8].try_into().unwrap())));
                }
                let answer = Completion::refusal(&error);
                prop_assert_eq!(answer.map(|c| c.id), error.id);
            }
        }
    }

    /// Commands whose type word is in range and whose parameters are random
    /// (the interesting half of the input space) never panic either.
    #[test]
    fn the_decoder_survives_any_parameters(
        id in any::<u64>(),
        code in 0u64..21,
        words in proptest::array::uniform6(prop_oneof![any::<u64>(), 0u64..5000]),
        share in share_size(),
    ) {
        let mut raw = [0u8; MSG_SIZE];
        raw[..8].copy_from_slice(&id.to_le_bytes());
        raw[8..16].copy_from_slice(&code.to_le_bytes());
        for (i, w) in words.iter().enumerate() {
            raw[cmd::PARAMS + 8 * i..cmd::PARAMS + 8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        if let Ok(command) = decode_command(&raw, share) {
            prop_assert_eq!(command.id, id);
            prop_assert_eq!(command.kind().code(), code);
            let used = unused_params(&command.op).start;
            prop_assert_eq!(&command.encode()[..used], &raw[..used]);
        }
    }

    /// Every valid command decodes back to itself, whatever the unused
    /// parameter bytes hold.
    #[test]
    fn valid_commands_round_trip((share, command) in valid_command(), junk in any::<[u8; 48]>()) {
        prop_assert_eq!(command.validate(share), Ok(()));
        let mut raw = command.encode();
        prop_assert_eq!(decode_command(&raw, share), Ok(command));
        let unused = unused_params(&command.op);
        let n = unused.len();
        raw[unused].copy_from_slice(&junk[..n]);
        prop_assert_eq!(decode_command(&raw, share), Ok(command));
    }

    // ---- completions ----

    /// Any completion bytes, against any valid command, never panic; what
    /// decodes is consistent with the command and encodes back.
    #[test]
    fn the_completion_decoder_survives_any_bytes(
        (_, sent) in valid_command(),
        same_id in any::<bool>(),
        status in prop_oneof![0u64..20, any::<u64>()],
        data in prop_oneof![any::<u64>(), 0u64..300],
        tail in any::<[u8; 40]>(),
    ) {
        let mut raw = [0u8; MSG_SIZE];
        let id = if same_id { sent.id } else { sent.id.wrapping_add(1) };
        raw[..8].copy_from_slice(&id.to_le_bytes());
        raw[8..16].copy_from_slice(&status.to_le_bytes());
        raw[16..24].copy_from_slice(&data.to_le_bytes());
        raw[24..].copy_from_slice(&tail);
        match decode_completion(&raw, &sent) {
            Ok(completion) => {
                prop_assert!(same_id);
                prop_assert_eq!(completion.status(), status);
                prop_assert_eq!(decode_completion(&completion.encode(), &sent), Ok(completion));
            }
            Err(_) => prop_assert!(!same_id || status >= 19 || status == 0),
        }
    }

    /// Every well-formed answer decodes back to itself.
    #[test]
    fn valid_completions_round_trip(
        (_, sent) in valid_command(),
        failure in proptest::option::of(0usize..18),
        value in any::<u64>(),
    ) {
        let result = match failure {
            Some(i) => Err(FsError::ALL[i]),
            None => Ok(match sent.op {
                Op::FileOpen { .. } | Op::DirOpen { .. } => Reply::Opened { fd: value },
                Op::FileRead { buf, .. } => Reply::Read { len: value % (buf.size + 1) },
                Op::FileWrite { buf, .. } => Reply::Written { len: value % (buf.size + 1) },
                Op::FileSize { .. } => Reply::Size { size: value },
                Op::DirRead { .. } => Reply::DirEntry { name_len: value % 256 },
                Op::DirTell { .. } => Reply::Location { location: value },
                _ => Reply::Done,
            }),
        };
        let completion = Completion { id: sent.id, result };
        prop_assert_eq!(decode_completion(&completion.encode(), &sent), Ok(completion));
    }

    #[test]
    fn stat_round_trips(words in any::<[u64; 17]>()) {
        let mut bytes = [0u8; 136];
        for (i, w) in words.iter().enumerate() {
            bytes[8 * i..8 * i + 8].copy_from_slice(&w.to_le_bytes());
        }
        let stat = Stat::from_bytes(&bytes).unwrap();
        prop_assert_eq!(stat.to_bytes(), bytes);
        prop_assert_eq!((stat.dev, stat.size, stat.used), (words[0], words[7], words[16]));
    }
}

proptest! {
    /// Any blob decodes or is refused, never panics; what decodes encodes
    /// back to the same connection.
    #[test]
    fn config_blobs_never_panic(
        blob in prop_oneof![
            proptest::collection::vec(any::<u8>(), 64),
            proptest::collection::vec(any::<u8>(), 0..100),
        ],
        keep_magic in any::<bool>(),
    ) {
        use fs_protocol::config::{FsConnection, MAGIC};
        let mut blob = blob;
        if keep_magic && blob.len() >= 8 {
            blob[..8].copy_from_slice(&MAGIC);
        }
        if let Ok(connection) = FsConnection::decode(&blob) {
            prop_assert_eq!(FsConnection::decode(&connection.encode()), Ok(connection));
            prop_assert_eq!(&connection.encode()[..59], &blob[..59]);
        }
    }
}
