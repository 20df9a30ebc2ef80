//! One direction of a point-to-point link: a transmitter and its queue
//! (drop-tail by default, or an AQM: see `net::queue`).
//!
//! Two delays, two events (as in ns-3): the transmitter is busy for the
//! serialization time (bits / bandwidth), then the packet propagates for the
//! link delay. The queue capacity counts packets *waiting*, not the one being
//! serialized. Random loss is drawn when a packet reaches the far end, from
//! this direction's own stream.

use super::packet::{DropReason, PacketId};
use super::queue::{Dequeued, Entry, Queue, Verdict};
use crate::ids::NodeId;
use crate::sim::SimTime;
use crate::sim::rng::{self, Rng};
use crate::units::{Bandwidth, QueueCapacity};
use std::collections::VecDeque;

/// Index of a link direction: `link * 2` is a→b, `link * 2 + 1` is b→a.
pub use crate::ids::ChannelId;

/// Per-direction counters, kept by the channel itself because they are its state.
#[derive(Clone, Debug, Default)]
pub struct ChannelCounters {
    pub tx_packets: u64,
    pub tx_bytes: u64,
    /// Total serialization time, for utilization.
    pub busy: SimTime,
    pub peak_queue_packets: u64,
    pub peak_queue_bytes: u64,
    /// Packets that left the queue for the transmitter after waiting, and
    /// their summed sojourn time (for the mean queueing delay).
    pub dequeued: u64,
    pub sojourn_total: SimTime,
    /// Packets an AQM marked CE instead of dropping (RFC 3168).
    pub ecn_marks: u64,
}

// In declaration order, aligned to a cache line: what a packet's arrival at
// the far end reads comes first, on one line (a large network's channels do
// not stay in cache, so each line an event touches is a likely miss).
#[repr(C, align(64))]
pub struct Channel {
    /// Packets propagating on the wire, oldest first (the delay is constant,
    /// so they arrive in this order).
    in_flight: VecDeque<PacketId>,
    /// Bumped at each failure: events of an earlier epoch concern packets the
    /// failure already destroyed.
    pub epoch: u32,
    pub to: NodeId,
    /// The loss stream, only on a lossy link (kept out of line: a lossless
    /// link never draws).
    rng: Option<Box<Rng>>,
    /// Packets to lose on purpose, only where the scenario names some.
    injected: Option<Box<InjectedDrops>>,
    /// False while the link is failed.
    pub up: bool,
    pub link: u32,
    pub from: NodeId,
    /// The packet being serialized now, if any.
    pub transmitting: Option<PacketId>,
    pub bandwidth: Bandwidth,
    pub delay: SimTime,
    pub loss: f64,
    pub capacity: QueueCapacity,
    /// Packets waiting to be serialized.
    queue: Queue,
    pub counters: ChannelCounters,
}

/// Packets to lose on purpose, by arrival number (sorted), and how many
/// packets have reached the far end so far.
#[derive(Debug, Default)]
struct InjectedDrops {
    list: Vec<u64>,
    arrivals: u64,
}

/// What `Channel::offer` did with a packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Offer {
    /// The transmitter was idle: serialization starts now and ends after this long.
    Transmit(SimTime),
    /// The packet waits behind others; FQ-CoDel over its limit pushed
    /// another one out to make room.
    Queued { evicted: Option<PacketId> },
}

