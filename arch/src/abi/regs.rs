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

/// Converts between `UserRegs` and the host's `user_regs_struct` (the same
/// layout, field by field), which nix's `ptrace::getregs`/`setregs` transfer.
macro_rules! host_regs_conversions {
    ($($field:ident),* $(,)?) => {
        impl From<libc::user_regs_struct> for UserRegs {
            fn from(r: libc::user_regs_struct) -> UserRegs {
                UserRegs { $($field: r.$field),* }
            }
        }

        impl From<UserRegs> for libc::user_regs_struct {
            fn from(r: UserRegs) -> libc::user_regs_struct {
                libc::user_regs_struct { $($field: r.$field),* }
            }
        }
    };
}

host_regs_conversions!(
    r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax, rip, cs,
    eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs,
);

#[cfg(test)]
mod tests {
    use super::UserRegs;

    #[test]
    fn same_layout_as_the_hosts_user_regs_struct() {
        assert_eq!(
            std::mem::size_of::<UserRegs>(),
            std::mem::size_of::<libc::user_regs_struct>()
        );
        let regs = UserRegs {
            r15: 1,
            rip: 2,
            gs: 3,
            ..UserRegs::default()
        };
        let host = libc::user_regs_struct::from(regs);
        assert_eq!((host.r15, host.rip, host.gs), (1, 2, 3));
        assert_eq!(UserRegs::from(host), regs);
    }
}
