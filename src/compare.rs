//! `netsim compare`: one scenario carried over packets and over circuits, with
//! the same seed, the same traffic and the same failures, side by side.
//!
//! Packet mode is the engine (`engine::Simulation`), run once per multipath
//! setting asked for (`--multipath single,ecmp,spray-round-robin`: the same
//! transfer over one path, per-flow ECMP and per-packet spraying); circuit
//! mode is `circuit::simulate`. This module only lines their figures up: a
//! table (`comparison.txt`), every figure (`comparison.json`), each run's own
//! summary, and charts of delivered bytes over time and of losses by cause.

use crate::circuit::{self, CircuitReport};
use crate::engine::{RunOptions, Simulation};
use crate::error::{Error, Result};
use crate::output::OutputDir;
use crate::plot::{self, BarChart, LineChart, Series};
use crate::scenario::{Multipath, Scenario};
use crate::stats::Report;
use crate::trace::{TraceSink, Tracer};
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One row of the side-by-side table: a figure, then one value per column
/// (the packet runs in order, the circuit run last).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub figure: String,
    pub values: Vec<String>,
}

impl Row {
    /// The value of the first packet run.
    pub fn packet(&self) -> &str {
        &self.values[0]
    }

    /// The value of the circuit run.
    pub fn circuit(&self) -> &str {
        self.values.last().expect("a row has a circuit value")
    }
}

/// A packet-switched run of the comparison.
#[derive(Serialize)]
pub struct PacketRun {
    /// The column heading: "packet switching" or "packets, ecmp".
    pub label: String,
    /// The multipath setting every node used, if the comparison set one.
    pub multipath: Option<Multipath>,
    pub report: Report,
}

#[derive(Serialize)]
pub struct Comparison {
    pub scenario: String,
    pub seed: u64,
    /// The column headings, the circuit's last.
    pub columns: Vec<String>,
    pub rows: Vec<Row>,
    pub packet: Vec<PacketRun>,
    pub circuit: CircuitReport,
}

pub struct CompareResult {
    pub folder: PathBuf,
    pub comparison: Comparison,
}

/// Runs both modes and writes `out_root/<name>-compare/`.
pub fn compare(
    scenario: Scenario,
    out_root: &Path,
    trace: bool,
    plots: bool,
) -> Result<CompareResult> {
    let options = CompareOptions {
        trace,
        plots,
        ..CompareOptions::default()
    };
    compare_with(scenario, out_root, &options)
}

/// What `compare` writes beside the comparison itself.
#[derive(Clone, Debug, Default)]
pub struct CompareOptions {
    /// `trace-packet*.txt` and `trace-circuit.txt`.
    pub trace: bool,
    /// The charts.
    pub plots: bool,
    /// `view.html`: every run animated side by side on one clock.
    pub view: bool,
    /// One packet run per entry (each overriding every node's and flow's
    /// setting); none: one run as written.
    pub multipath: Vec<Multipath>,
}

