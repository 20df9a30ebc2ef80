//! The sender's SACK scoreboard and the RFC 6675 queries built on it
//! (IsLost, SetPipe, the holes NextSeg walks).
//!
//! Positions are 64-bit unwrapped sequence offsets. The scoreboard holds the
//! SACKed ranges above HighACK (SND.UNA); everything between them, up to
//! HighData (SND.MAX), is a hole.
//!
//! IsLost is monotone: the more is SACKed above a hole, the surer it is lost, and
//! every hole below a lost hole is lost too. So one boundary answers it for all
//! holes: `lost_end` — every un-SACKed octet below it is lost.

use super::reassembly::RangeSet;

#[derive(Clone, Debug, Default)]
pub struct Scoreboard {
    sacked: RangeSet,
}

impl Scoreboard {
    pub fn new() -> Self {
        Scoreboard::default()
    }

    pub fn clear(&mut self) {
        self.sacked.clear();
        self.sacked.release_if_empty();
    }

    /// Nothing above SND.UNA is SACKed.
    pub fn is_empty(&self) -> bool {
        self.sacked.is_empty()
    }

    /// Record one SACK block, already clamped to `[HighACK, HighData)`.
    /// Returns true if it covered octets not SACKed before (RFC 6675 Update()).
    pub fn add(&mut self, start: u64, end: u64) -> bool {
        self.sacked.insert(start, end) > 0
    }

    /// The cumulative ACK moved to `una`: forget what it covers.
    pub fn advance(&mut self, una: u64) {
        self.sacked.remove_below(una);
        self.sacked.release_if_empty();
    }

    /// The octet after the highest SACKed octet, if anything is SACKed.
    pub fn highest_sacked(&self) -> Option<u64> {
        self.sacked.last().map(|r| r.1)
    }

    /// Bytes SACKed in `[a, b)`.
    pub fn sacked_in(&self, a: u64, b: u64) -> u64 {
        self.sacked.covered_in(a, b)
    }

    /// The first position at or after `point` that is not SACKed.
    pub fn skip_sacked(&self, point: u64) -> u64 {
        match self.sacked.containing(point) {
            Some((_, e)) => e,
            None => point,
        }
    }

    /// The start of the first SACKed range beginning after `point`, if any.
    pub fn next_sacked_start(&self, point: u64) -> Option<u64> {
        let r = self.sacked.ranges();
        r.get(r.partition_point(|x| x.0 <= point)).map(|x| x.0)
    }

    /// The first hole `[start, end)` at or after `from`, bounded by `high_data`.
    pub fn hole_from(&self, from: u64, high_data: u64) -> Option<(u64, u64)> {
        let start = self.skip_sacked(from);
        if start >= high_data {
            return None;
        }
        let end = self
            .next_sacked_start(start)
            .unwrap_or(high_data)
            .min(high_data);
        Some((start, end))
    }

    /// The last hole below `high_data`: `[start, end)` holding the highest
    /// un-SACKed octet, with `start >= una`.
    pub fn last_hole(&self, una: u64, high_data: u64) -> Option<(u64, u64)> {
        let r = self.sacked.ranges();
        let mut end = high_data;
        let mut k = r.partition_point(|x| x.0 < end);
        while k > 0 && r[k - 1].1 >= end {
            end = r[k - 1].0;
            k -= 1;
        }
        if end <= una {
            return None;
        }
        let start = if k > 0 { r[k - 1].1.max(una) } else { una };
        Some((start, end))
    }

    /// RFC 6675 IsLost as a boundary: every un-SACKed octet below the returned
    /// position has either `dupthresh` discontiguous SACKed blocks or more than
    /// `(dupthresh − 1)·smss` SACKed bytes above it. Returns `una` when nothing
    /// is deemed lost.
    pub fn lost_end(&self, una: u64, dupthresh: u32, smss: u32) -> u64 {
        let byte_limit = u64::from(dupthresh.saturating_sub(1)) * u64::from(smss);
        let mut bytes = 0u64;
        let mut blocks = 0u32;
        for &(s, e) in self.sacked.ranges().iter().rev() {
            bytes += e - s;
            blocks += 1;
            if blocks >= dupthresh || bytes > byte_limit {
                return s.max(una);
            }
        }
        una
    }

