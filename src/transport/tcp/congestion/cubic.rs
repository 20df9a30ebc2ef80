//! CUBIC (RFC 9438), with its Reno-friendly region and fast convergence.
//!
//! Outside slow start the window follows the cubic
//! W_cubic(t) = C·(t − K)³ + W_max (§4.2, Figure 1), where t is the time since
//! the congestion-avoidance stage began and K = ∛((W_max − cwnd_epoch)/C)
//! (Figure 2) is when the curve reaches W_max again. Each ACK moves cwnd a
//! share of the way to target = W_cubic(t + SRTT), clamped to [cwnd, 1.5·cwnd]
//! (§4.4, §4.5). Where Reno would be faster, the window follows the Reno
//! estimate W_est instead (§4.3, Figure 4), which grows by α_cubic per RTT,
//! α_cubic = 3(1 − β)/(1 + β), and by 1 once W_est reaches cwnd_prior.
//!
//! On a congestion event (§4.6): ssthresh = FlightSize·β (at least 2 SMSS),
//! W_max = cwnd, shrunk to cwnd·(1 + β)/2 when the window had not regained
//! the previous W_max (fast convergence, §4.7). After a timeout (§4.8) the next
//! stage starts with K = 0 and W_max = cwnd at that stage's start.
//!
//! Slow start is standard (RFC 5681); HyStart++ (RFC 9406, §4.10's
//! recommendation) is not modelled. There is no spurious-loss undo (§4.9).
//!
//! The arithmetic is in integers (bytes, microseconds, β and C as fractions,
//! an exact integer cube root), so runs are identical on every platform.

use crate::sim::SimTime;

use super::{AckSample, CongestionControl, window_was_used};

/// β_cubic = 0.7 (§4.6), as a fraction.
const BETA_NUM: u64 = 7;
const BETA_DEN: u64 = 10;
/// C = 0.4 (§5), as a fraction: segments per second³.
const C_NUM: i128 = 4;
const C_DEN: i128 = 10;
/// α_cubic = 3(1 − β)/(1 + β) = 0.9/1.7 = 9/17 (§4.3, Figure 4).
const ALPHA_NUM: u64 = 9;
const ALPHA_DEN: u64 = 17;
/// Microseconds per second, and its cube.
const US: i128 = 1_000_000;
const US3: i128 = US * US * US;
/// t − K is clamped to ±10⁹ µs (about 17 minutes), which keeps the cube of it
/// within i128 at any MSS; the window is at its cap long before.
const MAX_DT_US: i128 = 1_000_000_000;

#[derive(Clone, Debug)]
pub struct Cubic {
    smss: u32,
    cwnd: u32,
    ssthresh: u32,
    /// Window before the last reduction, after fast convergence (bytes).
    w_max: u64,
    /// cwnd just before the last reduction (bytes; §4.3's cwnd_prior).
    cwnd_prior: u64,
    /// When the current congestion-avoidance stage began, if it has.
    epoch_start: Option<SimTime>,
    /// K of the current stage in microseconds (negative when the stage began
    /// above W_max).
    k_us: i128,
    /// The Reno estimate (bytes) and the remainder of its last increment.
    w_est: u64,
    w_est_rem: u64,
    /// The remainder of the last cwnd increment (numerator over cwnd).
    cwnd_rem: u64,
    /// The last reduction was a timeout: the next stage starts with K = 0.
    after_timeout: bool,
}

impl Cubic {
    pub fn new(smss: u32, iw: u32) -> Self {
        Cubic {
            smss: smss.max(1),
            cwnd: iw.max(1),
            ssthresh: u32::MAX,
            w_max: 0,
            cwnd_prior: 0,
            epoch_start: None,
            k_us: 0,
            w_est: 0,
            w_est_rem: 0,
            cwnd_rem: 0,
            after_timeout: false,
        }
    }

    /// W_cubic(t) in bytes, `t` measured from the stage's start (Figure 1).
    pub fn w_cubic(&self, t: SimTime) -> u64 {
        let dt = (i128::from(t.as_nanos() / 1_000) - self.k_us).clamp(-MAX_DT_US, MAX_DT_US);
        let smss = i128::from(self.smss);
        let w = i128::from(self.w_max) + C_NUM * smss * dt * dt * dt / (C_DEN * US3);
        w.clamp(0, i128::from(u32::MAX)) as u64
    }

