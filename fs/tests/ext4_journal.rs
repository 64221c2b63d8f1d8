//! The ext4 journal: our commits leave a v3-checksummed jbd2 journal that
//! e2fsck accepts; a crash after any write of a workload (a disk whose writes
//! start failing) leaves an image our recovery replays exactly as e2fsck's own
//! replay does, clean afterwards, with no committed file or tree block
//! overwritten by blocks freed and reused before their commit; and a journal
//! Linux wrote (an image copied while the host kernel had it mounted) replays
//! the same way.

mod common;

use common::rw::{
    compare_with_host, debugfs, e2fsck_replay, fsck_clean, mkfs, mount_rw, tool, FailingDisk,
    LoopMount,
};
use common::TempDir;
use fs::ext4::Ext4;
use fs::{FileSystem, Inode};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

/// Returns `dumpe2fs -h` of the image.
fn dumpe2fs(img: &Path) -> String {
    let out = Command::new(tool("dumpe2fs"))
        .arg("-h")
        .arg(img)
        .output()
        .expect("dumpe2fs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The workload the crash test cuts short: names, data, removals, a rename.
fn workload(root: &Arc<dyn Inode>) -> arch::Result<()> {
    let d = root.mkdir(b"dir", 0o755, fs::Owner::ROOT)?;
    for i in 0..40 {
        let f = d.create(format!("file{i}").as_bytes(), 0o644, fs::Owner::ROOT)?;
        f.write_at(0, &vec![i as u8; 3000 * (i % 5 + 1)])?;
    }
    for i in (0..40).step_by(4) {
        d.unlink(format!("file{i}").as_bytes())?;
    }
    root.rename(b"dir", root, b"renamed", fs::RenameFlags::empty())?;
    root.symlink(b"link", &[b'l'; 300], fs::Owner::ROOT)?;
    Ok(())
}

/// Asserts that the files the first workload left hold what it wrote, if the
/// directory is there.
fn check_workload_data(fs: &Arc<Ext4>) {
    let Ok(d) = fs.root().and_then(|r| r.lookup(b"renamed")) else {
        return;
    };
    for i in (1..40).filter(|i| i % 4 != 0) {
        let Ok(f) = d.lookup(format!("file{i}").as_bytes()) else {
            continue;
        };
        let mut buf = vec![0u8; 3000 * (i % 5 + 1)];
        assert_eq!(f.read_at(0, &mut buf), Ok(buf.len()));
        assert!(buf.iter().all(|&b| b == i as u8), "file{i} was overwritten");
    }
    if let Ok(f) = fs.root().and_then(|r| r.lookup(b"holes")) {
        let mut buf = [0u8; 1024];
        for k in 0..100u64 {
            assert_eq!(f.read_at(k * 2048, &mut buf), Ok(1024));
            assert!(
                buf.iter().all(|&b| b == k as u8 + 1),
                "holes block {k} was overwritten"
            );
        }
    }
}

/// A second workload, run after the first one was committed: removes what the
/// first made and writes new files, which must not land on the freed blocks
/// before the removal is committed.
fn reuse_workload(root: &Arc<dyn Inode>) -> arch::Result<()> {
    root.unlink(b"holes")?;
    let d = root.lookup(b"renamed")?;
    for i in (1..40).filter(|i| i % 4 != 0) {
        d.unlink(format!("file{i}").as_bytes())?;
    }
    root.rmdir(b"renamed")?;
    root.unlink(b"link")?;
    let n = root.mkdir(b"new", 0o755, fs::Owner::ROOT)?;
    for i in 0..30 {
        n.create(format!("n{i}").as_bytes(), 0o644, fs::Owner::ROOT)?
            .write_at(0, &vec![0xEE; 20_000])?;
    }
    Ok(())
}

/// Returns the blocks of two images that differ, leaving out the superblock's
/// block and the journal's blocks (both replays rewrite those their own way).
/// In the group descriptors, the flags, `bg_itable_unused` and the checksum are
/// left out: e2fsck recomputes them from the bitmaps when it writes them back
/// (a smaller `bg_itable_unused`, as ours after inodes were freed, is valid).
fn differing_blocks(a: &[u8], b: &[u8], bs: usize, journal: &[u64]) -> Vec<usize> {
    let sb_block = 1024 / bs;
    let gdt = sb_block + 1;
    let masked = |img: &[u8]| {
        let mut d = img[gdt * bs..(gdt + 1) * bs].to_vec();
        for desc in d.chunks_mut(64) {
            for r in [0x12..0x14, 0x1C..0x20, 0x32..0x34] {
                desc[r].fill(0);
            }
        }
        d
    };
    (0..a.len() / bs)
        .filter(|&i| i != sb_block && !journal.contains(&(i as u64)))
        .filter(|&i| {
            if i == gdt {
                masked(a) != masked(b)
            } else {
                a[i * bs..(i + 1) * bs] != b[i * bs..(i + 1) * bs]
            }
        })
        .collect()
}

/// Returns the device blocks of the journal (inode 8) of the image.
fn journal_blocks(img: &Path) -> Vec<u64> {
    let out = debugfs(img, "blocks <8>");
    String::from_utf8_lossy(&out)
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect()
}

/// Replays `crashed` two ways — our read-only mount (which recovers) and
/// e2fsck -E journal_only — and asserts both give the same blocks; then mounts
/// ours read-write and asserts it ends clean. Returns how many blocks outside
/// the superblock and the journal the replay changed.
fn replay_both_ways(crashed: &Path, tmp: &Path, bs: usize) -> usize {
    let theirs = tmp.join("theirs.img");
    std::fs::copy(crashed, &theirs).expect("copy");
    let before = std::fs::read(crashed).expect("read");
    e2fsck_replay(&theirs);
    let ours =
        Ext4::mount(common::rw::FileDisk::open(crashed), 0x801, true).expect("recovering mount");
    drop(ours);
    let a = std::fs::read(crashed).expect("read");
    let b = std::fs::read(&theirs).expect("read");
    let journal = journal_blocks(crashed);
    let diff = differing_blocks(&a, &b, bs, &journal);
    assert!(
        diff.is_empty(),
        "our replay differs from e2fsck's in blocks {diff:?}"
    );
    let changed = differing_blocks(&before, &a, bs, &journal).len();
    assert!(
        !dumpe2fs(crashed).contains("needs_recovery"),
        "recovery left needs_recovery"
    );
    let fs = mount_rw(crashed);
    fs.sync().expect("sync");
    drop(fs);
    fsck_clean(crashed);
    changed
}

#[test]
fn commits_leave_a_checksummed_empty_journal() {
    let tmp = TempDir::new("jcommit");
    let img = mkfs(&tmp.0, "32M", &[], None);
    let fs = mount_rw(&img);
    workload(&fs.root().expect("root")).expect("workload");
    fs.sync().expect("sync");
    let info = dumpe2fs(&img);
    assert!(
        info.contains("journal_checksum_v3") && info.contains("journal_64bit"),
        "{info}"
    );
    assert!(info.contains("Journal start:            0"), "{info}");
    assert!(!info.contains("needs_recovery"), "{info}");
    assert!(
        !info.contains("Journal sequence:         0x00000001"),
        "no transaction: {info}"
    );
    drop(fs);
    fsck_clean(&img);
}

#[test]
fn crash_after_any_write_replays_like_e2fsck() {
    for bs in ["1024", "4096"] {
        let tmp = TempDir::new("crash");
        let base = mkfs(&tmp.0, "16M", &["-b", bs], None);
        // Count the writes of the whole run.
        let probe = tmp.0.join("probe.img");
        std::fs::copy(&base, &probe).expect("copy");
        let disk = FailingDisk::open(&probe, i64::MAX);
        let fs = Ext4::mount(disk.clone(), 0x801, false).expect("mount");
        workload(&fs.root().expect("root")).expect("workload");
        fs.sync().expect("sync");
        drop(fs);
        let total = i64::MAX - disk.left();
        assert!(total > 20, "only {total} writes");
        let (mut replayed, mut changed) = (0, 0);
        for budget in (0..total)
            .step_by((total as usize / 40).max(1))
            .chain(total - 12..total)
        {
            let img = tmp.0.join("crashed.img");
            std::fs::copy(&base, &img).expect("copy");
            let disk = FailingDisk::open(&img, budget);
            if let Ok(fs) = Ext4::mount(disk, 0x801, false) {
                let _ = fs.root().and_then(|r| workload(&r));
                let _ = fs.sync();
            }
            if dumpe2fs(&img).contains("needs_recovery") {
                replayed += 1;
            }
            changed += replay_both_ways(&img, &tmp.0, bs.parse().expect("bs"));
        }
        assert!(
            replayed > 0 && changed > 0,
            "no crash left a journal to replay"
        );
    }
}

/// Returns the home blocks the log of the image holds copies of.
fn logged_blocks(img: &Path) -> Vec<usize> {
    let out = debugfs(img, "logdump -a");
    String::from_utf8_lossy(&out)
        .lines()
        .filter_map(|l| l.trim().strip_prefix("FS block "))
        .filter_map(|l| l.split_whitespace().next()?.parse().ok())
        .collect()
}

#[test]
fn linux_journal_replays_like_e2fsck() {
    let tmp = TempDir::new("linuxj");
    let img = mkfs(&tmp.0, "32M", &["-b", "4096"], None);
    let mnt = tmp.0.join("mnt");
    std::fs::create_dir_all(&mnt).expect("mkdir");
    let ok = Command::new("mount")
        .args(["-o", "loop"])
        .arg(&img)
        .arg(&mnt)
        .status()
        .expect("mount");
    assert!(ok.success(), "loop mount");
    let (before, copy) = (tmp.0.join("before.img"), tmp.0.join("copy.img"));
    let result = std::panic::catch_unwind(|| {
        let sync = || {
            assert!(Command::new("sync")
                .arg("-f")
                .arg(&mnt)
                .status()
                .expect("sync")
                .success())
        };
        sync();
        std::fs::copy(&img, &before).expect("copy the mounted image");
        std::fs::create_dir(mnt.join("d")).expect("mkdir");
        for i in 0..300 {
            std::fs::write(mnt.join(format!("d/f{i}")), vec![i as u8; i * 37]).expect("write");
        }
        for i in (0..300).step_by(3) {
            std::fs::remove_file(mnt.join(format!("d/f{i}"))).expect("unlink");
        }
        std::os::unix::fs::symlink("d/f1", mnt.join("link")).expect("symlink");
        std::fs::rename(mnt.join("d/f2"), mnt.join("moved")).expect("rename");
        sync();
        std::fs::copy(&img, &copy).expect("copy the mounted image");
    });
    let _ = Command::new("umount").arg(&mnt).status();
    result.expect("host workload");
    let info = dumpe2fs(&copy);
    assert!(info.contains("needs_recovery"), "{info}");
    assert!(
        !info.contains("Journal start:            0"),
        "Linux left no log: {info}"
    );
    // Linux may have written the logged blocks home already: put back what
    // they held before, so that only the log has the new metadata (a crash
    // before the checkpoint).
    let logged = logged_blocks(&copy);
    assert!(logged.len() > 5, "log holds {logged:?}");
    let old = std::fs::read(&before).expect("read");
    let mut crashed = std::fs::read(&copy).expect("read");
    for b in logged {
        crashed[b * 4096..(b + 1) * 4096].copy_from_slice(&old[b * 4096..(b + 1) * 4096]);
    }
    std::fs::write(&copy, &crashed).expect("write");
    assert!(
        replay_both_ways(&copy, &tmp.0, 4096) > 5,
        "the replay changed nothing"
    );
    // The replayed copy holds what Linux wrote.
    let fs = mount_rw(&copy);
    let view = LoopMount::new(&img, &tmp.0);
    let n = compare_with_host(&fs.root().expect("root"), &view.dir);
    assert!(n > 200, "compared {n} inodes");
}

#[test]
fn crash_never_finds_committed_blocks_reused() {
    let tmp = TempDir::new("reuse");
    let base = mkfs(&tmp.0, "8M", &["-b", "1024"], None);
    {
        let fs = mount_rw(&base);
        let root = fs.root().expect("root");
        workload(&root).expect("workload");
        // 100 one-block extents: a tree whose blocks get freed with the file.
        let holes = root
            .create(b"holes", 0o644, fs::Owner::ROOT)
            .expect("create");
        for k in 0..100u64 {
            holes
                .write_at(k * 2048, &[k as u8 + 1; 1024])
                .expect("write");
        }
        fs.sync().expect("sync");
    }
    let probe = tmp.0.join("probe.img");
    std::fs::copy(&base, &probe).expect("copy");
    let disk = FailingDisk::open(&probe, i64::MAX);
    let fs = Ext4::mount(disk.clone(), 0x801, false).expect("mount");
    reuse_workload(&fs.root().expect("root")).expect("workload");
    fs.sync().expect("sync");
    drop(fs);
    let total = i64::MAX - disk.left();
    for budget in (0..total).step_by((total as usize / 30).max(1)) {
        let img = tmp.0.join("crashed.img");
        std::fs::copy(&base, &img).expect("copy");
        if let Ok(fs) = Ext4::mount(FailingDisk::open(&img, budget), 0x801, false) {
            let _ = fs.root().and_then(|r| reuse_workload(&r));
            let _ = fs.sync();
        }
        replay_both_ways(&img, &tmp.0, 1024);
        check_workload_data(&mount_rw(&img));
    }
}

#[test]
fn corrupt_logs_never_panic() {
    let tmp = TempDir::new("jfuzz");
    let base = mkfs(&tmp.0, "8M", &["-b", "1024"], None);
    // Find a crash that leaves a committed transaction in the log.
    let probe = tmp.0.join("probe.img");
    std::fs::copy(&base, &probe).expect("copy");
    let disk = FailingDisk::open(&probe, i64::MAX);
    let fs = Ext4::mount(disk.clone(), 0x801, false).expect("mount");
    workload(&fs.root().expect("root")).expect("workload");
    fs.sync().expect("sync");
    drop(fs);
    let total = i64::MAX - disk.left();
    let crashed = (1..total)
        .rev()
        .find_map(|budget| {
            let img = tmp.0.join(format!("crash-{budget}.img"));
            std::fs::copy(&base, &img).expect("copy");
            if let Ok(fs) = Ext4::mount(FailingDisk::open(&img, budget), 0x801, false) {
                let _ = fs.root().and_then(|r| workload(&r));
                let _ = fs.sync();
            }
            let info = dumpe2fs(&img);
            let pending =
                info.contains("needs_recovery") && !info.contains("Journal start:            0");
            pending.then_some(img)
        })
        .expect("no crash left a committed transaction");
    let image = std::fs::read(&crashed).expect("read");
    let journal = journal_blocks(&crashed);
    let mut seed = 0x853c_49e6_748f_ea9bu64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let img = tmp.0.join("fuzzed.img");
    for _ in 0..100 {
        let mut bad = image.clone();
        for _ in 0..1 + next() % 4 {
            // Mostly the first log blocks, where the transaction is.
            let j = journal[(next() as usize) % journal.len().min(40)] as usize;
            let at = j * 1024 + (next() as usize) % 1024;
            bad[at] ^= 1 << (next() % 8);
        }
        std::fs::write(&img, &bad).expect("write");
        if let Ok(fs) = Ext4::mount(common::rw::FileDisk::open(&img), 0x801, false) {
            let _ = fs
                .root()
                .and_then(|r| r.create(b"after", 0o644, fs::Owner::ROOT));
            let _ = fs.sync();
        }
    }
}
