//! Multipath routing: equal-cost groups in a fat-tree, per-flow ECMP,
//! per-packet spraying, and groups after failures.

mod common;

use netsim::engine::{RunOptions, Simulation};
use netsim::net::routing::Routes;
use netsim::scenario::{Scenario, parse};
use netsim::stats::Report;
use std::collections::{BTreeMap, BTreeSet};

fn sc(text: &str) -> Scenario {
    parse("t.toml", text, "t").unwrap_or_else(|e| panic!("{e}"))
}

/// The number of distinct equal-cost shortest paths from every node to `dst`.
fn path_counts(s: &Scenario, r: &Routes, dst: usize) -> Vec<u64> {
    fn count(s: &Scenario, r: &Routes, v: usize, dst: usize, memo: &mut Vec<Option<u64>>) -> u64 {
        if v == dst {
            return 1;
        }
        if let Some(n) = memo[v] {
            return n;
        }
        let n = r
            .next_hops(v, dst)
            .iter()
            .map(|&c| count(s, r, s.channel_ends(c).1, dst, memo))
            .sum();
        memo[v] = Some(n);
        n
    }
    let mut memo = vec![None; s.nodes.len()];
    (0..s.nodes.len())
        .map(|v| count(s, r, v, dst, &mut memo))
        .collect()
}

#[test]
fn fat_tree_host_pairs_have_the_textbook_number_of_equal_cost_paths() {
    for k in [4usize, 8] {
        let s = sc(&format!("[[topology]]\nkind = \"fat-tree\"\nk = {k}\n"));
        let r = Routes::compute(&s);
        let half = k / 2;
        let hosts = k * k * k / 4;
        // Host I is on edge switch I / (k/2); a pod holds (k/2)² hosts.
        let (edge, pod) = (|h: usize| h / half, |h: usize| h / (half * half));
        for dst in 0..hosts {
            let counts = path_counts(&s, &r, dst);
            for src in (0..hosts).filter(|&h| h != dst) {
                let want = if pod(src) != pod(dst) {
                    (half * half) as u64
                } else if edge(src) != edge(dst) {
                    half as u64
                } else {
                    1
                };
                assert_eq!(counts[src], want, "k = {k}, h{src} -> h{dst}");
            }
        }
    }
}

/// Two routers joined by `paths` parallel two-hop paths through M1..Mn,
/// hosts A and B on either side.
fn parallel_paths(paths: usize, extra: &str) -> String {
    let mut t = String::from(
        "[[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n\
         [[node]]\nname = \"R1\"\nkind = \"router\"\n[[node]]\nname = \"R2\"\nkind = \"router\"\n\
         [[link]]\nbetween = [\"A\", \"R1\"]\nbandwidth = \"1Gbps\"\n\
         [[link]]\nbetween = [\"R2\", \"B\"]\nbandwidth = \"1Gbps\"\n",
    );
    for m in 1..=paths {
        t += &format!(
            "[[node]]\nname = \"M{m}\"\nkind = \"router\"\n\
             [[link]]\nbetween = [\"R1\", \"M{m}\"]\nbandwidth = \"100Mbps\"\n\
             [[link]]\nbetween = [\"M{m}\", \"R2\"]\nbandwidth = \"100Mbps\"\n"
        );
    }
    t + extra
}

/// Runs a scenario with a trace; returns the report and the trace text.
fn run_traced(text: &str) -> (Report, String) {
    let s = sc(text);
    let dir = common::temp_dir(&format!(
        "multipath-{}",
        netsim::sim::rng::stable_hash(text)
    ));
    let path = dir.join("trace.txt");
    let file = std::fs::File::create(&path).unwrap();
    let report = Simulation::new(
        s,
        RunOptions {
            trace: Some(Box::new(file)),
            ..RunOptions::default()
        },
    )
    .unwrap()
    .run()
    .unwrap();
    let trace = std::fs::read_to_string(&path).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    (report, trace)
}

/// For each source port: the middle routers its packets were queued towards
/// at R1 (from the trace's `enqueue R1->Mi` lines), with the packet count.
fn paths_by_source_port(trace: &str) -> BTreeMap<u16, BTreeMap<String, u64>> {
    let mut out: BTreeMap<u16, BTreeMap<String, u64>> = BTreeMap::new();
    for line in trace.lines().filter(|l| l.contains(" R1 enqueue R1->M")) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let channel = fields[3].to_string();
        // "10.0.0.1:49152>10.0.0.2:9"
        let ends = fields
            .iter()
            .find(|f| f.contains(':') && f.contains('>'))
            .unwrap();
        let port: u16 = ends
            .split('>')
            .next()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        *out.entry(port).or_default().entry(channel).or_default() += 1;
    }
    out
}

