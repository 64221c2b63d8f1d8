//! Compares an ext4 image made by mkfs.ext4 -d with the host's view of the staging
//! directory: every file's content, stat, directory listing and symlink target.

mod common;

use common::{Fixture, BIG_LEN, MANY};
use fs::{FileSystem, FileType, Inode};
use std::collections::BTreeSet;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::sync::Arc;

fn listing(dir: &Arc<dyn Inode>) -> Vec<(Vec<u8>, u64, FileType)> {
    let mut out = Vec::new();
    let end = dir
        .readdir(0, &mut |e| {
            out.push((e.name.to_vec(), e.ino, e.file_type));
            true
        })
        .expect("readdir");
    // Resuming at the end yields nothing.
    let mut more = 0;
    dir.readdir(end, &mut |_| {
        more += 1;
        true
    })
    .expect("readdir at end");
    assert_eq!(more, 0);
    out
}

fn compare(host: &Path, inode: &Arc<dyn Inode>, is_root: bool) -> usize {
    let meta = std::fs::symlink_metadata(host).expect("host stat");
    let st = inode.stat().expect("stat");
    assert_eq!(st.mode, meta.mode(), "{host:?} mode");
    assert_eq!(st.uid, meta.uid(), "{host:?} uid");
    assert_eq!(st.gid, meta.gid(), "{host:?} gid");
    // mkfs adds lost+found to the root after copying it, which sets the
    // root's mtime to mkfs's clock: it equals the staging directory's only
    // when both fall in the same second.
    if !is_root {
        assert_eq!(st.mtime.sec, meta.mtime(), "{host:?} mtime");
    }
    let mut checked = 1;
    match inode.file_type() {
        FileType::Regular => {
            assert_eq!(st.nlink as u64, meta.nlink(), "{host:?} nlink");
            assert_eq!(st.size, meta.len(), "{host:?} size");
            let want = std::fs::read(host).expect("host read");
            let mut got = vec![0xAA; want.len() + 100];
            let mut done = 0;
            // Odd-sized reads cross block and extent boundaries.
            while done < got.len() {
                let end = (done + 70001).min(got.len());
                let n = inode
                    .read_at(done as u64, &mut got[done..end])
                    .expect("read");
                if n == 0 {
                    break;
                }
                done += n;
            }
            assert_eq!(done, want.len(), "{host:?} length read");
            assert!(got[..done] == want[..], "{host:?} content");
            assert_eq!(inode.readlink(), Err(arch::Errno::EINVAL));
        }
        FileType::Symlink => {
            assert_eq!(st.size, meta.len(), "{host:?} size");
            let want = std::fs::read_link(host).expect("host readlink");
            assert_eq!(
                inode.readlink().expect("readlink"),
                want.as_os_str().as_bytes()
            );
        }
        FileType::Directory => {
            assert_eq!(
                st.nlink as u64,
                meta.nlink() + is_root as u64,
                "{host:?} nlink"
            );
            let mut buf = [0u8; 4];
            assert_eq!(inode.read_at(0, &mut buf), Err(arch::Errno::EISDIR));
            let list = listing(inode);
            let names: BTreeSet<Vec<u8>> = list.iter().map(|e| e.0.clone()).collect();
            assert_eq!(names.len(), list.len(), "{host:?} duplicate entries");
            let mut want: BTreeSet<Vec<u8>> = std::fs::read_dir(host)
                .expect("host readdir")
                .map(|e| e.expect("entry").file_name().as_bytes().to_vec())
                .collect();
            want.insert(b".".to_vec());
            want.insert(b"..".to_vec());
            if is_root {
                want.insert(b"lost+found".to_vec());
            }
            assert_eq!(names, want, "{host:?} listing");
            for (name, ino, ft) in list {
                if name == b"." || name == b".." || name == b"lost+found" {
                    continue;
                }
                let child = inode.lookup(&name).expect("lookup listed name");
                assert_eq!(child.stat().expect("stat").ino, ino);
                assert_eq!(child.file_type(), ft);
                let host_child = host.join(std::ffi::OsStr::from_bytes(&name));
                checked += compare(&host_child, &child, false);
            }
        }
        t => panic!("unexpected type {t:?}"),
    }
    checked
}

fn check_image(block_size: u32) {
    let fx = Fixture::new(block_size);
    assert_eq!(fx.fs.block_size(), block_size);
    let root = fx.fs.root().expect("root");
    let n = compare(&fx.staging.0, &root, true);
    assert!(n > MANY + 15, "compared only {n} inodes");
    assert_eq!(root.lookup(b"nope").err(), Some(arch::Errno::ENOENT));
    let small = root.lookup(b"small.txt").expect("lookup");
    assert_eq!(small.lookup(b"x").err(), Some(arch::Errno::ENOTDIR));
    // Reads past the end and inside the sparse file's holes.
    let big = root.lookup(b"big.bin").expect("lookup");
    let mut buf = [1u8; 10];
    assert_eq!(big.read_at(BIG_LEN as u64, &mut buf), Ok(0));
    assert_eq!(big.read_at(BIG_LEN as u64 - 3, &mut buf), Ok(3));
    let sparse = root.lookup(b"sparse.bin").expect("lookup");
    assert_eq!(sparse.read_at(10, &mut buf), Ok(10));
    assert_eq!(buf, [0; 10]);
    assert_eq!(sparse.read_at(65536 + 1000, &mut buf), Ok(10));
    assert_eq!(buf, [2; 10]);
    let sfs = fx.fs.statfs();
    assert_eq!(sfs.f_type, 0xEF53);
    assert_eq!(sfs.bsize, block_size as u64);
    assert!(sfs.bfree > 0 && sfs.bfree < sfs.blocks && sfs.ffree < sfs.files);
}

#[test]
fn image_1k_blocks_matches_host() {
    check_image(1024);
}

#[test]
fn image_4k_blocks_matches_host() {
    check_image(4096);
}

#[test]
fn readdir_resumes_at_any_returned_position() {
    let fx = Fixture::new(4096);
    let root = fx.fs.root().expect("root");
    let many = root.lookup(b"many").expect("many");
    let full = listing(&many);
    assert_eq!(full.len(), MANY + 2);
    // Take entries one by one, resuming at each returned position.
    let mut pos = 0;
    let mut one_by_one = Vec::new();
    loop {
        let mut got = None;
        let mut first = true;
        pos = many
            .readdir(pos, &mut |e| {
                if !first {
                    return false;
                }
                first = false;
                got = Some(e.name.to_vec());
                true
            })
            .expect("readdir");
        match got {
            Some(n) => one_by_one.push(n),
            None => break,
        }
    }
    let full_names: Vec<Vec<u8>> = full.into_iter().map(|e| e.0).collect();
    assert_eq!(one_by_one, full_names);
}
