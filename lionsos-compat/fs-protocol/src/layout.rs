//! Sizes and byte offsets of every structure in the protocol, as LionsOS's
//! C structs lay them out on an LP64 little-endian target (x86_64, AArch64,
//! RISC-V 64). Every field is a `uint64_t` (or `int64_t`), so there is no
//! padding anywhere except the queue header's explicit 48 bytes.
//!
//! Each module is one C struct; `SIZEOF` is its `sizeof`, the other
//! constants are `offsetof` of its fields. Parameter offsets are relative to
//! the start of the parameter block ([`cmd::PARAMS`]); add `cmd::PARAMS` for
//! the offset inside a message. The host test `tests/c_header.rs` compiles
//! `include/pride_lions_fs/protocol.h` with gcc and checks every one of
//! these numbers with `_Static_assert`.

/// Bytes in one queue slot (`fs_msg_t`, the union of a command and a
/// completion). Both kinds of message occupy a full slot.
pub const MSG_SIZE: usize = 64;

/// `fs_buffer_t`: a byte range in the client's shared data region.
pub mod buffer {
    pub const SIZEOF: usize = 16;
    /// `uint64_t offset`: where the range starts, from the region's start.
    pub const OFFSET: usize = 0;
    /// `uint64_t size`: its length in bytes.
    pub const SIZE: usize = 8;
}

/// `fs_cmd_t`.
pub mod cmd {
    pub const SIZEOF: usize = 64;
    /// `uint64_t id`: the client's request id, echoed in the completion.
    pub const ID: usize = 0;
    /// `uint64_t type`: the command code.
    pub const TYPE: usize = 8;
    /// `fs_cmd_params_t params`: the union of the parameter structs.
    pub const PARAMS: usize = 16;
    /// `sizeof(fs_cmd_params_t)`, fixed by its `uint8_t min_size[48]` member.
    pub const PARAMS_SIZEOF: usize = 48;
}

/// The parameter structs (`fs_cmd_params_*_t`), offsets relative to the
/// parameter block.
pub mod params {
    pub mod file_open {
        pub const SIZEOF: usize = 24;
        pub const PATH: usize = 0;
        pub const FLAGS: usize = 16;
    }
    pub mod file_close {
        pub const SIZEOF: usize = 8;
        pub const FD: usize = 0;
    }
    pub mod stat {
        pub const SIZEOF: usize = 32;
        pub const PATH: usize = 0;
        pub const BUF: usize = 16;
    }
    pub mod file_read {
        pub const SIZEOF: usize = 32;
        pub const FD: usize = 0;
        pub const OFFSET: usize = 8;
        pub const BUF: usize = 16;
    }
    pub mod file_write {
        pub const SIZEOF: usize = 32;
        pub const FD: usize = 0;
        pub const OFFSET: usize = 8;
        pub const BUF: usize = 16;
    }
    pub mod file_size {
        pub const SIZEOF: usize = 8;
        pub const FD: usize = 0;
    }
    pub mod rename {
        pub const SIZEOF: usize = 32;
        pub const OLD_PATH: usize = 0;
        pub const NEW_PATH: usize = 16;
    }
    pub mod file_remove {
        pub const SIZEOF: usize = 16;
        pub const PATH: usize = 0;
    }
    pub mod file_truncate {
        pub const SIZEOF: usize = 16;
        pub const FD: usize = 0;
        pub const LENGTH: usize = 8;
    }
    pub mod dir_create {
        pub const SIZEOF: usize = 16;
        pub const PATH: usize = 0;
    }
    pub mod dir_remove {
        pub const SIZEOF: usize = 16;
        pub const PATH: usize = 0;
    }
    pub mod dir_open {
        pub const SIZEOF: usize = 16;
        pub const PATH: usize = 0;
    }
    pub mod dir_close {
        pub const SIZEOF: usize = 8;
        pub const FD: usize = 0;
    }
    pub mod dir_read {
        pub const SIZEOF: usize = 24;
        pub const FD: usize = 0;
        pub const BUF: usize = 8;
    }
    pub mod file_sync {
        pub const SIZEOF: usize = 8;
        pub const FD: usize = 0;
    }
    pub mod dir_seek {
        pub const SIZEOF: usize = 16;
        pub const FD: usize = 0;
        /// `int64_t loc`.
        pub const LOC: usize = 8;
    }
    pub mod dir_tell {
        pub const SIZEOF: usize = 8;
        pub const FD: usize = 0;
    }
    pub mod dir_rewind {
        pub const SIZEOF: usize = 8;
        pub const FD: usize = 0;
    }
}

/// `fs_cmpl_t`. It is shorter than a slot; the rest of the slot is unused
/// (this crate writes zeros there).
pub mod cmpl {
    pub const SIZEOF: usize = 24;
    /// `uint64_t id`: the id of the command this completes.
    pub const ID: usize = 0;
    /// `uint64_t status`: a status code.
    pub const STATUS: usize = 8;
    /// `fs_cmpl_data_t data`: one `uint64_t` whose meaning depends on the
    /// command (`fd`, `len_read`, `len_written`, `size`, `path_len`,
    /// `location`), all at offset 0 of the union.
    pub const DATA: usize = 16;
    pub const DATA_SIZEOF: usize = 8;
}

/// `fs_stat_t`, the result of a stat command, written by the server into
/// the client's buffer. Seventeen `uint64_t`s in this order.
pub mod stat {
    pub const SIZEOF: usize = 136;
    pub const DEV: usize = 0;
    pub const INO: usize = 8;
    pub const MODE: usize = 16;
    pub const NLINK: usize = 24;
    pub const UID: usize = 32;
    pub const GID: usize = 40;
    pub const RDEV: usize = 48;
    pub const SIZE: usize = 56;
    pub const BLKSIZE: usize = 64;
    pub const BLOCKS: usize = 72;
    pub const ATIME: usize = 80;
    pub const MTIME: usize = 88;
    pub const CTIME: usize = 96;
    pub const ATIME_NSEC: usize = 104;
    pub const MTIME_NSEC: usize = 112;
    pub const CTIME_NSEC: usize = 120;
    pub const USED: usize = 128;
}

/// `fs_queue_t`: one region per direction.
pub mod queue {
    /// `sizeof(fs_queue_t)`: 64 bytes of header and
    /// [`QUEUE_CAPACITY`](crate::QUEUE_CAPACITY) slots, 32 KiB.
    pub const SIZEOF: usize = 32768;
    /// `uint64_t head`: written by the consumer only.
    pub const HEAD: usize = 0;
    /// `uint64_t tail`: written by the producer only.
    pub const TAIL: usize = 8;
    /// `uint8_t padding[48]`: keeps the slots cache-line aligned.
    pub const PADDING: usize = 16;
    pub const PADDING_LEN: usize = 48;
    /// `fs_msg_t buffer[FS_QUEUE_CAPACITY]`.
    pub const BUFFER: usize = 64;
}

const _: () = assert!(queue::BUFFER + crate::QUEUE_CAPACITY as usize * MSG_SIZE == queue::SIZEOF);
const _: () = assert!(cmd::PARAMS + cmd::PARAMS_SIZEOF == cmd::SIZEOF);
const _: () = assert!(cmd::SIZEOF == MSG_SIZE && cmpl::SIZEOF <= MSG_SIZE);
const _: () = assert!(stat::USED + 8 == stat::SIZEOF);
