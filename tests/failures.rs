//! Link failures and rerouting in packet mode.

mod common;

use netsim::engine::Simulation;
use std::path::Path;

#[test]
fn reroute_trace_snapshot() {
    let t = common::trace_of("tests/fixtures/reroute.toml");
    assert_eq!(t.matches("reason=link-down").count(), 2, "{t}");
    assert!(
        t.contains("0.162500000 - routes-updated links down: R2-B"),
        "{t}"
    );
    // After reconvergence the datagram goes R1 -> R3 -> B.
    assert!(t.contains("R3 receive R1->R3 pkt=20"), "{t}");
    insta::assert_snapshot!("reroute", t);
}

#[test]
fn diamond_loses_only_until_reconvergence_and_nothing_after_repair() {
    let out = common::temp_dir("diamond");
    let r = common::run_file(Path::new("scenarios/diamond.toml"), &out, true, None);
    let trace = std::fs::read_to_string(r.folder.join("trace.txt")).unwrap();
    let drop_times: Vec<f64> = trace
        .lines()
        .filter(|l| l.contains(" drop "))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    // Down at 5 s, detection 50 ms, convergence 200 ms: every loss falls in
    // [5 s, 5.25 s]. At 2 Mbit/s of 1000 B datagrams (250/s) that is about 62
    // datagrams forwarded into the dead link, plus what was on it.
    assert!(!drop_times.is_empty());
    assert!(
        drop_times.iter().all(|&t| (5.0..=5.25).contains(&t)),
        "{drop_times:?}"
    );
    let flow = &r.report.flows[0];
    assert_eq!(flow.lost_packets, drop_times.len() as u64);
    assert!(
        (62..=66).contains(&flow.lost_packets),
        "lost {}",
        flow.lost_packets
    );
    assert_eq!(flow.lost_by_reason[0].reason, "link-down");
    // During the outage the backup path carried the traffic.
    let backup = r.report.links.iter().find(|l| l.name == "R1->R3").unwrap();
    assert!(
        backup.tx_packets > 2000,
        "backup carried {}",
        backup.tx_packets
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn no_path_left_drops_as_no_route_until_repair() {
    // A single path: while R-B is down, and after reconvergence, A's router has
    // no route and drops as `no-route`; after repair traffic flows again.
    let text = "[simulation]\nduration = \"3s\"\n[routing]\ndetection = \"10ms\"\nconvergence = \"10ms\"\n\
        [[node]]\nname = \"A\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n[[node]]\nname = \"B\"\n\
        [[link]]\nbetween = [\"A\", \"R\"]\n[[link]]\nbetween = [\"R\", \"B\"]\n\
        [[failure]]\nlink = [\"R\", \"B\"]\ndown = \"1s\"\nup = \"2s\"\n\
        [[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"80kbps\"\nsize = \"1000B\"\n";
    let sc = netsim::scenario::parse("t.toml", text, "t").unwrap();
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    let f = &r.flows[0];
    let by = |cause: &str| {
        f.lost_by_reason
            .iter()
            .find(|c| c.reason == cause)
            .map_or(0, |c| c.count)
    };
    // 10 datagrams per second; the outage [1 s, 2.02 s) swallows about 10.
    assert!(by("link-down") >= 1, "{f:?}");
    assert!(by("no-route") >= 7, "{f:?}");
    assert_eq!(f.sent_packets, 30);
    assert_eq!(
        f.received_packets + f.lost_packets + f.in_flight_packets,
        30
    );
    assert!(f.received_packets >= 19, "{f:?}");
}
