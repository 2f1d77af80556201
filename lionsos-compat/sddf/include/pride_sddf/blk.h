/*
 * pride_sddf/blk.h: the sDDF block queues, storage-info region and client
 * configuration, for components written in C on Pride.
 *
 * Written for Pride (BSD-2-Clause). The layouts are sDDF's (the Rust crate
 * `sddf`, module `blk` and `config::blk`, documents them and tests them
 * against sdfgen's blobs); the static assertions below pin every offset:
 *   request queue:  u32 head @0 (consumer), u32 tail @4 (producer),
 *                   bool plugged @8, requests from @16, 32 bytes each:
 *                   {u32 code; u64 io_or_offset @8; u64 block_number @16;
 *                    u16 count @24; u32 id @28}
 *   response queue: u32 head @0, u32 tail @4, responses from @8, 12 bytes
 *                   each: {u32 status; u16 success_count @4; u32 id @8}
 *   capacity: the connection's num_buffers (any value), indices
 *   free-running, entry i in slot i % capacity.
 * There is no signalling flag: each side notifies the other after a batch.
 * Blocks are BLK_TRANSFER_SIZE (4096) bytes; a client names its buffers by
 * their offset in its data region.
 */
#ifndef PRIDE_SDDF_BLK_H
#define PRIDE_SDDF_BLK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRIDE_BLK_TRANSFER_SIZE 4096

/* Request codes (blk_req_code_t). */
#define PRIDE_BLK_REQ_READ 0
#define PRIDE_BLK_REQ_WRITE 1
#define PRIDE_BLK_REQ_FLUSH 2
#define PRIDE_BLK_REQ_BARRIER 3

/* Response statuses (blk_resp_status_t). */
#define PRIDE_BLK_RESP_OK 0
#define PRIDE_BLK_RESP_ERR_UNSPEC 1
#define PRIDE_BLK_RESP_ERR_INVALID_PARAM 2
#define PRIDE_BLK_RESP_ERR_IO 3
#define PRIDE_BLK_RESP_ERR_NO_DEVICE 4

typedef struct pride_blk_req {
    uint32_t code;
    uint64_t io_or_offset;
    uint64_t block_number;
    uint16_t count;
    uint32_t id;
} pride_blk_req_t;

typedef struct pride_blk_resp {
    uint32_t status;
    uint16_t success_count;
    uint32_t id;
} pride_blk_resp_t;

typedef struct pride_blk_req_queue {
    uint32_t head;
    uint32_t tail;
    bool plugged;
    pride_blk_req_t buffers[];
} pride_blk_req_queue_t;

typedef struct pride_blk_resp_queue {
    uint32_t head;
    uint32_t tail;
    pride_blk_resp_t buffers[];
} pride_blk_resp_queue_t;

_Static_assert(sizeof(pride_blk_req_t) == 32, "sDDF blk_req_t");
_Static_assert(offsetof(pride_blk_req_t, io_or_offset) == 8, "blk_req_t.io_or_offset");
_Static_assert(offsetof(pride_blk_req_t, block_number) == 16, "blk_req_t.block_number");
_Static_assert(offsetof(pride_blk_req_t, count) == 24, "blk_req_t.count");
_Static_assert(offsetof(pride_blk_req_t, id) == 28, "blk_req_t.id");
_Static_assert(sizeof(pride_blk_resp_t) == 12, "sDDF blk_resp_t");
_Static_assert(offsetof(pride_blk_resp_t, success_count) == 4, "blk_resp_t.success_count");
_Static_assert(offsetof(pride_blk_resp_t, id) == 8, "blk_resp_t.id");
_Static_assert(offsetof(pride_blk_req_queue_t, tail) == 4, "blk_req_queue_t.tail");
_Static_assert(offsetof(pride_blk_req_queue_t, plugged) == 8, "blk_req_queue_t.plugged");
_Static_assert(offsetof(pride_blk_req_queue_t, buffers) == 16, "blk_req_queue_t.buffers");
_Static_assert(offsetof(pride_blk_resp_queue_t, buffers) == 8, "blk_resp_queue_t.buffers");

/* The storage-info region (blk_storage_info_t at its start). */
typedef struct pride_blk_storage_info {
    char serial_number[64];
    bool read_only;
    bool ready;
    uint16_t sector_size;
    /* Optimal block size, in transfer blocks. */
    uint16_t block_size;
    uint16_t queue_depth;
    uint16_t cylinders, heads, blocks;
    /* Size, in transfer blocks. */
    uint64_t capacity;
} pride_blk_storage_info_t;

