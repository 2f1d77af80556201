/*
 * insn-count: a QEMU TCG plugin that counts the guest instructions executed
 * and, each time the guest executes the benchmark marker
 *
 *     nopl 0x44495250(%rax,%rax,1)      0f 1f 84 00 50 52 49 44
 *
 * (an unprivileged no-op whose displacement spells "PRID"), appends one
 * line "MARKERS COUNT" to the file named by the plugin argument out=PATH:
 * the number of markers seen so far and the guest instructions executed up
 * to and including this marker.
 *
 * Counting: every translated block adds its instruction count to a 64-bit
 * counter when it starts (an inline add, no call: the cost is one host
 * add per block). At a marker in the middle of a block, the block's
 * instructions after the marker are taken off, so the count is exact at the
 * marker. A block left early (an exception, or a memory-mapped I/O access
 * that makes QEMU re-translate under -icount) counts its remaining
 * instructions anyway; with mode=insn every instruction adds one instead,
 * which has no such error and costs more.
 *
 * mode=profile also counts executions per translated block and, at each
 * marker, appends "P MARKERS VADDR INSNS EXECUTIONS BYTES" for every block
 * executed since the last marker (BYTES: the block's first code bytes in
 * hex, to tell apart programs loaded at the same virtual address), then
 * starts those counts again: where the instructions between two markers go.
 *
 * Build: gcc -shared -fPIC -O2 -o libinsn-count.so insn-count.c
 * Use:   qemu-system-x86_64 ... -plugin libinsn-count.so,out=PATH[,mode=tb|insn|profile]
 *
 * Only the few plugin API (version 1) entry points used here are declared,
 * below; QEMU resolves them when it loads the plugin.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the plugin API, version 1: the declarations this plugin needs ---- */

typedef uint64_t plugin_id;
struct qemu_info_t;        /* opaque here */
struct qemu_plugin_tb;     /* opaque */
struct qemu_plugin_insn;   /* opaque */

enum cb_flags { CB_NO_REGS = 0 };
enum inline_op { INLINE_ADD_U64 = 0 };

typedef void (*tb_trans_cb)(plugin_id id, struct qemu_plugin_tb *tb);
typedef void (*vcpu_udata_cb)(unsigned int vcpu_index, void *userdata);
typedef void (*udata_cb)(plugin_id id, void *userdata);

extern void qemu_plugin_register_vcpu_tb_trans_cb(plugin_id id, tb_trans_cb cb);
extern void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, enum inline_op op, void *ptr,
                                                     uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum inline_op op,
                                                       void *ptr, uint64_t imm);
extern void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, vcpu_udata_cb cb,
                                                   enum cb_flags flags, void *userdata);
extern void qemu_plugin_register_atexit_cb(plugin_id id, udata_cb cb, void *userdata);
extern size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
extern uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
extern struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
extern const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
extern size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);

/* The API version this plugin is written against. */
__attribute__((visibility("default"))) int qemu_plugin_version = 1;

/* ---- the plugin ---- */

static const unsigned char MARKER[8] = {0x0f, 0x1f, 0x84, 0x00, 0x50, 0x52, 0x49, 0x44};

/* Instructions executed. Under -icount QEMU runs one vCPU thread at a time,
 * so a plain counter is enough. */
static uint64_t executed;
static uint64_t markers;
static int per_insn;
static int profile;
static FILE *out;

/* mode=profile: one record per translated block, never freed (a block
 * translated again gets a new one). */
struct block {
    uint64_t vaddr;
    uint64_t executions;
    uint32_t insns;
    uint32_t nbytes;
    unsigned char bytes[16];
    struct block *next;
};
static struct block *blocks;

static void dump_profile(void)
{
    for (struct block *b = blocks; b != NULL; b = b->next) {
        if (b->executions == 0) {
            continue;
        }
        fprintf(out, "P %llu %llx %u %llu ", (unsigned long long)markers, (unsigned long long)b->vaddr, b->insns,
                (unsigned long long)b->executions);
        for (uint32_t i = 0; i < b->nbytes; i++) {
            fprintf(out, "%02x", b->bytes[i]);
        }
        fputc('\n', out);
        b->executions = 0;
    }
}

/* At a marker: `userdata` is how many instructions of its block follow it
 * (counted already at the block's start, not yet executed). */
static void at_marker(unsigned int vcpu_index, void *userdata)
{
    (void)vcpu_index;
    uint64_t ahead = (uint64_t)(uintptr_t)userdata;
    markers++;
    fprintf(out, "%llu %llu\n", (unsigned long long)markers, (unsigned long long)(executed - ahead));
    if (profile) {
        dump_profile();
    }
    fflush(out);
}

static void on_translate(plugin_id id, struct qemu_plugin_tb *tb)
{
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    if (!per_insn) {
        qemu_plugin_register_vcpu_tb_exec_inline(tb, INLINE_ADD_U64, &executed, n);
    }
    if (profile) {
        struct block *b = calloc(1, sizeof *b);
        if (b != NULL) {
            b->vaddr = qemu_plugin_tb_vaddr(tb);
            b->insns = (uint32_t)n;
            for (size_t i = 0; i < n && b->nbytes < sizeof b->bytes; i++) {
                struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
                const unsigned char *code = qemu_plugin_insn_data(insn);
                size_t size = qemu_plugin_insn_size(insn);
                for (size_t k = 0; k < size && b->nbytes < sizeof b->bytes; k++) {
                    b->bytes[b->nbytes++] = code[k];
                }
            }
            b->next = blocks;
            blocks = b;
            qemu_plugin_register_vcpu_tb_exec_inline(tb, INLINE_ADD_U64, &b->executions, 1);
        }
    }
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        if (per_insn) {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, INLINE_ADD_U64, &executed, 1);
        }
        if (qemu_plugin_insn_size(insn) == sizeof MARKER &&
            memcmp(qemu_plugin_insn_data(insn), MARKER, sizeof MARKER) == 0) {
            uintptr_t ahead = per_insn ? 0 : (uintptr_t)(n - 1 - i);
            qemu_plugin_register_vcpu_insn_exec_cb(insn, at_marker, CB_NO_REGS, (void *)ahead);
        }
    }
}

static void at_exit(plugin_id id, void *userdata)
{
    (void)id;
    (void)userdata;
    fprintf(out, "# exit: %llu markers, %llu instructions\n", (unsigned long long)markers,
            (unsigned long long)executed);
    fclose(out);
}

__attribute__((visibility("default"))) int qemu_plugin_install(plugin_id id, const struct qemu_info_t *info,
                                                               int argc, char **argv)
{
    (void)info;
    const char *path = NULL;
    for (int i = 0; i < argc; i++) {
        if (strncmp(argv[i], "out=", 4) == 0) {
            path = argv[i] + 4;
        } else if (strcmp(argv[i], "mode=insn") == 0) {
            per_insn = 1;
        } else if (strcmp(argv[i], "mode=tb") == 0) {
            per_insn = 0;
        } else if (strcmp(argv[i], "mode=profile") == 0) {
            profile = 1;
        } else {
            fprintf(stderr, "insn-count: unknown argument '%s' (out=PATH, mode=tb|insn|profile)\n", argv[i]);
            return -1;
        }
    }
    if (path == NULL) {
        fprintf(stderr, "insn-count: no out=PATH argument\n");
        return -1;
    }
    out = fopen(path, "a");
    if (out == NULL) {
        perror(path);
        return -1;
    }
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, at_exit, NULL);
    return 0;
}
