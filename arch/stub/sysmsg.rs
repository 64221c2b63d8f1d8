// The seccomp stub's side of the kernel: where its pages sit above the
// guest's address space and what they hold. Like layout.rs (whose
// `STUB_CODE`, `HOST_TASK_TOP`, `StubRequest` and `PAGE_SIZE` it names), it is
// the one definition for the kernel (`backend::seccomp::layout`) and for
// build.rs, which generates the constants `seccomp.S` is assembled with.
//
// The stub has three parts: its code page at STUB_CODE; the control page,
// mapped read-only in the stub, through which the kernel hands the stub's
// mapper thread batches of mapping changes; and the message area, read and
// written by both, a slot for each guest thread of the stub (the threads of
// one guest process share its host address space), whose head carries the
// thread's trap messages and whose rest is its alternate signal stack,
// where the host writes the signal frames (registers and XSAVE state) the
// kernel reads and edits in place.

/// The control page (read-only in the stub).
pub const SC_CTRL: u64 = STUB_CODE + PAGE_SIZE;
/// The size of a guest thread's slot in the message area: a head page, then
/// its alternate signal stack. Slots are aligned to their size, so the
/// handler finds its own from its stack pointer.
pub const SC_SLOT_SIZE: u64 = 16 * PAGE_SIZE;
/// The message area (read-write in the stub): one slot per guest thread of
/// the stub, the first one's at `SC_SYSMSG`.
pub const SC_SYSMSG: u64 = STUB_CODE + SC_SLOT_SIZE;
/// How many guest threads one stub holds (a process with more threads gives
/// the rest stubs of their own).
pub const SC_MAX_SLOTS: u64 = 512;
/// The first slot's alternate signal stack: its slot past the head page.
pub const SC_ALTSTACK: u64 = SC_SYSMSG + PAGE_SIZE;
/// The end of the stub.
pub const SC_END: u64 = SC_SYSMSG + SC_MAX_SLOTS * SC_SLOT_SIZE;
/// The memfd holding the control page and the message area: each at its
/// address less `SC_CTRL` (untouched slots cost nothing).
pub const SC_SHM_SIZE: u64 = SC_END - SC_CTRL;
/// The offset of the message area in that memfd.
pub const SC_SYSMSG_OFFSET: u64 = SC_SYSMSG - SC_CTRL;
/// The size of the message area.
pub const SC_SYSMSG_SIZE: u64 = SC_END - SC_SYSMSG;

/// Where in the code page the signal handler and the restorer (its
/// `rt_sigreturn`) are.
pub const SC_HANDLER_OFFSET: u64 = 0x600;
pub const SC_RESTORER_OFFSET: u64 = 0x7c0;

/// The stub's descriptors at start: the memfd of its control page and
/// message area (closed once mapped) and the pipe end on which the mapper
/// thread reports each finished batch.
pub const SC_SHM_FD: u64 = 4;
pub const SC_DONE_FD: u64 = 5;

/// The host system calls the seccomp stub makes, with Linux's x86_64 numbers.
pub const SYS_WRITE: u64 = 1;
pub const SYS_CLOSE: u64 = 3;
pub const SYS_RT_SIGACTION: u64 = 13;
pub const SYS_RT_SIGPROCMASK: u64 = 14;
pub const SYS_RT_SIGRETURN: u64 = 15;
pub const SYS_SCHED_YIELD: u64 = 24;
pub const SYS_GETPID: u64 = 39;
pub const SYS_CLONE: u64 = 56;
pub const SYS_EXIT: u64 = 60;
pub const SYS_SIGALTSTACK: u64 = 131;
pub const SYS_PRCTL: u64 = 157;
pub const SYS_ARCH_PRCTL: u64 = 158;
pub const SYS_FUTEX: u64 = 202;
pub const SYS_SET_TID_ADDRESS: u64 = 218;
pub const SYS_EXIT_GROUP: u64 = 231;
pub const SYS_SECCOMP: u64 = 317;
/// mmap(2)'s `PROT_READ`.
pub const PROT_READ_ONLY: u64 = 0x1;
/// The mapper thread's clone flags: a thread of the stub (CLONE_VM, FS,
/// FILES, SIGHAND, THREAD, SYSVSEM).
pub const SC_CLONE_THREAD: u64 = 0x50f00;
/// The clone flags of another guest thread, started by the mapper thread:
/// a thread of the stub whose host thread id goes into its slot's `tid`,
/// cleared (and woken) by the host when the thread ends
/// (CLONE_PARENT_SETTID, CLONE_CHILD_CLEARTID).
pub const SC_CLONE_GUEST: u64 = SC_CLONE_THREAD | 0x0010_0000 | 0x0020_0000;
/// prctl's PR_SET_NO_NEW_PRIVS, seccomp's SECCOMP_SET_MODE_FILTER,
/// futex's FUTEX_WAIT and FUTEX_WAKE (shared: the kernel waits on its own
/// mapping of the same pages), arch_prctl's ARCH_SET_FS and ARCH_SET_GS.
pub const PR_SET_NO_NEW_PRIVS: u64 = 38;
pub const SECCOMP_SET_MODE_FILTER: u64 = 1;
pub const FUTEX_WAIT: u64 = 0;
pub const FUTEX_WAKE: u64 = 1;
pub const ARCH_SET_GS: u64 = 0x1001;
pub const ARCH_SET_FS: u64 = 0x1002;

