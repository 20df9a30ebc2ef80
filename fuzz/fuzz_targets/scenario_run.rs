//! Fuzz target: parse a scenario, then simulate a small, bounded part of it
//! and render the summary (`fuzz/steps.rs`: at most 50 nodes, links and
//! flows, 200 ms simulated, small event and packet caps), so one input costs
//! milliseconds. A panic anywhere (engine, protocols, statistics, summary) is
//! a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../steps.rs"]
mod steps;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(sc) = netsim::scenario::parse("fuzz.toml", text, "fuzz") {
        steps::run_bounded(sc);
    }
});
