//! `netsim sweep` and `netsim merge`: a sweep's run equals a single run with
//! that seed and value; outputs are byte-identical whatever the thread count;
//! merged shards equal the unsharded sweep; bad keys, values and shard sets are
//! refused with exit code 2 before anything runs.

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

const FIXTURE: &str = "tests/fixtures/sweep_small.toml";
const FILES: [&str; 5] = [
    "runs.csv",
    "runs.jsonl",
    "summary.txt",
    "sweep.csv",
    "sweep.json",
];

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "netsim failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| {
            let e = e.unwrap();
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn assert_same(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.keys().collect::<Vec<_>>(),
        FILES.iter().collect::<Vec<_>>(),
        "files of {}",
        a.display()
    );
    assert_eq!(fa.keys().collect::<Vec<_>>(), fb.keys().collect::<Vec<_>>());
    for (name, x) in &fa {
        assert!(
            *x == fb[name],
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}

const GRID: [&str; 6] = [
    "--seeds",
    "1..4",
    "--set",
    "link[R1,R2].queue=5p,50p",
    "--set",
    "tcp.sack=true,false",
];

fn sweep(out: &Path, extra: &[&str], env: &[(&str, &str)]) -> String {
    let mut args = vec!["sweep", FIXTURE, "--quiet", "--out", out.to_str().unwrap()];
    args.extend(GRID);
    args.extend(extra);
    ok(&common::netsim_env(&args, env))
}

#[test]
fn a_sweep_run_equals_a_single_run_with_that_seed_and_value() {
    let plan = netsim::sweep::Plan::new(
        Path::new(FIXTURE),
        &["link[R1,R2].loss=0.01,0.05".into()],
        Some("1..3"),
    )
    .unwrap();
    assert_eq!((plan.meta.points, plan.meta.runs), (2, 6));
    let records = netsim::sweep::run_all(&plan, &[0, 1, 2, 3, 4, 5], 2, false).unwrap();
    assert_eq!(
        records
            .iter()
            .map(|r| (r.run, r.point, r.seed))
            .collect::<Vec<_>>(),
        [
            (0, 0, 1),
            (1, 0, 2),
            (2, 0, 3),
            (3, 1, 1),
            (4, 1, 2),
            (5, 1, 3)
        ]
    );
    // Point 1, seed 2, from a file that says loss = 0.05 itself.
    let text = std::fs::read_to_string(FIXTURE).unwrap();
    assert_eq!(text.matches("loss = 0.01").count(), 1);
    let dir = common::temp_dir("single");
    let edited = dir.join("sweep_small.toml");
    std::fs::write(&edited, text.replace("loss = 0.01", "loss = 0.05")).unwrap();
    let sc = netsim::run::load(&edited, Some(2)).unwrap();
    let report = netsim::engine::Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    let single = netsim::sweep::figures::figures(&report).unwrap();
    assert_eq!(records[4].figures, single);
    assert!(single["flow.noise.lost_packets"].unwrap() > 0.0);
    assert!(single.contains_key("link.R1->R2.utilization"));
    assert!(single.contains_key("tcp.bulk.client.segments_retransmitted"));
    assert!(single["flow.bulk.completion_s"].is_some());
    // Another seed is another run.
    assert_ne!(records[3].figures, single);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn outputs_do_not_depend_on_the_thread_count() {
    let (a, b) = (common::temp_dir("jobs1"), common::temp_dir("jobs2"));
    let table = sweep(&a, &["--jobs", "1"], &[]);
    assert_eq!(table, "", "--quiet prints nothing");
    sweep(&b, &["--jobs", "2"], &[]);
    assert_same(&a.join("sweep_small-sweep"), &b.join("sweep_small-sweep"));
    // 4 grid points × 4 seeds (1..4 is inclusive), one header line.
    let runs = std::fs::read_to_string(a.join("sweep_small-sweep/runs.jsonl")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 16);
    let doc: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(a.join("sweep_small-sweep/sweep.json")).unwrap(),
    )
    .unwrap();
    let points = doc["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(points[1]["set"]["link[R1,R2].queue"], "5p");
    assert_eq!(points[1]["set"]["tcp.sack"], "false");
    let t = &points[2]["figures"]["flow.noise.throughput_bps"];
    assert_eq!(t["n"], 4);
    // The interval by hand from the four runs of point 2.
    let xs: Vec<f64> = runs
        .lines()
        .skip(1)
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|r| r["point"] == 2)
        .map(|r| r["figures"]["flow.noise.throughput_bps"].as_f64().unwrap())
        .collect();
    let mean = xs.iter().sum::<f64>() / 4.0;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 3.0).sqrt();
    assert!((t["mean"].as_f64().unwrap() - mean).abs() < 1e-9 * mean);
    assert!((t["ci95"].as_f64().unwrap() - 3.182_446 * sd / 2.0).abs() < 1e-5 * sd);
    let csv = std::fs::read_to_string(a.join("sweep_small-sweep/sweep.csv")).unwrap();
    assert!(
        csv.starts_with("point,\"link[R1,R2].queue\",tcp.sack,figure,n,mean,ci95,std,min,max\n")
    );
    std::fs::remove_dir_all(&a).unwrap();
    std::fs::remove_dir_all(&b).unwrap();
}

