/*
 * blk_client: an sDDF block client written in C against Pride's
 * microkit.h and pride_sddf/blk.h. One runs per partition (blk_client0 on
 * partition 0, blk_client1 on partition 1: the digit at the end of its
 * name says which partition it expects).
 *
 * Once the virtualiser publishes its storage info it:
 *   1. reads block 0 of its partition, where the disk image carries the
 *      label "PRIDE-PART-<n>", and checks it is its own partition's (on
 *      any other disk it stops there, without writing anything);
 *   2. writes a pattern of its own (partition, block and byte dependent)
 *      to blocks 1-4 in one request and to the partition's last block,
 *      then flushes;
 *   3. reads those blocks back into a buffer filled with 0xee and
 *      compares; alongside, makes four requests the virtualiser must
 *      refuse (past the partition's end, at its end, an unknown code, a
 *      buffer outside the data region);
 * and prints one line per step, a FAILED line for anything that differs,
 * and a closing "done" line. Then
 *   4. it streams: STREAM_ROUNDS rounds, each writing STREAM_BLOCKS blocks
 *      (blocks STREAM_START.., one request each, all in flight at once)
 *      with a pattern of the round, then, once all are answered, reading
 *      them back the same way into a buffer filled with 0xee and
 *      comparing. Every request has an id of its own and must be answered
 *      exactly once, OK and whole: an answer to an id not in flight (an
 *      unknown one, or a second answer) is a FAILED line, a missing one
 *      stops the stream (the host sees no more progress). Every
 *      STREAM_REPORT rounds it prints how many requests it made and how
 *      many were answered (all of them, at the end of a round), and
 *      "stream: done" at the end. The host replaces the driver and the
 *      virtualiser meanwhile.
 */
#include <microkit.h>
#include <pride_dbg.h>
#include <pride_sddf/blk.h>

__attribute__((__section__(".blk_client_config"))) pride_blk_client_config_t config;

#define BLOCK PRIDE_BLK_TRANSFER_SIZE
/* Where things are in the data region. */
#define LABEL_BUF 0x00000ul
#define WRITE_BUF 0x10000ul
#define READ_BUF 0x20000ul
/* Blocks 1-4 are written in one request. */
#define RUN_START 1
#define RUN_BLOCKS 4
/* The stream (see above); the host's disk check knows these. */
#define STREAM_WRITE_BUF 0x40000ul
#define STREAM_READ_BUF 0x60000ul
#define STREAM_START 8
#define STREAM_BLOCKS 8
#ifndef STREAM_ROUNDS
#define STREAM_ROUNDS 300
#endif
#define STREAM_REPORT 10
#define STREAM_FIRST_ID 1000

static pride_blk_queue_t queue;
static int partition = -1;
static uint64_t capacity;
static int phase;
static int failures;

/* The requests of the current phase and what each must be answered with. */
struct expected {
    uint32_t id;
    uint32_t status;
    uint16_t count;
    bool answered;
    const char *what;
};
static struct expected expect[16];
static int expecting;
/* The stream: the round, its step (0 writing, 1 reading back), the next
 * request id, requests made and answered. */
static uint32_t round_;
static int step;
static uint32_t next_id = STREAM_FIRST_ID;
static uint64_t issued, answered;

static void puts_(const char *s)
{
    microkit_dbg_puts(s);
}

static void put_hex(uint64_t v)
{
    char buf[19];
    int i = 18;
    buf[i] = 0;
    do {
        buf[--i] = "0123456789abcdef"[v & 0xf];
        v >>= 4;
    } while (v && i > 2);
    buf[--i] = 'x';
    buf[--i] = '0';
    puts_(&buf[i]);
}

static void line_start(void)
{
    puts_(microkit_name);
    puts_(": ");
}

static void fail(const char *what)
{
    failures++;
    line_start();
    puts_("FAILED: ");
    puts_(what);
}

static const char *status_name(uint32_t s)
{
    switch (s) {
    case PRIDE_BLK_RESP_OK:
        return "ok";
    case PRIDE_BLK_RESP_ERR_UNSPEC:
        return "unspecified error";
    case PRIDE_BLK_RESP_ERR_INVALID_PARAM:
        return "invalid parameter";
    case PRIDE_BLK_RESP_ERR_IO:
        return "I/O error";
    case PRIDE_BLK_RESP_ERR_NO_DEVICE:
        return "no device";
    default:
        return "unknown status";
    }
}

