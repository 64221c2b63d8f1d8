//! execve(2) and execveat(2) over `crate::exec`.

use super::arg::{Fd, UserStr};
use crate::task::TrapContext;
use arch::{Errno, Result};

pub fn sys_execve(ctx: &mut TrapContext, path: UserStr, argv: u64, envp: u64) -> Result<u64> {
    let path = path.read_path(ctx)?;
    let argv = ctx.read_string_array(argv)?;
    let envp = ctx.read_string_array(envp)?;
    let old_tid = ctx.task.tid();
    crate::exec::execve(ctx, &path, argv, envp)?;
    crate::ptrace::exec_event(ctx, old_tid);
    Ok(0)
}

/// execveat(dirfd, path, argv, envp, flags): AT_EMPTY_PATH runs the file
/// `dirfd` itself; AT_SYMLINK_NOFOLLOW refuses a final symlink (ELOOP).
pub fn sys_execveat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    argv: u64,
    envp: u64,
    flags: u64,
) -> Result<u64> {
    use super::open::{resolve_at, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = path.read_path(ctx)?;
    let file = resolve_at(ctx, dirfd, &name, flags, true)?;
    if file.inode().file_type() == fs::FileType::Symlink {
        return Err(Errno::ELOOP);
    }
    let argv = ctx.read_string_array(argv)?;
    let envp = ctx.read_string_array(envp)?;
    // Like Linux, the program is known as /dev/fd/N for AT_EMPTY_PATH.
    let shown = if name.is_empty() || (name[0] != b'/' && dirfd != Fd::AT_FDCWD) {
        let mut n = format!("/dev/fd/{}", dirfd.0).into_bytes();
        if !name.is_empty() {
            n.push(b'/');
            n.extend_from_slice(&name);
        }
        n
    } else {
        name
    };
    crate::exec::execve_file(ctx, file, &shown, argv, envp)?;
    Ok(0)
}
