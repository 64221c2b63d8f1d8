//! What both backends' stubs share as host processes: the sealed memfd they
//! are executed from, their start (fork, the descriptors they get, execveat),
//! their end (kill and reap), the system calls that carry mapping changes,
//! and host errnos turned into the kernel's.

use crate::abi::errno::{Errno, Result};
use crate::backend::ptrace::layout::{
    StubRequest, MAP_SHARED_FIXED, PHYSMEM_FD, SYS_MMAP, SYS_MPROTECT, SYS_MUNMAP,
};
use crate::backend::MapOp;
use crate::sync::Mutex;
use nix::errno::Errno as HostErrno;
use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MFdFlags};
use nix::sys::signal::{self, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, OwnedFd};

/// Stores the stub program `elf` in a sealed memfd and returns a read-only
/// descriptor of it, from which stubs are executed.
pub(super) fn sealed_image(name: &std::ffi::CStr, elf: &[u8]) -> std::io::Result<OwnedFd> {
    let fd = memfd_create(name, MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING)?;
    let mut file = std::fs::File::from(fd);
    std::io::Write::write_all(&mut file, elf)?;
    let fd = OwnedFd::from(file);
    let seals = SealFlag::F_SEAL_SEAL
        | SealFlag::F_SEAL_SHRINK
        | SealFlag::F_SEAL_GROW
        | SealFlag::F_SEAL_WRITE;
    fcntl(&fd, FcntlArg::F_ADD_SEALS(seals))?;
    // A descriptor open for writing would make exec fail with ETXTBSY: keep only
    // a read-only one.
    let path = format!("/proc/self/fd/{}", fd.as_raw_fd());
    let ro = std::fs::File::open(path)?;
    drop(fd);
    Ok(OwnedFd::from(ro))
}

/// What the child of `fork_stub` needs, prepared before the clone.
struct SpawnArgs {
    fds: [i32; 8],
    n: usize,
    image: i32,
    traced: bool,
    argv: [*const libc::c_char; 2],
    envp: [*const libc::c_char; 1],
}

/// Starts a stub executing `image`, with `fds[i]` as its descriptor 3 + i and
/// no other; traced by the calling thread if `traced`. Returns its pid.
///
/// The child shares this process's memory until its exec (a vfork: the host
/// copies no page tables of the kernel's large address space, and this thread
/// waits meanwhile), on a stack of its own.
pub(super) fn fork_stub(image: i32, fds: &[i32], traced: bool) -> Result<libc::pid_t> {
    assert!(fds.len() <= 8, "a stub gets a few descriptors");
    let mut args = SpawnArgs {
        fds: [0; 8],
        n: fds.len(),
        image,
        traced,
        argv: [c"linux-stub".as_ptr(), std::ptr::null()],
        envp: [std::ptr::null()],
    };
    args.fds[..fds.len()].copy_from_slice(fds);
    let mut stack = vec![0u8; 64 * 1024];
    let top = (stack.as_mut_ptr() as usize + stack.len()) & !15;
    // SAFETY: the child runs `child_main` on its own stack (`stack`, which
    // outlives it: this thread is suspended until the child execs or exits),
    // reads only `args` and makes async-signal-safe system calls.
    let pid = unsafe {
        libc::clone(
            child_main,
            top as *mut libc::c_void,
            libc::CLONE_VM | libc::CLONE_VFORK | libc::SIGCHLD,
            (&mut args as *mut SpawnArgs).cast(),
        )
    };
    drop(stack);
    if pid < 0 {
        return Err(errno_from_host(HostErrno::last()));
    }
    Ok(pid)
}

extern "C" fn child_main(arg: *mut libc::c_void) -> libc::c_int {
    // SAFETY: `arg` is the SpawnArgs `fork_stub` prepared, alive until the
    // child execs (the parent waits).
    let a = unsafe { &*(arg as *const SpawnArgs) };
    // SAFETY: called in the child, with the prepared NULL-terminated arrays.
    unsafe { child(&a.fds[..a.n], a.image, a.traced, &a.argv, &a.envp) }
}

