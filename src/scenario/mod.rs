//! Scenario files: read TOML, check everything, produce a typed model.
//!
//! `load` either returns a `Scenario` in which every name is resolved, every
//! default applied and every value in range, or an `Error::Input` that points at
//! the offending line and column. Nothing is simulated from a file that fails.
//!
//! Defaults (documented in the README's scenario reference):
//! - simulation: name = the file stem, seed = 1, duration = "10s"
//! - node: kind = "host", address = 10.0.0.N for the N-th host, 172.16.0.N for the N-th router,
//!   local_latency = "10us" (each Unix-domain socket delivery on the host)
//! - link: bandwidth = "100Mbps", delay = "1ms", queue = "100p", loss = 0.0
//! - flow: protocol = "udp", pattern = "cbr", rate = "1Mbps", size = "1000B"
//!   (payload), size_distribution = "fixed", start = "0s", stop = the end,
//!   on = off = "1s" with periods = "fixed", ttl = 64, destination port 9,
//!   source ports 49152, 49153, ... per host in flow order.
//! - local flow (protocol = "local"): to = "HOST:/PATH" on the `from` host
//!   (path "/tmp/FLOW.sock" when only "HOST" is given), socket = "stream".

pub mod aqm;
pub mod cdf;
mod failures;
pub(crate) mod reach;
pub mod schema;
mod tcp;
mod topology;

pub use tcp::{AppSpec, DEFAULT_BACKLOG};

use crate::error::{Error, Result, SourceMap};
use crate::sim::SimTime;
use crate::units::{Bandwidth, Duration, QueueCapacity};
use crate::wire::ipv4::Ipv4Addr;
use schema::*;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

pub use schema::{Distribution, LocalSocket, Multipath, NodeKind, Pattern, Protocol, Switching};

/// A checked scenario, ready to simulate.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub duration: SimTime,
    pub nodes: Vec<NodeSpec>,
    pub links: Vec<LinkSpec>,
    pub flows: Vec<FlowSpec>,
    pub routing: RoutingSpec,
    pub failures: Vec<FailureSpec>,
    pub switching: Switching,
    pub circuit: CircuitSpec,
    /// TCP parameters of every flow that does not set its own (`[tcp]`).
    pub tcp: crate::transport::tcp::TcpConfig,
    pub tcp_backlog: u32,
    /// Caps on the run (`[limits]`; unset keys: the defaults).
    pub limits: crate::limits::Limits,
}

impl FailureSpec {
    pub fn element(&self) -> Element {
        match *self {
            FailureSpec::Scheduled { element, .. } | FailureSpec::Random { element, .. } => element,
        }
    }
}

impl Scenario {
    /// "R2-R4": link `l` named by its ends.
    pub fn link_label(&self, l: usize) -> String {
        let link = &self.links[l];
        format!("{}-{}", self.nodes[link.a].name, self.nodes[link.b].name)
    }

    /// The names of every link direction, two per link in channel order
    /// (a→b, then b→a): "A->R1"; a second link between the same two nodes is
    /// "A->R1#2". Both switching modes name directions this way.
    pub fn direction_names(&self) -> Vec<String> {
        let mut seen: BTreeMap<(usize, usize), usize> = BTreeMap::new();
        let mut names = Vec::with_capacity(self.links.len() * 2);
        for l in &self.links {
            let rank = seen.entry((l.a.min(l.b), l.a.max(l.b))).or_insert(0);
            *rank += 1;
            let suffix = match *rank {
                1 => String::new(),
                r => format!("#{r}"),
            };
            for (from, to) in [(l.a, l.b), (l.b, l.a)] {
                names.push(format!(
                    "{}->{}{suffix}",
                    self.nodes[from].name, self.nodes[to].name
                ));
            }
        }
        names
    }

    /// The random-stream label of failure `i`: by element and rank among the
    /// failures of that element, not by declaration index, so that adding a
    /// failure elsewhere changes none of this one's draws.
    pub fn failure_label(&self, i: usize) -> String {
        let e = self.failures[i].element();
        let rank = self.failures[..i]
            .iter()
            .filter(|f| f.element() == e)
            .count();
        match e {
            Element::Link(l) => format!("failure:link:{}#{rank}", self.link_label(l)),
            Element::Node(n) => format!("failure:node:{}#{rank}", self.nodes[n].name),
        }
    }
}

/// Circuit signalling (`[circuit]`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CircuitSpec {
    /// Processing time of a SETUP (or CONNECT, RELEASE) message at each node.
    pub hop_processing: SimTime,
    /// Re-establishment attempts after a circuit is torn down by a failure.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: SimTime,
}

impl Default for CircuitSpec {
    fn default() -> Self {
        CircuitSpec {
            hop_processing: SimTime::from_millis(1),
            retries: 3,
            backoff: SimTime::from_secs(1),
        }
    }
}

