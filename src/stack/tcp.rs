//! TCP in the stack: the connection table, demultiplexing of arriving
//! segments, listeners and their backlog, ISNs, timers, and the glue between
//! connections (state machines that do no I/O) and IP and the sockets.

use super::stream::Listen;
use super::{Endpoint, Env, Notice, SocketError, SocketId, Stack, Timer};
use crate::ids::{ConnId, NodeId};
use crate::net::packet::{DropReason, Ecn, Packet, PacketId, Transport};
use crate::sim::chunked::ChunkedVec;
use crate::sim::hash::LookupMap;
use crate::sim::rng::Rng;
use crate::transport::tcp::{
    EventBuffer, OptTime, Outgoing, TcpConnection, TcpEvent, TcpState, reset_for,
};
use crate::wire::ipv4::Ipv4Addr;
use crate::wire::tcp::{SeqNum, TcpFlags};
use rand::RngExt;

/// The demultiplexing key: (node, local port, remote address, remote port),
/// in 4-byte words so that a table entry takes 16 bytes (a `u128` key, aligned
/// to 16, made it 32).
#[derive(Clone, Copy, PartialEq, Eq)]
struct TupleKey {
    node: u32,
    /// Local port (high half) and remote port.
    ports: u32,
    remote: u32,
}

impl std::hash::Hash for TupleKey {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        // Two 64-bit words, as the u128 key it replaces was hashed.
        let low = (u64::from(self.ports >> 16) << 48)
            | (u64::from(self.remote) << 16)
            | u64::from(self.ports & 0xffff);
        h.write_u64(low);
        h.write_u64(u64::from(self.node));
    }
}

fn tuple_key(node: NodeId, local_port: u16, remote: Ipv4Addr, remote_port: u16) -> TupleKey {
    TupleKey {
        node: node.0,
        ports: (u32::from(local_port) << 16) | u32::from(remote_port),
        remote: u32::from_be_bytes(remote.0),
    }
}

/// One connection and where it belongs.
pub(crate) struct ConnSlot {
    pub conn: TcpConnection,
    pub node: NodeId,
    pub local_port: u16,
    pub remote_addr: Ipv4Addr,
    pub remote_port: u16,
    pub remote_node: NodeId,
    /// The socket the application uses; `None` while waiting in an accept
    /// queue, and after the application closed it.
    pub socket: Option<SocketId>,
    /// The listening socket that accepted the SYN, until `accept` takes it.
    pub listener: Option<SocketId>,
    pub flow: u32,
    /// The armed timer: its deadline and generation (older timer events are stale).
    timer_at: OptTime,
    timer_generation: u32,
    /// The handshake completed.
    pub established: bool,
    /// The peer's FIN arrived (and reading past it returns end of stream).
    pub peer_closed: bool,
    /// The connection's number in the run (0, 1, 2, … in the order opened).
    pub serial: u32,
}

impl ConnSlot {
    /// This end, as the trace records name it.
    pub(crate) fn endpoint(&self) -> Endpoint {
        Endpoint {
            serial: self.serial,
            flow: self.flow,
            node: self.node,
            local_port: self.local_port,
            remote: self.remote_addr,
            remote_port: self.remote_port,
        }
    }
}

/// Every host's TCP connections.
#[derive(Default)]
pub(super) struct TcpTable {
    /// In chunks, so that growing the table moves no connection once the
    /// first chunk is full and leaves no half-size copy behind, and a
    /// connection costs no allocation of its own (no header, no rounding up
    /// to the allocator's size class, no pointer).
    conns: ChunkedVec<Option<ConnSlot>>,
    /// Free slots, each with the timer generation its next connection starts
    /// at: past the last one's, so that none of its stale timers can match.
    free: Vec<(ConnId, u32)>,
    /// Connections by `tuple_key` (looked up for every segment).
    by_tuple: LookupMap<TupleKey, ConnId>,
    /// Per node: the stream ISNs are drawn from.
    isn_rngs: Vec<Rng>,
    /// Scratch space for a connection's events (see `tcp_service`).
    events: EventBuffer,
    /// Connections opened so far (the next one's serial number).
    opened: u32,
}

impl TcpTable {
    pub fn new(isn_rngs: Vec<Rng>) -> Self {
        TcpTable {
            isn_rngs,
            ..Default::default()
        }
    }

    pub(crate) fn slot(&mut self, id: ConnId) -> &mut ConnSlot {
        self.conns[id.index()].as_mut().expect("live connection")
    }

    pub(crate) fn node_of(&self, id: ConnId) -> Option<NodeId> {
        self.conns.get(id.index())?.as_ref().map(|s| s.node)
    }

    /// Live connections, in table order (for end-of-run accounting).
    pub(crate) fn live(&self) -> impl Iterator<Item = &ConnSlot> {
        self.conns.iter().flatten()
    }

