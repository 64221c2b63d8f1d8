//! /sys/block, /sys/class/block, /sys/dev/block and
//! /sys/devices/virtual/block (sysfs-block in Documentation/ABI): one
//! directory per ubd disk with a directory for each of its partitions,
//! listed afresh at each read so that disks attached and removed through
//! the mconsole (kernel/block_hotplug.rs) come and go as on Linux, where
//! `device_add_disk` and `del_gendisk` add and remove them. A disk's nodes
//! stop validating once it is removed, so the dentry cache forgets them.
//! `kobject` describes a disk or partition for its uevents.

use crate::block::BlockNode;
use crate::kobject_uevent::Kobject;
use crate::proc::node::{Entry, Node};
use crate::proc::tree::{named, Tree};
use crate::sysfs::{attr, dir, subsystem_link, uevent, uevent_attr};
use arch::Result;
use drivers::ubd::{Ubd, UbdPartition};
use std::sync::{Arc, Weak};

/// The inode-number base of the block nodes (4096 per disk), and of the
/// links to them (one per minor in each of the three link directories).
const BLOCK_INO: u64 = 0x6000_0000;
const LINK_INO: u64 = 0x6800_0000;

/// Returns what tells whether disk `index` is still the one `disk` points
/// to (a weak reference: a cached dentry must not keep a removed disk's
/// host file open).
fn live(index: usize, disk: Weak<Ubd>) -> Arc<dyn Fn() -> bool + Send + Sync> {
    Arc::new(move || {
        crate::boot::try_kernel().is_some_and(|k| {
            k.block
                .disk(index)
                .is_some_and(|d| std::ptr::eq(Arc::as_ptr(&d), disk.as_ptr()))
        })
    })
}

/// Returns the path of a node under /sys/devices/virtual.
fn path(node: &BlockNode) -> String {
    match node {
        BlockNode::Disk(d) => format!("block/{}", d.name()),
        BlockNode::Partition(p) => format!("block/{}/{}", p.disk().name(), p.name()),
    }
}

/// Returns the uevent variables of a partition.
fn partition_env(p: &UbdPartition) -> Vec<(String, String)> {
    let (ma, mi) = (fs::major(p.dev()), fs::minor(p.dev()));
    let mut env = uevent(ma, mi, &p.name(), Some("partition"));
    env.push(("PARTN".to_string(), p.entry.number.to_string()));
    if let Some(n) = &p.entry.name {
        env.push(("PARTNAME".to_string(), n.clone()));
    }
    env
}

/// Returns a disk or partition as its events describe it.
pub fn kobject(node: &BlockNode) -> Kobject {
    let env = match node {
        BlockNode::Disk(d) => {
            let (ma, mi) = (fs::major(d.dev()), fs::minor(d.dev()));
            uevent(ma, mi, &d.name(), Some("disk"))
        }
        BlockNode::Partition(p) => partition_env(p),
    };
    Kobject {
        devpath: format!("/devices/virtual/{}", path(node)),
        subsystem: "block".to_string(),
        env,
    }
}

/// Returns the directory of partition `p` (start, size, number).
fn partition_dir(t: &mut Tree, p: &UbdPartition) -> Node {
    let (pa, pi) = (fs::major(p.dev()), fs::minor(p.dev()));
    let bd: &dyn fs::BlockDevice = p.disk().as_ref();
    let devpath = format!(
        "/devices/virtual/{}/{}",
        path(&BlockNode::Disk(p.disk().clone())),
        p.name()
    );
    let ro = attr(t, format!("{}\n", u8::from(bd.read_only())));
    let files = vec![
        named("dev", attr(t, format!("{pa}:{pi}\n"))),
        named("partition", attr(t, format!("{}\n", p.entry.number))),
        ("ro".to_string(), ro),
        named("size", attr(t, format!("{}\n", p.entry.sectors))),
        named("start", attr(t, format!("{}\n", p.entry.start))),
        named("subsystem", subsystem_link(t, 5, "block")),
        named("uevent", uevent_attr(t, devpath, "block", partition_env(p))),
    ];
    dir(t, files)
}

