//! Pacing: segments leave one at a time at a rate, instead of in bursts as
//! ACKs open the window (`[tcp] pacing = true`).
//!
//! After each data segment the next may leave `size / rate` later (an earliest
//! departure time, as Linux's TCP stack computes `tcp_wstamp_ns` for the fq
//! qdisc): an idle pacer earns no credit for a later burst. The rate is the
//! controller's own when it has one (BBR's pacing gain times its bandwidth
//! estimate); otherwise Linux's `tcp_update_pacing_rate`: cwnd / SRTT, times
//! 2 in slow start while cwnd < ssthresh / 2 (so that the window can still
//! double each round trip) and 1.2 after. Before the first RTT sample nothing
//! is paced.

use crate::sim::SimTime;

/// Bytes a data segment takes on the wire beyond its payload that pacing
/// counts: IPv4 and TCP headers without options, as Linux counts skb->len.
pub const HEADER_BYTES: u64 = 40;

/// The default pacing rate in bytes per second (Linux's ratios, in percent:
/// `tcp_pacing_ss_ratio` 200, `tcp_pacing_ca_ratio` 120).
pub fn default_rate(cwnd: u32, ssthresh: u32, srtt: SimTime) -> u64 {
    let ratio: u128 = if u64::from(cwnd) * 2 < u64::from(ssthresh) {
        200
    } else {
        120
    };
    let srtt = u128::from(srtt.as_nanos().max(1));
    let rate = u128::from(cwnd) * ratio * 1_000_000_000 / 100 / srtt;
    rate.clamp(1, u128::from(u64::MAX)) as u64
}

/// Earliest departure of the next paced segment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Pacer {
    next: SimTime,
}

impl Pacer {
    /// May a segment leave at `now`?
    pub fn ready(&self, now: SimTime) -> bool {
        now >= self.next
    }

    /// When the next segment may leave.
    pub fn release_at(&self) -> SimTime {
        self.next
    }

    /// A segment of `bytes` (payload and headers) left at `now`; at `rate`
    /// bytes per second the next leaves its transmission time later.
    pub fn sent(&mut self, now: SimTime, bytes: u64, rate: u64) {
        let gap = u128::from(bytes) * 1_000_000_000 / u128::from(rate.max(1));
        let gap = SimTime::from_nanos(gap.min(u128::from(u64::MAX)) as u64);
        self.next = self.next.max(now) + gap;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn linux_ratios_double_in_slow_start_and_add_a_fifth_after() {
        let srtt = SimTime::from_millis(40);
        // cwnd 14,480 B over 40 ms is 362,000 B/s.
        assert_eq!(default_rate(14_480, u32::MAX, srtt), 724_000);
        // At half of ssthresh slow start no longer counts as early.
        assert_eq!(default_rate(14_480, 28_960, srtt), 434_400);
        assert_eq!(default_rate(14_480, 28_961, srtt), 724_000);
        // Congestion avoidance: 120%.
        assert_eq!(default_rate(14_480, 10_000, srtt), 434_400);
    }

    #[test]
    fn segments_leave_their_transmission_time_apart_and_idle_earns_no_burst() {
        let mut p = Pacer::default();
        let t0 = SimTime::from_millis(100);
        assert!(p.ready(t0));
        // 1,488 B at 1,250,000 B/s (10 Mbit/s): 1,190,400 ns.
        p.sent(t0, 1488, 1_250_000);
        assert_eq!(p.release_at(), t0 + SimTime::from_nanos(1_190_400));
        assert!(!p.ready(t0 + SimTime::from_nanos(1_190_399)));
        assert!(p.ready(t0 + SimTime::from_nanos(1_190_400)));
        // Sent late: the gap counts from when it left, not from when it could have.
        let late = t0 + SimTime::from_millis(50);
        p.sent(late, 1488, 1_250_000);
        assert_eq!(p.release_at(), late + SimTime::from_nanos(1_190_400));
    }
}
