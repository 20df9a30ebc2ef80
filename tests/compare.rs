//! `netsim compare`: the same traffic and failures over packets and circuits.

mod common;

use netsim::engine::Simulation;

#[test]
fn diamond_comparison_lines_up_both_modes() {
    let out = common::temp_dir("compare");
    let sc = netsim::run::load("scenarios/diamond.toml".as_ref(), None).unwrap();
    let r = netsim::compare::compare(sc, &out, false, true).unwrap();
    let c = &r.comparison;
    let get = |figure: &str| {
        c.rows
            .iter()
            .find(|row| row.figure == figure)
            .unwrap_or_else(|| panic!("no row {figure}"))
            .clone()
    };
    // Same traffic: the same bytes offered in both modes.
    let offered = get("offered bytes");
    assert_eq!(offered.packet(), offered.circuit());
    // The packet network reroutes within detection + convergence (250 ms); the
    // circuit waits for the teardown notice and a retry after the 1 s backoff.
    let delivered = get("delivered bytes");
    assert!(
        delivered.packet().parse::<u64>().unwrap() > delivered.circuit().parse::<u64>().unwrap()
    );
    let lost = get("  lost: link-down");
    assert!(
        lost.packet().parse::<u64>().unwrap() > 0
            && lost.circuit().parse::<u64>().unwrap() > lost.packet().parse::<u64>().unwrap()
    );
    for f in [
        "comparison.txt",
        "comparison.json",
        "packet-summary.txt",
        "circuit-summary.txt",
        "compare-delivered.png",
        "compare-delivered.svg",
        "compare-losses.png",
    ] {
        assert!(
            r.folder
                .join(f)
                .metadata()
                .map(|m| m.len() > 0)
                .unwrap_or(false),
            "{f} missing or empty"
        );
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(r.folder.join("comparison.json")).unwrap())
            .unwrap();
    assert_eq!(json["scenario"], "diamond");
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn tcp_over_packets_delivers_every_byte_once_the_only_path_is_back() {
    // One path, down from 1 s to 4 s: TCP backs off, retransmits after the
    // repair, and the whole transfer arrives intact.
    let text = "[simulation]\nduration = \"60s\"\n[[node]]\nname = \"A\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n[[node]]\nname = \"B\"\n\
        [[link]]\nbetween = [\"A\", \"R\"]\nbandwidth = \"10Mbps\"\n[[link]]\nbetween = [\"R\", \"B\"]\nbandwidth = \"10Mbps\"\ndelay = \"10ms\"\n\
        [[failure]]\nlink = [\"R\", \"B\"]\ndown = \"1s\"\nup = \"4s\"\n\
        [[flow]]\nprotocol = \"tcp\"\nfrom = \"A\"\nto = \"B:80\"\nbytes = \"5MB\"\n";
    let sc = netsim::scenario::parse("t.toml", text, "t").unwrap();
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    let f = &r.flows[0];
    assert_eq!(f.received_bytes, 5_000_000);
    let done = f.completion_s.unwrap();
    assert!(done > 4.0, "finished at {done} s, after the repair");
    assert!(f.lost_packets > 0, "segments were lost during the outage");
    assert!(r.tcp.iter().all(|c| c.integrity_errors == 0));
    assert!(r.tcp[0].rto_expiries >= 1);
}

#[test]
fn comparison_outputs_are_byte_identical_across_runs() {
    let (a, b) = (common::temp_dir("compare-a"), common::temp_dir("compare-b"));
    let run = |out: &std::path::Path| {
        let sc = netsim::run::load("scenarios/diamond.toml".as_ref(), None).unwrap();
        netsim::compare::compare(sc, out, true, true)
            .unwrap()
            .folder
    };
    let (fa, fb) = (run(&a), run(&b));
    let mut names: Vec<_> = std::fs::read_dir(&fa)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    names.sort();
    assert!(names.len() >= 10, "{names:?}");
    for n in names {
        let (x, y) = (
            std::fs::read(fa.join(&n)).unwrap(),
            std::fs::read(fb.join(&n)).unwrap(),
        );
        assert!(!x.is_empty(), "{n:?} is empty");
        assert!(x == y, "{n:?} differs between two runs");
    }
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}
