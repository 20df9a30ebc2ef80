//! The future event list, keyed on `(time, tie)`.
//!
//! The order is total and documented: events fire in order of time, and events at
//! the same time in order of their tie, a number the scheduler gives each event.
//! `push` gives the insertion sequence (FIFO among equal times); the packet
//! engine gives its own (`engine::World::push`: source site and that site's own
//! count), so that the order does not depend on how the run is split across
//! threads. Nothing else (no hash, no pointer, no payload) takes part, so a run
//! is reproducible.
use super::SimTime;
use std::collections::VecDeque;

const BUCKETS: usize = 65;

/// A pending event.
struct Entry<E> {
    time: u64,
    tie: u64,
    event: E,
}

/// Pending events, popped in `(time, tie)` order.
///
/// A radix heap (Ahuja, Mehlhorn, Orlin and Tarjan, 1990) on the time in ns:
/// bucket `i` (1..=64) holds the events whose time's highest bit differing from
/// the last popped time is bit `i - 1`; bucket 0 holds events at exactly the last
/// popped time, sorted by tie (sorted once when a bucket moves there; an event
/// pushed for now goes in by binary search, nearly always at the back, as ties
/// grow). Events at equal times always share a bucket and move together.
/// Pushing is O(1) outside bucket 0; popping
/// from an empty bucket 0 takes the lowest occupied bucket (each bucket knows
/// its earliest time) and moves its events to lower buckets (each event moves
/// at most 64 times, in practice a few).
/// Memory is touched sequentially, which is what makes it faster than a binary
/// heap over everything at 10^5 to 10^6 pending events; buckets are chunked
/// (see `Bucket`) so that the room follows the number of events pending.
/// The engine never schedules into the past, which a radix heap requires.
pub struct EventQueue<E> {
    now_bucket: VecDeque<Entry<E>>,
    /// Buckets 1..=64 (index 0 unused).
    buckets: Vec<Bucket<E>>,
    /// Emptied chunks, for the next bucket that fills (see `Bucket`).
    spare: Vec<Vec<Entry<E>>>,
    /// Bit `i - 1` is set when bucket `i` is non-empty.
    occupied: u64,
    /// The last popped time: the floor under every pending time.
    last: u64,
    len: usize,
    next_seq: u64,
}

/// Entries per chunk: 4 KiB of the engine's 32-byte entries.
const CHUNK: usize = 128;

/// One bucket's events, in chunks of `CHUNK` that are never grown. A bucket
/// that empties keeps its tail chunk and hands its full ones to the queue's
/// spare list, from which any bucket fills; spares beyond what the pending
/// events could use are given back to the allocator, so the queue's room
/// follows the events pending. (A bucket as one growing vector kept the room
/// of the most events it ever held, about six times the pending events, for
/// the rest of the run.)
struct Bucket<E> {
    /// The chunk being filled (no room allocated while the bucket is empty).
    tail: Vec<Entry<E>>,
    /// Full chunks.
    full: Vec<Vec<Entry<E>>>,
    /// The earliest time in the bucket (meaningless while it is empty).
    min: u64,
}

impl<E> Bucket<E> {
    const fn new() -> Self {
        Bucket {
            tail: Vec::new(),
            full: Vec::new(),
            min: u64::MAX,
        }
    }

    #[inline]
    fn push(&mut self, entry: Entry<E>, spare: &mut Vec<Vec<Entry<E>>>) {
        if self.tail.len() == self.tail.capacity() {
            self.new_tail(spare);
        }
        self.min = self.min.min(entry.time);
        self.tail.push(entry);
    }

