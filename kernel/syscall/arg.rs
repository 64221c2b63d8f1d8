//! Typed system call arguments: what a handler's parameter can be, made from
//! its raw register by the table's dispatch (`FromArg`). A pointer to a Linux
//! ABI structure is a `UserPtr<T>`: reading or writing it copies the whole
//! structure through the task's page table, with no byte offsets in handlers;
//! `user_field!` points at one field of it, `add` at the next element of an
//! array. It is read and written through `fs::UserMemory`: a trap's
//! `TrapContext`, what a file operation is given, or any `Task` (work done
//! outside the task's own system calls, as at its exit).

use crate::task::TrapContext;
use arch::abi::pod::{as_bytes, as_bytes_mut, from_bytes, slice_as_bytes, zeroed, Pod};
use arch::{Errno, Result};
use fs::UserMemory;
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

    /// Returns the guest address.
    pub fn addr(self) -> u64 {
        self.addr
    }

    /// Returns a pointer `n` elements further (wrapping, as guest
    /// arithmetic does; an address that wraps faults when used).
    pub fn add(self, n: u64) -> Self {
        UserPtr::new(
            self.addr
                .wrapping_add(n.wrapping_mul(std::mem::size_of::<T>() as u64)),
        )
    }

    /// Returns a pointer to the field at `offset` whose type `_field`
    /// names; `user_field!` is the way to call it.
    pub fn field<U>(self, offset: usize, _field: fn(&T) -> &U) -> UserPtr<U> {
        UserPtr::new(self.addr.wrapping_add(offset as u64))
    }
}

/// Returns a `UserPtr` to field `$field` of the `$T` that `$ptr` points at
/// (Linux's `&uptr->field`), typed as the field is.
macro_rules! user_field {
    ($ptr:expr, $T:ty, $field:ident) => {
        $crate::syscall::UserPtr::<$T>::field(
            $ptr,
            ::core::mem::offset_of!($T, $field),
            |t: &$T| &t.$field,
        )
    };
}
pub(crate) use user_field;

impl<T: Pod> UserPtr<T> {
    /// Reads the `T` the guest points at (EFAULT if it cannot be read).
    pub fn read(self, ctx: &(impl UserMemory + ?Sized)) -> Result<T> {
        let mut v = zeroed::<T>();
        ctx.read_user(self.addr, as_bytes_mut(&mut v))?;
        Ok(v)
    }

    /// Reads `n` consecutive `T`s the guest points at (EFAULT if any byte
    /// cannot be read); the caller bounds `n`.
    pub fn read_array(self, ctx: &(impl UserMemory + ?Sized), n: usize) -> Result<Vec<T>> {
        let size = std::mem::size_of::<T>();
        let mut buf = vec![0u8; n.checked_mul(size).ok_or(Errno::EINVAL)?];
        ctx.read_user(self.addr, &mut buf)?;
        Ok(buf.chunks_exact(size).filter_map(from_bytes).collect())
    }

    /// Writes the `T`s of `v` one after the other where the guest points.
    pub fn write_array(self, ctx: &(impl UserMemory + ?Sized), v: &[T]) -> Result<()> {
        ctx.write_user(self.addr, slice_as_bytes(v))
    }

    /// Reads a `T` the guest gave with its size, `size` bytes, as Linux's
    /// `copy_struct_from_user` does for extensible structures: a shorter
    /// (older) one reads as zeroes past its end, and a longer (newer) one
    /// must be zero past the fields this kernel knows (E2BIG otherwise).
    /// The caller bounds `size`.
    pub fn read_sized(self, ctx: &(impl UserMemory + ?Sized), size: usize) -> Result<T> {
        let known = std::mem::size_of::<T>();
        let mut buf = vec![0u8; size];
        ctx.read_user(self.addr, &mut buf)?;
        if buf
            .get(known..)
            .is_some_and(|rest| rest.iter().any(|&b| b != 0))
        {
            return Err(Errno::E2BIG);
        }
        buf.resize(known.max(size), 0);
        from_bytes(&buf).ok_or(Errno::EFAULT)
    }

    /// Writes `v` where the guest points (EFAULT if it cannot be written).
    pub fn write(self, ctx: &(impl UserMemory + ?Sized), v: &T) -> Result<()> {
        ctx.write_user(self.addr, as_bytes(v))
    }
}

// Plain integers: a C `int` or `unsigned int` parameter is the register's low
// 32 bits, as Linux's system call wrappers cast it; `long`s take all 64.

impl FromArg for i32 {
    fn from_arg(raw: u64) -> Self {
        raw as u32 as i32
    }
}

impl FromArg for u32 {
    fn from_arg(raw: u64) -> Self {
        raw as u32
    }
}

impl FromArg for i64 {
    fn from_arg(raw: u64) -> Self {
        raw as i64
    }
}

/// A file descriptor (an `int`, or an `unsigned int` that is out of range past
/// `INT_MAX` either way); `AT_FDCWD` for the directory of `*at` calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fd(pub i32);

impl Fd {
    /// The working directory, as the directory argument of an `*at` call.
    pub const AT_FDCWD: Fd = Fd(-100);

    /// Returns the open file this descriptor names (EBADF if none).
    pub fn file(self, ctx: &TrapContext) -> Result<std::sync::Arc<fs::File>> {
        ctx.task.files().borrow().get(self.0)
    }
}

impl FromArg for Fd {
    fn from_arg(raw: u64) -> Self {
        Fd(i32::from_arg(raw))
    }
}

/// A guest address of a NUL-terminated string (a path, a name).
#[derive(Clone, Copy, Debug)]
pub struct UserStr(pub u64);

impl UserStr {
    /// Reads the string as a path (ENAMETOOLONG past PATH_MAX, EFAULT).
    pub fn read_path(self, ctx: &TrapContext) -> Result<Vec<u8>> {
        ctx.read_path(self.0)
    }

    /// Returns whether the pointer is NULL.
    pub fn is_null(self) -> bool {
        self.0 == 0
    }
}

impl FromArg for UserStr {
    fn from_arg(raw: u64) -> Self {
        UserStr(raw)
    }
}
