//! RACK-TLP loss detection (RFC 8985), chosen by `[tcp] loss_detection =
//! "rack-tlp"` on connections that negotiated SACK.
//!
//! RACK ("recent acknowledgment", §6) marks a segment lost in time, not in
//! sequence space: once a segment sent *later* has been delivered, an
//! earlier one still missing after RACK.rtt + reo_wnd is lost. That applies
//! to retransmissions too, so a lost retransmission is found one round trip
//! after it was sent instead of at the (backed-off) RTO. TLP ("tail loss
//! probe", §7) sends one segment two SRTTs after the last one when no ACK
//! came back, so a loss at the tail of a flight draws the SACK that RACK needs
//! instead of waiting for the RTO.
//!
//! The connection keeps RFC 6675's recovery around this detector, as §9.3
//! allows: recovery starts when RACK marks a segment lost, NextSeg's first
//! rule resends what RACK marked, then new data; rules 3 and 4 (the rescue
//! retransmission) are left to TLP. Pipe is the un-SACKed flight less what is
//! marked lost.
//!
//! Simplifications, stated: no D-SACK (netsim's receivers do not send it), so
//! `reo_wnd_mult` stays 1 (§6.2 step 4) and a probe that only duplicated a
//! delivered segment is recognised by the plain duplicate ACK of §7.4.2; the
//! spurious-retransmission test of §6.2 step 2 uses RACK.min_RTT only (not
//! the echoed timestamp); on an RTO the connection's go-back-N resends
//! everything, so RACK's own RTO marking (§6.3) reduces to forgetting the
//! marks.

use super::reassembly::RangeSet;
use super::sack::Scoreboard;
use crate::sim::SimTime;
use std::collections::VecDeque;

/// RFC 8985 §7.2: the ACK delay a probe of a single segment allows for,
/// when the peer's delayed-ACK timer is not known (WCDelAckT, 200 ms).
pub const WORST_CASE_DELAYED_ACK: SimTime = SimTime::from_millis(200);

/// RFC 8985 §7.2 TLP_calc_PTO: 2·SRTT (plus the worst-case delayed ACK when
/// only one segment is in flight), 1 s before any RTT sample, and never
/// later than the RTO would fire (`rto_left`).
pub fn probe_timeout(srtt: Option<SimTime>, one_segment: bool, rto_left: SimTime) -> SimTime {
    let pto = match srtt {
        Some(srtt) if one_segment => srtt.saturating_mul(2) + WORST_CASE_DELAYED_ACK,
        Some(srtt) => srtt.saturating_mul(2),
        None => SimTime::from_secs(1),
    };
    pto.min(rto_left)
}

/// RFC 8985 §6.2 step 4 (RACK_update_reo_wnd) without D-SACK: before any
/// reordering was seen, 0 during recovery or once DupThresh segments are
/// SACKed (the classic rule), else min_RTT/4 bounded by SRTT.
pub fn reordering_window(
    reordering_seen: bool,
    in_recovery: bool,
    dupthresh_sacked: bool,
    min_rtt: SimTime,
    srtt: SimTime,
) -> SimTime {
    if !reordering_seen && (in_recovery || dupthresh_sacked) {
        return SimTime::ZERO;
    }
    SimTime::from_nanos(min_rtt.as_nanos() / 4).min(srtt)
}

/// One transmission of a range of the sequence space (§5.2's per-segment state).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Transmission {
    start: u64,
    end: u64,
    xmit_ts: SimTime,
    retransmitted: bool,
    lost: bool,
}

/// RACK_sent_after (§6.2): sent later, or at the same time and higher in sequence.
fn sent_after(t1: SimTime, end1: u64, t2: SimTime, end2: u64) -> bool {
    t1 > t2 || (t1 == t2 && end1 > end2)
}

/// What an ACK did to an outstanding tail loss probe (§7.4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProbeOutcome {
    /// No probe outstanding, or the ACK does not tell yet.
    Pending,
    /// The probe's episode ended without a loss (new data delivered, or the
    /// probe duplicated a segment that had arrived).
    NoLoss,
    /// The probe retransmission repaired a loss: react as to a loss.
    Repaired,
}

