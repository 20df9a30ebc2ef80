//! Splitting a topology into parts for a conservative parallel run, and the
//! parallelism a sequential run shows under such a split.
//!
//! A conservative engine (Chandy–Misra–Bryant; here in its synchronous,
//! windowed form: Lubachevsky's bounded lag, Nicol's YAWNS) lets each part
//! run on its own until the earliest time another part could still affect
//! it. A packet leaving part A for part B needs at least the propagation
//! delay of the link between them, so the shortest delay among the cut links
//! is the lookahead `L`: every part may process all of its events in
//! `[T, T + L)` without hearing from the others, then all meet at a barrier,
//! exchange the packets that crossed, and move on to the next window, which
//! starts at the earliest pending event of any part.
//!
//! `Partition::split` chooses the parts; `Profile` replays the event stream
//! of a sequential run against several splits and counts, per window, the
//! events each part would process. What it predicts is in `Profile::table`.

use crate::ids::NodeId;
use crate::scenario::Scenario;
use crate::sim::SimTime;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Which part every node belongs to.
#[derive(Clone, Debug)]
pub struct Partition {
    pub part_of: Vec<u32>,
    pub parts: usize,
    /// The shortest propagation delay of a link whose ends lie in different
    /// parts; `None` when no link is cut.
    pub lookahead: Option<SimTime>,
    pub cut_links: usize,
}

/// The work a node brings, as the split weighs it: each link direction it
/// sends on and each flow end it runs adds events.
fn weights(sc: &Scenario) -> Vec<u64> {
    let mut w = vec![1u64; sc.nodes.len()];
    for l in &sc.links {
        w[l.a] += 1;
        w[l.b] += 1;
    }
    for f in &sc.flows {
        w[f.from] += 2;
        w[f.to] += 2;
    }
    w
}

/// Each node's links: (neighbour, delay).
fn adjacency(sc: &Scenario) -> Vec<Vec<(usize, SimTime)>> {
    let mut adj = vec![Vec::new(); sc.nodes.len()];
    for l in &sc.links {
        adj[l.a].push((l.b, l.delay));
        adj[l.b].push((l.a, l.delay));
    }
    adj
}

impl Partition {
    /// Splits `sc`'s nodes into `parts` parts of about equal weight by
    /// recursive bisection. Each half grows from a node at the edge of the
    /// graph along its shortest links first, preferring nodes with the most
    /// links into the half (greedy graph growing), so long links end up cut
    /// and the lookahead is as long as the topology allows. A host with a
    /// single link always joins the part of its neighbour.
    pub fn split(sc: &Scenario, parts: usize) -> Partition {
        let adj = adjacency(sc);
        let mut weight = weights(sc);
        // Stub hosts are split off with their neighbour: their weight is
        // its weight, and the bisection does not see them.
        let stub_of: Vec<Option<usize>> = (0..adj.len())
            .map(|v| match adj[v][..] {
                [(router, _)] if adj[router].len() > 1 => Some(router),
                _ => None,
            })
            .collect();
        for (v, router) in stub_of.iter().enumerate() {
            if let Some(r) = router {
                weight[*r] += weight[v];
            }
        }
        let mut part_of = vec![0u32; sc.nodes.len()];
        let core: Vec<usize> = (0..adj.len()).filter(|&v| stub_of[v].is_none()).collect();
        // No more parts than nodes left to split.
        let parts = parts.clamp(1, core.len().max(1));
        bisect(&adj, &weight, &core, 0, parts, &mut part_of);
        for (v, router) in stub_of.iter().enumerate() {
            if let Some(r) = router {
                part_of[v] = part_of[*r];
            }
        }
        let mut lookahead: Option<SimTime> = None;
        let mut cut_links = 0;
        for l in &sc.links {
            if part_of[l.a] != part_of[l.b] {
                cut_links += 1;
                lookahead = Some(lookahead.map_or(l.delay, |d| d.min(l.delay)));
            }
        }
        Partition {
            part_of,
            parts,
            lookahead,
            cut_links,
        }
    }

    pub fn of(&self, node: NodeId) -> u32 {
        self.part_of[node.index()]
    }
}

