//! The user structures of sendmsg(2) and recvmsg(2): `struct msghdr`, the
//! guest buffers of an iovec array (`UserIov`), and control messages
//! (cmsg(3)) — SCM_RIGHTS and SCM_CREDENTIALS parsed on the way in as
//! Linux's `__scm_send` does (the messages of other levels are handed to
//! the socket's family, which parses them as its protocol does), written
//! on the way out as its `put_cmsg` and `scm_detach_fds` do, truncating
//! with MSG_CTRUNC.

use super::arg::UserPtr;
use crate::net::socket::Cmsg;
use crate::net::{Ucred, SOL_SOCKET};
use crate::task::TrapContext;
use arch::abi::pod::{as_bytes, from_bytes};
use arch::abi::structs::{self as abi, Cmsghdr, Iovec, Msghdr};
use arch::{Errno, Result};
use fs::File;
use std::mem::size_of;
use std::sync::Arc;

/// The most one call moves (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;
/// UIO_MAXIOV.
pub(super) const UIO_MAXIOV: u64 = 1024;
/// `sizeof(struct cmsghdr)`: where a control message's data starts.
const CMSG_HDR: usize = size_of::<Cmsghdr>();
/// net.core.optmem_max: the largest control buffer sendmsg takes.
const OPTMEM_MAX: u64 = 131_072;
/// SCM_MAX_FD: the most files one message passes.
const SCM_MAX_FD: usize = 253;
pub(super) const SCM_RIGHTS: i32 = 1;
pub(crate) const SCM_CREDENTIALS: i32 = 2;

/// Rounds a control message length up to CMSG_ALIGN (8 bytes).
fn cmsg_align(len: usize) -> usize {
    len.next_multiple_of(8)
}

/// A `struct msghdr` read from the guest.
pub(super) struct MsgHdr {
    pub name: u64,
    pub namelen: i32,
    pub iov: u64,
    pub iovlen: u64,
    pub control: u64,
    pub controllen: u64,
}

impl MsgHdr {
    /// Reads the msghdr at `addr`.
    pub(super) fn read(ctx: &TrapContext, addr: UserPtr<Msghdr>) -> Result<MsgHdr> {
        let m = addr.read(ctx)?;
        Ok(MsgHdr {
            name: m.msg_name,
            namelen: m.msg_namelen,
            iov: m.msg_iov,
            iovlen: m.msg_iovlen,
            control: m.msg_control,
            controllen: m.msg_controllen,
        })
    }

    /// Reads the iovec array: EMSGSIZE beyond UIO_MAXIOV, as Linux's
    /// copy_msghdr_from_user.
    pub(super) fn buffers(&self, ctx: &TrapContext) -> Result<UserIov> {
        if self.iovlen > UIO_MAXIOV {
            return Err(Errno::EMSGSIZE);
        }
        UserIov::read(ctx, self.iov, self.iovlen)
    }
}

/// Guest buffers, in order; at most MAX_RW bytes in all.
pub(crate) struct UserIov {
    segs: Vec<(u64, u64)>,
    total: usize,
}

impl UserIov {
    /// One buffer.
    pub(crate) fn single(base: u64, len: u64) -> UserIov {
        let len = len.min(MAX_RW);
        UserIov {
            segs: vec![(base, len)],
            total: len as usize,
        }
    }

    /// Reads `count` iovecs at `addr`: EINVAL for more than UIO_MAXIOV or a
    /// length beyond SSIZE_MAX; the total is cut to MAX_RW as Linux does.
    pub(super) fn read(ctx: &TrapContext, addr: u64, count: u64) -> Result<UserIov> {
        if count > UIO_MAXIOV {
            return Err(Errno::EINVAL);
        }
        let mut segs = Vec::with_capacity(count as usize);
        let mut total = 0u64;
        for iov in UserPtr::<Iovec>::new(addr).read_array(ctx, count as usize)? {
            let (base, len) = (iov.iov_base, iov.iov_len);
            if len > i64::MAX as u64 {
                return Err(Errno::EINVAL);
            }
            let len = len.min(MAX_RW - total);
            total += len;
            segs.push((base, len));
        }
        Ok(UserIov {
            segs,
            total: total as usize,
        })
    }

    /// Returns the total length.
    pub(crate) fn len(&self) -> usize {
        self.total
    }

