"""What Pride's sdfgen metaprograms (the `*.py` files one directory up)
share: an sDDF tree for sdfgen without drivers, the `region_paddr` setvar
sdfgen cannot write, and the hand-over of the configuration blobs to the
build tool. xtask runs every `../*.py` as a metaprogram; this directory
holds what they import.
"""
import re
import sys
import tempfile
from pathlib import Path

from sdfgen import Sddf, SystemDescription


def empty_sddf() -> Sddf:
    """sdfgen reads driver descriptions from an sDDF tree; Pride's drivers
    are its own, so it gets an empty one (with the directories it looks
    for)."""
    with tempfile.TemporaryDirectory() as empty:
        for d in ("network/virtio", "serial", "timer", "blk/mmc", "blk/virtio", "i2c", "gpu", "gpio"):
            (Path(empty) / "drivers" / d).mkdir(parents=True)
        return Sddf(empty)


def add_region_paddr(text: str, image: str, symbol: str, region: str) -> str:
    """Adds `<setvar symbol=... region_paddr=...>` to the PD running
    `image` in the rendered system `text` (sdfgen has no such call)."""
    anchor = f'<program_image path="{image}" />'
    if anchor not in text:
        sys.exit(f"no protection domain runs {image}")
    return text.replace(anchor, anchor + f'\n        <setvar symbol="{symbol}" region_paddr="{region}" />', 1)


def install_blobs(out: Path, system: str, placement: list) -> None:
    """Renames the blobs sdfgen wrote into `out/system/` to short names (the
    image archive allows 32-byte entry names) and writes
    `out/system.configs`: one "PD SECTION FILE" line per blob, which the
    supervisor injects into that PD's configuration section. `placement`
    lists (PD, section, name sdfgen gave the blob, short name)."""
    blobs = out / system
    written = {p.name for p in blobs.iterdir()}
    lines = []
    for pd, section, name, short in placement:
        if name not in written:
            sys.exit(f"{system}: sdfgen wrote {sorted(written)}, not {name}")
        (blobs / name).rename(blobs / short)
        lines.append(f"{pd} {section} {system}/{short}\n")
    (out / f"{system}.configs").write_text("".join(lines))


def order_placed_regions(text: str) -> str:
    """Lists the memory regions of the rendered system `text` in address
    order. Pride's resource manager carves a placed region's chunk out of
    the untyped holding it and keeps what lies below for later, so regions
    sharing an untyped must be asked for from the lowest address up;
    sdfgen lists them from the top down. The order of memory_region
    elements means nothing else. Also checks that every placed region sits
    on a MiB, where Pride can place it."""
    for name, paddr in re.findall(r'<memory_region name="([^"]+)" size="0x[0-9a-f]+" phys_addr="(0x[0-9a-f]+)"', text):
        if int(paddr, 16) % 0x10_0000:
            sys.exit(f"sdfgen placed {name} at {paddr}, not on a MiB (was the bounce size changed?)")
    lines = text.split("\n")
    regions = [i for i, l in enumerate(lines) if l.lstrip().startswith("<memory_region ")]

    def paddr(line: str) -> int:
        m = re.search(r'phys_addr="(0x[0-9a-f]+)"', line)
        return int(m.group(1), 16) if m else 1 << 64

    ordered = sorted((lines[i] for i in regions), key=paddr)
    for i, line in zip(regions, ordered):
        lines[i] = line
    return "\n".join(lines)


def fit_lionsos_fs(text: str, blobs: Path, server_blob: str, client_blob: str, share_bytes: int) -> str:
    """Adapts what sdfgen's LionsOs.FileSystem.Fat wrote to Pride's file
    server, returning the new system text (the blobs are rewritten in
    place):

    - the four worker-thread stacks LionsOS's FAT server runs its
      coroutines on (`*_stack1..4`, mapped with `worker_thread_stack_*`
      setvars) go: Pride's server has no such threads;
    - the client's data region shrinks from sdfgen's 64 MiB to
      `share_bytes`: Pride makes a region of 4 KiB frames, one capability
      each and one more per PD that maps it, which 64 MiB would make
      16,384 of. Its size is in the memory_region element and in both
      configuration blobs (`fs_connection_resource_t.share.size`, at byte
      48 of the blob); the mappings do not move.
    """
    import re as _re
    import struct

    text = _re.sub(r'\n\s*<memory_region name="[^"]*_stack[1-4]"[^>]*/>', "", text)
    text = _re.sub(r'\n\s*<map mr="[^"]*_stack[1-4]"[^>]*/>', "", text)
    m = _re.search(r'<memory_region name="([^"]*_share)" size="(0x[0-9a-f]+)" />', text)
    if not m:
        sys.exit("fit_lionsos_fs: no data region in the rendered system")
    old = int(m.group(2), 16)
    text = text.replace(m.group(0), f'<memory_region name="{m.group(1)}" size="{share_bytes:#x}" />')
    for name in (server_blob, client_blob):
        blob = bytearray((blobs / name).read_bytes())
        if len(blob) != 64 or blob[:8] != b"LionsOS\x01" or struct.unpack_from("<Q", blob, 48)[0] != old:
            sys.exit(f"fit_lionsos_fs: {name} is not the fs_*_config_t expected")
        struct.pack_into("<Q", blob, 48, share_bytes)
        (blobs / name).write_bytes(bytes(blob))
    return text