/// How fast routers react to a link changing state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoutingSpec {
    /// From a link changing state until the routers at its ends notice.
    pub detection: SimTime,
    /// From detection until every router forwards on the recomputed routes.
    pub convergence: SimTime,
    /// How nodes use equal-cost next hops unless their own `multipath` says otherwise.
    pub multipath: Multipath,
}

impl Default for RoutingSpec {
    fn default() -> Self {
        RoutingSpec {
            detection: SimTime::from_millis(50),
            convergence: SimTime::from_millis(200),
            multipath: Multipath::Single,
        }
    }
}

/// Something that can fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Element {
    /// A link (both directions), by index into `Scenario::links`.
    Link(usize),
    /// A router, with every link attached to it.
    Node(usize),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureSpec {
    /// Down at `down`, up again at `up` (or never).
    Scheduled {
        element: Element,
        down: SimTime,
        up: Option<SimTime>,
    },
    /// Alternating exponential times to failure (mean `mtbf`) and to repair
    /// (mean `mttr`), drawn from the element's own random stream.
    Random {
        element: Element,
        mtbf: SimTime,
        mttr: SimTime,
    },
}

#[derive(Clone, Debug)]
pub struct NodeSpec {
    pub name: String,
    pub kind: NodeKind,
    pub address: Ipv4Addr,
    /// Latency of each Unix-domain socket delivery on this host.
    pub local_latency: SimTime,
    /// Its own choice among equal-cost next hops (`None`: `[routing]`'s).
    pub multipath: Option<Multipath>,
}

#[derive(Clone, Debug)]
pub struct LinkSpec {
    /// Indices into `Scenario::nodes`.
    pub a: usize,
    pub b: usize,
    pub bandwidth: Bandwidth,
    pub delay: SimTime,
    pub queue: QueueCapacity,
    /// Random loss a→b and b→a.
    pub loss: [f64; 2],
    /// Routing cost, compared before the sum of delays (see `net::routing`).
    pub cost: u32,
    /// Circuits each direction can carry at once; `None`: as many as its
    /// bandwidth allows (the sum of reserved rates stays within the bandwidth).
    pub channels: Option<u32>,
    /// Packets lost on purpose in the a→b direction, by number (sorted; 1 = first).
    pub drop: Vec<u64>,
    /// The queue discipline of each direction.
    pub aqm: QueueDiscipline,
    /// Whether the AQM marks ECN-capable packets instead of dropping them.
    pub ecn: bool,
}

#[derive(Clone, Debug)]
pub struct FlowSpec {
    pub name: String,
    pub protocol: Protocol,
    pub from: usize,
    pub to: usize,
    pub src_port: u16,
    pub dst_port: u16,
    pub pattern: TrafficPattern,
    /// Mean payload bit rate while sending.
    pub rate: Bandwidth,
    /// Mean payload size of one datagram, bytes.
    pub size: u64,
    pub size_distribution: Distribution,
    pub start: SimTime,
    pub stop: SimTime,
    pub ttl: u8,
    /// Whether a sink listens on the destination port (false: every datagram
    /// is dropped as port-unreachable).
    pub sink: bool,
    /// TCP flows: what the applications do, and the TCP parameters.
    pub app: AppSpec,
    pub tcp: crate::transport::tcp::TcpConfig,
    pub backlog: u32,
    /// The size of a fixed transfer, if any (for its completion time).
    pub bytes: Option<u64>,
    /// TCP: the server reads nothing before this time.
    pub read_after: SimTime,
    /// TCP: both ends close at this time.
    pub close_at: Option<SimTime>,
    /// TCP bulk: the client sends the byte at this stream offset as urgent data.
    pub urgent_at: Option<u64>,
    /// `protocol = "local"` flows: the socket path and type.
    pub local: Option<LocalSpec>,
    /// How routers forward this flow over equal-cost next hops, whatever
    /// their own setting (`None`: each router's).
    pub multipath: Option<Multipath>,
}

/// The Unix-domain end of a `protocol = "local"` flow (on its `to` host, which
/// is its `from` host).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalSpec {
    pub path: String,
    pub socket: LocalSocket,
}

/// A host's Unix-domain socket latency unless its `local_latency` says otherwise.
pub const DEFAULT_LOCAL_LATENCY: SimTime = SimTime::from_micros(10);

#[derive(Clone, Copy, Debug, PartialEq)]
pub enum TrafficPattern {
    /// Constant bit rate: one datagram every size*8/rate.
    Cbr,
    /// Alternating on and off periods; CBR while on.
    OnOff {
        on: SimTime,
        off: SimTime,
        periods: Distribution,
    },
    /// Poisson arrivals with mean rate `rate`.
    Poisson,
    /// Telephone-style calls: Poisson call arrivals (`arrival_rate` per second),
    /// each holding for `holding` (fixed or exponential mean) and sending CBR at
    /// `rate` while it lasts (over packets), or holding one circuit of `rate`.
    Calls {
        arrival_rate: f64,
        holding: SimTime,
        holding_distribution: Distribution,
    },
}

