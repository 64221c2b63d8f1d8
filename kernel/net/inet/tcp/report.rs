//! What a TCP socket reports of itself: TCP_INFO and sock_diag's
//! `struct tcp_info`, and its line of /proc/net/tcp.

use super::{Conn, TcpSocket};
use crate::net::inet::addr::{self, Endpoint};
use crate::net::inet::proc::Row;
use crate::net::inet::stack::Stack;
use crate::net::inet::tcp_info::{TcpInfo, TCP_CLOSE, TCP_LISTEN};

impl TcpSocket {
    /// Returns what TCP_INFO reports.
    pub(crate) fn info(&self) -> TcpInfo {
        self.net.with_stack(|stack| self.info_in(stack))
    }

    /// Returns what TCP_INFO reports, on the stack already held.
    pub(in crate::net::inet) fn info_in(&self, stack: &mut Stack) -> TcpInfo {
        let mut s = self.state.borrow_mut();
        self.refresh(stack, &mut s);
        match s.conn {
            Conn::Listening => match stack.listeners.get(&self.id) {
                Some(l) => TcpInfo::listener(l.ready.len(), l.backlog),
                None => TcpInfo::unconnected(TCP_LISTEN),
            },
            Conn::Closed => TcpInfo::unconnected(TCP_CLOSE),
            Conn::Connecting(h) | Conn::Connected(h) => TcpInfo::of(stack.tcp(h)),
        }
    }

    /// Returns the socket's line of /proc/net/tcp and what sock_diag
    /// reports of it.
    pub(in crate::net::inet) fn row(&self, stack: &mut Stack) -> Row {
        let mut s = self.state.borrow_mut();
        self.refresh(stack, &mut s);
        let any = Endpoint::new(addr::any(self.family), 0);
        let mut row = Row {
            family: self.family,
            local: s.local.unwrap_or(any),
            remote: any,
            state: TCP_CLOSE,
            uid: self.inode.owner.uid,
            inode: self.inode.ino,
            cookie: self.id,
            tos: s.inet.tos,
            v6only: s.inet.v6only,
            port_locked: s.bound && !s.autobound,
            rcvbuf: s.opts.rcvbuf,
            sndbuf: s.opts.sndbuf,
            ..Row::default()
        };
        match s.conn {
            Conn::Listening => {
                row.state = TCP_LISTEN;
                if let Some(l) = stack.listeners.get(&self.id) {
                    row.rx_queue = l.ready.len();
                    row.tx_queue = l.backlog;
                }
            }
            Conn::Connecting(h) | Conn::Connected(h) => {
                let t = stack.tcp(h);
                row.fill_connection(t);
                row.shutdown |= u8::from(s.shut_rd) | (u8::from(s.shut_wr) << 1);
            }
            Conn::Closed => {}
        }
        row
    }
}
