//! One run on several threads (`--threads N`), with the same outputs, byte for
//! byte, as on one.
//!
//! The scheme is the synchronous conservative one `partition` describes
//! (Lubachevsky's bounded lag; Nicol's YAWNS): the topology is split into
//! parts, one per thread, and every part processes its own events of a window
//! `[T, T + L)`, `L` being the shortest propagation delay of a cut link, then
//! all meet at a barrier, hand over the packets that crossed, and start the
//! next window at the earliest pending event of any part.
//!
//! Each part is a whole `Simulation` of the scenario that runs only the nodes
//! it owns; a packet that leaves on a cut link is handed to the far end's part
//! with the key of its arrival event. Three things make the result the same as
//! the sequential run's:
//! - Events are ordered by `(time, tie)`, the tie naming the scheduling site
//!   and its own count (`World::next_tie`): what fires when at a node depends
//!   only on that node's history, not on the split.
//! - Everything that names a packet, connection or socket counts per node
//!   (packet uids, socket numbers) or is renumbered in the run's order here
//!   (connection serials).
//! - A part's trace records go to a log, under the key of the event that made
//!   them; after each window the main thread merges the parts' logs by key,
//!   which is the sequential run's order, and feeds the run's one set of
//!   subscribers (statistics, trace, captures, viewer).
//!
//! A cap (`limits`) is checked at each barrier against a bound of what the
//! sequential run would see; when the bound reaches one, the parallel run
//! stops and the sequential engine reruns from the start, its records muted up
//! to the window where the parallel run stopped. Runs the split cannot serve
//! (applications added with `add_app`; a split with no positive lookahead)
//! run sequentially.
//!
//! Failures, link detection and reconvergence concern no one node: every part
//! processes them at their place in its order, so that each keeps the links'
//! states and the routes the sequential run has. The first part makes their
//! records; the packets a failing link loses are recorded by the parts that
//! held them (the near end: waiting, serialized, handed over in this window;
//! the far end: propagating since an earlier window), each under a step of
//! the event's key that puts them in the sequential run's order.

use super::observe::{Key, Log, Record};
use super::{Event, RunOptions, Simulation, World, conn_ref};
use crate::ids::NodeId;
use crate::limits;
use crate::net::link::{ChannelCounters, ChannelId};
use crate::net::packet::Packet;
use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::sim::barrier::SpinBarrier;
use crate::stack::Endpoint;
use crate::trace::{DropReason, PacketRecord, TraceSink};
use std::sync::mpsc::{Receiver, Sender, channel};
use std::sync::{Arc, Mutex};

use super::partition::Partition;

/// What a part's world knows of the split.
pub(super) struct PartLink {
    me: u32,
    part_of: Arc<[u32]>,
    /// Packets handed to other parts in this window.
    outbox: Vec<Transfer>,
}

impl PartLink {
    #[inline]
    pub(super) fn owns(&self, node: NodeId) -> bool {
        self.part_of[node.index()] == self.me
    }

    /// Whether this is the part that makes the records of the global events
    /// (every part processes them, to keep its links and routes).
    #[inline]
    pub(super) fn is_first(&self) -> bool {
        self.me == 0
    }
}

/// A packet crossing a cut link, with its arrival event's key. `None`: the
/// link failed under it; its (stale) arrival event still happens, as in the
/// sequential run.
pub(super) struct Transfer {
    at: SimTime,
    tie: u64,
    channel: ChannelId,
    epoch: u32,
    packet: Option<Packet>,
}

impl World {
    /// The packet that just started propagating on `channel` arrives in
    /// another part: hand it over, with the key its arrival event has.
    pub(super) fn send_across(&mut self, at: SimTime, tie: u64, channel: ChannelId, epoch: u32) {
        let id = self.net.channels[channel.index()].hand_over();
        let packet = self.net.packets.remove(id);
        let part = self.part.as_mut().expect("a part of a parallel run");
        part.outbox.push(Transfer {
            at,
            tie,
            channel,
            epoch,
            packet: Some(packet),
        });
    }

