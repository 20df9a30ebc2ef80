//! Statistics, computed from the trace points and nothing else.
//!
//! `Collector` is a subscriber to the run's typed trace records (`TraceSink`),
//! like the trace writer, and sees nothing else; at the end of a run
//! `Collector::report` turns its counters into a `Report`: the figures of
//! `summary.txt`, `stats.json` and the CSV files. All figures are deterministic
//! (integer nanoseconds internally; floats only in the final report).

use crate::net::Network;
use crate::net::link::ChannelId;
use crate::net::packet::{NO_FLOW, Packet, Transport};
use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::sim::chunked::ChunkedVec;
use crate::trace::{
    ConnRef, DropReason, FlowRecord, PacketEvent, PacketRecord, TcpFinal, TraceSink,
};
use crate::transport::tcp::{OptTime, TcpEvent};
use serde::Serialize;

pub mod segments;
pub mod tcp;
pub mod timeline;

pub use tcp::{CongestionSample, TcpConnReport};
use tcp::{ConnRecord, LoggedSample};

use timeline::Outage;
pub use timeline::{Bins, OutageReport, Timeline};

const REASONS: usize = DropReason::ALL.len();

#[derive(Clone, Debug, Default)]
struct FlowCounters {
    sent_packets: u64,
    sent_bytes: u64,
    received_packets: u64,
    received_bytes: u64,
    lost_packets: u64,
    lost_bytes: u64,
    lost_by_reason: [u64; REASONS],
    lost_bytes_by_reason: [u64; REASONS],
    /// One-way delay of each delivered packet, ns (sorted at the end for percentiles).
    delays: Vec<u64>,
    /// When a stream application last read data.
    last_stream_read: Option<SimTime>,
    /// Sum of |delay(i) - delay(i-1)| over consecutive deliveries, ns, and the previous delay.
    delay_variation_sum: u128,
    last_delay: Option<u64>,
    /// Packets delivered (both directions, TCP segments too), and those of
    /// them that arrived after a packet sent later in the same direction.
    arrivals: u64,
    reordered: u64,
    /// Per direction (source below / above destination): the latest-sent
    /// packet delivered so far, by creation order.
    latest_sent: [Option<u64>; 2],
}

