//! Which charts a run draws, from its report: throughput per flow over time
//! with outages shaded, losses stacked by cause, the busiest queues, cwnd /
//! ssthresh / RTO per TCP connection, the sequence plot and the ladder diagram
//! of the watched TCP flow. The drawing itself is `plot`'s.

use crate::error::{Error, Result};
use crate::plot::{
    self, Band, BarChart, Ladder, LadderArrow, LineChart, Marker, Series, StackedAreaChart,
};
use crate::stats::Report;
use crate::trace::DropReason;
use crate::wire::tcp::TcpFlags;
use std::path::Path;

/// How many flows the throughput chart names; the rest are summed as "other".
const TOP_FLOWS: usize = 8;
/// How many queues the queue chart shows (the ones that held most).
const TOP_QUEUES: usize = 4;
/// How many TCP connections get cwnd/RTO charts.
const TOP_CONNECTIONS: usize = 4;

/// Options of the ladder diagram.
#[derive(Clone, Copy, Debug)]
pub struct LadderOptions {
    /// How many of the watched connection's first segments it draws.
    pub segments: usize,
}

impl Default for LadderOptions {
    fn default() -> Self {
        LadderOptions { segments: 30 }
    }
}

/// Writes every chart that has data; returns the file stems written.
pub fn write_all(report: &Report, dir: &Path, ladder: LadderOptions) -> Result<Vec<String>> {
    let mut written = Vec::new();
    let mut put = |stem: &str, r: std::result::Result<(), plot::PlotError>| -> Result<()> {
        r.map_err(|e| Error::Internal(format!("drawing {stem}: {e}")))?;
        written.push(stem.to_string());
        Ok(())
    };
    let bands = outage_bands(report);
    put(
        "throughput",
        plot::write_line_chart(&throughput(report, &bands), dir, "throughput"),
    )?;
    if report
        .timeline
        .drops
        .iter()
        .any(|d| d.iter().any(|&n| n > 0))
    {
        put(
            "losses",
            plot::write_stacked_area(&losses(report, &bands), dir, "losses"),
        )?;
    }
    if let Some(chart) = queues(report, &bands) {
        put("queues", plot::write_line_chart(&chart, dir, "queues"))?;
    }
    for (i, (window, rto)) in tcp_charts(report)
        .into_iter()
        .enumerate()
        .take(TOP_CONNECTIONS)
    {
        put(
            &format!("tcp-window-{i}"),
            plot::write_line_chart(&window, dir, &format!("tcp-window-{i}")),
        )?;
        put(
            &format!("tcp-rto-{i}"),
            plot::write_line_chart(&rto, dir, &format!("tcp-rto-{i}")),
        )?;
    }
    if !report.segments.is_empty() {
        put(
            "tcp-sequence",
            plot::write_line_chart(&sequence(report), dir, "tcp-sequence"),
        )?;
        put(
            "ladder",
            plot::write_ladder(&ladder_of(report, ladder.segments), dir, "ladder"),
        )?;
    }
    if report.flows.iter().any(|f| f.lost_packets > 0) {
        put(
            "loss-by-cause",
            plot::write_bar_chart(&loss_bars(report), dir, "loss-by-cause"),
        )?;
    }
    Ok(written)
}

/// One shaded band per outage, labelled with the element that failed.
pub fn outage_bands(report: &Report) -> Vec<Band> {
    report
        .timeline
        .outages
        .iter()
        .map(|o| {
            Band::new(
                o.down.as_secs_f64(),
                o.up.map_or(report.duration_s, |u| u.as_secs_f64()),
                format!("{} down", o.element),
            )
        })
        .collect()
}

/// Bin start times in seconds.
fn bin_times(report: &Report) -> Vec<f64> {
    let w = report.timeline.bins.width_s();
    (0..report.timeline.bins.count)
        .map(|i| i as f64 * w)
        .collect()
}

