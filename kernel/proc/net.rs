//! /proc/PID/net (and /proc/net, a link to self/net, as in Linux): the
//! files of the process's network namespace, whose text kernel/net/
//! generates (`net::procfs::FILES`).

use super::node::Node;
use super::pid::Target;

/// The inode-number offset of the entries of /proc/PID/net.
const NET_INO: u64 = 0x3000_0000;

/// Returns /proc/PID/net.
pub fn net_dir(dev: u64, ino: u64, t: &Target) -> Node {
    let t = t.clone();
    Node::dir(dev, ino, 0o555, move || {
        t.process()?;
        Ok(crate::net::procfs::FILES
            .iter()
            .enumerate()
            .map(|(i, &(name, text))| {
                let t2 = t.clone();
                let node = Node::file(dev, t.ino(NET_INO + i as u64), 0o444, move || {
                    let task = t2.task().ok_or(arch::Errno::ESRCH)?;
                    let net = task.net.borrow().clone();
                    Ok(text(&net).into_bytes())
                });
                t.adopt(node).entry(i as u64 + 2, name)
            })
            .collect())
    })
}
