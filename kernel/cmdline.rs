//! The kernel command line, in UML's syntax: `./linux ubd0=disk.img mem=256M
//! init=/bin/sh quiet -- args`. Words the kernel does not know go to init as Linux
//! passes them: `key=value` words into its environment, other words into its argv,
//! and everything after `--` into its argv.

use crate::nic_spec::{self, NicSpec};
use arch::PAGE_SIZE;
use std::path::PathBuf;

/// The number of ubd disks (`ubd0` ... `ubd7`).
pub const MAX_UBD: usize = 8;
/// Guest RAM when no `mem=` is given.
pub const DEFAULT_MEM: u64 = 128 << 20;
/// The least guest RAM the kernel boots with.
pub const MIN_MEM: u64 = 16 << 20;

/// The virtual consoles (`con0` ... `con7`).
pub const MAX_CON: usize = 8;
/// The serial lines (`ssl0` ... `ssl3`).
pub const MAX_SSL: usize = 4;

/// The host channel behind a console or serial line (`con0=SPEC`, `ssl0=SPEC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LineSpec {
    /// `fd:N` or `fd:IN,fd:OUT`: host file descriptors.
    Fd { input: i32, output: i32 },
    /// `null`: output is discarded and no input ever arrives.
    Null,
    /// `pts`: a new host pseudo-terminal.
    Pts,
}

pub use drivers::ubd::UbdSpec;

/// What the command line asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cmdline {
    pub ubd: [Option<UbdSpec>; MAX_UBD],
    /// The virtual consoles: con0 is /dev/console (and /dev/tty0), conN /dev/ttyN.
    pub con: [Option<LineSpec>; MAX_CON],
    /// The serial lines: sslN is /dev/ttySN.
    pub ssl: [Option<LineSpec>; MAX_SSL],
    pub mem: u64,
    pub root: String,
    pub rootfstype: Option<String>,
    /// `hostfs=DIR`: the host directory every hostfs mount is confined to
    /// (the host's `/` without it), as in UML.
    pub hostfs: Option<String>,
    /// `rootflags=`: the root filesystem's mount data (for a hostfs root,
    /// the directory beneath `hostfs=`).
    pub rootflags: String,
    pub read_only_root: bool,
    pub init: Option<String>,
    pub loglevel: u8,
    pub init_args: Vec<String>,
    pub init_env: Vec<String>,
    /// `strace=`: the command names whose system calls are logged (`all`: every one).
    pub strace: Vec<String>,
    /// The network cards (`ethN=`, `vecN:`), in the order given.
    pub nics: Vec<NicSpec>,
    /// `backend=`: how guest code runs (None: seccomp where the host allows it).
    pub backend: Option<BackendKind>,
    /// `umid=`: the machine's name (a random one when not given).
    pub umid: Option<String>,
    /// `uml_dir=`: where the umid's directory is made (`~/.uml/`).
    pub uml_dir: String,
    /// The whole command line as /proc/cmdline will show it.
    pub raw: String,
}

/// The execution backends (`backend=`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BackendKind {
    /// Stubs whose own signal handler reports traps through shared memory.
    Seccomp,
    /// Stubs under `PTRACE_SYSEMU`.
    Ptrace,
}

/// What to do instead of booting.
#[derive(Debug, PartialEq, Eq)]
pub enum Action {
    Boot(Box<Cmdline>),
    Help,
    Version,
}

