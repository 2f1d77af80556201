//! The `files` scenario: the file server (`fs`, a PD of the `files`
//! system on the sDDF block path) and the Posix-like library, on a fresh
//! disk the build made (`xtask/src/files.rs`: a littlefs with `/README`
//! and the disk-only image `/bin/hello-disk`).
//!
//! The host checks the disk once more after QEMU ends, with the server's
//! own littlefs code (`fs-image check`).

use alloc::format;
use alloc::string::{String, ToString};

use pride_posix::{flags, Errno, FileService, Files, FsConnection, Kind};
use root_core::supervision::State;

use crate::scenario::{wait_exit, CaseResult, Tally};
use crate::shell::wait_started;
use crate::supervisor::{SupError, Supervisor};

/// `/data/big.bin` as `fs-test` writes it (`components/fs-test`).
const BIG: usize = 3 * 512 * 1024;
fn big_byte(i: usize) -> u8 {
    (i.wrapping_mul(31) ^ (i >> 11)) as u8
}
/// `/crash/file` as `fs-writer` writes it.
const CRASH_SIZE: usize = 64 * 1024;

fn errno(what: &str) -> impl Fn(Errno) -> String + '_ {
    move |e| format!("{what}: {}", e.text())
}

fn files(sup: &mut Supervisor) -> Result<Files<FsConnection>, String> {
    sup.shell_files().map_err(|e| format!("{e}"))
}

/// Waits until component `name` runs (after a restart or an update).
fn wait_running(sup: &mut Supervisor, name: &str) -> CaseResult {
    loop {
        match sup.table.by_name(name).map(|r| r.state) {
            Some(State::Running) => return Ok(()),
            Some(s) if s.is_live() => {}
            other => return Err(format!("'{name}' is {other:?}")),
        }
        let e = sup.pump();
        sup.background(e);
    }
}

/// Launches `image`, waits for it to exit; its exit code.
fn run_to_exit(sup: &mut Supervisor, image: &str) -> Result<u64, String> {
    let id = sup.launch(image, None).map_err(|e| format!("launch {image}: {e}"))?;
    let n = sup
        .current_number(id)
        .ok_or_else(|| format!("{image} has no instance"))?;
    wait_exit(sup, n, |_, _| Ok(()))
}

/// `/data/big.bin` read whole and compared with the pattern.
fn check_big(sup: &mut Supervisor) -> CaseResult {
    let mut f = files(sup)?;
    let fd = f
        .open("/data/big.bin", flags::READ)
        .map_err(errno("open /data/big.bin"))?;
    let mut buf = alloc::vec![0u8; 64 * 1024];
    let mut at = 0;
    loop {
        let n = f.read(fd, &mut buf).map_err(errno("read /data/big.bin"))?;
        if n == 0 {
            break;
        }
        if let Some(k) = (0..n).find(|&k| buf[k] != big_byte(at + k)) {
            return Err(format!("/data/big.bin byte {} differs", at + k));
        }
        at += n;
    }
    let _ = f.close(fd);
    if at != BIG {
        return Err(format!("/data/big.bin has {at} bytes, not {BIG}"));
    }
    let many = f.read_dir("/many").map_err(errno("readdir /many"))?;
    if many.len() != 100 {
        return Err(format!("/many lists {} entries, not 100", many.len()));
    }
    Ok(())
}

/// Reads every file under `dir`: (files, directories, bytes).
fn walk<S: FileService>(f: &mut Files<S>, dir: &str) -> Result<(u64, u64, u64), String> {
    let mut totals = (0, 1, 0);
    for e in f.read_dir(dir).map_err(errno(dir))? {
        let path = if dir == "/" {
            format!("/{}", e.name)
        } else {
            format!("{dir}/{}", e.name)
        };
        if e.kind == Kind::Dir {
            let (a, b, c) = walk(f, &path)?;
            totals = (totals.0 + a, totals.1 + b, totals.2 + c);
            continue;
        }
        let fd = f.open(&path, flags::READ).map_err(errno(&path))?;
        let mut buf = alloc::vec![0u8; 16 * 1024];
        let mut n = 0u64;
        loop {
            match f.read(fd, &mut buf) {
                Ok(0) => break,
                Ok(k) => n += k as u64,
                Err(e) => return Err(format!("{path}: {}", e.text())),
            }
        }
        let _ = f.close(fd);
        if n != e.size {
            return Err(format!("{path}: listed with {} bytes, {n} read", e.size));
        }
        totals = (totals.0 + 1, totals.1, totals.2 + n);
    }
    Ok(totals)
}

fn fs_serves(sup: &mut Supervisor) -> CaseResult {
    if sup.table.by_name("fs").map(|r| r.state) != Some(State::Running) {
        return Err("the file server is not running".to_string());
    }
    let mut f = files(sup)?;
    let u = f.usage().map_err(errno("df"))?;
    if u.total != 32 * 1024 * 1024 || u.free == 0 || u.free > u.total {
        return Err(format!("df: {} bytes, {} free", u.total, u.free));
    }
    let readme = crate::files::read_file(&mut f, "/README", 4096).map_err(errno("/README"))?;
    if !readme.starts_with(b"This is Pride's file system") {
        return Err("/README is not what the build wrote".to_string());
    }
    Ok(())
}

