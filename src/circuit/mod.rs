//! Circuit switching: the same `Scenario` carried over circuits instead of packets.
//!
//! `simulate` is a self-contained discrete-event simulation, separate from the
//! packet engine (`engine`), run from the same scenario with the same seed: the
//! same calls arrive at the same instants with the same holding times, and the
//! same failures happen at the same instants. What differs is how the network
//! carries the data, which is the point of comparing the two.
//!
//! # The model
//!
//! **Time and order.** Integer nanoseconds; events in `(time, insertion)` order
//! (`sim::EventQueue`); the run covers [0, duration] as the packet engine's does.
//!
//! **Paths.** A SETUP follows the shortest path by propagation delay over the
//! links the routers currently believe up: the caller takes the whole path
//! from its routes when it sends the SETUP (`Routes::path`; source routing, so
//! a path never mixes old and new routes). Routes are recomputed
//! `detection + convergence` after each link state change, as in the packet
//! engine; until then a SETUP may be sent towards a link that is down, and is
//! refused there (`reason=link-down`). A router failure (`node`) takes all of
//! its links down.
//!
//! **Capacity.** A link with `channels = C` carries at most C circuits in each
//! direction; without `channels`, the rates of the circuits on a direction add
//! up to at most its bandwidth. A circuit reserves one channel (or its flow's
//! `rate`) on every link of its path **in both directions**: circuits are full
//! duplex, as telephone circuits are. The flows of a scenario are one-way, so
//! the reverse direction is reserved but carries no data, which the per-link
//! "reserved versus used" figures show. Reservation state is per link, the
//! same for both directions.
//!
//! **Signalling.** Every signalling message (SETUP, CONNECT, the refusal of a
//! SETUP, TEARDOWN, RELEASE) is small: no serialization, and no queueing.
//! A node that sends or forwards a message first processes it for
//! `circuit.hop_processing` (p); the message then propagates over the link
//! (d_i). The node that finally receives it acts on arrival. So:
//! - SETUP: the caller processes it and sends it over link 1, the next node
//!   processes it and sends it over link 2, ...; a node reserves the next link
//!   when it sends the SETUP onto it (after its processing). It reaches the
//!   callee after sum over the path of (p + d_i).
//! - CONNECT: the callee processes the SETUP and answers; the CONNECT comes
//!   back the same way and reaches the caller after sum (p + d_i) again. Data
//!   starts then.
//! - **Setup time** (SETUP sent to CONNECT received) = 2 x sum over the path
//!   of (p + d_i). A 3-hop path with p = 0.5 ms and d = 1, 2, 3 ms: 15 ms.
//! - **Blocking.** A node whose next link has no free channel (bandwidth), or
//!   is down, refuses the SETUP; so does the caller if it has no route. The
//!   refusal travels back to the caller and frees the links reserved so far as
//!   it crosses them. A call whose *first* SETUP is refused is BLOCKED:
//!   cleared, never retried (a loss system, as Erlang B assumes).
//! - **Release.** At the end of a call the caller sends a RELEASE towards the
//!   callee; each link is freed when the RELEASE is sent onto it (so a link
//!   stays reserved exactly as long after the end as it was reserved after the
//!   SETUP was sent).
//!
//! **Data.** A circuit carries its flow's data at the flow's rate with the
//! path's propagation delay and nothing else: no queueing, no headers, no
//! jitter (reported as 0), and no random loss (a link's `loss`, and its
//! `drop` list, concern packets; neither applies to circuits). Data is a fluid: bytes offered in
//! [a, b) = rate x (on-time in [a, b)) / 8, computed as differences of one
//! cumulative function, rounded down, so that every byte offered is accounted
//! exactly once: offered = delivered + lost + in flight at the end.
//!
//! **Traffic, like for like with packet mode.** The random draws come from the
//! flow's stream `flow:NAME`, in the packet sources' order:
//! - `calls`: the first gap Exp(1/arrival_rate) after `start`, then at each
//!   arrival its holding time (exponential mean `holding`, or fixed) and the
//!   next gap; gaps and holding times rounded to the ns. An arrival at or after
//!   `stop` does not happen; a call ends at min(arrival + holding, stop). Each
//!   call requests one circuit of `rate` and offers `rate` for its whole
//!   holding time, from its arrival: what the packet source sends.
//! - `cbr`, `poisson`, `on-off`: one call, arriving at `start` and ending at
//!   `stop`, requesting one circuit of `rate`. CBR and Poisson offer `rate`
//!   (Poisson as its fluid mean). On-off offers `rate` during its on-periods
//!   only: fixed periods exactly; exponential periods drawn as `UdpSource`
//!   draws them (an on-period at the start, then an off- and an on-period at
//!   the end of each on-period, with the per-datagram size draws of
//!   exponential sizes skipped over in between). The circuit stays reserved
//!   through the off-periods.
//! - `sink = false` is ignored: the callee always answers.
//! - The protocol is ignored: a TCP flow is carried like a UDP flow of its
//!   pattern and rate (its transfer, request-response or echo is not modelled).
//!
//! Bytes a call offers before its first CONNECT are lost (cause `setup`): the
//! packet source would already be sending. A blocked call loses all it offers
//! (cause `blocked`).
//!
//! **Failures.** The same schedule as packet mode: scheduled failures, random
//! ones (first Exp(mtbf), then alternately Exp(mttr) and Exp(mtbf), from the
//! stream `Scenario::failure_label(i)`), router failures. When a link fails,
//! every circuit holding it (established, or with a SETUP or CONNECT under way)
//! is torn down, and its reservation on the failed link vanishes at once:
//! - Data not yet past the far end of the failed link is lost: what the caller
//!   sent during the last (propagation delay from the caller to that far end)
//!   before the failure (cause `link-down`, in flight). Data already past it is
//!   delivered.
//! - The nodes at both ends of the failed link detect the failure after
//!   `routing.detection`. The one on the caller's side then sends a TEARDOWN to
//!   the caller, which learns of the failure at
//!   `failure + detection + sum over the links between the caller and the
//!   failed link of (p + d_i)` (just `failure + detection` if the caller is
//!   at the failed link); the one on the callee's side sends a TEARDOWN towards
//!   the callee. Each TEARDOWN frees the links it crosses.
//! - Until it learns, the caller keeps sending into the broken circuit: lost
//!   (cause `link-down`, before notice).
//! - Then it re-establishes the circuit: after `circuit.backoff` it sends a
//!   new SETUP over the routes it has at that moment (which avoid the failed
//!   link once routing has reconverged). If that SETUP is refused (or broken
//!   by another failure), it waits twice as long and tries again, up to
//!   `circuit.retries` retries; a refusal reaches the caller as described
//!   under blocking. What the call offers from the notice until the new
//!   CONNECT is lost (cause `link-down`, re-establishing).
//! - A call whose retries all fail is DROPPED when the caller learns the last
//!   one failed; the rest of its data is lost (cause `dropped`).
//! - A call whose holding time runs out while it is being re-established ends
//!   then (it counts as completed, not dropped).
//! - A repaired link is used again once routing has reconverged.
//!
//! Simplifications: data already past a failed link is delivered even if a
//! further link of the old path fails while it propagates; data in flight when
//! a call ends is delivered likewise. The "used" utilisation counts the time
//! the caller sends into the circuit on every link of its path, without the
//! propagation offset between links.
//!
//! # Figures (`CircuitReport`)
//!
//! Per flow: calls offered, blocked, dropped, completed (offered = blocked +
//! dropped + completed), torn down, re-established, retries; bytes offered,
//! delivered (arrived before the end of the run), lost by cause and in flight
//! at the end; setup time (per circuit established, first or re-established)
//! and delay (the path's propagation, per circuit) min/mean/max; jitter 0; and
//! the bytes delivered per bin of a time series: the duration cut into
//! `SERIES_BINS` equal bins (`bin_start`), by arrival time.
//!
//! Per link direction: capacity, reserved and used utilisation (time-average
//! of the channels, or bandwidth, reserved and carrying data, as fractions of
//! the capacity over the whole run), peak circuits, reservations made,
//! SETUPs refused.
//!
//! Per failure (an element going down): when it went down and came up, the
//! circuits it tore down with what became of each and the time from the
//! failure until its data flowed again (re-established) or never (dropped, or
//! the call ended first), and the bytes those calls lost to it (in flight,
//! before notice, re-establishing, dropped).
//!
//! # Trace
//!
//! With a trace subscriber (`trace::TraceSink`), one `note` line per signalling event, at the node
//! where it happens: `TIME NODE EVENT call=N flow=NAME ...`. The diamond of
//! `tests/fixtures/circuit_diamond.toml` (a retry on stale routes refused at
//! R2, then one over the backup path):
//!
//! ```text
//! 0.100000000 A setup call=0 flow=voice path=A-R1-R2-R4-B
//! 0.116000000 A connect call=0 flow=voice path=A-R1-R2-R4-B setup=0.016000000 delay=0.004000000
//! 1.000000000 R2-R4 link-down
//! 1.014000000 A teardown call=0 flow=voice link=R2-R4 lost=2125B
//! 1.034000000 A retry call=0 flow=voice attempt=1 path=A-R1-R2-R4-B
//! 1.039000000 R2 retry-refused call=0 flow=voice attempt=1 link=R2-R4 reason=link-down
//! 1.050000000 - routes-updated links down: R2-R4
//! 1.082000000 A retry call=0 flow=voice attempt=2 path=A-R1-R3-R4-B
//! 1.102000000 A connect call=0 flow=voice path=A-R1-R3-R4-B setup=0.020000000 delay=0.006000000
//! 1.900000000 A release call=0 flow=voice delivered=209875B
//! ```
//!
//! Events: `setup`, `retry`, `connect`, `blocked` and `retry-refused` (at the
//! refusing node, with the link and `reason=no-channel|no-bandwidth|link-down`,
//! or `reason=no-route` at the caller), `teardown` (when it reaches the caller,
//! with the failed link and the bytes lost in flight and before notice),
//! `dropped`, `release`; and, as in the packet trace, `link-down`/`link-up`
//! (`node-down`/`node-up`) and `routes-updated`. Calls are numbered from 0 in
//! order of arrival, over all flows.