/// Parses the words after the program name. Errors are one line naming the problem.
pub fn parse<I: IntoIterator<Item = String>>(words: I) -> Result<Action, String> {
    let mut c = Cmdline {
        ubd: Default::default(),
        con: [None; MAX_CON],
        ssl: [None; MAX_SSL],
        mem: DEFAULT_MEM,
        root: "/dev/ubda".into(),
        rootfstype: None,
        hostfs: None,
        rootflags: String::new(),
        read_only_root: true,
        init: None,
        loglevel: 7,
        init_args: Vec::new(),
        init_env: Vec::new(),
        strace: Vec::new(),
        nics: Vec::new(),
        backend: None,
        umid: None,
        uml_dir: "~/.uml".into(),
        raw: String::new(),
    };
    c.con[0] = Some(LineSpec::Fd {
        input: 0,
        output: 1,
    });
    // The first virtual console exists as on Linux, attached to nothing:
    // systemd starts a getty there (getty@tty1) that nobody sees.
    c.con[1] = Some(LineSpec::Null);
    let words: Vec<String> = words.into_iter().collect();
    c.raw = words.join(" ");
    let mut it = words.into_iter();
    while let Some(w) = it.next() {
        match w.as_str() {
            "--help" | "-h" => return Ok(Action::Help),
            "--version" => return Ok(Action::Version),
            "--" => {
                c.init_args.extend(it.by_ref());
                break;
            }
            "ro" => c.read_only_root = true,
            "rw" => c.read_only_root = false,
            "quiet" => c.loglevel = 4,
            "debug" => c.loglevel = 10,
            _ => parse_word(&mut c, &w)?,
        }
    }
    Ok(Action::Boot(Box::new(c)))
}

/// Adds a network card, replacing an earlier one of the same name.
fn add_nic(c: &mut Cmdline, nic: NicSpec) {
    c.nics.retain(|n| n.name != nic.name);
    c.nics.push(nic);
}

fn parse_word(c: &mut Cmdline, w: &str) -> Result<(), String> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if let Some((head, options)) = w.split_once(':') {
        if let Some(n) = head.strip_prefix("vec").filter(|n| digits(n)) {
            add_nic(c, nic_spec::parse_vec(n, options, w)?);
            return Ok(());
        }
    }
    if let Some((key, value)) = w.split_once('=') {
        if let Some(n) = key.strip_prefix("eth").filter(|n| digits(n)) {
            add_nic(c, nic_spec::parse_eth(n, value, w)?);
            return Ok(());
        }
    }
    let Some((key, value)) = w.split_once('=') else {
        c.init_args.push(w.to_string());
        return Ok(());
    };
    if let Some(rest) = key.strip_prefix("ubd") {
        return parse_ubd(c, rest, value, w);
    }
    // Words like `console=` are not lines: they go on to init.
    let line_number = |rest: &str| rest.bytes().all(|b| b.is_ascii_digit());
    match key.split_at_checked(3) {
        Some(("con", rest)) if line_number(rest) => return parse_line(&mut c.con, rest, value, w),
        Some(("ssl", rest)) if line_number(rest) => return parse_line(&mut c.ssl, rest, value, w),
        _ => {}
    }
    match key {
        "mem" => c.mem = parse_mem(value).map_err(|e| format!("mem={value}: {e}"))?,
        "root" => c.root = value.to_string(),
        "rootfstype" => c.rootfstype = Some(value.to_string()),
        "rootflags" => c.rootflags = value.to_string(),
        "hostfs" => {
            if value.is_empty() {
                return Err("hostfs=: the directory cannot be an empty string".into());
            }
            c.hostfs = Some(value.to_string());
        }
        "init" => {
            if !value.starts_with('/') {
                return Err(format!("init={value}: the path of init must be absolute"));
            }
            c.init = Some(value.to_string());
        }
        "umid" => {
            arch::host::umid::check_name(value)?;
            c.umid = Some(value.to_string());
        }
        "uml_dir" => {
            if value.is_empty() {
                return Err("uml_dir=: the directory cannot be an empty string".into());
            }
            c.uml_dir = value.to_string();
        }
        "strace" => c.strace = value.split(',').map(str::to_string).collect(),
        "backend" => {
            c.backend = Some(match value {
                "seccomp" => BackendKind::Seccomp,
                "ptrace" => BackendKind::Ptrace,
                _ => return Err(format!("backend={value}: expected seccomp or ptrace")),
            })
        }
        "loglevel" => {
            c.loglevel = value
                .parse::<u8>()
                .ok()
                .filter(|l| *l <= 15)
                .ok_or_else(|| format!("loglevel={value}: expected a number from 0 to 15"))?;
        }
        _ => c.init_env.push(w.to_string()),
    }
    Ok(())
}

