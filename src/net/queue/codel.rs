//! CoDel, Controlled Delay (RFC 8289): drop at the head of the queue when the
//! time packets spend in it (their sojourn time) has stayed above `target`
//! for at least `interval`, then drop ever more often (interval / sqrt(count))
//! until the sojourn time falls below `target` again.
//!
//! The state machine follows the pseudo-code of RFC 8289 §5 (`dodequeue`,
//! `dequeue`, `control_law`); the queue itself belongs to the caller, which
//! hands packets in through `Head`.

pub use crate::scenario::CodelParams;
use crate::sim::SimTime;

/// RFC 8289 §5.3: below one MTU of backlog there is no standing queue to
/// control (a 1500-byte IPv4 packet plus Ethernet framing, as Linux counts it).
pub const MAX_PACKET: u64 = 1514;

/// The CoDel variables of one queue (RFC 8289 §5.1).
#[derive(Clone, Debug, Default)]
pub struct Codel {
    /// When the sojourn time will have been above target for an interval
    /// (`None`: it is below target now).
    first_above_time: Option<SimTime>,
    /// When the next drop is due while dropping.
    drop_next: SimTime,
    /// Drops since entering the dropping state, and at the last entry.
    count: u32,
    lastcount: u32,
    dropping: bool,
}

/// What `Codel::dequeue` needs from the queue it controls.
pub trait Head {
    /// Removes the head packet: its enqueue time, or `None` if empty.
    fn pop(&mut self) -> Option<SimTime>;
    /// Bytes still waiting after the pop.
    fn backlog_bytes(&self) -> u64;
    /// CoDel drops the packet just popped. Returns true if the queue marked
    /// it CE instead (an ECN-capable packet on a marking queue): it is then
    /// kept and sent (RFC 8289 §5.6, RFC 3168 §5).
    fn drop_popped(&mut self) -> bool;
}

impl Codel {
    /// `t + interval / sqrt(count)` (RFC 8289 §5.5). IEEE square roots are
    /// correctly rounded, so this is the same on every machine.
    fn control_law(&self, t: SimTime, p: &CodelParams) -> SimTime {
        let gap = p.interval.as_nanos() as f64 / f64::from(self.count.max(1)).sqrt();
        t + SimTime(gap as u64)
    }

    /// RFC 8289 §5.4 `dodequeue`: pops the head; whether it may be dropped.
    fn dodequeue(&mut self, now: SimTime, q: &mut impl Head, p: &CodelParams) -> (bool, bool) {
        let Some(enqueued) = q.pop() else {
            self.first_above_time = None;
            return (false, false);
        };
        let sojourn = now.saturating_sub(enqueued);
        if sojourn < p.target || q.backlog_bytes() <= MAX_PACKET {
            self.first_above_time = None;
            return (true, false);
        }
        match self.first_above_time {
            None => {
                self.first_above_time = Some(now + p.interval);
                (true, false)
            }
            Some(t) => (true, now >= t),
        }
    }

    /// RFC 8289 §5.6 `dequeue`: pops packets from `q`, dropping (through
    /// `Head::drop_popped`) those CoDel drops; returns whether a packet was
    /// popped and kept for sending.
    pub fn dequeue(&mut self, now: SimTime, q: &mut impl Head, p: &CodelParams) -> bool {
        let (mut got, mut ok_to_drop) = self.dodequeue(now, q, p);
        if !got {
            self.dropping = false;
            return false;
        }
        if self.dropping {
            if !ok_to_drop {
                self.dropping = false;
            }
            while self.dropping && now >= self.drop_next {
                let marked = q.drop_popped();
                self.count += 1;
                if marked {
                    // The marked packet goes out; the next mark or drop is due
                    // at the control law's next time.
                    self.drop_next = self.control_law(self.drop_next, p);
                    return true;
                }
                (got, ok_to_drop) = self.dodequeue(now, q, p);
                if !got {
                    self.dropping = false;
                    return false;
                }
                if ok_to_drop {
                    self.drop_next = self.control_law(self.drop_next, p);
                } else {
                    self.dropping = false;
                }
            }
        } else if ok_to_drop {
            if !q.drop_popped() {
                (got, _) = self.dodequeue(now, q, p);
            }
            self.dropping = true;
            // Re-entering soon after leaving: start from the drop rate that
            // last controlled the queue (RFC 8289 §5.6).
            let delta = self.count.saturating_sub(self.lastcount);
            self.count = 1;
            if delta > 1 && now.saturating_sub(self.drop_next) < SimTime(16 * p.interval.as_nanos())
            {
                self.count = delta;
            }
            self.drop_next = self.control_law(now, p);
            self.lastcount = self.count;
            if !got {
                return false;
            }
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    /// A queue of (enqueue time, bytes) that records what CoDel drops.
    #[derive(Default)]
    struct Fifo {
        q: VecDeque<(SimTime, u64)>,
        popped: Option<(SimTime, u64)>,
        dropped: Vec<SimTime>,
    }

    impl Head for Fifo {
        fn pop(&mut self) -> Option<SimTime> {
            self.popped = self.q.pop_front();
            self.popped.map(|(t, _)| t)
        }
        fn backlog_bytes(&self) -> u64 {
            self.q.iter().map(|(_, b)| b).sum()
        }
        fn drop_popped(&mut self) -> bool {
            self.dropped.push(self.popped.take().unwrap().0);
            false
        }
    }

    fn ms(x: u64) -> SimTime {
        SimTime::from_millis(x)
    }

    #[test]
    fn a_short_queue_is_never_dropped_from() {
        let p = CodelParams::default();
        let mut c = Codel::default();
        let mut f = Fifo::default();
        // Sojourn 50 ms, but only one packet's worth of backlog behind it.
        for t in 0..1000 {
            f.q.push_back((ms(t), 1500));
            f.q.push_back((ms(t), 1000));
            assert!(c.dequeue(ms(t + 50), &mut f, &p));
            f.q.clear();
        }
        assert!(f.dropped.is_empty());
    }

    #[test]
    fn drops_start_one_interval_after_the_delay_stays_above_target() {
        let p = CodelParams::default();
        let mut c = Codel::default();
        let mut f = Fifo::default();
        // A standing queue: every packet waited 20 ms, and 10 packets stay behind it.
        let mut drops_at = Vec::new();
        for t in 1000..1400 {
            let now = ms(t);
            while f.q.len() < 12 {
                f.q.push_back((now.saturating_sub(ms(20)), 1500));
            }
            let before = f.dropped.len();
            assert!(c.dequeue(now, &mut f, &p));
            if f.dropped.len() > before {
                drops_at.push(t);
            }
        }
        // Above target from t = 1000 ms: first_above_time = 1100 ms, first drop then.
        assert_eq!(drops_at[0], 1100);
        // Then at 100 ms / sqrt(count) apart: +100, +70.7, +57.7, +50 ms, seen
        // at the first whole millisecond on or after each.
        assert_eq!(&drops_at[1..5], &[1200, 1271, 1329, 1379]);
    }

    #[test]
    fn control_law_is_interval_over_sqrt_count() {
        let p = CodelParams::default();
        let mut c = Codel {
            count: 4,
            ..Codel::default()
        };
        assert_eq!(c.control_law(ms(1000), &p), ms(1050));
        c.count = 100;
        assert_eq!(c.control_law(ms(0), &p), ms(10));
    }
}
