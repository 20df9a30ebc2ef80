//! Packets in flight and the arena that owns them.
//!
//! A packet carries real header values (IPv4 addresses, TTL, a UDP or TCP header)
//! and a payload *length*; its payload bytes are `wire::stream_byte(payload_origin + i)`
//! and are produced only where bytes are needed (pcap).

use crate::ids::NodeId;
use crate::sim::SimTime;
use crate::wire::ipv4::{Ipv4Addr, Ipv4Repr};
use crate::wire::tcp::TcpRepr;
use crate::wire::udp::UdpRepr;

/// Index of a packet in the `PacketArena`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PacketId(pub u32);

/// Marks a packet that belongs to no configured flow.
pub const NO_FLOW: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub enum Transport {
    Udp(UdpRepr),
    Tcp(TcpRepr),
}

/// The ECN field of the IP header (RFC 3168 §5): whether the sender's
/// transport reacts to congestion marks, and whether a router marked it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(u8)]
pub enum Ecn {
    /// Not-ECT (00): the transport does not understand marks.
    #[default]
    NotEct = 0b00,
    /// ECT(1) (01).
    Ect1 = 0b01,
    /// ECT(0) (10): what an ECN-capable TCP sends.
    Ect0 = 0b10,
    /// CE (11): congestion experienced, set by a router instead of a drop.
    Ce = 0b11,
}

impl Ecn {
    /// ECN-capable transport (ECT(0), ECT(1) or already CE).
    pub fn capable(self) -> bool {
        self != Ecn::NotEct
    }

    /// The trace's word for it ("ect0", "ce", ...).
    pub fn name(self) -> &'static str {
        match self {
            Ecn::NotEct => "not-ect",
            Ecn::Ect1 => "ect1",
            Ecn::Ect0 => "ect0",
            Ecn::Ce => "ce",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Packet {
    /// Unique per run: names the packet in the trace. The source's own count
    /// of packets it made, times the number of nodes, plus the source's index
    /// (`PacketArena::insert`), so that it depends on nothing but the source.
    pub uid: u64,
    /// Source and destination node indices (what the simulator routes on).
    pub src: NodeId,
    pub dst: NodeId,
    pub src_addr: Ipv4Addr,
    pub dst_addr: Ipv4Addr,
    pub ttl: u8,
    /// The IP header's ECN field.
    pub ecn: Ecn,
    pub transport: Transport,
    /// Stream offset of the first payload byte.
    pub payload_origin: u64,
    /// Index of the flow this packet belongs to, or `NO_FLOW`.
    pub flow: u32,
    /// When the application handed it to the socket (for one-way delay).
    pub sent_at: SimTime,
}

impl Packet {
    pub fn payload_len(&self) -> u32 {
        match &self.transport {
            Transport::Udp(u) => u.payload_len,
            Transport::Tcp(t) => t.payload_len,
        }
    }

    /// Bytes on the wire: IPv4 header, transport header (with options) and payload.
    pub fn wire_len(&self) -> u32 {
        let transport = match &self.transport {
            Transport::Udp(u) => UdpRepr::HEADER_LEN as u32 + u.payload_len,
            Transport::Tcp(t) => t.header_len() as u32 + t.payload_len,
        };
        Ipv4Repr::HEADER_LEN as u32 + transport
    }

    pub fn protocol_name(&self) -> &'static str {
        match self.transport {
            Transport::Udp(_) => "udp",
            Transport::Tcp(_) => "tcp",
        }
    }

    pub fn ports(&self) -> (u16, u16) {
        match &self.transport {
            Transport::Udp(u) => (u.src_port, u.dst_port),
            Transport::Tcp(t) => (t.src_port, t.dst_port),
        }
    }
}

/// Slots the arena keeps when it empties (see `release_burst_room`).
const ARENA_KEPT: usize = 1024;

/// Owns every packet alive in the simulation; freed slots are reused.
#[derive(Default)]
pub struct PacketArena {
    slots: Vec<Option<Packet>>,
    free: Vec<u32>,
    live: usize,
    /// Per node: the packets it has made.
    made: Vec<u64>,
}

impl PacketArena {
    /// An arena for a network of `nodes` nodes.
    pub fn new(nodes: usize) -> Self {
        PacketArena {
            made: vec![0; nodes],
            ..Default::default()
        }
    }

