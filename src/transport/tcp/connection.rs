//! One TCP connection as a pure state machine: segments and timer ticks in,
//! segments and events out, `now` always handed in.
//!
//! ## Sequence numbers
//!
//! Internally both directions use 64-bit *unwrapped* offsets from the initial
//! sequence numbers: on the send side the SYN is offset 0, data byte k (stream
//! offset k) is offset k + 1, and the FIN follows the last byte; the receive side
//! mirrors this from IRS. Wire sequence numbers are `ISS + offset mod 2^32`;
//! an incoming 32-bit number is unwrapped to the offset nearest a reference
//! (SND.UNA or RCV.NXT), which is exact while the two are within 2^31, as TCP's
//! windows guarantee. All other comparisons are then plain integer comparisons.
//!
//! ## Send side
//!
//! `snd_una` ≤ `snd_nxt` ≤ `snd_max`: SND.UNA, the next offset to (re)send when
//! not in SACK recovery, and the highest offset sent + 1 (HighData). They differ
//! only after an RTO, which pulls `snd_nxt` back to `snd_una` (go-back-N in slow
//! start, skipping ranges SACKed since). Payload is never stored: the send buffer
//! is the count of bytes written but not yet acknowledged.
//!
//! ## Receive side
//!
//! In-order data advances RCV.NXT; out-of-order data goes to a range list
//! (`Reassembly`). The right window edge advertised (`rcv_adv`) never moves left;
//! it moves right only by at least min(buffer/2, MSS) (receiver SWS avoidance,
//! RFC 9293 §3.8.6.2.2). With window scaling the 16-bit field is rounded *up* so
//! the edge the peer sees never shrinks; data is accepted up to that edge.

use crate::sim::SimTime;
use crate::wire::tcp::{MAX_SACK_BLOCKS, SeqNum, TcpFlags, TcpOptions, TcpRepr};

use super::addons::Addons;
use super::config::{
    DEFAULT_PEER_MSS, LossDetection, LossFlight, LossRecovery, MAX_WINDOW_SCALE, RtoBackoff,
    RtoRestart, RttSample, TcpConfig,
};
use super::congestion::{AckSample, Controller, EcnAck};
use super::events::{
    Counters, Outgoing, RetransmitCause, StreamTotals, TcpError, TcpEvent, TcpStats, TimerKind,
};
use super::opt64::{OptOffset, OptTime};
use super::pacing::{self, Pacer};
use super::prr::Prr;
use super::rack::{self, ProbeOutcome, Rack};
use super::rate::DeliveryRate;
use super::reassembly::Reassembly;
use super::recovery::{Loss, Recovery};
use super::rtt::{RttEstimator, TimedSegment};
use super::sack::Scoreboard;
use super::state::TcpState;
use std::sync::Arc;

/// Bytes of payload given up per segment when timestamps are on (RFC 7323 option: 10 + 2 NOP).
const TIMESTAMP_OPTION_LEN: u32 = 12;
/// RFC 6298 §5.7: the RTO after a retransmitted SYN once data transfer begins.
/// Cap on the persist backoff exponent (the interval is also capped at max_rto).
const MAX_PERSIST_BACKOFF: u32 = 16;

/// Where a connection collects its events: lent by the stack while it works
/// on the connection, absent at rest. Boxed on purpose, so that a connection
/// at rest carries one word.
#[allow(clippy::box_collection)]
pub type EventBuffer = Option<Box<Vec<TcpEvent>>>;

/// A TCP connection (RFC 9293) without I/O. See the module docs for the model.
#[derive(Debug)]
pub struct TcpConnection {
    /// Shared by the connections of a flow (and with their sockets).
    cfg: Arc<TcpConfig>,
    state: TcpState,
    local_port: u16,
    remote_port: u16,
    iss: SeqNum,
    irs: SeqNum,

    // ---- negotiated at the handshake
    /// Sender MSS: payload bytes per full-sized segment (Eff.snd.MSS less options).
    smss: u32,
    snd_wscale: u8,
    rcv_wscale: u8,
    ws_ok: bool,
    sack_ok: bool,
    ts_ok: bool,

    // ---- send sequence space (offsets from ISS)
    snd_una: u64,
    snd_nxt: u64,
    snd_max: u64,
    /// Offset after the last byte the application wrote.
    snd_data_end: u64,
    /// Offset of our FIN once the write side is shut.
    fin_seq: OptOffset,
    /// The peer's window in bytes (scaled: under 2^30 with the shift capped
    /// at 14, RFC 7323 §2.3) and its right edge.
    snd_wnd: u32,
    snd_wnd_edge: u64,
    max_snd_wnd: u32,
    /// SND.WL1 (receive-side offset) and SND.WL2 (send-side offset).
    snd_wl1: u64,
    snd_wl2: u64,
    /// A SYN (SYN-SENT) or SYN-ACK (SYN-RECEIVED) is due.
    syn_pending: bool,
    syn_sends: u32,
    syn_retransmitted: bool,
    /// How many times the SYN or SYN-ACK was sent again.
    syn_retransmissions: u32,
    /// End of the last zero-window probe byte (acceptable ACKs may reach it).
    probe_high: u64,
    probe_pending: bool,
    writable_wanted: bool,
    write_shut: bool,
    /// `shutdown_write` called before the handshake finished.
    shutdown_pending: bool,
    last_data_sent_at: OptTime,

    // ---- receive sequence space (offsets from IRS)
    rcv_nxt: u64,
    /// Right edge of the window advertised so far.
    rcv_adv: u64,
    /// Offset of the next byte the application reads.
    rcv_read: u64,
    /// Where the peer's FIN sits once seen (possibly out of order).
    rcv_fin: OptOffset,
    fin_received: bool,
    read_closed: bool,
    reasm: Reassembly,

    // ---- ACK generation
    ack_now: bool,
    delack_at: OptTime,
    /// In-order bytes received since the last ACK we sent (within the
    /// window we advertised, so under 2^30).
    rcv_unacked: u32,
    last_ack_sent: u64,
    ts_recent: u32,

    // ---- timers
    rtx_at: OptTime,
    persist_at: OptTime,
    timewait_at: OptTime,
    rtx_retries: u32,
    persist_backoff: u32,

    // ---- RTT, congestion control, loss recovery
    rtt: RttEstimator,
    /// The one segment being timed (Karn): (offset its ACK must reach, send time).
    rtt_timing: TimedSegment,
    cc: Controller,
    /// Duplicate ACKs, the fast-recovery phase and the recovery point.
    loss: Loss,
    scoreboard: Scoreboard,

    /// Keep-alive: when the next probe is due, how many went unanswered,
    /// and whether one waits to be sent.
    keepalive_at: OptTime,
    keepalive_unanswered: u32,
    keepalive_pending: bool,
    /// Proportional Rate Reduction during SACK recovery, when chosen.
    /// Pacing (`[tcp] pacing`): when the next data segment may leave, while
    /// data waits (the pacer itself is in `addons`).
    pace_at: OptTime,
    /// Pacer, delivery-rate sampling (BBR), PRR, RACK-TLP (when chosen and
    /// SACK was negotiated), urgent data (RFC 9293 §3.8.5), a pending RST or
    /// DCTCP ACK: each made when first needed.
    addons: Addons,

    // ---- ECN (RFC 3168)
    ecn_ok: bool,
    /// Receiver: a CE mark arrived and the sender has not answered with CWR
    /// (DCTCP: the last data segment carried CE).
    ece_pending: bool,
    /// Sender: the window was reduced for an ECE; the next new data carries CWR.
    cwr_pending: bool,
    /// Sender: no further reduction for ECE until SND.UNA passes this.
    ecn_recover: u64,

    // ---- output
    error: Option<TcpError>,
    events: EventBuffer,
    stats: Counters,
    reported: (u32, u32, SimTime),
}

impl TcpConnection {
    fn new(cfg: &Arc<TcpConfig>, local_port: u16, remote_port: u16, isn: SeqNum) -> Self {
        let smss = u32::from(cfg.mss).max(1);
        let cc = cfg
            .congestion
            .build(smss, cfg.initial_window(smss), cfg.cwnd_growth);
        let (paced, sampled) = (cfg.pacing || cc.paces(), cc.wants_rate_samples());
        let rtt = RttEstimator::new(cfg.initial_rto, &cfg.rto_bounds());
        let reported = (cc.cwnd(), cc.ssthresh(), rtt.rto());
        let mut addons = Addons::default();
        addons.set_pacer(paced.then(Pacer::default));
        addons.set_rate(sampled.then(DeliveryRate::default));
        TcpConnection {
            cfg: Arc::clone(cfg),
            state: TcpState::Closed,
            local_port,
            remote_port,
            iss: isn,
            irs: SeqNum(0),
            smss,
            snd_wscale: 0,
            rcv_wscale: 0,
            ws_ok: false,
            sack_ok: false,
            ts_ok: false,
            snd_una: 0,
            snd_nxt: 0,
            snd_max: 0,
            snd_data_end: 1,
            fin_seq: OptOffset::NONE,
            snd_wnd: 0,
            snd_wnd_edge: 0,
            max_snd_wnd: 0,
            snd_wl1: 0,
            snd_wl2: 0,
            syn_pending: false,
            syn_sends: 0,
            syn_retransmitted: false,
            syn_retransmissions: 0,
            probe_high: 0,
            probe_pending: false,
            writable_wanted: false,
            write_shut: false,
            shutdown_pending: false,
            last_data_sent_at: OptTime::NONE,
            rcv_nxt: 0,
            rcv_adv: 0,
            rcv_read: 1,
            rcv_fin: OptOffset::NONE,
            fin_received: false,
            read_closed: false,
            reasm: Reassembly::new(),
            ack_now: false,
            delack_at: OptTime::NONE,
            rcv_unacked: 0,
            last_ack_sent: 0,
            ts_recent: 0,
            rtx_at: OptTime::NONE,
            persist_at: OptTime::NONE,
            timewait_at: OptTime::NONE,
            rtx_retries: 0,
            persist_backoff: 0,
            rtt,
            rtt_timing: TimedSegment::NONE,
            cc,
            loss: Loss::default(),
            scoreboard: Scoreboard::new(),
            keepalive_at: OptTime::NONE,
            keepalive_unanswered: 0,
            keepalive_pending: false,
            pace_at: OptTime::NONE,
            addons,
            ecn_ok: false,
            ece_pending: false,
            cwr_pending: false,
            ecn_recover: 0,
            error: None,
            events: None,
            stats: Counters::default(),
            reported,
        }
    }

    /// Active open: the connection starts in SYN-SENT; the first `poll_transmit` emits the SYN.
    pub fn connect(
        cfg: &Arc<TcpConfig>,
        local_port: u16,
        remote_port: u16,
        isn: SeqNum,
        _now: SimTime,
    ) -> Self {
        let mut c = TcpConnection::new(cfg, local_port, remote_port, isn);
        c.set_state(TcpState::SynSent);
        c.syn_pending = true;
        c
    }

