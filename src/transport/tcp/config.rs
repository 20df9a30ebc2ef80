//! Per-connection TCP parameters and their defaults.

use crate::sim::SimTime;

use super::congestion::{CongestionControl, NewReno};

/// Which congestion controller a connection runs (RFC 5681 family).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CongestionAlgorithm {
    /// RFC 5681 slow start / congestion avoidance; loss recovery is NewReno
    /// (RFC 6582) or SACK-based (RFC 6675) depending on negotiation.
    #[default]
    NewReno,
}

impl CongestionAlgorithm {
    /// A fresh controller for a connection whose sender MSS is `smss` and
    /// whose initial window is `iw` bytes.
    pub fn build(self, smss: u32, iw: u32) -> Box<dyn CongestionControl> {
        match self {
            CongestionAlgorithm::NewReno => Box::new(NewReno::new(smss, iw)),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            CongestionAlgorithm::NewReno => "newreno",
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
    /// initial window is one segment (RFC 5681 §3.1, RFC 6928 §2).
    pub initial_window_segments: u32,
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
    /// TIME-WAIT duration, 2·MSL (default 60 s, i.e. MSL = 30 s).
    pub time_wait: SimTime,
    /// SYN (or SYN-ACK) retransmissions before giving up (default 6).
    pub syn_retries: u32,
    /// Consecutive RTO expiries for data before giving up (default 15).
    pub data_retries: u32,
    /// Duplicate ACKs that trigger fast retransmit: DupThresh (default 3).
    pub dupack_threshold: u32,
    /// Congestion controller (default NewReno).
    pub congestion: CongestionAlgorithm,
    /// Negotiate ECN (RFC 3168) and react to congestion marks (default off).
    pub ecn: bool,
}

impl Default for TcpConfig {
    fn default() -> Self {
        TcpConfig {
            mss: 1448,
            initial_window_segments: 10,
            send_buffer: 1 << 20,
            recv_buffer: 1 << 20,
            min_rto: SimTime::from_secs(1),
            max_rto: SimTime::from_secs(60),
            initial_rto: SimTime::from_secs(1),
            clock_granularity: SimTime::from_millis(1),
            delayed_ack: Some(SimTime::from_millis(40)),
            sack: true,
            window_scaling: true,
            timestamps: false,
            nodelay: false,
            time_wait: SimTime::from_secs(60),
            syn_retries: 6,
            data_retries: 15,
            dupack_threshold: 3,
            congestion: CongestionAlgorithm::NewReno,
            ecn: false,
        }
    }
}

impl TcpConfig {
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
