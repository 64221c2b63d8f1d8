//! The `linux` binary: boots the kernel.
#![forbid(unsafe_code)]

fn main() {}
