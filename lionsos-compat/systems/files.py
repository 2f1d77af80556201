#!/usr/bin/env python3
"""The files system: Pride's file server on the sDDF block path, described
with sdfgen's Sddf.Blk as LionsOS describes a file system over a block
device: the virtio-blk driver, the block virtualiser, and the file server
`fs` (object-servers/fs) as the virtualiser's one client, on partition 0.

`fs` is also a Pride object server (its manifest offers `fs`): clients
reach it through the connection manager, not through channels of this
file.

The device and its placement are the block system's (blk.py): the same
I/O window, interrupt and physical addresses, so `files` and `blk` cannot
run at the same time (they drive the same disk); the supervisor refuses
the second, as the memory at those addresses is taken.

Usage: files.py OUTDIR   (writes OUTDIR/files.system, OUTDIR/files.configs
and the configuration blobs in OUTDIR/files/)
"""
import sys
from pathlib import Path

from sdfgen import SystemDescription

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import add_region_paddr, empty_sddf, install_blobs, order_placed_regions  # noqa: E402

SDF = SystemDescription

BOUNCE_SIZE = 0xA000
PADDR_TOP = 0x1E00_0000 + BOUNCE_SIZE
RINGS_PADDR = 0x1E10_0000
FS_DATA = 0x10_0000  # the file server's data region: 1 MiB
PCI_CONFIG_PORT = 0xCF8
BAR0 = 0x6100
BAR0_PORTS = 0x80
IRQ_PIN = 10


def main() -> None:
    out = Path(sys.argv[1])
    blobs = out / "files"
    blobs.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, PADDR_TOP)
    driver = SDF.ProtectionDomain("fs_driver", "blk-virtio.elf", priority=200)
    virt = SDF.ProtectionDomain("fs_virt", "blk-virt.elf", priority=199)
    fs = SDF.ProtectionDomain("fs", "fs.elf", priority=150)
    driver.add_ioport(SDF.IoPort(PCI_CONFIG_PORT, 8, id=22))
    driver.add_ioport(SDF.IoPort(BAR0, BAR0_PORTS, id=23))
    driver.add_irq(
        SDF.IrqIoapic(
            ioapic_id=0,
            pin=IRQ_PIN,
            vector=IRQ_PIN,
            trigger=SDF.IrqIoapic.Trigger.LEVEL,
            polarity=SDF.IrqIoapic.Polarity.ACTIVEHIGH,
            id=24,
        )
    )
    rings = SDF.MemoryRegion(sdf, "virtio_blk_rings", 0x10_0000, paddr=RINGS_PADDR)
    sdf.add_mr(rings)
    driver.add_map(SDF.Map(rings, 0x3000_0000, "rw", setvar_vaddr="virtio_rings"))
    for pd in (driver, virt, fs):
        sdf.add_pd(pd)
    blk = empty_sddf().Blk(sdf, None, driver, virt)
    blk.add_client(fs, partition=0, data_size=FS_DATA)
    assert blk.connect()
    assert blk.serialise_config(str(blobs))
    text = order_placed_regions(sdf.render())
    text = add_region_paddr(text, "blk-virtio.elf", "virtio_rings_paddr", "virtio_blk_rings")
    (out / "files.system").write_text(text)
    placement = [
        ("fs_driver", ".blk_driver_config", "blk_driver.data", "drv.data"),
        ("fs_driver", ".device_resources", "fs_driver_device_resources.data", "devres.data"),
        ("fs_virt", ".blk_virt_config", "blk_virt.data", "virt.data"),
        ("fs", ".blk_client_config", "blk_client_fs.data", "fs.data"),
    ]
    install_blobs(out, "files", placement)


if __name__ == "__main__":
    main()
