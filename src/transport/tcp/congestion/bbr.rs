//! BBR version 1, as published in draft-cardwell-iccrg-bbr-congestion-control-00
//! (Cardwell, Cheng, Hassas Yeganeh, Jacobson, 2017). Section numbers below
//! are that draft's.
//!
//! The model: the bottleneck bandwidth BtlBw is the maximum delivery rate of
//! the last 10 round trips (§4.1.1), the round-trip propagation time RTprop
//! the minimum RTT of the last 10 s (§4.1.2). The sender paces at
//! pacing_gain × BtlBw and keeps cwnd at cwnd_gain × BDP plus three send
//! quanta (§4.2.3.2; a quantum is 1 SMSS below 1.2 Mbit/s, 2 below 24,
//! §4.2.2) through four states (§4.3): STARTUP (gain 2/ln 2 ≈ 2.885) until
//! BtlBw grows less than 25% in three rounds (§4.3.2.2); DRAIN (1/2.885) until
//! the flight is one BDP; PROBE_BW cycling pacing gains 5/4, 3/4, 1 × 6, one
//! RTprop each (§4.3.3); PROBE_RTT (cwnd 4 segments for 200 ms and a round)
//! when RTprop has not been seen for 10 s (§4.3.4). On loss: packet
//! conservation for one round of fast recovery, cwnd back to its prior value
//! after it; one segment after an RTO (§4.2.3.4).
//!
//! Arithmetic in integers: gains in thousandths, rates in bytes per second.
//! Stated departures: PROBE_BW starts in the first cruising phase (index 2)
//! instead of a random one (§4.3.3.6 draws it: netsim's controllers have no
//! random stream, and a fixed phase keeps runs byte-identical); samples are
//! never application-limited (see `rate`); BtlBw is the maximum of per-round
//! maxima over the last 10 rounds.

use super::{AckSample, CongestionControl, RateSample};
use crate::sim::SimTime;

/// Gains in thousandths.
const UNIT: u64 = 1000;
/// 2/ln 2: the smallest gain that doubles the sending rate each round (§4.3.2.1).
pub const HIGH_GAIN: u64 = 2885;
/// Its inverse, DRAIN's pacing gain.
pub const DRAIN_GAIN: u64 = UNIT * UNIT / HIGH_GAIN;
/// PROBE_BW's eight phases (§4.3.3.5).
pub const GAIN_CYCLE: [u64; 8] = [1250, 750, 1000, 1000, 1000, 1000, 1000, 1000];
/// PROBE_BW's cwnd gain (§4.3.3).
const PROBE_BW_CWND_GAIN: u64 = 2000;
/// BtlBw's window in round trips, RTprop's in time (§4.1.1, §4.1.2).
pub const BTLBW_ROUNDS: u64 = 10;
pub const RTPROP_WINDOW: SimTime = SimTime::from_secs(10);
/// PROBE_RTT's stay and cwnd (§4.3.4).
pub const PROBE_RTT_TIME: SimTime = SimTime::from_millis(200);
const MIN_PIPE_SEGMENTS: u64 = 4;
/// Full-pipe test: BtlBw must grow by 25% (5/4) within three rounds (§4.3.2.2).
const FULL_BW_ROUNDS: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Startup,
    Drain,
    ProbeBw,
    ProbeRtt,
}

#[derive(Debug)]
pub struct Bbr {
    smss: u32,
    iw: u32,
    cwnd: u32,
    prior_cwnd: u32,
    mode: Mode,
    pacing_gain: u64,
    cwnd_gain: u64,
    /// (round, max delivery rate in that round), one slot per round mod 10.
    bw_rounds: [(u64, u64); BTLBW_ROUNDS as usize],
    round_count: u64,
    next_round_delivered: u64,
    round_start: bool,
    rtprop: Option<SimTime>,
    rtprop_stamp: SimTime,
    full_bw: u64,
    full_bw_count: u32,
    filled_pipe: bool,
    cycle_index: usize,
    cycle_stamp: SimTime,
    probe_rtt_done: Option<SimTime>,
    probe_rtt_round_done: bool,
    in_recovery: bool,
    packet_conservation: bool,
}

