//! Static shortest-path routing with equal-cost groups: every node's set of
//! next hops towards every other node.
//!
//! Cost is the sum of the links' `cost` (0 unless set), then of their
//! propagation delays, then the hop count: the next
//! hops of `src` towards `dst` are all outgoing channels that start a path of
//! minimal (cost, hops). A group lists them by neighbour (declaration order),
//! then by link; its first member is the single path used without multipath
//! (`scenario::Multipath::Single`). Only routers carry transit traffic.
//!
//! Scale: a host with one link to a router (a "stub", as every host of a
//! fat-tree) is left out of the table. Its routes are its router's, with its
//! one link added at either end, which gives the same next hops as a full
//! computation. The table is then (routers + other hosts)², so a k = 32
//! fat-tree (8,192 hosts, 1,280 switches) needs 1,280 Dijkstra runs and a
//! 1,280 × 1,280 table instead of 9,472 of each.

use crate::ids::ChannelId;
use crate::scenario::{NodeKind, Scenario};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

/// "No route" in the tables.
const NO_ROUTE: u32 = u32::MAX;

/// An equal-cost group: index into `Routes`' groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GroupId(pub u32);

/// Where a node sits in the tables.
#[derive(Clone, Copy, Debug)]
enum Place {
    /// A row and column of the table.
    Core(u32),
    /// A host whose one link joins `router` (core): `up` and `down` are that
    /// link's channels towards and from the router.
    Stub {
        router: u32,
        up: u32,
        down: u32,
        usable: bool,
    },
}

#[derive(Clone, Debug)]
pub struct Routes {
    place: Vec<Place>,
    /// Core nodes (rows and columns of `next`).
    core: usize,
    /// `next[src_core * core + dst_core]`: a group, or `NO_ROUTE`.
    next: Vec<u32>,
    /// Group `g` is `members[start[g]..start[g + 1]]` (channels).
    start: Vec<u32>,
    members: Vec<ChannelId>,
    /// The group made of channel `c` alone.
    single: Vec<u32>,
}

/// One direction of a link as the routing computation sees it.
#[derive(Clone, Copy)]
struct Arc {
    /// Core index of the far end.
    to: usize,
    cost: u128,
    channel: u32,
}

impl Routes {
    /// Routes over every link.
    pub fn compute(sc: &Scenario) -> Routes {
        Self::compute_with(sc, |_| true)
    }

    /// Routes over the links for which `usable(link index)` holds.
    pub fn compute_with(sc: &Scenario, usable: impl Fn(usize) -> bool) -> Routes {
        let place = places(sc, &usable);
        let core_nodes: Vec<usize> = (0..sc.nodes.len())
            .filter(|&v| matches!(place[v], Place::Core(_)))
            .collect();
        let core = core_nodes.len();
        let core_of = |v: usize| match place[v] {
            Place::Core(c) => Some(c as usize),
            Place::Stub { .. } => None,
        };
        let mut adjacency: Vec<Vec<Arc>> = vec![Vec::new(); core];
        for (i, l) in sc.links.iter().enumerate().filter(|(i, _)| usable(*i)) {
            let (Some(a), Some(b)) = (core_of(l.a), core_of(l.b)) else {
                continue; // a stub's link
            };
            // (cost, delay) in one number: the cost in the high 64 bits. Sums
            // stay exact in 128 bits for any path shorter than 2³² hops whose
            // delays add up to less than 584 years.
            let cost = (u128::from(l.cost) << 64) + u128::from(l.delay.as_nanos());
            let channel = (i * 2) as u32;
            adjacency[a].push(Arc {
                to: b,
                cost,
                channel,
            });
            adjacency[b].push(Arc {
                to: a,
                cost,
                channel: channel + 1,
            });
        }
        // Group members are listed by neighbour node, then by channel.
        for arcs in &mut adjacency {
            arcs.sort_by_key(|a| (core_nodes[a.to], a.channel));
        }
        let transit: Vec<bool> = core_nodes
            .iter()
            .map(|&v| sc.nodes[v].kind == NodeKind::Router)
            .collect();

        let mut groups = GroupTable::new(sc.links.len() * 2);
        let mut next = vec![NO_ROUTE; core * core];
        let mut dist: Vec<Option<(u128, u32)>> = vec![None; core];
        let mut best: Vec<u32> = Vec::new();
        for dst in 0..core {
            distances_to(dst, &adjacency, &transit, &mut dist);
            for src in (0..core).filter(|&s| s != dst) {
                let mut key = None;
                best.clear();
                for arc in &adjacency[src] {
                    let Some((d, h)) = dist[arc.to] else { continue };
                    if arc.to != dst && !transit[arc.to] {
                        continue;
                    }
                    let k = (arc.cost + d, h + 1);
                    if key.is_none_or(|old| k < old) {
                        key = Some(k);
                        best.clear();
                    }
                    if key == Some(k) {
                        best.push(arc.channel);
                    }
                }
                if !best.is_empty() {
                    next[src * core + dst] = groups.intern(&best);
                }
            }
        }
        let GroupTable {
            start,
            members,
            single,
            ..
        } = groups;
        Routes {
            place,
            core,
            next,
            start,
            members: members.into_iter().map(ChannelId).collect(),
            single,
        }
    }

