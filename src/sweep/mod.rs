//! `netsim sweep` and `netsim merge`: one scenario over a grid of parameter
//! values × seeds, run in parallel, summarized per grid point (mean and 95%
//! confidence interval of every figure); shards of a sweep and their merge.
//!
//! Runs are numbered `r = point × seeds + seed position` (grid points in the
//! order of the `--set` flags, the last flag varying fastest; seeds ascending).
//! Shard `I/N` (0 ≤ I < N) runs every run with `r mod N = I`. Results are sorted
//! by run number before anything is summarized or written, so the output is the
//! same bytes whatever the thread count, the scheduling or the sharding.

pub mod figures;
pub mod keys;
pub mod stats;
mod table;

use crate::engine::{RunOptions, Simulation};
use crate::error::{Error, Result};
use crate::output::OutputDir;
use crate::scenario::Scenario;
use figures::Figures;
use keys::SetSpec;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The version of the runs.jsonl format.
const FORMAT: u32 = 1;
const RUNS_JSONL: &str = "runs.jsonl";

/// Everything that identifies a sweep: what `runs.jsonl` starts with.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SweepMeta {
    pub netsim_sweep: u32,
    /// FNV-1a 64 of the scenario file, the keys and values, and the seeds.
    pub fingerprint: String,
    pub scenario: String,
    /// FNV-1a 64 of the scenario file's bytes.
    pub scenario_hash: String,
    pub set: Vec<SetMeta>,
    pub seeds: Vec<u64>,
    pub points: usize,
    pub runs: usize,
    pub shard: Shard,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SetMeta {
    pub key: String,
    pub values: Vec<String>,
}

/// One slice of a sweep: the runs whose number is `index` modulo `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    pub index: usize,
    pub count: usize,
}

impl Shard {
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// `I/N` with 0 ≤ I < N.
    pub fn parse(spec: &str) -> Result<Shard> {
        let bad = || {
            Error::Usage(format!(
                "--shard {spec}: expected I/N with 0 <= I < N, e.g. 0/4 (shards count from 0)"
            ))
        };
        let (i, n) = spec.split_once('/').ok_or_else(bad)?;
        let (index, count) = (
            i.trim().parse::<usize>().map_err(|_| bad())?,
            n.trim().parse::<usize>().map_err(|_| bad())?,
        );
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// From a Slurm job array: I = SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN
    /// (MIN taken as 0 when unset), N = SLURM_ARRAY_TASK_COUNT. `None` outside
    /// an array job.
    pub fn from_env(get: impl Fn(&str) -> Option<String>) -> Result<Option<Shard>> {
        let Some(id) = get("SLURM_ARRAY_TASK_ID") else {
            return Ok(None);
        };
        let num = |name: &str, v: &str| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| Error::Usage(format!("{name}={v}: expected an unsigned integer")))
        };
        let id = num("SLURM_ARRAY_TASK_ID", &id)?;
        let count = match get("SLURM_ARRAY_TASK_COUNT") {
            Some(c) => num("SLURM_ARRAY_TASK_COUNT", &c)?,
            None => {
                return Err(Error::Usage(
                    "SLURM_ARRAY_TASK_ID is set but SLURM_ARRAY_TASK_COUNT is not; pass --shard I/N".into(),
                ));
            }
        };
        let min = match get("SLURM_ARRAY_TASK_MIN") {
            Some(m) => num("SLURM_ARRAY_TASK_MIN", &m)?,
            None => 0,
        };
        match id.checked_sub(min) {
            Some(index) if index < count => Ok(Some(Shard { index, count })),
            _ => Err(Error::Usage(format!(
                "Slurm array task {id} (first {min}, {count} tasks) is not shard 0..{count}: use a contiguous array such as --array=0-{} or pass --shard I/N",
                count.saturating_sub(1)
            ))),
        }
    }

    pub fn contains(&self, run: usize) -> bool {
        run % self.count == self.index
    }
}

/// One grid point: the value (text) of each `--set` key and the checked scenario.
#[derive(Clone, Debug)]
pub struct Point {
    pub values: Vec<String>,
    pub scenario: Scenario,
}

/// A sweep, checked and ready to run: every grid point's scenario parsed.
#[derive(Clone, Debug)]
pub struct Plan {
    pub meta: SweepMeta,
    pub points: Vec<Point>,
}

