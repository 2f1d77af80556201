/*
 * Defaults for the optional entry points of a C protection domain: a PD
 * that serves no protected procedure calls (or has no children) need not
 * define these. Weak, so a PD's own definitions win at link time.
 */
#include <microkit.h>

/* The label a PD answers a PPC it does not serve with (microkit::PPC_UNSUPPORTED). */
#define PRIDE_PPC_UNSUPPORTED 0xffff

__attribute__((weak)) microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo)
{
    (void)msginfo;
    microkit_dbg_puts(microkit_name);
    microkit_dbg_puts(": protected procedure call on a channel it does not serve\n");
    (void)ch;
    return microkit_msginfo_new(PRIDE_PPC_UNSUPPORTED, 0);
}

__attribute__((weak)) seL4_Bool fault(microkit_child child, microkit_msginfo msginfo,
                                      microkit_msginfo *reply_msginfo)
{
    (void)child;
    (void)msginfo;
    (void)reply_msginfo;
    return 0;
}
