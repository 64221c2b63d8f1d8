//! Device events (Linux's lib/kobject_uevent.c, sysfs-uevent in
//! Documentation/ABI): `kobject_uevent` numbers an event (SEQNUM, shown in
//! /sys/kernel/uevent_seqnum) and multicasts it as
//! "ACTION@DEVPATH\0ACTION=...\0DEVPATH=...\0SUBSYSTEM=...\0...SEQNUM=N\0"
//! to the NETLINK_KOBJECT_UEVENT sockets of group 1, where udevd reads
//! it. Every device directory of sysfs has a `uevent` file (`uevent_file`):
//! reading it gives the device's KEY=value pairs, and root writing an
//! action to it ("add", "change"..., optionally with a UUID and KEY=value
//! arguments, as `kobject_synth_uevent` takes them) emits that event —
//! how `udevadm trigger` replays the devices that existed before udevd.

use crate::proc::node::Node;
use arch::{Errno, Result, PAGE_SIZE};
use std::sync::atomic::{AtomicU64, Ordering};

/// The number of the last event sent.
static SEQNUM: AtomicU64 = AtomicU64::new(0);

/// UEVENT_BUFFER_SIZE and UEVENT_NUM_ENVP: the most one event carries.
const BUFFER_SIZE: usize = 2048;
const NUM_ENVP: usize = 64;

/// What happened to a device (`enum kobject_action`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Action {
    Add,
    Remove,
    Change,
    Move,
    Online,
    Offline,
    Bind,
    Unbind,
}

impl Action {
    const ALL: [Action; 8] = [
        Action::Add,
        Action::Remove,
        Action::Change,
        Action::Move,
        Action::Online,
        Action::Offline,
        Action::Bind,
        Action::Unbind,
    ];

    /// Returns the action's name in an event ("add", ...).
    pub fn name(self) -> &'static str {
        match self {
            Action::Add => "add",
            Action::Remove => "remove",
            Action::Change => "change",
            Action::Move => "move",
            Action::Online => "online",
            Action::Offline => "offline",
            Action::Bind => "bind",
            Action::Unbind => "unbind",
        }
    }

    /// Returns the action named `s`.
    fn parse(s: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == s)
    }
}

/// A device as its events describe it.
pub struct Kobject {
    /// Its path under /sys ("/devices/virtual/net/lo").
    pub devpath: String,
    /// Its subsystem ("net", "block", "tty"...).
    pub subsystem: String,
    /// What its `uevent` file shows (MAJOR, MINOR, DEVNAME...).
    pub env: Vec<(String, String)>,
}

/// Returns the number of the last event (/sys/kernel/uevent_seqnum).
pub fn seqnum() -> u64 {
    SEQNUM.load(Ordering::Relaxed)
}

