//! The machine id (umid) and its directory on the host, as UML's
//! arch/um/os-Linux/umid.c keeps them: `UML_DIR/UMID/` (UML_DIR is `~/.uml/`
//! unless `uml_dir=` names another) holds `pid`, the kernel's host pid, and
//! the sockets host tools reach the instance by (the mconsole's). A directory
//! whose `pid` names a live process belongs to that instance; one left by a
//! dead instance is emptied and taken over. The directory goes at every way
//! out of the kernel (`remove`), and with it the sockets in it.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::OnceLock;

/// UML's UMID_LEN: a umid has at most this many bytes less one.
pub const UMID_LEN: usize = 64;

/// The directory made at boot, removed once at exit.
static DIR: OnceLock<PathBuf> = OnceLock::new();
static REMOVED: AtomicBool = AtomicBool::new(false);

/// The instance's umid and directory.
#[derive(Clone, Debug)]
pub struct Umid {
    pub name: String,
    pub dir: PathBuf,
}

/// Returns `dir` with a leading `~` replaced by $HOME, as UML's make_uml_dir.
fn expand_home(dir: &str) -> Result<PathBuf, String> {
    match dir.strip_prefix('~') {
        Some(rest) => {
            let home = std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or("uml_dir: no value in the environment for $HOME")?;
            let mut p = PathBuf::from(home).into_os_string();
            p.push(rest);
            Ok(PathBuf::from(p))
        }
        None => Ok(PathBuf::from(dir)),
    }
}

/// Returns the pid a `pid` file names when that process lives (UML's
/// is_umdir_used: alive if signal 0 reaches it or fails other than with
/// ESRCH). An unreadable or unparsable file names no one.
fn owner(dir: &Path) -> Option<i32> {
    let text = std::fs::read_to_string(dir.join("pid")).ok()?;
    let pid: i32 = text.trim().parse().ok().filter(|p| *p > 0)?;
    let alive = match nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None) {
        Ok(()) => true,
        Err(e) => e != nix::errno::Errno::ESRCH,
    };
    alive.then_some(pid)
}

/// Removes the files of `dir` and then `dir` (UML's remove_files_and_dir).
fn remove_files_and_dir(dir: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        match std::fs::remove_file(entry.path()) {
            Err(e) if e.kind() != ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    std::fs::remove_dir(dir)
}

/// Returns a fresh random umid: six letters and digits, as mkstemp's
/// `XXXXXX` that UML names it with.
fn random_name() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = [0u8; 6];
    super::random::getrandom(&mut bytes);
    bytes
        .iter()
        .map(|b| CHARS[*b as usize % CHARS.len()] as char)
        .collect()
}

/// Checks a umid given on the command line: at most `UMID_LEN - 1` bytes,
/// and one path component (not empty, `.`, `..`, no `/` or NUL).
pub fn check_name(name: &str) -> Result<(), String> {
    if name.len() > UMID_LEN - 1 {
        return Err(format!(
            "umid={name}: a unique machine name can be at most {} characters",
            UMID_LEN - 1
        ));
    }
    if name.is_empty() || name == "." || name == ".." || name.contains(['/', '\0']) {
        return Err(format!("umid={name}: not a name for a directory"));
    }
    Ok(())
}

/// Makes the directory of umid `name` (a random one for None) under
/// `uml_dir` and writes its `pid` file. Refuses a umid a live instance
/// owns; a dead instance's directory is emptied and taken over. Errors are
/// one line for the user.
pub fn make(uml_dir: &str, name: Option<&str>) -> Result<Umid, String> {
    let base = expand_home(uml_dir)?;
    if let Err(e) = std::fs::create_dir_all(&base) {
        return Err(format!("cannot make {}: {e}", base.display()));
    }
    let mut tries = 0;
    let (name, dir) = loop {
        let n = match name {
            Some(n) => n.to_string(),
            None => random_name(),
        };
        let dir = base.join(&n);
        match std::fs::create_dir(&dir) {
            Ok(()) => break (n, dir),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                if let Some(pid) = owner(&dir) {
                    // A random name can meet a live one: draw again.
                    tries += 1;
                    if name.is_some() || tries > 16 {
                        return Err(format!(
                            "umid \"{n}\" is already in use by pid {pid} ({})",
                            dir.display()
                        ));
                    }
                    continue;
                }
                remove_files_and_dir(&dir)
                    .map_err(|e| format!("cannot remove the stale {}: {e}", dir.display()))?;
                std::fs::create_dir(&dir)
                    .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
                break (n, dir);
            }
            Err(e) => return Err(format!("cannot make {}: {e}", dir.display())),
        }
    };
    let _ = DIR.set(dir.clone());
    write_pid(&dir).map_err(|e| format!("cannot write {}/pid: {e}", dir.display()))?;
    Ok(Umid { name, dir })
}

/// Writes the `pid` file: the kernel's host pid and a newline, mode 0644,
/// made new (UML's create_pid_file).
fn write_pid(dir: &Path) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(dir.join("pid"))?;
    writeln!(f, "{}", std::process::id())
}

/// Removes the umid directory and what is in it; once, whichever way out
/// comes first (exit, power off, reboot before re-executing, panic, a host
/// signal).
pub fn remove() {
    if let Some(dir) = DIR.get() {
        if !REMOVED.swap(true, Ordering::SeqCst) {
            let _ = remove_files_and_dir(dir);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert!(check_name("vm1").is_ok());
        for bad in ["", ".", "..", "a/b", "a\0b", &"x".repeat(64)] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(&"x".repeat(63)).is_ok());
        let r = random_name();
        assert_eq!(r.len(), 6);
        assert!(r.bytes().all(|b| b.is_ascii_alphanumeric()));
    }
}