/// One run's figures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub run: usize,
    pub point: usize,
    pub seed: u64,
    pub figures: Figures,
}

fn fnv1a(bytes: &[u8], mut h: u64) -> u64 {
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}
const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

impl Plan {
    /// Reads the scenario, applies every combination of the `--set` values and
    /// checks each; nothing runs if any of it is wrong (exit code 2).
    pub fn new(file: &Path, sets: &[String], seeds: Option<&str>) -> Result<Plan> {
        let base = crate::scenario::load(file)?;
        let text = std::fs::read_to_string(file).map_err(|e| Error::io(file, e))?;
        let table: toml::Table = text
            .parse()
            .map_err(|e| Error::Internal(format!("{}: {e}", file.display())))?;
        let specs: Vec<SetSpec> = sets
            .iter()
            .map(|s| keys::parse_set(s))
            .collect::<Result<_>>()?;
        for (i, s) in specs.iter().enumerate() {
            if specs[..i].iter().any(|o| o.path == s.path) {
                return Err(Error::Usage(format!(
                    "--set {}: the key is set twice",
                    s.key
                )));
            }
        }
        let seeds = match seeds {
            Some(spec) => keys::parse_seeds(spec)?,
            None => vec![base.seed],
        };
        let shown = file.display().to_string();
        let stem = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "scenario".into());
        let count: usize = specs
            .iter()
            .try_fold(1usize, |acc, s| acc.checked_mul(s.values.len()))
            .filter(|&c| c.checked_mul(seeds.len()).is_some_and(|r| r <= 100_000_000))
            .ok_or_else(|| Error::Usage("the sweep has more than 10^8 runs".into()))?;
        let mut points = Vec::with_capacity(count);
        for p in 0..count {
            let choice = grid_choice(&specs, p);
            let mut t = table.clone();
            let label: Vec<String> = specs
                .iter()
                .zip(&choice)
                .map(|(s, &v)| format!("{}={}", s.key, s.values[v].0))
                .collect();
            for (s, &v) in specs.iter().zip(&choice) {
                keys::set_value(&mut t, &s.path, s.values[v].1.clone())
                    .map_err(|m| Error::Usage(format!("--set {}={}: {m}", s.key, s.values[v].0)))?;
            }
            let scenario = if specs.is_empty() {
                base.clone()
            } else {
                let edited = toml::to_string(&t).map_err(|e| Error::Internal(e.to_string()))?;
                crate::scenario::parse(&shown, &edited, &stem).map_err(|e| {
                    let why = match e {
                        Error::Input { message, .. } => message,
                        other => other.to_string(),
                    };
                    Error::Usage(format!("--set {}: {why}", label.join(" ")))
                })?
            };
            points.push(Point {
                values: specs
                    .iter()
                    .zip(&choice)
                    .map(|(s, &v)| s.values[v].0.clone())
                    .collect(),
                scenario,
            });
        }
        let set: Vec<SetMeta> = specs
            .iter()
            .map(|s| SetMeta {
                key: s.key.clone(),
                values: s.values.iter().map(|v| v.0.clone()).collect(),
            })
            .collect();
        let file_hash = fnv1a(text.as_bytes(), FNV_OFFSET);
        let mut id = format!("netsim-sweep {FORMAT}\n{file_hash:016x}\n");
        for s in &set {
            let _ = writeln!(id, "{}={}", s.key, s.values.join("\u{1f}"));
        }
        let _ = writeln!(id, "seeds={:?}", seeds);
        let meta = SweepMeta {
            netsim_sweep: FORMAT,
            fingerprint: format!("{:016x}", fnv1a(id.as_bytes(), FNV_OFFSET)),
            scenario: base.name.clone(),
            scenario_hash: format!("{file_hash:016x}"),
            set,
            points: count,
            runs: count * seeds.len(),
            seeds,
            shard: Shard::WHOLE,
        };
        Ok(Plan { meta, points })
    }

    /// The scenario of run `r`: its grid point's, with the run's seed.
    pub fn scenario_of(&self, r: usize) -> Scenario {
        let (p, s) = (r / self.meta.seeds.len(), r % self.meta.seeds.len());
        let mut sc = self.points[p].scenario.clone();
        sc.seed = self.meta.seeds[s];
        sc
    }
}

