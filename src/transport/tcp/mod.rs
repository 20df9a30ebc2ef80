//! TCP as a pure state machine: no I/O, time handed in.
//!
//! A [`TcpConnection`] takes segments (`on_segment`), timer ticks (`on_timer`) and
//! application calls (`send`, `recv`, `shutdown_write`, `close`, `abort`), and
//! produces segments (`poll_transmit`, called until `None` after every input),
//! its next deadline (`next_timer`) and events (`drain_events`). Payload bytes are
//! never stored: a segment carries `payload_origin`, the stream offset of its first
//! byte, and the receiver checks it against the sequence number.
//!
//! What it implements, and the choices made where the RFCs leave room:
//!
//! - **State machine** (RFC 9293): three-way handshake, simultaneous open, four-way
//!   and simultaneous close (CLOSING), half-close, TIME-WAIT of `time_wait` (2·MSL,
//!   default 60 s). RST handling per RFC 5961: a RST resets only if its sequence
//!   number is exactly RCV.NXT, in-window RSTs and SYNs draw a challenge ACK, and
//!   implausibly old ACKs are challenged. [`reset_for`] answers segments for no
//!   connection (RFC 9293 §3.10.7.1). A retransmitted SYN in SYN-RECEIVED repeats
//!   the SYN-ACK at once. `close` with unread data, or data arriving after `close`,
//!   sends a RST (as BSD stacks do; `shutdown_write` is the graceful half-close).
//! - **Retransmission timer** (RFC 6298): SRTT/RTTVAR in integer nanoseconds,
//!   RTO = SRTT + max(G, 4·RTTVAR) within [min_rto, max_rto], doubled per expiry,
//!   Karn's rule (one timed segment at a time; retransmissions void it) unless
//!   timestamps are negotiated. SYN and FIN are retransmitted with the same backoff;
//!   after a retransmitted SYN the RTO restarts at 3 s (§5.7). Go-back-N from
//!   SND.UNA after an RTO, skipping ranges SACKed since.
//! - **Congestion control** (RFC 5681, behind [`CongestionControl`]): IW per
//!   `initial_window_segments` (10 → RFC 6928), slow start + min(N, SMSS),
//!   congestion avoidance by byte counting, ssthresh = max(FlightSize/2, 2·SMSS),
//!   LW = 1 SMSS after an RTO (ssthresh held on repeated timeouts), restart window
//!   after idle (§4.1). cwnd grows only while the flight fills it.
//! - **Loss recovery**: without SACK, fast retransmit on DupThresh duplicate ACKs,
//!   limited transmit (RFC 3042) and NewReno fast recovery (RFC 6582, "impatient"
//!   timer variant; full ACK → cwnd = min(ssthresh, max(FlightSize, SMSS) + SMSS)).
//!   With SACK negotiated, RFC 6675: scoreboard, IsLost, SetPipe, NextSeg rules 1–4
//!   (rescue retransmission included), entry on DupThresh duplicates or IsLost.
//!   The scoreboard is cleared on RTO (RFC 2018 §8). With `loss_detection =
//!   RackTlp`, RACK-TLP (RFC 8985, see `rack`) decides what is lost instead of
//!   DupThresh/IsLost, and a tail loss probe replaces the rescue retransmission.
//! - **Receiver**: out-of-order ranges, cumulative ACKs, immediate ACK for
//!   out-of-order, gap-filling and duplicate segments and for FIN; otherwise
//!   delayed ACK (every second full-sized segment or after `delayed_ack`, at most
//!   500 ms). SACK blocks per RFC 2018 (the block holding the newest segment first,
//!   up to 4, 3 with timestamps). No D-SACK.
//! - **Flow control**: window from free receive buffer, receiver SWS avoidance,
//!   window updates when reading opens the window by ≥ min(2·MSS, buffer/2);
//!   sender SWS avoidance + Nagle (`nodelay` to disable); persist timer with
//!   one-byte zero-window probes and exponential backoff (capped at max_rto).
//! - **ECN** (RFC 3168, `ecn`): ECN-setup SYN (ECE|CWR) and SYN-ACK (ECE); ECT(0)
//!   on new data only (not on retransmissions, probes or pure ACKs, §6.1.5); the
//!   receiver sets ECE on every ACK from a CE mark until a CWR; the sender halves
//!   the window as for a loss, without a retransmission, once per window of data
//!   and not during loss recovery, and sets CWR on its next new data (§6.1.2).
//! - **Keep-alive** (RFC 9293 §3.8.4, `keepalive`): after `idle` without
//!   receiving, probes with SEG.SEQ = SND.NXT − 1 every `interval`; the
//!   connection times out after `probes` unanswered ones.
//! - **Urgent data** (RFC 9293 §3.8.5, RFC 6093; see `urgent`): `send_urgent`
//!   (MSG_OOB) makes the last byte it takes urgent; SEG.SEQ + urgent field is
//!   the byte *after* it (RFC 6093 §4, MUST-62), on every segment that starts
//!   before it, retransmissions and pure ACKs included; 0xFFFF when it is out
//!   of 16-bit reach (as Linux). The receiver tracks RCV.UP, reports each
//!   advance (`TcpEvent::Urgent`, SIGURG) and takes the byte out of the stream
//!   for `recv_urgent` (BSD's one byte out of band), or leaves it in with
//!   `oob_inline` (SO_OOBINLINE); `recv` stops at it (`at_mark`).
//! - **Options**: MSS (send MSS = min(own, peer's or 536)), window scaling (RFC
//!   7323, shift chosen from `recv_buffer`), SACK-permitted, timestamps (optional:
//!   µs clock, RTT per ACK, no PAWS).
//!
//! Sequence numbers are compared modulo 2^32 by unwrapping to 64-bit offsets
//! (see `connection`).
//!
//! Not implemented: PAWS and timestamp-based RTO tweaks of RFC 7323 App. G, D-SACK
//! (RFC 2883), challenge-ACK rate limiting (RFC 5961 §7), more than one byte of
//! urgent data out of band, a FIN-WAIT-2 timeout, SYN cookies and reopening from TIME-WAIT, spurious-RTO
//! undo. A segment carrying data together with its SYN has the data
//! ignored (the peer retransmits it).
//!
//! Performance: no allocation per segment in steady state (range lists keep
//! their capacity; a stack lends connections one event buffer with
//! `lend_event_buffer` and takes it back with `take_events`, while
//! `drain_events` drains the buffer the connection holds, if any).

mod addons;
mod config;
pub mod congestion;
mod connection;
mod events;
mod opt64;
mod pacing;
mod prr;
mod rack;
mod rate;
mod reassembly;
mod recovery;
mod rtt;
mod sack;
mod state;
mod urgent;

#[cfg(test)]
mod tests;

pub use config::{
    CongestionAlgorithm, CwndGrowth, KeepAlive, LossDetection, LossFlight, LossRecovery,
    RtoBackoff, RtoRestart, RttSample, SynLossWindow, TcpConfig,
};
pub use congestion::{AckSample, CongestionControl};
pub use connection::{EventBuffer, TcpConnection, reset_for};
pub use events::{Outgoing, RetransmitCause, TcpError, TcpEvent, TcpStats, TimerKind};
pub(crate) use opt64::OptTime;
pub use rtt::RttEstimator;
pub use state::TcpState;