#[test]
fn merged_shards_equal_the_unsharded_sweep() {
    let root = common::temp_dir("shards");
    let whole = root.join("whole");
    let table = sweep(&whole, &[], &[]);
    assert_eq!(table, "");
    let shard = |i: usize| root.join(format!("shard-{i}"));
    sweep(&shard(0), &["--shard", "0/3"], &[]);
    // Shard 1 as a Slurm array task of --array=0-2 would get it.
    sweep(
        &shard(1),
        &[],
        &[
            ("SLURM_ARRAY_TASK_ID", "1"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
        ],
    );
    // Shard 2 from --array=1-3: task 3, first 1.
    sweep(
        &shard(2),
        &[],
        &[
            ("SLURM_ARRAY_TASK_ID", "3"),
            ("SLURM_ARRAY_TASK_COUNT", "3"),
            ("SLURM_ARRAY_TASK_MIN", "1"),
        ],
    );
    let only_runs = files(&shard(1).join("sweep_small-sweep"));
    assert_eq!(
        only_runs.keys().collect::<Vec<_>>(),
        ["runs.csv", "runs.jsonl"]
    );
    // 16 runs: shard 1 holds runs 1, 4, 7, 10, 13.
    let lines = String::from_utf8(only_runs["runs.jsonl"].clone()).unwrap();
    assert_eq!(lines.lines().count(), 1 + 5);
    assert!(lines.lines().nth(1).unwrap().starts_with("{\"run\":1,"));

    let merged = root.join("merged");
    let dirs = [shard(2), shard(0), shard(1).join("sweep_small-sweep")];
    let mut args = vec!["merge".to_string()];
    args.extend(dirs.iter().map(|d| d.display().to_string()));
    args.extend(["--out".into(), merged.display().to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let printed = ok(&common::netsim_env(&args, &[]));
    assert!(
        printed.contains("sweep sweep_small: 4 grid points × 4 seeds = 16 runs"),
        "{printed}"
    );
    assert_same(
        &whole.join("sweep_small-sweep"),
        &merged.join("sweep_small-sweep"),
    );

    // A missing shard, a shard twice, a shard of another sweep.
    let refused = |dirs: &[PathBuf], expect: &str| {
        let mut args = vec!["merge".to_string()];
        args.extend(dirs.iter().map(|d| d.display().to_string()));
        args.extend(["--out".into(), root.join("bad").display().to_string()]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = common::netsim_env(&args, &[]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.contains(expect), "expected `{expect}` in: {err}");
        assert!(!root.join("bad").exists());
    };
    refused(&[shard(0), shard(1)], "shard(s) 2/3 of sweep");
    refused(&[shard(0), shard(1), shard(1)], "shard 1/3 given twice");
    let other = root.join("other");
    let mut args = vec!["sweep", FIXTURE, "-q", "--out", other.to_str().unwrap()];
    args.extend(["--seeds", "1..5", "--shard", "2/3"]);
    args.extend(&GRID[2..]);
    ok(&common::netsim_env(&args, &[]));
    refused(
        &[shard(0), shard(1), other.clone()],
        "not shards of the same sweep",
    );
    refused(
        &[shard(0), shard(1), whole.clone()],
        "shards of one sweep share N",
    );
    refused(&[root.join("nowhere")], "cannot read the folder");
    // A shard cut short: its last run is missing.
    let cut = root.join("cut");
    std::fs::create_dir_all(&cut).unwrap();
    let text = std::fs::read_to_string(shard(1).join("sweep_small-sweep/runs.jsonl")).unwrap();
    let kept: Vec<&str> = text.lines().collect();
    std::fs::write(
        cut.join("runs.jsonl"),
        kept[..kept.len() - 1].join("\n") + "\n",
    )
    .unwrap();
    refused(
        &[shard(0), cut.clone(), shard(2)],
        "merge: 1 of 16 runs missing (first: run 13, shard 1/3)",
    );
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn bad_keys_values_and_shards_are_refused_before_anything_runs() {
    let out = common::temp_dir("bad");
    let cases: [(&[&str], &str); 9] = [
        (
            &["--set", "tcp.msss=1000"],
            "error: --set tcp.msss=1000: unknown key `msss`",
        ),
        (
            &["--set", "tcp.mss=1000,abc"],
            "error: --set tcp.mss=abc: invalid type",
        ),
        (
            &["--set", "link[R1,R9].queue=5p"],
            "error: --set link[R1,R9].queue=5p: `link[R1,R9]`: no [[link]] lies between R1 and R9; the file has: A,R1 R1,R2 R2,B",
        ),
        (
            &["--set", "link.3.queue=5p"],
            "error: --set link.3.queue=5p: `link.3`: position 3, but the scenario has 3 [[link]]",
        ),
        (
            &["--set", "flow.queue=5p"],
            "error: --set flow.queue=5p: `flow` is a list of [[flow]] tables",
        ),
        (
            &["--set", "simulation.duration=1s,soon"],
            "error: --set simulation.duration=soon: `soon`: no number",
        ),
        (
            &["--seeds", "5..1"],
            "error: --seeds 5..1: the range 5..1 is empty",
        ),
        (
            &["--shard", "3/3"],
            "error: --shard 3/3: expected I/N with 0 <= I < N",
        ),
        (&["--jobs", "0"], "error: --jobs 0"),
    ];
    for (extra, expect) in cases {
        let mut args = vec!["sweep", FIXTURE, "--out", out.to_str().unwrap()];
        args.extend(extra);
        let o = common::netsim_env(&args, &[]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {err}");
        assert!(
            err.starts_with(expect),
            "{extra:?}: expected `{expect}`, got: {err}"
        );
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(o.stdout.is_empty());
    }
    let o = common::netsim_env(
        &["sweep", FIXTURE, "--out", out.to_str().unwrap()],
        &[
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_COUNT", "4"),
        ],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--array=0-3"));
    assert_eq!(
        std::fs::read_dir(&out).unwrap().count(),
        0,
        "nothing written"
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn the_table_shows_mean_and_interval_per_grid_point() {
    let out = common::temp_dir("table");
    let o = common::netsim_env(
        &[
            "sweep",
            FIXTURE,
            "--out",
            out.to_str().unwrap(),
            "--seeds",
            "1,2,5",
            "--set",
            "simulation.duration=1s,2s",
        ],
        &[],
    );
    let stdout = ok(&o);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[0],
        "sweep sweep_small: 2 grid points × 3 seeds = 6 runs; mean ± 95% confidence half-width"
    );
    assert!(
        lines[2].starts_with("point  simulation.duration  flow   throughput Mbps"),
        "{stdout}"
    );
    assert!(
        lines[3].starts_with("0      1s                   bulk "),
        "{stdout}"
    );
    assert!(
        lines[6].starts_with("1      2s                   noise  1."),
        "{stdout}"
    );
    assert!(lines[6].contains(" ± "), "{stdout}");
    let summary = std::fs::read_to_string(out.join("sweep_small-sweep/summary.txt")).unwrap();
    assert!(stdout.starts_with(&summary));
    std::fs::remove_dir_all(&out).unwrap();
}