    /// Passive open: a listener received `syn`; the connection starts in SYN-RECEIVED
    /// and the first `poll_transmit` emits the SYN-ACK.
    pub fn accept_syn(cfg: &Arc<TcpConfig>, syn: &TcpRepr, isn: SeqNum, _now: SimTime) -> Self {
        let mut c = TcpConnection::new(cfg, syn.dst_port, syn.src_port, isn);
        c.state = TcpState::Listen;
        c.set_state(TcpState::SynReceived);
        c.irs = syn.seq;
        c.rcv_nxt = 1;
        c.rcv_adv = 1;
        c.negotiate(&syn.options);
        c.ecn_ok = cfg.ecn && syn.flags.contains(TcpFlags::ECE | TcpFlags::CWR);
        // The window in a SYN is never scaled (RFC 7323 §2.2).
        c.snd_wnd = u32::from(syn.window);
        c.snd_wnd_edge = 1 + u64::from(c.snd_wnd);
        c.max_snd_wnd = c.snd_wnd;
        c.syn_pending = true;
        c
    }

    // ------------------------------------------------------------------ queries

    pub fn state(&self) -> TcpState {
        self.state
    }

    pub fn local_port(&self) -> u16 {
        self.local_port
    }

    pub fn remote_port(&self) -> u16 {
        self.remote_port
    }

    /// The counters so far (assembled: they are kept in two parts).
    pub fn stats(&self) -> TcpStats {
        self.stats.to_stats(self.stream_totals())
    }

    /// The byte counts, read off the sequence space: its edges only move
    /// forward, so what they passed over is what was sent, acknowledged,
    /// received and read. Data starts at offset 1 (the SYN is offset 0) and
    /// ends before the FIN.
    fn stream_totals(&self) -> StreamTotals {
        let received_end = self
            .rcv_fin
            .get()
            .map_or(self.rcv_nxt, |f| f.min(self.rcv_nxt));
        StreamTotals {
            bytes_sent: self.data_in(1, self.snd_max),
            bytes_acked: self.data_in(1, self.snd_una),
            bytes_received: received_end.saturating_sub(1),
            bytes_delivered: self
                .addons
                .urgent()
                .map_or(self.rcv_read - 1, |u| u.delivered(self.rcv_read)),
        }
    }

    pub fn cwnd(&self) -> u32 {
        self.cc.cwnd()
    }

    pub fn ssthresh(&self) -> u32 {
        self.cc.ssthresh()
    }

    pub fn rto(&self) -> SimTime {
        self.rtt.rto()
    }

    pub fn srtt(&self) -> Option<SimTime> {
        self.rtt.srtt()
    }

    /// The sender MSS in use (payload bytes per full segment).
    pub fn mss(&self) -> u32 {
        self.smss
    }

    /// Whether SACK was negotiated (both SYNs carried SACK-permitted).
    pub fn sack_enabled(&self) -> bool {
        self.sack_ok
    }

    /// Whether timestamps were negotiated.
    pub fn timestamps_enabled(&self) -> bool {
        self.ts_ok
    }

    /// (send shift, receive shift) when window scaling was negotiated.
    pub fn window_scale(&self) -> Option<(u8, u8)> {
        self.ws_ok.then_some((self.snd_wscale, self.rcv_wscale))
    }

    /// The peer's current window in bytes.
    pub fn peer_window(&self) -> u64 {
        u64::from(self.snd_wnd)
    }

    /// The sender's estimate of the bytes in the network, the quantity held
    /// against cwnd: RFC 6675 pipe during SACK recovery, otherwise the bytes from
    /// SND.UNA to SND.NXT neither SACKed nor marked lost by RACK.
    pub fn bytes_in_flight(&self) -> u64 {
        match self.loss.phase() {
            Recovery::Sack { .. } if let Some(rack) = self.addons.rack() => {
                // RACK: the un-SACKed flight less what is marked lost.
                (self.snd_max - self.snd_una)
                    - self.scoreboard.sacked_in(self.snd_una, self.snd_max)
                    - rack.lost_bytes()
            }
            Recovery::Sack { high_rxt, .. } => {
                let lost =
                    self.scoreboard
                        .lost_end(self.snd_una, self.cfg.dupack_threshold, self.smss);
                self.scoreboard
                    .pipe(self.snd_una, self.snd_max, high_rxt, lost)
            }
            _ => {
                let lost = self
                    .addons
                    .rack()
                    .map_or(0, |r| r.lost_in(self.snd_una, self.snd_nxt));
                ((self.snd_nxt - self.snd_una)
                    - self.scoreboard.sacked_in(self.snd_una, self.snd_nxt))
                .saturating_sub(lost)
            }
        }
    }

    /// Whether a fast-recovery episode (NewReno or SACK-based) is under way.
    pub fn in_recovery(&self) -> bool {
        self.loss.phase() != Recovery::None
    }

    /// FlightSize: bytes sent and not yet cumulatively acknowledged.
    pub fn flight_size(&self) -> u64 {
        self.snd_max - self.snd_una
    }

    /// Bytes the application may still `send` right now.
    pub fn send_space(&self) -> u64 {
        let buffered = self.snd_data_end.saturating_sub(self.snd_una.max(1));
        u64::from(self.cfg.send_buffer).saturating_sub(buffered)
    }

    /// Bytes written by the application and not yet acknowledged.
    pub fn send_buffered(&self) -> u64 {
        self.snd_data_end.saturating_sub(self.snd_una.max(1))
    }

    /// In-order bytes waiting for `recv` (an urgent byte taken out of the
    /// stream is not one of them).
    pub fn readable_bytes(&self) -> u64 {
        let end = self.rcv_nxt - u64::from(self.fin_received);
        let taken = self
            .addons
            .urgent()
            .map_or(0, |u| u.taken_out(self.cfg.oob_inline));
        end.saturating_sub(self.rcv_read).saturating_sub(taken)
    }

    /// The stream offset of the next byte in the receive buffer.
    pub fn read_offset(&self) -> u64 {
        self.rcv_read - 1
    }

    /// sockatmark: the next `recv` starts right at the peer's urgent byte
    /// (after it, if it was taken out of the stream).
    pub fn at_mark(&self) -> bool {
        self.addons
            .urgent()
            .is_some_and(|u| u.at_mark(self.rcv_read))
    }

    /// Bytes held out of order in the receive buffer.
    pub fn out_of_order_bytes(&self) -> u64 {
        self.reasm.queued_bytes()
    }

    /// The peer's FIN has arrived and every byte before it has been read.
    pub fn at_eof(&self) -> bool {
        self.fin_received && self.readable_bytes() == 0
    }

    /// Why the connection closed abnormally, if it did.
    pub fn error(&self) -> Option<TcpError> {
        self.error
    }

    /// The earliest pending timer deadline.
    pub fn next_timer(&self) -> Option<SimTime> {
        // A plain fold (None as the latest time): this runs after every input.
        let at = |t: Option<SimTime>| t.map_or(u64::MAX, |t| t.0);
        let mut earliest = (self.rtx_at.word())
            .min(self.persist_at.word())
            .min(self.delack_at.word())
            .min(self.timewait_at.word())
            .min(self.keepalive_at.word())
            .min(self.pace_at.word());
        if let Some(rack) = self.addons.rack() {
            earliest = earliest.min(at(rack.next_timer()));
        }
        (earliest != u64::MAX).then_some(SimTime(earliest))
    }

