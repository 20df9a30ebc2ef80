//! The figures of a circuit-mode run: counters kept during the run (`FlowTally`,
//! `OutageTally`) and the report built from them (`CircuitReport`).

use super::traffic::Offer;
use crate::sim::SimTime;
use serde::Serialize;

/// How many bins `CircuitFlowReport::delivered_series` has: the run's
/// duration cut into this many equal bins.
pub const SERIES_BINS: usize = 100;

/// Where bin `i` (0..=SERIES_BINS) of a run of `duration` starts; bin `i`
/// covers [bin_start(i), bin_start(i + 1)). Integer ns, so another mode can
/// bin its deliveries identically.
pub fn bin_start(duration: SimTime, i: usize) -> SimTime {
    SimTime((u128::from(duration.as_nanos()) * i as u128 / SERIES_BINS as u128) as u64)
}

/// The bin holding time `t` (< duration).
fn bin_of(duration: SimTime, t: SimTime) -> usize {
    let mut i = ((u128::from(t.as_nanos()) * SERIES_BINS as u128)
        / u128::from(duration.as_nanos().max(1))) as usize;
    i = i.min(SERIES_BINS - 1);
    while i + 1 < SERIES_BINS && bin_start(duration, i + 1) <= t {
        i += 1;
    }
    while i > 0 && bin_start(duration, i) > t {
        i -= 1;
    }
    i
}

/// Why offered bytes were not delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Cause {
    /// Offered before the call's first CONNECT reached the caller.
    Setup,
    /// The call was blocked: none of it was ever carried.
    Blocked,
    /// On the path, not yet past the failed link, when it failed.
    InFlight,
    /// Sent into the broken circuit before the caller learned of the failure.
    BeforeNotice,
    /// Offered while the caller was re-establishing the circuit.
    Reestablishing,
    /// Offered after the call was dropped.
    Dropped,
}

impl Cause {
    /// Whether the bytes count against the failure that broke the circuit.
    pub fn is_outage(self) -> bool {
        matches!(
            self,
            Cause::InFlight | Cause::BeforeNotice | Cause::Reestablishing | Cause::Dropped
        )
    }
}

/// Calls, by what became of them. `offered = blocked + dropped + completed`.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct CallCounts {
    pub offered: u64,
    /// The first SETUP was refused (no free capacity, no route, or a link on
    /// the route down); blocked calls are cleared, not retried.
    pub blocked: u64,
    /// Torn down by a failure and not re-established within the retries.
    pub dropped: u64,
    /// Reached the end of their holding time without being blocked or dropped
    /// (possibly after being torn down and re-established, or while re-establishing).
    pub completed: u64,
    /// Circuits torn down by failures (a call can be torn down more than once).
    pub torn_down: u64,
    /// Circuits re-established after a teardown.
    pub reestablished: u64,
    /// Re-establishment SETUPs sent.
    pub retries: u64,
}

/// Offered bytes not delivered, by cause.
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct LostBytes {
    /// Offered while the call's first circuit was being set up.
    pub setup: u64,
    /// Offered by blocked calls.
    pub blocked: u64,
    /// Lost to link failures: `in_flight + before_notice + reestablishing`.
    pub link_down: u64,
    /// On the path between the caller and the far end of the failed link.
    pub link_down_in_flight: u64,
    /// Sent into the broken circuit until the caller learned of the failure.
    pub link_down_before_notice: u64,
    /// Offered while the circuit was being re-established.
    pub link_down_reestablishing: u64,
    /// Offered after the call was dropped.
    pub dropped: u64,
}

impl LostBytes {
    pub fn total(&self) -> u64 {
        self.setup + self.blocked + self.link_down + self.dropped
    }

    fn add(&mut self, cause: Cause, bytes: u64) {
        match cause {
            Cause::Setup => self.setup += bytes,
            Cause::Blocked => self.blocked += bytes,
            Cause::InFlight => self.link_down_in_flight += bytes,
            Cause::BeforeNotice => self.link_down_before_notice += bytes,
            Cause::Reestablishing => self.link_down_reestablishing += bytes,
            Cause::Dropped => self.dropped += bytes,
        }
        if matches!(
            cause,
            Cause::InFlight | Cause::BeforeNotice | Cause::Reestablishing
        ) {
            self.link_down += bytes;
        }
    }
}

