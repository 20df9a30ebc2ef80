//! The largest values netsim accepts, all at once (`tests/fixtures/largest_values.toml`:
//! a 1,000,000 h run, 2^64 - 1 bit/s links, 2^64 - 1 packet queues, 2^64 - 1 byte
//! transfers, the largest datagram and TTL, 10^9 calls per second, failures and
//! routing delays as long as the run): every run either finishes with figures
//! that add up or stops at a cap with its message; nothing wraps or panics
//! (the test profile keeps overflow checks on).

use netsim::engine::{RunOptions, Simulation};
use netsim::limits::{Cap, Limits};
use netsim::scenario::Scenario;
use std::process::Command;

const FIXTURE: &str = "tests/fixtures/largest_values.toml";

fn load() -> Scenario {
    netsim::scenario::load(FIXTURE.as_ref()).unwrap_or_else(|e| panic!("{e}"))
}

/// The fixture without its 10^9-calls-per-second flow: few enough events to finish.
fn without_calls() -> Scenario {
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    let a = text.find("[[flow]]\nname = \"calls-max\"").unwrap();
    let b = text.find("[[failure]]").unwrap();
    let text = format!("{}{}", &text[..a], &text[b..]);
    netsim::scenario::parse("largest_values.toml", &text, "largest_values").unwrap()
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("netsim-extremes-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn the_largest_values_stop_at_the_event_cap() {
    let Err(netsim::Error::Limit(hit)) = Simulation::new(load(), RunOptions::default())
        .unwrap()
        .run()
    else {
        panic!("expected the scenario's max_events cap to stop the run");
    };
    assert_eq!(
        (hit.cap, hit.limit, hit.events),
        (Cap::Events, 200_000, 200_000)
    );
}

#[test]
fn the_largest_values_without_the_call_storm_run_to_the_end() {
    let report = Simulation::new(
        without_calls(),
        RunOptions {
            limits: Limits::max_events(1_000_000),
            ..Default::default()
        },
    )
    .unwrap()
    .run()
    .unwrap_or_else(|e| panic!("{e}"));
    let udp = &report.flows[0];
    // One 65,507-byte datagram a second during the last hour.
    assert_eq!(udp.name, "udp-max");
    assert_eq!(udp.sent_packets, 3600);
    assert_eq!(udp.sent_bytes, 3600 * 65_507);
    for f in report.flows.iter().filter(|f| f.protocol == "udp") {
        assert_eq!(
            f.sent_packets,
            f.received_packets + f.lost_packets + f.in_flight_packets,
            "{}: every packet is received, lost or in flight",
            f.name
        );
        assert!(f.received_bytes <= f.sent_bytes, "{}", f.name);
    }
    assert!(
        report
            .links
            .iter()
            .all(|l| l.utilization >= 0.0 && l.utilization <= 1.0)
    );
}

#[test]
fn compare_handles_the_largest_values() {
    let out = temp_dir("compare");
    let r = netsim::compare::compare(without_calls(), &out, true, true)
        .unwrap_or_else(|e| panic!("{e}"));
    // Two transfers of 2^64 - 1 bytes: the totals need more than 64 bits.
    let offered = r.comparison.table();
    assert!(offered.contains("18447194073945376815"), "{offered}");
    match netsim::compare::compare(load(), &out, false, false) {
        Err(netsim::Error::Limit(hit)) => assert_eq!(hit.cap, Cap::Events),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("expected the event cap"),
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_command_line_reports_the_cap_not_a_panic() {
    let out = temp_dir("cli");
    let r = Command::new(env!("CARGO_BIN_EXE_netsim"))
        .args([
            "run",
            FIXTURE,
            "--out",
            out.to_str().unwrap(),
            "--quiet",
            "--trace",
            "--pcap",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("the max_events cap is 200000"), "{stderr}");
    assert!(out.join("largest-values/INCOMPLETE.txt").is_file());
    std::fs::remove_dir_all(&out).unwrap();
}