    /// The events since the last call, oldest first.
    pub fn drain_events(&mut self) -> impl Iterator<Item = TcpEvent> + '_ {
        self.events.iter_mut().flat_map(|e| e.drain(..))
    }

    pub fn has_events(&self) -> bool {
        self.events.as_ref().is_some_and(|e| !e.is_empty())
    }

    /// Gives the connection `buf` (empty) to collect its events in, unless it
    /// has a buffer already. With `take_events`, a host's connections share
    /// one buffer and a connection at rest holds none (one word, not a
    /// vector's three).
    pub fn lend_event_buffer(&mut self, buf: &mut EventBuffer) {
        if self.events.is_none() {
            std::mem::swap(&mut self.events, buf);
        }
    }

    /// The events since the last call, oldest first, in the buffer they were
    /// collected in; the connection keeps none.
    pub fn take_events(&mut self) -> EventBuffer {
        self.events.take()
    }

    // -------------------------------------------------------------- application

    /// Queue `len` more bytes of the stream. Takes as much as the send buffer has room
    /// for and returns that (0 when full; a `Writable` event follows when room frees).
    /// Data written before the handshake completes is sent once it does.
    pub fn send(&mut self, len: u64) -> Result<u64, TcpError> {
        match self.state {
            TcpState::Closed | TcpState::Listen => {
                return Err(self.error.unwrap_or(TcpError::NotConnected));
            }
            TcpState::SynSent
            | TcpState::SynReceived
            | TcpState::Established
            | TcpState::CloseWait => {}
            _ => return Err(TcpError::Closing),
        }
        if self.write_shut {
            return Err(TcpError::Closing);
        }
        let n = len.min(self.send_space());
        self.snd_data_end += n;
        if n < len {
            self.writable_wanted = true;
        }
        Ok(n)
    }

    /// `send` with MSG_OOB: the last byte it takes is urgent (SND.UP just past
    /// it). Segments from then on carry URG until they start at or past SND.UP;
    /// Nagle waits no longer for the data before it, and when no data can go
    /// at once a pure ACK announces the urgent point (as BSD does in urgent
    /// mode), so the peer learns of it even through a closed window.
    pub fn send_urgent(&mut self, len: u64) -> Result<u64, TcpError> {
        let n = self.send(len)?;
        if n > 0 {
            self.addons
                .urgent_or_default()
                .set_send_point(self.snd_data_end);
            self.ack_now |= matches!(self.state, TcpState::Established | TcpState::CloseWait);
        }
        Ok(n)
    }

    /// `recv` with MSG_OOB: the stream offset of the peer's urgent byte, taken
    /// out of the stream. `Err(WouldBlock)` while it is announced but has not
    /// arrived; `Err(NoUrgentData)` if there is none (or `oob_inline` keeps it
    /// in the stream).
    pub fn recv_urgent(&mut self) -> Result<u64, TcpError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.read_closed {
            return Err(TcpError::NotConnected);
        }
        let u = self.addons.urgent_mut().ok_or(TcpError::NoUrgentData)?;
        let byte = u.take(self.cfg.oob_inline)?;
        Ok(byte - 1)
    }

    /// Consume up to `max` in-order bytes. `Ok(0)` at end of stream (the peer's FIN,
    /// everything before it read); `Err(WouldBlock)` when nothing is there yet.
    /// A read stops at the peer's urgent byte (see `at_mark`) and skips it when
    /// it was taken out of the stream.
    /// Reading may open the window enough to warrant an immediate window update.
    pub fn recv(&mut self, max: u64) -> Result<u64, TcpError> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.read_closed {
            return Err(TcpError::NotConnected);
        }
        let mut n = max.min(self.readable_bytes());
        if let Some(u) = self.addons.urgent_mut() {
            u.pass_marks(&mut self.rcv_read, self.cfg.oob_inline);
            if let Some(mark) = u.next_mark() {
                n = n.min(mark - self.rcv_read);
            }
        }
        if n == 0 {
            if self.fin_received || max == 0 {
                return Ok(0);
            }
            return match self.state {
                TcpState::Closed | TcpState::Listen => Err(TcpError::NotConnected),
                _ => Err(TcpError::WouldBlock),
            };
        }
        self.rcv_read += n;
        if self.state.can_receive() {
            let max_wnd = self.rcv_wnd_max();
            let candidate = self.rcv_nxt + max_wnd.saturating_sub(self.readable_bytes());
            let threshold = (2 * u64::from(self.smss)).min(max_wnd / 2).max(1);
            if candidate >= self.rcv_adv + threshold {
                self.ack_now = true;
            }
        }
        Ok(n)
    }

    /// Half-close: a FIN follows the queued data; receiving continues.
    pub fn shutdown_write(&mut self) {
        if self.write_shut {
            return;
        }
        self.write_shut = true;
        match self.state {
            TcpState::SynSent | TcpState::SynReceived => self.shutdown_pending = true,
            TcpState::Established => {
                self.fin_seq = OptOffset::some(self.snd_data_end);
                self.set_state(TcpState::FinWait1);
            }
            TcpState::CloseWait => {
                self.fin_seq = OptOffset::some(self.snd_data_end);
                self.set_state(TcpState::LastAck);
            }
            _ => {}
        }
    }

    /// Full close (BSD `close`): no more sending or reading. Unread data, or data
    /// arriving afterwards, aborts the connection with a RST (RFC 2525 §2.17, RFC
    /// 9293 §3.10.4 behaviour of common stacks); otherwise the FIN follows queued data.
    pub fn close(&mut self) {
        match self.state {
            TcpState::Closed => {}
            TcpState::Listen | TcpState::SynSent => self.enter_closed(),
            // The peer has finished too; whatever is unread is simply discarded.
            TcpState::TimeWait => self.read_closed = true,
            _ => {
                if self.readable_bytes() > 0 {
                    self.abort();
                    return;
                }
                self.read_closed = true;
                self.shutdown_write();
            }
        }
    }

    /// Abort: send a RST (in synchronized states and SYN-RECEIVED) and go to CLOSED.
    pub fn abort(&mut self) {
        match self.state {
            TcpState::SynReceived
            | TcpState::Established
            | TcpState::FinWait1
            | TcpState::FinWait2
            | TcpState::CloseWait => {
                let seq = self.wire_snd(self.snd_max);
                let rst = self.rst_segment(seq);
                self.addons.set_pending_rst(Some(rst));
            }
            _ => {}
        }
        if self.state != TcpState::Closed {
            self.enter_closed();
        }
    }

    // ------------------------------------------------------------------- timers

    /// Handle every timer due at `now`.
    pub fn on_timer(&mut self, now: SimTime) {
        // The pacing timer only wakes the sender (no trace line per segment).
        if self.pace_at.is_some_and(|t| t <= now) {
            self.pace_at = OptTime::NONE;
        }
        if self.timewait_at.is_some_and(|t| t <= now) {
            self.timewait_at = OptTime::NONE;
            self.push(TcpEvent::TimerExpired {
                timer: TimerKind::TimeWait,
            });
            self.enter_closed();
            return;
        }
        if self.delack_at.is_some_and(|t| t <= now) {
            self.delack_at = OptTime::NONE;
            self.ack_now = true;
            self.push(TcpEvent::TimerExpired {
                timer: TimerKind::DelayedAck,
            });
        }
        self.on_rack_timers(now);
        if self.rtx_at.is_some_and(|t| t <= now) {
            self.rtx_at = OptTime::NONE;
            self.push(TcpEvent::TimerExpired {
                timer: TimerKind::Retransmission,
            });
            self.on_rto(now);
        }
        if self.persist_at.is_some_and(|t| t <= now) {
            self.persist_at = OptTime::NONE;
            self.push(TcpEvent::TimerExpired {
                timer: TimerKind::Persist,
            });
            self.on_persist(now);
        }
        if self.keepalive_at.is_some_and(|t| t <= now) {
            self.push(TcpEvent::TimerExpired {
                timer: TimerKind::KeepAlive,
            });
            self.on_keepalive(now);
        }
        self.report_congestion();
    }

    fn on_rto(&mut self, now: SimTime) {
        match self.state {
            TcpState::SynSent | TcpState::SynReceived => {
                self.stats.rto_expiries += 1;
                self.rtx_retries += 1;
                if self.rtx_retries > self.cfg.syn_retries {
                    self.time_out();
                    return;
                }
                self.rtt.backoff(&self.cfg.rto_bounds());
                self.syn_pending = true;
                self.syn_retransmitted = true;
                self.rtt_timing = TimedSegment::NONE;
                self.rtx_at = OptTime::some(now + self.rtt.rto());
            }
            _ => {
                if self.snd_una >= self.snd_max {
                    return;
                }
                self.stats.rto_expiries += 1;
                self.rtx_retries += 1;
                if self.rtx_retries > self.cfg.data_retries {
                    self.time_out();
                    return;
                }
                let flight = clamp_u32(self.snd_max - self.snd_una);
                // An RTO during fast recovery keeps the ssthresh the recovery set,
                // as Linux does: FlightSize has grown with the new data sent during
                // recovery and no longer measures the path (RFC 5681 §3.1 only
                // bounds ssthresh from above here).
                let recompute =
                    self.rtx_retries == 1 && matches!(self.loss.phase(), Recovery::None);
                self.cc.on_rto(now, flight, recompute);
                self.rtt.backoff(&self.cfg.rto_bounds());
                // RFC 6582 §3.2 / RFC 6675 §5.1: no new fast recovery until SND.MAX is acked.
                self.loss.timed_out(self.snd_max);
                self.addons.set_prr(None);
                // RFC 2018 §8: the receiver may have reneged; forget the SACK state.
                self.scoreboard.clear();
                if let Some(rack) = self.addons.rack_mut() {
                    rack.on_rto();
                }
                self.snd_nxt = self.snd_una;
                self.rtt_timing = TimedSegment::NONE;
                self.rtx_at = OptTime::some(now + self.rtt.rto());
            }
        }
    }

    /// RACK's reordering timer and TLP's probe timer (RFC 8985 §6.2, §7.2).
    fn on_rack_timers(&mut self, now: SimTime) {
        let Some(rack) = self.addons.rack_mut() else {
            return;
        };
        let reorder = rack.reorder_at.is_some_and(|t| t <= now);
        let probe = rack.probe_at.is_some_and(|t| t <= now);
        if reorder {
            rack.reorder_at = None;
        }
        if probe {
            rack.probe_at = None;
            rack.probe_due = true;
        }
        if reorder {
            self.push(TcpEvent::TimerExpired {
                timer: TimerKind::Reorder,
            });
            self.rack_detect_loss(now);
            self.maybe_enter_sack_recovery(now);
        }
        if probe {
            self.push(TcpEvent::TimerExpired {
                timer: TimerKind::LossProbe,
            });
            // The probe stands in for the RTO that might be due now too (§7.3).
            self.rtx_at = OptTime::some(now + self.rtt.rto());
        }
    }

    fn on_persist(&mut self, now: SimTime) {
        if self.state.can_send() && self.snd_nxt < self.snd_data_end && self.snd_una == self.snd_max
        {
            self.probe_pending = true;
            self.persist_backoff = (self.persist_backoff + 1).min(MAX_PERSIST_BACKOFF);
            self.persist_at = OptTime::some(now + self.persist_interval());
        }
    }

    fn persist_interval(&self) -> SimTime {
        self.rtt
            .rto()
            .saturating_mul(1u64 << self.persist_backoff)
            .min(self.cfg.max_rto)
    }

    /// RFC 9293 §3.8.4: probe an idle connection with a segment the peer must
    /// acknowledge (SEG.SEQ = SND.NXT − 1, no data); give up after
    /// `probes` unanswered ones. Outstanding data is the retransmission
    /// timer's business, not keep-alive's.
    fn on_keepalive(&mut self, now: SimTime) {
        let Some(k) = self.cfg.keepalive else {
            self.keepalive_at = OptTime::NONE;
            return;
        };
        if self.snd_una < self.snd_max || !self.state.is_synchronized() {
            self.keepalive_at = OptTime::some(now + k.idle);
            return;
        }
        if self.keepalive_unanswered >= k.probes {
            self.keepalive_at = OptTime::NONE;
            self.time_out();
            return;
        }
        self.keepalive_unanswered += 1;
        self.keepalive_pending = true;
        self.keepalive_at = OptTime::some(now + k.interval);
    }

    /// Something arrived: the connection is alive; the next probe is an idle time away.
    fn keepalive_heard(&mut self, now: SimTime) {
        if let Some(k) = self.cfg.keepalive
            && self.state.is_synchronized()
        {
            self.keepalive_unanswered = 0;
            self.keepalive_at = OptTime::some(now + k.idle);
        }
    }

    fn time_out(&mut self) {
        self.error = Some(TcpError::TimedOut);
        self.push(TcpEvent::TimedOut);
        self.enter_closed();
    }

    // ------------------------------------------------------------------- output

    /// The next segment to send, if any. Call until `None` after every input.
    pub fn poll_transmit(&mut self, now: SimTime) -> Option<Outgoing> {
        if let Some(rst) = self.addons.take_pending_rst() {
            self.stats.segments_sent += 1;
            self.stats.rare().resets_sent += 1;
            return Some(Outgoing {
                repr: rst,
                payload_origin: 0,
                ect: false,
            });
        }
        if let Some(ack) = self.addons.take_pending_ack() {
            return Some(ack);
        }
        let out = match self.state {
            TcpState::Closed | TcpState::Listen => None,
            TcpState::SynSent | TcpState::SynReceived => self.poll_handshake(now),
            _ => self.poll_synchronized(now),
        };
        self.report_congestion();
        out
    }

    fn poll_handshake(&mut self, now: SimTime) -> Option<Outgoing> {
        if !self.syn_pending {
            if self.state == TcpState::SynReceived && self.ack_now {
                return Some(self.pure_ack(now));
            }
            return None;
        }
        self.syn_pending = false;
        let retransmission = self.syn_sends > 0;
        self.syn_sends += 1;
        let mut options = TcpOptions {
            mss: Some(self.cfg.mss),
            ..TcpOptions::default()
        };
        let mut flags = TcpFlags::SYN;
        let mut ack = SeqNum(0);
        // RFC 3168 §6.1.1: an ECN-setup SYN has ECE and CWR; the SYN-ACK that
        // agrees has ECE alone.
        if self.state == TcpState::SynSent && self.cfg.ecn {
            flags = flags | TcpFlags::ECE | TcpFlags::CWR;
        } else if self.state == TcpState::SynReceived && self.ecn_ok {
            flags = flags | TcpFlags::ECE;
        }
        if self.state == TcpState::SynSent {
            if self.cfg.window_scaling {
                options.window_scale = Some(self.cfg.window_scale_shift());
            }
            options.sack_permitted = self.cfg.sack;
            if self.cfg.timestamps {
                options.timestamps = Some((ts_clock(now), 0));
            }
        } else {
            flags = flags | TcpFlags::ACK;
            ack = self.wire_rcv(self.rcv_nxt);
            if self.ws_ok {
                options.window_scale = Some(self.rcv_wscale);
            }
            options.sack_permitted = self.sack_ok;
            if self.ts_ok {
                options.timestamps = Some((ts_clock(now), self.ts_recent));
            }
            self.ack_sent();
        }
        let window = self.rcv_wnd_max().min(0xffff);
        if self.state == TcpState::SynReceived {
            self.rcv_adv = self.rcv_adv.max(self.rcv_nxt + window);
        }
        let repr = TcpRepr {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq: self.iss,
            ack,
            flags,
            window: window as u16,
            urgent: 0,
            options,
            payload_len: 0,
        };
        self.snd_max = self.snd_max.max(1);
        self.snd_nxt = self.snd_nxt.max(1);
        if retransmission {
            // Karn: the handshake exchange is ambiguous now; and a repeated SYN or
            // SYN-ACK means one was probably lost (RFC 5681 §3.1: IW = 1 segment).
            self.rtt_timing = TimedSegment::NONE;
            self.syn_retransmitted = true;
            self.syn_retransmissions += 1;
            self.stats.segments_retransmitted += 1;
            self.push(TcpEvent::Retransmit {
                seq: self.iss,
                len: 0,
                cause: RetransmitCause::Syn,
            });
        } else if !self.ts_ok {
            self.rtt_timing = TimedSegment::new(1, now);
        }
        if self.rtx_at.is_none() {
            self.rtx_at = OptTime::some(now + self.rtt.rto());
        }
        self.stats.segments_sent += 1;
        Some(Outgoing {
            repr,
            payload_origin: 0,
            ect: false,
        })
    }

    fn poll_synchronized(&mut self, now: SimTime) -> Option<Outgoing> {
        let paced_out = self
            .addons
            .pacer()
            .filter(|p| !p.ready(now))
            .map(|p| p.release_at());
        if let Some(at) = paced_out {
            // Data waits for its departure time; ACKs do not.
            self.pace_at = OptTime::some(at);
        } else if self.state.can_send() {
            if self.addons.rack().is_some_and(|r| r.probe_due)
                && let Some(out) = self.loss_probe(now)
            {
                return Some(out);
            }
            if let Some(l) = self.loss.existing()
                && l.fast_rtx_pending
            {
                l.fast_rtx_pending = false;
                if let Some(out) = self.fast_retransmit(now) {
                    return Some(out);
                }
            }
            let out = if matches!(self.loss.phase(), Recovery::Sack { .. }) {
                self.sack_transmit(now)
            } else {
                let room = self.cwnd_room();
                self.rack_repair(now, room)
                    .or_else(|| self.transmit_from_nxt(now, room, false))
            };
            if out.is_some() {
                return out;
            }
            if self.probe_pending {
                self.probe_pending = false;
                if let Some(out) = self.window_probe(now) {
                    return Some(out);
                }
            }
            self.maybe_arm_persist(now);
        }
        if self.ack_now {
            return Some(self.pure_ack(now));
        }
        if self.keepalive_pending {
            self.keepalive_pending = false;
            let seq = self.snd_max - 1;
            let repr = self.header(now, TcpFlags::ACK, seq, 0);
            return Some(Outgoing {
                repr,
                payload_origin: seq.saturating_sub(1),
                ect: false,
            });
        }
        None
    }

    /// cwnd minus what is in flight, outside SACK recovery. The flight is what was
    /// sent from SND.UNA up to SND.NXT less what the peer has SACKed (and RACK
    /// has marked lost). Without SACK,
    /// RFC 3042 limited transmit allows one more segment per duplicate ACK below DupThresh.
    fn cwnd_room(&self) -> u64 {
        let flight = self.bytes_in_flight();
        let mut wnd = u64::from(self.cc.cwnd());
        if !self.sack_ok
            && self.loss.phase() == Recovery::None
            && self.loss.get().dupacks > 0
            && self.loss.get().dupacks < self.cfg.dupack_threshold
        {
            wnd += u64::from(self.loss.get().dupacks) * u64::from(self.smss);
        }
        wnd.saturating_sub(flight)
    }

    /// Send from SND.NXT: go-back-N retransmissions after an RTO, then new data, then
    /// the FIN. `override_sws` lifts Nagle/SWS avoidance (persist-timer sends).
    fn transmit_from_nxt(
        &mut self,
        now: SimTime,
        cwnd_room: u64,
        override_sws: bool,
    ) -> Option<Outgoing> {
        let smss = u64::from(self.smss);
        let mut start = self.snd_nxt;
        if self.sack_ok && start < self.snd_max {
            start = self.scoreboard.skip_sacked(start).min(self.snd_max);
            self.snd_nxt = start;
        }
        let is_rtx = start < self.snd_max;
        let data_end = self.snd_data_end;
        if start < data_end {
            let mut len = (data_end - start).min(smss);
            if is_rtx {
                if let Some(next) = self.scoreboard.next_sacked_start(start) {
                    len = len.min(next - start);
                }
                let flight_empty = self.snd_nxt == self.snd_una;
                if cwnd_room < len && !flight_empty {
                    return None;
                }
                let out = self.emit_data(now, start, len, Some(RetransmitCause::Rto));
                self.snd_nxt = start + len + u64::from(self.fin_seq.get() == Some(start + len));
                return Some(out);
            }
            let wnd_room = self.snd_wnd_edge.saturating_sub(start);
            let can = len.min(cwnd_room).min(wnd_room);
            if can == 0 {
                return None;
            }
            if !override_sws {
                let full = can == smss;
                let idle = self.snd_max == self.snd_una;
                // Like Linux, no Nagle delay in urgent mode.
                let urgent = self
                    .addons
                    .urgent()
                    .is_some_and(|u| u.sending(self.snd_una));
                let nagle_ok = self.cfg.nodelay || idle || urgent;
                let all_queued = start + can == data_end;
                let half_window = self.max_snd_wnd > 0 && can >= u64::from(self.max_snd_wnd) / 2;
                if !(full || (nagle_ok && (all_queued || half_window))) {
                    return None;
                }
            }
            let mut can = can;
            if self.snd_max == self.snd_una
                && self
                    .last_data_sent_at
                    .is_some_and(|t| now - t > self.rtt.rto())
            {
                // RFC 5681 §4.1: restart window after an idle period longer than the RTO.
                let iw = self.cfg.initial_window(self.smss);
                self.cc.on_idle_restart(iw);
                can = can.min(u64::from(self.cc.cwnd()));
            }
            let out = self.emit_data(now, start, can, None);
            self.snd_nxt = start + can + u64::from(self.fin_seq.get() == Some(start + can));
            return Some(out);
        }
        if self.fin_seq.get() == Some(start) && (self.snd_max <= start || is_rtx) {
            let out = self.emit_data(now, start, 0, Some(RetransmitCause::Fin));
            self.snd_nxt = start + 1;
            return Some(out);
        }
        None
    }

    /// Retransmit the segment at SND.UNA (fast retransmit, NewReno partial ACK,
    /// RFC 6675 step 4.3).
    fn fast_retransmit(&mut self, now: SimTime) -> Option<Outgoing> {
        let start = self.snd_una;
        if start >= self.snd_max {
            return None;
        }
        let mut len = self
            .snd_data_end
            .saturating_sub(start)
            .min(u64::from(self.smss))
            .min(self.snd_max - start);
        if let Some(next) = self.scoreboard.next_sacked_start(start) {
            len = len.min(next - start);
        }
        if len == 0 && self.fin_seq.get() != Some(start) {
            return None;
        }
        let out = self.emit_data(now, start, len, Some(RetransmitCause::FastRetransmit));
        if let Recovery::Sack {
            high_rxt, rescue, ..
        } = &mut self.loss.make().phase
        {
            let end = start + len;
            *high_rxt = (*high_rxt).max(end);
            *rescue = Some(end);
        }
        Some(out)
    }

    /// RFC 6675 §5 step (C): while cwnd − pipe ≥ 1 SMSS, send what NextSeg() picks.
    fn sack_transmit(&mut self, now: SimTime) -> Option<Outgoing> {
        let Recovery::Sack {
            point,
            high_rxt,
            rescue,
        } = self.loss.phase()
        else {
            return None;
        };
        if self.addons.rack().is_some() {
            return self.rack_transmit(now);
        }
        let smss = u64::from(self.smss);
        let una = self.snd_una;
        let high_data = self.snd_max;
        let lost_end = self
            .scoreboard
            .lost_end(una, self.cfg.dupack_threshold, self.smss);
        let pipe = self.scoreboard.pipe(una, high_data, high_rxt, lost_end);
        let cwnd = u64::from(self.cc.cwnd());
        if cwnd < pipe + smss {
            return None;
        }
        let highest_sacked = self.scoreboard.highest_sacked().unwrap_or(una);
        let hole = self
            .scoreboard
            .hole_from(high_rxt.max(una), high_data)
            .filter(|&(s, _)| s < highest_sacked);
        // Rule 1: the first lost hole above HighRxt.
        if let Some((s, e)) = hole
            && s < lost_end
        {
            return Some(self.sack_retransmit(now, s, e));
        }
        // Rule 2: new data.
        if let Some(out) = self.transmit_from_nxt(now, cwnd - pipe, false) {
            return Some(out);
        }
        // Rule 3: a hole not yet deemed lost.
        if let Some((s, e)) = hole {
            return Some(self.sack_retransmit(now, s, e));
        }
        // Rule 4: one rescue retransmission per recovery, of the highest outstanding octet.
        let new_data_left = self.snd_max < self.snd_data_end
            || self.fin_seq.get().is_some_and(|f| self.snd_max <= f);
        if !new_data_left
            && rescue.is_none_or(|r| r < una)
            && let Some((hs, he)) = self.scoreboard.last_hole(una, high_data)
        {
            let s = hs.max(he.saturating_sub(smss));
            let len = he.min(self.snd_data_end).saturating_sub(s);
            if len > 0 || self.fin_seq.get() == Some(s) {
                let out = self.emit_data(now, s, len, Some(RetransmitCause::SackRecovery));
                if let Recovery::Sack { rescue, .. } = &mut self.loss.make().phase {
                    *rescue = Some(point);
                }
                return Some(out);
            }
        }
        None
    }

    /// NextSeg with RACK's marks (RFC 8985 §9.3): what RACK marked lost, then
    /// new data, while cwnd − pipe ≥ 1 SMSS; the tail is left to TLP.
    fn rack_transmit(&mut self, now: SimTime) -> Option<Outgoing> {
        let pipe = self.bytes_in_flight();
        let cwnd = u64::from(self.cc.cwnd());
        if cwnd < pipe + u64::from(self.smss) {
            return None;
        }
        if let Some((s, e)) = self.addons.rack().and_then(|r| r.first_lost()) {
            return Some(self.sack_retransmit(now, s, e));
        }
        self.transmit_from_nxt(now, cwnd - pipe, false)
    }

    /// RACK's marks below SND.NXT outside SACK recovery: after an RTO no
    /// recovery may start until the RTO's recovery point is acknowledged,
    /// but a go-back-N retransmission that RACK finds lost is resent at once
    /// (RFC 8985 §6.3; Linux's CA_Loss resends what is marked lost), not at
    /// the next, backed-off, RTO.
    fn rack_repair(&mut self, now: SimTime, cwnd_room: u64) -> Option<Outgoing> {
        let (s, e) = self.addons.rack()?.first_lost()?;
        let len = (e - s)
            .min(u64::from(self.smss))
            .min(self.snd_data_end.saturating_sub(s));
        if s >= self.snd_nxt || len == 0 || cwnd_room < len {
            return None;
        }
        Some(self.emit_data(now, s, len, Some(RetransmitCause::RackLost)))
    }

    /// RFC 8985 §7.3 TLP_send_probe: one new segment if the receive window
    /// allows (cwnd aside), else the last segment sent; then the RTO is
    /// re-armed.
    fn loss_probe(&mut self, now: SimTime) -> Option<Outgoing> {
        let smss = u64::from(self.smss);
        let start = self.snd_max;
        let new_data =
            self.snd_nxt == start && start < self.snd_data_end && self.snd_wnd_edge > start;
        let out = if self.snd_una >= start {
            None
        } else if new_data {
            let len = (self.snd_data_end - start)
                .min(smss)
                .min(self.snd_wnd_edge - start);
            let out = self.emit_data(now, start, len, None);
            self.snd_nxt = start + len + u64::from(self.fin_seq.get() == Some(start + len));
            Some((out, false))
        } else {
            let data_end = self.snd_data_end.min(start);
            let s = data_end.saturating_sub(smss).max(self.snd_una);
            let len = data_end.saturating_sub(s);
            (len > 0 || self.fin_seq.get() == Some(s)).then(|| {
                (
                    self.emit_data(now, s, len, Some(RetransmitCause::LossProbe)),
                    true,
                )
            })
        };
        let end = self.snd_max;
        let rack = self.addons.rack_mut()?;
        rack.probe_due = false;
        let (out, is_retrans) = out?;
        rack.on_probe_sent(end, is_retrans);
        self.stats.rare().loss_probes += 1;
        self.rtx_at = OptTime::some(now + self.rtt.rto());
        Some(out)
    }

    /// RFC 8985 §7.2: (re)arm the probe timer after new data or an ACK of
    /// new data, outside loss recovery, while data is in flight and no
    /// probe is outstanding.
    fn arm_loss_probe(&mut self, now: SimTime) {
        let flight = self.snd_max - self.snd_una;
        let open = self.loss.phase() == Recovery::None
            && self.loss.recover().is_none_or(|r| self.snd_una >= r)
            && flight > 0
            && self.state.is_synchronized();
        let one_segment = flight <= u64::from(self.smss) + 1;
        let srtt = self.rtt.srtt();
        let rto_left = self
            .rtx_at
            .get()
            .map_or(self.rtt.rto(), |t| t.saturating_sub(now));
        let Some(rack) = self.addons.rack_mut() else {
            return;
        };
        rack.probe_at = (open && !rack.probe_outstanding())
            .then(|| now + rack::probe_timeout(srtt, one_segment, rto_left));
    }

    /// RACK_detect_loss_and_arm_timer (RFC 8985 §6.2 step 5).
    fn rack_detect_loss(&mut self, now: SimTime) {
        let in_recovery = matches!(self.loss.phase(), Recovery::Sack { .. });
        let srtt = self.rtt.srtt().unwrap_or(self.rtt.rto());
        let sacked = self.scoreboard.sacked_in(self.snd_una, self.snd_max);
        let dupthresh_sacked =
            sacked.div_ceil(u64::from(self.smss)) >= u64::from(self.cfg.dupack_threshold);
        let Some(rack) = self.addons.rack_mut() else {
            return;
        };
        let reo_wnd = rack.reo_wnd(in_recovery, dupthresh_sacked, srtt);
        let marked = rack.detect_loss(now, reo_wnd, &self.scoreboard);
        self.stats.rare().rack_marked_lost += u64::from(marked);
    }

    fn sack_retransmit(&mut self, now: SimTime, s: u64, e: u64) -> Outgoing {
        let len = (e - s)
            .min(u64::from(self.smss))
            .min(self.snd_data_end.saturating_sub(s));
        let out = self.emit_data(now, s, len, Some(RetransmitCause::SackRecovery));
        if let Recovery::Sack { high_rxt, .. } = &mut self.loss.make().phase {
            *high_rxt = (*high_rxt).max(s + len.max(1));
        }
        out
    }

    /// The persist timer fired: send what the window allows regardless of SWS
    /// avoidance, or a one-byte probe beyond a closed window.
    fn window_probe(&mut self, now: SimTime) -> Option<Outgoing> {
        let start = self.snd_nxt;
        if start >= self.snd_data_end || self.snd_una != self.snd_max {
            return None;
        }
        if self.snd_wnd_edge > start {
            let room = self.cwnd_room();
            return self.transmit_from_nxt(now, room, true);
        }
        let repr = self.header(now, TcpFlags::ACK, start, 1);
        self.probe_high = self.probe_high.max(start + 1);
        self.stats.rare().persist_probes += 1;
        self.push(TcpEvent::Retransmit {
            seq: repr.seq,
            len: 1,
            cause: RetransmitCause::Probe,
        });
        Some(Outgoing {
            repr,
            payload_origin: start - 1,
            ect: false,
        })
    }

    fn maybe_arm_persist(&mut self, now: SimTime) {
        if self.rtx_at.is_none()
            && self.persist_at.is_none()
            && self.snd_una == self.snd_max
            && self.snd_nxt < self.snd_data_end
        {
            self.persist_at = OptTime::some(now + self.persist_interval());
        }
    }

    /// Build and account for a segment carrying `len` payload bytes from offset
    /// `start` (plus the FIN if it ends at the FIN's offset). Does not move SND.NXT.
    fn emit_data(
        &mut self,
        now: SimTime,
        start: u64,
        len: u64,
        cause: Option<RetransmitCause>,
    ) -> Outgoing {
        let fin = self.fin_seq.get() == Some(start + len);
        let end = start + len + u64::from(fin);
        let mut flags = TcpFlags::ACK;
        if fin {
            flags = flags | TcpFlags::FIN;
        }
        if len > 0 && start + len == self.snd_data_end {
            flags = flags | TcpFlags::PSH;
        }
        // RFC 3168 §6.1.5: only new data is ECN-capable, and the first new
        // data after a reduction carries CWR (§6.1.2).
        let ect = self.ecn_ok && len > 0 && start >= self.snd_max;
        if ect && self.cwr_pending {
            flags = flags | TcpFlags::CWR;
            self.cwr_pending = false;
        }
        let repr = self.header(now, flags, start, len as u32);
        self.pace(now, len);
        if let Some(rack) = self.addons.rack_mut()
            && end > start
        {
            rack.on_send(now, start, end, start < self.snd_max);
        }
        let new_data = start >= self.snd_max;
        if let Some(rate) = self.addons.rate_mut()
            && len > 0
        {
            rate.on_send(
                now,
                start,
                start + len,
                self.snd_una == self.snd_max,
                start < self.snd_max,
            );
        }
        if start < self.snd_max {
            let cause = cause.unwrap_or(RetransmitCause::Rto);
            let cause = if len == 0 && fin && cause == RetransmitCause::Rto {
                RetransmitCause::Fin
            } else {
                cause
            };
            let old = len.min(self.snd_max - start);
            self.stats.segments_retransmitted += 1;
            self.stats.bytes_retransmitted += old;
            self.push(TcpEvent::Retransmit {
                seq: repr.seq,
                len: len as u32,
                cause,
            });
            // Karn: a retransmission overlapping the timed segment voids its sample.
            if self
                .rtt_timing
                .get()
                .is_some_and(|(timed_end, _)| start < timed_end)
            {
                self.rtt_timing = TimedSegment::NONE;
            }
        } else if self.rtt_timing.get().is_none() && !self.ts_ok {
            self.rtt_timing = TimedSegment::new(end, now);
        }
        if let Some(prr) = self.addons.prr_mut() {
            prr.on_sent(len);
        }
        let head_again = start == self.snd_una
            && start < self.snd_max
            && matches!(cause, Some(c) if c != RetransmitCause::Rto);
        self.snd_max = self.snd_max.max(end);
        self.last_data_sent_at = OptTime::some(now);
        if self.rtx_at.is_none()
            || (head_again && self.cfg.rto_restart == RtoRestart::HeadRetransmit)
        {
            self.rtx_at = OptTime::some(now + self.rtt.rto());
        }
        self.persist_at = OptTime::NONE;
        if new_data {
            self.arm_loss_probe(now);
        }
        Outgoing {
            repr,
            payload_origin: start - 1,
            ect,
        }
    }

    fn pure_ack(&mut self, now: SimTime) -> Outgoing {
        // SEQ = SND.MAX: the peer accepts it even after our go-back-N.
        let seq = self.snd_max;
        let repr = self.header(now, TcpFlags::ACK, seq, 0);
        Outgoing {
            repr,
            payload_origin: seq.saturating_sub(1),
            ect: false,
        }
    }

    /// A header for a synchronized-state segment: ACK, window, SACK blocks,
    /// timestamps and the urgent pointer filled in. Sending it satisfies any
    /// pending ACK.
    fn header(&mut self, now: SimTime, flags: TcpFlags, seq: u64, payload_len: u32) -> TcpRepr {
        let mut options = TcpOptions::default();
        if self.sack_ok && !self.reasm.is_empty() {
            let max = if self.ts_ok { 3 } else { MAX_SACK_BLOCKS };
            let mut blocks = [(0u64, 0u64); MAX_SACK_BLOCKS];
            let n = self.reasm.sack_blocks(self.rcv_nxt, &mut blocks[..max]);
            for (slot, &(s, e)) in options.sack_blocks.iter_mut().zip(&blocks[..n]) {
                *slot = (self.wire_rcv(s), self.wire_rcv(e));
            }
            options.sack_count = n as u8;
        }
        if self.ts_ok {
            options.timestamps = Some((ts_clock(now), self.ts_recent));
        }
        let window = self.advertise_window();
        self.ack_sent();
        self.stats.segments_sent += 1;
        // RFC 3168 §6.1.3: echo congestion on every ACK until the sender's CWR.
        let mut flags = if self.ece_pending {
            flags | TcpFlags::ECE
        } else {
            flags
        };
        let urgent = self
            .addons
            .urgent()
            .and_then(|u| u.field(seq, self.snd_max));
        if urgent.is_some() {
            flags = flags | TcpFlags::URG;
        }
        TcpRepr {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq: self.wire_snd(seq),
            ack: self.wire_rcv(self.rcv_nxt),
            flags,
            window,
            urgent: urgent.unwrap_or(0),
            options,
            payload_len,
        }
    }

    fn ack_sent(&mut self) {
        self.ack_now = false;
        self.delack_at = OptTime::NONE;
        self.rcv_unacked = 0;
        self.last_ack_sent = self.rcv_nxt;
    }

    /// The largest window this side can advertise.
    fn rcv_wnd_max(&self) -> u64 {
        u64::from(self.cfg.recv_buffer).min(0xffff << self.rcv_wscale)
    }

    /// The window field for the next segment, moving the advertised right edge
    /// per receiver SWS avoidance and never left.
    fn advertise_window(&mut self) -> u16 {
        let max_wnd = self.rcv_wnd_max();
        let candidate = self.rcv_nxt + max_wnd.saturating_sub(self.readable_bytes());
        self.rcv_adv = self.rcv_adv.max(self.rcv_nxt);
        if candidate > self.rcv_adv {
            let threshold = (max_wnd / 2).min(u64::from(self.smss)).max(1);
            if candidate - self.rcv_adv >= threshold {
                self.rcv_adv = candidate;
            }
        }
        let wnd = self.rcv_adv - self.rcv_nxt;
        let shift = self.rcv_wscale;
        let field = wnd.div_ceil(1u64 << shift).min(0xffff);
        self.rcv_adv = self.rcv_adv.max(self.rcv_nxt + (field << shift));
        field as u16
    }

    fn rst_segment(&self, seq: SeqNum) -> TcpRepr {
        TcpRepr {
            src_port: self.local_port,
            dst_port: self.remote_port,
            seq,
            flags: TcpFlags::RST,
            ..TcpRepr::default()
        }
    }

    // -------------------------------------------------------------------- input

    /// Process one arriving segment. `payload_origin` is the stream offset the sender
    /// paired with its payload; it must match the offset implied by `seg.seq`.
    pub fn on_segment(&mut self, now: SimTime, seg: &TcpRepr, payload_origin: u64) {
        self.on_segment_ecn(now, seg, payload_origin, false);
    }

    /// `on_segment` for a segment whose IP header said CE (`ce`): a router
    /// marked it instead of dropping it.
    pub fn on_segment_ecn(&mut self, now: SimTime, seg: &TcpRepr, payload_origin: u64, ce: bool) {
        if self.ecn_ok && self.state.is_synchronized() && self.cc.echoes_every_mark() {
            // RFC 8257 §3.2: ECE tells the CE state of the data it acknowledges;
            // a change first acknowledges what came before in the old state.
            if seg.payload_len > 0 && ce != self.ece_pending {
                if self.rcv_unacked > 0 {
                    let ack = self.pure_ack(now);
                    self.addons.set_pending_ack(Some(ack));
                }
                self.ece_pending = ce;
            }
        } else if self.ecn_ok && self.state.is_synchronized() {
            // RFC 3168 §6.1.3: CWR ends the echo; a CE mark (even on this
            // very segment) starts it again.
            if seg.flags.contains(TcpFlags::CWR) {
                self.ece_pending = false;
            }
            if ce {
                self.ece_pending = true;
            }
        }
        self.stats.segments_received += 1;
        match self.state {
            TcpState::Closed | TcpState::Listen => {}
            TcpState::SynSent => self.on_segment_syn_sent(now, seg),
            _ => self.on_segment_synchronized(now, seg, payload_origin),
        }
        self.keepalive_heard(now);
        self.report_congestion();
    }

    /// RFC 9293 §3.10.7.3.
    fn on_segment_syn_sent(&mut self, now: SimTime, seg: &TcpRepr) {
        let has_ack = seg.flags.contains(TcpFlags::ACK);
        let rst = seg.flags.contains(TcpFlags::RST);
        let syn = seg.flags.contains(TcpFlags::SYN);
        let mut ack = 0u64;
        if has_ack {
            let d = i64::from(seg.ack.diff(self.iss));
            if d <= 0 || d as u64 > self.snd_max {
                if !rst {
                    let rst = self.rst_segment(seg.ack);
                    self.addons.set_pending_rst(Some(rst));
                }
                return;
            }
            ack = d as u64;
        }
        if rst {
            if has_ack {
                self.stats.rare().resets_received += 1;
                self.error = Some(TcpError::Reset);
                self.push(TcpEvent::Reset);
                self.enter_closed();
            }
            return;
        }
        if !syn {
            return;
        }
        self.irs = seg.seq;
        self.rcv_nxt = 1;
        self.rcv_adv = 1;
        self.negotiate(&seg.options);
        // RFC 3168 §6.1.1: a SYN-ACK with ECE and without CWR agrees to ECN.
        self.ecn_ok = self.cfg.ecn
            && has_ack
            && seg.flags.contains(TcpFlags::ECE)
            && !seg.flags.contains(TcpFlags::CWR);
        self.snd_wnd = u32::from(seg.window);
        self.max_snd_wnd = self.snd_wnd;
        self.snd_wl1 = 0;
        self.snd_wl2 = ack;
        if has_ack {
            self.snd_una = ack;
            self.snd_wnd_edge = ack + u64::from(self.snd_wnd);
            let sample = self.ts_sample(now, seg).or_else(|| {
                self.rtt_timing
                    .get()
                    .filter(|&(end, _)| ack >= end)
                    .map(|(_, t)| now - t)
            });
            self.rtt_timing = TimedSegment::NONE;
            if let Some(r) = sample {
                self.rtt_sample(r);
            }
            self.rtx_at = OptTime::NONE;
            self.rtx_retries = 0;
            self.establish(now);
            self.ack_now = true;
        } else {
            // Simultaneous open (RFC 9293 §3.5): answer with SYN-ACK.
            self.snd_wnd_edge = 1 + u64::from(self.snd_wnd);
            self.set_state(TcpState::SynReceived);
            self.syn_pending = true;
            self.syn_sends = 0;
            self.rtx_retries = 0;
            self.rtx_at = OptTime::NONE;
        }
    }

    /// RFC 9293 §3.10.7.4 (with RFC 5961's RST/SYN/ACK checks), for SYN-RECEIVED and later.
    fn on_segment_synchronized(&mut self, now: SimTime, seg: &TcpRepr, origin: u64) {
        let has_ack = seg.flags.contains(TcpFlags::ACK);
        let rst = seg.flags.contains(TcpFlags::RST);
        let syn = seg.flags.contains(TcpFlags::SYN);
        let fin = seg.flags.contains(TcpFlags::FIN);
        let mut seq = self.unwrap_rcv(seg.seq);

        if syn {
            if rst {
                return;
            }
            if self.state == TcpState::SynReceived && seq == 0 {
                if !has_ack {
                    // The peer retransmitted its SYN: our SYN-ACK was lost. Repeat it
                    // now and restart the timer (this is the retransmission).
                    self.syn_pending = true;
                    self.rtx_at = OptTime::some(now + self.rtt.rto());
                    return;
                }
                // Simultaneous open: the peer's SYN-ACK. Its SYN is old news; go on
                // with the rest as if the SYN bit were clear.
                seq = 1;
            } else {
                self.challenge_ack();
                return;
            }
        }

        // 1. Sequence number check.
        let payload = u64::from(seg.payload_len);
        let seg_len = payload + u64::from(fin);
        let rcv_wnd = self.rcv_adv.saturating_sub(self.rcv_nxt);
        let acceptable = if seg_len == 0 {
            self.rcv_nxt <= seq && seq <= self.rcv_nxt + rcv_wnd
        } else if rcv_wnd == 0 {
            payload == 0 && seq == self.rcv_nxt
        } else {
            let in_wnd = |x: u64| self.rcv_nxt <= x && x < self.rcv_nxt + rcv_wnd;
            in_wnd(seq) || in_wnd(seq + seg_len - 1)
        };
        if !acceptable {
            if rst {
                return;
            }
            self.ack_now = true;
            if seq + seg_len <= self.rcv_nxt {
                self.stats.rare().duplicate_segments += 1;
            }
            if fin && self.state == TcpState::TimeWait {
                self.timewait_at = OptTime::some(now + self.cfg.time_wait);
            }
            // RFC 9293: with a zero window, still take ACKs (e.g. on window probes).
            if has_ack && rcv_wnd == 0 && seq == self.rcv_nxt && self.process_ack(now, seg, seq) {
                self.after_ack(now);
            }
            return;
        }

        // 2. RST (RFC 5961 §3.2: exact match resets, in-window draws a challenge ACK).
        if rst {
            if seq == self.rcv_nxt {
                self.on_rst_received();
            } else {
                self.challenge_ack();
            }
            return;
        }

        if self.ts_ok
            && let Some((tsval, _)) = seg.options.timestamps
            && seq <= self.last_ack_sent
            && tsval.wrapping_sub(self.ts_recent) as i32 >= 0
        {
            self.ts_recent = tsval;
        }

        // 5. ACK.
        if !has_ack {
            return;
        }
        if self.state == TcpState::SynReceived {
            let ack = self.unwrap_snd(seg.ack);
            if ack >= 1 && ack <= self.snd_max {
                self.establish(now);
            } else {
                let rst = self.rst_segment(seg.ack);
                self.addons.set_pending_rst(Some(rst));
                return;
            }
        }
        if !self.process_ack(now, seg, seq) {
            return;
        }
        self.after_ack(now);
        if self.state == TcpState::Closed {
            return;
        }

        // 7. Segment text; 8. FIN.
        self.process_data(now, seg, seq, origin);
    }

    /// Transitions caused by our FIN being acknowledged.
    fn after_ack(&mut self, now: SimTime) {
        if let Some(f) = self.fin_seq.get()
            && self.snd_una > f
        {
            match self.state {
                TcpState::FinWait1 => self.set_state(TcpState::FinWait2),
                TcpState::Closing => self.enter_time_wait(now),
                TcpState::LastAck => self.enter_closed(),
                _ => {}
            }
        }
    }

    /// ACK-field processing; false if the segment must be dropped.
    fn process_ack(&mut self, now: SimTime, seg: &TcpRepr, seq: u64) -> bool {
        let ack = self.unwrap_snd(seg.ack);
        if ack > self.snd_max.max(self.probe_high) {
            // Acknowledges something not yet sent.
            self.ack_now = true;
            return false;
        }
        if ack + u64::from(self.max_snd_wnd) < self.snd_una {
            // RFC 5961 §5.2: too old to be plausible.
            self.challenge_ack();
            return false;
        }
        let wnd = u64::from(seg.window) << self.snd_wscale;
        if self.ecn_ok && seg.flags.contains(TcpFlags::ECE) {
            self.on_ecn_echo(now, ack);
        }

        // RFC 6937's DeliveredData: SND.UNA's advance plus the change in SACKed bytes.
        let una_before = self.snd_una;
        let sacked_before = self.scoreboard.sacked_in(una_before, self.snd_max);
        let mut new_sack = false;
        if self.sack_ok && ack >= self.snd_una {
            for &(l, r) in seg.options.sack() {
                let l = self.unwrap_snd(l).max(ack);
                let r = self.unwrap_snd(r).min(self.snd_max);
                if l < r {
                    new_sack |= self.scoreboard.add(l, r);
                    if let Some(rack) = self.addons.rack_mut() {
                        rack.on_sacked(l, r);
                    }
                    if let Some(rate) = self.addons.rate_mut() {
                        rate.on_sacked(l, r);
                    }
                }
            }
        }

        // The timed segment's last byte can only have arrived in that segment,
        // sent once: its first SACK is as good a sample as a cumulative ACK.
        if new_sack
            && self.cfg.rtt_sample == RttSample::Sack
            && let Some((end, t)) = self.rtt_timing.get()
            && ack < end
            && self.scoreboard.sacked_in(end - 1, end) > 0
        {
            self.rtt_timing = TimedSegment::NONE;
            self.rtt_sample(now - t);
        }
        if ack > self.snd_una {
            let ts = self.ts_sample(now, seg);
            if self.ecn_ok {
                self.cc.on_ecn_ack(&EcnAck {
                    bytes_acked: ack - self.snd_una,
                    ece: seg.flags.contains(TcpFlags::ECE),
                    snd_una: ack,
                    snd_nxt: self.snd_max,
                });
            }
            self.on_new_ack(now, ack, ts);
        } else if ack == self.snd_una
            && self.snd_max > self.snd_una
            && seg.payload_len == 0
            && !seg.flags.contains(TcpFlags::FIN)
            && (if self.sack_ok {
                new_sack
            } else {
                wnd == u64::from(self.snd_wnd)
            })
        {
            self.on_dupack(now);
        }

        // Window update (RFC 9293 §3.10.7.4, SND.WL1/SND.WL2 rule).
        if self.snd_wl1 < seq || (self.snd_wl1 == seq && self.snd_wl2 <= ack) {
            self.snd_wnd = clamp_u32(wnd);
            self.snd_wnd_edge = ack + wnd;
            self.snd_wl1 = seq;
            self.snd_wl2 = ack;
            self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
            if self.snd_wnd_edge > self.snd_nxt {
                self.persist_at = OptTime::NONE;
                self.persist_backoff = 0;
            }
        }

        if let Some(rack) = self.addons.rack_mut() {
            rack.on_ack(now, self.snd_una, &self.scoreboard);
            let plain_dupack =
                ack == una_before && seg.options.sack().is_empty() && seg.payload_len == 0;
            let outcome = rack.on_probe_ack(ack, plain_dupack);
            self.rack_detect_loss(now);
            if outcome == ProbeOutcome::Repaired && self.loss.phase() == Recovery::None {
                // RFC 8985 §7.4.2: the probe repaired a loss; respond as
                // fast recovery would, with nothing left to resend.
                let flight = clamp_u32(self.snd_max - self.snd_una);
                self.cc.on_congestion_event(now, flight);
                self.cc.on_recovery_exit(now, flight);
            }
        }
        self.maybe_enter_sack_recovery(now);
        if ack > una_before {
            self.arm_loss_probe(now);
        }
        if self.addons.rate().is_some() {
            self.sample_delivery(now, una_before);
        }
        if self.addons.prr().is_some() && matches!(self.loss.phase(), Recovery::Sack { .. }) {
            let delivered = self.delivered_since(una_before, sacked_before);
            let pipe = self.bytes_in_flight();
            if let Some(prr) = self.addons.prr_mut() {
                let sndcnt = prr.on_ack(delivered, pipe);
                self.cc.set_cwnd(clamp_u32(pipe + sndcnt));
            }
        }
        true
    }

    /// RFC 6675 §5: DupThresh duplicate ACKs, or IsLost(HighACK + 1); with
    /// RACK-TLP, a segment RACK marked lost (RFC 8985 §6.2).
    fn maybe_enter_sack_recovery(&mut self, now: SimTime) {
        if !(self.sack_ok
            && self.loss.phase() == Recovery::None
            && self.snd_max > self.snd_una
            && self.can_enter_recovery())
        {
            return;
        }
        let lost = match self.addons.rack() {
            Some(rack) => rack.has_lost(),
            None => {
                self.loss.get().dupacks >= self.cfg.dupack_threshold
                    || self
                        .scoreboard
                        .lost_end(self.snd_una, self.cfg.dupack_threshold, self.smss)
                        > self.snd_una
            }
        };
        if lost {
            self.enter_sack_recovery(now);
        }
    }

    /// RFC 6937's DeliveredData of this ACK: SND.UNA's advance from
    /// `una_before` plus the change in SACKed bytes from `sacked_before`.
    fn delivered_since(&self, una_before: u64, sacked_before: u64) -> u64 {
        (self.snd_una - una_before + self.scoreboard.sacked_in(self.snd_una, self.snd_max))
            .saturating_sub(sacked_before)
    }

    /// Feeds this ACK (SND.UNA was `una_before`) to the delivery-rate
    /// sampler and its sample to the controller (BBR). A segment counts as
    /// delivered once cumulatively acknowledged or wholly SACKed.
    fn sample_delivery(&mut self, now: SimTime, una_before: u64) {
        let inflight = self.bytes_in_flight();
        let (una, board) = (self.snd_una, &self.scoreboard);
        let Some(rate) = self.addons.rate_mut() else {
            return;
        };
        let arrived =
            |start: u64, end: u64| end <= una || board.sacked_in(start, end) == end - start;
        if let Some(rs) = rate.on_ack(now, una_before, una, inflight, arrived) {
            self.cc.on_delivery(&rs);
        }
    }

    fn on_new_ack(&mut self, now: SimTime, ack: u64, ts_rtt: Option<SimTime>) {
        let acked = ack - self.snd_una;
        let flight_before = self.snd_max - self.snd_una;
        let data_acked = self.data_in(self.snd_una, ack);
        if ack > self.snd_max {
            // A window probe's byte was accepted.
            self.snd_max = ack;
        }
        self.snd_una = ack;
        self.snd_nxt = self.snd_nxt.max(ack);
        self.scoreboard.advance(ack);
        self.rtx_retries = 0;

        let mut sample = ts_rtt;
        if let Some((end, t)) = self.rtt_timing.get()
            && ack >= end
        {
            self.rtt_timing = TimedSegment::NONE;
            sample = sample.or(Some(now - t));
        }
        if let Some(r) = sample {
            self.rtt_sample(r);
        } else if self.cfg.rto_backoff == RtoBackoff::NewAck {
            self.rtt.forget_backoff(&self.cfg.rto_bounds());
        }

        let mut restart_timer = true;
        match self.loss.phase() {
            Recovery::NewReno { recover } => {
                if ack >= recover {
                    self.exit_recovery(now);
                } else {
                    // RFC 6582 §3.2 step 5: partial ACK.
                    self.loss.make().fast_rtx_pending = true;
                    let smss = u64::from(self.smss);
                    let mut cwnd = u64::from(self.cc.cwnd()).saturating_sub(acked);
                    if acked >= smss {
                        cwnd += smss;
                    }
                    self.cc.set_cwnd(clamp_u32(cwnd));
                    // Impatient variant (RFC 6582 §4): reset the timer on the first partial ACK only.
                    let l = self.loss.make();
                    restart_timer = l.partial_acks == 0;
                    l.partial_acks += 1;
                }
            }
            Recovery::Sack { point, .. } => {
                if ack >= point {
                    self.exit_recovery(now);
                }
            }
            Recovery::None => {
                if let Some(l) = self.loss.existing() {
                    l.dupacks = 0;
                }
                if data_acked > 0 {
                    self.cc.on_ack(&AckSample {
                        now,
                        bytes_acked: clamp_u32(data_acked),
                        flight_before: clamp_u32(flight_before),
                        rtt: sample,
                        srtt: self.rtt.srtt(),
                    });
                }
            }
        }
        if self.snd_una >= self.snd_max {
            self.rtx_at = OptTime::NONE;
        } else if restart_timer {
            self.rtx_at = OptTime::some(now + self.rtt.rto());
        }
        if data_acked > 0 && self.writable_wanted && self.send_space() > 0 {
            self.writable_wanted = false;
            self.push(TcpEvent::Writable);
        }
    }

    /// RFC 3168 §6.1.2: an ECE reduces the window as a loss would, without a
    /// retransmission, at most once per window of data (and not during loss
    /// recovery, which has reduced it already).
    fn on_ecn_echo(&mut self, now: SimTime, ack: u64) {
        if ack < self.ecn_recover || self.loss.phase() != Recovery::None {
            return;
        }
        self.cc
            .on_ecn_echo(now, clamp_u32(self.snd_max - self.snd_una));
        self.ecn_recover = self.snd_max + 1;
        self.cwr_pending = true;
        self.stats.rare().ecn_reductions += 1;
    }

    fn on_dupack(&mut self, now: SimTime) {
        let l = self.loss.make();
        l.dupacks += 1;
        if l.dupacks == 1 {
            l.dupack_high = self.snd_max;
        }
        self.stats.rare().dup_acks_received += 1;
        match self.loss.phase() {
            Recovery::NewReno { .. } => {
                // RFC 6582 §3.2 step 4: inflate by one SMSS per further duplicate.
                let cwnd = self.cc.cwnd().saturating_add(self.smss);
                self.cc.set_cwnd(cwnd);
            }
            Recovery::Sack { .. } => {}
            Recovery::None => {
                if !self.sack_ok
                    && self.loss.get().dupacks == self.cfg.dupack_threshold
                    && self.can_enter_recovery()
                {
                    self.enter_newreno(now);
                }
            }
        }
    }

    fn can_enter_recovery(&self) -> bool {
        match self.loss.recover() {
            None => true,
            // RFC 6582: the ACK must cover more than `recover`; RFC 6675 §5.1: HighACK ≥ RecoveryPoint.
            Some(r) if self.sack_ok => self.snd_una >= r,
            Some(r) => self.snd_una > r,
        }
    }

    fn enter_newreno(&mut self, now: SimTime) {
        let flight = clamp_u32(self.loss_flight_size());
        self.cc.on_congestion_event(now, flight);
        let ssthresh = self.cc.ssthresh();
        self.cc.set_cwnd(ssthresh.saturating_add(3 * self.smss));
        let l = self.loss.make();
        l.phase = Recovery::NewReno {
            recover: self.snd_max,
        };
        l.recover = OptOffset::some(self.snd_max);
        l.fast_rtx_pending = true;
        l.partial_acks = 0;
        self.stats.rare().fast_retransmits += 1;
    }

    /// FlightSize for ssthresh on entering fast recovery: the data outstanding,
    /// or with `loss_flight = "before-limited-transmit"` (RFC 5681 §3.2 step 2,
    /// RFC 6675 §5 step 4.2) that less what limited transmit sent since the
    /// first of these duplicate ACKs, or with `"pipe"` the estimate of what is
    /// still in the network (ns-3).
    fn loss_flight_size(&self) -> u64 {
        let outstanding = self.snd_max - self.snd_una;
        match self.cfg.loss_flight {
            LossFlight::BeforeLimitedTransmit if self.loss.get().dupacks > 0 => {
                self.loss
                    .get()
                    .dupack_high
                    .clamp(self.snd_una, self.snd_max)
                    - self.snd_una
            }
            LossFlight::Pipe if self.sack_ok => {
                let lost =
                    self.scoreboard
                        .lost_end(self.snd_una, self.cfg.dupack_threshold, self.smss);
                self.scoreboard
                    .pipe(self.snd_una, self.snd_max, self.snd_una, lost)
            }
            LossFlight::Pipe => outstanding
                .saturating_sub(u64::from(self.loss.get().dupacks) * u64::from(self.smss)),
            _ => outstanding,
        }
    }

    fn enter_sack_recovery(&mut self, now: SimTime) {
        let flight = clamp_u32(self.loss_flight_size());
        self.cc.on_congestion_event(now, flight);
        self.loss.make().phase = Recovery::Sack {
            point: self.snd_max,
            high_rxt: self.snd_una,
            rescue: None,
        };
        let prr = (self.cfg.recovery == LossRecovery::Prr).then(|| {
            Prr::new(
                self.snd_max - self.snd_una,
                u64::from(self.cc.ssthresh()),
                u64::from(self.smss),
            )
        });
        self.addons.set_prr(prr);
        self.loss.make().recover = OptOffset::some(self.snd_max);
        self.snd_nxt = self.snd_max;
        // With RACK the first retransmission is its first mark (usually SND.UNA).
        self.loss.make().fast_rtx_pending = match self.addons.rack_mut() {
            Some(rack) => {
                rack.probe_at = None;
                rack.is_lost(self.snd_una)
            }
            None => true,
        };
        self.stats.rare().fast_retransmits += 1;
        self.stats.rare().sack_recoveries += 1;
    }

    fn exit_recovery(&mut self, now: SimTime) {
        let flight = clamp_u32(self.snd_max - self.snd_una);
        self.cc.on_recovery_exit(now, flight);
        self.loss.end_episode();
        self.addons.set_prr(None);
    }

    /// The URG bit, segment text and FIN (RFC 9293 §3.10.7.4 steps 6–8).
    fn process_data(&mut self, now: SimTime, seg: &TcpRepr, seq: u64, origin: u64) {
        // A zero field points at SEG.SEQ itself: no urgent byte ahead (as BSD).
        if seg.flags.contains(TcpFlags::URG) && seg.urgent > 0 && self.state.can_receive() {
            let up = seq + u64::from(seg.urgent);
            let u = self.addons.urgent_or_default();
            if u.announce(up, self.rcv_nxt) {
                let up = self.wire_rcv(up);
                self.push(TcpEvent::Urgent { up });
            }
        }
        let payload = u64::from(seg.payload_len);
        if payload > 0 {
            if !self.state.can_receive() {
                // Data after the peer's FIN: ignore, but acknowledge.
                self.ack_now = true;
            } else if seq == 0 || origin != seq - 1 {
                self.stats.rare().integrity_errors += 1;
                self.push(TcpEvent::IntegrityError);
                return;
            } else {
                let end = seq + payload;
                if self.read_closed && end > self.rcv_nxt {
                    // New data for a fully closed socket: reset (as BSD and Linux do).
                    self.abort();
                    return;
                }
                let limit = self.rcv_adv.min(self.rcv_fin.get().unwrap_or(u64::MAX));
                let s = seq.max(self.rcv_nxt);
                let e = end.min(limit);
                if e <= s {
                    self.ack_now = true;
                    if end <= self.rcv_nxt {
                        self.stats.rare().duplicate_segments += 1;
                    }
                } else if s == self.rcv_nxt {
                    self.rcv_nxt = e;
                    if !self.reasm.is_empty() {
                        // Fills (part of) a gap: ACK at once (RFC 5681 §4.2).
                        self.rcv_nxt = self.reasm.advance(self.rcv_nxt);
                        self.ack_now = true;
                    }
                    if let Some(u) = self.addons.urgent_mut() {
                        u.arrive(self.rcv_nxt, self.cfg.oob_inline);
                    }
                    self.rcv_unacked = self.rcv_unacked.saturating_add(clamp_u32(e - s));
                    self.push(TcpEvent::Readable);
                    if !self.ack_now {
                        match self.cfg.delayed_ack_timeout() {
                            Some(d) if self.rcv_unacked < 2 * self.smss => {
                                if self.delack_at.is_none() {
                                    self.delack_at = OptTime::some(now + d);
                                }
                            }
                            _ => self.ack_now = true,
                        }
                    }
                } else {
                    // Out of order: queue it and ACK at once (RFC 5681 §4.2).
                    self.reasm.insert(s, e);
                    self.stats.rare().out_of_order_segments += 1;
                    self.ack_now = true;
                }
            }
        }
        if seg.flags.contains(TcpFlags::FIN)
            && self.state.can_receive()
            && self.rcv_fin.get().is_none()
        {
            let f = seq + payload;
            if f <= self.rcv_adv.max(self.rcv_nxt) {
                self.rcv_fin = OptOffset::some(f);
            }
        }
        if let Some(f) = self.rcv_fin.get()
            && !self.fin_received
            && self.rcv_nxt == f
        {
            self.on_fin(now);
        }
    }

    fn on_fin(&mut self, now: SimTime) {
        self.rcv_nxt += 1;
        self.fin_received = true;
        self.ack_now = true;
        self.delack_at = OptTime::NONE;
        self.push(TcpEvent::PeerClosed);
        self.push(TcpEvent::Readable);
        match self.state {
            TcpState::Established => self.set_state(TcpState::CloseWait),
            TcpState::FinWait1 => {
                if self.fin_seq.get().is_some_and(|f| self.snd_una > f) {
                    self.enter_time_wait(now);
                } else {
                    self.set_state(TcpState::Closing);
                }
            }
            TcpState::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }

    fn on_rst_received(&mut self) {
        self.stats.rare().resets_received += 1;
        if matches!(
            self.state,
            TcpState::SynReceived
                | TcpState::Established
                | TcpState::FinWait1
                | TcpState::FinWait2
                | TcpState::CloseWait
        ) {
            self.error = Some(TcpError::Reset);
            self.push(TcpEvent::Reset);
        }
        self.enter_closed();
    }

    fn challenge_ack(&mut self) {
        self.ack_now = true;
        self.stats.rare().challenge_acks += 1;
    }

    // ---------------------------------------------------------------- helpers

    /// Record the peer's SYN options and settle what both sides agreed on.
    fn negotiate(&mut self, opts: &TcpOptions) {
        let peer_mss = opts.mss.unwrap_or(DEFAULT_PEER_MSS);
        if self.cfg.window_scaling
            && let Some(ws) = opts.window_scale
        {
            self.snd_wscale = ws.min(MAX_WINDOW_SCALE);
            self.rcv_wscale = self.cfg.window_scale_shift();
            self.ws_ok = true;
        } else {
            self.snd_wscale = 0;
            self.rcv_wscale = 0;
            self.ws_ok = false;
        }
        self.sack_ok = self.cfg.sack && opts.sack_permitted;
        self.ts_ok = self.cfg.timestamps && opts.timestamps.is_some();
        if let Some((tsval, _)) = opts.timestamps {
            self.ts_recent = tsval;
        }
        let eff = u32::from(self.cfg.mss.min(peer_mss));
        let opt = if self.ts_ok { TIMESTAMP_OPTION_LEN } else { 0 };
        self.smss = eff.saturating_sub(opt).max(1);
    }

    fn establish(&mut self, now: SimTime) {
        self.set_state(TcpState::Established);
        self.stats.handshake_done_at = OptTime::some(now);
        self.keepalive_heard(now);
        let iw = if self
            .cfg
            .syn_loss_window
            .cuts_after(self.syn_retransmissions)
        {
            self.smss
        } else {
            self.cfg.initial_window(self.smss)
        };
        self.cc.init(self.smss, iw);
        if self.sack_ok && self.cfg.loss_detection == LossDetection::RackTlp {
            self.addons.set_rack(Some(Rack::new()));
        }
        if self.syn_retransmitted
            && !self.rtt.has_sample()
            && self.cfg.initial_rto < self.cfg.syn_loss_rto
        {
            self.rtt
                .set_rto(self.cfg.syn_loss_rto, &self.cfg.rto_bounds());
        }
        self.push(TcpEvent::Connected);
        if self.shutdown_pending {
            self.shutdown_pending = false;
            self.write_shut = false;
            self.shutdown_write();
        }
    }

    fn enter_time_wait(&mut self, now: SimTime) {
        self.set_state(TcpState::TimeWait);
        self.timewait_at = OptTime::some(now + self.cfg.time_wait);
        self.rtx_at = OptTime::NONE;
        self.persist_at = OptTime::NONE;
    }

    fn enter_closed(&mut self) {
        self.set_state(TcpState::Closed);
        self.rtx_at = OptTime::NONE;
        self.persist_at = OptTime::NONE;
        self.delack_at = OptTime::NONE;
        self.timewait_at = OptTime::NONE;
        self.keepalive_at = OptTime::NONE;
        self.ack_now = false;
        self.syn_pending = false;
        if let Some(l) = self.loss.existing() {
            l.fast_rtx_pending = false;
        }
        self.probe_pending = false;
        self.push(TcpEvent::Closed);
    }

    fn set_state(&mut self, to: TcpState) {
        if self.state != to {
            let from = self.state;
            self.state = to;
            self.push(TcpEvent::StateChange { from, to });
        }
    }

    fn push(&mut self, ev: TcpEvent) {
        self.events.get_or_insert_with(Box::default).push(ev);
    }

    fn rtt_sample(&mut self, r: SimTime) {
        self.rtt.sample(r, &self.cfg.rto_bounds());
        self.stats.record_rtt(r);
        self.push(TcpEvent::RttSample { rtt: r });
    }

    /// RTT from the echoed timestamp (RFC 7323 §4.1), when timestamps are on.
    fn ts_sample(&self, now: SimTime, seg: &TcpRepr) -> Option<SimTime> {
        if !self.ts_ok {
            return None;
        }
        let (_, ecr) = seg.options.timestamps?;
        if ecr == 0 {
            return None;
        }
        let us = ts_clock(now).wrapping_sub(ecr);
        (us as i32 >= 0).then(|| SimTime::from_micros(u64::from(us)))
    }

    /// A data segment of `len` payload bytes leaves now: the pacer holds the
    /// next one back by its transmission time at the pacing rate (none before
    /// the first RTT sample).
    fn pace(&mut self, now: SimTime, len: u64) {
        let (Some(pacer), Some(srtt)) = (self.addons.pacer_mut(), self.rtt.srtt()) else {
            return;
        };
        let rate = self
            .cc
            .pacing_rate(srtt)
            .unwrap_or_else(|| pacing::default_rate(self.cc.cwnd(), self.cc.ssthresh(), srtt));
        pacer.sent(now, len + pacing::HEADER_BYTES, rate);
    }

    fn report_congestion(&mut self) {
        let now = (self.cc.cwnd(), self.cc.ssthresh(), self.rtt.rto());
        if now != self.reported {
            self.reported = now;
            self.push(TcpEvent::Congestion {
                cwnd: now.0,
                ssthresh: now.1,
                rto: now.2,
            });
        }
    }

    /// Payload bytes within send offsets `[a, b)`.
    fn data_in(&self, a: u64, b: u64) -> u64 {
        b.min(self.snd_data_end).saturating_sub(a.max(1))
    }

    fn wire_snd(&self, off: u64) -> SeqNum {
        self.iss.add(off as u32)
    }

    fn wire_rcv(&self, off: u64) -> SeqNum {
        self.irs.add(off as u32)
    }

    fn unwrap_snd(&self, seq: SeqNum) -> u64 {
        let d = i64::from(seq.diff(self.wire_snd(self.snd_una)));
        (self.snd_una as i64 + d).max(0) as u64
    }

    fn unwrap_rcv(&self, seq: SeqNum) -> u64 {
        let d = i64::from(seq.diff(self.wire_rcv(self.rcv_nxt)));
        (self.rcv_nxt as i64 + d).max(0) as u64
    }
}

