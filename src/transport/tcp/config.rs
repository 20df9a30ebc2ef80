//! Per-connection TCP parameters and their defaults.

use crate::sim::SimTime;

use super::congestion::{Bbr, Controller, Cubic, Dctcp, NewReno};
use super::rtt::RtoBounds;

/// Which congestion controller a connection runs (RFC 5681 family).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CongestionAlgorithm {
    /// RFC 5681 slow start / congestion avoidance; loss recovery is NewReno
    /// (RFC 6582) or SACK-based (RFC 6675) depending on negotiation.
    #[default]
    NewReno,
    /// CUBIC (RFC 9438): Linux's and ns-3's default.
    Cubic,
    /// DCTCP (RFC 8257): cuts in proportion to ECN marks; needs ECN.
    Dctcp,
    /// BBR v1 (draft-cardwell-iccrg-bbr-congestion-control-00): paces at its
    /// bottleneck-bandwidth estimate.
    Bbr,
}

impl CongestionAlgorithm {
    /// A fresh controller for a connection whose sender MSS is `smss` and
    /// whose initial window is `iw` bytes. `growth` is the congestion-avoidance
    /// rule of the Reno-style controllers (NewReno and DCTCP); CUBIC and BBR
    /// have their own growth and ignore it (the scenario file refuses the
    /// combination, see `CwndGrowth::applies_to`).
    pub fn build(self, smss: u32, iw: u32, growth: CwndGrowth) -> Controller {
        match self {
            CongestionAlgorithm::NewReno => {
                Controller::NewReno(NewReno::with_growth(smss, iw, growth))
            }
            CongestionAlgorithm::Cubic => Controller::Boxed(Box::new(Cubic::new(smss, iw))),
            CongestionAlgorithm::Dctcp => {
                Controller::Boxed(Box::new(Dctcp::with_growth(smss, iw, growth)))
            }
            CongestionAlgorithm::Bbr => Controller::Boxed(Box::new(Bbr::new(smss, iw))),
        }
    }

    /// Every algorithm, in the order the schema lists them.
    pub const ALL: [CongestionAlgorithm; 4] = [
        CongestionAlgorithm::NewReno,
        CongestionAlgorithm::Cubic,
        CongestionAlgorithm::Dctcp,
        CongestionAlgorithm::Bbr,
    ];

    /// The scenario file's word for it (`[tcp] congestion`).
    pub fn name(self) -> &'static str {
        match self {
            CongestionAlgorithm::NewReno => "newreno",
            CongestionAlgorithm::Cubic => "cubic",
            CongestionAlgorithm::Dctcp => "dctcp",
            CongestionAlgorithm::Bbr => "bbr",
        }
    }
}

/// How a Reno-style window (NewReno, DCTCP) grows in congestion avoidance
/// (cwnd >= ssthresh). Slow start is the same under both rules.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CwndGrowth {
    /// Byte counting (RFC 5681 §3.1, the alternative to equation 3 that it
    /// recommends; RFC 3465): one SMSS once a cwnd's worth of bytes has been
    /// acknowledged, about one SMSS per round trip whatever the ACK ratio
    /// (as Linux does).
    #[default]
    Bytes,
    /// RFC 5681 §3.1 equation 3: cwnd += max(1, SMSS·SMSS/cwnd) bytes on every
    /// ACK of new data, rounded down with no remainder kept. It counts ACKs,
    /// not bytes, so with an ACK for every second segment the window grows
    /// about half an SMSS per round trip (as ns-3's TcpNewReno does).
    PerAck,
}

impl CwndGrowth {
    pub const ALL: [CwndGrowth; 2] = [CwndGrowth::Bytes, CwndGrowth::PerAck];

    /// The scenario file's word for it (`[tcp] cwnd_growth`).
    pub fn name(self) -> &'static str {
        match self {
            CwndGrowth::Bytes => "bytes",
            CwndGrowth::PerAck => "per-ack",
        }
    }

    /// Whether `congestion` grows its window by this rule: NewReno, and DCTCP,
    /// whose growth is Reno's (RFC 8257 §3.5). CUBIC's Reno-friendly estimate
    /// is defined per segment acknowledged (RFC 9438 §4.3) and BBR does not
    /// grow a window this way, so only `Bytes` (the default) goes with them.
    pub fn applies_to(self, congestion: CongestionAlgorithm) -> bool {
        self == CwndGrowth::Bytes
            || matches!(
                congestion,
                CongestionAlgorithm::NewReno | CongestionAlgorithm::Dctcp
            )
    }
}

