#!/usr/bin/env python3
"""The sDDF timer subsystem, described with sdfgen's Sddf.Timer as LionsOS
describes its timer: an HPET driver and one client, which calls the driver
(PPC) and is notified on expiry.

Usage: timer.py OUTDIR   (writes OUTDIR/timer.system, OUTDIR/timer.configs
and the configuration blobs in OUTDIR/timer/)
"""
import sys
from pathlib import Path

from sdfgen import SystemDescription

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import empty_sddf, install_blobs  # noqa: E402

SDF = SystemDescription

# The HPET on the pc99 board: registers at 0xfed00000, timer 0 routed (in
# legacy mode) to ISA IRQ 0, which is IOAPIC 0 pin 2.
HPET_REGS = 0xFED0_0000
HPET_PIN = 2


def main() -> None:
    out = Path(sys.argv[1])
    blobs = out / "timer"
    blobs.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, 0x1_0000_0000)
    driver = SDF.ProtectionDomain("timer_driver", "timer-hpet.elf", priority=254)
    client = SDF.ProtectionDomain("timer_client", "timer-client.elf", priority=100)
    # The device, declared by hand: x86_64 has no device tree.
    regs = SDF.MemoryRegion(sdf, "hpet_regs", 0x1000, paddr=HPET_REGS)
    sdf.add_mr(regs)
    driver.add_map(SDF.Map(regs, 0x2000_0000, "rw", cached=False, setvar_vaddr="hpet_regs"))
    driver.add_irq(SDF.IrqIoapic(ioapic_id=0, pin=HPET_PIN, vector=HPET_PIN, id=20))
    for pd in (driver, client):
        sdf.add_pd(pd)
    sddf = empty_sddf()
    timer = sddf.Timer(sdf, None, driver)
    timer.add_client(client)
    assert timer.connect()
    assert timer.serialise_config(str(blobs))
    (out / "timer.system").write_text(sdf.render())
    placement = [
        ("timer_driver", ".device_resources", "timer_driver_device_resources.data", "devres.data"),
        ("timer_client", ".timer_client_config", "timer_client_timer_client.data", "client.data"),
    ]
    install_blobs(out, "timer", placement)


if __name__ == "__main__":
    main()
