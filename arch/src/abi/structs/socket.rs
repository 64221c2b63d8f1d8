//! Sockets: `struct msghdr` and `struct mmsghdr` of sendmsg(2) and
//! recvmsg(2), the header of a control message (cmsg(3)) and the
//! credentials SCM_CREDENTIALS and SO_PEERCRED carry, the packet
//! information of IP_PKTINFO and IPV6_PKTINFO, Unix socket addresses and
//! the socket options' structures.

use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct msghdr` (sendmsg(2), recvmsg(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Msghdr {
        pub msg_name: u64,
        pub msg_namelen: i32,
        pub __pad1: i32,
        pub msg_iov: u64,
        pub msg_iovlen: u64,
        pub msg_control: u64,
        pub msg_controllen: u64,
        pub msg_flags: i32,
        pub __pad2: i32,
    }

    /// `struct mmsghdr` (sendmmsg(2), recvmmsg(2)): a message and the bytes
    /// it moved.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Mmsghdr {
        pub msg_hdr: Msghdr,
        pub msg_len: u32,
        pub __pad: u32,
    }

    /// `struct cmsghdr`: the header of one control message, whose data
    /// follows it (at `CMSG_DATA`, right after the header on x86_64).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Cmsghdr {
        pub cmsg_len: u64,
        pub cmsg_level: i32,
        pub cmsg_type: i32,
    }

    /// `struct sockaddr_un` (unix(7)): the family, then a path or an
    /// abstract name; calls pass as many of its bytes as the name needs.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct SockaddrUn {
        pub sun_family: u16,
        pub sun_path: [u8; 108],
    }

    /// `struct linger` (SO_LINGER).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Linger {
        pub l_onoff: i32,
        pub l_linger: i32,
    }

    /// `struct ucred` (SCM_CREDENTIALS, SO_PEERCRED).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Ucred {
        pub pid: i32,
        pub uid: u32,
        pub gid: u32,
    }

    /// `struct in_pktinfo` (ip(7) IP_PKTINFO): the interface, the local
    /// address a reply would leave from, and the packet's destination;
    /// addresses in network byte order.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct InPktinfo {
        pub ipi_ifindex: i32,
        pub ipi_spec_dst: [u8; 4],
        pub ipi_addr: [u8; 4],
    }

    /// `struct in6_pktinfo` (ipv6(7) IPV6_PKTINFO): the packet's
    /// destination (or a send's source) and the interface.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct In6Pktinfo {
        pub ipi6_addr: [u8; 16],
        pub ipi6_ifindex: i32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Msghdr>(), size_of::<libc::msghdr>());
        assert_eq!(
            offset_of!(Msghdr, msg_iov),
            offset_of!(libc::msghdr, msg_iov)
        );
        assert_eq!(
            offset_of!(Msghdr, msg_controllen),
            offset_of!(libc::msghdr, msg_controllen)
        );
        assert_eq!(
            offset_of!(Msghdr, msg_flags),
            offset_of!(libc::msghdr, msg_flags)
        );
        assert_eq!(size_of::<Mmsghdr>(), size_of::<libc::mmsghdr>());
        assert_eq!(
            offset_of!(Mmsghdr, msg_len),
            offset_of!(libc::mmsghdr, msg_len)
        );
        assert_eq!(size_of::<Cmsghdr>(), size_of::<libc::cmsghdr>());
        assert_eq!(
            offset_of!(Cmsghdr, cmsg_type),
            offset_of!(libc::cmsghdr, cmsg_type)
        );
        // SAFETY: CMSG_LEN only computes a length.
        let data_at = unsafe { libc::CMSG_LEN(0) } as usize;
        assert_eq!(data_at, size_of::<Cmsghdr>());
        assert_eq!(size_of::<Ucred>(), size_of::<libc::ucred>());
        assert_eq!(size_of::<SockaddrUn>(), size_of::<libc::sockaddr_un>());
        assert_eq!(
            offset_of!(SockaddrUn, sun_path),
            offset_of!(libc::sockaddr_un, sun_path)
        );
        assert_eq!(size_of::<Linger>(), size_of::<libc::linger>());
        assert_eq!(offset_of!(Ucred, gid), offset_of!(libc::ucred, gid));
        assert_eq!(size_of::<InPktinfo>(), size_of::<libc::in_pktinfo>());
        assert_eq!(
            offset_of!(InPktinfo, ipi_addr),
            offset_of!(libc::in_pktinfo, ipi_addr)
        );
        assert_eq!(size_of::<In6Pktinfo>(), size_of::<libc::in6_pktinfo>());
        assert_eq!(
            offset_of!(In6Pktinfo, ipi6_ifindex),
            offset_of!(libc::in6_pktinfo, ipi6_ifindex)
        );
    }
}
