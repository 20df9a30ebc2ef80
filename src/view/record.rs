//! The viewer's recorder: one more subscriber to the trace records (the same
//! records the text trace and the pcap writer see), keeping what the page
//! animates.
//!
//! What it keeps is bounded. Every link crossing ("hop") is kept until
//! `Caps::hops` of them have started; that instant ends the *animation
//! window*, and the page says so. Past it only aggregates go on: utilization
//! and the longest queue per time bin and link direction, TCP states, and
//! cwnd samples thinned to one per bin and connection.

use super::Caps;
use crate::capture::packet_bytes;
use crate::ids::{LinkId, NodeId};
use crate::net::Network;
use crate::net::link::ChannelId;
use crate::net::packet::{Packet, Transport};
use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::trace::{ConnRef, DropReason, PacketEvent, PacketRecord, SocketCall, TraceSink};
use crate::transport::tcp::TcpEvent;
use crate::units::Bandwidth;
use crate::wire::ipv4::Ipv4Addr;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

/// What one kept record adds to the page, about (its JSON): the animation
/// window closes when their sum reaches `Caps::bytes`.
/// (Measured on the examples: a hop's five numbers take about 32 B, a TCP
/// header 90 B and its options, a queue sample 18 B, a cwnd sample 40 B.)
const HOP_BYTES: u64 = 32;
const HEADER_BYTES: u64 = 100;
const QUEUE_SAMPLE_BYTES: u64 = 18;
const CWND_SAMPLE_BYTES: u64 = 40;
const TEXT_BYTES: u64 = 30;

/// How a hop ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HopEnd {
    /// Reached the far end.
    Arrived = 0,
    /// Reached the far end and was lost there (random or injected loss).
    LostAtEnd = 1,
    /// Destroyed on the wire by a link failure.
    Destroyed = 2,
    /// Still on the wire when the recording ended (drawn to its due arrival).
    Unfinished = 3,
}

/// One packet's crossing of one link direction: serialization began at `t0`,
/// the hop ended at `t1`.
#[derive(Clone, Copy, Debug)]
pub struct Hop {
    pub packet: u32,
    pub channel: ChannelId,
    pub t0: u64,
    pub t1: u64,
    pub end: HopEnd,
}

/// A packet's headers, field by field, as they are on the wire (taken from
/// the same bytes the pcap writer emits).
#[derive(Clone, Debug)]
pub struct Header {
    pub uid: u64,
    pub src_node: u32,
    pub dst_node: u32,
    pub wire_len: u32,
    /// The IPv4 header: TTL, the ECN field, the header checksum.
    pub ttl: u8,
    pub ecn: u8,
    pub ip_checksum: u16,
    pub transport: TransportHeader,
}

#[derive(Clone, Debug)]
pub enum TransportHeader {
    Udp {
        src_port: u16,
        dst_port: u16,
        length: u16,
        checksum: u16,
    },
    Tcp {
        src_port: u16,
        dst_port: u16,
        seq: u32,
        ack: u32,
        /// In 32-bit words, as in the header.
        data_offset: u8,
        flags: String,
        window: u16,
        checksum: u16,
        urgent: u16,
        options: String,
        payload_len: u32,
    },
}

/// A packet dropped: where, why, and which (if its headers are kept).
#[derive(Clone, Copy, Debug)]
pub struct DropMark {
    pub time: u64,
    pub node: u32,
    /// The link direction it was queued for or crossing, if any.
    pub channel: Option<ChannelId>,
    pub reason: DropReason,
    /// Index into `Recording::headers`.
    pub packet: Option<u32>,
}

