//! Crash consistency: the device stops keeping writes after the N-th sector
//! write (the server dies mid-request), for every N a workload reaches;
//! the disk must then mount and hold exactly the state before or after
//! the request that was running.

use std::collections::BTreeMap;

use fs_core::ram::{Image, RamDisk};
use proptest::prelude::*;

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
#[derive(Clone, Debug)]
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

/// Runs `steps`, calling `after` after every request (a `Put` is two: the
/// open, then the write). A failed request goes on to the next step: after
/// the cut every write fails, and nothing the server does then reaches the
/// disk anyway.
fn run(fs: &mut FileSystem<RamDisk>, steps: &[Step], mut after: impl FnMut(&mut FileSystem<RamDisk>)) {
    let mut s = Session::default();
    for step in steps {
        match *step {
            Step::Mkdir(path) => {
                let _ = fs.mkdir(&p(path));
            }
            Step::Put(path, len, seed) => {
                let flags = OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE;
                if let Ok(h) = fs.open(&mut s, &p(path), flags) {
                    after(fs);
                    let _ = fs.write_at(&mut s, h, 0, &pattern(len, seed));
                    let _ = s.close(h);
                }
            }
            Step::Patch(path, off, len, seed) => {
                if let Ok(h) = fs.open(&mut s, &p(path), OpenFlags::WRITE) {
                    let _ = fs.write_at(&mut s, h, off, &pattern(len, seed));
                    let _ = s.close(h);
                }
            }
            Step::Rename(from, to) => {
                let _ = fs.rename(&p(from), &p(to));
            }
            Step::Remove(path) => {
                let _ = fs.remove(&p(path));
            }
        }
        after(fs);
    }
}

/// The run without a cut from the mounted base image: the tree after
/// each request (the first is before any), and the sector writes made by
/// then.
fn dry_run(fs: &mut FileSystem<RamDisk>, steps: &[Step]) -> (Vec<Tree>, Vec<u64>) {
    let start = fs.with_device(|d| d.sector_writes());
    let mut states = vec![tree(fs).expect("tree")];
    let mut writes_at = vec![0u64];
    run(fs, steps, |fs| {
        writes_at.push(fs.with_device(|d| d.sector_writes()) - start);
        states.push(tree(fs).expect("tree"));
    });
    (states, writes_at)
}

/// Restores `image`, runs `steps` with the device cut after `cut` sector
/// writes, remounts and checks the tree is the state before or after the
/// request the cut fell in, and that the file system still takes writes.
fn check_cut(
    fs: &mut FileSystem<RamDisk>,
    image: &Image,
    steps: &[Step],
    states: &[Tree],
    writes_at: &[u64],
    cut: u64,
    torn: bool,
) {
    fs.with_device(|d| {
        d.heal();
        d.restore(image);
    });
    fs.mount(MountPolicy::Existing).expect("mount the base");
    fs.with_device(|d| d.cut_after(cut, torn));
    run(fs, steps, |_| {});
    // The server died: forget it, keep the disk.
    fs.unmount().expect("unmount");
    fs.with_device(|d| d.heal());
    fs.mount(MountPolicy::Existing)
        .unwrap_or_else(|e| panic!("cut {cut}: mount failed: {e}"));
    let got = tree(fs).unwrap_or_else(|e| panic!("cut {cut}: tree unreadable: {e}"));
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
}

/// The base image: a formatted disk with `/old` and the directories
/// `dirs` already there.
fn base(dirs: &[&str]) -> (FileSystem<RamDisk>, Image) {
    let mut fs = FileSystem::new(RamDisk::new(FS_SECTORS));
    fs.format().expect("format");
    let mut s = Session::default();
    let h = fs
        .open(&mut s, &p("/old"), OpenFlags::WRITE | OpenFlags::CREATE)
        .expect("open");
    fs.write_at(&mut s, h, 0, &pattern(6000, 99)).expect("write");
    for d in dirs {
        fs.mkdir(&p(d)).expect("mkdir");
    }
    fs.unmount().expect("unmount");
    let image = fs.with_device(|d| d.image());
    (fs, image)
}

#[test]
fn every_cut_leaves_the_state_before_or_after_a_request() {
    let (mut fs, image) = base(&[]);
    fs.mount(MountPolicy::Existing).expect("mount");
    let (states, writes_at) = dry_run(&mut fs, WORKLOAD);
    // Every request of the fixed workload succeeds and changes something.
    let requests = WORKLOAD.len() + WORKLOAD.iter().filter(|s| matches!(s, Step::Put(..))).count();
    assert_eq!(states.len(), requests + 1);
    assert!(states.windows(2).all(|w| w[0] != w[1]), "a request changed nothing");
    let total = *writes_at.last().expect("some writes");
    assert!(total > 100, "the workload wrote only {total} sectors");
    fs.unmount().expect("unmount");
    for cut in 0..=total {
        check_cut(&mut fs, &image, WORKLOAD, &states, &writes_at, cut, cut % 2 == 1);
    }
}

const FILES: &[&str] = &["/a", "/b", "/d/a", "/d/b", "/e/a", "/d/s/a"];
const DIRS: &[&str] = &["/d", "/e", "/d/s"];

fn step() -> impl Strategy<Value = Step> {
    let file = proptest::sample::select(FILES);
    let dir = proptest::sample::select(DIRS);
    let entry = proptest::sample::select([FILES, DIRS].concat());
    prop_oneof![
        1 => dir.clone().prop_map(Step::Mkdir),
        4 => (file.clone(), 0usize..12_000, any::<u32>()).prop_map(|(f, len, seed)| Step::Put(f, len, seed)),
        3 => (file.clone(), 0u64..6000, 1usize..5000, any::<u32>()).prop_map(|(f, off, len, seed)| Step::Patch(f, off, len, seed)),
        2 => (entry.clone(), entry.clone()).prop_map(|(a, b)| Step::Rename(a, b)),
        1 => entry.prop_map(Step::Remove),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random workloads over a few names (so renames replace, removes
    /// hit directories, writes go to missing files...), cut at random
    /// points, torn or not.
    #[test]
    fn random_workloads_survive_random_cuts(
        steps in proptest::collection::vec(step(), 8..24),
        cuts in proptest::collection::vec((0u64..1000, any::<bool>()), 24),
    ) {
        let (mut fs, image) = base(DIRS);
        fs.mount(MountPolicy::Existing).expect("mount");
        let (states, writes_at) = dry_run(&mut fs, &steps);
        fs.unmount().expect("unmount");
        let total = *writes_at.last().expect("some");
        for (cut, torn) in cuts {
            check_cut(&mut fs, &image, &steps, &states, &writes_at, cut % (total + 1), torn);
        }
    }
}
