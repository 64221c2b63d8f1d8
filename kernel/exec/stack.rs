//! The initial stack of a new program, laid out as Linux's `create_elf_tables`:
//! from the top, the file name, environment and argument strings, the platform
//! string and 16 random bytes; below them, 16-byte aligned, the auxiliary vector,
//! envp, argv and argc, with the stack pointer at argc.

use arch::abi::pod::slice_as_bytes;
use arch::Result;
use mm::{MapFlags, Mm, Prot, VmaName, PAGE_SIZE};

/// Auxiliary vector keys (include/uapi/linux/auxvec.h).
pub const AT_NULL: u64 = 0;
pub const AT_PHDR: u64 = 3;
pub const AT_PHENT: u64 = 4;
pub const AT_PHNUM: u64 = 5;
pub const AT_PAGESZ: u64 = 6;
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_PLATFORM: u64 = 15;
pub const AT_HWCAP: u64 = 16;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_EXECFN: u64 = 31;
pub const AT_MINSIGSTKSZ: u64 = 51;

/// The top of every new stack (the highest guest address, below the backend's own
/// pages).
pub const STACK_TOP: u64 = arch::backend::TASK_SIZE;
/// Room below the strings that the stack VMA starts with (Linux: 128 KiB).
const STACK_EXPAND: u64 = 128 * 1024;

/// Where `build` put things.
pub struct Stack {
    /// The initial stack pointer, at argc.
    pub sp: u64,
    /// The argument strings, one after the other.
    pub args: (u64, u64),
    /// The environment strings, right after the arguments.
    pub env: (u64, u64),
}

/// Builds the stack in `mm`; `auxv` lacks AT_RANDOM, AT_EXECFN and AT_PLATFORM,
/// which point into the stack and are added here.
pub fn build(
    mm: &mut Mm,
    filename: &[u8],
    argv: &[Vec<u8>],
    envp: &[Vec<u8>],
    auxv: &[(u64, u64)],
) -> Result<Stack> {
    let strings: u64 = [filename]
        .into_iter()
        .chain(argv.iter().map(|v| v.as_slice()))
        .chain(envp.iter().map(|v| v.as_slice()))
        .map(|s| s.len() as u64 + 1)
        .sum();
    let words = 1 + argv.len() + 1 + envp.len() + 1 + (auxv.len() + 4) * 2;
    let need = strings + 16 + 16 + words as u64 * 8 + 64;
    let size = (need + STACK_EXPAND + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    let flags = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::FIXED | MapFlags::GROWSDOWN;
    mm.mmap(
        STACK_TOP - size,
        size,
        Prot::READ | Prot::WRITE,
        flags,
        None,
        0,
        VmaName::Stack,
    )?;

    let mut sp = STACK_TOP - 8; // a NULL word at the very top, as Linux leaves
    let mut push_str = |mm: &mut Mm, s: &[u8]| -> Result<u64> {
        sp -= s.len() as u64 + 1;
        let mut b = s.to_vec();
        b.push(0);
        mm.copy_to_user(sp, &b)?;
        Ok(sp)
    };
    let execfn = push_str(mm, filename)?;
    let mut env_ptrs = Vec::with_capacity(envp.len());
    for e in envp.iter().rev() {
        env_ptrs.push(push_str(mm, e)?);
    }
    env_ptrs.reverse();
    let mut arg_ptrs = Vec::with_capacity(argv.len());
    for a in argv.iter().rev() {
        arg_ptrs.push(push_str(mm, a)?);
    }
    arg_ptrs.reverse();
    let env_start = env_ptrs.first().copied().unwrap_or(execfn);
    let args = (arg_ptrs.first().copied().unwrap_or(env_start), env_start);
    let platform = push_str(mm, b"x86_64")?;
    let mut random = [0u8; 16];
    arch::host::random::getrandom(&mut random);
    sp = (sp - 16) & !15;
    let random_at = sp;
    mm.copy_to_user(random_at, &random)?;

    let mut table: Vec<u64> = Vec::with_capacity(words);
    table.push(argv.len() as u64);
    table.extend(&arg_ptrs);
    table.push(0);
    table.extend(&env_ptrs);
    table.push(0);
    for &(k, v) in auxv {
        table.extend([k, v]);
    }
    table.extend([
        AT_RANDOM,
        random_at,
        AT_EXECFN,
        execfn,
        AT_PLATFORM,
        platform,
        AT_NULL,
        0,
    ]);
    sp = (sp - table.len() as u64 * 8) & !15;
    mm.copy_to_user(sp, slice_as_bytes(&table))?;
    Ok(Stack {
        sp,
        args,
        env: (env_start, execfn),
    })
}