/// RACK's and TLP's state for one connection.
#[derive(Clone, Debug, Default)]
pub struct Rack {
    /// Transmissions not yet delivered, in send order.
    sent: VecDeque<Transmission>,
    /// Octets marked lost and not sent again since (always un-SACKed).
    lost: RangeSet,
    /// RACK.xmit_ts and RACK.end_seq: the latest-sent delivered transmission.
    newest_delivered: Option<(SimTime, u64)>,
    /// RACK.rtt: the RTT of that transmission.
    rtt: SimTime,
    min_rtt: Option<SimTime>,
    /// RACK.fack: the highest end delivered.
    fack: u64,
    reordering_seen: bool,
    /// When the reordering timer (§6.2 step 5) fires.
    pub reorder_at: Option<SimTime>,
    /// When the probe timer (§7.2) fires.
    pub probe_at: Option<SimTime>,
    /// A probe is due (its timer fired).
    pub probe_due: bool,
    /// TLP.end_seq and TLP.is_retrans of the outstanding probe.
    probe_end: Option<u64>,
    probe_is_retrans: bool,
    /// Delivered transmissions of the current ACK (reused).
    delivered: Vec<Transmission>,
    /// A retransmission is outstanding, so `sent` is not in sequence order.
    resent: bool,
}

impl Rack {
    pub fn new() -> Self {
        Rack::default()
    }

