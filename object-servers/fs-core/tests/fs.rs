//! The file-system facade on an in-memory disk.

use fs_core::ram::RamDisk;
use fs_core::{
    Blame, FileSystem, FsError, FsPath, Handle, Kind, MountPolicy, Mounted, OpenFlags, Session, FS_BYTES, FS_SECTORS,
};

fn p(s: &str) -> FsPath {
    FsPath::parse(s).expect("test path")
}

fn fresh() -> FileSystem<RamDisk> {
    let mut fs = FileSystem::new(RamDisk::new(FS_SECTORS));
    assert_eq!(fs.mount(MountPolicy::FormatIfBlank), Ok(Mounted::Formatted));
    fs
}

fn create(fs: &mut FileSystem<RamDisk>, s: &mut Session, path: &str) -> Handle {
    fs.open(s, &p(path), OpenFlags::READ | OpenFlags::WRITE | OpenFlags::CREATE)
        .expect("create")
}

/// Writes `data` as the whole file at `path` (one write request).
fn put(fs: &mut FileSystem<RamDisk>, path: &str, data: &[u8]) {
    let mut s = Session::default();
    let h = fs
        .open(
            &mut s,
            &p(path),
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::TRUNCATE,
        )
        .expect("open");
    assert_eq!(fs.write_at(&mut s, h, 0, data), Ok(data.len()));
}

