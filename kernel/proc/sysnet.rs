//! /proc/sys/net: the settings of the reader's network namespace
//! (`net::sysctl`),
//! readable by all and writable by root with the checks Linux makes, and
//! the per-interface directories ipv4/conf and ipv6/conf (`all`, `default`
//! and one per device, listed afresh at each read), which show Linux's
//! defaults.

use super::node::{Entry, Node};
use super::tree::{named, Tree};
use crate::net::sysctl::{CONF4, CONF6, WORDS};
use std::collections::BTreeMap;

/// The inode-number base of the per-interface files.
const CONF_INO: u64 = 0x4000_0000;

/// Returns a setting's file: its text, and writes checked by `Sysctls::write`.
fn setting(t: &mut Tree, path: &'static str) -> Node {
    let n = t.file(move || Ok(crate::net::current().sysctl.text(path).into_bytes()));
    n.with_mode(0o644).writable(move |data| {
        super::sys::root_only()?;
        crate::net::current().sysctl.write(path, data)
    })
}

/// Returns a conf directory (ipv4/conf or ipv6/conf) with `files`.
fn conf(dev: u64, ino: u64, base: u64, files: &'static [(&'static str, i64)]) -> Node {
    Node::dir(dev, ino, 0o555, move || {
        let mut names: Vec<String> = vec!["all".into(), "default".into()];
        names.extend(
            crate::net::current()
                .devices()
                .into_iter()
                .map(|(_, n)| String::from_utf8_lossy(&n).into_owned()),
        );
        let mut out: Vec<Entry> = Vec::new();
        for (i, name) in names.iter().enumerate() {
            let dir_ino = base + (i as u64) * 64;
            let entries: Vec<Entry> = files
                .iter()
                .enumerate()
                .map(|(k, &(f, v))| {
                    let text = format!("{v}\n").into_bytes();
                    Node::file(dev, dir_ino + 1 + k as u64, 0o444, move || Ok(text.clone()))
                        .entry(k as u64 + 2, f)
                })
                .collect();
            let d = Node::dir(dev, dir_ino, 0o555, move || Ok(entries.clone()));
            out.push(d.entry(i as u64 + 2, name));
        }
        Ok(out)
    })
}

/// Returns the /proc/sys/net directory.
pub fn net(t: &mut Tree) -> Node {
    // path components -> files, for the integer and word settings.
    let mut dirs: BTreeMap<&'static str, Vec<(String, Node)>> = BTreeMap::new();
    let paths: Vec<&'static str> = crate::net::init_net().sysctl.paths().collect();
    for path in paths {
        let Some((dir, file)) = path.split_once('/') else {
            continue;
        };
        let node = setting(t, path);
        dirs.entry(dir).or_default().push(named(file, node));
    }
    for &(path, word) in WORDS {
        if let Some((dir, file)) = path.split_once('/') {
            let node = t.text(format!("{word}\n"));
            dirs.entry(dir).or_default().push(named(file, node));
        }
    }
    let dev = t.dev();
    let c4 = conf(dev, t.ino(), CONF_INO + 0x100_0000, CONF4);
    let c6 = conf(dev, t.ino(), CONF_INO + 0x200_0000, CONF6);
    dirs.entry("ipv4").or_default().push(named("conf", c4));
    dirs.entry("ipv6").or_default().push(named("conf", c6));
    let mut top = Vec::new();
    for (name, mut files) in dirs {
        files.sort_by(|a, b| a.0.cmp(&b.0));
        top.push(named(name, t.dir(files)));
    }
    t.dir(top)
}