fn throughput(report: &Report, bands: &[Band]) -> LineChart {
    let t = bin_times(report);
    let w = report.timeline.bins.width_s();
    let series = report
        .flows
        .iter()
        .zip(&report.timeline.delivered)
        .map(|(f, bins)| {
            Series::step(
                f.name.clone(),
                t.iter()
                    .zip(bins)
                    .map(|(&x, &b)| (x, b as f64 * 8.0 / w / 1e6))
                    .collect(),
            )
        })
        .collect();
    LineChart {
        title: format!("Delivered throughput per flow — {}", report.scenario),
        x_label: "time (s)".into(),
        y_label: "throughput (Mbit/s)".into(),
        series: plot::top_n(series, TOP_FLOWS),
        bands: bands.to_vec(),
        x_range: Some((0.0, report.duration_s)),
        y_range: None,
    }
}

fn losses(report: &Report, bands: &[Band]) -> StackedAreaChart {
    let w = report.timeline.bins.width_s();
    let layers = DropReason::ALL
        .iter()
        .filter(|r| report.timeline.drops.iter().any(|d| d[r.index()] > 0))
        .map(|r| {
            (
                r.name().to_string(),
                report
                    .timeline
                    .drops
                    .iter()
                    .map(|d| d[r.index()] as f64 / w)
                    .collect(),
            )
        })
        .collect();
    StackedAreaChart {
        title: format!("Packets lost over time, by cause — {}", report.scenario),
        x_label: "time (s)".into(),
        y_label: "losses (packets/s)".into(),
        x: bin_times(report),
        layers,
        bands: bands.to_vec(),
    }
}

fn queues(report: &Report, bands: &[Band]) -> Option<LineChart> {
    let t = bin_times(report);
    let mut busiest: Vec<usize> = (0..report.links.len())
        .filter(|&i| report.links[i].peak_queue_packets > 0)
        .collect();
    if busiest.is_empty() {
        return None;
    }
    busiest.sort_by_key(|&i| (std::cmp::Reverse(report.links[i].peak_queue_packets), i));
    let series = busiest
        .iter()
        .take(TOP_QUEUES)
        .map(|&i| {
            Series::step(
                report.links[i].name.clone(),
                t.iter()
                    .zip(&report.timeline.queue_peaks[i])
                    .map(|(&x, &q)| (x, f64::from(q)))
                    .collect(),
            )
        })
        .collect();
    Some(LineChart {
        title: format!(
            "Queue occupancy of the busiest links (peak per {} ms) — {}",
            report.timeline.bins.width_s() * 1e3,
            report.scenario
        ),
        x_label: "time (s)".into(),
        y_label: "packets waiting".into(),
        series,
        bands: bands.to_vec(),
        x_range: Some((0.0, report.duration_s)),
        y_range: None,
    })
}

/// Per connection that has samples: (cwnd and ssthresh chart, RTO chart).
fn tcp_charts(report: &Report) -> Vec<(LineChart, LineChart)> {
    report
        .tcp
        .iter()
        .zip(&report.congestion)
        .filter(|(_, s)| !s.is_empty())
        .map(|(c, samples)| {
            let who = format!("{} ({})", c.flow, c.side);
            let kb = |v: u32| f64::from(v) / 1e3;
            // ssthresh starts "infinite": leave it out until it means something.
            let ssthresh: Vec<(f64, f64)> = samples
                .iter()
                .filter(|s| s.ssthresh < u32::MAX / 2)
                .map(|s| (s.t_s, kb(s.ssthresh)))
                .collect();
            let window = LineChart {
                title: format!("Congestion window and slow-start threshold — {who}"),
                x_label: "time (s)".into(),
                y_label: "bytes (kB)".into(),
                series: vec![
                    Series::step(
                        "cwnd",
                        samples.iter().map(|s| (s.t_s, kb(s.cwnd))).collect(),
                    ),
                    Series::step("ssthresh", ssthresh),
                ],
                bands: outage_bands(report),
                x_range: None,
                y_range: None,
            };
            let rto = LineChart {
                title: format!("Retransmission timeout (RFC 6298) — {who}"),
                x_label: "time (s)".into(),
                y_label: "RTO (ms)".into(),
                series: vec![Series::step(
                    "RTO",
                    samples.iter().map(|s| (s.t_s, s.rto_ms)).collect(),
                )],
                bands: outage_bands(report),
                x_range: None,
                y_range: None,
            };
            (window, rto)
        })
        .collect()
}

