//! The QEMU side of a board description (`[qemu]` in `boards/<name>/board.toml`).
//! The kernel side is read by `kernel::Board`.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::Deserialize;

/// Board used when none is named.
pub const DEFAULT_BOARD: &str = "qemu-x86_64";

/// How to run a board under QEMU.
#[derive(Debug, Clone, Deserialize)]
pub struct Qemu {
    pub binary: String,
    pub debian_package: String,
    pub machine: String,
    pub cpu: String,
    pub memory_mib: u32,
    pub debug_exit_port: u16,
    /// QEMU `-serial` back ends, COM1 first (the console).
    pub serials: Vec<String>,
}

#[derive(Deserialize)]
struct File {
    qemu: Qemu,
}

/// The directory of board `name`.
pub fn board_dir(ws: &Path, name: &str) -> PathBuf {
    ws.join("boards").join(name)
}

/// Reads the `[qemu]` table of a board.
pub fn load_qemu(dir: &Path) -> Result<Qemu> {
    let path = dir.join("board.toml");
    let text = std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let f: File = toml::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    Ok(f.qemu)
}

/// Options for one QEMU run.
pub struct RunOptions {
    /// `-icount shift=0`: guest time counts instructions (benchmarks).
    pub icount: bool,
    /// A virtio-net card on QEMU's user network, the guest's echo port
    /// (UDP and TCP 7) forwarded from this port on the host's loopback.
    pub echo_port: Option<u16>,
}

/// A free TCP and UDP port on the host's loopback, for QEMU to forward.
pub fn free_port() -> std::io::Result<u16> {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = tcp.local_addr()?.port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
}

/// The QEMU command line that boots `kernel` with `root` as the root task,
/// the serial console on standard input and output.
pub fn qemu_command(q: &Qemu, kernel: &Path, root: &Path, opts: &RunOptions) -> std::process::Command {
    let mut c = std::process::Command::new(&q.binary);
    c.args(["-machine", &q.machine, "-cpu", &q.cpu, "-m", &q.memory_mib.to_string()]);
    // No network card until a driver wants one: it also spares the boot
    // the firmware's network option ROM.
    c.args(["-nographic", "-no-reboot"]);
    match opts.echo_port {
        // Legacy virtio (I/O ports), in slot 3, no option ROM for the firmware.
        Some(port) => {
            c.args([
                "-netdev",
                &format!("user,id=net0,hostfwd=udp:127.0.0.1:{port}-:7,hostfwd=tcp:127.0.0.1:{port}-:7"),
                "-device",
                "virtio-net-pci,netdev=net0,addr=0x3,disable-modern=on,romfile=",
            ]);
        }
        None => {
            c.args(["-nic", "none"]);
        }
    }
    for s in &q.serials {
        c.args(["-serial", s]);
    }
    c.args([
        "-device",
        &format!("isa-debug-exit,iobase={:#x},iosize=0x04", q.debug_exit_port),
    ]);
    if opts.icount {
        c.args(["-icount", "shift=0"]);
    }
    c.arg("-kernel").arg(kernel).arg("-initrd").arg(root);
    c
}

/// Attaches `disk`, a raw image, to a QEMU command as a legacy virtio-blk
/// disk in PCI slot 5, without an option ROM: what the block system's
/// driver expects. Slot 5's INTA is PIRQA, which the firmware routes to
/// IRQ 10 (IOAPIC pin 10); slots 3 and 4 both end on pin 11, the network
/// card's (slot 3), and one pin cannot be given to two drivers.
///
/// `iops`, if given, throttles the disk to that many requests a second
/// (QEMU's `throttling.iops-total`), so that the device holds requests for
/// a while, as a real disk does (unthrottled, QEMU answers a small request
/// almost as soon as it is made).
pub fn attach_disk(c: &mut std::process::Command, disk: &Path, iops: Option<u32>) {
    // QEMU's option syntax doubles a comma inside a value.
    let file = disk.display().to_string().replace(',', ",,");
    let throttle = iops.map(|n| format!(",throttling.iops-total={n}")).unwrap_or_default();
    c.args([
        "-drive",
        &format!("file={file},if=none,id=disk0,format=raw{throttle}"),
        "-device",
        "virtio-blk-pci,drive=disk0,addr=0x5,disable-modern=on,romfile=",
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_board_describes_qemu() {
        let ws = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
        let q = load_qemu(&board_dir(ws, DEFAULT_BOARD)).unwrap();
        assert_eq!(q.binary, "qemu-system-x86_64");
        let c = qemu_command(
            &q,
            Path::new("k.elf32"),
            Path::new("root.elf"),
            &RunOptions {
                icount: true,
                echo_port: Some(4321),
            },
        );
        let args: Vec<_> = c.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let joined = args.join(" ");
        assert!(joined.contains("-kernel k.elf32 -initrd root.elf"));
        assert!(joined.contains("isa-debug-exit,iobase=0xf4"));
        assert!(joined.contains("-icount shift=0"));
        assert!(joined.contains("-serial mon:stdio -serial null"));
        assert!(joined.contains("hostfwd=udp:127.0.0.1:4321-:7"));
    }

    #[test]
    fn a_disk_goes_to_slot_5_as_legacy_virtio() {
        let mut c = std::process::Command::new("qemu-system-x86_64");
        attach_disk(&mut c, Path::new("target/a,b.img"), Some(500));
        let args: Vec<_> = c.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        let joined = args.join(" ");
        assert!(joined.contains("-drive file=target/a,,b.img,if=none,id=disk0,format=raw,throttling.iops-total=500 "));
        assert!(joined.contains("-device virtio-blk-pci,drive=disk0,addr=0x5,disable-modern=on,romfile="));
    }
}
