#!/usr/bin/env python3
"""The pingpong Microkit system, described with sdfgen the way LionsOS
describes its systems: a C client and a Rust server with one channel
(notifications both ways, PPCs from client to server) and a shared page
each maps, its address patched into a `setvar_vaddr` variable.

Usage: pingpong.py OUTDIR   (writes OUTDIR/pingpong.system)
"""
import sys
from pathlib import Path

from sdfgen import SystemDescription

SDF = SystemDescription


def main() -> None:
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    sdf = SDF(SDF.Arch.X86_64, 0x1_0000_0000)
    client = SDF.ProtectionDomain("pp_client", "pp-client.elf", priority=100)
    server = SDF.ProtectionDomain("pp_server", "pp-server.elf", priority=110)
    shared = SDF.MemoryRegion(sdf, "pingpong_shared", 0x1000)
    sdf.add_mr(shared)
    client.add_map(SDF.Map(shared, 0x3000_0000, "rw", setvar_vaddr="shared_vaddr"))
    server.add_map(SDF.Map(shared, 0x3800_0000, "rw", setvar_vaddr="shared_vaddr"))
    sdf.add_pd(client)
    sdf.add_pd(server)
    # Channel 0 at both ends; the client may call the server (higher priority).
    sdf.add_channel(SDF.Channel(client, server, a_id=0, b_id=0, pp_a=True))
    (out / "pingpong.system").write_text(sdf.render())


if __name__ == "__main__":
    main()