/// Assigns `nodes` to parts `first..first + parts`.
fn bisect(
    adj: &[Vec<(usize, SimTime)>],
    weight: &[u64],
    nodes: &[usize],
    first: u32,
    parts: usize,
    part_of: &mut [u32],
) {
    if parts <= 1 || nodes.len() <= 1 {
        for &v in nodes {
            part_of[v] = first;
        }
        return;
    }
    let left_parts = parts / 2;
    let total: u64 = nodes.iter().map(|&v| weight[v]).sum();
    let target = total * left_parts as u64 / parts as u64;
    let mut inside = vec![false; adj.len()];
    for &v in nodes {
        inside[v] = true;
    }
    let left = grow(adj, weight, nodes, &inside, target);
    let mut in_left = vec![false; adj.len()];
    for &v in &left {
        in_left[v] = true;
    }
    let right: Vec<usize> = nodes.iter().copied().filter(|&v| !in_left[v]).collect();
    let left: Vec<usize> = nodes.iter().copied().filter(|&v| in_left[v]).collect();
    bisect(adj, weight, &left, first, left_parts, part_of);
    let right_first = first + left_parts as u32;
    bisect(
        adj,
        weight,
        &right,
        right_first,
        parts - left_parts,
        part_of,
    );
}

/// A node next to a growing region: (the delay of the link that reached it,
/// its links into the region, most first, when it was seen, the node).
type Candidate = (SimTime, Reverse<u32>, u64, usize);

/// Grows a region of about `target` weight inside `nodes`.
fn grow(
    adj: &[Vec<(usize, SimTime)>],
    weight: &[u64],
    nodes: &[usize],
    inside: &[bool],
    target: u64,
) -> Vec<usize> {
    let mut taken = vec![false; adj.len()];
    let mut links_in = vec![0u32; adj.len()];
    let mut region = Vec::new();
    let mut have = 0u64;
    let mut frontier: BinaryHeap<Reverse<Candidate>> = BinaryHeap::new();
    let mut seen = 0u64;
    let mut next_seed = 0;
    while have < target {
        let v = match frontier.pop() {
            Some(Reverse((_, Reverse(links), _, v))) => {
                if taken[v] || links != links_in[v] {
                    continue; // taken already, or a stale entry
                }
                v
            }
            None => {
                // A new component (or the start): seed at its far edge.
                while next_seed < nodes.len() && taken[nodes[next_seed]] {
                    next_seed += 1;
                }
                let Some(&start) = nodes.get(next_seed) else {
                    break;
                };
                peripheral(adj, inside, &taken, start)
            }
        };
        taken[v] = true;
        have += weight[v];
        region.push(v);
        for &(u, delay) in &adj[v] {
            if inside[u] && !taken[u] {
                links_in[u] += 1;
                seen += 1;
                frontier.push(Reverse((delay, Reverse(links_in[u]), seen, u)));
            }
        }
    }
    region
}

/// The last node a breadth-first search from `start` reaches, among the
/// nodes inside and not yet taken: a node at the edge of the graph.
fn peripheral(
    adj: &[Vec<(usize, SimTime)>],
    inside: &[bool],
    taken: &[bool],
    start: usize,
) -> usize {
    let mut seen = vec![false; adj.len()];
    let mut queue = std::collections::VecDeque::from([start]);
    seen[start] = true;
    let mut last = start;
    while let Some(v) = queue.pop_front() {
        last = v;
        for &(u, _) in &adj[v] {
            if inside[u] && !taken[u] && !seen[u] {
                seen[u] = true;
                queue.push_back(u);
            }
        }
    }
    last
}

/// One split's window accounting.
struct Windows {
    split: Partition,
    /// The current window's end (exclusive); `None` before the first event.
    end: Option<SimTime>,
    /// Events per part in the current window.
    events: Vec<u64>,
    /// Packets that crossed into each part in the current window.
    crossed: Vec<u64>,
    windows: u64,
    /// Σ over windows of the busiest part's events (and crossings).
    critical: u64,
    crossings: u64,
}

