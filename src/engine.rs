//! The simulation: the world's state, the event enum and the one dispatch loop.
//!
//! Event order is `(time, insertion sequence)` (see `sim::queue`). The run covers
//! the closed interval [0, duration]: an event scheduled exactly at the end still
//! fires; later ones never do.

use crate::app::sink::UdpSink;
use crate::app::udp_source::UdpSource;
use crate::app::{App, Ctx};
use crate::error::{Error, Result};
use crate::net::Network;
use crate::net::link::{ChannelId, Offer};
use crate::net::packet::{NO_FLOW, Packet, PacketId, Transport};
use crate::scenario::{NodeKind, Scenario};
use crate::sim::{EventQueue, SimTime, rng};
use crate::socket::{SocketId, SocketTable, UdpDelivery};
use crate::stats::{Collector, Report};
use crate::trace::{DropReason, PacketEvent, SocketCall, TraceWriter};
use std::collections::BTreeSet;
use std::io::Write;

/// Everything that can happen. The engine matches on it in one place (`Simulation::step`).
#[derive(Clone, Copy, Debug)]
pub enum Event {
    /// A channel's transmitter finished serializing its current packet.
    TxDone { channel: ChannelId },
    /// A packet finished propagating over `channel` and reaches its far end.
    Arrive {
        channel: ChannelId,
        packet: PacketId,
    },
    /// An application's timer.
    AppWake { app: u32, token: u64 },
}

/// Something an application must be told after the current event.
enum Notice {
    Readable { app: u32, sock: SocketId },
}

/// The simulated world, minus the applications (which are borrowed separately
/// while they run, so that they can call into the world).
pub struct World {
    pub now: SimTime,
    pub events: EventQueue<Event>,
    pub net: Network,
    pub sockets: SocketTable,
    pub stats: Collector,
    pub(crate) app_stream_offsets: Vec<u64>,
    trace: Option<TraceWriter>,
    notices: Vec<Notice>,
}

impl World {
    pub(crate) fn schedule_wake(&mut self, at: SimTime, app: u32, token: u64) {
        self.events.push(at, Event::AppWake { app, token });
    }

    pub(crate) fn trace_call(&mut self, node: u32, call: SocketCall) {
        if let Some(t) = &mut self.trace {
            t.call(self.now, &self.net.nodes[node as usize].name, call);
        }
    }

    /// Feeds one trace point to the statistics and, if enabled, to the trace.
    fn record(&mut self, node: u32, event: PacketEvent, packet: PacketId) {
        let p = self.net.packets.get(packet);
        self.stats.packet(self.now, event, p);
        if let Some(t) = &mut self.trace {
            t.packet(self.now, node, event, p, &self.net);
        }
    }

    fn drop_packet(
        &mut self,
        node: u32,
        channel: Option<ChannelId>,
        reason: DropReason,
        packet: PacketId,
    ) {
        self.record(node, PacketEvent::Drop { channel, reason }, packet);
        self.net.packets.remove(packet);
    }

    /// A host's IP layer sends a packet it originated.
    pub(crate) fn send_from_host(&mut self, node: u32, packet: Packet) {
        let id = self.net.packets.insert(packet);
        self.forward(node, id);
    }

    /// Looks up the route at `node` and queues the packet on the outgoing channel.
    fn forward(&mut self, node: u32, packet: PacketId) {
        let dst = self.net.packets.get(packet).dst;
        let Some(channel) = self.net.routes.next_channel(node as usize, dst as usize) else {
            return self.drop_packet(node, None, DropReason::NoRoute, packet);
        };
        let len = self.net.packets.get(packet).wire_len();
        if !self.net.channels[channel as usize].has_room(len) {
            return self.drop_packet(node, Some(channel), DropReason::QueueOverflow, packet);
        }
        self.record(node, PacketEvent::Enqueue { channel }, packet);
        match self.net.channels[channel as usize].offer(packet, len) {
            Offer::Transmit(t) => self.start_transmit(node, channel, packet, t),
            Offer::Queued => {}
        }
    }

    fn start_transmit(
        &mut self,
        node: u32,
        channel: ChannelId,
        packet: PacketId,
        serialization: SimTime,
    ) {
        self.record(node, PacketEvent::Transmit { channel }, packet);
        self.events
            .push(self.now + serialization, Event::TxDone { channel });
    }

    fn on_tx_done(&mut self, channel: ChannelId) {
        let c = &mut self.net.channels[channel as usize];
        let (from, delay) = (c.from, c.delay);
        let (done, next) = c.finish();
        self.events.push(
            self.now + delay,
            Event::Arrive {
                channel,
                packet: done,
            },
        );
        if let Some((packet, t)) = next {
            self.start_transmit(from, channel, packet, t);
        }
    }

    fn on_arrive(&mut self, channel: ChannelId, packet: PacketId) {
        let c = &mut self.net.channels[channel as usize];
        let node = c.to;
        if c.draw_loss() {
            return self.drop_packet(node, Some(channel), DropReason::RandomLoss, packet);
        }
        self.record(node, PacketEvent::Receive { channel }, packet);
        if self.net.packets.get(packet).dst == node {
            return self.deliver(node, packet);
        }
        if self.net.nodes[node as usize].kind != NodeKind::Router {
            // Routes never send transit traffic through a host.
            return self.drop_packet(node, None, DropReason::NoRoute, packet);
        }
        let p = self.net.packets.get_mut(packet);
        p.ttl = p.ttl.saturating_sub(1);
        if p.ttl == 0 {
            return self.drop_packet(node, None, DropReason::TtlExpired, packet);
        }
        self.forward(node, packet);
    }

