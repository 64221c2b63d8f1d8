//! setsockopt and getsockopt: a family's own options go to its socket
//! (`Socket::setsockopt`), the generic SOL_SOCKET ones are answered here as
//! Linux's `sk_setsockopt` and `sk_getsockopt` do (socket(7)); other levels
//! a family does not know are EOPNOTSUPP. Values are ints unless said
//! otherwise; a getsockopt buffer shorter than the value gets its first
//! bytes.

use super::arg::Fd;
use super::arg::UserPtr;
use super::socket::socket_file;
use crate::net::{Socket, Timeout, PLAIN_OPTIONS, SOL_SOCKET};
use crate::task::TrapContext;
use arch::abi::pod::as_bytes;
use arch::abi::structs::{Linger, Timeval};
use arch::{Errno, Result};
use std::time::Duration;

const SO_TYPE: i32 = 3;
const SO_ERROR: i32 = 4;
const SO_SNDBUF: i32 = 7;
const SO_RCVBUF: i32 = 8;
const SO_LINGER: i32 = 13;
const SO_PASSCRED: i32 = 16;
const SO_PEERCRED: i32 = 17;
const SO_RCVLOWAT: i32 = 18;
const SO_SNDLOWAT: i32 = 19;
const SO_RCVTIMEO_OLD: i32 = 20;
const SO_SNDTIMEO_OLD: i32 = 21;
const SO_BINDTODEVICE: i32 = 25;
const SO_PEERNAME: i32 = 28;
const SO_ACCEPTCONN: i32 = 30;
const SO_SNDBUFFORCE: i32 = 32;
const SO_RCVBUFFORCE: i32 = 33;
const SO_PROTOCOL: i32 = 38;
const SO_DOMAIN: i32 = 39;
const SO_RCVTIMEO_NEW: i32 = 66;
const SO_SNDTIMEO_NEW: i32 = 67;

/// The length of an interface name with its NUL (`IFNAMSIZ`).
const IFNAMSIZ: usize = 16;

/// SO_BINDTODEVICE as Linux's `sock_setbindtodevice`: at most IFNAMSIZ - 1
/// bytes of a name (empty unbinds), ENODEV for an interface that does not
/// exist; changing a binding needs CAP_NET_RAW (root), EPERM otherwise.
fn bind_to_device(ctx: &TrapContext, sock: &dyn Socket, val: u64, len: usize) -> Result<()> {
    let mut raw = vec![0u8; len.min(IFNAMSIZ - 1)];
    ctx.read_user(val, &mut raw)?;
    let name = raw.split(|&b| b == 0).next().unwrap_or(&[]);
    let index = match name {
        [] => 0,
        _ => sock.net().ifindex_by_name(name).ok_or(Errno::ENODEV)?,
    };
    let privileged = ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_NET_RAW);
    if sock.options().bound_dev != 0 && !privileged {
        return Err(Errno::EPERM);
    }
    sock.set_options(&mut |o| o.bound_dev = index);
    Ok(())
}

/// Decodes a `struct timeval` timeout: EDOM for microseconds out of range; a
/// negative time means no waiting, zero means forever.
fn timeout_from(tv: Timeval) -> Result<Timeout> {
    let (sec, usec) = (tv.tv_sec, tv.tv_usec);
    if !(0..1_000_000).contains(&usec) {
        return Err(Errno::EDOM);
    }
    Ok(match (sec, usec) {
        (s, _) if s < 0 => Timeout::After(Duration::ZERO),
        (0, 0) => Timeout::Forever,
        (s, u) => Timeout::After(Duration::from_secs(s as u64) + Duration::from_micros(u as u64)),
    })
}

/// Returns a timeout as a `struct timeval` (forever is zero).
fn to_timeval(t: Timeout) -> Timeval {
    match t {
        Timeout::Forever => Duration::ZERO,
        Timeout::After(d) => d,
    }
    .into()
}

