//! Credentials: the capability sets of capget(2) and capset(2).

use crate::abi::pod::pod_structs;

/// `_LINUX_CAPABILITY_VERSION_1`: one 32-bit set (one `CapUserData`).
pub const LINUX_CAPABILITY_VERSION_1: u32 = 0x1998_0330;
/// `_LINUX_CAPABILITY_VERSION_2`, deprecated: two sets, as version 3.
pub const LINUX_CAPABILITY_VERSION_2: u32 = 0x2007_1026;
/// `_LINUX_CAPABILITY_VERSION_3`: 64-bit sets (two `CapUserData`).
pub const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;

pod_structs! {
    /// `struct __user_cap_header_struct`: the version of the sets and the
    /// thread they are of.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct CapUserHeader {
        pub version: u32,
        pub pid: i32,
    }

    /// `struct __user_cap_data_struct`: 32 bits of each capability set
    /// (versions 2 and 3 pass two, for the low and the high 32 capabilities).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct CapUserData {
        pub effective: u32,
        pub permitted: u32,
        pub inheritable: u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::size_of;

    /// The libc crate has no capability structures: the sizes of
    /// linux/capability.h.
    #[test]
    fn layouts_match_linux() {
        assert_eq!(size_of::<CapUserHeader>(), 8);
        assert_eq!(size_of::<CapUserData>(), 12);
    }
}
