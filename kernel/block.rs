//! The block devices the kernel offers (Linux's block layer, as far as the
//! guest sees it): each ubd disk, then the partitions its table describes.
//! /dev, /sys/block, /proc/partitions, mount(2) and `root=` all look here.
//! Disks come at boot and, through the mconsole, while the kernel runs
//! (`block_hotplug`), so readers take a snapshot or look one device up.

use arch::sync::Mutex;
use drivers::ubd::{Ubd, UbdPartition, UbdSpec};
use std::sync::Arc;

/// A disk or a partition of one.
#[derive(Clone)]
pub enum BlockNode {
    Disk(Arc<Ubd>),
    Partition(Arc<UbdPartition>),
}

impl BlockNode {
    /// Returns the device name (`ubda`, `ubda1`).
    pub fn name(&self) -> String {
        match self {
            BlockNode::Disk(d) => d.name(),
            BlockNode::Partition(p) => p.name(),
        }
    }

    /// Returns the device number.
    pub fn dev(&self) -> u64 {
        match self {
            BlockNode::Disk(d) => d.dev(),
            BlockNode::Partition(p) => p.dev(),
        }
    }

    /// Returns the device to read and write.
    pub fn device(&self) -> Arc<dyn fs::BlockDevice> {
        match self {
            BlockNode::Disk(d) => d.clone(),
            BlockNode::Partition(p) => p.clone(),
        }
    }

    /// Returns the index of the disk the node is or is on (0 for `ubda`).
    pub fn disk_index(&self) -> usize {
        (fs::minor(self.dev()) / 16) as usize
    }
}

/// The disks and their partitions, each disk followed by its partitions,
/// with the configuration each disk was attached with.
#[derive(Clone, Default)]
pub struct BlockDevices {
    nodes: Vec<BlockNode>,
    specs: Vec<(usize, UbdSpec)>,
}

impl BlockDevices {
    /// Reads the partition table of each of `disks`, attached as `specs` say.
    pub fn probe(disks: &[Arc<Ubd>], specs: &[Option<UbdSpec>]) -> BlockDevices {
        let mut b = BlockDevices::default();
        for d in disks {
            b.push(d.clone(), drivers::ubd::partitions(d));
        }
        b.specs = specs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((i, s.clone()?)))
            .collect();
        b
    }

    /// Adds `disk` and its partitions after the disks before it.
    fn push(&mut self, disk: Arc<Ubd>, parts: Vec<Arc<UbdPartition>>) {
        let at = self
            .nodes
            .iter()
            .position(|n| n.dev() > disk.dev())
            .unwrap_or(self.nodes.len());
        let new = std::iter::once(BlockNode::Disk(disk))
            .chain(parts.into_iter().map(BlockNode::Partition));
        self.nodes.splice(at..at, new);
    }

    /// Returns every disk and partition.
    pub fn all(&self) -> &[BlockNode] {
        &self.nodes
    }

    /// Returns the device numbered `dev`.
    pub fn find(&self, dev: u64) -> Option<&BlockNode> {
        self.nodes.iter().find(|n| n.dev() == dev)
    }

    /// Returns the partitions of `disk`.
    pub fn partitions_of(&self, disk: &Ubd) -> Vec<Arc<UbdPartition>> {
        self.nodes
            .iter()
            .filter_map(|n| match n {
                BlockNode::Partition(p) if p.disk().dev() == disk.dev() => Some(p.clone()),
                _ => None,
            })
            .collect()
    }

    /// Returns disk `index`, if attached.
    pub fn disk(&self, index: usize) -> Option<&Arc<Ubd>> {
        self.nodes.iter().find_map(|n| match n {
            BlockNode::Disk(d) if n.disk_index() == index => Some(d),
            _ => None,
        })
    }
}

/// Why a disk cannot be detached.
#[derive(Debug, PartialEq, Eq)]
pub enum TakeError {
    /// No disk has that index.
    NoDevice,
    /// Something holds the disk or a partition of it: a mounted
    /// filesystem, an open block device file.
    Busy,
}

/// The kernel's block devices, changed while it runs.
pub struct BlockTable(Mutex<BlockDevices>);

impl BlockTable {
    /// Creates the table of the disks found at boot.
    pub fn new(devices: BlockDevices) -> BlockTable {
        BlockTable(Mutex::new(devices))
    }

    /// Returns the devices as they are now.
    pub fn snapshot(&self) -> BlockDevices {
        self.0.lock().clone()
    }

    /// Returns the device numbered `dev`.
    pub fn find(&self, dev: u64) -> Option<BlockNode> {
        self.0.lock().find(dev).cloned()
    }

    /// Returns disk `index`, if attached.
    pub fn disk(&self, index: usize) -> Option<Arc<Ubd>> {
        self.0.lock().disk(index).cloned()
    }

    /// Returns the configuration disk `index` was attached with.
    pub fn spec(&self, index: usize) -> Option<UbdSpec> {
        let b = self.0.lock();
        b.specs
            .iter()
            .find(|(i, _)| *i == index)
            .map(|(_, s)| s.clone())
    }

    /// Adds `disk` with its partitions, attached as `spec` says; returns
    /// the nodes added, the disk first.
    pub fn insert(&self, disk: Arc<Ubd>, spec: UbdSpec) -> Vec<BlockNode> {
        let index = BlockNode::Disk(disk.clone()).disk_index();
        let parts = drivers::ubd::partitions(&disk);
        let mut b = self.0.lock();
        b.push(disk.clone(), parts);
        b.specs.retain(|(i, _)| *i != index);
        b.specs.push((index, spec));
        b.nodes
            .iter()
            .filter(|n| n.disk_index() == index)
            .cloned()
            .collect()
    }

    /// Takes disk `index` and its partitions out of the table, unless
    /// anything besides the table holds one of them; returns them, the disk
    /// first.
    pub fn take(&self, index: usize) -> Result<Vec<BlockNode>, TakeError> {
        let mut b = self.0.lock();
        let mine: Vec<&BlockNode> = b.nodes.iter().filter(|n| n.disk_index() == index).collect();
        let Some(BlockNode::Disk(disk)) = mine.first() else {
            return Err(TakeError::NoDevice);
        };
        // The table holds the disk once and each partition holds it once
        // more; the table holds each partition once. Any other holder is a
        // mount or an open file (Linux's bd_openers).
        let parts = mine.len() - 1;
        let busy = Arc::strong_count(disk) > 1 + parts
            || mine.iter().any(|n| match n {
                BlockNode::Partition(p) => Arc::strong_count(p) > 1,
                BlockNode::Disk(_) => false,
            });
        if busy {
            return Err(TakeError::Busy);
        }
        let (taken, kept) = std::mem::take(&mut b.nodes)
            .into_iter()
            .partition(|n| n.disk_index() == index);
        b.nodes = kept;
        b.specs.retain(|(i, _)| *i != index);
        Ok(taken)
    }
}
