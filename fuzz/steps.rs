//! What each fuzz target does with one input, shared by the targets
//! (`fuzz/fuzz_targets/*.rs`) and the regression tests that replay the corpus
//! without cargo-fuzz (`tests/fuzz_regressions.rs`), so both check the same.
// Each target uses one of the two steps.
#![allow(dead_code)]

use netsim::engine::{RunOptions, Simulation};
use netsim::error::Error;
use netsim::limits::Limits;
use netsim::scenario::Scenario;
use netsim::sim::SimTime;

/// Scenarios with more elements than this (nodes, links or flows) are not run.
pub const MAX_ELEMENTS: usize = 50;
/// The simulated time one run covers at most.
pub const MAX_SIM_TIME: SimTime = SimTime::from_millis(200);

/// `scenario_parse`: a checked scenario, or `None` after an input error that
/// carries a usable location and message. Anything else panics.
pub fn parse_checked(text: &str) -> Option<Scenario> {
    match netsim::scenario::parse("fuzz.toml", text, "fuzz") {
        Ok(sc) => {
            // The checked model's own helpers must hold for every scenario.
            for l in 0..sc.links.len() {
                let _ = sc.link_label(l);
            }
            for i in 0..sc.failures.len() {
                let _ = sc.failure_label(i);
            }
            Some(sc)
        }
        Err(Error::Input { location, message }) => {
            assert!(
                location.line >= 1 && location.column >= 1 && !message.is_empty(),
                "an input error without a usable location or message: {location}: {message}"
            );
            None
        }
        Err(other) => panic!("scenario text gave a non-input error: {other}"),
    }
}

/// `scenario_run`: at most `MAX_SIM_TIME` of a small scenario under small
/// caps (they override the scenario's own `[limits]`; memory is left to the
/// fuzzer), then its summary; `None` when it is too big or does not build.
pub fn run_bounded(sc: Scenario) -> Option<String> {
    if sc.nodes.len() > MAX_ELEMENTS
        || sc.links.len() > MAX_ELEMENTS
        || sc.flows.len() > MAX_ELEMENTS
    {
        return None;
    }
    let end = sc.duration.min(MAX_SIM_TIME);
    let options = RunOptions {
        limits: Limits {
            max_events: Some(200_000),
            max_packets_in_flight: Some(50_000),
            max_nodes: Some(MAX_ELEMENTS as u64),
            max_memory: Some(u64::MAX),
        },
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(sc, options).ok()?;
    sim.run_until(end);
    Some(sim.finish().ok()?.summary())
}
