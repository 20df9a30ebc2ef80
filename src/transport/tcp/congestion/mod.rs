//! Congestion control behind one trait (RFC 5681 vocabulary).
//!
//! The controller owns `cwnd` and `ssthresh` and decides how they grow and how
//! they shrink on a congestion signal. Loss *recovery* (which segment to resend,
//! NewReno's window inflation, RFC 6675's pipe) stays in the connection; during
//! recovery the connection sets the window through `set_cwnd` and tells the
//! controller when recovery ends.
//!
//! Adding an algorithm means one more file here implementing
//! `CongestionControl`, plus a variant in `CongestionAlgorithm`.
//!
//! | file | algorithm |
//! |---|---|
//! | `newreno.rs` | RFC 5681 growth, RFC 6582 reductions |
//! | `cubic.rs` | CUBIC, RFC 9438 |
//! | `dctcp.rs` | DCTCP, RFC 8257 (needs ECN) |
//! | `bbr.rs` | BBR v1, draft-cardwell-iccrg-bbr-congestion-control-00 (paces) |

use std::fmt;

use crate::sim::SimTime;

mod bbr;
mod cubic;
mod dctcp;
mod newreno;

pub use bbr::Bbr;
pub use cubic::Cubic;
pub use dctcp::Dctcp;
pub use newreno::NewReno;

/// Whether an ACK found the window in use, so that it may grow it: before the
/// ACK the flight filled cwnd within one SMSS (half of it in slow start).
/// Without this (the concern of RFC 7661) an application- or receiver-limited
/// sender would inflate cwnd without bound.
pub fn window_was_used(cwnd: u32, ssthresh: u32, smss: u32, flight_before: u32) -> bool {
    if cwnd < ssthresh {
        u64::from(flight_before) * 2 >= u64::from(cwnd)
    } else {
        u64::from(flight_before) + u64::from(smss) >= u64::from(cwnd)
    }
}

/// Every ACK that advanced SND.UNA on an ECN connection, in recovery or not
/// (what DCTCP's estimate of the marked fraction counts, RFC 8257 §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcnAck {
    /// Bytes newly acknowledged.
    pub bytes_acked: u64,
    /// The ACK carried ECE.
    pub ece: bool,
    /// SND.UNA after this ACK and SND.NXT, as offsets from the ISS.
    pub snd_una: u64,
    pub snd_nxt: u64,
}

/// What an ACK that advanced SND.UNA (outside loss recovery) tells the controller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AckSample {
    pub now: SimTime,
    /// Payload bytes newly acknowledged (N in RFC 5681).
    pub bytes_acked: u32,
    /// FlightSize just before this ACK (bytes sent and not cumulatively acknowledged).
    pub flight_before: u32,
    /// The RTT sample this ACK produced, if any.
    pub rtt: Option<SimTime>,
    /// The smoothed RTT after this ACK, if known.
    pub srtt: Option<SimTime>,
}

/// A delivery-rate sample (draft-cheng-iccrg-delivery-rate-estimation §3.3),
/// for controllers that model the path (BBR): taken on every cumulative ACK,
/// in loss recovery or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateSample {
    pub now: SimTime,
    /// Bytes delivered over `interval` (rs.delivered).
    pub delivered: u64,
    /// The longer of the send and ACK intervals (rs.interval).
    pub interval: SimTime,
    /// C.delivered when the sampled segment was sent (rs.prior_delivered).
    pub prior_delivered: u64,
    /// C.delivered now.
    pub total_delivered: u64,
    /// From the sampled segment's send to this ACK, unless it was a
    /// retransmission (Karn's rule).
    pub rtt: Option<SimTime>,
    /// Bytes this ACK newly acknowledged.
    pub newly_acked: u64,
    /// Bytes in flight after this ACK.
    pub inflight: u64,
}

pub trait CongestionControl: fmt::Debug + Send {
    /// Short lowercase name for traces ("newreno").
    fn name(&self) -> &'static str;
    fn cwnd(&self) -> u32;
    fn ssthresh(&self) -> u32;
    /// The sender MSS became known (after the handshake): restart from `iw` bytes.
    fn init(&mut self, smss: u32, iw: u32);
    /// New data cumulatively acknowledged outside loss recovery.
    fn on_ack(&mut self, ack: &AckSample);
    /// Loss detected by duplicate ACKs or SACK (entering fast recovery):
    /// set ssthresh and cwnd = ssthresh (RFC 5681 §3.2 step 2, RFC 6675 §5 step 4.2).
    fn on_congestion_event(&mut self, now: SimTime, flight_size: u32);
    /// Retransmission timeout. `first` is false when the same segment has already
    /// been retransmitted by the timer, in which case ssthresh is held (RFC 5681 §3.1).
    fn on_rto(&mut self, now: SimTime, flight_size: u32, first: bool);
    /// Loss recovery ended (full ACK); `flight_size` is the data still outstanding.
    fn on_recovery_exit(&mut self, now: SimTime, flight_size: u32);
    /// Set cwnd directly (used by loss recovery: NewReno inflation and deflation).
    fn set_cwnd(&mut self, cwnd: u32);
    /// The connection was idle longer than an RTO: cwnd = min(cwnd, restart window)
    /// (RFC 5681 §4.1).
    fn on_idle_restart(&mut self, restart_window: u32);
    /// ECE arrived, at most once per window and outside loss recovery: reduce as
    /// for a loss without retransmitting (RFC 3168 §6.1.2).
    fn on_ecn_echo(&mut self, now: SimTime, flight_size: u32) {
        self.on_congestion_event(now, flight_size);
    }
    /// The controller's own pacing rate in bytes per second, if it has one
    /// (`None`: the connection's default, see `pacing`).
    fn pacing_rate(&self, _srtt: SimTime) -> Option<u64> {
        None
    }
    /// The controller needs pacing whatever `[tcp] pacing` says (BBR).
    fn paces(&self) -> bool {
        false
    }
    /// The controller wants a delivery-rate sample on every cumulative ACK.
    fn wants_rate_samples(&self) -> bool {
        false
    }
    /// A delivery-rate sample (only if `wants_rate_samples`).
    fn on_delivery(&mut self, _rs: &RateSample) {}
    /// Every ACK that advanced SND.UNA on an ECN connection (DCTCP's input).
    fn on_ecn_ack(&mut self, _ack: &EcnAck) {}
    /// The receiver echoes each CE mark exactly (RFC 8257 §3.2) instead of
    /// latching ECE until CWR (RFC 3168 §6.1.3).
    fn echoes_every_mark(&self) -> bool {
        false
    }
}

/// A connection's congestion controller: NewReno, the default, in place (the
/// connection's commonest case then needs no allocation of its own and no
/// pointer to follow on each ACK); the others boxed behind the trait.
#[derive(Debug)]
pub enum Controller {
    NewReno(NewReno),
    Boxed(Box<dyn CongestionControl>),
}

impl std::ops::Deref for Controller {
    type Target = dyn CongestionControl;

    fn deref(&self) -> &Self::Target {
        match self {
            Controller::NewReno(cc) => cc,
            Controller::Boxed(cc) => &**cc,
        }
    }
}

impl std::ops::DerefMut for Controller {
    fn deref_mut(&mut self) -> &mut Self::Target {
        match self {
            Controller::NewReno(cc) => cc,
            Controller::Boxed(cc) => &mut **cc,
        }
    }
}