    pub fn next_timer(&self) -> Option<SimTime> {
        match (self.reorder_at, self.probe_at) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// `[start, end)` left at `now`; `again` if any of it had been sent before.
    pub fn on_send(&mut self, now: SimTime, start: u64, end: u64, again: bool) {
        if again {
            self.forget_range(start, end);
            self.lost.remove(start, end);
            self.resent = true;
        }
        self.sent.push_back(Transmission {
            start,
            end,
            xmit_ts: now,
            retransmitted: again,
            lost: false,
        });
    }

    /// Drops the parts of earlier transmissions inside `[start, end)`.
    fn forget_range(&mut self, start: u64, end: u64) {
        let mut i = 0;
        while i < self.sent.len() {
            let t = self.sent[i];
            if t.end <= start || t.start >= end {
                i += 1;
                continue;
            }
            match (t.start < start, t.end > end) {
                (false, false) => {
                    self.sent.remove(i);
                    continue;
                }
                (true, false) => self.sent[i].end = start,
                (false, true) => self.sent[i].start = end,
                (true, true) => {
                    self.sent[i].end = start;
                    let tail = Transmission { start: end, ..t };
                    self.sent.insert(i + 1, tail);
                    i += 1;
                }
            }
            i += 1;
        }
    }

    /// The peer SACKed `[start, end)`: none of it is lost.
    pub fn on_sacked(&mut self, start: u64, end: u64) {
        self.lost.remove(start, end);
    }

    /// An ACK arrived at `now` with SND.UNA = `una`: RFC 8985 §6.2 steps 1–3
    /// over the transmissions it delivered (cumulatively or wholly SACKed).
    pub fn on_ack(&mut self, now: SimTime, una: u64, board: &Scoreboard) {
        self.lost.remove_below(una);
        let mut delivered = std::mem::take(&mut self.delivered);
        delivered.clear();
        // In sequence order, what the cumulative ACK covers is at the front;
        // only SACKs or an outstanding retransmission need the whole list.
        while let Some(&t) = self.sent.front().filter(|t| t.end <= una) {
            delivered.push(t);
            self.sent.pop_front();
        }
        if self.resent || !board.is_empty() {
            self.sent.retain(|t| {
                let done = t.end <= una || board.sacked_in(t.start, t.end) == t.end - t.start;
                if done {
                    delivered.push(*t);
                }
                !done
            });
        }
        if self.sent.is_empty() {
            self.resent = false;
        }
        // Step 2, in send order.
        for t in &delivered {
            let rtt = now.saturating_sub(t.xmit_ts);
            if t.retransmitted && self.min_rtt.is_some_and(|m| rtt < m) {
                // Possibly the original's ACK: no timing from it.
                continue;
            }
            self.min_rtt = Some(self.min_rtt.map_or(rtt, |m| m.min(rtt)));
            self.rtt = rtt;
            if self
                .newest_delivered
                .is_none_or(|(ts, end)| sent_after(t.xmit_ts, t.end, ts, end))
            {
                self.newest_delivered = Some((t.xmit_ts, t.end));
            }
        }
        // Step 3, in sequence order.
        delivered.sort_unstable_by_key(|t| t.end);
        for t in &delivered {
            if t.end > self.fack {
                self.fack = t.end;
            } else if t.end < self.fack && !t.retransmitted {
                self.reordering_seen = true;
            }
        }
        self.delivered = delivered;
    }

    /// The reordering window for this ACK (§6.2 step 4).
    pub fn reo_wnd(&self, in_recovery: bool, dupthresh_sacked: bool, srtt: SimTime) -> SimTime {
        reordering_window(
            self.reordering_seen,
            in_recovery,
            dupthresh_sacked,
            self.min_rtt.unwrap_or(SimTime::ZERO),
            srtt,
        )
    }

    /// §6.2 step 5 (RACK_detect_loss): marks lost every transmission sent
    /// before the newest delivered one and outstanding for longer than
    /// RACK.rtt + `reo_wnd`; arms the reordering timer for the ones not yet
    /// overdue. Returns how many transmissions were newly marked.
    pub fn detect_loss(&mut self, now: SimTime, reo_wnd: SimTime, board: &Scoreboard) -> u32 {
        let Some((newest_ts, newest_end)) = self.newest_delivered else {
            return 0;
        };
        let mut marked = 0;
        let mut wait = SimTime::ZERO;
        for t in self.sent.iter_mut() {
            if t.xmit_ts > newest_ts {
                break; // this and everything after it was sent later
            }
            if t.lost || sent_after(t.xmit_ts, t.end, newest_ts, newest_end) {
                continue;
            }
            let deadline = t.xmit_ts + self.rtt + reo_wnd;
            if deadline <= now {
                t.lost = true;
                marked += 1;
                let mut at = t.start;
                while let Some((s, e)) = board.hole_from(at, t.end) {
                    self.lost.insert(s, e);
                    at = e;
                }
            } else {
                wait = wait.max(deadline - now);
            }
        }
        self.reorder_at = (wait > SimTime::ZERO).then(|| now + wait);
        marked
    }

    /// Whether any octet is marked lost and not yet resent.
    pub fn has_lost(&self) -> bool {
        !self.lost.is_empty()
    }

    pub fn is_lost(&self, at: u64) -> bool {
        self.lost.containing(at).is_some()
    }

    /// The first range marked lost and not resent: NextSeg's rule 1.
    pub fn first_lost(&self) -> Option<(u64, u64)> {
        self.lost.first()
    }

    /// Octets marked lost and not resent (they are not in the pipe).
    pub fn lost_bytes(&self) -> u64 {
        self.lost.total()
    }

    /// Octets in `[a, b)` marked lost and not resent.
    pub fn lost_in(&self, a: u64, b: u64) -> u64 {
        self.lost.covered_in(a, b)
    }

    /// An RTO: go-back-N will resend everything, so the marks and any probe go.
    pub fn on_rto(&mut self) {
        self.lost.clear();
        self.reorder_at = None;
        self.probe_at = None;
        self.probe_due = false;
        self.probe_end = None;
    }

    /// No probe may be scheduled while one is outstanding (§7.2).
    pub fn probe_outstanding(&self) -> bool {
        self.probe_end.is_some() || self.probe_due
    }

    /// A probe went out; SND.NXT after it is `end`.
    pub fn on_probe_sent(&mut self, end: u64, is_retrans: bool) {
        self.probe_due = false;
        self.probe_end = Some(end);
        self.probe_is_retrans = is_retrans;
    }

    /// §7.4.2 TLP_process_ack: `ack` is the ACK's cumulative point;
    /// `plain_dupack` when it acknowledged nothing new and carried no SACK.
    pub fn on_probe_ack(&mut self, ack: u64, plain_dupack: bool) -> ProbeOutcome {
        let Some(end) = self.probe_end else {
            return ProbeOutcome::Pending;
        };
        if ack < end {
            return ProbeOutcome::Pending;
        }
        let outcome = if !self.probe_is_retrans || plain_dupack {
            ProbeOutcome::NoLoss
        } else if ack > end {
            ProbeOutcome::Repaired
        } else {
            return ProbeOutcome::Pending;
        };
        self.probe_end = None;
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    #[test]
    fn probe_timeout_per_rfc8985_7_2() {
        // 2·SRTT with several segments out.
        assert_eq!(probe_timeout(Some(ms(50)), false, ms(1000)), ms(100));
        // One segment: + WCDelAckT (200 ms).
        assert_eq!(probe_timeout(Some(ms(50)), true, ms(1000)), ms(300));
        // No SRTT yet: 1 s; never after the RTO.
        assert_eq!(probe_timeout(None, false, ms(5000)), ms(1000));
        assert_eq!(probe_timeout(Some(ms(50)), true, ms(240)), ms(240));
    }

    #[test]
    fn reordering_window_per_rfc8985_6_2_step_4() {
        let (min_rtt, srtt) = (ms(40), ms(60));
        // No reordering seen: 0 in recovery or with DupThresh SACKed segments.
        assert_eq!(
            reordering_window(false, true, false, min_rtt, srtt),
            SimTime::ZERO
        );
        assert_eq!(
            reordering_window(false, false, true, min_rtt, srtt),
            SimTime::ZERO
        );
        // Otherwise min_RTT/4 …
        assert_eq!(
            reordering_window(false, false, false, min_rtt, srtt),
            ms(10)
        );
        assert_eq!(reordering_window(true, true, true, min_rtt, srtt), ms(10));
        // … bounded by SRTT.
        assert_eq!(reordering_window(true, false, false, ms(400), srtt), srtt);
    }

    /// Ten segments of 100 sent 1 ms apart; the third is lost. Segments 4–6
    /// are SACKed 50 ms after each was sent.
    fn ten_segments_third_lost() -> (Rack, Scoreboard) {
        let mut rack = Rack::new();
        for i in 0..10u64 {
            rack.on_send(ms(i), 100 * i, 100 * (i + 1), false);
        }
        let board = Scoreboard::new();
        rack.on_ack(ms(50), 100, &board);
        rack.on_ack(ms(51), 200, &board);
        (rack, board.clone_with(&[(300, 400)]))
    }

    impl Scoreboard {
        fn clone_with(&self, ranges: &[(u64, u64)]) -> Scoreboard {
            let mut b = self.clone();
            for &(s, e) in ranges {
                b.add(s, e);
            }
            b
        }
    }

    #[test]
    fn loss_is_marked_after_rtt_plus_reordering_window() {
        let (mut rack, board) = ten_segments_third_lost();
        // Segment 4 (sent at 3 ms) SACKed at 53 ms: RACK.rtt = 50 ms.
        rack.on_ack(ms(53), 200, &board);
        assert_eq!(rack.min_rtt, Some(ms(50)));
        // One segment SACKed, no reordering: reo_wnd = min_RTT/4 = 12.5 ms.
        let reo = rack.reo_wnd(false, false, ms(50));
        assert_eq!(reo, SimTime::from_micros(12_500));
        // Segment 3 (sent at 2 ms) is overdue at 2 + 50 + 12.5 = 64.5 ms.
        assert_eq!(rack.detect_loss(ms(53), reo, &board), 0);
        assert_eq!(rack.reorder_at, Some(SimTime::from_micros(64_500)));
        assert_eq!(
            rack.detect_loss(SimTime::from_micros(64_500), reo, &board),
            1
        );
        assert_eq!(rack.first_lost(), Some((200, 300)));
        assert_eq!(rack.lost_bytes(), 100);
        // Three SACKed (DupThresh): reo_wnd 0, so it is lost at once.
        let (mut rack, board) = ten_segments_third_lost();
        let board = board.clone_with(&[(300, 600)]);
        rack.on_ack(ms(55), 200, &board);
        assert_eq!(rack.reo_wnd(false, true, ms(50)), SimTime::ZERO);
        assert_eq!(rack.detect_loss(ms(55), SimTime::ZERO, &board), 1);
        assert_eq!(rack.first_lost(), Some((200, 300)));
        // Nothing sent after the newest delivered one is marked.
        assert_eq!(rack.lost_bytes(), 100);
    }

    #[test]
    fn a_lost_retransmission_is_found_one_rtt_after_it_was_sent() {
        let (mut rack, board) = ten_segments_third_lost();
        let board = board.clone_with(&[(300, 600)]);
        rack.on_ack(ms(55), 200, &board);
        assert_eq!(rack.detect_loss(ms(55), SimTime::ZERO, &board), 1);
        // Resent at 55 ms: no longer lost; new data 10.. goes out behind it.
        rack.on_send(ms(55), 200, 300, true);
        assert!(!rack.has_lost());
        rack.on_send(ms(56), 1000, 1100, false);
        // The retransmission is lost too; the new segment is SACKed at 106 ms.
        let board = board.clone_with(&[(1000, 1100)]);
        rack.on_ack(ms(106), 200, &board);
        // The retransmission and the four originals still unanswered (6–9).
        assert_eq!(rack.detect_loss(ms(106), SimTime::ZERO, &board), 5);
        assert_eq!(rack.first_lost(), Some((200, 300)));
    }

    #[test]
    fn reordering_is_seen_when_an_older_original_arrives_after_a_newer_one() {
        let (mut rack, board) = ten_segments_third_lost();
        rack.on_ack(ms(53), 200, &board);
        assert!(!rack.reordering_seen);
        // Segment 3 was only late: the cumulative ACK covers it below RACK.fack.
        rack.on_ack(ms(60), 400, &board);
        assert!(rack.reordering_seen);
        // From now on the window stays min_RTT/4 even in recovery.
        assert_eq!(
            rack.reo_wnd(true, true, ms(50)),
            SimTime::from_micros(12_500)
        );
    }

    #[test]
    fn a_retransmission_answered_too_soon_gives_no_timing() {
        let mut rack = Rack::new();
        rack.on_send(ms(0), 0, 100, false);
        rack.on_ack(ms(50), 100, &Scoreboard::new());
        rack.on_send(ms(60), 100, 200, false);
        rack.on_send(ms(200), 100, 200, true);
        // ACKed 10 ms after the resend: the original's ACK (10 < min_RTT 50).
        rack.on_ack(ms(210), 200, &Scoreboard::new());
        assert_eq!(rack.rtt, ms(50));
        assert_eq!(rack.newest_delivered, Some((ms(0), 100)));
    }

    #[test]
    fn a_partial_resend_splits_the_earlier_transmission() {
        let mut rack = Rack::new();
        rack.on_send(ms(0), 0, 300, false);
        rack.on_send(ms(10), 100, 200, true);
        let ranges: Vec<_> = rack.sent.iter().map(|t| (t.start, t.end)).collect();
        assert_eq!(ranges, [(0, 100), (200, 300), (100, 200)]);
    }

    #[test]
    fn probe_outcomes_per_rfc8985_7_4_2() {
        // A probe of new data: its ACK ends the episode, no loss.
        let mut rack = Rack::new();
        rack.on_probe_sent(1000, false);
        assert_eq!(rack.on_probe_ack(900, false), ProbeOutcome::Pending);
        assert_eq!(rack.on_probe_ack(1000, false), ProbeOutcome::NoLoss);
        assert!(!rack.probe_outstanding());
        // A retransmitted probe: an ACK of exactly its end is ambiguous; one
        // beyond it means the probe repaired a loss.
        rack.on_probe_sent(1000, true);
        assert_eq!(rack.on_probe_ack(1000, false), ProbeOutcome::Pending);
        assert_eq!(rack.on_probe_ack(1200, false), ProbeOutcome::Repaired);
        // A plain duplicate ACK at its end: the original had arrived.
        rack.on_probe_sent(1000, true);
        assert_eq!(rack.on_probe_ack(1000, true), ProbeOutcome::NoLoss);
    }
}