fn durable(sup: &mut Supervisor) -> CaseResult {
    check_big(sup).map_err(|e| format!("before: {e}"))?;
    let gen = sup.table.by_name("fs").map_or(0, |r| r.generation);
    sup.restart("fs").map_err(|e| format!("restart: {e}"))?;
    wait_running(sup, "fs")?;
    if sup.table.by_name("fs").map_or(0, |r| r.generation) != gen + 1 {
        return Err("the restart made no new generation".to_string());
    }
    check_big(sup).map_err(|e| format!("after the restart: {e}"))?;
    sup.update("fs", "fs").map_err(|e| format!("update: {e}"))?;
    wait_running(sup, "fs")?;
    check_big(sup).map_err(|e| format!("after the update: {e}"))
}

fn crash_mid_write(sup: &mut Supervisor) -> CaseResult {
    let gen = sup.table.by_name("fs").map_or(0, |r| r.generation);
    let code = run_to_exit(sup, "fs-writer")?;
    if code != 0 {
        return Err(format!("fs-writer exited with {code} (see its lines)"));
    }
    // The supervisor restarts the server (its restart policy).
    wait_running(sup, "fs")?;
    let now = sup.table.by_name("fs").map_or(0, |r| r.generation);
    if now <= gen {
        return Err(format!("the server was not restarted (generation {gen} -> {now})"));
    }
    let mut f = files(sup)?;
    let data = crate::files::read_file(&mut f, "/crash/file", 1 << 20).map_err(errno("/crash/file"))?;
    if data.len() != CRASH_SIZE {
        return Err(format!("/crash/file has {} bytes, not {CRASH_SIZE}", data.len()));
    }
    // The first half of B was synced before the fault; of the second,
    // each write request is all or nothing: B up to where the server died
    // (a whole number of requests), A after.
    let half = CRASH_SIZE / 2;
    let bs = data.iter().take_while(|b| **b == b'B').count();
    if data[bs..].iter().any(|b| *b != b'A') {
        return Err(format!("/crash/file is not B* A* (B up to {bs}, then something else)"));
    }
    if bs < half {
        return Err(format!("only {bs} bytes of B: the synced first half was lost"));
    }
    if !(bs - half).is_multiple_of(pride_supervisor_api::fs::DATA_MAX) && bs != CRASH_SIZE {
        return Err(format!("{bs} bytes of B: a request was half done"));
    }
    let (nf, nd, nb) = walk(&mut f, "/")?;
    sup.event(format!(
        "files: after the crash {bs} bytes were new; the tree reads whole: {nf} files, {nd} directories, {nb} bytes"
    ));
    Ok(())
}

fn path_policy(sup: &mut Supervisor) -> CaseResult {
    let write = |sup: &mut Supervisor| -> Result<(), Errno> {
        let mut f = sup.shell_files().map_err(|_| Errno::NoConnection)?;
        let fd = f.open("/private/plan", flags::WRITE | flags::CREATE | flags::TRUNCATE)?;
        let r = f.write(fd, b"secret\n").map(|_| ());
        f.close(fd).and(r)
    };
    match write(sup) {
        Err(Errno::Denied) => {}
        other => return Err(format!("under the allowlist: {other:?}, expected denied")),
    }
    sup.policy_swap("open").map_err(|e| format!("swap to open: {e}"))?;
    let mut f = files(sup)?;
    let _ = f.mkdir("/private");
    drop(f);
    write(sup).map_err(|e| format!("under open: {}", e.text()))?;
    sup.policy_swap("allowlist").map_err(|e| format!("swap back: {e}"))?;
    let mut f = files(sup)?;
    match f.open("/private/plan", flags::READ) {
        Err(Errno::Denied) => Ok(()),
        other => Err(format!("reading after the swap back: {other:?}, expected denied")),
    }
}

fn launch_from_disk(sup: &mut Supervisor) -> CaseResult {
    if sup.image("hello-disk").is_ok() {
        return Err("hello-disk is in the image archive: this would prove nothing".to_string());
    }
    match sup.launch("/bin/nothing", None) {
        Err(SupError::DiskImage(why)) if why.contains("no such file") => {}
        other => return Err(format!("launch /bin/nothing: {:?}", other.map(|_| ()))),
    }
    match sup.launch("/README", None) {
        Err(SupError::DiskImage(why)) if why.contains("/README.manifest") => {}
        other => return Err(format!("launch /README: {:?}", other.map(|_| ()))),
    }
    let id = sup
        .launch("/bin/hello-disk", None)
        .map_err(|e| format!("launch /bin/hello-disk: {e}"))?;
    wait_started(sup, id);
    if sup.table.by_id(id).map(|r| r.state) != Some(State::Running) {
        return Err("hello-disk did not start".to_string());
    }
    // It restarts from the image read at launch.
    sup.restart("hello-disk").map_err(|e| format!("restart: {e}"))?;
    wait_running(sup, "hello-disk")?;
    sup.stop("hello-disk").map_err(|e| format!("stop: {e}"))
}