/// `ubd<N>[flags]=FILE[,BACKING[,SERIAL]]`, as UML's `ubd_setup_common`
/// reads it: the flags are `r` (read-only), `s` (synchronous writes), `d` (FILE
/// is data, never a COW file), `c` (shared: no host lock) and `t` (no discard);
/// the fields are separated by `,` or `:`, and with two files the first is
/// the COW file and the second its backing file.
fn parse_ubd(c: &mut Cmdline, rest: &str, value: &str, word: &str) -> Result<(), String> {
    let (n, spec) = parse_ubd_spec(rest, value, word)?;
    c.ubd[n] = Some(spec);
    Ok(())
}

/// Returns the disk number and configuration of `ubd<N>[flags]=VALUE`
/// (`rest` is what follows "ubd" before the '='), as `parse_ubd` reads it
/// and the mconsole's `config` takes it; an error line names `word`.
pub fn parse_ubd_spec(rest: &str, value: &str, word: &str) -> Result<(usize, UbdSpec), String> {
    let mut chars = rest.chars();
    let n = chars
        .next()
        .and_then(|d| d.to_digit(10))
        .filter(|n| (*n as usize) < MAX_UBD)
        .ok_or_else(|| format!("{word}: expected ubd0 ... ubd7"))? as usize;
    let mut spec = UbdSpec::default();
    for flag in chars {
        match flag {
            'r' => spec.read_only = true,
            's' => spec.sync = true,
            'd' => spec.no_cow = true,
            'c' => spec.shared = true,
            // Trim is never offered, so there is nothing to turn off.
            't' => {}
            _ => {
                return Err(format!(
                    "{word}: unknown ubd flag '{flag}' (flags: r, s, d, c, t)"
                ))
            }
        }
    }
    let mut fields = value.splitn(3, [',', ':']);
    let mut next = || fields.next().filter(|f| !f.is_empty());
    let path = next().ok_or_else(|| format!("{word}: missing file name"))?;
    spec.path = PathBuf::from(path);
    spec.backing = next().map(PathBuf::from);
    spec.serial = next().map(str::to_string);
    if spec.no_cow && spec.backing.is_some() {
        return Err(format!(
            "{word}: the d flag (no COW) and a backing file exclude each other"
        ));
    }
    Ok((n, spec))
}

/// `con[N]=SPEC` or `ssl[N]=SPEC`: without N, SPEC applies to every line of
/// the kind (later words override earlier ones, as in UML).
fn parse_line(
    lines: &mut [Option<LineSpec>],
    rest: &str,
    value: &str,
    word: &str,
) -> Result<(), String> {
    let spec = parse_line_spec(value).map_err(|e| format!("{word}: {e}"))?;
    if rest.is_empty() {
        lines.fill(Some(spec));
        return Ok(());
    }
    let n = rest
        .parse::<usize>()
        .ok()
        .filter(|n| *n < lines.len())
        .ok_or_else(|| {
            let kind = &word[..3];
            format!("{word}: expected {kind}0 ... {kind}{}", lines.len() - 1)
        })?;
    lines[n] = Some(spec);
    Ok(())
}

