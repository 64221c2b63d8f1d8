//! Path resolution as path_resolution(7) describes it: relative to the working
//! directory unless absolute, "." and "..", ".." stopping at the task's root,
//! crossing mount points both ways, following symlinks (at most `MAXSYMLINKS` in one
//! walk), and Linux's errors (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG). Every
//! component needs search permission on the directory it is looked up in
//! (`EACCES`), the last one included, as Linux's link_path_walk() checks.
//! openat2(2)'s `RESOLVE_*` restrictions are lookup flags too: no mount
//! crossings (`EXDEV`), no symlinks or magic links (`ELOOP`), and staying
//! beneath the starting directory, which the caller passes as the root
//! (`BENEATH`: `EXDEV` on any way out; `IN_ROOT`: the root of the walk).

use crate::mount::Path;
use crate::perm::{permission, Access, Credentials};
use crate::types::FileType;
use crate::vfs::Vfs;
use arch::abi::capability::CAP_DAC_READ_SEARCH;
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
        /// An empty path names the starting directory itself, whatever it
        /// is, and a symlink there is not followed (Linux's `LOOKUP_EMPTY`
        /// as `file_open_root` uses it).
        const EMPTY = 4;
        /// `RESOLVE_NO_XDEV`: crossing a mount point (either way) is `EXDEV`.
        const NO_XDEV = 0x100;
        /// `RESOLVE_NO_MAGICLINKS`: a magic link to follow is `ELOOP`.
        const NO_MAGICLINKS = 0x200;
        /// `RESOLVE_NO_SYMLINKS`: any link to follow is `ELOOP`.
        const NO_SYMLINKS = 0x400;
        /// `RESOLVE_BENEATH`: the root given is the starting directory, and
        /// leaving it (absolute paths and symlinks, ".." at it) is `EXDEV`.
        const BENEATH = 0x800;
        /// `RESOLVE_IN_ROOT`: the root given is the starting directory; magic
        /// links, which could lead out of it, are `EXDEV`.
        const IN_ROOT = 0x1000;
        /// The restrictions that hold for every component, not just the last.
        const RESOLVE = Self::NO_XDEV.bits()
            | Self::NO_MAGICLINKS.bits()
            | Self::NO_SYMLINKS.bits()
            | Self::BENEATH.bits()
            | Self::IN_ROOT.bits();
    }
}

impl LookupFlags {
    /// Checks that a walk with these restrictions may follow a symlink.
    pub(crate) fn check_follow(self) -> Result<()> {
        self.may_follow(false)
    }

    /// Checks that a walk with these restrictions at `from` may follow an
    /// absolute symlink (a jump to `root`).
    pub(crate) fn check_absolute(self, from: &Path, root: &Path) -> Result<()> {
        self.may_cross(from, root)
    }

    /// Checks that a walk with these restrictions at `from` may follow a
    /// magic link to `to`.
    pub(crate) fn check_jump(self, from: &Path, to: &Path) -> Result<()> {
        self.may_follow(true)?;
        self.may_cross(from, to)
    }

    /// Checks that a walk with these flags may go from `from` to `to`, a mount
    /// crossing when they are on different mounts.
    fn may_cross(self, from: &Path, to: &Path) -> Result<()> {
        if self.contains(LookupFlags::NO_XDEV) && !std::sync::Arc::ptr_eq(&from.mnt, &to.mnt) {
            return Err(Errno::EXDEV);
        }
        Ok(())
    }

    /// Checks that a walk with these flags may follow a symlink (a magic link
    /// if `magic`).
    fn may_follow(self, magic: bool) -> Result<()> {
        if self.contains(LookupFlags::NO_SYMLINKS)
            || (magic && self.contains(LookupFlags::NO_MAGICLINKS))
        {
            return Err(Errno::ELOOP);
        }
        if magic && self.intersects(LookupFlags::BENEATH | LookupFlags::IN_ROOT) {
            return Err(Errno::EXDEV);
        }
        Ok(())
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
        if path.is_empty() && flags.contains(LookupFlags::EMPTY) {
            if flags.contains(LookupFlags::DIRECTORY) && !is_dir(cwd) {
                return Err(Errno::ENOTDIR);
            }
            return Ok(cwd.clone());
        }
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
        self.lookup_parent_with(cred, root, cwd, path, LookupFlags::empty())
    }

    /// Resolves all but the last component of `path` as `lookup_parent`, with
    /// the `RESOLVE` restrictions of `resolve`.
    pub(crate) fn lookup_parent_with(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        resolve: LookupFlags,
    ) -> Result<(Path, Vec<u8>)> {
        check_length(path)?;
        let trimmed = match path.iter().rposition(|&c| c != b'/') {
            Some(i) => &path[..=i],
            None => {
                // "/" itself: the root, if the walk may go there.
                let at = self.lookup(cred, root, cwd, b"/", resolve & LookupFlags::RESOLVE)?;
                return Ok((at, Vec::new()));
            }
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
        let flags = LookupFlags::FOLLOW | LookupFlags::DIRECTORY | (resolve & LookupFlags::RESOLVE);
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
            if flags.contains(LookupFlags::BENEATH) {
                return Err(Errno::EXDEV);
            }
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
                    if flags.contains(LookupFlags::BENEATH) && cur.same(root) {
                        return Err(Errno::EXDEV);
                    }
                    let up = self.parent(root, &cur);
                    flags.may_cross(&cur, &up)?;
                    cur = up;
                    continue;
                }
                _ => {}
            }
            let next = self.step(&cur, comp)?;
            flags.may_cross(&cur, &next)?;
            let follow = !last || trailing_slash || flags.contains(LookupFlags::FOLLOW);
            if follow && next.inode().file_type() == FileType::Symlink {
                *links += 1;
                if *links > MAXSYMLINKS {
                    return Err(Errno::ELOOP);
                }
                if let Some(jump) = next.inode().follow_link() {
                    // A magic link (/proc/self/fd/N) names its file directly.
                    flags.may_follow(true)?;
                    let jump = jump?;
                    flags.may_cross(&cur, &jump)?;
                    cur = jump;
                    continue;
                }
                flags.may_follow(false)?;
                let target = next.inode().readlink()?;
                if target.first() == Some(&b'/') {
                    // An absolute path given to the walk may start anywhere;
                    // an absolute symlink is a jump to the root.
                    flags.may_cross(&cur, root)?;
                }
                let resolve = flags & LookupFlags::RESOLVE;
                let f = if last {
                    flags | LookupFlags::FOLLOW
                } else {
                    LookupFlags::FOLLOW | resolve
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

/// Checks that `cred` may search the directory `dir`; CAP_DAC_READ_SEARCH
/// always may.
fn may_search(cred: &Credentials, dir: &Path) -> Result<()> {
    if cred.capable(CAP_DAC_READ_SEARCH) {
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
