//! One run on several threads (`--threads N`) writes the same files, byte for
//! byte, as on one: the quickstart and a k = 8 fat-tree (also with links and
//! a router failing under load), with the trace, the captures and the viewer
//! on.

mod common;

use netsim::engine::{RunOptions, Simulation};
use std::path::{Path, PathBuf};

/// Every file under `dir`, by relative path.
fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                out.push((path.strip_prefix(dir).unwrap().to_path_buf(), bytes));
            }
        }
    }
    out.sort();
    out
}

/// The k = 8 fat-tree: the shipped k = 4 one, bigger and shorter.
fn fat_tree_8(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string("scenarios/fat-tree.toml").unwrap();
    let text = text
        .replace("k = 4", "k = 8")
        .replace("name = \"fat-tree\"", "name = \"fat-tree-8\"")
        .replace("duration = \"10s\"", "duration = \"300ms\"");
    assert!(text.contains("k = 8") && text.contains("300ms"));
    let path = dir.join("fat-tree-8.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The k = 8 fat-tree with failures while the transfers run: ten links between
/// pods and cores (cut by every split) failing at random every two
/// milliseconds or so, and a core router down from 6 to 20 ms; routes follow
/// 3 ms after each change. The failures lose packets waiting at the near end,
/// propagating towards the far end's part, and handed over in the window of
/// the failure (each case happened on 2 and 4 threads when this was written).
fn fat_tree_8_failing(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(fat_tree_8(dir)).unwrap();
    let mut text = text
        .replace("name = \"fat-tree-8\"", "name = \"fat-tree-8-failing\"")
        .replace("duration = \"300ms\"", "duration = \"100ms\"")
        .replace(
            "multipath = \"ecmp\"",
            "multipath = \"ecmp\"\ndetection = \"1ms\"\nconvergence = \"2ms\"",
        );
    assert!(text.contains("convergence"));
    let pod_to_core = [(0, 0), (5, 5), (10, 10), (3, 12), (7, 13), (1, 4)];
    for (agg, core) in pod_to_core
        .into_iter()
        .chain([(6, 9), (12, 2), (14, 11), (9, 6)])
    {
        text += &format!(
            "\n[[failure]]\nlink = [\"agg{agg}\", \"core{core}\"]\nmtbf = \"2ms\"\nmttr = \"1ms\"\n"
        );
    }
    text += "\n[[failure]]\nnode = \"core6\"\ndown = \"6ms\"\nup = \"20ms\"\n";
    let path = dir.join("fat-tree-8-failing.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn run_with_threads(scenario: &Path, name: &str, threads: usize) -> Vec<(PathBuf, Vec<u8>)> {
    let out = common::temp_dir(&format!("threads-{name}-{threads}"));
    let (s, o, n) = (
        scenario.to_str().unwrap(),
        out.to_str().unwrap(),
        threads.to_string(),
    );
    let args = [
        "run",
        s,
        "--out",
        o,
        "--threads",
        &n,
        "--trace",
        "--pcap",
        "--view",
        "--quiet",
    ];
    let result = common::netsim(&args);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let found = files(&out.join(name));
    assert!(found.len() > 10, "{name}: only {} files", found.len());
    found
}

/// Returns the files of the one-thread run.
fn assert_same_for_any_thread_count(scenario: &Path, name: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let one = run_with_threads(scenario, name, 1);
    for threads in [2, 4] {
        let many = run_with_threads(scenario, name, threads);
        let names = |v: &[(PathBuf, Vec<u8>)]| v.iter().map(|f| f.0.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(&one),
            names(&many),
            "{name}: other files with {threads} threads"
        );
        for ((file, a), (_, b)) in one.iter().zip(&many) {
            assert!(
                a == b,
                "{name}: {} differs between 1 and {threads} threads",
                file.display()
            );
        }
    }
    one
}

/// Without this the comparison would prove nothing: the runs must really
/// have been split.
fn parts_used(scenario: &Path, threads: usize) -> usize {
    let sc = netsim::run::load(scenario, None).unwrap();
    let options = RunOptions {
        threads,
        ..Default::default()
    };
    let mut sim = Simulation::new(sc, options).unwrap();
    let end = sim.scenario().duration;
    sim.run_until(end);
    sim.parts_used()
}

#[test]
fn quickstart_is_the_same_on_1_2_and_4_threads() {
    let scenario = Path::new("scenarios/quickstart.toml");
    assert_eq!(parts_used(scenario, 2), 2);
    // Hosts go with their router, and there are two routers.
    assert_eq!(parts_used(scenario, 4), 2);
    assert_same_for_any_thread_count(scenario, "quickstart");
}

#[test]
fn fat_tree_k8_is_the_same_on_1_2_and_4_threads() {
    let dir = common::temp_dir("threads-scenario");
    let scenario = fat_tree_8(&dir);
    assert_eq!(parts_used(&scenario, 2), 2);
    assert_eq!(parts_used(&scenario, 4), 4);
    assert_same_for_any_thread_count(&scenario, "fat-tree-8");
}

#[test]
fn fat_tree_k8_with_failures_is_the_same_on_1_2_and_4_threads() {
    let dir = common::temp_dir("threads-failing-scenario");
    let scenario = fat_tree_8_failing(&dir);
    assert_eq!(parts_used(&scenario, 2), 2);
    assert_eq!(parts_used(&scenario, 4), 4);
    let files = assert_same_for_any_thread_count(&scenario, "fat-tree-8-failing");
    // The failures did lose packets on the links the splits cut.
    let trace = files
        .iter()
        .find(|(path, _)| path == Path::new("trace.txt"))
        .map(|(_, bytes)| String::from_utf8_lossy(bytes))
        .expect("a trace");
    let lost_on_core_links = trace
        .lines()
        .filter(|l| l.contains("reason=link-down") && l.contains("core"))
        .count();
    assert!(lost_on_core_links > 10, "{lost_on_core_links} lost");
    assert!(trace.contains("routes-updated"));
}

/// A cap the parallel run reaches: it stops, and the sequential engine reruns
/// and writes what a one-thread run writes (here: stopped at the same event).
#[test]
fn a_capped_run_is_the_same_on_2_threads() {
    let scenario = Path::new("scenarios/quickstart.toml");
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = common::temp_dir(&format!("threads-capped-{threads}"));
        let args = [
            "run",
            "scenarios/quickstart.toml",
            "--out",
            out.to_str().unwrap(),
            "--threads",
            threads,
            "--trace",
            "--no-plots",
            "--quiet",
            "--max-events",
            "50000",
        ];
        let result = common::netsim(&args);
        assert!(!result.status.success(), "the cap stops the run");
        outputs.push(files(&out.join("quickstart")));
    }
    assert!(scenario.exists());
    assert!(
        outputs[0]
            .iter()
            .any(|f| f.0 == Path::new("INCOMPLETE.txt"))
    );
    assert_eq!(outputs[0], outputs[1]);
}

/// The run says on how many threads it ran, and why fewer than asked.
#[test]
fn run_reports_the_threads_it_used() {
    let out = common::temp_dir("threads-report");
    let o = out.to_str().unwrap();
    let result = common::netsim(&[
        "run",
        "scenarios/quickstart.toml",
        "--out",
        o,
        "--threads",
        "4",
        "--no-plots",
    ]);
    assert!(result.status.success());
    let said = String::from_utf8_lossy(&result.stderr);
    assert!(said.contains("wall time on 2 threads"), "{said}");
    assert!(said.contains("the threads met "), "{said}");
    assert!(
        said.contains("--threads 4: the topology splits into only 2 parts"),
        "{said}"
    );
    let result = common::netsim(&["run", "scenarios/quickstart.toml", "--out", o, "--no-plots"]);
    let said = String::from_utf8_lossy(&result.stderr);
    assert!(said.contains("wall time on 1 thread ("), "{said}");
    assert!(!said.contains("met"), "{said}");
}