impl Bbr {
    pub fn new(smss: u32, iw: u32) -> Self {
        Bbr {
            smss,
            iw,
            cwnd: iw,
            prior_cwnd: iw,
            mode: Mode::Startup,
            pacing_gain: HIGH_GAIN,
            cwnd_gain: HIGH_GAIN,
            bw_rounds: [(0, 0); BTLBW_ROUNDS as usize],
            round_count: 0,
            next_round_delivered: 0,
            round_start: false,
            rtprop: None,
            rtprop_stamp: SimTime::ZERO,
            full_bw: 0,
            full_bw_count: 0,
            filled_pipe: false,
            cycle_index: 0,
            cycle_stamp: SimTime::ZERO,
            probe_rtt_done: None,
            probe_rtt_round_done: false,
            in_recovery: false,
            packet_conservation: false,
        }
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub fn filled_pipe(&self) -> bool {
        self.filled_pipe
    }

    /// BtlBw: the largest per-round delivery rate of the last 10 rounds, B/s.
    pub fn btlbw(&self) -> u64 {
        self.bw_rounds
            .iter()
            .filter(|(round, _)| round + BTLBW_ROUNDS > self.round_count)
            .map(|&(_, bw)| bw)
            .max()
            .unwrap_or(0)
    }

    pub fn rtprop(&self) -> Option<SimTime> {
        self.rtprop
    }

    /// BBRInflight(gain) (§4.2.3.2): gain × BtlBw × RTprop plus three send
    /// quanta, or the initial window before there is a model. The quanta
    /// count in every use: the cwnd target, DRAIN's exit and the gain
    /// cycle's phase tests.
    pub fn inflight(&self, gain: u64) -> u64 {
        match self.rtprop {
            Some(rtprop) if self.btlbw() > 0 => {
                let bdp = u128::from(self.btlbw()) * u128::from(rtprop.as_nanos()) / 1_000_000_000;
                (bdp * u128::from(gain) / u128::from(UNIT)) as u64 + 3 * self.send_quantum()
            }
            _ => u64::from(self.iw),
        }
    }

    /// BBR.send_quantum (§4.2.2) from the pacing rate pacing_gain × BtlBw:
    /// 1 ms of sending at that rate, at most 64 KB, and at least one SMSS
    /// below 1.2 Mbit/s, two from there on.
    fn send_quantum(&self) -> u64 {
        let rate = u128::from(self.btlbw()) * u128::from(self.pacing_gain) / u128::from(UNIT);
        let smss = u64::from(self.smss);
        let floor = if rate < 1_200_000 / 8 { smss } else { 2 * smss };
        ((rate / 1000) as u64).min(64 * 1024).max(floor)
    }

    /// BBR.target_cwnd = BBRInflight(cwnd_gain) (§4.2.3.2).
    fn target_cwnd(&self) -> u64 {
        self.inflight(self.cwnd_gain)
    }

    fn min_cwnd(&self) -> u64 {
        MIN_PIPE_SEGMENTS * u64::from(self.smss)
    }

    fn update_round(&mut self, rs: &RateSample) {
        self.round_start = rs.prior_delivered >= self.next_round_delivered;
        if self.round_start {
            self.next_round_delivered = rs.total_delivered;
            self.round_count += 1;
            // Conservation lasts the first round of recovery (§4.2.3.4).
            self.packet_conservation = false;
        }
    }

    fn update_btlbw(&mut self, rs: &RateSample) {
        if rs.delivered == 0 || rs.interval == SimTime::ZERO {
            return;
        }
        // A sample over less than RTprop is compressed by the ACK path
        // (delivery-rate estimation §3.3: such a sample is invalid).
        if self.rtprop.is_some_and(|r| rs.interval < r) {
            return;
        }
        let bw =
            (u128::from(rs.delivered) * 1_000_000_000 / u128::from(rs.interval.as_nanos())) as u64;
        let slot = &mut self.bw_rounds[(self.round_count % BTLBW_ROUNDS) as usize];
        if slot.0 != self.round_count {
            *slot = (self.round_count, bw);
        } else {
            slot.1 = slot.1.max(bw);
        }
    }

    /// §4.3.2.2: the pipe is full once BtlBw grew less than 25% in three
    /// rounds in a row.
    fn check_full_pipe(&mut self) {
        if self.filled_pipe || !self.round_start {
            return;
        }
        let bw = self.btlbw();
        if bw * 4 >= self.full_bw * 5 {
            self.full_bw = bw;
            self.full_bw_count = 0;
            return;
        }
        self.full_bw_count += 1;
        if self.full_bw_count >= FULL_BW_ROUNDS {
            self.filled_pipe = true;
        }
    }

    fn enter_probe_bw(&mut self, now: SimTime) {
        self.mode = Mode::ProbeBw;
        self.cwnd_gain = PROBE_BW_CWND_GAIN;
        self.cycle_index = 2;
        self.pacing_gain = GAIN_CYCLE[self.cycle_index];
        self.cycle_stamp = now;
    }

    fn check_drain(&mut self, now: SimTime, inflight: u64) {
        if self.mode == Mode::Startup && self.filled_pipe {
            self.mode = Mode::Drain;
            self.pacing_gain = DRAIN_GAIN;
            self.cwnd_gain = HIGH_GAIN;
        }
        if self.mode == Mode::Drain && inflight <= self.inflight(UNIT) {
            self.enter_probe_bw(now);
        }
    }

    /// §4.3.3.6: a phase lasts one RTprop; probing up also waits until the
    /// flight reaches its target, probing down ends early once the flight
    /// is one BDP.
    fn update_cycle(&mut self, now: SimTime, prior_inflight: u64) {
        if self.mode != Mode::ProbeBw {
            return;
        }
        let full_length = self.rtprop.is_some_and(|r| now - self.cycle_stamp > r);
        let next = match self.pacing_gain.cmp(&UNIT) {
            std::cmp::Ordering::Equal => full_length,
            std::cmp::Ordering::Greater => {
                full_length && prior_inflight >= self.inflight(self.pacing_gain)
            }
            std::cmp::Ordering::Less => full_length || prior_inflight <= self.inflight(UNIT),
        };
        if next {
            self.cycle_index = (self.cycle_index + 1) % GAIN_CYCLE.len();
            self.pacing_gain = GAIN_CYCLE[self.cycle_index];
            self.cycle_stamp = now;
        }
    }

    /// §4.1.2 and §4.3.4: RTprop's filter, and PROBE_RTT when it expired.
    fn update_rtprop_and_probe_rtt(&mut self, rs: &RateSample) {
        let now = rs.now;
        let expired = now > self.rtprop_stamp + RTPROP_WINDOW;
        if let Some(rtt) = rs.rtt
            && (self.rtprop.is_none_or(|r| rtt <= r) || expired)
        {
            self.rtprop = Some(rtt);
            self.rtprop_stamp = now;
        }
        if expired && self.mode != Mode::ProbeRtt {
            self.mode = Mode::ProbeRtt;
            self.pacing_gain = UNIT;
            self.cwnd_gain = UNIT;
            self.prior_cwnd = self.saved_cwnd();
            self.probe_rtt_done = None;
        }
        if self.mode != Mode::ProbeRtt {
            return;
        }
        match self.probe_rtt_done {
            None if rs.inflight <= self.min_cwnd() => {
                self.probe_rtt_done = Some(now + PROBE_RTT_TIME);
                self.probe_rtt_round_done = false;
                self.next_round_delivered = rs.total_delivered;
            }
            Some(done) => {
                if self.round_start {
                    self.probe_rtt_round_done = true;
                }
                if self.probe_rtt_round_done && now >= done {
                    self.rtprop_stamp = now;
                    self.cwnd = self.cwnd.max(self.prior_cwnd);
                    if self.filled_pipe {
                        self.enter_probe_bw(now);
                    } else {
                        self.mode = Mode::Startup;
                        self.pacing_gain = HIGH_GAIN;
                        self.cwnd_gain = HIGH_GAIN;
                    }
                }
            }
            None => {}
        }
    }

    /// BBRSaveCwnd (§4.2.3.4): the cwnd to come back to.
    fn saved_cwnd(&self) -> u32 {
        if !self.in_recovery && self.mode != Mode::ProbeRtt {
            self.cwnd
        } else {
            self.cwnd.max(self.prior_cwnd)
        }
    }

    /// §4.2.3.3 and §4.2.3.4: grow towards the target by what was delivered.
    fn set_cwnd(&mut self, rs: &RateSample) {
        let mut cwnd = u64::from(self.cwnd);
        let target = self.target_cwnd();
        if self.in_recovery && self.packet_conservation {
            cwnd = cwnd.max(rs.inflight + rs.newly_acked);
        } else if self.filled_pipe {
            cwnd = (cwnd + rs.newly_acked).min(target);
        } else if cwnd < target || rs.total_delivered < u64::from(self.iw) {
            cwnd += rs.newly_acked;
        }
        cwnd = cwnd.max(self.min_cwnd());
        if self.mode == Mode::ProbeRtt {
            cwnd = cwnd.min(self.min_cwnd());
        }
        self.cwnd = cwnd.min(u64::from(u32::MAX)) as u32;
    }
}

impl CongestionControl for Bbr {
    fn name(&self) -> &'static str {
        "bbr"
    }

