//! Validation: every name resolved, every default applied, every value in
//! range, or an error at the offending line and column.

use super::*;

pub(super) struct Validator<'a> {
    pub(super) map: &'a SourceMap<'a>,
}

impl Validator<'_> {
    pub(super) fn err<T>(
        &self,
        span: std::ops::Range<usize>,
        message: impl Into<String>,
    ) -> Result<T> {
        Err(self.map.error(span.start, message))
    }

    pub(super) fn scenario(&self, mut raw: RawScenario, default_name: &str) -> Result<Scenario> {
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
    pub(super) fn limits(&self, raw: Option<&RawLimits>) -> Result<crate::limits::Limits> {
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

    pub(super) fn check_name(&self, name: &Spanned<String>, what: &str) -> Result<()> {
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

    pub(super) fn nodes(&self, raw: &[RawNode]) -> Result<Vec<NodeSpec>> {
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

    pub(super) fn node_ref(
        &self,
        name: &Spanned<String>,
        index: &BTreeMap<&str, usize>,
    ) -> Result<usize> {
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

    pub(super) fn links(
        &self,
        raw: &[RawLink],
        index: &BTreeMap<&str, usize>,
    ) -> Result<Vec<LinkSpec>> {
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

    pub(super) fn flows(
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
            let bytes = match app {
                AppSpec::Bulk { bytes } => bytes,
                AppSpec::Echo { bytes } => Some(bytes),
                AppSpec::RequestResponse {
                    requests,
                    response_size,
                    ..
                } => requests.checked_mul(response_size),
            };
            let tcp = self.tcp_config(sc.tcp, f.tcp.as_ref())?;
            let backlog = f
                .tcp
                .as_ref()
                .and_then(|t| t.backlog)
                .unwrap_or(sc.tcp_backlog);
            let close_at = match &f.close_at {
                Some(t) if t.get_ref().0 > sc.duration => {
                    return self.err(t.span(), format!("close_at {} is past the end of the simulation; expected a time from 0s to {}", t.get_ref(), Duration(sc.duration)));
                }
                Some(t) => Some(t.get_ref().0),
                None => None,
            };
            let kind = match (protocol, local) {
                (Protocol::Local, Some(LocalEnd { path, socket })) => FlowKind::Local(LocalFlow {
                    path,
                    socket,
                    app,
                    backlog,
                }),
                (Protocol::Tcp, _) => FlowKind::Tcp(StreamFlow {
                    app,
                    tcp,
                    backlog,
                    read_after: f.read_after.map_or(SimTime::ZERO, |t| t.0),
                    close_at,
                    urgent_at,
                }),
                _ => FlowKind::Udp,
            };
            out.push(FlowSpec {
                name,
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
                bytes,
                multipath: f.multipath.as_ref().map(|m| *m.get_ref()),
                kind,
            });
        }
        Ok(out)
    }

    /// "B" or "B:9000".
    pub(super) fn endpoint(&self, to: &Spanned<String>) -> Result<(String, u16)> {
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
    pub(super) fn local_endpoint(&self, f: &RawFlow, flow: &str) -> Result<(String, LocalEnd)> {
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
        Ok((node, LocalEnd { path, socket }))
    }

    /// One socket type per path and host; datagrams within the largest one.
    pub(super) fn check_local(
        &self,
        f: &RawFlow,
        l: &LocalEnd,
        app: AppSpec,
        earlier: &[FlowSpec],
        host: usize,
    ) -> Result<()> {
        let clash = earlier.iter().find(|e| {
            e.to == host
                && e.local()
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
            return self.err(span, format!("path `{}` is already used by {} flow `{}`; expected one socket type per path on a host", l.path, kind(e.local().map_or(l.socket, |o| o.socket)), e.name));
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

pub(super) fn default_address(kind: NodeKind, n: u32) -> Ipv4Addr {
    let [_, b, c, d] = n.to_be_bytes();
    match kind {
        NodeKind::Host => Ipv4Addr([10, b, c, d]),
        NodeKind::Router => Ipv4Addr([172, 16 + (b & 0x0f), c, d]),
    }
}

pub(super) fn names_list(index: &BTreeMap<&str, usize>) -> String {
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
pub(super) struct Sci(pub(super) f64);

impl std::fmt::Display for Sci {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:e}", self.0)
    }
}

/// A scenario name derived from a file name, made safe for use as a folder name.
pub(super) fn sanitize(s: &str) -> String {
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

/// Where a local flow's server listens, before the flow is built.
pub(super) struct LocalEnd {
    path: String,
    socket: LocalSocket,
}