_Static_assert(sizeof(pride_blk_storage_info_t) == 88, "sDDF blk_storage_info_t");
_Static_assert(offsetof(pride_blk_storage_info_t, read_only) == 64, "blk_storage_info_t.read_only");
_Static_assert(offsetof(pride_blk_storage_info_t, ready) == 65, "blk_storage_info_t.ready");
_Static_assert(offsetof(pride_blk_storage_info_t, sector_size) == 66, "blk_storage_info_t.sector_size");
_Static_assert(offsetof(pride_blk_storage_info_t, queue_depth) == 70, "blk_storage_info_t.queue_depth");
_Static_assert(offsetof(pride_blk_storage_info_t, capacity) == 80, "blk_storage_info_t.capacity");

static inline bool pride_blk_storage_is_ready(const pride_blk_storage_info_t *info)
{
    return __atomic_load_n(&info->ready, __ATOMIC_ACQUIRE);
}

/* The client's configuration, `.blk_client_config` (magic "sDDF" then 2). */
typedef struct pride_blk_region {
    void *vaddr;
    uint64_t size;
} pride_blk_region_t;

typedef struct pride_blk_connection {
    pride_blk_region_t storage_info;
    pride_blk_region_t req_queue;
    pride_blk_region_t resp_queue;
    uint16_t num_buffers;
    uint8_t id;
} pride_blk_connection_t;

typedef struct pride_blk_client_config {
    char magic[5];
    pride_blk_connection_t virt;
    pride_blk_region_t data;
} pride_blk_client_config_t;

#define PRIDE_BLK_MAGIC_CLASS 2

_Static_assert(sizeof(pride_blk_region_t) == 16, "sDDF region_resource_t");
_Static_assert(sizeof(pride_blk_connection_t) == 56, "sDDF blk_connection_resource_t");
_Static_assert(offsetof(pride_blk_connection_t, req_queue) == 16, "blk_connection_resource_t.req_queue");
_Static_assert(offsetof(pride_blk_connection_t, resp_queue) == 32, "blk_connection_resource_t.resp_queue");
_Static_assert(offsetof(pride_blk_connection_t, num_buffers) == 48, "blk_connection_resource_t.num_buffers");
_Static_assert(offsetof(pride_blk_connection_t, id) == 50, "blk_connection_resource_t.id");
_Static_assert(sizeof(pride_blk_client_config_t) == 80, "sDDF blk_client_config_t");
_Static_assert(offsetof(pride_blk_client_config_t, virt) == 8, "blk_client_config_t.virt");
_Static_assert(offsetof(pride_blk_client_config_t, data) == 64, "blk_client_config_t.data");

/* A client's handle on its two queues. */
typedef struct pride_blk_queue {
    volatile pride_blk_req_queue_t *req;
    volatile pride_blk_resp_queue_t *resp;
    uint32_t capacity;
} pride_blk_queue_t;

static inline pride_blk_queue_t pride_blk_queue(const pride_blk_connection_t *c)
{
    pride_blk_queue_t q = { (volatile pride_blk_req_queue_t *)c->req_queue.vaddr,
                            (volatile pride_blk_resp_queue_t *)c->resp_queue.vaddr, c->num_buffers };
    return q;
}

static inline bool pride_blk_req_full(const pride_blk_queue_t *q)
{
    return q->req->tail - q->req->head >= q->capacity;
}

static inline bool pride_blk_resp_empty(const pride_blk_queue_t *q)
{
    return q->resp->tail - q->resp->head == 0;
}

/* Producer of requests (the client). */
static inline bool pride_blk_enqueue_req(pride_blk_queue_t *q, uint32_t code, uint64_t offset,
                                         uint64_t block_number, uint16_t count, uint32_t id)
{
    if (q->capacity == 0 || pride_blk_req_full(q)) {
        return false;
    }
    uint32_t tail = q->req->tail;
    volatile pride_blk_req_t *r = &q->req->buffers[tail % q->capacity];
    r->code = code;
    r->io_or_offset = offset;
    r->block_number = block_number;
    r->count = count;
    r->id = id;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->req->tail = tail + 1;
    return true;
}

/* Consumer of responses (the client). */
static inline bool pride_blk_dequeue_resp(pride_blk_queue_t *q, pride_blk_resp_t *out)
{
    if (q->capacity == 0 || pride_blk_resp_empty(q)) {
        return false;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint32_t head = q->resp->head;
    volatile pride_blk_resp_t *r = &q->resp->buffers[head % q->capacity];
    out->status = r->status;
    out->success_count = r->success_count;
    out->id = r->id;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->resp->head = head + 1;
    return true;
}

#endif /* PRIDE_SDDF_BLK_H */
