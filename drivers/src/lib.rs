//! The guest-facing halves of the drivers. Their host halves (files, terminals)
//! live in `arch::host`, as UML splits `ubd_kern.c` from `ubd_user.c`.
#![forbid(unsafe_code)]

pub mod partitions;
pub mod tty;
pub mod ubd;
