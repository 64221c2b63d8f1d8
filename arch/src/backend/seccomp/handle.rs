//! A seccomp stub as other threads see it, and its mapper channel.
//!
//! The mapper thread is the only thread of a stub that may map guest RAM: the
//! kernel writes a batch into the control page (read-only in the stub),
//! advances its sequence number and wakes the mapper, which runs the batch and
//! writes its result to the done pipe (which guest code cannot write to: its
//! filter traps `write`). Any kernel thread may use the channel — the owner of
//! the CPU before guest code runs, another to shoot down host mappings at once
//! — so it sits behind a lock in the shared handle.

use super::layout::{ScCtrl, SC_CTRL, SC_MAX_REQS};
use super::shm::Shm;
use crate::abi::errno::{Errno, Result};
use crate::abi::pod::slice_as_bytes;
use crate::backend::host_tlb::HostTlb;
use crate::backend::stub_process::{errno_from_host, request, StubPid};
use crate::backend::{CpuHandle, MapOp};
use crate::sync::Mutex;
use nix::errno::Errno as HostErrno;
use std::mem::offset_of;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The host signal that kicks the guest thread out of guest code.
pub(super) const KICK: i32 = libc::SIGUSR1;

/// The shared half of a seccomp CPU.
pub(super) struct ScHandle {
    /// Whether the stub runs on another host CPU than its kernel thread (both
    /// sides poll for the other's answer).
    split: bool,
    /// The stub's host pid (its guest thread's tid); 0 once it is gone.
    pid: StubPid,
    /// The mapper thread's host tid.
    mapper_tid: libc::pid_t,
    mapper: Mutex<Mapper>,
    /// When the oldest kick not yet answered by a trap was sent (host
    /// monotonic nanoseconds; 0: none).
    pub(super) kicked_at: AtomicU64,
}

/// The kernel's end of the mapper channel, and the mapping changes queued
/// for it: they sit here, under the handle's lock, so that a shootdown from
/// another thread runs after them, never before.
pub(super) struct Mapper {
    shm: Arc<Shm>,
    /// The read end of the done pipe.
    done: OwnedFd,
    seq: u32,
    /// A batch was sent whose report has not been read.
    in_flight: bool,
    pending: Vec<MapOp>,
    /// What the stub maps now (as of the batches sent).
    tlb: HostTlb,
}

impl Mapper {
    pub(super) fn new(shm: Arc<Shm>, done: OwnedFd) -> Mapper {
        Mapper {
            shm,
            done,
            seq: 0,
            in_flight: false,
            pending: Vec::new(),
            tlb: HostTlb::default(),
        }
    }

    /// Runs the queued changes in the stub; returns once the host has applied
    /// them, or the errno of the first that failed.
    pub(super) fn flush(&mut self) -> Result<()> {
        self.send_queued(0).map(|_| ())
    }

    /// Sends the queued changes and lets the mapper resume the guest thread
    /// with reply `rep` once they are applied, without waiting for them.
    /// Returns false if there was nothing to send (the caller resumes the
    /// guest itself).
    pub(super) fn flush_and_resume(&mut self, rep: u32) -> Result<bool> {
        self.send_queued(rep)
    }

    /// Sends the host calls the queue needs, a batch at a time, each awaited
    /// but the last if `rep` is not 0: that one carries the guest's reply.
    fn send_queued(&mut self, rep: u32) -> Result<bool> {
        self.settle()?;
        let ops = self.tlb.filter(std::mem::take(&mut self.pending));
        let mut chunks = ops.chunks(SC_MAX_REQS).peekable();
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none();
            let resume = if last { rep } else { 0 };
            self.send(chunk, resume)?;
            if resume == 0 {
                self.settle()?;
            }
        }
        Ok(rep != 0 && !ops.is_empty())
    }

    /// Writes one batch into the control page and wakes the mapper.
    fn send(&mut self, ops: &[MapOp], resume: u32) -> Result<()> {
        let reqs: Vec<_> = ops.iter().map(request).collect();
        let reqs_at = SC_CTRL + offset_of!(ScCtrl, reqs) as u64;
        self.shm.write_bytes(reqs_at, slice_as_bytes(&reqs))?;
        self.shm.write(
            SC_CTRL + offset_of!(ScCtrl, count) as u64,
            &(reqs.len() as u64),
        )?;
        self.shm
            .write(SC_CTRL + offset_of!(ScCtrl, resume) as u64, &resume)?;
        self.seq = self.seq.wrapping_add(1);
        let seq_at = SC_CTRL + offset_of!(ScCtrl, seq) as u64;
        self.shm.word(seq_at).store(self.seq, Ordering::Release);
        self.shm.wake(seq_at);
        self.in_flight = true;
        Ok(())
    }

    /// Reads the mapper's report of the batch in flight, if one is: 1 + errno
    /// bytes.
    fn settle(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.in_flight) {
            return Ok(());
        }
        let mut buf = [0u8; 8192];
        loop {
            // SAFETY: reading into a buffer we own from our pipe descriptor.
            let n =
                unsafe { libc::read(self.done.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            match n {
                1 => return Ok(()),
                // The stub is gone: every write end closed.
                0 => return Err(Errno::EIO),
                n if n > 1 => {
                    let e = HostErrno::from_raw(n as i32 - 1);
                    log::error!("stub mapper: a mapping request failed: host errno {e}");
                    self.pending.clear();
                    return Err(errno_from_host(e));
                }
                _ if HostErrno::last() == HostErrno::EINTR => continue,
                _ => return Err(errno_from_host(HostErrno::last())),
            }
        }
    }
}

