//! The guest tests of the network (sockets over loopback, netlink, packet
//! and raw sockets, Unix domain sockets), split from tests/guest.rs (one
//! boot per C program in tests/guest/).

use crate::common::*;

/// TCP and UDP over the loopback interface (tests/guest/inet.c).
#[test]
fn inet() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/inet", "quiet"]));
}

/// NETLINK_SOCK_DIAG, what ss reads: TCP, UDP and Unix sockets dumped and
/// looked up with their states, ports, inodes and owners, state and
/// bytecode filters, the extensions, errnos of malformed requests, and
/// /proc/net/unix (tests/guest/sockdiag.c).
#[test]
fn sockdiag() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/sockdiag", "quiet"]));
}

/// UDP's control messages (IP_PKTINFO, IP_RECVTTL, IP_RECVTOS,
/// IPV6_RECVHOPLIMIT, IPV6_RECVTCLASS... on receive and send, truncation)
/// and UDP-Lite with its checksum coverage (tests/guest/udpmsg.c).
#[test]
fn udpmsg() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/udpmsg", "quiet"]));
}

/// Malformed socket addresses, options, flags and netlink messages from a
/// fixed seed: every call returns an errno, and loopback works afterwards
/// (tests/guest/netfuzz.c).
#[test]
fn netfuzz() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/netfuzz", "quiet"]));
}

/// Ping sockets and raw sockets over the loopback interface
/// (tests/guest/ping.c).
#[test]
fn ping() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/ping", "quiet"]));
}

/// Packet sockets on the loopback interface (tests/guest/packet.c).
#[test]
fn packet() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/packet", "quiet"]));
}

/// Unix domain sockets, on tmpfs and on the ext4 root: a copy of the image
/// booted read-write; the socket file the guest leaves must be a socket to
/// debugfs, and e2fsck must find the image clean.
#[test]
fn unix() {
    let img = image_copy("unix");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    assert_checks_passed(&boot(&[&ubd0, "rw", "init=/bin/unix", "quiet"]));
    assert_fsck_clean(&copy);
    let (stat, _) = debugfs(&copy, "stat /unix-ext4/kept.sock");
    let stat = String::from_utf8_lossy(&stat);
    assert!(
        stat.contains("Type: socket"),
        "debugfs stat /unix-ext4/kept.sock:\n{stat}"
    );
}

/// rtnetlink, the interface ioctls, /proc/net, /proc/sys/net and
/// /sys/class/net as a fresh Linux network namespace shows them.
#[test]
fn netlink() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/netlink", "quiet"]));
}