    /// The equal-cost group `src` forwards on towards `dst`, if any.
    #[inline]
    pub fn group(&self, src: usize, dst: usize) -> Option<GroupId> {
        if src == dst {
            return None;
        }
        let g = match (self.place[src], self.place[dst]) {
            (Place::Stub { usable: false, .. }, _) | (_, Place::Stub { usable: false, .. }) => {
                NO_ROUTE
            }
            (Place::Stub { router, up, .. }, _) => {
                if self.core_reaches(router, dst) {
                    self.single[up as usize]
                } else {
                    NO_ROUTE
                }
            }
            (Place::Core(s), Place::Stub { router, down, .. }) => {
                if s == router {
                    self.single[down as usize]
                } else {
                    self.next[s as usize * self.core + router as usize]
                }
            }
            (Place::Core(s), Place::Core(d)) => self.next[s as usize * self.core + d as usize],
        };
        (g != NO_ROUTE).then_some(GroupId(g))
    }

    /// The channels of a group, in their fixed order.
    #[inline]
    pub fn members(&self, g: GroupId) -> &[ChannelId] {
        let i = g.0 as usize;
        &self.members[self.start[i] as usize..self.start[i + 1] as usize]
    }

    /// How many groups there are (multipath state is kept per group).
    pub fn group_count(&self) -> usize {
        self.start.len() - 1
    }

    /// The channel `src` sends on to reach `dst` over the single path.
    #[inline]
    pub fn next_channel(&self, src: usize, dst: usize) -> Option<ChannelId> {
        self.group(src, dst).map(|g| self.members(g)[0])
    }

    /// The equal-cost next hops of `src` towards `dst` (empty without a route).
    pub fn next_hops(&self, src: usize, dst: usize) -> &[ChannelId] {
        self.group(src, dst).map_or(&[], |g| self.members(g))
    }

    /// The channels from `src` to `dst` along the single path, or `None`
    /// without a route.
    pub fn path(
        &self,
        src: usize,
        dst: usize,
        channel_to: impl Fn(ChannelId) -> usize,
    ) -> Option<Vec<ChannelId>> {
        let mut path = Vec::new();
        let mut at = src;
        while at != dst {
            let c = self.next_channel(at, dst)?;
            path.push(c);
            at = channel_to(c);
            if path.len() > self.place.len() {
                return None; // cannot happen with loop-free routes; never spin
            }
        }
        Some(path)
    }

    pub fn reachable(&self, src: usize, dst: usize) -> bool {
        src == dst || self.group(src, dst).is_some()
    }

    /// Whether core node `router` is `dst`, or has a route to it (or to the
    /// router of stub `dst`).
    fn core_reaches(&self, router: u32, dst: usize) -> bool {
        let d = match self.place[dst] {
            Place::Core(d) => d,
            Place::Stub { router: r, .. } => r,
        };
        d == router || self.next[router as usize * self.core + d as usize] != NO_ROUTE
    }
}

/// Equal-cost groups, each stored once.
struct GroupTable {
    start: Vec<u32>,
    members: Vec<u32>,
    single: Vec<u32>,
    multi: BTreeMap<Vec<u32>, u32>,
}

impl GroupTable {
    /// A table with the one-channel group of each of `channels` channels.
    fn new(channels: usize) -> Self {
        GroupTable {
            start: (0..=channels as u32).collect(),
            members: (0..channels as u32).collect(),
            single: (0..channels as u32).collect(),
            multi: BTreeMap::new(),
        }
    }

    fn intern(&mut self, channels: &[u32]) -> u32 {
        if let [c] = channels {
            return self.single[*c as usize];
        }
        if let Some(&g) = self.multi.get(channels) {
            return g;
        }
        let g = (self.start.len() - 1) as u32;
        self.members.extend_from_slice(channels);
        self.start.push(self.members.len() as u32);
        self.multi.insert(channels.to_vec(), g);
        g
    }
}

