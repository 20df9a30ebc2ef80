//! The scenario file as written: serde types that mirror the TOML, spans kept.
//!
//! Every table denies unknown keys, so a typo is an error at its line and column.
//! Defaults are applied by the validator (`scenario::Validator`, in
//! `scenario/mod.rs` and its submodules), not here, so that they are
//! documented in one place.

use crate::units::{Bandwidth, ByteSize, Duration, QueueCapacity};
use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawScenario {
    pub simulation: Option<RawSimulation>,
    #[serde(default)]
    pub node: Vec<RawNode>,
    #[serde(default)]
    pub link: Vec<RawLink>,
    #[serde(default)]
    pub flow: Vec<RawFlow>,
    pub routing: Option<RawRouting>,
    pub circuit: Option<RawCircuit>,
    pub tcp: Option<RawTcp>,
    #[serde(default)]
    pub failure: Vec<RawFailure>,
    /// Generated nodes and links (`[[topology]]`), see `scenario::topology`.
    #[serde(default)]
    pub topology: Vec<RawTopology>,
    /// Generated flows (`[[flows]]`), see `scenario::topology`.
    #[serde(default)]
    pub flows: Vec<RawFlowSet>,
    /// Caps on the run (`[limits]`), see `limits`.
    pub limits: Option<RawLimits>,
}

/// `[limits]`: caps that stop a run (see `limits`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLimits {
    pub max_events: Option<Spanned<u64>>,
    pub max_packets_in_flight: Option<Spanned<u64>>,
    pub max_nodes: Option<Spanned<u64>>,
    pub max_memory: Option<Spanned<ByteSize>>,
}

/// The shape a `[[topology]]` generates.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum TopologyKind {
    Dumbbell,
    Star,
    Ring,
    Line,
    Grid,
    Torus,
    FatTree,
}

/// One `[[topology]]`: a generator of nodes and links.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTopology {
    pub kind: Spanned<TopologyKind>,
    pub prefix: Option<Spanned<String>>,
    pub pairs: Option<Spanned<u64>>,
    pub hosts: Option<Spanned<u64>>,
    pub nodes: Option<Spanned<u64>>,
    pub rows: Option<Spanned<u64>>,
    pub columns: Option<Spanned<u64>>,
    pub k: Option<Spanned<u64>>,
    pub access: Option<Spanned<RawTier>>,
    pub core: Option<Spanned<RawTier>>,
    pub edge: Option<Spanned<RawTier>>,
    pub aggregation: Option<Spanned<RawTier>>,
}

/// The parameters of every link of one tier of a generated topology.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTier {
    pub bandwidth: Option<Spanned<Bandwidth>>,
    pub delay: Option<Duration>,
    pub queue: Option<Spanned<QueueCapacity>>,
    pub loss: Option<Spanned<f64>>,
    /// The queue discipline of the tier's links, as `aqm` in `[[link]]`.
    pub aqm: Option<Spanned<String>>,
    /// As `ecn` in `[[link]]`.
    pub ecn: Option<bool>,
}

/// Which pairs of hosts a `[[flows]]` set joins.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum FlowSetPattern {
    AllToAll,
    Permutation,
    Incast,
    RandomPairs,
}

/// How the sizes of the flows of a `[[flows]]` set vary.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SizeDistribution {
    Fixed,
    Uniform,
    Exponential,
    Pareto,
    /// Read from the file `size_cdf` names.
    Empirical,
}

/// One `[[flows]]`: many flows declared at once.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlowSet {
    pub name: Option<Spanned<String>>,
    pub pattern: Spanned<FlowSetPattern>,
    /// An array of host names, or a string: "*" (every host) or "PREFIX*".
    pub hosts: Option<Spanned<toml::Value>>,
    pub count: Option<Spanned<u64>>,
    pub target: Option<Spanned<String>>,
    pub start: Option<Spanned<Duration>>,
    pub start_spread: Option<Spanned<Duration>>,
    pub stop: Option<Spanned<Duration>>,
    pub size: Option<Spanned<ByteSize>>,
    pub size_distribution: Option<Spanned<SizeDistribution>>,
    pub shape: Option<Spanned<f64>>,
    /// A file of `SIZE,P` lines (`scenario::cdf`), for size_distribution = "empirical".
    pub size_cdf: Option<Spanned<String>>,
    pub protocol: Option<Spanned<Protocol>>,
    pub traffic: Option<Pattern>,
    pub rate: Option<Spanned<Bandwidth>>,
    pub datagram: Option<Spanned<ByteSize>>,
    pub ttl: Option<Spanned<u8>>,
    pub tcp: Option<RawTcp>,
    pub multipath: Option<Spanned<Multipath>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawRouting {
    pub detection: Option<Duration>,
    pub convergence: Option<Duration>,
    /// How routers use equal-cost next hops (every router unless its
    /// `[[node]]` says otherwise).
    pub multipath: Option<Multipath>,
}

