/*
 * serial_client: an sDDF serial client written in C against Pride's
 * microkit.h and pride_sddf/serial.h. It sends a line through the transmit
 * virtualiser and the driver; the UART (in loopback) returns it through the
 * driver and the receive virtualiser. It reports the first line it gets
 * back, and sends another for every line that returns, so traffic flows
 * for as long as the subsystem runs (it reports every 100th).
 */
#include <microkit.h>
#include <pride_dbg.h>
#include <pride_sddf/serial.h>

__attribute__((__section__(".serial_client_config"))) pride_serial_client_config_t config;

static const char first_line[] = "hello through sDDF";
static const char next_line[] = "the next line";
static char got[64];
static unsigned int got_len;
static unsigned long lines_back;

static void send(const char *line)
{
    pride_serial_queue_t tx = pride_serial_queue(&config.tx);
    for (const char *p = line; *p; p++) {
        pride_serial_enqueue(&tx, *p);
    }
    pride_serial_enqueue(&tx, '\n');
    microkit_notify(config.tx.id);
}

void init(void)
{
    if (!pride_serial_config_ok(&config)) {
        microkit_dbg_puts("serial_client: no configuration\n");
        return;
    }
    send(first_line);
    microkit_dbg_puts("serial_client: sent a line\n");
}

void notified(microkit_channel ch)
{
    if (ch != config.rx.id) {
        return;
    }
    pride_serial_queue_t rx = pride_serial_queue(&config.rx);
    char c;
    while (pride_serial_dequeue(&rx, &c)) {
        if (c == '\n' || got_len == sizeof(got) - 1) {
            got[got_len] = 0;
            lines_back++;
            if (lines_back == 1) {
                microkit_dbg_puts("serial_client: got: ");
                microkit_dbg_puts(got);
                microkit_dbg_puts("\n");
            } else if (lines_back % 100 == 0) {
                microkit_dbg_puts("serial_client: ");
                pride_put_dec(lines_back);
                microkit_dbg_puts(" lines back\n");
            }
            got_len = 0;
            send(next_line);
        } else {
            got[got_len++] = c;
        }
    }
    if (pride_serial_claim_consumer_signal(&rx)) {
        microkit_notify(config.rx.id);
    }
}