/// One TCP connection as its host saw it.
#[derive(Clone, Debug)]
pub struct Connection {
    pub node: u32,
    pub local: Ipv4Addr,
    pub local_port: u16,
    pub remote: Ipv4Addr,
    pub remote_port: u16,
    /// (time, state entered), first entry CLOSED at the connection's birth.
    pub states: Vec<(u64, &'static str)>,
    /// (time, cwnd, ssthresh, RTO in ns).
    pub window: Vec<(u64, u32, u32, u64)>,
    /// (time, what): retransmissions, timer expiries, urgent notices.
    pub events: Vec<(u64, String)>,
}

/// Per link direction.
#[derive(Debug)]
struct ChannelLog {
    bandwidth: Bandwidth,
    /// Hops begun and not yet ended, oldest first (the wire is FIFO).
    open: VecDeque<(u32, u64)>,
    /// Serialization time per bin.
    busy: Vec<u64>,
    /// Longest queue per bin (packets waiting).
    queue_max: Vec<u32>,
    /// (time, packets waiting) within the animation window, on every change.
    queue: Vec<(u64, u32)>,
}

/// Everything one run's page shows.
#[derive(Debug)]
pub struct Recording {
    pub caps: Caps,
    pub duration: u64,
    pub bin: u64,
    channels: Vec<ChannelLog>,
    pub hops: Vec<Hop>,
    /// Link crossings over the whole run (kept or not).
    pub hops_begun: u64,
    /// About how many bytes the window's records take on the page.
    pub bytes: u64,
    /// Past the window, one cwnd sample per connection per `cwnd_bin`.
    pub cwnd_bin: u64,
    /// When the hop cap was reached (`None`: the whole run is animated).
    pub window_end: Option<u64>,
    pub headers: Vec<Header>,
    by_uid: HashMap<u64, u32>,
    /// Drops within the window.
    pub drops: Vec<DropMark>,
    /// Drops over the whole run by reason, in `DropReason::ALL` order.
    pub drops_total: [u64; DropReason::ALL.len()],
    pub connections: Vec<Connection>,
    by_conn: BTreeMap<(u32, u16, Ipv4Addr, u16), usize>,
    /// (time, node, call as the trace writes it) within the window.
    pub calls: Vec<(u64, u32, String)>,
    /// (time, link, down).
    pub link_events: Vec<(u64, u32, bool)>,
    /// (time, node, down): a failed node (all its links go down with it).
    pub node_events: Vec<(u64, u32, bool)>,
    /// Circuit switching: (time, link, circuits held, reserved, limit).
    pub reservations: Vec<(u64, u32, u32, u64, u64)>,
    /// Notes (circuit signalling, routing detection) within the window:
    /// (time, subject, event, detail).
    pub notes: Vec<(u64, String, String, String)>,
}

impl Recording {
    /// Utilization (busy fraction, 0..1) and the longest queue, per bin, of `channel`.
    pub fn channel_bins(&self, channel: usize) -> (Vec<f64>, &[u32]) {
        let c = &self.channels[channel];
        let util = c.busy.iter().map(|&b| b as f64 / self.bin as f64).collect();
        (util, &c.queue_max)
    }

    pub fn queue_samples(&self, channel: usize) -> &[(u64, u32)] {
        &self.channels[channel].queue
    }

    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    fn in_window(&self) -> bool {
        self.window_end.is_none()
    }

    fn bin_of(&self, t: u64) -> usize {
        ((t / self.bin) as usize).min(self.channels.first().map_or(0, |c| c.busy.len() - 1))
    }

    fn packet_index(&mut self, p: &Packet) -> u32 {
        if let Some(&i) = self.by_uid.get(&p.uid) {
            return i;
        }
        let i = self.headers.len() as u32;
        let h = header(p);
        self.bytes += HEADER_BYTES
            + match &h.transport {
                TransportHeader::Tcp { options, .. } => options.len() as u64,
                TransportHeader::Udp { .. } => 0,
            };
        self.headers.push(h);
        self.by_uid.insert(p.uid, i);
        i
    }

    fn sample_queue(&mut self, now: u64, channel: ChannelId, waiting: u32) {
        let bin = self.bin_of(now);
        let window = self.in_window();
        let c = &mut self.channels[channel.index()];
        c.queue_max[bin] = c.queue_max[bin].max(waiting);
        if window && c.queue.last().is_none_or(|&(_, q)| q != waiting) {
            c.queue.push((now, waiting));
            self.bytes += QUEUE_SAMPLE_BYTES;
        }
    }