/// Each node's place: a host with exactly one link, to a router, is a stub.
fn places(sc: &Scenario, usable: &impl Fn(usize) -> bool) -> Vec<Place> {
    let mut links_of: Vec<Vec<usize>> = vec![Vec::new(); sc.nodes.len()];
    for (i, l) in sc.links.iter().enumerate() {
        links_of[l.a].push(i);
        links_of[l.b].push(i);
    }
    let mut place = Vec::with_capacity(sc.nodes.len());
    let mut stubs: Vec<(usize, usize)> = Vec::new();
    let mut core = 0u32;
    for (v, node) in sc.nodes.iter().enumerate() {
        if let [i] = links_of[v][..] {
            let l = &sc.links[i];
            let other = if l.a == v { l.b } else { l.a };
            if node.kind == NodeKind::Host && sc.nodes[other].kind == NodeKind::Router {
                stubs.push((v, i));
                place.push(Place::Core(u32::MAX)); // filled below
                continue;
            }
        }
        place.push(Place::Core(core));
        core += 1;
    }
    for (v, i) in stubs {
        let l = &sc.links[i];
        let (router, up) = if l.a == v {
            (l.b, (i * 2) as u32)
        } else {
            (l.a, (i * 2 + 1) as u32)
        };
        let Place::Core(r) = place[router] else {
            unreachable!("a stub's neighbour is a router, and routers are core")
        };
        place[v] = Place::Stub {
            router: r,
            up,
            down: up ^ 1,
            usable: usable(i),
        };
    }
    place
}

