//! Crash consistency: the device stops keeping writes after the N-th sector
//! write (the server dies mid-request), for every N a workload reaches;
//! the disk must then mount and hold exactly the state before or after
//! the request that was running.

use std::collections::BTreeMap;

use fs_core::ram::{Image, RamDisk};
use fs_core::{FileSystem, FsError, FsPath, Kind, MountPolicy, OpenFlags, Session, FS_SECTORS};

/// The whole tree: path → `None` for a directory, the contents for a file.
type Tree = BTreeMap<String, Option<Vec<u8>>>;

fn p(s: &str) -> FsPath {
    FsPath::parse(s).expect("test path")
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed.wrapping_mul(97)) as u8)
        .collect()
}

fn tree(fs: &mut FileSystem<RamDisk>) -> Result<Tree, FsError> {
    let mut out = Tree::new();
    let mut todo = vec![FsPath::root()];
    let mut s = Session::default();
    while let Some(dir) = todo.pop() {
        for e in fs.read_dir(&dir)? {
            let path = dir.join(&e.name)?;
            match e.kind {
                Kind::Dir => {
                    out.insert(path.to_string(), None);
                    todo.push(path);
                }
                Kind::File => {
                    let h = fs.open(&mut s, &path, OpenFlags::READ)?;
                    let mut data = vec![0u8; e.size as usize + 1];
                    let n = fs.read_at(&mut s, h, 0, &mut data)?;
                    s.close(h)?;
                    assert_eq!(n as u64, e.size, "{path}: listing and contents disagree on the size");
                    data.truncate(n);
                    out.insert(path.to_string(), Some(data));
                }
            }
        }
    }
    Ok(out)
}