    fn begin_hop(&mut self, now: u64, channel: ChannelId, p: &Packet) {
        let ser = self.channels[channel.index()]
            .bandwidth
            .transmit_time(u64::from(p.wire_len()))
            .as_nanos();
        // Busy time, split over the bins it spans.
        let (mut t, end) = (now, now.saturating_add(ser));
        while t < end {
            let bin = self.bin_of(t);
            let bin_end = ((bin as u64 + 1) * self.bin).max(t + 1);
            let until = end.min(bin_end);
            self.channels[channel.index()].busy[bin] += until - t;
            if bin + 1 >= self.channels[channel.index()].busy.len() {
                break;
            }
            t = until;
        }
        self.hops_begun += 1;
        if !self.in_window() {
            return;
        }
        if self.hops_begun > self.caps.hops as u64 || self.bytes >= self.caps.bytes {
            self.window_end = Some(now);
            return;
        }
        self.bytes += HOP_BYTES;
        let index = self.packet_index(p);
        self.channels[channel.index()].open.push_back((index, now));
    }

    /// Ends the open hop of `uid` on `channel`, if it is being recorded.
    fn end_hop(&mut self, now: u64, channel: ChannelId, uid: u64, end: HopEnd) {
        let Some(&index) = self.by_uid.get(&uid) else {
            return;
        };
        let open = &mut self.channels[channel.index()].open;
        let Some(at) = open.iter().position(|&(i, _)| i == index) else {
            return;
        };
        let (_, t0) = open.remove(at).expect("found");
        self.hops.push(Hop {
            packet: index,
            channel,
            t0,
            t1: now,
            end,
        });
    }

    fn connection(&mut self, c: &ConnRef, now: u64) -> usize {
        let key = (c.node.0, c.local_port, c.remote, c.remote_port);
        let next = self.connections.len();
        let i = *self.by_conn.entry(key).or_insert(next);
        if i == next {
            self.connections.push(Connection {
                node: c.node.0,
                local: c.local,
                local_port: c.local_port,
                remote: c.remote,
                remote_port: c.remote_port,
                states: vec![(now, "CLOSED")],
                window: Vec::new(),
                events: Vec::new(),
            });
        }
        i
    }

