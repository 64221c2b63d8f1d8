//! Disks attached and removed while the kernel runs, as UML's mconsole
//! `config ubdN=...` and `remove ubdN` do through ubd_config and
//! ubd_remove, and as Linux's `device_add_disk` and `del_gendisk` make them
//! appear and go: the disk is opened as boot opens it (drivers/src/ubd),
//! its partition table read, its nodes made in devtmpfs, and an `add`
//! uevent sent for the disk, then for each partition; removal is refused
//! while anything holds the disk (a mount, an open block device file), else
//! sends `remove` for the partitions, then the disk, removes the nodes,
//! and flushes and closes the host files, releasing their locks. sysfs and
//! /proc/partitions read the block table (kernel/block.rs) afresh. The
//! caller holds the kernel lock.

use crate::block::{BlockNode, TakeError};
use crate::kobject_uevent::{kobject_uevent, Action};
use drivers::ubd::UbdSpec;
use std::sync::Arc;

/// Returns whether disk `index` is attached.
pub fn attached(index: usize) -> bool {
    crate::boot::try_kernel().is_some_and(|k| k.block.disk(index).is_some())
}

/// Sends `action` for each of `nodes`.
fn announce(nodes: &[BlockNode], action: Action) {
    for n in nodes {
        let kobj = crate::sysfs_block::kobject(n);
        if let Err(e) = kobject_uevent(&kobj, action, &[]) {
            log::warn!("{}: {} event not sent: {e}", n.name(), action.name());
        }
    }
}

/// Attaches disk `index` as `spec` says; an error is one line for the
/// mconsole's reply.
pub fn add_disk(index: usize, spec: UbdSpec) -> Result<(), String> {
    let k = crate::boot::kernel();
    if attached(index) {
        return Err("Device is already configured".into());
    }
    let seen =
        crate::boot::attached_files(k.block.snapshot().all().iter().filter_map(|n| match n {
            BlockNode::Disk(d) => Some(d),
            BlockNode::Partition(_) => None,
        }));
    crate::boot::same_file(index, &spec, &seen)?;
    if spec.backing.is_none() && std::fs::metadata(&spec.path).is_err() {
        // UML's words when the file is not there, with the file named.
        return Err(format!(
            "Couldn't determine size of device's file {}",
            spec.path.display()
        ));
    }
    let ubd = drivers::ubd::open_disk(index, &spec)?;
    crate::boot::log_disk(&ubd, &spec);
    let nodes = k.block.insert(Arc::new(ubd), spec);
    for n in &nodes {
        if let Err(e) = crate::devtmpfs::add_block(&n.name(), n.dev()) {
            log::warn!("{}: no /dev node: {e}", n.name());
        }
    }
    announce(&nodes, Action::Add);
    Ok(())
}

/// Why a disk was not removed.
#[derive(Debug, PartialEq, Eq)]
pub enum RemoveError {
    /// No disk has that index (UML's -ENODEV).
    NoDevice,
    /// A filesystem on it is mounted or its device file is open (-EBUSY).
    Busy,
}

/// Removes disk `index` and its partitions and closes its host files.
pub fn del_disk(index: usize) -> Result<(), RemoveError> {
    let k = crate::boot::kernel();
    let nodes = k.block.take(index).map_err(|e| match e {
        TakeError::NoDevice => RemoveError::NoDevice,
        TakeError::Busy => RemoveError::Busy,
    })?;
    let mut order = nodes.clone();
    order.reverse();
    announce(&order, Action::Remove);
    for n in &order {
        if let Err(e) = crate::devtmpfs::remove_block(&n.name()) {
            log::warn!("{}: /dev node not removed: {e}", n.name());
        }
    }
    if let Some(BlockNode::Disk(d)) = nodes.first() {
        if let Err(e) = fs::BlockDevice::flush(d.as_ref()) {
            log::error!("{}: flush before removal failed: {e}", d.name());
        }
        log::info!("{}: removed", d.name());
    }
    // The last references: the host files close here.
    drop(order);
    drop(nodes);
    Ok(())
}
