//! The simulation: the world's state, the event enum and the one dispatch loop.
//!
//! Event order is `(time, tie)` (see `sim::queue` and `World::next_tie`). The run covers
//! the closed interval [0, duration]: an event scheduled exactly at the end still
//! fires; later ones never do.

use crate::app::calls::CallSource;
use crate::app::local::{LocalClient, LocalServer};
use crate::app::sink::UdpSink;
use crate::app::tcp::{TcpClient, TcpServer};
use crate::app::udp_source::UdpSource;
use crate::app::{App, Ctx};
use crate::error::{Error, Result};
use crate::ids::{AppId, LinkId, NodeId};
use crate::net::failures::LinkStates;
use crate::net::link::{ChannelId, Offer};
use crate::net::multipath::flow_hash;
use crate::net::packet::{Ecn, NO_FLOW, Packet, PacketId};
use crate::net::queue::Dequeued;
use crate::net::routing::Routes;
use crate::net::{Arrival, Forward, Network};
use crate::scenario::{FlowKind, LocalFlow, Protocol, Scenario, TrafficPattern};
use crate::sim::{EventQueue, SimTime, rng};
use crate::stack::{Endpoint, Env, Notice, Stack, Timer};
use crate::stats::{Collector, Report};
use crate::trace::{
    ConnRef, DropReason, FlowRecord, PacketEvent, PacketRecord, QueueState, SocketCall, TcpFinal,
    TraceSink, TraceWriter, Tracer,
};
use crate::transport::tcp::{TcpConnection, TcpEvent};
use crate::wire::ipv4::Ipv4Addr;
use observe::{Observers, Record};
use std::collections::BTreeMap;

use crate::limits;
use std::io::Write;

mod observe;
mod parallel;
pub mod partition;

/// Everything that can happen. The engine matches on it in one place
/// (`Simulation::run_until`).
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A channel's transmitter finished serializing its current packet.
    /// (`epoch`: see `Channel::epoch`; a stale event concerns a failed link.)
    TxDone { channel: ChannelId, epoch: u32 },
    /// The oldest packet propagating on `channel` reaches its far end.
    Arrive { channel: ChannelId, epoch: u32 },
    /// An application's timer.
    AppWake { app: AppId, token: u64 },
    /// `Scenario::failures[index]` takes its element down or brings it up.
    Failure { index: u32, down: bool },
    /// The routers at the ends of `link` notice it changed state (trace only).
    Detect { link: LinkId, down: bool },
    /// Every router switches to routes recomputed from the links now up.
    Reconverge,
    /// A timer of the hosts' stacks (TCP, Unix-domain deliveries).
    Stack(Timer),
}

impl Event {
    /// Among events at one instant (and of one depth), transmitters finish
    /// first, then packets arrive, then timers fire: a packet arriving just
    /// as a transmitter frees finds it free, whichever nodes they are.
    fn class(&self) -> u64 {
        match self {
            Event::TxDone { .. } => 0,
            Event::Arrive { .. } => 1,
            _ => 2,
        }
    }

    /// Whether no node causes it: every part of a parallel run processes it.
    fn is_global(&self) -> bool {
        matches!(
            self,
            Event::Failure { .. } | Event::Detect { .. } | Event::Reconverge
        )
    }
}

/// The simulated world under the hosts' stacks: the clock, the events, the
/// network and the observers. The stacks reach it through `stack::Env`.
pub struct World {
    pub now: SimTime,
    pub events: EventQueue<Event>,
    pub net: Network,
    /// Which links the scenario's failures hold down, and when they change.
    failures: LinkStates,
    /// Scratch: packets an AQM dropped or marked at a dequeue (kept to reuse
    /// its buffers).
    aqm_acted: Dequeued,
    /// Every subscriber to the run's trace records: statistics, captures
    /// (`Simulation::capture_pcap`), text trace, viewer.
    obs: Observers,
    /// The site whose event is being processed, and that event's depth: what
    /// the events it schedules are tied by (see `World::next_tie`).
    site: u32,
    depth: u64,
    /// Per site (every node, then `GLOBAL_SITE`): events it has scheduled.
    scheduled_by: Vec<u64>,
    /// Set when this world is one part of a parallel run (`parallel`).
    part: Option<parallel::PartLink>,
}

/// A tie, high bits first: the depth (how many events at the same time led
/// to this one), the event's class (`Event::class`), the scheduling site, and
/// that site's count of events.
const DEPTH_BITS: u32 = 6;
const CLASS_BITS: u32 = 2;
const SITE_BITS: u32 = 22;
const COUNT_BITS: u32 = 64 - DEPTH_BITS - CLASS_BITS - SITE_BITS;
/// The site of the events no node causes: failures and route changes.
const GLOBAL_SITE: u32 = (1 << SITE_BITS) - 1;
/// The most nodes a run may have (each is a site, and one is global).
pub const MAX_NODES: usize = GLOBAL_SITE as usize;