/// Minimum, mean and maximum of a time, milliseconds.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct TimeStats {
    pub samples: u64,
    pub min_ms: f64,
    pub mean_ms: f64,
    pub max_ms: f64,
}

/// Accumulates a time's samples in integer ns.
#[derive(Clone, Debug, Default)]
pub(super) struct TimeAcc {
    n: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl TimeAcc {
    pub fn add(&mut self, t: SimTime) {
        let ns = t.as_nanos();
        self.min = if self.n == 0 { ns } else { self.min.min(ns) };
        self.max = self.max.max(ns);
        self.sum += u128::from(ns);
        self.n += 1;
    }

    fn stats(&self) -> TimeStats {
        if self.n == 0 {
            return TimeStats::default();
        }
        TimeStats {
            samples: self.n,
            min_ms: self.min as f64 / 1e6,
            mean_ms: self.sum as f64 / self.n as f64 / 1e6,
            max_ms: self.max as f64 / 1e6,
        }
    }
}

/// One flow's counters during the run.
pub(super) struct FlowTally {
    pub calls: CallCounts,
    pub offered: u64,
    pub delivered: u64,
    /// Sent but still propagating when the run ended.
    pub in_flight: u64,
    pub lost: LostBytes,
    pub setup: TimeAcc,
    pub delay: TimeAcc,
    pub series: Vec<u64>,
}

impl FlowTally {
    pub fn new() -> FlowTally {
        FlowTally {
            calls: CallCounts::default(),
            offered: 0,
            delivered: 0,
            in_flight: 0,
            lost: LostBytes::default(),
            setup: TimeAcc::default(),
            delay: TimeAcc::default(),
            series: vec![0; SERIES_BINS],
        }
    }

    pub fn lose(&mut self, cause: Cause, bytes: u64) {
        self.lost.add(cause, bytes);
    }

    /// The data sent during [from, to) arrives `delay` later: what arrives
    /// before the end of the run is delivered (and binned by arrival time),
    /// the rest is in flight at the end. Returns the bytes delivered.
    pub fn deliver(
        &mut self,
        offer: &Offer,
        from: SimTime,
        to: SimTime,
        delay: SimTime,
        duration: SimTime,
    ) -> u64 {
        if to <= from {
            return 0;
        }
        // Sent before `last` arrives before the end of the run.
        let last = (duration.saturating_sub(delay)).clamp(from, to);
        self.in_flight += offer.bytes(last, to);
        if last == from {
            return 0;
        }
        let (first_bin, last_bin) = (
            bin_of(duration, from + delay),
            bin_of(duration, last + delay - SimTime(1)),
        );
        let mut delivered = 0;
        for (i, slot) in self
            .series
            .iter_mut()
            .enumerate()
            .take(last_bin + 1)
            .skip(first_bin)
        {
            let a = bin_start(duration, i).saturating_sub(delay).max(from);
            let b = bin_start(duration, i + 1).saturating_sub(delay).min(last);
            let bytes = offer.bytes(a, b);
            *slot += bytes;
            delivered += bytes;
        }
        self.delivered += delivered;
        delivered
    }

