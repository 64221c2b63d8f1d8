//! TCP listeners. A smoltcp socket listens for one connection and becomes
//! it, so a listening socket is a pool of smoltcp sockets in LISTEN on its
//! endpoint; after each poll the ones whose handshake completed move to the
//! accept queue and fresh ones take their place while the queue and the
//! handshakes in progress stay within the backlog (Linux's accept queue of
//! `backlog` + 1). A connection beyond it finds no listener and is reset.

use super::stack::Stack;
use fs::WaitQueue;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use smoltcp::wire::IpListenEndpoint;
use std::collections::VecDeque;
use std::sync::Arc;

/// The most sockets waiting in LISTEN at once (handshakes over loopback
/// complete within one poll, so few are needed).
const POOL: usize = 4;

/// How new connections' sockets are made.
#[derive(Clone, Copy)]
pub(crate) struct Template {
    pub rx: usize,
    pub tx: usize,
    pub nodelay: bool,
    pub keepalive: Option<std::time::Duration>,
    pub hop_limit: Option<u8>,
}

impl Template {
    /// Returns a new smoltcp socket with these settings.
    pub(crate) fn socket(&self) -> tcp::Socket<'static> {
        let rx = tcp::SocketBuffer::new(vec![0u8; self.rx]);
        let tx = tcp::SocketBuffer::new(vec![0u8; self.tx]);
        let mut s = tcp::Socket::new(rx, tx);
        // Linux acknowledges at once in its quick-ack mode, and always on
        // loopback in practice; a delayed ACK only slows a local peer.
        s.set_ack_delay(None);
        s.set_nagle_enabled(!self.nodelay);
        s.set_keep_alive(self.keepalive.map(Into::into));
        s.set_hop_limit(self.hop_limit);
        s
    }
}

/// A listening TCP socket's connections.
pub(crate) struct Listener {
    pub endpoint: IpListenEndpoint,
    pool: Vec<SocketHandle>,
    /// Established connections waiting for accept(2).
    pub ready: VecDeque<SocketHandle>,
    pub backlog: usize,
    pub queue: Arc<WaitQueue>,
    pub template: Template,
}

impl Listener {
    pub(crate) fn new(
        endpoint: IpListenEndpoint,
        backlog: usize,
        queue: Arc<WaitQueue>,
        template: Template,
    ) -> Listener {
        Listener {
            endpoint,
            pool: Vec::new(),
            ready: VecDeque::new(),
            backlog,
            queue,
            template,
        }
    }

    /// Moves finished handshakes to the accept queue and refills the pool.
    pub(crate) fn settle(&mut self, stack: &mut Stack) {
        let mut i = 0;
        let mut listening = 0;
        while i < self.pool.len() {
            let h = self.pool[i];
            match stack.tcp(h).state() {
                tcp::State::Listen => {
                    listening += 1;
                    i += 1;
                }
                tcp::State::SynReceived => i += 1,
                tcp::State::Closed => {
                    // The handshake failed (a reset): listen again.
                    let _ = stack.tcp(h).listen(self.endpoint);
                    listening += 1;
                    i += 1;
                }
                _ => {
                    self.pool.swap_remove(i);
                    self.ready.push_back(h);
                    self.queue.wake_all();
                }
            }
        }
        let handshakes = self.pool.len() - listening;
        while listening < POOL && self.ready.len() + handshakes + listening <= self.backlog {
            let mut s = self.template.socket();
            if s.listen(self.endpoint).is_err() {
                break;
            }
            let h = stack.add(s, &self.queue);
            self.pool.push(h);
            listening += 1;
        }
    }

    /// Returns whether a socket of the pool waits in LISTEN (a new
    /// connection has room).
    pub(crate) fn has_room(&self, stack: &mut Stack) -> bool {
        self.pool
            .iter()
            .any(|&h| stack.tcp(h).state() == tcp::State::Listen)
    }

    /// Changes the backlog (listen(2) again): sockets waiting in LISTEN
    /// beyond the new room are dropped.
    pub(crate) fn set_backlog(&mut self, backlog: usize, stack: &mut Stack) {
        self.backlog = backlog;
        let listening: Vec<SocketHandle> = self
            .pool
            .iter()
            .copied()
            .filter(|&h| stack.tcp(h).state() == tcp::State::Listen)
            .collect();
        let busy = self.ready.len() + self.pool.len() - listening.len();
        let room = (backlog + 1).saturating_sub(busy).min(POOL);
        for &h in listening.iter().skip(room) {
            stack.remove(h);
            self.pool.retain(|&p| p != h);
        }
        self.settle(stack);
    }

    /// Makes new connections with `template` from now on: the sockets
    /// still waiting in LISTEN are made anew.
    pub(crate) fn retemplate(&mut self, template: Template, stack: &mut Stack) {
        self.template = template;
        self.pool.retain(|&h| {
            let listening = stack.tcp(h).state() == tcp::State::Listen;
            if listening {
                stack.remove(h);
            }
            !listening
        });
        self.settle(stack);
    }

    /// Returns the handshakes in progress (Linux's request sockets).
    pub(crate) fn handshakes(&self, stack: &mut Stack) -> Vec<SocketHandle> {
        self.pool
            .iter()
            .copied()
            .filter(|&h| stack.tcp(h).state() == tcp::State::SynReceived)
            .collect()
    }

    /// Closes the listener, a socket of `family`: connections not
    /// accepted are reset.
    pub(crate) fn close(self, stack: &mut Stack, port: u16, owner: u64, family: u16) {
        for h in self.pool.into_iter().chain(self.ready) {
            stack.tcp(h).abort();
            stack.orphan(h, port, owner, family);
        }
    }
}
