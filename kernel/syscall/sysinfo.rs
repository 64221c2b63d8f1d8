//! sysinfo(2): uptime since boot, memory from the frame allocator (in bytes,
//! `mem_unit` 1), no swap, the number of threads; the load averages are 0
//! until the kernel keeps them. busybox's uptime and free read it.

use super::arg::UserPtr;
use crate::task::TrapContext;
use arch::abi::structs::Sysinfo;
use arch::Result;

pub fn sys_sysinfo(ctx: &mut TrapContext, info: UserPtr<Sysinfo>) -> Result<u64> {
    let k = crate::boot::kernel();
    let page = arch::PAGE_SIZE;
    let si = Sysinfo {
        uptime: crate::boot::uptime().as_secs() as i64,
        totalram: k.frames.total_frames() * page,
        freeram: k.frames.free_frames() * page,
        procs: crate::task::all_tasks().len().min(u16::MAX as usize) as u16,
        mem_unit: 1,
        ..Default::default()
    };
    info.write(ctx, &si)?;
    Ok(0)
}
