/*
 * fs_lions_client: a LionsOS file-system client, written in C against
 * lions/fs/protocol.h (Pride's copy of the layouts) and microkit.h, the
 * way a LionsOS application talks to its file server: commands into the
 * shared command queue, a notify, completions back in the completion
 * queue, data through the shared data region. Pride's file server (the
 * fs PD, object-servers/fs) answers it.
 *
 * It runs a fixed script, one command at a time (event-driven, as a
 * Microkit PD must be): each step checks the completion's status and
 * data and prints one line ("step NAME: ok" or "FAILED ..."), and the
 * script ends with "done, N failed". The script makes /lions, writes,
 * sizes, reads, stats and lists /lions/hello.txt, and checks the errors a
 * client must get: a path the policy refuses (/private), a missing file,
 * a buffer outside the data region.
 */
#include <microkit.h>
#include <pride_dbg.h>
#include <lions/fs/protocol.h>

/* fs_client_config_t (LionsOS's lions/fs/config.h): the magic, then the
 * connection as mapped here. */
typedef struct {
    uint64_t vaddr;
    uint64_t size;
} region_t;
typedef struct {
    char magic[8];
    region_t command_queue;
    region_t completion_queue;
    region_t share;
    uint16_t queue_len;
    uint8_t id;
} client_config_t;
_Static_assert(sizeof(client_config_t) == 64, "fs_client_config_t");

__attribute__((__section__(".fs_client_config"))) client_config_t fs_config;

#define PATH_AT 0x0
#define DATA_AT 0x1000
#define READ_AT 0x2000
#define STAT_AT 0x3000
#define NAME_AT 0x4000

static const char hello[] = "hello from a LionsOS client\n";
#define HELLO_LEN (sizeof(hello) - 1)

static fs_queue_t *commands;
static fs_queue_t *completions;
static char *share;
static int step;
static int failures;
static uint64_t fd;
static uint64_t dir_fd;

static void puts_(const char *s)
{
    microkit_dbg_puts(s);
}

static uint64_t length(const char *s)
{
    uint64_t n = 0;
    while (s[n]) {
        n++;
    }
    return n;
}

static fs_buffer_t put_path(const char *path)
{
    uint64_t n = length(path);
    for (uint64_t i = 0; i < n; i++) {
        share[PATH_AT + i] = path[i];
    }
    return (fs_buffer_t){ .offset = PATH_AT, .size = n };
}

static void send(uint64_t type, fs_cmd_params_t params)
{
    fs_msg_t *slot = fs_queue_idx_empty(commands, 0);
    slot->cmd.id = (uint64_t)step;
    slot->cmd.type = type;
    slot->cmd.params = params;
    fs_queue_publish_production(commands, 1);
    microkit_notify(fs_config.id);
}

static void report(const char *name, bool ok, const char *why, uint64_t status)
{
    puts_(microkit_name);
    puts_(": step ");
    puts_(name);
    if (ok) {
        puts_(": ok\n");
        return;
    }
    failures++;
    puts_(": FAILED (");
    puts_(why);
    puts_(", status ");
    puts_(fs_status_to_str(status));
    puts_(")\n");
}

