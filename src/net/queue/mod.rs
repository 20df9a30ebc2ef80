//! The queue of one link direction and its discipline: drop-tail (the
//! default), RED, CoDel, FQ-CoDel, or a step marker at a fixed length.
//!
//! The channel asks the queue three things: may a packet join (`admit`,
//! before it is traced as enqueued), take it (`push`, which for FQ-CoDel may
//! push another out), and which packet is sent next (`pop`, where CoDel drops
//! at the head). Every packet carries its enqueue time, so each discipline
//! also yields the sojourn time (queueing delay) of what it sends.

pub mod codel;
pub mod fq_codel;
pub mod red;

use super::packet::{DropReason, PacketId};
use crate::scenario::QueueDiscipline;
use crate::sim::SimTime;
use crate::units::QueueCapacity;
use codel::{Codel, CodelParams, Head};
use fq_codel::FqCodel;
use red::Red;
use std::collections::VecDeque;

/// A waiting packet: which, its wire bytes, when it joined the queue, and
/// whether its transport is ECN-capable.
#[derive(Clone, Copy, Debug)]
pub struct Entry {
    pub packet: PacketId,
    pub len: u32,
    pub at: SimTime,
    pub ect: bool,
}

/// What the discipline does with a packet instead of queueing it as it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Accept,
    /// Accept it with its ECN field set to CE (a mark instead of a drop).
    Mark,
    Drop(DropReason),
}

/// Packets a discipline acted on at a dequeue: dropped, or marked CE and sent.
#[derive(Debug, Default)]
pub struct Dequeued {
    pub dropped: Vec<PacketId>,
    pub marked: Vec<PacketId>,
}

impl Dequeued {
    pub fn is_empty(&self) -> bool {
        self.dropped.is_empty() && self.marked.is_empty()
    }
}

pub struct Queue {
    capacity: QueueCapacity,
    /// Mark ECN-capable packets CE where the discipline would drop them early.
    ecn: bool,
    fifo: VecDeque<Entry>,
    fifo_bytes: u64,
    discipline: Discipline,
}

enum Discipline {
    DropTail,
    Red(Box<Red>),
    Codel(Box<(Codel, CodelParams)>),
    FqCodel(Box<FqCodel>),
    Step { threshold: u32 },
}

/// The FIFO as CoDel sees it.
struct FifoHead<'a> {
    fifo: &'a mut VecDeque<Entry>,
    bytes: &'a mut u64,
    popped: Option<Entry>,
    ecn: bool,
    out: &'a mut Dequeued,
}

impl Head for FifoHead<'_> {
    fn pop(&mut self) -> Option<SimTime> {
        let e = self.fifo.pop_front()?;
        *self.bytes -= u64::from(e.len);
        self.popped = Some(e);
        Some(e.at)
    }
    fn backlog_bytes(&self) -> u64 {
        *self.bytes
    }
    fn drop_popped(&mut self) -> bool {
        drop_or_mark(&mut self.popped, self.ecn, self.out)
    }
}

/// CoDel's drop of the packet just popped: a mark instead if it is
/// ECN-capable and the queue marks (the packet then stays `popped`).
pub(super) fn drop_or_mark(popped: &mut Option<Entry>, ecn: bool, out: &mut Dequeued) -> bool {
    match *popped {
        Some(e) if ecn && e.ect => {
            out.marked.push(e.packet);
            true
        }
        Some(e) => {
            out.dropped.push(e.packet);
            *popped = None;
            false
        }
        None => false,
    }
}

impl Queue {
    /// `label` names the direction's random stream (RED draws from it).
    pub fn new(
        capacity: QueueCapacity,
        discipline: &QueueDiscipline,
        ecn: bool,
        seed: u64,
        label: &str,
    ) -> Queue {
        let discipline = match *discipline {
            QueueDiscipline::DropTail => Discipline::DropTail,
            QueueDiscipline::Red(p) => {
                Discipline::Red(Box::new(Red::new(p, seed, &format!("red:{label}"))))
            }
            QueueDiscipline::Codel(p) => Discipline::Codel(Box::new((Codel::default(), p))),
            QueueDiscipline::FqCodel {
                codel,
                flows,
                quantum,
            } => Discipline::FqCodel(Box::new(FqCodel::new(codel, flows, quantum))),
            QueueDiscipline::Step { threshold } => Discipline::Step { threshold },
        };
        Queue {
            capacity,
            ecn,
            fifo: VecDeque::new(),
            fifo_bytes: 0,
            discipline,
        }
    }