    /// Closes the hops still on the wire at the end, as due to arrive.
    fn close_open_hops(&mut self, net_delay: &[u64]) {
        for (channel, c) in self.channels.iter_mut().enumerate() {
            for (index, t0) in c.open.drain(..) {
                let h = &self.headers[index as usize];
                let ser = c.bandwidth.transmit_time(u64::from(h.wire_len)).as_nanos();
                self.hops.push(Hop {
                    packet: index,
                    channel: ChannelId(channel as u32),
                    t0,
                    t1: t0 + ser + net_delay[channel],
                    end: HopEnd::Unfinished,
                });
            }
        }
        // Hops are kept as they end; the page wants them by start.
        self.hops.sort_by_key(|h| (h.t0, h.channel, h.packet));
    }
}

/// The headers of `p`, read back from its wire bytes.
fn header(p: &Packet) -> Header {
    let bytes = packet_bytes(p);
    let be16 = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
    let be32 =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    let ihl = usize::from(bytes[0] & 0x0f) * 4;
    let transport = match &p.transport {
        Transport::Udp(_) => TransportHeader::Udp {
            src_port: be16(ihl),
            dst_port: be16(ihl + 2),
            length: be16(ihl + 4),
            checksum: be16(ihl + 6),
        },
        Transport::Tcp(t) => {
            let mut options = String::new();
            crate::trace::write_tcp_options(&mut options, &t.options);
            TransportHeader::Tcp {
                src_port: be16(ihl),
                dst_port: be16(ihl + 2),
                seq: be32(ihl + 4),
                ack: be32(ihl + 8),
                data_offset: bytes[ihl + 12] >> 4,
                flags: t.flags.to_string(),
                window: be16(ihl + 14),
                checksum: be16(ihl + 16),
                urgent: be16(ihl + 18),
                options: options.trim_start().to_string(),
                payload_len: t.payload_len,
            }
        }
    };
    Header {
        uid: p.uid,
        src_node: p.src.0,
        dst_node: p.dst.0,
        wire_len: p.wire_len(),
        ttl: bytes[8],
        ecn: bytes[1] & 0b11,
        ip_checksum: be16(10),
        transport,
    }
}

/// The trace subscriber; `recording()` hands out the shared result.
pub struct ViewRecorder {
    rec: Rc<RefCell<Recording>>,
    delays: Vec<u64>,
    /// Node indices by name, for the failure notes that name a node.
    nodes: BTreeMap<String, u32>,
}

impl ViewRecorder {
    pub fn new(sc: &Scenario, caps: Caps) -> ViewRecorder {
        let duration = sc.duration.as_nanos().max(1);
        let channels = sc.links.len() * 2;
        let bins = (caps.bin_budget / channels.max(1)).clamp(20, 400);
        let bin = duration.div_ceil(bins as u64).max(1);
        let bins = duration.div_ceil(bin) as usize;
        // Both ends of every TCP flow, each with a sample per cwnd_bin at most.
        let tcp_ends = 2 * sc
            .flows
            .iter()
            .filter(|f| f.protocol() == crate::scenario::Protocol::Tcp)
            .count() as u64;
        let cwnd_bin = bin.max(duration.saturating_mul(tcp_ends) / caps.cwnd_samples.max(1) as u64);
        let logs = sc
            .links
            .iter()
            .flat_map(|l| [l.bandwidth, l.bandwidth])
            .map(|bandwidth| ChannelLog {
                bandwidth,
                open: VecDeque::new(),
                busy: vec![0; bins],
                queue_max: vec![0; bins],
                queue: Vec::new(),
            })
            .collect();
        ViewRecorder {
            rec: Rc::new(RefCell::new(Recording {
                caps,
                duration,
                bin,
                channels: logs,
                hops: Vec::new(),
                hops_begun: 0,
                bytes: 0,
                cwnd_bin,
                window_end: None,
                headers: Vec::new(),
                by_uid: HashMap::new(),
                drops: Vec::new(),
                drops_total: [0; DropReason::ALL.len()],
                connections: Vec::new(),
                by_conn: BTreeMap::new(),
                calls: Vec::new(),
                link_events: Vec::new(),
                node_events: Vec::new(),
                reservations: Vec::new(),
                notes: Vec::new(),
            })),
            delays: sc
                .links
                .iter()
                .flat_map(|l| [l.delay.as_nanos(), l.delay.as_nanos()])
                .collect(),
            nodes: sc
                .nodes
                .iter()
                .enumerate()
                .map(|(i, n)| (n.name.clone(), i as u32))
                .collect(),
        }
    }

    /// The recording this subscriber fills (read it after the run).
    pub fn recording(&self) -> Rc<RefCell<Recording>> {
        Rc::clone(&self.rec)
    }
}

impl TraceSink for ViewRecorder {
    fn packet(&mut self, record: &PacketRecord, _net: &Network) {
        let PacketRecord {
            now,
            node,
            event,
            packet: p,
            queue,
            ..
        } = *record;
        let now = now.as_nanos();
        let mut r = self.rec.borrow_mut();
        match event {
            PacketEvent::Enqueue { channel } => {
                // Recorded before it joins: it waits only behind a busy transmitter.
                let waiting = queue.packets as u32 + u32::from(queue.busy);
                r.sample_queue(now, channel, waiting);
            }
            PacketEvent::Transmit { channel } => {
                let waiting = queue.packets as u32;
                r.sample_queue(now, channel, waiting);
                r.begin_hop(now, channel, p);
            }
            PacketEvent::Receive { channel } => r.end_hop(now, channel, p.uid, HopEnd::Arrived),
            PacketEvent::Deliver | PacketEvent::Mark { .. } => {}
            PacketEvent::Drop { channel, reason } => {
                r.drops_total[DropReason::ALL
                    .iter()
                    .position(|&d| d == reason)
                    .unwrap_or(0)] += 1;
                if let Some(c) = channel {
                    let end = match reason {
                        DropReason::LinkDown => HopEnd::Destroyed,
                        _ => HopEnd::LostAtEnd,
                    };
                    r.end_hop(now, c, p.uid, end);
                    let waiting = queue.packets as u32;
                    r.sample_queue(now, c, waiting);
                }
                if r.in_window() {
                    r.bytes += HOP_BYTES;
                    let index = r.by_uid.get(&p.uid).copied();
                    r.drops.push(DropMark {
                        time: now,
                        node: node.0,
                        channel,
                        reason,
                        packet: index,
                    });
                }
            }
        }
    }

