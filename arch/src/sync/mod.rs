//! Synchronisation: the kernel lock and the cells of state it protects
//! (`kernel_lock`), and a plain mutex for what is shared outside it (`mutex`).
//!
//! Kernel state is in `KernelCell`s; a `Mutex` is for data touched by threads that
//! do not hold the kernel lock (host-event threads, timers, the log) and for the
//! library crates (`fs`, `mm`, `drivers`), which are also used without a kernel
//! (their unit tests) and so keep their own fine-grained locks.

pub mod kernel_lock;
mod mutex;

pub use kernel_lock::{KernelCell, KernelRef, KernelRefMut};
pub use mutex::{Mutex, MutexGuard};
