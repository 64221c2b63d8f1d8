//! Builds the stub: the tiny static host program in which guest code runs
//! (arch/stub/stub.S). The binary embeds it and starts it from a sealed memfd.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let stub = out.join("stub");
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let status = Command::new(&cc)
        .args(["-nostdlib", "-static", "-no-pie", "-Wl,--build-id=none"])
        .arg("-Wl,-T,arch/stub/stub.ld")
        .arg("-o")
        .arg(&stub)
        .arg("arch/stub/stub.S")
        .status()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` to build the stub: {e}"));
    assert!(status.success(), "building arch/stub/stub.S failed");
    println!("cargo:rerun-if-changed=arch/stub/stub.S");
    println!("cargo:rerun-if-changed=arch/stub/stub.ld");
    println!("cargo:rerun-if-env-changed=CC");
}