    /// K in microseconds for a stage starting at `cwnd_epoch` bytes (Figure 2).
    fn k_for(&self, cwnd_epoch: u64) -> i128 {
        let gap = i128::from(self.w_max) - i128::from(cwnd_epoch);
        // (gap / SMSS) / C seconds³, in µs³.
        let cube = gap.abs() * C_DEN * US3 / (C_NUM * i128::from(self.smss));
        let k = icbrt(cube as u128) as i128;
        if gap < 0 { -k } else { k }
    }

    /// The stage's K, as a duration (0 when the stage began at or above W_max).
    pub fn k(&self) -> SimTime {
        SimTime::from_nanos((self.k_us.max(0) as u64).saturating_mul(1_000))
    }

    pub fn w_max(&self) -> u64 {
        self.w_max
    }

    pub fn w_est(&self) -> u64 {
        self.w_est
    }

    fn begin_stage(&mut self, now: SimTime) {
        self.epoch_start = Some(now);
        let cwnd = u64::from(self.cwnd);
        if self.after_timeout || self.w_max == 0 {
            // §4.8 (and a first stage without any loss): K = 0, W_max = cwnd.
            self.w_max = cwnd;
            self.k_us = 0;
            self.after_timeout = false;
        } else {
            self.k_us = self.k_for(cwnd);
        }
        self.w_est = cwnd;
        self.w_est_rem = 0;
        self.cwnd_rem = 0;
    }

    /// §4.3: W_est += α_cubic · segments_acked / cwnd (in segments), i.e.
    /// α_cubic · SMSS · bytes_acked / cwnd in bytes.
    fn grow_w_est(&mut self, bytes_acked: u32) {
        let (num, den) = if self.w_est >= self.cwnd_prior {
            (1, 1)
        } else {
            (ALPHA_NUM, ALPHA_DEN)
        };
        let step = num * u64::from(self.smss) * u64::from(bytes_acked) + self.w_est_rem;
        let per = den * u64::from(self.cwnd.max(1));
        self.w_est += step / per;
        self.w_est_rem = step % per;
    }

    /// §4.6 and §4.7: the reduction shared by loss, ECE and timeout.
    fn reduce(&mut self, flight_size: u32) {
        let cwnd = u64::from(self.cwnd);
        self.w_max = if cwnd < self.w_max {
            cwnd * (BETA_DEN + BETA_NUM) / (2 * BETA_DEN)
        } else {
            cwnd
        };
        self.cwnd_prior = cwnd;
        let ssthresh = u64::from(flight_size) * BETA_NUM / BETA_DEN;
        self.ssthresh = (ssthresh as u32).max(2 * self.smss);
        self.epoch_start = None;
    }
}

/// ⌊∛n⌋, exactly.
fn icbrt(n: u128) -> u128 {
    if n == 0 {
        return 0;
    }
    // Newton's iteration from above converges monotonically to the floor.
    let bits = 128 - n.leading_zeros();
    let mut x: u128 = 1 << bits.div_ceil(3);
    loop {
        let y = (2 * x + n / (x * x)) / 3;
        if y >= x {
            return x;
        }
        x = y;
    }
}

