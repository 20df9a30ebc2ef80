//! Unix-domain sockets: the per-host name space of socket paths, the state of
//! every AF_UNIX socket, and local deliveries.
//!
//! Nothing here touches a link. Everything one socket hands to another on the
//! same host (a connection request, stream bytes, an end of stream, a datagram)
//! is a delivery: a `Timer::LocalDeliver` that fires the host's
//! `local_latency` later. One host has one latency, so deliveries between two
//! sockets arrive in the order they were made, and ties between events keep
//! the engine's (time, insertion) order.
//!
//! The calls themselves are in `calls`.

pub mod calls;

use super::{Env, Notice, SocketError, SocketId, SocketType, Stack, Timer};
use crate::ids::NodeId;
use crate::sim::SimTime;
pub use calls::{MAX_DGRAM_QUEUE, UnixDatagram};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// A listening Unix stream socket's queue.
#[derive(Clone, Debug, Default)]
pub(crate) struct UnixListen {
    pub backlog: usize,
    /// Server ends of connections that arrived, oldest first, until `accept`.
    pub ready: VecDeque<SocketId>,
    /// Connection requests on their way to the listener.
    pub incoming: usize,
}

/// The AF_UNIX state of one socket (its descriptor is in the socket table).
#[derive(Clone, Debug)]
pub(crate) struct UnixSock {
    pub ty: SocketType,
    /// The name `bind` gave it.
    pub path: Option<String>,
    /// Stream sockets: the listener's path, which names the connection.
    pub conn_path: Option<String>,
    pub listen: Option<UnixListen>,
    /// Stream sockets: the other end of the connection.
    pub peer: Option<SocketId>,
    /// A `connect` is on its way to the listener.
    pub connecting: bool,
    /// False for a server end until `accept` hands it out: no notices before.
    pub accepted: bool,
    /// Bytes waiting to be read (stream), or the bytes of `rx` (datagram).
    pub rx_bytes: u64,
    pub rx: VecDeque<UnixDatagram>,
    /// Datagram sockets: datagrams (and their bytes) on their way here.
    pub incoming: (u64, u64),
    /// Stream sockets: bytes this end wrote that the peer has not read yet.
    pub unread: u64,
    /// The buffer limit (SO_SNDBUF): unread bytes of a stream writer, or the
    /// bytes waiting for a datagram reader.
    pub buffer: u64,
    /// A `send` fell short: tell the application when the peer reads.
    pub want_writable: bool,
    /// Datagram sockets: senders that found this one full (EAGAIN).
    pub waiting_senders: BTreeSet<SocketId>,
    /// The peer shut down writing: reads end once `rx_bytes` is read.
    pub eof: bool,
    /// The peer closed: `send` fails with EPIPE.
    pub peer_gone: bool,
    pub shut_write: bool,
}

impl UnixSock {
    pub fn new(ty: SocketType, buffer: u64) -> Self {
        UnixSock {
            ty,
            path: None,
            conn_path: None,
            listen: None,
            peer: None,
            connecting: false,
            accepted: true,
            rx_bytes: 0,
            rx: VecDeque::new(),
            incoming: (0, 0),
            unread: 0,
            buffer,
            want_writable: false,
            waiting_senders: BTreeSet::new(),
            eof: false,
            peer_gone: false,
            shut_write: false,
        }
    }

    /// The path shown in the trace for this socket.
    pub fn shown_path(&self) -> &str {
        self.conn_path
            .as_deref()
            .or(self.path.as_deref())
            .unwrap_or("unnamed")
    }
}

/// What one local delivery carries. `path` is for the trace.
#[derive(Clone, Debug)]
pub(crate) enum Delivery {
    Connect {
        client: SocketId,
        listener: SocketId,
        path: String,
    },
    Data {
        to: SocketId,
        len: u64,
        path: String,
    },
    /// End of stream (`shutdown`), or the peer's `close` (`hangup`).
    Eof {
        to: SocketId,
        hangup: bool,
        path: String,
    },
    Datagram {
        to: SocketId,
        datagram: UnixDatagram,
        path: String,
    },
}