/// The initial window after the SYN or SYN-ACK had to be sent again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SynLossWindow {
    /// One segment after any retransmitted SYN or SYN-ACK (RFC 5681 §3.1,
    /// RFC 6928 §2: "MUST" be one segment).
    Rfc5681,
    /// One segment only after two or more retransmissions of the SYN or
    /// SYN-ACK; the full initial window after one (Linux's `tcp_init_transfer`,
    /// which reasons that a 1 s initial RTO makes a single retransmission weak
    /// evidence of loss).
    #[default]
    Linux,
    /// The initial window regardless (ns-3's behaviour).
    Keep,
}

impl SynLossWindow {
    pub const ALL: [SynLossWindow; 3] = [
        SynLossWindow::Rfc5681,
        SynLossWindow::Linux,
        SynLossWindow::Keep,
    ];

    /// The scenario file's word for it (`[tcp] syn_loss_window`).
    pub fn name(self) -> &'static str {
        match self {
            SynLossWindow::Rfc5681 => "rfc5681",
            SynLossWindow::Linux => "linux",
            SynLossWindow::Keep => "keep",
        }
    }

    /// Whether `retransmissions` of the SYN or SYN-ACK cut the window to one segment.
    pub fn cuts_after(self, retransmissions: u32) -> bool {
        match self {
            SynLossWindow::Rfc5681 => retransmissions >= 1,
            SynLossWindow::Linux => retransmissions >= 2,
            SynLossWindow::Keep => false,
        }
    }
}

/// How SACK-based loss recovery paces what it sends.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LossRecovery {
    /// RFC 6675 as written: cwnd = ssthresh at once, send while pipe < cwnd.
    #[default]
    Rfc6675,
    /// RFC 6675's choice of what to send, paced by Proportional Rate
    /// Reduction (RFC 6937, the slow-start reduction bound): Linux's and
    /// ns-3's default.
    Prr,
}

impl LossRecovery {
    pub const ALL: [LossRecovery; 2] = [LossRecovery::Rfc6675, LossRecovery::Prr];

    /// The scenario file's word for it (`[tcp] recovery`).
    pub fn name(self) -> &'static str {
        match self {
            LossRecovery::Rfc6675 => "rfc6675",
            LossRecovery::Prr => "prr",
        }
    }
}

/// How the sender decides that a segment is lost, with SACK.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LossDetection {
    /// RFC 6675: DupThresh duplicate ACKs or IsLost (DupThresh segments
    /// SACKed above a hole); a lost retransmission waits for the RTO.
    #[default]
    DupThresh,
    /// RACK-TLP (RFC 8985; see `rack`): lost once a segment sent later was
    /// delivered and RACK.rtt + reo_wnd has passed, retransmissions included,
    /// with a tail loss probe 2·SRTT after the last send. Linux's default.
    RackTlp,
}

impl LossDetection {
    pub const ALL: [LossDetection; 2] = [LossDetection::DupThresh, LossDetection::RackTlp];

    /// The scenario file's word for it (`[tcp] loss_detection`).
    pub fn name(self) -> &'static str {
        match self {
            LossDetection::DupThresh => "dupthresh",
            LossDetection::RackTlp => "rack-tlp",
        }
    }
}

/// When the retransmission timer restarts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RtoRestart {
    /// On an ACK of new data, and when data is sent with the timer off
    /// (RFC 6298 §5.1, §5.3). A fast retransmission waits out the timer that
    /// the last new ACK started.
    #[default]
    NewAck,
    /// Also when the segment at SND.UNA is retransmitted by fast retransmit or
    /// SACK recovery (Linux re-arms the timer on retransmitting the head of
    /// its retransmission queue; ns-2 restarts it at fast retransmit).
    HeadRetransmit,
}

impl RtoRestart {
    pub const ALL: [RtoRestart; 2] = [RtoRestart::NewAck, RtoRestart::HeadRetransmit];

    /// The scenario file's word for it (`[tcp] rto_restart`).
    pub fn name(self) -> &'static str {
        match self {
            RtoRestart::NewAck => "new-ack",
            RtoRestart::HeadRetransmit => "head-retransmit",
        }
    }
}

/// When a backed-off retransmission timeout comes back down.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RtoBackoff {
    /// At the next valid RTT sample, from a segment that was not
    /// retransmitted (Karn's algorithm, RFC 6298 §3 and §5.5): until then
    /// every timeout doubles the last.
    #[default]
    Karn,
    /// At every ACK of new data, from SRTT and RTTVAR as they are (as ns-3's
    /// TCP does; Linux, whose timestamps time retransmissions too, rarely
    /// keeps a backoff longer).
    NewAck,
}

