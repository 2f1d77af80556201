/*
 * pride_lions_fs/protocol.h: the LionsOS file-system protocol for C
 * clients and servers on Pride.
 *
 * Written for Pride (BSD-2-Clause). The layouts, names and numbers are
 * those of LionsOS's include/lions/fs/protocol.h (au-ts/lionsos at
 * eb1cddee0045, where that file last changed in 7a58fc43d539), so a LionsOS
 * file-system client compiles against this header unchanged; the Rust crate
 * `fs-protocol` (lionsos-compat/fs-protocol) implements the same protocol
 * and its test compiles this file with _Static_assert checks of every size
 * and offset against the crate's constants. In brief (LP64, every field a
 * uint64_t, no implicit padding):
 *   queue region (32 KiB): head @0 (consumer), tail @8 (producer),
 *       48 bytes padding, FS_QUEUE_CAPACITY 64-byte slots from @64;
 *       indices free-running, message i in slot i % FS_QUEUE_CAPACITY;
 *       load the other side's index with acquire, store yours with release.
 *   command (64): id @0, type @8, parameter union @16 (48 bytes).
 *   completion (24, in a 64-byte slot): id @0, status @8, data @16.
 *   buffer: {offset @0, size @8} into the client's data region.
 * The client produces commands and consumes completions; the server the
 * reverse. Each side notifies the other after publishing a batch.
 */
#ifndef PRIDE_LIONS_FS_PROTOCOL_H
#define PRIDE_LIONS_FS_PROTOCOL_H

#include <stdbool.h>
#include <stdint.h>

/* Slots per queue. */
#define FS_QUEUE_CAPACITY 511

/* Longest directory-entry name and longest path, in bytes, without a NUL.
 * Paths travel without a terminator: a buffer's size is the length. */
#define FS_MAX_NAME_LENGTH 255
#define FS_MAX_PATH_LENGTH 4095

/* Open flags: an access mode in the low two bits, plus CREATE. */
enum {
    FS_OPEN_FLAGS_READ_ONLY = 0,
    FS_OPEN_FLAGS_WRITE_ONLY = 1,
    FS_OPEN_FLAGS_READ_WRITE = 2,
    FS_OPEN_FLAGS_CREATE = 4,
};

/* Completion statuses. */
enum {
    FS_STATUS_SUCCESS = 0,
    FS_STATUS_ERROR = 1,
    FS_STATUS_INVALID_BUFFER = 2,
    FS_STATUS_INVALID_PATH = 3,
    FS_STATUS_INVALID_FD = 4,
    FS_STATUS_ALLOCATION_ERROR = 5,
    FS_STATUS_OUTSTANDING_OPERATIONS = 6,
    FS_STATUS_INVALID_NAME = 7,
    FS_STATUS_TOO_MANY_OPEN_FILES = 8,
    FS_STATUS_SERVER_WAS_DENIED = 9,
    FS_STATUS_INVALID_WRITE = 10,
    FS_STATUS_INVALID_READ = 11,
    FS_STATUS_DIRECTORY_IS_FULL = 12,
    FS_STATUS_INVALID_COMMAND = 13,
    FS_STATUS_END_OF_DIRECTORY = 14,
    FS_STATUS_NO_FILE = 15,
    FS_STATUS_NOT_DIRECTORY = 16,
    FS_STATUS_ALREADY_EXISTS = 17,
    FS_STATUS_NOT_EMPTY = 18,
    FS_STATUS_NUM_STATUSES = 19,
};

/* Command codes (the `type` of a command). */
enum {
    FS_CMD_INITIALISE = 0,
    FS_CMD_DEINITIALISE = 1,
    FS_CMD_FILE_OPEN = 2,
    FS_CMD_FILE_CLOSE = 3,
    FS_CMD_STAT = 4,
    FS_CMD_FILE_READ = 5,
    FS_CMD_FILE_WRITE = 6,
    FS_CMD_FILE_SIZE = 7,
    FS_CMD_RENAME = 8,
    FS_CMD_FILE_REMOVE = 9,
    FS_CMD_FILE_TRUNCATE = 10,
    FS_CMD_DIR_CREATE = 11,
    FS_CMD_DIR_REMOVE = 12,
    FS_CMD_DIR_OPEN = 13,
    FS_CMD_DIR_CLOSE = 14,
    FS_CMD_FILE_SYNC = 15,
    FS_CMD_DIR_READ = 16,
    FS_CMD_DIR_SEEK = 17,
    FS_CMD_DIR_TELL = 18,
    FS_CMD_DIR_REWIND = 19,
    FS_NUM_COMMANDS = 20,
};

/* The result of FS_CMD_STAT, written into the client's buffer. */
typedef struct fs_stat {
    uint64_t dev;
    uint64_t ino;
    uint64_t mode;
    uint64_t nlink;
    uint64_t uid;
    uint64_t gid;
    uint64_t rdev;
    uint64_t size;
    uint64_t blksize;
    uint64_t blocks;
    uint64_t atime;
    uint64_t mtime;
    uint64_t ctime;
    uint64_t atime_nsec;
    uint64_t mtime_nsec;
    uint64_t ctime_nsec;
    uint64_t used;
} fs_stat_t;

