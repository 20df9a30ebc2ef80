//! Generated topologies (`[[topology]]`) and flow sets (`[[flows]]`).
//!
//! Both expand into ordinary `[[node]]`, `[[link]]` and `[[flow]]` tables,
//! appended after the hand-written ones and then checked exactly as if written
//! by hand, so generated and hand-written elements mix freely (a `[[link]]` or
//! `[[flow]]` may name a generated node). Errors in generated elements point at
//! the generator's key that caused them (`kind` when no better key exists).
//!
//! Topologies (`prefix` is prepended to every generated name; default ""):
//! - `dumbbell`, `pairs = N`: hosts `s0..s{N-1}` (sources) joined to router
//!   `left`, hosts `d0..d{N-1}` joined to router `right`; `left`-`right` is the
//!   bottleneck. Tiers: `access` (host links), `core` (`left`-`right`).
//! - `star`, `hosts = N`: hosts `h0..h{N-1}` joined to router `hub`. Tier: `access`.
//! - `line` (N >= 2) and `ring` (N >= 3), `nodes = N`: routers `r0..r{N-1}` in a
//!   line (a ring also joins `r{N-1}` to `r0`), one host `hI` per router `rI`.
//!   Tiers: `access` (`hI`-`rI`), `core` (router-router).
//! - `grid` (rows, columns >= 1) and `torus` (rows, columns >= 3), `rows = R`,
//!   `columns = C`: routers `r0..r{R*C-1}` numbered row by row (`rI` is at row
//!   I / C, column I % C), each joined to its right and lower neighbour (a torus
//!   wraps around both ways), one host `hI` per router `rI`. Tiers as for `line`.
//! - `fat-tree`, `k` even >= 2: k pods of k/2 edge and k/2 aggregation switches,
//!   (k/2)² core switches, k³/4 hosts. Hosts `h0..h{k³/4-1}` (host I on edge
//!   switch I / (k/2)), edge switches `edge0..edge{k²/2-1}` (pod P holds
//!   `edge{P*k/2}..`), aggregation switches `agg0..agg{k²/2-1}` (likewise), core
//!   switches `core0..core{k²/4-1}`; aggregation switch J of a pod (J = index
//!   % (k/2)) joins cores `core{J*k/2}..core{J*k/2+k/2-1}`. Switches are routers.
//!   Tiers: `edge` (host-edge), `aggregation` (edge-aggregation), `core`
//!   (aggregation-core).
//!
//! A tier is an inline table `{ bandwidth, delay, queue, loss }` with the
//! `[[link]]` defaults ("100Mbps", "1ms", "100p", 0.0) for the keys it omits.
//!
//! Flow sets (`[[flows]]`):
//! - `pattern`: `all-to-all` (every ordered pair of distinct hosts, in host
//!   order), `permutation` (a random cyclic permutation: every host sends one
//!   flow and receives one, never to itself), `incast` (every host but `target`
//!   sends to `target`, default the first host), `random-pairs` (`count` flows,
//!   default the number of hosts, between random distinct hosts).
//! - `hosts`: an array of host names, or a glob string: "*" (every host) or
//!   "PREFIX*" (every host whose name starts with PREFIX), in declaration order.
//!   Default "*".
//! - `name`: default "flowsN" for the N-th set (from 1); flow I (from 0) of the
//!   set is named "NAME-I".
//! - `start` (default "0s") and `start_spread` (default "0s"): each flow starts
//!   at a time drawn uniformly in [start, start + start_spread).
//! - `size` (the mean flow size; no default: without it, flows send until
//!   `stop`), `size_distribution` = "fixed" (default), "uniform" (on 1B to
//!   2*size-1B), "exponential" or "pareto" (with `shape`, default 1.5, > 1),
//!   or "empirical" with `size_cdf` (a file of `SIZE,P` lines, see
//!   `scenario::cdf`) instead of `size`.
//!   A TCP flow sends `size` bytes (`app = "bulk"`); a UDP flow sends at `rate`
//!   until it has sent `size` bytes of payload (or until `stop`).
//! - Per-flow keys, as in `[[flow]]`: `protocol` ("udp" or "tcp", default
//!   "udp"), `traffic` (the `[[flow]]` `pattern`: "cbr", "on-off", "poisson",
//!   default "cbr"), `rate`, `datagram` (the `[[flow]]` `size` of UDP flows),
//!   `ttl`, `stop`, `tcp = { ... }`.
//! - Draws come from the stream "flowset:NAME" of the scenario seed: first the
//!   endpoints, then each flow's start and size in flow order.