/// Like `compare`, with the outputs `options` asks for.
pub fn compare_with(
    scenario: Scenario,
    out_root: &Path,
    options: &CompareOptions,
) -> Result<CompareResult> {
    let trace = options.trace;
    let out = OutputDir::create(out_root, &format!("{}-compare", scenario.name))?;
    let settings: Vec<Option<Multipath>> = if options.multipath.is_empty() {
        vec![None]
    } else {
        options.multipath.iter().copied().map(Some).collect()
    };
    // The packet runs and the circuit run share the page's caps.
    let caps = crate::view::Caps::shared(settings.len() + 1);
    let mut views = Vec::new();
    let mut packet = Vec::new();
    for m in settings {
        let suffix = m.map_or(String::new(), |m| format!("-{}", m.name()));
        let packet_trace: Option<Box<dyn std::io::Write>> = if trace {
            let p = out.path(&format!("trace-packet{suffix}.txt"));
            Some(Box::new(
                std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?,
            ))
        } else {
            None
        };
        let mut sinks: Vec<Box<dyn TraceSink>> = Vec::new();
        let recording = options.view.then(|| recorder(&scenario, caps, &mut sinks));
        let report = Simulation::new(
            with_multipath(&scenario, m),
            RunOptions {
                trace: packet_trace,
                sinks,
                ..RunOptions::default()
            },
        )?
        .run()?;
        out.write(&format!("packet{suffix}-summary.txt"), report.summary())?;
        let label = m.map_or("packet switching".into(), |m| {
            format!("packets, {}", m.name())
        });
        if let Some(recording) = recording {
            views.push(crate::view::RunView {
                label: label.clone(),
                kind: "packet",
                recording: crate::view::take(recording)?,
            });
        }
        packet.push(PacketRun {
            label,
            multipath: m,
            report,
        });
    }
    let mut sinks: Vec<Box<dyn TraceSink>> = Vec::new();
    if trace {
        let p = out.path("trace-circuit.txt");
        let f = std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?;
        sinks.push(Box::new(crate::trace::TraceWriter::new(Box::new(f))));
    }
    let recording = options.view.then(|| recorder(&scenario, caps, &mut sinks));
    let mut circuit_sinks = Tracer::new(sinks);
    let circuit = circuit::simulate_capped(
        &scenario,
        circuit_sinks.as_mut().map(|t| t as &mut dyn TraceSink),
        Default::default(),
    )?;
    if let Some(mut t) = circuit_sinks {
        t.finish()
            .map_err(|e| Error::Internal(format!("writing the circuit trace failed: {e}")))?;
    }
    if let Some(recording) = recording {
        views.push(crate::view::RunView {
            label: "circuit switching".into(),
            kind: "circuit",
            recording: crate::view::take(recording)?,
        });
        crate::view::write_page(&out.path(crate::view::FILE), &scenario, &views)?;
    }
    let comparison = Comparison {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        columns: packet
            .iter()
            .map(|p| p.label.clone())
            .chain(["circuit switching".to_string()])
            .collect(),
        rows: merged_rows(&packet, &circuit),
        packet,
        circuit,
    };
    out.write("comparison.txt", comparison.table())?;
    let json =
        serde_json::to_string_pretty(&comparison).map_err(|e| Error::Internal(e.to_string()))?;
    out.write("comparison.json", json + "\n")?;
    out.write("circuit-summary.txt", comparison.circuit.summary())?;
    if options.plots {
        write_charts(&comparison, &out.path(""))?;
    }
    crate::html::write_index(
        &out.path(""),
        &format!("netsim compare: {}", comparison.scenario),
        &comparison.table(),
    )?;
    let folder = out.commit()?;
    Ok(CompareResult { folder, comparison })
}

/// A view recorder for one run, added to `sinks`; its recording comes back.
fn recorder(
    scenario: &Scenario,
    caps: crate::view::Caps,
    sinks: &mut Vec<Box<dyn TraceSink>>,
) -> std::rc::Rc<std::cell::RefCell<crate::view::Recording>> {
    let recorder = crate::view::ViewRecorder::new(scenario, caps);
    let recording = recorder.recording();
    sinks.push(Box::new(recorder));
    recording
}

/// The scenario with every node and flow on multipath setting `m` (`None`: as written).
fn with_multipath(sc: &Scenario, m: Option<Multipath>) -> Scenario {
    let mut sc = sc.clone();
    if let Some(m) = m {
        sc.routing.multipath = m;
        sc.nodes.iter_mut().for_each(|n| n.multipath = None);
        sc.flows.iter_mut().for_each(|f| f.multipath = None);
    }
    sc
}

/// The rows of each packet run against the circuit run, joined into one
/// table (every packet run has the same figures: same flows, same failures).
fn merged_rows(packet: &[PacketRun], c: &CircuitReport) -> Vec<Row> {
    let tables: Vec<Vec<PairRow>> = packet.iter().map(|p| rows(&p.report, c)).collect();
    let first = &tables[0];
    (0..first.len())
        .map(|i| Row {
            figure: first[i].figure.clone(),
            values: tables
                .iter()
                .map(|t| t[i].packet.clone())
                .chain([first[i].circuit.clone()])
                .collect(),
        })
        .collect()
}

/// One figure of one packet run and of the circuit run.
struct PairRow {
    figure: String,
    packet: String,
    circuit: String,
}

