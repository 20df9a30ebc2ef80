//! What the fuzz targets in `fuzz/` found, kept fixed without cargo-fuzz.
//!
//! Every input of the committed, minimized fuzz corpus goes through the same
//! steps as its target (`fuzz/fuzz_targets/*.rs`): parsing never panics and
//! only ever fails with a located input error; a small scenario simulates for a
//! bounded while and renders its summary. Inputs that once crashed a target are
//! checked for their exact outcome below.

use netsim::engine::{RunOptions, Simulation};
use netsim::limits::Limits;
use netsim::sim::SimTime;
use std::path::{Path, PathBuf};

#[path = "../fuzz/steps.rs"]
mod steps;
use steps::{parse_checked, run_bounded};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} is empty", dir.display());
    files
}

#[test]
fn the_parse_corpus_parses_or_fails_with_a_location() {
    for file in corpus("scenario_parse") {
        let bytes = std::fs::read(&file).unwrap();
        if let Ok(text) = std::str::from_utf8(&bytes) {
            let _ = parse_checked(text);
        }
    }
}

#[test]
fn the_run_corpus_simulates_without_panicking() {
    let mut simulated = 0;
    for file in corpus("scenario_run") {
        let bytes = std::fs::read(&file).unwrap();
        let Ok(text) = std::str::from_utf8(&bytes) else {
            continue;
        };
        if let Some(sc) = parse_checked(text) {
            simulated += usize::from(run_bounded(sc).is_some());
        }
    }
    assert!(simulated > 0, "no input of the run corpus was simulated");
}

/// The error `parse` gives, as `netsim` prints it.
fn parse_error(text: &str) -> String {
    match netsim::scenario::parse("fuzz.toml", text, "fuzz") {
        Ok(_) => panic!("the scenario was accepted"),
        Err(e) => e.to_string(),
    }
}

/// A failure file that never ends (`/dev/zero`) was read whole: `validate`
/// and `run` grew until the memory ran out. Side files must be regular files.
#[test]
fn a_failure_file_that_is_a_device_is_refused() {
    let text = "[[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n[[link]]\nbetween = [\"A\", \"B\"]\n[[failure]]\nfile = \"/dev/zero\"\n";
    assert_eq!(
        parse_error(text),
        "fuzz.toml:8:8: failure file `/dev/zero` is not a regular file; expected a text file"
    );
}

/// A router failing and recovering every few nanoseconds (`mtbf`, `mttr` of
/// 1 ns): the run stops at its event cap with ~200,000 outages per million
/// events, and the report then searched every reconvergence and every loss
/// once per outage, quadratic in the outages (a million events took 5 s to
/// report, twenty million did not finish in two minutes). Each outage's figures
/// must still be those of the plain definition.
#[test]
fn many_outages_are_reported_with_the_right_figures() {
    let text = r#"
[simulation]
duration = "10s"
[[node]]
name = "A"
[[node]]
name = "R"
kind = "router"
[[node]]
name = "B"
[[link]]
between = ["A", "R"]
delay = "0ns"
[[link]]
between = ["R", "B"]
delay = "1ns"
[[flow]]
from = "A"
to = "B"
rate = "8Gbps"
size = "1B"
[[failure]]
node = "R"
mtbf = "1ns"
mttr = "1ns"
[routing]
detection = "0s"
convergence = "0s"
"#;
    let sc = netsim::scenario::parse("fuzz.toml", text, "fuzz").unwrap();
    let options = RunOptions {
        limits: Limits::max_events(2_000_000),
        ..RunOptions::default()
    };
    let mut sim = Simulation::new(sc, options).unwrap();
    sim.run_until(SimTime::from_secs(10));
    let hit = sim.limit_hit().expect("the event cap stops the run");
    assert_eq!(hit.cap, netsim::limits::Cap::Events);
    let report = sim.finish().unwrap();
    let timeline = &report.timeline;
    assert!(
        report.outages.len() > 100_000,
        "{} outages",
        report.outages.len()
    );
    assert_eq!(report.outages.len(), timeline.outages.len());
    let losses = &timeline.losses[0];
    assert!(!losses.is_empty());
    // The plain definitions, checked on a sample of outages.
    for (o, r) in timeline.outages.iter().zip(&report.outages).step_by(997) {
        let reroute = timeline
            .reconvergences
            .iter()
            .find(|&&t| t >= o.down)
            .map(|&t| (t - o.down).as_secs_f64());
        assert_eq!(r.reroute_s, reroute);
        let end = o.up.unwrap_or(SimTime::from_secs(10));
        let lost: Vec<_> = losses
            .iter()
            .filter(|(t, _)| *t >= o.down && *t < end)
            .collect();
        assert_eq!(r.flows[0].lost_packets, lost.len() as u64);
        let bytes: u64 = lost.iter().map(|(_, b)| u64::from(*b)).sum();
        assert_eq!(r.flows[0].lost_bytes, bytes);
    }
    // With no routing delay, an outage's losses are its own: they add up to
    // at most the flow's.
    let in_outages: u64 = report.outages.iter().map(|r| r.flows[0].lost_packets).sum();
    assert!(in_outages <= losses.len() as u64);
}