/// Which value of each key grid point `p` takes: the last key varies fastest.
fn grid_choice(specs: &[SetSpec], mut p: usize) -> Vec<usize> {
    let mut choice = vec![0; specs.len()];
    for (i, s) in specs.iter().enumerate().rev() {
        choice[i] = p % s.values.len();
        p /= s.values.len();
    }
    choice
}

/// Simulates run `r` of the plan and flattens its report.
pub fn run_one(plan: &Plan, r: usize) -> Result<RunRecord> {
    let sc = plan.scenario_of(r);
    let seed = sc.seed;
    let report = Simulation::new(sc, RunOptions::default())?.run()?;
    Ok(RunRecord {
        run: r,
        point: r / plan.meta.seeds.len(),
        seed,
        figures: figures::figures(&report)?,
    })
}

/// Runs the given runs on `jobs` threads; results sorted by run number. With
/// `progress`, a bar on stderr (the caller checks that stderr is a terminal).
pub fn run_all(plan: &Plan, runs: &[usize], jobs: usize, progress: bool) -> Result<Vec<RunRecord>> {
    use rayon::prelude::*;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(jobs.max(1))
        .build()
        .map_err(|e| Error::Internal(format!("thread pool: {e}")))?;
    let bar = if progress {
        let bar = indicatif::ProgressBar::new(runs.len() as u64);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{bar:30} {pos}/{len} runs  {elapsed} elapsed, about {eta} left",
        ) {
            bar.set_style(style);
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let results: Vec<Result<RunRecord>> = pool.install(|| {
        runs.par_iter()
            .map(|&r| {
                let rec = run_one(plan, r);
                bar.inc(1);
                rec
            })
            .collect()
    });
    bar.finish_and_clear();
    let mut out = Vec::with_capacity(results.len());
    for (result, &r) in results.into_iter().zip(runs) {
        match result {
            Ok(rec) => out.push(rec),
            Err(e) => {
                // The error keeps its kind (and exit code); say which run it was.
                let p = &plan.points[r / plan.meta.seeds.len()];
                let mut what: Vec<String> = plan
                    .meta
                    .set
                    .iter()
                    .zip(&p.values)
                    .map(|(s, v)| format!("{}={v}", s.key))
                    .collect();
                what.push(format!(
                    "seed {}",
                    plan.meta.seeds[r % plan.meta.seeds.len()]
                ));
                eprintln!("netsim sweep: run {r} ({}) failed:", what.join(", "));
                return Err(e);
            }
        }
    }
    out.sort_by_key(|r| r.run);
    Ok(out)
}

/// What `netsim sweep` is asked to do.
#[derive(Clone, Debug)]
pub struct SweepArgs {
    pub file: PathBuf,
    pub out: PathBuf,
    pub seeds: Option<String>,
    pub set: Vec<String>,
    /// Threads (default: all cores).
    pub jobs: Option<usize>,
    /// `--shard I/N`; without it, the Slurm array variables if set.
    pub shard: Option<String>,
    pub quiet: bool,
}

pub struct SweepResult {
    pub folder: PathBuf,
    pub meta: SweepMeta,
    /// The table printed at the end (also `summary.txt` of a whole sweep).
    pub table: String,
    pub runs: usize,
    pub wall: Duration,
    pub jobs: usize,
}

/// `netsim sweep`: plan, run, write `OUT/<name>-sweep/`.
pub fn sweep(args: &SweepArgs) -> Result<SweepResult> {
    let shard = match &args.shard {
        Some(s) => Shard::parse(s)?,
        None => Shard::from_env(|k| std::env::var(k).ok())?.unwrap_or(Shard::WHOLE),
    };
    let jobs = match args.jobs {
        Some(0) => return Err(Error::Usage("--jobs 0: expected at least 1 thread".into())),
        Some(j) => j,
        None => std::thread::available_parallelism().map_or(1, |n| n.get()),
    };
    let mut plan = Plan::new(&args.file, &args.set, args.seeds.as_deref())?;
    plan.meta.shard = shard;
    let runs: Vec<usize> = (0..plan.meta.runs).filter(|&r| shard.contains(r)).collect();
    if !args.quiet && shard != Shard::WHOLE {
        eprintln!(
            "shard {}/{}: {} of {} runs",
            shard.index,
            shard.count,
            runs.len(),
            plan.meta.runs
        );
    }
    let progress = !args.quiet && std::io::stderr().is_terminal();
    let started = Instant::now();
    let records = run_all(&plan, &runs, jobs, progress)?;
    let wall = started.elapsed();
    let (folder, table) = write_results(&args.out, &plan.meta, &records)?;
    Ok(SweepResult {
        folder,
        meta: plan.meta,
        table,
        runs: runs.len(),
        wall,
        jobs,
    })
}

/// Writes a sweep's folder: `runs.jsonl`, `runs.csv` always; for a whole sweep
/// also `sweep.json`, `sweep.csv` and `summary.txt`. Returns the folder and the table.
pub fn write_results(
    out: &Path,
    meta: &SweepMeta,
    records: &[RunRecord],
) -> Result<(PathBuf, String)> {
    let dir = OutputDir::create(out, &format!("{}-sweep", meta.scenario))?;
    let mut jsonl = to_line(meta)? + "\n";
    for r in records {
        jsonl += &to_line(r)?;
        jsonl.push('\n');
    }
    dir.write(RUNS_JSONL, jsonl)?;
    dir.write("runs.csv", table::runs_csv(meta, records))?;
    let table = if meta.shard == Shard::WHOLE {
        let points = summarize_points(meta, records);
        dir.write("sweep.json", table::sweep_json(meta, &points)?)?;
        dir.write("sweep.csv", table::sweep_csv(meta, &points))?;
        let t = table::headline(meta, &points);
        dir.write("summary.txt", &t)?;
        t
    } else {
        format!(
            "shard {}/{} of sweep {} ({}): {} runs; combine the shards with `netsim merge`\n",
            meta.shard.index,
            meta.shard.count,
            meta.fingerprint,
            meta.scenario,
            records.len()
        )
    };
    Ok((dir.commit()?, table))
}

fn to_line<T: Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| Error::Internal(e.to_string()))
}