#[test]
fn ecmp_keeps_each_flow_on_one_path_and_spreads_many_flows() {
    // 256 UDP flows from A to B, each 100 datagrams, over four equal paths.
    const FLOWS: usize = 256;
    let mut flows =
        String::from("[simulation]\nduration = \"1100ms\"\n[routing]\nmultipath = \"ecmp\"\n");
    for i in 0..FLOWS {
        flows += &format!(
            "[[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"80kbps\"\nsize = \"100B\"\n\
             start = \"{}us\"\nstop = \"1s\"\n",
            i * 37
        );
    }
    let (report, trace) = run_traced(&parallel_paths(4, &flows));
    let paths = paths_by_source_port(&trace);
    assert_eq!(paths.len(), FLOWS);
    let mut flows_per_path: BTreeMap<String, usize> = BTreeMap::new();
    for (port, used) in &paths {
        assert_eq!(
            used.len(),
            1,
            "flow from port {port} took several paths: {used:?}"
        );
        *flows_per_path
            .entry(used.keys().next().unwrap().clone())
            .or_default() += 1;
    }
    // Tolerance: each of the four paths carries 64 flows ± 35% (the binomial
    // standard deviation is 6.9 flows: ±3.2 sigma).
    eprintln!("ECMP, {FLOWS} flows over 4 paths: {flows_per_path:?}");
    assert_eq!(flows_per_path.len(), 4, "{flows_per_path:?}");
    for (path, n) in &flows_per_path {
        assert!(
            (42..=86).contains(n),
            "{path}: {n} flows of {FLOWS}: {flows_per_path:?}"
        );
    }
    // One path per flow: nothing overtakes anything.
    assert!(report.flows.iter().all(|f| f.reordered_packets == 0));
    assert!(report.flows.iter().all(|f| f.received_packets == 100));
}

#[test]
fn spraying_spreads_one_flows_packets_over_all_paths() {
    // One flow of 4,000 datagrams; round-robin deals them out in turn.
    let flow = "[simulation]\nduration = \"1100ms\"\n\
                [[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"32Mbps\"\nsize = \"1000B\"\nstop = \"1s\"\n\
                multipath = \"spray-round-robin\"\n";
    let (report, trace) = run_traced(&parallel_paths(4, flow));
    let paths = paths_by_source_port(&trace);
    let used = paths.values().next().unwrap();
    assert_eq!(used.len(), 4, "{used:?}");
    assert!(
        used.values().all(|&n| n == 1000),
        "exactly a quarter each: {used:?}"
    );
    assert_eq!(report.flows[0].received_packets, 4000);

    // Random spraying: every path within ±10% of a quarter (binomial sd 27).
    let random = flow.replace("spray-round-robin", "spray-random");
    let (_, trace) = run_traced(&parallel_paths(4, &random));
    let used = paths_by_source_port(&trace).into_values().next().unwrap();
    assert_eq!(used.len(), 4, "{used:?}");
    eprintln!("random spraying, 4000 datagrams: {used:?}");
    assert!(
        used.values().all(|&n| (900..=1100).contains(&n)),
        "{used:?}"
    );
}

