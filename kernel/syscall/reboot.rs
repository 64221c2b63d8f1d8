//! reboot(2): power off and halt end `./linux` with status 0 after syncing
//! the disks; restart runs the kernel afresh in the same host process, as UML
//! does (it re-executes itself with the same command line).

use crate::task::TrapContext;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicBool, Ordering};

const MAGIC1: u32 = 0xfee1_dead;
const MAGIC2: [u32; 4] = [672_274_793, 85_072_278, 369_367_448, 537_993_216];
const CMD_RESTART: u32 = 0x0123_4567;
const CMD_HALT: u32 = 0xcdef_0123;
const CMD_CAD_ON: u32 = 0x89ab_cdef;
const CMD_CAD_OFF: u32 = 0;
const CMD_POWER_OFF: u32 = 0x4321_fedc;
const CMD_RESTART2: u32 = 0xa1b2_c3d4;

/// Linux's C_A_D: whether Ctrl-Alt-Del restarts at once (reboot(2)'s
/// LINUX_REBOOT_CMD_CAD_ON) or is a SIGINT to init (CAD_OFF). Off until
/// init asks, as init systems leave it.
static CAD: AtomicBool = AtomicBool::new(false);

/// Returns whether Ctrl-Alt-Del restarts at once.
pub fn cad_enabled() -> bool {
    CAD.load(Ordering::Relaxed)
}

pub fn sys_reboot(
    ctx: &mut TrapContext,
    magic1: u32,
    magic2: u32,
    cmd: u32,
    _arg: u64,
) -> Result<u64> {
    if magic1 != MAGIC1 || !MAGIC2.contains(&magic2) {
        return Err(Errno::EINVAL);
    }
    if !ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_BOOT)
    {
        return Err(Errno::EPERM);
    }
    match cmd {
        CMD_CAD_ON | CMD_CAD_OFF => {
            CAD.store(cmd == CMD_CAD_ON, Ordering::Relaxed);
            Ok(0)
        }
        CMD_POWER_OFF => crate::boot::power_off("reboot: Power down"),
        CMD_HALT => crate::boot::power_off("reboot: System halted"),
        CMD_RESTART | CMD_RESTART2 => crate::boot::restart(),
        _ => Err(Errno::EINVAL),
    }
}