    /// Files the full tail (if any) and takes an empty chunk for the next.
    #[cold]
    fn new_tail(&mut self, spare: &mut Vec<Vec<Entry<E>>>) {
        let fresh = spare.pop().unwrap_or_else(|| Vec::with_capacity(CHUNK));
        let full = std::mem::replace(&mut self.tail, fresh);
        if full.capacity() > 0 {
            self.full.push(full);
        }
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

#[inline]
fn bucket_of(time: u64, last: u64) -> usize {
    (64 - (time ^ last).leading_zeros()) as usize
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue {
            now_bucket: VecDeque::new(),
            buckets: (0..BUCKETS).map(|_| Bucket::new()).collect(),
            spare: Vec::new(),
            occupied: 0,
            last: 0,
            len: 0,
            next_seq: 0,
        }
    }

    #[inline]
    fn place(&mut self, entry: Entry<E>) {
        match bucket_of(entry.time, self.last) {
            0 => {
                let q = &mut self.now_bucket;
                if q.back().is_none_or(|b| b.tie <= entry.tie) {
                    q.push_back(entry);
                } else {
                    let at = q.partition_point(|e| e.tie <= entry.tie);
                    q.insert(at, entry);
                }
            }
            b => {
                self.buckets[b].push(entry, &mut self.spare);
                self.occupied |= 1 << (b - 1);
            }
        }
    }

    /// Schedules `event` at `time`; among events at the same time it fires after
    /// every event scheduled before it (its tie is the insertion sequence). Do not
    /// mix with `push_tied` in one queue.
    #[inline]
    pub fn push(&mut self, time: SimTime, event: E) {
        let tie = self.next_seq;
        self.push_tied(time, tie, event);
    }

    /// Schedules `event` at `time` with the caller's `tie`: among events at the
    /// same time the lowest tie fires first (ties must be unique). `time` must
    /// not be earlier than the last popped event's time (the engine never
    /// schedules into the past); in release builds such a time is treated as
    /// "now".
    #[inline]
    pub fn push_tied(&mut self, time: SimTime, tie: u64, event: E) {
        debug_assert!(
            time.0 >= self.last,
            "event scheduled in the past: {time} < {}",
            SimTime(self.last)
        );
        self.next_seq += 1;
        self.len += 1;
        self.place(Entry {
            time: time.0.max(self.last),
            tie,
            event,
        });
    }

    /// Makes sure the earliest events, if any, sit in the now-bucket.
    fn settle(&mut self) {
        if !self.now_bucket.is_empty() {
            return;
        }
        if let Some((b, min)) = self.lowest_bucket() {
            self.settle_on(b, min);
        }
    }

    /// The lowest occupied bucket and the earliest time in it.
    fn lowest_bucket(&self) -> Option<(usize, u64)> {
        if self.occupied == 0 {
            return None;
        }
        let b = self.occupied.trailing_zeros() as usize + 1;
        Some((b, self.buckets[b].min))
    }

    /// Moves bucket `b`, whose earliest time is `min`, down: its events at
    /// `min` into the (empty) now-bucket, the others to lower buckets.
    fn settle_on(&mut self, b: usize, min: u64) {
        self.occupied &= !(1 << (b - 1));
        self.last = min;
        self.buckets[b].min = u64::MAX;
        // Events only move to lower buckets, never back into `b`.
        if !self.buckets[b].full.is_empty() {
            let mut full = std::mem::take(&mut self.buckets[b].full);
            for mut chunk in full.drain(..) {
                self.redistribute(&mut chunk);
                self.spare.push(chunk);
            }
            self.buckets[b].full = full;
            // Spares beyond an eighth of the chunks in use (and a few) go back.
            self.spare.truncate(self.len / CHUNK / 8 + 4);
        }
        // The tail keeps its room: a bucket that often holds a few events
        // does not trade chunks with the spare list each time.
        let mut tail = std::mem::take(&mut self.buckets[b].tail);
        self.redistribute(&mut tail);
        self.buckets[b].tail = tail;
        // The now-bucket was empty: sort what moved in, once.
        let now = self.now_bucket.len();
        if now > 1 {
            self.now_bucket
                .make_contiguous()
                .sort_unstable_by_key(|e| e.tie);
        }
        // After a burst at one instant, give back most of the room it took.
        if self.now_bucket.capacity() > (4 * now).max(CHUNK) {
            self.now_bucket.shrink_to((2 * now).max(CHUNK));
        }
    }

    /// Moves `chunk`'s events, now that `last` rose, to the now-bucket or the
    /// lower buckets they belong in.
    #[inline(always)]
    fn redistribute(&mut self, chunk: &mut Vec<Entry<E>>) {
        for e in chunk.drain(..) {
            match bucket_of(e.time, self.last) {
                0 => self.now_bucket.push_back(e),
                b => {
                    self.buckets[b].push(e, &mut self.spare);
                    self.occupied |= 1 << (b - 1);
                }
            }
        }
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.pop_tied().map(|(t, _, e)| (t, e))
    }

    /// Removes and returns the earliest event, with its tie.
    #[inline]
    pub fn pop_tied(&mut self) -> Option<(SimTime, u64, E)> {
        self.settle();
        let e = self.now_bucket.pop_front()?;
        self.len -= 1;
        Some((SimTime(e.time), e.tie, e.event))
    }

    /// The time of the earliest pending event, leaving the queue as it is:
    /// unlike `peek_time`, events earlier than it (but not earlier than the
    /// last popped one) may still be pushed afterwards.
    pub fn earliest(&self) -> Option<SimTime> {
        match self.now_bucket.front() {
            Some(e) => Some(SimTime(e.time)),
            None => self.lowest_bucket().map(|(_, min)| SimTime(min)),
        }
    }

    /// Removes and returns the earliest event if it is earlier than `limit`
    /// (leaving the queue as `earliest` does otherwise).
    #[inline]
    pub fn pop_before(&mut self, limit: SimTime) -> Option<(SimTime, u64, E)> {
        match self.now_bucket.front() {
            Some(e) if e.time >= limit.0 => return None,
            Some(_) => {}
            None => {
                let (b, min) = self.lowest_bucket()?;
                if min >= limit.0 {
                    return None;
                }
                self.settle_on(b, min);
            }
        }
        self.pop_tied()
    }

    /// The time of the earliest pending event.
    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.settle();
        self.now_bucket.front().map(|e| SimTime(e.time))
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Entries the queue has room for (pending or not), for tests of how it
    /// gives room back.
    #[cfg(test)]
    fn room(&self) -> usize {
        let chunks: usize = self
            .buckets
            .iter()
            .map(|b| b.tail.capacity() + b.full.len() * CHUNK)
            .sum();
        chunks + self.spare.len() * CHUNK + self.now_bucket.capacity()
    }

    /// How many events have ever been scheduled.
    pub fn scheduled(&self) -> u64 {
        self.next_seq
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pops_in_time_order_then_fifo() {
        let mut q = EventQueue::new();
        q.push(SimTime(5), 'c');
        q.push(SimTime(1), 'a');
        q.push(SimTime(5), 'd');
        q.push(SimTime(3), 'b');
        q.push(SimTime(5), 'e');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['a', 'b', 'c', 'd', 'e']);
    }

    #[test]
    fn equal_times_pop_by_tie_whenever_pushed() {
        let mut q = EventQueue::new();
        q.push_tied(SimTime(5), 30, 'c');
        q.push_tied(SimTime(5), 10, 'a');
        q.push_tied(SimTime(9), 0, 'e');
        assert_eq!(q.pop(), Some((SimTime(5), 'a')));
        // Pushed for now with a tie below the pending one's: it goes first.
        q.push_tied(SimTime(5), 20, 'b');
        q.push_tied(SimTime(5), 40, 'd');
        let order: Vec<char> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, vec!['b', 'c', 'd', 'e']);
    }