impl Channel {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        link: u32,
        from: NodeId,
        to: NodeId,
        bandwidth: Bandwidth,
        delay: SimTime,
        capacity: QueueCapacity,
        loss: f64,
        rng: Rng,
        queue: Queue,
    ) -> Self {
        Channel {
            link,
            from,
            to,
            bandwidth,
            delay,
            capacity,
            loss,
            rng: (loss > 0.0).then(|| Box::new(rng)),
            queue,
            transmitting: None,
            in_flight: VecDeque::new(),
            up: true,
            epoch: 0,
            injected: None,
            counters: ChannelCounters::default(),
        }
    }

    /// What happens to a packet of `len` wire bytes (ECN-capable if `ect`)
    /// arriving at `now`. A packet that finds the transmitter idle is sent at
    /// once; the others face the queue's discipline.
    pub fn admit(&mut self, now: SimTime, len: u32, ect: bool) -> Verdict {
        if !self.up {
            return Verdict::Drop(DropReason::LinkDown);
        }
        match self.transmitting {
            // Sent at once: nothing waits, so no discipline applies.
            None => Verdict::Accept,
            Some(_) => self
                .queue
                .admit(now, len, ect, self.bandwidth.transmit_time(1500)),
        }
    }

    /// "drop-tail", "red", "codel", "fq-codel" or "step".
    pub fn discipline_name(&self) -> &'static str {
        self.queue.name()
    }

    /// Whether `offer` needs the packet's flow hash.
    pub fn classifies(&self) -> bool {
        self.queue.classifies()
    }

    /// Hands a packet of `len` wire bytes to this direction at `now`; the
    /// caller has had it admitted (`ect`: ECN-capable). `flow_hash` sorts it into a flow queue
    /// (FQ-CoDel).
    pub fn offer(
        &mut self,
        now: SimTime,
        packet: PacketId,
        len: u32,
        ect: bool,
        flow_hash: u64,
    ) -> Offer {
        if self.transmitting.is_none() {
            return Offer::Transmit(self.start(packet, len));
        }
        let entry = Entry {
            packet,
            len,
            at: now,
            ect,
        };
        let evicted = self.queue.push(entry, flow_hash);
        let (packets, bytes) = self.queue.len();
        let c = &mut self.counters;
        c.peak_queue_packets = c.peak_queue_packets.max(packets as u64);
        c.peak_queue_bytes = c.peak_queue_bytes.max(bytes);
        Offer::Queued { evicted }
    }

    /// Serialization of the current packet is over at `now`: it starts
    /// propagating (and is returned), and the next waiting one, if any,
    /// starts serializing. Packets the queue's discipline drops or marks on
    /// the way out are appended to `acted`.
    pub fn finish(
        &mut self,
        now: SimTime,
        acted: &mut Dequeued,
    ) -> (PacketId, Option<(PacketId, SimTime)>) {
        let done = self
            .transmitting
            .take()
            .expect("a packet was being serialized");
        self.in_flight.push_back(done);
        let next = self.queue.pop(now, acted).map(|e| {
            self.counters.dequeued += 1;
            self.counters.sojourn_total += now.saturating_sub(e.at);
            (e.packet, self.start(e.packet, e.len))
        });
        (done, next)
    }

    fn start(&mut self, packet: PacketId, len: u32) -> SimTime {
        self.transmitting = Some(packet);
        let t = self.bandwidth.transmit_time(u64::from(len));
        self.counters.tx_packets += 1;
        self.counters.tx_bytes += u64::from(len);
        self.counters.busy += t;
        t
    }

    /// The packet that just started propagating leaves this part of a
    /// parallel run: the far end's part propagates it (`propagate`).
    pub fn hand_over(&mut self) -> PacketId {
        self.in_flight.pop_back().expect("a packet was propagating")
    }

    /// A packet from the near end's part of a parallel run propagates here.
    pub fn propagate(&mut self, packet: PacketId) {
        self.in_flight.push_back(packet);
    }

    /// The oldest propagating packet reaches the far end.
    pub fn arrive(&mut self) -> PacketId {
        self.in_flight
            .pop_front()
            .expect("a packet was propagating")
    }

    /// The link fails: returns every packet it held (waiting, being serialized,
    /// propagating), all of which are lost.
    pub fn fail(&mut self) -> Vec<PacketId> {
        self.up = false;
        self.epoch = self.epoch.wrapping_add(1);
        let mut lost = self.queue.drain();
        lost.extend(self.transmitting.take());
        lost.extend(self.in_flight.drain(..));
        lost
    }

    /// Loses the packets with these arrival numbers (1 = the first).
    pub fn set_drop_list(&mut self, mut list: Vec<u64>) {
        list.sort_unstable();
        self.injected = (!list.is_empty()).then(|| Box::new(InjectedDrops { list, arrivals: 0 }));
    }

    /// Counts the packet now reaching the far end; whether it is one to lose on purpose.
    pub fn draw_injected(&mut self) -> bool {
        self.injected.as_mut().is_some_and(|d| {
            d.arrivals += 1;
            d.list.binary_search(&d.arrivals).is_ok()
        })
    }

    /// Whether the packet now reaching the far end is lost to random loss.
    pub fn draw_loss(&mut self) -> bool {
        self.rng.as_mut().is_some_and(|r| rng::chance(r, self.loss))
    }

    pub fn queue_len(&self) -> (usize, u64) {
        self.queue.len()
    }
}