fn pct(part: u128, whole: u128) -> String {
    if whole == 0 {
        "-".into()
    } else {
        format!("{:.2}%", part as f64 * 100.0 / whole as f64)
    }
}

/// The mean over all samples of several (sample count, mean) groups.
fn weighted_mean(groups: impl Iterator<Item = (u64, f64)>) -> f64 {
    let (n, sum) = groups.fold((0u64, 0.0), |(n, sum), (k, mean)| {
        (n + k, sum + mean * k as f64)
    });
    if n == 0 { 0.0 } else { sum / n as f64 }
}

fn rows(p: &Report, c: &CircuitReport) -> Vec<PairRow> {
    let mut rows = Vec::new();
    let mut row = |figure: &str, packet: String, circuit: String| {
        rows.push(PairRow {
            figure: figure.into(),
            packet,
            circuit,
        })
    };
    // Totals in 128 bits: flows of up to 2^64 - 1 bytes each add up past 64.
    let total = |v: &mut dyn Iterator<Item = u64>| v.map(u128::from).sum::<u128>();
    let p_offered = total(&mut p.flows.iter().map(|f| f.sent_bytes));
    let p_delivered = total(&mut p.flows.iter().map(|f| f.received_bytes));
    let p_lost = total(&mut p.flows.iter().map(|f| f.lost_bytes));
    let c_offered = total(&mut c.flows.iter().map(|f| f.offered_bytes));
    let c_delivered = total(&mut c.flows.iter().map(|f| f.delivered_bytes));
    let c_lost = total(&mut c.flows.iter().map(|f| f.lost_bytes));
    row(
        "offered bytes",
        p_offered.to_string(),
        c_offered.to_string(),
    );
    row(
        "delivered bytes",
        p_delivered.to_string(),
        c_delivered.to_string(),
    );
    row(
        "delivered / offered",
        pct(p_delivered, p_offered),
        pct(c_delivered, c_offered),
    );
    row("lost bytes", p_lost.to_string(), c_lost.to_string());
    // Loss by cause: the packet network's drop reasons, the circuits' own causes.
    let mut by_cause: std::collections::BTreeMap<String, u128> = std::collections::BTreeMap::new();
    for f in &p.flows {
        for r in &f.lost_bytes_by_reason {
            *by_cause.entry(r.reason.clone()).or_default() += u128::from(r.count);
        }
    }
    let c_cause =
        |get: fn(&circuit::LostBytes) -> u128| c.flows.iter().map(|f| get(&f.lost)).sum::<u128>();
    let causes: [(&str, u128, u128); 6] = [
        (
            "  lost: link-down",
            by_cause.get("link-down").copied().unwrap_or(0),
            c_cause(|l| u128::from(l.link_down)),
        ),
        (
            "  lost: no-route",
            by_cause.get("no-route").copied().unwrap_or(0),
            0,
        ),
        (
            "  lost: queue-overflow",
            by_cause.get("queue-overflow").copied().unwrap_or(0),
            0,
        ),
        (
            "  lost: random-loss",
            by_cause.get("random-loss").copied().unwrap_or(0),
            0,
        ),
        (
            "  lost: call setup / blocked",
            0,
            c_cause(|l| u128::from(l.setup) + u128::from(l.blocked)),
        ),
        (
            "  lost: call dropped",
            0,
            c_cause(|l| u128::from(l.dropped)),
        ),
    ];
    for (name, pk, ck) in causes {
        row(name, pk.to_string(), ck.to_string());
    }
    let calls =
        |get: fn(&circuit::CallCounts) -> u64| c.flows.iter().map(|f| get(&f.calls)).sum::<u64>();
    row(
        "calls offered / blocked / dropped",
        "- (no admission control)".into(),
        format!(
            "{} / {} / {}",
            calls(|k| k.offered),
            calls(|k| k.blocked),
            calls(|k| k.dropped)
        ),
    );
    let mean_delay = weighted_mean(p.flows.iter().map(|f| (f.delay.samples, f.delay.mean_ms)));
    let max_delay = p.flows.iter().map(|f| f.delay.max_ms).fold(0.0, f64::max);
    let c_mean = weighted_mean(c.flows.iter().map(|f| (f.delay.samples, f.delay.mean_ms)));
    let c_max = c.flows.iter().map(|f| f.delay.max_ms).fold(0.0, f64::max);
    row(
        "one-way delay mean / max (ms)",
        format!("{mean_delay:.3} / {max_delay:.3}"),
        format!("{c_mean:.3} / {c_max:.3}"),
    );
    let jitter = p.flows.iter().map(|f| f.jitter_ms).fold(0.0, f64::max);
    row(
        "jitter, worst flow (ms)",
        format!("{jitter:.3}"),
        "0.000 (fixed path, no queues)".into(),
    );
    let reordered: u64 = p.flows.iter().map(|f| f.reordered_packets).sum();
    row(
        "packets delivered out of order",
        reordered.to_string(),
        "0 (one path)".into(),
    );
    let transfers: Vec<Option<f64>> = p
        .flows
        .iter()
        .filter(|f| f.protocol == "tcp" && f.sent_bytes > 0)
        .map(|f| f.completion_s)
        .collect();
    if !transfers.is_empty() {
        let done: Vec<f64> = transfers.iter().flatten().copied().collect();
        let slowest = if done.len() == transfers.len() {
            format!("{:.3}", done.iter().copied().fold(0.0, f64::max))
        } else {
            format!(
                "{} of {} unfinished",
                transfers.len() - done.len(),
                transfers.len()
            )
        };
        row(
            "TCP transfers: slowest completion (s)",
            slowest,
            "- (sent at the circuit's rate)".into(),
        );
    }
    let busiest = p.links.iter().map(|l| l.utilization).fold(0.0, f64::max);
    let reserved = c
        .links
        .iter()
        .map(|l| l.reserved_utilization)
        .fold(0.0, f64::max);
    let used = c
        .links
        .iter()
        .map(|l| l.used_utilization)
        .fold(0.0, f64::max);
    row(
        "busiest link: used (reserved)",
        format!("{:.2}%", busiest * 100.0),
        format!("{:.2}% ({:.2}% reserved)", used * 100.0, reserved * 100.0),
    );
    for (i, o) in p.outages.iter().enumerate() {
        let lost: u64 = o.flows.iter().map(|f| f.lost_bytes).sum();
        let c_o = c.failures.get(i);
        row(
            &format!("outage {} {:.3}s: lost bytes", o.element, o.down_s),
            lost.to_string(),
            c_o.map_or("-".into(), |x| x.lost_bytes.to_string()),
        );
        let recovery = o
            .flows
            .iter()
            .filter_map(|f| f.recovery_s)
            .fold(None, |m: Option<f64>, r| Some(m.map_or(r, |m| m.max(r))));
        let c_rec = c_o
            .and_then(|x| {
                x.circuits
                    .iter()
                    .map(|t| t.reestablished_after_ms)
                    .collect::<Option<Vec<f64>>>()
            })
            .map(|v| v.into_iter().fold(0.0, f64::max) / 1e3);
        let circuits = c_o.map_or(0, |x| x.circuits_torn_down);
        row(
            &format!("outage {} {:.3}s: recovered after (s)", o.element, o.down_s),
            recovery.map_or("never".into(), |r| format!("{r:.3}")),
            if circuits == 0 {
                "- (no circuit crossed it)".into()
            } else {
                c_rec.map_or("never (call dropped)".into(), |r| format!("{r:.3}"))
            },
        );
    }
    rows
}

