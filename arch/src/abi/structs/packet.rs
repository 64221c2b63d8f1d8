//! Packet sockets (packet(7)): the link-level address `struct sockaddr_ll`,
//! the options' `struct packet_mreq`, `struct tpacket_stats` and the
//! `struct tpacket_auxdata` control message, and the classic BPF program
//! of SO_ATTACH_FILTER (`struct sock_filter`, `struct sock_fprog`).

use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct sockaddr_ll`: a device-independent link-level address.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SockaddrLl {
        pub sll_family: u16,
        /// The Ethernet protocol, in network byte order.
        pub sll_protocol: u16,
        pub sll_ifindex: i32,
        pub sll_hatype: u16,
        pub sll_pkttype: u8,
        pub sll_halen: u8,
        pub sll_addr: [u8; 8],
    }

    /// `struct packet_mreq` (PACKET_ADD_MEMBERSHIP, PACKET_DROP_MEMBERSHIP).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct PacketMreq {
        pub mr_ifindex: i32,
        pub mr_type: u16,
        pub mr_alen: u16,
        pub mr_address: [u8; 8],
    }

    /// `struct tpacket_stats` (PACKET_STATISTICS).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct TpacketStats {
        pub tp_packets: u32,
        pub tp_drops: u32,
    }

    /// `struct tpacket_auxdata` (the PACKET_AUXDATA control message).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct TpacketAuxdata {
        pub tp_status: u32,
        pub tp_len: u32,
        pub tp_snaplen: u32,
        pub tp_mac: u16,
        pub tp_net: u16,
        pub tp_vlan_tci: u16,
        pub tp_vlan_tpid: u16,
    }

    /// `struct sock_filter`: one classic BPF instruction.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SockFilter {
        pub code: u16,
        pub jt: u8,
        pub jf: u8,
        pub k: u32,
    }

    /// `struct sock_fprog`: a classic BPF program (SO_ATTACH_FILTER).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SockFprog {
        pub len: u16,
        pub __pad: [u16; 3],
        pub filter: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<SockaddrLl>(), size_of::<libc::sockaddr_ll>());
        assert_eq!(
            offset_of!(SockaddrLl, sll_addr),
            offset_of!(libc::sockaddr_ll, sll_addr)
        );
        assert_eq!(
            offset_of!(SockaddrLl, sll_pkttype),
            offset_of!(libc::sockaddr_ll, sll_pkttype)
        );
        assert_eq!(size_of::<SockFilter>(), size_of::<libc::sock_filter>());
        assert_eq!(offset_of!(SockFilter, k), offset_of!(libc::sock_filter, k));
        assert_eq!(size_of::<SockFprog>(), size_of::<libc::sock_fprog>());
        assert_eq!(
            offset_of!(SockFprog, filter),
            offset_of!(libc::sock_fprog, filter)
        );
        // The C library has no packet_mreq, tpacket_stats or
        // tpacket_auxdata: their sizes from linux/if_packet.h.
        assert_eq!(size_of::<PacketMreq>(), 16);
        assert_eq!(size_of::<TpacketStats>(), 8);
        assert_eq!(size_of::<TpacketAuxdata>(), 20);
    }
}
