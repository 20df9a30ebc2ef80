//! A sweep's files: the raw runs as CSV, the summaries as JSON and CSV, and the
//! headline table printed at the end.

use super::stats::Summary;
use super::{PointSummary, RunRecord, SweepMeta};
use crate::error::{Error, Result};
use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(x: Option<f64>) -> String {
    x.map(|v| v.to_string()).unwrap_or_default()
}

fn set_values(meta: &SweepMeta, point: usize) -> Vec<&str> {
    let mut p = point;
    let mut out = vec![""; meta.set.len()];
    for (i, s) in meta.set.iter().enumerate().rev() {
        out[i] = &s.values[p % s.values.len()];
        p /= s.values.len();
    }
    out
}

fn header(meta: &SweepMeta, lead: &[&str], tail: &[&str]) -> String {
    let mut cols: Vec<String> = lead.iter().map(|s| s.to_string()).collect();
    cols.extend(meta.set.iter().map(|s| field(&s.key)));
    cols.extend(tail.iter().map(|s| s.to_string()));
    cols.join(",") + "\n"
}

/// `runs.csv`: one row per run × figure.
pub fn runs_csv(meta: &SweepMeta, records: &[RunRecord]) -> String {
    let mut out = header(meta, &["run", "point"], &["seed", "figure", "value"]);
    for r in records {
        let lead: Vec<String> = [r.run.to_string(), r.point.to_string()]
            .into_iter()
            .chain(set_values(meta, r.point).into_iter().map(field))
            .chain([r.seed.to_string()])
            .collect();
        let lead = lead.join(",");
        for (name, v) in &r.figures {
            let _ = writeln!(out, "{lead},{},{}", field(name), num(*v));
        }
    }
    out
}

/// `sweep.csv`: one row per grid point × figure.
pub fn sweep_csv(meta: &SweepMeta, points: &[PointSummary]) -> String {
    let mut out = header(
        meta,
        &["point"],
        &["figure", "n", "mean", "ci95", "std", "min", "max"],
    );
    for p in points {
        let lead: Vec<String> = std::iter::once(p.point.to_string())
            .chain(set_values(meta, p.point).into_iter().map(field))
            .collect();
        let lead = lead.join(",");
        for (name, s) in &p.figures {
            let _ = writeln!(
                out,
                "{lead},{},{},{},{},{},{},{}",
                field(name),
                s.n,
                num(s.mean),
                num(s.ci95),
                num(s.std),
                num(s.min),
                num(s.max)
            );
        }
    }
    out
}

/// A JSON object whose keys keep the order given.
struct Ordered<'a>(Vec<(&'a str, &'a str)>);

impl Serialize for Ordered<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_map(self.0.iter().copied())
    }
}

#[derive(Serialize)]
struct JsonPoint<'a> {
    point: usize,
    set: Ordered<'a>,
    runs: usize,
    figures: &'a BTreeMap<String, Summary>,
}

#[derive(Serialize)]
struct JsonSweep<'a> {
    scenario: &'a str,
    fingerprint: &'a str,
    scenario_hash: &'a str,
    set: &'a [super::SetMeta],
    seeds: &'a [u64],
    confidence: f64,
    points: Vec<JsonPoint<'a>>,
}

/// `sweep.json`: the sweep's identity and, per grid point, every figure's summary.
pub fn sweep_json(meta: &SweepMeta, points: &[PointSummary]) -> Result<String> {
    let doc = JsonSweep {
        scenario: &meta.scenario,
        fingerprint: &meta.fingerprint,
        scenario_hash: &meta.scenario_hash,
        set: &meta.set,
        seeds: &meta.seeds,
        confidence: 0.95,
        points: points
            .iter()
            .map(|p| JsonPoint {
                point: p.point,
                set: Ordered(
                    meta.set
                        .iter()
                        .map(|s| s.key.as_str())
                        .zip(set_values(meta, p.point))
                        .collect(),
                ),
                runs: p.runs,
                figures: &p.figures,
            })
            .collect(),
    };
    serde_json::to_string_pretty(&doc)
        .map(|s| s + "\n")
        .map_err(|e| Error::Internal(e.to_string()))
}

/// About four significant digits, no exponent.
fn short(x: f64) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let digits = (3 - x.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{x:.digits$}")
}

fn mean_ci(s: Option<&Summary>, scale: f64) -> String {
    match s {
        Some(Summary {
            mean: Some(m),
            ci95: Some(c),
            ..
        }) => format!("{} ± {}", short(m * scale), short(c * scale)),
        Some(Summary { mean: Some(m), .. }) => short(m * scale),
        _ => "-".into(),
    }
}

/// At most this many flows per grid point in the printed table.
const TABLE_FLOWS: usize = 8;

/// The headline table: per grid point and flow, throughput, loss, p99 delay
/// and completion time as mean ± 95% CI half-width.
pub fn headline(meta: &SweepMeta, points: &[PointSummary]) -> String {
    let seeds = meta.seeds.len();
    let mut out = format!(
        "sweep {}: {} grid point{} × {} seed{} = {} runs; mean ± 95% confidence half-width\n\n",
        meta.scenario,
        meta.points,
        if meta.points == 1 { "" } else { "s" },
        seeds,
        if seeds == 1 { "" } else { "s" },
        meta.runs
    );
    let mut head: Vec<String> = vec!["point".into()];
    head.extend(meta.set.iter().map(|s| s.key.clone()));
    head.extend(
        [
            "flow",
            "throughput Mbps",
            "loss %",
            "delay p99 ms",
            "completion s",
        ]
        .map(String::from),
    );
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut hidden = 0;
    for p in points {
        let flows: Vec<&str> = p
            .figures
            .keys()
            .filter_map(|k| k.strip_prefix("flow.")?.strip_suffix(".throughput_bps"))
            .collect();
        hidden += flows.len().saturating_sub(TABLE_FLOWS);
        for flow in flows.iter().take(TABLE_FLOWS) {
            let get = |f: &str| p.figures.get(&format!("flow.{flow}.{f}"));
            let mut row = vec![p.point.to_string()];
            row.extend(set_values(meta, p.point).into_iter().map(String::from));
            row.push(flow.to_string());
            row.push(mean_ci(get("throughput_bps"), 1e-6));
            row.push(mean_ci(get("loss_percent"), 1.0));
            row.push(mean_ci(get("delay.p99_ms"), 1.0));
            row.push(mean_ci(get("completion_s"), 1.0));
            rows.push(row);
        }
        if flows.is_empty() {
            let mut row = vec![p.point.to_string()];
            row.extend(set_values(meta, p.point).into_iter().map(String::from));
            row.extend(["(no flows)", "-", "-", "-", "-"].map(String::from));
            rows.push(row);
        }
    }
    let widths: Vec<usize> = (0..head.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].chars().count())
                .chain([head[c].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    for row in std::iter::once(&head).chain(&rows) {
        let line: Vec<String> = row
            .iter()
            .zip(&widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        let _ = writeln!(out, "{}", line.join("  ").trim_end());
    }
    if hidden > 0 {
        let _ = writeln!(out, "({hidden} more flow rows in sweep.csv)");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_and_numbers() {
        assert_eq!(field("link[A,B].queue"), "\"link[A,B].queue\"");
        assert_eq!(field("tcp.mss"), "tcp.mss");
        assert_eq!(field("a\"b"), "\"a\"\"b\"");
        assert_eq!(num(None), "");
        assert_eq!(num(Some(0.1)), "0.1");
        assert_eq!(short(5.99234), "5.992");
        assert_eq!(short(1234567.0), "1234567");
        assert_eq!(short(0.000123456), "0.000123");
    }
}
