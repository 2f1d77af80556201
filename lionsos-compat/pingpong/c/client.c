/*
 * pp_client: the C half of the pingpong system. Written against the
 * project's microkit.h only, the way a Microkit C component is.
 *
 * init:      writes a word into the shared region and notifies the server;
 * notified:  checks what the server wrote back, then calls it (PPC) with
 *            41 and expects 42, and reports each step on the console.
 */
#include <microkit.h>
#include <pride_dbg.h>

#define SERVER_CH 0

/* Patched by the supervisor with the region's address (setvar_vaddr). */
uintptr_t shared_vaddr;

void init(void)
{
    volatile unsigned long *shared = (volatile unsigned long *)shared_vaddr;
    microkit_dbg_puts(microkit_name);
    microkit_dbg_puts(": init, shared region mapped ");
    microkit_dbg_puts(shared_vaddr ? "yes" : "no");
    microkit_dbg_puts("\n");
    shared[0] = 1000;
    microkit_notify(SERVER_CH);
}

void notified(microkit_channel ch)
{
    volatile unsigned long *shared = (volatile unsigned long *)shared_vaddr;
    if (ch != SERVER_CH) {
        microkit_dbg_puts("pp_client: notified on an unexpected channel\n");
        return;
    }
    microkit_dbg_puts("pp_client: server wrote ");
    pride_put_dec(shared[1]);
    microkit_dbg_puts("\n");
    microkit_mr_set(0, 41);
    microkit_msginfo reply = microkit_ppcall(SERVER_CH, microkit_msginfo_new(7, 1));
    microkit_dbg_puts("pp_client: ppc label ");
    pride_put_dec(microkit_msginfo_get_label(reply));
    microkit_dbg_puts(" answered ");
    pride_put_dec(microkit_mr_get(0));
    microkit_dbg_puts("\n");
}

