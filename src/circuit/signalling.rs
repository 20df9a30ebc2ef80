//! The circuit-mode simulation: its events, the life of a call (SETUP,
//! CONNECT, RELEASE, TEARDOWN, retries) and the failures that break circuits.
//! The rules are those of the module documentation (`circuit`).

use super::capacity::{Holder, Links, Refusal};
use super::report::{Cause, CircuitReport, FlowHead, FlowTally, OutageTally, Outcome, SERIES_BINS};
use super::traffic::{CallArrivals, Offer};
use crate::ids::ChannelId;
use crate::net::failures::LinkStates;
use crate::net::routing::Routes;
use crate::scenario::{Scenario, TrafficPattern};
use crate::sim::{EventQueue, SimTime};
use crate::trace::TraceSink;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug)]
enum Ev {
    /// `Scenario::failures[index]` takes its element down or brings it up.
    Failure { index: u32, down: bool },
    /// Routes are recomputed from the links now up.
    Reconverge,
    /// The next call of a `calls` flow arrives.
    Arrival { flow: u32 },
    /// A flow of another pattern requests its one circuit.
    Start { flow: u32 },
    /// The caller sends a re-establishment SETUP.
    Retry { call: u32, epoch: u32 },
    /// The SETUP has been processed at node `hop` of its path and goes onto
    /// link `hop` of the path.
    Hop { call: u32, epoch: u32, hop: u32 },
    /// The CONNECT reaches the caller.
    Connect { call: u32, epoch: u32 },
    /// The caller learns that its circuit (TEARDOWN) or its retry (refusal) is gone.
    Learn { call: u32, epoch: u32 },
    /// The call's holding time is over.
    End { call: u32 },
    /// A release (RELEASE, TEARDOWN or refusal) frees a reservation on `link`.
    Free { link: u32, call: u32, epoch: u32 },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// The first SETUP (and its CONNECT) is on its way; nothing is sent yet.
    Setup,
    /// Data flows since `since`.
    Connected {
        since: SimTime,
    },
    /// A failure broke the circuit (or the attempt under way) and the caller
    /// does not know yet; what it offers meanwhile is lost with `cause`.
    Broken {
        cause: Cause,
    },
    /// The caller knows: waiting out a backoff, or a retry SETUP on its way.
    Reestablishing,
    Blocked,
    Dropped,
    Ended,
}

struct Call {
    flow: u32,
    arrival: SimTime,
    end: SimTime,
    phase: Phase,
    /// Start of the interval whose offered bytes are not accounted for yet.
    mark: SimTime,
    /// Bumped whenever the current attempt is abandoned; events and
    /// reservations of an older epoch are stale.
    epoch: u32,
    /// Retries since the circuit was last connected.
    retries: u32,
    /// When the current SETUP left the caller.
    sent_at: SimTime,
    /// The current attempt's path (channels), and how many of its links it holds.
    path: Vec<ChannelId>,
    reserved: usize,
    /// The failure that broke it, while the outcome is open: (outage, row).
    outage: Option<(usize, usize)>,
    /// For the teardown line: the failed link, and the bytes the break cost
    /// before the caller learned of it.
    broken_link: usize,
    teardown_lost: u64,
    delivered: u64,
}

struct FlowState {
    offer: Offer,
    arrivals: Option<CallArrivals>,
    tally: FlowTally,
}

pub(super) struct Sim<'a> {
    sc: &'a Scenario,
    trace: Option<&'a mut dyn TraceSink>,
    now: SimTime,
    events: EventQueue<Ev>,
    processed: u64,
    /// Events the run may process (`[limits]` max_events).
    pub(super) max_events: u64,
    links: Links,
    routes: Routes,
    failures: LinkStates,
    /// Per failure: the outage it has open while its element is down.
    open_outages: Vec<Option<usize>>,
    /// The latest instant a reconvergence is scheduled for (one per instant).
    reconverge_at: Option<SimTime>,
    flows: Vec<FlowState>,
    calls: Vec<Call>,
    outages: Vec<OutageTally>,
}

