//! `Tree`: builds the fixed part of a pseudo-filesystem — /proc/sys, the
//! non-process files of /proc, all of sysfs — as nodes with inode numbers
//! handed out in order, directories that list a fixed set of entries, files
//! of generated text, and plain symlinks.

use super::node::{Entry, Node};
use arch::Result;

/// Hands out inode numbers and makes the fixed nodes of one filesystem.
pub struct Tree {
    dev: u64,
    next_ino: u64,
}

impl Tree {
    /// Starts a tree of device `dev` whose inode numbers begin at `first_ino`.
    pub fn new(dev: u64, first_ino: u64) -> Tree {
        Tree {
            dev,
            next_ino: first_ino,
        }
    }

    /// Returns the device number of the tree's nodes.
    pub fn dev(&self) -> u64 {
        self.dev
    }

    /// Returns the next free inode number.
    pub fn ino(&mut self) -> u64 {
        self.next_ino += 1;
        self.next_ino - 1
    }

    /// Returns a read-only file with text `read`.
    pub fn file(&mut self, read: impl Fn() -> Result<Vec<u8>> + Send + Sync + 'static) -> Node {
        Node::file(self.dev, self.ino(), 0o444, read)
    }

    /// Returns a read-only file that always holds `text`.
    pub fn text(&mut self, text: impl Into<String>) -> Node {
        let text = text.into().into_bytes();
        self.file(move || Ok(text.clone()))
    }

    /// Returns a symlink to `target`.
    pub fn link(&mut self, target: impl Into<String>) -> Node {
        let target = target.into().into_bytes();
        Node::link(self.dev, self.ino(), move || Ok(target.clone()))
    }

    /// Returns a directory listing `entries`, which are given readdir
    /// positions in order.
    pub fn dir(&mut self, entries: Vec<(String, Node)>) -> Node {
        let entries: Vec<Entry> = entries
            .into_iter()
            .enumerate()
            .map(|(i, (name, node))| node.entry(i as u64 + 2, &name))
            .collect();
        Node::dir(self.dev, self.ino(), 0o555, move || Ok(entries.clone()))
    }
}

/// Returns `(name, node)` with the name as a `String`, for `Tree::dir` lists.
pub fn named(name: &str, node: Node) -> (String, Node) {
    (name.to_string(), node)
}
