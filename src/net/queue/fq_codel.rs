//! FQ-CoDel (RFC 8290): packets are hashed by their 5-tuple into one of
//! `flows` queues, each controlled by its own CoDel; a deficit round robin
//! with a byte `quantum` serves the queues, new flows (those that just became
//! active) before old ones, so a sparse flow — a voice call, a DNS query —
//! waits behind no one's standing queue.

use super::codel::{Codel, CodelParams, Head};
use super::{Dequeued, Entry, drop_or_mark};
use crate::net::packet::PacketId;
use crate::sim::SimTime;
use std::collections::VecDeque;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Listed {
    No,
    New,
    Old,
}

#[derive(Debug)]
struct FlowQueue {
    q: VecDeque<Entry>,
    bytes: u64,
    deficit: i64,
    codel: Codel,
    listed: Listed,
}

#[derive(Debug)]
pub struct FqCodel {
    params: CodelParams,
    quantum: u32,
    /// Made on first use, one per hash bucket.
    queues: Vec<FlowQueue>,
    buckets: u32,
    new_flows: VecDeque<u32>,
    old_flows: VecDeque<u32>,
    len: usize,
    bytes: u64,
}

/// One flow queue seen by its CoDel: pops count against the totals, drops
/// are collected for the engine to report.
struct FlowHead<'a> {
    flow: &'a mut VecDeque<Entry>,
    flow_bytes: &'a mut u64,
    len: &'a mut usize,
    bytes: &'a mut u64,
    popped: Option<Entry>,
    ecn: bool,
    out: &'a mut Dequeued,
}

impl Head for FlowHead<'_> {
    fn pop(&mut self) -> Option<SimTime> {
        let e = self.flow.pop_front()?;
        *self.flow_bytes -= u64::from(e.len);
        *self.bytes -= u64::from(e.len);
        *self.len -= 1;
        self.popped = Some(e);
        Some(e.at)
    }
    fn backlog_bytes(&self) -> u64 {
        *self.flow_bytes
    }
    fn drop_popped(&mut self) -> bool {
        drop_or_mark(&mut self.popped, self.ecn, self.out)
    }
}

impl FqCodel {
    pub fn new(params: CodelParams, buckets: u32, quantum: u32) -> FqCodel {
        FqCodel {
            params,
            quantum,
            queues: Vec::new(),
            buckets: buckets.max(1),
            new_flows: VecDeque::new(),
            old_flows: VecDeque::new(),
            len: 0,
            bytes: 0,
        }
    }

    pub fn packets(&self) -> usize {
        self.len
    }

    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// RFC 8290 §4.1: classify and enqueue; a queue that was empty joins the
    /// new flows with a full quantum.
    pub fn push(&mut self, entry: Entry, hash: u64) {
        if self.queues.is_empty() {
            self.queues = (0..self.buckets)
                .map(|_| FlowQueue {
                    q: VecDeque::new(),
                    bytes: 0,
                    deficit: 0,
                    codel: Codel::default(),
                    listed: Listed::No,
                })
                .collect();
        }
        let b = (hash % u64::from(self.buckets)) as u32;
        let f = &mut self.queues[b as usize];
        f.q.push_back(entry);
        f.bytes += u64::from(entry.len);
        self.len += 1;
        self.bytes += u64::from(entry.len);
        if f.listed == Listed::No {
            f.listed = Listed::New;
            f.deficit = i64::from(self.quantum);
            self.new_flows.push_back(b);
        }
    }

    /// Over the limit: the head packet of the queue with the most bytes goes
    /// (RFC 8290 §4.1). Ties go to the lowest bucket, for determinism.
    pub fn drop_from_fattest(&mut self) -> Option<PacketId> {
        let (b, _) = self
            .queues
            .iter()
            .enumerate()
            .filter(|(_, f)| f.bytes > 0)
            .max_by(|(i, f), (j, g)| f.bytes.cmp(&g.bytes).then(j.cmp(i)))?;
        let f = &mut self.queues[b];
        let e = f.q.pop_front()?;
        f.bytes -= u64::from(e.len);
        self.len -= 1;
        self.bytes -= u64::from(e.len);
        Some(e.packet)
    }

