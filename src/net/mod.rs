//! The network layer: nodes, link directions, forwarding tables and packets.
//!
//! Decides what the IP layer does with a packet (`forward`, `on_receive`:
//! route, link state, queue room, TTL, hosts that do not forward) but owns no
//! events and writes nothing: the engine schedules what it decides and reports
//! it to the trace and statistics.

pub mod failures;
pub mod link;
pub mod multipath;
pub mod packet;
pub mod queue;
pub mod routing;

use crate::ids::NodeId;
use crate::scenario::{NodeKind, Scenario};
use crate::sim::{SimTime, rng};
use crate::wire::ipv4::Ipv4Addr;
use link::{Channel, ChannelId};
use multipath::MultipathState;
use packet::{DropReason, PacketArena, PacketId};
use queue::{Queue, Verdict};
use routing::Routes;
use std::collections::BTreeMap;

/// The IP layer's decision for a packet leaving a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Forward {
    /// Join this channel's queue (or its transmitter, if idle).
    Enqueue(ChannelId),
    /// Join it marked CE: the queue's AQM marks instead of dropping.
    EnqueueMarked(ChannelId),
    /// Lost here, on the way to this channel (if one was chosen).
    Drop(Option<ChannelId>, DropReason),
}

/// The IP layer's decision for a packet that reached a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arrival {
    /// The packet is for this node: hand it to the host's transport layer.
    Deliver,
    /// A router passes it on (TTL already decremented): see `Network::forward`.
    Forward,
    Drop(DropReason),
}

pub struct Node {
    pub name: String,
    pub kind: NodeKind,
    pub addr: Ipv4Addr,
}

pub struct Network {
    pub nodes: Vec<Node>,
    /// Two per link: `link * 2` is a→b, `link * 2 + 1` is b→a.
    pub channels: Vec<Channel>,
    pub routes: Routes,
    multipath: MultipathState,
    pub packets: PacketArena,
    by_address: BTreeMap<Ipv4Addr, NodeId>,
    channel_names: Vec<String>,
}