    /// Stores a packet its source just made, giving it the source's next uid.
    pub fn insert(&mut self, mut packet: Packet) -> PacketId {
        let nodes = self.made.len() as u64;
        let made = &mut self.made[packet.src.index()];
        packet.uid = *made * nodes + packet.src.index() as u64;
        *made += 1;
        self.insert_moved(packet)
    }

    /// Stores a packet made elsewhere (another part of a parallel run), uid
    /// and all.
    pub fn insert_moved(&mut self, packet: Packet) -> PacketId {
        self.live += 1;
        match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(packet);
                PacketId(i)
            }
            None => {
                self.slots.push(Some(packet));
                PacketId((self.slots.len() - 1) as u32)
            }
        }
    }

    pub fn get(&self, id: PacketId) -> &Packet {
        self.slots[id.0 as usize].as_ref().expect("live packet")
    }

    pub fn get_mut(&mut self, id: PacketId) -> &mut Packet {
        self.slots[id.0 as usize].as_mut().expect("live packet")
    }

    #[inline]
    pub fn remove(&mut self, id: PacketId) -> Packet {
        let p = self.slots[id.0 as usize].take().expect("live packet");
        self.free.push(id.0);
        self.live -= 1;
        if self.live == 0 && self.slots.len() > ARENA_KEPT {
            self.release_burst_room();
        }
        p
    }

    /// Once no packet is alive, gives back the room a burst needed beyond
    /// `ARENA_KEPT` slots (opening 10,000 connections at one instant kept
    /// about 2 MB for the rest of the run). Slot numbers are not part of any
    /// output.
    #[cold]
    fn release_burst_room(&mut self) {
        self.slots.clear();
        self.slots.shrink_to(ARENA_KEPT);
        self.free.clear();
        self.free.shrink_to(ARENA_KEPT);
    }

    /// Packets currently alive (queued, on a wire, or being processed).
    pub fn live(&self) -> usize {
        self.live
    }

    /// Live packets in slot order (for end-of-run accounting).
    pub fn iter(&self) -> impl Iterator<Item = &Packet> {
        self.slots.iter().flatten()
    }
}

/// Why a packet was dropped. The order is the order of columns in the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    QueueOverflow,
    RandomLoss,
    TtlExpired,
    NoRoute,
    PortUnreachable,
    SocketBufferFull,
    LinkDown,
    BacklogFull,
    Injected,
    /// Dropped early by an active queue manager (RED, CoDel, FQ-CoDel).
    AqmDrop,
}

impl DropReason {
    pub const ALL: [DropReason; 10] = [
        DropReason::QueueOverflow,
        DropReason::RandomLoss,
        DropReason::TtlExpired,
        DropReason::NoRoute,
        DropReason::PortUnreachable,
        DropReason::SocketBufferFull,
        DropReason::LinkDown,
        DropReason::BacklogFull,
        DropReason::Injected,
        DropReason::AqmDrop,
    ];

    pub fn name(self) -> &'static str {
        match self {
            DropReason::QueueOverflow => "queue-overflow",
            DropReason::RandomLoss => "random-loss",
            DropReason::TtlExpired => "ttl-expired",
            DropReason::NoRoute => "no-route",
            DropReason::PortUnreachable => "port-unreachable",
            DropReason::SocketBufferFull => "socket-buffer-full",
            DropReason::LinkDown => "link-down",
            DropReason::BacklogFull => "backlog-full",
            DropReason::Injected => "injected",
            DropReason::AqmDrop => "aqm-drop",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}