/// The summaries of one grid point: figure name → summary over its seeds.
pub struct PointSummary {
    pub point: usize,
    pub runs: usize,
    pub figures: BTreeMap<String, stats::Summary>,
}

/// Summarizes every grid point from its runs (sorted by run number). A figure
/// some runs lack counts as 0 there if it is a count by cause, else is left
/// out of n; a `null` figure is left out of n.
pub fn summarize_points(meta: &SweepMeta, records: &[RunRecord]) -> Vec<PointSummary> {
    let mut by_point: Vec<Vec<&RunRecord>> = vec![Vec::new(); meta.points];
    for r in records {
        by_point[r.point].push(r);
    }
    by_point
        .iter()
        .enumerate()
        .map(|(point, runs)| {
            let names: std::collections::BTreeSet<&String> =
                runs.iter().flat_map(|r| r.figures.keys()).collect();
            let figures = names
                .into_iter()
                .map(|name| {
                    let zero = figures::missing_is_zero(name);
                    let xs: Vec<f64> = runs
                        .iter()
                        .filter_map(|r| match r.figures.get(name) {
                            Some(v) => *v,
                            None if zero => Some(0.0),
                            None => None,
                        })
                        .collect();
                    (name.clone(), stats::summarize(&xs))
                })
                .collect();
            PointSummary {
                point,
                runs: runs.len(),
                figures,
            }
        })
        .collect()
}

