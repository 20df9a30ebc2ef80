//! The hosts' network stacks: what a host's kernel does above IP.
//!
//! For every host the stack owns its socket table and port allocation
//! (`socket`), the TCP connections, their demultiplexing, listeners with their
//! backlog and their timers (`tcp`), UDP delivery to bound sockets, and its
//! Unix-domain sockets (`local`). The socket calls applications make are
//! methods on `Ctx` (`socket`, `stream`, `local::calls`), next to the tables
//! they change.
//!
//! The tables of all hosts are kept side by side (keyed by node), but no call
//! crosses hosts: a `Ctx` belongs to one application on one host, its calls
//! see that host's sockets only (another host's descriptor is EBADF), ports
//! are allocated per host, and a segment is demultiplexed on the host it
//! reached.
//!
//! # The interface to the engine
//!
//! The stack does no routing and owns no clock or event queue. It talks to the
//! engine under it through `Env` only:
//! - packets in: `Stack::receive` (a packet IP delivered to a host);
//! - packets out: `Env::send` (IP output on the host that originates it);
//! - timers: the stack asks for `Env::schedule(at, Timer)`, the engine calls
//!   `Stack::on_timer` when it fires;
//! - what applications must hear (a socket became readable, a connect ended)
//!   queues up as `Notice`s, which the engine hands to the applications after
//!   the event (`Stack::take_notices`);
//! - observation: typed trace records (socket calls, TCP events, connections
//!   opened and closed, flow bytes) go to `Env`, which hands them to the run's
//!   subscribers; the statistics are one of those.
//!
//! Applications see none of this: `Ctx` gives them the socket calls, the
//! clock and a timer.

mod ctx;
pub mod local;
pub mod socket;
pub mod stream;
mod tcp;

pub use ctx::Ctx;
pub use socket::{Datagram, SocketError, SocketId, SocketType};

use crate::ids::{AppId, ConnId, NodeId};
use crate::net::packet::{DropReason, Packet, PacketId, Transport};
use crate::sim::SimTime;
use crate::sim::rng::Rng;
use crate::trace::{FlowRecord, SocketCall};
use crate::transport::tcp::{TcpConfig, TcpConnection, TcpEvent};
use crate::wire::ipv4::Ipv4Addr;
use socket::{SocketTable, UdpDelivery};
use std::sync::Arc;

/// A timer the stack asked the engine for (`Env::schedule`).
#[derive(Clone, Copy, Debug)]
pub enum Timer {
    /// A TCP connection's timer (stale unless `generation` is the current one).
    Tcp { conn: ConnId, generation: u32 },
    /// A Unix-domain socket hand-over arrives (see `local`).
    LocalDeliver { delivery: u32 },
}

/// Something an application must be told after the current event.
#[derive(Clone, Copy, Debug)]
pub enum Notice {
    Readable {
        app: AppId,
        sock: SocketId,
    },
    Writable {
        app: AppId,
        sock: SocketId,
    },
    /// The peer announced urgent data (SIGURG).
    Urgent {
        app: AppId,
        sock: SocketId,
    },
    Connected {
        app: AppId,
        sock: SocketId,
        result: Result<(), SocketError>,
    },
}

/// One end of a TCP connection, as the trace names it.
#[derive(Clone, Copy, Debug)]
pub struct Endpoint {
    /// The connection's number in the run (0, 1, 2, … in the order opened).
    pub serial: u32,
    /// The flow it carries.
    pub flow: u32,
    pub node: NodeId,
    pub local_port: u16,
    pub remote: Ipv4Addr,
    pub remote_port: u16,
}

/// What the stack needs from the engine under it: the clock, IP output,
/// timers, the packet being delivered, and the run's trace records (the
/// stack emits them; the engine names the nodes and feeds the subscribers).
pub trait Env {
    fn now(&self) -> SimTime;
    /// IP output: `packet` leaves `packet.src`, the host that made it.
    fn send(&mut self, packet: Packet);
    /// Calls `Stack::on_timer(timer)` at `at` (not before now).
    fn schedule(&mut self, at: SimTime, timer: Timer);
    /// Calls the application's `wake(token)` at `at` (not before now).
    fn wake_app(&mut self, at: SimTime, app: AppId, token: u64);
    /// The packet `Stack::receive` was given.
    fn packet(&self, id: PacketId) -> &Packet;
    /// The stack took packet `id` at `node`: it leaves the network.
    fn delivered(&mut self, node: NodeId, id: PacketId) -> Packet;
    /// The stack refused packet `id` at `node`.
    fn refused(&mut self, node: NodeId, id: PacketId, reason: DropReason);
    /// The host with address `addr`, if any.
    fn host(&self, addr: Ipv4Addr) -> Option<NodeId>;
    /// The address of host `node`.
    fn address(&self, node: NodeId) -> Ipv4Addr;
    /// Whether anybody reads the trace-only records (socket calls, notes),
    /// so that they are built only then.
    fn tracing(&self) -> bool;
    /// A socket call made on `node`.
    fn call(&mut self, node: NodeId, call: SocketCall);
    /// Something a TCP connection did.
    fn tcp(&mut self, end: Endpoint, event: &TcpEvent);
    /// A TCP connection was created: by `connect` (`client`) or by a SYN.
    fn tcp_opened(&mut self, end: Endpoint, client: bool);
    /// A TCP connection is gone, or the run ended: its final state.
    fn tcp_closed(&mut self, end: Endpoint, last: &TcpConnection);
    /// An application moved bytes of its flow through a socket.
    fn flow(&mut self, record: FlowRecord);
    /// A free-form line about `node` (Unix-domain sockets, socket errors).
    fn note(&mut self, node: NodeId, event: &str, detail: &str);
}

