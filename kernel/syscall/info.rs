//! uname, sethostname and getrandom: what the system is, and randomness from
//! the host.

use super::arg::UserPtr;
use crate::task::TrapContext;
use arch::abi::structs::Utsname;
use arch::{Errno, Result};

/// The release uname reports. glibc and Debian's tools only compare it against
/// minimum versions, so it names the Linux ABI level this kernel follows.
pub const RELEASE: &str = "6.1.0-linux-rs";

pub fn sys_uname(ctx: &mut TrapContext, name: UserPtr<Utsname>) -> Result<u64> {
    let fields = [
        "Linux",
        &crate::boot::kernel().hostname(),
        RELEASE,
        concat!("#1 SMP ", env!("CARGO_PKG_VERSION")),
        "x86_64",
        "(none)",
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

/// sethostname(2): root only, at most 64 bytes.
pub fn sys_sethostname(ctx: &mut TrapContext, hostname: u64, len: u64) -> Result<u64> {
    if ctx.task.process.cred.borrow().euid != 0 {
        return Err(Errno::EPERM);
    }
    let len = len as usize;
    if len > 64 {
        return Err(Errno::EINVAL);
    }
    let mut name = vec![0u8; len];
    ctx.read_user(hostname, &mut name)?;
    *(crate::boot::kernel().hostname).borrow_mut() = String::from_utf8_lossy(&name).into_owned();
    Ok(0)
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
