//! The management console (UML's arch/um/drivers/mconsole_kern.c): a kernel
//! thread of its own serves requests that host tools such as Debian's
//! `uml_mconsole NAME CMD` send to the datagram socket `mconsole` in the
//! umid's directory (`arch::host::mconsole` owns the socket,
//! `arch::host::umid` the directory). A request is decoded as UML decodes
//! it (`packet`), matched against the commands by prefix in UML's order
//! (`commands`) and answered with one or more reply packets. Each command
//! takes the kernel lock for what it touches; the thread holds nothing
//! while it waits for the next request.

mod commands;
mod devices;
pub mod packet;

use crate::cmdline::Cmdline;
use arch::host::mconsole::{McSocket, Peer};
use arch::host::umid::Umid;
use std::sync::OnceLock;
use std::time::Duration;

/// A request being answered: where its replies go.
pub struct Request<'a> {
    sock: &'a McSocket,
    peer: Peer,
}

impl Request<'_> {
    /// Sends `text` as a reply (several packets if long): `err` marks a
    /// failed command, `more` says more replies follow. A client gone away
    /// loses its reply, nothing else.
    pub fn reply(&self, text: &str, err: bool, more: bool) {
        self.reply_bytes(text.as_bytes(), err, more);
    }

    /// Sends bytes as a reply, as `reply`.
    pub fn reply_bytes(&self, text: &[u8], err: bool, more: bool) {
        for p in packet::encode_reply(text, err, more) {
            if let Err(e) = self.sock.send(&self.peer, &p) {
                log::debug!("mconsole: reply not sent: {e}");
                return;
            }
        }
    }
}

/// What the command line configured, for `config` queries.
static CONFIG: OnceLock<Cmdline> = OnceLock::new();

/// Binds the socket in the umid's directory and starts the thread that
/// serves it. A kernel without it runs on, as UML does.
pub fn start(umid: &Umid, c: &Cmdline) {
    let _ = CONFIG.set(c.clone());
    let path = umid.dir.join("mconsole");
    let sock = match McSocket::bind(&path, Duration::from_secs(1)) {
        Ok(s) => s,
        Err(e) => {
            log::error!("mconsole: cannot bind {}: {e}", path.display());
            return;
        }
    };
    let spawned = std::thread::Builder::new()
        .name("mconsole".into())
        .spawn(move || loop {
            serve_one(&sock);
        });
    match spawned {
        Ok(_) => log::info!(
            "mconsole (version {}) initialized on {}",
            packet::VERSION,
            path.display()
        ),
        Err(e) => log::error!("mconsole: cannot start its thread: {e}"),
    }
}

/// Waits for one request and answers it.
fn serve_one(sock: &McSocket) {
    let (data, peer) = match sock.recv() {
        Ok(r) => r,
        Err(e) => {
            log::debug!("mconsole: receive failed: {e}");
            // Never spin on a socket in trouble.
            std::thread::sleep(Duration::from_millis(100));
            return;
        }
    };
    let req = Request { sock, peer };
    match packet::decode(&data) {
        packet::Decoded::Version0(text) => {
            if let Err(e) = sock.send(&req.peer, text.as_bytes()) {
                log::debug!("mconsole: reply not sent: {e}");
            }
        }
        packet::Decoded::Error(text) => req.reply(text, true, false),
        packet::Decoded::Request(text) => commands::run(&req, &text),
    }
}
