//! What a connection reports: emitted segments, events, errors and counters.

use std::fmt;

use crate::sim::SimTime;
use crate::wire::tcp::{SeqNum, TcpRepr};

use super::opt64::OptTime;
use super::state::TcpState;

/// A segment to put on the wire. `payload_origin` is the sender's stream offset of
/// the first payload byte (0 = the first byte after the SYN); the payload itself is
/// implied by it and `repr.payload_len`. For segments without payload it is the
/// offset the sequence number stands for (meaningless to the receiver).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outgoing {
    pub repr: TcpRepr,
    pub payload_origin: u64,
    /// Send it as ECN-capable (ECT(0) in the IP header): new data of a
    /// connection that negotiated ECN (RFC 3168 §6.1.1, §6.1.5).
    pub ect: bool,
}

/// Why a segment was sent again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RetransmitCause {
    /// Retransmission timeout (go-back-N from SND.UNA, RFC 6298 §5.4).
    Rto,
    /// Fast retransmit on DupThresh duplicate ACKs, and NewReno's partial-ACK
    /// retransmissions (RFC 5681 §3.2, RFC 6582).
    FastRetransmit,
    /// A SACK-based loss-recovery retransmission after the first (RFC 6675 NextSeg).
    SackRecovery,
    /// SYN or SYN-ACK retransmitted.
    Syn,
    /// A FIN without data retransmitted after a timeout.
    Fin,
    /// A zero-window probe (RFC 9293 §3.8.6.1); not counted as a retransmission.
    Probe,
    /// A tail loss probe resending the last segment (RFC 8985 §7.3).
    LossProbe,
    /// RACK found a segment lost outside SACK recovery: a go-back-N
    /// retransmission after an RTO that was lost too (RFC 8985 §6.3).
    RackLost,
}

impl RetransmitCause {
    pub fn name(self) -> &'static str {
        match self {
            RetransmitCause::Rto => "rto",
            RetransmitCause::FastRetransmit => "fast-retransmit",
            RetransmitCause::SackRecovery => "sack-recovery",
            RetransmitCause::Syn => "syn",
            RetransmitCause::Fin => "fin",
            RetransmitCause::Probe => "probe",
            RetransmitCause::LossProbe => "loss-probe",
            RetransmitCause::RackLost => "rack-lost",
        }
    }
}

impl fmt::Display for RetransmitCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// The connection's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TimerKind {
    Retransmission,
    Persist,
    DelayedAck,
    TimeWait,
    KeepAlive,
    /// RACK's reordering timer (RFC 8985 §6.2 step 5).
    Reorder,
    /// The tail loss probe timer, PTO (RFC 8985 §7.2).
    LossProbe,
}

impl TimerKind {
    pub fn name(self) -> &'static str {
        match self {
            TimerKind::Retransmission => "retransmission",
            TimerKind::Persist => "persist",
            TimerKind::DelayedAck => "delayed-ack",
            TimerKind::TimeWait => "time-wait",
            TimerKind::KeepAlive => "keep-alive",
            TimerKind::Reorder => "reorder",
            TimerKind::LossProbe => "loss-probe",
        }
    }
}

impl fmt::Display for TimerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(self.name())
    }
}

/// Something that happened inside the connection, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TcpEvent {
    StateChange {
        from: TcpState,
        to: TcpState,
    },
    /// A segment is being sent again (reported when it is emitted).
    Retransmit {
        seq: SeqNum,
        len: u32,
        cause: RetransmitCause,
    },
    TimerExpired {
        timer: TimerKind,
    },
    /// A valid RTT measurement fed to the RFC 6298 estimator.
    RttSample {
        rtt: SimTime,
    },
    /// cwnd, ssthresh or the RTO changed (reported once per input, with the new values).
    Congestion {
        cwnd: u32,
        ssthresh: u32,
        rto: SimTime,
    },
    /// The handshake completed (ESTABLISHED).
    Connected,
    /// New in-order data (or the end of the stream) can be read.
    Readable,
    /// Send-buffer space freed after a `send` could not take everything.
    Writable,
    /// The peer's urgent pointer advanced to `up` (RCV.UP, wire sequence
    /// number just past the urgent byte): BSD's SIGURG.
    Urgent {
        up: SeqNum,
    },
    /// The peer's FIN arrived: after the buffered data, `recv` returns 0.
    PeerClosed,
    /// An acceptable RST arrived (connection refused or reset).
    Reset,
    /// Gave up: too many SYN or data retransmissions.
    TimedOut,
    /// The connection reached CLOSED.
    Closed,
    /// A payload's origin did not match its sequence number (must never happen).
    IntegrityError,
}

/// Errors of the application calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
pub enum TcpError {
    #[error("not connected")]
    NotConnected,
    #[error("connection is closing: the write side is shut")]
    Closing,
    #[error("connection reset by peer")]
    Reset,
    #[error("connection timed out")]
    TimedOut,
    /// `recv` with nothing to read yet (the stream has not ended).
    #[error("no data available yet")]
    WouldBlock,
    /// `recv_urgent` with no urgent byte to read (none announced, already
    /// read, or kept in the stream by `oob_inline`).
    #[error("no urgent data to read")]
    NoUrgentData,
}

