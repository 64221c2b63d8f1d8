//! sysinfo(2): uptime since boot, memory from the frame allocator (in bytes,
//! `mem_unit` 1), no swap, the number of threads; the load averages are 0
//! until the kernel keeps them. busybox's uptime and free read it.

use crate::task::TrapContext;
use arch::Result;

pub fn sys_sysinfo(ctx: &mut TrapContext, info: u64) -> Result<u64> {
    let k = crate::boot::kernel();
    let page = arch::PAGE_SIZE;
    let mut b = [0u8; 112];
    let mut put = |off: usize, v: u64| b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    put(0, crate::boot::uptime().as_secs());
    put(32, k.frames.total_frames() * page);
    put(40, k.frames.free_frames() * page);
    let procs = crate::task::all_tasks().len().min(u16::MAX as usize) as u16;
    b[80..82].copy_from_slice(&procs.to_ne_bytes());
    b[104..108].copy_from_slice(&1u32.to_ne_bytes());
    ctx.write_user(info, &b)?;
    Ok(0)
}