    fn cwnd(&self) -> u32 {
        self.cwnd
    }

    /// BBR keeps no slow-start threshold.
    fn ssthresh(&self) -> u32 {
        u32::MAX
    }

    fn init(&mut self, smss: u32, iw: u32) {
        *self = Bbr::new(smss, iw);
    }

    /// BBR's model moves on every delivery (`on_delivery`), not on these.
    fn on_ack(&mut self, _ack: &AckSample) {}

    fn on_congestion_event(&mut self, _now: SimTime, flight_size: u32) {
        self.prior_cwnd = self.saved_cwnd();
        self.in_recovery = true;
        self.packet_conservation = true;
        // Conservation: what is in flight, plus the fast retransmission.
        self.cwnd = flight_size.saturating_add(self.smss).max(self.smss);
    }

    fn on_rto(&mut self, _now: SimTime, _flight_size: u32, _first: bool) {
        self.prior_cwnd = self.saved_cwnd();
        self.in_recovery = false;
        self.packet_conservation = false;
        self.cwnd = self.smss;
    }

    fn on_recovery_exit(&mut self, _now: SimTime, _flight_size: u32) {
        self.in_recovery = false;
        self.packet_conservation = false;
        self.cwnd = self.cwnd.max(self.prior_cwnd);
    }

