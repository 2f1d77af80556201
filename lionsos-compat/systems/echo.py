#!/usr/bin/env python3
"""The echo server system, described with sdfgen's Sddf.Net as LionsOS's
echo server is: a virtio-net driver, receive and transmit virtualisers, a
copier and one client, the echo server (UDP and TCP port 7, on smoltcp).
The layout (device, interrupt, rings) is `pride_sdfgen.net_system`'s,
shared with sockets.py: the two systems cannot run at once.

Usage: echo.py OUTDIR   (writes OUTDIR/echo.system, OUTDIR/echo.configs
and the configuration blobs in OUTDIR/echo/)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import net_system  # noqa: E402


def main() -> None:
    net_system(Path(sys.argv[1]), "echo", "net_echo", "net-echo.elf", 98)


if __name__ == "__main__":
    main()
