//! A pending-signal set (Linux's `struct sigpending`): standard signals are a bit
//! each and coalesce; real-time signals queue, every instance with its own
//! siginfo, and leave in the order they came.

use super::{sigbit, SigInfo, SIGRTMIN, SYNCHRONOUS};
use std::collections::VecDeque;

/// Signals sent but not yet delivered.
#[derive(Default)]
pub struct SigPending {
    set: u64,
    queue: VecDeque<SigInfo>,
}

impl SigPending {
    /// Returns the pending set.
    pub fn set(&self) -> u64 {
        self.set
    }

    /// Adds a signal; a standard signal already pending is dropped, as POSIX allows.
    pub fn push(&mut self, info: SigInfo) {
        let sig = info.signo();
        if sig < SIGRTMIN && self.set & sigbit(sig) != 0 {
            return;
        }
        self.set |= sigbit(sig);
        self.queue.push_back(info);
    }

    /// Returns the signal that would be taken next among `allowed`: faults first,
    /// then the lowest number (Linux's `next_signal`).
    pub fn first(&self, allowed: u64) -> Option<i32> {
        let ready = self.set & allowed;
        if ready == 0 {
            return None;
        }
        let pick = if ready & SYNCHRONOUS != 0 {
            ready & SYNCHRONOUS
        } else {
            ready
        };
        Some(pick.trailing_zeros() as i32 + 1)
    }

    /// Takes the next signal among `allowed`.
    pub fn take(&mut self, allowed: u64) -> Option<SigInfo> {
        let sig = self.first(allowed)?;
        self.take_signal(sig)
    }

    /// Takes the first instance of `sig`.
    pub fn take_signal(&mut self, sig: i32) -> Option<SigInfo> {
        let i = self.queue.iter().position(|s| s.signo() == sig)?;
        let info = self.queue.remove(i)?;
        if !self.queue.iter().any(|s| s.signo() == sig) {
            self.set &= !sigbit(sig);
        }
        Some(info)
    }

    /// Returns the first pending siginfo that `pred` accepts, to update it in
    /// place (a POSIX timer's overrun count).
    pub fn find_mut(&mut self, pred: impl Fn(&SigInfo) -> bool) -> Option<&mut SigInfo> {
        self.queue.iter_mut().find(|s| pred(s))
    }

    /// Discards every pending instance of the signals in `set`.
    pub fn remove_set(&mut self, set: u64) {
        if self.set & set == 0 {
            return;
        }
        self.queue.retain(|s| sigbit(s.signo()) & set == 0);
        self.set &= !set;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn standard_signals_coalesce_and_realtime_ones_queue() {
        let mut p = SigPending::default();
        p.push(SigInfo::new(10, 0));
        p.push(SigInfo::new(10, 0));
        p.push(SigInfo::new(40, 1));
        p.push(SigInfo::new(40, 2));
        p.push(SigInfo::new(11, 0));
        assert_eq!(p.take(!0).map(|s| s.signo()), Some(11));
        assert_eq!(p.take(!0).map(|s| s.signo()), Some(10));
        assert_eq!(p.take(!0).map(|s| s.code()), Some(1));
        assert_eq!(p.first(!0), Some(40));
        assert_eq!(p.take(!sigbit(40)), None);
        assert_eq!(p.take(!0).map(|s| s.code()), Some(2));
        assert_eq!(p.set(), 0);
    }
}