impl Env for World {
    #[inline]
    fn now(&self) -> SimTime {
        self.now
    }

    #[inline]
    fn send(&mut self, packet: Packet) {
        let node = packet.src;
        let id = self.net.packets.insert(packet);
        self.forward(node, id);
    }

    #[inline]
    fn schedule(&mut self, at: SimTime, timer: Timer) {
        self.push(at, Event::Stack(timer));
    }

    fn wake_app(&mut self, at: SimTime, app: AppId, token: u64) {
        self.push(at, Event::AppWake { app, token });
    }

    #[inline]
    fn packet(&self, id: PacketId) -> &Packet {
        self.net.packets.get(id)
    }

    #[inline]
    fn delivered(&mut self, node: NodeId, id: PacketId) -> Packet {
        self.record(node, PacketEvent::Deliver, id);
        self.net.packets.remove(id)
    }

    fn refused(&mut self, node: NodeId, id: PacketId, reason: DropReason) {
        self.drop_packet(node, None, reason, id);
    }

    fn host(&self, addr: Ipv4Addr) -> Option<NodeId> {
        self.net.node_by_address(addr)
    }

    #[inline]
    fn address(&self, node: NodeId) -> Ipv4Addr {
        self.net.nodes[node.index()].addr
    }

    #[inline]
    fn tracing(&self) -> bool {
        self.obs.tracing()
    }

    fn call(&mut self, node: NodeId, call: SocketCall) {
        if let Some(log) = &mut self.obs.log {
            return log.push(Record::Call { node, call });
        }
        if self.obs.tracing() {
            self.obs
                .call(self.now, node, &self.net.nodes[node.index()].name, call);
        }
    }

    #[inline]
    fn tcp(&mut self, end: Endpoint, event: &TcpEvent) {
        if !self.obs.wants_tcp(event) {
            return;
        }
        if let Some(log) = &mut self.obs.log {
            let event = *event;
            return log.push(Record::Tcp { end, event });
        }
        let conn = conn_ref(&self.net, end);
        self.obs.tcp(self.now, &conn, event);
    }

    fn tcp_opened(&mut self, end: Endpoint, client: bool) {
        if let Some(log) = &mut self.obs.log {
            return log.push(Record::TcpOpened { end, client });
        }
        let conn = conn_ref(&self.net, end);
        self.obs.tcp_opened(self.now, &conn, client);
    }

    fn tcp_closed(&mut self, end: Endpoint, last: &TcpConnection) {
        let last = TcpFinal::of(last);
        if let Some(log) = &mut self.obs.log {
            let last = Box::new(last);
            return log.push(Record::TcpClosed { end, last });
        }
        let conn = conn_ref(&self.net, end);
        self.obs.tcp_closed(self.now, &conn, &last);
    }

    fn flow(&mut self, record: FlowRecord) {
        if let Some(log) = &mut self.obs.log {
            return log.push(Record::Flow(record));
        }
        self.obs.flow(self.now, record);
    }

    fn note(&mut self, node: NodeId, event: &str, detail: &str) {
        if let Some(log) = &mut self.obs.log {
            if log.tracing {
                let (event, detail) = (event.to_string(), detail.to_string());
                log.push(Record::Note {
                    node,
                    event,
                    detail,
                });
            }
            return;
        }
        if self.obs.tracing() {
            let name = &self.net.nodes[node.index()].name;
            self.obs.note(self.now, name, event, detail);
        }
    }
}

/// A stack's connection end, named as the trace records name it.
#[inline]
fn conn_ref(net: &Network, end: Endpoint) -> ConnRef<'_> {
    let n = &net.nodes[end.node.index()];
    ConnRef {
        serial: end.serial,
        flow: end.flow,
        node: end.node,
        node_name: &n.name,
        local: n.addr,
        local_port: end.local_port,
        remote: end.remote,
        remote_port: end.remote_port,
    }
}

impl World {
    /// The tie of the next event the current site schedules for `at`: its
    /// depth, its class, the site, then the site's own count. Events at equal times thus
    /// fire in an order that only the sites' own histories decide, whichever
    /// part of a parallel run holds them (a site's events are all scheduled by
    /// the part that owns it). An event scheduled for now is one deeper than
    /// the event scheduling it, so it sorts after it: the order in which events
    /// fire is the order of their keys, which is what lets the records of a
    /// parallel run's parts be merged by key alone.
    #[inline]
    fn next_tie(&mut self, at: SimTime, class: u64) -> u64 {
        let depth = if at == self.now { self.depth + 1 } else { 0 };
        debug_assert!(
            depth < 1 << DEPTH_BITS,
            "64 events at one instant, each caused by the last"
        );
        let depth = depth.min((1 << DEPTH_BITS) - 1);
        // The global site counts in the last slot.
        let slot = (self.site as usize).min(self.scheduled_by.len() - 1);
        let count = &mut self.scheduled_by[slot];
        debug_assert!(*count < 1 << COUNT_BITS, "a site's event count overflowed");
        let tie = depth << (64 - DEPTH_BITS)
            | class << (SITE_BITS + COUNT_BITS)
            | u64::from(self.site) << COUNT_BITS
            | *count;
        *count += 1;
        tie
    }