impl FlowCounters {
    /// A packet of this flow reached its destination: was it overtaken?
    fn arrived(&mut self, p: &Packet) {
        self.arrivals += 1;
        let latest = &mut self.latest_sent[usize::from(p.src > p.dst)];
        match *latest {
            Some(uid) if p.uid < uid => self.reordered += 1,
            _ => *latest = Some(p.uid),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct ChannelDrops {
    by_reason: [u64; REASONS],
}

/// Accumulates counters from trace records during a run.
pub struct Collector {
    flows: Vec<FlowCounters>,
    channel_drops: Vec<ChannelDrops>,
    /// Drops not on a channel (at a host or router), by reason.
    node_drops: [u64; REASONS],
    timeline: Timeline,
    connections: ChunkedVec<ConnRecord>,
    congestion: ChunkedVec<LoggedSample>,
    segments: segments::SegmentLog,
}

impl Collector {
    pub fn new(duration: SimTime, flows: usize, channels: usize) -> Self {
        Collector {
            flows: vec![FlowCounters::default(); flows],
            channel_drops: vec![ChannelDrops::default(); channels],
            node_drops: [0; REASONS],
            timeline: Timeline::new(duration, flows, channels),
            connections: ChunkedVec::new(),
            congestion: ChunkedVec::new(),
            segments: segments::SegmentLog::default(),
        }
    }

    /// Keep the segment log (ladder and sequence plots) of this TCP flow.
    pub fn watch_segments(&mut self, flow: Option<u32>) {
        self.segments = segments::SegmentLog::watching(flow);
    }

    /// The application of `flow` read `bytes` from a stream socket.
    fn stream_read(&mut self, flow: u32, now: SimTime, bytes: u64) {
        // Reading nothing (an end of stream) is not a delivery: it must not
        // move the completion time.
        if bytes == 0 {
            return;
        }
        if let Some(f) = self.flows.get_mut(flow as usize) {
            f.received_bytes += bytes;
            f.last_stream_read = Some(now);
        }
        self.timeline.add_delivered(flow, now, bytes);
    }

    /// Whether `packet` does anything with this kind of trace point (only
    /// deliveries and drops count; the hops between are the trace's).
    pub fn counts(event: PacketEvent) -> bool {
        matches!(event, PacketEvent::Deliver | PacketEvent::Drop { .. })
    }

    /// Whether a TCP record does anything here (cwnd/RTO samples and
    /// handshakes; the rest is the trace's).
    pub fn counts_tcp(event: &TcpEvent) -> bool {
        matches!(event, TcpEvent::Congestion { .. } | TcpEvent::Connected)
    }

    fn count_packet(&mut self, now: SimTime, event: PacketEvent, p: &Packet) {
        match event {
            // TCP flows count what their applications read (`StreamRead`),
            // not segments.
            PacketEvent::Deliver if matches!(p.transport, Transport::Tcp(_)) => {
                self.segments.record(p, Some(now));
                if let Some(f) = self.flow(p) {
                    f.arrived(p);
                }
            }
            PacketEvent::Deliver => {
                self.timeline
                    .add_delivered(p.flow, now, u64::from(p.payload_len()));
                if let Some(f) = self.flow(p) {
                    let delay = (now - p.sent_at).as_nanos();
                    f.received_packets += 1;
                    f.received_bytes += u64::from(p.payload_len());
                    f.arrived(p);
                    f.delays.push(delay);
                    if let Some(prev) = f.last_delay {
                        f.delay_variation_sum += u128::from(delay.abs_diff(prev));
                    }
                    f.last_delay = Some(delay);
                }
            }
            PacketEvent::Drop { channel, reason } => {
                self.segments.record(p, None);
                let bin = self.timeline.bins.index(now);
                self.timeline.drops[bin][reason.index()] += 1;
                if let Some(losses) = self.timeline.losses.get_mut(p.flow as usize) {
                    losses.push((now, p.payload_len()));
                }
                match channel {
                    Some(c) => self.channel_drops[c.index()].by_reason[reason.index()] += 1,
                    None => self.node_drops[reason.index()] += 1,
                }
                if let Some(f) = self.flow(p) {
                    f.lost_packets += 1;
                    f.lost_bytes += u64::from(p.payload_len());
                    f.lost_by_reason[reason.index()] += 1;
                    f.lost_bytes_by_reason[reason.index()] += u64::from(p.payload_len());
                }
            }
            PacketEvent::Enqueue { .. }
            | PacketEvent::Mark { .. }
            | PacketEvent::Transmit { .. }
            | PacketEvent::Receive { .. } => {}
        }
    }

    fn flow(&mut self, p: &Packet) -> Option<&mut FlowCounters> {
        if p.flow == NO_FLOW {
            None
        } else {
            self.flows.get_mut(p.flow as usize)
        }
    }

    /// The figures of a finished run.
    pub fn report(mut self, sc: &Scenario, net: &Network, events: u64) -> Report {
        self.timeline.finish();
        let duration = sc.duration;
        let flows = sc
            .flows
            .iter()
            .zip(self.flows.iter_mut())
            .map(|(spec, f)| {
                f.delays.sort_unstable();
                let active = (spec.stop.min(duration) - spec.start).as_secs_f64();
                let in_flight = f
                    .sent_packets
                    .saturating_sub(f.received_packets + f.lost_packets);
                let completion_s = match (spec.bytes, f.last_stream_read) {
                    (Some(total), Some(t)) if f.received_bytes >= total => {
                        Some((t - spec.start).as_secs_f64())
                    }
                    _ => None,
                };
                FlowReport {
                    name: spec.name.clone(),
                    protocol: spec.protocol().name().into(),
                    completion_s,
                    from: sc.nodes[spec.from].name.clone(),
                    to: match spec.local() {
                        Some(l) => format!("{}:{}", sc.nodes[spec.to].name, l.path),
                        None => format!("{}:{}", sc.nodes[spec.to].name, spec.dst_port),
                    },
                    sent_packets: f.sent_packets,
                    sent_bytes: f.sent_bytes,
                    received_packets: f.received_packets,
                    received_bytes: f.received_bytes,
                    lost_packets: f.lost_packets,
                    lost_bytes: f.lost_bytes,
                    in_flight_packets: in_flight,
                    loss_percent: percent(f.lost_packets, f.sent_packets),
                    lost_by_reason: reasons(&f.lost_by_reason),
                    lost_bytes_by_reason: reasons(&f.lost_bytes_by_reason),
                    throughput_bps: if let Some(c) = completion_s.filter(|c| *c > 0.0) {
                        f.received_bytes as f64 * 8.0 / c
                    } else if active > 0.0 {
                        f.received_bytes as f64 * 8.0 / active
                    } else {
                        0.0
                    },
                    delay: DelayReport::from_sorted(&f.delays),
                    reordered_packets: f.reordered,
                    reordered_percent: percent(f.reordered, f.arrivals),
                    jitter_ms: if f.delays.len() > 1 {
                        f.delay_variation_sum as f64 / (f.delays.len() - 1) as f64 / 1e6
                    } else {
                        0.0
                    },
                }
            })
            .collect();
        let links = net
            .channels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let drops = &self.channel_drops[i].by_reason;
                LinkReport {
                    name: net.channel_name(ChannelId(i as u32)).to_string(),
                    bandwidth_bps: c.bandwidth.0,
                    delay_ms: c.delay.as_nanos() as f64 / 1e6,
                    tx_packets: c.counters.tx_packets,
                    tx_bytes: c.counters.tx_bytes,
                    utilization: (c.counters.busy.as_secs_f64() / duration.as_secs_f64()).min(1.0),
                    drops: drops.iter().sum(),
                    drops_by_reason: reasons(drops),
                    peak_queue_packets: c.counters.peak_queue_packets,
                    peak_queue_bytes: c.counters.peak_queue_bytes,
                    mean_queue_delay_ms: match c.counters.dequeued {
                        0 => 0.0,
                        n => c.counters.sojourn_total.as_nanos() as f64 / n as f64 / 1e6,
                    },
                    aqm: c.discipline_name(),
                    ecn_marks: c.counters.ecn_marks,
                }
            })
            .collect();
        Report {
            scenario: sc.name.clone(),
            seed: sc.seed,
            duration_s: duration.as_secs_f64(),
            events,
            flows,
            links,
            node_drops: reasons(&self.node_drops),
            outages: self.timeline.outage_reports(
                &sc.flows.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
                sc.routing.detection + sc.routing.convergence,
                duration,
            ),
            tcp: self
                .connections
                .iter()
                .map(|c| {
                    c.report(
                        sc.flows
                            .get(c.flow as usize)
                            .map_or_else(String::new, |f| f.name.clone()),
                    )
                })
                .collect(),
            congestion: LoggedSample::per_connection(&self.congestion, self.connections.len()),
            segments: self.segments.sorted(),
            timeline: self.timeline,
        }
    }
}

impl TraceSink for Collector {
    #[inline]
    fn packet(&mut self, record: &PacketRecord, _net: &Network) {
        let PacketRecord {
            now,
            event,
            packet: p,
            ..
        } = *record;
        self.count_packet(now, event, p);
    }

