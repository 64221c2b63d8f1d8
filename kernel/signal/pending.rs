//! A pending-signal set (Linux's `struct sigpending`): standard signals are a bit
//! each and coalesce; real-time signals queue, every instance with its own
//! siginfo, and leave in the order they came. Each queued siginfo holds its
//! place in its user's RLIMIT_SIGPENDING count (`SigqueueCharge`); a signal
//! sent when there was none left is pending without a siginfo, and is taken
//! with an empty one, as Linux's `collect_signal`.

use super::sigqueue::SigqueueCharge;
use super::{sigbit, SigInfo, SIGRTMIN, SI_USER, SYNCHRONOUS};
use std::collections::VecDeque;

/// A queued siginfo (Linux's `struct sigqueue`).
struct Queued {
    info: SigInfo,
    /// None for the siginfo of a timer, which holds the charge itself, and
    /// for signals that cannot fail (SIGKILL, or no user to charge).
    _charge: Option<SigqueueCharge>,
}

/// Signals sent but not yet delivered.
#[derive(Default)]
pub struct SigPending {
    set: u64,
    queue: VecDeque<Queued>,
}

impl SigPending {
    /// Returns the pending set.
    pub fn set(&self) -> u64 {
        self.set
    }

    /// Returns whether a standard `sig` is pending already, so that sending
    /// it again changes nothing (Linux's `legacy_queue`).
    pub fn legacy_queue(&self, sig: i32) -> bool {
        sig < SIGRTMIN && self.set & sigbit(sig) != 0
    }

    /// Adds a signal with its siginfo and that siginfo's charge; a standard
    /// signal already pending is dropped, as POSIX allows.
    pub fn push(&mut self, info: SigInfo, charge: Option<SigqueueCharge>) {
        let sig = info.si_signo;
        if self.legacy_queue(sig) {
            return;
        }
        self.set |= sigbit(sig);
        self.queue.push_back(Queued {
            info,
            _charge: charge,
        });
    }

    /// Makes `sig` pending without a siginfo: there was no room to queue one.
    pub fn add_without_info(&mut self, sig: i32) {
        self.set |= sigbit(sig);
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

    /// Takes the first instance of `sig`: its siginfo, or one with only the
    /// number and SI_USER if it is pending without one.
    pub fn take_signal(&mut self, sig: i32) -> Option<SigInfo> {
        if self.set & sigbit(sig) == 0 {
            return None;
        }
        let Some(i) = self.queue.iter().position(|q| q.info.si_signo == sig) else {
            self.set &= !sigbit(sig);
            return Some(SigInfo::new(sig, SI_USER));
        };
        let info = self.queue.remove(i)?.info;
        if !self.queue.iter().any(|q| q.info.si_signo == sig) {
            self.set &= !sigbit(sig);
        }
        Some(info)
    }

    /// Returns the first pending siginfo that `pred` accepts, to update it in
    /// place (a POSIX timer's overrun count).
    pub fn find_mut(&mut self, pred: impl Fn(&SigInfo) -> bool) -> Option<&mut SigInfo> {
        self.queue.iter_mut().map(|q| &mut q.info).find(|s| pred(s))
    }

    /// Discards every pending instance of the signals in `set`.
    pub fn remove_set(&mut self, set: u64) {
        if self.set & set == 0 {
            return;
        }
        self.queue.retain(|q| sigbit(q.info.si_signo) & set == 0);
        self.set &= !set;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arch::abi::structs::SigKill;

    #[test]
    fn standard_signals_coalesce_and_realtime_ones_queue() {
        let mut p = SigPending::default();
        p.push(SigInfo::new(10, 0), None);
        p.push(SigInfo::new(10, 0), None);
        p.push(SigInfo::new(40, 1), None);
        p.push(SigInfo::new(40, 2), None);
        p.push(SigInfo::new(11, 0), None);
        assert_eq!(p.take(!0).map(|s| s.si_signo), Some(11));
        assert_eq!(p.take(!0).map(|s| s.si_signo), Some(10));
        assert_eq!(p.take(!0).map(|s| s.si_code), Some(1));
        assert_eq!(p.first(!0), Some(40));
        assert_eq!(p.take(!sigbit(40)), None);
        assert_eq!(p.take(!0).map(|s| s.si_code), Some(2));
        assert_eq!(p.set(), 0);
    }

    #[test]
    fn a_signal_without_room_for_its_siginfo_is_taken_with_an_empty_one() {
        let mut p = SigPending::default();
        p.add_without_info(40);
        assert_eq!(p.first(!0), Some(40));
        let info = p.take(!0).expect("pending");
        assert_eq!((info.si_signo, info.si_code), (40, SI_USER));
        assert_eq!(
            info.fields::<SigKill>(),
            SigKill::default(),
            "no sender pid or uid"
        );
        assert_eq!(p.set(), 0);
        assert_eq!(p.take_signal(40), None);
    }
}