impl Windows {
    /// Ends the open window, if any, adding it to the totals.
    fn close(&mut self) {
        if self.end.take().is_some() {
            let busiest = (0..self.events.len())
                .map(|p| self.events[p] + self.crossed[p])
                .max()
                .unwrap_or(0);
            self.critical += busiest;
            self.windows += 1;
        }
        self.events.iter_mut().for_each(|e| *e = 0);
        self.crossed.iter_mut().for_each(|e| *e = 0);
    }
}

/// Where an event of a sequential run happens, for the profile.
#[derive(Clone, Copy, Debug)]
pub enum Site {
    /// At this node.
    Node(NodeId),
    /// A packet arriving over a link from `from` at `to`.
    Arrival { from: NodeId, to: NodeId },
    /// Everywhere at once (a failure, a reconvergence): every part meets.
    Global,
}

/// The parallelism of a sequential run under several splits: fed every
/// event, in order, by `Simulation` when asked for (`Simulation::profile`).
pub struct Profile {
    splits: Vec<Windows>,
    events: u64,
}

impl Profile {
    /// Profiles splits into each of `parts` parts (as many as there are
    /// nodes to split, at most; a count given twice is profiled once).
    pub fn new(sc: &Scenario, parts: &[usize]) -> Profile {
        let mut seen = std::collections::BTreeSet::new();
        let splits = parts
            .iter()
            .map(|&p| Partition::split(sc, p))
            .filter(|split| seen.insert(split.parts))
            .map(|split| Windows {
                events: vec![0; split.parts],
                crossed: vec![0; split.parts],
                split,
                end: None,
                windows: 0,
                critical: 0,
                crossings: 0,
            })
            .collect();
        Profile { splits, events: 0 }
    }

    /// One event at `t`, at `site`.
    pub fn event(&mut self, t: SimTime, site: Site) {
        self.events += 1;
        let global = matches!(site, Site::Global);
        for w in &mut self.splits {
            if global || w.end.is_none_or(|end| t >= end) {
                w.close();
                // The next window opens at this event, the earliest pending
                // one; with no cut link the whole run is one window.
                w.end = Some(match w.split.lookahead {
                    Some(l) if !global => t + l,
                    Some(_) => t,
                    None => SimTime(u64::MAX),
                });
            }
            let part = match site {
                Site::Node(n) => w.split.of(n) as usize,
                Site::Arrival { from, to } => {
                    let (a, b) = (w.split.of(from), w.split.of(to));
                    if a != b {
                        w.crossed[b as usize] += 1;
                        w.crossings += 1;
                    }
                    b as usize
                }
                // Counted as work of the first part: every part waits for it.
                Site::Global => 0,
            };
            w.events[part] += 1;
        }
    }

