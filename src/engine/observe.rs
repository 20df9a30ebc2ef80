//! The run's one observation path: every trace record the engine or a stack
//! emits goes to `Observers`, which hands it to each subscriber — the
//! statistics (always), the packet captures and the trace's subscribers (text
//! trace, viewer) when enabled. No figure has another way in.

use crate::capture::Capture;
use crate::ids::{LinkId, NodeId};
use crate::net::Network;
use crate::net::link::ChannelId;
use crate::net::packet::Packet;
use crate::sim::SimTime;
use crate::stats::Collector;
use crate::trace::{ConnRef, FlowRecord, PacketEvent, SocketCall, TraceSink, Tracer};
use crate::transport::tcp::{TcpConnection, TcpEvent};

/// The subscribers of one run. The statistics and the captures are held by
/// type (no dynamic call on the hot path); the rest sit in the `Tracer`.
pub(crate) struct Observers {
    pub stats: Collector,
    pub capture: Option<Capture>,
    pub trace: Option<Tracer>,
}

impl Observers {
    /// Whether a packet record of this kind is read by anybody: the statistics
    /// read deliveries and drops only, so an untraced hop costs nothing.
    #[inline]
    pub fn wants(&self, event: PacketEvent) -> bool {
        self.trace.is_some() || self.capture.is_some() || Collector::counts(event)
    }

    /// Whether anybody reads this TCP record (the statistics read the
    /// congestion samples and handshakes only).
    #[inline]
    pub fn wants_tcp(&self, event: &TcpEvent) -> bool {
        self.trace.is_some() || Collector::counts_tcp(event)
    }

    /// Whether anybody reads the records that exist for the trace only
    /// (socket calls, notes), so that they are built only then.
    #[inline]
    pub fn tracing(&self) -> bool {
        self.trace.is_some()
    }
}

impl TraceSink for Observers {
    fn packet(
        &mut self,
        now: SimTime,
        node: NodeId,
        event: PacketEvent,
        p: &Packet,
        net: &Network,
    ) {
        self.stats.packet(now, node, event, p, net);
        if let Some(c) = &mut self.capture {
            c.packet(now, node, event, p, net);
        }
        if let Some(t) = &mut self.trace {
            t.packet(now, node, event, p, net);
        }
    }

    fn call(&mut self, now: SimTime, node: NodeId, node_name: &str, call: SocketCall) {
        if let Some(t) = &mut self.trace {
            t.call(now, node, node_name, call);
        }
    }

    fn note(&mut self, now: SimTime, subject: &str, event: &str, detail: &str) {
        if let Some(t) = &mut self.trace {
            t.note(now, subject, event, detail);
        }
    }

    fn tcp(&mut self, now: SimTime, conn: &ConnRef, event: &TcpEvent) {
        self.stats.tcp(now, conn, event);
        if let Some(t) = &mut self.trace {
            t.tcp(now, conn, event);
        }
    }

    fn tcp_opened(&mut self, now: SimTime, conn: &ConnRef, client: bool) {
        self.stats.tcp_opened(now, conn, client);
        if let Some(t) = &mut self.trace {
            t.tcp_opened(now, conn, client);
        }
    }

    fn tcp_closed(&mut self, now: SimTime, conn: &ConnRef, last: &TcpConnection) {
        self.stats.tcp_closed(now, conn, last);
        if let Some(t) = &mut self.trace {
            t.tcp_closed(now, conn, last);
        }
    }

    fn flow(&mut self, now: SimTime, record: FlowRecord) {
        self.stats.flow(now, record);
        if let Some(t) = &mut self.trace {
            t.flow(now, record);
        }
    }

    fn queue(&mut self, now: SimTime, channel: ChannelId, waiting: usize) {
        self.stats.queue(now, channel, waiting);
        if let Some(t) = &mut self.trace {
            t.queue(now, channel, waiting);
        }
    }

    fn element(&mut self, now: SimTime, what: &str, subject: &str, down: bool) {
        self.stats.element(now, what, subject, down);
        if let Some(t) = &mut self.trace {
            t.element(now, what, subject, down);
        }
    }

    fn routes_updated(&mut self, now: SimTime, detail: &str) {
        self.stats.routes_updated(now, detail);
        if let Some(t) = &mut self.trace {
            t.routes_updated(now, detail);
        }
    }

    fn link_state(&mut self, now: SimTime, link: LinkId, down: bool) {
        if let Some(t) = &mut self.trace {
            t.link_state(now, link, down);
        }
    }
}
