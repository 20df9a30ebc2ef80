//! Applications: traffic sources and sinks written against the socket API.
//!
//! An application is event-driven: it is started once, woken by timers it sets,
//! and told when one of its sockets is readable. Everything it does to the
//! network goes through the socket calls on `Ctx`.

pub mod calls;
mod exchange;
pub mod local;
pub mod sink;
pub mod tcp;
pub mod udp_source;

use crate::engine::World;
use crate::sim::SimTime;
use crate::socket::{SocketError, SocketId};
use crate::trace::SocketCall;

pub trait App {
    /// Called once, at time zero.
    fn start(&mut self, ctx: &mut Ctx);
    /// A timer set with `Ctx::wake_at` fired.
    fn wake(&mut self, _ctx: &mut Ctx, _token: u64) {}
    /// `sock` has data waiting (`recvfrom`/`recv` will return it), a listening
    /// socket has a connection to `accept`, or the peer closed or reset.
    fn readable(&mut self, _ctx: &mut Ctx, _sock: SocketId) {}
    /// A stream socket's send buffer has room again.
    fn writable(&mut self, _ctx: &mut Ctx, _sock: SocketId) {}
    /// The peer of a stream socket announced urgent data (BSD's SIGURG); the
    /// byte may still be on its way (`recv_urgent` says WouldBlock until then).
    fn urgent(&mut self, _ctx: &mut Ctx, _sock: SocketId) {}
    /// A `connect` finished: established, refused or timed out.
    fn connected(&mut self, _ctx: &mut Ctx, _sock: SocketId, _result: Result<(), SocketError>) {}
}

/// What an application sees of the world while one of its handlers runs.
pub struct Ctx<'w> {
    pub(crate) world: &'w mut World,
    pub(crate) app: u32,
    pub(crate) node: u32,
    /// The flow this application's sockets send for (statistics only).
    pub(crate) flow: u32,
    /// IP TTL of the datagrams it sends.
    pub(crate) ttl: u8,
}

impl Ctx<'_> {
    pub fn now(&self) -> SimTime {
        self.world.now
    }

    /// Calls `App::wake(token)` at time `at` (not before now).
    pub fn wake_at(&mut self, at: SimTime, token: u64) {
        let at = at.max(self.world.now);
        self.world.schedule_wake(at, self.app, token);
    }

    /// Statistics: this application offered `bytes` of its flow to the network.
    pub fn flow_sent(&mut self, bytes: u64) {
        self.world.stats.sent_stream(self.flow, bytes);
    }

    /// Statistics: this application received `bytes` of its flow (the flow's
    /// goodput and completion time count these).
    pub fn flow_received(&mut self, bytes: u64) {
        self.world
            .stats
            .received_stream(self.flow, self.world.now, bytes);
    }

    pub(crate) fn trace_call(&mut self, call: SocketCall) {
        self.world.trace_call(self.node, call);
    }

    /// The stream offset of the next `len` bytes this application sends.
    pub(crate) fn next_payload_origin(&mut self, len: u64) -> u64 {
        let offset = &mut self.world.app_stream_offsets[self.app as usize];
        let origin = *offset;
        *offset += len;
        origin
    }
}
