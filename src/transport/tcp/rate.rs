//! Delivery-rate samples (draft-cheng-iccrg-delivery-rate-estimation-02),
//! kept only for controllers that ask for them (BBR).
//!
//! Each data segment remembers, when it is sent, how much had been delivered
//! and when (`delivered`, `delivered_time`) and when the flight it belongs to
//! began (`first_sent_time`). When an ACK covers segments, the most recently
//! sent of them gives the sample (§3.3): the data delivered since it was sent,
//! over the longer of the send and ACK intervals (taking the longer guards
//! against ACK compression, §3.3.4).
//!
//! Delivered data is RFC 6937's DeliveredData (what the cumulative ACK
//! advanced plus what was newly SACKed), each byte counted once: the sampler
//! keeps its own record of what it counted above SND.UNA, so SACK blocks
//! that come again after an RTO cleared the scoreboard (RFC 2018 §8) are not
//! delivered twice. A segment counts as arrived once acknowledged or wholly
//! SACKed. Simplification, stated: the application-
//! limited marking of §3.2 is not kept (netsim's bulk senders are seldom
//! application-limited), so no sample is flagged as such.

use super::reassembly::RangeSet;
use crate::sim::SimTime;
use crate::transport::tcp::congestion::RateSample;
use std::collections::VecDeque;

/// What a segment remembers from its send.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Sent {
    /// The segment's stream offsets.
    start: u64,
    end: u64,
    sent_at: SimTime,
    delivered: u64,
    delivered_time: SimTime,
    first_sent_time: SimTime,
    /// Sent before too (its ACK may be the earlier copy's).
    retransmission: bool,
}

#[derive(Clone, Debug, Default)]
pub struct DeliveryRate {
    /// C.delivered: bytes cumulatively acknowledged so far.
    delivered: u64,
    delivered_time: SimTime,
    first_sent_time: SimTime,
    /// Segments sent and not yet covered by a cumulative ACK, in send order.
    sent: VecDeque<Sent>,
    /// SACKed ranges above SND.UNA already counted as delivered.
    counted: RangeSet,
    /// Bytes newly SACKed by the ACK being processed.
    sacked_now: u64,
}

impl DeliveryRate {
    /// A data segment ending at `end` leaves at `now`; `idle` when nothing
    /// was in flight before it (a new flight starts, §3.2).
    pub fn on_send(
        &mut self,
        now: SimTime,
        start: u64,
        end: u64,
        idle: bool,
        retransmission: bool,
    ) {
        if idle {
            self.first_sent_time = now;
            self.delivered_time = now;
        }
        self.sent.push_back(Sent {
            start,
            end,
            sent_at: now,
            delivered: self.delivered,
            delivered_time: self.delivered_time,
            first_sent_time: self.first_sent_time,
            retransmission,
        });
    }

    /// The ACK being processed SACKs `[start, end)`.
    pub fn on_sacked(&mut self, start: u64, end: u64) {
        self.sacked_now += self.counted.insert(start, end);
    }

