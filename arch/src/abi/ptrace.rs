//! ptrace(2)'s requests, options, events and `struct user` offsets
//! (include/uapi/linux/ptrace.h, arch/x86/include/asm/user_64.h).

pub const PTRACE_TRACEME: u64 = 0;
pub const PTRACE_PEEKTEXT: u64 = 1;
pub const PTRACE_PEEKDATA: u64 = 2;
pub const PTRACE_PEEKUSR: u64 = 3;
pub const PTRACE_POKETEXT: u64 = 4;
pub const PTRACE_POKEDATA: u64 = 5;
pub const PTRACE_POKEUSR: u64 = 6;
pub const PTRACE_CONT: u64 = 7;
pub const PTRACE_KILL: u64 = 8;
pub const PTRACE_SINGLESTEP: u64 = 9;
pub const PTRACE_GETREGS: u64 = 12;
pub const PTRACE_SETREGS: u64 = 13;
pub const PTRACE_GETFPREGS: u64 = 14;
pub const PTRACE_SETFPREGS: u64 = 15;
pub const PTRACE_ATTACH: u64 = 16;
pub const PTRACE_DETACH: u64 = 17;
pub const PTRACE_SYSCALL: u64 = 24;
pub const PTRACE_SYSEMU: u64 = 31;
pub const PTRACE_SYSEMU_SINGLESTEP: u64 = 32;
pub const PTRACE_SETOPTIONS: u64 = 0x4200;
pub const PTRACE_GETEVENTMSG: u64 = 0x4201;
pub const PTRACE_GETSIGINFO: u64 = 0x4202;
pub const PTRACE_SETSIGINFO: u64 = 0x4203;
pub const PTRACE_GETREGSET: u64 = 0x4204;
pub const PTRACE_SETREGSET: u64 = 0x4205;
pub const PTRACE_SEIZE: u64 = 0x4206;
pub const PTRACE_INTERRUPT: u64 = 0x4207;
pub const PTRACE_LISTEN: u64 = 0x4208;
pub const PTRACE_GETSIGMASK: u64 = 0x420a;
pub const PTRACE_SETSIGMASK: u64 = 0x420b;
pub const PTRACE_GET_SYSCALL_INFO: u64 = 0x420e;

pub const PTRACE_O_TRACESYSGOOD: u64 = 1;
pub const PTRACE_O_TRACEFORK: u64 = 1 << 1;
pub const PTRACE_O_TRACEVFORK: u64 = 1 << 2;
pub const PTRACE_O_TRACECLONE: u64 = 1 << 3;
pub const PTRACE_O_TRACEEXEC: u64 = 1 << 4;
pub const PTRACE_O_TRACEVFORKDONE: u64 = 1 << 5;
pub const PTRACE_O_TRACEEXIT: u64 = 1 << 6;
pub const PTRACE_O_TRACESECCOMP: u64 = 1 << 7;
pub const PTRACE_O_EXITKILL: u64 = 1 << 20;
pub const PTRACE_O_SUSPEND_SECCOMP: u64 = 1 << 21;
/// Every option there is.
pub const PTRACE_O_MASK: u64 = 0xff | PTRACE_O_EXITKILL | PTRACE_O_SUSPEND_SECCOMP;

pub const PTRACE_EVENT_FORK: u32 = 1;
pub const PTRACE_EVENT_VFORK: u32 = 2;
pub const PTRACE_EVENT_CLONE: u32 = 3;
pub const PTRACE_EVENT_EXEC: u32 = 4;
pub const PTRACE_EVENT_VFORK_DONE: u32 = 5;
pub const PTRACE_EVENT_EXIT: u32 = 6;
pub const PTRACE_EVENT_STOP: u32 = 128;

/// PTRACE_GET_SYSCALL_INFO's `op`.
pub const PTRACE_SYSCALL_INFO_NONE: u8 = 0;
pub const PTRACE_SYSCALL_INFO_ENTRY: u8 = 1;
pub const PTRACE_SYSCALL_INFO_EXIT: u8 = 2;

/// The register sets of PTRACE_GETREGSET (include/uapi/linux/elf.h).
pub const NT_PRSTATUS: u64 = 1;
pub const NT_PRFPREG: u64 = 2;
pub const NT_X86_XSTATE: u64 = 0x202;

/// Offsets in x86_64's `struct user`: the registers, then `u_fpvalid`, the
/// 512-byte FXSAVE area, and further on the eight debug registers.
pub const USER_REGS_SIZE: u64 = 27 * 8;
pub const USER_DEBUGREG_OFFSET: u64 = 848;
/// The size of the whole `struct user`.
pub const USER_SIZE: u64 = 928;

/// AUDIT_ARCH_X86_64, PTRACE_GET_SYSCALL_INFO's `arch`.
pub const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
