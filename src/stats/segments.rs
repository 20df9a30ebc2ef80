//! The segment log of one TCP flow: every segment of its connections with when
//! it left, when it arrived (or that it was lost), for the ladder diagram and
//! the sequence plot. Sequence numbers are relative to each side's ISN.

use crate::net::packet::{Packet, Transport};
use crate::sim::SimTime;
use crate::wire::tcp::TcpFlags;

/// The log stops growing past this many segments (a long transfer's plot
/// would not show more).
pub const MAX_SEGMENTS: usize = 200_000;

#[derive(Clone, Debug)]
pub struct SegmentRecord {
    pub depart: SimTime,
    /// `None` when the segment was lost.
    pub arrive: Option<SimTime>,
    /// Sent by the side that opened the connection.
    pub from_client: bool,
    pub flags: TcpFlags,
    pub seq: u32,
    pub ack: u32,
    pub len: u32,
    pub window: u16,
}

#[derive(Default)]
pub struct SegmentLog {
    pub flow: Option<u32>,
    pub records: Vec<SegmentRecord>,
    /// The client's address and port, learnt from its SYN.
    client: Option<(crate::wire::ipv4::Ipv4Addr, u16)>,
    client_isn: u32,
    server_isn: u32,
}

impl SegmentLog {
    pub fn watching(flow: Option<u32>) -> Self {
        SegmentLog {
            flow,
            ..Default::default()
        }
    }

    /// A segment of the watched flow arrived (`arrive`) or was lost (`None`).
    pub fn record(&mut self, p: &Packet, arrive: Option<SimTime>) {
        let Transport::Tcp(t) = p.transport else {
            return;
        };
        if self.flow != Some(p.flow) || self.records.len() >= MAX_SEGMENTS {
            return;
        }
        let is_syn = t.flags.contains(TcpFlags::SYN);
        if is_syn && !t.flags.contains(TcpFlags::ACK) && self.client.is_none() {
            self.client = Some((p.src_addr, t.src_port));
            self.client_isn = t.seq.0;
        }
        let Some(client) = self.client else { return };
        let from_client = (p.src_addr, t.src_port) == client;
        if !from_client && (p.dst_addr, t.dst_port) != client {
            return; // another connection of the same flow
        }
        if is_syn && !from_client {
            self.server_isn = t.seq.0;
        }
        let (own, peer) = if from_client {
            (self.client_isn, self.server_isn)
        } else {
            (self.server_isn, self.client_isn)
        };
        self.records.push(SegmentRecord {
            depart: p.sent_at,
            arrive,
            from_client,
            flags: t.flags,
            seq: t.seq.0.wrapping_sub(own),
            ack: if t.flags.contains(TcpFlags::ACK) {
                t.ack.0.wrapping_sub(peer)
            } else {
                0
            },
            len: t.payload_len,
            window: t.window,
        });
    }

    /// The records in order of departure.
    pub fn sorted(&self) -> Vec<SegmentRecord> {
        let mut v = self.records.clone();
        v.sort_by_key(|r| r.depart);
        v
    }
}
