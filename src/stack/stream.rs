//! Stream sockets (TCP): the calls of the server side, `listen` and `accept`,
//! of the client side, `connect`, and of both, `send`, `recv`, `shutdown`.
//! (`socket`, `bind` and `close` are shared with datagram sockets.)
//!
//! Calls never block: `accept` and `recv` return what is there now, and an
//! application learns that more is there from `App::readable`; `connect`
//! completes later, reported by `App::connected`.

use super::Ctx;
use super::{SocketError, SocketId, SocketType};
use crate::ids::ConnId;
use crate::trace::SocketCall;
use crate::transport::tcp::{TcpConfig, TcpConnection, TcpError};
use crate::wire::ipv4::Ipv4Addr;
use std::collections::VecDeque;
use std::sync::Arc;

/// A listening socket's queues.
#[derive(Clone, Debug, Default)]
pub struct Listen {
    /// `listen`'s backlog: established connections waiting for `accept`, plus
    /// handshakes in progress, may not exceed it.
    pub backlog: usize,
    /// Connections that completed the handshake, oldest first.
    pub ready: VecDeque<crate::ids::ConnId>,
    /// Handshakes in progress (SYN-RECEIVED).
    pub half_open: usize,
}

impl Listen {
    pub fn is_full(&self) -> bool {
        self.ready.len() + self.half_open >= self.backlog
    }
}

impl From<TcpError> for SocketError {
    fn from(e: TcpError) -> Self {
        match e {
            TcpError::NotConnected => SocketError::NotConnected,
            TcpError::Closing => SocketError::ShutDown,
            TcpError::Reset => SocketError::ConnectionReset,
            TcpError::TimedOut => SocketError::TimedOut,
            TcpError::WouldBlock => SocketError::WouldBlock,
            TcpError::NoUrgentData => SocketError::InvalidArgument,
        }
    }
}