    pub fn name(&self) -> &'static str {
        match self.discipline {
            Discipline::DropTail => "drop-tail",
            Discipline::Red(_) => "red",
            Discipline::Codel(_) => "codel",
            Discipline::FqCodel(_) => "fq-codel",
            Discipline::Step { .. } => "step",
        }
    }

    /// Whether `push` sorts packets by flow (and so needs their hash).
    pub fn classifies(&self) -> bool {
        matches!(self.discipline, Discipline::FqCodel(_))
    }

    /// Packets and bytes waiting.
    pub fn len(&self) -> (usize, u64) {
        match &self.discipline {
            Discipline::FqCodel(fq) => (fq.packets(), fq.bytes()),
            _ => (self.fifo.len(), self.fifo_bytes),
        }
    }

    fn full_with(&self, len: u32) -> bool {
        let (packets, bytes) = self.len();
        match self.capacity {
            QueueCapacity::Packets(n) => packets as u64 >= n,
            QueueCapacity::Bytes(n) => bytes + u64::from(len) > n,
        }
    }

    /// What happens to a packet of `len` bytes (ECN-capable if `ect`)
    /// arriving at `now`: it may wait here, marked or not, or it is dropped on
    /// arrival, and why. `packet_time` is how long a 1500-byte packet takes to
    /// send on this link (RED's idle decay).
    pub fn admit(&mut self, now: SimTime, len: u32, ect: bool, packet_time: SimTime) -> Verdict {
        let waiting = self.len().0 as u64;
        let full = self.full_with(len);
        let ecn = self.ecn;
        match &mut self.discipline {
            // FQ-CoDel takes every packet and, when over the limit, pushes the
            // fattest flow's head out instead (`push`).
            Discipline::FqCodel(_) => Verdict::Accept,
            _ if full => Verdict::Drop(DropReason::QueueOverflow),
            Discipline::Red(red) => {
                if !red.on_arrival(now, waiting, packet_time) {
                    Verdict::Accept
                } else if ecn && ect && !red.forced() {
                    Verdict::Mark
                } else {
                    Verdict::Drop(DropReason::AqmDrop)
                }
            }
            Discipline::Step { threshold } if waiting >= u64::from(*threshold) => {
                if ecn && ect {
                    Verdict::Mark
                } else {
                    Verdict::Drop(DropReason::AqmDrop)
                }
            }
            _ => Verdict::Accept,
        }
    }

    /// Joins the queue (after `admit`); FQ-CoDel over its limit returns the
    /// packet it pushed out (a queue overflow).
    pub fn push(&mut self, entry: Entry, flow_hash: u64) -> Option<PacketId> {
        if let Discipline::FqCodel(fq) = &mut self.discipline {
            fq.push(entry, flow_hash);
            let over = match self.capacity {
                QueueCapacity::Packets(n) => fq.packets() as u64 > n,
                QueueCapacity::Bytes(n) => fq.bytes() > n,
            };
            return if over { fq.drop_from_fattest() } else { None };
        }
        self.fifo.push_back(entry);
        self.fifo_bytes += u64::from(entry.len);
        None
    }

    /// The next packet to send at `now`, if any; packets the discipline drops
    /// or marks on the way out are appended to `out`.
    #[inline]
    pub fn pop(&mut self, now: SimTime, out: &mut Dequeued) -> Option<Entry> {
        match &mut self.discipline {
            Discipline::DropTail | Discipline::Step { .. } => self.pop_fifo(),
            Discipline::Red(red) => {
                let e = self.fifo.pop_front();
                if let Some(e) = e {
                    self.fifo_bytes -= u64::from(e.len);
                }
                if self.fifo.is_empty() {
                    red.idle(now);
                }
                e
            }
            Discipline::Codel(state) => {
                let (codel, params) = &mut **state;
                let mut head = FifoHead {
                    fifo: &mut self.fifo,
                    bytes: &mut self.fifo_bytes,
                    popped: None,
                    ecn: self.ecn,
                    out,
                };
                let kept = codel.dequeue(now, &mut head, params);
                if kept { head.popped } else { None }
            }
            Discipline::FqCodel(fq) => fq.pop(now, self.ecn, out),
        }
    }

    fn pop_fifo(&mut self) -> Option<Entry> {
        let e = self.fifo.pop_front()?;
        self.fifo_bytes -= u64::from(e.len);
        Some(e)
    }

    /// Every packet waiting (the link failed).
    pub fn drain(&mut self) -> Vec<PacketId> {
        self.fifo_bytes = 0;
        let mut out: Vec<PacketId> = self.fifo.drain(..).map(|e| e.packet).collect();
        if let Discipline::FqCodel(fq) = &mut self.discipline {
            out.extend(fq.drain());
        }
        out
    }
}