    fn call(&mut self, now: SimTime, node: NodeId, _node_name: &str, call: SocketCall) {
        let mut r = self.rec.borrow_mut();
        if r.in_window() && r.calls.len() < r.caps.notes {
            let mut text = String::new();
            crate::trace::write_call(&mut text, call);
            r.bytes += TEXT_BYTES + text.len() as u64;
            r.calls.push((now.as_nanos(), node.0, text));
        }
    }

    fn note(&mut self, now: SimTime, subject: &str, event: &str, detail: &str) {
        let mut r = self.rec.borrow_mut();
        // Node failures are kept over the whole run, like link failures.
        let node_change = match event {
            "node-down" => Some(true),
            "node-up" => Some(false),
            _ => None,
        };
        if let (Some(down), Some(&node)) = (node_change, self.nodes.get(subject)) {
            r.node_events.push((now.as_nanos(), node, down));
        }
        if r.in_window() && r.notes.len() < r.caps.notes {
            r.bytes += TEXT_BYTES + (subject.len() + event.len() + detail.len()) as u64;
            r.notes
                .push((now.as_nanos(), subject.into(), event.into(), detail.into()));
        }
    }

    fn tcp(&mut self, now: SimTime, conn: &ConnRef, event: &TcpEvent) {
        let now = now.as_nanos();
        let mut r = self.rec.borrow_mut();
        let window = r.in_window();
        let bin = r.cwnd_bin;
        let i = r.connection(conn, now);
        let c = &mut r.connections[i];
        let event_text = match *event {
            TcpEvent::StateChange { to, .. } => {
                c.states.push((now, to.name()));
                return;
            }
            TcpEvent::Congestion {
                cwnd,
                ssthresh,
                rto,
            } => {
                let sample = (now, cwnd, ssthresh, rto.as_nanos());
                // Past the window: one sample per cwnd bin, the latest.
                match c.window.last_mut() {
                    Some(last) if !window && last.0 / bin == now / bin => *last = sample,
                    _ => c.window.push(sample),
                }
                if window {
                    r.bytes += CWND_SAMPLE_BYTES;
                }
                return;
            }
            _ if !window => return,
            TcpEvent::Retransmit { seq, len, cause } => {
                format!("retransmit seq={seq} len={len} cause={cause}")
            }
            TcpEvent::TimerExpired { timer } => format!("{timer} timer expired"),
            TcpEvent::Urgent { up } => format!("urgent up={up}"),
            _ => return,
        };
        let bytes = TEXT_BYTES + event_text.len() as u64;
        c.events.push((now, event_text));
        r.bytes += bytes;
    }

    fn link_state(&mut self, now: SimTime, link: LinkId, down: bool) {
        self.rec
            .borrow_mut()
            .link_events
            .push((now.as_nanos(), link.0, down));
    }

    fn reservation(&mut self, now: SimTime, link: u32, held: u32, reserved: u64, limit: u64) {
        self.rec
            .borrow_mut()
            .reservations
            .push((now.as_nanos(), link, held, reserved, limit));
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.rec.borrow_mut().close_open_hops(&self.delays);
        Ok(())
    }
}