impl ScHandle {
    pub(super) fn new(
        pid: libc::pid_t,
        mapper_tid: libc::pid_t,
        mapper: Mapper,
        split: bool,
    ) -> Self {
        ScHandle {
            split,
            pid: StubPid::new(pid),
            mapper_tid,
            mapper: Mutex::new(mapper),
            kicked_at: AtomicU64::new(0),
        }
    }

    /// Forgets the stub, which is about to be reaped; waits for users of its pid.
    pub(super) fn detach(&self) {
        self.pid.detach();
    }

    /// Queues a mapping change.
    pub(super) fn queue(&self, op: MapOp) {
        self.mapper.lock().pending.push(op);
    }

    /// Applies the queued mapping changes now if any takes something away
    /// (those must be in place before other tasks run kernel code; new
    /// mappings may wait for the guest's resumption).
    pub(super) fn commit(&self) -> Result<()> {
        let mut m = self.mapper.lock();
        if m.pending.iter().any(|op| !matches!(op, MapOp::Map { .. })) {
            m.flush()?;
        }
        Ok(())
    }

    /// Sends what is queued with the guest's reply `rep` (see
    /// `Mapper::flush_and_resume`).
    pub(super) fn flush_and_resume(&self, rep: u32) -> Result<bool> {
        self.mapper.lock().flush_and_resume(rep)
    }

    fn with_pid<R: Default>(&self, f: impl FnOnce(libc::pid_t) -> R) -> R {
        self.pid.with(f)
    }
}

impl CpuHandle for ScHandle {
    fn kick(&self) {
        let now = crate::host::time::monotonic_ns().max(1);
        let _ = self
            .kicked_at
            .compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed);
        self.with_pid(|pid| {
            // SAFETY: the pid is our unreaped child while the lock is held (see
            // `detach`); the mapper thread blocks every signal, so the guest
            // thread takes it.
            unsafe { libc::kill(pid, KICK) };
        })
    }

    fn cpu_time_ns(&self) -> u64 {
        self.with_pid(crate::host::time::process_cpu_ns)
    }

    fn pin(&self, cpu: usize) {
        let cpu = if self.split {
            let cpus = crate::host::cpu::allowed_cpus();
            let i = cpus.iter().position(|&c| c == cpu).unwrap_or(0);
            cpus[(i + 1) % cpus.len()]
        } else {
            cpu
        };
        self.with_pid(|pid| {
            crate::host::cpu::pin(pid, cpu);
            crate::host::cpu::pin(self.mapper_tid, cpu);
        })
    }

    fn set_nice(&self, nice: i32) {
        self.with_pid(|pid| {
            crate::host::cpu::set_nice(pid, nice);
            crate::host::cpu::set_nice(self.mapper_tid, nice);
        })
    }

    fn unmap_now(&self, ranges: &[(u64, u64)]) -> bool {
        let result = {
            let mut m = self.mapper.lock();
            for &(vaddr, len) in ranges {
                m.pending.push(MapOp::Unmap { vaddr, len });
            }
            m.flush()
        };
        if self.with_pid(|_| true) && result.is_err() {
            // The stub is dying or its host refused: kill it so no mapping
            // outlives the request.
            self.with_pid(|pid| {
                // SAFETY: our unreaped child, as in `kick`.
                unsafe { libc::kill(pid, libc::SIGKILL) };
            });
        }
        true
    }
}
