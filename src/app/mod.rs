//! Applications: traffic sources and sinks written against the socket API.
//!
//! An application is event-driven: it is started once, woken by timers it sets,
//! and told when one of its sockets is readable. Everything it does to the
//! network goes through the socket calls on `Ctx`, which reaches its own
//! host's stack and nothing else.

pub mod calls;
mod exchange;
pub mod local;
pub mod sink;
pub mod tcp;
pub mod udp_source;

pub use crate::stack::Ctx;
use crate::stack::{SocketError, SocketId};

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