static volatile uint8_t *data(uint64_t offset)
{
    return (volatile uint8_t *)config.data.vaddr + offset;
}

/* The byte a block of this partition must hold at index i: different for
 * every partition, block and byte position (the host checks the disk
 * image with the same formula). */
static uint8_t pattern(uint64_t block, uint32_t i)
{
    return (uint8_t)(i * 7u + (uint32_t)block * 13u + (uint32_t)partition * 101u + (i >> 8) * 3u);
}

static void request(uint32_t code, uint64_t offset, uint64_t block, uint16_t count, uint32_t id, uint32_t status,
                    const char *what)
{
    struct expected *e = &expect[expecting++];
    issued++;
    e->id = id;
    e->status = status;
    e->count = status == PRIDE_BLK_RESP_OK ? count : 0;
    e->answered = false;
    e->what = what;
    if (!pride_blk_enqueue_req(&queue, code, offset, block, count, id)) {
        fail("the request queue is full\n");
        e->answered = true;
    }
}

static void fill(uint64_t offset, uint64_t block)
{
    for (uint32_t i = 0; i < BLOCK; i++) {
        data(offset)[i] = pattern(block, i);
    }
}

/* The byte the stream's round r writes at index i of a block (the host
 * checks the last round's on the disk image with the same formula). */
static uint8_t stream_pattern(uint64_t block, uint32_t i, uint32_t r)
{
    return (uint8_t)(pattern(block, i) + r * 29u);
}

/* Compares one block read back (written by stream round r, or by the
 * checks if r is 0); reports the first difference. */
static bool intact_round(uint64_t offset, uint64_t block, uint32_t r)
{
    for (uint32_t i = 0; i < BLOCK; i++) {
        uint8_t got = data(offset)[i];
        uint8_t want = r ? stream_pattern(block, i, r) : pattern(block, i);
        if (got != want) {
            fail("block ");
            pride_put_dec(block);
            puts_(" byte ");
            pride_put_dec(i);
            puts_(" read back as ");
            put_hex(got);
            puts_(", written as ");
            put_hex(want);
            puts_("\n");
            return false;
        }
    }
    return true;
}

static bool intact(uint64_t offset, uint64_t block)
{
    return intact_round(offset, block, 0);
}

/* Issues the current round's current step of the stream. */
static void stream_step(void)
{
    expecting = 0;
    for (int b = 0; b < STREAM_BLOCKS; b++) {
        uint64_t block = STREAM_START + (uint64_t)b;
        if (step == 0) {
            uint64_t at = STREAM_WRITE_BUF + (uint64_t)b * BLOCK;
            for (uint32_t i = 0; i < BLOCK; i++) {
                data(at)[i] = stream_pattern(block, i, round_);
            }
            request(PRIDE_BLK_REQ_WRITE, at, block, 1, next_id++, PRIDE_BLK_RESP_OK, "stream write");
        } else {
            uint64_t at = STREAM_READ_BUF + (uint64_t)b * BLOCK;
            for (uint32_t i = 0; i < BLOCK; i++) {
                data(at)[i] = 0xee;
            }
            request(PRIDE_BLK_REQ_READ, at, block, 1, next_id++, PRIDE_BLK_RESP_OK, "stream read");
        }
    }
    microkit_notify(config.virt.id);
}

static void stream_report(const char *what)
{
    line_start();
    puts_("stream: ");
    puts_(what);
    puts_(" round ");
    pride_put_dec(round_);
    puts_(": ");
    pride_put_dec(issued);
    puts_(" requests made, ");
    pride_put_dec(answered);
    puts_(" answered once each, ");
    if (failures == 0) {
        puts_("read back intact\n");
    } else {
        pride_put_dec((uint64_t)failures);
        puts_(" checks FAILED\n");
    }
}

