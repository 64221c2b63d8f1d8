//! /proc/PID/oom_score, oom_score_adj and the legacy oom_adj (Linux's
//! fs/proc/base.c): the OOM killer's badness of the process as it would see
//! it now, and the adjustment its owner may raise and only a privileged
//! writer (CAP_SYS_RESOURCE: root here) may lower below the last value such
//! a writer set (`oom_score_adj_min`); with oom_adj, below the current value.

use super::pid::Target;
use crate::oom::{OOM_SCORE_ADJ_MAX, OOM_SCORE_ADJ_MIN};
use arch::{Errno, Result};
use std::sync::atomic::Ordering;

/// oom_adj's range: -17 disables the OOM killer, 15 is the most.
const OOM_DISABLE: i32 = -17;
const OOM_ADJUST_MAX: i32 = 15;

/// /proc/PID/oom_score.
pub fn oom_score(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    Ok(format!("{}\n", crate::oom::oom_score(&p)).into_bytes())
}

/// /proc/PID/oom_score_adj.
pub fn oom_score_adj(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    Ok(format!("{}\n", p.oom_score_adj.load(Ordering::Relaxed)).into_bytes())
}

/// /proc/PID/oom_adj: oom_score_adj scaled to -17..15.
pub fn oom_adj(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    let adj = match p.oom_score_adj.load(Ordering::Relaxed) {
        OOM_SCORE_ADJ_MAX => OOM_ADJUST_MAX,
        a => a * -OOM_DISABLE / OOM_SCORE_ADJ_MAX,
    };
    Ok(format!("{adj}\n").into_bytes())
}

/// Parses a number written to one of the files (`EINVAL` for anything else).
fn number(data: &[u8]) -> Result<i32> {
    let s = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    s.trim().parse::<i32>().map_err(|_| Errno::EINVAL)
}

/// Returns whether the writer may lower the OOM settings (CAP_SYS_RESOURCE).
fn privileged() -> bool {
    crate::capability::capable(arch::abi::capability::CAP_SYS_RESOURCE)
}

/// Sets `t`'s oom_score_adj from a write to oom_score_adj, or (`legacy`) to
/// oom_adj, with Linux's rules.
pub fn write(t: &Target, data: &[u8], legacy: bool) -> Result<()> {
    // Only the owner and root may open the file for writing (mode 0644).
    let p = t.inspect()?;
    let n = number(data)?;
    let adj = if legacy {
        if !(OOM_DISABLE..=OOM_ADJUST_MAX).contains(&n) {
            return Err(Errno::EINVAL);
        }
        // Scaled as Linux does: the most is the most, the rest in proportion.
        match n {
            OOM_ADJUST_MAX => OOM_SCORE_ADJ_MAX,
            n => n * OOM_SCORE_ADJ_MAX / -OOM_DISABLE,
        }
    } else {
        if !(OOM_SCORE_ADJ_MIN..=OOM_SCORE_ADJ_MAX).contains(&n) {
            return Err(Errno::EINVAL);
        }
        n
    };
    let floor = if legacy {
        p.oom_score_adj.load(Ordering::Relaxed)
    } else {
        p.oom_score_adj_min.load(Ordering::Relaxed)
    };
    let privileged = privileged();
    if adj < floor && !privileged {
        return Err(Errno::EACCES);
    }
    if !legacy && privileged {
        p.oom_score_adj_min.store(adj, Ordering::Relaxed);
    }
    p.oom_score_adj.store(adj, Ordering::Relaxed);
    Ok(())
}
