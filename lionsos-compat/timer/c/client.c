/*
 * timer_client: an sDDF timer client written in C against Pride's
 * microkit.h, speaking the sDDF timer protocol: a PPC with label 0 asks
 * the time (MR0: nanoseconds), label 1 sets a timeout (MR0: nanoseconds
 * from now); the driver notifies on expiry. It sets three timeouts in turn
 * and reports how long each took.
 */
#include <microkit.h>
#include <pride_dbg.h>

/* The sDDF timer client configuration: "sDDF", class 6, the driver's channel. */
__attribute__((__section__(".timer_client_config"))) struct {
    char magic[5];
    uint8_t driver_id;
} config;

static const uint64_t wanted_ms[] = { 1, 5, 20 };
static unsigned int step;
static uint64_t started;

static uint64_t now_ns(void)
{
    microkit_ppcall(config.driver_id, microkit_msginfo_new(0, 0));
    return seL4_GetMR(0);
}

static void set_timeout(uint64_t ns)
{
    seL4_SetMR(0, ns);
    microkit_ppcall(config.driver_id, microkit_msginfo_new(1, 1));
}

void init(void)
{
    if (config.magic[0] != 's' || config.magic[4] != 6) {
        microkit_dbg_puts("timer_client: no configuration\n");
        return;
    }
    started = now_ns();
    set_timeout(wanted_ms[0] * 1000000);
}

void notified(microkit_channel ch)
{
    if (ch != config.driver_id || step >= sizeof(wanted_ms) / sizeof(wanted_ms[0])) {
        return;
    }
    uint64_t elapsed = now_ns() - started;
    uint64_t wanted = wanted_ms[step] * 1000000;
    microkit_dbg_puts("timer_client: timeout of ");
    pride_put_dec(wanted_ms[step]);
    microkit_dbg_puts(" ms fired after ");
    pride_put_dec(elapsed / 1000);
    microkit_dbg_puts(elapsed >= wanted ? " us (not early)\n" : " us (EARLY)\n");
    step++;
    if (step < sizeof(wanted_ms) / sizeof(wanted_ms[0])) {
        started = now_ns();
        set_timeout(wanted_ms[step] * 1000000);
    } else {
        microkit_dbg_puts("timer_client: done\n");
    }
}