/// Every host's Unix-domain sockets.
#[derive(Default)]
pub(super) struct LocalTable {
    pub(crate) socks: BTreeMap<SocketId, UnixSock>,
    /// Bound names: (host, path) → socket.
    pub(crate) paths: BTreeMap<(NodeId, String), SocketId>,
    deliveries: Vec<Option<(NodeId, Delivery)>>,
    free: Vec<u32>,
    /// Per host: the latency of one delivery.
    latency: Vec<SimTime>,
    /// Per host: the next autobind name to try.
    autobind: Vec<u32>,
}

impl LocalTable {
    pub(crate) fn delivery_node(&self, id: u32) -> Option<NodeId> {
        self.deliveries.get(id as usize)?.as_ref().map(|(n, _)| *n)
    }

    pub fn new(latency: Vec<SimTime>) -> Self {
        LocalTable {
            autobind: vec![0; latency.len()],
            latency,
            ..Default::default()
        }
    }

    /// A free abstract name on `node`, as Linux's autobind makes them
    /// (`@` and five hex digits).
    pub(crate) fn autobind_name(&mut self, node: NodeId) -> Option<String> {
        let next = &mut self.autobind[node.index()];
        for _ in 0..=0xfffff {
            let name = format!("@{:05x}", *next);
            *next = (*next + 1) & 0xfffff;
            if !self.paths.contains_key(&(node, name.clone())) {
                return Some(name);
            }
        }
        None
    }
}

