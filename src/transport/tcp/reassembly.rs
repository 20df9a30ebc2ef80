//! Byte ranges instead of bytes: the receiver's out-of-order queue and the
//! bookkeeping behind the SACK blocks it reports (RFC 2018 §4).
//!
//! Positions are 64-bit unwrapped sequence offsets (see `connection`), so
//! ranges never wrap.

/// A set of disjoint, non-touching half-open ranges `[start, end)`, sorted by start.
/// Touching or overlapping insertions merge. The ranges live behind one
/// pointer, made by the first insertion (a connection that never loses or
/// reorders a segment carries 8 bytes, not a vector's 24); their capacity is
/// then reused until `release_if_empty` gives it back.
#[derive(Clone, Debug, Default)]
pub struct RangeSet {
    // Boxed on purpose: the extra allocation is what keeps an unused set at
    // one word.
    #[allow(clippy::box_collection)]
    ranges: Option<Box<Vec<(u64, u64)>>>,
}

impl PartialEq for RangeSet {
    fn eq(&self, other: &Self) -> bool {
        self.ranges() == other.ranges()
    }
}

impl Eq for RangeSet {}

impl RangeSet {
    pub fn is_empty(&self) -> bool {
        self.ranges().is_empty()
    }

    pub fn clear(&mut self) {
        if let Some(v) = self.ranges.as_mut() {
            v.clear();
        }
    }

    /// Gives the vector's memory back once nothing is left: ranges come and
    /// go with losses, and a connection may then idle for long.
    pub fn release_if_empty(&mut self) {
        if self.is_empty() {
            self.ranges = None;
        }
    }

    pub fn ranges(&self) -> &[(u64, u64)] {
        self.ranges.as_deref().map_or(&[], Vec::as_slice)
    }

    fn ranges_mut(&mut self) -> &mut Vec<(u64, u64)> {
        self.ranges.get_or_insert_with(Box::default)
    }

    pub fn first(&self) -> Option<(u64, u64)> {
        self.ranges().first().copied()
    }

    pub fn last(&self) -> Option<(u64, u64)> {
        self.ranges().last().copied()
    }

    /// Total bytes covered.
    pub fn total(&self) -> u64 {
        self.ranges().iter().map(|&(s, e)| e - s).sum()
    }

    /// Add `[start, end)`; returns how many bytes were not covered before.
    pub fn insert(&mut self, start: u64, end: u64) -> u64 {
        if end <= start {
            return 0;
        }
        let ranges = self.ranges_mut();
        // Ranges i..j overlap or touch [start, end].
        let i = ranges.partition_point(|r| r.1 < start);
        let j = ranges.partition_point(|r| r.0 <= end);
        if i == j {
            ranges.insert(i, (start, end));
            return end - start;
        }
        let covered: u64 = ranges[i..j].iter().map(|&(s, e)| e - s).sum();
        let merged = (start.min(ranges[i].0), end.max(ranges[j - 1].1));
        ranges[i] = merged;
        ranges.drain(i + 1..j);
        (merged.1 - merged.0) - covered
    }

    /// Forget everything below `point` (ranges straddling it are trimmed).
    pub fn remove_below(&mut self, point: u64) {
        let Some(ranges) = self.ranges.as_mut() else {
            return;
        };
        let k = ranges.partition_point(|r| r.1 <= point);
        ranges.drain(..k);
        if let Some(first) = ranges.first_mut() {
            first.0 = first.0.max(point);
        }
    }

    /// Take `[start, end)` out (ranges straddling its edges are trimmed).
    pub fn remove(&mut self, start: u64, end: u64) {
        let Some(ranges) = self.ranges.as_mut().filter(|_| start < end) else {
            return;
        };
        let i = ranges.partition_point(|r| r.1 <= start);
        let j = ranges.partition_point(|r| r.0 < end);
        if i >= j {
            return;
        }
        let (first, last) = (ranges[i], ranges[j - 1]);
        let keep_left = (first.0 < start).then_some((first.0, start));
        let keep_right = (last.1 > end).then_some((end, last.1));
        ranges.splice(i..j, keep_left.into_iter().chain(keep_right));
    }

    /// The range containing `point`, if any.
    pub fn containing(&self, point: u64) -> Option<(u64, u64)> {
        let ranges = self.ranges();
        let k = ranges.partition_point(|r| r.1 <= point);
        ranges.get(k).copied().filter(|&(s, _)| s <= point)
    }

    /// Bytes covered inside `[a, b)`.
    pub fn covered_in(&self, a: u64, b: u64) -> u64 {
        if b <= a {
            return 0;
        }
        let mut n = 0;
        let ranges = self.ranges();
        let k = ranges.partition_point(|r| r.1 <= a);
        for &(s, e) in &ranges[k..] {
            if s >= b {
                break;
            }
            n += e.min(b) - s.max(a);
        }
        n
    }
}

/// How many recent arrivals the receiver remembers for SACK ordering (RFC 2018 allows
/// at most 4 blocks per segment, 3 alongside timestamps).
const RECENT: usize = 4;

/// The receiver's out-of-order queue. In-order data never enters it: the
/// connection advances RCV.NXT directly and asks `advance` to pull in whatever
/// queued ranges became contiguous.
#[derive(Clone, Debug, Default)]
pub struct Reassembly {
    ooo: RangeSet,
    /// Made by the first out-of-order arrival, and dropped with its entries
    /// when the queue empties: they then lie below RCV.NXT, where no block
    /// will contain them, so they would never be reported again.
    recent: Option<Box<Recent>>,
}

