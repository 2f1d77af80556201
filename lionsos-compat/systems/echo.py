#!/usr/bin/env python3
"""The echo server system, described with sdfgen's Sddf.Net as LionsOS's
echo server is: a virtio-net driver, receive and transmit virtualisers, a
copier and one client, the echo server (UDP and TCP port 7, on smoltcp).

The device is declared by hand (x86_64 has no device tree): the PCI
configuration ports, the device's I/O window (which the driver puts at
0x6000), its interrupt (slot 3's INTA: IOAPIC pin 11, level) and a region
for its rings, whose physical address is patched into the driver with a
`region_paddr` setvar (which sdfgen cannot write, so it is added to the
rendered file).

Usage: echo.py OUTDIR   (writes OUTDIR/echo.system, OUTDIR/echo.configs
and the configuration blobs in OUTDIR/echo/)
"""
import sys
from pathlib import Path

from sdfgen import SystemDescription

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import add_region_paddr, empty_sddf, install_blobs  # noqa: E402

SDF = SystemDescription

# Physical memory the device reaches (DMA) is placed by sdfgen below this
# address: the top of the 512 MiB QEMU machine's RAM.
PADDR_TOP = 0x1FF0_0000
RINGS_PADDR = 0x1F00_0000
ECHO_MAC = "52:54:00:12:34:56"  # QEMU's first network card


def main() -> None:
    out = Path(sys.argv[1])
    blobs = out / "echo"
    blobs.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, PADDR_TOP)
    driver = SDF.ProtectionDomain("net_driver", "net-virtio.elf", priority=200)
    virt_tx = SDF.ProtectionDomain("net_virt_tx", "net-virt-tx.elf", priority=199)
    virt_rx = SDF.ProtectionDomain("net_virt_rx", "net-virt-rx.elf", priority=199)
    copier = SDF.ProtectionDomain("net_copy", "net-copy.elf", priority=99)
    echo = SDF.ProtectionDomain("net_echo", "net-echo.elf", priority=98)
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
    rings = SDF.MemoryRegion(sdf, "virtio_net_rings", 0x10_0000, paddr=RINGS_PADDR)
    sdf.add_mr(rings)
    driver.add_map(SDF.Map(rings, 0x3000_0000, "rw", setvar_vaddr="virtio_rings"))
    for pd in (driver, virt_tx, virt_rx, copier, echo):
        sdf.add_pd(pd)
    sddf = empty_sddf()
    net = sddf.Net(sdf, None, driver, virt_tx, virt_rx)
    net.add_client_with_copier(echo, copier, mac_addr=ECHO_MAC)
    assert net.connect()
    assert net.serialise_config(str(blobs))
    text = sdf.render()
    # The rings' physical address, for the driver.
    text = add_region_paddr(text, "net-virtio.elf", "virtio_rings_paddr", "virtio_net_rings")
    (out / "echo.system").write_text(text)
    placement = [
        ("net_driver", ".net_driver_config", "net_driver.data", "drv.data"),
        ("net_driver", ".device_resources", "net_driver_device_resources.data", "devres.data"),
        ("net_virt_rx", ".net_virt_rx_config", "net_virt_rx.data", "vrx.data"),
        ("net_virt_tx", ".net_virt_tx_config", "net_virt_tx.data", "vtx.data"),
        ("net_copy", ".net_copy_config", "net_copy_net_copy.data", "copy.data"),
        ("net_echo", ".net_client_config", "net_client_net_echo.data", "client.data"),
    ]
    install_blobs(out, "echo", placement)


if __name__ == "__main__":
    main()