    /// An ACK moved SND.UNA from `una_before` to `una` at `now` (after its
    /// blocks went to `on_sacked`), leaving `inflight` bytes in the network;
    /// `arrived(start, end)` tells which segments are now known delivered.
    /// The sample, if a segment this sampler saw sent arrived.
    pub fn on_ack(
        &mut self,
        now: SimTime,
        una_before: u64,
        una: u64,
        inflight: u64,
        arrived: impl Fn(u64, u64) -> bool,
    ) -> Option<RateSample> {
        let newly = std::mem::take(&mut self.sacked_now) + (una - una_before)
            - self.counted.covered_in(una_before, una);
        self.counted.remove_below(una);
        self.delivered += newly;
        self.delivered_time = now;
        // The newest of the arrived segments (a retransmission is sent later
        // than what follows it, so the whole list is looked at).
        let mut newest: Option<Sent> = None;
        self.sent.retain(|s| {
            if !arrived(s.start, s.end) {
                return true;
            }
            if newest.is_none_or(|n| s.sent_at >= n.sent_at) {
                newest = Some(*s);
            }
            false
        });
        let s = newest?;
        self.first_sent_time = s.sent_at;
        let send_elapsed = s.sent_at - s.first_sent_time;
        let ack_elapsed = now - s.delivered_time;
        Some(RateSample {
            now,
            delivered: self.delivered - s.delivered,
            interval: send_elapsed.max(ack_elapsed),
            prior_delivered: s.delivered,
            total_delivered: self.delivered,
            // Karn: a retransmission's ACK may answer the earlier copy.
            rtt: (!s.retransmission).then(|| now - s.sent_at),
            newly_acked: newly,
            inflight,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(v: u64) -> SimTime {
        SimTime::from_millis(v)
    }

    #[test]
    fn a_flight_of_ten_segments_acked_over_one_interval() {
        // Ten 1,000-byte segments leave 1 ms apart from t = 0 (one flight);
        // the ACKs come back 50 ms after each.
        let mut r = DeliveryRate::default();
        for i in 0..10u64 {
            r.on_send(ms(i), i * 1000, (i + 1) * 1000, i == 0, false);
        }
        let acked = |una: u64| move |_: u64, end: u64| end <= una;
        let first = r.on_ack(ms(50), 0, 1000, 9000, acked(1000)).unwrap();
        // The first: 1,000 B over max(send 0, ack 50 ms) = 20,000 B/s.
        assert_eq!(first.delivered, 1000);
        assert_eq!(first.interval, ms(50));
        assert_eq!(first.rtt, Some(ms(50)));
        assert_eq!(first.prior_delivered, 0);
        // The tenth, acked at 59 ms, was sent at 9 ms when nothing had been
        // delivered and its flight had begun at 0 ms: 10,000 B over
        // max(send interval 9 ms, ACK interval 59 ms).
        let mut last = None;
        for i in 1..10u64 {
            last = r.on_ack(
                ms(50 + i),
                i * 1000,
                (i + 1) * 1000,
                (9 - i) * 1000,
                acked((i + 1) * 1000),
            );
        }
        let last = last.unwrap();
        assert_eq!(last.delivered, 10_000);
        assert_eq!(last.interval, ms(59));
        assert_eq!(last.total_delivered, 10_000);
        assert_eq!(last.inflight, 0);
    }

    #[test]
    fn the_newest_covered_segment_gives_the_sample_and_a_retransmission_no_rtt() {
        let mut r = DeliveryRate::default();
        r.on_send(ms(0), 0, 1000, true, false);
        r.on_send(ms(1), 1000, 2000, false, false);
        // The first is lost and resent at 100 ms; one ACK covers both at 150 ms.
        r.on_send(ms(100), 0, 1000, false, true);
        let s = r.on_ack(ms(150), 0, 2000, 0, |_, end| end <= 2000).unwrap();
        // The newest send gives the rate sample, but no RTT (Karn).
        assert_eq!(s.rtt, None);
        assert_eq!(s.delivered, 2000);
        assert_eq!(s.interval, ms(150), "from the flight's start at 0 ms");
        // Nothing left to sample: an ACK of nothing new gives none.
        assert!(
            r.on_ack(ms(151), 2000, 2000, 0, |_, end| end <= 2000)
                .is_none()
        );
    }

    #[test]
    fn sack_blocks_reported_again_after_an_rto_are_not_delivered_twice() {
        let mut r = DeliveryRate::default();
        for i in 0..4u64 {
            r.on_send(ms(i), i * 1000, (i + 1) * 1000, i == 0, false);
        }
        // The first segment is lost; 1000..4000 is SACKed.
        r.on_sacked(1000, 4000);
        let s = r.on_ack(ms(50), 0, 0, 1000, |s, _| s >= 1000).unwrap();
        assert_eq!(s.delivered, 3000);
        // After an RTO the connection forgot its scoreboard; the next ACK
        // repeats the block and then the cumulative ACK covers everything:
        // only the lost segment's 1,000 bytes are new.
        r.on_send(ms(1000), 0, 1000, false, true);
        r.on_sacked(1000, 4000);
        let s = r.on_ack(ms(1050), 0, 4000, 0, |_, e| e <= 4000).unwrap();
        assert_eq!(s.total_delivered, 4000);
        assert_eq!(s.newly_acked, 1000);
    }
}