use super::Validator;
use super::schema::{
    FlowSetPattern, NodeKind, Protocol, RawFlow, RawFlowSet, RawLink, RawNode, RawTier,
    RawTopology, SizeDistribution, TopologyKind,
};
use crate::error::Result;
use crate::sim::SimTime;
use crate::sim::rng::{self, Rng};
use crate::units::{Bandwidth, ByteSize, Duration};
use std::collections::BTreeMap;
use std::ops::Range;
use toml::Spanned;

/// The most nodes one `[[topology]]` may generate.
const MAX_GENERATED_NODES: u64 = 100_000;
/// The most flows one `[[flows]]` may generate.
const MAX_GENERATED_FLOWS: u64 = 1_000_000;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Tier {
    Access,
    Core,
    Edge,
    Aggregation,
}

/// Nodes (name, kind) and links (indices into the nodes, tier) of a topology.
#[derive(Default)]
struct Generated {
    nodes: Vec<(String, NodeKind)>,
    links: Vec<(usize, usize, Tier)>,
}

impl Generated {
    fn add(&mut self, name: String, kind: NodeKind) -> usize {
        self.nodes.push((name, kind));
        self.nodes.len() - 1
    }
    fn hosts(&mut self, letter: &str, n: u64) -> usize {
        let first = self.nodes.len();
        for i in 0..n {
            self.add(format!("{letter}{i}"), NodeKind::Host);
        }
        first
    }
    fn routers(&mut self, letter: &str, n: u64) -> usize {
        let first = self.nodes.len();
        for i in 0..n {
            self.add(format!("{letter}{i}"), NodeKind::Router);
        }
        first
    }
    fn link(&mut self, a: usize, b: usize, tier: Tier) {
        self.links.push((a, b, tier));
    }
}

fn kind_name(k: TopologyKind) -> &'static str {
    match k {
        TopologyKind::Dumbbell => "dumbbell",
        TopologyKind::Star => "star",
        TopologyKind::Ring => "ring",
        TopologyKind::Line => "line",
        TopologyKind::Grid => "grid",
        TopologyKind::Torus => "torus",
        TopologyKind::FatTree => "fat-tree",
    }
}

fn pattern_name(p: FlowSetPattern) -> &'static str {
    match p {
        FlowSetPattern::AllToAll => "all-to-all",
        FlowSetPattern::Permutation => "permutation",
        FlowSetPattern::Incast => "incast",
        FlowSetPattern::RandomPairs => "random-pairs",
    }
}

/// A uniform index in 0..n (n > 0).
fn below(r: &mut Rng, n: usize) -> usize {
    ((rng::unit(r) * n as f64) as usize).min(n - 1)
}

