//! Unix-domain sockets (AF_UNIX): inter-process communication between
//! applications on one host, named by a path such as "/tmp/app.sock".
//!
//! The calls mirror the AF_INET ones with a path for the address:
//! `socket_unix`, `bind_unix`, `listen_unix`, `accept_unix`, `connect_unix`,
//! `send_unix`, `recv_unix`, `shutdown_unix` for SOCK_STREAM; `sendto_unix`,
//! `recvfrom_unix` for SOCK_DGRAM; and the shared `close`. An AF_INET call on a
//! Unix-domain socket, or the reverse, fails with EAFNOSUPPORT.
//!
//! The model (see also `stack::local`):
//! - A path exists only on its own host: a path bound on another host is not
//!   found (ENOENT). Closing a bound socket removes its path, as if the program
//!   also unlinked it.
//! - Nothing is sent on a link: every hand-over from one socket to another
//!   arrives after the host's `local_latency` (default 10 µs), in order.
//! - `connect` to a path nobody bound: ENOENT; bound by a socket of the other
//!   type: EPROTOTYPE; bound but not listening: ECONNREFUSED; listener's
//!   backlog full: EAGAIN (`WouldBlock`). Otherwise the request reaches the
//!   listener one latency later; both ends are connected then (no handshake
//!   round trip), and `App::connected` reports it.
//! - Stream: a reliable, in-order byte stream. A writer may have at most its
//!   buffer (212992 B, Linux's net.core.wmem_default) written but not yet read
//!   by the peer; `send` takes what fits (0: full) and `App::writable` follows
//!   when the peer reads. `close` ends the peer's stream (reads return 0 after
//!   the data) and makes its `send` fail with EPIPE.
//! - Datagram: boundaries kept, one `recvfrom` per `sendto`. `sendto` fails
//!   with EAGAIN while more than 10 datagrams wait for the receiver (Linux's
//!   net.unix.max_dgram_qlen) or their bytes would exceed its buffer, and the
//!   sender's `App::writable` follows when the receiver reads. A datagram
//!   larger than the buffer: EMSGSIZE. An unbound sender is unnamed (no reply
//!   possible); `bind_unix(sock, "")` autobinds an abstract name ("@00000").

use super::{Delivery, UnixListen, UnixSock};
use crate::ids::{AppId, NodeId};
use crate::stack::socket::SocketTable;
use crate::stack::{Ctx, SocketError, SocketId, SocketType};

pub use crate::wire::unix::{LOCAL_BUFFER, MAX_DATAGRAM, MAX_PATH};
/// A datagram receiver refuses more while more than this many wait.
pub const MAX_DGRAM_QUEUE: u64 = 10;

/// A datagram waiting in a Unix-domain socket's receive queue.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnixDatagram {
    pub len: u64,
    /// The sender's name, if it was bound.
    pub from: Option<String>,
}

impl SocketTable {
    pub(crate) fn is_unix(&self, s: SocketId) -> bool {
        self.sockets.get(s.0 as usize).is_some_and(|s| s.unix)
    }

    pub(crate) fn new_unix(
        &mut self,
        node: NodeId,
        app: AppId,
        ty: SocketType,
        flow: u32,
    ) -> SocketId {
        let id = self.new_socket(node, app, ty, flow);
        self.get_mut(id).unix = true;
        id
    }
}

/// "ENOENT" from "no such file or directory (ENOENT)".
fn errno(e: SocketError) -> String {
    let text = e.to_string();
    text.rsplit_once('(')
        .and_then(|(_, r)| r.strip_suffix(')'))
        .unwrap_or(&text)
        .to_string()
}

