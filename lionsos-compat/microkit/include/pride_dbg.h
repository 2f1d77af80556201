/*
 * pride_dbg.h: console output helpers for Pride's C test PDs (not part of
 * the Microkit API): a decimal number through microkit_dbg_puts.
 * Written for Pride (BSD-2-Clause).
 */
#ifndef PRIDE_DBG_H
#define PRIDE_DBG_H

#include <stdint.h>
#include <microkit.h>

/* Prints `v` in decimal. */
static inline void pride_put_dec(uint64_t v)
{
    char buf[21];
    int i = 20;
    buf[i] = 0;
    do {
        buf[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v && i > 0);
    microkit_dbg_puts(&buf[i]);
}

#endif
