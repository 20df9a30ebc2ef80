//! TCP in the engine: the connection table, demultiplexing of arriving
//! segments, listeners and their backlog, ISNs, timers, and the glue between
//! connections (state machines that do no I/O) and the network and sockets.

use super::{Event, Notice, World};
use crate::net::packet::{Ecn, Packet, PacketId, Transport};
use crate::sim::SimTime;
use crate::sim::hash::LookupMap;
use crate::sim::rng::Rng;
use crate::socket::stream::Listen;
use crate::socket::{SocketError, SocketId};
use crate::trace::{ConnRef, DropReason, PacketEvent, TraceSink};
use crate::transport::tcp::{Outgoing, TcpConnection, TcpEvent, TcpState, reset_for};
use crate::wire::ipv4::Ipv4Addr;
use crate::wire::tcp::{SeqNum, TcpFlags};
use rand::RngExt;

/// The demultiplexing key: (node, local port, remote address, remote port).
fn tuple_key(node: u32, local_port: u16, remote: Ipv4Addr, remote_port: u16) -> u128 {
    (u128::from(node) << 64)
        | (u128::from(local_port) << 48)
        | (u128::from(u32::from_be_bytes(remote.0)) << 16)
        | u128::from(remote_port)
}

/// One connection and where it belongs.
pub(crate) struct ConnSlot {
    pub conn: TcpConnection,
    pub node: u32,
    pub local_port: u16,
    pub remote_addr: Ipv4Addr,
    pub remote_port: u16,
    pub remote_node: u32,
    /// The socket the application uses; `None` while waiting in an accept
    /// queue, and after the application closed it.
    pub socket: Option<SocketId>,
    /// The listening socket that accepted the SYN, until `accept` takes it.
    pub listener: Option<SocketId>,
    pub flow: u32,
    /// The armed timer: its deadline and generation (older timer events are stale).
    timer_at: Option<SimTime>,
    timer_generation: u32,
    pub established_at: Option<SimTime>,
    /// The peer's FIN arrived (and reading past it returns end of stream).
    pub peer_closed: bool,
    /// Index of this connection in the statistics.
    pub stats_id: u32,
}

#[derive(Default)]
pub struct TcpStack {
    conns: Vec<Option<ConnSlot>>,
    free: Vec<u32>,
    /// Connections by `tuple_key` (looked up for every segment).
    by_tuple: LookupMap<u128, u32>,
    /// Per node: the stream ISNs are drawn from.
    isn_rngs: Vec<Rng>,
    /// Scratch space for a connection's events (see `tcp_service`).
    events: Vec<TcpEvent>,
}

impl TcpStack {
    pub fn new(isn_rngs: Vec<Rng>) -> Self {
        TcpStack {
            isn_rngs,
            ..Default::default()
        }
    }

    pub(crate) fn slot(&mut self, id: u32) -> &mut ConnSlot {
        self.conns[id as usize].as_mut().expect("live connection")
    }

    /// Live connections, in table order (for end-of-run accounting).
    pub(crate) fn live(&self) -> impl Iterator<Item = &ConnSlot> {
        self.conns.iter().flatten()
    }
}

