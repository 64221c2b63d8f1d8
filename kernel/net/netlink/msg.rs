//! The netlink wire format (netlink(7)): `struct nlmsghdr` and the
//! messages it frames, each padded to 4 bytes, and the `struct nlattr` /
//! `struct rtattr` attributes of their payloads (type, length, value, also
//! padded). `Builder` writes one message; `Attrs` parses a payload's
//! attributes with the checks of Linux's liberal (`_deprecated`) parser
//! and its strict one; `split` walks the messages of one datagram.

use arch::Errno;

/// `NLMSG_*`: the control message types.
pub(crate) const NLMSG_ERROR: u16 = 2;
pub(crate) const NLMSG_DONE: u16 = 3;
/// Types below this are control messages, which the kernel only acks.
pub(crate) const NLMSG_MIN_TYPE: u16 = 0x10;

/// `NLM_F_*`: message flags.
pub(crate) mod nlm_f {
    pub(crate) const REQUEST: u16 = 0x1;
    pub(crate) const MULTI: u16 = 0x2;
    pub(crate) const ACK: u16 = 0x4;
    pub(crate) const ECHO: u16 = 0x8;
    /// GET requests.
    pub(crate) const ROOT: u16 = 0x100;
    pub(crate) const MATCH: u16 = 0x200;
    pub(crate) const DUMP: u16 = ROOT | MATCH;
    /// NEW requests.
    pub(crate) const REPLACE: u16 = 0x100;
    pub(crate) const EXCL: u16 = 0x200;
    pub(crate) const CREATE: u16 = 0x400;
    /// Acks.
    pub(crate) const CAPPED: u16 = 0x100;
    pub(crate) const ACK_TLVS: u16 = 0x200;
}

/// `NLMSGERR_ATTR_*`: the extended-ack attributes.
pub(crate) const NLMSGERR_ATTR_MSG: u16 = 1;

/// `sizeof(struct nlmsghdr)`.
pub(crate) const NLMSG_HDRLEN: usize = 16;
/// `sizeof(struct nlattr)`.
pub(crate) const NLA_HDRLEN: usize = 4;
/// The type bits of an attribute's type (without NLA_F_NESTED and
/// NLA_F_NET_BYTEORDER).
pub(crate) const NLA_TYPE_MASK: u16 = 0x3fff;

/// Returns `n` rounded up to the netlink alignment (4).
pub(crate) const fn align(n: usize) -> usize {
    (n + 3) & !3
}

/// A parsed `struct nlmsghdr`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Header {
    pub len: u32,
    pub ty: u16,
    pub flags: u16,
    pub seq: u32,
    pub pid: u32,
}

impl Header {
    /// Parses the header at the start of `b` (None if shorter than one).
    pub(crate) fn parse(b: &[u8]) -> Option<Header> {
        if b.len() < NLMSG_HDRLEN {
            return None;
        }
        Some(Header {
            len: u32::from_ne_bytes(b[0..4].try_into().ok()?),
            ty: u16::from_ne_bytes(b[4..6].try_into().ok()?),
            flags: u16::from_ne_bytes(b[6..8].try_into().ok()?),
            seq: u32::from_ne_bytes(b[8..12].try_into().ok()?),
            pid: u32::from_ne_bytes(b[12..16].try_into().ok()?),
        })
    }

    /// Returns the header's 16 bytes.
    pub(crate) fn bytes(&self) -> [u8; NLMSG_HDRLEN] {
        let mut b = [0u8; NLMSG_HDRLEN];
        b[0..4].copy_from_slice(&self.len.to_ne_bytes());
        b[4..6].copy_from_slice(&self.ty.to_ne_bytes());
        b[6..8].copy_from_slice(&self.flags.to_ne_bytes());
        b[8..12].copy_from_slice(&self.seq.to_ne_bytes());
        b[12..16].copy_from_slice(&self.pid.to_ne_bytes());
        b
    }
}

/// Splits one datagram into its messages as Linux's `netlink_rcv_skb`
/// does: a message whose length is shorter than a header or longer than
/// what is left ends the walk silently, as does a remainder shorter than
/// a header. Each item is the header and the whole message (header included).
pub(crate) fn split(mut data: &[u8]) -> Vec<(Header, &[u8])> {
    let mut out = Vec::new();
    while let Some(h) = Header::parse(data) {
        let len = h.len as usize;
        if len < NLMSG_HDRLEN || len > data.len() {
            break;
        }
        out.push((h, &data[..len]));
        data = &data[align(len).min(data.len())..];
    }
    out
}

/// Writes one netlink message.
pub(crate) struct Builder {
    buf: Vec<u8>,
    nests: Vec<usize>,
}

impl Builder {
    /// Starts a message of type `ty` with `flags`, `seq` and port `pid`.
    pub(crate) fn new(ty: u16, flags: u16, seq: u32, pid: u32) -> Builder {
        let h = Header {
            len: 0,
            ty,
            flags,
            seq,
            pid,
        };
        Builder {
            buf: h.bytes().to_vec(),
            nests: Vec::new(),
        }
    }

    /// Appends fixed bytes (the family header), padded to 4.
    pub(crate) fn put(&mut self, data: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(data);
        self.pad();
        self
    }

    fn pad(&mut self) {
        self.buf.resize(align(self.buf.len()), 0);
    }