impl<'a> Sim<'a> {
    pub fn new(sc: &'a Scenario, trace: Option<&'a mut dyn TraceSink>) -> Sim<'a> {
        Sim {
            sc,
            trace,
            now: SimTime::ZERO,
            events: EventQueue::new(),
            processed: 0,
            max_events: u64::MAX,
            links: Links::new(sc),
            routes: Routes::compute(sc),
            failures: LinkStates::new(sc),
            open_outages: vec![None; sc.failures.len()],
            reconverge_at: None,
            flows: sc
                .flows
                .iter()
                .map(|f| FlowState {
                    offer: Offer::new(sc, f),
                    arrivals: CallArrivals::new(sc, f),
                    tally: FlowTally::new(),
                })
                .collect(),
            calls: Vec::new(),
            outages: Vec::new(),
        }
    }

    /// Runs over [0, duration] (an event exactly at the end still happens).
    pub fn run(self) -> CircuitReport {
        self.run_reporting_stop().0
    }

    /// `run`, and the simulated time at which the `max_events` cap stopped
    /// it, if it did.
    pub fn run_reporting_stop(mut self) -> (CircuitReport, Option<SimTime>) {
        let mut stopped = None;
        self.start();
        let end = self.sc.duration;
        while let Some(t) = self.events.peek_time() {
            if t > end {
                break;
            }
            if self.processed >= self.max_events {
                stopped = Some(self.now);
                break;
            }
            let (t, ev) = self.events.pop().expect("peeked");
            self.now = t;
            self.processed += 1;
            match ev {
                Ev::Failure { index, down } => self.on_failure(index as usize, down),
                Ev::Reconverge => self.on_reconverge(),
                Ev::Arrival { flow } => self.on_arrival(flow),
                Ev::Start { flow } => {
                    let f = &self.sc.flows[flow as usize];
                    // A fixed-size transfer holds its circuit until its bytes are sent.
                    let end = super::traffic::transfer_time(f)
                        .map_or(f.stop, |t| (f.start + t).min(f.stop));
                    self.start_call(flow, f.start, end);
                }
                Ev::Retry { call, epoch } => self.on_retry(call, epoch),
                Ev::Hop { call, epoch, hop } => self.on_hop(call, epoch, hop as usize),
                Ev::Connect { call, epoch } => self.on_connect(call, epoch),
                Ev::Learn { call, epoch } => self.on_learn(call, epoch),
                Ev::End { call } => self.on_end(call),
                Ev::Free { link, call, epoch } => {
                    self.links.free(self.now, link as usize, (call, epoch));
                    self.trace_reservation(link as usize);
                }
            }
        }
        if stopped.is_none() {
            self.now = end;
        }
        (self.report(), stopped)
    }

    /// Failures first, then the flows, as the packet engine starts them.
    fn start(&mut self) {
        for (at, index, down) in self.failures.first_changes(self.sc) {
            self.events.push(at, Ev::Failure { index, down });
        }
        for (i, f) in self.sc.flows.iter().enumerate() {
            if f.local().is_some() {
                continue; // Unix-domain IPC stays on its host: no network, no circuit
            }
            let flow = i as u32;
            match &mut self.flows[i].arrivals {
                Some(arrivals) => {
                    if let Some(t) = arrivals.next_after(f.start) {
                        self.events.push(t, Ev::Arrival { flow });
                    }
                }
                None => self.events.push(f.start, Ev::Start { flow }),
            }
        }
    }

    // ---- helpers -------------------------------------------------------

    fn p(&self) -> SimTime {
        self.sc.circuit.hop_processing
    }

    fn delay(&self, channel: ChannelId) -> SimTime {
        self.sc.links[channel.link().index()].delay
    }

    /// The node at which the `hop`-th link of `call`'s path starts.
    fn path_node(&self, call: u32, hop: usize) -> usize {
        let c = &self.calls[call as usize];
        match hop {
            0 => self.sc.flows[c.flow as usize].from,
            h => self.sc.channel_ends(c.path[h - 1]).1,
        }
    }

    /// "A-R1-R2-B"
    fn path_text(&self, call: u32) -> String {
        let c = &self.calls[call as usize];
        let mut names = vec![
            self.sc.nodes[self.sc.flows[c.flow as usize].from]
                .name
                .as_str(),
        ];
        names.extend(
            c.path
                .iter()
                .map(|&ch| self.sc.nodes[self.sc.channel_ends(ch).1].name.as_str()),
        );
        names.join("-")
    }

    /// The path's propagation delay: the delay of the circuit's data.
    fn path_delay(&self, call: u32) -> SimTime {
        self.calls[call as usize]
            .path
            .iter()
            .fold(SimTime::ZERO, |t, &ch| t + self.delay(ch))
    }

    /// A trace line `TIME NODE EVENT call=N flow=NAME DETAIL`, if tracing.
    fn note(&mut self, node: usize, event: &str, call: u32, detail: impl FnOnce(&Self) -> String) {
        if self.trace.is_none() {
            return;
        }
        let c = &self.calls[call as usize];
        let mut text = format!("call={call} flow={}", self.sc.flows[c.flow as usize].name);
        let more = detail(self);
        if !more.is_empty() {
            text.push(' ');
            text.push_str(&more);
        }
        let subject = &self.sc.nodes[node].name;
        if let Some(t) = &mut self.trace {
            t.note(self.now, subject, event, &text);
        }
    }

    /// A typed record of what `link` holds, for subscribers that draw it.
    fn trace_reservation(&mut self, link: usize) {
        if let Some(t) = &mut self.trace {
            let (held, reserved, limit) = self.links.reservation(link);
            t.reservation(self.now, link as u32, held, reserved, limit);
        }
    }

    fn caller(&self, call: u32) -> usize {
        self.sc.flows[self.calls[call as usize].flow as usize].from
    }

    fn holder(&self, call: u32) -> Holder {
        (call, self.calls[call as usize].epoch)
    }

    fn free_at(&mut self, at: SimTime, channel: ChannelId, (call, epoch): Holder) {
        let link = channel.link().0;
        self.events.push(at, Ev::Free { link, call, epoch });
    }

    /// Accounts the bytes `call` offers during [from, to) as lost with `cause`.
    fn lose(&mut self, call: u32, from: SimTime, to: SimTime, cause: Cause) -> u64 {
        let c = &self.calls[call as usize];
        let flow = &mut self.flows[c.flow as usize];
        let bytes = flow.offer.bytes(from, to);
        flow.tally.lose(cause, bytes);
        if let (true, Some((o, _))) = (cause.is_outage(), c.outage) {
            self.outages[o].lost += bytes;
        }
        bytes
    }

    /// Closes a connected period: the caller sent during [since, until); what
    /// it sent before `cut` goes on to the callee, the rest is lost in flight.
    fn close_segment(&mut self, call: u32, since: SimTime, cut: SimTime, until: SimTime) -> u64 {
        let delay = self.path_delay(call);
        let duration = self.sc.duration;
        let c = &self.calls[call as usize];
        let (flow_index, path) = (c.flow as usize, c.path.clone());
        let flow = &mut self.flows[flow_index];
        let delivered = flow.tally.deliver(&flow.offer, since, cut, delay, duration);
        let on = flow.offer.on_between(since, until);
        let rate = flow.offer.rate();
        for ch in path {
            let amount = self.links.amount(ch.link().index(), rate);
            self.links.add_used(ch, amount, on);
        }
        self.calls[call as usize].delivered += delivered;
        self.lose(call, cut, until, Cause::InFlight)
    }

    /// Settles the outcome of the failure that broke `call`, if still open.
    fn resolve(&mut self, call: u32, outcome: Outcome) {
        if let Some((o, row)) = self.calls[call as usize].outage.take() {
            let outage = &mut self.outages[o];
            let after = self.now - outage.down;
            let entry = &mut outage.circuits[row];
            entry.2 = Some(outcome);
            if outcome == Outcome::Reestablished {
                entry.3 = Some(after);
            }
        }
    }

    /// The caller abandons its current attempt or circuit: a RELEASE goes
    /// from the caller towards the callee and frees each link it crosses.
    fn release_forward(&mut self, call: u32) {
        let holder = self.holder(call);
        let c = &self.calls[call as usize];
        let path: Vec<ChannelId> = c.path[..c.reserved].to_vec();
        let mut t = self.now;
        for ch in path {
            t += self.p();
            self.free_at(t, ch, holder);
            t += self.delay(ch);
        }
        let c = &mut self.calls[call as usize];
        c.epoch += 1;
        c.reserved = 0;
    }

    // ---- calls -----------------------------------------------------------

    fn on_arrival(&mut self, flow: u32) {
        let f = &self.sc.flows[flow as usize];
        let arrivals = self.flows[flow as usize]
            .arrivals
            .as_mut()
            .expect("a calls flow");
        let holding = arrivals.holding();
        let next = arrivals.next_after(self.now);
        let (now, stop) = (self.now, f.stop);
        self.start_call(flow, now, (now + holding).min(stop));
        if let Some(t) = next {
            self.events.push(t, Ev::Arrival { flow });
        }
    }

    fn start_call(&mut self, flow: u32, arrival: SimTime, end: SimTime) {
        let call = self.calls.len() as u32;
        self.calls.push(Call {
            flow,
            arrival,
            end,
            phase: Phase::Setup,
            mark: arrival,
            epoch: 0,
            retries: 0,
            sent_at: arrival,
            path: Vec::new(),
            reserved: 0,
            outage: None,
            broken_link: 0,
            teardown_lost: 0,
            delivered: 0,
        });
        let f = &mut self.flows[flow as usize];
        f.tally.calls.offered += 1;
        f.tally.offered += f.offer.bytes(arrival, end);
        self.events.push(end, Ev::End { call });
        self.send_setup(call);
    }

    /// The caller sends a SETUP over the path its routes give now.
    fn send_setup(&mut self, call: u32) {
        let c = &self.calls[call as usize];
        let f = &self.sc.flows[c.flow as usize];
        let sc = self.sc;
        let Some(path) = self.routes.path(f.from, f.to, |ch| sc.channel_ends(ch).1) else {
            return self.refuse(call, 0, None);
        };
        let c = &mut self.calls[call as usize];
        c.path = path;
        c.reserved = 0;
        c.sent_at = self.now;
        let (first, attempt) = (c.phase == Phase::Setup, c.retries);
        let caller = self.caller(call);
        if first {
            self.note(caller, "setup", call, |s| {
                format!("path={}", s.path_text(call))
            });
        } else {
            self.note(caller, "retry", call, |s| {
                format!("attempt={attempt} path={}", s.path_text(call))
            });
        }
        let epoch = self.calls[call as usize].epoch;
        self.events.push(
            self.now + self.p(),
            Ev::Hop {
                call,
                epoch,
                hop: 0,
            },
        );
    }

    fn on_hop(&mut self, call: u32, epoch: u32, hop: usize) {
        if self.calls[call as usize].epoch != epoch {
            return;
        }
        let c = &self.calls[call as usize];
        let channel = c.path[hop];
        let rate = self.flows[c.flow as usize].offer.rate();
        let link = channel.link().index();
        if let Err(why) = self.links.reserve(self.now, link, (call, epoch), rate) {
            return self.refuse(call, hop, Some((link, why)));
        }
        self.trace_reservation(link);
        self.calls[call as usize].reserved = hop + 1;
        let arrive = self.now + self.delay(channel);
        let path = &self.calls[call as usize].path;
        if hop + 1 < path.len() {
            let hop = hop as u32 + 1;
            self.events
                .push(arrive + self.p(), Ev::Hop { call, epoch, hop });
        } else {
            // At the callee: the CONNECT goes back, processed at every node.
            let back = path
                .iter()
                .fold(SimTime::ZERO, |t, &ch| t + self.p() + self.delay(ch));
            self.events.push(arrive + back, Ev::Connect { call, epoch });
        }
    }

    /// The SETUP was refused at node `hop` of its path (`link`: why, or no
    /// route at the caller). The refusal goes back to the caller and frees
    /// the links reserved so far as it crosses them.
    fn refuse(&mut self, call: u32, hop: usize, link: Option<(usize, Refusal)>) {
        let holder = self.holder(call);
        let c = &self.calls[call as usize];
        let path: Vec<ChannelId> = c.path[..c.reserved].to_vec();
        let mut t = self.now;
        for (j, &ch) in path.iter().enumerate().rev() {
            self.free_at(t, ch, holder);
            t += self.delay(ch);
            if j > 0 {
                t += self.p();
            }
        }
        let learn = t;
        let at = self.path_node(call, hop);
        let c = &mut self.calls[call as usize];
        c.epoch += 1;
        c.reserved = 0;
        let (first, attempt, flow) = (c.phase == Phase::Setup, c.retries, c.flow);
        let why = |s: &Self| match link {
            Some((l, r)) => format!(
                "link={} reason={}",
                s.sc.link_label(l),
                r.name(s.links.counts_channels(l))
            ),
            None => "reason=no-route".to_string(),
        };
        if first {
            let (arrival, end) = (c.arrival, c.end);
            c.phase = Phase::Blocked;
            self.flows[flow as usize].tally.calls.blocked += 1;
            self.lose(call, arrival, end, Cause::Blocked);
            self.note(at, "blocked", call, why);
        } else {
            self.note(at, "retry-refused", call, |s| {
                format!("attempt={attempt} {}", why(s))
            });
            let epoch = self.calls[call as usize].epoch;
            self.events.push(learn, Ev::Learn { call, epoch });
        }
    }

    fn on_connect(&mut self, call: u32, epoch: u32) {
        let c = &self.calls[call as usize];
        if c.epoch != epoch {
            return;
        }
        let first = c.phase == Phase::Setup;
        let (mark, sent_at, flow) = (c.mark, c.sent_at, c.flow as usize);
        let cause = if first {
            Cause::Setup
        } else {
            Cause::Reestablishing
        };
        self.lose(call, mark, self.now, cause);
        let delay = self.path_delay(call);
        let tally = &mut self.flows[flow].tally;
        tally.setup.add(self.now - sent_at);
        tally.delay.add(delay);
        if !first {
            tally.calls.reestablished += 1;
            self.resolve(call, Outcome::Reestablished);
        }
        let now = self.now;
        let c = &mut self.calls[call as usize];
        c.phase = Phase::Connected { since: now };
        c.mark = now;
        c.retries = 0;
        let caller = self.caller(call);
        self.note(caller, "connect", call, |s| {
            format!(
                "path={} setup={} delay={delay}",
                s.path_text(call),
                now - sent_at
            )
        });
    }

    fn on_end(&mut self, call: u32) {
        let c = &self.calls[call as usize];
        let (mark, flow) = (c.mark, c.flow as usize);
        match c.phase {
            Phase::Blocked | Phase::Dropped | Phase::Ended => return,
            Phase::Setup => {
                self.lose(call, mark, self.now, Cause::Setup);
                self.release_forward(call);
            }
            Phase::Reestablishing => {
                self.lose(call, mark, self.now, Cause::Reestablishing);
                self.release_forward(call);
            }
            Phase::Connected { since } => {
                self.close_segment(call, since, self.now, self.now);
                self.release_forward(call);
            }
            Phase::Broken { cause } => {
                // The TEARDOWN is still on its way to the caller (its epoch
                // stays current so that it is traced when it arrives).
                let lost = self.lose(call, mark, self.now, cause);
                self.calls[call as usize].teardown_lost += lost;
            }
        }
        self.resolve(call, Outcome::Ended);
        self.calls[call as usize].phase = Phase::Ended;
        self.flows[flow].tally.calls.completed += 1;
        let caller = self.caller(call);
        self.note(caller, "release", call, |s| {
            format!("delivered={}B", s.calls[call as usize].delivered)
        });
    }

    fn on_learn(&mut self, call: u32, epoch: u32) {
        let c = &self.calls[call as usize];
        if c.epoch != epoch {
            return;
        }
        let (mark, caller) = (c.mark, self.caller(call));
        match c.phase {
            Phase::Broken { cause } => {
                let lost = self.lose(call, mark, self.now, cause);
                let c = &mut self.calls[call as usize];
                c.teardown_lost += lost;
                c.mark = self.now;
                c.phase = Phase::Reestablishing;
                self.note_teardown(caller, call);
                self.retry_or_drop(call);
            }
            // Broken, then ended before the TEARDOWN arrived.
            Phase::Ended => self.note_teardown(caller, call),
            Phase::Reestablishing => self.retry_or_drop(call),
            _ => {}
        }
    }

    fn note_teardown(&mut self, caller: usize, call: u32) {
        self.note(caller, "teardown", call, |s| {
            let c = &s.calls[call as usize];
            format!(
                "link={} lost={}B",
                s.sc.link_label(c.broken_link),
                c.teardown_lost
            )
        });
    }

    /// The caller has just learned it has no circuit: retry after the
    /// backoff (doubled for each retry), or give up and drop the call.
    fn retry_or_drop(&mut self, call: u32) {
        let spec = self.sc.circuit;
        let c = &mut self.calls[call as usize];
        if c.retries < spec.retries {
            let factor = 1u64.checked_shl(c.retries).unwrap_or(u64::MAX);
            c.retries += 1;
            let epoch = c.epoch;
            self.events.push(
                self.now + spec.backoff.saturating_mul(factor),
                Ev::Retry { call, epoch },
            );
            return;
        }
        let (mark, end, flow, retries) = (c.mark, c.end, c.flow as usize, c.retries);
        c.phase = Phase::Dropped;
        self.lose(call, mark, self.now, Cause::Reestablishing);
        self.lose(call, self.now, end, Cause::Dropped);
        self.resolve(call, Outcome::Dropped);
        self.flows[flow].tally.calls.dropped += 1;
        let caller = self.caller(call);
        self.note(caller, "dropped", call, |_| format!("retries={retries}"));
    }

    fn on_retry(&mut self, call: u32, epoch: u32) {
        let c = &self.calls[call as usize];
        if c.epoch != epoch || c.phase != Phase::Reestablishing {
            return;
        }
        self.flows[c.flow as usize].tally.calls.retries += 1;
        self.send_setup(call);
    }

    // ---- failures --------------------------------------------------------

    /// As the packet engine: the element's links change state, routes follow
    /// after detection + convergence, and a random process draws its next change.
    fn on_failure(&mut self, index: usize, down: bool) {
        let change = self.failures.apply(self.sc, index, down);
        let (what, label) = (change.what, change.subject);
        if let Some(t) = &mut self.trace {
            let state = if down { "down" } else { "up" };
            t.note(self.now, &label, &format!("{what}-{state}"), "");
        }
        let outage = if down {
            self.outages.push(OutageTally {
                element: format!("{what} {label}"),
                down: self.now,
                up: None,
                lost: 0,
                circuits: Vec::new(),
            });
            self.open_outages[index] = Some(self.outages.len() - 1);
            self.outages.len() - 1
        } else {
            if let Some(o) = self.open_outages[index].take() {
                self.outages[o].up = Some(self.now);
            }
            usize::MAX
        };
        let mut hit = BTreeSet::new();
        for l in change.changed {
            if let Some(t) = &mut self.trace {
                t.link_state(self.now, l, down);
            }
            let l = l.index();
            let at = self.now + self.sc.routing.detection + self.sc.routing.convergence;
            if self.reconverge_at != Some(at) {
                self.reconverge_at = Some(at);
                self.events.push(at, Ev::Reconverge);
            }
            if !down {
                self.links.restore(l);
                continue;
            }
            hit.extend(
                self.links
                    .fail(self.now, l)
                    .into_iter()
                    .filter(|&(call, epoch)| self.calls[call as usize].epoch == epoch)
                    .map(|(call, _)| call),
            );
            self.trace_reservation(l);
        }
        for call in hit {
            self.break_circuit(call, outage);
        }
        if let Some(next) = change.next_change {
            self.events.push(
                self.now + next,
                Ev::Failure {
                    index: index as u32,
                    down: !down,
                },
            );
        }
    }

    fn on_reconverge(&mut self) {
        let failures = &self.failures;
        self.routes = Routes::compute_with(self.sc, |l| failures.is_up(l));
        if let Some(t) = &mut self.trace {
            t.note(
                self.now,
                "-",
                "routes-updated",
                &failures.routes_note(self.sc),
            );
        }
    }

    /// A failure took down links that `call`'s circuit (or attempt) holds.
    fn break_circuit(&mut self, call: u32, outage: usize) {
        let holder = self.holder(call);
        let c = &self.calls[call as usize];
        let held: Vec<ChannelId> = c.path[..c.reserved].to_vec();
        let failed: Vec<usize> = (0..held.len())
            .filter(|&j| !self.links.is_up(held[j].link().index()))
            .collect();
        let (near, far) = (failed[0], failed[failed.len() - 1]);
        let detected = self.now + self.sc.routing.detection;
        // The node before the nearest failed link detects it and sends a
        // TEARDOWN back to the caller; the node after the farthest one sends
        // one on towards the callee. Each frees the links it crosses.
        let mut learn = detected;
        for &ch in held[..near].iter().rev() {
            learn += self.p();
            self.free_at(learn, ch, holder);
            learn += self.delay(ch);
        }
        let mut t = detected;
        for &ch in &held[far + 1..] {
            t += self.p();
            self.free_at(t, ch, holder);
            t += self.delay(ch);
        }
        // Links between two failed ones (a failed router's two links are
        // adjacent, so in practice none): freed on detection.
        for &ch in held.get(near + 1..far).unwrap_or_default() {
            self.free_at(detected, ch, holder);
        }
        let c = &self.calls[call as usize];
        let (phase, flow) = (c.phase, c.flow as usize);
        let new_teardown = matches!(phase, Phase::Setup | Phase::Connected { .. });
        if new_teardown {
            let row = self.outages[outage].circuits.len();
            let name = self.sc.flows[flow].name.clone();
            self.outages[outage].circuits.push((call, name, None, None));
            self.calls[call as usize].outage = Some((outage, row));
            self.flows[flow].tally.calls.torn_down += 1;
        }
        let now = self.now;
        let (cause, lost) = match phase {
            Phase::Connected { since } => {
                // Data not yet past the far end of the farthest failed link is lost.
                let reach = held[..=far]
                    .iter()
                    .fold(SimTime::ZERO, |t, &ch| t + self.delay(ch));
                let cut = now.saturating_sub(reach).max(since);
                let lost = self.close_segment(call, since, cut, now);
                self.calls[call as usize].mark = now;
                (Cause::BeforeNotice, lost)
            }
            Phase::Setup => (Cause::Setup, 0),
            _ => (Cause::Reestablishing, 0),
        };
        let c = &mut self.calls[call as usize];
        c.phase = Phase::Broken { cause };
        c.broken_link = held[near].link().index();
        c.teardown_lost = lost;
        c.epoch += 1;
        c.reserved = 0;
        let epoch = c.epoch;
        self.events.push(learn, Ev::Learn { call, epoch });
    }

    // ---- the end -----------------------------------------------------------

    fn report(mut self) -> CircuitReport {
        let sc = self.sc;
        let flows = sc
            .flows
            .iter()
            .zip(&self.flows)
            .map(|(f, state)| {
                state.tally.report(FlowHead {
                    name: f.name.clone(),
                    from: sc.nodes[f.from].name.clone(),
                    to: sc.nodes[f.to].name.clone(),
                    pattern: pattern_name(&f.pattern).into(),
                    rate_bps: f.rate.0,
                })
            })
            .collect();
        CircuitReport {
            scenario: sc.name.clone(),
            seed: sc.seed,
            duration_s: sc.duration.as_secs_f64(),
            events: self.processed,
            series_bin_s: sc.duration.as_secs_f64() / SERIES_BINS as f64,
            flows,
            links: self.links.report(sc, sc.duration),
            failures: self.outages.iter().map(OutageTally::report).collect(),
        }
    }
}

fn pattern_name(p: &TrafficPattern) -> &'static str {
    match p {
        TrafficPattern::Cbr => "cbr",
        TrafficPattern::OnOff { .. } => "on-off",
        TrafficPattern::Poisson => "poisson",
        TrafficPattern::Calls { .. } => "calls",
    }
}