    fn set_cwnd(&mut self, cwnd: u32) {
        self.cwnd = cwnd;
    }

    fn on_idle_restart(&mut self, _restart_window: u32) {}

    fn wants_rate_samples(&self) -> bool {
        true
    }

    fn on_delivery(&mut self, rs: &RateSample) {
        let prior_inflight = rs.inflight + rs.newly_acked;
        self.update_round(rs);
        self.update_btlbw(rs);
        self.check_full_pipe();
        self.check_drain(rs.now, rs.inflight);
        self.update_cycle(rs.now, prior_inflight);
        self.update_rtprop_and_probe_rtt(rs);
        self.set_cwnd(rs);
    }

    fn paces(&self) -> bool {
        true
    }

    /// pacing_gain × BtlBw; before a bandwidth sample, the high gain times
    /// the initial window over SRTT (BBRInitPacingRate, §4.2.1).
    fn pacing_rate(&self, srtt: SimTime) -> Option<u64> {
        let bw = self.btlbw();
        let rate = if bw == 0 {
            u128::from(self.iw) * 1_000_000_000 / u128::from(srtt.as_nanos().max(1))
                * u128::from(HIGH_GAIN)
                / u128::from(UNIT)
        } else {
            u128::from(bw) * u128::from(self.pacing_gain) / u128::from(UNIT)
        };
        Some(rate.clamp(1, u128::from(u64::MAX)) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 1000;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    /// A sample of `delivered` bytes over `interval` ms, RTT `rtt` ms,
    /// starting a new round each time.
    fn sample(
        bbr: &Bbr,
        now: u64,
        delivered: u64,
        interval: u64,
        rtt: u64,
        inflight: u64,
    ) -> RateSample {
        let total = bbr.next_round_delivered + delivered;
        RateSample {
            now: ms(now),
            delivered,
            interval: ms(interval),
            prior_delivered: bbr.next_round_delivered,
            total_delivered: total,
            rtt: Some(ms(rtt)),
            newly_acked: MSS.into(),
            inflight,
        }
    }

    #[test]
    fn gains_are_the_drafts() {
        assert_eq!(HIGH_GAIN, 2885, "2/ln 2 = 2.8854");
        assert_eq!(DRAIN_GAIN, 346, "1/2.885");
        assert_eq!(GAIN_CYCLE.iter().sum::<u64>(), 8000, "the cycle averages 1");
    }

    #[test]
    fn btlbw_is_the_max_of_the_last_ten_rounds() {
        let mut b = Bbr::new(MSS, 10 * MSS);
        // One round at 1,000,000 B/s (100 kB over 100 ms), then nine slower.
        let s = sample(&b, 100, 100_000, 100, 50, 0);
        b.on_delivery(&s);
        assert_eq!(b.btlbw(), 1_000_000);
        for i in 0..9 {
            let s = sample(&b, 200 + 100 * i, 50_000, 100, 50, 0);
            b.on_delivery(&s);
        }
        assert_eq!(b.btlbw(), 1_000_000, "still inside ten rounds");
        let s = sample(&b, 1200, 50_000, 100, 50, 0);
        b.on_delivery(&s);
        assert_eq!(b.btlbw(), 500_000, "the fast round left the window");
    }

    #[test]
    fn the_pipe_is_full_after_three_rounds_without_25_percent_growth() {
        let mut b = Bbr::new(MSS, 10 * MSS);
        let mut bw = 100_000;
        // Doubling rounds: still starting up.
        for i in 0..4 {
            let s = sample(&b, 100 * (i + 1), bw / 10, 100, 50, 100_000);
            b.on_delivery(&s);
            bw *= 2;
        }
        assert_eq!(b.mode(), Mode::Startup);
        // Flat: +20% is not enough; three such rounds fill the pipe.
        let flat = bw / 2;
        for (i, grow) in [120u64, 100, 100].iter().enumerate() {
            let s = sample(
                &b,
                500 + 100 * i as u64,
                flat * grow / 100 / 10,
                100,
                50,
                1_000_000,
            );
            b.on_delivery(&s);
            assert_eq!(b.filled_pipe(), i == 2, "round {i}");
        }
        // Full pipe with a flight above one BDP: DRAIN, at the inverse gain.
        assert_eq!(b.mode(), Mode::Drain);
        assert_eq!(b.pacing_gain, DRAIN_GAIN);
    }

    #[test]
    fn cwnd_aims_at_twice_the_bdp_plus_three_send_quanta_in_probe_bw() {
        let mut b = Bbr::new(MSS, 10 * MSS);
        // BtlBw 1,250,000 B/s (10 Mbit/s), RTprop 40 ms: BDP 50,000 B.
        // Pacing at 10 Mbit/s is between 1.2 and 24 Mbit/s: a send quantum
        // of two segments, three of them on top of each BBRInflight.
        let s = sample(&b, 100, 125_000, 100, 40, 0);
        b.on_delivery(&s);
        b.filled_pipe = true;
        b.enter_probe_bw(ms(100));
        assert_eq!(b.send_quantum(), 2 * 1000);
        assert_eq!(b.inflight(UNIT), 50_000 + 3 * 2000);
        assert_eq!(b.target_cwnd(), 2 * 50_000 + 3 * 2000);
        assert_eq!(b.pacing_rate(ms(40)), Some(1_250_000), "cruising at gain 1");
        // Probing up paces at 5/4.
        b.cycle_index = 0;
        b.pacing_gain = GAIN_CYCLE[0];
        assert_eq!(b.pacing_rate(ms(40)), Some(1_562_500));
    }

    #[test]
    fn send_quantum_follows_the_pacing_rate() {
        let mut b = Bbr::new(MSS, 10 * MSS);
        b.pacing_gain = UNIT;
        let mut at = |bytes_per_s: u64| {
            b.bw_rounds[0] = (b.round_count, bytes_per_s);
            b.send_quantum()
        };
        // Below 1.2 Mbit/s (150,000 B/s): 1 ms of sending is 149 B; one segment.
        assert_eq!(at(149_999), 1000);
        // From 1.2 Mbit/s at least two segments, until 1 ms of sending is more.
        assert_eq!(at(150_000), 2000);
        assert_eq!(at(1_999_999), 2000);
        assert_eq!(at(2_500_000), 2500);
        // At most 64 KB.
        assert_eq!(at(100_000_000), 64 * 1024);
    }

    #[test]
    fn probe_rtt_after_ten_seconds_holds_four_segments_for_200_ms_and_a_round() {
        let mut b = Bbr::new(MSS, 10 * MSS);
        let s = sample(&b, 100, 125_000, 100, 40, 50_000);
        b.on_delivery(&s);
        b.filled_pipe = true;
        b.enter_probe_bw(ms(100));
        // RTTs above RTprop for 10 s: the estimate expires.
        let s = sample(&b, 10_200, 125_000, 100, 60, 50_000);
        b.on_delivery(&s);
        assert_eq!(b.mode(), Mode::ProbeRtt);
        assert_eq!(b.cwnd(), 4 * MSS);
        // Once the flight is down to four segments the 200 ms start.
        let s = sample(&b, 10_300, 4_000, 100, 41, 4_000);
        b.on_delivery(&s);
        assert_eq!(b.probe_rtt_done, Some(ms(10_500)));
        let s = sample(&b, 10_400, 4_000, 100, 41, 4_000);
        b.on_delivery(&s);
        assert_eq!(b.mode(), Mode::ProbeRtt, "a round done, 200 ms not yet");
        let s = sample(&b, 10_500, 4_000, 100, 41, 4_000);
        b.on_delivery(&s);
        assert_eq!(b.mode(), Mode::ProbeBw, "back to probing bandwidth");
        assert!(b.cwnd() > 4 * MSS, "the prior cwnd restored");
    }

    #[test]
    fn loss_conserves_packets_for_a_round_and_restores_cwnd_after() {
        let mut b = Bbr::new(MSS, 10 * MSS);
        b.cwnd = 40 * MSS;
        b.on_congestion_event(ms(0), 30 * MSS);
        assert_eq!(b.cwnd(), 31 * MSS, "in flight plus the retransmission");
        b.on_recovery_exit(ms(50), 30 * MSS);
        assert_eq!(b.cwnd(), 40 * MSS);
        b.on_rto(ms(60), 30 * MSS, true);
        assert_eq!(b.cwnd(), MSS);
    }
}