/// Dijkstra from `dst` over the (symmetric) graph: distance and hop count of each
/// node to `dst`, passing through routers only.
fn distances_to(
    dst: usize,
    adjacency: &[Vec<Arc>],
    transit: &[bool],
    dist: &mut [Option<(u128, u32)>],
) {
    dist.iter_mut().for_each(|d| *d = None);
    dist[dst] = Some((0, 0));
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((0u128, 0u32, dst)));
    while let Some(Reverse((d, h, v))) = heap.pop() {
        if dist[v] != Some((d, h)) {
            continue;
        }
        // A host other than the destination never carries traffic onwards.
        if v != dst && !transit[v] {
            continue;
        }
        for arc in &adjacency[v] {
            let candidate = (d + arc.cost, h + 1);
            if dist[arc.to].is_none_or(|old| candidate < old) {
                dist[arc.to] = Some(candidate);
                heap.push(Reverse((candidate.0, candidate.1, arc.to)));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Channel ids from their numbers.
    fn ids(channels: &[u32]) -> Vec<ChannelId> {
        channels.iter().map(|&c| ChannelId(c)).collect()
    }
    use crate::scenario::parse;

    fn scenario(links: &str) -> Scenario {
        let text = format!(
            "[[node]]\nname=\"A\"\n[[node]]\nname=\"B\"\n[[node]]\nname=\"R1\"\nkind=\"router\"\n[[node]]\nname=\"R2\"\nkind=\"router\"\n{links}"
        );
        parse("t.toml", &text, "t").unwrap()
    }

    #[test]
    fn prefers_lower_delay_then_fewer_hops() {
        // A-R1-B costs 2ms, A-R2-B costs 4ms.
        let sc = scenario(
            "[[link]]\nbetween=[\"A\",\"R1\"]\n[[link]]\nbetween=[\"R1\",\"B\"]\n\
             [[link]]\nbetween=[\"A\",\"R2\"]\ndelay=\"2ms\"\n[[link]]\nbetween=[\"R2\",\"B\"]\ndelay=\"2ms\"\n",
        );
        let r = Routes::compute(&sc);
        assert_eq!(r.next_channel(0, 1), Some(ChannelId(0))); // A -> R1 on link 0, direction a->b
        assert_eq!(r.next_channel(1, 0), Some(ChannelId(3))); // B -> R1 on link 1, direction b->a
        assert_eq!(
            r.next_hops(0, 1),
            ids(&[0]),
            "the longer path is not equal-cost"
        );
    }

    /// Validation answers reachability without a routing table
    /// (`scenario::reach`); it must agree with the table on every pair.
    #[test]
    fn validation_reachability_agrees_with_the_routing_table() {
        let mut checked = 0;
        let mut small = vec![
            scenario(
                "[[link]]\nbetween=[\"R1\",\"A\"]\n[[link]]\nbetween=[\"A\",\"R2\"]\n[[link]]\nbetween=[\"B\",\"R2\"]\n",
            ),
            scenario("[[link]]\nbetween=[\"A\",\"B\"]\n[[link]]\nbetween=[\"R1\",\"R2\"]\n"),
            scenario(
                "[[link]]\nbetween=[\"A\",\"R1\"]\n[[link]]\nbetween=[\"R1\",\"R2\"]\n[[link]]\nbetween=[\"R2\",\"B\"]\n",
            ),
        ];
        for entry in std::fs::read_dir("scenarios").unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                small.push(crate::scenario::load(&path).unwrap());
            }
        }
        for sc in &small {
            let routes = Routes::compute(sc);
            let reach = crate::scenario::reach::Reachability::new(sc);
            for a in 0..sc.nodes.len().min(200) {
                for b in 0..sc.nodes.len().min(200) {
                    let hosts = [a, b].iter().all(|&v| sc.nodes[v].kind == NodeKind::Host);
                    if hosts {
                        assert_eq!(
                            reach.reachable(a, b),
                            routes.reachable(a, b),
                            "{} -> {}",
                            sc.nodes[a].name,
                            sc.nodes[b].name
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(
            checked >= 300,
            "{checked} pairs: the scenarios folder went missing?"
        );
    }

    #[test]
    fn hosts_do_not_carry_transit_traffic() {
        // R1 - A - R2: the only way from R1 to R2 is through host A.
        let sc = scenario(
            "[[link]]\nbetween=[\"R1\",\"A\"]\n[[link]]\nbetween=[\"A\",\"R2\"]\n[[link]]\nbetween=[\"B\",\"R2\"]\n",
        );
        let r = Routes::compute(&sc);
        assert!(r.reachable(0, 3));
        assert!(!r.reachable(2, 3), "R1 must not reach R2 through host A");
        assert!(r.reachable(0, 1), "A reaches B via R2");
    }

    #[test]
    fn equal_cost_paths_form_one_group_in_declaration_order() {
        // A-R1-B and A-R2-B, both 2 ms: A has two next hops towards B.
        let sc = scenario(
            "[[link]]\nbetween=[\"A\",\"R1\"]\n[[link]]\nbetween=[\"R1\",\"B\"]\n\
             [[link]]\nbetween=[\"A\",\"R2\"]\n[[link]]\nbetween=[\"R2\",\"B\"]\n",
        );
        let r = Routes::compute(&sc);
        assert_eq!(r.next_hops(0, 1), ids(&[0, 4]));
        assert_eq!(r.next_hops(1, 0), ids(&[3, 7]));
        assert_eq!(
            r.next_channel(0, 1),
            Some(ChannelId(0)),
            "single path: the first member"
        );
        // Without link A-R1 the group shrinks to the other member.
        let r = Routes::compute_with(&sc, |l| l != 0);
        assert_eq!(r.next_hops(0, 1), ids(&[4]));
    }

    #[test]
    fn stub_hosts_route_like_a_full_table() {
        // Hosts on single links to routers of a square: R1-R2-R3-R4-R1.
        let mut text = String::new();
        for r in 1..=4 {
            text += &format!("[[node]]\nname=\"R{r}\"\nkind=\"router\"\n[[node]]\nname=\"H{r}\"\n");
            text += &format!("[[link]]\nbetween=[\"H{r}\",\"R{r}\"]\n");
        }
        for (a, b) in [(1, 2), (2, 3), (3, 4), (4, 1)] {
            text += &format!("[[link]]\nbetween=[\"R{a}\",\"R{b}\"]\n");
        }
        let sc = parse("t.toml", &text, "t").unwrap();
        let r = Routes::compute(&sc);
        let idx = |n: &str| sc.nodes.iter().position(|x| x.name == n).unwrap();
        let name = |c: ChannelId| {
            let (f, t) = sc.channel_ends(c);
            format!("{}->{}", sc.nodes[f].name, sc.nodes[t].name)
        };
        let hops = |s: &str, d: &str| -> Vec<String> {
            r.next_hops(idx(s), idx(d))
                .iter()
                .map(|&c| name(c))
                .collect()
        };
        assert_eq!(hops("H1", "H3"), ["H1->R1"]);
        assert_eq!(hops("R1", "H3"), ["R1->R2", "R1->R4"], "two equal paths");
        assert_eq!(hops("R3", "H3"), ["R3->H3"]);
        assert_eq!(hops("R2", "H1"), ["R2->R1"]);
        assert_eq!(hops("H1", "R3"), ["H1->R1"]);
        assert!(hops("H1", "H1").is_empty());
        // H3's link down: nobody reaches H3, H3 reaches nobody.
        let h3_link = sc
            .links
            .iter()
            .position(|l| l.a == idx("H3") || l.b == idx("H3"))
            .unwrap();
        let r = Routes::compute_with(&sc, |l| l != h3_link);
        assert!(!r.reachable(idx("H1"), idx("H3")));
        assert!(!r.reachable(idx("R3"), idx("H3")));
        assert!(!r.reachable(idx("H3"), idx("R3")));
        assert!(r.reachable(idx("H1"), idx("H2")));
    }
}
