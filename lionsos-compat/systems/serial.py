#!/usr/bin/env python3
"""The sDDF serial subsystem on COM2, described with sdfgen's Sddf.Serial as
LionsOS describes its serial subsystems: a driver, transmit and receive
virtualisers, and one client. The UART runs in loopback (driver image
`serial-com2-loopback`), so the client's line comes back to it through
the whole receive path.

Usage: serial.py OUTDIR   (writes OUTDIR/serial.system, OUTDIR/serial.configs
and the configuration blobs in OUTDIR/serial/)
"""
import sys
from pathlib import Path

from sdfgen import SystemDescription

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import empty_sddf, install_blobs  # noqa: E402

SDF = SystemDescription

# COM2 on the pc99 board: I/O ports 0x2f8-0x2ff, ISA IRQ 3 on IOAPIC 0 pin 3.
COM2_PORT = 0x2F8
COM2_PIN = 3


def main() -> None:
    out = Path(sys.argv[1])
    blobs = out / "serial"
    blobs.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, 0x1_0000_0000)
    driver = SDF.ProtectionDomain("serial_driver", "serial-com2-loopback.elf", priority=200)
    virt_tx = SDF.ProtectionDomain("serial_virt_tx", "serial-virt-tx.elf", priority=199)
    virt_rx = SDF.ProtectionDomain("serial_virt_rx", "serial-virt-rx.elf", priority=199)
    client = SDF.ProtectionDomain("serial_client", "serial-client.elf", priority=100)
    # The device, declared by hand: x86_64 has no device tree.
    driver.add_ioport(SDF.IoPort(COM2_PORT, 8, id=20))
    driver.add_irq(SDF.IrqIoapic(ioapic_id=0, pin=COM2_PIN, vector=COM2_PIN, id=21))
    for pd in (driver, virt_tx, virt_rx, client):
        sdf.add_pd(pd)
    sddf = empty_sddf()
    serial = sddf.Serial(sdf, None, driver, virt_tx, virt_rx=virt_rx, enable_color=False)
    serial.add_client(client)
    assert serial.connect()
    assert serial.serialise_config(str(blobs))
    (out / "serial.system").write_text(sdf.render())
    # Which blob goes into which protection domain's section (under short
    # names: the image archive allows 32-byte entry names).
    placement = [
        ("serial_driver", ".serial_driver_config", "serial_driver_config.data", "drv.data"),
        ("serial_driver", ".device_resources", "serial_driver_device_resources.data", "devres.data"),
        ("serial_virt_rx", ".serial_virt_rx_config", "serial_virt_rx.data", "vrx.data"),
        ("serial_virt_tx", ".serial_virt_tx_config", "serial_virt_tx.data", "vtx.data"),
        ("serial_client", ".serial_client_config", "serial_client_serial_client.data", "client.data"),
    ]
    install_blobs(out, "serial", placement)


if __name__ == "__main__":
    main()