    /// Schedules `event` at `at`, tied by the current site (`next_tie`).
    #[inline]
    fn push(&mut self, at: SimTime, event: Event) {
        let tie = self.next_tie(at, event.class());
        self.events.push_tied(at, tie, event);
    }

    /// From now on, events are scheduled by `site`, on behalf of an event of
    /// this tie.
    #[inline]
    fn enter(&mut self, site: u32, tie: u64) {
        self.site = site;
        self.depth = tie >> (64 - DEPTH_BITS);
    }

    /// Feeds one packet record to the subscribers.
    #[inline]
    fn record(&mut self, node: NodeId, event: PacketEvent, packet: PacketId) {
        // Hops nobody reads cost nothing: not even a call, nor a look at the
        // packet, which on a large network is often a cache miss.
        if self.obs.wants(event) {
            self.record_always(node, event, packet);
        }
    }

    #[inline(never)]
    fn record_always(&mut self, node: NodeId, event: PacketEvent, packet: PacketId) {
        let p = self.net.packets.get(packet);
        let queue = event.channel().map_or_else(QueueState::default, |c| {
            let c = &self.net.channels[c.index()];
            let (packets, bytes) = c.queue_len();
            let busy = c.transmitting.is_some();
            QueueState {
                packets,
                bytes,
                busy,
            }
        });
        if let Some(log) = &mut self.obs.log {
            let packet = p.clone();
            return log.push(Record::Packet {
                node,
                event,
                packet,
                queue,
            });
        }
        let record = PacketRecord {
            now: self.now,
            node,
            event,
            packet: p,
            queue,
        };
        self.obs.packet(&record, &self.net);
    }

    fn drop_packet(
        &mut self,
        node: NodeId,
        channel: Option<ChannelId>,
        reason: DropReason,
        packet: PacketId,
    ) {
        self.record(node, PacketEvent::Drop { channel, reason }, packet);
        self.net.packets.remove(packet);
    }

    /// Queues the packet on the channel the IP layer chooses at `node`.
    fn forward(&mut self, node: NodeId, packet: PacketId) {
        let channel = match self.net.forward(self.now, node, packet) {
            Forward::Enqueue(channel) => channel,
            Forward::EnqueueMarked(channel) => {
                self.mark(node, channel, packet);
                channel
            }
            Forward::Drop(channel, reason) => {
                return self.drop_packet(node, channel, reason, packet);
            }
        };
        self.record(node, PacketEvent::Enqueue { channel }, packet);
        let p = self.net.packets.get(packet);
        let (len, ect) = (p.wire_len(), p.ecn.capable());
        let c = &mut self.net.channels[channel.index()];
        let hash = if c.classifies() { flow_hash(0, p) } else { 0 };
        match c.offer(self.now, packet, len, ect, hash) {
            Offer::Transmit(t) => self.start_transmit(node, channel, packet, t),
            Offer::Queued { evicted } => {
                let waiting = c.queue_len().0;
                match &mut self.obs.log {
                    Some(log) => log.push(Record::Queue { channel, waiting }),
                    None => self.obs.queue(self.now, channel, waiting),
                }
                if let Some(victim) = evicted {
                    self.drop_packet(node, Some(channel), DropReason::QueueOverflow, victim);
                }
            }
        }
    }

    /// An AQM on `channel` marks `packet` CE instead of dropping it (RFC 3168 §5).
    fn mark(&mut self, node: NodeId, channel: ChannelId, packet: PacketId) {
        self.net.packets.get_mut(packet).ecn = Ecn::Ce;
        self.net.channels[channel.index()].counters.ecn_marks += 1;
        self.record(node, PacketEvent::Mark { channel }, packet);
    }

    fn start_transmit(
        &mut self,
        node: NodeId,
        channel: ChannelId,
        packet: PacketId,
        serialization: SimTime,
    ) {
        self.record(node, PacketEvent::Transmit { channel }, packet);
        let epoch = self.net.channels[channel.index()].epoch;
        self.push(self.now + serialization, Event::TxDone { channel, epoch });
    }

