//! Fuzz target: parse a scenario, then simulate a small, bounded part of it
//! and render the summary.
//!
//! Scenarios with more than `MAX_ELEMENTS` nodes, links or flows are skipped.
//! The run covers at most `MAX_SIM_TIME` of simulated time and stops earlier
//! at the engine's caps (`RunOptions::limits`, which override the scenario's
//! own `[limits]`), so one input costs milliseconds. A panic anywhere (engine,
//! protocols, statistics, summary) is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;
use netsim::engine::limits::Limits;
use netsim::engine::{RunOptions, Simulation};
use netsim::sim::SimTime;

const MAX_ELEMENTS: usize = 50;
const MAX_SIM_TIME: SimTime = SimTime::from_millis(200);

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(sc) = netsim::scenario::parse("fuzz.toml", text, "fuzz") else {
        return;
    };
    if sc.nodes.len() > MAX_ELEMENTS
        || sc.links.len() > MAX_ELEMENTS
        || sc.flows.len() > MAX_ELEMENTS
    {
        return;
    }
    let end = sc.duration.min(MAX_SIM_TIME);
    let options = RunOptions {
        limits: Limits {
            max_events: Some(200_000),
            max_packets_in_flight: Some(50_000),
            max_nodes: Some(MAX_ELEMENTS as u64),
            // Never read /proc: the fuzzer's own memory limit applies.
            max_memory: Some(u64::MAX),
        },
        ..RunOptions::default()
    };
    let Ok(mut sim) = Simulation::new(sc, options) else {
        return;
    };
    sim.run_until(end);
    if let Ok(report) = sim.finish() {
        let _ = report.summary();
    }
});
