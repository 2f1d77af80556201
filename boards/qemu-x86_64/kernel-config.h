/*
 * seL4 5.0.0 kernel configuration for the qemu-x86_64 (pc99) board.
 *
 * Written by hand for Pride: this standalone kernel build has no Kconfig
 * step, so this header is the whole configuration. The build tool
 * (xtask/src/kernel.rs) copies it into each build directory as
 * `pride_autoconf.h`, which the kernel reaches through its
 * include/plat/pc99/autoconf.h (replaced in the private source copy by a
 * two-line shim). The debug flavour appends CONFIG_DEBUG_BUILD,
 * CONFIG_PRINTING and CONFIG_IRQ_REPORTING; do not define them here.
 *
 * The option set boots under QEMU TCG with
 *   -cpu Nehalem,+fsgsbase,+pdpe1gb
 * TCG has neither x2APIC ("x2APIC is not supported") nor INVPCID
 * ("INVPCID not supported"), so CONFIG_X2APIC and CONFIG_SUPPORT_PCID
 * must stay undefined. No IOMMU, no VT-x, no hardware debug API.
 *
 * Other Pride code depends on: HUGE_PAGE (object type numbers), FASTPATH,
 * SYSCALL (the syscall ABI), XAPIC, IRQ_IOAPIC, ROOT_CNODE_SIZE_BITS 16 (65536 slots: the frames of Microkit systems' shared regions, and a copy per mapping, live there),
 * NUM_PRIORITIES 256 and MAX_NUM_NODES 1 (invocation label numbering).
 * Values not given here fall back to include/config.h in the kernel.
 */
#ifndef PRIDE_AUTOCONF_H
#define PRIDE_AUTOCONF_H

/* --- architecture and platform --- */
#define CONFIG_ARCH_X86 1
#define CONFIG_ARCH_X86_64 1
#define CONFIG_ARCH_X86_GENERIC 1
#define CONFIG_PLAT_PC99 1
#define CONFIG_WORD_SIZE 64
#define CONFIG_KERNEL_MASTER 1
#define CONFIG_MAX_NUM_NODES 1
#define CONFIG_CACHE_LN_SZ 64
#define CONFIG_KERNEL_STACK_BITS 12

/* --- interrupts: xAPIC (QEMU TCG has no x2APIC) and one IOAPIC --- */
#define CONFIG_XAPIC 1
#define CONFIG_IRQ_IOAPIC 1
#define CONFIG_MAX_NUM_IOAPIC 1

/* --- memory management: 1 GiB pages (needs -cpu ...,+pdpe1gb); no PCID --- */
#define CONFIG_HUGE_PAGE 1

/* --- system calls through SYSCALL/SYSRET --- */
#define CONFIG_SYSCALL 1

/* --- FPU: lazy switching, FXSAVE state of 512 bytes --- */
#define CONFIG_HAVE_FPU 1
#define CONFIG_FXSAVE 1
#define CONFIG_XSAVE_SIZE 512
#define CONFIG_FPU_MAX_RESTORES_SINCE_SWITCH 64

/* --- user-visible fs/gs base: wrfsbase/wrgsbase (needs -cpu ...,+fsgsbase) --- */
#define CONFIG_FSGSBASE_INST 1

/* --- boot: plain multiboot, no graphics mode request --- */
#define CONFIG_MULTIBOOT_GRAPHICS_MODE_NONE 1

/* --- scheduler and kernel object limits --- */
#define CONFIG_FASTPATH 1
#define CONFIG_ROOT_CNODE_SIZE_BITS 16
#define CONFIG_NUM_PRIORITIES 256
#define CONFIG_NUM_DOMAINS 1
#define CONFIG_TIMER_TICK_MS 2
#define CONFIG_TIME_SLICE 5
#define CONFIG_RETYPE_FAN_OUT_LIMIT 256
#define CONFIG_MAX_NUM_WORK_UNITS_PER_PREEMPTION 100
#define CONFIG_RESET_CHUNK_BITS 8
#define CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS 167

/* --- deliberately absent ---
 * CONFIG_X2APIC, CONFIG_SUPPORT_PCID: not emulated by QEMU TCG.
 * CONFIG_IOMMU, CONFIG_VTX: no IOMMU or VMX under TCG; would also add
 *   invocation labels and shift the numbering.
 * CONFIG_HARDWARE_DEBUG_API: adds TCB invocation labels.
 * CONFIG_DEBUG_BUILD, CONFIG_PRINTING: added for the debug kernel only.
 */

#endif /* PRIDE_AUTOCONF_H */
