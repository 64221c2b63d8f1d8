//! The x86_64 user register frame, in the layout of Linux's `struct user_regs_struct`
//! (arch/x86/include/asm/user_64.h), which is what ptrace transfers and what the
//! kernel keeps for each task while its guest code is stopped.

/// General-purpose registers, segment selectors and the FS/GS bases of a task.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserRegs {
    pub r15: u64,
    pub r14: u64,
    pub r13: u64,
    pub r12: u64,
    pub rbp: u64,
    pub rbx: u64,
    pub r11: u64,
    pub r10: u64,
    pub r9: u64,
    pub r8: u64,
    pub rax: u64,
    pub rcx: u64,
    pub rdx: u64,
    pub rsi: u64,
    pub rdi: u64,
    pub orig_rax: u64,
    pub rip: u64,
    pub cs: u64,
    pub eflags: u64,
    pub rsp: u64,
    pub ss: u64,
    pub fs_base: u64,
    pub gs_base: u64,
    pub ds: u64,
    pub es: u64,
    pub fs: u64,
    pub gs: u64,
}

impl UserRegs {
    /// Returns the system call number and its six arguments, in the x86_64 order.
    pub fn syscall_args(&self) -> (u64, [u64; 6]) {
        (
            self.orig_rax,
            [self.rdi, self.rsi, self.rdx, self.r10, self.r8, self.r9],
        )
    }
}
