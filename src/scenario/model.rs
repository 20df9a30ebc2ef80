//! The checked model of a scenario: what `load` returns and the engine runs.

use super::*;
use crate::ids::ChannelId;

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
    /// The nodes link direction `c` leads from and to.
    pub fn channel_ends(&self, c: ChannelId) -> (usize, usize) {
        let l = &self.links[c.link().index()];
        if c.0 % 2 == 0 { (l.a, l.b) } else { (l.b, l.a) }
    }

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

/// One flow: who sends to whom and when, the load it offers, and what its
/// protocol adds (`kind`).
#[derive(Clone, Debug)]
pub struct FlowSpec {
    pub name: String,
    pub from: usize,
    pub to: usize,
    pub src_port: u16,
    pub dst_port: u16,
    pub start: SimTime,
    pub stop: SimTime,
    pub ttl: u8,
    /// Whether a receiver listens at the destination (false: every datagram
    /// is dropped as port-unreachable, every SYN answered with RST).
    pub sink: bool,
    /// The offered load: how a UDP source sends, and, in circuit mode, what a
    /// circuit of any flow reserves and carries.
    pub pattern: TrafficPattern,
    /// Mean payload bit rate while sending.
    pub rate: Bandwidth,
    /// Mean payload size of one datagram, bytes.
    pub size: u64,
    pub size_distribution: Distribution,
    /// The size of a fixed transfer, if any (for its completion time).
    pub bytes: Option<u64>,
    /// How routers forward this flow over equal-cost next hops, whatever
    /// their own setting (`None`: each router's).
    pub multipath: Option<Multipath>,
    pub kind: FlowKind,
}

/// What a flow's protocol adds to it.
#[derive(Clone, Debug)]
pub enum FlowKind {
    /// Datagrams from a source application to a sink: the offered load is all.
    Udp,
    Tcp(StreamFlow),
    Local(LocalFlow),
}

/// A TCP flow: what its applications do, and its TCP parameters.
#[derive(Clone, Debug)]
pub struct StreamFlow {
    pub app: AppSpec,
    pub tcp: crate::transport::tcp::TcpConfig,
    /// The server's `listen` backlog.
    pub backlog: u32,
    /// The server reads nothing before this time.
    pub read_after: SimTime,
    /// Both ends close at this time.
    pub close_at: Option<SimTime>,
    /// Bulk: the client sends the byte at this stream offset as urgent data.
    pub urgent_at: Option<u64>,
}

/// A `protocol = "local"` flow: two applications on one host (its `from`,
/// which is its `to`) over a Unix-domain socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalFlow {
    pub path: String,
    pub socket: LocalSocket,
    pub app: AppSpec,
    /// The server's `listen` backlog (stream sockets).
    pub backlog: u32,
}

impl FlowSpec {
    pub fn protocol(&self) -> Protocol {
        match self.kind {
            FlowKind::Udp => Protocol::Udp,
            FlowKind::Tcp(_) => Protocol::Tcp,
            FlowKind::Local(_) => Protocol::Local,
        }
    }

    /// The TCP part of a TCP flow.
    pub fn stream(&self) -> Option<&StreamFlow> {
        match &self.kind {
            FlowKind::Tcp(s) => Some(s),
            _ => None,
        }
    }

    /// The Unix-domain part of a local flow.
    pub fn local(&self) -> Option<&LocalFlow> {
        match &self.kind {
            FlowKind::Local(l) => Some(l),
            _ => None,
        }
    }
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

pub(super) const DEFAULT_DURATION: SimTime = SimTime::from_secs(10);
/// The longest `duration` accepted: 10^6 hours (about 114 years), a fifth of
/// what 64-bit nanoseconds hold.
pub const MAX_DURATION: SimTime = SimTime::from_secs(3_600_000_000);
pub(super) const EPHEMERAL_PORT_BASE: u16 = 49_152;