fn get(fs: &mut FileSystem<RamDisk>, path: &str) -> Result<Vec<u8>, FsError> {
    let mut s = Session::default();
    let h = fs.open(&mut s, &p(path), OpenFlags::READ)?;
    let mut out = Vec::new();
    let mut buf = [0u8; 7000];
    loop {
        let n = fs.read(&mut s, h, &mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

fn pattern(len: usize, seed: u32) -> Vec<u8> {
    let mut x = seed.wrapping_mul(2654435761).wrapping_add(1);
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect()
}

#[test]
fn large_file_in_chunks_reads_back_identical() {
    let mut fs = fresh();
    let mut s = Session::default();
    let data = pattern(1_300_000, 7);
    let h = create(&mut fs, &mut s, "/big");
    // Odd-sized chunks, through the handle's position.
    for chunk in data.chunks(10_007) {
        assert_eq!(fs.write(&mut s, h, chunk), Ok(chunk.len()));
    }
    assert_eq!(
        fs.stat(&p("/big")).map(|st| (st.kind, st.size)),
        Ok((Kind::File, data.len() as u64))
    );
    assert_eq!(get(&mut fs, "/big").as_deref(), Ok(&data[..]));
    // Positional reads in the middle, and at and past the end.
    let mut buf = vec![0u8; 4096];
    assert_eq!(fs.read_at(&mut s, h, 123_456, &mut buf), Ok(4096));
    assert_eq!(&buf[..], &data[123_456..123_456 + 4096]);
    assert_eq!(fs.read_at(&mut s, h, data.len() as u64 - 10, &mut buf), Ok(10));
    assert_eq!(fs.read_at(&mut s, h, data.len() as u64, &mut buf), Ok(0));
    assert_eq!(fs.read_at(&mut s, h, data.len() as u64 + 5, &mut buf), Ok(0));
    // Overwrite in the middle.
    let patch = pattern(50_000, 8);
    assert_eq!(fs.write_at(&mut s, h, 600_000, &patch), Ok(patch.len()));
    let mut expect = data.clone();
    expect[600_000..650_000].copy_from_slice(&patch);
    assert_eq!(get(&mut fs, "/big").as_deref(), Ok(&expect[..]));
}

#[test]
fn hundred_files_listed_exactly() {
    let mut fs = fresh();
    fs.mkdir(&p("/many")).expect("mkdir");
    for i in 0..100 {
        put(&mut fs, &format!("/many/f{i:03}"), &pattern(i * 37, i as u32));
    }
    fs.mkdir(&p("/many/sub")).expect("mkdir sub");
    let list = fs.read_dir(&p("/many")).expect("list");
    assert_eq!(list.len(), 101);
    for (i, e) in list.iter().take(100).enumerate() {
        assert_eq!(e.name, format!("f{i:03}"));
        assert_eq!(e.kind, Kind::File);
        assert_eq!(e.size, (i * 37) as u64);
    }
    assert_eq!(
        (list[100].name.as_str(), list[100].kind, list[100].size),
        ("sub", Kind::Dir, 0)
    );
    // Pages cover the same listing.
    let (page, more) = fs.read_dir_page(&p("/many"), 90, 10).expect("page");
    assert!(more);
    assert_eq!(page, list[90..100].to_vec());
    let (page, more) = fs.read_dir_page(&p("/many"), 100, 10).expect("last page");
    assert!(!more);
    assert_eq!(page.len(), 1);
}

#[test]
fn hundreds_of_entries() {
    let mut fs = fresh();
    fs.mkdir(&p("/d")).expect("mkdir");
    for i in 0..400 {
        put(&mut fs, &format!("/d/n{i}"), b"x");
    }
    let list = fs.read_dir(&p("/d")).expect("list");
    assert_eq!(list.len(), 400);
    assert!(list.iter().all(|e| e.kind == Kind::File && e.size == 1));
}

#[test]
fn directories_remove_and_rename() {
    let mut fs = fresh();
    let mut s = Session::default();
    fs.mkdir(&p("/a")).expect("mkdir /a");
    assert_eq!(fs.mkdir(&p("/a")), Err(FsError::Exists));
    assert_eq!(fs.mkdir(&p("/")), Err(FsError::Exists));
    assert_eq!(fs.mkdir(&p("/x/y")), Err(FsError::NotFound));
    fs.mkdir(&p("/a/b")).expect("mkdir /a/b");
    put(&mut fs, "/a/b/f", b"hello");
    assert_eq!(fs.mkdir(&p("/a/b/f/g")), Err(FsError::NotADirectory));
    assert_eq!(fs.stat(&p("/a")).map(|s| s.kind), Ok(Kind::Dir));
    assert_eq!(fs.stat(&p("/")).map(|s| s.kind), Ok(Kind::Dir));
    assert_eq!(fs.stat(&p("/nope")), Err(FsError::NotFound));

    // Remove: a non-empty directory, the root, a missing entry.
    assert_eq!(fs.remove(&p("/a/b")), Err(FsError::NotEmpty));
    assert_eq!(fs.remove(&p("/")), Err(FsError::BadPath));
    assert_eq!(fs.remove(&p("/a/zz")), Err(FsError::NotFound));
    // Opening directories, listing files.
    assert_eq!(fs.open(&mut s, &p("/a"), OpenFlags::READ), Err(FsError::IsADirectory));
    assert_eq!(fs.open(&mut s, &p("/"), OpenFlags::READ), Err(FsError::IsADirectory));
    assert_eq!(fs.read_dir(&p("/a/b/f")), Err(FsError::NotADirectory));
    assert_eq!(fs.read_dir(&p("/q")), Err(FsError::NotFound));

    // Rename a file, replacing another.
    put(&mut fs, "/other", b"old");
    fs.rename(&p("/a/b/f"), &p("/other")).expect("rename over a file");
    assert_eq!(get(&mut fs, "/other").as_deref(), Ok(&b"hello"[..]));
    assert_eq!(get(&mut fs, "/a/b/f"), Err(FsError::NotFound));
    // Rename a directory with its contents; not into itself; not onto a file.
    put(&mut fs, "/a/b/g", b"gg");
    assert_eq!(fs.rename(&p("/a"), &p("/a/b/c")), Err(FsError::BadPath));
    assert_eq!(fs.rename(&p("/a"), &p("/other")), Err(FsError::NotADirectory));
    assert_eq!(fs.rename(&p("/other"), &p("/a")), Err(FsError::IsADirectory));
    assert_eq!(fs.rename(&p("/"), &p("/z")), Err(FsError::BadPath));
    assert_eq!(fs.rename(&p("/missing"), &p("/z")), Err(FsError::NotFound));
    fs.mkdir(&p("/full")).expect("mkdir /full");
    put(&mut fs, "/full/x", b"");
    assert_eq!(fs.rename(&p("/a"), &p("/full")), Err(FsError::NotEmpty));
    fs.rename(&p("/a"), &p("/moved")).expect("rename dir");
    assert_eq!(get(&mut fs, "/moved/b/g").as_deref(), Ok(&b"gg"[..]));
    assert_eq!(fs.stat(&p("/a")), Err(FsError::NotFound));

    // Empty the tree.
    fs.remove(&p("/moved/b/g")).expect("unlink");
    fs.remove(&p("/moved/b")).expect("rmdir");
    fs.remove(&p("/moved")).expect("rmdir");
    let names: Vec<String> = fs
        .read_dir(&p("/"))
        .expect("list")
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["full", "other"]);
}

#[test]
fn rename_refuses_too_deep_paths() {
    let mut fs = fresh();
    let long = "n".repeat(100);
    fs.mkdir(&p("/a")).expect("mkdir");
    fs.mkdir(&p(&format!("/a/{long}"))).expect("mkdir");
    put(&mut fs, &format!("/a/{long}/{long}"), b"x");
    let to = format!("/{long}");
    assert_eq!(fs.rename(&p("/a"), &p(&to)), Err(FsError::NameTooLong));
    // A shorter target is fine, and the listing still works.
    fs.rename(&p("/a"), &p("/b")).expect("rename");
    assert_eq!(fs.read_dir(&p(&format!("/b/{long}"))).map(|l| l.len()), Ok(1));
}

#[test]
fn open_flags_and_handles() {
    let mut fs = fresh();
    let mut s = Session::new(4);
    assert_eq!(fs.open(&mut s, &p("/f"), OpenFlags::READ), Err(FsError::NotFound));
    let w = fs
        .open(&mut s, &p("/f"), OpenFlags::WRITE | OpenFlags::CREATE)
        .expect("create");
    assert_eq!(
        fs.open(
            &mut s,
            &p("/f"),
            OpenFlags::WRITE | OpenFlags::CREATE | OpenFlags::EXCLUSIVE
        ),
        Err(FsError::Exists)
    );
    let r = fs.open(&mut s, &p("/f"), OpenFlags::READ).expect("open");
    let mut buf = [0u8; 16];
    assert_eq!(fs.read(&mut s, w, &mut buf), Err(FsError::WrongMode));
    assert_eq!(fs.write(&mut s, r, b"x"), Err(FsError::WrongMode));
    assert_eq!(fs.write(&mut s, w, b"abc"), Ok(3));
    assert_eq!(fs.write(&mut s, w, b"def"), Ok(3));
    // No holes: a write must start at or before the end.
    assert_eq!(fs.write_at(&mut s, w, 7, b"z"), Err(FsError::BadOffset));
    assert_eq!(fs.write_at(&mut s, w, 6, b"g"), Ok(1));
    assert_eq!(fs.read(&mut s, r, &mut buf), Ok(7));
    assert_eq!(&buf[..7], b"abcdefg");
    assert_eq!(fs.read_at(&mut s, r, 1 << 40, &mut buf), Err(FsError::BadOffset));
    assert_eq!(s.seek(r, 1 << 40), Err(FsError::BadOffset));
    s.seek(r, 2).expect("seek");
    assert_eq!(fs.read(&mut s, r, &mut buf[..2]), Ok(2));
    assert_eq!(&buf[..2], b"cd");

    // Append goes to the end whatever the offset.
    let a = fs
        .open(&mut s, &p("/f"), OpenFlags::WRITE | OpenFlags::APPEND)
        .expect("append");
    assert_eq!(fs.write_at(&mut s, a, 0, b"h"), Ok(1));
    assert_eq!(get(&mut fs, "/f").as_deref(), Ok(&b"abcdefgh"[..]));
    // Truncate at open, and set_len.
    let t = fs
        .open(&mut s, &p("/f"), OpenFlags::WRITE | OpenFlags::TRUNCATE)
        .expect("truncate");
    assert_eq!(fs.stat_handle(&s, t).map(|st| st.size), Ok(0));
    assert_eq!(s.open_count(), 4);
    assert_eq!(fs.open(&mut s, &p("/f"), OpenFlags::READ), Err(FsError::TooManyOpen));
    fs.set_len(&mut s, t, 5).expect("extend");
    assert_eq!(get(&mut fs, "/f").as_deref(), Ok(&[0u8; 5][..]));
    assert_eq!(fs.set_len(&mut s, r, 1), Err(FsError::WrongMode));

    // Close frees a slot; a closed handle is bad; numbers are not reused.
    s.close(t).expect("close");
    assert_eq!(s.close(t), Err(FsError::BadHandle));
    assert_eq!(fs.read(&mut s, t, &mut buf), Err(FsError::BadHandle));
    let again = fs.open(&mut s, &p("/f"), OpenFlags::READ).expect("reopen");
    assert!(again != t && again != w && again != r && again != a);
    // A handle of another session is not this one's.
    let mut other = Session::default();
    assert_eq!(fs.read(&mut other, again, &mut buf), Err(FsError::BadHandle));
    // Too many failed opens do not use up slots.
    assert_eq!(
        fs.open(&mut other, &p("/nothing"), OpenFlags::READ),
        Err(FsError::NotFound)
    );
    assert_eq!(other.open_count(), 0);
    // A removed file's handle reads NotFound.
    fs.remove(&p("/f")).expect("remove");
    assert_eq!(fs.read(&mut s, again, &mut buf), Err(FsError::NotFound));
}

#[test]
fn bad_flags_are_refused() {
    for bits in 0..=255u8 {
        let ok = OpenFlags::from_bits(bits).is_ok();
        let read = bits & 1 != 0;
        let write = bits & 2 != 0;
        let expect =
            bits & !0x3f == 0 && (read || write) && (write || bits & 0x3c == 0) && (bits & 8 == 0 || bits & 4 != 0);
        assert_eq!(ok, expect, "bits {bits:#x}");
    }
    assert_eq!(OpenFlags::from_bits(0).map_err(|e| e.blame()), Err(Blame::Client));
}

#[test]
fn usage_falls_with_writes_and_recovers() {
    let mut fs = fresh();
    let before = fs.usage().expect("df");
    assert_eq!(before.total_bytes, FS_BYTES);
    assert!(before.free_bytes > FS_BYTES - 64 * 1024, "{before:?}");
    put(&mut fs, "/blob", &pattern(2_000_000, 3));
    let during = fs.usage().expect("df");
    assert!(
        during.free_bytes + 2_000_000 <= before.free_bytes,
        "{before:?} {during:?}"
    );
    fs.remove(&p("/blob")).expect("remove");
    let after = fs.usage().expect("df");
    assert!(
        after.free_bytes + 16 * 1024 >= before.free_bytes,
        "{before:?} {after:?}"
    );
}

#[test]
fn full_disk_is_no_space_and_recovers() {
    let mut fs = fresh();
    let chunk = pattern(1 << 20, 11);
    let mut s = Session::default();
    let h = create(&mut fs, &mut s, "/fill");
    let mut written = 0u64;
    let err = loop {
        match fs.write(&mut s, h, &chunk) {
            Ok(n) => written += n as u64,
            Err(e) => break e,
        }
        assert!(written <= FS_BYTES, "wrote more than the disk holds");
    };
    assert_eq!(err, FsError::NoSpace);
    assert_eq!(err.blame(), Blame::Device);
    // The failed write left the file as it was, and the disk usable.
    assert_eq!(fs.stat(&p("/fill")).map(|s| s.size), Ok(written));
    fs.remove(&p("/fill")).expect("remove");
    put(&mut fs, "/after", b"fine");
    assert_eq!(get(&mut fs, "/after").as_deref(), Ok(&b"fine"[..]));
}

#[test]
fn remount_keeps_data_and_mount_policies() {
    let mut fs = fresh();
    fs.mkdir(&p("/keep")).expect("mkdir");
    let data = pattern(70_000, 5);
    put(&mut fs, "/keep/data", &data);
    put(&mut fs, "/small", b"tiny");
    fs.unmount().expect("unmount");
    assert!(!fs.is_mounted());
    assert_eq!(fs.stat(&p("/small")), Err(FsError::NotMounted));
    assert_eq!(fs.mount(MountPolicy::Existing), Ok(Mounted::Existing));
    assert_eq!(get(&mut fs, "/keep/data").as_deref(), Ok(&data[..]));
    assert_eq!(get(&mut fs, "/small").as_deref(), Ok(&b"tiny"[..]));
    // Mounting a mounted file system is nothing.
    assert_eq!(fs.mount(MountPolicy::FormatIfBlank), Ok(Mounted::Existing));
    // A new FileSystem over the same contents sees the same files.
    let image = fs.with_device(|d| d.image());
    let mut disk = RamDisk::new(FS_SECTORS);
    disk.restore(&image);
    let mut fs2 = FileSystem::new(disk);
    assert_eq!(fs2.mount(MountPolicy::Existing), Ok(Mounted::Existing));
    assert_eq!(get(&mut fs2, "/keep/data").as_deref(), Ok(&data[..]));
    // Format empties it.
    fs2.format().expect("format");
    assert_eq!(fs2.read_dir(&p("/")), Ok(vec![]));
    assert!(fs.with_device(|d| d.flushes()) > 0);
}

#[test]
fn blank_garbage_and_small_disks() {
    let mut blank = FileSystem::new(RamDisk::new(FS_SECTORS));
    assert_eq!(blank.mount(MountPolicy::Existing), Err(FsError::Unformatted));
    assert_eq!(blank.stat(&p("/")), Err(FsError::NotMounted));

    let mut junk = RamDisk::new(FS_SECTORS);
    use fs_core::BlockDevice;
    junk.write(3, &[0x5a; 512]).expect("write");
    let mut junk = FileSystem::new(junk);
    assert_eq!(junk.mount(MountPolicy::FormatIfBlank), Err(FsError::Corrupt));
    junk.format().expect("explicit format");
    assert!(junk.is_mounted());

    let mut small = FileSystem::new(RamDisk::new(FS_SECTORS - 1));
    assert_eq!(small.mount(MountPolicy::FormatIfBlank), Err(FsError::DeviceTooSmall));
    assert_eq!(small.format(), Err(FsError::DeviceTooSmall));
    assert_eq!(FsError::DeviceTooSmall.blame(), Blame::Device);

    // A bigger device works (its tail is not used).
    let mut big = FileSystem::new(RamDisk::new(FS_SECTORS * 2));
    assert_eq!(big.mount(MountPolicy::FormatIfBlank), Ok(Mounted::Formatted));
}

#[test]
fn device_errors_are_io() {
    let mut fs = fresh();
    put(&mut fs, "/f", b"data");
    fs.unmount().expect("unmount");
    fs.mount(MountPolicy::Existing).expect("mount");
    fs.with_device(|d| d.set_failing(true));
    assert_eq!(get(&mut fs, "/f"), Err(FsError::Io));
    let mut s = Session::default();
    assert_eq!(
        fs.open(&mut s, &p("/g"), OpenFlags::WRITE | OpenFlags::CREATE),
        Err(FsError::Io)
    );
    assert_eq!(FsError::Io.blame(), Blame::Device);
    // Unmounting may fail to flush, but unmounts.
    let _ = fs.unmount();
    assert!(!fs.is_mounted());
    assert_eq!(fs.mount(MountPolicy::FormatIfBlank), Err(FsError::Io));
    assert!(!fs.is_mounted());
    fs.with_device(|d| d.set_failing(false));
    fs.unmount().expect("unmount");
    fs.mount(MountPolicy::Existing).expect("mount again");
    assert_eq!(get(&mut fs, "/f").as_deref(), Ok(&b"data"[..]));
}

#[test]
fn error_codes_round_trip() {
    for e in FsError::ALL {
        assert_eq!(FsError::from_code(e.code()), Some(e));
        assert!(e.code() > 0);
        assert!(!e.name().is_empty());
    }
    // The wire codes are a contract (the table in the error module).
    assert_eq!(FsError::BadPath.code(), 1);
    assert_eq!(FsError::TooLarge.code(), 13);
    assert_eq!(FsError::Io.code(), 14);
    assert_eq!(FsError::Incompatible.code(), 19);
    assert_eq!(FsError::Internal.code(), 21);
    assert_eq!(FsError::from_code(0), None);
    assert_eq!(FsError::from_code(FsError::ALL.len() as u64 + 1), None);
    assert_eq!(FsError::NotFound.blame(), Blame::Client);
    assert_eq!(FsError::NotMounted.blame(), Blame::Server);
}

#[test]
fn every_change_is_flushed_and_reads_are_not() {
    let mut fs = fresh();
    let mut s = Session::default();
    let flushes = |fs: &FileSystem<RamDisk>| fs.with_device(|d| d.flushes());
    let n0 = flushes(&fs);
    let h = create(&mut fs, &mut s, "/f");
    let n1 = flushes(&fs);
    assert_eq!(n1, n0 + 1, "create");
    fs.write_at(&mut s, h, 0, b"abc").expect("write");
    assert_eq!(flushes(&fs), n1 + 1, "write");
    fs.mkdir(&p("/d")).expect("mkdir");
    fs.rename(&p("/f"), &p("/d/f")).expect("rename");
    fs.remove(&p("/d/f")).expect("remove");
    assert_eq!(flushes(&fs), n1 + 4, "mkdir, rename, remove");
    let n2 = flushes(&fs);
    let r = fs.open(&mut s, &p("/d"), OpenFlags::READ);
    assert_eq!(r, Err(FsError::IsADirectory));
    let _ = fs.read_dir(&p("/"));
    let _ = fs.stat(&p("/d"));
    let _ = fs.usage();
    assert_eq!(flushes(&fs), n2, "reads flush nothing");
    fs.sync().expect("sync");
    assert_eq!(flushes(&fs), n2 + 1, "sync");
}
