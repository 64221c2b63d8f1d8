//! /proc/PID/mounts and mountinfo (proc(5)): the mounts visible from the
//! process's root, in mount order, with mount points named from that root and
//! space, tab, newline and backslash escaped in octal as Linux's seq_path.

use super::pid::Target;
use arch::Result;
use fs::{Mount, Path};
use std::sync::Arc;

/// Returns `s` with the characters that would break a line escaped ("\040").
fn mangle(s: &[u8]) -> String {
    let mut out = String::new();
    for &b in s {
        match b {
            b' ' | b'\t' | b'\n' | b'\\' => out += &format!("\\{b:03o}"),
            _ => out.push(b as char),
        }
    }
    out
}

/// Returns each mount visible from the root of `t`'s process with its mount
/// point named from there.
fn visible(t: &Target) -> Result<Vec<(Arc<Mount>, String)>> {
    let p = t.process()?;
    let root = p.fs.borrow().root.clone();
    let mut out = Vec::new();
    for m in crate::boot::kernel().vfs.mounts() {
        let top = Path {
            mnt: m.clone(),
            dentry: m.root().clone(),
        };
        let (path, inside) = top.to_bytes_within(&root);
        if inside {
            out.push((m, mangle(&path)));
        }
    }
    Ok(out)
}

/// Returns the options of the filesystem itself: "ro"/"rw" and its own.
fn super_options(m: &Mount) -> String {
    let rw = if m.read_only() { "ro" } else { "rw" };
    format!("{rw}{}", m.fs().show_options())
}

/// /proc/PID/mounts (and /proc/mounts): fstab(5) lines.
pub fn mounts(t: &Target) -> Result<Vec<u8>> {
    let mut s = String::new();
    for (m, at) in visible(t)? {
        s += &format!(
            "{} {} {} {}{} 0 0\n",
            mangle(m.source().as_bytes()),
            at,
            m.fstype(),
            m.flags().show(),
            m.fs().show_options()
        );
    }
    Ok(s.into_bytes())
}

/// /proc/PID/mountinfo: ids, device, root within the filesystem, mount point,
/// per-mount options, "-", type, source and filesystem options.
pub fn mountinfo(t: &Target) -> Result<Vec<u8>> {
    let mut s = String::new();
    for (m, at) in visible(t)? {
        let parent = m.mountpoint().map_or(1, |(p, _)| p.id());
        let dev = m.fs().dev();
        let prop = m.propagation();
        let mut optional = String::new();
        if prop.shared != 0 {
            optional += &format!(" shared:{}", prop.shared);
        }
        if prop.master != 0 {
            optional += &format!(" master:{}", prop.master);
        }
        if prop.unbindable {
            optional += " unbindable";
        }
        s += &format!(
            "{} {} {}:{} {} {} {}{} - {} {} {}\n",
            m.id(),
            parent,
            fs::major(dev),
            fs::minor(dev),
            mangle(&m.root_in_fs()),
            at,
            m.flags().show(),
            optional,
            m.fstype(),
            mangle(m.source().as_bytes()),
            super_options(&m)
        );
    }
    Ok(s.into_bytes())
}