pub use crate::wire::udp::MAX_UDP_PAYLOAD;
pub use aqm::{CodelParams, QueueDiscipline, RedParams};
const DEFAULT_DURATION: SimTime = SimTime::from_secs(10);
/// The longest `duration` accepted: 10^6 hours (about 114 years), a fifth of
/// what 64-bit nanoseconds hold.
pub const MAX_DURATION: SimTime = SimTime::from_secs(3_600_000_000);
const EPHEMERAL_PORT_BASE: u16 = 49_152;

/// Reads, parses and checks a scenario file.
pub fn load(path: &Path) -> Result<Scenario> {
    let file = path.display().to_string();
    let at_start = |message: String| Error::Input {
        location: crate::error::Location {
            file: file.clone(),
            line: 1,
            column: 1,
        },
        message,
    };
    if path.is_dir() {
        return Err(at_start(
            "is a directory; expected a scenario file (TOML)".into(),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| at_start(format!("cannot read the scenario file: {e}")))?;
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let offset = e.utf8_error().valid_up_to();
            let prefix = String::from_utf8_lossy(&e.as_bytes()[..offset]).into_owned();
            return Err(SourceMap {
                file: &file,
                text: &prefix,
            }
            .error(
                offset,
                "the file is not valid UTF-8; expected a TOML text file",
            ));
        }
    };
    let default_name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "scenario".into());
    parse(&file, &text, &default_name)
}

/// Parses and checks scenario text; `file` is used in error locations only.
pub fn parse(file: &str, text: &str, default_name: &str) -> Result<Scenario> {
    let map = SourceMap { file, text };
    if text.trim().is_empty() {
        return Err(map.error(
            0,
            "the file is empty; expected a scenario with [[node]], [[link]] and [[flow]] tables",
        ));
    }
    let raw: RawScenario = toml::from_str(text).map_err(|e| {
        let offset = e.span().map_or(0, |s| s.start);
        map.error(offset, toml_message(&e, text))
    })?;
    Validator { map: &map }.scenario(raw, default_name)
}

/// toml's message without its own rendering of the source line, in the words of
/// a scenario file (keys, tables, arrays, whole numbers) rather than serde's.
fn toml_message(e: &toml::de::Error, text: &str) -> String {
    let msg = e.message().trim().replace('\n', "; ");
    let span = e.span().filter(|s| text.get(s.clone()).is_some());
    let snippet = span.clone().map_or("", |s| &text[s]);
    // A key inside `[...]` or `[[...]]` names a table.
    let in_header = span.is_some_and(|s| {
        let line = text[..s.start].rsplit('\n').next().unwrap_or("");
        line.trim_start().starts_with('[')
    });
    match msg.as_str() {
        "" => return "invalid TOML".into(),
        "duplicate key" if in_header => {
            return format!(
                "duplicate table `{snippet}`; expected each [table] at most once (use [[table]] for a list)"
            );
        }
        "duplicate key" if !snippet.is_empty() => {
            return format!("duplicate key `{snippet}`; expected each key at most once per table");
        }
        "invalid basic string, expected `\"`" => {
            return "unclosed string, expected `\"` before the end of the line".into();
        }
        "missing comma between array elements, expected `,`" => {
            return "missing comma between array elements, expected `,` or `]`".into();
        }
        _ => {}
    }
    let unknown = if in_header {
        "unknown table `"
    } else {
        "unknown key `"
    };
    [
        ("unknown field `", unknown),
        ("missing field `", "missing required key `"),
        ("unknown variant `", "unknown value `"),
        ("invalid type: map", "invalid type: table"),
        ("` as i128, expected", "` is too large, expected"),
        ("invalid type: sequence", "invalid type: array"),
        ("expected a sequence", "expected an array"),
        ("expected a map", "expected a table"),
        ("expected u8", "expected a whole number from 0 to 255"),
        ("expected u16", "expected a whole number from 0 to 65535"),
        (
            "expected u64",
            "expected a whole number from 0 to 18446744073709551615",
        ),
        ("expected f64", "expected a number"),
    ]
    .iter()
    .fold(msg, |m, (from, to)| m.replace(from, to))
}

struct Validator<'a> {
    map: &'a SourceMap<'a>,
}

