//! `#!` scripts (Linux's binfmt_script): the first line names an interpreter
//! and at most one argument — everything after the interpreter's name, with
//! surrounding blanks removed, is that one argument.

use arch::{Errno, Result};
use fs::Inode;
use std::sync::Arc;

/// How much of the first line Linux reads (BINPRM_BUF_SIZE).
const BUF_SIZE: usize = 256;

/// The interpreter a `#!` line names and its optional argument.
pub type Interpreter = (Vec<u8>, Option<Vec<u8>>);

/// Returns the interpreter if the file starts with `#!`.
pub fn parse(inode: &Arc<dyn Inode>) -> Result<Option<Interpreter>> {
    let mut buf = [0u8; BUF_SIZE];
    let n = fs::address_space::read(inode.as_ref(), 0, &mut buf)?;
    let buf = &buf[..n];
    if !buf.starts_with(b"#!") {
        return Ok(None);
    }
    let line = match buf.iter().position(|&b| b == b'\n') {
        Some(end) => &buf[2..end],
        // A first line longer than the buffer must still hold the whole
        // interpreter name (Linux 5.0 and later); otherwise ENOEXEC.
        None => {
            let rest = &buf[2..];
            let trimmed = trim(rest);
            if !trimmed.iter().any(|b| b.is_ascii_whitespace()) {
                return Err(Errno::ENOEXEC);
            }
            rest
        }
    };
    let line = trim(line);
    if line.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    let split = line
        .iter()
        .position(|b| *b == b' ' || *b == b'\t')
        .unwrap_or(line.len());
    let interp = line[..split].to_vec();
    let arg = trim(&line[split..]);
    Ok(Some((interp, (!arg.is_empty()).then(|| arg.to_vec()))))
}

fn trim(s: &[u8]) -> &[u8] {
    let blank = |b: &u8| *b == b' ' || *b == b'\t';
    let start = s.iter().position(|b| !blank(b)).unwrap_or(s.len());
    let end = s.iter().rposition(|b| !blank(b)).map_or(start, |e| e + 1);
    &s[start..end]
}
