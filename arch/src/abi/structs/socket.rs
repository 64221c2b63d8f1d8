//! Sockets: `struct msghdr` of sendmsg(2) and recvmsg(2).

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
    }
}