    fn on_tx_done(&mut self, channel: ChannelId, epoch: u32) {
        let c = &mut self.net.channels[channel.index()];
        if c.epoch != epoch {
            return; // the link failed meanwhile; the packet is already counted lost
        }
        let (from, delay) = (c.from, c.delay);
        let (_, next) = c.finish(self.now, &mut self.aqm_acted);
        if !self.aqm_acted.is_empty() {
            let mut acted = std::mem::take(&mut self.aqm_acted);
            for victim in acted.dropped.drain(..) {
                self.drop_packet(from, Some(channel), DropReason::AqmDrop, victim);
            }
            for marked in acted.marked.drain(..) {
                self.mark(from, channel, marked);
            }
            self.aqm_acted = acted;
        }
        let arrive = Event::Arrive { channel, epoch };
        match &self.part {
            Some(part) if !part.owns(self.net.channels[channel.index()].to) => {
                let tie = self.next_tie(self.now + delay, arrive.class());
                self.send_across(self.now + delay, tie, channel, epoch);
            }
            _ => self.push(self.now + delay, arrive),
        }
        if let Some((packet, t)) = next {
            self.start_transmit(from, channel, packet, t);
        }
    }

    fn on_arrive(&mut self, stack: &mut Stack, channel: ChannelId, epoch: u32) {
        let c = &mut self.net.channels[channel.index()];
        if c.epoch != epoch {
            return;
        }
        let packet = c.arrive();
        let node = c.to;
        if c.draw_injected() {
            return self.drop_packet(node, Some(channel), DropReason::Injected, packet);
        }
        if c.draw_loss() {
            return self.drop_packet(node, Some(channel), DropReason::RandomLoss, packet);
        }
        self.record(node, PacketEvent::Receive { channel }, packet);
        match self.net.on_receive(node, packet) {
            Arrival::Deliver => stack.receive(self, node, packet),
            Arrival::Forward => self.forward(node, packet),
            Arrival::Drop(reason) => self.drop_packet(node, None, reason, packet),
        }
    }

    /// Applies `Scenario::failures[index]` going down or up, and schedules the
    /// next change of a random failure process.
    fn on_failure(&mut self, sc: &Scenario, index: u32, down: bool) {
        let change = self.failures.apply(sc, index as usize, down);
        self.element(change.what, &change.subject, down);
        for (i, l) in change.changed.into_iter().enumerate() {
            self.set_link(i as u32, l, down);
            self.push(
                self.now + sc.routing.detection,
                Event::Detect { link: l, down },
            );
            self.push(
                self.now + sc.routing.detection + sc.routing.convergence,
                Event::Reconverge,
            );
        }
        if let Some(next) = change.next_change {
            self.push(self.now + next, Event::Failure { index, down: !down });
        }
    }

    /// Fails or restores both directions of link `l`, the `i`-th the failure
    /// changes; a failure loses every packet the link held.
    fn set_link(&mut self, i: u32, l: LinkId, down: bool) {
        // Steps (see `observe::Key`): the link's record, then per direction
        // the packets its near end held, those its far end held, and those
        // the near end handed over in this window (a part of a parallel run
        // holds only some of them).
        let step = 1 + 8 * i;
        self.set_step(step);
        self.link_state(l, down);
        for (j, channel) in l.channels().into_iter().enumerate() {
            let c = &mut self.net.channels[channel.index()];
            if !down {
                c.up = true;
                continue;
            }
            let (from, lost) = (c.from, c.fail());
            let near = self.part.as_ref().is_none_or(|p| p.owns(from));
            let step = step + 1 + 3 * j as u32;
            self.set_step(if near { step } else { step + 1 });
            for p in lost {
                self.drop_packet(from, Some(channel), DropReason::LinkDown, p);
            }
            if near && self.part.is_some() {
                self.set_step(step + 2);
                self.lose_handed_over(channel);
            }
        }
    }

    fn on_detect(&mut self, sc: &Scenario, link: LinkId, down: bool) {
        if self.obs.tracing() && self.records_global() {
            let l = &sc.links[link.index()];
            let detail = format!(
                "{} {}",
                sc.link_label(link.index()),
                if down { "down" } else { "up" }
            );
            for n in [l.a, l.b] {
                self.note(NodeId(n as u32), "detect", &detail);
            }
        }
    }

    fn on_reconverge(&mut self, sc: &Scenario) {
        let failures = &self.failures;
        self.net
            .set_routes(Routes::compute_with(sc, |l| failures.is_up(l)));
        let detail = match self.obs.tracing() {
            true => failures.routes_note(sc),
            false => String::new(),
        };
        self.routes_updated(detail);
    }

    /// Whether this world makes the records of a global event that are not
    /// packets: in a parallel run only the first part does.
    fn records_global(&self) -> bool {
        self.part.as_ref().is_none_or(|p| p.is_first())
    }

    /// Sets the step of the records that follow (see `observe::Key`).
    fn set_step(&mut self, step: u32) {
        if let Some(log) = &mut self.obs.log {
            log.key.2 = step;
        }
    }

    fn element(&mut self, what: &'static str, subject: &str, down: bool) {
        if !self.records_global() {
            return;
        }
        if let Some(log) = &mut self.obs.log {
            let subject = subject.to_string();
            return log.push(Record::Element {
                what,
                subject,
                down,
            });
        }
        self.obs.element(self.now, what, subject, down);
    }