    fn tcp(&mut self, now: SimTime, conn: &ConnRef, event: &TcpEvent) {
        match *event {
            TcpEvent::Congestion {
                cwnd,
                ssthresh,
                rto,
            } => self.congestion.push(LoggedSample {
                serial: conn.serial,
                cwnd,
                ssthresh,
                at: now,
                rto,
            }),
            TcpEvent::Connected => {
                self.connections[conn.serial as usize].established = OptTime::some(now)
            }
            _ => {}
        }
    }

    fn tcp_opened(&mut self, now: SimTime, conn: &ConnRef, client: bool) {
        debug_assert_eq!(conn.serial as usize, self.connections.len());
        self.connections
            .push(ConnRecord::new(conn.flow, client, now));
    }

    fn tcp_closed(&mut self, _now: SimTime, conn: &ConnRef, last: &TcpFinal) {
        self.connections[conn.serial as usize].close(last);
    }

    fn flow(&mut self, now: SimTime, record: FlowRecord) {
        match record {
            FlowRecord::DatagramSent { flow, bytes } => {
                if let Some(f) = self.flows.get_mut(flow as usize) {
                    f.sent_packets += 1;
                    f.sent_bytes += u64::from(bytes);
                }
            }
            FlowRecord::StreamWritten { flow, bytes } => {
                if let Some(f) = self.flows.get_mut(flow as usize) {
                    f.sent_bytes += bytes;
                }
            }
            FlowRecord::StreamRead { flow, bytes } => self.stream_read(flow, now, bytes),
            // Counted like stream bytes, and as a packet.
            FlowRecord::DatagramRead { flow, bytes } => {
                if let Some(f) = self.flows.get_mut(flow as usize) {
                    f.received_packets += 1;
                }
                self.stream_read(flow, now, bytes);
            }
        }
    }