/* Every request of the step was answered: the next step, round or the end. */
static void stream_next(void)
{
    if (step == 0) {
        step = 1;
        stream_step();
        return;
    }
    bool ok = true;
    for (int b = 0; b < STREAM_BLOCKS && ok; b++) {
        ok = intact_round(STREAM_READ_BUF + (uint64_t)b * BLOCK, STREAM_START + (uint64_t)b, round_);
    }
    if (round_ % STREAM_REPORT == 0 || round_ == STREAM_ROUNDS) {
        stream_report(round_ == STREAM_ROUNDS ? "done after" : "at");
    }
    if (round_ == STREAM_ROUNDS || !ok) {
        phase = 5;
        return;
    }
    round_++;
    step = 0;
    stream_step();
}

static void start_phase(void)
{
    expecting = 0;
    uint64_t last = capacity - 1;
    switch (phase) {
    case 1:
        request(PRIDE_BLK_REQ_READ, LABEL_BUF, 0, 1, 1, PRIDE_BLK_RESP_OK, "read of block 0");
        break;
    case 2:
        for (int b = 0; b < RUN_BLOCKS; b++) {
            fill(WRITE_BUF + (uint64_t)b * BLOCK, RUN_START + b);
        }
        fill(WRITE_BUF + RUN_BLOCKS * BLOCK, last);
        request(PRIDE_BLK_REQ_WRITE, WRITE_BUF, RUN_START, RUN_BLOCKS, 2, PRIDE_BLK_RESP_OK, "write of blocks 1-4");
        request(PRIDE_BLK_REQ_WRITE, WRITE_BUF + RUN_BLOCKS * BLOCK, last, 1, 3, PRIDE_BLK_RESP_OK,
                "write of the last block");
        request(PRIDE_BLK_REQ_FLUSH, 0, 0, 0, 4, PRIDE_BLK_RESP_OK, "flush");
        break;
    case 3:
        for (uint32_t i = 0; i < (RUN_BLOCKS + 1) * BLOCK; i++) {
            data(READ_BUF)[i] = 0xee;
        }
        request(PRIDE_BLK_REQ_READ, READ_BUF, RUN_START, RUN_BLOCKS, 5, PRIDE_BLK_RESP_OK, "read of blocks 1-4");
        request(PRIDE_BLK_REQ_READ, READ_BUF + RUN_BLOCKS * BLOCK, last, 1, 6, PRIDE_BLK_RESP_OK,
                "read of the last block");
        request(PRIDE_BLK_REQ_READ, READ_BUF, last, 2, 7, PRIDE_BLK_RESP_ERR_INVALID_PARAM,
                "read of 2 blocks from the last block (past the partition's end)");
        request(PRIDE_BLK_REQ_WRITE, WRITE_BUF, capacity, 1, 8, PRIDE_BLK_RESP_ERR_INVALID_PARAM,
                "write of the block after the partition's end");
        request(9, READ_BUF, 0, 1, 9, PRIDE_BLK_RESP_ERR_INVALID_PARAM, "request with unknown code 9");
        request(PRIDE_BLK_REQ_READ, config.data.size - BLOCK, 0, 2, 10, PRIDE_BLK_RESP_ERR_INVALID_PARAM,
                "read into a buffer running past the data region");
        break;
    case 4:
        round_ = 1;
        step = 0;
        stream_step();
        return;
    default:
        return;
    }
    microkit_notify(config.virt.id);
}

