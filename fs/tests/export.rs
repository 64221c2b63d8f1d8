//! File handles (fs::export): ext4's against the inode on disk as debugfs
//! reads it (number and `i_generation`), decoding and its `ESTALE`s; tmpfs's
//! three words and its weak table; directories found by handle reconnected
//! to the very dentry a path walk gives.

mod common;

use arch::Errno;
use common::rw::{debugfs, fsck_clean, mkfs, mount_rw};
use common::TempDir;
use fs::export::{encode_inode_fh, handle_to_path, Fid};
use fs::{Credentials, FileSystem, LookupFlags, Owner, Vfs};
use std::sync::Arc;

/// Returns the number after `key` in debugfs's `stat` output.
fn field(text: &str, key: &str) -> u64 {
    let at = text.find(key).unwrap_or_else(|| panic!("{key} in {text}")) + key.len();
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().expect("a number")
}

#[test]
fn ext4_handles_are_inode_and_generation() {
    let tmp = TempDir::new("export");
    let img = mkfs(&tmp.0, "16M", &[], None);
    let fid = {
        let fs = mount_rw(&img);
        let root = fs.root().expect("root");
        let f = root.create(b"file", 0o644, Owner::ROOT).expect("create");
        let fid = encode_inode_fh(fs.as_ref(), f.as_ref(), false).expect("encode");
        assert_eq!(fid.fh_type, 1);
        assert_eq!(fid.words.len(), 2);
        let back = fs.fh_to_inode(&fid).expect("decode");
        assert!(back.is_same(f.as_ref()));
        let mut forged = fid.clone();
        forged.words[1] = forged.words[1].wrapping_add(1).max(1);
        assert_eq!(fs.fh_to_inode(&forged).err(), Some(Errno::ESTALE));
        // Generation 0 accepts any, as ext4_nfs_get_inode.
        forged.words[1] = 0;
        assert!(fs.fh_to_inode(&forged).is_ok());
        for ino in [0, 5, u32::MAX] {
            let bad = Fid {
                fh_type: 1,
                words: vec![ino, 1],
            };
            assert_eq!(fs.fh_to_inode(&bad).err(), Some(Errno::ESTALE), "{ino}");
        }
        let short = Fid {
            fh_type: 1,
            words: vec![fid.words[0]],
        };
        assert_eq!(fs.fh_to_inode(&short).err(), Some(Errno::ESTALE));
        fs.sync().expect("sync");
        fid
    };
    let text = String::from_utf8_lossy(&debugfs(&img, "stat /file")).into_owned();
    assert_eq!(u64::from(fid.words[0]), field(&text, "Inode:"));
    assert_eq!(u64::from(fid.words[1]), field(&text, "Generation:"));
    {
        let fs = mount_rw(&img);
        let f = fs.fh_to_inode(&fid).expect("decode after a remount");
        drop(f);
        fs.root().expect("root").unlink(b"file").expect("unlink");
        assert_eq!(fs.fh_to_inode(&fid).err(), Some(Errno::ESTALE));
        fs.sync().expect("sync");
    }
    fsck_clean(&img);
}

#[test]
fn tmpfs_handles_find_live_inodes() {
    let (fs, root, _) = common::tmpfs::mount(16 << 20, 100);
    let f = root.create(b"f", 0o644, Owner::ROOT).expect("create");
    let fid = encode_inode_fh(fs.as_ref(), f.as_ref(), false).expect("encode");
    assert_eq!(fid.fh_type, 1);
    let ino = f.ino();
    assert_eq!(&fid.words[1..], &[ino as u32, (ino >> 32) as u32]);
    assert!(fs.fh_to_inode(&fid).expect("decode").is_same(f.as_ref()));
    let mut forged = fid.clone();
    forged.words[0] ^= 1;
    assert_eq!(fs.fh_to_inode(&forged).err(), Some(Errno::ESTALE));
    // A handle does not keep its inode alive.
    root.unlink(b"f").expect("unlink");
    drop(f);
    assert_eq!(fs.fh_to_inode(&fid).err(), Some(Errno::ESTALE));
}

#[test]
fn directories_reconnect_to_their_dentry() {
    let tmp = TempDir::new("export-dirs");
    let img = mkfs(&tmp.0, "16M", &[], None);
    let ext4: Arc<dyn FileSystem> = mount_rw(&img);
    let (tmpfs, _, _) = common::tmpfs::mount(16 << 20, 100);
    for fs in [ext4, tmpfs as Arc<dyn FileSystem>] {
        let vfs = Vfs::new(fs.clone(), false).expect("vfs");
        let r = &vfs.root();
        let cred = &Credentials::ROOT;
        vfs.mkdir(cred, r, r, b"a", 0o755).expect("mkdir");
        vfs.mkdir(cred, r, r, b"a/b", 0o755).expect("mkdir");
        let p = vfs
            .lookup(cred, r, r, b"a/b", LookupFlags::empty())
            .expect("a/b");
        let fid = fs.encode_fh(p.inode().as_ref()).expect("encode");
        let q = handle_to_path(&r.mnt, &fid).expect("decode");
        assert!(Arc::ptr_eq(&p.dentry, &q.dentry), "{}", fs.name());
        assert_eq!(q.to_bytes(r), b"/a/b");
    }
}
