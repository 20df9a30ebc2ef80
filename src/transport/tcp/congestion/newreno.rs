//! RFC 5681 window growth with NewReno's reductions (RFC 6582).
//!
//! - slow start (cwnd < ssthresh): cwnd += min(N, SMSS) per ACK;
//! - congestion avoidance, by `CwndGrowth` (`[tcp] cwnd_growth`):
//!   - `Bytes` (the default): byte counting — once a full cwnd of bytes has
//!     been acknowledged, cwnd += SMSS (≈ one SMSS per RTT whatever the ACK
//!     ratio);
//!   - `PerAck`: RFC 5681 §3.1 equation 3 — cwnd += max(1, SMSS·SMSS/cwnd)
//!     per ACK of new data, in integers rounded down and with no remainder
//!     carried (the loss is under 1 byte per ACK). Over a round trip that is
//!     ≈ SMSS · (ACKs per RTT) / (segments per RTT): one SMSS with an ACK per
//!     segment, half of one with an ACK for every second segment;
//! - loss signal: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = ssthresh;
//! - RTO: the same ssthresh (held on repeated timeouts), cwnd = 1 SMSS (LW);
//! - end of recovery: cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)
//!   (RFC 6582 §3.2 step 3, option 1).
//!
//! The window only grows while it is being used (`window_was_used`).

use crate::sim::SimTime;

use super::super::config::CwndGrowth;
use super::{AckSample, CongestionControl, window_was_used};

#[derive(Clone, Debug)]
pub struct NewReno {
    smss: u32,
    cwnd: u32,
    ssthresh: u32,
    /// Bytes acknowledged in congestion avoidance since cwnd last grew
    /// (byte counting only).
    bytes_acked: u32,
    /// The congestion-avoidance rule.
    growth: CwndGrowth,
}

impl NewReno {
    /// NewReno with byte counting in congestion avoidance (the default).
    pub fn new(smss: u32, iw: u32) -> Self {
        Self::with_growth(smss, iw, CwndGrowth::Bytes)
    }

    pub fn with_growth(smss: u32, iw: u32, growth: CwndGrowth) -> Self {
        NewReno {
            smss: smss.max(1),
            cwnd: iw.max(1),
            // "Arbitrarily high" initial ssthresh (RFC 5681 §3.1).
            ssthresh: u32::MAX,
            bytes_acked: 0,
            growth,
        }
    }

    /// RFC 5681 §3.1 equation 3: max(1, SMSS·SMSS/cwnd) bytes, rounded down.
    fn per_ack_increase(&self) -> u32 {
        let smss = u64::from(self.smss);
        let step = smss * smss / u64::from(self.cwnd.max(1));
        step.clamp(1, u64::from(u32::MAX)) as u32
    }

    fn loss_ssthresh(&self, flight_size: u32) -> u32 {
        (flight_size / 2).max(2 * self.smss)
    }

    /// Sets both cwnd and ssthresh to `window` (at least 2·SMSS): a reduction
    /// another algorithm computed (DCTCP's).
    pub(super) fn reduce_to(&mut self, window: u32) {
        self.ssthresh = window.max(2 * self.smss);
        self.cwnd = self.ssthresh;
        self.bytes_acked = 0;
    }
}

