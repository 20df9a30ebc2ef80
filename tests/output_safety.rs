//! The result folder is all or nothing: a run that fails or is interrupted
//! leaves the previous result as it was and nothing that looks complete; a
//! later run removes what an interrupted one left behind.

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// A scenario named `same` that runs for `duration` of simulated time.
fn scenario(dir: &Path, file: &str, duration: &str) -> String {
    let path = dir.join(file);
    std::fs::write(
        &path,
        format!(
            "[simulation]\nname = \"same\"\nduration = \"{duration}\"\n\
             [[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n\
             [[link]]\nbetween = [\"A\", \"B\"]\n\
             [[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"50Mbps\"\n"
        ),
    )
    .unwrap();
    path.to_str().unwrap().to_string()
}

fn first_run(dir: &Path, out: &str) -> String {
    let short = scenario(dir, "short.toml", "1s");
    let r = common::netsim(&["run", &short, "--out", out, "--no-plots", "--quiet"]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    std::fs::read_to_string(Path::new(out).join("same/summary.txt")).unwrap()
}

#[test]
fn a_failing_run_leaves_the_previous_result_intact() {
    let dir = common::temp_dir("failing");
    let out = dir.join("out");
    let out = out.to_str().unwrap();
    let before = first_run(&dir, out);
    // Fails after the result folder was started: no such flow to draw.
    let short = scenario(&dir, "short.toml", "1s");
    let r = common::netsim(&["run", &short, "--out", out, "--ladder-flow", "nope"]);
    assert_eq!(r.status.code(), Some(2));
    assert_eq!(entries(Path::new(out)), ["same"], "no partial folder left");
    let after = std::fs::read_to_string(Path::new(out).join("same/summary.txt")).unwrap();
    assert_eq!(before, after);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn an_interrupted_run_leaves_only_a_hidden_partial_which_the_next_run_removes() {
    let dir = common::temp_dir("sigint");
    let out = dir.join("out");
    let out_s = out.to_str().unwrap();
    let before = first_run(&dir, out_s);
    // About 10^6 s of simulated traffic: minutes of wall time, interrupted early.
    let long = scenario(&dir, "long.toml", "277h");
    let mut child = Command::new(env!("CARGO_BIN_EXE_netsim"))
        .args([
            "run",
            &long,
            "--out",
            out_s,
            "--no-plots",
            "--quiet",
            "--trace",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let partial = format!(".same.partial-{}", child.id());
    let started = Instant::now();
    while !out.join(&partial).exists() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(!status.success(), "the run was interrupted, not finished");
    assert_eq!(
        entries(&out),
        [partial.as_str(), "same"],
        "only the previous result and a hidden partial folder"
    );
    let after = std::fs::read_to_string(out.join("same/summary.txt")).unwrap();
    assert_eq!(before, after, "the previous result is untouched");
    // The next run of the same name removes the dead run's partial folder.
    first_run(&dir, out_s);
    assert_eq!(entries(&out), ["same"]);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn result_files_never_name_the_process_or_the_temporary_folder() {
    let dir = common::temp_dir("no-pid");
    let out = dir.join("out");
    let out_s = out.to_str().unwrap();
    let short = scenario(&dir, "short.toml", "1s");
    let r = common::netsim(&[
        "run", &short, "--out", out_s, "--quiet", "--trace", "--pcap",
    ]);
    assert_eq!(
        r.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let mut stack = vec![out.join("same")];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let bytes = std::fs::read(&p).unwrap();
            let text = String::from_utf8_lossy(&bytes);
            assert!(
                !text.contains(".partial-"),
                "{} names the temporary folder",
                p.display()
            );
            assert!(
                !text.contains(out_s),
                "{} names the output path",
                p.display()
            );
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}