    fn link_state(&mut self, link: LinkId, down: bool) {
        if !self.records_global() {
            return;
        }
        if let Some(log) = &mut self.obs.log {
            if log.tracing {
                log.push(Record::LinkState { link, down });
            }
            return;
        }
        self.obs.link_state(self.now, link, down);
    }

    fn routes_updated(&mut self, detail: String) {
        if !self.records_global() {
            return;
        }
        if let Some(log) = &mut self.obs.log {
            return log.push(Record::RoutesUpdated { detail });
        }
        self.obs.routes_updated(self.now, &detail);
    }
}

struct AppSlot {
    app: Box<dyn App>,
    node: NodeId,
    flow: u32,
    ttl: u8,
}

/// How to run: what to record besides the statistics.
#[derive(Default)]
pub struct RunOptions {
    /// Where to write the text trace, if anywhere.
    pub trace: Option<Box<dyn Write>>,
    /// More subscribers to the trace records (e.g. `view::ViewRecorder`).
    pub sinks: Vec<Box<dyn TraceSink>>,
    /// The TCP flow whose segments are logged for the ladder and sequence
    /// plots (by name); `None`: the first TCP flow.
    pub watch_flow: Option<String>,
    /// Caps on the run; unset ones come from the scenario's `[limits]`, then
    /// the defaults (`limits::Limits::DEFAULTS`).
    pub limits: limits::Limits,
    /// Threads to run on (0 and 1: one). The outputs are the same for any
    /// number; see `parallel` for which runs can be split.
    pub threads: usize,
}

/// A scenario being simulated.
pub struct Simulation {
    scenario: Scenario,
    world: World,
    /// The hosts' network stacks.
    stack: Stack,
    apps: Vec<AppSlot>,
    processed: u64,
    started: bool,
    limits: limits::Resolved,
    /// The next event count at which the slow checks (event cap, memory) run.
    next_check: u64,
    /// The cap that stopped the run, if one did.
    stopped: Option<limits::LimitHit>,
    /// The notices being dispatched (see `dispatch_notices`).
    notice_batch: Vec<Notice>,
    /// The parallelism profile, when one was asked for (`Simulation::profile`).
    profile: Option<Box<partition::Profile>>,
    /// `RunOptions::threads`.
    threads: usize,
    /// Whether `add_app` added applications (a parallel run cannot split them).
    extra_apps: bool,
    /// Records of events before this time are dropped: the subscribers have
    /// them from a parallel run that stopped there (`parallel`).
    muted_until: Option<SimTime>,
    /// The parts the run was split into (1: it ran sequentially), and the
    /// windows its parts met after.
    parts_used: usize,
    windows: u64,
}

