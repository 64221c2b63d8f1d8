//! The mconsole's `config` and `remove` (UML's mconsole_config and
//! mconsole_remove over its mc_device table): the devices are found by the
//! name their request starts with — `ubd`, `con`, `ssl`, `eth` — and a
//! query (`config ubd0`) shows a device's configuration as UML's
//! get_config routines do. Disks are attached and removed while the kernel
//! runs (`config ubdN=...` in the command line's syntax, `remove ubdN`, by
//! kernel/block_hotplug.rs under the kernel lock), with UML's replies: an
//! empty one on success, UML's error where UML has one. Network cards are
//! attached and removed too (`config ethN=...`, `remove ethN`, by
//! kernel/nic_hotplug.rs), parsed as UML's eth_parse and net_id parse
//! them. Consoles and serial lines cannot be attached or detached yet:
//! such requests get UML's errors where UML would refuse them too and one
//! line saying so otherwise.

use super::commands::argument;
use super::Request;
use crate::block_hotplug::RemoveError;
use crate::cmdline::{LineSpec, MAX_CON, MAX_SSL, MAX_UBD};
use crate::net::UnplugError;

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
    match kind {
        Kind::Ubd => crate::block_hotplug::attached(n),
        Kind::Con | Kind::Ssl => line_spec(kind, n).is_some(),
        Kind::Eth => crate::nic_hotplug::attached(&format!("eth{n}")),
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
    if kind == Kind::Eth && rest.contains('=') {
        return match config_eth(rest) {
            Ok(()) => req.reply("", false, false),
            Err(e) => req.reply(&e, true, false),
        };
    }
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
    if kind == Kind::Eth {
        return match remove_eth(rest) {
            Ok(()) => req.reply("", false, false),
            Err(e) => req.reply(e, true, false),
        };
    }
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
    // Consoles and serial lines stay (UML's -EBUSY for a line in use).
    let error = if exists(kind, n) {
        "Device is currently open"
    } else {
        "Device doesn't exist"
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

/// Parses `N=SPEC` as UML's eth_parse does, then the card as the command
/// line's `ethN=SPEC`.
fn parse_eth(rest: &str) -> Result<crate::nic_spec::NicSpec, String> {
    let end = rest
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(rest.len());
    let (digits, tail) = rest.split_at(end);
    if digits.is_empty() {
        return Err("Bad device number".into());
    }
    let Some(value) = tail.strip_prefix('=') else {
        return Err("Expected '=' after device number".into());
    };
    let n = digits.parse::<usize>().ok();
    if n.is_some_and(|n| crate::nic_hotplug::attached(&format!("eth{n}"))) {
        return Err("Device already configured".into());
    }
    crate::nic_spec::parse_eth(digits, value, &format!("eth{rest}"))
}

/// Attaches the card `ethN=SPEC` describes (`rest` is `N=SPEC`).
fn config_eth(rest: &str) -> Result<(), String> {
    crate::nic_hotplug::add_nic(&parse_eth(rest)?)
}

/// Removes card `ethN` (`rest` is `N`), as UML's net_id and net_remove.
fn remove_eth(rest: &str) -> Result<(), &'static str> {
    let rest = rest.trim_end();
    if rest.is_empty() || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err("Couldn't parse device number");
    }
    let n: usize = rest.parse().map_err(|_| "Couldn't parse device number")?;
    match crate::nic_hotplug::del_nic(&format!("eth{n}")) {
        Ok(()) => Ok(()),
        Err(UnplugError::NoDevice) => Err("Device doesn't exist"),
        Err(UnplugError::Busy) => Err("Device is currently open"),
    }
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

    #[test]
    fn bad_eth_configurations() {
        // UML's eth_parse words, then the command line's for the card.
        assert_eq!(
            parse_eth("=user").err().as_deref(),
            Some("Bad device number")
        );
        let no_eq = parse_eth("1user").err();
        assert_eq!(no_eq.as_deref(), Some("Expected '=' after device number"));
        let bad = parse_eth("1=bogus").err().unwrap_or_default();
        assert!(
            bad.starts_with("eth1=bogus: unknown transport 'bogus'"),
            "{bad}"
        );
        let far = parse_eth("16=user").err().unwrap_or_default();
        assert!(far.contains("expected eth0 ... eth15"), "{far}");
        assert!(parse_eth("2=user,hostfwd=tcp::80").is_err());
        let spec = parse_eth("3=user,mac=02:00:00:00:00:03").expect("a good card");
        assert_eq!(spec.name, "eth3");
        // UML's net_id: digits and nothing else.
        assert_eq!(remove_eth("x"), Err("Couldn't parse device number"));
        assert_eq!(remove_eth("1x"), Err("Couldn't parse device number"));
        assert_eq!(remove_eth(""), Err("Couldn't parse device number"));
    }
}