impl Validator<'_> {
    /// Expands every `[[topology]]` into nodes and links appended to `nodes`
    /// and `links`.
    pub(super) fn topologies(
        &self,
        raw: &[RawTopology],
        nodes: &mut Vec<RawNode>,
        links: &mut Vec<RawLink>,
    ) -> Result<()> {
        for t in raw {
            self.topology(t, nodes, links)?;
        }
        Ok(())
    }

    /// A size key: present exactly when the kind uses it, at least `min`.
    fn size_key(
        &self,
        t: &RawTopology,
        key: &str,
        value: &Option<Spanned<u64>>,
        min: u64,
    ) -> Result<u64> {
        let kind = kind_name(*t.kind.get_ref());
        match value {
            None => self.err(
                t.kind.span(),
                format!("a {kind} topology needs `{key}`; expected e.g. {key} = 4"),
            ),
            Some(v) if *v.get_ref() < min => self.err(
                v.span(),
                format!(
                    "{key} = {} is too small for a {kind} topology; expected at least {min}",
                    v.get_ref()
                ),
            ),
            Some(v) => Ok(*v.get_ref()),
        }
    }

    fn topology(
        &self,
        t: &RawTopology,
        nodes: &mut Vec<RawNode>,
        links: &mut Vec<RawLink>,
    ) -> Result<()> {
        use TopologyKind as K;
        let kind = *t.kind.get_ref();
        let name = kind_name(kind);
        let span = t.kind.span();

        // Which size keys and tiers apply to this kind.
        let (keys, tiers): (&[&str], &[&str]) = match kind {
            K::Dumbbell => (&["pairs"], &["access", "core"]),
            K::Star => (&["hosts"], &["access"]),
            K::Ring | K::Line => (&["nodes"], &["access", "core"]),
            K::Grid | K::Torus => (&["rows", "columns"], &["access", "core"]),
            K::FatTree => (&["k"], &["edge", "aggregation", "core"]),
        };
        let list = |names: &[&str]| {
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (key, value) in [
            ("pairs", &t.pairs),
            ("hosts", &t.hosts),
            ("nodes", &t.nodes),
            ("rows", &t.rows),
            ("columns", &t.columns),
            ("k", &t.k),
        ] {
            if let Some(v) = value
                && !keys.contains(&key)
            {
                return self.err(
                    v.span(),
                    format!(
                        "`{key}` does not apply to a {name} topology; expected {}",
                        list(keys)
                    ),
                );
            }
        }
        for (key, value) in [
            ("access", &t.access),
            ("core", &t.core),
            ("edge", &t.edge),
            ("aggregation", &t.aggregation),
        ] {
            if let Some(v) = value
                && !tiers.contains(&key)
            {
                return self.err(
                    v.span(),
                    format!(
                        "`{key}` is not a tier of a {name} topology; expected {}",
                        list(tiers)
                    ),
                );
            }
        }
        let prefix = match &t.prefix {
            Some(p) if !p.get_ref().is_empty() => {
                self.check_name(p, "topology prefix")?;
                p.get_ref().clone()
            }
            _ => String::new(),
        };

        // Sizes, and the number of nodes they make (checked before generating).
        let mut g = Generated::default();
        let count = match kind {
            K::Dumbbell => {
                let p = self.size_key(t, "pairs", &t.pairs, 1)?;
                p.saturating_mul(2).saturating_add(2)
            }
            K::Star => self.size_key(t, "hosts", &t.hosts, 1)?.saturating_add(1),
            K::Line => self.size_key(t, "nodes", &t.nodes, 2)?.saturating_mul(2),
            K::Ring => self.size_key(t, "nodes", &t.nodes, 3)?.saturating_mul(2),
            K::Grid | K::Torus => {
                let min = if kind == K::Torus { 3 } else { 1 };
                let r = self.size_key(t, "rows", &t.rows, min)?;
                let c = self.size_key(t, "columns", &t.columns, min)?;
                r.saturating_mul(c).saturating_mul(2)
            }
            K::FatTree => {
                let k = match &t.k {
                    Some(k) if *k.get_ref() < 2 || *k.get_ref() % 2 == 1 => {
                        return self.err(
                            k.span(),
                            format!(
                                "k = {} is not an even number of at least 2; expected e.g. k = 4 (k pods of k/2 edge and k/2 aggregation switches)",
                                k.get_ref()
                            ),
                        );
                    }
                    _ => self.size_key(t, "k", &t.k, 2)?,
                };
                let k3 = k.saturating_mul(k).saturating_mul(k);
                (k3 / 4).saturating_add(k.saturating_mul(k).saturating_mul(5) / 4)
            }
        };
        if count > MAX_GENERATED_NODES {
            return self.err(
                span,
                format!(
                    "this {name} topology would have {count} nodes; expected at most {MAX_GENERATED_NODES}"
                ),
            );
        }
        let get = |v: &Option<Spanned<u64>>| v.as_ref().map_or(0, |v| *v.get_ref());
        match kind {
            K::Dumbbell => {
                let p = get(&t.pairs);
                let s = g.hosts("s", p);
                let d = g.hosts("d", p);
                let left = g.add("left".into(), NodeKind::Router);
                let right = g.add("right".into(), NodeKind::Router);
                for i in 0..p as usize {
                    g.link(s + i, left, Tier::Access);
                }
                g.link(left, right, Tier::Core);
                for i in 0..p as usize {
                    g.link(right, d + i, Tier::Access);
                }
            }
            K::Star => {
                let n = get(&t.hosts);
                let h = g.hosts("h", n);
                let hub = g.add("hub".into(), NodeKind::Router);
                for i in 0..n as usize {
                    g.link(h + i, hub, Tier::Access);
                }
            }
            K::Line | K::Ring => {
                let n = get(&t.nodes) as usize;
                let h = g.hosts("h", n as u64);
                let r = g.routers("r", n as u64);
                for i in 0..n {
                    g.link(h + i, r + i, Tier::Access);
                }
                for i in 0..n - 1 {
                    g.link(r + i, r + i + 1, Tier::Core);
                }
                if kind == K::Ring {
                    g.link(r + n - 1, r, Tier::Core);
                }
            }
            K::Grid | K::Torus => {
                let (rows, cols) = (get(&t.rows) as usize, get(&t.columns) as usize);
                let n = rows * cols;
                let h = g.hosts("h", n as u64);
                let r = g.routers("r", n as u64);
                for i in 0..n {
                    g.link(h + i, r + i, Tier::Access);
                }
                for row in 0..rows {
                    for col in 0..cols {
                        let i = row * cols + col;
                        if col + 1 < cols {
                            g.link(r + i, r + i + 1, Tier::Core);
                        }
                        if row + 1 < rows {
                            g.link(r + i, r + i + cols, Tier::Core);
                        }
                    }
                }
                if kind == K::Torus {
                    for row in 0..rows {
                        g.link(r + row * cols + cols - 1, r + row * cols, Tier::Core);
                    }
                    for col in 0..cols {
                        g.link(r + (rows - 1) * cols + col, r + col, Tier::Core);
                    }
                }
            }
            K::FatTree => {
                let k = get(&t.k) as usize;
                let half = k / 2;
                let hosts = k * k * k / 4;
                let h = g.hosts("h", hosts as u64);
                let edge = g.routers("edge", (k * half) as u64);
                let agg = g.routers("agg", (k * half) as u64);
                let core = g.routers("core", (half * half) as u64);
                for i in 0..hosts {
                    g.link(h + i, edge + i / half, Tier::Edge);
                }
                for e in 0..k * half {
                    let pod = e / half;
                    for j in 0..half {
                        g.link(edge + e, agg + pod * half + j, Tier::Aggregation);
                    }
                }
                for a in 0..k * half {
                    let j = a % half;
                    for m in 0..half {
                        g.link(agg + a, core + j * half + m, Tier::Core);
                    }
                }
            }
        }

        // Names must not clash with any node declared so far.
        let existing: BTreeMap<&str, usize> = nodes
            .iter()
            .map(|n| (n.name.get_ref().as_str(), n.name.span().start))
            .collect();
        let mut names = Vec::with_capacity(g.nodes.len());
        for (n, _) in &g.nodes {
            let full = format!("{prefix}{n}");
            if let Some(&first) = existing.get(full.as_str()) {
                let at = self.map.locate(first);
                return self.err(
                    span,
                    format!(
                        "this {name} topology generates node `{full}`, already declared at line {}, column {}; expected unique node names (set a different `prefix`)",
                        at.line, at.column
                    ),
                );
            }
            names.push(full);
        }

        let default_tier = RawTier::default();
        let tier = |tier: Tier| -> &RawTier {
            let raw = match tier {
                Tier::Access => &t.access,
                Tier::Core => &t.core,
                Tier::Edge => &t.edge,
                Tier::Aggregation => &t.aggregation,
            };
            raw.as_ref().map_or(&default_tier, |r| r.get_ref())
        };
        for &(a, b, tr) in &g.links {
            let p = tier(tr);
            links.push(RawLink {
                between: Spanned::new(
                    span.clone(),
                    vec![
                        Spanned::new(span.clone(), names[a].clone()),
                        Spanned::new(span.clone(), names[b].clone()),
                    ],
                ),
                bandwidth: p.bandwidth.clone(),
                delay: p.delay,
                queue: p.queue.clone(),
                loss: p.loss.clone(),
                loss_forward: None,
                loss_reverse: None,
                cost: None,
                channels: None,
                drop: None,
                aqm: p.aqm.clone(),
                aqm_target: None,
                aqm_interval: None,
                aqm_threshold: None,
                ecn: p.ecn,
            });
        }
        for (full, (_, kind)) in names.into_iter().zip(g.nodes) {
            nodes.push(RawNode {
                name: Spanned::new(span.clone(), full),
                kind: Some(kind),
                address: None,
                local_latency: None,
                multipath: None,
            });
        }
        Ok(())
    }

    /// Expands every `[[flows]]` into flows appended to `flows`.
    pub(super) fn flow_sets(
        &self,
        sets: &[RawFlowSet],
        nodes: &[RawNode],
        flows: &mut Vec<RawFlow>,
        seed: u64,
        duration: SimTime,
    ) -> Result<()> {
        for (i, set) in sets.iter().enumerate() {
            self.flow_set(i, set, nodes, flows, seed, duration)?;
        }
        Ok(())
    }

    /// The hosts a set's `hosts` key selects, in order.
    fn select_hosts(&self, set: &RawFlowSet, nodes: &[RawNode]) -> Result<Vec<String>> {
        let is_host = |n: &RawNode| n.kind.unwrap_or(NodeKind::Host) == NodeKind::Host;
        let all: Vec<&str> = nodes
            .iter()
            .filter(|n| is_host(n))
            .map(|n| n.name.get_ref().as_str())
            .collect();
        let Some(hosts) = &set.hosts else {
            return Ok(all.iter().map(|s| s.to_string()).collect());
        };
        let span = hosts.span();
        let expected = "expected an array of host names or a glob such as \"h*\" (every host whose name starts with `h`) or \"*\"";
        match hosts.get_ref() {
            toml::Value::String(glob) => {
                let Some(prefix) = glob.strip_suffix('*').filter(|p| !p.contains('*')) else {
                    return self.err(span, format!("`{glob}` is not a host glob; {expected}"));
                };
                let chosen: Vec<String> = all
                    .iter()
                    .filter(|n| n.starts_with(prefix))
                    .map(|s| s.to_string())
                    .collect();
                if chosen.is_empty() {
                    return self.err(
                        span,
                        format!("no host name starts with `{prefix}`; expected a glob that matches at least one host"),
                    );
                }
                Ok(chosen)
            }
            toml::Value::Array(items) => {
                let mut chosen: Vec<String> = Vec::with_capacity(items.len());
                for item in items {
                    let Some(name) = item.as_str() else {
                        return self.err(span, format!("`hosts` holds {item}; {expected}"));
                    };
                    match nodes.iter().find(|n| n.name.get_ref() == name) {
                        None => {
                            return self.err(
                                span,
                                format!("unknown host `{name}` in `hosts`; expected declared or generated host names"),
                            );
                        }
                        Some(n) if !is_host(n) => {
                            return self.err(
                                span,
                                format!("`{name}` in `hosts` is a router; expected hosts (flows start and end at hosts)"),
                            );
                        }
                        Some(_) => {}
                    }
                    if chosen.iter().any(|c| c == name) {
                        return self.err(
                            span,
                            format!(
                                "host `{name}` is listed twice in `hosts`; expected each host once"
                            ),
                        );
                    }
                    chosen.push(name.to_string());
                }
                Ok(chosen)
            }
            _ => self.err(span, format!("invalid type for `hosts`; {expected}")),
        }
    }

    fn flow_set(
        &self,
        i: usize,
        set: &RawFlowSet,
        nodes: &[RawNode],
        flows: &mut Vec<RawFlow>,
        seed: u64,
        duration: SimTime,
    ) -> Result<()> {
        let pattern = *set.pattern.get_ref();
        let pname = pattern_name(pattern);
        let name = match &set.name {
            Some(n) => {
                self.check_name(n, "flow set name")?;
                n.get_ref().clone()
            }
            None => format!("flows{}", i + 1),
        };
        if let (Some(c), false) = (&set.count, pattern == FlowSetPattern::RandomPairs) {
            return self.err(
                c.span(),
                format!("`count` applies to pattern = \"random-pairs\" only; expected no `count` with pattern = \"{pname}\""),
            );
        }
        if let (Some(t), false) = (&set.target, pattern == FlowSetPattern::Incast) {
            return self.err(
                t.span(),
                format!("`target` applies to pattern = \"incast\" only; expected no `target` with pattern = \"{pname}\""),
            );
        }
        let protocol = set
            .protocol
            .as_ref()
            .map_or(Protocol::Udp, |p| *p.get_ref());
        if let Some(p) = &set.protocol
            && protocol == Protocol::Local
        {
            return self.err(
                p.span(),
                "a flow set joins different hosts; expected protocol = \"udp\" or \"tcp\"",
            );
        }
        if let (Some(d), Protocol::Tcp) = (&set.datagram, protocol) {
            return self.err(
                d.span(),
                "`datagram` applies to UDP flows only; expected no `datagram` with protocol = \"tcp\"",
            );
        }
        let distribution = set
            .size_distribution
            .as_ref()
            .map_or(SizeDistribution::Fixed, |d| *d.get_ref());
        let cdf = match (&set.size_cdf, distribution, &set.size_distribution) {
            (Some(f), SizeDistribution::Empirical, _) | (Some(f), _, None) => {
                if let Some(size) = &set.size {
                    return self.err(size.span(), "`size` does not go with `size_cdf` (the file gives the sizes); expected one of the two");
                }
                let (shown, text) = self.side_file(f, "flow-size file")?;
                Some(crate::scenario::cdf::SizeCdf::parse(&text).map_err(
                    |(line, column, message)| {
                        super::failures::side_error(&shown, line, column, message)
                    },
                )?)
            }
            (Some(f), _, Some(_)) => {
                return self.err(f.span(), "`size_cdf` goes with size_distribution = \"empirical\"; expected no `size_cdf` here");
            }
            (None, SizeDistribution::Empirical, Some(d)) => {
                return self.err(d.span(), "size_distribution = \"empirical\" needs `size_cdf`, a file of `SIZE,P` lines; expected e.g. size_cdf = \"websearch.csv\"");
            }
            (None, _, _) => None,
        };
        match (&set.size, &set.size_distribution) {
            (Some(s), _) if s.get_ref().0 == 0 => {
                return self.err(
                    s.span(),
                    "the flow size must be at least 1B, e.g. \"100KB\"",
                );
            }
            (None, Some(_)) if cdf.is_some() => {}
            (None, Some(d)) => {
                return self.err(
                    d.span(),
                    "`size_distribution` needs `size` (the mean flow size); expected e.g. size = \"100KB\"",
                );
            }
            _ => {}
        }
        let shape = match &set.shape {
            Some(s) if distribution != SizeDistribution::Pareto => {
                return self.err(
                    s.span(),
                    "`shape` applies to size_distribution = \"pareto\" only; expected no `shape` here",
                );
            }
            Some(s) if !(s.get_ref().is_finite() && *s.get_ref() > 1.0) => {
                return self.err(
                    s.span(),
                    format!("shape {} is not greater than 1; expected e.g. shape = 1.5 (a Pareto distribution with a finite mean)", s.get_ref()),
                );
            }
            Some(s) => *s.get_ref(),
            None => 1.5,
        };

        let hosts = self.select_hosts(set, nodes)?;
        let hosts_span = set.hosts.as_ref().map_or(set.pattern.span(), |h| h.span());
        let n = hosts.len();
        let mut r = rng::stream(seed, &format!("flowset:{name}"));
        // (from, to) as indices into `hosts`, or `usize::MAX` for the incast target.
        let mut pairs: Vec<(usize, usize)> = Vec::new();
        let mut target_name = None;
        let too_few = || {
            self.err(
                hosts_span.clone(),
                format!("pattern = \"{pname}\" needs at least two hosts; `hosts` selects {n}"),
            )
        };
        match pattern {
            FlowSetPattern::AllToAll => {
                if n < 2 {
                    return too_few();
                }
                let total = (n as u64).saturating_mul(n as u64 - 1);
                if total > MAX_GENERATED_FLOWS {
                    return self.err(
                        hosts_span,
                        format!("pattern = \"all-to-all\" over {n} hosts makes {total} flows; expected at most {MAX_GENERATED_FLOWS}"),
                    );
                }
                for a in 0..n {
                    for b in 0..n {
                        if a != b {
                            pairs.push((a, b));
                        }
                    }
                }
            }
            FlowSetPattern::Permutation => {
                if n < 2 {
                    return too_few();
                }
                // Sattolo's algorithm: a uniformly random single cycle.
                let mut p: Vec<usize> = (0..n).collect();
                for j in (1..n).rev() {
                    let k = below(&mut r, j);
                    p.swap(j, k);
                }
                pairs.extend(p.iter().enumerate().map(|(a, &b)| (a, b)));
            }
            FlowSetPattern::Incast => {
                let target = match &set.target {
                    Some(t) => {
                        match nodes.iter().find(|x| x.name.get_ref() == t.get_ref()) {
                            None => {
                                return self.err(
                                    t.span(),
                                    format!("unknown target `{}`; expected a declared or generated host", t.get_ref()),
                                );
                            }
                            Some(x) if x.kind.unwrap_or(NodeKind::Host) != NodeKind::Host => {
                                return self.err(
                                    t.span(),
                                    format!(
                                        "target `{}` is a router; expected a host",
                                        t.get_ref()
                                    ),
                                );
                            }
                            Some(_) => {}
                        }
                        t.get_ref().clone()
                    }
                    None => hosts[0].clone(),
                };
                for (a, h) in hosts.iter().enumerate() {
                    if *h != target {
                        pairs.push((a, usize::MAX));
                    }
                }
                if pairs.is_empty() {
                    return self.err(
                        hosts_span,
                        format!("pattern = \"incast\" needs at least one host besides the target `{target}`; `hosts` selects no other"),
                    );
                }
                target_name = Some(target);
            }
            FlowSetPattern::RandomPairs => {
                if n < 2 {
                    return too_few();
                }
                let count = match &set.count {
                    Some(c) if *c.get_ref() == 0 || *c.get_ref() > MAX_GENERATED_FLOWS => {
                        return self.err(
                            c.span(),
                            format!(
                                "count = {} is out of range; expected 1 to {MAX_GENERATED_FLOWS}",
                                c.get_ref()
                            ),
                        );
                    }
                    Some(c) => *c.get_ref() as usize,
                    None => n,
                };
                for _ in 0..count {
                    let a = below(&mut r, n);
                    let mut b = below(&mut r, n - 1);
                    if b >= a {
                        b += 1;
                    }
                    pairs.push((a, b));
                }
            }
        }

        let start = set.start.as_ref().map_or(SimTime::ZERO, |s| s.get_ref().0);
        let spread = set
            .start_spread
            .as_ref()
            .map_or(0, |s| s.get_ref().0.as_nanos());
        let start_span = set
            .start_spread
            .as_ref()
            .or(set.start.as_ref())
            .map_or(set.pattern.span(), |s| s.span());
        let stop_limit = set.stop.as_ref().map_or(duration, |s| s.get_ref().0);
        let stop_span = set
            .stop
            .as_ref()
            .map(|s| s.span())
            .or(set.size.as_ref().map(|s| s.span()));
        let rate = set
            .rate
            .as_ref()
            .map_or(Bandwidth(1_000_000), |r| *r.get_ref());
        let to_span = set.target.as_ref().map_or(hosts_span.clone(), |t| t.span());
        for (j, &(a, b)) in pairs.iter().enumerate() {
            let offset = (rng::unit(&mut r) * spread as f64) as u64;
            let t0 =
                start.saturating_add(SimTime::from_nanos(offset.min(spread.saturating_sub(1))));
            let size = match &cdf {
                Some(cdf) => Some((cdf.sample(rng::unit(&mut r)).round() as u64).max(1)),
                None => set.size.as_ref().map(|s| {
                    let mean = s.get_ref().0;
                    let u = rng::unit(&mut r);
                    let x = match distribution {
                        SizeDistribution::Fixed => mean as f64,
                        SizeDistribution::Uniform => {
                            1.0 + (u * mean.saturating_mul(2).saturating_sub(1) as f64).floor()
                        }
                        SizeDistribution::Exponential => -(mean as f64) * (1.0 - u).ln(),
                        SizeDistribution::Pareto => {
                            let xm = mean as f64 * (shape - 1.0) / shape;
                            xm / (1.0 - u).powf(1.0 / shape)
                        }
                        SizeDistribution::Empirical => unreachable!("an empirical set has a CDF"),
                    };
                    (x.round().min(u64::MAX as f64) as u64).max(1)
                }),
            };
            let to = match &target_name {
                Some(t) if b == usize::MAX => t.clone(),
                _ => hosts[b].clone(),
            };
            let (bytes, stop) = match (protocol, size) {
                (Protocol::Tcp, Some(s)) => (Some(s), set.stop.as_ref().map(|s| s.get_ref().0)),
                (_, Some(s)) => (
                    None,
                    Some(stop_limit.min(t0.saturating_add(rate.transmit_time(s)))),
                ),
                (_, None) => (None, set.stop.as_ref().map(|s| s.get_ref().0)),
            };
            let sp = |s: Option<Range<usize>>| s.unwrap_or(start_span.clone());
            flows.push(RawFlow {
                name: Some(Spanned::new(
                    set.name.as_ref().map_or(set.pattern.span(), |n| n.span()),
                    format!("{name}-{j}"),
                )),
                protocol: Some(protocol),
                from: Spanned::new(hosts_span.clone(), hosts[a].clone()),
                to: Spanned::new(to_span.clone(), to),
                src_port: None,
                pattern: set.traffic,
                rate: set.rate.clone(),
                size: set.datagram.clone(),
                size_distribution: None,
                start: Some(Spanned::new(start_span.clone(), Duration(t0))),
                stop: stop.map(|t| Spanned::new(sp(stop_span.clone()), Duration(t))),
                on: None,
                off: None,
                periods: None,
                arrival_rate: None,
                holding: None,
                holding_distribution: None,
                ttl: set.ttl.clone(),
                sink: None,
                app: None,
                bytes: bytes.map(|b| {
                    Spanned::new(
                        set.size.as_ref().map_or(start_span.clone(), |s| s.span()),
                        ByteSize(b),
                    )
                }),
                requests: None,
                request_size: None,
                response_size: None,
                think: None,
                read_after: None,
                close_at: None,
                urgent_at: None,
                tcp: set.tcp.clone(),
                socket: None,
                multipath: set.multipath.clone(),
            });
        }
        Ok(())
    }
}
