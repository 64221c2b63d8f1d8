//! The structures of Linux's x86_64 user ABI that system calls exchange with
//! guests, one file per family. Each is declared with `pod_structs!`, which
//! makes it `#[repr(C)]` and `Pod` and proves at compile time that it has no
//! padding (Linux's padding is spelled out as fields named as in Linux's
//! headers); each file's tests check the layout against the host C library's
//! structure of the same name, which follows the kernel's.

mod cred;
mod fs;
mod io;
mod ipc;
mod packet;
mod resource;
mod sigframe;
mod signal;
mod socket;
mod stat;
mod time;
mod tty;

pub use cred::*;
pub use fs::*;
pub use io::*;
pub use ipc::*;
pub use packet::*;
pub use resource::*;
pub use sigframe::*;
pub use signal::*;
pub use socket::*;
pub use stat::*;
pub use time::*;
pub use tty::*;
