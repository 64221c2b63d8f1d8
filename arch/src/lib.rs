//! The host layer. Everything this kernel asks of the host Linux kernel lives here:
//! the x86_64 Linux ABI definitions shared by every crate (`abi`), guest physical
//! memory as a memfd (`physmem`), the backend that runs guest code (`backend`:
//! its interface, and the stub processes under ptrace that implement it), host
//! files for block devices, and the host terminal.
//!
//! This is the only crate allowed to use `unsafe`, libc or nix; every `unsafe` block
//! carries a `// SAFETY:` comment. The crates above it see only safe interfaces.

pub mod abi;
pub mod backend;
mod gdb_scripts;
pub mod host;
pub mod physmem;
pub mod sync;

pub use abi::errno::{Errno, Result};
pub use abi::regs::UserRegs;
pub use physmem::{PhysMem, PAGE_SIZE};
