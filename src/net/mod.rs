//! The network layer: nodes, link directions, forwarding tables and packets.
//!
//! Owns no events and draws no conclusions: the engine asks it to move packets
//! and reports what happened to the trace and statistics.

pub mod failures;
pub mod link;
pub mod multipath;
pub mod packet;
pub mod routing;

use crate::scenario::{NodeKind, Scenario};
use crate::sim::rng;
use crate::wire::ipv4::Ipv4Addr;
use link::{Channel, ChannelId};
use multipath::MultipathState;
use packet::{PacketArena, PacketId};
use routing::Routes;
use std::collections::BTreeMap;

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
    by_address: BTreeMap<Ipv4Addr, u32>,
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
                channels.push(Channel::new(
                    i as u32,
                    from as u32,
                    to as u32,
                    l.bandwidth,
                    l.delay,
                    l.queue,
                    l.loss,
                    rng,
                ));
            }
            channels[i * 2].set_drop_list(l.drop.clone());
        }
        let by_address = nodes
            .iter()
            .enumerate()
            .map(|(i, n)| (n.addr, i as u32))
            .collect();
        let routes = Routes::compute(sc);
        Network {
            multipath: MultipathState::new(sc, routes.group_count()),
            routes,
            nodes,
            channels,
            packets: PacketArena::default(),
            by_address,
            channel_names,
        }
    }

    /// The channel `node` forwards `packet` on towards its destination
    /// (`None`: no route), choosing among equal-cost next hops as configured.
    pub fn next_hop(&mut self, node: u32, packet: PacketId) -> Option<ChannelId> {
        let p = self.packets.get(packet);
        let group = self.routes.group(node as usize, p.dst as usize)?;
        let members = self.routes.members(group);
        let name = &self.nodes[node as usize].name;
        Some(self.multipath.choose(node, group, members, p, name))
    }

    /// Routers switch to `routes` (recomputed after a failure or repair).
    pub fn set_routes(&mut self, routes: Routes) {
        self.multipath.routes_changed(routes.group_count());
        self.routes = routes;
    }

    pub fn node_by_address(&self, addr: Ipv4Addr) -> Option<u32> {
        self.by_address.get(&addr).copied()
    }

    /// "A->R1"
    pub fn channel_name(&self, c: ChannelId) -> &str {
        &self.channel_names[c as usize]
    }

    pub fn node_name(&self, n: u32) -> &str {
        &self.nodes[n as usize].name
    }
}
