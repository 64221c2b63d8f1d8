//! The `linux` binary: boots the kernel.
#![forbid(unsafe_code)]
use arch::stub::{MapOp, Stub, Trap};
use std::sync::Arc;

static STUB_ELF: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stub"));

fn main() {
    log::set_logger(&LL).unwrap(); log::set_max_level(log::LevelFilter::Trace);
    arch::stub::set_stub_image(STUB_ELF).unwrap();
    let pm = Arc::new(arch::PhysMem::new(16 << 20).unwrap());
    let mut stub = Stub::spawn(pm.clone(), 0).unwrap();
    // code at frame 1: mov $39,%eax; syscall; mov (0x500000),%rax ; int3
    let code = [0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x48, 0x8b, 0x04, 0x25, 0x00, 0x00, 0x50, 0x00, 0xcc];
    pm.write(4096, &code);
    stub.queue(MapOp::Map { vaddr: 0x400000, len: 4096, paddr: 4096, prot: 5 });
    let mut regs = stub.initial_regs();
    regs.rip = 0x400000;
    let t0 = std::time::Instant::now();
    let x = stub.get_xstate().unwrap();
    println!("xstate {} {:?}", x.len(), t0.elapsed());
    for i in 0..3 {
        let t = stub.run(&mut regs).unwrap();
        println!("{i}: {t:?} rip={:#x} orig_rax={}", regs.rip, regs.orig_rax as i64);
        if let Trap::PageFault { .. } = t {
            pm.write(8192, &42u64.to_ne_bytes());
            stub.queue(MapOp::Map { vaddr: 0x500000, len: 4096, paddr: 8192, prot: 1 });
        }
        if t == Trap::Syscall { regs.rax = 1234; }
    }
    println!("rax={}", regs.rax);
    let t0 = std::time::Instant::now();
    for _ in 0..10000 { regs.rip = 0x400005; regs.rax = 39; stub.run(&mut regs).unwrap(); }
    println!("10000 syscalls {:?}", t0.elapsed());
}
struct L;
impl log::Log for L { fn enabled(&self, _: &log::Metadata) -> bool { true } fn log(&self, r: &log::Record) { eprintln!("{} {}", r.level(), r.args()); } fn flush(&self) {} }
static LL: L = L;
