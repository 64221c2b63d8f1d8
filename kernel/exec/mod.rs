//! execve: replace the calling process's program. The new address space is built
//! completely before the point of no return, so a failing exec leaves the caller
//! running; after it, the guest CPU drops every old mapping, registers and FPU state
//! start fresh, close-on-exec files close and caught signals reset. Scripts run
//! through the interpreter their `#!` line names. The program and its
//! interpreters need execute permission; a set-user-ID or set-group-ID
//! program changes the effective (and saved) ids, the capability sets change
//! as capabilities(7) says (kernel/capability.rs, with the program's
//! `security.capability`), and the auxiliary vector tells the new program
//! with AT_SECURE (credentials(7), execve(2)).

mod elf;
mod script;
mod stack;

use crate::capability::{self, ExecOutcome, FileCaps};
use crate::sleep::{wait_event, Interruptible};
use crate::task::TrapContext;
use arch::abi::capability::XATTR_NAME_CAPS;
use arch::abi::resource::RLIMIT_STACK;
use arch::backend::{MapOp, TASK_SIZE};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{Access, Credentials, FileType, LookupFlags};
use mm::Mm;
use stack::*;
use std::sync::Arc;

/// How many `#!` scripts may nest: Linux's exec_binprm gives up past six
/// rounds of binary handlers, so five scripts and the ELF program end a chain.
const MAX_SCRIPT_DEPTH: usize = 5;

/// Checks that the strings of an execve fit the room its stack gives them
/// (Linux's bprm_stack_limits): a quarter of RLIMIT_STACK, at most 6 MiB and
/// at least 128 KiB (ARG_MAX), less the pointers to them; E2BIG otherwise.
fn check_arg_room(
    ctx: &TrapContext,
    path: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
) -> Result<()> {
    const ARG_MAX: u64 = 32 * 4096;
    let stack = ctx.task.process.rlimit(RLIMIT_STACK);
    let limit = (6u64 << 20).min(stack / 4).max(ARG_MAX);
    let pointers = ((argv.len().max(1) + envp.len()) * 8) as u64;
    let strings: u64 = argv
        .iter()
        .chain(envp)
        .map(|s| s.len() as u64 + 1)
        .sum::<u64>()
        + path.len() as u64
        + 1;
    if limit <= pointers || strings > limit - pointers {
        return Err(Errno::E2BIG);
    }
    Ok(())
}