/// The stacks of every host.
pub struct Stack {
    sockets: SocketTable,
    tcp: tcp::TcpTable,
    local: local::LocalTable,
    notices: Vec<Notice>,
    /// The TCP parameters new stream sockets start with.
    tcp_defaults: Arc<TcpConfig>,
    /// Per application: the stream offset of the next byte it sends (payload
    /// origins, which let the receiver's statistics tell new bytes from copies).
    stream_offsets: Vec<u64>,
}

impl Stack {
    /// Stacks for hosts with these ISN streams and Unix-domain latencies (one
    /// per node), for `apps` applications.
    pub fn new(
        isn_rngs: Vec<Rng>,
        local_latency: Vec<SimTime>,
        tcp_defaults: TcpConfig,
        apps: usize,
    ) -> Stack {
        Stack {
            sockets: SocketTable::default(),
            tcp: tcp::TcpTable::new(isn_rngs),
            local: local::LocalTable::new(local_latency),
            notices: Vec::new(),
            tcp_defaults: Arc::new(tcp_defaults),
            stream_offsets: vec![0; apps],
        }
    }

    /// One more application (started after the others).
    pub fn add_app(&mut self) {
        self.stream_offsets.push(0);
    }

    /// A packet IP delivered to host `node`: to its transport layer.
    #[inline]
    pub fn receive<E: Env + ?Sized>(&mut self, env: &mut E, node: NodeId, packet: PacketId) {
        let p = env.packet(packet);
        match p.transport {
            Transport::Udp(udp) => match self.sockets.deliver_udp(node, p, &udp) {
                UdpDelivery::Queued { app, sock } => {
                    env.delivered(node, packet);
                    self.notices.push(Notice::Readable { app, sock });
                }
                UdpDelivery::PortUnreachable => {
                    env.refused(node, packet, DropReason::PortUnreachable)
                }
                UdpDelivery::BufferFull => env.refused(node, packet, DropReason::SocketBufferFull),
            },
            Transport::Tcp(_) => self.receive_tcp(env, node, packet),
        }
    }

    /// A timer the stack asked for fired.
    pub fn on_timer<E: Env + ?Sized>(&mut self, env: &mut E, timer: Timer) {
        match timer {
            Timer::Tcp { conn, generation } => self.on_tcp_timer(env, conn, generation),
            Timer::LocalDeliver { delivery } => self.on_local_deliver(env, delivery),
        }
    }

    /// The host a pending timer belongs to (`None` once its connection or
    /// delivery is gone: the timer is stale).
    pub fn timer_node(&self, timer: Timer) -> Option<NodeId> {
        match timer {
            Timer::Tcp { conn, .. } => self.tcp.node_of(conn),
            Timer::LocalDeliver { delivery } => self.local.delivery_node(delivery),
        }
    }

    /// Whether applications have notices waiting.
    #[inline]
    pub fn has_notices(&self) -> bool {
        !self.notices.is_empty()
    }

    /// Moves the waiting notices into `into` (which should be empty), oldest
    /// first; swapping buffers keeps either from being reallocated per event.
    pub fn take_notices(&mut self, into: &mut Vec<Notice>) {
        std::mem::swap(into, &mut self.notices);
    }

    /// Ends the run: the final state of every connection still open, in the
    /// order they were opened.
    pub fn finish<E: Env + ?Sized>(&self, env: &mut E) {
        let mut live: Vec<_> = self.tcp.live().collect();
        live.sort_by_key(|slot| slot.serial);
        for slot in live {
            env.tcp_closed(slot.endpoint(), &slot.conn);
        }
    }
}