impl Stack {
    /// Hands `d` to the far end one local latency from now.
    pub(crate) fn local_deliver_later<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        node: NodeId,
        d: Delivery,
    ) {
        let at = env.now() + self.local.latency[node.index()];
        let slot = Some((node, d));
        let id = match self.local.free.pop() {
            Some(i) => {
                self.local.deliveries[i as usize] = slot;
                i
            }
            None => {
                self.local.deliveries.push(slot);
                (self.local.deliveries.len() - 1) as u32
            }
        };
        env.schedule(at, Timer::LocalDeliver { delivery: id });
    }

    pub(crate) fn local_readable(&mut self, sock: SocketId) {
        let app = self.sockets.get(sock).app;
        self.notices.push(Notice::Readable { app, sock });
    }

    pub(crate) fn local_writable(&mut self, sock: SocketId) {
        let app = self.sockets.get(sock).app;
        self.notices.push(Notice::Writable { app, sock });
    }

    fn local_connected(&mut self, sock: SocketId, result: Result<(), SocketError>) {
        let app = self.sockets.get(sock).app;
        self.notices.push(Notice::Connected { app, sock, result });
    }

    /// Datagram senders that found `sock` full may try again.
    pub(crate) fn local_wake_senders(&mut self, sock: SocketId) {
        let waiting = match self.local.socks.get_mut(&sock) {
            Some(s) => std::mem::take(&mut s.waiting_senders),
            None => return,
        };
        for w in waiting {
            if self.local.socks.contains_key(&w) {
                self.local_writable(w);
            }
        }
    }

    /// A stream reader took `n` bytes that `writer` wrote: room in its buffer.
    pub(crate) fn local_consumed(&mut self, writer: Option<SocketId>, n: u64) {
        let Some(w) = writer.and_then(|w| self.local.socks.get_mut(&w).map(|s| (w, s))) else {
            return;
        };
        let (id, s) = w;
        s.unread = s.unread.saturating_sub(n);
        if s.want_writable && n > 0 {
            s.want_writable = false;
            self.local_writable(id);
        }
    }

    pub(super) fn on_local_deliver<E: Env + ?Sized>(&mut self, env: &mut E, id: u32) {
        let (node, d) = self.local.deliveries[id as usize]
            .take()
            .expect("a pending local delivery");
        self.local.free.push(id);
        match d {
            Delivery::Connect {
                client,
                listener,
                path,
            } => self.local_connect_arrives(env, node, client, listener, path),
            Delivery::Data { to, len, path } => {
                let Some(s) = self.local.socks.get_mut(&to) else {
                    let detail = format!(
                        "path={path} sock={} len={len} reason=closed",
                        self.sockets.shown(to)
                    );
                    return env.note(node, "local-drop", &detail);
                };
                s.rx_bytes += len;
                let accepted = s.accepted;
                let detail = format!("path={path} sock={} len={len}", self.sockets.shown(to));
                env.note(node, "local-deliver", &detail);
                if accepted {
                    self.local_readable(to);
                }
            }
            Delivery::Eof { to, hangup, path } => {
                let Some(s) = self.local.socks.get_mut(&to) else {
                    return;
                };
                s.eof = true;
                let wake_writer = hangup && std::mem::take(&mut s.want_writable);
                if hangup {
                    s.peer_gone = true;
                    s.unread = 0;
                }
                let accepted = s.accepted;
                let what = if hangup { "hangup" } else { "eof" };
                env.note(
                    node,
                    "local-deliver",
                    &format!("path={path} sock={} {what}", self.sockets.shown(to)),
                );
                if accepted {
                    self.local_readable(to);
                    if wake_writer {
                        self.local_writable(to);
                    }
                }
            }
            Delivery::Datagram { to, datagram, path } => {
                let len = datagram.len;
                let Some(s) = self.local.socks.get_mut(&to) else {
                    let detail = format!(
                        "path={path} sock={} len={len} reason=closed",
                        self.sockets.shown(to)
                    );
                    return env.note(node, "local-drop", &detail);
                };
                s.incoming.0 -= 1;
                s.incoming.1 -= len;
                s.rx_bytes += len;
                let from = datagram.from.clone();
                s.rx.push_back(datagram);
                let detail = format!(
                    "path={path} sock={} len={len} from={}",
                    self.sockets.shown(to),
                    from.as_deref().unwrap_or("unnamed")
                );
                env.note(node, "local-deliver", &detail);
                self.local_readable(to);
            }
        }
    }

    /// A connection request reaches the listener: the connection exists from
    /// now on (a server end waits for `accept`), or is refused if the listener
    /// went away meanwhile.
    fn local_connect_arrives<E: Env + ?Sized>(
        &mut self,
        env: &mut E,
        node: NodeId,
        client: SocketId,
        listener: SocketId,
        path: String,
    ) {
        let listening = match self
            .local
            .socks
            .get_mut(&listener)
            .and_then(|l| l.listen.as_mut())
        {
            Some(l) => {
                l.incoming = l.incoming.saturating_sub(1);
                true
            }
            None => false,
        };
        let client_alive = self.local.socks.contains_key(&client);
        if !client_alive {
            return; // closed while connecting: nothing arrives
        }
        if !listening {
            let detail = format!(
                "path={path} sock={} connect refused",
                self.sockets.shown(client)
            );
            env.note(node, "local-deliver", &detail);
            if let Some(c) = self.local.socks.get_mut(&client) {
                c.connecting = false;
            }
            return self.local_connected(client, Err(SocketError::ConnectionRefused));
        }
        let (app, flow) = {
            let l = self.sockets.get(listener);
            (l.app, l.flow)
        };
        let buffer = self.local.socks[&listener].buffer;
        let server = self.sockets.new_unix(node, app, SocketType::Stream, flow);
        let mut end = UnixSock::new(SocketType::Stream, buffer);
        end.peer = Some(client);
        end.conn_path = Some(path.clone());
        end.accepted = false;
        self.local.socks.insert(server, end);
        if let Some(c) = self.local.socks.get_mut(&client) {
            c.connecting = false;
            c.peer = Some(server);
            c.conn_path = Some(path.clone());
        }
        if let Some(l) = self
            .local
            .socks
            .get_mut(&listener)
            .and_then(|l| l.listen.as_mut())
        {
            l.ready.push_back(server);
        }
        let detail = format!(
            "path={path} sock={} connect peer={}",
            self.sockets.shown(listener),
            self.sockets.shown(client)
        );
        env.note(node, "local-deliver", &detail);
        self.local_readable(listener);
        self.local_connected(client, Ok(()));
    }
}