pub fn sys_setsockopt(
    ctx: &mut TrapContext,
    fd: Fd,
    level: u64,
    optname: u64,
    optval: u64,
    optlen: u64,
) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    let (level, opt, optval) = (level as i32, optname as i32, optval);
    let optlen = usize::try_from(optlen as i32).map_err(|_| Errno::EINVAL)?;
    // The family's own options first.
    if let Some(r) = sock.setsockopt(ctx, level, opt, optval, optlen) {
        return r.map(|()| 0);
    }
    if level != SOL_SOCKET {
        return Err(Errno::EOPNOTSUPP);
    }
    if opt == SO_BINDTODEVICE {
        return bind_to_device(ctx, &*sock, optval, optlen).map(|()| 0);
    }
    if optlen < 4 {
        return Err(Errno::EINVAL);
    }
    let val = UserPtr::<i32>::new(optval).read(ctx)?;
    let privileged = ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_NET_ADMIN);
    match opt {
        SO_SNDBUF => sock.set_options(&mut |o| o.set_sndbuf(val)),
        SO_RCVBUF => sock.set_options(&mut |o| o.set_rcvbuf(val)),
        SO_SNDBUFFORCE | SO_RCVBUFFORCE if !privileged => return Err(Errno::EPERM),
        SO_SNDBUFFORCE => sock.set_options(&mut |o| o.set_sndbuf(val)),
        SO_RCVBUFFORCE => sock.set_options(&mut |o| o.set_rcvbuf(val)),
        SO_PASSCRED => sock.set_options(&mut |o| o.passcred = val != 0),
        29 | 63 | 35 | 64 if sock.family() == 1 => sock.set_options(&mut |o| {
            use crate::net::options::Stamps;
            o.stamps = match (val != 0, opt) {
                (false, _) => Stamps::Off,
                (true, 29 | 63) => Stamps::Micro(opt),
                (true, _) => Stamps::Nano(opt),
            }
        }),
        SO_RCVLOWAT => sock.set_options(&mut |o| o.set_rcvlowat(val)),
        SO_LINGER => {
            if optlen < size_of::<Linger>() {
                return Err(Errno::EINVAL);
            }
            let l = UserPtr::<Linger>::new(optval).read(ctx)?;
            sock.set_options(&mut |o| o.linger = ((l.l_onoff != 0) as i32, l.l_linger));
        }
        SO_RCVTIMEO_OLD | SO_SNDTIMEO_OLD | SO_RCVTIMEO_NEW | SO_SNDTIMEO_NEW => {
            if optlen < size_of::<Timeval>() {
                return Err(Errno::EINVAL);
            }
            let t = timeout_from(UserPtr::<Timeval>::new(optval).read(ctx)?)?;
            if matches!(opt, SO_RCVTIMEO_OLD | SO_RCVTIMEO_NEW) {
                sock.set_options(&mut |o| o.rcvtimeo = t);
            } else {
                sock.set_options(&mut |o| o.sndtimeo = t);
            }
        }
        p if PLAIN_OPTIONS.contains(&p) => sock.set_options(&mut |o| o.set_plain(p, val)),
        _ => return Err(Errno::ENOPROTOOPT),
    }
    Ok(0)
}

/// Returns the value of the generic option `opt` as the caller `ctx` sees it.
fn value(ctx: &TrapContext, sock: &dyn Socket, opt: i32, len: usize) -> Result<Vec<u8>> {
    let o = sock.options();
    let int = |v: i32| Ok(as_bytes(&v).to_vec());
    match opt {
        SO_TYPE => int(sock.sock_type() as i32),
        SO_DOMAIN => int(sock.family() as i32),
        SO_PROTOCOL => int(sock.protocol()),
        SO_ERROR => int(sock.take_error().map_or(0, |e| e.as_i32())),
        SO_ACCEPTCONN => int(sock.is_listening() as i32),
        SO_SNDBUF => int(o.sndbuf as i32),
        SO_RCVBUF => int(o.rcvbuf as i32),
        SO_PASSCRED => int(o.passcred as i32),
        29 | 63 if sock.family() == 1 => {
            int(matches!(o.stamps, crate::net::options::Stamps::Micro(_)) as i32)
        }
        35 | 64 if sock.family() == 1 => {
            int(matches!(o.stamps, crate::net::options::Stamps::Nano(_)) as i32)
        }
        SO_RCVLOWAT => int(o.rcvlowat as i32),
        SO_SNDLOWAT => int(1),
        SO_LINGER => {
            let (l_onoff, l_linger) = o.linger;
            Ok(as_bytes(&Linger { l_onoff, l_linger }).to_vec())
        }
        SO_RCVTIMEO_OLD | SO_RCVTIMEO_NEW => Ok(as_bytes(&to_timeval(o.rcvtimeo)).to_vec()),
        SO_SNDTIMEO_OLD | SO_SNDTIMEO_NEW => Ok(as_bytes(&to_timeval(o.sndtimeo)).to_vec()),
        SO_PEERCRED => Ok(as_bytes(&sock.peercred().to_abi(&ctx.task.process)).to_vec()),
        SO_BINDTODEVICE => {
            // Linux wants room for any name first; unbound reads as empty.
            if len < IFNAMSIZ {
                return Err(Errno::EINVAL);
            }
            let name = match o.bound_dev {
                0 => None,
                i => sock.net().name_by_ifindex(i),
            };
            Ok(name.map_or(Vec::new(), |mut n| {
                n.push(0);
                n
            }))
        }
        SO_PEERNAME => {
            let name = sock.peer_name()?;
            // Linux refuses a buffer longer than the name.
            if name.len() < len {
                return Err(Errno::EINVAL);
            }
            Ok(name)
        }
        p if PLAIN_OPTIONS.contains(&p) => int(o.plain(p)),
        _ => Err(Errno::ENOPROTOOPT),
    }
}

pub fn sys_getsockopt(
    ctx: &mut TrapContext,
    fd: Fd,
    level: u64,
    optname: u64,
    optval: u64,
    optlen: u64,
) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    let (level, opt, optval, optlenp) = (level as i32, optname as i32, optval, optlen);
    let optlenp = UserPtr::<i32>::new(optlenp);
    let len = usize::try_from(optlenp.read(ctx)?).map_err(|_| Errno::EINVAL)?;
    let v = match sock.getsockopt(ctx, level, opt, len) {
        Some(v) => v?,
        None if level != SOL_SOCKET => return Err(Errno::EOPNOTSUPP),
        None => value(ctx, &*sock, opt, len)?,
    };
    let n = len.min(v.len());
    ctx.write_user(optval, &v[..n])?;
    optlenp.write(ctx, &(n as i32))?;
    Ok(0)
}
