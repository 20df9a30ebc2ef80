//! TCP applications, written as a student would against the socket calls:
//! the client (`socket → connect → send/recv → close`) and the server
//! (`socket → bind → listen → accept → recv/send → close`) of a bulk transfer,
//! a request-response exchange, or an echo. A bulk client may send one byte
//! of its stream as urgent data (`urgent_at`), which the server reads out of band.

use super::exchange::{Exchange, Next, Peer};
use super::{App, Ctx};
use crate::scenario::{AppSpec, FlowSpec, StreamFlow};
use crate::sim::SimTime;
use crate::stack::{SocketError, SocketId, SocketType};
use crate::transport::tcp::TcpConfig;
use crate::wire::ipv4::Ipv4Addr;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Reads everything waiting on `sock`; returns (bytes read, end of stream reached).
fn drain(ctx: &mut Ctx, sock: SocketId) -> (u64, bool) {
    let mut total = 0;
    loop {
        match ctx.recv(sock, u64::MAX) {
            Ok(0) => return (total, true),
            Ok(n) => total += n,
            Err(SocketError::WouldBlock) => return (total, false),
            Err(_) => return (total, true),
        }
    }
}

/// The client side of a TCP flow.
pub struct TcpClient {
    spec: FlowSpec,
    stream: StreamFlow,
    /// `stream.tcp`, shared with the socket and connection it makes.
    tcp: Arc<TcpConfig>,
    to: Ipv4Addr,
    sock: Option<SocketId>,
    exchange: Exchange,
    /// Bytes handed to the socket so far.
    written: u64,
    closed: bool,
}

impl TcpClient {
    pub fn new(spec: FlowSpec, stream: StreamFlow, to: Ipv4Addr) -> Self {
        TcpClient {
            exchange: Exchange::new(stream.app),
            tcp: Arc::new(stream.tcp),
            spec,
            stream,
            to,
            sock: None,
            written: 0,
            closed: false,
        }
    }

    /// Sends as much of the current phase as the send buffer takes; the byte
    /// at `urgent_at` alone, with MSG_OOB.
    fn pump(&mut self, ctx: &mut Ctx) {
        let Some(sock) = self.sock else { return };
        let unlimited = self.exchange.unlimited();
        while (self.exchange.to_send > 0 || unlimited) && ctx.now() < self.spec.stop {
            let mut want = if unlimited {
                1 << 20
            } else {
                self.exchange.to_send
            };
            let urgent = self.stream.urgent_at == Some(self.written);
            if let Some(at) = self.stream.urgent_at.filter(|&at| at > self.written) {
                want = want.min(at - self.written);
            }
            let sent = if urgent {
                ctx.send_urgent(sock, 1)
            } else {
                ctx.send(sock, want)
            };
            match sent {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    ctx.flow_sent(n);
                    self.exchange.sent(n);
                    self.written += n;
                }
            }
        }
        // With `close_at`, both ends close at that time instead.
        if self.stream.close_at.is_none()
            && self.exchange.bulk_finished(ctx.now() >= self.spec.stop)
        {
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
}

/// Timer tokens of the client.
const START: u64 = 0;
const THINK_OVER: u64 = 1;
const STOP: u64 = 2;
/// Client and server: `close_at` has come.
const CLOSE: u64 = 3;
/// Server: `read_after` has come.
const READ: u64 = 4;

impl App for TcpClient {
    fn start(&mut self, ctx: &mut Ctx) {
        ctx.wake_at(self.spec.start, START);
        if matches!(self.stream.app, AppSpec::Bulk { bytes: None }) {
            ctx.wake_at(self.spec.stop, STOP);
        }
        if let Some(t) = self.stream.close_at {
            ctx.wake_at(t, CLOSE);
        }
    }

    fn wake(&mut self, ctx: &mut Ctx, token: u64) {
        match token {
            START => {
                let sock = ctx.socket(SocketType::Stream);
                let _ = ctx.set_tcp_config(sock, &self.tcp);
                self.sock = Some(sock);
                if ctx.connect(sock, self.to, self.spec.dst_port).is_err() {
                    self.close(ctx);
                }
            }
            THINK_OVER => {
                let next = self.exchange.next_request();
                self.act(ctx, next);
            }
            CLOSE => self.close(ctx),
            _ => self.pump(ctx), // STOP: an unlimited transfer ends
        }
    }

