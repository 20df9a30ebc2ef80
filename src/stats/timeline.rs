//! Figures over time: delivered bytes per flow, losses by cause, queue peaks,
//! kept in fixed-width bins for plots; and what each failure cost.

use super::REASONS;
use crate::sim::SimTime;
use serde::Serialize;

/// Fixed-width time bins covering [0, duration].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Bins {
    pub width_ns: u64,
    pub count: usize,
}

impl Bins {
    /// About 500 bins, each a 1-2-5 multiple of a power of ten nanoseconds.
    pub fn for_duration(duration: SimTime) -> Bins {
        let target = (duration.as_nanos() / 500).max(1);
        let mut width = 1u64;
        'search: for decade in 0..19 {
            let p = 10u64.pow(decade);
            for m in [1, 2, 5] {
                width = p.saturating_mul(m);
                if width >= target {
                    break 'search;
                }
            }
        }
        let count = duration.as_nanos().div_ceil(width).max(1) as usize;
        Bins {
            width_ns: width,
            count,
        }
    }

    #[inline]
    pub fn index(&self, t: SimTime) -> usize {
        ((t.as_nanos() / self.width_ns) as usize).min(self.count - 1)
    }

    pub fn width_s(&self) -> f64 {
        self.width_ns as f64 / 1e9
    }
}

/// A failure of one element: when it went down and came back.
#[derive(Clone, Debug)]
pub struct Outage {
    pub element: String,
    pub down: SimTime,
    pub up: Option<SimTime>,
}

/// Collected during a run.
pub struct Timeline {
    pub bins: Bins,
    /// Per flow, delivered payload bytes per bin (filled by `finish`).
    pub delivered: Vec<Vec<u64>>,
    /// While the run goes on, per flow: (bin, bytes) for each bin that saw a
    /// delivery, in time order. An idle flow then costs a few bytes, not a
    /// whole series (thousands of idle connections stay small).
    delivered_runs: Vec<Vec<(u32, u64)>>,
    /// Per flow, each loss: (time, payload bytes).
    pub losses: Vec<Vec<(SimTime, u32)>>,
    /// Per bin, packets dropped by cause (all traffic).
    pub drops: Vec<[u64; REASONS]>,
    /// Per channel, the most packets waiting in any instant of each bin.
    pub queue_peaks: Vec<Vec<u32>>,
    pub outages: Vec<Outage>,
    /// When routes were recomputed.
    pub reconvergences: Vec<SimTime>,
}

impl Timeline {
    /// `flow` delivered `bytes` at `now` (an unknown flow is ignored).
    pub fn add_delivered(&mut self, flow: u32, now: SimTime, bytes: u64) {
        let bin = self.bins.index(now) as u32;
        let Some(runs) = self.delivered_runs.get_mut(flow as usize) else {
            return;
        };
        match runs.last_mut() {
            Some((b, total)) if *b == bin => *total += bytes,
            _ => runs.push((bin, bytes)),
        }
    }

    /// The run is over: lay the deliveries out as one series per flow.
    pub fn finish(&mut self) {
        self.delivered = std::mem::take(&mut self.delivered_runs)
            .into_iter()
            .map(|runs| {
                let mut series = vec![0; self.bins.count];
                for (bin, bytes) in runs {
                    series[bin as usize] += bytes;
                }
                series
            })
            .collect();
    }

    pub fn new(duration: SimTime, flows: usize, channels: usize) -> Timeline {
        let bins = Bins::for_duration(duration);
        Timeline {
            bins,
            delivered: Vec::new(),
            delivered_runs: vec![Vec::new(); flows],
            losses: vec![Vec::new(); flows],
            drops: vec![[0; REASONS]; bins.count],
            queue_peaks: vec![vec![0; bins.count]; channels],
            outages: Vec::new(),
            reconvergences: Vec::new(),
        }
    }