    /// RFC 6675 SetPipe(): octets in `[una, high_data)` not SACKed and not lost
    /// count once, octets retransmitted in this recovery (below `high_rxt`)
    /// count once more.
    pub fn pipe(&self, una: u64, high_data: u64, high_rxt: u64, lost_end: u64) -> u64 {
        if high_data <= una {
            return 0;
        }
        let unsacked = |a: u64, b: u64| {
            if b <= a {
                0
            } else {
                (b - a) - self.sacked.covered_in(a, b)
            }
        };
        let lost = lost_end.clamp(una, high_data);
        let rxt = high_rxt.clamp(una, high_data);
        unsacked(lost, high_data) + unsacked(una, rxt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSS: u32 = 100;

    fn board(ranges: &[(u64, u64)]) -> Scoreboard {
        let mut b = Scoreboard::new();
        for &(s, e) in ranges {
            b.add(s, e);
        }
        b
    }

    #[test]
    fn is_lost_by_blocks_or_bytes() {
        // Segments of 100: 0 lost, 100..300 SACKed: 200 bytes, 1 block → not lost.
        let b = board(&[(100, 300)]);
        assert_eq!(b.lost_end(0, 3, MSS), 0);
        // A third segment SACKed: 300 bytes > 2·MSS → the hole below is lost.
        let b = board(&[(100, 400)]);
        assert_eq!(b.lost_end(0, 3, MSS), 100);
        // Three discontiguous small blocks also make it lost.
        let b = board(&[(100, 110), (200, 210), (300, 310)]);
        assert_eq!(b.lost_end(0, 3, MSS), 100);
        // Only the holes with enough above are lost.
        let b = board(&[(100, 200), (300, 400), (500, 600), (700, 800)]);
        assert_eq!(b.lost_end(0, 3, MSS), 300);
    }

    #[test]
    fn pipe_counts_per_rfc6675() {
        // HighData 1000; SACKed 300..400 and 500..1000 (600 bytes): holes 0..300 and 400..500.
        let b = board(&[(300, 400), (500, 1000)]);
        let lost = b.lost_end(0, 3, MSS);
        assert_eq!(lost, 500); // the 500..1000 block alone is 5 segments
        // Nothing retransmitted yet: holes below 500 are lost → pipe 0.
        assert_eq!(b.pipe(0, 1000, 0, lost), 0);
        // After retransmitting 0..100: those 100 octets count once.
        assert_eq!(b.pipe(0, 1000, 100, lost), 100);
        // A hole that is not yet lost counts as in flight.
        let b = board(&[(300, 400)]);
        let lost = b.lost_end(0, 3, MSS);
        assert_eq!(lost, 0);
        assert_eq!(b.pipe(0, 500, 0, lost), 400);
    }

    #[test]
    fn holes() {
        let b = board(&[(300, 400), (500, 600)]);
        assert_eq!(b.hole_from(0, 700), Some((0, 300)));
        assert_eq!(b.hole_from(300, 700), Some((400, 500)));
        assert_eq!(b.hole_from(550, 700), Some((600, 700)));
        assert_eq!(b.hole_from(600, 600), None);
        assert_eq!(b.last_hole(0, 700), Some((600, 700)));
        assert_eq!(b.last_hole(0, 600), Some((400, 500)));
        assert_eq!(b.last_hole(350, 400), None);
        assert_eq!(b.last_hole(350, 500), Some((400, 500)));
        assert_eq!(board(&[]).last_hole(0, 100), Some((0, 100)));
        assert_eq!(board(&[(0, 100)]).last_hole(0, 100), None);
        assert_eq!(b.next_sacked_start(0), Some(300));
        assert_eq!(b.next_sacked_start(300), Some(500));
    }
}
