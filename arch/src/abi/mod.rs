//! Definitions of the Linux x86_64 user ABI: errno values, and (in submodules)
//! syscall numbers and the layouts of structures guests exchange with the kernel.

pub mod errno;