/// How a node chooses among equal-cost next hops.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Multipath {
    /// One path: the first next hop (by neighbour, then link, declared first).
    #[default]
    Single,
    /// Per flow: a hash of the 5-tuple, salted per router, picks the next hop,
    /// so a flow keeps one path and many flows spread.
    Ecmp,
    /// Per packet: the next hops in turn.
    SprayRoundRobin,
    /// Per packet: a next hop drawn at random from the router's stream.
    SprayRandom,
}

impl Multipath {
    pub const ALL: [Multipath; 4] = [
        Multipath::Single,
        Multipath::Ecmp,
        Multipath::SprayRoundRobin,
        Multipath::SprayRandom,
    ];

    /// The setting named as in scenario files (`"ecmp"`).
    pub fn from_name(name: &str) -> Option<Multipath> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn name(self) -> &'static str {
        match self {
            Multipath::Single => "single",
            Multipath::Ecmp => "ecmp",
            Multipath::SprayRoundRobin => "spray-round-robin",
            Multipath::SprayRandom => "spray-random",
        }
    }
}

/// One `[[failure]]`: what fails (`link` or `node`) and when: a scheduled
/// interval (`down`, optional `up`), a random process (`mtbf`, `mttr`), or a
/// list of times read from `file`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFailure {
    pub link: Option<Spanned<Vec<Spanned<String>>>>,
    pub node: Option<Spanned<String>>,
    pub down: Option<Spanned<Duration>>,
    pub up: Option<Spanned<Duration>>,
    pub mtbf: Option<Spanned<Duration>>,
    pub mttr: Option<Spanned<Duration>>,
    pub file: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawSimulation {
    pub name: Option<Spanned<String>>,
    pub seed: Option<u64>,
    pub duration: Option<Spanned<Duration>>,
    pub switching: Option<Switching>,
}

/// How flows are carried: as packets (store-and-forward) or over circuits.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Switching {
    #[default]
    Packet,
    Circuit,
}

/// Circuit signalling parameters (`[circuit]`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawCircuit {
    pub hop_processing: Option<Duration>,
    pub retries: Option<u32>,
    pub backoff: Option<Duration>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum NodeKind {
    Host,
    Router,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawNode {
    pub name: Spanned<String>,
    pub kind: Option<NodeKind>,
    pub address: Option<Spanned<String>>,
    /// Unix-domain socket latency on this host (each local delivery).
    pub local_latency: Option<Duration>,
    /// How this node uses equal-cost next hops (default: `[routing]`'s).
    pub multipath: Option<Multipath>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawLink {
    pub between: Spanned<Vec<Spanned<String>>>,
    pub bandwidth: Option<Spanned<Bandwidth>>,
    pub delay: Option<Duration>,
    pub queue: Option<Spanned<QueueCapacity>>,
    pub loss: Option<Spanned<f64>>,
    /// Loss in one direction only, over `loss`: from the first node of
    /// `between` to the second, and back.
    pub loss_forward: Option<Spanned<f64>>,
    pub loss_reverse: Option<Spanned<f64>>,
    /// Routing cost, compared before the propagation delay (default 0).
    pub cost: Option<u32>,
    pub channels: Option<Spanned<u32>>,
    /// Packets to lose on purpose, by their number (1 = the first) in the
    /// direction from the first node of `between` to the second.
    pub drop: Option<Vec<u64>>,
    /// The queue discipline of both directions: "drop-tail", "red", "codel",
    /// "fq-codel", "step".
    pub aqm: Option<Spanned<String>>,
    /// CoDel's target and interval (codel, fq-codel).
    pub aqm_target: Option<Spanned<Duration>>,
    pub aqm_interval: Option<Spanned<Duration>>,
    /// The queue length, in packets, above which "step" marks (or drops).
    pub aqm_threshold: Option<Spanned<u32>>,
    /// The AQM marks ECN-capable packets CE instead of dropping them early.
    pub ecn: Option<bool>,
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    Udp,
    Tcp,
    /// Unix-domain sockets between two applications on one host.
    Local,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::Udp => "udp",
            Protocol::Tcp => "tcp",
            Protocol::Local => "local",
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    Cbr,
    OnOff,
    Poisson,
    Calls,
}

/// How a quantity that has a mean varies from one draw to the next.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Distribution {
    Fixed,
    Exponential,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawFlow {
    pub name: Option<Spanned<String>>,
    pub protocol: Option<Protocol>,
    pub from: Spanned<String>,
    pub to: Spanned<String>,
    pub src_port: Option<Spanned<u16>>,
    pub pattern: Option<Pattern>,
    pub rate: Option<Spanned<Bandwidth>>,
    pub size: Option<Spanned<ByteSize>>,
    pub size_distribution: Option<Distribution>,
    pub start: Option<Spanned<Duration>>,
    pub stop: Option<Spanned<Duration>>,
    pub on: Option<Spanned<Duration>>,
    pub off: Option<Spanned<Duration>>,
    pub periods: Option<Distribution>,
    pub arrival_rate: Option<Spanned<f64>>,
    pub holding: Option<Spanned<Duration>>,
    pub holding_distribution: Option<Distribution>,
    pub ttl: Option<Spanned<u8>>,
    pub sink: Option<bool>,
    pub app: Option<StreamApp>,
    pub bytes: Option<Spanned<ByteSize>>,
    pub requests: Option<Spanned<u64>>,
    pub request_size: Option<Spanned<ByteSize>>,
    pub response_size: Option<Spanned<ByteSize>>,
    pub think: Option<Duration>,
    /// TCP: the server application reads nothing before this time (a slow
    /// reader: the receive buffer fills and the window closes).
    pub read_after: Option<Duration>,
    /// TCP: both applications close their connection at this time (instead of
    /// the client closing when its data is sent) — a simultaneous close.
    pub close_at: Option<Spanned<Duration>>,
    /// TCP bulk: the byte at this stream offset is sent as urgent data
    /// (`send` with MSG_OOB) after the bytes before it.
    pub urgent_at: Option<Spanned<ByteSize>>,
    pub tcp: Option<RawTcp>,
    /// `protocol = "local"` flows: the socket type.
    pub socket: Option<Spanned<LocalSocket>>,
    /// How every router forwards this flow's packets over equal-cost next
    /// hops, whatever the routers' own setting.
    pub multipath: Option<Spanned<Multipath>>,
}

/// The type of a Unix-domain socket: SOCK_STREAM or SOCK_DGRAM.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LocalSocket {
    Stream,
    Datagram,
}

/// The application a TCP flow runs.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum StreamApp {
    /// The client sends `bytes` (or, without `bytes`, as much as it can until stop).
    Bulk,
    /// The client sends `requests` requests of `request_size`, each answered by `response_size`.
    RequestResponse,
    /// The client sends `bytes`; the server sends every byte back.
    Echo,
}

