//! Where a seccomp stub's threads run on the host. Where polling pays (more
//! than one host CPU), kernel threads and mappers share one CPU (chosen by
//! the kernel's host pid, so that instances side by side spread) and guest
//! threads run on the others: a trap's two sides then poll for each
//! other on two CPUs, a wake-up from one task's kernel thread to another's
//! stays on one CPU, and guest code is not kept from its CPU by a polling
//! kernel thread. A guest thread that computes for long without trapping
//! is let onto every CPU (`StubThread::wait_trap`), so that guest code
//! still runs in parallel everywhere; it goes back once it traps often.

/// The host CPUs of a backend's threads.
pub(super) struct Placement {
    /// The CPU of every kernel thread and mapper; None: each task's kernel
    /// thread, mapper and guest thread share the task's CPU.
    kernel: Option<usize>,
    /// Where guest threads run when apart: every CPU but the kernel's.
    guest: Vec<usize>,
    /// Every CPU this process may use.
    all: Vec<usize>,
}

impl Placement {
    /// Keeps kernel threads apart from guest code if `apart` and the host
    /// gives more than one CPU.
    pub(super) fn new(apart: bool) -> Placement {
        let all = crate::host::cpu::allowed_cpus();
        // Instances side by side take different kernel CPUs.
        let pick = std::process::id() as usize % all.len();
        let kernel = (apart && all.len() > 1).then(|| all[pick]);
        let guest = all.iter().copied().filter(|&c| Some(c) != kernel).collect();
        Placement { kernel, guest, all }
    }

    /// Whether kernel threads and guest code run apart (and poll).
    pub(super) fn apart(&self) -> bool {
        self.kernel.is_some()
    }

    /// How many host CPUs guest threads kept apart have.
    pub(super) fn guest_cpus(&self) -> usize {
        self.guest.len()
    }

    /// The CPU of the kernel thread of a task whose CPU is `cpu`.
    pub(super) fn kernel_cpu(&self, cpu: usize) -> usize {
        self.kernel.unwrap_or(cpu)
    }

    /// Binds guest thread `tid` of a task whose CPU is `cpu`: to the guest
    /// CPUs, or to every CPU if it computes (`spread`).
    pub(super) fn pin_guest(&self, tid: libc::pid_t, cpu: usize, spread: bool) {
        match self.kernel {
            Some(_) if spread => crate::host::cpu::pin_set(tid, &self.all),
            Some(_) => crate::host::cpu::pin_set(tid, &self.guest),
            None => crate::host::cpu::pin(tid, cpu),
        }
    }
}