pub fn run(sup: &mut Supervisor, t: &mut Tally) {
    let r = fs_serves(sup);
    t.case(sup, "fs-serves", r);
    let r = run_to_exit(sup, "fs-test").and_then(|code| match code {
        0 => Ok(()),
        n => Err(format!("fs-test: {n} cases failed")),
    });
    t.case(sup, "posix-component", r);
    let r = durable(sup);
    t.case(sup, "durable-across-restart-and-update", r);
    let r = crash_mid_write(sup);
    t.case(sup, "crash-mid-write-consistent", r);
    let r = path_policy(sup);
    t.case(sup, "path-policy", r);
    let r = launch_from_disk(sup);
    t.case(sup, "launch-from-disk", r);
    // Leave the disk quiet for the host's check.
    let _ = sup.stop_system("files");
}

/// The `files-bench` scenario (`cargo xtask bench`, under `-icount`, so
/// TSC ticks are guest instructions): 1 MiB written to and read from a
/// file through `pride-posix` and the `fs` service, against the same bytes
/// moved raw through the same sDDF block path by the file server itself
/// (its `BENCH_RAW` hook: no littlefs, no IPC per piece), in one run.
/// Prints `bench: KEY=VALUE` lines.
pub fn bench(sup: &mut Supervisor, t: &mut Tally) {
    let r = bench_files(sup);
    t.case(sup, "files-bench", r);
}

fn bench_files(sup: &mut Supervisor) -> CaseResult {
    use core::fmt::Write;
    use pride_rt::msg::Outgoing;
    const BYTES: usize = 1 << 20;
    const BENCH_RAW: u64 = 16;
    const ROUNDS: u64 = 2;
    let conn = sup.shell_conn("fs").map_err(|e| format!("{e}"))?;
    let raw = |write: u64| -> Result<u64, String> {
        let t0 = pride_rt::tsc();
        let r = Outgoing::new()
            .word(write)
            .word((BYTES / 4096) as u64)
            .call(conn, BENCH_RAW);
        let ticks = pride_rt::tsc() - t0;
        if r.info.label() != pride_supervisor_api::OK {
            return Err(format!("BENCH_RAW refused ({:#x})", r.info.label()));
        }
        Ok(ticks)
    };
    let mut f = Files::new(FsConnection(conn));
    // In pieces of 256 KiB: the root task's heap is small.
    const PIECE: usize = 256 * 1024;
    let mut buf = alloc::vec![0u8; PIECE];
    // Warm up both paths once.
    raw(0)?;
    let (mut raw_w, mut raw_r, mut file_w, mut file_r) = (0, 0, 0, 0);
    for _ in 0..ROUNDS {
        raw_w += raw(1)?;
        raw_r += raw(0)?;
        let fd = f
            .open("/bench.bin", flags::WRITE | flags::CREATE | flags::TRUNCATE)
            .map_err(errno("open /bench.bin"))?;
        for at in (0..BYTES).step_by(PIECE) {
            buf.iter_mut().enumerate().for_each(|(i, b)| *b = big_byte(at + i));
            let t0 = pride_rt::tsc();
            f.write(fd, &buf).map_err(errno("write"))?;
            file_w += pride_rt::tsc() - t0;
        }
        f.close(fd).map_err(errno("close"))?;
        let fd = f.open("/bench.bin", flags::READ).map_err(errno("open"))?;
        for at in (0..BYTES).step_by(PIECE) {
            let t0 = pride_rt::tsc();
            let n = f.read(fd, &mut buf).map_err(errno("read"))?;
            file_r += pride_rt::tsc() - t0;
            if n != PIECE || buf.iter().enumerate().any(|(i, b)| *b != big_byte(at + i)) {
                return Err(format!("the file read back differs in the piece at {at}"));
            }
        }
        f.close(fd).map_err(errno("close"))?;
    }
    let _ = f.unlink("/bench.bin");
    let requests = BYTES.div_ceil(pride_supervisor_api::fs::DATA_MAX);
    let _ = writeln!(sup.out, "bench: fs_bytes={BYTES} requests={requests}");
    let _ = writeln!(sup.out, "bench: fs_write_ticks={}", file_w / ROUNDS);
    let _ = writeln!(sup.out, "bench: fs_read_ticks={}", file_r / ROUNDS);
    let _ = writeln!(sup.out, "bench: raw_write_ticks={}", raw_w / ROUNDS);
    let _ = writeln!(sup.out, "bench: raw_read_ticks={}", raw_r / ROUNDS);
    Ok(())
}