static bool same(const char *a, const char *b, uint64_t n)
{
    for (uint64_t i = 0; i < n; i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

/* Sends the command of the current step (or ends the script). */
static void start_step(void)
{
    fs_cmd_params_t p = { 0 };
    switch (step) {
    case 0:
        send(FS_CMD_INITIALISE, p);
        break;
    case 1:
        p.dir_create.path = put_path("/lions");
        send(FS_CMD_DIR_CREATE, p);
        break;
    case 2:
        p.file_open.path = put_path("/lions/hello.txt");
        p.file_open.flags = FS_OPEN_FLAGS_READ_WRITE | FS_OPEN_FLAGS_CREATE;
        send(FS_CMD_FILE_OPEN, p);
        break;
    case 3:
        for (uint64_t i = 0; i < HELLO_LEN; i++) {
            share[DATA_AT + i] = hello[i];
        }
        p.file_write.fd = fd;
        p.file_write.offset = 0;
        p.file_write.buf = (fs_buffer_t){ .offset = DATA_AT, .size = HELLO_LEN };
        send(FS_CMD_FILE_WRITE, p);
        break;
    case 4:
        p.file_size.fd = fd;
        send(FS_CMD_FILE_SIZE, p);
        break;
    case 5:
        p.file_read.fd = fd;
        p.file_read.offset = 6;
        p.file_read.buf = (fs_buffer_t){ .offset = READ_AT, .size = 0x1000 };
        send(FS_CMD_FILE_READ, p);
        break;
    case 6:
        p.file_close.fd = fd;
        send(FS_CMD_FILE_CLOSE, p);
        break;
    case 7:
        p.stat.path = put_path("/lions/hello.txt");
        p.stat.buf = (fs_buffer_t){ .offset = STAT_AT, .size = sizeof(fs_stat_t) };
        send(FS_CMD_STAT, p);
        break;
    case 8:
        p.dir_open.path = put_path("/lions");
        send(FS_CMD_DIR_OPEN, p);
        break;
    case 9:
    case 10:
        p.dir_read.fd = dir_fd;
        p.dir_read.buf = (fs_buffer_t){ .offset = NAME_AT, .size = FS_MAX_NAME_LENGTH };
        send(FS_CMD_DIR_READ, p);
        break;
    case 11:
        p.dir_close.fd = dir_fd;
        send(FS_CMD_DIR_CLOSE, p);
        break;
    case 12:
        p.file_open.path = put_path("/private/lions");
        p.file_open.flags = FS_OPEN_FLAGS_READ_WRITE | FS_OPEN_FLAGS_CREATE;
        send(FS_CMD_FILE_OPEN, p);
        break;
    case 13:
        p.file_open.path = put_path("/lions/missing");
        p.file_open.flags = FS_OPEN_FLAGS_READ_ONLY;
        send(FS_CMD_FILE_OPEN, p);
        break;
    case 14:
        p.file_read.fd = 0;
        p.file_read.offset = 0;
        p.file_read.buf = (fs_buffer_t){ .offset = fs_config.share.size - 8, .size = 64 };
        send(FS_CMD_FILE_READ, p);
        break;
    default:
        puts_(microkit_name);
        puts_(": done, ");
        pride_put_dec((uint64_t)failures);
        puts_(" failed\n");
        break;
    }
}

/* Checks the completion of the current step. */
static void end_step(fs_cmpl_t *c)
{
    uint64_t s = c->status;
    bool ok = s == FS_STATUS_SUCCESS;
    if (c->id != (uint64_t)step) {
        report("id", false, "a completion for another command", s);
        return;
    }
    switch (step) {
    case 0:
        report("initialise", ok, "refused", s);
        break;
    case 1:
        /* A second run finds it there. */
        report("dir_create /lions", ok || s == FS_STATUS_ALREADY_EXISTS, "refused", s);
        break;
    case 2:
        fd = c->data.file_open.fd;
        report("file_open /lions/hello.txt", ok, "refused", s);
        break;
    case 3:
        report("file_write", ok && c->data.file_write.len_written == HELLO_LEN, "short or refused", s);
        break;
    case 4:
        report("file_size", ok && c->data.file_size.size == HELLO_LEN, "wrong size", s);
        break;
    case 5:
        report("file_read", ok && c->data.file_read.len_read == HELLO_LEN - 6 && same(share + READ_AT, hello + 6, HELLO_LEN - 6),
               "wrong bytes", s);
        break;
    case 6:
        report("file_close", ok, "refused", s);
        break;
    case 7: {
        fs_stat_t *st = (fs_stat_t *)(share + STAT_AT);
        report("stat", ok && st->size == HELLO_LEN && (st->mode & 0170000) == 0100000, "wrong size or mode", s);
        break;
    }
    case 8:
        dir_fd = c->data.dir_open.fd;
        report("dir_open /lions", ok, "refused", s);
        break;
    case 9:
        report("dir_read", ok && c->data.dir_read.path_len == 9 && same(share + NAME_AT, "hello.txt", 9), "wrong entry", s);
        break;
    case 10:
        report("dir_read at the end", s == FS_STATUS_END_OF_DIRECTORY, "not the end", s);
        break;
    case 11:
        report("dir_close", ok, "refused", s);
        break;
    case 12:
        report("a path the policy refuses", s == FS_STATUS_SERVER_WAS_DENIED, "not denied", s);
        break;
    case 13:
        report("a missing file", s == FS_STATUS_NO_FILE, "not NO_FILE", s);
        break;
    case 14:
        report("a buffer outside the data region", s == FS_STATUS_INVALID_BUFFER, "not refused", s);
        break;
    default:
        return;
    }
    step++;
    start_step();
}

void init(void)
{
    commands = (fs_queue_t *)fs_config.command_queue.vaddr;
    completions = (fs_queue_t *)fs_config.completion_queue.vaddr;
    share = (char *)fs_config.share.vaddr;
    puts_(microkit_name);
    puts_(": LionsOS file-system client, ");
    pride_put_dec(fs_config.share.size >> 20);
    puts_(" MiB data region, channel ");
    pride_put_dec(fs_config.id);
    puts_("\n");
    start_step();
}

void notified(microkit_channel ch)
{
    if (ch != fs_config.id) {
        return;
    }
    uint64_t n = fs_queue_length_consumer(completions);
    for (uint64_t i = 0; i < n; i++) {
        fs_cmpl_t c = fs_queue_idx_filled(completions, 0)->cmpl;
        fs_queue_publish_consumption(completions, 1);
        end_step(&c);
    }
}
