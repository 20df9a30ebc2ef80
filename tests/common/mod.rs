//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod cdp;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh, empty temporary folder for one test, removed with what is in it
/// when dropped (a traced fat-tree run writes over a gigabyte).
pub struct TempDir(PathBuf);

impl std::ops::Deref for TempDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl AsRef<Path> for TempDir {
    fn as_ref(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub fn temp_dir(name: &str) -> TempDir {
    let d = std::env::temp_dir().join(format!("netsim-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    TempDir(d)
}

/// Runs a scenario file through the library into `out`, optionally traced;
/// returns the result folder.
pub fn run_file(path: &Path, out: &Path, trace: bool, seed: Option<u64>) -> netsim::run::RunResult {
    let sc = netsim::run::load(path, seed).unwrap_or_else(|e| panic!("{e}"));
    netsim::run::run(
        sc,
        &netsim::run::RunConfig {
            trace,
            ..netsim::run::RunConfig::new(out)
        },
    )
    .unwrap()
}

/// The text trace of a scenario file.
pub fn trace_of(path: &str) -> String {
    let out = temp_dir(&path.replace(['/', '.'], "_"));
    let r = run_file(Path::new(path), &out, true, None);
    let t = std::fs::read_to_string(r.folder.join("trace.txt")).unwrap();
    std::fs::remove_dir_all(&out).unwrap();
    t
}

/// Runs the netsim binary from the crate root.
pub fn netsim(args: &[&str]) -> Output {
    netsim_env(args, &[])
}

/// Runs the netsim binary from the crate root with these environment
/// variables, and none of Slurm's array variables unless given.
pub fn netsim_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_netsim"));
    cmd.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in [
        "SLURM_ARRAY_TASK_ID",
        "SLURM_ARRAY_TASK_COUNT",
        "SLURM_ARRAY_TASK_MIN",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("cannot start the netsim binary")
}