    /// The packet reached its destination host: hand it to the transport layer.
    fn deliver(&mut self, node: u32, packet: PacketId) {
        let p = self.net.packets.get(packet);
        match p.transport {
            Transport::Udp(udp) => match self.sockets.deliver_udp(node, p, &udp) {
                UdpDelivery::Queued { app, sock } => {
                    self.record(node, PacketEvent::Deliver, packet);
                    self.net.packets.remove(packet);
                    self.notices.push(Notice::Readable { app, sock });
                }
                UdpDelivery::PortUnreachable => {
                    self.drop_packet(node, None, DropReason::PortUnreachable, packet)
                }
                UdpDelivery::BufferFull => {
                    self.drop_packet(node, None, DropReason::SocketBufferFull, packet)
                }
            },
            Transport::Tcp(_) => self.drop_packet(node, None, DropReason::PortUnreachable, packet),
        }
    }
}

struct AppSlot {
    app: Box<dyn App>,
    node: u32,
    flow: u32,
    ttl: u8,
}

/// How to run: what to record besides the statistics.
#[derive(Default)]
pub struct RunOptions {
    /// Where to write the text trace, if anywhere.
    pub trace: Option<Box<dyn Write>>,
}

/// A scenario being simulated.
pub struct Simulation {
    scenario: Scenario,
    world: World,
    apps: Vec<AppSlot>,
    processed: u64,
    started: bool,
}

impl Simulation {
    pub fn new(scenario: Scenario, options: RunOptions) -> Result<Simulation> {
        let net = Network::build(&scenario);
        let stats = Collector::new(scenario.flows.len(), net.channels.len());
        let mut apps: Vec<AppSlot> = Vec::new();
        // Sinks first (one per destination host and port), so that they are bound
        // before any datagram can arrive.
        let sinks: BTreeSet<(usize, u16)> =
            scenario.flows.iter().map(|f| (f.to, f.dst_port)).collect();
        for (node, port) in sinks {
            apps.push(AppSlot {
                app: Box::new(UdpSink::new(port)),
                node: node as u32,
                flow: NO_FLOW,
                ttl: 64,
            });
        }
        for (i, f) in scenario.flows.iter().enumerate() {
            let rng = rng::stream(scenario.seed, &format!("flow:{}", f.name));
            let to = scenario.nodes[f.to].address;
            apps.push(AppSlot {
                app: Box::new(UdpSource::new(f.clone(), to, rng)),
                node: f.from as u32,
                flow: i as u32,
                ttl: f.ttl,
            });
        }
        let world = World {
            now: SimTime::ZERO,
            events: EventQueue::with_capacity(1024),
            net,
            sockets: SocketTable::default(),
            stats,
            app_stream_offsets: vec![0; apps.len()],
            trace: options.trace.map(TraceWriter::new),
            notices: Vec::new(),
        };
        Ok(Simulation {
            scenario,
            world,
            apps,
            processed: 0,
            started: false,
        })
    }

    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Events processed so far.
    pub fn events_processed(&self) -> u64 {
        self.processed
    }

    pub fn now(&self) -> SimTime {
        self.world.now
    }

    fn with_app(&mut self, app: u32, f: impl FnOnce(&mut dyn App, &mut Ctx)) {
        let slot = &mut self.apps[app as usize];
        let mut ctx = Ctx {
            world: &mut self.world,
            app,
            node: slot.node,
            flow: slot.flow,
            ttl: slot.ttl,
        };
        f(slot.app.as_mut(), &mut ctx);
    }

    fn start(&mut self) {
        self.started = true;
        for i in 0..self.apps.len() as u32 {
            self.with_app(i, |app, ctx| app.start(ctx));
            self.dispatch_notices();
        }
    }

    fn dispatch_notices(&mut self) {
        while let Some(Notice::Readable { app, sock }) = self.world.notices.pop() {
            self.with_app(app, |a, ctx| a.readable(ctx, sock));
        }
    }

    /// Runs until simulated time `until` (inclusive) or the end of the scenario.
    pub fn run_until(&mut self, until: SimTime) {
        if !self.started {
            self.start();
        }
        let end = until.min(self.scenario.duration);
        while let Some(t) = self.world.events.peek_time() {
            if t > end {
                break;
            }
            let (t, event) = self.world.events.pop().expect("peeked");
            self.world.now = t;
            self.processed += 1;
            match event {
                Event::TxDone { channel } => self.world.on_tx_done(channel),
                Event::Arrive { channel, packet } => self.world.on_arrive(channel, packet),
                Event::AppWake { app, token } => self.with_app(app, |a, ctx| a.wake(ctx, token)),
            }
            if !self.world.notices.is_empty() {
                self.dispatch_notices();
            }
        }
        self.world.now = self.world.now.max(end);
    }

    /// Runs to the end and returns the figures.
    pub fn run(mut self) -> Result<Report> {
        self.run_until(self.scenario.duration);
        self.finish()
    }

    /// Ends the run: flushes the trace and computes the report.
    pub fn finish(mut self) -> Result<Report> {
        if let Some(t) = self.world.trace.take() {
            t.finish()
                .map_err(|e| Error::Internal(format!("writing the trace failed: {e}")))?;
        }
        Ok(self
            .world
            .stats
            .report(&self.scenario, &self.world.net, self.processed))
    }
}
