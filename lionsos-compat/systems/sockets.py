#!/usr/bin/env python3
"""The socket server system: the echo system's network path (sdfgen's
Sddf.Net, `pride_sdfgen.net_system`: virtio-net driver, virtualisers,
copier) with the socket server (`object-servers/socket-server`, image
net-sockets, PD net_sockets) as the copier's client in the echo server's
place. It is also the object server of the `net` service. Same card,
interrupt, physical memory and protection domain names as `echo`:
`system sockets` and `system echo` cannot run at the same time (the second
is refused: its protection domains' names are taken).

Usage: sockets.py OUTDIR   (writes OUTDIR/sockets.system,
OUTDIR/sockets.configs and the configuration blobs in OUTDIR/sockets/)
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from pride_sdfgen import net_system  # noqa: E402


def main() -> None:
    net_system(Path(sys.argv[1]), "sockets", "net_sockets", "net-sockets.elf", 98)


if __name__ == "__main__":
    main()
