//! Generated topologies (`[[topology]]`) and flow sets (`[[flows]]`).

use netsim::scenario::{NodeKind, Scenario, parse};
use std::collections::BTreeMap;

fn sc(text: &str) -> Scenario {
    parse("t.toml", text, "t").unwrap_or_else(|e| panic!("{e}"))
}

fn err(text: &str) -> String {
    parse("t.toml", text, "t").unwrap_err().to_string()
}

fn count(s: &Scenario, kind: NodeKind) -> usize {
    s.nodes.iter().filter(|n| n.kind == kind).count()
}

#[test]
fn fat_tree_has_textbook_counts() {
    for k in [4usize, 8] {
        let s = sc(&format!(
            "[[topology]]\nkind = \"fat-tree\"\nk = {k}\n\
             edge = {{ bandwidth = \"1Gbps\", delay = \"10us\", queue = \"100p\" }}\n\
             core = {{ bandwidth = \"10Gbps\" }}\n"
        ));
        assert_eq!(count(&s, NodeKind::Host), k * k * k / 4, "hosts, k = {k}");
        assert_eq!(
            count(&s, NodeKind::Router),
            5 * k * k / 4,
            "switches, k = {k}"
        );
        assert_eq!(s.links.len(), 3 * k * k * k / 4, "links, k = {k}");
        // Names and per-tier parameters.
        let name = |i: usize| s.nodes[i].name.as_str();
        assert_eq!(name(0), "h0");
        assert!(
            s.nodes
                .iter()
                .any(|n| n.name == format!("core{}", k * k / 4 - 1))
        );
        assert!(
            s.nodes
                .iter()
                .any(|n| n.name == format!("agg{}", k * k / 2 - 1))
        );
        for l in &s.links {
            let (a, b) = (name(l.a), name(l.b));
            let want = if a.starts_with('h') {
                assert!(b.starts_with("edge"));
                1_000_000_000
            } else if b.starts_with("core") {
                assert!(a.starts_with("agg"));
                10_000_000_000
            } else {
                assert!(a.starts_with("edge") && b.starts_with("agg"));
                100_000_000
            };
            assert_eq!(l.bandwidth.0, want, "{a}-{b}");
        }
        // Every switch has k ports (cores k, edges k/2 down + k/2 up, ...).
        let mut degree: BTreeMap<usize, usize> = BTreeMap::new();
        for l in &s.links {
            *degree.entry(l.a).or_default() += 1;
            *degree.entry(l.b).or_default() += 1;
        }
        for (i, n) in s.nodes.iter().enumerate() {
            let want = if n.kind == NodeKind::Host { 1 } else { k };
            assert_eq!(degree[&i], want, "degree of {}", n.name);
        }
    }
}

fn run_udp(topology: &str, from: &str, to: &str) {
    let s = sc(&format!(
        "[simulation]\nduration = \"1s\"\n\n{topology}\n\
         [[flow]]\nfrom = \"{from}\"\nto = \"{to}\"\nrate = \"1Mbps\"\nstop = \"500ms\"\n"
    ));
    let r = netsim::engine::Simulation::new(s, Default::default())
        .unwrap()
        .run()
        .unwrap();
    let f = &r.flows[0];
    assert!(f.sent_packets > 50, "{topology}: sent {}", f.sent_packets);
    assert_eq!(f.received_packets, f.sent_packets, "{topology}");
}

#[test]
fn dumbbell_ring_grid_carry_a_udp_flow() {
    run_udp(
        "[[topology]]\nkind = \"dumbbell\"\npairs = 3\naccess = { bandwidth = \"1Gbps\" }\ncore = { bandwidth = \"10Mbps\", delay = \"5ms\" }\n",
        "s0",
        "d2",
    );
    run_udp("[[topology]]\nkind = \"ring\"\nnodes = 5\n", "h0", "h3");
    run_udp(
        "[[topology]]\nkind = \"grid\"\nrows = 3\ncolumns = 4\n",
        "h0",
        "h11",
    );
    run_udp(
        "[[topology]]\nkind = \"torus\"\nrows = 3\ncolumns = 3\n",
        "h0",
        "h8",
    );
    run_udp("[[topology]]\nkind = \"line\"\nnodes = 4\n", "h0", "h3");
    run_udp("[[topology]]\nkind = \"star\"\nhosts = 4\n", "h1", "h3");
    run_udp("[[topology]]\nkind = \"fat-tree\"\nk = 4\n", "h0", "h15");
}

