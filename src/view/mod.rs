//! `view.html`: one self-contained page that animates a run (or the runs of
//! a comparison on one clock): the topology, packets on the links, queues,
//! drops, failures, circuits, each host's sockets and TCP state, a ladder.
//!
//! The page is fed by `ViewRecorder`, a subscriber to the same trace records
//! as the text trace, so it shows what the trace says and nothing computed
//! apart. Its script (`viewer.js`) and style (`viewer.css`) are this
//! project's own; no library is vendored, nothing is fetched.

mod layout;
mod record;

pub use layout::Method as LayoutMethod;
pub use record::{Recording, ViewRecorder};

use crate::error::{Error, Result};
use crate::scenario::{NodeKind, Scenario};
use crate::trace::DropReason;
use crate::units::QueueCapacity;
use record::{HopEnd, TransportHeader};
use serde::Serialize;
use serde_json::{Value, json};
use std::path::Path;

/// The page's file name in a result folder.
pub const FILE: &str = "view.html";

/// The recording a finished run's recorder filled (the recorder itself went
/// with the run's subscribers).
pub fn take(recording: std::rc::Rc<std::cell::RefCell<Recording>>) -> Result<Recording> {
    std::rc::Rc::try_unwrap(recording)
        .map(std::cell::RefCell::into_inner)
        .map_err(|_| Error::Internal("the view's recorder outlived its run".into()))
}

/// Bounds on what one run's page holds.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    /// Link crossings animated; the animation window ends at the last one.
    pub hops: usize,
    /// About how many bytes the window's records (hops, headers, queue
    /// samples, drops, calls, notes, TCP samples) may take on the page; the
    /// window also ends when they reach it.
    pub bytes: u64,
    /// cwnd samples past the window, over all connections.
    pub cwnd_samples: usize,
    /// Time bins x link directions for utilization and queue maxima.
    pub bin_budget: usize,
    /// Notes (signalling, detection) and socket calls kept, each.
    pub notes: usize,
}

impl Caps {
    /// A page of at most about 20 MB, plus about 250 B per node, link and
    /// TCP connection: 14 MB of animation window, 100,000 cwnd samples past
    /// it (3.5 MB), 200,000 utilization and queue bins (1.6 MB).
    pub const DEFAULT: Caps = Caps {
        hops: 200_000,
        bytes: 14_000_000,
        cwnd_samples: 100_000,
        bin_budget: 200_000,
        notes: 50_000,
    };

    /// The caps of one of `runs` runs sharing a page.
    pub fn shared(runs: usize) -> Caps {
        let runs = runs.max(1);
        let d = Caps::DEFAULT;
        Caps {
            hops: d.hops / runs,
            bytes: d.bytes / runs as u64,
            cwnd_samples: d.cwnd_samples / runs,
            notes: d.notes / runs,
            bin_budget: d.bin_budget,
        }
    }
}

/// One run on the page.
pub struct RunView {
    pub label: String,
    /// "packet" or "circuit".
    pub kind: &'static str,
    pub recording: Recording,
}

/// Writes `path`: the page for `runs` of `scenario` (one for `run`, packet
/// and circuit runs for `compare`). Returns the page's size in bytes.
pub fn write_page(path: &Path, scenario: &Scenario, runs: &[RunView]) -> Result<u64> {
    let data = page_data(scenario, runs);
    let json = serde_json::to_string(&data).map_err(|e| Error::Internal(e.to_string()))?;
    // `</` must not end the script element early.
    let json = json.replace("</", "<\\/");
    let html = format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>netsim view: {title}</title>\n<style>\n{css}</style>\n</head>\n<body>\n{body}\
         <script type=\"application/json\" id=\"netsim-data\">{json}</script>\n\
         <script>\n{js}</script>\n</body>\n</html>\n",
        title = escape(&scenario.name),
        css = include_str!("viewer.css"),
        body = include_str!("viewer.html"),
        js = include_str!("viewer.js"),
    );
    std::fs::write(path, &html).map_err(|e| Error::io(path, e))?;
    Ok(html.len() as u64)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn page_data(sc: &Scenario, runs: &[RunView]) -> Value {
    let (pos, method) = layout::layout(sc);
    let nodes: Vec<Value> = sc
        .nodes
        .iter()
        .zip(&pos)
        .map(|(n, &(x, y))| {
            json!({
                "name": n.name,
                "kind": if n.kind == NodeKind::Host { "host" } else { "router" },
                "addr": n.address.to_string(),
                "x": (x * 10.0).round() / 10.0,
                "y": (y * 10.0).round() / 10.0,
            })
        })
        .collect();
    let links: Vec<Value> = sc
        .links
        .iter()
        .enumerate()
        .map(|(i, l)| {
            json!({
                "a": l.a,
                "b": l.b,
                "label": sc.link_label(i),
                "bandwidth": l.bandwidth.0,
                "delay": l.delay.as_nanos(),
                "queue": match l.queue {
                    QueueCapacity::Packets(p) => format!("{p}p"),
                    QueueCapacity::Bytes(b) => format!("{b}B"),
                },
            })
        })
        .collect();
    json!({
        "scenario": sc.name,
        "seed": sc.seed,
        "duration": sc.duration.as_nanos(),
        "layout": method.name(),
        "nodes": nodes,
        "links": links,
        "channels": sc.direction_names(),
        "drop_reasons": DropReason::ALL.iter().map(|d| d.name()).collect::<Vec<_>>(),
        "runs": runs.iter().map(run_data).collect::<Vec<_>>(),
    })
}

