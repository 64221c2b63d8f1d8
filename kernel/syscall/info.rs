//! uname, sethostname and getrandom: what the system is, and randomness from
//! the host.

use super::arg::UserPtr;
use crate::task::TrapContext;
use arch::abi::structs::Utsname;
use arch::{Errno, Result};

/// The release uname reports. glibc and Debian's tools only compare it against
/// minimum versions, so it names the Linux ABI level this kernel follows.
pub const RELEASE: &str = "6.1.0-linux-rs";

/// The version uname reports (and the mconsole's `version`).
pub const UTS_VERSION: &str = concat!("#1 SMP ", env!("CARGO_PKG_VERSION"));

/// personality(2)'s flags this kernel looks at or clears.
pub const UNAME26: u32 = 0x0020000;
pub const PER_CLEAR_ON_SETID: u32 = 0x0040000 | 0x0200000 | 0x0400000;

/// personality(2): sets the execution domain and flags (any value, as
/// Linux stores it; 0xffffffff only asks) and returns the old ones.
/// PER_LINUX is the only domain; ADDR_NO_RANDOMIZE holds trivially (this
/// kernel does not randomize the address space); UNAME26 makes uname report
/// a 2.6 release; READ_IMPLIES_EXEC makes readable mappings executable
/// (mmap, mprotect: `mem.rs`) until the next execve, which drops it for an
/// x86_64 program as Linux's set_personality_64bit does.
pub fn sys_personality(ctx: &mut TrapContext, persona: u32) -> Result<u64> {
    use std::sync::atomic::Ordering;
    let p = &ctx.task.process.personality;
    let old = if persona == u32::MAX {
        p.load(Ordering::Relaxed)
    } else {
        p.swap(persona, Ordering::Relaxed)
    };
    Ok(u64::from(old))
}

/// Returns the release uname reports: RELEASE, or under UNAME26 the 2.6
/// one Linux's `override_release` makes of it (2.6.(60 + patch level)).
fn release(persona: u32) -> String {
    if persona & UNAME26 == 0 {
        return RELEASE.to_string();
    }
    let numbers = RELEASE
        .split(|c: char| !c.is_ascii_digit() && c != '.')
        .next()
        .unwrap_or("");
    let rest = &RELEASE[numbers.len()..];
    let patch: u32 = numbers
        .split('.')
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    format!("2.6.{}{rest}", 60 + patch)
}

pub fn sys_uname(ctx: &mut TrapContext, name: UserPtr<Utsname>) -> Result<u64> {
    let ns = ctx.task.uts.borrow().clone();
    let persona = ctx
        .task
        .process
        .personality
        .load(std::sync::atomic::Ordering::Relaxed);
    let fields = [
        "Linux",
        &ns.nodename.borrow().clone(),
        &release(persona),
        UTS_VERSION,
        "x86_64",
        &ns.domainname.borrow().clone(),
    ];
    let mut uts = Utsname::default();
    for (field, value) in uts.fields.iter_mut().zip(fields) {
        let b = value.as_bytes();
        let n = b.len().min(64);
        field[..n].copy_from_slice(&b[..n]);
    }
    name.write(ctx, &uts)?;
    Ok(0)
}

/// sethostname(2): root only, at most 64 bytes, in the caller's UTS
/// namespace.
pub fn sys_sethostname(ctx: &mut TrapContext, name: u64, len: u64) -> Result<u64> {
    set_uts_name(ctx, false, name, len)
}

/// setdomainname(2): the same for the NIS domain name.
pub fn sys_setdomainname(ctx: &mut TrapContext, name: u64, len: u64) -> Result<u64> {
    set_uts_name(ctx, true, name, len)
}

fn set_uts_name(ctx: &mut TrapContext, domain: bool, name: u64, len: u64) -> Result<u64> {
    if !ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    if len > crate::uts::NAME_MAX as u64 {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; len as usize];
    ctx.read_user(name, &mut buf)?;
    crate::uts::set_name(ctx.task, domain, &buf)?;
    Ok(0)
}

/// setns(2) (kernel/uts.rs).
pub fn sys_setns(ctx: &mut TrapContext, fd: i32, flags: u64) -> Result<u64> {
    crate::uts::sys_setns(ctx, fd, flags)
}

/// unshare(2) (kernel/uts.rs).
pub fn sys_unshare(ctx: &mut TrapContext, flags: u64) -> Result<u64> {
    crate::uts::sys_unshare(ctx, flags)
}

pub fn sys_getrandom(ctx: &mut TrapContext, ubuf: u64, count: u64, flags: u64) -> Result<u64> {
    const GRND_NONBLOCK: u64 = 1;
    const GRND_RANDOM: u64 = 2;
    const GRND_INSECURE: u64 = 4;
    if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0 {
        return Err(Errno::EINVAL);
    }
    let len = (count as usize).min(32 << 20);
    let mut buf = vec![0u8; len];
    arch::host::random::getrandom(&mut buf);
    ctx.write_user(ubuf, &buf)?;
    Ok(len as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uname26_reports_a_2_6_release() {
        assert_eq!(release(0), RELEASE);
        // 6.1.0-linux-rs: the patch level 1 becomes 2.6.61, the rest kept.
        assert_eq!(release(UNAME26), "2.6.61-linux-rs");
    }
}
