//! Host unit tests of the socket core: flow control, boundaries, release and
//! the name table, without tasks or guest memory.

use super::*;
use crate::net::socket::Socket;
use crate::net::SockType;

const ME: Ucred = Ucred {
    pid: 7,
    uid: 1000,
    gid: 1000,
};

fn send(s: &Arc<UnixSocket>, data: &[u8]) -> Result<(), Errno> {
    let mut out = Outgoing {
        data: data.to_vec(),
        ..Default::default()
    };
    match s.kind() {
        SockType::Stream => s.send_stream(&mut out, ME),
        _ => s.send_dgram(&s.peer().expect("connected"), false, &mut out, ME),
    }
}

/// Reads a stream into a buffer of `len` bytes; returns what was read.
fn read(s: &UnixSocket, len: usize) -> Result<Vec<u8>, Errno> {
    let mut buf = vec![0u8; len];
    let mut r = StreamRead::new(len, 1, false);
    s.read_stream(&mut r, &mut |at, data| {
        buf[at..at + data.len()].copy_from_slice(data);
        Ok(())
    })?;
    buf.truncate(r.copied);
    Ok(buf)
}

#[test]
fn stream_send_buffer_fills_and_drains() {
    let _k = crate::lock::entered();
    let [a, b] = UnixSocket::pair(SockType::Stream, Owner::ROOT, ME);
    let seg = vec![7u8; a.segment_size()];
    let mut sent = 0;
    while send(&a, &seg).is_ok() {
        sent += seg.len();
    }
    assert_eq!(send(&a, &seg), Err(Errno::EAGAIN));
    assert!(sent >= a.options().sndbuf / 2, "{sent} bytes fit");
    assert!(!a.poll().contains(PollEvents::POLLOUT));
    assert_eq!(b.inq(), Ok(sent));
    let mut got = 0;
    while let Ok(d) = read(&b, 100_000) {
        if d.is_empty() {
            break;
        }
        got += d.len();
    }
    assert_eq!(got, sent);
    assert_eq!(a.outq(), 0, "consumed messages give their room back");
    assert!(a.poll().contains(PollEvents::POLLOUT));
}

#[test]
fn closing_with_unread_data_resets_the_peer() {
    let _k = crate::lock::entered();
    let [a, b] = UnixSocket::pair(SockType::Stream, Owner::ROOT, ME);
    send(&a, b"left").expect("send");
    b.close(false);
    assert!(a.poll().contains(PollEvents::POLLHUP | PollEvents::POLLERR));
    assert_eq!(read(&a, 10), Err(Errno::ECONNRESET));
    assert_eq!(read(&a, 10), Ok(Vec::new()), "then end of file");
    assert_eq!(send(&a, b"x"), Err(Errno::EPIPE));
    assert_eq!(a.outq(), 0, "the dropped queue gave the room back");
}

#[test]
fn shutdown_is_mirrored_on_the_peer() {
    let _k = crate::lock::entered();
    let [a, b] = UnixSocket::pair(SockType::SeqPacket, Owner::ROOT, ME);
    send(&a, b"one").expect("send");
    a.shut(Shutdown::SEND);
    assert_eq!(send(&a, b"two"), Err(Errno::EPIPE));
    let mut buf = [0u8; 2];
    let d = b
        .read_dgram(2, false, true, &mut |at, data| {
            buf[at..at + data.len()].copy_from_slice(data);
            Ok(())
        })
        .expect("a message");
    assert_eq!((d.copied, d.len, &buf), (2, 3, b"on"));
    let eof = b
        .read_dgram(2, false, false, &mut |_, _| Ok(()))
        .expect("eof");
    assert!(eof.eof, "seqpacket reads end of file once shut down");
}

#[test]
fn datagram_receivers_hold_max_dgram_qlen_plus_one() {
    let _k = crate::lock::entered();
    let server = UnixSocket::new(SockType::Dgram, Owner::ROOT);
    let client = UnixSocket::new(SockType::Dgram, Owner::ROOT);
    client.connect_dgram(Some(server.clone())).expect("connect");
    for _ in 0..=MAX_DGRAM_QLEN {
        send(&client, b"q").expect("room");
    }
    assert_eq!(send(&client, b"q"), Err(Errno::EAGAIN));
    assert!(!client.poll().contains(PollEvents::POLLOUT));
    let d = server.read_dgram(1, false, false, &mut |_, _| Ok(()));
    assert_eq!(d.map(|d| d.len).ok(), Some(1));
    assert!(client.poll().contains(PollEvents::POLLOUT));
    server.close(false);
    assert_eq!(send(&client, b"q"), Err(Errno::ECONNREFUSED));
    assert!(client.peer().is_none(), "a dead peer disconnects");
}

#[test]
fn abstract_names_per_type_until_release() {
    let _k = crate::lock::entered();
    let a = UnixSocket::new(SockType::Stream, Owner::ROOT);
    let b = UnixSocket::new(SockType::Stream, Owner::ROOT);
    let c = UnixSocket::new(SockType::Dgram, Owner::ROOT);
    let name = b"unit-test-name".to_vec();
    table::bind_abstract(SockType::Stream, &name, &a).expect("free");
    assert_eq!(
        table::bind_abstract(SockType::Stream, &name, &b),
        Err(Errno::EADDRINUSE)
    );
    table::bind_abstract(SockType::Dgram, &name, &c).expect("another type");
    a.state().addr = Some(UnixAddr::Abstract(name.clone()));
    assert!(
        table::find_abstract(crate::net::init_net(), SockType::Stream, &name)
            .is_some_and(|s| Arc::ptr_eq(&s, &a))
    );
    a.close(false);
    assert!(table::find_abstract(crate::net::init_net(), SockType::Stream, &name).is_none());
    table::bind_abstract(SockType::Stream, &name, &b).expect("free again");
}