/// Runs `path` in the calling task with `argv` and `envp` (execve(2)).
pub fn execve(
    ctx: &mut TrapContext,
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<()> {
    crate::task::limits::may_exec(&ctx.task.process)?;
    check_arg_room(ctx, path, &argv, &envp)?;
    let k = crate::boot::kernel();
    let fsc = ctx.task.fs();
    let file = k
        .vfs
        .lookup(&ctx.cred(), &fsc.root, &fsc.cwd, path, LookupFlags::FOLLOW)?;
    execve_path(ctx, file, path, argv, envp, 0)
}

/// Runs the already resolved `file`, known to the program as `path` (execveat).
pub fn execve_file(
    ctx: &mut TrapContext,
    file: fs::Path,
    path: &[u8],
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<()> {
    crate::task::limits::may_exec(&ctx.task.process)?;
    check_arg_room(ctx, path, &argv, &envp)?;
    execve_path(ctx, file, path, argv, envp, 0)
}

/// Runs the file at `file` (named `path`), following `#!` lines.
fn execve_path(
    ctx: &mut TrapContext,
    file: fs::Path,
    path: &[u8],
    mut argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
    depth: usize,
) -> Result<()> {
    let k = crate::boot::kernel();
    let fsc = ctx.task.fs();
    let cred = ctx.cred();
    let inode = file.inode();
    let st = may_exec(&cred, &file)?;
    if let Some((interp, arg)) = script::parse(&inode)? {
        if depth >= MAX_SCRIPT_DEPTH {
            return Err(Errno::ELOOP);
        }
        // argv becomes: interpreter [arg] path original-argv[1..].
        let mut new_argv = vec![interp.clone()];
        new_argv.extend(arg);
        new_argv.push(path.to_vec());
        new_argv.extend(argv.into_iter().skip(1));
        let ifile = k
            .vfs
            .lookup(&cred, &fsc.root, &fsc.cwd, &interp, LookupFlags::FOLLOW)?;
        return execve_path(ctx, ifile, &interp, new_argv, envp, depth + 1);
    }
    let image = elf::parse(&inode)?;
    let interp_path = elf::interpreter(&inode, &image)?;

    let mut mm = Mm::new(k.frames.clone(), TASK_SIZE);
    mm.set_stack_limit(ctx.task.process.rlimit(RLIMIT_STACK));
    let name = vma_name(&file, &fsc.root);
    let main = elf::load(&mut mm, &inode, &name, &image, false, interp_path.is_some())?;
    let (entry, base) = match &interp_path {
        Some(ip) => {
            let flags = LookupFlags::FOLLOW;
            let ifile = k.vfs.lookup(&cred, &fsc.root, &fsc.cwd, ip, flags)?;
            let iinode = ifile.inode();
            may_exec(&cred, &ifile)?;
            let iname = vma_name(&ifile, &fsc.root);
            let iimage = elf::parse(&iinode)?;
            if elf::interpreter(&iinode, &iimage)?.is_some() {
                return Err(Errno::ELIBBAD);
            }
            let interp = elf::load(&mut mm, &iinode, &iname, &iimage, true, false)?;
            (interp.entry, interp.bias)
        }
        None => (main.entry, 0),
    };
    mm.set_brk_base(main.end);
    if argv.is_empty() {
        // Since Linux 5.18 an empty argv gets an empty argv[0].
        argv.push(Vec::new());
    }
    // no_new_privs: set-user-ID and set-group-ID bits grant nothing, and
    // neither does a nosuid mount, which also hides file capabilities.
    let nnp = ctx
        .task
        .no_new_privs
        .load(std::sync::atomic::Ordering::Relaxed);
    let fcaps = if file.mnt.nosuid() {
        None
    } else {
        file_caps(&inode)?
    };
    let old = ctx.task.process.cred.borrow().clone();
    let (cred, outcome) = exec_cred(&old, &st, file.mnt.nosuid() || nnp, fcaps, nnp)?;
    let secure = outcome.secure;
    // A set-id program, one that gains capabilities, or one the caller may
    // not read, is not dumpable (Linux's begin_new_exec, commit_creds and
    // would_dump): nobody else may look inside.
    let unreadable = fs::permission(&ctx.cred(), &st, Access::READ).is_err();
    let dumpable = !secure && !outcome.gained && !unreadable;
    if secure || outcome.gained {
        // PER_CLEAR_ON_SETID: no address-space tricks for a set-id program.
        let p = &ctx.task.process.personality;
        p.fetch_and(
            !crate::syscall::PER_CLEAR_ON_SETID,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
    let auxv = [
        (AT_HWCAP, arch::host::cpu::hwcap()),
        (AT_PAGESZ, mm::PAGE_SIZE),
        (AT_CLKTCK, 100),
        (AT_PHDR, main.phdr),
        (AT_PHENT, 56),
        (AT_PHNUM, main.phnum),
        (AT_BASE, base),
        (AT_FLAGS, 0),
        (AT_ENTRY, main.entry),
        (AT_UID, cred.uid as u64),
        (AT_EUID, cred.euid as u64),
        (AT_GID, cred.gid as u64),
        (AT_EGID, cred.egid as u64),
        (AT_SECURE, secure as u64),
        (AT_HWCAP2, arch::host::cpu::hwcap2()),
        (AT_MINSIGSTKSZ, arch::host::cpu::minsigstksz()),
    ];
    let stack = build(&mut mm, path, &argv, &envp, &auxv)?;
    mm.saved_auxv = auxv.to_vec();
    let sp = stack.sp;
    mm.layout = mm::Layout {
        start_code: main.code.0,
        end_code: main.code.1,
        start_data: main.data.0,
        end_data: main.data.1,
        start_stack: sp,
        arg_start: stack.args.0,
        arg_end: stack.args.1,
        env_start: stack.env.0,
        env_end: stack.env.1,
    };

    // The point of no return: the other threads go, a vfork parent is let go.
    de_thread(ctx)?;
    crate::task::mm_release(ctx.task);
    let p = &ctx.task.process;
    // An x86_64 program runs without READ_IMPLIES_EXEC (Linux's
    // set_personality_64bit); the rest of the personality stays.
    p.personality.fetch_and(
        !crate::syscall::READ_IMPLIES_EXEC,
        std::sync::atomic::Ordering::Relaxed,
    );
    *p.cred.borrow_mut() = cred;
    p.set_dumpable(dumpable);
    // POSIX timers do not survive exec; interval timers do.
    p.posix_timers.borrow_mut().clear();
    p.note_maxrss();
    *p.mm.borrow_mut() = Arc::new(KernelCell::new(mm));
    *ctx.task.tlb.borrow_mut() = Default::default();
    // The host mappings of the old address space may be another task's
    // too (a vfork parent's): the CPU stops sharing them first.
    // Past the point of no return a failure is fatal, as in Linux.
    if let Err(e) = ctx.cpu.unshare() {
        log::warn!(
            "exec: task {}: no guest CPU of its own ({e:?})",
            ctx.task.tid()
        );
        let kill = crate::signal::SigInfo::new(crate::signal::SIGKILL, crate::signal::SI_KERNEL);
        crate::signal::force_signal(ctx.task, kill);
        return Err(Errno::ENOMEM);
    }
    ctx.cpu.queue(MapOp::Unmap {
        vaddr: 0,
        len: TASK_SIZE,
    });
    let mut regs = ctx.cpu.initial_regs();
    regs.rip = entry;
    regs.rsp = sp;
    *ctx.regs = regs;
    reset_fpu(ctx);
    ctx.task.files().borrow_mut().close_on_exec();
    {
        let mut s = ctx.task.signal.borrow_mut();
        s.altstack = Default::default();
    }
    *p.exe.borrow_mut() = Some(file);
    let name = path.rsplit(|&b| b == b'/').next().unwrap_or(path);
    *p.comm.borrow_mut() = name[..name.len().min(15)].to_vec();
    p.execed.store(true, std::sync::atomic::Ordering::Relaxed);
    for a in p.sigactions.borrow_mut().iter_mut() {
        // Caught signals go back to SIG_DFL; ignored ones stay ignored.
        if a.handler != 1 {
            *a = Default::default();
        }
    }
    Ok(())
}

/// Checks that `cred` may execute the file at `p` (a regular file with
/// execute permission, not on a `noexec` mount); returns its attributes.
fn may_exec(cred: &Credentials, p: &fs::Path) -> Result<fs::Stat> {
    let st = p.inode().stat()?;
    if p.inode().file_type() != FileType::Regular || p.mnt.noexec() {
        return Err(Errno::EACCES);
    }
    fs::permission(cred, &st, Access::EXEC)?;
    Ok(st)
}

/// Returns the capabilities the attribute `security.capability` of `inode`
/// gives, if any (EINVAL if it is malformed, as Linux's get_file_caps).
fn file_caps(inode: &Arc<dyn fs::Inode>) -> Result<Option<FileCaps>> {
    match inode.getxattr(XATTR_NAME_CAPS) {
        Ok(v) => FileCaps::parse(&v),
        Err(_) => Ok(None),
    }
}

/// Returns the credentials after executing a file with attributes `st`
/// (credentials(7)): its owner becomes the effective uid if it is
/// set-user-ID, its group the effective gid if it is set-group-ID and
/// group-executable (neither when `nosuid`); the capability sets follow
/// `capability::bprm_creds` with the file's capabilities `fcaps`. Also
/// returns whether the program runs with AT_SECURE and gained capabilities.
fn exec_cred(
    old: &crate::syscall::Cred,
    st: &fs::Stat,
    nosuid: bool,
    fcaps: Option<FileCaps>,
    nnp: bool,
) -> Result<(crate::syscall::Cred, ExecOutcome)> {
    const S_ISUID: u32 = 0o4000;
    const S_ISGID: u32 = 0o2000;
    const S_IXGRP: u32 = 0o0010;
    let mut new = old.clone();
    if !nosuid && st.mode & S_ISUID != 0 {
        new.euid = st.uid;
    }
    if !nosuid && st.mode & (S_ISGID | S_IXGRP) == S_ISGID | S_IXGRP {
        new.egid = st.gid;
    }
    let outcome = capability::bprm_creds(old, &mut new, fcaps, nnp)?;
    Ok((new, outcome))
}

/// Returns what /proc/PID/maps shows for mappings of the file at `p`: its path.
fn vma_name(p: &fs::Path, root: &fs::Path) -> mm::VmaName {
    mm::VmaName::Named(String::from_utf8_lossy(&p.to_bytes(root)).into())
}

/// Ends every other thread of the process (Linux's de_thread) and gives the
/// caller the process's id; fails only if the process is being killed.
fn de_thread(ctx: &mut TrapContext) -> Result<()> {
    let task = ctx.task.clone();
    let p = task.process.clone();
    if p.threads.borrow().len() > 1 {
        p.signal.borrow_mut().exec_task = Some(task.tid());
        for t in p.threads.borrow().iter() {
            if !Arc::ptr_eq(t, &task) {
                crate::signal::signal_wake_up(t);
            }
        }
        let r = wait_event(&task, &[], None, Interruptible::Fatal, || {
            (p.threads.borrow().len() == 1).then_some(())
        });
        p.signal.borrow_mut().exec_task = None;
        r?;
    }
    task.take_leader_tid();
    Ok(())
}

/// Puts the FPU and vector registers in their initial state (FCW 0x37f, MXCSR
/// 0x1f80, every XSAVE component in its init state).
fn reset_fpu(ctx: &mut TrapContext) {
    let x = crate::signal::init_xstate(ctx.cpu.xstate_size());
    if let Err(e) = ctx.cpu.set_xstate(&x) {
        log::warn!("exec: cannot reset the FPU state: {e}");
    }
}