/// Start offsets of the most recently received out-of-order segments, newest first,
/// at most one per block (RFC 2018 §4: the first block reports the newest segment,
/// then the most recently reported blocks).
#[derive(Clone, Debug, Default)]
struct Recent {
    starts: [u64; RECENT],
    len: usize,
}

impl Recent {
    fn starts(&self) -> &[u64] {
        &self.starts[..self.len]
    }
}

impl Reassembly {
    pub fn new() -> Self {
        Reassembly::default()
    }

    pub fn is_empty(&self) -> bool {
        self.ooo.is_empty()
    }

    /// Bytes held out of order.
    pub fn queued_bytes(&self) -> u64 {
        self.ooo.total()
    }

    /// Queue out-of-order data `[start, end)`; returns the bytes that were new.
    pub fn insert(&mut self, start: u64, end: u64) -> u64 {
        let new = self.ooo.insert(start, end);
        if let Some((bs, be)) = self.ooo.containing(start) {
            // Drop older entries that now fall in the same block, then put this one first.
            let recent = self.recent.get_or_insert_with(Box::default);
            let mut kept = [0u64; RECENT];
            let mut n = 1;
            kept[0] = start;
            for &p in recent.starts() {
                if n < RECENT && !(bs <= p && p < be) {
                    kept[n] = p;
                    n += 1;
                }
            }
            **recent = Recent {
                starts: kept,
                len: n,
            };
        }
        new
    }

    /// With RCV.NXT at `rcv_nxt`, pull in every queued range that is now contiguous;
    /// returns the new RCV.NXT.
    pub fn advance(&mut self, mut rcv_nxt: u64) -> u64 {
        while let Some((s, e)) = self.ooo.first() {
            if s > rcv_nxt {
                break;
            }
            rcv_nxt = rcv_nxt.max(e);
            self.ooo.remove_below(rcv_nxt);
        }
        if self.ooo.is_empty() {
            self.ooo.release_if_empty();
            self.recent = None;
        }
        rcv_nxt
    }

    /// Fill `out` with up to `out.len()` SACK blocks above `rcv_nxt`: blocks holding the
    /// most recent arrivals first, then the remaining blocks in sequence order.
    /// Returns the number written.
    pub fn sack_blocks(&self, rcv_nxt: u64, out: &mut [(u64, u64)]) -> usize {
        let mut n = 0;
        let push = |b: (u64, u64), out: &mut [(u64, u64)], n: &mut usize| {
            if *n < out.len() && b.1 > rcv_nxt && !out[..*n].contains(&b) {
                out[*n] = b;
                *n += 1;
            }
        };
        for &p in self.recent.as_deref().map_or(&[][..], Recent::starts) {
            if let Some(b) = self.ooo.containing(p) {
                push(b, out, &mut n);
            }
        }
        for &b in self.ooo.ranges() {
            if n == out.len() {
                break;
            }
            push(b, out, &mut n);
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_merges_and_counts_new_bytes() {
        let mut r = RangeSet::default();
        assert_eq!(r.insert(10, 20), 10);
        assert_eq!(r.insert(30, 40), 10);
        assert_eq!(r.insert(15, 25), 5);
        assert_eq!(r.ranges(), &[(10, 25), (30, 40)]);
        assert_eq!(r.insert(25, 30), 5); // touching both sides: one range
        assert_eq!(r.ranges(), &[(10, 40)]);
        assert_eq!(r.insert(12, 18), 0);
        assert_eq!(r.insert(0, 5), 5);
        assert_eq!(r.insert(50, 60), 10);
        assert_eq!(r.insert(0, 100), 100 - 5 - 30 - 10);
        assert_eq!(r.ranges(), &[(0, 100)]);
    }

    #[test]
    fn remove_trims_and_splits() {
        let mut r = RangeSet::default();
        r.insert(0, 100);
        r.insert(200, 300);
        r.remove(50, 60);
        assert_eq!(r.ranges(), &[(0, 50), (60, 100), (200, 300)]);
        r.remove(80, 250);
        assert_eq!(r.ranges(), &[(0, 50), (60, 80), (250, 300)]);
        r.remove(100, 200); // nothing there
        r.remove(0, 50);
        assert_eq!(r.ranges(), &[(60, 80), (250, 300)]);
        r.remove(0, 1000);
        assert!(r.is_empty());
    }

    #[test]
    fn remove_below_and_queries() {
        let mut r = RangeSet::default();
        r.insert(10, 20);
        r.insert(30, 40);
        r.insert(50, 60);
        assert_eq!(r.covered_in(15, 55), 5 + 10 + 5);
        assert_eq!(r.containing(30), Some((30, 40)));
        assert_eq!(r.containing(40), None);
        r.remove_below(35);
        assert_eq!(r.ranges(), &[(35, 40), (50, 60)]);
        r.remove_below(40);
        assert_eq!(r.ranges(), &[(50, 60)]);
        assert_eq!(r.total(), 10);
    }

    #[test]
    fn reassembly_advances_and_orders_sack_blocks() {
        let mut q = Reassembly::new();
        q.insert(300, 400);
        q.insert(500, 600);
        q.insert(600, 700); // merges with 500..600; newest first
        q.insert(100, 200);
        let mut out = [(0, 0); 4];
        let n = q.sack_blocks(0, &mut out);
        assert_eq!(&out[..n], &[(100, 200), (500, 700), (300, 400)]);
        assert_eq!(q.advance(50), 50);
        assert_eq!(q.advance(100), 200);
        let n = q.sack_blocks(200, &mut out);
        assert_eq!(&out[..n], &[(500, 700), (300, 400)]);
        assert_eq!(q.advance(300), 400);
        assert_eq!(q.advance(450), 450);
        assert_eq!(q.advance(500), 700);
        assert!(q.is_empty());
    }
}
