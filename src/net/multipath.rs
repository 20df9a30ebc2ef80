//! Choosing one of a group of equal-cost next hops for a packet: the single
//! path, a per-flow hash (ECMP), or per-packet spraying.
//!
//! ECMP hashes the 5-tuple (addresses, protocol, ports) with a salt drawn
//! from each router's own stream, so two routers in a row do not split flows
//! the same way (which would leave some paths of the second router unused).
//! The choice is `hash mod group size`: when a failed member leaves a group
//! after reconvergence, flows are dealt out afresh, as with plain ECMP.
//! Round-robin spraying keeps one turn counter per group; a new routing table
//! (after a failure or repair) starts every counter again at the first member.

use super::link::ChannelId;
use super::packet::{NO_FLOW, Packet, Transport};
use super::routing::GroupId;
use crate::ids::NodeId;
use crate::scenario::{Multipath, Scenario};
use crate::sim::hash::mix;
use crate::sim::rng::{self, Rng};
use rand::RngExt;

pub struct MultipathState {
    seed: u64,
    /// Per node: how it chooses, unless the packet's flow says otherwise.
    node_mode: Vec<Multipath>,
    /// Per flow: its own choice, if any.
    flow_mode: Vec<Option<Multipath>>,
    /// Per node: the ECMP hash salt.
    salt: Vec<u64>,
    /// Per node: the stream random spraying draws from, made on first use
    /// (boxed: most nodes never spray, and a stream is some 300 bytes).
    spray: Vec<Option<Box<Rng>>>,
    /// Per group of the current routes: the member round-robin sends on next.
    turn: Vec<u32>,
}

impl MultipathState {
    pub fn new(sc: &Scenario, groups: usize) -> Self {
        let node_mode: Vec<Multipath> = sc
            .nodes
            .iter()
            .map(|n| n.multipath.unwrap_or(sc.routing.multipath))
            .collect();
        let salt = sc
            .nodes
            .iter()
            .map(|n| rng::stream(sc.seed, &format!("ecmp:{}", n.name)).random::<u64>())
            .collect();
        MultipathState {
            seed: sc.seed,
            spray: (0..sc.nodes.len()).map(|_| None).collect(),
            node_mode,
            flow_mode: sc.flows.iter().map(|f| f.multipath).collect(),
            salt,
            turn: vec![0; groups],
        }
    }

    /// The routes changed: group numbers mean other groups now.
    pub fn routes_changed(&mut self, groups: usize) {
        self.turn.clear();
        self.turn.resize(groups, 0);
    }

    /// Which of `members` (group `group`, at node `node`) `packet` leaves on.
    pub fn choose(
        &mut self,
        node: NodeId,
        group: GroupId,
        members: &[ChannelId],
        packet: &Packet,
        node_name: &str,
    ) -> ChannelId {
        let n = members.len();
        if n == 1 {
            return members[0];
        }
        let mode = match packet.flow {
            NO_FLOW => None,
            f => self.flow_mode[f as usize],
        }
        .unwrap_or(self.node_mode[node.index()]);
        let i = match mode {
            Multipath::Single => 0,
            Multipath::Ecmp => (flow_hash(self.salt[node.index()], packet) % n as u64) as usize,
            Multipath::SprayRoundRobin => {
                let turn = &mut self.turn[group.0 as usize];
                let i = *turn as usize % n;
                *turn = turn.wrapping_add(1);
                i
            }
            Multipath::SprayRandom => {
                let seed = self.seed;
                self.spray[node.index()]
                    .get_or_insert_with(|| {
                        Box::new(rng::stream(seed, &format!("spray:{node_name}")))
                    })
                    .random_range(0..n)
            }
        };
        members[i]
    }
}

/// A hash of the packet's 5-tuple under `salt`: the same for every packet of
/// one direction of a flow, and spread evenly over its 64 bits.
pub fn flow_hash(salt: u64, p: &Packet) -> u64 {
    let (src_port, dst_port) = p.ports();
    let protocol: u64 = match p.transport {
        Transport::Udp(_) => 17,
        Transport::Tcp(_) => 6,
    };
    let addresses = (u64::from(u32::from_be_bytes(p.src_addr.0)) << 32)
        | u64::from(u32::from_be_bytes(p.dst_addr.0));
    let rest = (u64::from(src_port) << 32) | (u64::from(dst_port) << 16) | protocol;
    mix(mix(salt ^ addresses) ^ rest)
}
