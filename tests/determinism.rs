//! Same scenario and seed: byte-identical outputs. Another seed: another trace.

mod common;

use std::path::Path;

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn two_runs_write_identical_bytes() {
    let scenario = Path::new("scenarios/quickstart.toml");
    let (a, b) = (common::temp_dir("det-a"), common::temp_dir("det-b"));
    let ra = common::run_file(scenario, &a, true, None);
    let rb = common::run_file(scenario, &b, true, None);
    let (fa, fb) = (files(&ra.folder), files(&rb.folder));
    assert!(
        fa.len() >= 5,
        "expected summary, stats, csv files and trace: {:?}",
        fa.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    assert_eq!(
        fa.iter().map(|f| &f.0).collect::<Vec<_>>(),
        fb.iter().map(|f| &f.0).collect::<Vec<_>>()
    );
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(!x.is_empty(), "{name} is empty");
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn another_seed_gives_another_trace() {
    let scenario = Path::new("scenarios/quickstart.toml");
    let (a, b) = (common::temp_dir("seed-a"), common::temp_dir("seed-b"));
    let ra = common::run_file(scenario, &a, true, Some(1));
    let rb = common::run_file(scenario, &b, true, Some(2));
    let ta = std::fs::read(ra.folder.join("trace.txt")).unwrap();
    let tb = std::fs::read(rb.folder.join("trace.txt")).unwrap();
    assert_ne!(ta, tb);
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn adding_a_flow_does_not_change_another_links_losses() {
    // The lossy link's draws come from its own stream: a second flow on another
    // link leaves its losses exactly as they were.
    let base = std::fs::read_to_string("tests/fixtures/lossy.toml").unwrap();
    let extended = format!(
        "{base}\n[[node]]\nname = \"C\"\n[[node]]\nname = \"D\"\n[[link]]\nbetween = [\"C\", \"D\"]\nloss = 0.5\n[[flow]]\nname = \"other\"\nfrom = \"C\"\nto = \"D\"\nrate = \"1Mbps\"\n"
    );
    let lost = |text: &str| {
        let sc = netsim::scenario::parse("x.toml", text, "x").unwrap();
        let r = netsim::engine::Simulation::new(sc, Default::default())
            .unwrap()
            .run()
            .unwrap();
        let probe = r.flows.iter().find(|f| f.name == "probe").unwrap();
        (probe.lost_packets, probe.received_packets)
    };
    assert_eq!(lost(&base), lost(&extended));
}