/// TCP parameters: `[tcp]` for every flow, or `tcp = { ... }` in one flow.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawTcp {
    pub mss: Option<Spanned<u16>>,
    pub initial_window: Option<u32>,
    pub send_buffer: Option<Spanned<ByteSize>>,
    pub recv_buffer: Option<Spanned<ByteSize>>,
    pub min_rto: Option<Duration>,
    /// A duration such as "40ms", or "off".
    pub delayed_ack: Option<Spanned<String>>,
    pub sack: Option<bool>,
    pub window_scaling: Option<bool>,
    pub timestamps: Option<bool>,
    pub time_wait: Option<Duration>,
    pub backlog: Option<u32>,
    /// Duplicate ACKs that start fast retransmit (RFC 5681: 3).
    pub dupack_threshold: Option<Spanned<u32>>,
    /// Negotiate ECN (RFC 3168).
    pub ecn: Option<bool>,
    /// "newreno", "cubic" or "dctcp".
    pub congestion: Option<Spanned<String>>,
    /// "bytes" or "per-ack" (NewReno and DCTCP).
    pub cwnd_growth: Option<Spanned<String>>,
    /// Nagle's algorithm (RFC 9293 §3.7.4; on by default).
    pub nagle: Option<bool>,
    /// SO_OOBINLINE: the peer's urgent byte stays in the stream.
    pub oob_inline: Option<bool>,
    /// Pace data segments at cwnd/SRTT (or the controller's rate).
    pub pacing: Option<bool>,
    pub initial_rto: Option<Spanned<Duration>>,
    /// "rfc5681", "linux" or "keep".
    pub syn_loss_window: Option<Spanned<String>>,
    pub syn_loss_rto: Option<Spanned<Duration>>,
    /// "new-ack" or "head-retransmit".
    pub rto_restart: Option<Spanned<String>>,
    /// "karn" or "new-ack".
    pub rto_backoff: Option<Spanned<String>>,
    /// "sack" or "cumulative".
    pub rtt_sample: Option<Spanned<String>>,
    /// "outstanding" or "before-limited-transmit".
    pub loss_flight: Option<Spanned<String>>,
    /// "rfc6675" or "prr".
    pub recovery: Option<Spanned<String>>,
    /// "dupthresh" or "rack-tlp".
    pub loss_detection: Option<Spanned<String>>,
    /// Keep-alive idle time, e.g. "2h", or "off".
    pub keepalive: Option<Spanned<String>>,
    pub keepalive_interval: Option<Spanned<Duration>>,
    pub keepalive_probes: Option<Spanned<u32>>,
}