    pub fn report(&self, head: FlowHead) -> CircuitFlowReport {
        let lost = self.lost.total();
        CircuitFlowReport {
            name: head.name,
            from: head.from,
            to: head.to,
            pattern: head.pattern,
            rate_bps: head.rate_bps,
            blocking_probability: ratio(self.calls.blocked, self.calls.offered),
            calls: self.calls.clone(),
            offered_bytes: self.offered,
            delivered_bytes: self.delivered,
            lost_bytes: lost,
            in_flight_bytes: self.in_flight,
            loss_percent: ratio(lost, self.offered) * 100.0,
            lost: self.lost.clone(),
            setup: self.setup.stats(),
            delay: self.delay.stats(),
            jitter_ms: 0.0,
            delivered_series: self.series.clone(),
        }
    }
}

/// The fixed description of a flow.
pub(super) struct FlowHead {
    pub name: String,
    pub from: String,
    pub to: String,
    pub pattern: String,
    pub rate_bps: u64,
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// What became of a circuit torn down by a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    /// Data flows again over a new circuit.
    Reestablished,
    /// Every retry failed.
    Dropped,
    /// The call's holding time ran out first.
    Ended,
}

/// One failure (an element going down) during the run.
pub(super) struct OutageTally {
    pub element: String,
    pub down: SimTime,
    pub up: Option<SimTime>,
    pub lost: u64,
    /// (call, flow, outcome, time from the failure until data flowed again).
    pub circuits: Vec<(u32, String, Option<Outcome>, Option<SimTime>)>,
}

impl OutageTally {
    pub fn report(&self) -> OutageReport {
        let count = |o: Outcome| self.circuits.iter().filter(|c| c.2 == Some(o)).count() as u64;
        OutageReport {
            element: self.element.clone(),
            down_s: self.down.as_secs_f64(),
            up_s: self.up.map(SimTime::as_secs_f64),
            circuits_torn_down: self.circuits.len() as u64,
            reestablished: count(Outcome::Reestablished),
            dropped: count(Outcome::Dropped),
            lost_bytes: self.lost,
            circuits: self
                .circuits
                .iter()
                .map(|(call, flow, outcome, after)| TornCircuit {
                    call: *call,
                    flow: flow.clone(),
                    outcome: outcome.unwrap_or(Outcome::Ended),
                    reestablished_after_ms: after.map(|t| t.as_nanos() as f64 / 1e6),
                })
                .collect(),
        }
    }
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CircuitFlowReport {
    pub name: String,
    pub from: String,
    pub to: String,
    /// "cbr", "on-off", "poisson" or "calls".
    pub pattern: String,
    /// The rate each of the flow's circuits reserves, bit/s.
    pub rate_bps: u64,
    pub calls: CallCounts,
    /// blocked / offered calls.
    pub blocking_probability: f64,
    /// What the source would send (payload bytes, fluid).
    pub offered_bytes: u64,
    /// Arrived at the callee before the end of the run.
    pub delivered_bytes: u64,
    /// `lost.setup + lost.blocked + lost.link_down + lost.dropped`;
    /// offered = delivered + lost + in flight.
    pub lost_bytes: u64,
    /// Sent, still propagating when the run ended.
    pub in_flight_bytes: u64,
    pub loss_percent: f64,
    pub lost: LostBytes,
    /// From SETUP sent to CONNECT received, over every circuit established
    /// (first attempts and re-establishments).
    pub setup: TimeStats,
    /// One-way delay of the data: the path's propagation delay, one sample per
    /// circuit established.
    pub delay: TimeStats,
    /// Always 0: a circuit's delay is constant (no queues).
    pub jitter_ms: f64,
    /// Bytes delivered per bin of `CircuitReport::series_bin_s` (by arrival time).
    pub delivered_series: Vec<u64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct LinkDirectionReport {
    /// "A->R1".
    pub name: String,
    /// "24 ch" or a bit rate.
    pub capacity: String,
    /// Time-average of the reserved capacity over the run, as a fraction of it.
    pub reserved_utilization: f64,
    /// Time-average of the capacity carrying data, as a fraction of it.
    pub used_utilization: f64,
    /// Most circuits reserved at once.
    pub peak_circuits: u64,
    /// Reservations made (each SETUP crossing the link makes one).
    pub circuits: u64,
    /// SETUPs the link refused (no capacity, or down).
    pub refused: u64,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TornCircuit {
    pub call: u32,
    pub flow: String,
    pub outcome: Outcome,
    /// From the failure until the new circuit's CONNECT reached the caller.
    pub reestablished_after_ms: Option<f64>,
}

#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct OutageReport {
    /// "link R2-R4" or "node R3".
    pub element: String,
    pub down_s: f64,
    /// When it came back up, if it did during the run.
    pub up_s: Option<f64>,
    pub circuits_torn_down: u64,
    pub reestablished: u64,
    pub dropped: u64,
    /// Bytes the torn-down calls lost because of this failure: in flight,
    /// before notice, while re-establishing, and after being dropped.
    pub lost_bytes: u64,
    pub circuits: Vec<TornCircuit>,
}

/// The figures of a circuit-mode run.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct CircuitReport {
    pub scenario: String,
    pub seed: u64,
    pub duration_s: f64,
    /// Events the circuit simulation processed.
    pub events: u64,
    /// Width of a bin of the delivered series, seconds (duration / SERIES_BINS).
    pub series_bin_s: f64,
    pub flows: Vec<CircuitFlowReport>,
    pub links: Vec<LinkDirectionReport>,
    pub failures: Vec<OutageReport>,
}

impl CircuitReport {
    /// The table a person reads first.
    pub fn summary(&self) -> String {
        use std::fmt::Write as _;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "netsim (circuit switching): scenario `{}`, seed {}, {} s simulated, {} events\n",
            self.scenario, self.seed, self.duration_s, self.events
        );
        let _ = writeln!(
            s,
            "Flows (calls; payload bytes as a fluid; delay is the path's propagation, jitter is 0)"
        );
        let _ = writeln!(
            s,
            "{:<12} {:<8} {:<8} {:>8} {:>8} {:>8} {:>9} {:>12} {:>12} {:>10} {:>7} {:>9} {:>9} {:>9}",
            "flow",
            "from",
            "to",
            "calls",
            "blocked",
            "dropped",
            "completed",
            "offered B",
            "delivered B",
            "lost B",
            "loss%",
            "setup ms",
            "delay ms",
            "jitter ms"
        );
        for f in &self.flows {
            let _ = writeln!(
                s,
                "{:<12} {:<8} {:<8} {:>8} {:>8} {:>8} {:>9} {:>12} {:>12} {:>10} {:>7.3} {:>9.3} {:>9.3} {:>9.3}",
                f.name,
                f.from,
                f.to,
                f.calls.offered,
                f.calls.blocked,
                f.calls.dropped,
                f.calls.completed,
                f.offered_bytes,
                f.delivered_bytes,
                f.lost_bytes,
                f.loss_percent,
                f.setup.mean_ms,
                f.delay.mean_ms,
                f.jitter_ms
            );
            let l = &f.lost;
            if l.total() > 0 {
                let _ = writeln!(
                    s,
                    "{:<12} lost by cause: setup {}, blocked {}, link-down {} (in flight {}, before notice {}, re-establishing {}), dropped {}",
                    "",
                    l.setup,
                    l.blocked,
                    l.link_down,
                    l.link_down_in_flight,
                    l.link_down_before_notice,
                    l.link_down_reestablishing,
                    l.dropped
                );
            }
            if f.calls.torn_down > 0 {
                let _ = writeln!(
                    s,
                    "{:<12} torn down {}, re-established {}, retries {}",
                    "", f.calls.torn_down, f.calls.reestablished, f.calls.retries
                );
            }
        }
        let _ = writeln!(
            s,
            "\nLink directions (capacity reserved versus used by data, time-averaged)"
        );
        let _ = writeln!(
            s,
            "{:<16} {:>12} {:>10} {:>8} {:>8} {:>9} {:>8}",
            "link", "capacity", "reserved%", "used%", "peak", "circuits", "refused"
        );
        for l in &self.links {
            let _ = writeln!(
                s,
                "{:<16} {:>12} {:>10.2} {:>8.2} {:>8} {:>9} {:>8}",
                l.name,
                l.capacity,
                l.reserved_utilization * 100.0,
                l.used_utilization * 100.0,
                l.peak_circuits,
                l.circuits,
                l.refused
            );
        }
        if !self.failures.is_empty() {
            let _ = writeln!(s, "\nFailures");
            let _ = writeln!(
                s,
                "{:<16} {:>10} {:>10} {:>10} {:>8} {:>8} {:>12}  re-established after (ms)",
                "element", "down s", "up s", "torn down", "re-est.", "dropped", "lost B"
            );
            for o in &self.failures {
                let after: Vec<String> = o
                    .circuits
                    .iter()
                    .filter_map(|c| c.reestablished_after_ms.map(|ms| format!("{ms:.3}")))
                    .collect();
                let _ = writeln!(
                    s,
                    "{:<16} {:>10.3} {:>10} {:>10} {:>8} {:>8} {:>12}  {}",
                    o.element,
                    o.down_s,
                    o.up_s.map_or("-".to_string(), |u| format!("{u:.3}")),
                    o.circuits_torn_down,
                    o.reestablished,
                    o.dropped,
                    o.lost_bytes,
                    summarize_list(&after)
                );
            }
        }
        s
    }
}

/// At most eight items, then how many more.
fn summarize_list(items: &[String]) -> String {
    if items.is_empty() {
        return "-".into();
    }
    let shown = items[..items.len().min(8)].join(" ");
    if items.len() > 8 {
        format!("{shown} (+{} more)", items.len() - 8)
    } else {
        shown
    }
}