/* A byte range of the client's data region. */
typedef struct fs_buffer {
    uint64_t offset;
    uint64_t size;
} fs_buffer_t;

/* Parameters, one struct per command that has any. */
typedef struct fs_cmd_params_file_open {
    fs_buffer_t path;
    uint64_t flags;
} fs_cmd_params_file_open_t;

typedef struct fs_cmd_params_file_close {
    uint64_t fd;
} fs_cmd_params_file_close_t;

typedef struct fs_cmd_params_stat {
    fs_buffer_t path;
    fs_buffer_t buf;
} fs_cmd_params_stat_t;

typedef struct fs_cmd_params_file_read {
    uint64_t fd;
    uint64_t offset;
    fs_buffer_t buf;
} fs_cmd_params_file_read_t;

typedef struct fs_cmd_params_file_write {
    uint64_t fd;
    uint64_t offset;
    fs_buffer_t buf;
} fs_cmd_params_file_write_t;

typedef struct fs_cmd_params_file_size {
    uint64_t fd;
} fs_cmd_params_file_size_t;

typedef struct fs_cmd_params_rename {
    fs_buffer_t old_path;
    fs_buffer_t new_path;
} fs_cmd_params_rename_t;

typedef struct fs_cmd_params_file_remove {
    fs_buffer_t path;
} fs_cmd_params_file_remove_t;

typedef struct fs_cmd_params_file_truncate {
    uint64_t fd;
    uint64_t length;
} fs_cmd_params_file_truncate_t;

typedef struct fs_cmd_params_dir_create {
    fs_buffer_t path;
} fs_cmd_params_dir_create_t;

typedef struct fs_cmd_params_dir_remove {
    fs_buffer_t path;
} fs_cmd_params_dir_remove_t;

typedef struct fs_cmd_params_dir_open {
    fs_buffer_t path;
} fs_cmd_params_dir_open_t;

typedef struct fs_cmd_params_dir_close {
    uint64_t fd;
} fs_cmd_params_dir_close_t;

typedef struct fs_cmd_params_dir_read {
    uint64_t fd;
    fs_buffer_t buf;
} fs_cmd_params_dir_read_t;

typedef struct fs_cmd_params_file_sync {
    uint64_t fd;
} fs_cmd_params_file_sync_t;

typedef struct fs_cmd_params_dir_seek {
    uint64_t fd;
    int64_t loc;
} fs_cmd_params_dir_seek_t;

typedef struct fs_cmd_params_dir_tell {
    uint64_t fd;
} fs_cmd_params_dir_tell_t;

typedef struct fs_cmd_params_dir_rewind {
    uint64_t fd;
} fs_cmd_params_dir_rewind_t;

typedef union fs_cmd_params {
    fs_cmd_params_file_open_t file_open;
    fs_cmd_params_file_close_t file_close;
    fs_cmd_params_stat_t stat;
    fs_cmd_params_file_read_t file_read;
    fs_cmd_params_file_write_t file_write;
    fs_cmd_params_file_size_t file_size;
    fs_cmd_params_rename_t rename;
    fs_cmd_params_file_remove_t file_remove;
    fs_cmd_params_file_truncate_t file_truncate;
    fs_cmd_params_dir_create_t dir_create;
    fs_cmd_params_dir_remove_t dir_remove;
    fs_cmd_params_dir_open_t dir_open;
    fs_cmd_params_dir_close_t dir_close;
    fs_cmd_params_dir_read_t dir_read;
    fs_cmd_params_file_sync_t file_sync;
    fs_cmd_params_dir_seek_t dir_seek;
    fs_cmd_params_dir_tell_t dir_tell;
    fs_cmd_params_dir_rewind_t dir_rewind;
    /* Fixes the union (and so a command) at its wire size. */
    uint8_t min_size[48];
} fs_cmd_params_t;

typedef struct fs_cmd {
    uint64_t id;
    uint64_t type;
    fs_cmd_params_t params;
} fs_cmd_t;

/* Completion data, by command. */
typedef struct fs_cmpl_data_file_open {
    uint64_t fd;
} fs_cmpl_data_file_open_t;

typedef struct fs_cmpl_data_file_read {
    uint64_t len_read;
} fs_cmpl_data_file_read_t;

typedef struct fs_cmpl_data_file_write {
    uint64_t len_written;
} fs_cmpl_data_file_write_t;

typedef struct fs_cmpl_data_file_size {
    uint64_t size;
} fs_cmpl_data_file_size_t;

typedef struct fs_cmpl_data_dir_open {
    uint64_t fd;
} fs_cmpl_data_dir_open_t;

typedef struct fs_cmpl_data_dir_read {
    uint64_t path_len;
} fs_cmpl_data_dir_read_t;

typedef struct fs_cmpl_data_dir_tell {
    uint64_t location;
} fs_cmpl_data_dir_tell_t;