    fn queue(&mut self, now: SimTime, channel: ChannelId, waiting: usize) {
        let bin = self.timeline.bins.index(now);
        let peak = &mut self.timeline.queue_peaks[channel.index()][bin];
        *peak = (*peak).max(waiting as u32);
    }

    fn element(&mut self, now: SimTime, _what: &str, subject: &str, down: bool) {
        let outages = &mut self.timeline.outages;
        if down {
            outages.push(Outage {
                element: subject.to_string(),
                down: now,
                up: None,
            });
        } else if let Some(o) = outages
            .iter_mut()
            .rev()
            .find(|o| o.element == subject && o.up.is_none())
        {
            o.up = Some(now);
        }
    }

    fn routes_updated(&mut self, now: SimTime, _detail: &str) {
        self.timeline.reconvergences.push(now);
    }
}

fn percent(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

/// Drop counts by reason, in the fixed order of `DropReason::ALL`, zeros left out.
fn reasons(counts: &[u64; REASONS]) -> Vec<ReasonCount> {
    DropReason::ALL
        .iter()
        .filter(|r| counts[r.index()] > 0)
        .map(|r| ReasonCount {
            reason: r.name().into(),
            count: counts[r.index()],
        })
        .collect()
}

#[derive(Clone, Debug, Serialize)]
pub struct ReasonCount {
    pub reason: String,
    pub count: u64,
}

/// One-way delay of delivered packets, milliseconds.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DelayReport {
    pub samples: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
}

impl DelayReport {
    fn from_sorted(d: &[u64]) -> DelayReport {
        if d.is_empty() {
            return DelayReport::default();
        }
        let ms = |ns: u64| ns as f64 / 1e6;
        let sum: u128 = d.iter().map(|&x| u128::from(x)).sum();
        DelayReport {
            samples: d.len() as u64,
            min_ms: ms(d[0]),
            mean_ms: sum as f64 / d.len() as f64 / 1e6,
            p50_ms: ms(nearest_rank(d, 50)),
            p99_ms: ms(nearest_rank(d, 99)),
            max_ms: ms(d[d.len() - 1]),
        }
    }
}

/// The nearest-rank percentile of sorted data.
fn nearest_rank(sorted: &[u64], p: u64) -> u64 {
    let rank = (p as usize * sorted.len()).div_ceil(100).max(1);
    sorted[rank - 1]
}

#[derive(Clone, Debug, Serialize)]
pub struct FlowReport {
    pub name: String,
    pub protocol: String,
    pub from: String,
    pub to: String,
    pub sent_packets: u64,
    pub sent_bytes: u64,
    pub received_packets: u64,
    pub received_bytes: u64,
    pub lost_packets: u64,
    pub lost_bytes: u64,
    /// Sent but neither delivered nor dropped when the run ended.
    pub in_flight_packets: u64,
    pub loss_percent: f64,
    pub lost_by_reason: Vec<ReasonCount>,
    /// Payload bytes lost, by cause (same order).
    pub lost_bytes_by_reason: Vec<ReasonCount>,
    /// Delivered payload bits per second over the flow's active period (start to stop).
    pub throughput_bps: f64,
    pub delay: DelayReport,
    /// Packets (TCP: segments and ACKs) that arrived after a packet of the
    /// same flow and direction sent later (RFC 4737's reordered packets).
    pub reordered_packets: u64,
    /// Of all the flow's packets delivered.
    pub reordered_percent: f64,
    /// Jitter: the mean absolute difference between the one-way delays of
    /// consecutive deliveries (the mean of |D(i-1,i)| that RFC 3550 smooths).
    pub jitter_ms: f64,
    /// TCP transfers of a fixed size: from the flow's start (the `connect`) until
    /// the receiving application read the last byte.
    pub completion_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct LinkReport {
    /// The direction, "A->R1".
    pub name: String,
    pub bandwidth_bps: u64,
    pub delay_ms: f64,
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Fraction of the run the transmitter was busy.
    pub utilization: f64,
    pub drops: u64,
    pub drops_by_reason: Vec<ReasonCount>,
    pub peak_queue_packets: u64,
    pub peak_queue_bytes: u64,
    /// Mean time the packets that waited spent in the queue (their sojourn
    /// time); packets sent straight away do not count.
    pub mean_queue_delay_ms: f64,
    /// The queue discipline: "drop-tail", "red", "codel", "fq-codel", "step".
    pub aqm: &'static str,
    /// Packets the AQM marked CE instead of dropping (RFC 3168).
    pub ecn_marks: u64,
}

#[derive(Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub duration_s: f64,
    /// Events the engine processed.
    pub events: u64,
    pub flows: Vec<FlowReport>,
    pub links: Vec<LinkReport>,
    /// Drops at nodes rather than on links (no route, port unreachable, ...).
    pub node_drops: Vec<ReasonCount>,
    /// What each failure cost each flow.
    pub outages: Vec<OutageReport>,
    /// Every TCP connection, in the order they were opened.
    pub tcp: Vec<TcpConnReport>,
    /// Per TCP connection (same order), cwnd/ssthresh/RTO over time (timeline.json).
    #[serde(skip)]
    pub congestion: Vec<Vec<CongestionSample>>,
    /// The watched TCP flow's segments, in order of departure (for plots).
    #[serde(skip)]
    pub segments: Vec<segments::SegmentRecord>,
    /// Figures over time, for plots (written to timeline.json, not stats.json).
    #[serde(skip)]
    pub timeline: Timeline,
}

impl Report {
    /// The table a person reads first.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "netsim: scenario `{}`, seed {}, {} s simulated, {} events\n",
            self.scenario, self.seed, self.duration_s, self.events
        );
        if self.flows.iter().any(|f| f.protocol == "udp") {
            let _ = writeln!(
                s,
                "UDP flows (datagrams; delay is one-way, application to application)"
            );
            let _ = writeln!(
                s,
                "{:<12} {:<5} {:<10} {:<12} {:>9} {:>9} {:>8} {:>7} {:>12} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9}",
                "flow",
                "proto",
                "from",
                "to",
                "sent",
                "received",
                "lost",
                "loss%",
                "throughput",
                "min ms",
                "mean ms",
                "p50 ms",
                "p99 ms",
                "max ms",
                "jitter ms"
            );
            for f in self.flows.iter().filter(|f| f.protocol == "udp") {
                let _ = writeln!(
                    s,
                    "{:<12} {:<5} {:<10} {:<12} {:>9} {:>9} {:>8} {:>7.3} {:>12} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3} {:>9.3}",
                    f.name,
                    f.protocol,
                    f.from,
                    f.to,
                    f.sent_packets,
                    f.received_packets,
                    f.lost_packets,
                    f.loss_percent,
                    human_rate(f.throughput_bps),
                    f.delay.min_ms,
                    f.delay.mean_ms,
                    f.delay.p50_ms,
                    f.delay.p99_ms,
                    f.delay.max_ms,
                    f.jitter_ms
                );
                if !f.lost_by_reason.is_empty() {
                    let _ = writeln!(
                        s,
                        "{:<12} lost by cause: {}",
                        "",
                        join_reasons(&f.lost_by_reason)
                    );
                }
                write_reordered(&mut s, f);
            }
        }
        if self.flows.iter().any(|f| f.protocol == "tcp") {
            let _ = writeln!(s, "\nTCP flows (bytes the applications wrote and read)");
            let _ = writeln!(
                s,
                "{:<12} {:<10} {:<12} {:>12} {:>12} {:>13} {:>12} {:>14}",
                "flow",
                "from",
                "to",
                "sent",
                "received",
                "completion s",
                "goodput",
                "lost segments"
            );
            for f in self.flows.iter().filter(|f| f.protocol == "tcp") {
                let completion = f
                    .completion_s
                    .map_or("-".to_string(), |c| format!("{c:.6}"));
                let _ = writeln!(
                    s,
                    "{:<12} {:<10} {:<12} {:>12} {:>12} {:>13} {:>12} {:>14}",
                    f.name,
                    f.from,
                    f.to,
                    f.sent_bytes,
                    f.received_bytes,
                    completion,
                    human_rate(f.throughput_bps),
                    f.lost_packets
                );
                write_reordered(&mut s, f);
            }
            let _ = writeln!(s, "\nTCP connections");
            let _ = writeln!(
                s,
                "{:<12} {:<6} {:<12} {:>9} {:>9} {:>9} {:>5} {:>6} {:>7} {:>7} {:>9} {:>9} {:>9}",
                "flow",
                "side",
                "state",
                "hs ms",
                "segments",
                "retx",
                "rto",
                "fastrx",
                "ooo",
                "dupdata",
                "rtt min",
                "rtt mean",
                "rtt max"
            );
            let ms = |x: Option<f64>| x.map_or("-".to_string(), |v| format!("{v:.3}"));
            for c in &self.tcp {
                let _ = writeln!(
                    s,
                    "{:<12} {:<6} {:<12} {:>9} {:>9} {:>9} {:>5} {:>6} {:>7} {:>7} {:>9} {:>9} {:>9}",
                    c.flow,
                    c.side,
                    c.state,
                    ms(c.handshake_ms),
                    c.segments_sent,
                    c.segments_retransmitted,
                    c.rto_expiries,
                    c.fast_retransmits,
                    c.out_of_order_segments,
                    c.duplicate_segments,
                    ms(c.rtt_min_ms),
                    ms(c.rtt_mean_ms),
                    ms(c.rtt_max_ms)
                );
                if c.integrity_errors > 0 {
                    let _ = writeln!(
                        s,
                        "{:<12} STREAM INTEGRITY ERRORS: {}",
                        "", c.integrity_errors
                    );
                }
            }
        }
        if self.flows.iter().any(|f| f.protocol == "local") {
            let _ = writeln!(
                s,
                "\nLocal flows (Unix-domain sockets on one host, no link; bytes the applications wrote and read)"
            );
            let _ = writeln!(
                s,
                "{:<12} {:<24} {:>12} {:>12} {:>10} {:>13} {:>12}",
                "flow", "to", "sent", "received", "datagrams", "completion s", "goodput"
            );
            for f in self.flows.iter().filter(|f| f.protocol == "local") {
                let completion = f
                    .completion_s
                    .map_or("-".to_string(), |c| format!("{c:.6}"));
                let datagrams = match f.received_packets {
                    0 => "-".to_string(),
                    n => n.to_string(),
                };
                let _ = writeln!(
                    s,
                    "{:<12} {:<24} {:>12} {:>12} {:>10} {:>13} {:>12}",
                    f.name,
                    f.to,
                    f.sent_bytes,
                    f.received_bytes,
                    datagrams,
                    completion,
                    human_rate(f.throughput_bps)
                );
            }
        }
        let _ = writeln!(s, "\nLink directions (wire bytes, headers included)");
        let _ = writeln!(
            s,
            "{:<16} {:>10} {:>9} {:>10} {:>13} {:>7} {:>7} {:>11} {:>10}  drops by cause",
            "link",
            "bandwidth",
            "delay ms",
            "packets",
            "bytes",
            "util%",
            "drops",
            "peak queue",
            "q delay ms"
        );
        for l in &self.links {
            let _ = writeln!(
                s,
                "{:<16} {:>10} {:>9.3} {:>10} {:>13} {:>7.2} {:>7} {:>11} {:>10.3}  {}",
                l.name,
                human_rate(l.bandwidth_bps as f64),
                l.delay_ms,
                l.tx_packets,
                l.tx_bytes,
                l.utilization * 100.0,
                l.drops,
                format!("{}p/{}B", l.peak_queue_packets, l.peak_queue_bytes),
                l.mean_queue_delay_ms,
                match l.ecn_marks {
                    0 => join_reasons(&l.drops_by_reason),
                    n if l.drops_by_reason.is_empty() => format!("(ecn-mark {n})"),
                    n => format!("{} (ecn-mark {n})", join_reasons(&l.drops_by_reason)),
                }
            );
        }
        if !self.node_drops.is_empty() {
            let _ = writeln!(s, "\nDrops at nodes: {}", join_reasons(&self.node_drops));
        }
        if !self.outages.is_empty() {
            let _ = writeln!(
                s,
                "\nFailures (loss from the failure until routes are normal after repair; recovery: goodput back to 90%)"
            );
            let _ = writeln!(
                s,
                "{:<14} {:>8} {:>8} {:>10}  {:<12} {:>10} {:>12} {:>11}",
                "element",
                "down s",
                "up s",
                "reroute s",
                "flow",
                "lost pkts",
                "lost bytes",
                "recovery s"
            );
            let opt =
                |x: Option<f64>, none: &str| x.map_or(none.to_string(), |v| format!("{v:.3}"));
            for o in &self.outages {
                for (k, f) in o.flows.iter().enumerate() {
                    let head = if k == 0 {
                        format!(
                            "{:<14} {:>8.3} {:>8} {:>10}",
                            o.element,
                            o.down_s,
                            opt(o.up_s, "-"),
                            opt(o.reroute_s, "never")
                        )
                    } else {
                        format!("{:<14} {:>8} {:>8} {:>10}", "", "", "", "")
                    };
                    let _ = writeln!(
                        s,
                        "{head}  {:<12} {:>10} {:>12} {:>11}",
                        f.flow,
                        f.lost_packets,
                        f.lost_bytes,
                        opt(f.recovery_s, "never")
                    );
                }
            }
        }
        s
    }

    /// The figures over time, for plots and for anyone who wants to redraw them.
    /// The figures over time (`timeline.json`), serialized straight from the
    /// run's series: a large network has millions of values, too many to
    /// build as a JSON tree first.
    pub fn timeline_json(&self) -> TimelineJson<'_> {
        let t = &self.timeline;
        let w = t.bins.width_s();
        TimelineJson {
            bin_s: w,
            bins: t.bins.count,
            delivered_bps: self
                .flows
                .iter()
                .zip(&t.delivered)
                .map(|(f, bins)| FlowSeries {
                    flow: &f.name,
                    values: bins.iter().map(|b| *b as f64 * 8.0 / w).collect(),
                })
                .collect(),
            drops: DropReason::ALL
                .iter()
                .map(|r| CauseSeries {
                    cause: r.name(),
                    values: t.drops.iter().map(|d| d[r.index()]).collect(),
                })
                .collect(),
            outages: t
                .outages
                .iter()
                .map(|o| OutageSpan {
                    element: &o.element,
                    down_s: o.down.as_secs_f64(),
                    up_s: o.up.map(SimTime::as_secs_f64),
                })
                .collect(),
            queue_peak_packets: self
                .links
                .iter()
                .zip(&t.queue_peaks)
                .filter(|(l, _)| l.peak_queue_packets > 0)
                .map(|(l, q)| LinkSeries {
                    link: &l.name,
                    values: q,
                })
                .collect(),
            tcp_congestion: self
                .tcp
                .iter()
                .zip(&self.congestion)
                .map(|(c, samples)| ConnSeries {
                    flow: &c.flow,
                    samples,
                    side: &c.side,
                })
                .collect(),
        }
    }

    pub fn flows_csv(&self) -> String {
        let mut s = String::from(
            "flow,protocol,from,to,sent_packets,sent_bytes,received_packets,received_bytes,lost_packets,lost_bytes,in_flight_packets,loss_percent,throughput_bps,delay_min_ms,delay_mean_ms,delay_p50_ms,delay_p99_ms,delay_max_ms,jitter_ms,reordered_packets\n",
        );
        for f in &self.flows {
            s += &format!(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                f.name,
                f.protocol,
                f.from,
                f.to,
                f.sent_packets,
                f.sent_bytes,
                f.received_packets,
                f.received_bytes,
                f.lost_packets,
                f.lost_bytes,
                f.in_flight_packets,
                f.loss_percent,
                f.throughput_bps,
                f.delay.min_ms,
                f.delay.mean_ms,
                f.delay.p50_ms,
                f.delay.p99_ms,
                f.delay.max_ms,
                f.jitter_ms,
                f.reordered_packets
            );
        }
        s
    }

    pub fn links_csv(&self) -> String {
        let mut s =
            String::from("link,bandwidth_bps,delay_ms,tx_packets,tx_bytes,utilization,drops");
        for r in DropReason::ALL {
            s += &format!(",drops_{}", r.name().replace('-', "_"));
        }
        s += ",peak_queue_packets,peak_queue_bytes,mean_queue_delay_ms,aqm,ecn_marks\n";
        for l in &self.links {
            s += &format!(
                "{},{},{},{},{},{},{}",
                l.name,
                l.bandwidth_bps,
                l.delay_ms,
                l.tx_packets,
                l.tx_bytes,
                l.utilization,
                l.drops
            );
            for r in DropReason::ALL {
                let n = l
                    .drops_by_reason
                    .iter()
                    .find(|c| c.reason == r.name())
                    .map_or(0, |c| c.count);
                s += &format!(",{n}");
            }
            s += &format!(
                ",{},{},{},{},{}\n",
                l.peak_queue_packets, l.peak_queue_bytes, l.mean_queue_delay_ms, l.aqm, l.ecn_marks
            );
        }
        s
    }
}