/// The child side of `fork_stub`; never returns.
///
/// # Safety
///
/// Must only be called in the child of `fork_stub`, with `argv`/`envp` NULL-terminated
/// arrays of pointers to NUL-terminated strings.
unsafe fn child(
    fds: &[i32],
    image: i32,
    traced: bool,
    argv: &[*const libc::c_char; 2],
    envp: &[*const libc::c_char; 1],
) -> ! {
    // Raw libc, not nix: after a fork of a threaded process only async-signal-safe
    // calls are allowed, and nix's exec wrappers allocate their argument arrays.
    // SAFETY: plain system calls on valid arguments; see the caller's comment.
    unsafe {
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        // Keep terminal signals (Ctrl-C) for the kernel; stubs have none of their own.
        libc::setpgid(0, 0);
        // Stubs sit at a fixed address; keep the host's stack out of its way.
        libc::personality(libc::ADDR_NO_RANDOMIZE as libc::c_ulong);
        let set: libc::sigset_t = std::mem::zeroed();
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
        // Out of the way first (a source, or the image, may be another's
        // target), then in place.
        let image = libc::fcntl(image, libc::F_DUPFD_CLOEXEC, 64);
        let mut high = [0i32; 8];
        for (i, &fd) in fds.iter().enumerate() {
            high[i] = libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 64);
            if high[i] < 0 {
                libc::_exit(126);
            }
        }
        for (i, &fd) in high[..fds.len()].iter().enumerate() {
            if libc::dup2(fd, 3 + i as i32) < 0 {
                libc::_exit(126);
            }
        }
        // Every other descriptor closes at exec (the image fd is close-on-exec too,
        // which execveat of an ELF file permits).
        libc::syscall(
            libc::SYS_close_range,
            3 + fds.len() as u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        if traced && libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) < 0 {
            libc::_exit(125);
        }
        libc::syscall(
            libc::SYS_execveat,
            image,
            c"".as_ptr(),
            argv.as_ptr(),
            envp.as_ptr(),
            libc::AT_EMPTY_PATH,
        );
        libc::_exit(127)
    }
}

/// A stub's host pid as its shared handle holds it: forgotten before the stub
/// is reaped, so a handle that outlives its stub never reaches a process that
/// reused the pid.
pub(super) struct StubPid(Mutex<libc::pid_t>);

impl StubPid {
    pub(super) fn new(pid: libc::pid_t) -> Self {
        StubPid(Mutex::new(pid))
    }

    /// Forgets the stub, which is about to be reaped; waits for users of its pid.
    pub(super) fn detach(&self) {
        *self.0.lock() = 0;
    }

    /// Runs `f` with the live stub's pid, which stays unreaped meanwhile; does
    /// nothing once it is gone.
    pub(super) fn with<R: Default>(&self, f: impl FnOnce(libc::pid_t) -> R) -> R {
        let pid = self.0.lock();
        if *pid > 0 {
            f(*pid)
        } else {
            R::default()
        }
    }
}

/// Kills a stub and reaps it.
pub(super) fn kill_and_reap(pid: libc::pid_t) {
    // pid is a child of this process that has not been reaped yet (only this
    // function reaps stubs), so the pid cannot have been reused.
    let pid = Pid::from_raw(pid);
    let _ = signal::kill(pid, Signal::SIGKILL);
    while waitpid(pid, Some(WaitPidFlag::__WALL)) == Err(HostErrno::EINTR) {}
}

/// Kills and reaps the stub `pid` on a thread of its own: a host process
/// with many mappings takes long to tear down, which its kernel thread need
/// not wait for. No code of the stub runs meanwhile: its last guest thread
/// is stopped in the handler (signals blocked, waiting for a reply that
/// does not come) and its mapper runs nothing but the kernel's batches.
pub(super) fn kill_and_reap_later(pid: libc::pid_t) {
    static REAPER: std::sync::OnceLock<std::sync::mpsc::Sender<libc::pid_t>> =
        std::sync::OnceLock::new();
    let tx = REAPER.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel::<libc::pid_t>();
        let spawned = std::thread::Builder::new()
            .name("stub-reaper".into())
            .spawn(move || {
                for pid in rx {
                    kill_and_reap(pid);
                }
            });
        if let Err(e) = spawned {
            log::warn!("no thread to reap stubs: {e}");
        }
        tx
    });
    if let Err(std::sync::mpsc::SendError(pid)) = tx.send(pid) {
        kill_and_reap(pid);
    }
}

