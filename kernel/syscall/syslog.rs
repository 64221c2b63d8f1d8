//! syslog(2) (klogctl), which busybox's dmesg reads the kernel log with: the
//! records since the last clear as "<level>[seconds.micros] text" lines, the
//! newest that fit the buffer; clearing; the console log level. Reading all and
//! asking the size are allowed to everyone (dmesg_restrict is 0), the rest to
//! root. The destructive SYSLOG_ACTION_READ is not supported (`EINVAL`).

use crate::printk;
use crate::task::TrapContext;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU64, Ordering};

const SYSLOG_ACTION_CLOSE: i32 = 0;
const SYSLOG_ACTION_OPEN: i32 = 1;
const SYSLOG_ACTION_READ_ALL: i32 = 3;
const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
const SYSLOG_ACTION_CLEAR: i32 = 5;
const SYSLOG_ACTION_CONSOLE_OFF: i32 = 6;
const SYSLOG_ACTION_CONSOLE_ON: i32 = 7;
const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// The size of the log buffer syslog reports (Linux's default, 128 KiB).
const LOG_BUF_LEN: u64 = 1 << 17;

/// The first record after the last clear.
static CLEARED: AtomicU64 = AtomicU64::new(0);

/// Returns the log since the last clear, oldest first, as syslog lines.
fn text() -> Vec<u8> {
    let mut out = Vec::new();
    let mut seq = CLEARED.load(Ordering::Relaxed);
    while let Some(r) = printk::record_from(seq) {
        let line = format!(
            "<{}>[{:5}.{:06}] {}\n",
            u32::from(r.facility) << 3 | u32::from(r.level),
            r.usec / 1_000_000,
            r.usec % 1_000_000,
            r.text
        );
        out.extend_from_slice(line.as_bytes());
        seq = r.seq + 1;
    }
    out
}

pub fn sys_syslog(ctx: &mut TrapContext, action: i32, buf: u64, len: i32) -> Result<u64> {
    let open_to_all = matches!(action, SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_SIZE_BUFFER);
    // CAP_SYSLOG, or (as Linux still accepts) CAP_SYS_ADMIN.
    let privileged = {
        let c = ctx.task.process.cred.borrow();
        c.capable(arch::abi::capability::CAP_SYSLOG)
            || c.capable(arch::abi::capability::CAP_SYS_ADMIN)
    };
    if !open_to_all && !privileged {
        return Err(Errno::EPERM);
    }
    match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN => Ok(0),
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            if len < 0 {
                return Err(Errno::EINVAL);
            }
            // The newest whole lines that fit.
            let all = text();
            let mut start = all.len() - all.len().min(len as usize);
            if start > 0 && all[start - 1] != b'\n' {
                start = all[start..]
                    .iter()
                    .position(|&b| b == b'\n')
                    .map_or(all.len(), |i| start + i + 1);
            }
            let n = all.len() - start;
            if n > 0 {
                ctx.write_user(buf, &all[start..])?;
            }
            if action == SYSLOG_ACTION_READ_CLEAR {
                CLEARED.store(printk::next_seq(), Ordering::Relaxed);
            }
            Ok(n as u64)
        }
        SYSLOG_ACTION_CLEAR => {
            CLEARED.store(printk::next_seq(), Ordering::Relaxed);
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_OFF | SYSLOG_ACTION_CONSOLE_ON => Ok(0),
        SYSLOG_ACTION_CONSOLE_LEVEL => match len {
            1..=8 => {
                printk::set_console_level(len as u8);
                Ok(0)
            }
            _ => Err(Errno::EINVAL),
        },
        SYSLOG_ACTION_SIZE_UNREAD => Ok(0),
        SYSLOG_ACTION_SIZE_BUFFER => Ok(LOG_BUF_LEN),
        _ => Err(Errno::EINVAL),
    }
}
