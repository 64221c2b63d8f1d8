//! /proc/sys (sysctl): the kernel, fs and vm settings programs read. The host
//! name is writable (as sethostname(2)); vm.overcommit_memory (0, 1, 2),
//! overcommit_ratio, overcommit_kbytes and the reserves are root's to set
//! and `mm::commit` enforces them; root may set the inotify, epoll and pipe-user-pages
//! limits; the rest are read-only facts of this kernel.

use super::node::Node;
use super::tree::{named, Tree};
use arch::Errno;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// kernel.tainted: Linux's taint flags; root may add flags, never clear.
static TAINTED: AtomicU64 = AtomicU64::new(0);

/// Returns a random UUID (version 4) in its text form.
fn uuid() -> String {
    let mut b = [0u8; 16];
    arch::host::random::getrandom(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}\n",
        h[..4].concat(),
        h[4..6].concat(),
        h[6..8].concat(),
        h[8..10].concat(),
        h[10..].concat()
    )
}

/// Returns `EACCES` unless the caller is root: sysctl files are root's to
/// write (the VFS checks no permission bits yet). Linux's sysctl check
/// also goes by the effective uid, not by a capability.
pub(super) fn root_only() -> Result<(), Errno> {
    match crate::task::current() {
        Some(t) if t.process.cred.borrow().euid != 0 => Err(Errno::EACCES),
        _ => Ok(()),
    }
}

/// Returns the text written to a sysctl file without its newline.
fn value(data: &[u8]) -> &[u8] {
    data.strip_suffix(b"\n").unwrap_or(data)
}

/// kernel.hostname (`domain`: kernel.domainname) of the reader's or
/// writer's UTS namespace, as sethostname(2) and setdomainname(2).
fn uts_name(t: &mut Tree, domain: bool) -> Node {
    let n = t.file(move || {
        let ns = crate::uts::current();
        let field = if domain { &ns.domainname } else { &ns.nodename };
        Ok(format!("{}\n", field.borrow().as_str()).into_bytes())
    });
    n.with_mode(0o644)
        .writable(move |data| {
            let task = crate::task::current().ok_or(Errno::EPERM)?;
            crate::uts::set_name(&task, domain, value(data))
        })
        .watching(
            || u64::from(crate::uts::NAME_EVENTS.load(Ordering::Relaxed)),
            crate::uts::names_wait,
        )
}