/// `timeline.json` (fields in alphabetical order, as they were written when
/// this was a JSON tree).
#[derive(Serialize)]
pub struct TimelineJson<'a> {
    pub bin_s: f64,
    pub bins: usize,
    pub delivered_bps: Vec<FlowSeries<'a>>,
    pub drops: Vec<CauseSeries>,
    pub outages: Vec<OutageSpan<'a>>,
    pub queue_peak_packets: Vec<LinkSeries<'a>>,
    pub tcp_congestion: Vec<ConnSeries<'a>>,
}

#[derive(Serialize)]
pub struct FlowSeries<'a> {
    pub flow: &'a str,
    pub values: Vec<f64>,
}

#[derive(Serialize)]
pub struct CauseSeries {
    pub cause: &'static str,
    pub values: Vec<u64>,
}

#[derive(Serialize)]
pub struct OutageSpan<'a> {
    pub down_s: f64,
    pub element: &'a str,
    pub up_s: Option<f64>,
}

#[derive(Serialize)]
pub struct LinkSeries<'a> {
    pub link: &'a str,
    pub values: &'a [u32],
}

#[derive(Serialize)]
pub struct ConnSeries<'a> {
    pub flow: &'a str,
    pub samples: &'a [CongestionSample],
    pub side: &'a str,
}

