#!/usr/bin/env python3
"""The files system: Pride's file server on the sDDF block path, described
the way LionsOS describes a file system: sdfgen's Sddf.Blk (the virtio-blk
driver, the block virtualiser) and LionsOs.FileSystem.Fat, which makes the
file server `fs` (object-servers/fs) the virtualiser's client on partition
0 and connects a LionsOS file-system client PD to it (command and
completion queues, a data region, a channel, and both configuration
blobs). Pride's server speaks the same protocol as LionsOS's FAT server
(on littlefs); the C client `fs_lions_client` (lionsos-compat/fs-client)
runs a script against it.

`fs` is also a Pride object server (its manifest offers `fs`): Pride
clients reach it through the connection manager, not through channels of
this file. sdfgen's Fat gives the server four worker-thread stacks (LionsOS's
FAT server runs coroutines) and a 64 MiB data region; `fit_lionsos_fs` takes
the stacks out and gives the data region SHARE bytes (see pride_sdfgen). The
server's block queues stay where sdfgen put them, above 0xa000_0000, where
Pride allows regions too.

The device and its placement are the block system's (blk.py): the same
I/O window, interrupt and physical addresses, so `files` and `blk` cannot
run at the same time (they drive the same disk); the supervisor refuses
the second, as the memory at those addresses is taken.

Usage: files.py OUTDIR   (writes OUTDIR/files.system, OUTDIR/files.configs
and the configuration blobs in OUTDIR/files/)
"""
import sys
from pathlib import Path

from sdfgen import LionsOs, SystemDescription

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import add_region_paddr, add_virtio_blk, empty_sddf, fit_lionsos_fs, install_blobs, order_placed_regions  # noqa: E402

SDF = SystemDescription

BOUNCE_SIZE = 0xA000
PADDR_TOP = 0x1E00_0000 + BOUNCE_SIZE
SHARE = 0x10_0000  # the LionsOS client's data region: 1 MiB


def main() -> None:
    out = Path(sys.argv[1])
    blobs = out / "files"
    blobs.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, PADDR_TOP)
    driver = SDF.ProtectionDomain("fs_driver", "blk-virtio.elf", priority=200)
    virt = SDF.ProtectionDomain("fs_virt", "blk-virt.elf", priority=199)
    fs = SDF.ProtectionDomain("fs", "fs.elf", priority=150)
    client = SDF.ProtectionDomain("fs_lions_client", "fs-lions-client.elf", priority=100)
    add_virtio_blk(sdf, driver)
    for pd in (driver, virt, fs, client):
        sdf.add_pd(pd)
    blk = empty_sddf().Blk(sdf, None, driver, virt)
    # Adds fs to the virtualiser's clients (partition 0) as it connects.
    fat = LionsOs.FileSystem.Fat(sdf, fs, client, blk=blk, partition=0)
    assert fat.connect()
    assert blk.connect()
    assert blk.serialise_config(str(blobs))
    assert fat.serialise_config(str(blobs))
    text = order_placed_regions(sdf.render())
    text = fit_lionsos_fs(text, blobs, "fs_server_fs.data", "fs_client_fs_lions_client.data", SHARE)
    text = add_region_paddr(text, "blk-virtio.elf", "virtio_rings_paddr", "virtio_blk_rings")
    (out / "files.system").write_text(text)
    placement = [
        ("fs_driver", ".blk_driver_config", "blk_driver.data", "drv.data"),
        ("fs_driver", ".device_resources", "fs_driver_device_resources.data", "devres.data"),
        ("fs_virt", ".blk_virt_config", "blk_virt.data", "virt.data"),
        ("fs", ".blk_client_config", "blk_client_fs.data", "fs.data"),
        ("fs", ".fs_server_config", "fs_server_fs.data", "fs-server.data"),
        ("fs_lions_client", ".fs_client_config", "fs_client_fs_lions_client.data", "fs-client.data"),
    ]
    install_blobs(out, "files", placement)


if __name__ == "__main__":
    main()
