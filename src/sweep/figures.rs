//! A run's figures as flat named numbers: every numeric leaf of the report's
//! JSON (what `stats.json` holds) under a dotted name, plus a few totals.
//!
//! Names: `flow.NAME.KEY` (`flow.voice.throughput_bps`, `flow.voice.delay.p99_ms`),
//! `link.A->B.KEY`, `tcp.FLOW.client.KEY` / `tcp.FLOW.server.KEY`,
//! `outage.ELEMENT.KEY` and `outage.ELEMENT.flows.FLOW.KEY`, counts by cause as
//! `....lost_by_reason.CAUSE`, top-level figures (`events`, `duration_s`,
//! `node_drops.CAUSE`) and `total.{sent,received,lost}_bytes`, `total.link_drops`.
//! A name met twice in one run (a second connection of a flow, a second outage
//! of an element) gets `#2`, `#3`, ... Strings are left out, `null` stays (as
//! `None`: undefined in this run, e.g. a completion time of an unfinished transfer,
//! or the delays of a summary with `samples` = 0).

use crate::stats::Report;
use serde_json::Value;
use std::collections::BTreeMap;

pub type Figures = BTreeMap<String, Option<f64>>;

/// Whether a figure missing from a run means 0 in that run: counts by cause list
/// only the causes that occurred.
pub fn missing_is_zero(name: &str) -> bool {
    name.starts_with("node_drops.") || name.contains("_by_reason.")
}

pub fn figures(report: &Report) -> crate::Result<Figures> {
    let json = serde_json::to_value(report).map_err(|e| crate::Error::Internal(e.to_string()))?;
    let mut out = Figures::new();
    let Value::Object(top) = json else {
        return Err(crate::Error::Internal("report is not a JSON object".into()));
    };
    for (key, value) in &top {
        match key.as_str() {
            "scenario" | "seed" => {}
            "flows" => keyed_list(&mut out, "flow", value, &["name"]),
            "links" => keyed_list(&mut out, "link", value, &["name"]),
            "tcp" => keyed_list(&mut out, "tcp", value, &["flow", "side"]),
            "outages" => keyed_list(&mut out, "outage", value, &["element"]),
            _ => walk(&mut out, key, value),
        }
    }
    let sum =
        |f: fn(&crate::stats::FlowReport) -> u64| report.flows.iter().map(f).sum::<u64>() as f64;
    out.insert("total.sent_bytes".into(), Some(sum(|f| f.sent_bytes)));
    out.insert(
        "total.received_bytes".into(),
        Some(sum(|f| f.received_bytes)),
    );
    out.insert("total.lost_bytes".into(), Some(sum(|f| f.lost_bytes)));
    out.insert(
        "total.link_drops".into(),
        Some(report.links.iter().map(|l| l.drops).sum::<u64>() as f64),
    );
    Ok(out)
}

/// A list of objects, each named by the string fields `by` (joined with dots).
fn keyed_list(out: &mut Figures, prefix: &str, list: &Value, by: &[&str]) {
    let Value::Array(items) = list else {
        return walk(out, prefix, list);
    };
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for (i, item) in items.iter().enumerate() {
        let parts: Option<Vec<&str>> = by
            .iter()
            .map(|k| item.get(*k).and_then(Value::as_str))
            .collect();
        let base = match parts {
            Some(p) => format!("{prefix}.{}", p.join(".")),
            None => format!("{prefix}.{i}"),
        };
        let n = seen.entry(base.clone()).or_insert(0);
        *n += 1;
        let name = if *n == 1 { base } else { format!("{base}#{n}") };
        walk(out, &name, item);
    }
}

fn walk(out: &mut Figures, name: &str, v: &Value) {
    match v {
        Value::Number(n) => {
            out.insert(name.into(), n.as_f64().filter(|x| x.is_finite()));
        }
        Value::Null => {
            out.insert(name.into(), None);
        }
        Value::Bool(_) | Value::String(_) => {}
        Value::Object(map) => {
            // A summary of no samples (the delay of a flow that delivered
            // nothing, or of a TCP flow) has zeros for undefined figures.
            let empty = map.get("samples").and_then(Value::as_u64) == Some(0);
            for (k, v) in map {
                let v = if empty && k != "samples" {
                    &Value::Null
                } else {
                    v
                };
                walk(out, &format!("{name}.{k}"), v);
            }
        }
        Value::Array(items) => {
            let counts = !items.is_empty()
                && items.iter().all(|i| {
                    i.get("reason").is_some_and(Value::is_string) && i.get("count").is_some()
                });
            if counts {
                for i in items {
                    let reason = i["reason"].as_str().unwrap_or_default();
                    walk(out, &format!("{name}.{reason}"), &i["count"]);
                }
            } else if items
                .iter()
                .all(|i| i.get("flow").is_some_and(Value::is_string))
            {
                keyed_list(out, name, v, &["flow"]);
            } else {
                for (i, item) in items.iter().enumerate() {
                    walk(out, &format!("{name}.{i}"), item);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flattens_lists_by_name_and_counts_by_cause() {
        let v: Value = serde_json::from_str(
            r#"{"flows":[{"name":"a","x":1,"d":{"p99":2.5},"c":null,"s":"udp",
                "lost_by_reason":[{"reason":"queue-overflow","count":3}]}],
                "tcp":[{"flow":"t","side":"client","r":1},{"flow":"t","side":"client","r":2}],
                "outages":[{"element":"link:A-B","flows":[{"flow":"a","lost":4}]}]}"#,
        )
        .unwrap();
        let mut out = Figures::new();
        keyed_list(&mut out, "flow", &v["flows"], &["name"]);
        keyed_list(&mut out, "tcp", &v["tcp"], &["flow", "side"]);
        keyed_list(&mut out, "outage", &v["outages"], &["element"]);
        let names: Vec<&str> = out.keys().map(String::as_str).collect();
        assert_eq!(
            names,
            [
                "flow.a.c",
                "flow.a.d.p99",
                "flow.a.lost_by_reason.queue-overflow",
                "flow.a.x",
                "outage.link:A-B.flows.a.lost",
                "tcp.t.client#2.r",
                "tcp.t.client.r",
            ]
        );
        assert_eq!(out["flow.a.c"], None);
        assert_eq!(out["flow.a.lost_by_reason.queue-overflow"], Some(3.0));
        assert!(missing_is_zero("flow.a.lost_by_reason.queue-overflow"));
        assert!(!missing_is_zero("flow.a.x"));
    }
}