impl RtoBackoff {
    pub const ALL: [RtoBackoff; 2] = [RtoBackoff::Karn, RtoBackoff::NewAck];

    /// The scenario file's word for it (`[tcp] rto_backoff`).
    pub fn name(self) -> &'static str {
        match self {
            RtoBackoff::Karn => "karn",
            RtoBackoff::NewAck => "new-ack",
        }
    }
}

/// Which ACK ends the timing of the one segment timed at a time (RFC 6298
/// §3, without timestamps).
///
/// Both obey Karn's rule: the timed segment was sent once, so the first
/// report of its arrival, cumulative or selective, measures its round trip.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RttSample {
    /// The first ACK that reports the segment, cumulatively or in a SACK block
    /// (Linux takes an RTT from newly SACKed segments that were never
    /// retransmitted, `sack_rtt_us` in `tcp_sacktag_one`). Behind a hole the
    /// sample then measures the path, not the repair of the hole.
    #[default]
    Sack,
    /// Only the ACK that acknowledges it cumulatively (4.4BSD's `t_rtt`, and
    /// ns-3's segment history). Behind a hole that ACK comes only after the
    /// repair, and the retransmission below the timed segment voids the timing.
    Cumulative,
}

impl RttSample {
    pub const ALL: [RttSample; 2] = [RttSample::Sack, RttSample::Cumulative];

    /// The scenario file's word for it (`[tcp] rtt_sample`).
    pub fn name(self) -> &'static str {
        match self {
            RttSample::Sack => "sack",
            RttSample::Cumulative => "cumulative",
        }
    }
}

/// The FlightSize that sets ssthresh when fast recovery starts (RFC 5681
/// §3.1 equation 4, ssthresh = max(FlightSize / 2, 2·SMSS)).
///
/// Neither reference implementation counts it this way: Linux takes ssthresh
/// from cwnd when recovery starts (`tcp_init_cwnd_reduction` calls the
/// algorithm's `ssthresh`, for Reno `tcp_reno_ssthresh`: max(cwnd / 2, 2
/// segments)); ns-3 (`TcpSocketBase::EnterRecovery`) passes its pipe estimate
/// `BytesInFlight()` (which leaves out lost and SACKed segments; one segment
/// more without SACK) to `GetSsThresh`, for NewReno max(2·SMSS, that / 2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LossFlight {
    /// Everything outstanding when recovery starts, SND.MAX − SND.UNA,
    /// including what limited transmit sent on the duplicate ACKs before it
    /// (netsim's default until issue 16; kept for comparison).
    Outstanding,
    /// The default: what was outstanding when the first of those duplicate
    /// ACKs arrived. RFC 5681 §3.2 step 2 ("When [RFC3042] is in use,
    /// additional data sent in limited transmit MUST NOT be included in this
    /// calculation"), which RFC 6675 §5 step 4.2 repeats for SACK recovery.
    #[default]
    BeforeLimitedTransmit,
    /// ns-3's rule, not RFC 5681's: the sender's estimate of what is still in
    /// the network (RFC 6675 pipe: outstanding less what is SACKed and what
    /// is deemed lost). Without SACK each duplicate ACK counts as one segment
    /// that left the network.
    Pipe,
}

impl LossFlight {
    pub const ALL: [LossFlight; 3] = [
        LossFlight::Outstanding,
        LossFlight::BeforeLimitedTransmit,
        LossFlight::Pipe,
    ];

    /// The scenario file's word for it (`[tcp] loss_flight`).
    pub fn name(self) -> &'static str {
        match self {
            LossFlight::Outstanding => "outstanding",
            LossFlight::BeforeLimitedTransmit => "before-limited-transmit",
            LossFlight::Pipe => "pipe",
        }
    }
}

/// Keep-alive probing of an idle connection (RFC 9293 §3.8.4, RFC 1122
/// §4.2.3.6): after `idle` without receiving anything, a probe every
/// `interval`; `probes` unanswered probes end the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeepAlive {
    pub idle: SimTime,
    pub interval: SimTime,
    pub probes: u32,
}

impl Default for KeepAlive {
    /// Linux's defaults (tcp_keepalive_time, _intvl, _probes): 2 h, 75 s, 9;
    /// RFC 1122 asks for an idle time of no less than two hours.
    fn default() -> Self {
        KeepAlive {
            idle: SimTime::from_secs(7200),
            interval: SimTime::from_secs(75),
            probes: 9,
        }
    }
}

/// Upper bound for the delayed-ACK timer (RFC 1122 §4.2.3.2: "MUST be less than 0.5 seconds").
pub const MAX_DELAYED_ACK: SimTime = SimTime::from_millis(500);

