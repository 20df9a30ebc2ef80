//! Which hosts can reach which over the scenario's links, for validation.
//!
//! Only routers forward, so two hosts can talk when they share a link or touch
//! one connected group of routers. One pass over the links labels the router
//! groups; a query then compares small sets. This is all validation needs: the
//! routing table itself is built once, by the engine (`net::routing`).

use super::{NodeKind, Scenario};

pub(crate) struct Reachability {
    /// For each node: the router group it belongs to (routers) or touches
    /// (hosts), sorted; and the hosts it is linked to directly.
    groups: Vec<Vec<u32>>,
    neighbours: Vec<Vec<u32>>,
}

impl Reachability {
    pub(crate) fn new(sc: &Scenario) -> Reachability {
        let n = sc.nodes.len();
        let is_router = |v: usize| sc.nodes[v].kind == NodeKind::Router;
        // Union-find over router-router links.
        let mut parent: Vec<u32> = (0..n as u32).collect();
        fn root(parent: &mut [u32], mut v: u32) -> u32 {
            while parent[v as usize] != v {
                let up = parent[parent[v as usize] as usize];
                parent[v as usize] = up;
                v = up;
            }
            v
        }
        for l in &sc.links {
            if is_router(l.a) && is_router(l.b) {
                let (ra, rb) = (root(&mut parent, l.a as u32), root(&mut parent, l.b as u32));
                parent[ra.max(rb) as usize] = ra.min(rb);
            }
        }
        let mut groups: Vec<Vec<u32>> = vec![Vec::new(); n];
        let mut neighbours: Vec<Vec<u32>> = vec![Vec::new(); n];
        for v in (0..n).filter(|&v| is_router(v)) {
            groups[v].push(root(&mut parent, v as u32));
        }
        for l in &sc.links {
            for (host, other) in [(l.a, l.b), (l.b, l.a)] {
                if is_router(host) {
                    continue;
                }
                if is_router(other) {
                    let g = root(&mut parent, other as u32);
                    groups[host].push(g);
                } else {
                    neighbours[host].push(other as u32);
                }
            }
        }
        for list in groups.iter_mut().chain(neighbours.iter_mut()) {
            list.sort_unstable();
            list.dedup();
        }
        Reachability { groups, neighbours }
    }

    /// Whether packets from `src` can arrive at `dst` over some path.
    pub(crate) fn reachable(&self, src: usize, dst: usize) -> bool {
        src == dst
            || self.neighbours[src].binary_search(&(dst as u32)).is_ok()
            || self.groups[src]
                .iter()
                .any(|g| self.groups[dst].binary_search(g).is_ok())
    }
}
