//! What an application sees while one of its handlers runs: the socket calls
//! of its own host, the clock and a timer. Nothing else of the world.

use super::{Env, Stack};
use crate::ids::{AppId, NodeId};
use crate::sim::SimTime;
use crate::trace::{FlowRecord, SocketCall};

/// An application's handle on its host's stack. The socket calls are methods
/// on it (see `socket`, `stream`, `local::calls`).
pub struct Ctx<'a> {
    pub(super) stack: &'a mut Stack,
    pub(super) env: &'a mut dyn Env,
    pub(super) app: AppId,
    pub(super) node: NodeId,
    /// The flow this application's sockets send for (statistics only).
    pub(super) flow: u32,
    /// IP TTL of the datagrams it sends.
    pub(super) ttl: u8,
}

impl<'a> Ctx<'a> {
    /// The context of application `app` on host `node`, sending for `flow`.
    pub fn new(
        stack: &'a mut Stack,
        env: &'a mut dyn Env,
        app: AppId,
        node: NodeId,
        flow: u32,
        ttl: u8,
    ) -> Self {
        Ctx {
            stack,
            env,
            app,
            node,
            flow,
            ttl,
        }
    }

    pub fn now(&self) -> SimTime {
        self.env.now()
    }

    /// Calls `App::wake(token)` at time `at` (not before now).
    pub fn wake_at(&mut self, at: SimTime, token: u64) {
        let at = at.max(self.env.now());
        self.env.wake_app(at, self.app, token);
    }

    /// Statistics: this application offered `bytes` of its flow to the network.
    pub fn flow_sent(&mut self, bytes: u64) {
        let flow = self.flow;
        self.env.flow(FlowRecord::StreamWritten { flow, bytes });
    }

    /// Statistics: this application received `bytes` of its flow (the flow's
    /// goodput and completion time count these).
    pub fn flow_received(&mut self, bytes: u64) {
        let flow = self.flow;
        self.env.flow(FlowRecord::StreamRead { flow, bytes });
    }

    /// Statistics: one datagram of `len` bytes of this application's flow
    /// sent (over a Unix-domain socket; UDP's `sendto` counts its own).
    pub fn flow_sent_datagram(&mut self, len: u64) {
        let bytes = u32::try_from(len).unwrap_or(u32::MAX);
        let flow = self.flow;
        self.env.flow(FlowRecord::DatagramSent { flow, bytes });
    }

    /// Statistics: one datagram of `len` bytes of this application's flow read.
    pub fn flow_received_datagram(&mut self, len: u64) {
        let flow = self.flow;
        self.env.flow(FlowRecord::DatagramRead { flow, bytes: len });
    }

    pub(super) fn trace_call(&mut self, call: SocketCall) {
        self.env.call(self.node, call);
    }

    /// The stream offset of the next `len` bytes this application sends.
    pub(super) fn next_payload_origin(&mut self, len: u64) -> u64 {
        let offset = &mut self.stack.stream_offsets[self.app.index()];
        let origin = *offset;
        *offset += len;
        origin
    }
}
