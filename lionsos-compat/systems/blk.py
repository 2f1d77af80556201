#!/usr/bin/env python3
"""The block system, described with sdfgen's Sddf.Blk as LionsOS describes
its block subsystems: a virtio-blk driver, the block virtualiser, and two
clients, each given one partition of the disk (client 0 partition 0,
client 1 partition 1 of the MBR).

The device is declared by hand (x86_64 has no device tree:
`pride_sdfgen.add_virtio_blk`, shared with files.py): the PCI
configuration ports, the device's I/O window, its interrupt and a region
for its virtqueue, whose physical address is patched into the driver with
a `region_paddr` setvar (which sdfgen cannot write, so it is added to the
rendered file).

Physical placement: sdfgen puts the regions the device reaches (the
virtualiser's bounce region, then each client's data region) below
PADDR_TOP, one after the other. Pride places such regions in whole MiB,
so PADDR_TOP is a MiB boundary plus the bounce region's size (0xa000):
bounce 0x1e00_0000, client data 0x1df0_0000 and 0x1de0_0000, rings
0x1e10_0000. All of it is below the echo system's 0x1f00_0000..0x1ff0_0000
(and the `physical` test system's 0x1fd0_0000), so the systems can run at
the same time. The placed regions are listed in address order (see below).

Usage: blk.py OUTDIR   (writes OUTDIR/blk.system, OUTDIR/blk.configs and
the configuration blobs in OUTDIR/blk/)
"""
import sys
from pathlib import Path

from sdfgen import SystemDescription

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import add_region_paddr, add_virtio_blk, empty_sddf, install_blobs, order_placed_regions  # noqa: E402

SDF = SystemDescription

BOUNCE_SIZE = 0xA000  # what sdfgen gives the virtualiser's driver data region
PADDR_TOP = 0x1E00_0000 + BOUNCE_SIZE
CLIENT_DATA = 0x10_0000  # 1 MiB each


def main() -> None:
    out = Path(sys.argv[1])
    blobs = out / "blk"
    blobs.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, PADDR_TOP)
    driver = SDF.ProtectionDomain("blk_driver", "blk-virtio.elf", priority=200)
    virt = SDF.ProtectionDomain("blk_virt", "blk-virt.elf", priority=199)
    clients = [SDF.ProtectionDomain(f"blk_client{i}", "blk-client.elf", priority=100) for i in range(2)]
    add_virtio_blk(sdf, driver)
    for pd in (driver, virt, *clients):
        sdf.add_pd(pd)
    sddf = empty_sddf()
    blk = sddf.Blk(sdf, None, driver, virt)
    for i, client in enumerate(clients):
        blk.add_client(client, partition=i, data_size=CLIENT_DATA)
    assert blk.connect()
    assert blk.serialise_config(str(blobs))
    text = sdf.render()
    text = order_placed_regions(text)
    # The rings' physical address, for the driver.
    text = add_region_paddr(text, "blk-virtio.elf", "virtio_rings_paddr", "virtio_blk_rings")
    (out / "blk.system").write_text(text)
    placement = [
        ("blk_driver", ".blk_driver_config", "blk_driver.data", "drv.data"),
        ("blk_driver", ".device_resources", "blk_driver_device_resources.data", "devres.data"),
        ("blk_virt", ".blk_virt_config", "blk_virt.data", "virt.data"),
        ("blk_client0", ".blk_client_config", "blk_client_blk_client0.data", "client0.data"),
        ("blk_client1", ".blk_client_config", "blk_client_blk_client1.data", "client1.data"),
    ]
    install_blobs(out, "blk", placement)


if __name__ == "__main__":
    main()
