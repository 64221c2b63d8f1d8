//! The mconsole's `config` and `remove` (UML's mconsole_config and
//! mconsole_remove over its mc_device table): the devices are found by the
//! name their request starts with — `ubd`, `con`, `ssl`, `eth` — and a
//! query (`config ubd0`) shows a device's configuration as UML's
//! get_config routines do. Disks are attached and removed while the kernel
//! runs (`config ubdN=...` in the command line's syntax, `remove ubdN`, by
//! kernel/block_hotplug.rs under the kernel lock), with UML's replies: an
//! empty one on success, UML's error where UML has one. Consoles, serial
//! lines and network cards cannot be attached or detached yet: such
//! requests get UML's errors where UML would refuse them too and one line
//! saying so otherwise.

use super::commands::argument;
use super::Request;
use crate::block_hotplug::RemoveError;
use crate::cmdline::{LineSpec, MAX_CON, MAX_SSL, MAX_UBD};

/// A device kind of the table.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ubd,
    Con,
    Ssl,
    Eth,
}

const DEVICES: [(&str, Kind); 4] = [
    ("ubd", Kind::Ubd),
    ("con", Kind::Con),
    ("ssl", Kind::Ssl),
    ("eth", Kind::Eth),
];

fn find(text: &str) -> Option<(Kind, &str)> {
    DEVICES
        .iter()
        .find(|(name, _)| text.starts_with(name))
        .map(|(name, kind)| (*kind, &text[name.len()..]))
}

/// Returns the unit number at the start of `s` (UML's parse_unit) and what
/// follows it.
fn unit(s: &str) -> Option<(usize, &str)> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    Some((s[..end].parse().ok()?, &s[end..]))
}

/// The number of units of a kind.
fn units(kind: Kind) -> usize {
    match kind {
        Kind::Ubd => MAX_UBD,
        Kind::Con => MAX_CON,
        Kind::Ssl => MAX_SSL,
        Kind::Eth => 16,
    }
}

fn line_spec(kind: Kind, n: usize) -> Option<LineSpec> {
    let c = super::CONFIG.get()?;
    match kind {
        Kind::Con => c.con.get(n).copied().flatten(),
        Kind::Ssl => c.ssl.get(n).copied().flatten(),
        _ => None,
    }
}

fn line_text(spec: LineSpec) -> String {
    match spec {
        LineSpec::Fd { input, output } if input == output => format!("fd:{input}"),
        LineSpec::Fd { input, output } => format!("fd:{input},fd:{output}"),
        LineSpec::Null => "null".into(),
        LineSpec::Pts => "pts".into(),
    }
}

/// Returns whether unit `n` of `kind` exists.
fn exists(kind: Kind, n: usize) -> bool {
    let Some(c) = super::CONFIG.get() else {
        return false;
    };
    match kind {
        Kind::Ubd => crate::block_hotplug::attached(n),
        Kind::Con | Kind::Ssl => line_spec(kind, n).is_some(),
        Kind::Eth => c.nics.iter().any(|nic| nic.name == format!("eth{n}")),
    }
}

/// Returns `config DEV`'s answer: the device's configuration, or an error.
fn query(kind: Kind, n: usize) -> Result<String, &'static str> {
    if n >= units(kind) {
        return Err("Device number out of range");
    }
    match kind {
        Kind::Ubd => {
            let spec = crate::boot::try_kernel().and_then(|k| k.block.spec(n));
            Ok(spec.map_or_else(String::new, |s| match s.backing {
                Some(b) => format!("{},{}", s.path.display(), b.display()),
                None => s.path.display().to_string(),
            }))
        }
        Kind::Con | Kind::Ssl => Ok(line_spec(kind, n).map_or("none".into(), line_text)),
        Kind::Eth => Err("No get_config routine defined"),
    }
}

/// `config DEV=SPEC` or `config DEV`.
pub fn config(req: &Request, text: &str) {
    let Some((kind, rest)) = find(argument(text, "config")) else {
        req.reply("Bad configuration option", true, false);
        return;
    };
    let Some((n, tail)) = unit(rest) else {
        req.reply("Couldn't parse device number", true, false);
        return;
    };
    if !tail.contains('=') {
        match query(kind, n) {
            Ok(s) => req.reply(&s, false, false),
            Err(e) => req.reply(e, true, false),
        }
        return;
    }
    if n >= units(kind) {
        return req.reply("Device number out of range", true, false);
    }
    if kind == Kind::Ubd {
        return match config_ubd(argument(text, "config")) {
            Ok(()) => req.reply("", false, false),
            Err(e) => req.reply(&e, true, false),
        };
    }
    let present = exists(kind, n);
    let error = match kind {
        Kind::Ubd if present => "Device is already configured",
        Kind::Con | Kind::Ssl if present => "Device is already open",
        _ => "Attaching devices to a running kernel is not supported yet",
    };
    req.reply(error, true, false);
}

/// `remove DEV`.
pub fn remove(req: &Request, text: &str) {
    let Some((kind, rest)) = find(argument(text, "remove")) else {
        req.reply("Bad remove option", true, false);
        return;
    };
    let Some((n, _)) = unit(rest) else {
        req.reply("Couldn't parse device number", true, false);
        return;
    };
    let last = units(kind) - 1;
    if n > last {
        let e = format!("Invalid device number - must be between 0 and {last}");
        req.reply(&e, true, false);
        return;
    }
    if kind == Kind::Ubd {
        let _k = crate::lock::entered();
        let (text, err) = match crate::block_hotplug::del_disk(n) {
            Ok(()) => ("", false),
            Err(RemoveError::NoDevice) => ("Device doesn't exist", true),
            Err(RemoveError::Busy) => ("Device is currently open", true),
        };
        req.reply(text, err, false);
        return;
    }
    let error = if !exists(kind, n) {
        "Device doesn't exist"
    } else if matches!(kind, Kind::Con | Kind::Ssl) {
        "Device is currently open"
    } else {
        "Detaching devices from a running kernel is not supported yet"
    };
    req.reply(error, true, false);
}

/// Attaches the disk `ubdN[flags]=FILE[,BACKING]` describes.
fn config_ubd(word: &str) -> Result<(), String> {
    let (key, value) = word.split_once('=').ok_or("Missing '='")?;
    let rest = key.strip_prefix("ubd").ok_or("Bad configuration option")?;
    let (n, spec) = crate::cmdline::parse_ubd_spec(rest, value, word)?;
    let _k = crate::lock::entered();
    crate::block_hotplug::add_disk(n, spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_units() {
        assert!(matches!(find("ubd1=x.img"), Some((Kind::Ubd, "1=x.img"))));
        assert!(matches!(find("eth0"), Some((Kind::Eth, "0"))));
        assert!(find("mem=1G").is_none());
        assert_eq!(unit("12=a"), Some((12, "=a")));
        assert_eq!(unit("=a"), None);
        assert_eq!(unit("99999999999999999999999"), None);
    }

    #[test]
    fn bad_ubd_configurations() {
        // Refused before anything is opened (or the kernel lock taken).
        for bad in ["ubd1x=a.img", "ubd1=", "ubd1d=a.cow,b.img", "ubd9=a.img"] {
            assert!(config_ubd(bad).is_err(), "{bad}");
        }
        assert_eq!(config_ubd("ubd1"), Err("Missing '='".to_string()));
    }
}