impl Simulation {
    pub fn new(scenario: Scenario, options: RunOptions) -> Result<Simulation> {
        let caps = options.limits.or(scenario.limits).resolved();
        let max_nodes = caps.max_nodes.min(MAX_NODES as u64);
        if scenario.nodes.len() as u64 > max_nodes {
            return Err(Error::Limit(limits::LimitHit {
                cap: limits::Cap::Nodes,
                limit: max_nodes,
                measured: scenario.nodes.len() as u64,
                at: SimTime::ZERO,
                events: 0,
            }));
        }
        let net = Network::build(&scenario);
        let mut stats = Collector::new(scenario.duration, scenario.flows.len(), net.channels.len());
        let watched = match &options.watch_flow {
            Some(name) => scenario.flows.iter().position(|f| &f.name == name),
            None => scenario
                .flows
                .iter()
                .position(|f| f.protocol() == Protocol::Tcp),
        };
        stats.watch_segments(watched.map(|i| i as u32));
        let mut apps: Vec<AppSlot> = Vec::new();
        // Receivers first (one per destination host, protocol and port), so that
        // they are bound before anything arrives. A TCP server serves its port
        // the way the first flow to it asks.
        let mut receivers: BTreeMap<(usize, Protocol, u16), usize> = BTreeMap::new();
        let sinks = scenario.flows.iter().enumerate();
        for (i, f) in sinks.filter(|(_, f)| f.sink && f.protocol() != Protocol::Local) {
            receivers
                .entry((f.to, f.protocol(), f.dst_port))
                .or_insert(i);
        }
        for (&(node, _, port), &i) in &receivers {
            let f = &scenario.flows[i];
            let (app, flow): (Box<dyn App>, u32) = match &f.kind {
                FlowKind::Tcp(stream) => (
                    Box::new(TcpServer::new(f.clone(), stream.clone())),
                    i as u32,
                ),
                FlowKind::Udp => (Box::new(UdpSink::new(port)), NO_FLOW),
                // Local flows have their own servers (`local_servers`).
                FlowKind::Local(_) => continue,
            };
            apps.push(AppSlot {
                app,
                node: NodeId(node as u32),
                flow,
                ttl: 64,
            });
        }
        apps.extend(local_servers(&scenario));
        for (i, f) in scenario.flows.iter().enumerate() {
            let rng = rng::stream(scenario.seed, &format!("flow:{}", f.name));
            let to = scenario.nodes[f.to].address;
            let app: Box<dyn App> = match (&f.kind, f.pattern) {
                (FlowKind::Tcp(stream), _) => {
                    Box::new(TcpClient::new(f.clone(), stream.clone(), to))
                }
                (FlowKind::Local(local), _) => Box::new(LocalClient::new(f.clone(), local.clone())),
                (FlowKind::Udp, TrafficPattern::Calls { .. }) => {
                    Box::new(CallSource::new(f.clone(), to, rng))
                }
                (FlowKind::Udp, _) => Box::new(UdpSource::new(f.clone(), to, rng)),
            };
            apps.push(AppSlot {
                app,
                node: NodeId(f.from as u32),
                flow: i as u32,
                ttl: f.ttl,
            });
        }
        let world = World {
            now: SimTime::ZERO,
            events: EventQueue::new(),
            net,
            failures: LinkStates::new(&scenario),
            aqm_acted: Dequeued::default(),
            obs: Observers {
                stats,
                capture: None,
                trace: Tracer::new(
                    options
                        .trace
                        .map(|w| Box::new(TraceWriter::new(w)) as Box<dyn TraceSink>)
                        .into_iter()
                        .chain(options.sinks)
                        .collect(),
                ),
                log: None,
            },
            site: GLOBAL_SITE,
            depth: 0,
            scheduled_by: vec![0; scenario.nodes.len() + 1],
            part: None,
        };
        let stack = Stack::new(
            scenario
                .nodes
                .iter()
                .map(|n| rng::stream(scenario.seed, &format!("isn:{}", n.name)))
                .collect(),
            scenario.nodes.iter().map(|n| n.local_latency).collect(),
            scenario.tcp,
            apps.len(),
        );
        Ok(Simulation {
            scenario,
            world,
            stack,
            apps,
            processed: 0,
            started: false,
            limits: caps,
            next_check: 0,
            stopped: None,
            notice_batch: Vec::new(),
            profile: None,
            threads: options.threads,
            extra_apps: false,
            muted_until: None,
            parts_used: 1,
            windows: 0,
        })
    }