/// Returns whether the stub `pid` (a child not yet reaped) has ended, without
/// reaping it.
pub(super) fn has_ended(pid: libc::pid_t) -> bool {
    ended(pid).is_some()
}

/// Describes how the stub `pid` ended (a stub that fails to start exits with
/// the errno of the call that failed); None while it lives.
pub(super) fn exit_reason(pid: libc::pid_t) -> Option<String> {
    let info = ended(pid)?;
    // SAFETY: the host filled in a child's exit status (waitid's CLD_* info).
    let status = unsafe { info.si_status() };
    Some(match info.si_code {
        libc::CLD_EXITED => format!("a start-up call failed with host errno {status}"),
        _ => format!("killed by signal {status}"),
    })
}

/// Returns the status of the stub `pid` (a child not yet reaped) if it has
/// ended, without reaping it.
fn ended(pid: libc::pid_t) -> Option<libc::siginfo_t> {
    // SAFETY: waitid with WNOWAIT only reports on our own child; info is a
    // valid out structure.
    unsafe {
        let mut info: libc::siginfo_t = std::mem::zeroed();
        let r = libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOHANG | libc::WNOWAIT | libc::__WALL,
        );
        (r < 0 || info.si_pid() != 0).then_some(info)
    }
}

/// Returns the system call a stub makes for `op`.
pub(super) fn request(op: &MapOp) -> StubRequest {
    let (nr, args) = match *op {
        MapOp::Map {
            vaddr,
            len,
            paddr,
            prot,
        } => (
            SYS_MMAP,
            [vaddr, len, prot as u64, MAP_SHARED_FIXED, PHYSMEM_FD, paddr],
        ),
        MapOp::Unmap { vaddr, len } => (SYS_MUNMAP, [vaddr, len, 0, 0, 0, 0]),
        MapOp::Protect { vaddr, len, prot } => (SYS_MPROTECT, [vaddr, len, prot as u64, 0, 0, 0]),
        // The CPU's HostTlb turns these into exact protections; unfiltered,
        // read-only is safe (an execute faults once more).
        MapOp::WriteProtect { vaddr, len } => (SYS_MPROTECT, [vaddr, len, 1, 0, 0, 0]),
    };
    StubRequest { nr, args }
}

/// Converts a host errno to ours; values a stub should never see become EIO.
pub(super) fn errno_from_host(e: HostErrno) -> Errno {
    match e {
        HostErrno::ENOMEM => Errno::ENOMEM,
        HostErrno::EINVAL => Errno::EINVAL,
        HostErrno::EFAULT => Errno::EFAULT,
        HostErrno::EPERM => Errno::EPERM,
        HostErrno::EACCES => Errno::EACCES,
        HostErrno::EAGAIN => Errno::EAGAIN,
        _ => Errno::EIO,
    }
}

/// Returns how many live threads the host counts in the stub `pid` (0 if it
/// cannot tell): its threads, less its first if that one ended (a thread
/// group's leader stays, a zombie, while others run).
pub(super) fn host_threads(pid: libc::pid_t) -> usize {
    // /proc/PID/stat: the leader's state, then 17 fields on, the count of
    // threads, both after the command's ")".
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let Some(at) = stat.rfind(')') else {
        return 0;
    };
    let fields: Vec<&str> = stat[at + 1..].split_whitespace().collect();
    let (Some(state), Some(Ok(n))) = (fields.first(), fields.get(17).map(|f| f.parse::<usize>()))
    else {
        return 0;
    };
    let leader_gone = matches!(*state, "Z" | "X");
    n - leader_gone as usize
}
