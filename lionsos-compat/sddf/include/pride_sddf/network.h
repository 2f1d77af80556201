/*
 * pride_sddf/network.h: the sDDF network queue and the copier's
 * configuration, for components written in C on Pride.
 *
 * Written for Pride (BSD-2-Clause). The layouts are sDDF's (the Rust crate
 * `sddf` documents them and tests them against sdfgen's blobs):
 *   queue region: u16 tail @0 (producer), u16 head @2 (consumer),
 *                 u32 consumer_signalled @4 (0: the consumer wants a signal),
 *                 descriptors from @8: {u64 io_or_offset; u16 len; u8 oid (6 bits)}
 *   capacity: the link's num_buffers (a power of two), indices free-running.
 * The producer notifies only if the consumer asked; the consumer, after
 * draining, asks and checks again.
 */
#ifndef PRIDE_SDDF_NETWORK_H
#define PRIDE_SDDF_NETWORK_H

#include <stdbool.h>
#include <stdint.h>

#define PRIDE_NET_BUFFER_SIZE 2048
#define PRIDE_SDDF_MAX_ENTRIES 64

typedef struct pride_region {
    void *vaddr;
    uint64_t size;
} pride_region_t;

typedef struct pride_net_connection {
    pride_region_t free_queue;
    pride_region_t active_queue;
    uint16_t num_buffers;
    uint8_t id;
} pride_net_connection_t;

/* The `.net_copy_config` section (magic "sDDF" then class 5). */
typedef struct pride_net_copy_config {
    char magic[5];
    pride_net_connection_t rx;
    pride_region_t rx_data[PRIDE_SDDF_MAX_ENTRIES];
    pride_net_connection_t client;
    pride_region_t client_data;
} pride_net_copy_config_t;

_Static_assert(sizeof(pride_net_connection_t) == 40, "sDDF net connection resource");
_Static_assert(sizeof(pride_net_copy_config_t) == 1128, "sDDF net copy config");

typedef struct pride_net_desc {
    uint64_t io_or_offset;
    uint16_t len;
    uint8_t oid;
} pride_net_desc_t;

typedef struct pride_net_ring {
    volatile uint16_t tail;
    volatile uint16_t head;
    volatile uint32_t consumer_signalled;
    volatile pride_net_desc_t desc[];
} pride_net_ring_t;

_Static_assert(sizeof(pride_net_desc_t) == 16, "sDDF net descriptor");

typedef struct pride_net_queue {
    pride_net_ring_t *ring;
    uint16_t capacity;
} pride_net_queue_t;

static inline pride_net_queue_t pride_net_queue(const pride_region_t *r, uint16_t capacity)
{
    pride_net_queue_t q = { (pride_net_ring_t *)r->vaddr, capacity };
    return q;
}

static inline bool pride_net_empty(const pride_net_queue_t *q)
{
    return q->ring->tail == q->ring->head;
}

static inline bool pride_net_full(const pride_net_queue_t *q)
{
    return (uint16_t)(q->ring->tail - q->ring->head) == q->capacity;
}

/* Producer. */
static inline bool pride_net_enqueue(pride_net_queue_t *q, pride_net_desc_t d)
{
    if (pride_net_full(q)) {
        return false;
    }
    uint16_t tail = q->ring->tail;
    volatile pride_net_desc_t *slot = &q->ring->desc[tail % q->capacity];
    slot->io_or_offset = d.io_or_offset;
    slot->len = d.len;
    slot->oid = d.oid & 0x3f;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->ring->tail = tail + 1;
    return true;
}

/* Consumer. */
static inline bool pride_net_dequeue(pride_net_queue_t *q, pride_net_desc_t *d)
{
    if (pride_net_empty(q)) {
        return false;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    uint16_t head = q->ring->head;
    volatile pride_net_desc_t *slot = &q->ring->desc[head % q->capacity];
    d->io_or_offset = slot->io_or_offset;
    d->len = slot->len;
    d->oid = slot->oid & 0x3f;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    q->ring->head = head + 1;
    return true;
}

/* Consumer, after draining: asks for a signal; true if still empty. */
static inline bool pride_net_request_signal_and_recheck(pride_net_queue_t *q)
{
    q->ring->consumer_signalled = 0;
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (pride_net_empty(q)) {
        return true;
    }
    q->ring->consumer_signalled = 1;
    return false;
}

/* Producer, after a batch: true if the consumer asked (then notify it). */
static inline bool pride_net_claim_signal(pride_net_queue_t *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (q->ring->consumer_signalled != 0) {
        return false;
    }
    q->ring->consumer_signalled = 1;
    return true;
}

#endif /* PRIDE_SDDF_NETWORK_H */
