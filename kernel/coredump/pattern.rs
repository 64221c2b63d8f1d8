//! kernel.core_pattern and kernel.core_uses_pid (core(5), Linux's
//! `format_corename`): the name of the core file, or with a leading `|` the
//! program that reads the core on its standard input and its arguments,
//! with the `%` specifiers expanded.

use arch::sync::KernelCell;
use std::sync::atomic::AtomicBool;

/// Linux's CORENAME_MAX_SIZE: the longest pattern kept.
pub const CORENAME_MAX_SIZE: usize = 128;

/// /proc/sys/kernel/core_pattern.
pub static CORE_PATTERN: KernelCell<Vec<u8>> = KernelCell::new(Vec::new());
/// /proc/sys/kernel/core_uses_pid.
pub static CORE_USES_PID: AtomicBool = AtomicBool::new(false);

/// Returns the pattern in force ("core" until one is written).
pub fn core_pattern() -> Vec<u8> {
    let p = CORE_PATTERN.borrow();
    if p.is_empty() {
        b"core".to_vec()
    } else {
        p.clone()
    }
}

/// The facts the specifiers stand for.
pub struct Specifiers {
    /// Process and thread ids (the dumping thread's), as the process sees
    /// them (`%p`, `%i`) and in the initial namespace (`%P`, `%I`).
    pub pid: i32,
    pub tid: i32,
    pub uid: u32,
    pub gid: u32,
    pub signal: i32,
    /// Seconds since the Epoch.
    pub time: u64,
    pub hostname: Vec<u8>,
    pub comm: Vec<u8>,
    /// The executable's path.
    pub exe: Vec<u8>,
    /// The soft RLIMIT_CORE (`%c`).
    pub core_limit: u64,
    /// The dump mode, 1 or 2 (`%d`).
    pub dumpable: u32,
}

/// What a pattern says to do with the core.
#[derive(Debug, PartialEq, Eq)]
pub enum CoreName {
    /// Write it to this file (relative to the process's working directory).
    File(Vec<u8>),
    /// Pipe it to this program with these arguments (`argv[0]` first).
    Pipe(Vec<Vec<u8>>),
}

/// Returns `s` with `/` turned into `!`, as a name a file may have.
fn escaped(s: &[u8]) -> Vec<u8> {
    s.iter()
        .map(|&c| if c == b'/' { b'!' } else { c })
        .collect()
}

/// Expands the specifiers of `pattern` into `out`; returns whether `%p` was
/// among them. A file name gets `/` of the command and executable names
/// turned into `!`; an unknown specifier and a lone `%` at the end vanish.
fn expand(pattern: &[u8], s: &Specifiers, pipe: bool, out: &mut Vec<u8>) -> bool {
    let mut pid_in_pattern = false;
    let mut it = pattern.iter();
    while let Some(&c) = it.next() {
        if c != b'%' {
            out.push(c);
            continue;
        }
        let Some(&spec) = it.next() else { break };
        let text: Vec<u8> = match spec {
            b'%' => b"%".to_vec(),
            b'p' => {
                pid_in_pattern = true;
                s.pid.to_string().into_bytes()
            }
            b'P' => s.pid.to_string().into_bytes(),
            b'i' | b'I' => s.tid.to_string().into_bytes(),
            b'u' => s.uid.to_string().into_bytes(),
            b'g' => s.gid.to_string().into_bytes(),
            b'd' => s.dumpable.to_string().into_bytes(),
            b's' => s.signal.to_string().into_bytes(),
            b't' => s.time.to_string().into_bytes(),
            b'c' => s.core_limit.to_string().into_bytes(),
            b'h' => s.hostname.clone(),
            b'e' if pipe => s.comm.clone(),
            b'e' => escaped(&s.comm),
            b'E' => escaped(&s.exe),
            b'f' => {
                let base = s.exe.rsplit(|&c| c == b'/').next().unwrap_or(&[]);
                base.to_vec()
            }
            _ => Vec::new(),
        };
        out.extend_from_slice(&text);
    }
    pid_in_pattern
}

/// Returns what `pattern` names for a dump with `s`. With `uses_pid` and no
/// `%p`, a file name gets `.PID` appended.
pub fn format_corename(pattern: &[u8], s: &Specifiers, uses_pid: bool) -> CoreName {
    if let Some(cmd) = pattern.strip_prefix(b"|") {
        // Split at spaces first, so that an expanded name with spaces in it
        // stays one argument.
        let argv = cmd
            .split(|&c| c == b' ')
            .filter(|a| !a.is_empty())
            .map(|a| {
                let mut out = Vec::new();
                expand(a, s, true, &mut out);
                out
            })
            .collect();
        return CoreName::Pipe(argv);
    }
    let mut out = Vec::new();
    let pid_in_pattern = expand(pattern, s, false, &mut out);
    if uses_pid && !pid_in_pattern {
        out.extend_from_slice(format!(".{}", s.pid).as_bytes());
    }
    CoreName::File(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn specs() -> Specifiers {
        Specifiers {
            pid: 42,
            tid: 43,
            uid: 1000,
            gid: 100,
            signal: 11,
            time: 7,
            hostname: b"box".to_vec(),
            comm: b"a/b".to_vec(),
            exe: b"/usr/bin/crash".to_vec(),
            core_limit: 0,
            dumpable: 1,
        }
    }

    #[test]
    fn file_names() {
        let s = specs();
        let name = |p: &[u8], pid| format_corename(p, &s, pid);
        assert_eq!(name(b"core", false), CoreName::File(b"core".to_vec()));
        assert_eq!(name(b"core", true), CoreName::File(b"core.42".to_vec()));
        assert_eq!(name(b"c.%p", true), CoreName::File(b"c.42".to_vec()));
        assert_eq!(
            name(b"%e-%s-%u-%g-%h-%E-%f-%i-%%-%z%", false),
            CoreName::File(b"a!b-11-1000-100-box-!usr!bin!crash-crash-43-%-".to_vec())
        );
    }

    #[test]
    fn pipes() {
        let s = specs();
        assert_eq!(
            format_corename(b"|/bin/h %p  %e x", &s, true),
            CoreName::Pipe(vec![
                b"/bin/h".to_vec(),
                b"42".to_vec(),
                b"a/b".to_vec(),
                b"x".to_vec()
            ])
        );
    }
}
