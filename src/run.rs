//! One run of a scenario into its result folder: what `netsim run` does.

use crate::engine::{RunOptions, Simulation};
use crate::error::{Error, Result};
use crate::output::OutputDir;
use crate::scenario::Scenario;
use crate::stats::Report;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Clone, Debug)]
pub struct RunConfig {
    /// Results go to `out_root/<scenario name>/`.
    pub out_root: PathBuf,
    /// Write `trace.txt`.
    pub trace: bool,
    /// Draw the charts (PNG and SVG).
    pub plots: bool,
    /// The TCP flow of the ladder and sequence plots (default: the first).
    pub watch_flow: Option<String>,
    pub ladder: crate::charts::LadderOptions,
    /// Write one pcap capture per link direction into `pcap/` (see `crate::capture`).
    pub pcap: bool,
    /// Write `view.html`, the animated page of the run (see `crate::view`).
    pub view: bool,
    /// A progress line on stderr for long runs, when stderr is a terminal.
    pub progress: bool,
    /// Caps given on the command line (over the scenario's `[limits]`).
    pub limits: crate::limits::Limits,
    /// Threads for the run (`RunOptions::threads`).
    pub threads: usize,
}

impl RunConfig {
    /// Results under `out_root`, no trace, charts drawn.
    pub fn new(out_root: impl Into<PathBuf>) -> Self {
        RunConfig {
            out_root: out_root.into(),
            trace: false,
            plots: true,
            watch_flow: None,
            ladder: Default::default(),
            pcap: false,
            view: false,
            progress: false,
            limits: Default::default(),
            threads: 1,
        }
    }
}

pub struct RunResult {
    pub folder: PathBuf,
    pub report: Report,
    /// Wall-clock time of the simulation proper (not of writing files).
    pub wall: Duration,
    /// How many threads ran the simulation (under `RunConfig::threads` when
    /// the topology splits into fewer parts, or not at all), and how many
    /// windows they met after (0 on one thread).
    pub threads: usize,
    pub windows: u64,
}

/// The files every run writes, in the order a reader would open them.
pub const RESULT_FILES: [&str; 5] = [
    "summary.txt",
    "stats.json",
    "flows.csv",
    "links.csv",
    "timeline.json",
];

/// Simulates `scenario` and writes its result folder atomically.
///
/// A run stopped by a cap (`limits`) still writes its folder, with
/// `INCOMPLETE.txt` giving the reason and `summary.txt` opening with an
/// `INCOMPLETE:` line, and then returns `Error::Limit`.
pub fn run(scenario: Scenario, cfg: &RunConfig) -> Result<RunResult> {
    let out = OutputDir::create(&cfg.out_root, &scenario.name)?;
    let trace: Option<Box<dyn std::io::Write>> = if cfg.trace {
        let p = out.path("trace.txt");
        Some(Box::new(
            std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?,
        ))
    } else {
        None
    };
    let started = Instant::now();
    if let Some(name) = &cfg.watch_flow {
        if !scenario.flows.iter().any(|f| &f.name == name) {
            return Err(Error::Usage(format!(
                "--ladder-flow: no flow named `{name}` in the scenario"
            )));
        }
    }
    let mut sinks: Vec<Box<dyn crate::trace::TraceSink>> = Vec::new();
    let view = cfg.view.then(|| {
        let recorder = crate::view::ViewRecorder::new(&scenario, crate::view::Caps::DEFAULT);
        let recording = recorder.recording();
        sinks.push(Box::new(recorder));
        (scenario.clone(), recording)
    });
    let options = RunOptions {
        trace,
        watch_flow: cfg.watch_flow.clone(),
        limits: cfg.limits,
        sinks,
        threads: cfg.threads,
    };
    let mut sim = Simulation::new(scenario, options)?;
    if cfg.pcap {
        sim.capture_pcap(&out.path(crate::capture::PCAP_DIR))?;
    }
    // The progress line runs the simulation in slices, which only one thread does.
    if cfg.progress && cfg.threads <= 1 && std::io::stderr().is_terminal() {
        crate::progress::run_with_progress(&mut sim);
    } else {
        let end = sim.scenario().duration;
        sim.run_until(end);
    }
    let hit = sim.limit_hit().cloned();
    let (threads, windows) = (sim.parts_used(), sim.windows());
    let report = sim.finish()?;
    let wall = started.elapsed();
    write_report(&out, &report, hit.as_ref())?;
    if let Some((scenario, recording)) = view {
        let run = crate::view::RunView {
            label: "packet switching".into(),
            kind: "packet",
            recording: crate::view::take(recording)?,
        };
        crate::view::write_page(&out.path(crate::view::FILE), &scenario, &[run])?;
    }
    if cfg.plots {
        crate::charts::write_all(&report, &out.path(""), cfg.ladder)?;
    }
    crate::html::write_index(
        &out.path(""),
        &format!("netsim: {}", report.scenario),
        &summary_text(&report, hit.as_ref()),
    )?;
    let folder = out.commit()?;
    if let Some(hit) = hit {
        return Err(Error::Limit(hit));
    }
    Ok(RunResult {
        folder,
        report,
        wall,
        threads,
        windows,
    })
}

fn write_report(
    out: &OutputDir,
    report: &Report,
    hit: Option<&crate::limits::LimitHit>,
) -> Result<()> {
    if hit.is_some() {
        out.write("INCOMPLETE.txt", summary_text(report, hit))?;
    }
    out.write("summary.txt", summary_text(report, hit))?;
    let json = serde_json::to_string_pretty(report).map_err(|e| Error::Internal(e.to_string()))?;
    out.write("stats.json", json + "\n")?;
    out.write("flows.csv", report.flows_csv())?;
    out.write("links.csv", report.links_csv())?;
    let timeline = serde_json::to_string(&report.timeline_json())
        .map_err(|e| Error::Internal(e.to_string()))?;
    out.write("timeline.json", timeline + "\n")
}

/// The summary, after two lines saying why when a cap stopped the run.
fn summary_text(report: &Report, hit: Option<&crate::limits::LimitHit>) -> String {
    match hit {
        Some(hit) => format!("{}\n{hit}\n\n{}", hit.headline(), report.summary()),
        None => report.summary(),
    }
}

/// Loads a scenario file and applies a seed override.
pub fn load(path: &Path, seed: Option<u64>) -> Result<Scenario> {
    let mut sc = crate::scenario::load(path)?;
    if let Some(s) = seed {
        sc.seed = s;
    }
    Ok(sc)
}