    /// `channel` fails: the packets handed over on it in this window, which
    /// the far end's part has not received yet, are lost with it (the
    /// sequential run finds them propagating).
    pub(super) fn lose_handed_over(&mut self, channel: ChannelId) {
        let Some(part) = self.part.as_mut() else {
            return;
        };
        let lost: Vec<Packet> = (part.outbox.iter_mut())
            .filter(|t| t.channel == channel)
            .filter_map(|t| t.packet.take())
            .collect();
        let from = self.net.channels[channel.index()].from;
        for packet in lost {
            let id = self.net.packets.insert_moved(packet);
            self.drop_packet(from, Some(channel), DropReason::LinkDown, id);
        }
    }

    /// A packet from another part starts propagating towards this one.
    fn accept(&mut self, t: Transfer) {
        if let Some(packet) = t.packet {
            let id = self.net.packets.insert_moved(packet);
            self.net.channels[t.channel.index()].propagate(id);
        }
        let arrive = Event::Arrive {
            channel: t.channel,
            epoch: t.epoch,
        };
        self.events.push_tied(t.at, t.tie, arrive);
    }
}

/// What a part tells the others at a barrier.
#[derive(Clone, Copy)]
struct WindowReport {
    /// Its earliest pending event, or earliest packet handed over (ns).
    next: u64,
    processed: u64,
    /// A bound on the packets alive in it at any moment of the window,
    /// counting those it handed over.
    live_bound: u64,
    memory_over: bool,
    /// Records in its log not yet sent to the main thread.
    logged: u64,
}

/// The parts send their logs to the main thread together, once the windows
/// since the last sending hold this many records between them or number
/// this many: sending each window's would cost a wake-up of the main thread
/// per window, which short windows cannot pay for.
const SEND_RECORDS: u64 = 1 << 14;
const SEND_WINDOWS: u64 = 64;

/// What the parts share: the barrier, and per window parity (a window's
/// slots are read after its barrier and written again only after the next)
/// the packets sent to each part and each part's report.
struct Exchange {
    barrier: SpinBarrier,
    mail: [Vec<Mutex<Vec<Transfer>>>; 2],
    reports: [Vec<Mutex<WindowReport>>; 2],
}

/// What a part sends the main thread.
enum Msg {
    /// The records of the windows processed since the last sending (the
    /// same windows for every part).
    Window(Vec<(Key, Record)>),
    /// A cap may have been reached in the window starting at this time.
    Aborted(SimTime),
    /// The end: the connections still open, and the counters of the channels
    /// it transmits on.
    Done(Box<Finished>),
}

struct Finished {
    still_open: Vec<(Key, Record)>,
    counters: Vec<(ChannelId, ChannelCounters)>,
    processed: u64,
    windows: u64,
}

/// What every part needs to know of the run.
struct Plan {
    part_of: Arc<[u32]>,
    parts: usize,
    lookahead: SimTime,
    end: SimTime,
    caps: limits::Resolved,
    tracing: bool,
    capturing: bool,
}

/// Connection serials in the run's order: a part numbers its own connections
/// 0, 1, …; the main thread gives each the next serial of the run when its
/// opening record comes by, which is when the sequential run opened it.
struct Serials {
    of_part: Vec<Vec<u32>>,
    opened: u32,
}

impl Serials {
    fn open(&mut self, part: usize, mut end: Endpoint) -> Endpoint {
        debug_assert_eq!(self.of_part[part].len(), end.serial as usize);
        self.of_part[part].push(self.opened);
        end.serial = self.opened;
        self.opened += 1;
        end
    }

    fn map(&self, part: usize, mut end: Endpoint) -> Endpoint {
        end.serial = self.of_part[part][end.serial as usize];
        end
    }
}

impl Simulation {
    /// The split a run to `end` on `threads` threads would use, and how many
    /// parts it has, if it can be run so.
    fn parallel_plan(&self, threads: usize, end: SimTime) -> Option<(Partition, usize)> {
        let sc = &self.scenario;
        let eligible = threads > 1
            && !self.started
            && self.profile.is_none()
            && !self.extra_apps
            && end == sc.duration;
        if !eligible {
            return None;
        }
        let split = Partition::split(sc, threads);
        let parts = split.part_of.iter().max().map_or(0, |m| *m as usize + 1);
        match split.lookahead {
            Some(l) if l > SimTime::ZERO && parts > 1 => Some((split, parts)),
            _ => None,
        }
    }

