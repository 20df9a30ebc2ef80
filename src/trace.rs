//! Named trace points and the text trace writer.
//!
//! Every observable thing the simulator does is one of these typed records,
//! handed to the run's subscribers (`TraceSink`): the statistics (`stats`), the
//! packet captures (`capture`), the viewer (`view`) and the text trace, which
//! `--trace` writes as one line each, in a format that stays stable so traces can be snapshot-tested:
//!
//! ```text
//! TIME        NODE EVENT    [CHANNEL] pkt=UID PROTO SRC:PORT>DST:PORT ttl=T size=WIRE_BYTES len=PAYLOAD ...
//! 0.001228800 R1   receive  A->R1     pkt=0 udp 10.0.0.1:49152>10.0.0.2:9 ttl=64 size=1028 len=1000
//! ```
//! TIME is seconds with nanosecond precision. Socket calls appear as events named
//! after the call (`socket`, `bind`, `sendto`, `recvfrom`, `close`).

use crate::ids::{LinkId, NodeId};
use crate::net::Network;
use crate::net::link::ChannelId;
use crate::net::packet::{Packet, Transport};
use crate::sim::SimTime;
use crate::transport::tcp::{TcpConnection, TcpEvent, TcpState, TcpStats};
use crate::wire::ipv4::Ipv4Addr;
use crate::wire::tcp::TcpFlags;
use std::io::{self, Write};

pub use crate::net::packet::DropReason;

/// The queue of a packet record's channel when the record was made (what
/// was waiting, and whether the transmitter was busy).
#[derive(Clone, Copy, Debug, Default)]
pub struct QueueState {
    pub packets: usize,
    pub bytes: u64,
    pub busy: bool,
}

/// One packet record: what happened to which packet, where and when.
#[derive(Clone, Copy, Debug)]
pub struct PacketRecord<'a> {
    pub now: SimTime,
    pub node: NodeId,
    pub event: PacketEvent,
    pub packet: &'a Packet,
    pub queue: QueueState,
}

/// What happened to a packet, where.
#[derive(Clone, Copy, Debug)]
pub enum PacketEvent {
    /// Joined the queue of `channel` (the queue length is counted before it joined).
    Enqueue { channel: ChannelId },
    /// Serialization onto `channel` began.
    Transmit { channel: ChannelId },
    /// Arrived over `channel` at its far end.
    Receive { channel: ChannelId },
    /// Handed to the destination host's transport layer.
    Deliver,
    /// An AQM on `channel` set its ECN field to CE instead of dropping it.
    Mark { channel: ChannelId },
    Drop {
        channel: Option<ChannelId>,
        reason: DropReason,
    },
}

/// A TCP connection's final figures and state, as `TraceSink::tcp_closed`
/// reports them.
#[derive(Clone, Debug)]
pub struct TcpFinal {
    pub stats: TcpStats,
    pub state: TcpState,
}

impl TcpFinal {
    pub fn of(conn: &TcpConnection) -> TcpFinal {
        TcpFinal {
            stats: conn.stats(),
            state: conn.state(),
        }
    }
}

/// A socket call made by an application, as the trace shows it.
#[derive(Clone, Copy, Debug)]
pub enum SocketCall {
    Socket {
        sock: u32,
        kind: &'static str,
    },
    Bind {
        sock: u32,
        port: u16,
    },
    SendTo {
        sock: u32,
        to: Ipv4Addr,
        port: u16,
        len: u32,
    },
    RecvFrom {
        sock: u32,
        from: Ipv4Addr,
        port: u16,
        len: u32,
    },
    Listen {
        sock: u32,
        backlog: u32,
    },
    Accept {
        sock: u32,
        new: u32,
        from: Ipv4Addr,
        port: u16,
    },
    Connect {
        sock: u32,
        to: Ipv4Addr,
        port: u16,
    },
    /// `oob`: sent with MSG_OOB (the last byte accepted is urgent).
    Send {
        sock: u32,
        len: u64,
        accepted: u64,
        oob: bool,
    },
    /// `oob`: recv with MSG_OOB returned the urgent byte at this stream offset.
    Recv {
        sock: u32,
        len: u64,
        oob: Option<u64>,
    },
    Shutdown {
        sock: u32,
    },
    Close {
        sock: u32,
    },
}

/// What an application did with its flow's bytes (the flow figures count
/// these; the packets' own records count the network's side).
#[derive(Clone, Copy, Debug)]
pub enum FlowRecord {
    /// One UDP or Unix-domain datagram of `bytes` handed to a socket.
    DatagramSent { flow: u32, bytes: u32 },
    /// `bytes` written into a stream socket.
    StreamWritten { flow: u32, bytes: u64 },
    /// `bytes` read from a stream socket (0: the end of the stream).
    StreamRead { flow: u32, bytes: u64 },
    /// One Unix-domain datagram of `bytes` read.
    DatagramRead { flow: u32, bytes: u64 },
}