/// The line under a flow's row that says how many of its packets came out of order.
fn write_reordered(s: &mut String, f: &FlowReport) {
    use std::fmt::Write as _;
    if f.reordered_packets > 0 {
        let _ = writeln!(
            s,
            "{:<12} reordered packets: {} ({:.3}% of those delivered, both directions)",
            "", f.reordered_packets, f.reordered_percent
        );
    }
}

fn join_reasons(r: &[ReasonCount]) -> String {
    if r.is_empty() {
        return "-".into();
    }
    r.iter()
        .map(|c| format!("{} {}", c.reason, c.count))
        .collect::<Vec<_>>()
        .join(", ")
}

/// 1234567.0 -> "1.235Mbps"
pub fn human_rate(bps: f64) -> String {
    let (v, unit) = if bps >= 1e9 {
        (bps / 1e9, "Gbps")
    } else if bps >= 1e6 {
        (bps / 1e6, "Mbps")
    } else if bps >= 1e3 {
        (bps / 1e3, "kbps")
    } else {
        (bps, "bps")
    };
    format!("{v:.3}{unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let d: Vec<u64> = (1..=100).collect();
        assert_eq!(nearest_rank(&d, 50), 50);
        assert_eq!(nearest_rank(&d, 99), 99);
        assert_eq!(nearest_rank(&[7], 99), 7);
    }
}