/// tcptrace style: data segments (by sequence number) and ACKs against time.
fn sequence(report: &Report) -> LineChart {
    let segs = &report.segments;
    let kb = |v: u32| f64::from(v) / 1e3;
    let mut highest: Option<u32> = None;
    let (mut data, mut retx, mut lost, mut acks) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for s in segs {
        let t = s.depart.as_secs_f64();
        if s.from_client && s.len > 0 {
            let point = (t, kb(s.seq));
            if s.arrive.is_none() {
                lost.push(point);
            }
            if highest.is_some_and(|h| s.seq < h) {
                retx.push(point);
            } else {
                data.push(point);
            }
            highest = Some(highest.map_or(s.seq + s.len, |h| h.max(s.seq + s.len)));
        } else if !s.from_client && s.flags.contains(TcpFlags::ACK) {
            if let Some(a) = s.arrive {
                acks.push((a.as_secs_f64(), kb(s.ack)));
            }
        }
    }
    let flow = report
        .tcp
        .iter()
        .find(|c| c.side == "client")
        .map_or("tcp", |c| c.flow.as_str());
    LineChart {
        title: format!("Sequence numbers over time (tcptrace style) — {flow}"),
        x_label: "time (s)".into(),
        y_label: "relative sequence number (kB)".into(),
        series: vec![
            Series::points("data sent", data, Marker::Circle),
            Series::step("ACK received", acks),
            Series::points("retransmission", retx, Marker::Square),
            Series::points("lost in the network", lost, Marker::Cross),
        ],
        bands: outage_bands(report),
        x_range: None,
        y_range: None,
    }
}

fn ladder_of(report: &Report, n: usize) -> Ladder {
    let segs = &report.segments;
    let t0 = segs.first().map_or(0.0, |s| s.depart.as_secs_f64());
    // A lost segment is drawn as if it had the typical one-way delay.
    let delays: Vec<f64> = segs
        .iter()
        .filter_map(|s| Some((s.arrive? - s.depart).as_secs_f64()))
        .collect();
    let typical = if delays.is_empty() {
        0.001
    } else {
        delays.iter().sum::<f64>() / delays.len() as f64
    };
    let arrows = segs
        .iter()
        .take(n)
        .map(|s| {
            // Seconds from the first segment; a lost one is drawn ending midway.
            let depart = s.depart.as_secs_f64() - t0;
            let arrive = s.arrive.map_or(depart + typical, |a| a.as_secs_f64() - t0);
            let mut label = format!("{} seq={}", s.flags, s.seq);
            if s.flags.contains(TcpFlags::ACK) {
                label += &format!(" ack={}", s.ack);
            }
            label += &format!(" win={} len={}", s.window, s.len);
            LadderArrow {
                depart,
                arrive,
                left_to_right: s.from_client,
                label,
                lost: s.arrive.is_none(),
            }
        })
        .collect();
    let client = report.tcp.iter().find(|c| c.side == "client");
    let flow = client.map_or("tcp".to_string(), |c| c.flow.clone());
    let f = report.flows.iter().find(|f| f.name == flow);
    Ladder {
        title: format!("First segments of `{flow}` (time in ms from the first SYN)"),
        left: f.map_or("client".into(), |f| f.from.clone()),
        right: f.map_or("server".into(), |f| f.to.clone()),
        arrows,
    }
}

fn loss_bars(report: &Report) -> BarChart {
    let causes: Vec<&str> = DropReason::ALL
        .iter()
        .map(|r| r.name())
        .filter(|c| {
            report
                .flows
                .iter()
                .any(|f| f.lost_by_reason.iter().any(|x| x.reason == *c))
        })
        .collect();
    let series = report
        .flows
        .iter()
        .filter(|f| f.lost_packets > 0)
        .take(TOP_FLOWS)
        .map(|f| {
            (
                f.name.clone(),
                causes
                    .iter()
                    .map(|c| {
                        f.lost_by_reason
                            .iter()
                            .find(|x| x.reason == *c)
                            .map_or(0.0, |x| x.count as f64)
                    })
                    .collect(),
            )
        })
        .collect();
    BarChart {
        title: format!("Packets lost per flow, by cause — {}", report.scenario),
        x_label: "cause".into(),
        y_label: "packets lost".into(),
        groups: causes.iter().map(|c| c.to_string()).collect(),
        series,
    }
}