impl Network {
    pub fn build(sc: &Scenario) -> Network {
        let nodes: Vec<Node> = sc
            .nodes
            .iter()
            .map(|n| Node {
                name: n.name.clone(),
                kind: n.kind,
                addr: n.address,
            })
            .collect();
        let mut channels = Vec::with_capacity(sc.links.len() * 2);
        let channel_names = sc.direction_names();
        for (i, l) in sc.links.iter().enumerate() {
            for (direction, (from, to)) in [(l.a, l.b), (l.b, l.a)].into_iter().enumerate() {
                let name = &channel_names[i * 2 + direction];
                // Stable label: by endpoints and rank, not by declaration index,
                // so declaring another link elsewhere changes no draws here.
                let label = format!("link:{name}");
                let rng = rng::stream(sc.seed, &label);
                let queue = Queue::new(l.queue, &l.aqm, l.ecn, sc.seed, name);
                channels.push(Channel::new(
                    i as u32,
                    NodeId(from as u32),
                    NodeId(to as u32),
                    l.bandwidth,
                    l.delay,
                    l.queue,
                    l.loss[direction],
                    rng,
                    queue,
                ));
            }
            channels[i * 2].set_drop_list(l.drop.clone());
        }
        let by_address = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.addr, NodeId(i as u32)))
            .collect();
        let routes = Routes::compute(sc);
        Network {
            multipath: MultipathState::new(sc, routes.group_count()),
            routes,
            nodes,
            channels,
            packets: PacketArena::new(sc.nodes.len()),
            by_address,
            channel_names,
        }
    }

    /// The channel `node` forwards `packet` on towards its destination
    /// (`None`: no route), choosing among equal-cost next hops as configured.
    pub fn next_hop(&mut self, node: NodeId, packet: PacketId) -> Option<ChannelId> {
        let p = self.packets.get(packet);
        let group = self.routes.group(node.index(), p.dst.index())?;
        let members = self.routes.members(group);
        let name = &self.nodes[node.index()].name;
        Some(self.multipath.choose(node, group, members, p, name))
    }

    /// Where `node` sends `packet` next at `now`: the channel it joins, or
    /// why it is dropped here (no route; the link is down, as routes still
    /// point into a failed link until the routers reconverge; the queue is
    /// full or its AQM drops it).
    #[inline]
    pub fn forward(&mut self, now: SimTime, node: NodeId, packet: PacketId) -> Forward {
        let Some(channel) = self.next_hop(node, packet) else {
            return Forward::Drop(None, DropReason::NoRoute);
        };
        let p = self.packets.get(packet);
        let (len, ect) = (p.wire_len(), p.ecn.capable());
        match self.channels[channel.index()].admit(now, len, ect) {
            Verdict::Accept => Forward::Enqueue(channel),
            Verdict::Mark => Forward::EnqueueMarked(channel),
            Verdict::Drop(reason) => Forward::Drop(Some(channel), reason),
        }
    }

    /// `packet` has arrived at `node`: delivered here, or forwarded on (a
    /// router, its TTL decremented), or dropped.
    #[inline]
    pub fn on_receive(&mut self, node: NodeId, packet: PacketId) -> Arrival {
        if self.packets.get(packet).dst == node {
            return Arrival::Deliver;
        }
        if self.nodes[node.index()].kind != NodeKind::Router {
            // Routes never send transit traffic through a host.
            return Arrival::Drop(DropReason::NoRoute);
        }
        let p = self.packets.get_mut(packet);
        p.ttl = p.ttl.saturating_sub(1);
        if p.ttl == 0 {
            return Arrival::Drop(DropReason::TtlExpired);
        }
        Arrival::Forward
    }

    /// Routers switch to `routes` (recomputed after a failure or repair).
    pub fn set_routes(&mut self, routes: Routes) {
        self.multipath.routes_changed(routes.group_count());
        self.routes = routes;
    }

    pub fn node_by_address(&self, addr: Ipv4Addr) -> Option<NodeId> {
        self.by_address.get(&addr).copied()
    }

    /// "A->R1"
    pub fn channel_name(&self, c: ChannelId) -> &str {
        &self.channel_names[c.index()]
    }

    pub fn node_name(&self, n: NodeId) -> &str {
        &self.nodes[n.index()].name
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::packet::{NO_FLOW, Packet, Transport};
    use crate::scenario::parse;
    use crate::wire::udp::UdpRepr;

    /// A - R1 - B, with a 1-packet queue on R1->B.
    fn network() -> Network {
        let text = "[[node]]\nname=\"A\"\n[[node]]\nname=\"B\"\n[[node]]\nname=\"R1\"\nkind=\"router\"\n\
                    [[link]]\nbetween=[\"A\",\"R1\"]\n[[link]]\nbetween=[\"R1\",\"B\"]\nqueue=\"1p\"\n";
        Network::build(&parse("t.toml", text, "t").unwrap())
    }

    fn packet(net: &mut Network, src: NodeId, dst: NodeId, ttl: u8) -> PacketId {
        net.packets.insert(Packet {
            uid: 0,
            src,
            dst,
            src_addr: net.nodes[src.index()].addr,
            dst_addr: net.nodes[dst.index()].addr,
            ttl,
            ecn: Default::default(),
            transport: Transport::Udp(UdpRepr {
                src_port: 1,
                dst_port: 9,
                payload_len: 100,
            }),
            payload_origin: 0,
            flow: NO_FLOW,
            sent_at: SimTime::ZERO,
        })
    }

    #[test]
    fn forwarding_decisions_need_no_engine() {
        let mut net = network();
        let (a, b, r1) = (NodeId(0), NodeId(1), NodeId(2));
        let p = packet(&mut net, a, b, 64);
        assert_eq!(
            net.forward(SimTime::ZERO, a, p),
            Forward::Enqueue(ChannelId(0)),
            "A->R1 is channel 0"
        );
        assert_eq!(net.on_receive(r1, p), Arrival::Forward);
        assert_eq!(net.packets.get(p).ttl, 63, "the router decrements the TTL");
        assert_eq!(
            net.forward(SimTime::ZERO, r1, p),
            Forward::Enqueue(ChannelId(2)),
            "R1->B is channel 2"
        );
        assert_eq!(net.on_receive(b, p), Arrival::Deliver);

        let dying = packet(&mut net, a, b, 1);
        assert_eq!(
            net.on_receive(r1, dying),
            Arrival::Drop(DropReason::TtlExpired)
        );

        // Hosts never forward, even towards a destination they could reach.
        let transit = packet(&mut net, b, a, 64);
        assert_eq!(
            net.on_receive(b, transit),
            Arrival::Drop(DropReason::NoRoute)
        );

        net.channels[2].up = false;
        assert_eq!(
            net.forward(SimTime::ZERO, r1, p),
            Forward::Drop(Some(ChannelId(2)), DropReason::LinkDown),
            "routes still point into the failed link"
        );
    }
}
