//! The retransmission-timeout estimator of RFC 6298, in integer nanoseconds.
//!
//! - first sample R: SRTT = R, RTTVAR = R/2;
//! - later samples R': RTTVAR = 3/4·RTTVAR + 1/4·|SRTT − R'| (with the old SRTT),
//!   then SRTT = 7/8·SRTT + 1/8·R';
//! - RTO = SRTT + max(G, 4·RTTVAR), clamped to [min_rto, max_rto];
//! - on expiry the RTO doubles (capped at max_rto) until the next sample.
//!
//! Divisions truncate toward zero (nanoseconds make the rounding immaterial).

use super::opt64::OptTime;
use crate::sim::SimTime;

/// What every connection of a configuration shares: the RTO's bounds and the
/// clock granularity G. Kept out of the estimator, which each connection
/// holds (24 bytes instead of 56).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RtoBounds {
    min: u64,
    max: u64,
    granularity: u64,
}

impl RtoBounds {
    pub fn new(min_rto: SimTime, max_rto: SimTime, g: SimTime) -> Self {
        let max = max_rto.0.max(1);
        RtoBounds {
            min: min_rto.0.min(max),
            max,
            granularity: g.0,
        }
    }

    fn clamp(&self, rto: u64) -> u64 {
        rto.clamp(self.min, self.max)
    }
}

/// The one segment being timed for an RTT sample (Karn's rule): the offset
/// its ACK must reach and when it was sent. 16 bytes (an `Option` of the pair
/// took 24).
#[derive(Clone, Copy, Debug, Default)]
pub struct TimedSegment {
    end: u64,
    sent: OptTime,
}

impl TimedSegment {
    pub const NONE: Self = TimedSegment {
        end: 0,
        sent: OptTime::NONE,
    };

    pub fn new(end: u64, sent: SimTime) -> Self {
        TimedSegment {
            end,
            sent: OptTime::some(sent),
        }
    }

    pub fn get(self) -> Option<(u64, SimTime)> {
        self.sent.get().map(|t| (self.end, t))
    }
}

#[derive(Clone, Debug)]
pub struct RttEstimator {
    srtt: OptTime,
    rttvar: u64,
    rto: u64,
}

impl RttEstimator {
    /// Before any sample the RTO is `initial_rto` (RFC 6298 §2.1), capped at the maximum.
    pub fn new(initial_rto: SimTime, bounds: &RtoBounds) -> Self {
        RttEstimator {
            srtt: OptTime::NONE,
            rttvar: 0,
            rto: initial_rto.0.min(bounds.max).max(1),
        }
    }

    /// SRTT + max(G, 4·RTTVAR), within the bounds.
    fn computed(&self, srtt: u64, bounds: &RtoBounds) -> u64 {
        let spread = bounds.granularity.max(self.rttvar.saturating_mul(4));
        bounds.clamp(srtt.saturating_add(spread))
    }

    /// Feed one RTT measurement (RFC 6298 §2.2, §2.3) and recompute the RTO.
    pub fn sample(&mut self, r: SimTime, bounds: &RtoBounds) {
        let r = r.0;
        let srtt = match self.srtt.get() {
            None => {
                self.rttvar = r / 2;
                r
            }
            Some(SimTime(srtt)) => {
                let err = srtt.abs_diff(r);
                self.rttvar = (3 * self.rttvar + err) / 4;
                (7 * srtt + r) / 8
            }
        };
        self.srtt = OptTime::some(SimTime(srtt));
        self.rto = self.computed(srtt, bounds);
    }

    /// Back off after an expiry: RTO = min(2·RTO, max_rto) (RFC 6298 §5.5).
    pub fn backoff(&mut self, bounds: &RtoBounds) {
        self.rto = self.rto.saturating_mul(2).min(bounds.max);
    }

    /// Undo the backoff: the RTO from SRTT and RTTVAR as they stand, if
    /// there has been a sample (`[tcp] rto_backoff = "new-ack"`).
    pub fn forget_backoff(&mut self, bounds: &RtoBounds) {
        if let Some(SimTime(srtt)) = self.srtt.get() {
            self.rto = self.computed(srtt, bounds);
        }
    }

