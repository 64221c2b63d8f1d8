//! Path resolution as path_resolution(7) describes it: relative to the working
//! directory unless absolute, "." and "..", ".." stopping at the task's root,
//! crossing mount points both ways, following symlinks (at most `MAXSYMLINKS` in one
//! walk), and Linux's errors (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG). Every
//! component needs search permission on the directory it is looked up in
//! (`EACCES`), the last one included, as Linux's link_path_walk() checks.

use crate::mount::Path;
use crate::perm::{permission, Access, Credentials};
use crate::types::FileType;
use crate::vfs::Vfs;
use arch::{Errno, Result};

/// Longest component name (`NAME_MAX`).
pub const NAME_MAX: usize = 255;
/// Size of the longest path including its NUL (`PATH_MAX`).
pub const PATH_MAX: usize = 4096;
/// Symlinks one resolution may follow (Linux's `MAXSYMLINKS`).
pub const MAXSYMLINKS: u32 = 40;

bitflags::bitflags! {
    /// How to treat the final component of a path.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct LookupFlags: u32 {
        /// Follow a final symlink.
        const FOLLOW = 1;
        /// The final component must be a directory.
        const DIRECTORY = 2;
    }
}

fn is_dir(p: &Path) -> bool {
    p.inode().file_type() == FileType::Directory
}

impl Vfs {
    /// Resolves `path` from `cwd` (or `root` if absolute) as `cred` may.
    pub fn lookup(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        flags: LookupFlags,
    ) -> Result<Path> {
        let mut links = 0;
        self.walk(cred, root, cwd, path, flags, &mut links)
    }

    /// Resolves all but the last component of `path`; returns the parent directory and
    /// the last name (trailing slashes removed; empty for "/"). The parent
    /// needs search permission, as for any component.
    pub fn lookup_parent(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
    ) -> Result<(Path, Vec<u8>)> {
        check_length(path)?;
        let trimmed = match path.iter().rposition(|&c| c != b'/') {
            Some(i) => &path[..=i],
            None => return Ok((root.clone(), Vec::new())),
        };
        let (dir, name) = match trimmed.iter().rposition(|&c| c == b'/') {
            Some(i) => (
                if i == 0 { &b"/"[..] } else { &trimmed[..i] },
                &trimmed[i + 1..],
            ),
            None => (&b"."[..], trimmed),
        };
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let flags = LookupFlags::FOLLOW | LookupFlags::DIRECTORY;
        let parent = self.lookup(cred, root, cwd, dir, flags)?;
        may_search(cred, &parent)?;
        Ok((parent, name.to_vec()))
    }

    fn walk(
        &self,
        cred: &Credentials,
        root: &Path,
        base: &Path,
        path: &[u8],
        flags: LookupFlags,
        links: &mut u32,
    ) -> Result<Path> {
        check_length(path)?;
        let mut cur = if path[0] == b'/' {
            root.clone()
        } else {
            base.clone()
        };
        let trailing_slash = path.ends_with(b"/");
        let comps: Vec<&[u8]> = path
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        for (i, &comp) in comps.iter().enumerate() {
            let last = i + 1 == comps.len();
            if comp.len() > NAME_MAX {
                return Err(Errno::ENAMETOOLONG);
            }
            if !is_dir(&cur) {
                return Err(Errno::ENOTDIR);
            }
            may_search(cred, &cur)?;
            match comp {
                b"." => continue,
                b".." => {
                    cur = self.parent(root, &cur);
                    continue;
                }
                _ => {}
            }
            let next = self.step(&cur, comp)?;
            let follow = !last || trailing_slash || flags.contains(LookupFlags::FOLLOW);
            if follow && next.inode().file_type() == FileType::Symlink {
                *links += 1;
                if *links > MAXSYMLINKS {
                    return Err(Errno::ELOOP);
                }
                if let Some(jump) = next.inode().follow_link() {
                    // A magic link (/proc/self/fd/N) names its file directly.
                    cur = jump?;
                    continue;
                }
                let target = next.inode().readlink()?;
                let f = if last {
                    flags | LookupFlags::FOLLOW
                } else {
                    LookupFlags::FOLLOW
                };
                cur = self.walk(cred, root, &cur, &target, f - LookupFlags::DIRECTORY, links)?;
            } else {
                cur = next;
            }
        }
        if (trailing_slash || flags.contains(LookupFlags::DIRECTORY)) && !is_dir(&cur) {
            return Err(Errno::ENOTDIR);
        }
        Ok(cur)
    }

    /// Returns the child `name` of directory `dir`, entering whatever is mounted on it.
    fn step(&self, dir: &Path, name: &[u8]) -> Result<Path> {
        let dentry = dir.dentry.lookup(name)?;
        let mut p = Path {
            mnt: dir.mnt.clone(),
            dentry,
        };
        while let Some(top) = self.mounted_on(&p) {
            p = top;
        }
        Ok(p)
    }

    /// Returns "..' of `p`: itself at `root`, leaving mounts upwards.
    fn parent(&self, root: &Path, p: &Path) -> Path {
        let mut p = p.clone();
        loop {
            if p.same(root) {
                return p;
            }
            if std::sync::Arc::ptr_eq(&p.dentry, p.mnt.root()) {
                match p.mnt.mountpoint() {
                    Some((mnt, dentry)) => {
                        p = Path { mnt, dentry };
                        continue;
                    }
                    None => return p,
                }
            }
            return match p.dentry.parent() {
                Some(d) => Path {
                    mnt: p.mnt.clone(),
                    dentry: d,
                },
                None => p,
            };
        }
    }
}

/// Checks that `cred` may search the directory `dir`; root always may.
fn may_search(cred: &Credentials, dir: &Path) -> Result<()> {
    if cred.cap_fs {
        return Ok(());
    }
    permission(cred, &dir.inode().stat()?, Access::EXEC)
}

/// Checks the length rules: an empty path is ENOENT, PATH_MAX or more ENAMETOOLONG.
fn check_length(path: &[u8]) -> Result<()> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}