    #[test]
    fn earliest_leaves_room_for_an_earlier_push() {
        let mut q = EventQueue::new();
        q.push_tied(SimTime(100), 1, 'b');
        assert_eq!(q.earliest(), Some(SimTime(100)));
        assert!(q.pop_before(SimTime(50)).is_none());
        // Nothing was settled on 100: an event at 60 may still come first.
        q.push_tied(SimTime(60), 2, 'a');
        assert_eq!(q.pop_before(SimTime(200)), Some((SimTime(60), 2, 'a')));
        assert_eq!(q.pop_before(SimTime(200)), Some((SimTime(100), 1, 'b')));
    }

    #[test]
    fn same_time_events_keep_insertion_order_at_scale() {
        let mut q = EventQueue::new();
        for i in 0..10_000u32 {
            q.push(SimTime(u64::from(i % 7)), i);
        }
        let mut last = (SimTime(0), 0u32);
        let mut first = true;
        while let Some((t, i)) = q.pop() {
            if !first {
                assert!((t, i) > last, "{:?} after {:?}", (t, i), last);
            }
            first = false;
            last = (t, i);
        }
    }

    #[test]
    fn matches_a_sorted_reference_under_interleaving() {
        use crate::sim::rng;
        use rand::RngExt;
        let mut r = rng::stream(3, "queue-test");
        let mut q = EventQueue::new();
        let mut reference: Vec<(SimTime, u64)> = Vec::new();
        let mut now = SimTime(0);
        let mut id = 0u64;
        for _ in 0..20_000 {
            if r.random_range(0..3u32) > 0 || q.is_empty() {
                let t = now + SimTime(r.random_range(0..50u64));
                q.push(t, id);
                reference.push((t, id));
                id += 1;
            } else {
                reference.sort();
                let expected = reference.remove(0);
                let got = q.pop().unwrap();
                assert_eq!(got, expected);
                now = got.0;
            }
        }
        reference.sort();
        for expected in reference {
            assert_eq!(q.pop().unwrap(), expected);
        }
        assert!(q.pop().is_none());
    }

    #[test]
    fn gives_back_room_once_a_burst_has_drained() {
        let mut q = EventQueue::new();
        // 100,000 events over a second, and 10,000 more at one instant.
        for i in 0..100_000u64 {
            q.push(SimTime(i * 10_007 % 1_000_000_000), i);
        }
        for i in 0..10_000u64 {
            q.push(SimTime(500_000_000), i);
        }
        assert!(q.room() >= q.len());
        let mut last = SimTime(0);
        while q.len() > 100 {
            let (t, _) = q.pop().unwrap();
            assert!(t >= last);
            last = t;
        }
        // A partly filled chunk per bucket, a few spares and the now-bucket's
        // floor: far below the 110,000 entries the burst took.
        let bound = (BUCKETS + 6) * CHUNK;
        assert!(q.room() <= bound, "room {} > {bound}", q.room());
    }
}