typedef union fs_cmpl_data {
    fs_cmpl_data_file_open_t file_open;
    fs_cmpl_data_file_read_t file_read;
    fs_cmpl_data_file_write_t file_write;
    fs_cmpl_data_file_size_t file_size;
    fs_cmpl_data_dir_open_t dir_open;
    fs_cmpl_data_dir_read_t dir_read;
    fs_cmpl_data_dir_tell_t dir_tell;
} fs_cmpl_data_t;

typedef struct fs_cmpl {
    uint64_t id;
    uint64_t status;
    fs_cmpl_data_t data;
} fs_cmpl_t;

/* One queue slot. */
typedef union fs_msg {
    fs_cmd_t cmd;
    fs_cmpl_t cmpl;
} fs_msg_t;

typedef struct fs_queue {
    uint64_t head;
    uint64_t tail;
    uint8_t padding[48];
    fs_msg_t buffer[FS_QUEUE_CAPACITY];
} fs_queue_t;

_Static_assert(sizeof(fs_cmd_t) == 64, "a command fills a 64-byte slot");
_Static_assert(sizeof(fs_msg_t) == 64, "slots are 64 bytes");
_Static_assert(sizeof(fs_queue_t) == 0x8000, "a queue region is 32 KiB");

/*
 * Queue access, with the protocol's ordering: a side reads the index the
 * other side writes with acquire semantics and publishes its own with
 * release semantics. `queue->head` / `queue->tail` read without an atomic
 * are this side's own index.
 */

/* Consumer: messages waiting. */
static inline uint64_t fs_queue_length_consumer(fs_queue_t *queue)
{
    uint64_t produced = __atomic_load_n(&queue->tail, __ATOMIC_ACQUIRE);
    return produced - queue->head;
}

/* Producer: messages not yet consumed (FS_QUEUE_CAPACITY means full). */
static inline uint64_t fs_queue_length_producer(fs_queue_t *queue)
{
    uint64_t consumed = __atomic_load_n(&queue->head, __ATOMIC_ACQUIRE);
    return queue->tail - consumed;
}

/* Consumer: the message `index` places after head. */
static inline fs_msg_t *fs_queue_idx_filled(fs_queue_t *queue, uint64_t index)
{
    return &queue->buffer[(queue->head + index) % FS_QUEUE_CAPACITY];
}

/* Producer: the free slot `index` places after tail. */
static inline fs_msg_t *fs_queue_idx_empty(fs_queue_t *queue, uint64_t index)
{
    return &queue->buffer[(queue->tail + index) % FS_QUEUE_CAPACITY];
}

/* Consumer: hand `amount_consumed` slots back. */
static inline void fs_queue_publish_consumption(fs_queue_t *queue, uint64_t amount_consumed)
{
    __atomic_store_n(&queue->head, queue->head + amount_consumed, __ATOMIC_RELEASE);
}

/* Producer: make `amount_produced` filled slots visible. */
static inline void fs_queue_publish_production(fs_queue_t *queue, uint64_t amount_produced)
{
    __atomic_store_n(&queue->tail, queue->tail + amount_produced, __ATOMIC_RELEASE);
}

/* A one-line description of a status, known or not. */
static inline char *fs_status_to_str(uint64_t status)
{
    static char *const text[FS_STATUS_NUM_STATUSES] = {
        [FS_STATUS_SUCCESS] = "success",
        [FS_STATUS_ERROR] = "the operation failed",
        [FS_STATUS_INVALID_BUFFER] = "the client's buffer is invalid",
        [FS_STATUS_INVALID_PATH] = "the client's path or path buffer is invalid",
        [FS_STATUS_INVALID_FD] = "the client's file descriptor is invalid",
        [FS_STATUS_ALLOCATION_ERROR] = "the server could not allocate",
        [FS_STATUS_OUTSTANDING_OPERATIONS] = "the descriptor still has operations in flight",
        [FS_STATUS_INVALID_NAME] = "the client's file name is invalid",
        [FS_STATUS_TOO_MANY_OPEN_FILES] = "the server has too many files open",
        [FS_STATUS_SERVER_WAS_DENIED] = "the backing store refused the server",
        [FS_STATUS_INVALID_WRITE] = "the file is not open for writing",
        [FS_STATUS_INVALID_READ] = "the file is not open for reading",
        [FS_STATUS_DIRECTORY_IS_FULL] = "the directory is full",
        [FS_STATUS_INVALID_COMMAND] = "the command is invalid",
        [FS_STATUS_END_OF_DIRECTORY] = "end of directory",
        [FS_STATUS_NO_FILE] = "no such file",
        [FS_STATUS_NOT_DIRECTORY] = "not a directory",
        [FS_STATUS_ALREADY_EXISTS] = "the file or directory already exists",
        [FS_STATUS_NOT_EMPTY] = "the directory is not empty",
    };
    if (status >= FS_STATUS_NUM_STATUSES) {
        return "unknown status code";
    }
    return text[status];
}

#endif /* PRIDE_LIONS_FS_PROTOCOL_H */
