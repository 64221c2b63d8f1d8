//! Definitions of the Linux x86_64 user ABI: errno values, the register frame,
//! and (in submodules) the layouts of structures guests exchange with the kernel.

pub mod errno;
pub mod pod;
pub mod regs;
pub mod resource;
pub mod structs;