impl Ctx<'_> {
    fn stream(&self, sock: SocketId) -> Result<&super::socket::Socket, SocketError> {
        let s = self.stack.sockets.open(self.node, sock)?;
        if s.ty != SocketType::Stream {
            return Err(SocketError::WrongType);
        }
        Ok(s)
    }

    fn connection(&self, sock: SocketId) -> Result<ConnId, SocketError> {
        let s = self.stream(sock)?;
        if let Some(e) = s.error {
            return Err(e);
        }
        s.conn.ok_or(SocketError::NotConnected)
    }

    /// `setsockopt`: the TCP parameters of connections this socket makes or accepts.
    pub fn set_tcp_config(
        &mut self,
        sock: SocketId,
        config: &Arc<TcpConfig>,
    ) -> Result<(), SocketError> {
        self.stream(sock)?;
        self.stack.sockets.get_mut(sock).tcp = Some(Arc::clone(config));
        Ok(())
    }

    /// `listen(sock, backlog)`: the socket (bound to a port) accepts connections.
    pub fn listen(&mut self, sock: SocketId, backlog: usize) -> Result<(), SocketError> {
        let s = self.stream(sock)?;
        if s.conn.is_some() {
            return Err(SocketError::AlreadyConnected);
        }
        if s.port.is_none() {
            self.bind(sock, 0)?;
        }
        self.stack.sockets.get_mut(sock).listen = Some(Box::new(Listen {
            backlog: backlog.max(1),
            ..Listen::default()
        }));
        self.trace_call(SocketCall::Listen {
            sock: self.stack.sockets.shown(sock),
            backlog: backlog as u32,
        });
        Ok(())
    }

    /// `accept(sock)`: the oldest established connection as a new socket, or
    /// `None` (EWOULDBLOCK) when none is waiting.
    pub fn accept(&mut self, sock: SocketId) -> Result<Option<SocketId>, SocketError> {
        let s = self.stream(sock)?;
        let flow = s.flow;
        let listen = self
            .stack
            .sockets
            .get_mut(sock)
            .listen
            .as_mut()
            .ok_or(SocketError::NotListening)?;
        let Some(conn) = listen.ready.pop_front() else {
            return Ok(None);
        };
        let new = self
            .stack
            .sockets
            .new_socket(self.node, self.app, SocketType::Stream, flow);
        let port = self.stack.sockets.get(sock).port;
        let ns = self.stack.sockets.get_mut(new);
        ns.conn = Some(conn);
        ns.port = port;
        self.stack.tcp_attach(conn, new);
        let (addr, rport) = self.stack.tcp_peer(conn);
        self.trace_call(SocketCall::Accept {
            sock: self.stack.sockets.shown(sock),
            new: self.stack.sockets.shown(new),
            from: addr,
            port: rport,
        });
        Ok(Some(new))
    }

    /// `connect(sock, {to, port})`: starts the 3-way handshake; `App::connected`
    /// tells how it ended.
    pub fn connect(&mut self, sock: SocketId, to: Ipv4Addr, port: u16) -> Result<(), SocketError> {
        let s = self.stream(sock)?;
        if s.conn.is_some() {
            return Err(SocketError::AlreadyConnected);
        }
        if s.listen.is_some() {
            return Err(SocketError::NotConnected);
        }
        let remote_node = self.env.host(to).ok_or(SocketError::HostUnreachable)?;
        if s.port.is_none() {
            self.bind(sock, 0)?;
        }
        let s = self.stack.sockets.get(sock);
        let (local_port, config, flow) = (s.port.unwrap_or(0), s.tcp.clone(), s.flow);
        let config = config.unwrap_or_default();
        self.trace_call(SocketCall::Connect {
            sock: self.stack.sockets.shown(sock),
            to,
            port,
        });
        let node = self.node;
        let now = self.env.now();
        let isn = self.stack.tcp.isn(node);
        let conn = TcpConnection::connect(&config, local_port, port, isn, now);
        let id = self.stack.tcp_insert(
            self.env,
            node,
            local_port,
            conn,
            to,
            port,
            remote_node,
            Some(sock),
            None,
            flow,
        );
        self.stack.sockets.get_mut(sock).conn = Some(id);
        self.stack.tcp_service(self.env, id);
        Ok(())
    }

    /// `send(sock, len)`: queues up to `len` bytes of the stream; returns how
    /// many fit in the send buffer (0: full, wait for `App::writable`).
    pub fn send(&mut self, sock: SocketId, len: u64) -> Result<u64, SocketError> {
        self.send_flags(sock, len, false)
    }

    /// `send(sock, len, MSG_OOB)`: as `send`, and the last byte accepted is
    /// urgent (see `transport::tcp::urgent`).
    pub fn send_urgent(&mut self, sock: SocketId, len: u64) -> Result<u64, SocketError> {
        self.send_flags(sock, len, true)
    }

    fn send_flags(&mut self, sock: SocketId, len: u64, oob: bool) -> Result<u64, SocketError> {
        let conn = self.connection(sock)?;
        let c = self.stack.tcp.conn(conn);
        let accepted = if oob {
            c.send_urgent(len)?
        } else {
            c.send(len)?
        };
        self.trace_call(SocketCall::Send {
            sock: self.stack.sockets.shown(sock),
            len,
            accepted,
            oob,
        });
        self.stack.tcp_service(self.env, conn);
        Ok(accepted)
    }

    /// `recv(sock, max)`: takes up to `max` in-order bytes; `Ok(0)` once the
    /// peer has closed and everything was read (end of stream);
    /// `Err(WouldBlock)` when nothing is waiting yet.
    pub fn recv(&mut self, sock: SocketId, max: u64) -> Result<u64, SocketError> {
        let conn = self.connection(sock)?;
        let got = self.stack.tcp.conn(conn).recv(max)?;
        if got > 0 {
            self.trace_call(SocketCall::Recv {
                sock: self.stack.sockets.shown(sock),
                len: got,
                oob: None,
            });
        }
        self.stack.tcp_service(self.env, conn);
        Ok(got)
    }

    /// `recv(sock, 1, MSG_OOB)`: the peer's urgent byte, set aside from the
    /// stream; returns its stream offset. `Err(WouldBlock)` while it is
    /// announced but not here, `Err(InvalidArgument)` (EINVAL) if there is
    /// none to read or `oob_inline` keeps it in the stream.
    pub fn recv_urgent(&mut self, sock: SocketId) -> Result<u64, SocketError> {
        let conn = self.connection(sock)?;
        let at = self.stack.tcp.conn(conn).recv_urgent()?;
        self.trace_call(SocketCall::Recv {
            sock: self.stack.sockets.shown(sock),
            len: 1,
            oob: Some(at),
        });
        Ok(at)
    }

    /// `shutdown(sock, SHUT_WR)`: half-close; a FIN follows the data already sent.
    pub fn shutdown(&mut self, sock: SocketId) -> Result<(), SocketError> {
        let conn = self.connection(sock)?;
        self.trace_call(SocketCall::Shutdown {
            sock: self.stack.sockets.shown(sock),
        });
        self.stack.tcp.conn(conn).shutdown_write();
        self.stack.tcp_service(self.env, conn);
        Ok(())
    }
}