/// The largest window scale shift (RFC 7323 §2.3).
pub const MAX_WINDOW_SCALE: u8 = 14;

/// The MSS assumed when the peer's SYN carries no MSS option (RFC 9293 §3.7.1).
pub const DEFAULT_PEER_MSS: u16 = 536;

/// TCP parameters. Every field is public; `Default` gives the values listed on each field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpConfig {
    /// The MSS this side announces in its SYN (default 1448 = 1500 − 20 IP − 20 TCP − 12
    /// timestamp option, so segments fit a 1500-byte MTU with or without timestamps).
    /// The sender uses min(this, peer's MSS option or 536), less 12 bytes when timestamps
    /// are negotiated.
    pub mss: u16,
    /// Initial window in segments (default 10). 10 applies RFC 6928:
    /// IW = min(10·MSS, max(2·MSS, 14600)); 0 applies RFC 5681 §3.1 (2–4 segments
    /// depending on MSS); any other N gives N·MSS. After a lost SYN or SYN-ACK the
    /// initial window may be one segment: see `syn_loss_window`.
    pub initial_window_segments: u32,
    /// The initial window after a retransmitted SYN or SYN-ACK (default Linux's rule).
    pub syn_loss_window: SynLossWindow,
    /// Send buffer in bytes (default 1 MiB): how far `send` may run ahead of the
    /// cumulative ACK.
    pub send_buffer: u32,
    /// Receive buffer in bytes (default 1 MiB): the largest window this side advertises;
    /// it also picks the window-scale shift offered in the SYN.
    pub recv_buffer: u32,
    /// Lower bound of the RTO (default 1 s, RFC 6298 §2.4; 200 ms is a common choice).
    pub min_rto: SimTime,
    /// Upper bound of the RTO (default 60 s, RFC 6298 §2.5).
    pub max_rto: SimTime,
    /// RTO before the first RTT sample (default 1 s, RFC 6298 §2.1).
    pub initial_rto: SimTime,
    /// The RTO when data transfer begins after a retransmitted SYN and no RTT
    /// sample, if larger than `initial_rto` (default 3 s, RFC 6298 §5.7).
    pub syn_loss_rto: SimTime,
    /// When the retransmission timer restarts (default RFC 6298's rule).
    pub rto_restart: RtoRestart,
    /// When a backed-off RTO comes back down (default Karn's rule).
    pub rto_backoff: RtoBackoff,
    /// Which ACK ends an RTT timing (default: the first that reports the segment).
    pub rtt_sample: RttSample,
    /// FlightSize for ssthresh at the start of fast recovery (default: all
    /// that is outstanding).
    pub loss_flight: LossFlight,
    /// Clock granularity G in RTO = SRTT + max(G, 4·RTTVAR) (default 1 ms).
    pub clock_granularity: SimTime,
    /// Delayed-ACK timeout, or `None` to ACK every segment (default 40 ms; clamped to
    /// 500 ms per RFC 1122). An ACK is sent at least for every second full-sized segment.
    pub delayed_ack: Option<SimTime>,
    /// Offer SACK-permitted (RFC 2018; default true). SACK is used when both SYNs carry it.
    pub sack: bool,
    /// Offer window scaling (RFC 7323; default true).
    pub window_scaling: bool,
    /// Offer timestamps (RFC 7323; default false). When negotiated: RTT samples from
    /// TSecr (one per ACK that advances SND.UNA, retransmissions included), a
    /// microsecond TSval clock, and 12 bytes less payload per segment. No PAWS.
    pub timestamps: bool,
    /// Disable Nagle's algorithm (RFC 9293 §3.7.4; default false = Nagle on).
    pub nodelay: bool,
    /// SO_OOBINLINE: leave the peer's urgent byte in the stream instead of
    /// setting it aside for `recv_urgent` (default false, as in BSD and Linux).
    pub oob_inline: bool,
    /// Pace data segments (see `pacing`; default off).
    pub pacing: bool,
    /// TIME-WAIT duration, 2·MSL (default 60 s, i.e. MSL = 30 s).
    pub time_wait: SimTime,
    /// SYN (or SYN-ACK) retransmissions before giving up (default 6).
    pub syn_retries: u32,
    /// Consecutive RTO expiries for data before giving up (default 15).
    pub data_retries: u32,
    /// Duplicate ACKs that trigger fast retransmit: DupThresh (default 3).
    pub dupack_threshold: u32,
    /// Pacing of SACK-based recovery (default RFC 6675's).
    pub recovery: LossRecovery,
    /// Loss detection with SACK (default RFC 6675's DupThresh).
    pub loss_detection: LossDetection,
    /// Congestion controller (default NewReno).
    pub congestion: CongestionAlgorithm,
    /// Congestion-avoidance growth of NewReno and DCTCP (default byte counting).
    pub cwnd_growth: CwndGrowth,
    /// Negotiate ECN (RFC 3168) and react to congestion marks (default off).
    pub ecn: bool,
    /// Keep-alive probing, or `None` (default: off, as RFC 9293 §3.8.4 requires).
    pub keepalive: Option<KeepAlive>,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1448,
            initial_window_segments: 10,
            syn_loss_window: SynLossWindow::Linux,
            send_buffer: 1 << 20,
            recv_buffer: 1 << 20,
            min_rto: SimTime::from_secs(1),
            max_rto: SimTime::from_secs(60),
            initial_rto: SimTime::from_secs(1),
            syn_loss_rto: SimTime::from_secs(3),
            rto_restart: RtoRestart::NewAck,
            rto_backoff: RtoBackoff::Karn,
            rtt_sample: RttSample::Sack,
            loss_flight: LossFlight::BeforeLimitedTransmit,
            clock_granularity: SimTime::from_millis(1),
            delayed_ack: Some(SimTime::from_millis(40)),
            sack: true,
            window_scaling: true,
            timestamps: false,
            nodelay: false,
            oob_inline: false,
            pacing: false,
            time_wait: SimTime::from_secs(60),
            syn_retries: 6,
            data_retries: 15,
            dupack_threshold: 3,
            recovery: LossRecovery::Rfc6675,
            loss_detection: LossDetection::DupThresh,
            congestion: CongestionAlgorithm::NewReno,
            cwnd_growth: CwndGrowth::Bytes,
            ecn: false,
            keepalive: None,
        }
    }
}

