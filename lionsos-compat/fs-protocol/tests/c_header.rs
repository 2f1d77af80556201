//! Compiles `include/pride_lions_fs/protocol.h` with gcc and checks it
//! against this crate: every size, offset and constant by `_Static_assert`
//! (the numbers come from the crate's constants), then a C program that
//! uses the header's queue helpers the way LionsOS's client library does,
//! exchanging real queue regions with the Rust side.
//!
//! Skips (saying so) only when gcc is not installed.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command as Process;

use fs_protocol::codes::{self, CommandKind, FsError};
use fs_protocol::layout::{self, buffer, cmd, cmpl, params, queue, stat};
use fs_protocol::{decode_command, Buffer, Command, Completion, FsQueue, Op, OpenFlags, Reply};

fn gcc_present() -> bool {
    Process::new("gcc").arg("--version").output().is_ok()
}

fn include_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("include")
}

fn work_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs gcc on `source` (written to `dir`), producing `out` (with `-c`
/// when `object_only`); panics with gcc's message on failure.
fn gcc(dir: &Path, source: &str, out: &str, object_only: bool) -> PathBuf {
    let src = dir.join("check.c");
    std::fs::write(&src, source).unwrap();
    let out = dir.join(out);
    let mut gcc = Process::new("gcc");
    gcc.args(["-std=c11", "-Wall", "-Wextra", "-Werror", "-O1", "-I"])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(&out);
    if object_only {
        gcc.arg("-c");
    }
    let result = gcc.output().unwrap();
    assert!(
        result.status.success(),
        "gcc failed:\n{}\n--- source ---\n{}",
        String::from_utf8_lossy(&result.stderr),
        source
    );
    out
}

struct Asserts(String);

impl Asserts {
    fn eq(&mut self, c_expr: &str, value: impl std::fmt::Display) {
        writeln!(
            self.0,
            "_Static_assert(({c_expr}) == {value}, \"{c_expr} == {value}\");"
        )
        .unwrap();
    }
    fn size(&mut self, c_type: &str, value: usize) {
        self.eq(&format!("sizeof({c_type})"), value);
    }
    fn at(&mut self, c_type: &str, field: &str, value: usize) {
        self.eq(&format!("offsetof({c_type}, {field})"), value);
    }
}

fn layout_asserts() -> String {
    let mut a = Asserts(String::from("#include <stddef.h>\n#include <lions/fs/protocol.h>\n"));

    a.eq("FS_QUEUE_CAPACITY", fs_protocol::QUEUE_CAPACITY);
    a.eq("FS_MAX_NAME_LENGTH", fs_protocol::MAX_NAME_LENGTH);
    a.eq("FS_MAX_PATH_LENGTH", fs_protocol::MAX_PATH_LENGTH);
    a.eq("FS_NUM_COMMANDS", codes::NUM_COMMANDS);
    a.eq("FS_STATUS_NUM_STATUSES", codes::NUM_STATUSES);
    a.eq("FS_STATUS_SUCCESS", codes::STATUS_SUCCESS);
    for kind in CommandKind::ALL {
        a.eq(kind.c_name(), kind.code());
    }
    for error in FsError::ALL {
        a.eq(error.c_name(), error.code());
    }
    a.eq("FS_OPEN_FLAGS_READ_ONLY", codes::OPEN_FLAGS_READ_ONLY);
    a.eq("FS_OPEN_FLAGS_WRITE_ONLY", codes::OPEN_FLAGS_WRITE_ONLY);
    a.eq("FS_OPEN_FLAGS_READ_WRITE", codes::OPEN_FLAGS_READ_WRITE);
    a.eq("FS_OPEN_FLAGS_CREATE", codes::OPEN_FLAGS_CREATE);

    a.size("fs_msg_t", layout::MSG_SIZE);
    a.size("fs_buffer_t", buffer::SIZEOF);
    a.at("fs_buffer_t", "offset", buffer::OFFSET);
    a.at("fs_buffer_t", "size", buffer::SIZE);

    a.size("fs_cmd_t", cmd::SIZEOF);
    a.at("fs_cmd_t", "id", cmd::ID);
    a.at("fs_cmd_t", "type", cmd::TYPE);
    a.at("fs_cmd_t", "params", cmd::PARAMS);
    a.size("fs_cmd_params_t", cmd::PARAMS_SIZEOF);
    a.at("fs_msg_t", "cmd", 0);
    a.at("fs_msg_t", "cmpl", 0);

    // Every parameter struct: its size, each field's offset in the struct,
    // and the same field's offset in a whole command.
    type Fields = &'static [(&'static str, usize)];
    let structs: &[(&str, usize, Fields)] = &[
        (
            "file_open",
            params::file_open::SIZEOF,
            &[("path", params::file_open::PATH), ("flags", params::file_open::FLAGS)],
        ),
        (
            "file_close",
            params::file_close::SIZEOF,
            &[("fd", params::file_close::FD)],
        ),
        (
            "stat",
            params::stat::SIZEOF,
            &[("path", params::stat::PATH), ("buf", params::stat::BUF)],
        ),
        (
            "file_read",
            params::file_read::SIZEOF,
            &[
                ("fd", params::file_read::FD),
                ("offset", params::file_read::OFFSET),
                ("buf", params::file_read::BUF),
            ],
        ),
        (
            "file_write",
            params::file_write::SIZEOF,
            &[
                ("fd", params::file_write::FD),
                ("offset", params::file_write::OFFSET),
                ("buf", params::file_write::BUF),
            ],
        ),
        ("file_size", params::file_size::SIZEOF, &[("fd", params::file_size::FD)]),
        (
            "rename",
            params::rename::SIZEOF,
            &[
                ("old_path", params::rename::OLD_PATH),
                ("new_path", params::rename::NEW_PATH),
            ],
        ),
        (
            "file_remove",
            params::file_remove::SIZEOF,
            &[("path", params::file_remove::PATH)],
        ),
        (
            "file_truncate",
            params::file_truncate::SIZEOF,
            &[
                ("fd", params::file_truncate::FD),
                ("length", params::file_truncate::LENGTH),
            ],
        ),
        (
            "dir_create",
            params::dir_create::SIZEOF,
            &[("path", params::dir_create::PATH)],
        ),
        (
            "dir_remove",
            params::dir_remove::SIZEOF,
            &[("path", params::dir_remove::PATH)],
        ),
        (
            "dir_open",
            params::dir_open::SIZEOF,
            &[("path", params::dir_open::PATH)],
        ),
        ("dir_close", params::dir_close::SIZEOF, &[("fd", params::dir_close::FD)]),
        (
            "dir_read",
            params::dir_read::SIZEOF,
            &[("fd", params::dir_read::FD), ("buf", params::dir_read::BUF)],
        ),
        ("file_sync", params::file_sync::SIZEOF, &[("fd", params::file_sync::FD)]),
        (
            "dir_seek",
            params::dir_seek::SIZEOF,
            &[("fd", params::dir_seek::FD), ("loc", params::dir_seek::LOC)],
        ),
        ("dir_tell", params::dir_tell::SIZEOF, &[("fd", params::dir_tell::FD)]),
        (
            "dir_rewind",
            params::dir_rewind::SIZEOF,
            &[("fd", params::dir_rewind::FD)],
        ),
    ];
    assert_eq!(
        structs.len(),
        CommandKind::ALL.len() - 2,
        "every command with parameters"
    );
    for (name, size, fields) in structs {
        let ty = format!("fs_cmd_params_{name}_t");
        a.size(&ty, *size);
        assert!(*size <= cmd::PARAMS_SIZEOF);
        for (field, offset) in *fields {
            a.at(&ty, field, *offset);
            a.at("fs_cmd_t", &format!("params.{name}.{field}"), cmd::PARAMS + offset);
            if ["path", "buf", "old_path", "new_path"].contains(field) {
                a.at(
                    "fs_cmd_t",
                    &format!("params.{name}.{field}.size"),
                    cmd::PARAMS + offset + buffer::SIZE,
                );
            }
        }
    }

    a.size("fs_cmpl_t", cmpl::SIZEOF);
    a.at("fs_cmpl_t", "id", cmpl::ID);
    a.at("fs_cmpl_t", "status", cmpl::STATUS);
    a.at("fs_cmpl_t", "data", cmpl::DATA);
    a.size("fs_cmpl_data_t", cmpl::DATA_SIZEOF);
    for field in [
        "file_open.fd",
        "file_read.len_read",
        "file_write.len_written",
        "file_size.size",
        "dir_open.fd",
        "dir_read.path_len",
        "dir_tell.location",
    ] {
        a.at("fs_cmpl_t", &format!("data.{field}"), cmpl::DATA);
    }

    a.size("fs_stat_t", stat::SIZEOF);
    for (field, offset) in [
        ("dev", stat::DEV),
        ("ino", stat::INO),
        ("mode", stat::MODE),
        ("nlink", stat::NLINK),
        ("uid", stat::UID),
        ("gid", stat::GID),
        ("rdev", stat::RDEV),
        ("size", stat::SIZE),
        ("blksize", stat::BLKSIZE),
        ("blocks", stat::BLOCKS),
        ("atime", stat::ATIME),
        ("mtime", stat::MTIME),
        ("ctime", stat::CTIME),
        ("atime_nsec", stat::ATIME_NSEC),
        ("mtime_nsec", stat::MTIME_NSEC),
        ("ctime_nsec", stat::CTIME_NSEC),
        ("used", stat::USED),
    ] {
        a.at("fs_stat_t", field, offset);
    }

    a.size("fs_queue_t", queue::SIZEOF);
    a.at("fs_queue_t", "head", queue::HEAD);
    a.at("fs_queue_t", "tail", queue::TAIL);
    a.at("fs_queue_t", "padding", queue::PADDING);
    a.size("((fs_queue_t *)0)->padding", queue::PADDING_LEN);
    a.at("fs_queue_t", "buffer", queue::BUFFER);
    a.at("fs_queue_t", "buffer[1]", queue::BUFFER + layout::MSG_SIZE);
    a.0
}

