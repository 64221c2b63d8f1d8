//! Unix socket addresses (`struct sockaddr_un`, unix(7)): a filesystem path,
//! or an abstract name whose first byte is NUL. Parsing follows Linux's
//! `unix_validate_addr` and `unix_mkname_bsd`: the address length must cover
//! more than the family and at most the whole structure, a path ends at its
//! first NUL (108 bytes without one are accepted), and an abstract name is
//! every byte the length covers, NULs included.

use crate::net::{sa_family, AF_UNIX};
use arch::abi::pod::as_bytes;
use arch::abi::structs::SockaddrUn;
use arch::{Errno, Result};
use std::mem::offset_of;

/// `sizeof(struct sockaddr_un)`.
pub(crate) const SOCKADDR_UN_LEN: usize = size_of::<SockaddrUn>();
/// `offsetof(struct sockaddr_un, sun_path)`: the family's two bytes.
pub(crate) const SUN_PATH_OFFSET: usize = offset_of!(SockaddrUn, sun_path);

/// A bound name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum UnixAddr {
    /// A filesystem path (the socket file's name, relative or absolute as bound).
    Path(Vec<u8>),
    /// An abstract name: the bytes after the leading NUL.
    Abstract(Vec<u8>),
}

impl UnixAddr {
    /// Parses the `bytes.len()` bytes of a `sockaddr_un` (EINVAL for a bad
    /// length or family).
    pub(crate) fn parse(bytes: &[u8]) -> Result<UnixAddr> {
        if bytes.len() <= SUN_PATH_OFFSET || bytes.len() > SOCKADDR_UN_LEN {
            return Err(Errno::EINVAL);
        }
        if sa_family(bytes) != Some(AF_UNIX) {
            return Err(Errno::EINVAL);
        }
        let path = &bytes[SUN_PATH_OFFSET..];
        if path[0] == 0 {
            return Ok(UnixAddr::Abstract(path[1..].to_vec()));
        }
        let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        Ok(UnixAddr::Path(path[..end].to_vec()))
    }

    /// Returns the `sockaddr_un` as getsockname(2) reports it: a path with
    /// its NUL, an abstract name as long as it was bound.
    pub(crate) fn to_bytes(&self) -> Vec<u8> {
        let mut out = unnamed();
        match self {
            UnixAddr::Path(p) => {
                out.extend_from_slice(p);
                out.push(0);
            }
            UnixAddr::Abstract(name) => {
                out.push(0);
                out.extend_from_slice(name);
            }
        }
        out
    }
}

/// Returns the address of a socket without a name: the family alone.
pub(crate) fn unnamed() -> Vec<u8> {
    as_bytes(&AF_UNIX).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sun(path: &[u8]) -> Vec<u8> {
        let mut v = unnamed();
        v.extend_from_slice(path);
        v
    }

    #[test]
    fn paths_end_at_their_nul() {
        let a = UnixAddr::parse(&sun(b"/tmp/s\0junk")).expect("valid");
        assert_eq!(a, UnixAddr::Path(b"/tmp/s".to_vec()));
        assert_eq!(a.to_bytes(), sun(b"/tmp/s\0"));
        let long = UnixAddr::parse(&sun(&[b'x'; 108])).expect("108 bytes");
        assert_eq!(long.to_bytes().len(), SOCKADDR_UN_LEN + 1);
    }

    #[test]
    fn abstract_names_keep_every_byte() {
        let a = UnixAddr::parse(&sun(b"\0a\0b")).expect("valid");
        assert_eq!(a, UnixAddr::Abstract(b"a\0b".to_vec()));
        assert_eq!(a.to_bytes(), sun(b"\0a\0b"));
        assert_eq!(
            UnixAddr::parse(&sun(b"\0")),
            Ok(UnixAddr::Abstract(Vec::new()))
        );
    }

    #[test]
    fn bad_lengths_and_families() {
        assert_eq!(UnixAddr::parse(&sun(b"")), Err(Errno::EINVAL));
        assert_eq!(UnixAddr::parse(&sun(&[b'x'; 109])), Err(Errno::EINVAL));
        assert_eq!(UnixAddr::parse(&[2, 0, b'/', 0]), Err(Errno::EINVAL));
        assert_eq!(UnixAddr::parse(&[1]), Err(Errno::EINVAL));
    }
}
