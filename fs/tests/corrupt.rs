//! Corrupt images: refused mounts, checksum failures reported as EUCLEAN, and
//! byte-flipping fuzz loops that must never panic, reading or writing.

mod common;

use arch::Errno;
use common::{mount, TempDir};
use fs::ext4::Ext4;
use fs::{FileSystem, FileType, Inode, RamDisk, RenameFlags, SetAttr};
use std::sync::Arc;

fn small_image(block_size: u32) -> Vec<u8> {
    let dir = TempDir::new("small");
    let d = &dir.0;
    std::fs::create_dir_all(d.join("x/y")).expect("mkdir");
    std::fs::write(d.join("file"), b"content\n").expect("write");
    std::fs::write(d.join("x/y/z"), vec![7u8; 300_000]).expect("write");
    std::os::unix::fs::symlink("x/y/z", d.join("l")).expect("symlink");
    for i in 0..200 {
        std::fs::write(d.join(format!("x/f{i}")), b"").expect("write");
    }
    common::make_image(d, block_size, "4M")
}

/// Reads everything reachable from `dir`, returning the first error.
fn walk(dir: &Arc<dyn Inode>, depth: u32) -> arch::Result<()> {
    let mut names = Vec::new();
    dir.readdir(0, &mut |e| {
        names.push(e.name.to_vec());
        true
    })?;
    for name in names {
        if name == b"." || name == b".." || depth > 8 {
            continue;
        }
        let child = dir.lookup(&name)?;
        child.stat()?;
        match child.file_type() {
            FileType::Directory => walk(&child, depth + 1)?,
            FileType::Regular => {
                let mut buf = vec![0u8; 65536];
                let mut off = 0;
                while child.read_at(off, &mut buf)? > 0 {
                    off += buf.len() as u64;
                }
            }
            FileType::Symlink => {
                child.readlink()?;
            }
            _ => {}
        }
    }
    Ok(())
}

#[test]
fn clean_image_walks() {
    for bs in [1024, 4096] {
        let fs = mount(small_image(bs)).expect("mount");
        walk(&fs.root().expect("root"), 0).expect("walk");
    }
}

#[test]
fn refused_mounts() {
    let img = small_image(4096);
    let mut bad = img.clone();
    bad[1024 + 0x38] ^= 0xFF;
    assert_eq!(mount(bad).err(), Some(Errno::EINVAL));
    let mut recover = img.clone();
    recover[1024 + 0x60] |= 0x4; // INCOMPAT_RECOVER: replaying needs a writable device
    let c = fs::crc32c::crc32c_update(!0, &recover[1024..1024 + 0x3FC]);
    recover[1024 + 0x3FC..1024 + 0x400].copy_from_slice(&c.to_le_bytes());
    assert_eq!(mount(recover).err(), Some(Errno::EROFS));
    let mut unknown = img.clone();
    unknown[1024 + 0x62] |= 0x80; // an incompat bit nobody defines
    assert_eq!(mount(unknown).err(), Some(Errno::EINVAL));
    let mut csum = img.clone();
    csum[1024 + 0x10] ^= 1; // free inode count, under the checksum
    assert_eq!(mount(csum).err(), Some(Errno::EUCLEAN));
    assert!(mount(img[..img.len() / 2].to_vec()).is_err());
    assert!(mount(img[..1500].to_vec()).is_err());
    assert!(mount(Vec::new()).is_err());
}

#[test]
fn flipped_inode_byte_is_euclean() {
    for bs in [1024, 4096] {
        let img = small_image(bs);
        let fs = mount(img.clone()).expect("mount");
        let ino = fs
            .root()
            .expect("root")
            .lookup(b"file")
            .expect("file")
            .stat()
            .expect("stat")
            .ino;
        let off = fs.inode_offset(ino).expect("offset") as usize;
        for byte in [0x4, 0x28, 0x70, 0x90] {
            let mut bad = img.clone();
            bad[off + byte] ^= 0x10;
            let fs = mount(bad).expect("mount still works");
            let root = fs.root().expect("root");
            assert_eq!(
                root.lookup(b"file").err(),
                Some(Errno::EUCLEAN),
                "byte {byte:#x}"
            );
            assert!(root.lookup(b"x").is_ok());
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    for bs in [1024, 4096] {
        let img = small_image(bs);
        // Metadata and the small files live in the first few hundred kilobytes.
        let span = (img.len() / 4).min(600 * 1024);
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut errors = 0;
        for _ in 0..150 {
            let mut bad = img.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % span;
                bad[at] ^= 1 << (next() % 8);
            }
            match mount(bad) {
                Ok(fs) => {
                    if fs.root().and_then(|r| walk(&r, 0)).is_err() {
                        errors += 1;
                    }
                }
                Err(_) => errors += 1,
            }
        }
        assert!(errors > 0, "no flip was ever detected");
    }
}

/// Changes everything reachable a little: new files and directories, writes,
/// truncation, renames and removals; returns the first error.
fn scribble(dir: &Arc<dyn Inode>, depth: u32) -> arch::Result<()> {
    let mut names = Vec::new();
    dir.readdir(0, &mut |e| {
        names.push(e.name.to_vec());
        true
    })?;
    let f = dir.create(b"new_file", 0o644, fs::Owner::ROOT)?;
    f.write_at(5000, &[1; 70_000])?;
    dir.mkdir(b"new_dir", 0o755, fs::Owner::ROOT)?
        .symlink(b"l", &[b'q'; 100], fs::Owner::ROOT)?;
    for name in names {
        if name == b"." || name == b".." || depth > 4 {
            continue;
        }
        let child = dir.lookup(&name)?;
        match child.file_type() {
            FileType::Directory => scribble(&child, depth + 1)?,
            FileType::Regular => {
                child.write_at(100, b"scribbled")?;
                child.setattr(&SetAttr {
                    size: Some(1000),
                    ..SetAttr::default()
                })?;
                dir.rename(&name, dir, b"renamed", RenameFlags::empty())?;
                dir.unlink(b"renamed")?;
            }
            _ => dir.unlink(&name)?,
        }
    }
    Ok(())
}

#[test]
fn clean_image_scribbles_clean() {
    for bs in [1024, 4096] {
        let tmp = TempDir::new("scribble");
        let path = tmp.0.join("img");
        std::fs::write(&path, small_image(bs)).expect("write image");
        let fs = common::rw::mount_rw(&path);
        scribble(&fs.root().expect("root"), 0).expect("scribble");
        fs.sync().expect("sync");
        drop(fs);
        common::rw::fsck_clean(&path);
    }
}

#[test]
fn flipped_bytes_never_panic_read_write() {
    for bs in [1024, 4096] {
        let img = small_image(bs);
        let span = (img.len() / 4).min(600 * 1024);
        let mut seed = 0x2545_F491_4F6C_DD1Du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut errors = 0;
        for _ in 0..150 {
            let mut bad = img.clone();
            for _ in 0..1 + next() % 8 {
                let at = (next() as usize) % span;
                bad[at] ^= 1 << (next() % 8);
            }
            let dev = Arc::new(RamDisk::new(bad, false));
            match Ext4::mount(dev, 0x801, false) {
                Ok(fs) => {
                    let r = fs.root().and_then(|r| scribble(&r, 0));
                    if r.is_err() || fs.sync().is_err() {
                        errors += 1;
                    }
                }
                Err(_) => errors += 1,
            }
        }
        assert!(errors > 0, "no flip was ever detected");
    }
}