#[test]
fn the_c_header_has_the_crates_layout() {
    if !gcc_present() {
        println!("skipped: gcc is not installed");
        return;
    }
    let source = layout_asserts();
    assert!(source.matches("_Static_assert").count() > 150);
    gcc(&work_dir("c_layout"), &source, "check.o", true);
}

#[test]
fn a_wrong_number_fails_the_c_check() {
    // The check itself must be able to fail.
    if !gcc_present() {
        println!("skipped: gcc is not installed");
        return;
    }
    let dir = work_dir("c_layout_negative");
    let src = dir.join("check.c");
    std::fs::write(
        &src,
        "#include <stddef.h>\n#include <lions/fs/protocol.h>\n\
         _Static_assert(offsetof(fs_cmd_t, params) == 8, \"wrong\");\n",
    )
    .unwrap();
    let result = Process::new("gcc")
        .args(["-std=c11", "-c", "-I"])
        .arg(include_dir())
        .arg(&src)
        .arg("-o")
        .arg(dir.join("check.o"))
        .output()
        .unwrap();
    assert!(!result.status.success());
}

/// A C client in LionsOS's style: issues commands through the header's
/// producer helpers into one region, consumes completions a Rust server
/// wrote into another, and prints what it read.
const C_CLIENT: &str = r#"
#include <stdio.h>
#include <string.h>
#include <lions/fs/protocol.h>

