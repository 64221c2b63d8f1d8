//! Definitions of the Linux x86_64 user ABI: the page size, errno values,
//! capability numbers and secure bits, the register frame, resource limits,
//! signal numbers, and the layouts of the structures guests exchange with
//! the kernel (`structs`, as plain old data: `pod`).

pub mod capability;
pub mod errno;
pub mod pod;
pub mod ptrace;
pub mod regs;
pub mod resource;
pub mod signal;
pub mod structs;

include!("page.rs");