/// The control page: a batch of mapping changes for the mapper thread. The
/// kernel writes the requests and the count, then advances `seq`; the
/// mapper first starts a guest thread on slot `spawn` if it is not 0, then
/// runs the requests and writes 1 + the host errno of the first that failed
/// (0 when none did) bytes to its pipe; then, if `resume` is not 0, it
/// stores it in the `rep` of slot `resume_slot` and wakes that guest thread
/// (the reply to a page fault, without another round trip through the
/// kernel). The rest is what a new guest thread starts with, read-only for
/// guest code: its alternate stack, its signal mask and its filter.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct ScCtrl {
    pub seq: u32,
    pub resume: u32,
    pub count: u64,
    pub resume_slot: u64,
    pub spawn: u64,
    /// `stack_t` of the thread `spawn` starts: sp, flags, size.
    pub spawn_ss: [u64; 3],
    pub empty_mask: u64,
    /// The guest filter as a `struct sock_fprog`, and its instructions.
    pub guest_prog_len: u64,
    pub guest_prog: u64,
    pub guest_filter: [ScFilter; SC_FILTER_LEN],
    pub reqs: [StubRequest; SC_MAX_REQS],
}

/// The size of the control page's fields before its requests.
pub const SC_CTRL_HEAD: usize = 80 + SC_FILTER_LEN * core::mem::size_of::<ScFilter>();

/// The most requests one batch holds: as many as fill the page.
pub const SC_MAX_REQS: usize =
    (PAGE_SIZE as usize - SC_CTRL_HEAD) / core::mem::size_of::<StubRequest>();

/// A classic BPF instruction (`struct sock_filter`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ScFilter {
    pub code: u16,
    pub jt: u8,
    pub jf: u8,
    pub k: u32,
}

/// The most instructions of each of the stub's two filters.
pub const SC_FILTER_LEN: usize = 32;

/// The head of the message area. The first part is the trap handshake; the
/// rest is what the stub's start-up code passes to the host, which the kernel
/// prepares before the stub starts.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct SysmsgHead {
    /// Advanced by the stub's handler for each trap it reports.
    pub req: u32,
    /// Set to `req` by the kernel to let the trapped guest go on.
    pub rep: u32,
    /// The host thread id of the slot's guest thread, cleared by the host
    /// when it ends.
    pub tid: u32,
    /// Set by the kernel, with `rep`, to end the guest thread.
    pub exit: u32,
    /// The handler's arguments: the signal, and the addresses of its siginfo
    /// and ucontext (on the alternate stack).
    pub signo: u64,
    pub info: u64,
    pub uc: u64,
    /// The guest's FS and GS bases: read by the handler at a trap when the
    /// CPU lets user code read them (`fsgsbase`), set on the way back when
    /// `set_bases` is not 0.
    pub fs_base: u64,
    pub gs_base: u64,
    pub set_bases: u64,
    pub fsgsbase: u64,
    /// How many times the handler polls `rep` before it sleeps on it.
    pub spin: u64,
    /// The handshake's sleepers: `kwait` is set by the kernel before it
    /// sleeps on `req` (the handler wakes it only then), `gwait` by the
    /// handler before it sleeps on `rep` (the kernel and the mapper wake it
    /// only then). Guest code writing them only slows its own thread.
    pub kwait: u32,
    pub gwait: u32,
    /// The host thread id of the mapper thread.
    pub mapper_tid: u64,
    /// Start-up: the `struct sigaction` of the handler (handler, flags,
    /// restorer, mask), the alternate stack (sp, flags, size), the signal
    /// masks, the handled signals (0-terminated), and the mapper's filter as
    /// a `struct sock_fprog` (length, then the address of the instructions;
    /// the guest threads' is in the control page).
    pub sa_handler: u64,
    pub sa_flags: u64,
    pub sa_restorer: u64,
    pub sa_mask: u64,
    pub ss_sp: u64,
    pub ss_flags: u64,
    pub ss_size: u64,
    pub full_mask: u64,
    pub empty_mask: u64,
    pub signals: [u64; 8],
    pub mapper_prog_len: u64,
    pub mapper_prog: u64,
    pub mapper_filter: [ScFilter; SC_FILTER_LEN],
}