static fs_queue_t commands;
static fs_queue_t completions;

static void issue(fs_cmd_t cmd) {
    if (fs_queue_length_producer(&commands) == FS_QUEUE_CAPACITY) {
        return;
    }
    fs_queue_idx_empty(&commands, 0)->cmd = cmd;
    fs_queue_publish_production(&commands, 1);
}

int main(int argc, char **argv) {
    if (argc != 3) {
        return 2;
    }
    /* Start near a multiple of the capacity, as a long-running client would be. */
    commands.head = commands.tail = 1020;
    issue((fs_cmd_t){ .id = 1, .type = FS_CMD_FILE_OPEN,
                      .params.file_open = { .path = { .offset = 0x8000, .size = 9 },
                                            .flags = FS_OPEN_FLAGS_READ_WRITE | FS_OPEN_FLAGS_CREATE } });
    issue((fs_cmd_t){ .id = 2, .type = FS_CMD_FILE_WRITE,
                      .params.file_write = { .fd = 5, .offset = 4096,
                                             .buf = { .offset = 0x10000, .size = 300 } } });
    issue((fs_cmd_t){ .id = 3, .type = FS_CMD_DIR_SEEK, .params.dir_seek = { .fd = 6, .loc = 12 } });
    issue((fs_cmd_t){ .id = 4, .type = FS_CMD_STAT,
                      .params.stat = { .path = { .offset = 0, .size = 1 },
                                       .buf = { .offset = 0x18000, .size = sizeof(fs_stat_t) } } });
    FILE *out = fopen(argv[1], "wb");
    if (out == NULL || fwrite(&commands, sizeof commands, 1, out) != 1 || fclose(out) != 0) {
        return 3;
    }

    FILE *in = fopen(argv[2], "rb");
    if (in == NULL || fread(&completions, sizeof completions, 1, in) != 1) {
        return 4;
    }
    uint64_t waiting = fs_queue_length_consumer(&completions);
    for (uint64_t i = 0; i < waiting; i++) {
        fs_cmpl_t c = fs_queue_idx_filled(&completions, i)->cmpl;
        printf("%llu %llu %llu %s\n", (unsigned long long)c.id, (unsigned long long)c.status,
               (unsigned long long)c.data.file_write.len_written, fs_status_to_str(c.status));
    }
    fs_queue_publish_consumption(&completions, waiting);
    printf("head %llu\n", (unsigned long long)completions.head);
    return 0;
}
"#;

