//! Host services other than stubs: files backing block devices, the host terminal,
//! clocks, randomness and CPU identification.

pub mod console;
pub mod cpu;
pub mod file;
pub mod random;
pub mod time;
