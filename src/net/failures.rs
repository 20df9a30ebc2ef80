//! The failure process both switching modes share: which links a failure
//! takes down, how many failures hold each link down (a link fails with
//! either end router), when a random failure changes state next, and the
//! words of the `routes-updated` trace line.
//!
//! The packet engine and circuit signalling each react to a change in their
//! own way (lose queued packets, break circuits); what changes, and when, is
//! decided here once.

use crate::ids::LinkId;
use crate::scenario::{Element, FailureSpec, Scenario};
use crate::sim::{SimTime, rng};

pub struct LinkStates {
    /// How many failures (of the link, or of a router at either end) hold each link down.
    down_causes: Vec<u32>,
    /// The links at each node, by index.
    node_links: Vec<Vec<u32>>,
    /// One stream per failure, labelled by `Scenario::failure_label`.
    rngs: Vec<rng::Rng>,
}

/// What one failure going down or up did.
pub struct Transition {
    /// "link" or "node".
    pub what: &'static str,
    /// "R2-R4" for a link, the node's name for a node.
    pub subject: String,
    /// The links whose state flipped (up to down, or down to up).
    pub changed: Vec<LinkId>,
    /// For a random failure: how long until its next change.
    pub next_change: Option<SimTime>,
}

impl LinkStates {
    pub fn new(sc: &Scenario) -> LinkStates {
        let mut node_links = vec![Vec::new(); sc.nodes.len()];
        for (i, l) in sc.links.iter().enumerate() {
            node_links[l.a].push(i as u32);
            node_links[l.b].push(i as u32);
        }
        LinkStates {
            down_causes: vec![0; sc.links.len()],
            node_links,
            rngs: (0..sc.failures.len())
                .map(|i| rng::stream(sc.seed, &sc.failure_label(i)))
                .collect(),
        }
    }

    /// The first changes of every failure, in the order they are to be
    /// scheduled: `(when, failure index, down)`. A random failure's first
    /// failure time is its first draw.
    pub fn first_changes(&mut self, sc: &Scenario) -> Vec<(SimTime, u32, bool)> {
        let mut out = Vec::new();
        for (i, f) in sc.failures.iter().enumerate() {
            let index = i as u32;
            match *f {
                FailureSpec::Scheduled { down, up, .. } => {
                    out.push((down, index, true));
                    if let Some(up) = up {
                        out.push((up, index, false));
                    }
                }
                FailureSpec::Random { mtbf, .. } => out.push((self.draw(i, mtbf), index, true)),
            }
        }
        out
    }

    /// An exponential period of mean `mean` from failure `index`'s stream.
    fn draw(&mut self, index: usize, mean: SimTime) -> SimTime {
        let x = rng::exponential(&mut self.rngs[index], mean.as_nanos() as f64);
        SimTime(x.round() as u64)
    }

    pub fn is_up(&self, link: usize) -> bool {
        self.down_causes[link] == 0
    }

    /// Failure `index` of the scenario goes down (or comes back up).
    pub fn apply(&mut self, sc: &Scenario, index: usize, down: bool) -> Transition {
        let spec = sc.failures[index];
        let (what, subject, links) = match spec.element() {
            Element::Link(l) => ("link", sc.link_label(l), vec![l as u32]),
            Element::Node(n) => ("node", sc.nodes[n].name.clone(), self.node_links[n].clone()),
        };
        let mut changed = Vec::new();
        for l in links {
            let causes = &mut self.down_causes[l as usize];
            let flipped = if down {
                *causes += 1;
                *causes == 1
            } else {
                *causes -= 1;
                *causes == 0
            };
            if flipped {
                changed.push(LinkId(l));
            }
        }
        let next_change = match spec {
            FailureSpec::Random { mtbf, mttr, .. } => {
                Some(self.draw(index, if down { mttr } else { mtbf }))
            }
            _ => None,
        };
        Transition {
            what,
            subject,
            changed,
            next_change,
        }
    }

    /// The detail of a `routes-updated` line: "all links up", or
    /// "links down: R2-R4 R1-R3".
    pub fn routes_note(&self, sc: &Scenario) -> String {
        let down: Vec<String> = (0..sc.links.len())
            .filter(|&l| !self.is_up(l))
            .map(|l| sc.link_label(l))
            .collect();
        if down.is_empty() {
            "all links up".to_string()
        } else {
            format!("links down: {}", down.join(" "))
        }
    }
}