/// One request of the workload.
enum Step {
    Mkdir(&'static str),
    /// Open with CREATE|TRUNCATE and write everything in one request: two
    /// requests (the open commits an empty file).
    Put(&'static str, usize, u32),
    /// Overwrite part of an existing file in one write request.
    Patch(&'static str, u64, usize, u32),
    Rename(&'static str, &'static str),
    Remove(&'static str),
}

const WORKLOAD: &[Step] = &[
    Step::Mkdir("/d"),
    Step::Put("/d/a", 3000, 1),
    Step::Put("/b", 100, 2),
    Step::Put("/d/c", 20_000, 3),
    Step::Patch("/d/a", 1000, 1500, 4),
    Step::Put("/d/a", 2500, 5),
    Step::Rename("/d/a", "/a2"),
    Step::Patch("/b", 100, 200, 6),
    Step::Rename("/b", "/d/c"),
    Step::Mkdir("/e"),
    Step::Rename("/d", "/e/d"),
    Step::Put("/e/d/c", 9000, 7),
    Step::Put("/e/f1", 10, 8),
    Step::Put("/e/f2", 700, 9),
    Step::Put("/e/f3", 5000, 10),
    Step::Remove("/a2"),
    Step::Patch("/e/f3", 0, 5000, 11),
    Step::Remove("/e/f1"),
    Step::Put("/big", 40_000, 12),
    Step::Rename("/e/f2", "/e/d/f2"),
];

/// Runs the workload from the top, calling `after` after every request
/// with the request's number. Requests fail only once the device is cut;
/// the first failure ends the run (the server would have died).
fn run(fs: &mut FileSystem<RamDisk>, mut after: impl FnMut(&mut FileSystem<RamDisk>)) {
    let mut s = Session::default();
    for step in WORKLOAD {
        let ok = match *step {
            Step::Mkdir(path) => fs.mkdir(&p(path)).is_ok(),
            Step::Put(path, len, seed) => {
                let flags = OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE;
                match fs.open(&mut s, &p(path), flags) {
                    Ok(h) => {
                        after(fs);
                        let ok = fs.write_at(&mut s, h, 0, &pattern(len, seed)).is_ok();
                        let _ = s.close(h);
                        ok
                    }
                    Err(_) => false,
                }
            }
            Step::Patch(path, off, len, seed) => match fs.open(&mut s, &p(path), OpenFlags::WRITE) {
                Ok(h) => {
                    let ok = fs.write_at(&mut s, h, off, &pattern(len, seed)).is_ok();
                    let _ = s.close(h);
                    ok
                }
                Err(_) => false,
            },
            Step::Rename(from, to) => fs.rename(&p(from), &p(to)).is_ok(),
            Step::Remove(path) => fs.remove(&p(path)).is_ok(),
        };
        if !ok {
            return;
        }
        after(fs);
    }
}

/// The base image: a formatted disk with a couple of files already there.
fn base() -> (FileSystem<RamDisk>, Image) {
    let mut fs = FileSystem::new(RamDisk::new(FS_SECTORS));
    fs.format().expect("format");
    let mut s = Session::default();
    let h = fs
        .open(&mut s, &p("/old"), OpenFlags::WRITE | OpenFlags::CREATE)
        .expect("open");
    fs.write_at(&mut s, h, 0, &pattern(6000, 99)).expect("write");
    fs.unmount().expect("unmount");
    let image = fs.with_device(|d| d.image());
    (fs, image)
}

#[test]
fn every_cut_leaves_the_state_before_or_after_a_request() {
    let (mut fs, image) = base();

    // The run without a cut: the state after each request, and how many
    // sector writes it had taken by then.
    fs.mount(MountPolicy::Existing).expect("mount");
    let start_writes = fs.with_device(|d| d.sector_writes());
    let mut states = vec![tree(&mut fs).expect("tree")];
    let mut writes_at = vec![0u64];
    run(&mut fs, |fs| {
        writes_at.push(fs.with_device(|d| d.sector_writes()) - start_writes);
        states.push(tree(fs).expect("tree"));
    });
    assert_eq!(
        states.len(),
        WORKLOAD.len() + 1 + WORKLOAD.iter().filter(|s| matches!(s, Step::Put(..))).count()
    );
    let total = *writes_at.last().expect("some writes");
    assert!(total > 100, "the workload wrote only {total} sectors");
    fs.unmount().expect("unmount");

    let mut checked = 0;
    for cut in 0..=total {
        let torn = cut % 2 == 1;
        fs.with_device(|d| {
            d.heal();
            d.restore(&image);
        });
        fs.mount(MountPolicy::Existing).expect("mount the base");
        fs.with_device(|d| d.cut_after(cut, torn));
        run(&mut fs, |_| {});
        // The server died: forget it, keep the disk.
        fs.unmount().expect("unmount");
        fs.with_device(|d| d.heal());
        fs.mount(MountPolicy::Existing)
            .unwrap_or_else(|e| panic!("cut {cut}: mount failed: {e}"));
        let got = tree(&mut fs).unwrap_or_else(|e| panic!("cut {cut}: tree unreadable: {e}"));
        // Requests finished before the cut: those whose writes all landed.
        let done = writes_at.iter().filter(|w| **w <= cut).count() - 1;
        let ok = got == states[done] || states.get(done + 1).is_some_and(|next| got == *next);
        assert!(
            ok,
            "cut {cut} (torn {torn}): the tree is neither the state after request {done} nor the next"
        );
        // Still usable: write, read back.
        let mut s = Session::default();
        let h = fs.open(
            &mut s,
            &p("/after-crash"),
            OpenFlags::READ | OpenFlags::WRITE | OpenFlags::CREATE,
        );
        let h = h.unwrap_or_else(|e| panic!("cut {cut}: create after remount: {e}"));
        fs.write_at(&mut s, h, 0, b"alive").expect("write after remount");
        let mut buf = [0u8; 5];
        assert_eq!(fs.read_at(&mut s, h, 0, &mut buf), Ok(5));
        assert_eq!(&buf, b"alive");
        fs.unmount().expect("unmount");
        checked += 1;
    }
    assert_eq!(checked, total + 1);
    eprintln!("checked {checked} cuts over {} requests", WORKLOAD.len());
}