#[test]
fn a_c_client_and_the_rust_server_understand_each_other() {
    if !gcc_present() {
        println!("skipped: gcc is not installed");
        return;
    }
    let dir = work_dir("c_client");
    let program = gcc(&dir, C_CLIENT, "client", false);

    // The Rust server's answers, already in their queue.
    let mut completions = FsQueue::new(vec![0u8; queue::SIZEOF]).unwrap();
    completions.reset(509);
    for answer in [
        Completion::ok(1, Reply::Opened { fd: 5 }),
        Completion::ok(2, Reply::Written { len: 300 }),
        Completion::failed(3, FsError::InvalidFd),
    ] {
        completions.enqueue_completion(&answer).unwrap();
    }
    let completions_file = dir.join("completions.bin");
    std::fs::write(&completions_file, completions.memory()).unwrap();
    let commands_file = dir.join("commands.bin");

    let run = Process::new(&program)
        .arg(&commands_file)
        .arg(&completions_file)
        .output()
        .unwrap();
    assert!(run.status.success(), "client exited {:?}", run.status);
    let stdout = String::from_utf8(run.stdout).unwrap();
    assert_eq!(
        stdout,
        "1 0 5 success\n2 0 300 success\n3 4 0 the client's file descriptor is invalid\nhead 512\n"
    );

    // What the C client enqueued, taken and decoded by the Rust server.
    let mut commands = FsQueue::new(std::fs::read(&commands_file).unwrap()).unwrap();
    assert_eq!((commands.head(), commands.tail()), (1020, 1024));
    let share_size = 0x4000000;
    let mut got = Vec::new();
    while let Ok(command) = commands.dequeue_command(share_size) {
        got.push(command);
    }
    assert_eq!(
        got,
        [
            Ok(Command {
                id: 1,
                op: Op::FileOpen {
                    path: Buffer::new(0x8000, 9),
                    flags: OpenFlags::from_raw(2 | 4).unwrap(),
                },
            }),
            Ok(Command {
                id: 2,
                op: Op::FileWrite {
                    fd: 5,
                    offset: 4096,
                    buf: Buffer::new(0x10000, 300),
                },
            }),
            Ok(Command {
                id: 3,
                op: Op::DirSeek { fd: 6, loc: 12 },
            }),
            Ok(Command {
                id: 4,
                op: Op::Stat {
                    path: Buffer::new(0, 1),
                    buf: Buffer::new(0x18000, 136),
                },
            }),
        ]
    );
    // Encoding on the Rust side gives the C compiler's bytes, up to the end
    // of the command's parameter struct (the rest of the union is not
    // specified by C).
    let mut fresh = FsQueue::new(std::fs::read(&commands_file).unwrap()).unwrap();
    for command in got.iter().flatten() {
        let slot = fresh.dequeue().unwrap();
        let used = cmd::PARAMS
            + match command.kind() {
                CommandKind::FileOpen => params::file_open::SIZEOF,
                CommandKind::FileWrite => params::file_write::SIZEOF,
                CommandKind::DirSeek => params::dir_seek::SIZEOF,
                CommandKind::Stat => params::stat::SIZEOF,
                other => panic!("{other:?} not sent"),
            };
        assert_eq!(slot[..used], command.encode()[..used]);
        assert_eq!(decode_command(&slot, share_size).as_ref(), Ok(command));
    }
}