#[test]
fn generated_sizes_and_names() {
    let s = sc("[[topology]]\nkind = \"dumbbell\"\npairs = 2\n");
    let names: Vec<&str> = s.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["s0", "s1", "d0", "d1", "left", "right"]);
    assert_eq!(s.links.len(), 5);
    let s = sc("[[topology]]\nkind = \"ring\"\nnodes = 4\n");
    assert_eq!(s.links.len(), 8);
    let s = sc("[[topology]]\nkind = \"grid\"\nrows = 3\ncolumns = 4\n");
    assert_eq!(s.links.len(), 12 + 3 * 3 + 2 * 4);
    let s = sc("[[topology]]\nkind = \"torus\"\nrows = 3\ncolumns = 4\n");
    assert_eq!(s.links.len(), 12 + 2 * 12);
}

#[test]
fn generators_mix_with_hand_written_nodes() {
    let s = sc(r#"
[[node]]
name = "server"

[[topology]]
kind = "star"
hosts = 3
prefix = "a-"

[[topology]]
kind = "star"
hosts = 2
prefix = "b-"

[[link]]
between = ["a-hub", "b-hub"]

[[link]]
between = ["server", "a-hub"]

[[flow]]
from = "b-h1"
to = "server"
"#);
    assert_eq!(s.nodes.len(), 1 + 4 + 3);
    assert_eq!(s.nodes[0].name, "server");
    assert!(s.nodes.iter().any(|n| n.name == "b-hub"));
    assert_eq!(s.flows.len(), 1);
}

fn flow_set(body: &str, seed: u64) -> Scenario {
    sc(&format!(
        "[simulation]\nseed = {seed}\n\n[[topology]]\nkind = \"fat-tree\"\nk = 4\n\n[[flows]]\n{body}"
    ))
}

fn pairs(s: &Scenario) -> Vec<(usize, usize, u64, Option<u64>)> {
    s.flows
        .iter()
        .map(|f| (f.from, f.to, f.start.as_nanos(), f.bytes))
        .collect()
}

#[test]
fn permutation_gives_one_out_one_in() {
    let s = flow_set(
        "name = \"perm\"\npattern = \"permutation\"\nhosts = \"h*\"\nprotocol = \"tcp\"\nsize = \"100KB\"\nsize_distribution = \"pareto\"\nstart_spread = \"1s\"\n",
        7,
    );
    assert_eq!(s.flows.len(), 16);
    let (mut out, mut inc) = (BTreeMap::new(), BTreeMap::new());
    for (i, f) in s.flows.iter().enumerate() {
        assert_eq!(f.name, format!("perm-{i}"));
        assert_ne!(f.from, f.to);
        assert!(f.start < netsim::sim::SimTime::from_secs(1));
        *out.entry(f.from).or_insert(0) += 1;
        *inc.entry(f.to).or_insert(0) += 1;
    }
    assert_eq!(out.len(), 16);
    assert_eq!(inc.len(), 16);
    assert!(out.values().chain(inc.values()).all(|&c| c == 1));
}

#[test]
fn incast_sends_n_flows_to_one_target() {
    let s = flow_set(
        "pattern = \"incast\"\nhosts = [\"h1\", \"h2\", \"h3\", \"h4\", \"h5\"]\ntarget = \"h15\"\n",
        1,
    );
    assert_eq!(s.flows.len(), 5);
    let target = s.nodes.iter().position(|n| n.name == "h15").unwrap();
    assert!(s.flows.iter().all(|f| f.to == target));
    assert_eq!(s.flows[0].name, "flows1-0");
    // The target inside the selection does not send to itself.
    let s = flow_set(
        "pattern = \"incast\"\nhosts = \"h1*\"\ntarget = \"h10\"\n",
        1,
    );
    // h1, h10..h15 minus h10.
    assert_eq!(s.flows.len(), 6);
}

#[test]
fn all_to_all_and_random_pairs() {
    let s = flow_set(
        "pattern = \"all-to-all\"\nhosts = [\"h0\", \"h5\", \"h9\"]\n",
        1,
    );
    assert_eq!(s.flows.len(), 6);
    let s = flow_set("pattern = \"random-pairs\"\ncount = 40\n", 1);
    assert_eq!(s.flows.len(), 40);
    assert!(s.flows.iter().all(|f| f.from != f.to));
}

#[test]
fn flow_sets_are_deterministic_per_seed() {
    let body = "pattern = \"random-pairs\"\ncount = 20\nprotocol = \"tcp\"\nsize = \"50KB\"\nsize_distribution = \"exponential\"\nstart_spread = \"2s\"\n";
    let a = pairs(&flow_set(body, 3));
    let b = pairs(&flow_set(body, 3));
    let c = pairs(&flow_set(body, 4));
    assert_eq!(a, b);
    assert_ne!(a, c);
    // Exponential sizes vary.
    assert!(a.iter().any(|p| p.3 != a[0].3));
}

#[test]
fn flow_set_flows_run() {
    let s = sc(r#"
[simulation]
duration = "2s"

[[topology]]
kind = "dumbbell"
pairs = 3

[[flows]]
pattern = "incast"
hosts = "s*"
target = "d0"
size = "20KB"
start_spread = "100ms"
"#);
    assert_eq!(s.flows.len(), 3);
    let r = netsim::engine::Simulation::new(s, Default::default())
        .unwrap()
        .run()
        .unwrap();
    for f in &r.flows {
        assert!(
            f.received_bytes >= 20_000,
            "{}: {}",
            f.name,
            f.received_bytes
        );
        assert!(f.sent_bytes <= 21_000, "{}: {}", f.name, f.sent_bytes);
    }
}

#[test]
fn bad_generators_are_located() {
    assert_eq!(
        err("[[topology]]\nkind = \"fat-tree\"\nk = 3\n"),
        "t.toml:3:5: k = 3 is not an even number of at least 2; expected e.g. k = 4 (k pods of k/2 edge and k/2 aggregation switches)"
    );
    assert_eq!(
        err("[[topology]]\nkind = \"star\"\nhosts = 0\n"),
        "t.toml:3:9: hosts = 0 is too small for a star topology; expected at least 1"
    );
    assert_eq!(
        err("[[topology]]\nkind = \"mesh\"\n"),
        "t.toml:2:8: unknown value `mesh`, expected one of `dumbbell`, `star`, `ring`, `line`, `grid`, `torus`, `fat-tree`"
    );
    assert_eq!(
        err("[[topology]]\nkind = \"ring\"\n"),
        "t.toml:2:8: a ring topology needs `nodes`; expected e.g. nodes = 4"
    );
    assert_eq!(
        err("[[topology]]\nkind = \"ring\"\nnodes = 4\nedge = { delay = \"1ms\" }\n"),
        "t.toml:4:8: `edge` is not a tier of a ring topology; expected `access`, `core`"
    );
    assert_eq!(
        err("[[node]]\nname = \"h1\"\n\n[[topology]]\nkind = \"star\"\nhosts = 2\n"),
        "t.toml:5:8: this star topology generates node `h1`, already declared at line 2, column 8; expected unique node names (set a different `prefix`)"
    );
    assert_eq!(
        err("[[topology]]\nkind = \"star\"\nhosts = 2\naccess = { bandwidth = \"0bps\" }\n"),
        "t.toml:4:24: the bandwidth must be greater than zero, e.g. \"10Mbps\""
    );
}

#[test]
fn bad_flow_sets_are_located() {
    let base = "[[topology]]\nkind = \"star\"\nhosts = 3\n\n[[flows]]\n";
    assert_eq!(
        err(&format!("{base}pattern = \"incast\"\nhosts = \"x*\"\n")),
        "t.toml:7:9: no host name starts with `x`; expected a glob that matches at least one host"
    );
    assert_eq!(
        err(&format!(
            "{base}pattern = \"incast\"\nhosts = [\"h0\", \"hub\"]\n"
        )),
        "t.toml:7:9: `hub` in `hosts` is a router; expected hosts (flows start and end at hosts)"
    );
    assert_eq!(
        err(&format!("{base}pattern = \"permutation\"\ncount = 3\n")),
        "t.toml:7:9: `count` applies to pattern = \"random-pairs\" only; expected no `count` with pattern = \"permutation\""
    );
    assert_eq!(
        err(&format!(
            "{base}pattern = \"all-to-all\"\nsize_distribution = \"pareto\"\n"
        )),
        "t.toml:7:21: `size_distribution` needs `size` (the mean flow size); expected e.g. size = \"100KB\""
    );
    assert_eq!(
        err(&format!(
            "{base}pattern = \"all-to-all\"\nstart = \"20s\"\n"
        )),
        "t.toml:7:9: start 20s is past the end of the simulation; expected a time from 0s to 10s (the duration)"
    );
}

#[test]
fn empirical_flow_sizes_follow_the_cdf_file() {
    let s = sc("[[topology]]\nkind = \"star\"\nhosts = 10\n\
         [[flows]]\npattern = \"random-pairs\"\ncount = 4000\nprotocol = \"tcp\"\n\
         size_distribution = \"empirical\"\nsize_cdf = \"tests/fixtures/flow_sizes.csv\"\n");
    let sizes: Vec<u64> = s.flows.iter().map(|f| f.bytes.unwrap()).collect();
    assert_eq!(sizes.len(), 4000);
    assert!(sizes.iter().all(|&b| (10_000..=1_000_000).contains(&b)));
    // P(10 KB) = 0.5: binomial sd 0.008, tolerance 0.04 (5 sd).
    let small = sizes.iter().filter(|&&b| b == 10_000).count() as f64 / 4000.0;
    assert!((small - 0.5).abs() < 0.04, "P(10KB) = {small}");
    // Mean 0.5 x 10 KB + 0.5 x 505 KB = 257.5 KB; sd of the mean about 3.6 KB.
    let mean = sizes.iter().sum::<u64>() as f64 / 4000.0;
    assert!((mean - 257_500.0).abs() < 15_000.0, "mean {mean}");
}

#[test]
fn flow_size_files_are_checked_line_by_line() {
    let base = "[[topology]]\nkind = \"star\"\nhosts = 4\n[[flows]]\npattern = \"permutation\"\nprotocol = \"tcp\"\n";
    assert_eq!(
        err(&format!(
            "{base}size_cdf = \"tests/fixtures/flow_sizes_bad.csv\"\n"
        )),
        "tests/fixtures/flow_sizes_bad.csv:2:7: probability 0.4 falls below the line before's (0.5); expected a cumulative probability that never decreases"
    );
    assert_eq!(
        err(&format!("{base}size_distribution = \"empirical\"\n")),
        "t.toml:7:21: size_distribution = \"empirical\" needs `size_cdf`, a file of `SIZE,P` lines; expected e.g. size_cdf = \"websearch.csv\""
    );
    assert_eq!(
        err(&format!(
            "{base}size = \"1MB\"\nsize_cdf = \"tests/fixtures/flow_sizes.csv\"\n"
        )),
        "t.toml:7:8: `size` does not go with `size_cdf` (the file gives the sizes); expected one of the two"
    );
}