/// The TSval clock: microseconds, wrapping at 2^32 (≈ 71 min; fine without PAWS).
fn ts_clock(now: SimTime) -> u32 {
    (now.0 / 1_000) as u32
}

fn clamp_u32(v: u64) -> u32 {
    v.min(u64::from(u32::MAX)) as u32
}

/// The reply to a segment that arrived for no connection (RFC 9293 §3.10.7.1):
/// none to a RST; `<SEQ=SEG.ACK><CTL=RST>` if it had ACK; otherwise
/// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>` (SEG.LEN counts SYN and FIN).
pub fn reset_for(seg: &TcpRepr) -> Option<TcpRepr> {
    if seg.flags.contains(TcpFlags::RST) {
        return None;
    }
    let mut r = TcpRepr {
        src_port: seg.dst_port,
        dst_port: seg.src_port,
        ..TcpRepr::default()
    };
    if seg.flags.contains(TcpFlags::ACK) {
        r.seq = seg.ack;
        r.flags = TcpFlags::RST;
    } else {
        let len = seg.payload_len
            + u32::from(seg.flags.contains(TcpFlags::SYN))
            + u32::from(seg.flags.contains(TcpFlags::FIN));
        r.seq = SeqNum(0);
        r.ack = seg.seq.add(len);
        r.flags = TcpFlags::RST | TcpFlags::ACK;
    }
    Some(r)
}
