//! `netsim compare`: one scenario carried over packets and over circuits, with
//! the same seed, the same traffic and the same failures, side by side.
//!
//! Packet mode is the engine (`engine::Simulation`); circuit mode is
//! `circuit::simulate`. This module only lines their figures up: a table
//! (`comparison.txt`), every figure (`comparison.json`), each mode's own
//! summary, and charts of delivered bytes over time and of losses by cause.

use crate::circuit::{self, CircuitReport};
use crate::engine::{RunOptions, Simulation};
use crate::error::{Error, Result};
use crate::output::OutputDir;
use crate::plot::{self, BarChart, LineChart, Series};
use crate::scenario::Scenario;
use crate::stats::Report;
use serde::Serialize;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// One row of the side-by-side table.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    pub figure: String,
    pub packet: String,
    pub circuit: String,
}

#[derive(Serialize)]
pub struct Comparison {
    pub scenario: String,
    pub seed: u64,
    pub rows: Vec<Row>,
    pub packet: Report,
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
    let out = OutputDir::create(out_root, &format!("{}-compare", scenario.name))?;
    let sink = |name: &str| -> Result<Option<crate::trace::TraceWriter>> {
        if !trace {
            return Ok(None);
        }
        let p = out.path(name);
        let f = std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?;
        Ok(Some(crate::trace::TraceWriter::new(Box::new(f))))
    };
    let packet_trace: Option<Box<dyn std::io::Write>> = if trace {
        let p = out.path("trace-packet.txt");
        Some(Box::new(
            std::fs::File::create(&p).map_err(|e| Error::io(&p, e))?,
        ))
    } else {
        None
    };
    let packet = Simulation::new(
        scenario.clone(),
        RunOptions {
            trace: packet_trace,
            watch_flow: None,
        },
    )?
    .run()?;
    let mut circuit_trace = sink("trace-circuit.txt")?;
    let circuit = circuit::simulate(&scenario, circuit_trace.as_mut());
    if let Some(t) = circuit_trace {
        t.finish()
            .map_err(|e| Error::Internal(format!("writing the circuit trace failed: {e}")))?;
    }
    let comparison = Comparison {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        rows: rows(&packet, &circuit),
        packet,
        circuit,
    };
    out.write("comparison.txt", comparison.table())?;
    let json =
        serde_json::to_string_pretty(&comparison).map_err(|e| Error::Internal(e.to_string()))?;
    out.write("comparison.json", json + "\n")?;
    out.write("packet-summary.txt", comparison.packet.summary())?;
    out.write("circuit-summary.txt", comparison.circuit.summary())?;
    if plots {
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

fn pct(part: u64, whole: u64) -> String {
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

fn rows(p: &Report, c: &CircuitReport) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut row = |figure: &str, packet: String, circuit: String| {
        rows.push(Row {
            figure: figure.into(),
            packet,
            circuit,
        })
    };
    let p_offered: u64 = p.flows.iter().map(|f| f.sent_bytes).sum();
    let p_delivered: u64 = p.flows.iter().map(|f| f.received_bytes).sum();
    let p_lost: u64 = p.flows.iter().map(|f| f.lost_bytes).sum();
    let c_offered: u64 = c.flows.iter().map(|f| f.offered_bytes).sum();
    let c_delivered: u64 = c.flows.iter().map(|f| f.delivered_bytes).sum();
    let c_lost: u64 = c.flows.iter().map(|f| f.lost_bytes).sum();
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
    let mut by_cause: std::collections::BTreeMap<String, u64> = std::collections::BTreeMap::new();
    for f in &p.flows {
        for r in &f.lost_bytes_by_reason {
            *by_cause.entry(r.reason.clone()).or_default() += r.count;
        }
    }
    let c_cause =
        |get: fn(&circuit::LostBytes) -> u64| c.flows.iter().map(|f| get(&f.lost)).sum::<u64>();
    let causes: [(&str, u64, u64); 6] = [
        (
            "  lost: link-down",
            by_cause.get("link-down").copied().unwrap_or(0),
            c_cause(|l| l.link_down),
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
            c_cause(|l| l.setup + l.blocked),
        ),
        ("  lost: call dropped", 0, c_cause(|l| l.dropped)),
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
        let _ = writeln!(
            s,
            "{:<w$}  {:>26}  {:>34}",
            "figure", "packet switching", "circuit switching"
        );
        for r in &self.rows {
            let _ = writeln!(s, "{:<w$}  {:>26}  {:>34}", r.figure, r.packet, r.circuit);
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
    let bands = crate::charts::outage_bands(&c.packet);
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
    let t = &c.packet.timeline;
    let packet_bins: Vec<u64> = (0..t.bins.count)
        .map(|i| t.delivered.iter().map(|f| f[i]).sum())
        .collect();
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
        series: vec![
            Series::line(
                "packet switching",
                cumulative(packet_bins, t.bins.width_s()),
            ),
            Series::line(
                "circuit switching",
                cumulative(circuit_bins, c.circuit.series_bin_s),
            ),
        ],
        bands,
        x_range: Some((0.0, c.packet.duration_s)),
        y_range: None,
    };
    draw(plot::write_line_chart(&chart, dir, "compare-delivered"))?;
    let groups: Vec<String> = c
        .rows
        .iter()
        .filter(|r| r.figure.starts_with("  lost: "))
        .map(|r| r.figure.trim_start_matches("  lost: ").to_string())
        .collect();
    let values = |packet: bool| -> Vec<f64> {
        c.rows
            .iter()
            .filter(|r| r.figure.starts_with("  lost: "))
            .map(|r| {
                if packet { &r.packet } else { &r.circuit }
                    .parse::<f64>()
                    .unwrap_or(0.0)
                    / 1e3
            })
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
        series: vec![
            ("packet switching".into(), values(true)),
            ("circuit switching".into(), values(false)),
        ],
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