/// kernel.pid_max: root may set it from 301 to PID_MAX_LIMIT (EINVAL
/// otherwise); pids already given out stay.
fn pid_max(t: &mut Tree) -> Node {
    use crate::task::{PID_MAX, PID_MAX_LIMIT};
    let n = t.file(|| Ok(format!("{}\n", PID_MAX.load(Ordering::Relaxed)).into_bytes()));
    n.with_mode(0o644).writable(|data| {
        root_only()?;
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        match s.trim().parse::<i32>() {
            Ok(v @ 301..=PID_MAX_LIMIT) => {
                PID_MAX.store(v, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    })
}

/// Returns a vm.overcommit_* file showing `v`, which root may set to a
/// number in `range` (`EINVAL` otherwise); `clears`, when set, is the other
/// of overcommit_ratio and overcommit_kbytes, which Linux zeroes (the
/// kbytes one) or leaves unused when this one is written.
fn overcommit(
    t: &mut Tree,
    v: &'static AtomicU64,
    range: std::ops::RangeInclusive<u64>,
    clears: Option<&'static AtomicU64>,
) -> Node {
    let n = t.file(move || Ok(format!("{}\n", v.load(Ordering::Relaxed)).into_bytes()));
    n.with_mode(0o644).writable(move |data| {
        root_only()?;
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        match s.trim().parse::<u64>() {
            Ok(n) if range.contains(&n) => {
                v.store(n, Ordering::Relaxed);
                if let Some(other) = clears {
                    other.store(0, Ordering::Relaxed);
                }
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    })
}

/// vm.memfd_noexec: 0, 1 or 2 (`crate::memfd::MEMFD_NOEXEC`); writing it
/// needs CAP_SYS_ADMIN (EPERM) beyond the sysctl file's own check.
fn memfd_noexec(t: &mut Tree) -> Node {
    use crate::memfd::MEMFD_NOEXEC;
    let n = t.file(|| Ok(format!("{}\n", MEMFD_NOEXEC.load(Ordering::Relaxed)).into_bytes()));
    n.with_mode(0o644).writable(|data| {
        root_only()?;
        if !crate::capability::capable(arch::abi::capability::CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        match s.trim().parse::<u32>() {
            Ok(v @ 0..=2) => {
                MEMFD_NOEXEC.store(v, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    })
}

/// kernel.core_pattern: what root writes, up to Linux's CORENAME_MAX_SIZE
/// less one bytes, without its newline (see `crate::coredump`).
fn core_pattern(t: &mut Tree) -> Node {
    use crate::coredump::{CORENAME_MAX_SIZE, CORE_PATTERN};
    let n = t.file(|| {
        let mut p = crate::coredump::core_pattern();
        p.push(b'\n');
        Ok(p)
    });
    n.with_mode(0o644).writable(|data| {
        root_only()?;
        let v = value(data);
        *CORE_PATTERN.borrow_mut() = v[..v.len().min(CORENAME_MAX_SIZE - 1)].to_vec();
        Ok(())
    })
}

/// kernel.core_uses_pid: 0 or 1, any other number counting as 1.
fn core_uses_pid(t: &mut Tree) -> Node {
    use crate::coredump::CORE_USES_PID;
    let n =
        t.file(|| Ok(format!("{}\n", CORE_USES_PID.load(Ordering::Relaxed) as u8).into_bytes()));
    n.with_mode(0o644).writable(|data| {
        root_only()?;
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        let v = s.trim().parse::<i64>().map_err(|_| Errno::EINVAL)?;
        CORE_USES_PID.store(v != 0, Ordering::Relaxed);
        Ok(())
    })
}

/// Returns a file showing the limit `v`, which root may set to a positive
/// number that fits an int (`EINVAL` otherwise), as the inotify limits.
fn limit(t: &mut Tree, v: &'static AtomicU32) -> Node {
    let n = t.file(move || Ok(format!("{}\n", v.load(Ordering::Relaxed)).into_bytes()));
    n.with_mode(0o644).writable(move |data| {
        root_only()?;
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        match s.trim().parse::<u32>() {
            Ok(n @ 1..=0x7fff_ffff) => {
                v.store(n, Ordering::Relaxed);
                Ok(())
            }
            _ => Err(Errno::EINVAL),
        }
    })
}

/// Returns a file showing the count `v`, which root may set to any number,
/// as the pipe-user-pages limits (0: no limit) and max_user_watches.
fn pages_limit(t: &mut Tree, v: &'static AtomicU64) -> Node {
    let n = t.file(move || Ok(format!("{}\n", v.load(Ordering::Relaxed)).into_bytes()));
    n.with_mode(0o644).writable(move |data| {
        root_only()?;
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        let n = s.trim().parse::<u64>().map_err(|_| Errno::EINVAL)?;
        v.store(n, Ordering::Relaxed);
        Ok(())
    })
}

/// kernel.tainted: writing ORs flags in (CAP_SYS_ADMIN, EPERM otherwise).
fn tainted(t: &mut Tree) -> Node {
    let n = t.file(|| Ok(format!("{}\n", TAINTED.load(Ordering::Relaxed)).into_bytes()));
    n.with_mode(0o644).writable(|data| {
        if !crate::capability::capable(arch::abi::capability::CAP_SYS_ADMIN) {
            return Err(Errno::EPERM);
        }
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        let v = s.trim().parse::<u64>().map_err(|_| Errno::EINVAL)?;
        TAINTED.fetch_or(v, Ordering::Relaxed);
        Ok(())
    })
}

/// vm.drop_caches (write only, root's): 1 and 3 give back the clean page
/// cache nothing maps; 2 (Linux's slab caches) has nothing more to drop
/// here; 4 silences the log line; other values are EINVAL.
fn drop_caches(t: &mut Tree) -> Node {
    static QUIET: AtomicU32 = AtomicU32::new(0);
    // Root reads no sysctl its mode does not let the owner read.
    let n = t.file(|| Err(Errno::EACCES));
    n.with_mode(0o200).writable(|data| {
        root_only()?;
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        let v = match s.trim().parse::<u32>() {
            Ok(v @ 1..=4) => v,
            _ => return Err(Errno::EINVAL),
        };
        if v & 1 != 0 {
            mm::Shrinker::shrink(&crate::filemap::CacheShrinker);
        }
        if QUIET.load(Ordering::Relaxed) == 0 {
            if let Some(me) = crate::task::current() {
                let comm = String::from_utf8_lossy(&me.process.comm.borrow()).into_owned();
                log::info!("{comm} ({}): drop_caches: {v}", me.process.pid);
            }
        }
        QUIET.fetch_or(v & 4, Ordering::Relaxed);
        Ok(())
    })
}

/// Returns /proc/sys/kernel/yama.
fn yama(t: &mut Tree) -> Node {
    use crate::ptrace::yama;
    let n = t.file(|| Ok(yama::scope_text()));
    let scope = n.with_mode(0o644).writable(|data| {
        let s = std::str::from_utf8(value(data)).map_err(|_| Errno::EINVAL)?;
        yama::set_scope(s)
    });
    t.dir(vec![named("ptrace_scope", scope)])
}

/// Returns /proc/sys/fs/inotify.
fn inotify(t: &mut Tree) -> Node {
    use crate::inotify::{MAX_QUEUED_EVENTS, MAX_USER_INSTANCES, MAX_USER_WATCHES};
    let files = vec![
        named("max_queued_events", limit(t, &MAX_QUEUED_EVENTS)),
        named("max_user_instances", limit(t, &MAX_USER_INSTANCES)),
        named("max_user_watches", limit(t, &MAX_USER_WATCHES)),
    ];
    t.dir(files)
}

/// kernel.shmmax and the other System V IPC limits of the reader's or
/// writer's IPC namespace (`crate::ipc::proc`).
fn ipc_limit(t: &mut Tree, name: &'static str) -> Node {
    let n = t.file(move || crate::ipc::proc::read_limit(name));
    n.with_mode(0o644).writable(move |data| {
        root_only()?;
        crate::ipc::proc::write_limit(name, value(data))
    })
}

/// Returns /proc/sys/fs/mqueue: the POSIX message queue limits of the
/// reader's or writer's IPC namespace.
fn mqueue(t: &mut Tree) -> Node {
    let files = crate::ipc::proc::MQ_SYSCTLS
        .iter()
        .map(|&name| {
            let n = t.file(move || crate::ipc::proc::read_mq_limit(name));
            let n = n.with_mode(0o644).writable(move |data| {
                root_only()?;
                crate::ipc::proc::write_mq_limit(name, value(data))
            });
            named(name, n)
        })
        .collect();
    t.dir(files)
}

/// Returns the /proc/sys directory.
pub fn sys(t: &mut Tree) -> Node {
    let boot_id = uuid();
    let random = vec![
        named("boot_id", t.text(boot_id)),
        named("entropy_avail", t.text("256\n")),
        named("poolsize", t.text("256\n")),
        named("uuid", t.file(|| Ok(uuid().into_bytes()))),
    ];
    let random = t.dir(random);
    let mut kernel = vec![
        named("cap_last_cap", t.text("40\n")),
        named("core_pattern", core_pattern(t)),
        named("core_uses_pid", core_uses_pid(t)),
        named("domainname", uts_name(t, true)),
        named("hostname", uts_name(t, false)),
        named("ngroups_max", t.text("65536\n")),
        named(
            "osrelease",
            t.text(format!("{}\n", crate::syscall::RELEASE)),
        ),
        named("ostype", t.text("Linux\n")),
        named("pid_max", pid_max(t)),
        named(
            "ns_last_pid",
            t.file(|| Ok(format!("{}\n", crate::pid_ns::current().last_pid()).into_bytes())),
        ),
        named("tainted", tainted(t)),
        named("random", random),
        named(
            "threads-max",
            t.text(format!("{}\n", crate::task::limits::max_threads())),
        ),
        named(
            "version",
            t.text(format!("#1 SMP {}\n", env!("CARGO_PKG_VERSION"))),
        ),
        named("yama", yama(t)),
    ];
    for &name in crate::ipc::proc::SYSCTLS {
        kernel.push(named(name, ipc_limit(t, name)));
    }
    kernel.sort_by(|a, b| a.0.cmp(&b.0));
    let binfmt_misc = t.dir(Vec::new());
    let epoll = vec![named(
        "max_user_watches",
        pages_limit(t, &crate::epoll::watches::MAX_USER_WATCHES),
    )];
    let fs = vec![
        named("binfmt_misc", binfmt_misc),
        named("epoll", t.dir(epoll)),
        named("file-max", t.text("9223372036854775807\n")),
        named("inotify", inotify(t)),
        named("mqueue", mqueue(t)),
        named("nr_open", t.text("1048576\n")),
        named(
            "pipe-max-size",
            t.text(format!("{}\n", crate::pipe::MAX_SIZE)),
        ),
        named(
            "pipe-user-pages-hard",
            pages_limit(t, &crate::pipe::PIPE_USER_PAGES_HARD),
        ),
        named(
            "pipe-user-pages-soft",
            pages_limit(t, &crate::pipe::PIPE_USER_PAGES_SOFT),
        ),
    ];
    use mm::commit::*;
    const MAX: u64 = i64::MAX as u64;
    let vm = vec![
        named(
            "admin_reserve_kbytes",
            overcommit(t, &ADMIN_RESERVE_KBYTES, 0..=MAX, None),
        ),
        named("drop_caches", drop_caches(t)),
        named("max_map_count", t.text("65530\n")),
        named("memfd_noexec", memfd_noexec(t)),
        named(
            "overcommit_kbytes",
            overcommit(t, &OVERCOMMIT_KBYTES, 0..=MAX, Some(&OVERCOMMIT_RATIO)),
        ),
        named(
            "overcommit_memory",
            overcommit(t, &OVERCOMMIT_MEMORY, 0..=2, None),
        ),
        named(
            "overcommit_ratio",
            overcommit(t, &OVERCOMMIT_RATIO, 0..=MAX, Some(&OVERCOMMIT_KBYTES)),
        ),
        named(
            "user_reserve_kbytes",
            overcommit(t, &USER_RESERVE_KBYTES, 0..=MAX, None),
        ),
        named("swappiness", t.text("60\n")),
    ];
    let dirs = vec![
        named("fs", t.dir(fs)),
        named("kernel", t.dir(kernel)),
        named("net", super::sysnet::net(t)),
        named("vm", t.dir(vm)),
    ];
    t.dir(dirs)
}