    /// Delivered bits per second of `flow` averaged over bins [from, to).
    fn rate(&self, flow: usize, from: usize, to: usize) -> f64 {
        if to <= from {
            return 0.0;
        }
        let bytes: u64 = self.delivered[flow][from..to].iter().sum();
        bytes as f64 * 8.0 / ((to - from) as f64 * self.bins.width_s())
    }

    /// What each outage cost each flow.
    pub fn outage_reports(
        &self,
        flow_names: &[String],
        routing_delay: SimTime,
        end: SimTime,
    ) -> Vec<OutageReport> {
        self.outages
            .iter()
            .map(|o| {
                // Both lists are in time order: binary searches keep many
                // outages (a short `mtbf`) from costing outages x events.
                let first = self.reconvergences.partition_point(|&t| t < o.down);
                let reroute = self
                    .reconvergences
                    .get(first)
                    .map(|&t| (t - o.down).as_secs_f64());
                // Losses count until routes are back to normal after the repair.
                let window_end = o.up.map_or(end, |u| u + routing_delay);
                let flows = flow_names
                    .iter()
                    .enumerate()
                    .map(|(i, name)| {
                        let losses = &self.losses[i];
                        let from = losses.partition_point(|(t, _)| *t < o.down);
                        let to = losses.partition_point(|(t, _)| *t < window_end);
                        let lost = &losses[from..to.max(from)];
                        OutageFlowReport {
                            flow: name.clone(),
                            lost_packets: lost.len() as u64,
                            lost_bytes: lost.iter().map(|(_, b)| u64::from(*b)).sum(),
                            recovery_s: self.recovery(i, o.down),
                        }
                    })
                    .collect();
                OutageReport {
                    element: o.element.clone(),
                    down_s: o.down.as_secs_f64(),
                    up_s: o.up.map(SimTime::as_secs_f64),
                    reroute_s: reroute,
                    flows,
                }
            })
            .collect()
    }

    /// Seconds from `down` until the flow's goodput, over a trailing window of
    /// `RECOVERY_WINDOW_BINS` bins, is back to at least 90% of its mean over the
    /// second before `down`. `None` when it never is, or the flow was idle before.
    fn recovery(&self, flow: usize, down: SimTime) -> Option<f64> {
        let d = self.bins.index(down);
        let before = (1_000_000_000 / self.bins.width_ns).max(1) as usize;
        let level = self.rate(flow, d.saturating_sub(before), d);
        if level <= 0.0 {
            return None;
        }
        (d + 1..=self.bins.count)
            .find(|&end| {
                end >= d + RECOVERY_WINDOW_BINS
                    && self.rate(flow, end - RECOVERY_WINDOW_BINS, end) >= 0.9 * level
            })
            .map(|end| {
                let t = end as f64 * self.bins.width_s();
                (t - down.as_secs_f64()).max(0.0)
            })
    }
}

/// The trailing window over which recovered goodput is measured (5 bins:
/// 1% of the run).
pub const RECOVERY_WINDOW_BINS: usize = 5;

#[derive(Clone, Debug, Serialize)]
pub struct OutageFlowReport {
    pub flow: String,
    /// Lost from the failure until routes were normal again after the repair
    /// (or the end of the run), any cause.
    pub lost_packets: u64,
    pub lost_bytes: u64,
    /// From the failure until goodput was back to 90% of its level before it;
    /// `null`: never (or the flow was idle before the failure).
    pub recovery_s: Option<f64>,
}

#[derive(Clone, Debug, Serialize)]
pub struct OutageReport {
    pub element: String,
    pub down_s: f64,
    pub up_s: Option<f64>,
    /// From the failure until routers used new routes.
    pub reroute_s: Option<f64>,
    pub flows: Vec<OutageFlowReport>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_are_round_and_cover_the_run() {
        let b = Bins::for_duration(SimTime::from_secs(20));
        assert_eq!(b.width_ns, 50_000_000);
        assert_eq!(b.count, 400);
        assert_eq!(b.index(SimTime::from_secs(20)), 399);
        let b = Bins::for_duration(SimTime::from_millis(300));
        assert_eq!((b.width_ns, b.count), (1_000_000, 300));
    }
}
