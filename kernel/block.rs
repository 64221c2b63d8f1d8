//! The block devices the kernel offers (Linux's block layer, as far as the
//! guest sees it): each ubd disk, then the partitions its table describes.
//! /dev, /sys/block, /proc/partitions, mount(2) and `root=` all look here.

use drivers::ubd::{Ubd, UbdPartition};
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
}

/// The disks and their partitions, each disk followed by its partitions.
pub struct BlockDevices(Vec<BlockNode>);

impl BlockDevices {
    /// Reads the partition table of each of `disks`.
    pub fn probe(disks: &[Arc<Ubd>]) -> BlockDevices {
        let mut nodes = Vec::new();
        for d in disks {
            nodes.push(BlockNode::Disk(d.clone()));
            let parts = drivers::ubd::partitions(d);
            nodes.extend(parts.into_iter().map(BlockNode::Partition));
        }
        BlockDevices(nodes)
    }

    /// Returns every disk and partition.
    pub fn all(&self) -> &[BlockNode] {
        &self.0
    }

    /// Returns the device numbered `dev`.
    pub fn find(&self, dev: u64) -> Option<&BlockNode> {
        self.0.iter().find(|n| n.dev() == dev)
    }

    /// Returns the partitions of `disk`.
    pub fn partitions_of(&self, disk: &Ubd) -> Vec<Arc<UbdPartition>> {
        self.0
            .iter()
            .filter_map(|n| match n {
                BlockNode::Partition(p) if p.disk().dev() == disk.dev() => Some(p.clone()),
                _ => None,
            })
            .collect()
    }
}