impl Comparison {
    pub fn table(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(
            s,
            "netsim compare: scenario `{}`, seed {}: the same traffic and failures over packets and over circuits\n",
            self.scenario, self.seed
        );
        let w = self
            .rows
            .iter()
            .map(|r| r.figure.len())
            .max()
            .unwrap_or(10)
            .max(10);
        // Each column as wide as its widest entry, and at least 20.
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|i| {
                self.rows
                    .iter()
                    .map(|r| r.values[i].len())
                    .chain([self.columns[i].len(), 20])
                    .max()
                    .unwrap_or(20)
            })
            .collect();
        let line = |figure: &str, values: &[String]| {
            let mut l = format!("{figure:<w$}");
            for (v, width) in values.iter().zip(&widths) {
                let _ = write!(l, "  {v:>width$}");
            }
            l + "\n"
        };
        s += &line("figure", &self.columns);
        for r in &self.rows {
            s += &line(&r.figure, &r.values);
        }
        let _ = writeln!(
            s,
            "\nPacket recovery: goodput back to 90% of its level before the failure. Circuit recovery: the last torn-down circuit re-established."
        );
        s
    }
}

fn write_charts(c: &Comparison, dir: &Path) -> Result<()> {
    let draw = |r: std::result::Result<(), plot::PlotError>| {
        r.map_err(|e| Error::Internal(format!("drawing: {e}")))
    };
    let first = &c.packet[0].report;
    let bands = crate::charts::outage_bands(first);
    // Cumulative delivered bytes, in MB, at the end of each bin.
    let cumulative = |bins: Vec<u64>, width: f64| -> Vec<(f64, f64)> {
        let mut total = 0u64;
        std::iter::once((0.0, 0.0))
            .chain(bins.iter().enumerate().map(|(i, b)| {
                total += b;
                ((i + 1) as f64 * width, total as f64 / 1e6)
            }))
            .collect()
    };
    let packet_series = c.packet.iter().map(|p| {
        let t = &p.report.timeline;
        let bins: Vec<u64> = (0..t.bins.count)
            .map(|i| t.delivered.iter().map(|f| f[i]).sum())
            .collect();
        Series::line(&p.label, cumulative(bins, t.bins.width_s()))
    });
    let circuit_bins: Vec<u64> = (0..circuit::SERIES_BINS)
        .map(|i| {
            c.circuit
                .flows
                .iter()
                .map(|f| f.delivered_series.get(i).copied().unwrap_or(0))
                .sum()
        })
        .collect();
    let chart = LineChart {
        title: format!(
            "Delivered bytes: packet vs circuit switching — {}",
            c.scenario
        ),
        x_label: "time (s)".into(),
        y_label: "delivered (MB, cumulative)".into(),
        series: packet_series
            .chain([Series::line(
                "circuit switching",
                cumulative(circuit_bins, c.circuit.series_bin_s),
            )])
            .collect(),
        bands,
        x_range: Some((0.0, first.duration_s)),
        y_range: None,
    };
    draw(plot::write_line_chart(&chart, dir, "compare-delivered"))?;
    let groups: Vec<String> = c
        .rows
        .iter()
        .filter(|r| r.figure.starts_with("  lost: "))
        .map(|r| r.figure.trim_start_matches("  lost: ").to_string())
        .collect();
    let values = |column: usize| -> Vec<f64> {
        c.rows
            .iter()
            .filter(|r| r.figure.starts_with("  lost: "))
            .map(|r| r.values[column].parse::<f64>().unwrap_or(0.0) / 1e3)
            .collect()
    };
    let bars = BarChart {
        title: format!(
            "Bytes lost by cause: packet vs circuit switching — {}",
            c.scenario
        ),
        x_label: "cause".into(),
        y_label: "lost (kB)".into(),
        groups,
        series: c
            .columns
            .iter()
            .enumerate()
            .map(|(i, label)| (label.clone(), values(i)))
            .collect(),
    };
    draw(plot::write_bar_chart(&bars, dir, "compare-losses"))?;
    let calls = |get: fn(&circuit::CallCounts) -> u64| {
        c.circuit
            .flows
            .iter()
            .map(|f| get(&f.calls) as f64)
            .sum::<f64>()
    };
    let call_bars = BarChart {
        title: format!("Calls over circuits — {}", c.scenario),
        x_label: "calls".into(),
        y_label: "number of calls".into(),
        groups: vec![
            "offered".into(),
            "completed".into(),
            "blocked".into(),
            "dropped".into(),
        ],
        series: vec![(
            "circuit switching".into(),
            vec![
                calls(|k| k.offered),
                calls(|k| k.completed),
                calls(|k| k.blocked),
                calls(|k| k.dropped),
            ],
        )],
    };
    draw(plot::write_bar_chart(&call_bars, dir, "compare-calls"))
}
