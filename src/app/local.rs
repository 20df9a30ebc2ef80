//! Unix-domain applications: the two ends of a `protocol = "local"` flow, two
//! processes on one host talking over a socket path, written against the
//! AF_UNIX calls (`stack::local::calls`).
//!
//! With `socket = "stream"` they do what the TCP applications do: the client
//! connects to the path, the server (bound to it, listening) accepts, and they
//! run a bulk transfer, a request-response exchange or an echo over the byte
//! stream. With `socket = "datagram"` the same exchanges are made of
//! datagrams: bulk and echo data in datagrams of the flow's `size`; one
//! datagram per request and one per response. The datagram client autobinds a
//! name when it expects answers, and the server answers to that name.

use super::exchange::{Exchange, Next, Peer};
use super::{App, Ctx};
use crate::scenario::{AppSpec, FlowSpec, LocalFlow, LocalSocket};
use crate::stack::{SocketError, SocketId, SocketType};
use std::collections::{BTreeMap, VecDeque};

/// Reads everything waiting on a stream socket; returns (bytes, end of stream).
fn drain(ctx: &mut Ctx, sock: SocketId) -> (u64, bool) {
    let mut total = 0;
    loop {
        match ctx.recv_unix(sock, u64::MAX) {
            Ok(0) => return (total, true),
            Ok(n) => total += n,
            Err(SocketError::WouldBlock) => return (total, false),
            Err(_) => return (total, true),
        }
    }
}

/// Timer tokens of the client.
const START: u64 = 0;
const THINK_OVER: u64 = 1;
const STOP: u64 = 2;

/// The client side of a local flow.
pub struct LocalClient {
    spec: FlowSpec,
    local: LocalFlow,
    sock: Option<SocketId>,
    exchange: Exchange,
    closed: bool,
}

impl LocalClient {
    pub fn new(spec: FlowSpec, local: LocalFlow) -> Self {
        LocalClient {
            exchange: Exchange::new(local.app),
            spec,
            local,
            sock: None,
            closed: false,
        }
    }

    /// The next piece to hand over: as much as possible of a stream, or one
    /// datagram (a whole request; otherwise at most `size`).
    fn next_len(&self) -> u64 {
        let (unlimited, to_send) = (self.exchange.unlimited(), self.exchange.to_send);
        match (self.local.socket, self.local.app) {
            (LocalSocket::Stream, _) if unlimited => 1 << 20,
            (LocalSocket::Stream, _) => to_send,
            (LocalSocket::Datagram, AppSpec::RequestResponse { .. }) => to_send,
            (LocalSocket::Datagram, _) if unlimited => self.spec.size,
            (LocalSocket::Datagram, _) => to_send.min(self.spec.size),
        }
    }

    /// Sends as much of the current phase as the socket takes now.
    fn pump(&mut self, ctx: &mut Ctx) {
        let Some(sock) = self.sock else { return };
        let unlimited = self.exchange.unlimited();
        while (self.exchange.to_send > 0 || unlimited) && ctx.now() < self.spec.stop && !self.closed
        {
            let want = self.next_len();
            let sent = match self.local.socket {
                LocalSocket::Stream => ctx.send_unix(sock, want),
                LocalSocket::Datagram => {
                    ctx.sendto_unix(sock, want, &self.local.path).map(|()| want)
                }
            };
            match sent {
                Ok(0) | Err(SocketError::WouldBlock) => return, // wait for writable
                Ok(n) => {
                    match self.local.socket {
                        LocalSocket::Stream => ctx.flow_sent(n),
                        LocalSocket::Datagram => ctx.flow_sent_datagram(n),
                    }
                    self.exchange.sent(n);
                }
                Err(_) => return self.close(ctx),
            }
        }
        if self.exchange.bulk_finished(ctx.now() >= self.spec.stop) {
            self.close(ctx);
        }
    }

    fn close(&mut self, ctx: &mut Ctx) {
        if let (Some(sock), false) = (self.sock, self.closed) {
            self.closed = true;
            let _ = ctx.close(sock);
        }
    }

    fn act(&mut self, ctx: &mut Ctx, next: Next) {
        match next {
            Next::Send => self.pump(ctx),
            Next::Think(t) => ctx.wake_at(ctx.now() + t, THINK_OVER),
            Next::Close => self.close(ctx),
            Next::Wait => {}
        }
    }

    /// The exchange begins: the connection is there, or (datagrams) at once.
    fn begin(&mut self, ctx: &mut Ctx) {
        let next = self.exchange.begin();
        self.act(ctx, next);
    }
}

impl App for LocalClient {
    fn start(&mut self, ctx: &mut Ctx) {
        ctx.wake_at(self.spec.start, START);
        if self.exchange.unlimited() {
            ctx.wake_at(self.spec.stop, STOP);
        }
    }