/// The run's arrays, flat where they are long (the page unpacks them).
#[derive(Serialize)]
struct RunData<'a> {
    label: &'a str,
    kind: &'a str,
    bin: u64,
    window_end: Option<u64>,
    hops_begun: u64,
    hop_cap: usize,
    byte_cap: u64,
    /// The estimate of the window's bytes that `byte_cap` bounds.
    window_bytes: u64,
    /// packet, channel, t0, t1 - t0, end; per hop.
    hops: Vec<u64>,
    packets: Vec<Value>,
    /// Per channel: utilization per bin in per mille, longest queue per bin.
    util: Vec<Vec<u16>>,
    queue_max: Vec<&'a [u32]>,
    /// Per channel: time, packets waiting; ...
    queue: Vec<Vec<u64>>,
    /// time, node, channel or -1, reason index, packet or -1.
    drops: Vec<i64>,
    drops_total: &'a [u64],
    connections: Vec<Value>,
    calls: &'a [(u64, u32, String)],
    link_events: &'a [(u64, u32, bool)],
    node_events: &'a [(u64, u32, bool)],
    reservations: &'a [(u64, u32, u32, u64, u64)],
    notes: &'a [(u64, String, String, String)],
}

fn run_data(run: &RunView) -> Value {
    let r = &run.recording;
    let channels = r.channel_count();
    let hops = r
        .hops
        .iter()
        .flat_map(|h| {
            [
                u64::from(h.packet),
                u64::from(h.channel),
                h.t0,
                h.t1 - h.t0,
                match h.end {
                    HopEnd::Arrived => 0,
                    HopEnd::LostAtEnd => 1,
                    HopEnd::Destroyed => 2,
                    HopEnd::Unfinished => 3,
                },
            ]
        })
        .collect();
    let packets = r.headers.iter().map(header_json).collect();
    let (util, queue_max): (Vec<Vec<u16>>, Vec<&[u32]>) = (0..channels)
        .map(|c| {
            let (u, q) = r.channel_bins(c);
            let per_mille = u
                .iter()
                .map(|f| (f * 1000.0).round().min(1000.0) as u16)
                .collect();
            (per_mille, q)
        })
        .unzip();
    let queue = (0..channels)
        .map(|c| {
            r.queue_samples(c)
                .iter()
                .flat_map(|&(t, q)| [t, u64::from(q)])
                .collect()
        })
        .collect();
    let drops = r
        .drops
        .iter()
        .flat_map(|d| {
            [
                d.time as i64,
                i64::from(d.node),
                d.channel.map_or(-1, i64::from),
                DropReason::ALL
                    .iter()
                    .position(|&x| x == d.reason)
                    .unwrap_or(0) as i64,
                d.packet.map_or(-1, i64::from),
            ]
        })
        .collect();
    let connections = r
        .connections
        .iter()
        .map(|c| {
            json!({
                "node": c.node,
                "local": format!("{}:{}", c.local, c.local_port),
                "remote": format!("{}:{}", c.remote, c.remote_port),
                "states": c.states,
                "window": c.window,
                "events": c.events,
            })
        })
        .collect();
    serde_json::to_value(RunData {
        label: &run.label,
        kind: run.kind,
        bin: r.bin,
        window_end: r.window_end,
        hops_begun: r.hops_begun,
        hop_cap: r.caps.hops,
        byte_cap: r.caps.bytes,
        window_bytes: r.bytes,
        hops,
        packets,
        util,
        queue_max,
        queue,
        drops,
        drops_total: &r.drops_total,
        connections,
        calls: &r.calls,
        link_events: &r.link_events,
        node_events: &r.node_events,
        reservations: &r.reservations,
        notes: &r.notes,
    })
    .expect("plain data serializes")
}

/// A packet's headers as the page lists them, field by field.
fn header_json(h: &record::Header) -> Value {
    let ip = json!([
        h.uid,
        h.src_node,
        h.dst_node,
        h.wire_len,
        h.ttl,
        h.ecn,
        h.ip_checksum
    ]);
    let transport = match &h.transport {
        TransportHeader::Udp {
            src_port,
            dst_port,
            length,
            checksum,
        } => json!(["udp", src_port, dst_port, length, checksum]),
        TransportHeader::Tcp {
            src_port,
            dst_port,
            seq,
            ack,
            data_offset,
            flags,
            window,
            checksum,
            urgent,
            options,
            payload_len,
        } => json!([
            "tcp",
            src_port,
            dst_port,
            seq,
            ack,
            data_offset,
            flags,
            window,
            checksum,
            urgent,
            options,
            payload_len
        ]),
    };
    json!([ip, transport])
}