    /// Calls `f(address, offset in the piece, length)` for the pieces of
    /// the bytes [offset, offset + len).
    fn pieces(
        &self,
        offset: usize,
        len: usize,
        mut f: impl FnMut(u64, usize, usize) -> Result<()>,
    ) -> Result<()> {
        let (mut skip, mut done) = (offset as u64, 0usize);
        for &(base, seg) in &self.segs {
            if done == len {
                break;
            }
            if skip >= seg {
                skip -= seg;
                continue;
            }
            let n = ((seg - skip) as usize).min(len - done);
            f(base.wrapping_add(skip), done, n)?;
            done += n;
            skip = 0;
        }
        Ok(())
    }

    /// Copies guest bytes from `offset` into `buf`.
    pub(crate) fn copy_in(&self, ctx: &TrapContext, offset: usize, buf: &mut [u8]) -> Result<()> {
        let len = buf.len();
        self.pieces(offset, len, |addr, at, n| {
            ctx.read_user(addr, &mut buf[at..at + n])
        })
    }

    /// Copies `data` to the guest buffers at `offset`.
    pub(crate) fn copy_out(&self, ctx: &TrapContext, offset: usize, data: &[u8]) -> Result<()> {
        self.pieces(offset, data.len(), |addr, at, n| {
            ctx.write_user(addr, &data[at..at + n])
        })
    }
}

/// What a sender's control messages ask for.
#[derive(Default)]
pub(crate) struct Control {
    pub creds: Option<Ucred>,
    pub files: Vec<Arc<File>>,
    /// The messages of other levels than SOL_SOCKET, in order, for the
    /// socket's family (its `cmsg_len` is that of the header and `data`).
    pub proto: Vec<Cmsg>,
}

/// Parses the control buffer of sendmsg: ENOBUFS beyond optmem_max, EINVAL
/// for a malformed header or an unknown SOL_SOCKET type, EBADF, EPERM for
/// credentials the sender may not claim. Other levels are kept for the
/// socket's family.
pub(super) fn read_control(ctx: &TrapContext, addr: u64, len: u64) -> Result<Control> {
    let mut out = Control::default();
    if len == 0 {
        return Ok(out);
    }
    if len > OPTMEM_MAX {
        return Err(Errno::ENOBUFS);
    }
    let mut buf = vec![0u8; len as usize];
    ctx.read_user(addr, &mut buf)?;
    let mut off = 0usize;
    while off + CMSG_HDR <= buf.len() {
        let Cmsghdr {
            cmsg_len,
            cmsg_level: level,
            cmsg_type: ty,
        } = from_bytes(&buf[off..]).ok_or(Errno::EINVAL)?;
        if cmsg_len < CMSG_HDR as u64 || cmsg_len > (buf.len() - off) as u64 {
            return Err(Errno::EINVAL);
        }
        let cmsg_len = cmsg_len as usize;
        let data = &buf[off + CMSG_HDR..off + cmsg_len];
        if level == SOL_SOCKET {
            match ty {
                SCM_RIGHTS => rights(ctx, data, &mut out.files)?,
                SCM_CREDENTIALS => {
                    if data.len() != size_of::<abi::Ucred>() {
                        return Err(Errno::EINVAL);
                    }
                    let c: abi::Ucred = from_bytes(data).ok_or(Errno::EINVAL)?;
                    out.creds = Some(check_creds(ctx, Ucred::from_abi(c))?);
                }
                _ => return Err(Errno::EINVAL),
            }
        } else {
            out.proto.push(Cmsg {
                level,
                ty,
                data: data.to_vec(),
            });
        }
        off += cmsg_align(cmsg_len);
    }
    Ok(out)
}

/// Adds the files of an SCM_RIGHTS array of ints.
fn rights(ctx: &TrapContext, data: &[u8], files: &mut Vec<Arc<File>>) -> Result<()> {
    let n = data.len() / size_of::<i32>();
    if files.len() + n > SCM_MAX_FD {
        return Err(Errno::EINVAL);
    }
    let table = ctx.task.files();
    let table = table.borrow();
    for fd in data
        .chunks_exact(size_of::<i32>())
        .filter_map(from_bytes::<i32>)
    {
        files.push(table.get(fd)?);
    }
    Ok(())
}

