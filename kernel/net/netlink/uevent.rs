//! NETLINK_KOBJECT_UEVENT (netlink(7)): the kernel multicasts each device
//! event (kernel/kobject_uevent.rs makes them) to group 1, and udevd
//! multicasts the events it has processed to group 2, where libudev and
//! sd-device monitors read them. The sockets are plain netlink sockets
//! (`NetlinkSocket`): any user may listen, sending to a group or another
//! port needs CAP_NET_ADMIN, and what is sent to the kernel is ignored.

use super::{init_net_table, NETLINK_KOBJECT_UEVENT};

/// The group of the kernel's events (udev's own are group 2).
pub(crate) const GROUP_KERNEL: u32 = 1;

/// Delivers the uevent message `data` from the kernel to every socket in
/// group 1 (Linux's `kobject_uevent_net_broadcast`; devices here belong
/// to the initial network namespace).
pub(crate) fn broadcast(data: &[u8]) {
    init_net_table().broadcast(NETLINK_KOBJECT_UEVENT, GROUP_KERNEL, data, 0);
}
