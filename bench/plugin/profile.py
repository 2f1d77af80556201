#!/usr/bin/env python3
"""Where a workload's guest instructions go, from the records of the
insn-count plugin in mode=profile (`PRIDE_BENCH_PROFILE=1 cargo xtask bench
net`).

Usage: profile.py COUNTS WORKLOAD [--top N] ELF...

COUNTS is target/bench/net-pride.counts or net-linux.counts; WORKLOAD the
0-based index of the workload in `cargo xtask bench`'s table (its records
are those written at marker 2 * WORKLOAD + 2). Each translated block is
given to the ELF (kernel or program) whose code at the block's address
holds the block's first bytes, and to the symbol it lies in; programs
loaded at the same virtual address are told apart by those bytes. Blocks
no ELF holds are put down as kernel, kernel module or user code by their
address (Debian ships no symbols for its kernel). Prints instructions per
image and the hottest symbols.

Pride: python3 bench/plugin/profile.py target/bench/net-pride.counts 0 \
    target/kernel/build-release/kernel.elf \
    target/sel4/x86_64-unknown-linux-gnu/release/net-{virtio,virt-rx,virt-tx,copy,echo}
"""
import bisect
import struct
import subprocess
import sys
from collections import defaultdict
from pathlib import Path


class Elf:
    def __init__(self, path):
        self.name = Path(path).name
        data = Path(path).read_bytes()
        self.segments = []
        if data[:4] == b"\x7fELF" and data[4] == 2:
            (phoff,) = struct.unpack_from("<Q", data, 0x20)
            phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
            for i in range(phnum):
                p_type, _flags, off, vaddr, _paddr, filesz, _memsz, _align = struct.unpack_from(
                    "<IIQQQQQQ", data, phoff + i * phentsize
                )
                if p_type == 1:  # PT_LOAD
                    self.segments.append((vaddr, data[off : off + filesz]))
        self.syms = []
        out = subprocess.run(["nm", "-n", "--defined-only", "-C", path], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split(" ", 2)
            if len(parts) == 3 and parts[1] in "tTwW":
                self.syms.append((int(parts[0], 16), parts[2]))
        self.addrs = [a for a, _ in self.syms]

    def holds(self, vaddr, code):
        for base, seg in self.segments:
            if base <= vaddr and vaddr + len(code) <= base + len(seg):
                return seg[vaddr - base : vaddr - base + len(code)] == code
        return False

    def symbol(self, vaddr):
        i = bisect.bisect_right(self.addrs, vaddr) - 1
        return self.syms[i][1] if i >= 0 else "?"


def main(argv):
    args = list(argv[1:])
    top = 25
    images = []
    if "--top" in args:
        i = args.index("--top")
        top = int(args[i + 1])
        del args[i : i + 2]
    if len(args) < 2:
        sys.exit(__doc__)
    counts, workload = args[0], int(args[1])
    images += [Elf(p) for p in args[2:]]
    marker = 2 * workload + 2
    start = end = None
    per_image = defaultdict(int)
    per_symbol = defaultdict(int)
    total = 0
    for line in Path(counts).read_text().splitlines():
        f = line.split()
        if len(f) == 2 and f[0].isdigit():
            if int(f[0]) == marker - 1:
                start = int(f[1])
            elif int(f[0]) == marker:
                end = int(f[1])
        if len(f) != 6 or f[0] != "P" or int(f[1]) != marker:
            continue
        vaddr, insns, execs, code = int(f[2], 16), int(f[3]), int(f[4]), bytes.fromhex(f[5])
        n = insns * execs
        total += n
        owners = [im for im in images if im.holds(vaddr, code)]
        if not owners:
            where = "kernel module" if vaddr >= 0xFFFFFFFFC0000000 else (
                "kernel (no ELF given)" if vaddr >= 0xFFFF800000000000 else "user (unknown)")
            per_image[where] += n
            per_symbol[(where, hex(vaddr))] += n
            continue
        name = owners[0].name if len(owners) == 1 else "|".join(o.name for o in owners)
        per_image[name] += n
        per_symbol[(name, owners[0].symbol(vaddr))] += n
    if start is None or end is None:
        sys.exit(f"no markers {marker - 1} and {marker} in {counts}")
    print(f"workload {workload}: {end - start} instructions between markers {marker - 1} and {marker}; "
          f"{total} in the profile (block counts, so a few more)")
    print("\nper image:")
    for name, n in sorted(per_image.items(), key=lambda x: -x[1]):
        print(f"  {n:>12} {100 * n / max(total, 1):5.1f}%  {name}")
    print(f"\nhottest {top} symbols:")
    for (name, sym), n in sorted(per_symbol.items(), key=lambda x: -x[1])[:top]:
        print(f"  {n:>12} {100 * n / max(total, 1):5.1f}%  {name}: {sym}")


if __name__ == "__main__":
    main(sys.argv)