impl Ctx<'_> {
    /// The AF_UNIX state of an open socket of this application's host.
    fn unix(&self, sock: SocketId) -> Result<&UnixSock, SocketError> {
        let s = self
            .stack
            .sockets
            .sockets
            .get(sock.0 as usize)
            .filter(|s| s.open && s.node == self.node)
            .ok_or(SocketError::BadDescriptor)?;
        if !s.unix {
            return Err(SocketError::WrongFamily);
        }
        self.stack
            .local
            .socks
            .get(&sock)
            .ok_or(SocketError::BadDescriptor)
    }

    fn unix_mut(&mut self, sock: SocketId) -> Result<&mut UnixSock, SocketError> {
        self.unix(sock)?;
        Ok(self.stack.local.socks.get_mut(&sock).expect("checked"))
    }

    fn unix_of(&self, sock: SocketId, ty: SocketType) -> Result<&UnixSock, SocketError> {
        let s = self.unix(sock)?;
        if s.ty != ty {
            return Err(SocketError::WrongType);
        }
        Ok(s)
    }

    fn note(&mut self, event: &str, detail: String) {
        let node = self.node;
        self.env.note(node, event, &detail);
    }

    /// Traces a call that failed, and returns its error.
    fn failed<T>(&mut self, event: &str, detail: String, e: SocketError) -> Result<T, SocketError> {
        self.note(event, format!("{detail} error={}", errno(e)));
        Err(e)
    }

    /// `socket(AF_UNIX, type, 0)`
    pub fn socket_unix(&mut self, ty: SocketType) -> SocketId {
        let (node, app, flow) = (self.node, self.app, self.flow);
        let id = self.stack.sockets.new_unix(node, app, ty, flow);
        self.stack
            .local
            .socks
            .insert(id, UnixSock::new(ty, LOCAL_BUFFER));
        let kind = if ty == SocketType::Stream {
            "stream"
        } else {
            "dgram"
        };
        self.note(
            "socket",
            format!(
                "sock={} domain=unix type={kind}",
                self.stack.sockets.shown(id)
            ),
        );
        id
    }

    /// `setsockopt(SO_SNDBUF)`: the socket's buffer limit, bytes (at least 1).
    pub fn set_unix_buffer(&mut self, sock: SocketId, bytes: u64) -> Result<(), SocketError> {
        self.unix_mut(sock)?.buffer = bytes.max(1);
        Ok(())
    }

    /// `bind(sock, {AF_UNIX, path})` on this host. An empty path autobinds a
    /// free abstract name ("@00000", ...). Returns the name bound.
    pub fn bind_unix(&mut self, sock: SocketId, path: &str) -> Result<String, SocketError> {
        let node = self.node;
        let detail = format!("sock={} path={path}", self.stack.sockets.shown(sock));
        if self.unix(sock)?.path.is_some() || path.len() > MAX_PATH {
            return self.failed("bind", detail, SocketError::InvalidArgument);
        }
        let name = if path.is_empty() {
            match self.stack.local.autobind_name(node) {
                Some(n) => n,
                None => return self.failed("bind", detail, SocketError::AddressInUse),
            }
        } else {
            path.to_string()
        };
        if self.stack.local.paths.contains_key(&(node, name.clone())) {
            return self.failed("bind", detail, SocketError::AddressInUse);
        }
        self.stack.local.paths.insert((node, name.clone()), sock);
        self.unix_mut(sock)?.path = Some(name.clone());
        self.note(
            "bind",
            format!("sock={} path={name}", self.stack.sockets.shown(sock)),
        );
        Ok(name)
    }

    /// `listen(sock, backlog)`: a bound stream socket accepts connections.
    pub fn listen_unix(&mut self, sock: SocketId, backlog: usize) -> Result<(), SocketError> {
        let s = self.unix_of(sock, SocketType::Stream)?;
        let detail = format!(
            "sock={} path={} backlog={backlog}",
            self.stack.sockets.shown(sock),
            s.shown_path()
        );
        if s.path.is_none() || s.peer.is_some() || s.connecting {
            return self.failed("listen", detail, SocketError::InvalidArgument);
        }
        self.unix_mut(sock)?.listen = Some(UnixListen {
            backlog: backlog.max(1),
            ..UnixListen::default()
        });
        self.note("listen", detail);
        Ok(())
    }

    /// `accept(sock)`: the oldest connection as a new socket, or `None`
    /// (EWOULDBLOCK) when none is waiting.
    pub fn accept_unix(&mut self, sock: SocketId) -> Result<Option<SocketId>, SocketError> {
        let s = self.unix_of(sock, SocketType::Stream)?;
        let path = s.shown_path().to_string();
        let Some(new) = self
            .unix_mut(sock)?
            .listen
            .as_mut()
            .ok_or(SocketError::NotListening)?
            .ready
            .pop_front()
        else {
            return Ok(None);
        };
        let end = self.stack.local.socks.get_mut(&new).expect("a waiting end");
        end.accepted = true;
        let ready = end.rx_bytes > 0 || end.eof;
        self.note(
            "accept",
            format!(
                "sock={} new={} path={path}",
                self.stack.sockets.shown(sock),
                self.stack.sockets.shown(new)
            ),
        );
        if ready {
            self.stack.local_readable(new);
        }
        Ok(Some(new))
    }

    /// `connect(sock, {AF_UNIX, path})`: a connection to the listener bound to
    /// `path` on this host; `App::connected` tells when it is there.
    pub fn connect_unix(&mut self, sock: SocketId, path: &str) -> Result<(), SocketError> {
        let node = self.node;
        let s = self.unix_of(sock, SocketType::Stream)?;
        let detail = format!("sock={} path={path}", self.stack.sockets.shown(sock));
        if s.peer.is_some() || s.connecting {
            return self.failed("connect", detail, SocketError::AlreadyConnected);
        }
        if s.listen.is_some() {
            return self.failed("connect", detail, SocketError::InvalidArgument);
        }
        let Some(&listener) = self.stack.local.paths.get(&(node, path.to_string())) else {
            return self.failed("connect", detail, SocketError::NoEntry);
        };
        let l = &self.stack.local.socks[&listener];
        if l.ty != SocketType::Stream {
            return self.failed("connect", detail, SocketError::WrongProtocolType);
        }
        let Some(queue) = &l.listen else {
            return self.failed("connect", detail, SocketError::ConnectionRefused);
        };
        if queue.ready.len() + queue.incoming >= queue.backlog {
            return self.failed("connect", detail, SocketError::WouldBlock);
        }
        if let Some(q) = self
            .stack
            .local
            .socks
            .get_mut(&listener)
            .and_then(|l| l.listen.as_mut())
        {
            q.incoming += 1;
        }
        self.unix_mut(sock)?.connecting = true;
        self.note("connect", detail);
        self.stack.local_deliver_later(
            self.env,
            node,
            Delivery::Connect {
                client: sock,
                listener,
                path: path.to_string(),
            },
        );
        Ok(())
    }

    /// `send(sock, len)`: queues up to `len` bytes of the stream; returns how
    /// many fit in the buffer (0: full, wait for `App::writable`).
    pub fn send_unix(&mut self, sock: SocketId, len: u64) -> Result<u64, SocketError> {
        let node = self.node;
        let s = self.unix_of(sock, SocketType::Stream)?;
        let path = s.shown_path().to_string();
        let detail = format!(
            "sock={} path={path} len={len}",
            self.stack.sockets.shown(sock)
        );
        let Some(peer) = s.peer else {
            return self.failed("send", detail, SocketError::NotConnected);
        };
        if s.shut_write || s.peer_gone {
            return self.failed("send", detail, SocketError::ShutDown);
        }
        let accepted = len.min(s.buffer.saturating_sub(s.unread));
        let s = self.unix_mut(sock)?;
        s.want_writable |= accepted < len;
        s.unread += accepted;
        self.note("send", format!("{detail} accepted={accepted}"));
        if accepted > 0 {
            self.stack.local_deliver_later(
                self.env,
                node,
                Delivery::Data {
                    to: peer,
                    len: accepted,
                    path,
                },
            );
        }
        Ok(accepted)
    }

    /// `recv(sock, max)`: takes up to `max` bytes of the stream; `Ok(0)` at the
    /// end of the stream; `Err(WouldBlock)` when nothing is waiting yet.
    pub fn recv_unix(&mut self, sock: SocketId, max: u64) -> Result<u64, SocketError> {
        let s = self.unix_of(sock, SocketType::Stream)?;
        if s.rx_bytes == 0 {
            return match (s.eof, s.peer.is_some()) {
                (true, _) => Ok(0),
                (false, true) => Err(SocketError::WouldBlock),
                (false, false) => Err(SocketError::NotConnected),
            };
        }
        let got = max.min(s.rx_bytes);
        let path = s.shown_path().to_string();
        let s = self.unix_mut(sock)?;
        s.rx_bytes -= got;
        let writer = s.peer;
        if got > 0 {
            self.note(
                "recv",
                format!(
                    "sock={} path={path} len={got}",
                    self.stack.sockets.shown(sock)
                ),
            );
        }
        self.stack.local_consumed(writer, got);
        Ok(got)
    }

    /// `shutdown(sock, SHUT_WR)`: the peer reads the end of the stream after
    /// the data already sent.
    pub fn shutdown_unix(&mut self, sock: SocketId) -> Result<(), SocketError> {
        let node = self.node;
        let s = self.unix_of(sock, SocketType::Stream)?;
        let path = s.shown_path().to_string();
        let Some(peer) = s.peer else {
            return Err(SocketError::NotConnected);
        };
        if s.shut_write {
            return Ok(());
        }
        self.unix_mut(sock)?.shut_write = true;
        self.note(
            "shutdown",
            format!(
                "sock={} path={path} how=write",
                self.stack.sockets.shown(sock)
            ),
        );
        self.stack.local_deliver_later(
            self.env,
            node,
            Delivery::Eof {
                to: peer,
                hangup: false,
                path,
            },
        );
        Ok(())
    }

    /// `sendto(sock, len bytes, {AF_UNIX, path})`: one datagram to the
    /// datagram socket bound to `path` on this host.
    pub fn sendto_unix(&mut self, sock: SocketId, len: u64, path: &str) -> Result<(), SocketError> {
        let node = self.node;
        let s = self.unix_of(sock, SocketType::Datagram)?;
        let (from, buffer) = (s.path.clone(), s.buffer);
        let detail = format!(
            "sock={} path={path} len={len}",
            self.stack.sockets.shown(sock)
        );
        if len > buffer {
            return self.failed("sendto", detail, SocketError::MessageTooLong);
        }
        let Some(&to) = self.stack.local.paths.get(&(node, path.to_string())) else {
            return self.failed("sendto", detail, SocketError::NoEntry);
        };
        let target = self.stack.local.socks.get_mut(&to).expect("a bound socket");
        if target.ty != SocketType::Datagram {
            return self.failed("sendto", detail, SocketError::WrongProtocolType);
        }
        let waiting = target.rx.len() as u64 + target.incoming.0;
        if waiting > MAX_DGRAM_QUEUE || target.rx_bytes + target.incoming.1 + len > target.buffer {
            target.waiting_senders.insert(sock);
            return self.failed("sendto", detail, SocketError::WouldBlock);
        }
        target.incoming.0 += 1;
        target.incoming.1 += len;
        self.note("sendto", detail);
        self.stack.local_deliver_later(
            self.env,
            node,
            Delivery::Datagram {
                to,
                datagram: UnixDatagram { len, from },
                path: path.to_string(),
            },
        );
        Ok(())
    }

    /// `recvfrom(sock)`: the oldest waiting datagram, whole, or `None`
    /// (EWOULDBLOCK).
    pub fn recvfrom_unix(&mut self, sock: SocketId) -> Result<Option<UnixDatagram>, SocketError> {
        self.unix_of(sock, SocketType::Datagram)?;
        let s = self.unix_mut(sock)?;
        let Some(d) = s.rx.pop_front() else {
            return Ok(None);
        };
        s.rx_bytes -= d.len;
        let path = s.shown_path().to_string();
        self.note(
            "recvfrom",
            format!(
                "sock={} path={path} from={} len={}",
                self.stack.sockets.shown(sock),
                d.from.as_deref().unwrap_or("unnamed"),
                d.len
            ),
        );
        self.stack.local_wake_senders(sock);
        Ok(Some(d))
    }

    /// `close` of a Unix-domain socket: its path goes away; the peer of a
    /// connection reads the end of the stream after the data already sent, and
    /// can send no more; connections a listener had not handed out are closed.
    pub(crate) fn close_unix(&mut self, sock: SocketId) -> Result<(), SocketError> {
        let s = self.unix(sock)?;
        let path = s.shown_path().to_string();
        self.note(
            "close",
            format!("sock={} path={path}", self.stack.sockets.shown(sock)),
        );
        self.release_unix(sock);
        Ok(())
    }

    fn release_unix(&mut self, sock: SocketId) {
        let node = self.node;
        self.stack.sockets.get_mut(sock).open = false;
        let Some(s) = self.stack.local.socks.remove(&sock) else {
            return;
        };
        if let Some(p) = &s.path {
            self.stack.local.paths.remove(&(node, p.clone()));
        }
        if let Some(peer) = s.peer.filter(|p| self.stack.local.socks.contains_key(p)) {
            let path = s.shown_path().to_string();
            self.stack.local_deliver_later(
                self.env,
                node,
                Delivery::Eof {
                    to: peer,
                    hangup: true,
                    path,
                },
            );
        }
        for end in s.listen.into_iter().flat_map(|l| l.ready) {
            self.release_unix(end);
        }
        for w in s.waiting_senders {
            if self.stack.local.socks.contains_key(&w) {
                self.stack.local_writable(w);
            }
        }
    }
}
