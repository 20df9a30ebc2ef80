//! Caps on a run (`[limits]`, `--max-*`, `RunOptions::limits`): a run that hits
//! one stops with a message naming the cap and how to raise it, exit code 3;
//! `run` still writes its result folder, marked incomplete; `compare` and a
//! refused scenario (too many nodes) write nothing.

mod common;

use netsim::engine::{RunOptions, Simulation};
use netsim::limits::{Cap, Limits};
use std::path::Path;

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Two hosts, a 1 Mbit/s link with a queue that never fills, and a 100 Mbit/s
/// source: packets pile up in the queue for the whole run.
const PILE_UP: &str = r#"
[simulation]
name = "pile-up"
duration = "10s"
[[node]]
name = "A"
[[node]]
name = "B"
[[link]]
between = ["A", "B"]
bandwidth = "1Mbps"
queue = "1000000p"
[[flow]]
from = "A"
to = "B"
rate = "100Mbps"
"#;

fn write_scenario(dir: &Path, text: &str) -> String {
    let file = dir.join("scenario.toml");
    std::fs::write(&file, text).unwrap();
    file.to_str().unwrap().to_string()
}

#[test]
fn the_event_cap_stops_run_and_marks_the_result_incomplete() {
    let out = common::temp_dir("events");
    let r = common::netsim(&[
        "run",
        "scenarios/quickstart.toml",
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
        "--max-events",
        "5000",
    ]);
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stderr.starts_with("error: the run stopped at ")
            && stderr.ends_with(
                " after 5000 events: events processed reached 5000, the max_events cap is 5000; raise it with --max-events N or max_events in [limits]\n"
            )
            && stderr.lines().count() == 1,
        "stderr: {stderr}"
    );
    let folder = out.join("quickstart");
    assert_eq!(
        String::from_utf8_lossy(&r.stdout),
        format!(
            "wrote {}/: INCOMPLETE (see INCOMPLETE.txt)\n",
            folder.display()
        )
    );
    assert_eq!(entries(&out), ["quickstart"], "no temporary folder left");
    let summary = std::fs::read_to_string(folder.join("summary.txt")).unwrap();
    let first = summary.lines().next().unwrap();
    assert!(
        first.starts_with("INCOMPLETE: stopped at ")
            && first.ends_with(" s (simulated) by the max_events cap"),
        "{first}"
    );
    let why = std::fs::read_to_string(folder.join("INCOMPLETE.txt")).unwrap();
    assert!(why.starts_with(first), "{why}");
    assert!(why.contains("raise it with --max-events N"), "{why}");
    for f in ["stats.json", "flows.csv", "links.csv", "timeline.json"] {
        assert!(folder.join(f).is_file(), "{f} is written");
    }
    // The same run without the cap is complete and says so nowhere.
    let r = common::netsim(&[
        "run",
        "scenarios/quickstart.toml",
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
        "--quiet",
    ]);
    assert_eq!(r.status.code(), Some(0));
    assert!(
        !folder.join("INCOMPLETE.txt").exists(),
        "a complete run replaces the incomplete one"
    );
    let summary = std::fs::read_to_string(folder.join("summary.txt")).unwrap();
    assert!(!summary.contains("INCOMPLETE"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_command_line_overrides_the_limits_table() {
    let dir = common::temp_dir("override");
    let file = write_scenario(&dir, &format!("[limits]\nmax_events = 1000\n{PILE_UP}"));
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let from_file = common::netsim(&["run", &file, "--out", out, "--no-plots", "--quiet"]);
    assert_eq!(from_file.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&from_file.stderr).contains(" after 1000 events: "));
    let from_cli = common::netsim(&[
        "run",
        &file,
        "--out",
        out,
        "--no-plots",
        "--quiet",
        "--max-events",
        "2000",
    ]);
    assert_eq!(from_cli.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&from_cli.stderr).contains(" after 2000 events: "));
    assert_eq!(String::from_utf8_lossy(&from_cli.stdout), "", "--quiet");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_library_run_returns_the_cap_as_an_error() {
    let sc = netsim::scenario::parse("t.toml", PILE_UP, "t").unwrap();
    let options = RunOptions {
        limits: Limits {
            max_events: Some(100),
            ..Default::default()
        },
        ..Default::default()
    };
    match Simulation::new(sc.clone(), options).unwrap().run() {
        Err(netsim::Error::Limit(hit)) => {
            assert_eq!((hit.cap, hit.limit, hit.events), (Cap::Events, 100, 100));
        }
        Err(e) => panic!("another error: {e}"),
        Ok(_) => panic!("the cap did not stop the run"),
    }
    // The partial figures stay available through run_until and finish.
    let mut sim = Simulation::new(
        sc,
        RunOptions {
            limits: Limits::max_events(100),
            ..Default::default()
        },
    )
    .unwrap();
    sim.run_until(sim.scenario().duration);
    assert_eq!(sim.events_processed(), 100);
    assert!(sim.limit_hit().is_some());
    sim.run_until(sim.scenario().duration);
    assert_eq!(sim.events_processed(), 100, "a stopped run stays stopped");
    let report = sim.finish().unwrap();
    assert_eq!(report.events, 100);
}

#[test]
fn the_packet_cap_counts_packets_alive_at_once() {
    let sc = netsim::scenario::parse("t.toml", PILE_UP, "t").unwrap();
    let options = RunOptions {
        limits: Limits {
            max_packets_in_flight: Some(1000),
            ..Default::default()
        },
        ..Default::default()
    };
    let Err(netsim::Error::Limit(hit)) = Simulation::new(sc.clone(), options).unwrap().run() else {
        panic!("the packet cap did not stop the run");
    };
    assert_eq!(
        (hit.cap, hit.limit, hit.measured),
        (Cap::PacketsInFlight, 1000, 1001)
    );
    let msg = hit.to_string();
    assert!(msg.contains("packets in flight reached 1001, the max_packets_in_flight cap is 1000; raise it with --max-packets-in-flight N"), "{msg}");
    // Unlimited, the same run completes.
    let options = RunOptions {
        limits: Limits::UNLIMITED,
        ..Default::default()
    };
    assert!(Simulation::new(sc, options).unwrap().run().is_ok());
}

#[test]
fn the_node_cap_refuses_the_scenario_and_writes_nothing() {
    let dir = common::temp_dir("nodes");
    let file = write_scenario(&dir, PILE_UP);
    let out = dir.join("out");
    let r = common::netsim(&[
        "run",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--max-nodes",
        "1",
    ]);
    assert_eq!(r.status.code(), Some(3));
    assert_eq!(
        String::from_utf8_lossy(&r.stderr),
        "error: the scenario has 2 nodes, more than the max_nodes cap (1); raise it with --max-nodes N or max_nodes in [limits]\n"
    );
    assert_eq!(entries(&out), Vec::<String>::new(), "nothing written");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_memory_cap_reads_the_resident_size() {
    if netsim::limits::resident_memory().is_none() {
        return; // not Linux: the memory cap is not enforced
    }
    let dir = common::temp_dir("memory");
    let file = write_scenario(&dir, PILE_UP);
    let out = dir.join("out");
    // Any process is larger than 64 KiB: the first check (before the first event) stops it.
    let r = common::netsim(&[
        "run",
        &file,
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
        "--max-memory",
        "64KiB",
    ]);
    assert_eq!(r.status.code(), Some(3));
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert!(
        stderr.contains(" after 0 events: resident memory reached "),
        "{stderr}"
    );
    assert!(stderr.contains("the max_memory cap is 0.1 MiB; raise it with --max-memory SIZE or max_memory in [limits]"), "{stderr}");
    assert!(out.join("pile-up/INCOMPLETE.txt").is_file());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_stops_at_the_cap_and_writes_nothing() {
    let out = common::temp_dir("compare");
    let r = common::netsim(&[
        "compare",
        "scenarios/diamond.toml",
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
        "--max-events",
        "100",
    ]);
    assert_eq!(r.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&r.stderr).contains("the max_events cap is 100"));
    assert_eq!(entries(&out), Vec::<String>::new(), "nothing written");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn caps_must_be_positive_on_the_command_line() {
    for (flag, value) in [
        ("--max-events", "0"),
        ("--max-nodes", "-1"),
        ("--max-memory", "8"),
    ] {
        let r = common::netsim(&["run", "scenarios/quickstart.toml", flag, value]);
        assert_eq!(r.status.code(), Some(2), "{flag} {value}");
    }
}