mod capacity;
mod report;
mod signalling;
mod traffic;

pub use report::{
    CallCounts, CircuitFlowReport, CircuitReport, LinkDirectionReport, LostBytes, OutageReport,
    Outcome, SERIES_BINS, TimeStats, TornCircuit, bin_start,
};

use crate::scenario::Scenario;
use crate::sim::SimTime;
use crate::trace::TraceSink;

/// Simulates `sc` over circuits; writes signalling events to `trace` if given
/// (the caller finishes the writer).
pub fn simulate<'a>(sc: &'a Scenario, trace: Option<&'a mut dyn TraceSink>) -> CircuitReport {
    signalling::Sim::new(sc, trace).run()
}

/// `simulate` under the scenario's `max_events` cap (`limits` over it): a run
/// that reaches it is an `Error::Limit`. (Circuits hold no packets, so the
/// other caps do not apply; `max_nodes` is checked as the engine does.)
pub fn simulate_capped<'a>(
    sc: &'a Scenario,
    trace: Option<&'a mut dyn TraceSink>,
    limits: crate::limits::Limits,
) -> crate::error::Result<CircuitReport> {
    use crate::limits::{Cap, LimitHit};
    let caps = limits.or(sc.limits).resolved();
    let hit = |cap, limit, measured, at, events| {
        crate::error::Error::Limit(LimitHit {
            cap,
            limit,
            measured,
            at,
            events,
        })
    };
    let nodes = sc.nodes.len() as u64;
    if nodes > caps.max_nodes {
        return Err(hit(Cap::Nodes, caps.max_nodes, nodes, SimTime::ZERO, 0));
    }
    let mut sim = signalling::Sim::new(sc, trace);
    sim.max_events = caps.max_events;
    let (report, stopped) = sim.run_reporting_stop();
    match stopped {
        Some(at) => Err(hit(
            Cap::Events,
            caps.max_events,
            caps.max_events,
            at,
            caps.max_events,
        )),
        None => Ok(report),
    }
}