    /// Runs to `end` on `threads` threads if the run can be split; false if
    /// not (nothing happened then).
    pub(super) fn run_parallel(&mut self, threads: usize, end: SimTime) -> bool {
        let Some((split, parts)) = self.parallel_plan(threads, end) else {
            return false;
        };
        let plan = Plan {
            part_of: split.part_of.into(),
            parts,
            lookahead: split.lookahead.expect("checked"),
            end,
            caps: self.limits,
            tracing: self.world.obs.tracing(),
            capturing: self.world.obs.capture.is_some(),
        };
        let exchange = Exchange {
            barrier: SpinBarrier::new(parts),
            mail: [0, 1].map(|_| (0..parts).map(|_| Mutex::new(Vec::new())).collect()),
            reports: [0, 1].map(|_| {
                (0..parts)
                    .map(|_| {
                        Mutex::new(WindowReport {
                            next: u64::MAX,
                            processed: 0,
                            live_bound: 0,
                            memory_over: false,
                            logged: 0,
                        })
                    })
                    .collect()
            }),
        };
        let outcome = std::thread::scope(|s| {
            let receivers: Vec<Receiver<Msg>> = (0..parts)
                .map(|me| {
                    let (tx, rx) = channel();
                    let (sc, plan, exchange) = (self.scenario.clone(), &plan, &exchange);
                    s.spawn(move || run_part(sc, plan, me, exchange, tx));
                    rx
                })
                .collect();
            self.gather(&receivers, &plan)
        });
        match outcome {
            Ok(windows) => (self.parts_used, self.windows) = (parts, windows),
            Err(from) => self.rerun_after(from),
        }
        true
    }

    /// The main thread's side: merges the parts' records window by window
    /// into the run's subscribers; returns how many windows there were.
    /// `Err(T)`: the parts stopped at the window starting at `T` (a cap).
    fn gather(&mut self, receivers: &[Receiver<Msg>], plan: &Plan) -> Result<u64, SimTime> {
        let mut serials = Serials {
            of_part: vec![Vec::new(); plan.parts],
            opened: 0,
        };
        loop {
            let mut logs = Vec::with_capacity(plan.parts);
            let mut finished = Vec::new();
            let mut aborted = None;
            for rx in receivers {
                match rx.recv() {
                    Ok(Msg::Window(log)) => logs.push(log),
                    Ok(Msg::Aborted(from)) => aborted = Some(from),
                    Ok(Msg::Done(f)) => finished.push(*f),
                    Err(_) => {
                        // A part died; the others wait at a barrier for ever.
                        eprintln!("netsim: a thread of the parallel run failed");
                        std::process::abort();
                    }
                }
            }
            if let Some(from) = aborted {
                return Err(from);
            }
            if !finished.is_empty() {
                let windows = finished[0].windows;
                self.finish_parallel(finished, &serials, plan.end);
                return Ok(windows);
            }
            self.merge(logs, &mut serials);
        }
    }

    /// Feeds the records of one window to the subscribers in the run's order:
    /// always the smallest key at the head of a part's log (a part's log is in
    /// key order, `World::next_tie`).
    fn merge(&mut self, logs: Vec<Vec<(Key, Record)>>, serials: &mut Serials) {
        let mut heads: Vec<_> = logs.into_iter().map(|l| l.into_iter().peekable()).collect();
        loop {
            let mut best: Option<(usize, Key)> = None;
            for (p, head) in heads.iter_mut().enumerate() {
                if let Some((k, _)) = head.peek() {
                    if best.is_none_or(|(_, b)| *k < b) {
                        best = Some((p, *k));
                    }
                }
            }
            let Some((p, key)) = best else {
                return;
            };
            while let Some((_, record)) = heads[p].next_if(|(k, _)| *k == key) {
                self.replay(p, key.0, record, serials);
            }
        }
    }

