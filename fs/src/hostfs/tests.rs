//! hostfs on a scratch host directory: the tree's files through the VFS's
//! inode interface, and nothing outside it.

use super::Hostfs;
use crate::inode::FileSystem;
use crate::types::{FileType, Owner, RenameFlags, SetAttr};
use arch::Errno;
use std::path::PathBuf;

/// Makes DIR/secret and DIR/root with root/f ("hello"), root/up -> ..,
/// root/abs -> DIR/secret.
fn tree(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("fs-hostfs-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("root/sub")).unwrap();
    std::fs::write(d.join("secret"), b"secret").unwrap();
    std::fs::write(d.join("root/f"), b"hello").unwrap();
    std::os::unix::fs::symlink("..", d.join("root/up")).unwrap();
    std::os::unix::fs::symlink(d.join("secret"), d.join("root/abs")).unwrap();
    d
}

#[test]
fn hostfs_files_and_confinement() {
    let d = tree("basic");
    let fs = Hostfs::mount(&d, b"/root", 77).unwrap();
    let root = fs.root().unwrap();
    let f = root.lookup(b"f").unwrap();
    let mut buf = [0u8; 16];
    assert_eq!(f.read_at(0, &mut buf).unwrap(), 5);
    assert_eq!(&buf[..5], b"hello");
    assert!(std::ptr::addr_eq(
        std::sync::Arc::as_ptr(&f),
        std::sync::Arc::as_ptr(&root.lookup(b"f").unwrap())
    ));
    let st = f.stat().unwrap();
    assert_eq!(st.dev, 77);
    assert_eq!(st.nlink, 1);
    assert_eq!(root.lookup(b"..").err(), Some(Errno::EINVAL));
    assert_eq!(root.lookup(b"up/secret").err(), Some(Errno::EINVAL));
    assert_eq!(root.lookup(b"a\0b").err(), Some(Errno::EINVAL));
    let up = root.lookup(b"up").unwrap();
    assert_eq!(up.file_type(), FileType::Symlink);
    assert_eq!(up.read_at(0, &mut buf).err(), Some(Errno::EINVAL));
    assert_eq!(up.lookup(b"secret").err(), Some(Errno::ENOTDIR));
    assert_eq!(
        Hostfs::mount(&d, b"root/../secret", 1).err(),
        Some(Errno::ENOTDIR)
    );
    let inside = d.join("root");
    assert_eq!(Hostfs::mount(&inside, b"/../", 1).err(), Some(Errno::EXDEV));
    assert_eq!(Hostfs::mount(&inside, b"up", 1).err(), Some(Errno::EXDEV));
    assert_eq!(Hostfs::mount(&inside, b"abs", 1).err(), Some(Errno::EXDEV));

    let n = root.create(b"new", 0o640, Owner::ROOT).unwrap();
    assert_eq!(n.write_at(0, b"data").unwrap(), 4);
    assert_eq!(n.stat().unwrap().mode & 0o7777, 0o640);
    root.link(b"new2", &n).unwrap();
    assert_eq!(n.stat().unwrap().nlink, 2);
    let sub = root.lookup(b"sub").unwrap();
    root.rename(b"new2", &sub, b"moved", RenameFlags::empty())
        .unwrap();
    assert_eq!(std::fs::read(d.join("root/sub/moved")).unwrap(), b"data");
    n.setattr(&SetAttr {
        size: Some(2),
        ..SetAttr::default()
    })
    .unwrap();
    assert_eq!(std::fs::read(d.join("root/new")).unwrap(), b"da");
    sub.unlink(b"moved").unwrap();
    let dir = root.mkdir(b"dir", 0o700, Owner::ROOT).unwrap();
    assert_eq!(dir.stat().unwrap().mode & 0o7777, 0o700);
    dir.create(b"x", 0o600, Owner::ROOT).unwrap();
    assert_eq!(root.rmdir(b"dir").err(), Some(Errno::ENOTEMPTY));
    assert_eq!(root.unlink(b"dir").err(), Some(Errno::EISDIR));
    dir.unlink(b"x").unwrap();
    root.rmdir(b"dir").unwrap();
    let mut names = Vec::new();
    root.readdir(0, &mut |e| {
        names.push(e.name.to_vec());
        true
    })
    .unwrap();
    names.sort();
    assert_eq!(names.len(), 7, "{names:?}");
    assert_eq!(std::fs::read(d.join("secret")).unwrap(), b"secret");
    let _ = std::fs::remove_dir_all(&d);
}