    fn wake(&mut self, ctx: &mut Ctx, token: u64) {
        match token {
            START => match self.local.socket {
                LocalSocket::Stream => {
                    let sock = ctx.socket_unix(SocketType::Stream);
                    self.sock = Some(sock);
                    if ctx.connect_unix(sock, &self.local.path).is_err() {
                        self.close(ctx);
                    }
                }
                LocalSocket::Datagram => {
                    let sock = ctx.socket_unix(SocketType::Datagram);
                    self.sock = Some(sock);
                    // Answers need a name to come back to.
                    if !matches!(self.local.app, AppSpec::Bulk { .. })
                        && ctx.bind_unix(sock, "").is_err()
                    {
                        return self.close(ctx);
                    }
                    self.begin(ctx);
                }
            },
            THINK_OVER => {
                let next = self.exchange.next_request();
                self.act(ctx, next);
            }
            _ => self.pump(ctx), // STOP: an unlimited transfer ends
        }
    }

    fn connected(&mut self, ctx: &mut Ctx, _sock: SocketId, result: Result<(), SocketError>) {
        match result {
            Ok(()) => self.begin(ctx),
            Err(_) => self.close(ctx),
        }
    }

    fn writable(&mut self, ctx: &mut Ctx, _sock: SocketId) {
        self.pump(ctx);
    }

    fn readable(&mut self, ctx: &mut Ctx, sock: SocketId) {
        if self.closed {
            return;
        }
        if self.local.socket == LocalSocket::Datagram {
            // One datagram is one whole response (or a piece of the echo).
            while let Ok(Some(d)) = ctx.recvfrom_unix(sock) {
                ctx.flow_received_datagram(d.len);
                let next = self.exchange.received(d.len);
                self.act(ctx, next);
                if self.closed {
                    return;
                }
            }
            return;
        }
        let (got, eof) = drain(ctx, sock);
        ctx.flow_received(got);
        let next = self.exchange.received(got);
        if eof {
            self.close(ctx);
        } else {
            self.act(ctx, next);
        }
    }
}

/// The server side: bound to the flow's path; serves every connection (stream)
/// or every sender (datagram).
pub struct LocalServer {
    local: LocalFlow,
    sock: Option<SocketId>,
    peers: BTreeMap<SocketId, Peer>,
    /// Datagram answers not sent yet (the receiver was full): (to, len).
    replies: VecDeque<(String, u64)>,
}

impl LocalServer {
    pub fn new(local: LocalFlow) -> Self {
        LocalServer {
            local,
            sock: None,
            peers: BTreeMap::new(),
            replies: VecDeque::new(),
        }
    }

    fn serve(&mut self, ctx: &mut Ctx, sock: SocketId) {
        let Some(peer) = self.peers.get_mut(&sock) else {
            return;
        };
        while peer.owed > 0 {
            match ctx.send_unix(sock, peer.owed) {
                Ok(0) | Err(_) => break,
                Ok(n) => peer.owed -= n,
            }
        }
        if peer.eof && peer.owed == 0 {
            let _ = ctx.close(sock);
            self.peers.remove(&sock);
        }
    }

    /// Sends the datagram answers owed, oldest first, while they fit.
    fn answer(&mut self, ctx: &mut Ctx) {
        let Some(sock) = self.sock else { return };
        while let Some((to, len)) = self.replies.front() {
            match ctx.sendto_unix(sock, *len, to) {
                Err(SocketError::WouldBlock) => return,
                // Sent, or the client is gone: either way this answer is done.
                Ok(()) | Err(_) => {
                    self.replies.pop_front();
                }
            }
        }
    }

    fn datagrams(&mut self, ctx: &mut Ctx, sock: SocketId) {
        while let Ok(Some(d)) = ctx.recvfrom_unix(sock) {
            let answer = match self.local.app {
                AppSpec::Bulk { .. } => {
                    ctx.flow_received_datagram(d.len);
                    None
                }
                AppSpec::Echo { .. } => Some(d.len),
                AppSpec::RequestResponse { response_size, .. } => Some(response_size),
            };
            if let (Some(len), Some(to)) = (answer, d.from) {
                self.replies.push_back((to, len));
            }
        }
        self.answer(ctx);
    }
}

impl App for LocalServer {
    fn start(&mut self, ctx: &mut Ctx) {
        let ty = match self.local.socket {
            LocalSocket::Stream => SocketType::Stream,
            LocalSocket::Datagram => SocketType::Datagram,
        };
        let s = ctx.socket_unix(ty);
        // One server per host and path, started before any client.
        ctx.bind_unix(s, &self.local.path)
            .expect("the path is free");
        if ty == SocketType::Stream {
            ctx.listen_unix(s, self.local.backlog as usize)
                .expect("a bound stream socket listens");
        }
        self.sock = Some(s);
    }

    fn readable(&mut self, ctx: &mut Ctx, sock: SocketId) {
        if self.local.socket == LocalSocket::Datagram {
            return self.datagrams(ctx, sock);
        }
        if Some(sock) == self.sock {
            while let Ok(Some(new)) = ctx.accept_unix(sock) {
                self.peers.insert(new, Peer::default());
            }
            return;
        }
        let (got, eof) = drain(ctx, sock);
        let app = self.local.app;
        let Some(peer) = self.peers.get_mut(&sock) else {
            return;
        };
        let delivered = peer.received(app, got, eof);
        ctx.flow_received(delivered);
        self.serve(ctx, sock);
    }

    fn writable(&mut self, ctx: &mut Ctx, sock: SocketId) {
        match self.local.socket {
            LocalSocket::Stream => self.serve(ctx, sock),
            LocalSocket::Datagram => self.answer(ctx),
        }
    }
}