/// Parses a line's channel: `fd:N`, `fd:IN,fd:OUT`, `null` or `pts`.
pub fn parse_line_spec(s: &str) -> Result<LineSpec, String> {
    let fd = |part: &str| -> Result<i32, String> {
        part.strip_prefix("fd:")
            .and_then(|n| n.parse::<i32>().ok())
            .filter(|n| *n >= 0 && !part[3..].starts_with('+'))
            .ok_or_else(|| format!("'{part}' is not fd:N with a host file descriptor N"))
    };
    match s {
        "null" => Ok(LineSpec::Null),
        "pts" => Ok(LineSpec::Pts),
        _ if s.starts_with("fd:") => {
            let (input, output) = match s.split_once(',') {
                Some((i, o)) => (fd(i)?, fd(o)?),
                None => (fd(s)?, fd(s)?),
            };
            Ok(LineSpec::Fd { input, output })
        }
        _ => Err(format!(
            "unsupported channel '{s}' (use fd:N, fd:IN,fd:OUT, null or pts)"
        )),
    }
}

/// Parses a size with an optional K, M or G suffix (powers of 1024), rounded up to
/// whole pages.
pub fn parse_mem(s: &str) -> Result<u64, String> {
    let (digits, shift) = match s.as_bytes().last() {
        Some(b'K' | b'k') => (&s[..s.len() - 1], 10),
        Some(b'M' | b'm') => (&s[..s.len() - 1], 20),
        Some(b'G' | b'g') => (&s[..s.len() - 1], 30),
        _ => (s, 0),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| "not a size (use a number with an optional K, M or G suffix)".to_string())?;
    let bytes = n
        .checked_mul(1 << shift)
        .and_then(|b| b.checked_add(PAGE_SIZE - 1))
        .ok_or("too large")?
        & !(PAGE_SIZE - 1);
    if bytes < MIN_MEM {
        return Err(format!("too small (at least {}M)", MIN_MEM >> 20));
    }
    if bytes > 64 << 30 {
        return Err("too large (at most 64G)".into());
    }
    Ok(bytes)
}

/// The `--help` text.
pub const USAGE: &str = "\
Usage: linux [options] [-- init arguments]

Boots a Linux-compatible kernel as a host process, for example:
  linux ubd0=debian.img mem=256M init=/bin/bash

