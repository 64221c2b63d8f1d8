//! The kernel's gdb commands (scripts/gdb/linux.py: lx-ps, lx-dmesg,
//! lx-mounts, lx-task, lx-files), embedded in the binary's
//! `.debug_gdb_scripts` section. gdb reads that section when it loads the
//! binary and, once auto-load trusts the file (`add-auto-load-safe-path`),
//! runs the script: `gdb -p $(pidof linux)` then has the commands without
//! a file to find beside the binary.
//!
//! An entry of the section is one kind byte and its text: 4 is a Python
//! script given inline, its first line its name, the rest its code, ended
//! by a NUL (gdb's "dotdebug_gdb_scripts section" format, which gdb 13 of
//! Debian 12 reads). rustc puts its own entry in the same section (a kind 1
//! entry naming its pretty-printer file); the linker appends ours to it.

/// The script's text.
const SCRIPT: &[u8] = include_bytes!("../../scripts/gdb/linux.py");

/// The kind byte of an inline Python script, then its name.
const HEAD: &[u8] = b"\x04scripts/gdb/linux.py\n";

const LEN: usize = HEAD.len() + SCRIPT.len() + 1;

/// Returns the section entry: `HEAD`, the script, a NUL.
const fn entry() -> [u8; LEN] {
    let mut out = [0u8; LEN];
    let mut i = 0;
    while i < HEAD.len() {
        out[i] = HEAD[i];
        i += 1;
    }
    let mut j = 0;
    while j < SCRIPT.len() {
        out[i + j] = SCRIPT[j];
        j += 1;
    }
    out
}

/// The entry itself. `#[used]` keeps it although no code reads it (rustc
/// makes the linker keep the used statics of every crate it links).
#[used]
#[link_section = ".debug_gdb_scripts"]
static DEBUG_GDB_SCRIPTS: [u8; LEN] = entry();
