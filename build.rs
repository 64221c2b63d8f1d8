//! Builds the stub: the tiny static host program in which guest code runs
//! (arch/stub/stub.S). The binary embeds it and starts it from a sealed memfd.
//! The stub's addresses and the layout of its data page are defined once, in
//! arch/stub/layout.rs (which the kernel includes too): this script includes
//! it, writes its constants and offsets to `stub_layout.h` for the assembly,
//! and links the stub at its address.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The layout shared with the kernel, and the page size it is built on.
#[expect(
    dead_code,
    reason = "the build uses the layout's values, not its types"
)]
mod layout {
    include!("arch/src/abi/page.rs");
    include!("arch/stub/layout.rs");
    include!("arch/stub/sysmsg.rs");
}

/// Returns `stub_layout.h`: the layout's constants and the data page's
/// offsets as `#define`s.
fn layout_header() -> String {
    use layout::*;
    use std::mem::{offset_of, size_of};
    let arg = |i: usize| offset_of!(StubRequest, args) + i * size_of::<u64>();
    let defines = [
        ("PAGE_SIZE", PAGE_SIZE),
        ("STUB_CODE", STUB_CODE),
        ("STUB_DATA", STUB_DATA),
        ("STUB_END", STUB_END),
        ("HOST_TASK_TOP", HOST_TASK_TOP),
        ("STUB_RUN_OFFSET", STUB_RUN_OFFSET),
        ("PHYSMEM_FD", PHYSMEM_FD),
        ("SYS_MMAP", SYS_MMAP),
        ("SYS_MUNMAP", SYS_MUNMAP),
        ("PROT_READ_WRITE", PROT_READ_WRITE),
        ("MAP_SHARED_FIXED", MAP_SHARED_FIXED),
        ("DATA_COUNT", offset_of!(StubData, head.count) as u64),
        ("DATA_RESULT", offset_of!(StubData, head.result) as u64),
        ("DATA_FAILED", offset_of!(StubData, head.failed) as u64),
        ("DATA_REQS", offset_of!(StubData, reqs) as u64),
        ("REQ_SIZE", size_of::<StubRequest>() as u64),
        ("REQ_NR", offset_of!(StubRequest, nr) as u64),
        ("REQ_ARG0", arg(0) as u64),
        ("REQ_ARG1", arg(1) as u64),
        ("REQ_ARG2", arg(2) as u64),
        ("REQ_ARG3", arg(3) as u64),
        ("REQ_ARG4", arg(4) as u64),
        ("REQ_ARG5", arg(5) as u64),
    ];
    let msg = |o: usize| o as u64;
    let seccomp = [
        ("SC_CTRL", SC_CTRL),
        ("SC_SYSMSG", SC_SYSMSG),
        ("SC_SYSMSG_SIZE", SC_SYSMSG_SIZE),
        ("SC_SYSMSG_OFFSET", SC_SYSMSG_OFFSET),
        ("SC_SLOT_SIZE", SC_SLOT_SIZE),
        ("SC_END", SC_END),
        ("SC_HANDLER_OFFSET", SC_HANDLER_OFFSET),
        ("SC_RESTORER_OFFSET", SC_RESTORER_OFFSET),
        ("SC_SHM_FD", SC_SHM_FD),
        ("SC_DONE_FD", SC_DONE_FD),
        ("SYS_WRITE", SYS_WRITE),
        ("SYS_CLOSE", SYS_CLOSE),
        ("SYS_RT_SIGACTION", SYS_RT_SIGACTION),
        ("SYS_RT_SIGPROCMASK", SYS_RT_SIGPROCMASK),
        ("SYS_RT_SIGRETURN", SYS_RT_SIGRETURN),
        ("SYS_SCHED_YIELD", SYS_SCHED_YIELD),
        ("SYS_GETPID", SYS_GETPID),
        ("SYS_CLONE", SYS_CLONE),
        ("SYS_EXIT", SYS_EXIT),
        ("SYS_SET_TID_ADDRESS", SYS_SET_TID_ADDRESS),
        ("SYS_SIGALTSTACK", SYS_SIGALTSTACK),
        ("SYS_PRCTL", SYS_PRCTL),
        ("SYS_ARCH_PRCTL", SYS_ARCH_PRCTL),
        ("SYS_FUTEX", SYS_FUTEX),
        ("SYS_EXIT_GROUP", SYS_EXIT_GROUP),
        ("SYS_SECCOMP", SYS_SECCOMP),
        ("PROT_READ_ONLY", PROT_READ_ONLY),
        ("SC_CLONE_THREAD", SC_CLONE_THREAD),
        ("SC_CLONE_GUEST", SC_CLONE_GUEST),
        ("PR_SET_NO_NEW_PRIVS", PR_SET_NO_NEW_PRIVS),
        ("SECCOMP_SET_MODE_FILTER", SECCOMP_SET_MODE_FILTER),
        ("FUTEX_WAIT", FUTEX_WAIT),
        ("FUTEX_WAKE", FUTEX_WAKE),
        ("ARCH_SET_FS", ARCH_SET_FS),
        ("ARCH_SET_GS", ARCH_SET_GS),
        ("CTRL_SEQ", msg(offset_of!(ScCtrl, seq))),
        ("CTRL_RESUME", msg(offset_of!(ScCtrl, resume))),
        ("CTRL_COUNT", msg(offset_of!(ScCtrl, count))),
        ("CTRL_REQS", msg(offset_of!(ScCtrl, reqs))),
        ("CTRL_RESUME_SLOT", msg(offset_of!(ScCtrl, resume_slot))),
        ("CTRL_SPAWN", msg(offset_of!(ScCtrl, spawn))),
        ("CTRL_SPAWN_SS", msg(offset_of!(ScCtrl, spawn_ss))),
        ("CTRL_EMPTY_MASK", msg(offset_of!(ScCtrl, empty_mask))),
        (
            "CTRL_GUEST_PROG_LEN",
            msg(offset_of!(ScCtrl, guest_prog_len)),
        ),
        ("MSG_REQ", msg(offset_of!(SysmsgHead, req))),
        ("MSG_REP", msg(offset_of!(SysmsgHead, rep))),
        ("MSG_TID", msg(offset_of!(SysmsgHead, tid))),
        ("MSG_EXIT", msg(offset_of!(SysmsgHead, exit))),
        ("MSG_SIGNO", msg(offset_of!(SysmsgHead, signo))),
        ("MSG_INFO", msg(offset_of!(SysmsgHead, info))),
        ("MSG_UC", msg(offset_of!(SysmsgHead, uc))),
        ("MSG_FS_BASE", msg(offset_of!(SysmsgHead, fs_base))),
        ("MSG_GS_BASE", msg(offset_of!(SysmsgHead, gs_base))),
        ("MSG_SET_BASES", msg(offset_of!(SysmsgHead, set_bases))),
        ("MSG_FSGSBASE", msg(offset_of!(SysmsgHead, fsgsbase))),
        ("MSG_SPIN", msg(offset_of!(SysmsgHead, spin))),
        ("MSG_KWAIT", msg(offset_of!(SysmsgHead, kwait))),
        ("MSG_GWAIT", msg(offset_of!(SysmsgHead, gwait))),
        ("MSG_MAPPER_TID", msg(offset_of!(SysmsgHead, mapper_tid))),
        ("MSG_SA_HANDLER", msg(offset_of!(SysmsgHead, sa_handler))),
        ("MSG_SS_SP", msg(offset_of!(SysmsgHead, ss_sp))),
        ("MSG_FULL_MASK", msg(offset_of!(SysmsgHead, full_mask))),
        ("MSG_EMPTY_MASK", msg(offset_of!(SysmsgHead, empty_mask))),
        ("MSG_SIGNALS", msg(offset_of!(SysmsgHead, signals))),
        (
            "MSG_MAPPER_PROG_LEN",
            msg(offset_of!(SysmsgHead, mapper_prog_len)),
        ),
    ];
    let mut h = String::from("/* Generated by build.rs from arch/stub/layout.rs. */\n");
    for (name, value) in defines.into_iter().chain(seccomp) {
        writeln!(h, "#define {name} {value:#x}").expect("writing to a String");
    }
    h
}

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let header = out.join("stub_layout.h");
    std::fs::write(&header, layout_header())
        .unwrap_or_else(|e| panic!("cannot write {}: {e}", header.display()));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    for (source, name) in [
        ("arch/stub/stub.S", "stub"),
        ("arch/stub/seccomp.S", "stub-seccomp"),
    ] {
        let status = Command::new(&cc)
            .args(["-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none"])
            .arg(format!("-Wl,--defsym=STUB_CODE={:#x}", layout::STUB_CODE))
            .arg("-Wl,-T,arch/stub/stub.ld")
            .arg("-I")
            .arg(Path::new(&out))
            .arg("-Iarch/stub")
            .arg("-o")
            .arg(out.join(name))
            .arg(source)
            .status()
            .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` to build the stub: {e}"));
        assert!(status.success(), "building {source} failed");
    }
    for input in [
        "arch/stub/stub.S",
        "arch/stub/seccomp.S",
        "arch/stub/batch.S",
        "arch/stub/sysmsg.rs",
        "arch/stub/stub.ld",
        "arch/stub/layout.rs",
        "arch/src/abi/page.rs",
    ] {
        println!("cargo:rerun-if-changed={input}");
    }
    println!("cargo:rerun-if-env-changed=CC");
}
