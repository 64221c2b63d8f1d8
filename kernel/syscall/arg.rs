//! Typed system call arguments: what a handler's parameter can be, made from
//! its raw register by the table's dispatch (`FromArg`). A pointer to a Linux
//! ABI structure is a `UserPtr<T>`: reading or writing it copies the whole
//! structure through the task's page table, with no byte offsets in handlers.

use crate::task::TrapContext;
use arch::abi::pod::{as_bytes, from_bytes, Pod};
use arch::{Errno, Result};
use std::marker::PhantomData;

/// Makes a handler parameter from its raw 64-bit register.
pub trait FromArg {
    fn from_arg(raw: u64) -> Self;
}

impl FromArg for u64 {
    fn from_arg(raw: u64) -> Self {
        raw
    }
}

/// A guest address of a `T` (Linux's `T __user *`).
pub struct UserPtr<T> {
    addr: u64,
    _t: PhantomData<fn() -> T>,
}

impl<T> Clone for UserPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for UserPtr<T> {}

impl<T> FromArg for UserPtr<T> {
    fn from_arg(raw: u64) -> Self {
        UserPtr::new(raw)
    }
}

impl<T> UserPtr<T> {
    pub fn new(addr: u64) -> Self {
        UserPtr {
            addr,
            _t: PhantomData,
        }
    }

    /// Returns whether the pointer is NULL (many arguments are optional).
    pub fn is_null(self) -> bool {
        self.addr == 0
    }
}

impl<T: Pod> UserPtr<T> {
    /// Reads the `T` the guest points at (EFAULT if it cannot be read).
    pub fn read(self, ctx: &TrapContext) -> Result<T> {
        let mut buf = vec![0u8; std::mem::size_of::<T>()];
        ctx.read_user(self.addr, &mut buf)?;
        from_bytes(&buf).ok_or(Errno::EFAULT)
    }

    /// Reads `n` consecutive `T`s the guest points at (EFAULT if any byte
    /// cannot be read); the caller bounds `n`.
    pub fn read_array(self, ctx: &TrapContext, n: usize) -> Result<Vec<T>> {
        let size = std::mem::size_of::<T>();
        let mut buf = vec![0u8; n.checked_mul(size).ok_or(Errno::EINVAL)?];
        ctx.read_user(self.addr, &mut buf)?;
        Ok(buf.chunks_exact(size).filter_map(from_bytes).collect())
    }

    /// Writes the `T`s of `v` one after the other where the guest points.
    pub fn write_array(self, ctx: &TrapContext, v: &[T]) -> Result<()> {
        let bytes: Vec<u8> = v.iter().flat_map(|x| as_bytes(x).iter().copied()).collect();
        ctx.write_user(self.addr, &bytes)
    }

    /// Writes `v` where the guest points (EFAULT if it cannot be written).
    pub fn write(self, ctx: &TrapContext, v: &T) -> Result<()> {
        ctx.write_user(self.addr, as_bytes(v))
    }
}