#[test]
fn the_config_blob_is_what_gcc_makes_of_lionsos_config_structs() {
    use fs_protocol::config::{offsets, CONFIG_SIZE};
    if !gcc_present() {
        println!("skipped: gcc is not installed");
        return;
    }
    // The structs of LionsOS's lions/fs/config.h (which needs Microkit and
    // sDDF headers), restated with sDDF's region_resource_t.
    let mut a = Asserts(String::from(
        "#include <stddef.h>\n#include <stdint.h>\n\
         typedef struct { void *vaddr; uint64_t size; } region_resource_t;\n\
         typedef struct { region_resource_t command_queue; region_resource_t completion_queue;\n\
                          region_resource_t share; uint16_t queue_len; uint8_t id; } fs_connection_resource_t;\n\
         typedef struct { char magic[8]; fs_connection_resource_t client; } fs_server_config_t;\n\
         typedef struct { char magic[8]; fs_connection_resource_t server; } fs_client_config_t;\n",
    ));
    a.size("fs_server_config_t", CONFIG_SIZE);
    a.size("fs_client_config_t", CONFIG_SIZE);
    a.size("fs_connection_resource_t", offsets::CONNECTION_SIZEOF);
    a.at("fs_server_config_t", "magic", offsets::MAGIC);
    a.at("fs_server_config_t", "client", offsets::CONNECTION);
    a.at("fs_client_config_t", "server", offsets::CONNECTION);
    a.at("fs_connection_resource_t", "command_queue", offsets::COMMAND_QUEUE);
    a.at(
        "fs_connection_resource_t",
        "completion_queue",
        offsets::COMPLETION_QUEUE,
    );
    a.at("fs_connection_resource_t", "share", offsets::SHARE);
    a.at("fs_connection_resource_t", "queue_len", offsets::QUEUE_LEN);
    a.at("fs_connection_resource_t", "id", offsets::ID);
    gcc(&work_dir("c_config"), &a.0, "check.o", true);
}