    fn connected(&mut self, ctx: &mut Ctx, _sock: SocketId, result: Result<(), SocketError>) {
        if result.is_err() {
            return self.close(ctx);
        }
        let next = self.exchange.begin();
        self.act(ctx, next);
    }

    fn writable(&mut self, ctx: &mut Ctx, _sock: SocketId) {
        self.pump(ctx);
    }

    fn readable(&mut self, ctx: &mut Ctx, sock: SocketId) {
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

/// The server side: accepts every connection on its port and serves it.
pub struct TcpServer {
    spec: FlowSpec,
    stream: StreamFlow,
    /// `stream.tcp`, shared with the listener and every connection it accepts.
    tcp: Arc<TcpConfig>,
    listener: Option<SocketId>,
    peers: BTreeMap<SocketId, Peer>,
}

impl TcpServer {
    pub fn new(spec: FlowSpec, stream: StreamFlow) -> Self {
        TcpServer {
            tcp: Arc::new(stream.tcp),
            spec,
            stream,
            listener: None,
            peers: BTreeMap::new(),
        }
    }

    /// Reads the urgent byte if one is set aside (recv with MSG_OOB): it
    /// counts as received like the rest of the stream.
    fn read_urgent(&mut self, ctx: &mut Ctx, sock: SocketId) {
        if self.stream.urgent_at.is_some()
            && ctx.now() >= self.stream.read_after
            && ctx.recv_urgent(sock).is_ok()
        {
            ctx.flow_received(1);
        }
    }

    fn serve(&mut self, ctx: &mut Ctx, sock: SocketId) {
        let Some(peer) = self.peers.get_mut(&sock) else {
            return;
        };
        while peer.owed > 0 {
            match ctx.send(sock, peer.owed) {
                Ok(0) | Err(_) => break,
                Ok(n) => peer.owed -= n,
            }
        }
        if peer.eof && peer.owed == 0 {
            let _ = ctx.close(sock);
            self.peers.remove(&sock);
        }
    }
}

impl App for TcpServer {
    fn start(&mut self, ctx: &mut Ctx) {
        let s = ctx.socket(SocketType::Stream);
        let _ = ctx.set_tcp_config(s, &self.tcp);
        // Ports are checked for conflicts when the scenario is validated.
        ctx.bind(s, self.spec.dst_port)
            .expect("server port is free");
        ctx.listen(s, self.stream.backlog as usize)
            .expect("a bound stream socket listens");
        if self.stream.read_after > SimTime::ZERO {
            ctx.wake_at(self.stream.read_after, READ);
        }
        if let Some(t) = self.stream.close_at {
            ctx.wake_at(t, CLOSE);
        }
        self.listener = Some(s);
    }

    fn wake(&mut self, ctx: &mut Ctx, token: u64) {
        let peers: Vec<SocketId> = self.peers.keys().copied().collect();
        for sock in peers {
            if token == CLOSE {
                let _ = ctx.close(sock);
                self.peers.remove(&sock);
            } else {
                // `read_after` has come: read what every connection has waiting.
                self.readable(ctx, sock);
            }
        }
    }

    fn readable(&mut self, ctx: &mut Ctx, sock: SocketId) {
        if Some(sock) == self.listener {
            while let Ok(Some(new)) = ctx.accept(sock) {
                self.peers.insert(new, Peer::default());
            }
            return;
        }
        if ctx.now() < self.stream.read_after {
            return; // a slow reader: the data waits in the receive buffer
        }
        self.read_urgent(ctx, sock);
        let (got, eof) = drain(ctx, sock);
        let app = self.stream.app;
        let Some(peer) = self.peers.get_mut(&sock) else {
            return;
        };
        let delivered = peer.received(app, got, eof);
        ctx.flow_received(delivered);
        self.serve(ctx, sock);
    }

    fn writable(&mut self, ctx: &mut Ctx, sock: SocketId) {
        self.serve(ctx, sock);
    }

    /// SIGURG: the urgent byte is read ahead of the data queued before it
    /// once it is here (the notice may come first).
    fn urgent(&mut self, ctx: &mut Ctx, sock: SocketId) {
        self.read_urgent(ctx, sock);
    }
}
