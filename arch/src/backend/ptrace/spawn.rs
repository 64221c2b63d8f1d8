//! Starting a stub, the ptrace backend's `spawn`: fork, trace, exec the stub
//! image from a sealed memfd, and run its start-up code, which maps the data page
//! and clears the address space.

use super::{errno_from_host, xstate, Stub, StubHandle};
use crate::abi::errno::{Errno, Result};
use crate::abi::regs::UserRegs;
use crate::backend::{Backend, GuestCpu};
use crate::physmem::PhysMem;
use nix::errno::Errno as HostErrno;
use nix::fcntl::{fcntl, FcntlArg, SealFlag};
use nix::sys::memfd::{memfd_create, MFdFlags};
use nix::sys::ptrace;
use nix::sys::signal::{self, Signal};
use nix::sys::wait::{waitpid, WaitPidFlag};
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

/// The ptrace backend: starts a stub for every guest CPU from the stub program,
/// kept in a sealed memfd.
pub struct PtraceBackend {
    /// A read-only descriptor of the sealed memfd holding the stub program.
    image: OwnedFd,
}

impl PtraceBackend {
    /// Stores the stub program `elf` (built by build.rs) in a sealed memfd from
    /// which every stub is executed.
    pub fn new(elf: &[u8]) -> std::io::Result<PtraceBackend> {
        let fd = memfd_create(
            c"linux-stub",
            MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING,
        )?;
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
        Ok(PtraceBackend {
            image: OwnedFd::from(ro),
        })
    }
}

impl Backend for PtraceBackend {
    fn spawn(&self, physmem: &Arc<PhysMem>, data: u64) -> Result<Box<dyn GuestCpu>> {
        let mut stub = Stub::spawn(self.image.as_raw_fd(), physmem.clone(), data)?;
        stub.xstate_size = xstate::probe(&stub)?;
        Ok(Box::new(stub))
    }
}

impl Stub {
    /// Starts a stub from the program in `image`, traced by the calling thread, with
    /// its data page at physical address `data` (a frame the caller owns for the
    /// stub's lifetime).
    fn spawn(image: i32, physmem: Arc<PhysMem>, data: u64) -> Result<Stub> {
        let argv: [*const libc::c_char; 2] = [c"linux-stub".as_ptr(), std::ptr::null()];
        let envp: [*const libc::c_char; 1] = [std::ptr::null()];
        let physmem_fd = physmem.raw_fd();
        // SAFETY: fork duplicates only this thread. The child calls nothing but
        // async-signal-safe system calls (no allocation, no locks) before execveat or
        // _exit; argv/envp were prepared before the fork.
        let pid = unsafe { libc::fork() };
        if pid < 0 {
            return Err(errno_from_host(HostErrno::last()));
        }
        if pid == 0 {
            // SAFETY: see above; every call is a plain system call on valid arguments.
            unsafe { child(physmem_fd, image, &argv, &envp) }
        }
        let mut stub = Stub {
            pid,
            handle: Arc::new(StubHandle::new(pid)),
            physmem,
            data,
            template: UserRegs::default(),
            xstate_size: 0,
            pending: Vec::new(),
            kicked: false,
        };
        // The child stops with SIGTRAP after its execveat.
        match stub.wait_stop() {
            Some(libc::SIGTRAP) => {}
            other => {
                log::error!("stub {pid} did not start (stop {other:?})");
                return Err(Errno::EIO);
            }
        }
        let options = ptrace::Options::PTRACE_O_EXITKILL | ptrace::Options::PTRACE_O_TRACESYSGOOD;
        ptrace::setoptions(Pid::from_raw(pid), options).map_err(errno_from_host)?;
        stub.template = stub.get_regs()?;
        let start = UserRegs {
            rdi: data,
            orig_rax: u64::MAX,
            ..stub.template
        };
        let regs = stub.run_stub_code(&start)?;
        if regs.rax != 0 {
            log::error!(
                "stub {pid}: start-up failed: host errno {}",
                -(regs.rax as i64)
            );
            return Err(Errno::EIO);
        }
        Ok(stub)
    }
}

/// The child side of `Stub::spawn`; never returns.
///
/// # Safety
///
/// Must only be called in the child of a fork, with `argv`/`envp` NULL-terminated
/// arrays of pointers to NUL-terminated strings.
unsafe fn child(
    physmem_fd: i32,
    image: i32,
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
        if physmem_fd == 3 {
            libc::fcntl(3, libc::F_SETFD, 0);
        } else if libc::dup2(physmem_fd, 3) < 0 {
            libc::_exit(126);
        }
        // Every other descriptor closes at exec (the image fd is close-on-exec too,
        // which execveat of an ELF file permits).
        libc::syscall(
            libc::SYS_close_range,
            4u32,
            u32::MAX,
            libc::CLOSE_RANGE_CLOEXEC,
        );
        if libc::ptrace(libc::PTRACE_TRACEME, 0, 0, 0) < 0 {
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

/// Kills a stub and reaps it.
pub(super) fn kill_and_reap(pid: libc::pid_t) {
    // pid is a child of this process that has not been reaped yet (only this
    // function reaps stubs), so the pid cannot have been reused.
    let pid = Pid::from_raw(pid);
    let _ = signal::kill(pid, Signal::SIGKILL);
    while waitpid(pid, Some(WaitPidFlag::__WALL)) == Err(HostErrno::EINTR) {}
}
