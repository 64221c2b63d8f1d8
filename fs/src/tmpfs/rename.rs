//! rename(2) and renameat2(2) inside one tmpfs: replacing a target (a directory
//! only by an empty directory), `RENAME_NOREPLACE`, `RENAME_EXCHANGE`,
//! `RENAME_WHITEOUT`, the refusal to move a directory into its own subtree, and
//! the link counts and times Linux keeps for the directories involved.

use super::dir::check_new_name;
use super::inode::{Body, Inode};
use super::is_dir;
use crate::inode::Inode as VfsInode;
use crate::types::{FileType, RenameFlags, Timespec};
use arch::{Errno, Result};
use std::sync::Arc;

impl Inode {
    /// Returns whether this directory is `ancestor` or lies below it.
    fn descends_from(&self, ancestor: &Arc<Inode>) -> Result<bool> {
        let mut cur = self.arc();
        loop {
            if Arc::ptr_eq(&cur, ancestor) {
                return Ok(true);
            }
            match cur.with_dir(|_, d| Ok(d.parent()))? {
                Some(p) if !Arc::ptr_eq(&p, &cur) => cur = p,
                _ => return Ok(false),
            }
        }
    }

    /// Moves `old_name` to `new_name` in `new_dir` (see `Inode::rename`).
    pub(super) fn do_rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<Inode>,
        new_name: &[u8],
        flags: RenameFlags,
    ) -> Result<()> {
        let exchange = flags.contains(RenameFlags::EXCHANGE);
        if exchange && flags.intersects(RenameFlags::NOREPLACE | RenameFlags::WHITEOUT) {
            return Err(Errno::EINVAL);
        }
        check_new_name(new_name)?;
        let _ns = self.sb.lock_namespace()?;
        let now = self.sb.now();
        let src = self.child(old_name)?;
        let dst = new_dir.child_opt(new_name)?;
        match &dst {
            None if exchange => return Err(Errno::ENOENT),
            Some(_) if flags.contains(RenameFlags::NOREPLACE) => return Err(Errno::EEXIST),
            Some(d) if Arc::ptr_eq(d, &src) => return Ok(()),
            _ => {}
        }
        if is_dir(src.file_type()) && new_dir.descends_from(&src)? {
            return Err(Errno::EINVAL);
        }
        match &dst {
            Some(dst) if exchange => {
                if is_dir(dst.file_type()) && self.descends_from(dst)? {
                    return Err(Errno::EINVAL);
                }
                self.exchange(old_name, src, new_dir, new_name, dst.clone(), now)
            }
            _ => {
                if let Some(dst) = &dst {
                    match (is_dir(src.file_type()), is_dir(dst.file_type())) {
                        (true, false) => return Err(Errno::ENOTDIR),
                        (false, true) => return Err(Errno::EISDIR),
                        (true, true) if !dst.is_empty_dir()? => return Err(Errno::ENOTEMPTY),
                        _ => {}
                    }
                }
                let whiteout = match flags.contains(RenameFlags::WHITEOUT) {
                    true => Some(Inode::new(
                        &self.sb,
                        FileType::CharDevice,
                        0,
                        crate::types::Owner::ROOT,
                        Body::Special(0),
                    )?),
                    false => None,
                };
                self.move_entry(old_name, src, new_dir, new_name, dst, whiteout, now)
            }
        }
    }

    /// Moves `src` from `old_name` here to `new_name` in `new_dir`, over `dst`.
    #[expect(clippy::too_many_arguments, reason = "one step of do_rename")]
    fn move_entry(
        &self,
        old_name: &[u8],
        src: Arc<Inode>,
        new_dir: &Arc<Inode>,
        new_name: &[u8],
        dst: Option<Arc<Inode>>,
        whiteout: Option<Arc<Inode>>,
        now: Timespec,
    ) -> Result<()> {
        let moves_dir = is_dir(src.file_type()) && !std::ptr::eq(self, &**new_dir);
        let kills_dir = dst.as_ref().is_some_and(|d| is_dir(d.file_type()));
        self.with_dir(|m, d| {
            d.remove(old_name);
            if let Some(w) = whiteout {
                d.insert(old_name, w);
            }
            if moves_dir {
                m.nlink -= 1;
            }
            m.modified(now);
            Ok(())
        })?;
        new_dir.with_dir(|m, d| {
            d.remove(new_name);
            d.insert(new_name, src.clone());
            m.nlink = (m.nlink + u32::from(moves_dir)).saturating_sub(u32::from(kills_dir));
            m.modified(now);
            Ok(())
        })?;
        if is_dir(src.file_type()) {
            src.with_dir(|_, d| {
                d.set_parent(new_dir);
                Ok(())
            })?;
        }
        src.with_meta(|m| m.ctime = now)?;
        match dst {
            Some(dst) => dst.unlinked(now),
            None => Ok(()),
        }
    }

    /// Swaps `a` (named `a_name` here) and `b` (named `b_name` in `b_dir`).
    fn exchange(
        &self,
        a_name: &[u8],
        a: Arc<Inode>,
        b_dir: &Arc<Inode>,
        b_name: &[u8],
        b: Arc<Inode>,
        now: Timespec,
    ) -> Result<()> {
        let other_dir = !std::ptr::eq(self, &**b_dir);
        let (a_is_dir, b_is_dir) = (is_dir(a.file_type()), is_dir(b.file_type()));
        let moved = |m: &mut super::attr::Meta, gains: bool, loses: bool| {
            if other_dir {
                m.nlink = (m.nlink + u32::from(gains)).saturating_sub(u32::from(loses));
            }
            m.modified(now);
        };
        self.with_dir(|m, d| {
            d.replace(a_name, b.clone());
            moved(m, b_is_dir, a_is_dir);
            Ok(())
        })?;
        b_dir.with_dir(|m, d| {
            d.replace(b_name, a.clone());
            moved(m, a_is_dir, b_is_dir);
            Ok(())
        })?;
        let this = self.arc();
        for (inode, parent) in [(&a, b_dir), (&b, &this)] {
            if is_dir(inode.file_type()) {
                inode.with_dir(|_, d| {
                    d.set_parent(parent);
                    Ok(())
                })?;
            }
            inode.with_meta(|m| m.ctime = now)?;
        }
        Ok(())
    }
}
