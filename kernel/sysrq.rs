//! Magic SysRq (Linux's drivers/tty/sysrq.c), as the mconsole's `sysrq X`
//! and /proc/sysrq-trigger reach it: each key runs its action and says so in
//! the kernel log with Linux's messages ("sysrq: Emergency Sync"). The keys
//! this kernel has: 0-9 (console log level), b (restart at once), e and i
//! (SIGTERM, SIGKILL to every process but init), m (memory), o (power off),
//! s (sync), t (every task's state), u (remount the disks read-only), w (the
//! tasks in uninterruptible sleep: none here, as no sleep is one); any other
//! key prints the help line. Runs under the kernel lock.

use crate::signal::{self, SigInfo, SIGKILL, SIGTERM, SI_KERNEL};
use crate::task::Task;
use std::sync::Arc;

/// The help line's entries, in Linux's words.
const HELP: &str = "loglevel(0-9) reboot(b) terminate-all-tasks(e) kill-all-tasks(i) \
show-memory-usage(m) poweroff(o) sync(s) show-task-states(t) unmount(u) show-blocked-tasks(w)";

/// Runs the SysRq action of `key`.
pub fn handle(key: u8) {
    match key {
        b'0'..=b'9' => {
            log::info!("sysrq: Changing Loglevel");
            let level = key - b'0';
            crate::printk::set_console_level(level);
            log::info!("sysrq: Loglevel set to {level}");
        }
        b'b' => {
            log::info!("sysrq: Resetting");
            crate::boot::emergency_restart();
        }
        b'e' => {
            log::info!("sysrq: Terminate All Tasks");
            signal_all(SIGTERM);
        }
        b'i' => {
            log::info!("sysrq: Kill All Tasks");
            signal_all(SIGKILL);
        }
        b'm' => {
            log::info!("sysrq: Show Memory");
            show_memory();
        }
        b'o' => {
            log::info!("sysrq: Power Off");
            crate::boot::power_off("reboot: Power down");
        }
        b's' => {
            log::info!("sysrq: Emergency Sync");
            crate::boot::sync_all();
            log::info!("Emergency Sync complete");
        }
        b't' => {
            log::info!("sysrq: Show State");
            for t in crate::task::all_tasks() {
                show_task(&t, false);
            }
        }
        b'u' => {
            log::info!("sysrq: Emergency Remount R/O");
            remount_read_only();
            log::info!("Emergency Remount complete");
        }
        b'w' => log::info!("sysrq: Show Blocked State"),
        _ => log::info!("sysrq: HELP : {HELP}"),
    }
}

/// Sends `sig` to every process but init (Linux's send_sig_all).
fn signal_all(sig: i32) {
    for p in crate::task::all_processes() {
        if p.pid == 1 || p.exit_status.borrow().is_some() {
            continue;
        }
        signal::send_to_process(&p, SigInfo::new(sig, SI_KERNEL));
    }
}

/// Logs the page counts of guest RAM (Linux's show_mem, in its terms).
fn show_memory() {
    let k = crate::boot::kernel();
    let total = k.frames.total_frames();
    let free = k.frames.free_frames();
    let shmem = k.frames.shmem_frames();
    let file = crate::filemap::cached_pages();
    let anon = total.saturating_sub(free + shmem + file);
    log::info!("Mem-Info:");
    log::info!("active_anon:{anon} active_file:{file} shmem:{shmem} free:{free}");
    log::info!("{total} pages RAM");
}

/// Syncs and makes every disk filesystem read-only (Linux's
/// do_emergency_remount: those on a block device).
fn remount_read_only() {
    crate::boot::sync_all();
    let k = crate::boot::kernel();
    for fs in crate::filesystems::ext4_instances() {
        if let Err(e) = fs.remount(true) {
            log::error!("Emergency Remount: {}: {e}", fs.dev());
        }
    }
    for m in k.vfs.mounts() {
        if m.fs().name().starts_with("ext") {
            m.set_flags(m.flags() | fs::MountFlags::RDONLY);
        }
    }
}

/// Logs task `t`'s line as Linux's sched_show_task does, and with `regs`
/// the registers of its last trap into the kernel (Linux's show_regs).
pub fn show_task(t: &Arc<Task>, regs: bool) {
    let p = &t.process;
    let comm = String::from_utf8_lossy(&p.comm.borrow()).into_owned();
    let (state, _) = crate::proc::task_state(p, Some(t));
    log::info!(
        "task:{comm:<15.15} state:{state} pid:{:<5} tgid:{:<5} ppid:{:<6}{}",
        t.tid(),
        p.pid,
        p.ppid(),
        if t.in_guest.load(std::sync::atomic::Ordering::Relaxed) {
            " (in guest code)"
        } else {
            ""
        }
    );
    if !regs {
        return;
    }
    let r = *t.trap_regs.borrow();
    log::info!(
        "RIP: {:04x}:{:016x} RSP: {:016x} EFLAGS: {:08x}",
        r.cs,
        r.rip,
        r.rsp,
        r.eflags
    );
    log::info!(
        "RAX: {:016x} RBX: {:016x} RCX: {:016x}",
        r.rax,
        r.rbx,
        r.rcx
    );
    log::info!(
        "RDX: {:016x} RSI: {:016x} RDI: {:016x}",
        r.rdx,
        r.rsi,
        r.rdi
    );
    log::info!("RBP: {:016x} R08: {:016x} R09: {:016x}", r.rbp, r.r8, r.r9);
    log::info!(
        "R10: {:016x} R11: {:016x} R12: {:016x}",
        r.r10,
        r.r11,
        r.r12
    );
    log::info!(
        "R13: {:016x} R14: {:016x} R15: {:016x}",
        r.r13,
        r.r14,
        r.r15
    );
    log::info!(
        "ORIG_RAX: {:016x} FS: {:016x} GS: {:016x}",
        r.orig_rax,
        r.fs_base,
        r.gs_base
    );
}