    /// Hands one record of part `part` to the subscribers.
    fn replay(&mut self, part: usize, now: SimTime, record: Record, serials: &mut Serials) {
        let net = &self.world.net;
        let obs = &mut self.world.obs;
        match record {
            Record::Packet {
                node,
                event,
                packet,
                queue,
            } => {
                let record = PacketRecord {
                    now,
                    node,
                    event,
                    packet: &packet,
                    queue,
                };
                obs.packet(&record, net);
            }
            Record::Queue { channel, waiting } => obs.queue(now, channel, waiting),
            Record::Call { node, call } => obs.call(now, node, &net.nodes[node.index()].name, call),
            Record::Note {
                node,
                event,
                detail,
            } => obs.note(now, &net.nodes[node.index()].name, &event, &detail),
            Record::Tcp { end, event } => {
                obs.tcp(now, &conn_ref(net, serials.map(part, end)), &event)
            }
            Record::TcpOpened { end, client } => {
                let end = serials.open(part, end);
                obs.tcp_opened(now, &conn_ref(net, end), client)
            }
            Record::TcpClosed { end, last } => {
                obs.tcp_closed(now, &conn_ref(net, serials.map(part, end)), &last)
            }
            Record::Flow(record) => obs.flow(now, record),
            Record::Element {
                what,
                subject,
                down,
            } => obs.element(now, what, &subject, down),
            Record::LinkState { link, down } => obs.link_state(now, link, down),
            Record::RoutesUpdated { detail } => obs.routes_updated(now, &detail),
        }
    }

    /// The end of a parallel run: the connections still open (in the order
    /// they were opened, as `Stack::finish` reports them), the channel
    /// counters from the parts that transmit on them, the event count.
    fn finish_parallel(&mut self, finished: Vec<Finished>, serials: &Serials, until: SimTime) {
        let mut still_open = Vec::new();
        for (part, f) in finished.into_iter().enumerate() {
            for (_, record) in f.still_open {
                if let Record::TcpClosed { end, last } = record {
                    still_open.push((serials.map(part, end), last));
                }
            }
            for (channel, counters) in f.counters {
                self.world.net.channels[channel.index()].counters = counters;
            }
            self.processed += f.processed;
        }
        still_open.sort_by_key(|(end, _)| end.serial);
        for (end, last) in still_open {
            let conn = conn_ref(&self.world.net, end);
            self.world.obs.tcp_closed(until, &conn, &last);
        }
        self.started = true;
        self.world.now = until;
    }

    /// A cap may have stopped the sequential run in the window starting at
    /// `from`: run it sequentially, its records before `from` muted (the
    /// subscribers have them already).
    fn rerun_after(&mut self, from: SimTime) {
        self.muted_until = Some(from);
        self.world.obs.log = Some(Box::new(Log::new(false, false)));
    }
}