    /// Writes one pcap capture per link direction into `dir` (see
    /// `crate::capture`). Call before the run starts.
    pub fn capture_pcap(&mut self, dir: &std::path::Path) -> Result<()> {
        if self.started {
            return Err(Error::Internal(
                "pcap capture enabled after the start".into(),
            ));
        }
        self.world.obs.capture = Some(crate::capture::Capture::create(dir, &self.world.net)?);
        Ok(())
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// How many parts (threads) the run was split into: 1 when it ran
    /// sequentially (see `RunOptions::threads`), also when a parallel run was
    /// stopped by a cap and rerun.
    pub fn parts_used(&self) -> usize {
        self.parts_used
    }

    /// How many windows a parallel run's parts processed between barriers
    /// (0 when it ran sequentially): events over windows is how much work
    /// each meeting had to pay for.
    pub fn windows(&self) -> u64 {
        self.windows
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.processed
    }

    pub fn now(&self) -> SimTime {
        self.world.now
    }

    fn with_app(&mut self, app: AppId, f: impl FnOnce(&mut dyn App, &mut Ctx)) {
        let slot = &mut self.apps[app.index()];
        let mut ctx = Ctx::new(
            &mut self.stack,
            &mut self.world,
            app,
            slot.node,
            slot.flow,
            slot.ttl,
        );
        f(slot.app.as_mut(), &mut ctx);
    }

    fn start(&mut self) {
        self.started = true;
        self.world.enter(GLOBAL_SITE, 0);
        for (at, index, down) in self.world.failures.first_changes(&self.scenario) {
            self.world.push(at, Event::Failure { index, down });
        }
        for i in 0..self.apps.len() {
            let node = self.apps[i].node;
            if self.world.part.as_ref().is_some_and(|p| !p.owns(node)) {
                continue;
            }
            self.world.enter(node.0, 0);
            if let Some(log) = &mut self.world.obs.log {
                // Before every event at time 0 (those have a depth of 1 or more).
                log.key = (SimTime::ZERO, i as u64, 0);
            }
            self.with_app(AppId(i as u32), |app, ctx| app.start(ctx));
            self.dispatch_notices();
        }
    }

    /// The site an event belongs to: the node whose state it changes (the
    /// global site for failures and route changes, and for a stale timer,
    /// which changes nothing).
    fn site_of(&self, event: Event) -> u32 {
        let channel = |c: ChannelId| &self.world.net.channels[c.index()];
        match event {
            Event::TxDone { channel: c, .. } => channel(c).from.0,
            Event::Arrive { channel: c, .. } => channel(c).to.0,
            Event::AppWake { app, .. } => self.apps[app.index()].node.0,
            Event::Stack(timer) => self.stack.timer_node(timer).map_or(GLOBAL_SITE, |n| n.0),
            Event::Failure { .. } | Event::Detect { .. } | Event::Reconverge => GLOBAL_SITE,
        }
    }

    /// Processes one event popped from the queue.
    #[inline]
    fn dispatch(&mut self, t: SimTime, tie: u64, event: Event) {
        self.world.now = t;
        // A global event is processed by every part, and counted by one.
        if !event.is_global() || self.world.records_global() {
            self.processed += 1;
        }
        let site = self.site_of(event);
        self.world.enter(site, tie);
        if let Some(log) = &mut self.world.obs.log {
            log.key = (t, tie, 0);
            if let Some(until) = self.muted_until {
                if t >= until {
                    self.muted_until = None;
                    self.world.obs.log = None;
                } else {
                    log.entries.clear();
                }
            }
        }
        if self.profile.is_some() {
            self.profile_event(t, event);
        }
        match event {
            Event::TxDone { channel, epoch } => self.world.on_tx_done(channel, epoch),
            Event::Arrive { channel, epoch } => {
                self.world.on_arrive(&mut self.stack, channel, epoch)
            }
            Event::AppWake { app, token } => self.with_app(app, |a, ctx| a.wake(ctx, token)),
            Event::Failure { index, down } => self.world.on_failure(&self.scenario, index, down),
            Event::Detect { link, down } => self.world.on_detect(&self.scenario, link, down),
            Event::Reconverge => self.world.on_reconverge(&self.scenario),
            Event::Stack(timer) => self.stack.on_timer(&mut self.world, timer),
        }
        if self.stack.has_notices() {
            self.dispatch_notices();
        }
    }

    /// Tells applications what the last event did to their sockets, in the
    /// order it happened (handlers may cause further notices).
    fn dispatch_notices(&mut self) {
        // Two buffers swapped, so neither is reallocated per event.
        let mut batch = std::mem::take(&mut self.notice_batch);
        while self.stack.has_notices() {
            self.stack.take_notices(&mut batch);
            for notice in batch.drain(..) {
                match notice {
                    Notice::Readable { app, sock } => {
                        self.with_app(app, |a, ctx| a.readable(ctx, sock))
                    }
                    Notice::Writable { app, sock } => {
                        self.with_app(app, |a, ctx| a.writable(ctx, sock))
                    }
                    Notice::Urgent { app, sock } => {
                        self.with_app(app, |a, ctx| a.urgent(ctx, sock))
                    }
                    Notice::Connected { app, sock, result } => {
                        self.with_app(app, |a, ctx| a.connected(ctx, sock, result))
                    }
                }
            }
        }
        self.notice_batch = batch;
    }

    /// Runs until simulated time `until` (inclusive) or the end of the scenario.
    pub fn run_until(&mut self, until: SimTime) {
        let end = until.min(self.scenario.duration);
        // A cap that stops a parallel run leaves the rest to the sequential
        // engine (`muted_until` set).
        if !self.started && self.run_parallel(self.threads, end) && self.muted_until.is_none() {
            return;
        }
        if !self.started {
            self.start();
        }
        while let Some(t) = self.world.events.peek_time() {
            if t > end || self.stopped.is_some() {
                break;
            }
            if self.processed >= self.next_check && self.slow_checks() {
                break;
            }
            let (t, tie, event) = self.world.events.pop_tied().expect("peeked");
            self.dispatch(t, tie, event);
            let live = self.world.net.packets.live() as u64;
            if live > self.limits.max_packets_in_flight {
                self.stop(limits::Cap::PacketsInFlight, live);
                break;
            }
        }
        if self.stopped.is_none() {
            self.world.now = self.world.now.max(end);
        }
    }

    /// Counts the event against the splits being profiled.
    #[inline(never)]
    fn profile_event(&mut self, t: SimTime, event: Event) {
        use partition::Site;
        let site = match event {
            Event::TxDone { channel, .. } => {
                Site::Node(self.world.net.channels[channel.index()].from)
            }
            Event::Arrive { channel, .. } => {
                let c = &self.world.net.channels[channel.index()];
                Site::Arrival {
                    from: c.from,
                    to: c.to,
                }
            }
            Event::AppWake { app, .. } => Site::Node(self.apps[app.index()].node),
            Event::Stack(timer) => match self.stack.timer_node(timer) {
                Some(node) => Site::Node(node),
                // A stale timer costs a lookup; any part can absorb it.
                None => Site::Node(NodeId(0)),
            },
            Event::Failure { .. } | Event::Detect { .. } | Event::Reconverge => Site::Global,
        };
        if let Some(p) = &mut self.profile {
            p.event(t, site);
        }
    }

    /// Profiles the run's parallelism under splits into each of `parts`
    /// parts (see `partition::Profile`). Call before the run starts.
    pub fn profile(&mut self, parts: &[usize]) {
        self.profile = Some(Box::new(partition::Profile::new(&self.scenario, parts)));
    }

    /// The profile's table, for an event cost and a barrier cost in ns.
    pub fn profile_table(
        &mut self,
        event_ns: f64,
        spin_ns: impl Fn(usize) -> f64,
        sleep_ns: impl Fn(usize) -> f64,
    ) -> Option<String> {
        Some(self.profile.as_mut()?.table(event_ns, spin_ns, sleep_ns))
    }

    /// The event cap and, every `MEMORY_CHECK_EVERY` events, the memory cap;
    /// true when one stops the run. Sets when to call again.
    fn slow_checks(&mut self) -> bool {
        let caps = self.limits;
        if self.processed >= caps.max_events {
            self.stop(limits::Cap::Events, self.processed);
            return true;
        }
        if caps.max_memory < u64::MAX {
            if let Some(rss) = limits::resident_memory() {
                if rss > caps.max_memory {
                    self.stop(limits::Cap::Memory, rss);
                    return true;
                }
            }
        }
        let next_memory = self.processed.saturating_add(limits::MEMORY_CHECK_EVERY);
        self.next_check = next_memory.min(caps.max_events);
        false
    }

    fn stop(&mut self, cap: limits::Cap, measured: u64) {
        let limit = match cap {
            limits::Cap::Events => self.limits.max_events,
            limits::Cap::PacketsInFlight => self.limits.max_packets_in_flight,
            limits::Cap::Nodes => self.limits.max_nodes,
            limits::Cap::Memory => self.limits.max_memory,
        };
        self.stopped = Some(limits::LimitHit {
            cap,
            limit,
            measured,
            at: self.world.now,
            events: self.processed,
        });
    }

    /// The cap that stopped the run, if one did (`run_until` then returns
    /// early, and does nothing more when called again).
    pub fn limit_hit(&self) -> Option<&limits::LimitHit> {
        self.stopped.as_ref()
    }

    /// Runs to the end and returns the figures.
    /// A cap that stops the run makes this an `Error::Limit` (the partial
    /// figures are dropped; `run_until`, `limit_hit` and `finish` keep them).
    pub fn run(mut self) -> Result<Report> {
        self.run_until(self.scenario.duration);
        if let Some(hit) = self.stopped.take() {
            return Err(Error::Limit(hit));
        }
        self.finish()
    }

    /// Ends the run: flushes the trace and computes the report.
    pub fn finish(mut self) -> Result<Report> {
        self.stack.finish(&mut self.world);
        let Observers {
            stats,
            capture,
            trace,
            ..
        } = self.world.obs;
        if let Some(mut t) = trace {
            t.finish()
                .map_err(|e| Error::Internal(format!("writing the trace failed: {e}")))?;
        }
        if let Some(c) = capture {
            c.finish()?;
        }
        Ok(stats.report(&self.scenario, &self.world.net, self.processed))
    }
}

/// The server applications of local flows: one per host and path, serving it
/// the way the first flow to it asks (flows with `sink = false` start none).
fn local_servers(sc: &Scenario) -> Vec<AppSlot> {
    let mut first: BTreeMap<(usize, &str), (usize, &LocalFlow)> = BTreeMap::new();
    for (i, f) in sc.flows.iter().enumerate().filter(|(_, f)| f.sink) {
        if let Some(l) = f.local() {
            first.entry((f.to, l.path.as_str())).or_insert((i, l));
        }
    }
    first
        .into_iter()
        .map(|((node, _), (i, local))| AppSlot {
            app: Box::new(LocalServer::new(local.clone())),
            node: NodeId(node as u32),
            flow: i as u32,
            ttl: 64,
        })
        .collect()
}

impl Simulation {
    /// Runs `app` on `host` too: a program of one's own written against the
    /// socket calls, beside the applications of the scenario's flows (it sends
    /// for no flow: the flow statistics do not count it). Call before the run
    /// starts; the application is started after those of the flows.
    pub fn add_app(&mut self, host: &str, app: Box<dyn App>) -> Result<()> {
        if self.started {
            return Err(Error::Usage(
                "applications are added before the run starts".into(),
            ));
        }
        let Some(node) = self.scenario.nodes.iter().position(|n| n.name == host) else {
            return Err(Error::Usage(format!("no node named `{host}`")));
        };
        self.apps.push(AppSlot {
            app,
            node: NodeId(node as u32),
            flow: NO_FLOW,
            ttl: 64,
        });
        self.extra_apps = true;
        self.stack.add_app();
        Ok(())
    }
}
