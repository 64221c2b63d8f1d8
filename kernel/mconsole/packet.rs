//! The mconsole wire format (UML's arch/um/drivers/mconsole.h): a request is
//! `magic`, `version`, `len` (three host-order u32) and up to 512 bytes of
//! text; a reply is `err`, `more`, `len` and the text with its NUL, at most
//! 511 bytes of text a packet, so a long reply goes as several packets, all
//! but the last with `more` set. Requests that are not version 2 get UML's
//! answers: a bare string for a client without the magic (version 0), an
//! error reply for any other version or a length past the data.

/// The first word of every versioned request.
pub const MAGIC: u32 = 0xcafe_babe;
/// The protocol version this driver speaks.
pub const VERSION: u32 = 2;
/// The data bytes of a request or reply packet.
pub const MAX_DATA: usize = 512;
/// The header of a request or reply: three u32.
const HEADER: usize = 12;

/// What the driver makes of one datagram.
#[derive(Debug, PartialEq, Eq)]
pub enum Decoded {
    /// A well-formed version 2 request: its text, up to its first NUL.
    Request(String),
    /// A request without the magic: the client gets this string as it is,
    /// with no reply header.
    Version0(&'static str),
    /// A malformed request: the client gets this error reply.
    Error(&'static str),
}

fn word(b: &[u8], at: usize) -> Option<u32> {
    let w = b.get(at..at + 4)?;
    Some(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))
}

/// Decodes one request datagram as UML's mconsole_get_request does.
pub fn decode(packet: &[u8]) -> Decoded {
    if word(packet, 0) != Some(MAGIC) {
        return Decoded::Version0(
            "ERR Version 0 mconsole clients are not supported by this driver",
        );
    }
    let (Some(version), Some(len)) = (word(packet, 4), word(packet, 8)) else {
        return Decoded::Error("This driver only supports version 2 clients");
    };
    if len as usize >= MAX_DATA {
        return Decoded::Error("Request too large");
    }
    if version != VERSION {
        return Decoded::Error("This driver only supports version 2 clients");
    }
    let data = &packet[HEADER..];
    let data = &data[..data.len().min(len as usize)];
    let text = data.split(|b| *b == 0).next().unwrap_or_default();
    Decoded::Request(String::from_utf8_lossy(text).into_owned())
}

/// Encodes a reply of `text` as the packets UML's mconsole_reply sends:
/// `err` on the first only, `more` on the last (every earlier one has it).
pub fn encode_reply(text: &[u8], err: bool, more: bool) -> Vec<Vec<u8>> {
    let mut packets = Vec::new();
    let mut rest = text;
    let mut err = u32::from(err);
    loop {
        let n = rest.len().min(MAX_DATA - 1);
        let (chunk, tail) = rest.split_at(n);
        let this_more = if tail.is_empty() { more } else { true };
        let mut p = Vec::with_capacity(HEADER + n + 1);
        p.extend_from_slice(&err.to_ne_bytes());
        p.extend_from_slice(&u32::from(this_more).to_ne_bytes());
        p.extend_from_slice(&(n as u32 + 1).to_ne_bytes());
        p.extend_from_slice(chunk);
        p.push(0);
        packets.push(p);
        err = 0;
        rest = tail;
        if rest.is_empty() {
            return packets;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(version: u32, len: u32, data: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&MAGIC.to_ne_bytes());
        p.extend_from_slice(&version.to_ne_bytes());
        p.extend_from_slice(&len.to_ne_bytes());
        p.extend_from_slice(data);
        p
    }

    fn header(p: &[u8]) -> (u32, u32, u32) {
        (
            word(p, 0).expect("err"),
            word(p, 4).expect("more"),
            word(p, 8).expect("len"),
        )
    }

    #[test]
    fn requests() {
        // uml_mconsole sends the whole struct: the text, then zeros.
        let mut data = b"version".to_vec();
        data.resize(MAX_DATA, 0);
        assert_eq!(
            decode(&request(2, 7, &data)),
            Decoded::Request("version".into())
        );
        assert_eq!(
            decode(&request(2, 3, b"version")),
            Decoded::Request("ver".into()),
            "len bounds the text"
        );
        assert_eq!(
            decode(&request(2, 100, b"log a\0b")),
            Decoded::Request("log a".into()),
            "a NUL ends it"
        );
        assert_eq!(decode(&request(2, 0, b"")), Decoded::Request(String::new()));
    }

    #[test]
    fn malformed() {
        assert!(matches!(decode(b"version"), Decoded::Version0(s) if s.starts_with("ERR ")));
        assert!(matches!(decode(b""), Decoded::Version0(_)));
        assert!(matches!(decode(&[0xbe, 0xba]), Decoded::Version0(_)));
        assert_eq!(
            decode(&request(1, 4, b"help")),
            Decoded::Error("This driver only supports version 2 clients")
        );
        assert_eq!(
            decode(&request(2, 512, b"help")),
            Decoded::Error("Request too large")
        );
        assert_eq!(
            decode(&request(2, u32::MAX, b"help")),
            Decoded::Error("Request too large")
        );
        let short = &request(2, 4, b"")[..9];
        assert!(matches!(decode(short), Decoded::Error(_)));
    }

    #[test]
    fn replies() {
        let p = encode_reply(b"", false, false);
        assert_eq!(p.len(), 1);
        assert_eq!(header(&p[0]), (0, 0, 1));
        assert_eq!(&p[0][12..], b"\0");
        let p = encode_reply(b"Unknown command", true, false);
        assert_eq!(header(&p[0]), (1, 0, 16));
        assert_eq!(&p[0][12..], b"Unknown command\0");
        // 511 bytes a packet; err on the first only, more on all but the last.
        let text = vec![b'x'; 1200];
        let p = encode_reply(&text, true, false);
        assert_eq!(p.len(), 3);
        assert_eq!(header(&p[0]), (1, 1, 512));
        assert_eq!(header(&p[1]), (0, 1, 512));
        assert_eq!(header(&p[2]), (0, 0, 1200 - 2 * 511 + 1));
        assert!(p.iter().all(|q| q.len() <= 12 + MAX_DATA));
        let p = encode_reply(&text[..511], false, true);
        assert_eq!((p.len(), header(&p[0])), (1, (0, 1, 512)));
    }
}
