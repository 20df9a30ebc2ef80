//! DCTCP (RFC 8257): a window cut in proportion to the share of marked bytes.
//!
//! The sender keeps α, an estimate of the fraction of its bytes that met
//! congestion (a CE mark echoed as ECE). Once per window of data it updates
//! α ← (1 − g)·α + g·M, M being the marked fraction of the bytes acknowledged in
//! that window and g = 1/16 (§3.3, §4.2). On ECE (at most once per window, as in
//! RFC 3168) cwnd ← cwnd·(1 − α/2) (§3.4): a light touch when few bytes were
//! marked, a halving when all were. Growth, and the response to a loss, are
//! Reno's (§3.5): this wraps `NewReno`.
//!
//! α starts at 1, the conservative choice §4.2 discusses (the first marks
//! halve the window). The receiver side of DCTCP, echoing each CE exactly
//! (§3.2), is in the connection (`echoes_every_mark`). α is kept in units of
//! 2⁻²⁰ so the arithmetic is exact and identical on every platform.

use crate::sim::SimTime;

use super::super::config::CwndGrowth;
use super::{AckSample, CongestionControl, EcnAck, NewReno};

/// α = 1.0 in fixed point.
const ONE: u64 = 1 << 20;
/// g = 1/16 = 2⁻⁴ (§4.2).
const G_SHIFT: u32 = 4;

#[derive(Clone, Debug)]
pub struct Dctcp {
    reno: NewReno,
    /// α · 2²⁰.
    alpha: u64,
    /// Bytes acknowledged, and those acknowledged with ECE, in this window.
    acked: u64,
    marked: u64,
    /// The window ends when SND.UNA passes this offset (SND.NXT at its start).
    window_end: u64,
}

impl Dctcp {
    pub fn new(smss: u32, iw: u32) -> Self {
        Self::with_growth(smss, iw, CwndGrowth::Bytes)
    }

    /// DCTCP growing as NewReno does under `growth` (RFC 8257 §3.5).
    pub fn with_growth(smss: u32, iw: u32, growth: CwndGrowth) -> Self {
        Dctcp {
            reno: NewReno::with_growth(smss, iw, growth),
            alpha: ONE,
            acked: 0,
            marked: 0,
            window_end: 0,
        }
    }

    /// α as a fraction of 1.
    pub fn alpha(&self) -> f64 {
        self.alpha as f64 / ONE as f64
    }
}