    /// The figures, once the run has ended: per split, the predicted
    /// speed-up over one thread for an event cost `event_ns` and a barrier
    /// cost `spin_ns(parts)` (cores spin at the barrier) or `sleep_ns(parts)`
    /// (they sleep in the kernel).
    pub fn table(
        &mut self,
        event_ns: f64,
        spin_ns: impl Fn(usize) -> f64,
        sleep_ns: impl Fn(usize) -> f64,
    ) -> String {
        let mut out = format!(
            "{:>6} {:>6} {:>10} {:>9} {:>13} {:>9} {:>8} {:>6} {:>9} {:>9}\n",
            "parts",
            "cut",
            "lookahead",
            "windows",
            "events/window",
            "crossed",
            "balance",
            "bound",
            "spinning",
            "sleeping"
        );
        for w in &mut self.splits {
            w.close();
            let parts = w.split.parts;
            let windows = w.windows.max(1);
            // Balance: the busiest part's share against an even share.
            let even = self.events as f64 / parts as f64;
            let balance = even / (w.critical.max(1) as f64);
            let bound = self.events as f64 / w.critical.max(1) as f64;
            let sequential = self.events as f64 * event_ns;
            let speedup = |barrier: f64| {
                sequential / (w.critical as f64 * event_ns + windows as f64 * barrier).max(1e-9)
            };
            out += &format!(
                "{:>6} {:>6} {:>10} {:>9} {:>13.0} {:>9} {:>7.0}% {:>6.2} {:>9.2} {:>9.2}\n",
                parts,
                w.split.cut_links,
                w.split
                    .lookahead
                    .map_or("-".to_string(), |l| format!("{} us", l.0 / 1000)),
                w.windows,
                self.events as f64 / windows as f64,
                w.crossings,
                balance * 100.0,
                bound,
                speedup(spin_ns(parts)),
                speedup(sleep_ns(parts))
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Scenario {
        crate::scenario::parse("t", text, "t").expect("valid")
    }

    fn fat_tree(k: usize) -> Scenario {
        parse(&format!(
            "[simulation]\nname = \"t\"\nduration = \"1s\"\n[[topology]]\nkind = \"fat-tree\"\nk = {k}\n"
        ))
    }

    #[test]
    fn halves_of_a_fat_tree_weigh_the_same_and_keep_hosts_with_their_switch() {
        let sc = fat_tree(8);
        let p = Partition::split(&sc, 2);
        let w = weights(&sc);
        let mut per = [0u64; 2];
        for (v, &part) in p.part_of.iter().enumerate() {
            per[part as usize] += w[v];
        }
        let (lo, hi) = (per[0].min(per[1]), per[0].max(per[1]));
        assert!(hi * 100 <= lo * 115, "unbalanced: {per:?}");
        let adj = adjacency(&sc);
        for (v, links) in adj.iter().enumerate() {
            if let [(router, _)] = links[..] {
                assert_eq!(p.part_of[v], p.part_of[router], "host {v} split off");
            }
        }
        assert!(p.cut_links > 0);
        assert!(p.lookahead.is_some());
    }

    #[test]
    fn a_dumbbell_is_cut_at_its_longest_link() {
        // Two stars of hosts joined by a 10 ms link; every other link is 1 ms.
        let p = Partition::split(&dumbbell(), 2);
        assert_eq!(p.cut_links, 1);
        assert_eq!(p.lookahead, Some(SimTime::from_millis(10)));
    }

    fn dumbbell() -> Scenario {
        let mut text = String::from("[simulation]\nname = \"t\"\nduration = \"1s\"\n");
        text += "[[node]]\nname = \"L\"\nkind = \"router\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n";
        text += "[[link]]\nbetween = [\"L\", \"R\"]\nbandwidth = \"10Mbps\"\ndelay = \"10ms\"\n";
        for side in ["L", "R"] {
            for i in 0..4 {
                text += &format!("[[node]]\nname = \"{side}{i}\"\n");
                text += &format!(
                    "[[link]]\nbetween = [\"{side}{i}\", \"{side}\"]\nbandwidth = \"1Gbps\"\ndelay = \"1ms\"\n"
                );
            }
        }
        parse(&text)
    }

    #[test]
    fn windows_last_one_lookahead_from_the_earliest_event_and_close_at_global_events() {
        let sc = dumbbell();
        let mut profile = Profile::new(&sc, &[2]);
        let (l, r, l0, r0) = (NodeId(0), NodeId(1), NodeId(2), NodeId(6));
        let ms = SimTime::from_millis;
        let stream = [
            (ms(0), Site::Node(l0)),
            (ms(1), Site::Node(r0)),
            // Crosses the cut: one event at R and one packet handed over.
            (ms(5), Site::Arrival { from: l, to: r }),
            (ms(12), Site::Node(l0)),
            (ms(30), Site::Global),
            (ms(30), Site::Node(r0)),
        ];
        for (t, site) in stream {
            profile.event(t, site);
        }
        let w = &mut profile.splits[0];
        w.close();
        assert_ne!(w.split.of(l0), w.split.of(r0));
        // [0, 10 ms): L 1, R 1 + 1 + 1 crossed; [12, 22 ms): 1; the failure
        // alone; [30, 40 ms): 1.
        assert_eq!(w.windows, 4);
        assert_eq!(w.critical, 3 + 1 + 1 + 1);
        assert_eq!(w.crossings, 1);
    }

    #[test]
    fn one_part_cuts_nothing() {
        let p = Partition::split(&fat_tree(4), 1);
        assert_eq!(p.cut_links, 0);
        assert_eq!(p.lookahead, None);
        assert!(p.part_of.iter().all(|&x| x == 0));
    }
}
