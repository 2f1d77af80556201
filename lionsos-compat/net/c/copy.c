/*
 * net_copy: the sDDF copier, written in C against Pride's microkit.h and
 * pride_sddf/network.h. Between the receive virtualiser and one client:
 * each frame in a device receive buffer is copied into one of the client's
 * own receive buffers, so the client never sees the device's memory; the
 * virtualiser's buffer goes straight back to it. The copier owns the
 * client's receive buffers: at init it gives all of them to the client's
 * free queue.
 */
#include <microkit.h>
#include <pride_sddf/network.h>

void *memcpy(void *dst, const void *src, unsigned long n);

__attribute__((__section__(".net_copy_config"))) pride_net_copy_config_t config;

static pride_net_queue_t virt_free, virt_active, client_free, client_active;

void init(void)
{
    if (config.magic[0] != 's' || config.magic[4] != 5) {
        microkit_dbg_puts("net_copy: no configuration\n");
        return;
    }
    virt_free = pride_net_queue(&config.rx.free_queue, config.rx.num_buffers);
    virt_active = pride_net_queue(&config.rx.active_queue, config.rx.num_buffers);
    client_free = pride_net_queue(&config.client.free_queue, config.client.num_buffers);
    client_active = pride_net_queue(&config.client.active_queue, config.client.num_buffers);
    if (pride_microkit_is_replacement()) {
        /* A restart or an update: the client's buffers are already in its
         * queues (the copier holds none between two events). Catch up on
         * what arrived meanwhile. */
        notified(config.rx.id);
        microkit_notify(config.client.id);
        microkit_notify(config.rx.id);
        return;
    }
    for (uint16_t i = 0; i < config.client.num_buffers; i++) {
        pride_net_desc_t d = { (uint64_t)i * PRIDE_NET_BUFFER_SIZE, 0, 0 };
        pride_net_enqueue(&client_free, d);
    }
}

static bool is_buffer(uint64_t offset, uint64_t size)
{
    return offset % PRIDE_NET_BUFFER_SIZE == 0 && offset + PRIDE_NET_BUFFER_SIZE <= size;
}

void notified(microkit_channel ch)
{
    (void)ch;
    bool to_client = false, to_virt = false;
    for (;;) {
        pride_net_desc_t frame = {0}, buffer = {0};
        while (!pride_net_empty(&virt_active) && !pride_net_empty(&client_free)) {
            pride_net_dequeue(&virt_active, &frame);
            pride_net_dequeue(&client_free, &buffer);
            const pride_region_t *src = &config.rx_data[frame.oid];
            if (src->vaddr && is_buffer(frame.io_or_offset, src->size) &&
                is_buffer(buffer.io_or_offset, config.client_data.size) && frame.len <= PRIDE_NET_BUFFER_SIZE) {
                memcpy((char *)config.client_data.vaddr + buffer.io_or_offset,
                       (const char *)src->vaddr + frame.io_or_offset, frame.len);
                buffer.len = frame.len;
                pride_net_enqueue(&client_active, buffer);
                to_client = true;
            } else {
                /* A descriptor naming no buffer: the client's buffer goes back. */
                pride_net_enqueue(&client_free, buffer);
            }
            pride_net_enqueue(&virt_free, frame);
            to_virt = true;
        }
        /* Frames waiting for client buffers: ask the client to say when it
         * frees some; otherwise ask the virtualiser for more frames. */
        if (!pride_net_empty(&virt_active)) {
            if (pride_net_request_signal_and_recheck(&client_free)) {
                break;
            }
        } else if (pride_net_request_signal_and_recheck(&virt_active)) {
            break;
        }
    }
    if (to_client && pride_net_claim_signal(&client_active)) {
        microkit_notify(config.client.id);
    }
    if (to_virt && pride_net_claim_signal(&virt_free)) {
        microkit_notify(config.rx.id);
    }
}