/// Returns the directory of disk `d` with its partitions `parts`.
fn disk_dir(dev: u64, d: &Arc<Ubd>, parts: &[Arc<UbdPartition>]) -> Node {
    let index = BlockNode::Disk(d.clone()).disk_index();
    let mut t = Tree::new(dev, BLOCK_INO + index as u64 * 4096 + 1);
    let t = &mut t;
    let (ma, mi) = (fs::major(d.dev()), fs::minor(d.dev()));
    let bd: &dyn fs::BlockDevice = d.as_ref();
    let ro = attr(t, format!("{}\n", u8::from(bd.read_only())));
    let queue = vec![
        named("hw_sector_size", attr(t, "512\n")),
        named("logical_block_size", attr(t, "512\n")),
        named("max_sectors_kb", attr(t, "1280\n")),
        named("physical_block_size", attr(t, "512\n")),
        named("rotational", attr(t, "0\n")),
    ];
    let mut disk = vec![
        named("dev", attr(t, format!("{ma}:{mi}\n"))),
        named("queue", dir(t, queue)),
        named("removable", attr(t, "0\n")),
        ("ro".to_string(), ro),
        named("size", attr(t, format!("{}\n", bd.size() / 512))),
        named("subsystem", subsystem_link(t, 4, "block")),
    ];
    let devpath = format!("/devices/virtual/block/{}", d.name());
    let env = uevent(ma, mi, &d.name(), Some("disk"));
    disk.push(named("uevent", uevent_attr(t, devpath, "block", env)));
    for p in parts {
        disk.push((p.name(), partition_dir(t, p)));
    }
    let node = Node::dir(dev, BLOCK_INO + index as u64 * 4096, 0o755, {
        let entries: Vec<Entry> = disk
            .into_iter()
            .enumerate()
            .map(|(i, (name, node))| node.entry(i as u64 + 2, &name))
            .collect();
        move || Ok(entries.clone())
    });
    node.valid_while(live(index, Arc::downgrade(d)))
}

/// Returns /sys/devices/virtual/block: a directory per disk.
pub fn devices_dir(dev: u64, ino: u64) -> Node {
    Node::dir(dev, ino, 0o755, move || {
        let b = crate::boot::kernel().block.snapshot();
        let mut out = Vec::new();
        for node in b.all() {
            if let BlockNode::Disk(d) = node {
                let parts = b.partitions_of(d);
                let index = node.disk_index();
                out.push(disk_dir(dev, d, &parts).entry(index as u64 + 2, &d.name()));
            }
        }
        Ok(out)
    })
}

/// Which of the directories of links into /sys/devices/virtual/block.
#[derive(Clone, Copy)]
pub enum Links {
    /// /sys/block: a link per disk, by name.
    Block,
    /// /sys/class/block: a link per disk and partition, by name.
    Class,
    /// /sys/dev/block: a link per disk and partition, by MAJOR:MINOR.
    Dev,
}

/// Returns the directory of links `which`.
pub fn links_dir(dev: u64, ino: u64, which: Links) -> Node {
    Node::dir(dev, ino, 0o755, move || -> Result<Vec<Entry>> {
        let b = crate::boot::kernel().block.snapshot();
        let mut out = Vec::new();
        for node in b.all() {
            let (name, up, kind) = match which {
                Links::Block if matches!(node, BlockNode::Disk(_)) => (node.name(), "../", 0),
                Links::Block => continue,
                Links::Class => (node.name(), "../../", 1),
                Links::Dev => {
                    let d = node.dev();
                    (format!("{}:{}", fs::major(d), fs::minor(d)), "../../", 2)
                }
            };
            let target = format!("{up}devices/virtual/{}", path(node)).into_bytes();
            let minor = u64::from(fs::minor(node.dev()));
            let disk = match node {
                BlockNode::Disk(d) => Arc::downgrade(d),
                BlockNode::Partition(p) => Arc::downgrade(p.disk()),
            };
            let link = Node::link(dev, LINK_INO + kind * 0x10_0000 + minor, move || {
                Ok(target.clone())
            })
            .valid_while(live(node.disk_index(), disk));
            out.push(link.entry(minor + 2, &name));
        }
        Ok(out)
    })
}
