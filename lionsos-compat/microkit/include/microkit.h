/*
 * microkit.h: the Microkit C API on Pride.
 *
 * Written for Pride (BSD-2-Clause). It declares the functions, types,
 * constants and globals a protection domain written for seL4 Microkit
 * uses, with the same names and signatures, so that such C sources
 * (including sDDF components) compile unchanged. The functions are
 * implemented by the Rust crate `microkit` (lionsos-compat/microkit),
 * which the PD's binary links; see its crate documentation for the
 * CSpace layout and the event loop.
 *
 * A PD defines:
 *     void init(void);
 *     void notified(microkit_channel ch);
 * and, if it serves protected procedure calls:
 *     microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo);
 */
#ifndef PRIDE_MICROKIT_H
#define PRIDE_MICROKIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* sDDF's fence and cache code selects the architecture with these. */
#define CONFIG_ARCH_X86_64 1
#define CONFIG_ARCH_X86 1
#define CONFIG_WORD_SIZE 64

/* The seL4 types the Microkit API is expressed in. */
typedef uint64_t seL4_Word;
typedef seL4_Word seL4_CPtr;
typedef uint8_t seL4_Uint8;
typedef uint16_t seL4_Uint16;
typedef uint32_t seL4_Uint32;
typedef uint64_t seL4_Uint64;
typedef int seL4_Bool;

/* A message info is one word: label (52 bits), capabilities unwrapped (3),
 * extra capabilities (2), length in words (7), from the top down. */
typedef struct seL4_MessageInfo {
    seL4_Word words[1];
} seL4_MessageInfo_t;

static inline seL4_MessageInfo_t seL4_MessageInfo_new(seL4_Word label, seL4_Word caps_unwrapped,
                                                      seL4_Word extra_caps, seL4_Word length)
{
    seL4_MessageInfo_t info;
    info.words[0] = ((label & 0xfffffffffffffull) << 12) | ((caps_unwrapped & 0x7) << 9) |
                    ((extra_caps & 0x3) << 7) | (length & 0x7f);
    return info;
}

static inline seL4_Word seL4_MessageInfo_get_label(seL4_MessageInfo_t info)
{
    return info.words[0] >> 12;
}

static inline seL4_Word seL4_MessageInfo_get_length(seL4_MessageInfo_t info)
{
    return info.words[0] & 0x7f;
}

/* Message words: the runtime keeps them in the IPC buffer. */
void pride_microkit_set_mr(int i, seL4_Word value);
seL4_Word pride_microkit_get_mr(int i);

static inline void seL4_SetMR(int i, seL4_Word value)
{
    pride_microkit_set_mr(i, value);
}

static inline seL4_Word seL4_GetMR(int i)
{
    return pride_microkit_get_mr(i);
}

/* The Microkit API proper. */
typedef unsigned int microkit_channel;
typedef unsigned int microkit_child;
typedef seL4_MessageInfo_t microkit_msginfo;

#define MICROKIT_MAX_CHANNELS 62
#define MICROKIT_MAX_CHANNEL_ID (MICROKIT_MAX_CHANNELS - 1)
#define MICROKIT_PD_NAME_LENGTH 64

/* Where the runtime finds its capabilities (the same slots as Microkit's). */
#define MICROKIT_INPUT_CAP 1
#define BASE_OUTPUT_NOTIFICATION_CAP 10
#define BASE_ENDPOINT_CAP 74
#define BASE_IRQ_CAP 138
#define BASE_IOPORT_CAP 394

/* Patched into the image by Pride's supervisor, as the Microkit tool does. */
extern char microkit_name[MICROKIT_PD_NAME_LENGTH];
extern bool microkit_passive;
extern seL4_Word microkit_irqs;
extern seL4_Word microkit_notifications;
extern seL4_Word microkit_pps;
extern seL4_Word microkit_ioports;

/* The deferred action (at most one), which sDDF code inspects: when set,
 * the runtime sends on microkit_signal_cap before the PD next waits. */
extern bool microkit_have_signal;
extern seL4_CPtr microkit_signal_cap;
extern seL4_MessageInfo_t microkit_signal_msg;

/* The PD's entry points. */
void init(void);
void notified(microkit_channel ch);
microkit_msginfo protected(microkit_channel ch, microkit_msginfo msginfo);
seL4_Bool fault(microkit_child child, microkit_msginfo msginfo, microkit_msginfo *reply_msginfo);

/* Calls into the runtime. */
void microkit_notify(microkit_channel ch);
void microkit_irq_ack(microkit_channel ch);
microkit_msginfo microkit_ppcall(microkit_channel ch, microkit_msginfo msginfo);
void microkit_deferred_notify(microkit_channel ch);
void microkit_deferred_irq_ack(microkit_channel ch);
void microkit_mr_set(seL4_Uint8 mr, seL4_Word value);
seL4_Word microkit_mr_get(seL4_Uint8 mr);
void microkit_dbg_putc(int c);
void microkit_dbg_puts(const char *s);
void microkit_pd_restart(microkit_child pd, seL4_Word entry_point);
void microkit_pd_stop(microkit_child pd);

/* Pride's one addition: true if this PD replaces one that ran on the same
 * queues (the supervisor restarted or updated it while its system kept
 * running), false on the system's first start. sDDF components that hand
 * out buffers in init() must then leave them where they are. */
bool pride_microkit_is_replacement(void);

static inline microkit_msginfo microkit_msginfo_new(seL4_Word label, seL4_Uint16 count)
{
    return seL4_MessageInfo_new(label, 0, 0, count);
}

static inline seL4_Word microkit_msginfo_get_label(microkit_msginfo msginfo)
{
    return seL4_MessageInfo_get_label(msginfo);
}

static inline seL4_Word microkit_msginfo_get_count(microkit_msginfo msginfo)
{
    return seL4_MessageInfo_get_length(msginfo);
}

/* Prints an unsigned number in hex (libmicrokit has these debug helpers
 * too; they are small enough to be inline). */
static inline void microkit_dbg_put32(seL4_Uint32 x)
{
    static const char digits[] = "0123456789abcdef";
    char buf[11];
    buf[0] = '0';
    buf[1] = 'x';
    for (int i = 0; i < 8; i++) {
        buf[2 + i] = digits[(x >> (28 - 4 * i)) & 0xf];
    }
    buf[10] = 0;
    microkit_dbg_puts(buf);
}

#endif /* PRIDE_MICROKIT_H */