/// Finds the runs file of a shard: `DIR/runs.jsonl`, or `DIR/*-sweep/runs.jsonl`
/// when DIR is the `--out` folder of the shard and holds exactly one sweep.
fn runs_file(dir: &Path) -> Result<PathBuf> {
    let direct = dir.join(RUNS_JSONL);
    if direct.is_file() {
        return Ok(direct);
    }
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::Usage(format!("{}: cannot read the folder: {e}", dir.display())))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with("-sweep"))
        .map(|e| e.path().join(RUNS_JSONL))
        .filter(|p| p.is_file())
        .collect();
    found.sort();
    match found.len() {
        1 => Ok(found.remove(0)),
        0 => Err(Error::Usage(format!(
            "{}: no {RUNS_JSONL} here or in a NAME-sweep folder inside; expected the --out folder of a sweep shard",
            dir.display()
        ))),
        _ => Err(Error::Usage(format!(
            "{}: holds several sweeps ({}); name the NAME-sweep folder",
            dir.display(),
            found
                .iter()
                .map(|p| p.parent().unwrap_or(p).display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn read_runs(path: &Path) -> Result<(SweepMeta, Vec<RunRecord>)> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::Usage(format!("{}: cannot read: {e}", path.display())))?;
    let bad = |line: usize, why: String| Error::Usage(format!("{}:{line}: {why}", path.display()));
    let mut lines = text.lines();
    let head = lines
        .next()
        .ok_or_else(|| bad(1, "empty file; expected a sweep's runs".into()))?;
    let meta: SweepMeta = serde_json::from_str(head)
        .map_err(|e| bad(1, format!("not a netsim sweep header: {e}")))?;
    if meta.netsim_sweep != FORMAT {
        return Err(bad(
            1,
            format!(
                "sweep format {}, this netsim reads {FORMAT}",
                meta.netsim_sweep
            ),
        ));
    }
    let grid: Option<usize> = meta
        .set
        .iter()
        .try_fold(1usize, |acc, s| acc.checked_mul(s.values.len()));
    if meta.seeds.is_empty()
        || meta.shard.count == 0
        || meta.shard.index >= meta.shard.count
        || grid != Some(meta.points)
        || meta.points.checked_mul(meta.seeds.len()) != Some(meta.runs)
    {
        return Err(bad(
            1,
            "the header's grid, seeds and shard do not add up".into(),
        ));
    }
    let mut runs = Vec::new();
    for (i, line) in lines.enumerate() {
        let rec: RunRecord =
            serde_json::from_str(line).map_err(|e| bad(i + 2, format!("not a run record: {e}")))?;
        let s = meta.seeds.len();
        if rec.run >= meta.runs || rec.point != rec.run / s || rec.seed != meta.seeds[rec.run % s] {
            return Err(bad(
                i + 2,
                format!("run {} does not fit this sweep's grid and seeds", rec.run),
            ));
        }
        if !meta.shard.contains(rec.run) {
            return Err(bad(
                i + 2,
                format!(
                    "run {} does not belong to shard {}/{}",
                    rec.run, meta.shard.index, meta.shard.count
                ),
            ));
        }
        runs.push(rec);
    }
    Ok((meta, runs))
}

/// `netsim merge`: reads the shards' runs, checks they are one sweep and cover
/// every run exactly once, and writes what the unsharded sweep would have.
pub fn merge(dirs: &[PathBuf], out: &Path) -> Result<SweepResult> {
    if dirs.is_empty() {
        return Err(Error::Usage(
            "merge: expected at least one shard folder".into(),
        ));
    }
    let mut first: Option<(SweepMeta, PathBuf)> = None;
    let mut owner: BTreeMap<usize, PathBuf> = BTreeMap::new();
    let mut shards_seen: BTreeMap<usize, PathBuf> = BTreeMap::new();
    let mut records = Vec::new();
    for dir in dirs {
        let path = runs_file(dir)?;
        let (meta, runs) = read_runs(&path)?;
        if let Some((m, p)) = &first {
            let same = SweepMeta {
                shard: m.shard,
                ..meta.clone()
            };
            if same != *m {
                return Err(Error::Usage(format!(
                    "{} (sweep {}, {}) and {} (sweep {}, {}) are not shards of the same sweep: scenario file, --set or --seeds differ",
                    p.display(),
                    m.fingerprint,
                    m.scenario,
                    path.display(),
                    meta.fingerprint,
                    meta.scenario
                )));
            }
            if meta.shard.count != m.shard.count {
                return Err(Error::Usage(format!(
                    "{} is shard {}/{} but {} is shard {}/{}: shards of one sweep share N",
                    path.display(),
                    meta.shard.index,
                    meta.shard.count,
                    p.display(),
                    m.shard.index,
                    m.shard.count
                )));
            }
        } else {
            first = Some((meta.clone(), path.clone()));
        }
        if let Some(other) = shards_seen.insert(meta.shard.index, path.clone()) {
            return Err(Error::Usage(format!(
                "shard {}/{} given twice: {} and {}",
                meta.shard.index,
                meta.shard.count,
                other.display(),
                path.display()
            )));
        }
        for r in runs {
            if let Some(other) = owner.insert(r.run, path.clone()) {
                return Err(Error::Usage(format!(
                    "run {} appears twice: in {} and {}",
                    r.run,
                    other.display(),
                    path.display()
                )));
            }
            records.push(r);
        }
    }
    let Some((mut meta, _)) = first else {
        return Err(Error::Usage("merge: no shards".into()));
    };
    let missing_shards: Vec<String> = (0..meta.shard.count)
        .filter(|i| !shards_seen.contains_key(i))
        .map(|i| format!("{i}/{}", meta.shard.count))
        .collect();
    if !missing_shards.is_empty() {
        return Err(Error::Usage(format!(
            "merge: shard(s) {} of sweep {} missing",
            missing_shards.join(", "),
            meta.fingerprint
        )));
    }
    let missing: Vec<usize> = (0..meta.runs).filter(|r| !owner.contains_key(r)).collect();
    if let Some(r) = missing.first() {
        return Err(Error::Usage(format!(
            "merge: {} of {} runs missing (first: run {r}, shard {}/{}); was a shard cut short?",
            missing.len(),
            meta.runs,
            r % meta.shard.count,
            meta.shard.count
        )));
    }
    records.sort_by_key(|r| r.run);
    meta.shard = Shard::WHOLE;
    let started = Instant::now();
    let (folder, table) = write_results(out, &meta, &records)?;
    Ok(SweepResult {
        folder,
        runs: records.len(),
        meta,
        table,
        wall: started.elapsed(),
        jobs: 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_from_flags_and_slurm() {
        assert_eq!(Shard::parse("0/3").unwrap(), Shard { index: 0, count: 3 });
        assert_eq!(Shard::parse("2/3").unwrap(), Shard { index: 2, count: 3 });
        for bad in ["3/3", "1/0", "1", "a/2", "-1/2"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                vars.iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| v.to_string())
            }
        };
        assert_eq!(Shard::from_env(env(&[])).unwrap(), None);
        assert_eq!(
            Shard::from_env(env(&[
                ("SLURM_ARRAY_TASK_ID", "3"),
                ("SLURM_ARRAY_TASK_COUNT", "4")
            ]))
            .unwrap(),
            Some(Shard { index: 3, count: 4 })
        );
        // --array=1-4: ids 1..4 are shards 0..3.
        assert_eq!(
            Shard::from_env(env(&[
                ("SLURM_ARRAY_TASK_ID", "4"),
                ("SLURM_ARRAY_TASK_COUNT", "4"),
                ("SLURM_ARRAY_TASK_MIN", "1")
            ]))
            .unwrap(),
            Some(Shard { index: 3, count: 4 })
        );
        // --array=0-8:2: ids 0,2,..,8 are not 0..5.
        assert!(
            Shard::from_env(env(&[
                ("SLURM_ARRAY_TASK_ID", "8"),
                ("SLURM_ARRAY_TASK_COUNT", "5")
            ]))
            .is_err()
        );
        assert!(Shard::from_env(env(&[("SLURM_ARRAY_TASK_ID", "1")])).is_err());
    }

    #[test]
    fn grid_order_last_key_fastest() {
        let specs: Vec<SetSpec> = ["a.x=1,2", "a.y=3,4,5"]
            .iter()
            .map(|s| keys::parse_set(s).unwrap())
            .collect();
        let order: Vec<Vec<usize>> = (0..6).map(|p| grid_choice(&specs, p)).collect();
        assert_eq!(order, [[0, 0], [0, 1], [0, 2], [1, 0], [1, 1], [1, 2]]);
    }

    #[test]
    fn missing_counts_are_zero_and_nulls_are_left_out() {
        let meta = SweepMeta {
            netsim_sweep: FORMAT,
            fingerprint: "x".into(),
            scenario: "s".into(),
            scenario_hash: "h".into(),
            set: vec![],
            seeds: vec![1, 2],
            points: 1,
            runs: 2,
            shard: Shard::WHOLE,
        };
        let rec = |run, pairs: &[(&str, Option<f64>)]| RunRecord {
            run,
            point: 0,
            seed: run as u64 + 1,
            figures: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        };
        let records = [
            rec(
                0,
                &[
                    ("f.a.lost_by_reason.x", Some(4.0)),
                    ("f.a.c", None),
                    ("f.a.t", Some(1.0)),
                ],
            ),
            rec(1, &[("f.a.c", Some(2.0))]),
        ];
        let p = &summarize_points(&meta, &records)[0];
        assert_eq!(p.figures["f.a.lost_by_reason.x"].n, 2);
        assert_eq!(p.figures["f.a.lost_by_reason.x"].mean, Some(2.0));
        assert_eq!(p.figures["f.a.c"].n, 1);
        assert_eq!(p.figures["f.a.t"].n, 1);
    }
}