impl CongestionControl for Cubic {
    fn name(&self) -> &'static str {
        "cubic"
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
        self.epoch_start = None;
    }

    fn on_ack(&mut self, ack: &AckSample) {
        if ack.bytes_acked == 0
            || !window_was_used(self.cwnd, self.ssthresh, self.smss, ack.flight_before)
        {
            return;
        }
        if self.cwnd < self.ssthresh {
            self.cwnd = self.cwnd.saturating_add(ack.bytes_acked.min(self.smss));
            return;
        }
        let start = match self.epoch_start {
            Some(t) => t,
            None => {
                self.begin_stage(ack.now);
                ack.now
            }
        };
        let t = ack.now - start;
        self.grow_w_est(ack.bytes_acked);
        let cwnd = u64::from(self.cwnd);
        if self.w_cubic(t) < self.w_est {
            // Reno-friendly region (§4.3).
            self.cwnd = self.w_est.min(u64::from(u32::MAX)) as u32;
            return;
        }
        // Concave and convex regions (§4.4, §4.5).
        let rtt = ack.srtt.or(ack.rtt).unwrap_or(SimTime::ZERO);
        let target = self.w_cubic(t + rtt).clamp(cwnd, cwnd + cwnd / 2);
        // cwnd += (target − cwnd)/cwnd per SMSS acknowledged.
        let step = (target - cwnd) * u64::from(ack.bytes_acked) + self.cwnd_rem;
        self.cwnd_rem = step % cwnd.max(1);
        let grown = cwnd + step / cwnd.max(1);
        self.cwnd = grown.min(u64::from(u32::MAX)) as u32;
    }

    fn on_congestion_event(&mut self, _now: SimTime, flight_size: u32) {
        self.reduce(flight_size);
        self.cwnd = self.ssthresh;
    }

    fn on_rto(&mut self, _now: SimTime, flight_size: u32, first: bool) {
        if first {
            self.reduce(flight_size);
        }
        self.after_timeout = true;
        self.epoch_start = None;
        self.cwnd = self.smss;
    }

    fn on_recovery_exit(&mut self, _now: SimTime, flight_size: u32) {
        // RFC 6582 §3.2 step 3 as for NewReno; CUBIC changes growth, not recovery.
        self.cwnd = self
            .ssthresh
            .min(flight_size.max(self.smss).saturating_add(self.smss));
        self.epoch_start = None;
    }

    fn set_cwnd(&mut self, cwnd: u32) {
        self.cwnd = cwnd.max(self.smss);
    }

    fn on_idle_restart(&mut self, restart_window: u32) {
        self.cwnd = self.cwnd.min(restart_window.max(self.smss));
        self.epoch_start = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ack(now_ms: u64, bytes: u32, flight: u32, srtt_ms: u64) -> AckSample {
        AckSample {
            now: SimTime::from_millis(now_ms),
            bytes_acked: bytes,
            flight_before: flight,
            rtt: None,
            srtt: Some(SimTime::from_millis(srtt_ms)),
        }
    }

    #[test]
    fn integer_cube_root_is_exact() {
        for n in [0u128, 1, 7, 8, 26, 27, 28, 999, 1000, 1001] {
            let r = icbrt(n);
            assert!(r * r * r <= n && (r + 1) * (r + 1) * (r + 1) > n, "{n}");
        }
        let big = 123_456_789_012u128;
        assert_eq!(icbrt(big * big * big), big);
        assert_eq!(icbrt(big * big * big - 1), big - 1);
    }

    /// W_max = 100 segments, reduced to cwnd_epoch = 70: K = ∛(30 / 0.4) =
    /// ∛75 = 4.217163 s; W(0) = 70, W(K) = 100, W(K + 1 s) = 100.4 segments.
    #[test]
    fn window_function_matches_figures_1_and_2() {
        let mut cc = Cubic::new(MSS, 100 * MSS);
        cc.on_congestion_event(SimTime::ZERO, 100 * MSS);
        assert_eq!(cc.cwnd(), 70 * MSS);
        assert_eq!(cc.ssthresh(), 70 * MSS);
        assert_eq!(cc.w_max(), 100_000);
        cc.on_ack(&ack(1000, MSS, 70 * MSS, 0));
        assert_eq!(cc.k().as_nanos() / 1000, 4_217_163);
        let w = |s: f64| cc.w_cubic(SimTime::from_nanos((s * 1e9) as u64)) as f64 / 1000.0;
        assert!((w(0.0) - 70.0).abs() < 0.002, "{}", w(0.0));
        assert!((w(4.217163) - 100.0).abs() < 0.002);
        assert!((w(5.217163) - 100.4).abs() < 0.002);
        // 2 s: 100 + 0.4·(2 − 4.217163)³ = 95.6404 segments.
        assert!((w(2.0) - 95.6404).abs() < 0.002, "{}", w(2.0));
    }

    #[test]
    fn fast_convergence_lowers_w_max() {
        let mut cc = Cubic::new(MSS, 100 * MSS);
        cc.on_congestion_event(SimTime::ZERO, 100 * MSS);
        // A second loss before regaining W_max = 100: W_max = 70·(1 + 0.7)/2 = 59.5.
        cc.on_congestion_event(SimTime::from_secs(1), 70 * MSS);
        assert_eq!(cc.w_max(), 59_500);
        assert_eq!(cc.cwnd(), 49 * MSS);
    }

    /// §4.5: the target is W_cubic(t + RTT) but never above 1.5·cwnd; the
    /// increase per ACK is (target − cwnd)/cwnd segments.
    #[test]
    fn growth_per_ack_follows_the_target() {
        let mut cc = Cubic::new(MSS, 100 * MSS);
        cc.on_congestion_event(SimTime::ZERO, 100 * MSS);
        // The first ACK starts the stage (t = 0, where Reno's estimate leads).
        cc.on_ack(&ack(0, MSS, 70 * MSS, 100));
        let start = u64::from(cc.cwnd());
        // At t = 1 s the curve (86.7 segments) is far above W_est: concave region.
        assert!(cc.w_cubic(SimTime::from_secs(1)) > cc.w_est() + 10 * u64::from(MSS));
        cc.on_ack(&ack(1000, MSS, start as u32, 100));
        let target = cc.w_cubic(SimTime::from_millis(1100));
        assert_eq!(
            u64::from(cc.cwnd()),
            start + (target - start) * 1000 / start
        );
        // Far past K, the clamp to 1.5·cwnd binds: half a segment per ACK.
        let before = u64::from(cc.cwnd());
        cc.cwnd_rem = 0;
        cc.on_ack(&ack(60_000, MSS, before as u32, 100));
        assert_eq!(u64::from(cc.cwnd()), before + (before / 2) * 1000 / before);
    }

    /// §4.3: right after a reduction the Reno estimate starts at cwnd_epoch and
    /// grows by α = 9/17 segment per window of ACKs; at a short RTT it beats
    /// the cubic curve, so cwnd follows it.
    #[test]
    fn reno_friendly_region() {
        let mut cc = Cubic::new(MSS, 10 * MSS);
        cc.on_congestion_event(SimTime::ZERO, 10 * MSS);
        assert_eq!(cc.cwnd(), 7 * MSS);
        // One window's worth of ACKs within the first millisecond.
        for _ in 0..7 {
            let cwnd = cc.cwnd();
            cc.on_ack(&ack(0, MSS, cwnd, 1));
        }
        // W_est ≈ 7 + 9/17 = 7.53 segments (a little more: cwnd grows along).
        let w_est = cc.w_est();
        assert!((7_500..7_530).contains(&w_est), "{w_est}");
        assert_eq!(u64::from(cc.cwnd()), w_est);
    }

    /// §4.3: α_cubic becomes 1 once W_est reaches cwnd_prior.
    #[test]
    fn alpha_is_one_above_cwnd_prior() {
        let mut cc = Cubic::new(MSS, 10 * MSS);
        cc.on_congestion_event(SimTime::ZERO, 10 * MSS);
        cc.on_ack(&ack(0, MSS, 7 * MSS, 1));
        cc.w_est = 10 * u64::from(MSS); // reached cwnd_prior = 10 segments
        cc.w_est_rem = 0;
        cc.cwnd = 10 * MSS;
        cc.grow_w_est(10 * MSS);
        assert_eq!(cc.w_est(), 11 * u64::from(MSS));
    }

    /// §4.8: after a timeout cwnd = 1 SMSS, ssthresh from β, and the next
    /// stage starts with K = 0 at the window it has then.
    #[test]
    fn timeout_restarts_the_curve() {
        let mut cc = Cubic::new(MSS, 40 * MSS);
        cc.on_rto(SimTime::ZERO, 40 * MSS, true);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (MSS, 28 * MSS));
        cc.on_rto(SimTime::ZERO, 2 * MSS, false);
        assert_eq!((cc.cwnd(), cc.ssthresh()), (MSS, 28 * MSS));
        cc.set_cwnd(28 * MSS);
        cc.on_ack(&ack(5000, MSS, 28 * MSS, 0));
        assert_eq!(cc.k(), SimTime::ZERO);
        assert_eq!(cc.w_max(), 28_000);
    }

    #[test]
    fn slow_start_and_idle_window() {
        let mut cc = Cubic::new(MSS, 10 * MSS);
        cc.on_ack(&ack(0, 2 * MSS, 10 * MSS, 0));
        assert_eq!(cc.cwnd(), 11 * MSS);
        cc.on_ack(&ack(0, MSS, MSS, 0)); // window not used: no growth
        assert_eq!(cc.cwnd(), 11 * MSS);
        cc.on_idle_restart(4 * MSS);
        assert_eq!(cc.cwnd(), 4 * MSS);
    }
}