# The network system (echo.py, sockets.py): physical memory the device
# reaches (DMA) is placed by sdfgen below this address, the top of the
# 512 MiB QEMU machine's RAM.
NET_PADDR_TOP = 0x1FF0_0000
NET_RINGS_PADDR = 0x1F00_0000
NET_CLIENT_MAC = "52:54:00:12:34:56"  # QEMU's first network card


def net_system(out: Path, system: str, client: str, image: str, priority: int) -> None:
    """Writes OUTDIR/SYSTEM.system, .configs and blobs for sdfgen's Sddf.Net
    as LionsOS's echo server lays it out: a virtio-net driver, receive and
    transmit virtualisers, a copier and one smoltcp client PD (`client`,
    running `image`).

    The device is declared by hand (x86_64 has no device tree): the PCI
    configuration ports, the device's I/O window (which the driver puts at
    0x6000), its interrupt (slot 3's INTA: IOAPIC pin 11, level) and a
    region for its rings, whose physical address is patched into the
    driver with a `region_paddr` setvar (which sdfgen cannot write, so it
    is added to the rendered file). Every system made here drives the same
    card and the same physical memory, so only one of them can run at a
    time."""
    from sdfgen import SystemDescription as SDF

    blobs = out / system
    blobs.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, NET_PADDR_TOP)
    driver = SDF.ProtectionDomain("net_driver", "net-virtio.elf", priority=200)
    virt_tx = SDF.ProtectionDomain("net_virt_tx", "net-virt-tx.elf", priority=199)
    virt_rx = SDF.ProtectionDomain("net_virt_rx", "net-virt-rx.elf", priority=199)
    copier = SDF.ProtectionDomain("net_copy", "net-copy.elf", priority=99)
    pd = SDF.ProtectionDomain(client, image, priority=priority)
    driver.add_ioport(SDF.IoPort(0xCF8, 8, id=22))
    driver.add_ioport(SDF.IoPort(0x6000, 0x40, id=23))
    driver.add_irq(
        SDF.IrqIoapic(
            ioapic_id=0,
            pin=11,
            vector=11,
            trigger=SDF.IrqIoapic.Trigger.LEVEL,
            polarity=SDF.IrqIoapic.Polarity.ACTIVEHIGH,
            id=24,
        )
    )
    rings = SDF.MemoryRegion(sdf, "virtio_net_rings", 0x10_0000, paddr=NET_RINGS_PADDR)
    sdf.add_mr(rings)
    driver.add_map(SDF.Map(rings, 0x3000_0000, "rw", setvar_vaddr="virtio_rings"))
    for p in (driver, virt_tx, virt_rx, copier, pd):
        sdf.add_pd(p)
    sddf = empty_sddf()
    net = sddf.Net(sdf, None, driver, virt_tx, virt_rx)
    net.add_client_with_copier(pd, copier, mac_addr=NET_CLIENT_MAC)
    assert net.connect()
    assert net.serialise_config(str(blobs))
    text = sdf.render()
    # The rings' physical address, for the driver.
    text = add_region_paddr(text, "net-virtio.elf", "virtio_rings_paddr", "virtio_net_rings")
    (out / f"{system}.system").write_text(text)
    placement = [
        ("net_driver", ".net_driver_config", "net_driver.data", "drv.data"),
        ("net_driver", ".device_resources", "net_driver_device_resources.data", "devres.data"),
        ("net_virt_rx", ".net_virt_rx_config", "net_virt_rx.data", "vrx.data"),
        ("net_virt_tx", ".net_virt_tx_config", "net_virt_tx.data", "vtx.data"),
        ("net_copy", ".net_copy_config", "net_copy_net_copy.data", "copy.data"),
        (client, ".net_client_config", f"net_client_{client}.data", "client.data"),
    ]
    install_blobs(out, system, placement)


def add_virtio_blk(sdf: SystemDescription, driver: SystemDescription.ProtectionDomain) -> None:
    """Gives `driver` the board's virtio-blk disk, which x86_64 declares by
    hand (no device tree; see lionsos-compat/blk/src/driver.rs): the PCI
    configuration ports, the device's I/O window (the driver puts it at
    0x6100, clear of the network card's 0x6000), its interrupt (the disk
    is in PCI slot 5, whose INTA the firmware routes to IRQ 10: IOAPIC pin
    10, level), and a 1 MiB region at 0x1e10_0000 for its virtqueue, mapped
    at `virtio_rings`. Its physical address goes to the driver with
    `add_region_paddr(text, "blk-virtio.elf", "virtio_rings_paddr",
    "virtio_blk_rings")` once the system is rendered."""
    SDF = SystemDescription
    driver.add_ioport(SDF.IoPort(0xCF8, 8, id=22))
    driver.add_ioport(SDF.IoPort(0x6100, 0x80, id=23))
    driver.add_irq(
        SDF.IrqIoapic(
            ioapic_id=0,
            pin=10,
            vector=10,
            trigger=SDF.IrqIoapic.Trigger.LEVEL,
            polarity=SDF.IrqIoapic.Polarity.ACTIVEHIGH,
            id=24,
        )
    )
    rings = SDF.MemoryRegion(sdf, "virtio_blk_rings", 0x10_0000, paddr=0x1E10_0000)
    sdf.add_mr(rings)
    driver.add_map(SDF.Map(rings, 0x3000_0000, "rw", setvar_vaddr="virtio_rings"))
