//! Network cards attached and removed while the kernel runs, as UML's
//! mconsole `config ethN=...` and `remove ethN` do through net_config and
//! net_remove (arch/um/drivers/net_kern.c), and as Linux's
//! `register_netdevice` and `unregister_netdevice` make a device appear
//! and go: the card is opened as boot opens it (kernel/net/nic.rs), becomes
//! a device of the initial network namespace, down (RTM_NEWLINK to
//! rtnetlink listeners, /sys/class/net/ethN, which reads the namespace
//! afresh), and an `add` uevent goes to udev. Removal is refused while the
//! device is up; otherwise a `remove` uevent is sent, the device goes with
//! its addresses and routes (RTM_DELLINK), and the host side is released:
//! the card's thread ends, the TAP descriptor is closed, passt has quit.

use crate::kobject_uevent::{kobject_uevent, Action};
use crate::net::UnplugError;
use crate::nic_spec::NicSpec;

/// Sends `action` for device `ifindex`.
fn announce(ifindex: i32, action: Action) {
    let sent = crate::sysfs_net::kobject(ifindex).and_then(|k| kobject_uevent(&k, action, &[]));
    if let Err(e) = sent {
        log::warn!(
            "net device {ifindex}: {} event not sent: {}",
            action.name(),
            e.as_i32()
        );
    }
}

/// Returns whether card `name` (`eth0`) is attached.
pub fn attached(name: &str) -> bool {
    crate::net::nic_ifindex(name).is_some()
}

/// Attaches the card `spec` describes; an error is one line for the
/// mconsole's reply. The transport is opened (passt started) before the
/// kernel lock is taken, so the guest runs on meanwhile; the caller does
/// not hold it.
pub fn add_nic(spec: &NicSpec) -> Result<(), String> {
    if attached(&spec.name) {
        return Err("Device already configured".into());
    }
    let opened = crate::net::open_nic(spec)?;
    let _k = crate::lock::entered();
    let ifindex = crate::net::plug_nic(opened)?;
    announce(ifindex, Action::Add);
    Ok(())
}

/// Removes card `name` and releases its host side; the caller does not
/// hold the kernel lock (it is taken here, and left before the card's
/// thread is waited for).
pub fn del_nic(name: &str) -> Result<(), UnplugError> {
    let unplugged = {
        let _k = crate::lock::entered();
        crate::net::unplug_nic(name, |ifindex| announce(ifindex, Action::Remove))?
    };
    unplugged.release();
    Ok(())
}