#[test]
fn paths_of_unequal_speed_reorder_a_sprayed_flow_and_tcp_copes() {
    // Two equal-cost paths, one ten times slower: sprayed segments overtake
    // each other. TCP still delivers every byte; the statistics show the
    // reordering and the receiver's out-of-order segments.
    let text = parallel_paths(
        2,
        "[simulation]\nduration = \"20s\"\n\
         [[flow]]\nprotocol = \"tcp\"\nfrom = \"A\"\nto = \"B:80\"\nbytes = \"2MB\"\n\
         multipath = \"spray-round-robin\"\n",
    )
    .replacen(
        "between = [\"M2\", \"R2\"]\nbandwidth = \"100Mbps\"",
        "between = [\"M2\", \"R2\"]\nbandwidth = \"10Mbps\"",
        1,
    );
    let (report, _) = run_traced(&text);
    let f = &report.flows[0];
    assert_eq!(f.received_bytes, 2_000_000);
    assert!(
        f.reordered_packets > 100,
        "reordered: {}",
        f.reordered_packets
    );
    let server = report.tcp.iter().find(|c| c.side == "server").unwrap();
    assert!(server.out_of_order_segments > 100, "{server:?}");
    assert!(report.tcp.iter().all(|c| c.integrity_errors == 0));
    let client = |r: &Report| r.tcp.iter().find(|c| c.side == "client").unwrap().clone();
    let default = client(&report);
    assert!(
        default.fast_retransmits > 0,
        "reordering fools 3 dup ACKs: {default:?}"
    );

    // A sender that waits for more duplicate ACKs (as Linux raises
    // tcp_reordering) is fooled less often.
    let tolerant = text.replace(
        "multipath = \"spray-round-robin\"\n",
        "multipath = \"spray-round-robin\"\ntcp = { dupack_threshold = 30 }\n",
    );
    let (patient, _) = run_traced(&tolerant);
    let p = client(&patient);
    eprintln!(
        "dupack threshold 3: {} fast retransmits, {} segments resent, done at {:?} s; 30: {}, {}, {:?} s",
        default.fast_retransmits,
        default.segments_retransmitted,
        report.flows[0].completion_s,
        p.fast_retransmits,
        p.segments_retransmitted,
        patient.flows[0].completion_s
    );
    assert_eq!(patient.flows[0].received_bytes, 2_000_000);
    // It starts fewer false recoveries and finishes sooner (4 against 11 fast
    // retransmits; 0.873 s against 1.045 s). It does not resend fewer segments:
    // each of its recoveries resends about 12 segments the slow path still
    // holds (48 in all, every one a duplicate at the receiver, none lost),
    // against 41 over 11 recoveries. That held the other way (fewer resends)
    // only while FlightSize counted limited transmit's segments, which RFC 5681
    // §3.2 step 2 excludes: with up to 29 of them the old rule set a higher
    // ssthresh.
    assert_eq!(patient.flows[0].lost_packets, 0);
    assert!(p.fast_retransmits < default.fast_retransmits, "{p:?}");
    assert!(
        patient.flows[0].completion_s.unwrap() < report.flows[0].completion_s.unwrap(),
        "{p:?}"
    );
}

#[test]
fn a_failed_member_leaves_the_group_after_convergence_and_returns_after_repair() {
    // ECMP over two paths; R1-M1 is down from 1 s to 2 s. Detection 50 ms and
    // convergence 200 ms: from 1.25 s to 2.25 s nothing is queued on R1->M1,
    // and every flow is delivered over M2; after 2.25 s M1 carries flows again.
    let mut text = String::from(
        "[simulation]\nduration = \"3s\"\n[routing]\nmultipath = \"ecmp\"\n\
         [[failure]]\nlink = [\"R1\", \"M1\"]\ndown = \"1s\"\nup = \"2s\"\n",
    );
    for _ in 0..16 {
        text += "[[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"100kbps\"\nsize = \"125B\"\n";
    }
    let (report, trace) = run_traced(&parallel_paths(2, &text));
    let time = |l: &str| l.split_whitespace().next().unwrap().parse::<f64>().unwrap();
    let on_m1: Vec<f64> = trace
        .lines()
        .filter(|l| l.contains(" R1 enqueue R1->M1 "))
        .map(time)
        .collect();
    assert!(
        on_m1.iter().any(|&t| t < 1.0),
        "M1 is used before the failure"
    );
    assert!(
        on_m1.iter().all(|&t| !(1.25..2.25).contains(&t)),
        "M1 used while out of the group"
    );
    assert!(
        on_m1.iter().any(|&t| t > 2.25),
        "M1 is used again after the repair"
    );
    // Losses only between the failure and the reroute, and only on M1.
    for f in &report.flows {
        for r in &f.lost_by_reason {
            assert_eq!(r.reason, "link-down", "{}: {:?}", f.name, f.lost_by_reason);
        }
    }
    let lost: u64 = report.flows.iter().map(|f| f.lost_packets).sum();
    // 16 flows x 100 packets/s; about half hashed onto M1, for 0.25 s.
    eprintln!("ECMP failover: {lost} datagrams lost, all link-down on R1->M1");
    assert!((100..=300).contains(&lost), "lost {lost}");
    let losses: BTreeSet<String> = trace
        .lines()
        .filter(|l| l.contains(" drop "))
        .map(|l| l.split_whitespace().nth(3).unwrap().to_string())
        .collect();
    assert_eq!(losses, BTreeSet::from(["R1->M1".to_string()]), "{losses:?}");
}

#[test]
fn ecmp_trace() {
    // Two flows over two equal paths, two datagrams each: the hash sends them
    // different ways (the snapshot shows which).
    let t = common::trace_of("tests/fixtures/ecmp.toml");
    insta::assert_snapshot!("ecmp", t);
}

#[test]
fn spraying_trace() {
    // One flow, four datagrams, alternating over a fast and a slow path: the
    // third overtakes the second.
    let t = common::trace_of("tests/fixtures/spray.toml");
    insta::assert_snapshot!("spray", t);
}
