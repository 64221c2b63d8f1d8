//! rename(2) and renameat2(2) within one ext4: a plain move (adding the new name
//! before removing the old), replacing a file or an empty directory (the
//! replaced inode loses a link and may become an orphan), `RENAME_NOREPLACE`,
//! and `RENAME_EXCHANGE` (two entries swap inodes). A directory that changes
//! parent gets its ".." rewritten and both parents' link counts follow.
//! `RENAME_WHITEOUT` (overlayfs only) is `EINVAL`.

use super::inode::Inode;
use super::link::{dec_dir_links, inc_dir_links};
use super::namei::check_name;
use crate::types::{FileType, RenameFlags};
use arch::{Errno, Result};

fn is_dir(i: &Inode) -> bool {
    i.kind() == FileType::Directory
}

impl Inode {
    /// Moves `old_name` of this directory to `new_name` in `new_dir`.
    pub(super) fn do_rename(
        &self,
        old_name: &[u8],
        new_dir: &Inode,
        new_name: &[u8],
        flags: RenameFlags,
    ) -> Result<()> {
        check_name(new_name)?;
        if flags.contains(RenameFlags::WHITEOUT) {
            return Err(Errno::EINVAL);
        }
        if !is_dir(self) || !is_dir(new_dir) {
            return Err(Errno::ENOTDIR);
        }
        let fs = &self.fs;
        let mut h = fs.begin()?;
        let same_dir = self.ino == new_dir.ino;
        let (src_ino, _) = self.find(old_name)?.ok_or(Errno::ENOENT)?;
        let src = fs.named_inode(src_ino)?;
        if new_dir.links() == 0 {
            return Err(Errno::ENOENT);
        }
        let dst = match new_dir.find(new_name)? {
            Some((ino, _)) => Some(fs.named_inode(ino)?),
            None => None,
        };
        if dst.as_ref().is_some_and(|d| d.ino == src.ino) {
            return Ok(());
        }
        let now = h.now();
        let (src_ft, src_dir) = (src.kind(), is_dir(&src));
        if flags.contains(RenameFlags::EXCHANGE) {
            let dst = dst.ok_or(Errno::ENOENT)?;
            let (dst_ft, dst_dir) = (dst.kind(), is_dir(&dst));
            self.change_dir(&mut h, true, |w| {
                w.set(old_name, dst.ino, dst_ft)?;
                if !same_dir && src_dir != dst_dir {
                    if src_dir {
                        dec_dir_links(w.disk);
                    } else {
                        inc_dir_links(w.h, w.disk)?;
                    }
                }
                Ok(())
            })?;
            new_dir.change_dir(&mut h, true, |w| {
                w.set(new_name, src.ino, src_ft)?;
                if !same_dir && src_dir != dst_dir {
                    if dst_dir {
                        dec_dir_links(w.disk);
                    } else {
                        inc_dir_links(w.h, w.disk)?;
                    }
                }
                Ok(())
            })?;
            if !same_dir {
                if src_dir {
                    src.change_dir(&mut h, false, |w| {
                        w.set(b"..", new_dir.ino, FileType::Directory)
                    })?;
                }
                if dst_dir {
                    dst.change_dir(&mut h, false, |w| {
                        w.set(b"..", self.ino, FileType::Directory)
                    })?;
                }
            }
            for i in [&src, &dst] {
                i.change(&mut h, |_, d| {
                    d.ctime = now;
                    Ok(())
                })?;
            }
            drop((src, dst));
            return h.finish();
        }
        if let Some(dst) = &dst {
            if flags.contains(RenameFlags::NOREPLACE) {
                return Err(Errno::EEXIST);
            }
            match (src_dir, is_dir(dst)) {
                (true, false) => return Err(Errno::ENOTDIR),
                (false, true) => return Err(Errno::EISDIR),
                (true, true) if !dst.with_dir(|d| d.is_empty())? => return Err(Errno::ENOTEMPTY),
                _ => {}
            }
        }
        new_dir.change_dir(&mut h, true, |w| {
            match &dst {
                Some(dst) => {
                    w.set(new_name, src.ino, src_ft)?;
                    if is_dir(dst) {
                        dec_dir_links(w.disk);
                    }
                }
                None => w.add(new_name, src.ino, src_ft)?,
            }
            if src_dir && !same_dir {
                inc_dir_links(w.h, w.disk)?;
            }
            Ok(())
        })?;
        self.change_dir(&mut h, true, |w| {
            w.remove(old_name)?;
            if src_dir && !same_dir {
                dec_dir_links(w.disk);
            }
            Ok(())
        })?;
        if src_dir && !same_dir {
            src.change_dir(&mut h, false, |w| {
                w.set(b"..", new_dir.ino, FileType::Directory)
            })?;
        }
        src.change(&mut h, |_, d| {
            d.ctime = now;
            Ok(())
        })?;
        if let Some(dst) = &dst {
            dst.drop_link(&mut h)?;
        }
        drop((src, dst));
        h.finish()
    }
}
