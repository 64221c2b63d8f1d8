//! /proc/PID/fd and /proc/PID/fdinfo: a magic link and an info file per open
//! descriptor. Following fd/N enters the open file's own path (a deleted file,
//! a file outside the reader's root), as Linux does, and reopens a pipe; files
//! with no path read as "pipe:[N]", "anon_inode:[eventfd]" and the like.

use super::node::{Entry, Node};
use super::pid::Target;
use arch::{Errno, Result};
use fs::{File, FileType, OpenFlags};
use std::sync::Arc;

/// The first inode-number offsets of fd and fdinfo entries.
const FD_INO: u64 = 0x1000_0000;
const FDINFO_INO: u64 = 0x2000_0000;

/// Returns the open file `fd` of `t`'s process.
fn file(t: &Target, fd: i32) -> Result<Arc<File>> {
    let p = t.inspect()?;
    let files = p.files.borrow().clone();
    let f = files.borrow().get(fd).map_err(|_| Errno::ENOENT);
    f
}

/// Returns the open descriptors of `t`'s process.
fn fds(t: &Target) -> Result<Vec<i32>> {
    let p = t.inspect()?;
    let files = p.files.borrow().clone();
    let fds = files.borrow().fds();
    Ok(fds)
}

/// Returns the text of the link to `f`.
fn describe(f: &File) -> Result<Vec<u8>> {
    if let Some(p) = f.path() {
        return super::base::link_text(p);
    }
    let st = f.stat().ok();
    let ino = st.map_or(0, |s| s.ino);
    let kind = st.and_then(|s| FileType::from_mode(s.mode));
    Ok(match kind {
        Some(FileType::Fifo) => format!("pipe:[{ino}]"),
        Some(FileType::Socket) => format!("socket:[{ino}]"),
        _ => format!("anon_inode:{}", f.ops().anon_name().unwrap_or("[unknown]")),
    }
    .into_bytes())
}

/// Returns the validity check of the entry of `fd`: the process lives and the
/// descriptor is open.
fn open_fd(t: &Target, fd: i32) -> Arc<dyn Fn() -> bool + Send + Sync> {
    let t = t.clone();
    Arc::new(move || file(&t, fd).is_ok())
}

/// Returns /proc/PID/fd.
pub fn fd_dir(dev: u64, ino: u64, t: &Target) -> Node {
    let t = t.clone();
    Node::dir(dev, ino, 0o500, move || {
        let mut out = Vec::new();
        for fd in fds(&t)? {
            let (a, b) = (t.clone(), t.clone());
            let mode = match file(&t, fd).map(|f| f.flags().access_mode()) {
                Ok(0) => 0o500,
                Ok(1) => 0o300,
                _ => 0o700,
            };
            let n = Node::link(dev, t.ino(FD_INO + fd as u64), move || {
                describe(&*file(&a, fd)?)
            })
            .magic(move || {
                let f = file(&b, fd)?;
                match f.path() {
                    Some(p) => Ok(p.clone()),
                    None => fs::reopen_path(f),
                }
            })
            .with_mode(mode)
            .with_size(64)
            .owned_by(t.owner())
            .valid_while(open_fd(&t, fd));
            out.push(n.entry(fd as u64 + 2, &fd.to_string()));
        }
        Ok(out)
    })
}

/// Returns the text of /proc/PID/fdinfo/N.
fn fdinfo(t: &Target, fd: i32) -> Result<Vec<u8>> {
    let f = file(t, fd)?;
    let p = t.process()?;
    let files = p.files.borrow().clone();
    let cloexec = files.borrow().cloexec(fd).unwrap_or(false);
    let mut flags = f.flags().bits();
    if cloexec {
        flags |= OpenFlags::O_CLOEXEC.bits();
    }
    let mnt_id = f.path().map_or(0, |p| p.mnt.id());
    let ino = f.stat().map_or(0, |s| s.ino);
    let mut text = format!(
        "pos:\t{}\nflags:\t0{:o}\nmnt_id:\t{}\nino:\t{}\n",
        f.pos(),
        flags,
        mnt_id,
        ino
    );
    text += &f.ops().show_fdinfo();
    Ok(text.into_bytes())
}

/// Returns /proc/PID/fdinfo.
pub fn fdinfo_dir(dev: u64, ino: u64, t: &Target) -> Node {
    let t = t.clone();
    Node::dir(dev, ino, 0o555, move || {
        let mut out: Vec<Entry> = Vec::new();
        for fd in fds(&t)? {
            let a = t.clone();
            let n = Node::file(dev, t.ino(FDINFO_INO + fd as u64), 0o444, move || {
                fdinfo(&a, fd)
            })
            .owned_by(t.owner())
            .valid_while(open_fd(&t, fd));
            out.push(n.entry(fd as u64 + 2, &fd.to_string()));
        }
        Ok(out)
    })
}