impl CongestionControl for NewReno {
    fn name(&self) -> &'static str {
        "newreno"
    }

    fn cwnd(&self) -> u32 {
        self.cwnd
    }

    fn ssthresh(&self) -> u32 {
        self.ssthresh
    }

    fn init(&mut self, smss: u32, iw: u32) {
        self.smss = smss.max(1);
        self.cwnd = iw.max(1);
        self.bytes_acked = 0;
    }

    fn on_ack(&mut self, ack: &AckSample) {
        if ack.bytes_acked == 0 {
            return;
        }
        if !window_was_used(self.cwnd, self.ssthresh, self.smss, ack.flight_before) {
            return;
        }
        if self.cwnd < self.ssthresh {
            self.cwnd = self.cwnd.saturating_add(ack.bytes_acked.min(self.smss));
        } else {
            match self.growth {
                CwndGrowth::Bytes => {
                    self.bytes_acked = self.bytes_acked.saturating_add(ack.bytes_acked);
                    if self.bytes_acked >= self.cwnd {
                        self.bytes_acked -= self.cwnd;
                        self.cwnd = self.cwnd.saturating_add(self.smss);
                    }
                }
                CwndGrowth::PerAck => {
                    self.cwnd = self.cwnd.saturating_add(self.per_ack_increase());
                }
            }
        }
    }

    fn on_congestion_event(&mut self, _now: SimTime, flight_size: u32) {
        self.ssthresh = self.loss_ssthresh(flight_size);
        self.cwnd = self.ssthresh;
        self.bytes_acked = 0;
    }

    fn on_rto(&mut self, _now: SimTime, flight_size: u32, first: bool) {
        if first {
            self.ssthresh = self.loss_ssthresh(flight_size);
        }
        self.cwnd = self.smss;
        self.bytes_acked = 0;
    }

    fn on_recovery_exit(&mut self, _now: SimTime, flight_size: u32) {
        self.cwnd = self
            .ssthresh
            .min(flight_size.max(self.smss).saturating_add(self.smss));
        self.bytes_acked = 0;
    }

    fn set_cwnd(&mut self, cwnd: u32) {
        self.cwnd = cwnd.max(self.smss);
    }

    fn on_idle_restart(&mut self, restart_window: u32) {
        self.cwnd = self.cwnd.min(restart_window.max(self.smss));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ack(bytes: u32, flight: u32) -> AckSample {
        AckSample {
            now: SimTime::ZERO,
            bytes_acked: bytes,
            flight_before: flight,
            rtt: None,
            srtt: None,
        }
    }

    #[test]
    fn slow_start_then_avoidance() {
        let mut cc = NewReno::new(1000, 10_000);
        // Slow start: + min(N, SMSS) per ACK.
        cc.on_ack(&ack(2000, 10_000));
        assert_eq!(cc.cwnd(), 11_000);
        cc.on_ack(&ack(500, 11_000));
        assert_eq!(cc.cwnd(), 11_500);
        // Not using the window: no growth.
        cc.on_ack(&ack(1000, 2000));
        assert_eq!(cc.cwnd(), 11_500);

        cc.on_congestion_event(SimTime::ZERO, 20_000);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (10_000, 10_000));
        // Congestion avoidance: one SMSS per cwnd of acknowledged bytes.
        for _ in 0..9 {
            cc.on_ack(&ack(1000, 10_000));
        }
        assert_eq!(cc.cwnd(), 10_000);
        cc.on_ack(&ack(1000, 10_000));
        assert_eq!(cc.cwnd(), 11_000);
    }

    /// One round trip of congestion avoidance from `cwnd` segments of 1448
    /// bytes, every `per_ack` segments acknowledged by one ACK; the window in
    /// bytes after it.
    fn one_round_trip(growth: CwndGrowth, cwnd_segments: u32, per_ack: u32) -> u32 {
        const SMSS: u32 = 1448;
        let mut cc = NewReno::with_growth(SMSS, cwnd_segments * SMSS, growth);
        cc.on_congestion_event(SimTime::ZERO, 2 * cwnd_segments * SMSS);
        assert_eq!(cc.cwnd(), cwnd_segments * SMSS);
        for _ in 0..cwnd_segments / per_ack {
            let cwnd = cc.cwnd();
            cc.on_ack(&ack(per_ack * SMSS, cwnd));
        }
        cc.cwnd()
    }

    #[test]
    fn per_ack_growth_counts_acks_not_bytes() {
        const SMSS: u32 = 1448;
        // 10 segments, an ACK for every second one: five ACKs of
        // SMSS²/cwnd = 1448/10 = 144.8 -> 144, then 1448²/14624 = 143.37
        // -> 143, ... about half an SMSS in the round trip.
        let grown = one_round_trip(CwndGrowth::PerAck, 10, 2) - 10 * SMSS;
        assert_eq!(grown, 144 + 143 + 141 + 140 + 139);
        assert!((grown as f64 / SMSS as f64 - 0.5).abs() < 0.02, "{grown}");
        // An ACK per segment: ten ACKs, about one SMSS.
        let grown = one_round_trip(CwndGrowth::PerAck, 10, 1) - 10 * SMSS;
        assert!((grown as f64 / SMSS as f64 - 1.0).abs() < 0.06, "{grown}");
        // Byte counting gives one SMSS either way.
        assert_eq!(one_round_trip(CwndGrowth::Bytes, 10, 2), 11 * SMSS);
        assert_eq!(one_round_trip(CwndGrowth::Bytes, 10, 1), 11 * SMSS);
        // At 100 segments, half an SMSS per round trip still (50 ACKs of 14).
        let grown = one_round_trip(CwndGrowth::PerAck, 100, 2) - 100 * SMSS;
        assert_eq!(grown, 50 * 14);
    }

    #[test]
    fn per_ack_growth_floor_and_slow_start() {
        // cwnd above SMSS² bytes: the increase is 1 byte, not 0.
        let mut cc = NewReno::with_growth(100, 20_000, CwndGrowth::PerAck);
        cc.on_congestion_event(SimTime::ZERO, 40_000);
        cc.on_ack(&ack(200, 20_000));
        assert_eq!(cc.cwnd(), 20_001);
        // Slow start is the same under both rules: + min(N, SMSS) per ACK.
        for growth in CwndGrowth::ALL {
            let mut cc = NewReno::with_growth(1000, 10_000, growth);
            cc.on_ack(&ack(2000, 10_000));
            cc.on_ack(&ack(500, 11_000));
            assert_eq!(cc.cwnd(), 11_500, "{growth:?}");
            // And an idle window does not grow.
            cc.on_congestion_event(SimTime::ZERO, 20_000);
            cc.on_ack(&ack(1000, 2000));
            assert_eq!(cc.cwnd(), 10_000, "{growth:?}");
        }
    }

    #[test]
    fn reductions() {
        let mut cc = NewReno::new(1000, 10_000);
        cc.on_congestion_event(SimTime::ZERO, 3000);
        assert_eq!(cc.ssthresh(), 2000); // floor of 2·SMSS
        cc.on_rto(SimTime::ZERO, 50_000, true);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (1000, 25_000));
        cc.on_rto(SimTime::ZERO, 2_000, false);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (1000, 25_000));
        cc.set_cwnd(40_000);
        cc.on_recovery_exit(SimTime::ZERO, 5_000);
        assert_eq!(cc.cwnd(), 6_000);
        cc.on_recovery_exit(SimTime::ZERO, 50_000);
        assert_eq!(cc.cwnd(), 25_000);
        cc.on_idle_restart(10_000);
        assert_eq!(cc.cwnd(), 10_000);
    }
}