impl Validator<'_> {
    fn err<T>(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Result<T> {
        Err(self.map.error(span.start, message))
    }

    fn scenario(&self, mut raw: RawScenario, default_name: &str) -> Result<Scenario> {
        let sim = raw.simulation;
        let name = match sim.as_ref().and_then(|s| s.name.as_ref()) {
            Some(n) => {
                self.check_name(n, "simulation name")?;
                n.get_ref().clone()
            }
            None => sanitize(default_name),
        };
        let seed = sim.as_ref().and_then(|s| s.seed).unwrap_or(1);
        let duration = match sim.as_ref().and_then(|s| s.duration.as_ref()) {
            Some(d) if d.get_ref().0 == SimTime::ZERO => {
                return self.err(
                    d.span(),
                    "the duration must be longer than zero, e.g. \"10s\"",
                );
            }
            Some(d) if d.get_ref().0 > MAX_DURATION => {
                return self.err(
                    d.span(),
                    format!(
                        "duration {} is longer than netsim simulates; expected at most {} (1000000h: time is 64-bit nanoseconds, and any two times up to the duration must add up without overflow)",
                        d.get_ref(),
                        Duration(MAX_DURATION)
                    ),
                );
            }
            Some(d) => d.get_ref().0,
            None => DEFAULT_DURATION,
        };

        // Generated nodes, links and flows go after the hand-written ones and
        // are then checked as if written by hand.
        self.topologies(&raw.topology, &mut raw.node, &mut raw.link)?;
        self.flow_sets(&raw.flows, &raw.node, &mut raw.flow, seed, duration)?;
        if raw.node.is_empty() {
            return self.err(
                0..0,
                "no [[node]] declared; expected at least two hosts joined by a [[link]]",
            );
        }
        let nodes = self.nodes(&raw.node)?;
        let names: Vec<String> = nodes.iter().map(|n| n.name.clone()).collect();
        let index: BTreeMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let links = self.links(&raw.link, &index)?;
        let mut scenario = Scenario {
            name,
            seed,
            duration,
            nodes,
            links,
            flows: Vec::new(),
            routing: self.routing(raw.routing.as_ref()),
            switching: sim.as_ref().and_then(|s| s.switching).unwrap_or_default(),
            circuit: self.circuit(raw.circuit.as_ref()),
            tcp: self.tcp_config(Default::default(), raw.tcp.as_ref())?,
            tcp_backlog: raw
                .tcp
                .as_ref()
                .and_then(|t| t.backlog)
                .unwrap_or(DEFAULT_BACKLOG),
            failures: Vec::new(),
            limits: self.limits(raw.limits.as_ref())?,
        };
        scenario.flows = self.flows(&raw.flow, &index, &scenario)?;
        scenario.failures = self.failures(&raw.failure, &index, &scenario)?;
        Ok(scenario)
    }

    /// `[limits]`: every cap at least 1.
    fn limits(&self, raw: Option<&RawLimits>) -> Result<crate::limits::Limits> {
        let Some(r) = raw else {
            return Ok(Default::default());
        };
        let count = |v: &Option<Spanned<u64>>, key: &str| -> Result<Option<u64>> {
            match v {
                Some(n) if *n.get_ref() == 0 => self.err(
                    n.span(),
                    format!("{key} = 0 would stop every run at once; expected a cap of at least 1"),
                ),
                Some(n) => Ok(Some(*n.get_ref())),
                None => Ok(None),
            }
        };
        Ok(crate::limits::Limits {
            max_events: count(&r.max_events, "max_events")?,
            max_packets_in_flight: count(&r.max_packets_in_flight, "max_packets_in_flight")?,
            max_nodes: count(&r.max_nodes, "max_nodes")?,
            max_memory: match &r.max_memory {
                Some(m) if m.get_ref().0 < 1 << 20 => {
                    return self.err(
                        m.span(),
                        format!(
                            "max_memory {} is less than the program itself needs; expected at least 1MiB, e.g. \"8GiB\"",
                            m.get_ref()
                        ),
                    );
                }
                Some(m) => Some(m.get_ref().0),
                None => None,
            },
        })
    }

    fn check_name(&self, name: &Spanned<String>, what: &str) -> Result<()> {
        let n = name.get_ref();
        let ok = !n.is_empty()
            && n.len() <= 64
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
            && !n.starts_with('.');
        if ok {
            Ok(())
        } else {
            self.err(
                name.span(),
                format!("invalid {what} `{n}`; expected 1 to 64 letters, digits, '_', '-' or '.' (not starting with '.')"),
            )
        }
    }

    fn nodes(&self, raw: &[RawNode]) -> Result<Vec<NodeSpec>> {
        let mut seen: BTreeMap<&str, &Spanned<String>> = BTreeMap::new();
        let mut addresses: BTreeMap<Ipv4Addr, &str> = BTreeMap::new();
        let (mut hosts, mut routers) = (0u32, 0u32);
        let mut out = Vec::with_capacity(raw.len());
        for node in raw {
            self.check_name(&node.name, "node name")?;
            let name = node.name.get_ref().as_str();
            if let Some(first) = seen.insert(name, &node.name) {
                let at = self.map.locate(first.span().start);
                return self.err(
                    node.name.span(),
                    format!(
                        "duplicate node name `{name}` (first declared at line {}, column {}); expected a unique name per node",
                        at.line, at.column
                    ),
                );
            }
            let kind = node.kind.unwrap_or(NodeKind::Host);
            let counter = match kind {
                NodeKind::Host => {
                    hosts += 1;
                    hosts
                }
                NodeKind::Router => {
                    routers += 1;
                    routers
                }
            };
            let address = match &node.address {
                Some(a) => a.get_ref().parse::<Ipv4Addr>().or_else(|e| {
                    self.err(a.span(), format!("`{}` is not an IPv4 address ({}); expected four numbers 0-255 such as \"10.0.0.1\"", a.get_ref(), e.reason))
                })?,
                None => default_address(kind, counter),
            };
            if let Some(other) = addresses.insert(address, name) {
                return match &node.address {
                    Some(a) => self.err(a.span(), format!("address {address} of `{name}` is already used by `{other}`; expected a unique address per node")),
                    None => self.err(node.name.span(), format!("the default address {address} of `{name}` is already used by `{other}`; expected a unique address per node (set `address` on one of them)")),
                };
            }
            out.push(NodeSpec {
                name: name.to_string(),
                kind,
                address,
                local_latency: node.local_latency.map_or(DEFAULT_LOCAL_LATENCY, |d| d.0),
                multipath: node.multipath,
            });
        }
        Ok(out)
    }

    fn node_ref(&self, name: &Spanned<String>, index: &BTreeMap<&str, usize>) -> Result<usize> {
        index.get(name.get_ref().as_str()).copied().map_or_else(
            || {
                self.err(
                    name.span(),
                    format!(
                        "unknown node `{}`; expected one of the declared [[node]] names: {}",
                        name.get_ref(),
                        names_list(index)
                    ),
                )
            },
            Ok,
        )
    }

    fn links(&self, raw: &[RawLink], index: &BTreeMap<&str, usize>) -> Result<Vec<LinkSpec>> {
        let mut out = Vec::with_capacity(raw.len());
        for link in raw {
            let ends = link.between.get_ref();
            if ends.len() != 2 {
                return self.err(link.between.span(), format!("`between` names {} nodes; expected exactly two, e.g. between = [\"A\", \"R1\"]", ends.len()));
            }
            let (a, b) = (
                self.node_ref(&ends[0], index)?,
                self.node_ref(&ends[1], index)?,
            );
            if a == b {
                return self.err(
                    ends[1].span(),
                    format!(
                        "a link from `{}` to itself; expected two different nodes",
                        ends[0].get_ref()
                    ),
                );
            }
            let bandwidth = match &link.bandwidth {
                Some(b) if b.get_ref().0 == 0 => {
                    return self.err(
                        b.span(),
                        "the bandwidth must be greater than zero, e.g. \"10Mbps\"",
                    );
                }
                Some(b) => *b.get_ref(),
                None => Bandwidth(100_000_000),
            };
            let queue = match &link.queue {
                Some(q)
                    if matches!(
                        q.get_ref(),
                        QueueCapacity::Packets(0) | QueueCapacity::Bytes(0)
                    ) =>
                {
                    return self.err(
                        q.span(),
                        "the queue must hold at least one packet or byte, e.g. \"100p\"",
                    );
                }
                Some(q) => *q.get_ref(),
                None => QueueCapacity::Packets(100),
            };
            let mut loss = [0.0; 2];
            for (value, key, directions) in [
                (&link.loss, "loss", &[0, 1][..]),
                (&link.loss_forward, "loss_forward", &[0][..]),
                (&link.loss_reverse, "loss_reverse", &[1][..]),
            ] {
                match value {
                    Some(l) if !(0.0..=1.0).contains(l.get_ref()) => {
                        return self.err(
                            l.span(),
                            format!(
                                "{key} {} is not a probability; expected a number from 0 to 1, e.g. 0.01 for 1%",
                                l.get_ref()
                            ),
                        );
                    }
                    Some(l) => directions.iter().for_each(|&d| loss[d] = *l.get_ref()),
                    None => {}
                }
            }
            let delay = link.delay.map_or(SimTime::from_millis(1), |d| d.0);
            out.push(LinkSpec {
                a,
                b,
                bandwidth,
                delay,
                queue,
                loss,
                cost: link.cost.unwrap_or(0),
                drop: {
                    let mut d = link.drop.clone().unwrap_or_default();
                    d.sort_unstable();
                    d
                },
                aqm: self.queue_discipline(link)?,
                ecn: link.ecn.unwrap_or(false),
                channels: match &link.channels {
                    Some(c) if *c.get_ref() == 0 => {
                        return self.err(
                            c.span(),
                            "a link needs at least one channel; expected e.g. channels = 24",
                        );
                    }
                    Some(c) => Some(*c.get_ref()),
                    None => None,
                },
            });
        }
        Ok(out)
    }

    fn flows(
        &self,
        raw: &[RawFlow],
        index: &BTreeMap<&str, usize>,
        sc: &Scenario,
    ) -> Result<Vec<FlowSpec>> {
        let routes = reach::Reachability::new(sc);
        // Each flow name, and the offset of where it was first given.
        let mut names: BTreeMap<String, usize> = BTreeMap::new();
        let mut next_port: BTreeMap<usize, u16> = BTreeMap::new();
        let mut out = Vec::with_capacity(raw.len());
        for (i, f) in raw.iter().enumerate() {
            let name = match &f.name {
                Some(n) => {
                    self.check_name(n, "flow name")?;
                    n.get_ref().clone()
                }
                None => format!("flow{}", i + 1),
            };
            let span = f.name.as_ref().map_or(f.from.span(), |n| n.span());
            if let Some(first) = names.insert(name.clone(), span.start) {
                let at = self.map.locate(first);
                return self.err(
                    span,
                    format!(
                        "duplicate flow name `{name}` (first declared at line {}, column {}); expected a unique name per flow",
                        at.line, at.column
                    ),
                );
            }
            let protocol = f.protocol.unwrap_or(Protocol::Udp);
            let from = self.node_ref(&f.from, index)?;
            let (to_name, dst_port, local) = if protocol == Protocol::Local {
                let (node, path) = self.local_endpoint(f, &name)?;
                (node, 0, Some(path))
            } else if let Some(s) = &f.socket {
                return self.err(s.span(), "`socket` applies to protocol = \"local\" flows only; expected no `socket` key here");
            } else {
                let (node, port) = self.endpoint(&f.to)?;
                (node, port, None)
            };
            let to = self.node_ref(&Spanned::new(f.to.span(), to_name), index)?;
            for (end, span) in [(from, f.from.span()), (to, f.to.span())] {
                if sc.nodes[end].kind != NodeKind::Host {
                    return self.err(
                        span,
                        format!(
                            "`{}` is a router; expected a host (flows start and end at hosts)",
                            sc.nodes[end].name
                        ),
                    );
                }
            }
            if let (Some(local), true) = (&local, from != to) {
                return self.err(
                    f.to.span(),
                    format!(
                        "a Unix-domain socket path is reachable only on its own host; flow `{name}` starts on `{}`, so expected to = \"{}:{}\"",
                        sc.nodes[from].name, sc.nodes[from].name, local.path
                    ),
                );
            }
            if from == to && local.is_none() {
                return self.err(
                    f.to.span(),
                    format!(
                        "flow `{name}` goes from `{}` to itself; expected two different hosts",
                        sc.nodes[from].name
                    ),
                );
            }
            if !routes.reachable(from, to) {
                return self.err(f.to.span(), format!("flow `{name}`: no path from `{}` to `{}`; expected the two hosts to be connected by [[link]]s (through routers: hosts do not forward)", sc.nodes[from].name, sc.nodes[to].name));
            }
            let time = |t: &Option<Spanned<crate::units::Duration>>,
                        default: SimTime,
                        what: &str|
             -> Result<SimTime> {
                match t {
                    Some(t) if t.get_ref().0 > sc.duration => self.err(t.span(), format!("{what} {} is past the end of the simulation; expected a time from 0s to {} (the duration)", t.get_ref(), Duration(sc.duration))),
                    Some(t) => Ok(t.get_ref().0),
                    None => Ok(default),
                }
            };
            let start = time(&f.start, SimTime::ZERO, "start")?;
            let stop = time(&f.stop, sc.duration, "stop")?;
            if stop <= start {
                let (start, stop) = (Duration(start), Duration(stop));
                return match (&f.stop, &f.start) {
                    (Some(s), _) => self.err(
                        s.span(),
                        format!("stop {stop} is not after start {start}; expected stop > start"),
                    ),
                    (None, t) => self.err(
                        t.as_ref().map_or(f.from.span(), |t| t.span()),
                        format!("start {start} leaves no time before the end of the simulation at {stop}; expected a start before the end"),
                    ),
                };
            }
            let rate = match &f.rate {
                Some(r) if r.get_ref().0 == 0 => {
                    return self.err(
                        r.span(),
                        "the rate must be greater than zero, e.g. \"1Mbps\"",
                    );
                }
                Some(r) => *r.get_ref(),
                None => Bandwidth(1_000_000),
            };
            let size = match &f.size {
                Some(s) if s.get_ref().0 == 0 || s.get_ref().0 > MAX_UDP_PAYLOAD => {
                    return self.err(s.span(), format!("datagram size {} is out of range; expected 1B to {MAX_UDP_PAYLOAD}B (the largest UDP payload)", s.get_ref()));
                }
                Some(s) => s.get_ref().0,
                None => 1000,
            };
            // A datagram less than 1 ns after the previous one: the source
            // would send without simulated time passing.
            let sends_udp = protocol == Protocol::Udp;
            if sends_udp && u128::from(rate.0) > u128::from(size) * 8 * 1_000_000_000 {
                let max = Bandwidth(size.saturating_mul(8_000_000_000));
                return self.err(
                    f.rate.as_ref().map_or(f.from.span(), |r| r.span()),
                    format!("rate {rate} sends {size}-byte datagrams less than 1 ns apart; expected at most {max} for this size (one datagram per ns)"),
                );
            }
            let pattern = match f.pattern.unwrap_or(Pattern::Cbr) {
                Pattern::Cbr => TrafficPattern::Cbr,
                Pattern::Poisson => TrafficPattern::Poisson,
                Pattern::Calls => {
                    let arrival_rate = match &f.arrival_rate {
                        Some(r) if !(r.get_ref().is_finite() && *r.get_ref() > 0.0) => {
                            return self.err(r.span(), format!("arrival_rate {} is not a positive number of calls per second; expected e.g. 0.5", r.get_ref()));
                        }
                        Some(r) if *r.get_ref() > 1e9 => {
                            return self.err(r.span(), format!("arrival_rate {} would start calls less than 1 ns apart; expected at most 1e9 calls per second", Sci(*r.get_ref())));
                        }
                        Some(r) => *r.get_ref(),
                        None => 1.0,
                    };
                    let holding = match &f.holding {
                        Some(h) if h.get_ref().0 == SimTime::ZERO => {
                            return self.err(
                                h.span(),
                                "the holding time must be longer than zero, e.g. \"180s\"",
                            );
                        }
                        Some(h) => h.get_ref().0,
                        None => SimTime::from_secs(180),
                    };
                    TrafficPattern::Calls {
                        arrival_rate,
                        holding,
                        holding_distribution: f
                            .holding_distribution
                            .unwrap_or(Distribution::Exponential),
                    }
                }
                Pattern::OnOff => {
                    let period = |p: &Option<Spanned<crate::units::Duration>>,
                                  what: &str|
                     -> Result<SimTime> {
                        match p {
                            Some(p) if p.get_ref().0 == SimTime::ZERO => self.err(
                                p.span(),
                                format!("the {what} period must be longer than zero"),
                            ),
                            Some(p) => Ok(p.get_ref().0),
                            None => Ok(SimTime::from_secs(1)),
                        }
                    };
                    TrafficPattern::OnOff {
                        on: period(&f.on, "on")?,
                        off: period(&f.off, "off")?,
                        periods: f.periods.unwrap_or(Distribution::Fixed),
                    }
                }
            };
            let ttl = match &f.ttl {
                Some(t) if *t.get_ref() == 0 => {
                    return self.err(t.span(), "ttl must be at least 1");
                }
                Some(t) => *t.get_ref(),
                None => 64,
            };
            let src_port = match &f.src_port {
                Some(p) if *p.get_ref() == 0 => {
                    return self.err(p.span(), "source port 0 is reserved; expected 1 to 65535");
                }
                Some(p) => *p.get_ref(),
                None if local.is_some() => 0,
                None => {
                    let next = next_port.entry(from).or_insert(EPHEMERAL_PORT_BASE);
                    let p = *next;
                    *next = next.checked_add(1).ok_or_else(|| {
                        self.map.error(
                            f.from.span().start,
                            "more than 16384 flows from one host; set src_port explicitly",
                        )
                    })?;
                    p
                }
            };
            let app = match protocol {
                Protocol::Tcp | Protocol::Local => self.stream_app(f)?,
                Protocol::Udp => AppSpec::Bulk { bytes: None },
            };
            if let Some(l) = &local {
                self.check_local(f, l, app, &out, to)?;
            }
            let urgent_at = self.urgent_at(f, protocol, app)?;
            if let (Some(m), Some(_)) = (&f.multipath, &local) {
                return self.err(m.span(), "`multipath` applies to flows that cross links; a protocol = \"local\" flow never leaves its host, so expected no `multipath` key here");
            }
            out.push(FlowSpec {
                name,
                protocol,
                from,
                to,
                src_port,
                dst_port,
                pattern,
                rate,
                size,
                size_distribution: f.size_distribution.unwrap_or(Distribution::Fixed),
                start,
                stop,
                ttl,
                sink: f.sink.unwrap_or(true),
                app,
                tcp: self.tcp_config(sc.tcp, f.tcp.as_ref())?,
                backlog: f
                    .tcp
                    .as_ref()
                    .and_then(|t| t.backlog)
                    .unwrap_or(sc.tcp_backlog),
                read_after: f.read_after.map_or(SimTime::ZERO, |t| t.0),
                urgent_at,
                multipath: f.multipath.as_ref().map(|m| *m.get_ref()),
                close_at: match &f.close_at {
                    Some(t) if t.get_ref().0 > sc.duration => {
                        return self.err(t.span(), format!("close_at {} is past the end of the simulation; expected a time from 0s to {}", t.get_ref(), Duration(sc.duration)));
                    }
                    Some(t) => Some(t.get_ref().0),
                    None => None,
                },
                bytes: match app {
                    AppSpec::Bulk { bytes } => bytes,
                    AppSpec::Echo { bytes } => Some(bytes),
                    AppSpec::RequestResponse {
                        requests,
                        response_size,
                        ..
                    } => requests.checked_mul(response_size),
                },
                local,
            });
        }
        Ok(out)
    }

    /// "B" or "B:9000".
    fn endpoint(&self, to: &Spanned<String>) -> Result<(String, u16)> {
        match to.get_ref().split_once(':') {
            None => Ok((to.get_ref().clone(), 9)),
            Some((node, port)) => match port.parse::<u16>() {
                Ok(p) if p > 0 => Ok((node.to_string(), p)),
                _ if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) => self.err(to.span(), format!("port {port} is out of range; expected \"NODE\" or \"NODE:PORT\" with a port from 1 to 65535")),
                _ => self.err(to.span(), format!("`{port}` is not a port; expected \"NODE\" or \"NODE:PORT\" with a port from 1 to 65535")),
            },
        }
    }

    /// A local flow's "A:/tmp/app.sock", or "A" for the path "/tmp/FLOW.sock".
    fn local_endpoint(&self, f: &RawFlow, flow: &str) -> Result<(String, LocalSpec)> {
        let socket = f
            .socket
            .as_ref()
            .map_or(LocalSocket::Stream, |s| *s.get_ref());
        let (node, path) = match f.to.get_ref().split_once(':') {
            None => (f.to.get_ref().clone(), format!("/tmp/{flow}.sock")),
            Some((node, path)) => (node.to_string(), path.to_string()),
        };
        let max = crate::wire::unix::MAX_PATH;
        if !(path.starts_with('/') || path.starts_with('@')) || path.len() > max {
            return self.err(f.to.span(), format!("`{path}` is not a Unix-domain socket path; expected \"NODE:/PATH\" with a path of at most {max} bytes, e.g. \"A:/tmp/app.sock\""));
        }
        Ok((node, LocalSpec { path, socket }))
    }

    /// One socket type per path and host; datagrams within the largest one.
    fn check_local(
        &self,
        f: &RawFlow,
        l: &LocalSpec,
        app: AppSpec,
        earlier: &[FlowSpec],
        host: usize,
    ) -> Result<()> {
        let clash = earlier.iter().find(|e| {
            e.to == host
                && e.local
                    .as_ref()
                    .is_some_and(|o| o.path == l.path && o.socket != l.socket)
        });
        if let Some(e) = clash {
            let kind = |s: LocalSocket| {
                if s == LocalSocket::Stream {
                    "stream"
                } else {
                    "datagram"
                }
            };
            let span = f.socket.as_ref().map_or(f.to.span(), |s| s.span());
            return self.err(span, format!("path `{}` is already used by {} flow `{}`; expected one socket type per path on a host", l.path, kind(e.local.as_ref().map_or(l.socket, |o| o.socket)), e.name));
        }
        let max = crate::wire::unix::MAX_DATAGRAM;
        if let (
            LocalSocket::Datagram,
            AppSpec::RequestResponse {
                request_size,
                response_size,
                ..
            },
        ) = (l.socket, app)
        {
            for (size, raw, what) in [
                (request_size, &f.request_size, "request_size"),
                (response_size, &f.response_size, "response_size"),
            ] {
                if size > max {
                    let span = raw.as_ref().map_or(f.to.span(), |r| r.span());
                    return self.err(span, format!("{what} {size}B does not fit in one Unix datagram; expected at most {max}B (or socket = \"stream\")"));
                }
            }
        }
        Ok(())
    }
}

fn default_address(kind: NodeKind, n: u32) -> Ipv4Addr {
    let [_, b, c, d] = n.to_be_bytes();
    match kind {
        NodeKind::Host => Ipv4Addr([10, b, c, d]),
        NodeKind::Router => Ipv4Addr([172, 16 + (b & 0x0f), c, d]),
    }
}

fn names_list(index: &BTreeMap<&str, usize>) -> String {
    let mut names: Vec<(&usize, &&str)> = index.iter().map(|(n, i)| (i, n)).collect();
    names.sort();
    let shown: Vec<String> = names
        .iter()
        .take(12)
        .map(|(_, n)| format!("`{n}`"))
        .collect();
    let more = if names.len() > 12 {
        format!(" and {} more", names.len() - 12)
    } else {
        String::new()
    };
    format!("{}{more}", shown.join(", "))
}

/// A large number as people write it in TOML: `1e300`.
struct Sci(f64);

impl std::fmt::Display for Sci {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:e}", self.0)
    }
}

/// A scenario name derived from a file name, made safe for use as a folder name.
fn sanitize(s: &str) -> String {
    let cleaned: String = s
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_-.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .take(64)
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_string();
    if cleaned.is_empty() {
        "scenario".into()
    } else {
        cleaned
    }
}
