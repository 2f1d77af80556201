/*
 * pride_sddf/serial.h: the sDDF serial queue and the serial client's
 * configuration, for components written in C on Pride.
 *
 * Written for Pride (BSD-2-Clause). The layouts are sDDF's (the Rust crate
 * `sddf` documents them and tests them against sdfgen's blobs):
 *   queue region: u32 tail @0 (producer), u32 head @4 (consumer),
 *                 u32 producer_signalled @8 (0: the producer wants a signal)
 *   data region:  `capacity` bytes (a power of two), indexed modulo capacity
 * The producer always notifies after enqueueing; the consumer notifies the
 * producer only when it asked.
 */
#ifndef PRIDE_SDDF_SERIAL_H
#define PRIDE_SDDF_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

typedef struct pride_region_resource {
    void *vaddr;
    uint64_t size;
} pride_region_resource_t;

typedef struct pride_serial_connection {
    pride_region_resource_t queue;
    pride_region_resource_t data;
    uint8_t id;
} pride_serial_connection_t;

/* The `.serial_client_config` section (magic "sDDF" then class 3). */
typedef struct pride_serial_client_config {
    char magic[5];
    pride_serial_connection_t rx;
    pride_serial_connection_t tx;
} pride_serial_client_config_t;

_Static_assert(sizeof(pride_serial_connection_t) == 40, "sDDF serial connection resource");
_Static_assert(sizeof(pride_serial_client_config_t) == 88, "sDDF serial client config");

typedef struct pride_serial_queue {
    volatile uint32_t *tail;
    volatile uint32_t *head;
    volatile uint32_t *producer_signalled;
    volatile char *data;
    uint32_t capacity;
} pride_serial_queue_t;

static inline bool pride_serial_config_ok(const pride_serial_client_config_t *c)
{
    return c->magic[0] == 's' && c->magic[1] == 'D' && c->magic[2] == 'D' && c->magic[3] == 'F' &&
           c->magic[4] == 3;
}

static inline pride_serial_queue_t pride_serial_queue(const pride_serial_connection_t *conn)
{
    volatile uint32_t *q = (volatile uint32_t *)conn->queue.vaddr;
    pride_serial_queue_t queue = { q, q + 1, q + 2, (volatile char *)conn->data.vaddr, (uint32_t)conn->data.size };
    return queue;
}

static inline uint32_t pride_serial_length(const pride_serial_queue_t *q)
{
    return *q->tail - *q->head;
}

/* Producer: one byte; false if full. */
static inline bool pride_serial_enqueue(pride_serial_queue_t *q, char c)
{
    uint32_t tail = *q->tail;
    if (tail - *q->head >= q->capacity) {
        return false;
    }
    q->data[tail % q->capacity] = c;
    __atomic_thread_fence(__ATOMIC_RELEASE);
    *q->tail = tail + 1;
    return true;
}

/* Consumer: one byte; false if empty. */
static inline bool pride_serial_dequeue(pride_serial_queue_t *q, char *c)
{
    uint32_t head = *q->head;
    if (*q->tail == head) {
        return false;
    }
    __atomic_thread_fence(__ATOMIC_ACQUIRE);
    *c = q->data[head % q->capacity];
    __atomic_thread_fence(__ATOMIC_RELEASE);
    *q->head = head + 1;
    return true;
}

/* Consumer, after dequeueing: true if the producer asked for a signal (the
 * request is then marked given; the caller notifies). */
static inline bool pride_serial_claim_consumer_signal(pride_serial_queue_t *q)
{
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (*q->producer_signalled != 0) {
        return false;
    }
    *q->producer_signalled = 1;
    return true;
}

#endif /* PRIDE_SDDF_SERIAL_H */
