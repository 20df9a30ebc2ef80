//! RED, Random Early Detection (Floyd and Jacobson, 1993; recommended by
//! RFC 2309, whose advice RFC 7567 updates): an exponentially weighted
//! average of the queue length decides, at each arrival, whether to drop the
//! arriving packet early — never below `min_th`, always above `max_th`, and in
//! between with a probability that grows linearly to `max_p`, spread out by
//! the count of packets since the last drop.

pub use crate::scenario::RedParams;
use crate::sim::SimTime;
use crate::sim::rng::{self, Rng};

#[derive(Debug)]
pub struct Red {
    params: RedParams,
    avg: f64,
    /// Packets since the last early drop (Floyd's `count`; -1 while the
    /// average is below min_th).
    count: i64,
    /// When the queue last became empty, for the idle-time decay of `avg`.
    idle_since: Option<SimTime>,
    /// The last drop was forced (average at or above max_th), not random.
    forced: bool,
    rng: Box<Rng>,
}

impl Red {
    pub fn new(params: RedParams, seed: u64, label: &str) -> Red {
        Red {
            params,
            avg: 0.0,
            count: -1,
            idle_since: Some(SimTime::ZERO),
            forced: false,
            rng: Box::new(rng::stream(seed, label)),
        }
    }

    /// The queue became empty at `now`.
    pub fn idle(&mut self, now: SimTime) {
        self.idle_since = Some(now);
    }

    /// A packet arrives to find `waiting` packets queued; `small_packet_time`
    /// is how long one typical packet takes to send (for the idle decay).
    /// Whether RED drops it early.
    pub fn on_arrival(&mut self, now: SimTime, waiting: u64, small_packet_time: SimTime) -> bool {
        let p = &self.params;
        match self.idle_since.take() {
            Some(since) if waiting == 0 => {
                // As if m small packets had arrived to an empty queue while idle.
                let m = now.saturating_sub(since).as_nanos() as f64
                    / small_packet_time.as_nanos().max(1) as f64;
                self.avg *= (1.0 - p.wq).powf(m);
            }
            _ => self.avg = (1.0 - p.wq) * self.avg + p.wq * waiting as f64,
        }
        if self.avg < p.min_th {
            self.count = -1;
            return false;
        }
        self.forced = self.avg >= p.max_th;
        if self.forced {
            self.count = 0;
            return true;
        }
        self.count += 1;
        let pb = p.max_p * (self.avg - p.min_th) / (p.max_th - p.min_th);
        let pa = if self.count as f64 * pb >= 1.0 {
            1.0
        } else {
            pb / (1.0 - self.count as f64 * pb)
        };
        if rng::chance(&mut self.rng, pa) {
            self.count = 0;
            return true;
        }
        false
    }

    /// Whether the last early drop was forced (the average at or above
    /// max_th): an ECN-marking RED drops those all the same (RFC 3168 §7).
    pub fn forced(&self) -> bool {
        self.forced
    }

    pub fn average(&self) -> f64 {
        self.avg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_drops_below_min_th_and_always_above_max_th() {
        let mut r = Red::new(RedParams::default(), 1, "red:test");
        let t = SimTime::from_micros(100);
        for i in 0..10_000 {
            assert!(
                !r.on_arrival(SimTime::from_millis(i), 3, t),
                "avg {}",
                r.average()
            );
        }
        // Hold the queue at 40 packets until the average passes max_th.
        let mut n = 0;
        while r.average() < 15.0 {
            r.on_arrival(SimTime::from_secs(20), 40, t);
            n += 1;
        }
        // avg_n = 40 - (40 - 3)(1 - wq)^n crosses 15 after about 197 arrivals.
        assert!((190..=205).contains(&n), "{n} arrivals");
        assert!(r.on_arrival(SimTime::from_secs(20), 40, t));
    }

    #[test]
    fn between_the_thresholds_the_drop_rate_follows_the_count_rule() {
        // With avg fixed halfway (pb = max_p / 2 = 0.05), pa = pb / (1 - count pb)
        // makes the gap between drops uniform on 1..(1/pb - 1) arrivals: a mean
        // gap of 1 / (2 pb), so a long-run drop rate of 2 pb.
        let params = RedParams {
            wq: 0.0,
            ..RedParams::default()
        };
        let mut r = Red::new(params, 7, "red:test");
        r.avg = 10.0;
        r.idle_since = None;
        let n = 200_000;
        let drops = (0..n)
            .filter(|_| r.on_arrival(SimTime::ZERO, 10, SimTime(1)))
            .count();
        let rate = drops as f64 / n as f64;
        let expected = 2.0 * 0.05;
        assert!((rate - expected).abs() < 0.003, "{rate} vs {expected}");
    }

    #[test]
    fn idle_time_decays_the_average() {
        let mut r = Red::new(RedParams::default(), 1, "red:test");
        r.avg = 10.0;
        r.idle(SimTime::ZERO);
        // 1000 small-packet times idle: avg = 10 (1 - 0.002)^1000 = 1.35.
        r.on_arrival(SimTime::from_millis(100), 0, SimTime::from_micros(100));
        assert!((r.average() - 1.351).abs() < 0.01, "{}", r.average());
    }
}