/// Counters. Byte counts are payload bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TcpStats {
    pub segments_sent: u64,
    pub segments_received: u64,
    /// New payload bytes sent (first transmissions only).
    pub bytes_sent: u64,
    /// Payload bytes cumulatively acknowledged by the peer.
    pub bytes_acked: u64,
    /// Payload bytes that became in-order in the receive buffer.
    pub bytes_received: u64,
    /// Payload bytes read by the application.
    pub bytes_delivered: u64,
    pub segments_retransmitted: u64,
    pub bytes_retransmitted: u64,
    pub rto_expiries: u64,
    /// Loss-recovery episodes started by duplicate ACKs or SACK (fast retransmits).
    pub fast_retransmits: u64,
    /// Of those, episodes run with SACK-based recovery (RFC 6675).
    pub sack_recoveries: u64,
    /// Tail loss probes sent (RFC 8985 §7), new data or a retransmission.
    pub loss_probes: u64,
    /// Segments RACK marked lost (RFC 8985 §6.2), retransmissions included.
    pub rack_marked_lost: u64,
    pub dup_acks_received: u64,
    /// Window reductions for an ECN echo (ECE) rather than a loss.
    pub ecn_reductions: u64,
    pub persist_probes: u64,
    pub out_of_order_segments: u64,
    pub duplicate_segments: u64,
    pub challenge_acks: u64,
    pub resets_sent: u64,
    pub resets_received: u64,
    pub rtt_samples: u64,
    pub rtt_min: Option<SimTime>,
    pub rtt_max: Option<SimTime>,
    /// Sum of all RTT samples in nanoseconds (see `rtt_mean`).
    pub rtt_sum_ns: u128,
    pub handshake_done_at: Option<SimTime>,
    pub integrity_errors: u64,
}

impl TcpStats {
    /// Mean RTT sample, truncated to whole nanoseconds.
    pub fn rtt_mean(&self) -> Option<SimTime> {
        (self.rtt_samples > 0)
            .then(|| SimTime((self.rtt_sum_ns / u128::from(self.rtt_samples)) as u64))
    }
}

/// The bytes a connection sent, had acknowledged, received and delivered to
/// the application: derived from its sequence space, not counted.
#[derive(Debug)]
pub(crate) struct StreamTotals {
    pub bytes_sent: u64,
    pub bytes_acked: u64,
    pub bytes_received: u64,
    pub bytes_delivered: u64,
}

/// The counters as a connection keeps them: the ones every connection moves,
/// or any that loses a segment (a SYN dropped at a full backlog, say), inline;
/// the others (recoveries, probes, resets, oddities) in a `TcpStats` made on
/// the first of them, since most connections never see one. The byte counts
/// are not among them (`StreamTotals`).
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub segments_sent: u64,
    pub segments_received: u64,
    pub segments_retransmitted: u64,
    pub bytes_retransmitted: u64,
    pub rto_expiries: u64,
    rtt_samples: u64,
    /// Meaningful once `rtt_samples` > 0.
    rtt_min: SimTime,
    rtt_max: SimTime,
    /// 64 bits hold 584 years of summed round trips: the report widens it.
    rtt_sum_ns: u64,
    pub handshake_done_at: OptTime,
    rare: Option<Box<TcpStats>>,
}

impl Counters {
    /// Where the rarely moved counters are (their fields of `TcpStats`).
    pub fn rare(&mut self) -> &mut TcpStats {
        self.rare.get_or_insert_with(Box::default)
    }

    pub fn record_rtt(&mut self, rtt: SimTime) {
        let first = self.rtt_samples == 0;
        self.rtt_samples += 1;
        self.rtt_sum_ns = self.rtt_sum_ns.saturating_add(rtt.0);
        self.rtt_min = if first { rtt } else { self.rtt_min.min(rtt) };
        self.rtt_max = if first { rtt } else { self.rtt_max.max(rtt) };
    }

    /// All of them, as reported, with the byte counts the connection reads
    /// off its sequence space.
    pub fn to_stats(&self, bytes: StreamTotals) -> TcpStats {
        let sampled = |t: SimTime| (self.rtt_samples > 0).then_some(t);
        TcpStats {
            segments_sent: self.segments_sent,
            segments_received: self.segments_received,
            bytes_sent: bytes.bytes_sent,
            bytes_acked: bytes.bytes_acked,
            bytes_received: bytes.bytes_received,
            bytes_delivered: bytes.bytes_delivered,
            segments_retransmitted: self.segments_retransmitted,
            bytes_retransmitted: self.bytes_retransmitted,
            rto_expiries: self.rto_expiries,
            rtt_samples: self.rtt_samples,
            rtt_min: sampled(self.rtt_min),
            rtt_max: sampled(self.rtt_max),
            rtt_sum_ns: u128::from(self.rtt_sum_ns),
            handshake_done_at: self.handshake_done_at.get(),
            ..self.rare.as_deref().cloned().unwrap_or_default()
        }
    }
}