/// Sends event `action` of `kobj` with the variables `extra` added before
/// the device's own, and returns its SEQNUM; ENOMEM if it does not fit
/// one event, as on Linux. Drivers call it where a device comes or goes.
pub fn kobject_uevent(kobj: &Kobject, action: Action, extra: &[(String, String)]) -> Result<u64> {
    let head = [
        ("ACTION", action.name()),
        ("DEVPATH", kobj.devpath.as_str()),
        ("SUBSYSTEM", kobj.subsystem.as_str()),
    ];
    let vars = head
        .iter()
        .map(|&(k, v)| (k, v))
        .chain(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .chain(kobj.env.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut msg = format!("{}@{}\0", action.name(), kobj.devpath).into_bytes();
    let mut n = 0;
    for (k, v) in vars {
        msg.extend_from_slice(format!("{k}={v}\0").as_bytes());
        n += 1;
    }
    // SEQNUM's room is kept, as Linux adds it last.
    if n + 1 > NUM_ENVP || msg.len() + 32 > BUFFER_SIZE {
        return Err(Errno::ENOMEM);
    }
    let seq = SEQNUM.fetch_add(1, Ordering::Relaxed) + 1;
    msg.extend_from_slice(format!("SEQNUM={seq}\0").as_bytes());
    crate::net::netlink::uevent::broadcast(&msg);
    Ok(seq)
}

/// Returns whether `s` is a UUID in its text form (8-4-4-4-12 hex digits).
fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

/// Parses what is written to a `uevent` file (Linux's
/// `kobject_synth_uevent`): an action, then optionally a UUID and
/// KEY=value arguments, separated by spaces, a newline allowed at the
/// end. Returns the action and the variables it adds (SYNTH_UUID, and
/// SYNTH_ARG_KEY for each argument); EINVAL for anything else.
pub fn parse_synth(buf: &[u8]) -> Result<(Action, Vec<(String, String)>)> {
    let text = std::str::from_utf8(buf).map_err(|_| Errno::EINVAL)?;
    let text = text
        .strip_suffix('\n')
        .or_else(|| text.strip_suffix('\0'))
        .unwrap_or(text);
    let (name, args) = match text.split_once(' ') {
        Some((n, a)) => (n, Some(a)),
        None => (text, None),
    };
    let action = Action::parse(name).ok_or(Errno::EINVAL)?;
    let Some(args) = args else {
        return Ok((action, vec![("SYNTH_UUID".into(), "0".into())]));
    };
    let mut words = args.split(' ').filter(|w| !w.is_empty());
    let uuid = words.next().ok_or(Errno::EINVAL)?;
    if !is_uuid(uuid) {
        return Err(Errno::EINVAL);
    }
    let mut env = vec![("SYNTH_UUID".to_string(), uuid.to_string())];
    for w in words {
        let (k, v) = w.split_once('=').ok_or(Errno::EINVAL)?;
        if k.is_empty() || !k.bytes().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Errno::EINVAL);
        }
        env.push((format!("SYNTH_ARG_{k}"), v.to_string()));
    }
    Ok((action, env))
}

/// Returns the `uevent` file of the device `kobj` describes (asked at each
/// use): its variables as KEY=value lines; a write of an action by root
/// emits that event (EACCES for others, as the file's mode 0644 says).
pub fn uevent_file(
    dev: u64,
    ino: u64,
    kobj: impl Fn() -> Result<Kobject> + Send + Sync + Clone + 'static,
) -> Node {
    let read = kobj.clone();
    Node::file(dev, ino, 0o644, move || {
        let mut s = String::new();
        for (k, v) in read()?.env {
            s += &format!("{k}={v}\n");
        }
        Ok(s.into_bytes())
    })
    .with_size(PAGE_SIZE)
    .writable(move |data| {
        if crate::task::current().is_some_and(|t| t.process.cred.borrow().euid != 0) {
            return Err(Errno::EACCES);
        }
        let (action, extra) = parse_synth(data)?;
        kobject_uevent(&kobj()?, action, &extra).map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synthetic_actions() {
        let (a, env) = parse_synth(b"change\n").expect("change");
        assert_eq!(a, Action::Change);
        assert_eq!(env, vec![("SYNTH_UUID".into(), "0".into())]);
        let uuid = "12345678-9abc-def0-1234-56789abcdef0";
        let w = format!("add {uuid} A=1 b2=x");
        let (a, env) = parse_synth(w.as_bytes()).expect("add with arguments");
        assert_eq!(a, Action::Add);
        assert_eq!(env[0].1, uuid);
        assert_eq!(env[1], ("SYNTH_ARG_A".into(), "1".into()));
        assert_eq!(env[2], ("SYNTH_ARG_b2".into(), "x".into()));
        for bad in [
            &b"bogus"[..],
            b"",
            b"\n",
            b"Change",
            b"add not-a-uuid",
            b"add 12345678-9abc-def0-1234-56789abcdef0 A",
            b"add 12345678-9abc-def0-1234-56789abcdef0 a-b=1",
            b"add \xff",
        ] {
            assert_eq!(parse_synth(bad).err(), Some(Errno::EINVAL), "{bad:?}");
        }
    }
}