    /// Appends attribute `ty` holding `data`.
    pub(crate) fn attr(&mut self, ty: u16, data: &[u8]) -> &mut Self {
        let len = (NLA_HDRLEN + data.len()) as u16;
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.buf.extend_from_slice(data);
        self.pad();
        self
    }

    pub(crate) fn u8(&mut self, ty: u16, v: u8) -> &mut Self {
        self.attr(ty, &[v])
    }

    pub(crate) fn u32(&mut self, ty: u16, v: u32) -> &mut Self {
        self.attr(ty, &v.to_ne_bytes())
    }

    /// Appends attribute `ty` whose 8-byte values must be 8-byte aligned,
    /// after a `pad` attribute if needed (Linux's `nla_put_64bit`).
    pub(crate) fn attr64(&mut self, ty: u16, data: &[u8], pad: u16) -> &mut Self {
        if !(self.buf.len() + NLA_HDRLEN).is_multiple_of(8) {
            self.attr(pad, &[]);
        }
        self.attr(ty, data)
    }

    /// Appends a NUL-terminated string attribute.
    pub(crate) fn str(&mut self, ty: u16, s: &[u8]) -> &mut Self {
        let mut v = s.to_vec();
        v.push(0);
        self.attr(ty, &v)
    }

    /// Opens a nested attribute `ty`; `end_nest` closes it.
    pub(crate) fn nest(&mut self, ty: u16) -> &mut Self {
        self.nests.push(self.buf.len());
        self.attr(ty, &[])
    }

    /// Closes the innermost nested attribute.
    pub(crate) fn end_nest(&mut self) -> &mut Self {
        if let Some(at) = self.nests.pop() {
            let len = (self.buf.len() - at) as u16;
            self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
        }
        self
    }

    /// Returns the finished message, its length set.
    pub(crate) fn finish(mut self) -> Vec<u8> {
        let len = self.buf.len() as u32;
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf
    }
}

/// The attributes of a payload, by type (the last one of a type wins, as
/// in Linux's `nla_parse`).
#[derive(Default, Debug)]
pub(crate) struct Attrs<'a> {
    by_type: Vec<(u16, &'a [u8])>,
}

impl<'a> Attrs<'a> {
    /// Parses the attributes in `data`. Bytes left over that do not make an
    /// attribute are ignored unless `strict` (then EINVAL), as Linux's
    /// liberal and strict parsers do.
    pub(crate) fn parse(mut data: &'a [u8], strict: bool) -> Result<Attrs<'a>, Errno> {
        let mut by_type = Vec::new();
        while data.len() >= NLA_HDRLEN {
            let len = u16::from_ne_bytes([data[0], data[1]]) as usize;
            let ty = u16::from_ne_bytes([data[2], data[3]]) & NLA_TYPE_MASK;
            if len < NLA_HDRLEN || len > data.len() {
                break;
            }
            by_type.push((ty, &data[NLA_HDRLEN..len]));
            data = &data[align(len).min(data.len())..];
        }
        if strict && !data.is_empty() {
            return Err(Errno::EINVAL);
        }
        Ok(Attrs { by_type })
    }

    /// Returns the value of attribute `ty`.
    pub(crate) fn get(&self, ty: u16) -> Option<&'a [u8]> {
        self.by_type
            .iter()
            .rev()
            .find(|(t, _)| *t == ty)
            .map(|(_, v)| *v)
    }

    /// Returns the types present.
    pub(crate) fn types(&self) -> impl Iterator<Item = u16> + '_ {
        self.by_type.iter().map(|(t, _)| *t)
    }

    /// Returns a u32 attribute: ERANGE if shorter than 4 bytes (Linux's
    /// policy check; a longer one is taken).
    pub(crate) fn u32(&self, ty: u16) -> Result<Option<u32>, Errno> {
        self.get(ty)
            .map(|v| {
                v.get(..4)
                    .and_then(|b| b.try_into().ok())
                    .map(u32::from_ne_bytes)
                    .ok_or(Errno::ERANGE)
            })
            .transpose()
    }

    /// Returns a string attribute without its NUL: ERANGE if longer than
    /// `max` bytes (an NLA_STRING policy of that length) or empty.
    pub(crate) fn str(&self, ty: u16, max: usize) -> Result<Option<&'a [u8]>, Errno> {
        self.get(ty)
            .map(|v| {
                let v = v.strip_suffix(&[0]).unwrap_or(v);
                let v = &v[..v.iter().position(|&c| c == 0).unwrap_or(v.len())];
                if v.len() > max {
                    Err(Errno::ERANGE)
                } else {
                    Ok(v)
                }
            })
            .transpose()
    }

    /// Returns an attribute of at least `n` bytes (ERANGE if shorter).
    pub(crate) fn bytes(&self, ty: u16, n: usize) -> Result<Option<&'a [u8]>, Errno> {
        self.get(ty)
            .map(|v| v.get(..n).ok_or(Errno::ERANGE))
            .transpose()
    }
}

/// Returns `n` bytes of `data` at `at` as an array, zeros past its end
/// (a family header shorter than its struct reads as zero-filled).
pub(crate) fn field<const N: usize>(data: &[u8], at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    if let Some(src) = data.get(at..) {
        let n = src.len().min(N);
        out[..n].copy_from_slice(&src[..n]);
    }
    out
}