    /// RFC 8290 §4.2: the next packet to send, CoDel's drops and marks into `out`.
    pub fn pop(&mut self, now: SimTime, ecn: bool, out: &mut Dequeued) -> Option<Entry> {
        loop {
            let (list, b) = match (self.new_flows.front(), self.old_flows.front()) {
                (Some(&b), _) => (Listed::New, b),
                (None, Some(&b)) => (Listed::Old, b),
                (None, None) => return None,
            };
            let f = &mut self.queues[b as usize];
            if f.deficit <= 0 {
                f.deficit += i64::from(self.quantum);
                f.listed = Listed::Old;
                self.pop_list(list);
                self.old_flows.push_back(b);
                continue;
            }
            let mut head = FlowHead {
                flow: &mut f.q,
                flow_bytes: &mut f.bytes,
                len: &mut self.len,
                bytes: &mut self.bytes,
                popped: None,
                ecn,
                out,
            };
            let kept = f.codel.dequeue(now, &mut head, &self.params);
            let popped = head.popped;
            match (kept, popped) {
                (true, Some(e)) => {
                    f.deficit -= i64::from(e.len);
                    return Some(e);
                }
                _ => {
                    // Empty: a new flow moves to the old list (so it cannot
                    // stay new by emptying and refilling), an old one leaves.
                    f.listed = if list == Listed::New {
                        Listed::Old
                    } else {
                        Listed::No
                    };
                    self.pop_list(list);
                    if list == Listed::New {
                        self.old_flows.push_back(b);
                    }
                }
            }
        }
    }

    fn pop_list(&mut self, list: Listed) {
        match list {
            Listed::New => self.new_flows.pop_front(),
            _ => self.old_flows.pop_front(),
        };
    }

    /// Every packet held, in bucket order (the link failed).
    pub fn drain(&mut self) -> Vec<PacketId> {
        let mut out = Vec::with_capacity(self.len);
        for f in &mut self.queues {
            out.extend(f.q.drain(..).map(|e| e.packet));
            f.bytes = 0;
            f.listed = Listed::No;
            f.codel = Codel::default();
        }
        self.new_flows.clear();
        self.old_flows.clear();
        self.len = 0;
        self.bytes = 0;
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(id: u32, len: u32) -> Entry {
        Entry {
            packet: PacketId(id),
            len,
            at: SimTime::ZERO,
            ect: false,
        }
    }

    #[test]
    fn a_sparse_flow_is_served_before_a_backlogged_one() {
        let mut fq = FqCodel::new(CodelParams::default(), 1024, 1514);
        for i in 0..50 {
            fq.push(entry(i, 1500), 7); // a bulk flow's backlog
        }
        let mut dropped = Dequeued::default();
        // The bulk flow has been served for a while: now on the old list.
        for _ in 0..3 {
            fq.pop(SimTime::ZERO, false, &mut dropped);
        }
        fq.push(entry(1000, 200), 8); // one voice packet arrives
        let next = fq.pop(SimTime::ZERO, false, &mut dropped).unwrap();
        assert_eq!(next.packet, PacketId(1000), "the new flow goes first");
        assert!(dropped.is_empty());
    }

    #[test]
    fn deficit_round_robin_shares_bytes_not_packets() {
        let mut fq = FqCodel::new(CodelParams::default(), 1024, 1514);
        for i in 0..300 {
            fq.push(entry(i, 1500), 1); // big packets
            fq.push(entry(10_000 + i, 500), 2); // small packets
            fq.push(entry(20_000 + i, 500), 2);
            fq.push(entry(30_000 + i, 500), 2);
        }
        let mut dropped = Dequeued::default();
        let (mut big, mut small) = (0u64, 0u64);
        for _ in 0..400 {
            let e = fq.pop(SimTime::ZERO, false, &mut dropped).unwrap();
            if e.len == 1500 {
                big += 1500;
            } else {
                small += 500;
            }
        }
        let share = big as f64 / (big + small) as f64;
        assert!((share - 0.5).abs() < 0.02, "big flow's byte share {share}");
    }

    #[test]
    fn overflow_drops_from_the_fattest_queue() {
        let mut fq = FqCodel::new(CodelParams::default(), 1024, 1514);
        fq.push(entry(1, 1500), 1);
        fq.push(entry(2, 1500), 1);
        fq.push(entry(3, 100), 2);
        assert_eq!(fq.drop_from_fattest(), Some(PacketId(1)));
        assert_eq!((fq.packets(), fq.bytes()), (2, 1600));
    }
}