impl CongestionControl for Dctcp {
    fn name(&self) -> &'static str {
        "dctcp"
    }

    fn cwnd(&self) -> u32 {
        self.reno.cwnd()
    }

    fn ssthresh(&self) -> u32 {
        self.reno.ssthresh()
    }

    fn init(&mut self, smss: u32, iw: u32) {
        self.reno.init(smss, iw);
    }

    fn on_ack(&mut self, ack: &AckSample) {
        self.reno.on_ack(ack);
    }

    fn on_congestion_event(&mut self, now: SimTime, flight_size: u32) {
        self.reno.on_congestion_event(now, flight_size);
    }

    fn on_rto(&mut self, now: SimTime, flight_size: u32, first: bool) {
        self.reno.on_rto(now, flight_size, first);
    }

    fn on_recovery_exit(&mut self, now: SimTime, flight_size: u32) {
        self.reno.on_recovery_exit(now, flight_size);
    }

    fn set_cwnd(&mut self, cwnd: u32) {
        self.reno.set_cwnd(cwnd);
    }

    fn on_idle_restart(&mut self, restart_window: u32) {
        self.reno.on_idle_restart(restart_window);
    }

    /// §3.4: cwnd = cwnd · (1 − α/2).
    fn on_ecn_echo(&mut self, _now: SimTime, _flight_size: u32) {
        let cwnd = u64::from(self.reno.cwnd());
        let cut = cwnd * self.alpha / (2 * ONE);
        self.reno.reduce_to((cwnd - cut) as u32);
    }

    /// §3.3 steps 1-8.
    fn on_ecn_ack(&mut self, ack: &EcnAck) {
        self.acked += ack.bytes_acked;
        if ack.ece {
            self.marked += ack.bytes_acked;
        }
        if ack.snd_una <= self.window_end {
            return;
        }
        let fraction = (self.marked * ONE).checked_div(self.acked).unwrap_or(0);
        self.alpha = self.alpha - (self.alpha >> G_SHIFT) + (fraction >> G_SHIFT);
        self.alpha = self.alpha.min(ONE);
        self.window_end = ack.snd_nxt;
        self.acked = 0;
        self.marked = 0;
    }

    fn echoes_every_mark(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ack(cc: &mut Dctcp, snd_una: u64, ece: bool, snd_nxt: u64) {
        cc.on_ecn_ack(&EcnAck {
            bytes_acked: u64::from(MSS),
            ece,
            snd_una,
            snd_nxt,
        });
    }

    /// α ← (1 − g)·α + g·M with g = 1/16, once per window: from 1, a window
    /// without marks gives 15/16; then a half-marked one 15/16·15/16 + 1/32.
    #[test]
    fn alpha_follows_the_marked_fraction() {
        let mut cc = Dctcp::new(MSS, 10 * MSS);
        assert_eq!(cc.alpha(), 1.0);
        // The first ACK passes WindowEnd = 0: a window of 1000 bytes, none marked.
        ack(&mut cc, 1_000, false, 10_000);
        assert_eq!(cc.alpha(), 0.9375);
        // The next window closes on the first ACK past 10,000 (step 4): ten
        // ACKs of 1000 bytes, five of them with ECE.
        for i in 0..10 {
            ack(&mut cc, 2_000 + i * 1_000, i < 5, 20_000);
            if i < 9 {
                assert_eq!(cc.alpha(), 0.9375, "updated before the window ended");
            }
        }
        assert_eq!(cc.alpha(), 0.9375 * 0.9375 + 0.5 / 16.0);
        // A fully marked window: α ← 15/16·α + 1/16.
        for i in 0..10 {
            ack(&mut cc, 12_000 + i * 1_000, true, 30_000);
        }
        assert_eq!(cc.alpha(), 0.91015625 * 0.9375 + 0.0625);
    }

    #[test]
    fn alpha_decays_without_marks() {
        let mut cc = Dctcp::new(MSS, 10 * MSS);
        for k in 1..=50u64 {
            ack(&mut cc, k * 10_000, false, k * 10_000 + 9_999);
        }
        // (15/16)^50 = 0.0397.
        assert!(
            (cc.alpha() - 0.9375f64.powi(50)).abs() < 1e-5,
            "{}",
            cc.alpha()
        );
    }

    /// §3.4: cwnd · (1 − α/2): halved at α = 1, 6.25% off at α = 1/8.
    #[test]
    fn reduction_scales_with_alpha() {
        let mut cc = Dctcp::new(MSS, 100 * MSS);
        cc.on_ecn_echo(SimTime::ZERO, 100 * MSS);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (50 * MSS, 50 * MSS));
        cc.alpha = ONE / 8;
        cc.set_cwnd(100 * MSS);
        cc.on_ecn_echo(SimTime::ZERO, 100 * MSS);
        assert_eq!(cc.cwnd(), 93_750);
        // Never below 2 SMSS.
        cc.alpha = ONE;
        cc.set_cwnd(3 * MSS);
        cc.on_ecn_echo(SimTime::ZERO, 3 * MSS);
        assert_eq!(cc.cwnd(), 2 * MSS);
    }

    #[test]
    fn loss_is_renos() {
        let mut cc = Dctcp::new(MSS, 100 * MSS);
        cc.on_congestion_event(SimTime::ZERO, 100 * MSS);
        assert_eq!(cc.cwnd(), 50 * MSS);
        assert!(cc.echoes_every_mark());
    }
}