/// The connection a TCP trace record is about, named as the trace names it.
#[derive(Clone, Copy, Debug)]
pub struct ConnRef<'a> {
    /// The connection's number in the run: 0, 1, 2, … in the order they opened.
    pub serial: u32,
    /// The flow it carries (`NO_FLOW` for none).
    pub flow: u32,
    pub node: NodeId,
    pub node_name: &'a str,
    pub local: Ipv4Addr,
    pub local_port: u16,
    pub remote: Ipv4Addr,
    pub remote_port: u16,
}

impl std::fmt::Display for ConnRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}>{}:{}",
            self.local, self.local_port, self.remote, self.remote_port
        )
    }
}

/// One subscriber to the run's trace records: the statistics, the captures,
/// the viewer, the text trace. Records arrive in event order; the defaults
/// ignore what a subscriber has no use for (or, for the records that read as
/// a line of text, hand it to `note`).
pub trait TraceSink {
    fn packet(&mut self, record: &PacketRecord, net: &Network);
    /// A socket call (the text trace and the viewer show them).
    fn call(&mut self, _now: SimTime, _node: NodeId, _node_name: &str, _call: SocketCall) {}
    /// Anything without a typed record of its own: `TIME SUBJECT EVENT DETAIL`.
    fn note(&mut self, _now: SimTime, _subject: &str, _event: &str, _detail: &str) {}
    /// Something a TCP connection reported.
    fn tcp(&mut self, _now: SimTime, _conn: &ConnRef, _event: &TcpEvent) {}
    /// A TCP connection was created (by `connect`, or by a SYN a listener took).
    fn tcp_opened(&mut self, _now: SimTime, _conn: &ConnRef, _client: bool) {}
    /// A TCP connection is gone (closed, or the run ended): its final state.
    fn tcp_closed(&mut self, _now: SimTime, _conn: &ConnRef, _last: &TcpFinal) {}
    /// An application moved bytes of its flow through a socket.
    fn flow(&mut self, _now: SimTime, _record: FlowRecord) {}
    /// `waiting` packets are queued on `channel` after an enqueue.
    fn queue(&mut self, _now: SimTime, _channel: ChannelId, _waiting: usize) {}
    /// A failure took `subject` (a `what`: "link", "node") down, or its repair
    /// brought it up.
    fn element(&mut self, now: SimTime, what: &str, subject: &str, down: bool) {
        let event = format!("{what}-{}", if down { "down" } else { "up" });
        self.note(now, subject, &event, "");
    }
    /// The routers switched to recomputed routes (`detail`: what is down).
    fn routes_updated(&mut self, now: SimTime, detail: &str) {
        self.note(now, "-", "routes-updated", detail);
    }
    /// Link `link` (both directions) failed or came back.
    fn link_state(&mut self, _now: SimTime, _link: LinkId, _down: bool) {}
    /// Circuit switching: what link `link` has reserved now (`held`
    /// circuits, `reserved` of `limit` channels or bit/s).
    fn reservation(&mut self, _now: SimTime, _link: u32, _held: u32, _reserved: u64, _limit: u64) {}
    /// The run is over: write out what is buffered, report the first error.
    fn finish(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// The subscribers of one run, fed in the order they were added.
#[derive(Default)]
pub struct Tracer {
    sinks: Vec<Box<dyn TraceSink>>,
}

impl Tracer {
    pub fn new(sinks: Vec<Box<dyn TraceSink>>) -> Option<Tracer> {
        (!sinks.is_empty()).then_some(Tracer { sinks })
    }
}

impl PacketEvent {
    /// The channel the record concerns, if any.
    pub fn channel(self) -> Option<ChannelId> {
        match self {
            PacketEvent::Enqueue { channel }
            | PacketEvent::Transmit { channel }
            | PacketEvent::Receive { channel }
            | PacketEvent::Mark { channel } => Some(channel),
            PacketEvent::Drop { channel, .. } => channel,
            PacketEvent::Deliver => None,
        }
    }
}

impl TraceSink for Tracer {
    fn packet(&mut self, record: &PacketRecord, net: &Network) {
        for s in &mut self.sinks {
            s.packet(record, net);
        }
    }

    fn call(&mut self, now: SimTime, node: NodeId, node_name: &str, call: SocketCall) {
        for s in &mut self.sinks {
            s.call(now, node, node_name, call);
        }
    }

    fn note(&mut self, now: SimTime, subject: &str, event: &str, detail: &str) {
        for s in &mut self.sinks {
            s.note(now, subject, event, detail);
        }
    }

    fn tcp(&mut self, now: SimTime, conn: &ConnRef, event: &TcpEvent) {
        for s in &mut self.sinks {
            s.tcp(now, conn, event);
        }
    }

    fn tcp_opened(&mut self, now: SimTime, conn: &ConnRef, client: bool) {
        for s in &mut self.sinks {
            s.tcp_opened(now, conn, client);
        }
    }

    fn tcp_closed(&mut self, now: SimTime, conn: &ConnRef, last: &TcpFinal) {
        for s in &mut self.sinks {
            s.tcp_closed(now, conn, last);
        }
    }

    fn flow(&mut self, now: SimTime, record: FlowRecord) {
        for s in &mut self.sinks {
            s.flow(now, record);
        }
    }

    fn queue(&mut self, now: SimTime, channel: ChannelId, waiting: usize) {
        for s in &mut self.sinks {
            s.queue(now, channel, waiting);
        }
    }

    fn element(&mut self, now: SimTime, what: &str, subject: &str, down: bool) {
        for s in &mut self.sinks {
            s.element(now, what, subject, down);
        }
    }

    fn routes_updated(&mut self, now: SimTime, detail: &str) {
        for s in &mut self.sinks {
            s.routes_updated(now, detail);
        }
    }

    fn link_state(&mut self, now: SimTime, link: LinkId, down: bool) {
        for s in &mut self.sinks {
            s.link_state(now, link, down);
        }
    }

    fn reservation(&mut self, now: SimTime, link: u32, held: u32, reserved: u64, limit: u64) {
        for s in &mut self.sinks {
            s.reservation(now, link, held, reserved, limit);
        }
    }

    /// Finishes every subscriber; the first error wins.
    fn finish(&mut self) -> io::Result<()> {
        let mut first = Ok(());
        for s in &mut self.sinks {
            let r = s.finish();
            if first.is_ok() {
                first = r;
            }
        }
        first
    }
}

/// Writes trace lines to a sink; write errors are kept and reported at the end
/// rather than aborting the simulation mid-event.
pub struct TraceWriter {
    out: io::BufWriter<Box<dyn Write>>,
    error: Option<io::Error>,
    line: String,
}

impl TraceWriter {
    pub fn new(sink: Box<dyn Write>) -> Self {
        TraceWriter {
            out: io::BufWriter::with_capacity(1 << 16, sink),
            error: None,
            line: String::with_capacity(256),
        }
    }

    fn flush_line(&mut self) {
        if self.error.is_none() {
            if let Err(e) = self.out.write_all(self.line.as_bytes()) {
                self.error = Some(e);
            }
        }
    }
}

impl TraceSink for TraceWriter {
    fn packet(&mut self, record: &PacketRecord, net: &Network) {
        let PacketRecord {
            now,
            node,
            event,
            packet: p,
            queue,
            ..
        } = *record;
        use std::fmt::Write as _;
        let l = &mut self.line;
        l.clear();
        let _ = write!(l, "{now} {} ", net.node_name(node));
        let _ = match event {
            PacketEvent::Enqueue { channel } => {
                let (pk, by) = (queue.packets, queue.bytes);
                write!(l, "enqueue {} q={pk}p/{by}B ", net.channel_name(channel))
            }
            PacketEvent::Transmit { channel } => {
                write!(l, "transmit {} ", net.channel_name(channel))
            }
            PacketEvent::Receive { channel } => write!(l, "receive {} ", net.channel_name(channel)),
            PacketEvent::Deliver => write!(l, "deliver "),
            PacketEvent::Mark { channel } => write!(l, "ecn-mark {} ", net.channel_name(channel)),
            PacketEvent::Drop {
                channel: Some(c),
                reason,
            } => write!(l, "drop {} reason={} ", net.channel_name(c), reason.name()),
            PacketEvent::Drop {
                channel: None,
                reason,
            } => write!(l, "drop reason={} ", reason.name()),
        };
        describe_packet(l, p);
        if let PacketEvent::Deliver = event {
            let _ = write!(l, " delay={}", now - p.sent_at);
        }
        l.push('\n');
        self.flush_line();
    }

    fn call(&mut self, now: SimTime, _node: NodeId, node: &str, call: SocketCall) {
        use std::fmt::Write as _;
        let l = &mut self.line;
        l.clear();
        let _ = write!(l, "{now} {node} ");
        write_call(l, call);
        l.push('\n');
        self.flush_line();
    }

    /// A line about the network rather than a packet: `TIME SUBJECT EVENT DETAIL`.
    fn note(&mut self, now: SimTime, subject: &str, event: &str, detail: &str) {
        use std::fmt::Write as _;
        self.line.clear();
        let _ = write!(self.line, "{now} {subject} {event}");
        if !detail.is_empty() {
            let _ = write!(self.line, " {detail}");
        }
        self.line.push('\n');
        self.flush_line();
    }

    fn tcp(&mut self, now: SimTime, conn: &ConnRef, event: &TcpEvent) {
        let detail = match event {
            TcpEvent::StateChange { from, to } => ("tcp-state", format!("{conn} {from} -> {to}")),
            TcpEvent::Retransmit { seq, len, cause } => (
                "retransmit",
                format!("{conn} seq={seq} len={len} cause={cause}"),
            ),
            TcpEvent::TimerExpired { timer } => ("timer", format!("{conn} {timer} expired")),
            TcpEvent::Urgent { up } => ("urgent", format!("{conn} up={up}")),
            _ => return,
        };
        self.note(now, conn.node_name, detail.0, &detail.1);
    }

    /// Flushes the sink and reports the first write error, if any.
    fn finish(&mut self) -> io::Result<()> {
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        self.out.flush()
    }
}

/// `pkt=UID udp 10.0.0.1:49152>10.0.0.2:9 ttl=64 size=1028 len=1000` (+ TCP header fields).
fn describe_packet(l: &mut String, p: &Packet) {
    use std::fmt::Write as _;
    let (sp, dp) = p.ports();
    let _ = write!(
        l,
        "pkt={} {} {}:{sp}>{}:{dp} ttl={} size={}",
        p.uid,
        p.protocol_name(),
        p.src_addr,
        p.dst_addr,
        p.ttl,
        p.wire_len()
    );
    if p.ecn.capable() {
        let _ = write!(l, " ecn={}", p.ecn.name());
    }
    let _ = match &p.transport {
        Transport::Udp(u) => write!(l, " len={}", u.payload_len),
        Transport::Tcp(t) => {
            let _ = write!(
                l,
                " flags={} seq={} ack={} win={} len={}",
                t.flags, t.seq, t.ack, t.window, t.payload_len
            );
            if t.flags.contains(TcpFlags::URG) {
                let _ = write!(l, " urg={}", t.urgent);
            }
            write_tcp_options(l, &t.options);
            Ok(())
        }
    };
}

/// `send sock=3 len=1000 accepted=1000`: a socket call as the trace writes it.
pub fn write_call(l: &mut String, call: SocketCall) {
    use std::fmt::Write as _;
    let _ = match call {
        SocketCall::Socket { sock, kind } => write!(l, "socket sock={sock} type={kind}"),
        SocketCall::Bind { sock, port } => write!(l, "bind sock={sock} port={port}"),
        SocketCall::SendTo {
            sock,
            to,
            port,
            len,
        } => write!(l, "sendto sock={sock} to={to}:{port} len={len}"),
        SocketCall::RecvFrom {
            sock,
            from,
            port,
            len,
        } => write!(l, "recvfrom sock={sock} from={from}:{port} len={len}"),
        SocketCall::Listen { sock, backlog } => {
            write!(l, "listen sock={sock} backlog={backlog}")
        }
        SocketCall::Accept {
            sock,
            new,
            from,
            port,
        } => write!(l, "accept sock={sock} new={new} from={from}:{port}"),
        SocketCall::Connect { sock, to, port } => {
            write!(l, "connect sock={sock} to={to}:{port}")
        }
        SocketCall::Send {
            sock,
            len,
            accepted,
            oob,
        } => {
            let oob = if oob { " oob" } else { "" };
            write!(l, "send sock={sock} len={len} accepted={accepted}{oob}")
        }
        SocketCall::Recv { sock, len, oob } => match oob {
            Some(at) => write!(l, "recv sock={sock} len={len} oob offset={at}"),
            None => write!(l, "recv sock={sock} len={len}"),
        },
        SocketCall::Shutdown { sock } => write!(l, "shutdown sock={sock} how=write"),
        SocketCall::Close { sock } => write!(l, "close sock={sock}"),
    };
}

/// ` mss=1460 wscale=7 sackok sack=L-R ts=V,E`: the options the trace shows.
pub fn write_tcp_options(l: &mut String, o: &crate::wire::tcp::TcpOptions) {
    use std::fmt::Write as _;
    if let Some(mss) = o.mss {
        let _ = write!(l, " mss={mss}");
    }
    if let Some(ws) = o.window_scale {
        let _ = write!(l, " wscale={ws}");
    }
    if o.sack_permitted {
        l.push_str(" sackok");
    }
    for (left, right) in o.sack() {
        let _ = write!(l, " sack={left}-{right}");
    }
    if let Some((val, ecr)) = o.timestamps {
        let _ = write!(l, " ts={val},{ecr}");
    }
}