    /// An initial sequence number from `node`'s own stream (RFC 9293 §3.4.1
    /// asks for unpredictable ISNs; a seeded stream gives that, reproducibly).
    pub(crate) fn isn(&mut self, node: NodeId) -> SeqNum {
        SeqNum(self.isn_rngs[node.index()].random())
    }

    /// Lends connection `id` the scratch buffer for its events (see
    /// `tcp_service`), before an input that may produce some.
    fn lend_events(&mut self, id: ConnId) {
        let conn = &mut self.conns[id.index()].as_mut().expect("live").conn;
        conn.lend_event_buffer(&mut self.events);
    }

    pub(crate) fn conn(&mut self, id: ConnId) -> &mut TcpConnection {
        &mut self.slot(id).conn
    }
}

impl Stack {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tcp_insert<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        node: NodeId,
        local_port: u16,
        conn: TcpConnection,
        remote_addr: Ipv4Addr,
        remote_port: u16,
        remote_node: NodeId,
        socket: Option<SocketId>,
        listener: Option<SocketId>,
        flow: u32,
    ) -> ConnId {
        let serial = self.tcp.opened;
        self.tcp.opened += 1;
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
            timer_at: OptTime::NONE,
            timer_generation: 0, // set below
            established: false,
            peer_closed: false,
            serial,
        };
        env.tcp_opened(slot.endpoint(), socket.is_some());
        let id = match self.tcp.free.pop() {
            Some((i, generation)) => {
                let mut slot = slot;
                slot.timer_generation = generation;
                self.tcp.conns[i.index()] = Some(slot);
                i
            }
            None => {
                self.tcp.conns.push(Some(slot));
                ConnId((self.tcp.conns.len() - 1) as u32)
            }
        };
        self.tcp
            .by_tuple
            .insert(tuple_key(node, local_port, remote_addr, remote_port), id);
        id
    }

    pub(crate) fn tcp_peer(&mut self, id: ConnId) -> (Ipv4Addr, u16) {
        let s = self.tcp.slot(id);
        (s.remote_addr, s.remote_port)
    }

    /// `accept` handed connection `id` to socket `sock`.
    pub(crate) fn tcp_attach(&mut self, id: ConnId, sock: SocketId) {
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
    pub(crate) fn tcp_close<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        conn: Option<ConnId>,
        listen: Option<Listen>,
    ) {
        if let Some(id) = conn {
            let s = self.tcp.slot(id);
            s.socket = None;
            s.conn.close();
            self.tcp_service(env, id);
        }
        if let Some(l) = listen {
            let pending: Vec<ConnId> = (0..self.tcp.conns.len() as u32)
                .map(ConnId)
                .filter(|&i| {
                    l.ready.contains(&i)
                        || self.tcp.conns[i.index()].as_ref().is_some_and(|s| {
                            s.listener.is_some()
                                && s.socket.is_none()
                                && s.conn.state() == TcpState::SynReceived
                        })
                })
                .collect();
            for id in pending {
                self.tcp.slot(id).conn.abort();
                self.tcp_service(env, id);
            }
        }
    }

    /// A TCP segment reached its destination host.
    #[inline]
    pub(super) fn receive_tcp<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        node: NodeId,
        packet: PacketId,
    ) {
        let p = env.packet(packet);
        let Transport::Tcp(seg) = p.transport else {
            unreachable!("deliver_tcp gets TCP")
        };
        let (src_addr, origin, ce) = (p.src_addr, p.payload_origin, p.ecn == Ecn::Ce);
        if let Some(&id) =
            self.tcp
                .by_tuple
                .get(&tuple_key(node, seg.dst_port, src_addr, seg.src_port))
        {
            env.delivered(node, packet);
            let now = env.now();
            self.tcp.lend_events(id);
            self.tcp.slot(id).conn.on_segment_ecn(now, &seg, origin, ce);
            return self.tcp_service(env, id);
        }
        let is_syn = seg.flags.contains(TcpFlags::SYN)
            && !seg.flags.contains(TcpFlags::ACK)
            && !seg.flags.contains(TcpFlags::RST);
        if let (true, Some(listener)) = (is_syn, self.sockets.listener(node, seg.dst_port)) {
            let full = self
                .sockets
                .get(listener)
                .listen
                .as_deref()
                .is_some_and(Listen::is_full);
            if full {
                // Like Linux, drop the SYN: the client retransmits it later.
                return env.refused(node, packet, DropReason::BacklogFull);
            }
            let remote_node = env.delivered(node, packet).src;
            let (config, flow) = {
                let l = self.sockets.get(listener);
                (l.tcp.clone().unwrap_or_default(), l.flow)
            };
            let isn = self.tcp.isn(node);
            let conn = TcpConnection::accept_syn(&config, &seg, isn, env.now());
            let id = self.tcp_insert(
                env,
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
            return self.tcp_service(env, id);
        }
        // No connection and no listener: answer with RST (RFC 9293 §3.10.7.1).
        let reply = reset_for(&seg);
        let src = env.packet(packet).src;
        env.refused(node, packet, DropReason::PortUnreachable);
        if let Some(rst) = reply {
            let out = Outgoing {
                repr: rst,
                payload_origin: 0,
                ect: false,
            };
            emit(env, node, src, src_addr, out, crate::net::packet::NO_FLOW);
        }
    }

    /// After anything happened to connection `id`: send what it wants to send,
    /// report what it did, tell the application, re-arm its timer, and forget
    /// it once it is closed and nobody holds it.
    pub(crate) fn tcp_service<E: Env + ?Sized>(&mut self, env: &mut E, id: ConnId) {
        self.tcp.lend_events(id);
        while let Some(out) = self.tcp.slot(id).conn.poll_transmit(env.now()) {
            let s = self.tcp.slot(id);
            let (node, dst, addr, flow) = (s.node, s.remote_node, s.remote_addr, s.flow);
            emit(env, node, dst, addr, out, flow);
        }
        // Handling an event needs the whole stack, so the events are moved
        // out of the connection first, in their buffer: the connection keeps
        // none, and the larger of it and the scratch one stays for the next.
        if let Some(mut events) = self.tcp.slot(id).conn.take_events() {
            for e in events.drain(..) {
                self.tcp_event(env, id, e);
            }
            if self
                .tcp
                .events
                .as_ref()
                .is_none_or(|s| events.capacity() >= s.capacity())
            {
                self.tcp.events = Some(events);
            }
        }
        let s = self.tcp.slot(id);
        let next = s.conn.next_timer();
        if next != s.timer_at.get() {
            s.timer_at = next.into();
            s.timer_generation = s.timer_generation.wrapping_add(1);
            if let Some(t) = next {
                let generation = s.timer_generation;
                env.schedule(
                    t.max(env.now()),
                    Timer::Tcp {
                        conn: id,
                        generation,
                    },
                );
            }
        }
        let s = self.tcp.slot(id);
        if s.conn.state() == TcpState::Closed && s.socket.is_none() && s.listener.is_none() {
            let key = tuple_key(s.node, s.local_port, s.remote_addr, s.remote_port);
            let slot = self.tcp.conns[id.index()].take().expect("live");
            env.tcp_closed(slot.endpoint(), &slot.conn);
            self.tcp.by_tuple.remove(&key);
            let generation = slot.timer_generation.wrapping_add(1);
            self.tcp.free.push((id, generation));
        }
    }

    pub(super) fn on_tcp_timer<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        id: ConnId,
        generation: u32,
    ) {
        let Some(s) = self.tcp.conns.get_mut(id.index()).and_then(Option::as_mut) else {
            return;
        };
        if s.timer_generation != generation {
            return;
        }
        s.timer_at = OptTime::NONE;
        self.tcp.lend_events(id);
        self.tcp.slot(id).conn.on_timer(env.now());
        self.tcp_service(env, id);
    }

    /// One thing a connection reported: into the trace, the statistics and,
    /// where the application must know, a notice.
    fn tcp_event<E: Env + ?Sized>(&mut self, env: &mut E, id: ConnId, event: TcpEvent) {
        let s = self.tcp.slot(id);
        let (node, socket, listener) = (s.node, s.socket, s.listener);
        env.tcp(s.endpoint(), &event);
        let app_of = |st: &Stack, sock: SocketId| st.sockets.get(sock).app;
        match event {
            TcpEvent::Congestion { .. }
            | TcpEvent::Retransmit { .. }
            | TcpEvent::TimerExpired { .. }
            | TcpEvent::StateChange { .. }
            | TcpEvent::RttSample { .. } => {}
            TcpEvent::Connected => {
                self.tcp.slot(id).established = true;
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
                let established = self.tcp.slot(id).established;
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
                    if env.tracing() {
                        env.note(node, "socket-error", &format!("sock={} {error}", sock.0));
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

/// Sends one segment from `node`.
#[inline]
fn emit<E: Env + ?Sized>(
    env: &mut E,
    node: NodeId,
    dst: NodeId,
    dst_addr: Ipv4Addr,
    out: Outgoing,
    flow: u32,
) {
    let packet = Packet {
        uid: 0,
        src: node,
        dst,
        src_addr: env.address(node),
        dst_addr,
        ttl: 64,
        ecn: if out.ect { Ecn::Ect0 } else { Ecn::NotEct },
        transport: Transport::Tcp(out.repr),
        payload_origin: out.payload_origin,
        flow,
        sent_at: env.now(),
    };
    env.send(packet);
}