Options (in User-mode Linux's syntax):
  ubd<N>[r]=FILE      disk N (0-7) backed by host FILE; 'r' makes it read-only
  ubd<N>=COW,BACKING  disk N in copy-on-write file COW (made if missing) over
                      the read-only BACKING; ubd<N>=COW alone reads BACKING's
                      name from COW's header. Flags after N: r read-only,
                      s synchronous writes, d FILE is data (never a COW
                      file), c shared (no host lock), t no discard
  mem=SIZE            guest RAM, with a K, M or G suffix (default 128M)
  root=/dev/ubda      the root device (default /dev/ubda)
  rootfstype=TYPE     the root filesystem type (ext4, or hostfs: a host
                      directory, rootflags=DIR beneath hostfs=, as the root)
  hostfs=DIR          the host directory that every hostfs mount is confined
                      to (default /): mount -t hostfs none /mnt -o SUBDIR
  ro | rw             mount the root filesystem read-only (default) or read-write
  init=PATH           the program to run as init (default /sbin/init)
  quiet               show only errors on the console
  loglevel=N          console log level (0-15)
  umid=NAME           the machine's name: its directory UML_DIR/NAME holds its
                      pid and the mconsole socket (default: a random name)
  uml_dir=DIR         where umid directories are made (default ~/.uml)
  strace=COMM[,COMM]  log the system calls of programs so named (all: every one)
  backend=seccomp|ptrace
                      how guest code runs: stubs trapping through a seccomp
                      filter (the default where the host allows it), or
                      stubs under ptrace
  eth<N>=tuntap,TAP[,MAC]
                      network card ethN (0-15) on the host TAP device TAP
  vec<N>:transport=tap,ifname=TAP[,mac=MAC][,depth=N]
                      network card vecN on TAP, in UML's vector syntax
  con0=SPEC           the console /dev/console (default fd:0,fd:1)
  con<N>=SPEC         virtual console N (1-7) as /dev/ttyN; con=SPEC: all of them
                      (con1 is null unless given)
  ssl<N>=SPEC         serial line N (0-3) as /dev/ttySN; ssl=SPEC: all of them
                      SPEC: fd:N (one host fd both ways), fd:IN,fd:OUT, null
                      (output dropped, no input), pts (a new host pseudo-terminal,
                      named on stderr); lines not given do not exist
  --help, --version   this text; the version
Other KEY=VALUE words become init's environment; other words and all words
after -- become init's arguments. linux exits with init's exit status.
";

#[cfg(test)]
mod tests {
    use super::*;

    fn boot(words: &[&str]) -> Cmdline {
        match parse(words.iter().map(|s| s.to_string())) {
            Ok(Action::Boot(c)) => *c,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn uml_words() {
        let c = boot(&[
            "ubd0=a.img",
            "ubd1r=b.img",
            "mem=64M",
            "init=/bin/x",
            "quiet",
        ]);
        assert_eq!(c.ubd[0].as_ref().map(|u| u.read_only), Some(false));
        assert_eq!(c.ubd[1].as_ref().map(|u| u.read_only), Some(true));
        assert_eq!(c.mem, 64 << 20);
        assert_eq!(c.init.as_deref(), Some("/bin/x"));
        assert_eq!(c.loglevel, 4);
        assert_eq!(c.root, "/dev/ubda");
        assert!(c.read_only_root, "the root is read-only unless rw is given");
        assert!(!boot(&["ubd0=a.img", "rw"]).read_only_root);
    }

    #[test]
    fn hostfs_words() {
        let c = boot(&["rootfstype=hostfs", "hostfs=/srv/guest", "rootflags=sub"]);
        assert_eq!(c.rootfstype.as_deref(), Some("hostfs"));
        assert_eq!(c.hostfs.as_deref(), Some("/srv/guest"));
        assert_eq!(c.rootflags, "sub");
        assert!(
            c.init_env.is_empty(),
            "hostfs words are not init's environment"
        );
        assert!(parse(["hostfs=".to_string()]).is_err());
    }

    #[test]
    fn ubd_cow_and_flags() {
        let c = boot(&[
            "ubd0=root.cow,base.img",
            "ubd1sc=a.cow:b.img",
            "ubd2d=data.img",
        ]);
        let u0 = c.ubd[0].clone().expect("ubd0");
        assert_eq!(u0.path, PathBuf::from("root.cow"));
        assert_eq!(u0.backing, Some(PathBuf::from("base.img")));
        assert!(!u0.read_only && !u0.sync && !u0.no_cow && !u0.shared);
        let u1 = c.ubd[1].clone().expect("ubd1");
        assert_eq!(
            u1.backing,
            Some(PathBuf::from("b.img")),
            "':' separates too"
        );
        assert!(u1.sync && u1.shared && !u1.read_only);
        let u2 = c.ubd[2].clone().expect("ubd2");
        assert!(u2.no_cow && u2.backing.is_none());
        let u = boot(&["ubd0rt=only.cow"]).ubd[0].clone().expect("ubd0");
        assert!(u.read_only && u.backing.is_none());
        let u = boot(&["ubd0=f.img,,serial1"]).ubd[0].clone().expect("ubd0");
        assert_eq!((u.backing, u.serial.as_deref()), (None, Some("serial1")));
        for bad in ["ubd0d=a.cow,b.img", "ubd0=", "ubd0=,b.img", "ubd0x=a"] {
            let e = parse([bad.to_string()]).expect_err(bad);
            assert!(e.starts_with(bad) && !e.contains('\n'), "{e:?}");
        }
    }

    #[test]
    fn umid_words() {
        let c = boot(&["umid=vm1", "uml_dir=/tmp/u"]);
        assert_eq!(
            (c.umid.as_deref(), c.uml_dir.as_str()),
            (Some("vm1"), "/tmp/u")
        );
        assert!(c.init_env.is_empty(), "the kernel's words");
        assert_eq!(boot(&[]).uml_dir, "~/.uml");
        for bad in ["umid=a/b", "umid=..", "umid=", "uml_dir="] {
            let e = parse([bad.to_string()]).expect_err(bad);
            assert!(e.starts_with(bad) && !e.contains('\n'), "{e:?}");
        }
    }

    #[test]
    fn words_for_init() {
        let c = boot(&["FOO=bar", "single", "--", "a", "b c", "X=1"]);
        assert_eq!(c.init_env, ["FOO=bar"]);
        assert_eq!(c.init_args, ["single", "a", "b c", "X=1"]);
    }

    #[test]
    fn bad_values() {
        assert!(matches!(parse(["mem=lots".to_string()]), Err(e) if e.contains("mem=lots")));
        assert!(parse(["ubd9=x".to_string()]).is_err());
        assert!(parse(["ubd0q=x".to_string()]).is_err());
        assert!(parse(["mem=1M".to_string()]).is_err());
        assert!(parse(["init=relative".to_string()]).is_err());
        assert_eq!(parse_mem("1G"), Ok(1 << 30));
        assert_eq!(parse_mem("20000k"), Ok(20000 << 10));
    }

    #[test]
    fn line_specs() {
        use LineSpec::*;
        assert_eq!(
            parse_line_spec("fd:3"),
            Ok(Fd {
                input: 3,
                output: 3
            })
        );
        assert_eq!(
            parse_line_spec("fd:0,fd:1"),
            Ok(Fd {
                input: 0,
                output: 1
            })
        );
        assert_eq!(parse_line_spec("null"), Ok(Null));
        assert_eq!(parse_line_spec("pts"), Ok(Pts));
        for bad in [
            "",
            "fd:",
            "fd:x",
            "fd:-1",
            "fd:+1",
            "fd:0,",
            "fd:0,1",
            "fd:0,fd:1,fd:2",
        ] {
            assert!(parse_line_spec(bad).is_err(), "{bad:?} accepted");
        }
        assert!(parse_line_spec("xterm").is_err_and(|e| e.contains("'xterm'")));
    }

    #[test]
    fn console_and_serial_lines() {
        let c = boot(&[]);
        assert_eq!(
            c.con[0],
            Some(LineSpec::Fd {
                input: 0,
                output: 1
            })
        );
        assert_eq!(c.con[1], Some(LineSpec::Null));
        assert!(c.con[2..].iter().all(Option::is_none));
        assert!(c.ssl.iter().all(Option::is_none));
        let c = boot(&["con0=null", "ssl1=fd:0,fd:1", "con3=pts"]);
        assert_eq!(c.con[0], Some(LineSpec::Null));
        assert_eq!(c.con[3], Some(LineSpec::Pts));
        assert_eq!(
            c.ssl[1],
            Some(LineSpec::Fd {
                input: 0,
                output: 1
            })
        );
        assert_eq!(c.ssl[0], None);
        let c = boot(&["con=null", "con2=pts", "ssl=pts"]);
        assert_eq!(c.con[0], Some(LineSpec::Null));
        assert_eq!(c.con[2], Some(LineSpec::Pts));
        assert_eq!(c.con[7], Some(LineSpec::Null));
        assert!(c.ssl.iter().all(|s| *s == Some(LineSpec::Pts)));
        assert!(c.init_env.is_empty(), "line words are the kernel's");
        assert_eq!(boot(&["console=ttyS0"]).init_env, ["console=ttyS0"]);
    }

    #[test]
    fn bad_lines() {
        for bad in ["con8=null", "ssl4=null", "con0=tty:/dev/tty1", "ssl0=fd:a"] {
            let e = parse([bad.to_string()]).expect_err(bad);
            assert!(e.starts_with(bad), "{e:?} should name {bad}");
            assert!(!e.contains('\n'), "one line: {e:?}");
        }
    }
}