/// One part's thread: runs the nodes it owns window by window.
fn run_part(sc: Scenario, plan: &Plan, me: usize, ex: &Exchange, tx: Sender<Msg>) {
    let options = RunOptions {
        limits: limits::Limits::UNLIMITED,
        ..Default::default()
    };
    let mut sim = Simulation::new(sc, options).expect("the scenario built once already");
    sim.world.part = Some(PartLink {
        me: me as u32,
        part_of: plan.part_of.clone(),
        outbox: Vec::new(),
    });
    sim.world.obs.log = Some(Box::new(Log::new(plan.tracing, plan.capturing)));
    sim.start();
    let mut per_part: Vec<Vec<Transfer>> = (0..plan.parts).map(|_| Vec::new()).collect();
    let (mut from, mut window, mut live_peak) = (SimTime::ZERO, 0usize, 0usize);
    let mut unsent_windows = 0;
    let mut next_memory_check = limits::MEMORY_CHECK_EVERY;
    loop {
        let parity = window % 2;
        let world = &mut sim.world;
        let outbox = std::mem::take(&mut world.part.as_mut().expect("part").outbox);
        let next = world.events.earliest().map_or(u64::MAX, |t| t.0);
        let (mut next, handed) = (next, outbox.len());
        for t in outbox {
            next = next.min(t.at.0);
            per_part[plan.part_of[world.net.channels[t.channel.index()].to.index()] as usize]
                .push(t);
        }
        for (dst, sent) in per_part.iter_mut().enumerate() {
            if !sent.is_empty() {
                ex.mail[parity][dst].lock().expect("mail").append(sent);
            }
        }
        let memory_over = me == 0
            && plan.caps.max_memory < u64::MAX
            && sim.processed >= next_memory_check
            && limits::resident_memory().is_some_and(|rss| rss > plan.caps.max_memory);
        if sim.processed >= next_memory_check {
            next_memory_check = sim.processed + limits::MEMORY_CHECK_EVERY;
        }
        *ex.reports[parity][me].lock().expect("report") = WindowReport {
            next,
            processed: sim.processed,
            live_bound: (live_peak + handed) as u64,
            memory_over,
            logged: sim
                .world
                .obs
                .log
                .as_ref()
                .map_or(0, |l| l.entries.len() as u64),
        };
        ex.barrier.wait();
        let reports: Vec<WindowReport> = ex.reports[parity]
            .iter()
            .map(|r| *r.lock().expect("report"))
            .collect();
        let processed: u64 = reports.iter().map(|r| r.processed).sum();
        let live_bound: u64 = reports.iter().map(|r| r.live_bound).sum();
        let over = processed >= plan.caps.max_events
            || live_bound > plan.caps.max_packets_in_flight
            || reports.iter().any(|r| r.memory_over);
        let log = sim.world.obs.log.as_mut().expect("part log");
        if over {
            // The windows before the one just processed are the main
            // thread's; the sequential rerun makes that one's records again.
            let mut sent = std::mem::take(&mut log.entries);
            sent.truncate(sent.partition_point(|(key, _)| key.0 < from));
            let _ = tx.send(Msg::Window(sent));
            let _ = tx.send(Msg::Aborted(from));
            return;
        }
        let next = SimTime(reports.iter().map(|r| r.next).min().unwrap_or(u64::MAX));
        // Every part reads the same reports, so all send at the same windows.
        unsent_windows += 1;
        let logged: u64 = reports.iter().map(|r| r.logged).sum();
        if next > plan.end || logged >= SEND_RECORDS || unsent_windows >= SEND_WINDOWS {
            let _ = tx.send(Msg::Window(std::mem::take(&mut log.entries)));
            unsent_windows = 0;
        }
        let arrived = std::mem::take(&mut *ex.mail[parity][me].lock().expect("mail"));
        for t in arrived {
            sim.world.accept(t);
        }
        if next > plan.end {
            break;
        }
        from = next;
        live_peak = sim.world.net.packets.live();
        sim.run_window(from + plan.lookahead, plan.end, &mut live_peak);
        window += 1;
    }
    sim.stack.finish(&mut sim.world);
    let log = sim.world.obs.log.as_mut().expect("part log");
    let still_open = std::mem::take(&mut log.entries);
    let part = sim.world.part.as_ref().expect("part");
    let counters = sim
        .world
        .net
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| part.owns(c.from))
        .map(|(i, c)| (ChannelId(i as u32), c.counters.clone()))
        .collect();
    let _ = tx.send(Msg::Done(Box::new(Finished {
        still_open,
        counters,
        processed: sim.processed,
        windows: window as u64,
    })));
}

impl Simulation {
    /// Processes the events before `before` (and not after `end`), keeping
    /// `live_peak` the most packets alive at once.
    fn run_window(&mut self, before: SimTime, end: SimTime, live_peak: &mut usize) {
        // Popped without a peek: a peek would settle the queue on a time that
        // a packet from another part may still precede.
        let limit = before.min(SimTime(end.0.saturating_add(1)));
        while let Some((t, tie, event)) = self.world.events.pop_before(limit) {
            self.dispatch(t, tie, event);
            *live_peak = (*live_peak).max(self.world.net.packets.live());
        }
    }
}