static void end_phase(void)
{
    switch (phase) {
    case 1: {
        char want[] = "PRIDE-PART-?";
        want[11] = (char)('0' + partition);
        bool same = true;
        for (int i = 0; i < 13; i++) {
            if (data(LABEL_BUF)[i] != (uint8_t)want[i]) {
                same = false;
            }
        }
        if (same) {
            line_start();
            puts_("block 0 holds the label ");
            puts_(want);
            puts_(", as expected\n");
        } else {
            char got[13];
            for (int i = 0; i < 12; i++) {
                uint8_t c = data(LABEL_BUF)[i];
                got[i] = c >= 32 && c < 127 ? (char)c : '.';
            }
            got[12] = 0;
            fail("block 0 holds '");
            puts_(got);
            puts_("', not ");
            puts_(want);
            puts_(": this is not partition ");
            pride_put_dec((uint64_t)partition);
            puts_("\n");
            /* Not the test disk (the files disk, say): write nothing. */
            line_start();
            puts_("not the block test disk: stopping without writing\n");
            return;
        }
        break;
    }
    case 2:
        line_start();
        puts_("wrote blocks 1-4 in one request and block ");
        pride_put_dec(capacity - 1);
        puts_(" (the last), flushed\n");
        break;
    case 3: {
        bool ok = true;
        for (int b = 0; b < RUN_BLOCKS; b++) {
            ok = intact(READ_BUF + (uint64_t)b * BLOCK, RUN_START + b) && ok;
        }
        ok = intact(READ_BUF + RUN_BLOCKS * BLOCK, capacity - 1) && ok;
        if (ok) {
            line_start();
            puts_("read back blocks 1-4 and ");
            pride_put_dec(capacity - 1);
            puts_(": intact\n");
        }
        break;
    }
    case 4:
        stream_next();
        return;
    default:
        break;
    }
    phase++;
    if (phase <= 3) {
        start_phase();
        return;
    }
    line_start();
    if (failures == 0) {
        puts_("done: all checks passed\n");
    } else {
        puts_("done: ");
        pride_put_dec((uint64_t)failures);
        puts_(" checks FAILED\n");
        return;
    }
    start_phase();
}

static void responses(void)
{
    pride_blk_resp_t r;
    while (pride_blk_dequeue_resp(&queue, &r)) {
        struct expected *e = 0;
        for (int i = 0; i < expecting; i++) {
            if (expect[i].id == r.id && !expect[i].answered) {
                e = &expect[i];
            }
        }
        if (!e) {
            fail("a response to request ");
            pride_put_dec(r.id);
            puts_(", which is not in flight\n");
            continue;
        }
        e->answered = true;
        answered++;
        if (r.status != e->status || r.success_count != e->count) {
            fail(e->what);
            puts_(": answered ");
            puts_(status_name(r.status));
            puts_(" (");
            pride_put_dec(r.success_count);
            puts_(" blocks), expected ");
            puts_(status_name(e->status));
            puts_(" (");
            pride_put_dec(e->count);
            puts_(" blocks)\n");
        } else if (e->status != PRIDE_BLK_RESP_OK) {
            line_start();
            puts_(e->what);
            puts_(": refused (");
            puts_(status_name(r.status));
            puts_("), as it must be\n");
        }
    }
    for (int i = 0; i < expecting; i++) {
        if (!expect[i].answered) {
            return;
        }
    }
    end_phase();
}

/* Starts once the virtualiser has published the partition. */
static void maybe_start(void)
{
    const pride_blk_storage_info_t *info = config.virt.storage_info.vaddr;
    if (phase != 0 || !pride_blk_storage_is_ready(info)) {
        return;
    }
    capacity = info->capacity;
    line_start();
    puts_("partition ");
    pride_put_dec((uint64_t)partition);
    puts_(" ready: ");
    pride_put_dec(capacity);
    puts_(" blocks of 4096 bytes\n");
    if (capacity < RUN_START + RUN_BLOCKS + 1 || capacity < STREAM_START + STREAM_BLOCKS + 1 ||
        config.data.size < STREAM_READ_BUF + STREAM_BLOCKS * BLOCK) {
        fail("the partition or the data region is too small for the test\n");
        phase = 5;
        return;
    }
    phase = 1;
    start_phase();
}

void init(void)
{
    if (config.magic[0] != 's' || config.magic[4] != PRIDE_BLK_MAGIC_CLASS || !config.virt.storage_info.vaddr ||
        !config.data.vaddr) {
        microkit_dbg_puts("blk_client: no configuration\n");
        phase = 5;
        return;
    }
    int n = 0;
    while (n < MICROKIT_PD_NAME_LENGTH && microkit_name[n]) {
        n++;
    }
    if (n > 0 && microkit_name[n - 1] >= '0' && microkit_name[n - 1] <= '3') {
        partition = microkit_name[n - 1] - '0';
    } else {
        fail("the name does not end in the partition number (0-3)\n");
        phase = 5;
        return;
    }
    queue = pride_blk_queue(&config.virt);
    maybe_start();
}

void notified(microkit_channel ch)
{
    if (ch != config.virt.id) {
        return;
    }
    if (phase == 0) {
        maybe_start();
    } else if (phase <= 4) {
        responses();
    }
}