/// Checks the ids of an SCM_CREDENTIALS message, as Linux's
/// `scm_check_creds`: the sender's own process id (in its PID namespace)
/// and one of its user and group ids, unless it has CAP_SYS_ADMIN,
/// CAP_SETUID and CAP_SETGID respectively; -1 is EINVAL. Returns them with
/// the pid as a global id: ESRCH where the sender's namespace has no such
/// pid (`find_get_pid` in `__scm_send`).
fn check_creds(ctx: &TrapContext, c: Ucred) -> Result<Ucred> {
    if c.uid == u32::MAX || c.gid == u32::MAX {
        return Err(Errno::EINVAL);
    }
    let cred = ctx.task.process.cred.borrow().clone();
    use arch::abi::capability::{CAP_SETGID, CAP_SETUID, CAP_SYS_ADMIN};
    let me = &ctx.task.process;
    let pid_ok = c.pid == me.vpid() || cred.capable(CAP_SYS_ADMIN);
    let uid_ok = [cred.uid, cred.euid, cred.suid].contains(&c.uid) || cred.capable(CAP_SETUID);
    let gid_ok = [cred.gid, cred.egid, cred.sgid].contains(&c.gid) || cred.capable(CAP_SETGID);
    if !(pid_ok && uid_ok && gid_ok) {
        return Err(Errno::EPERM);
    }
    let pid = (c.pid > 0)
        .then(|| me.global(c.pid))
        .flatten()
        .filter(|&g| crate::task::find_task(g).is_some() || crate::task::find_process(g).is_some())
        .ok_or(Errno::ESRCH)?;
    Ok(Ucred { pid, ..c })
}

/// The control buffer of recvmsg being filled.
pub(super) struct ControlOut {
    addr: u64,
    room: usize,
    /// The bytes written (the msg_controllen reported back).
    pub used: usize,
    /// MSG_CTRUNC: something did not fit.
    pub truncated: bool,
}

impl ControlOut {
    pub(super) fn new(addr: u64, len: u64) -> ControlOut {
        ControlOut {
            addr,
            room: if addr == 0 {
                0
            } else {
                usize::try_from(len).unwrap_or(usize::MAX)
            },
            used: 0,
            truncated: false,
        }
    }

    fn advance(&mut self, len: usize) {
        let n = cmsg_align(len).min(self.room);
        self.addr = self.addr.wrapping_add(n as u64);
        self.room -= n;
        self.used += n;
    }

    fn header(len: usize, level: i32, ty: i32) -> Cmsghdr {
        Cmsghdr {
            cmsg_len: len as u64,
            cmsg_level: level,
            cmsg_type: ty,
        }
    }

    /// Appends one message, cut (MSG_CTRUNC) if the room ends;
    /// as Linux, a fault leaves the buffer as it was.
    pub(super) fn put(&mut self, ctx: &TrapContext, level: i32, ty: i32, data: &[u8]) {
        if self.room < CMSG_HDR {
            self.truncated = true;
            return;
        }
        let mut len = CMSG_HDR + data.len();
        if self.room < len {
            self.truncated = true;
            len = self.room;
        }
        let mut bytes = as_bytes(&Self::header(len, level, ty)).to_vec();
        bytes.extend_from_slice(&data[..len - CMSG_HDR]);
        if ctx.write_user(self.addr, &bytes).is_ok() {
            self.advance(CMSG_HDR + data.len());
        }
    }

    /// Installs as many of `files` as fit (and the table takes) as new
    /// descriptors in an SCM_RIGHTS message; the others are closed and the
    /// message marked MSG_CTRUNC (Linux's `scm_detach_fds`).
    pub(super) fn put_rights(&mut self, ctx: &TrapContext, files: Vec<Arc<File>>, cloexec: bool) {
        if files.is_empty() {
            return;
        }
        let fit = self.room.saturating_sub(CMSG_HDR) / size_of::<i32>();
        let table = ctx.task.files();
        let data = UserPtr::<i32>::new(self.addr.wrapping_add(CMSG_HDR as u64));
        let mut fds: Vec<i32> = Vec::new();
        for f in files.iter().take(fit) {
            let Ok(fd) = table
                .borrow_mut()
                .alloc(f.clone(), cloexec, ctx.task.process.nofile())
            else {
                break;
            };
            if data.add(fds.len() as u64).write(ctx, &fd).is_err() {
                let _ = table.borrow_mut().close(fd);
                break;
            }
            fds.push(fd);
        }
        if !fds.is_empty() {
            let len = CMSG_HDR + size_of::<i32>() * fds.len();
            if UserPtr::new(self.addr)
                .write(ctx, &Self::header(len, SOL_SOCKET, SCM_RIGHTS))
                .is_ok()
            {
                self.advance(len);
            }
        }
        if fds.len() < files.len() {
            self.truncated = true;
        }
        // The files that did not fit are dropped here, outside every lock.
        drop(files);
    }
}
