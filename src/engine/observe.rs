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
use crate::stack::Endpoint;
use crate::stats::Collector;
use crate::trace::{
    ConnRef, FlowRecord, PacketEvent, PacketRecord, QueueState, SocketCall, TcpFinal, TraceSink,
    Tracer,
};
use crate::transport::tcp::TcpEvent;

/// The subscribers of one run. The statistics and the captures are held by
/// type (no dynamic call on the hot path); the rest sit in the `Tracer`.
pub(crate) struct Observers {
    pub stats: Collector,
    pub capture: Option<Capture>,
    pub trace: Option<Tracer>,
    /// Set in a part of a parallel run: the records go here instead, for the
    /// run's one set of subscribers to read in order (see `parallel`).
    pub log: Option<Box<Log>>,
}

/// Where a record sits in the run's order: its event's time and tie, then its
/// step within the event. The step is 0 but for the events every part of a
/// parallel run processes (failures, detection, reconvergence), whose records
/// several parts make: it orders those as the sequential run made them.
pub(crate) type Key = (SimTime, u64, u32);

/// The records a part of a parallel run made, each under its event's key.
pub(crate) struct Log {
    /// The key of the event being processed.
    pub key: Key,
    pub entries: Vec<(Key, Record)>,
    /// Whether the run's subscribers include a trace (`Observers::tracing`)
    /// or captures.
    pub tracing: bool,
    pub capturing: bool,
}

impl Log {
    pub fn new(tracing: bool, capturing: bool) -> Log {
        Log {
            key: (SimTime::ZERO, 0, 0),
            entries: Vec::new(),
            tracing,
            capturing,
        }
    }

    #[inline]
    pub fn push(&mut self, record: Record) {
        self.entries.push((self.key, record));
    }
}

/// A trace record, owning what it names (a part's packets and connections
/// are gone by the time the record is read).
pub(crate) enum Record {
    Packet {
        node: NodeId,
        event: PacketEvent,
        packet: Packet,
        queue: QueueState,
    },
    Queue {
        channel: ChannelId,
        waiting: usize,
    },
    Call {
        node: NodeId,
        call: SocketCall,
    },
    Note {
        node: NodeId,
        event: String,
        detail: String,
    },
    Tcp {
        end: Endpoint,
        event: TcpEvent,
    },
    TcpOpened {
        end: Endpoint,
        client: bool,
    },
    TcpClosed {
        end: Endpoint,
        last: Box<TcpFinal>,
    },
    Flow(FlowRecord),
    Element {
        what: &'static str,
        subject: String,
        down: bool,
    },
    LinkState {
        link: LinkId,
        down: bool,
    },
    RoutesUpdated {
        detail: String,
    },
}

impl Observers {
    /// Whether a packet record of this kind is read by anybody: the statistics
    /// read deliveries and drops only, so an untraced hop costs nothing.
    #[inline]
    pub fn wants(&self, event: PacketEvent) -> bool {
        self.tracing() || self.capturing() || Collector::counts(event)
    }

    #[inline]
    fn capturing(&self) -> bool {
        self.capture.is_some() || self.log.as_ref().is_some_and(|l| l.capturing)
    }

    /// Whether anybody reads this TCP record (the statistics read the
    /// congestion samples and handshakes only).
    #[inline]
    pub fn wants_tcp(&self, event: &TcpEvent) -> bool {
        self.tracing() || Collector::counts_tcp(event)
    }

    /// Whether anybody reads the records that exist for the trace only
    /// (socket calls, notes), so that they are built only then.
    #[inline]
    pub fn tracing(&self) -> bool {
        self.trace.is_some() || self.log.as_ref().is_some_and(|l| l.tracing)
    }
}

impl TraceSink for Observers {
    fn packet(&mut self, record: &PacketRecord, net: &Network) {
        self.stats.packet(record, net);
        if let Some(c) = &mut self.capture {
            c.packet(record, net);
        }
        if let Some(t) = &mut self.trace {
            t.packet(record, net);
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

    fn tcp_closed(&mut self, now: SimTime, conn: &ConnRef, last: &TcpFinal) {
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
