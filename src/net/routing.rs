//! Static shortest-path routing: every node's next hop towards every other node.
//!
//! Cost is the sum of link propagation delays. Ties are broken deterministically:
//! fewer hops first, then the neighbour declared first, then the link declared
//! first. Only routers carry transit traffic; hosts are sources and sinks.

use crate::scenario::{NodeKind, Scenario};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// "No route" in the next-hop table.
pub const NO_ROUTE: u32 = u32::MAX;

/// `next[src * n + dst]` is the outgoing channel (`link * 2 + direction`) at `src`
/// towards `dst`, or `NO_ROUTE`.
#[derive(Clone, Debug)]
pub struct Routes {
    n: usize,
    next: Vec<u32>,
}

/// One direction of a link as the routing computation sees it.
#[derive(Clone, Copy)]
struct Arc {
    to: usize,
    cost: u64,
    channel: u32,
}

impl Routes {
    /// Routes over every link.
    pub fn compute(sc: &Scenario) -> Routes {
        Self::compute_with(sc, |_| true)
    }

    /// Routes over the links for which `usable(link index)` holds.
    pub fn compute_with(sc: &Scenario, usable: impl Fn(usize) -> bool) -> Routes {
        let n = sc.nodes.len();
        let mut adjacency: Vec<Vec<Arc>> = vec![Vec::new(); n];
        for (i, l) in sc.links.iter().enumerate().filter(|(i, _)| usable(*i)) {
            let cost = l.delay.as_nanos();
            adjacency[l.a].push(Arc {
                to: l.b,
                cost,
                channel: (i * 2) as u32,
            });
            adjacency[l.b].push(Arc {
                to: l.a,
                cost,
                channel: (i * 2 + 1) as u32,
            });
        }
        let transit: Vec<bool> = sc
            .nodes
            .iter()
            .map(|n| n.kind == NodeKind::Router)
            .collect();
        let mut next = vec![NO_ROUTE; n * n];
        let mut dist: Vec<Option<(u64, u32)>> = vec![None; n];
        for dst in 0..n {
            distances_to(dst, &adjacency, &transit, &mut dist);
            for src in 0..n {
                if src == dst {
                    continue;
                }
                // The best neighbour: minimal (cost, hops, neighbour index, channel).
                let best = adjacency[src]
                    .iter()
                    .filter_map(|arc| {
                        let (d, h) = dist[arc.to]?;
                        (arc.to == dst || transit[arc.to])
                            .then(|| (arc.cost.saturating_add(d), h + 1, arc.to, arc.channel))
                    })
                    .min();
                if let Some((_, _, _, channel)) = best {
                    next[src * n + dst] = channel;
                }
            }
        }
        Routes { n, next }
    }

    /// The channel `src` sends on to reach `dst`, if any.
    #[inline]
    pub fn next_channel(&self, src: usize, dst: usize) -> Option<u32> {
        let c = self.next[src * self.n + dst];
        (c != NO_ROUTE).then_some(c)
    }

    /// The channels from `src` to `dst` along the routes, or `None` without a route.
    pub fn path(
        &self,
        src: usize,
        dst: usize,
        channel_to: impl Fn(u32) -> usize,
    ) -> Option<Vec<u32>> {
        let mut path = Vec::new();
        let mut at = src;
        while at != dst {
            let c = self.next_channel(at, dst)?;
            path.push(c);
            at = channel_to(c);
            if path.len() > self.n {
                return None; // cannot happen with loop-free routes; never spin
            }
        }
        Some(path)
    }

    pub fn reachable(&self, src: usize, dst: usize) -> bool {
        src == dst || self.next_channel(src, dst).is_some()
    }
}

/// Dijkstra from `dst` over the (symmetric) graph: distance and hop count of each
/// node to `dst`, passing through routers only.
fn distances_to(
    dst: usize,
    adjacency: &[Vec<Arc>],
    transit: &[bool],
    dist: &mut [Option<(u64, u32)>],
) {
    dist.iter_mut().for_each(|d| *d = None);
    dist[dst] = Some((0, 0));
    let mut heap = BinaryHeap::new();
    heap.push(Reverse((0u64, 0u32, dst)));
    while let Some(Reverse((d, h, v))) = heap.pop() {
        if dist[v] != Some((d, h)) {
            continue;
        }
        // A host other than the destination never carries traffic onwards.
        if v != dst && !transit[v] {
            continue;
        }
        for arc in &adjacency[v] {
            let candidate = (d.saturating_add(arc.cost), h + 1);
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
        assert_eq!(r.next_channel(0, 1), Some(0)); // A -> R1 on link 0, direction a->b
        assert_eq!(r.next_channel(1, 0), Some(3)); // B -> R1 on link 1, direction b->a
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
}
