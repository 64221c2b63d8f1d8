//! Vectored and multiplexed I/O: `struct iovec`, `struct pollfd` and
//! `struct epoll_event`.

use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct iovec`: one buffer of a vectored call.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Iovec {
        pub iov_base: u64,
        pub iov_len: u64,
    }

    /// `struct pollfd` (poll(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Pollfd {
        pub fd: i32,
        pub events: i16,
        pub revents: i16,
    }

    /// `struct epoll_event`, packed on x86_64 (12 bytes).
    #[repr(packed)]
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct EpollEvent {
        pub events: u32,
        pub data: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Iovec>(), size_of::<libc::iovec>());
        assert_eq!(size_of::<Pollfd>(), size_of::<libc::pollfd>());
        assert_eq!(
            offset_of!(Pollfd, revents),
            offset_of!(libc::pollfd, revents)
        );
        assert_eq!(size_of::<EpollEvent>(), size_of::<libc::epoll_event>());
    }
}