impl TcpConfig {
    /// The RTO's bounds and G, as the estimator applies them.
    pub fn rto_bounds(&self) -> RtoBounds {
        RtoBounds::new(self.min_rto, self.max_rto, self.clock_granularity)
    }

    /// The window-scale shift this side offers: the smallest shift that lets the
    /// 16-bit window field describe the whole receive buffer (RFC 7323 §2.3).
    pub fn window_scale_shift(&self) -> u8 {
        let mut shift = 0u8;
        while shift < MAX_WINDOW_SCALE && (u64::from(self.recv_buffer) >> shift) > 0xffff {
            shift += 1;
        }
        shift
    }

    /// The initial congestion window in bytes for a sender MSS of `smss`.
    pub fn initial_window(&self, smss: u32) -> u32 {
        let smss = smss.max(1);
        match self.initial_window_segments {
            // RFC 5681 §3.1.
            0 => {
                if smss > 2190 {
                    2 * smss
                } else if smss > 1095 {
                    3 * smss
                } else {
                    4 * smss
                }
            }
            // RFC 6928 §2.
            10 => (10 * smss).min((2 * smss).max(14600)),
            n => n.saturating_mul(smss),
        }
    }

    /// The delayed-ACK timeout actually used (RFC 1122 limit applied).
    pub fn delayed_ack_timeout(&self) -> Option<SimTime> {
        self.delayed_ack.map(|d| d.min(MAX_DELAYED_ACK))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initial_window_rules() {
        let cfg = TcpConfig::default();
        assert_eq!(cfg.initial_window(1448), 14480);
        assert_eq!(cfg.initial_window(1460), 14600);
        assert_eq!(cfg.initial_window(536), 5360);
        assert_eq!(cfg.initial_window(9000), 18000);
        let cfg = TcpConfig {
            initial_window_segments: 0,
            ..TcpConfig::default()
        };
        assert_eq!(cfg.initial_window(1460), 4380);
        assert_eq!(cfg.initial_window(536), 2144);
        let cfg = TcpConfig {
            initial_window_segments: 4,
            ..TcpConfig::default()
        };
        assert_eq!(cfg.initial_window(1000), 4000);
    }

    #[test]
    fn window_scale_from_buffer() {
        let mut cfg = TcpConfig::default();
        assert_eq!(cfg.window_scale_shift(), 5); // 1 MiB / 32 = 32768
        cfg.recv_buffer = 65535;
        assert_eq!(cfg.window_scale_shift(), 0);
        cfg.recv_buffer = 65536;
        assert_eq!(cfg.window_scale_shift(), 1);
        cfg.recv_buffer = u32::MAX;
        assert_eq!(cfg.window_scale_shift(), 14);
    }
}