impl World {
    /// An initial sequence number from `node`'s own stream (RFC 9293 §3.4.1
    /// asks for unpredictable ISNs; a seeded stream gives that, reproducibly).
    pub(crate) fn tcp_isn(&mut self, node: u32) -> SeqNum {
        SeqNum(self.tcp.isn_rngs[node as usize].random())
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tcp_insert(
        &mut self,
        node: u32,
        local_port: u16,
        conn: TcpConnection,
        remote_addr: Ipv4Addr,
        remote_port: u16,
        remote_node: u32,
        socket: Option<SocketId>,
        listener: Option<SocketId>,
        flow: u32,
    ) -> u32 {
        let stats_id = self.stats.tcp_opened(flow, socket.is_some(), self.now);
        let slot = ConnSlot {
            conn,
            node,
            local_port,
            remote_addr,
            remote_port,
            remote_node,
            socket,
            listener,
            flow,
            timer_at: None,
            timer_generation: 0,
            established_at: None,
            peer_closed: false,
            stats_id,
        };
        let id = match self.tcp.free.pop() {
            Some(i) => {
                self.tcp.conns[i as usize] = Some(slot);
                i
            }
            None => {
                self.tcp.conns.push(Some(slot));
                (self.tcp.conns.len() - 1) as u32
            }
        };
        self.tcp
            .by_tuple
            .insert(tuple_key(node, local_port, remote_addr, remote_port), id);
        id
    }

    pub(crate) fn tcp_conn(&mut self, id: u32) -> &mut TcpConnection {
        &mut self.tcp.slot(id).conn
    }

    pub(crate) fn tcp_peer(&mut self, id: u32) -> (Ipv4Addr, u16) {
        let s = self.tcp.slot(id);
        (s.remote_addr, s.remote_port)
    }

    /// `accept` handed connection `id` to socket `sock`.
    pub(crate) fn tcp_attach(&mut self, id: u32, sock: SocketId) {
        let s = self.tcp.slot(id);
        s.socket = Some(sock);
        s.listener = None;
        // Data may have arrived before accept: let the application know.
        if s.conn.readable_bytes() > 0 || s.peer_closed {
            let app = self.sockets.get(sock).app;
            self.notices.push(Notice::Readable { app, sock });
        }
    }

    /// The application closed a socket: close its connection (gracefully), or
    /// reset the connections a listener had not handed out yet.
    pub(crate) fn tcp_close(&mut self, conn: Option<u32>, listen: Option<Listen>) {
        if let Some(id) = conn {
            let s = self.tcp.slot(id);
            s.socket = None;
            s.conn.close();
            self.tcp_service(id);
        }
        if let Some(l) = listen {
            let pending: Vec<u32> = (0..self.tcp.conns.len() as u32)
                .filter(|&i| {
                    l.ready.contains(&i)
                        || self.tcp.conns[i as usize].as_ref().is_some_and(|s| {
                            s.listener.is_some()
                                && s.socket.is_none()
                                && s.conn.state() == TcpState::SynReceived
                        })
                })
                .collect();
            for id in pending {
                self.tcp.slot(id).conn.abort();
                self.tcp_service(id);
            }
        }
    }

    /// A TCP segment reached its destination host.
    pub(super) fn deliver_tcp(&mut self, node: u32, packet: PacketId) {
        let p = self.net.packets.get(packet);
        let Transport::Tcp(seg) = p.transport else {
            unreachable!("deliver_tcp gets TCP")
        };
        let (src_addr, origin, ce) = (p.src_addr, p.payload_origin, p.ecn == Ecn::Ce);
        if let Some(&id) =
            self.tcp
                .by_tuple
                .get(&tuple_key(node, seg.dst_port, src_addr, seg.src_port))
        {
            self.record(node, PacketEvent::Deliver, packet);
            self.net.packets.remove(packet);
            self.tcp
                .slot(id)
                .conn
                .on_segment_ecn(self.now, &seg, origin, ce);
            return self.tcp_service(id);
        }
        let is_syn = seg.flags.contains(TcpFlags::SYN)
            && !seg.flags.contains(TcpFlags::ACK)
            && !seg.flags.contains(TcpFlags::RST);
        if let (true, Some(listener)) = (is_syn, self.sockets.listener(node, seg.dst_port)) {
            let full = self
                .sockets
                .get(listener)
                .listen
                .as_ref()
                .is_some_and(Listen::is_full);
            if full {
                // Like Linux, drop the SYN: the client retransmits it later.
                return self.drop_packet(node, None, DropReason::BacklogFull, packet);
            }
            self.record(node, PacketEvent::Deliver, packet);
            let remote_node = self.net.packets.remove(packet).src;
            let (config, flow) = {
                let l = self.sockets.get(listener);
                (l.tcp.clone().unwrap_or_default(), l.flow)
            };
            let isn = self.tcp_isn(node);
            let conn = TcpConnection::accept_syn(&config, &seg, isn, self.now);
            let id = self.tcp_insert(
                node,
                seg.dst_port,
                conn,
                src_addr,
                seg.src_port,
                remote_node,
                None,
                Some(listener),
                flow,
            );
            if let Some(l) = self.sockets.get_mut(listener).listen.as_mut() {
                l.half_open += 1;
            }
            return self.tcp_service(id);
        }
        // No connection and no listener: answer with RST (RFC 9293 §3.10.7.1).
        let reply = reset_for(&seg);
        let src = self.net.packets.get(packet).src;
        self.drop_packet(node, None, DropReason::PortUnreachable, packet);
        if let Some(rst) = reply {
            let out = Outgoing {
                repr: rst,
                payload_origin: 0,
                ect: false,
            };
            self.tcp_emit(node, src, src_addr, out, crate::net::packet::NO_FLOW);
        }
    }

    /// Sends one segment from `node`.
    fn tcp_emit(&mut self, node: u32, dst: u32, dst_addr: Ipv4Addr, out: Outgoing, flow: u32) {
        let packet = Packet {
            uid: 0,
            src: node,
            dst,
            src_addr: self.net.nodes[node as usize].addr,
            dst_addr,
            ttl: 64,
            ecn: if out.ect { Ecn::Ect0 } else { Ecn::NotEct },
            transport: Transport::Tcp(out.repr),
            payload_origin: out.payload_origin,
            flow,
            sent_at: self.now,
        };
        self.send_from_host(node, packet);
    }

    /// After anything happened to connection `id`: send what it wants to send,
    /// report what it did, tell the application, re-arm its timer, and forget
    /// it once it is closed and nobody holds it.
    pub(crate) fn tcp_service(&mut self, id: u32) {
        while let Some(out) = {
            let now = self.now;
            self.tcp.slot(id).conn.poll_transmit(now)
        } {
            let s = self.tcp.slot(id);
            let (node, dst, addr, flow) = (s.node, s.remote_node, s.remote_addr, s.flow);
            self.tcp_emit(node, dst, addr, out, flow);
        }
        // Reuse one buffer: handling an event needs the whole world, so the
        // events are moved out of the connection first.
        let mut events = std::mem::take(&mut self.tcp.events);
        events.extend(self.tcp.slot(id).conn.drain_events());
        for e in events.drain(..) {
            self.tcp_event(id, e);
        }
        self.tcp.events = events;
        let (next, node) = {
            let s = self.tcp.slot(id);
            (s.conn.next_timer(), s.node)
        };
        let s = self.tcp.slot(id);
        if next != s.timer_at {
            s.timer_at = next;
            s.timer_generation = s.timer_generation.wrapping_add(1);
            if let Some(t) = next {
                let generation = s.timer_generation;
                self.events.push(
                    t.max(self.now),
                    Event::TcpTimer {
                        conn: id,
                        generation,
                    },
                );
            }
        }
        let s = self.tcp.slot(id);
        if s.conn.state() == TcpState::Closed && s.socket.is_none() && s.listener.is_none() {
            let key = tuple_key(node, s.local_port, s.remote_addr, s.remote_port);
            let slot = self.tcp.conns[id as usize].take().expect("live");
            self.stats.tcp_closed(slot.stats_id, &slot.conn);
            self.tcp.by_tuple.remove(&key);
            self.tcp.free.push(id);
        }
    }

    pub(super) fn on_tcp_timer(&mut self, id: u32, generation: u32) {
        let Some(s) = self.tcp.conns.get_mut(id as usize).and_then(Option::as_mut) else {
            return;
        };
        if s.timer_generation != generation {
            return;
        }
        s.timer_at = None;
        s.conn.on_timer(self.now);
        self.tcp_service(id);
    }

    /// One thing a connection reported: into the trace, the statistics and,
    /// where the application must know, a notice.
    fn tcp_event(&mut self, id: u32, event: TcpEvent) {
        let now = self.now;
        let s = self.tcp.slot(id);
        let (node, socket, listener, stats_id) = (s.node, s.socket, s.listener, s.stats_id);
        if let Some(t) = &mut self.trace {
            let s = self.tcp.conns[id as usize].as_ref().expect("live");
            let n = &self.net.nodes[node as usize];
            let conn = ConnRef {
                node,
                node_name: &n.name,
                local: n.addr,
                local_port: s.local_port,
                remote: s.remote_addr,
                remote_port: s.remote_port,
            };
            t.tcp(now, &conn, &event);
        }
        let app_of = |w: &World, sock: SocketId| w.sockets.get(sock).app;
        match event {
            TcpEvent::Congestion {
                cwnd,
                ssthresh,
                rto,
            } => self.stats.tcp_sample(stats_id, now, cwnd, ssthresh, rto),
            TcpEvent::Retransmit { .. }
            | TcpEvent::TimerExpired { .. }
            | TcpEvent::StateChange { .. }
            | TcpEvent::RttSample { .. } => {}
            TcpEvent::Connected => {
                self.tcp.slot(id).established_at = Some(now);
                self.stats.tcp_established(stats_id, now);
                if let Some(sock) = socket {
                    self.notices.push(Notice::Connected {
                        app: app_of(self, sock),
                        sock,
                        result: Ok(()),
                    });
                } else if let Some(l) = listener {
                    if let Some(listen) = self.sockets.get_mut(l).listen.as_mut() {
                        listen.half_open = listen.half_open.saturating_sub(1);
                        listen.ready.push_back(id);
                    }
                    let app = app_of(self, l);
                    self.notices.push(Notice::Readable { app, sock: l });
                }
            }
            TcpEvent::Readable | TcpEvent::PeerClosed => {
                if matches!(event, TcpEvent::PeerClosed) {
                    self.tcp.slot(id).peer_closed = true;
                }
                if let Some(sock) = socket {
                    self.notices.push(Notice::Readable {
                        app: app_of(self, sock),
                        sock,
                    });
                }
            }
            TcpEvent::Writable => {
                if let Some(sock) = socket {
                    self.notices.push(Notice::Writable {
                        app: app_of(self, sock),
                        sock,
                    });
                }
            }
            TcpEvent::Urgent { .. } => {
                if let Some(sock) = socket {
                    self.notices.push(Notice::Urgent {
                        app: app_of(self, sock),
                        sock,
                    });
                }
            }
            TcpEvent::Reset | TcpEvent::TimedOut | TcpEvent::Closed => {
                let established = self.tcp.slot(id).established_at.is_some();
                if let Some(l) = listener.filter(|_| !established) {
                    // A handshake that never completed leaves the backlog.
                    if let Some(listen) = self.sockets.get_mut(l).listen.as_mut() {
                        listen.half_open = listen.half_open.saturating_sub(1);
                    }
                    self.tcp.slot(id).listener = None;
                }
                let error = match (event, established) {
                    (TcpEvent::Reset, true) => SocketError::ConnectionReset,
                    (TcpEvent::Reset, false) => SocketError::ConnectionRefused,
                    (TcpEvent::TimedOut, _) => SocketError::TimedOut,
                    _ => return,
                };
                if let Some(sock) = socket {
                    let app = app_of(self, sock);
                    self.sockets.get_mut(sock).error = Some(error);
                    if let Some(t) = &mut self.trace {
                        t.note(
                            now,
                            &self.net.nodes[node as usize].name,
                            "socket-error",
                            &format!("sock={} {error}", sock.0),
                        );
                    }
                    self.notices.push(if established {
                        Notice::Readable { app, sock }
                    } else {
                        Notice::Connected {
                            app,
                            sock,
                            result: Err(error),
                        }
                    });
                }
            }
            // Counted in the connection's own statistics.
            TcpEvent::IntegrityError => {}
        }
    }
}