    /// Set the RTO directly (RFC 6298 §5.7's 3 s after a retransmitted SYN), within the bounds.
    pub fn set_rto(&mut self, rto: SimTime, bounds: &RtoBounds) {
        self.rto = bounds.clamp(rto.0);
    }

    pub fn rto(&self) -> SimTime {
        SimTime(self.rto)
    }

    pub fn srtt(&self) -> Option<SimTime> {
        self.srtt.get()
    }

    pub fn rttvar(&self) -> SimTime {
        SimTime(self.rttvar)
    }

    pub fn has_sample(&self) -> bool {
        self.srtt.get().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    #[test]
    fn rfc6298_arithmetic() {
        let b = RtoBounds::new(ms(200), ms(60_000), ms(1));
        let mut e = RttEstimator::new(ms(1000), &b);
        assert_eq!(e.rto(), ms(1000));
        assert_eq!(e.srtt(), None);

        // First sample: SRTT = R, RTTVAR = R/2, RTO = R + 4·R/2 = 3R.
        e.sample(ms(100), &b);
        assert_eq!(e.srtt(), Some(ms(100)));
        assert_eq!(e.rttvar(), ms(50));
        assert_eq!(e.rto(), ms(300));

        // R' = 200: RTTVAR = 3/4·50 + 1/4·100 = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5.
        e.sample(ms(200), &b);
        assert_eq!(e.rttvar(), SimTime::from_micros(62_500));
        assert_eq!(e.srtt(), Some(SimTime::from_micros(112_500)));
        // RTO = 112.5 + 4·62.5 = 362.5 ms.
        assert_eq!(e.rto(), SimTime::from_micros(362_500));

        // R' = 112.5 exactly: RTTVAR decays by 3/4, SRTT unchanged.
        e.sample(SimTime::from_micros(112_500), &b);
        assert_eq!(e.rttvar(), SimTime::from_nanos(46_875_000));
        assert_eq!(e.srtt(), Some(SimTime::from_micros(112_500)));
        assert_eq!(e.rto(), SimTime::from_micros(300_000));
    }

    #[test]
    fn clamps_and_granularity() {
        // min RTO 1 s wins over a small computed value.
        let b = RtoBounds::new(ms(1000), ms(60_000), ms(1));
        let mut e = RttEstimator::new(ms(1000), &b);
        e.sample(ms(10), &b);
        assert_eq!(e.rto(), ms(1000));

        // G wins when RTTVAR is tiny: constant samples make 4·RTTVAR shrink below G.
        let b = RtoBounds::new(SimTime::ZERO, ms(60_000), ms(5));
        let mut e = RttEstimator::new(ms(1000), &b);
        for _ in 0..100 {
            e.sample(ms(10), &b);
        }
        assert_eq!(e.rto(), ms(15));

        // Max RTO caps the backoff.
        let b = RtoBounds::new(ms(200), ms(3000), ms(1));
        let mut e = RttEstimator::new(ms(1000), &b);
        e.backoff(&b);
        assert_eq!(e.rto(), ms(2000));
        e.backoff(&b);
        assert_eq!(e.rto(), ms(3000));
        e.backoff(&b);
        assert_eq!(e.rto(), ms(3000));
        // A new sample collapses the backoff.
        e.sample(ms(100), &b);
        assert_eq!(e.rto(), ms(300));
        // So does forgetting it, without a sample: back to SRTT + 4·RTTVAR.
        e.backoff(&b);
        e.backoff(&b);
        assert_eq!(e.rto(), ms(1200));
        e.forget_backoff(&b);
        assert_eq!(e.rto(), ms(300));
        // Before any sample there is nothing to come back to.
        let b = RtoBounds::new(ms(200), ms(60_000), ms(1));
        let mut e = RttEstimator::new(ms(1000), &b);
        e.backoff(&b);
        e.forget_backoff(&b);
        assert_eq!(e.rto(), ms(2000));
    }
}
