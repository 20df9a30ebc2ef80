//! The BSD-like socket layer: the socket table, port allocation and UDP
//! demultiplexing, and the calls applications make: `socket`, `bind`,
//! `sendto`, `recvfrom`, `close` here; the stream calls (`listen`, `accept`,
//! `connect`, `send`, `recv`, `shutdown`) in `stream`; the AF_UNIX ones in
//! `local::calls`.

use super::Ctx;
use crate::ids::{AppId, NodeId};
use crate::net::packet::{Ecn, Packet, Transport};
use crate::sim::chunked::ChunkedVec;
use crate::trace::SocketCall;
use crate::wire::ipv4::Ipv4Addr;
use crate::wire::udp::UdpRepr;
use std::collections::{BTreeMap, VecDeque};

/// A socket descriptor (global across hosts; each socket belongs to one host).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct SocketId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SocketType {
    /// SOCK_DGRAM over IPv4: UDP.
    Datagram,
    /// SOCK_STREAM over IPv4: TCP.
    Stream,
}

impl SocketType {
    fn name(self) -> &'static str {
        match self {
            SocketType::Datagram => "dgram",
            SocketType::Stream => "stream",
        }
    }
}

/// The errors the calls return, named after their errno.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SocketError {
    #[error("address already in use (EADDRINUSE)")]
    AddressInUse,
    #[error("bad socket descriptor (EBADF)")]
    BadDescriptor,
    #[error("socket already bound (EINVAL)")]
    AlreadyBound,
    #[error("no ephemeral port left (EADDRNOTAVAIL)")]
    NoPortAvailable,
    #[error("message too long (EMSGSIZE)")]
    MessageTooLong,
    #[error("no such host (EHOSTUNREACH)")]
    HostUnreachable,
    #[error("operation not supported on this socket type (EOPNOTSUPP)")]
    WrongType,
    #[error("connection refused (ECONNREFUSED)")]
    ConnectionRefused,
    #[error("connection reset by peer (ECONNRESET)")]
    ConnectionReset,
    #[error("connection timed out (ETIMEDOUT)")]
    TimedOut,
    #[error("socket is not connected (ENOTCONN)")]
    NotConnected,
    #[error("socket is already connected (EISCONN)")]
    AlreadyConnected,
    #[error("socket is not listening (EINVAL)")]
    NotListening,
    #[error("cannot send after shutdown (EPIPE)")]
    ShutDown,
    #[error("nothing to read yet (EWOULDBLOCK)")]
    WouldBlock,
    #[error("no such file or directory (ENOENT)")]
    NoEntry,
    #[error("address family not supported by this socket (EAFNOSUPPORT)")]
    WrongFamily,
    #[error("protocol wrong type for socket (EPROTOTYPE)")]
    WrongProtocolType,
    #[error("invalid argument (EINVAL)")]
    InvalidArgument,
}

/// A datagram waiting in a socket's receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram {
    pub from: Ipv4Addr,
    pub from_port: u16,
    pub len: u32,
    pub payload_origin: u64,
}

pub(crate) struct Socket {
    /// See `SocketTable::shown`.
    number: u32,
    pub(crate) node: NodeId,
    pub(crate) app: AppId,
    pub(in crate::stack) ty: SocketType,
    pub(in crate::stack) port: Option<u16>,
    /// Made by the first datagram (boxed: stream sockets never get one).
    pub(in crate::stack) rx: Option<Box<RxQueue>>,
    pub(in crate::stack) open: bool,
    /// The flow the owning application sends for (statistics only).
    pub(crate) flow: u32,
    /// Stream sockets: the connection, once connecting or accepted.
    pub(crate) conn: Option<crate::ids::ConnId>,
    /// Stream sockets after `listen` (boxed: few sockets listen).
    pub(crate) listen: Option<Box<super::stream::Listen>>,
    /// Stream sockets: the TCP parameters new connections get (setsockopt),
    /// shared with those connections.
    pub(crate) tcp: Option<std::sync::Arc<crate::transport::tcp::TcpConfig>>,
    /// A pending error (SO_ERROR), reported by the next call.
    pub(crate) error: Option<SocketError>,
    /// AF_UNIX (state in `Stack::local`), not AF_INET.
    pub(crate) unix: bool,
}

/// A datagram socket's receive buffer.
#[derive(Default)]
pub(crate) struct RxQueue {
    datagrams: VecDeque<Datagram>,
    bytes: u64,
}

/// Linux's default receive buffer (net.core.rmem_default).
pub const DEFAULT_RECV_BUFFER: u64 = 212_992;
const EPHEMERAL: std::ops::RangeInclusive<u16> = 49_152..=65_535;

/// What happened to a UDP datagram handed up by IP.
pub enum UdpDelivery {
    /// Queued on a socket; its owner should be told it is readable.
    Queued {
        app: AppId,
        sock: SocketId,
    },
    PortUnreachable,
    BufferFull,
}

#[derive(Default)]
pub struct SocketTable {
    /// Indexed by `SocketId` (chunked: one per connection end, at scale).
    pub(in crate::stack) sockets: ChunkedVec<Socket>,
    udp_ports: BTreeMap<(NodeId, u16), SocketId>,
    /// Bound stream sockets (listeners, and clients that called `bind`).
    tcp_ports: BTreeMap<(NodeId, u16), SocketId>,
    /// Per (node, type): every ephemeral port below this one is bound, so the
    /// search for the lowest free one starts here (thousands of clients on one
    /// host would otherwise make each bind scan them all).
    ephemeral_floor: BTreeMap<(NodeId, bool), u16>,
    /// Per node: sockets it has made (what `shown` counts).
    made: BTreeMap<NodeId, u32>,
}

impl SocketTable {
    pub(crate) fn get(&self, s: SocketId) -> &Socket {
        &self.sockets[s.0 as usize]
    }

    /// The socket's number as the trace shows it: its host's count of sockets
    /// before it (like a descriptor, per host; it depends on nothing another
    /// host does).
    pub(crate) fn shown(&self, s: SocketId) -> u32 {
        self.get(s).number
    }

    pub(crate) fn get_mut(&mut self, s: SocketId) -> &mut Socket {
        &mut self.sockets[s.0 as usize]
    }

    /// The listening socket bound to `port` on `node`, if any.
    pub(crate) fn listener(&self, node: NodeId, port: u16) -> Option<SocketId> {
        self.tcp_ports
            .get(&(node, port))
            .copied()
            .filter(|s| self.get(*s).listen.is_some())
    }

    /// Socket `s` of host `node`, open and AF_INET (another host's descriptor
    /// means nothing here: EBADF).
    pub(in crate::stack) fn open(&self, node: NodeId, s: SocketId) -> Result<&Socket, SocketError> {
        match self
            .sockets
            .get(s.0 as usize)
            .filter(|s| s.open && s.node == node)
        {
            Some(s) if s.unix => Err(SocketError::WrongFamily),
            s => s.ok_or(SocketError::BadDescriptor),
        }
    }

    pub(in crate::stack) fn open_mut(
        &mut self,
        node: NodeId,
        s: SocketId,
    ) -> Result<&mut Socket, SocketError> {
        match self
            .sockets
            .get_mut(s.0 as usize)
            .filter(|s| s.open && s.node == node)
        {
            Some(s) if s.unix => Err(SocketError::WrongFamily),
            s => s.ok_or(SocketError::BadDescriptor),
        }
    }

    /// Hands a UDP datagram that reached `node` to the socket bound to its port.
    pub fn deliver_udp(&mut self, node: NodeId, p: &Packet, udp: &UdpRepr) -> UdpDelivery {
        let Some(&sock) = self.udp_ports.get(&(node, udp.dst_port)) else {
            return UdpDelivery::PortUnreachable;
        };
        let s = &mut self.sockets[sock.0 as usize];
        let rx = s.rx.get_or_insert_with(Box::default);
        if rx.bytes + u64::from(udp.payload_len) > DEFAULT_RECV_BUFFER {
            return UdpDelivery::BufferFull;
        }
        rx.bytes += u64::from(udp.payload_len);
        rx.datagrams.push_back(Datagram {
            from: p.src_addr,
            from_port: udp.src_port,
            len: udp.payload_len,
            payload_origin: p.payload_origin,
        });
        UdpDelivery::Queued { app: s.app, sock }
    }

    fn ports(&self, ty: SocketType) -> &BTreeMap<(NodeId, u16), SocketId> {
        match ty {
            SocketType::Datagram => &self.udp_ports,
            SocketType::Stream => &self.tcp_ports,
        }
    }

    /// The lowest ephemeral port free on `node`.
    fn free_port(&mut self, node: NodeId, ty: SocketType) -> Option<u16> {
        let key = (node, ty == SocketType::Stream);
        let floor = self
            .ephemeral_floor
            .get(&key)
            .copied()
            .unwrap_or(*EPHEMERAL.start());
        let ports = self.ports(ty);
        let port = (floor..=*EPHEMERAL.end()).find(|p| !ports.contains_key(&(node, *p)))?;
        self.ephemeral_floor.insert(key, port);
        Some(port)
    }

    /// `port` on `node` is free again.
    fn release_port(&mut self, node: NodeId, ty: SocketType, port: u16) {
        match ty {
            SocketType::Datagram => self.udp_ports.remove(&(node, port)),
            SocketType::Stream => self.tcp_ports.remove(&(node, port)),
        };
        if let Some(floor) = self
            .ephemeral_floor
            .get_mut(&(node, ty == SocketType::Stream))
        {
            *floor = (*floor).min(port.max(*EPHEMERAL.start()));
        }
    }

    pub(in crate::stack) fn new_socket(
        &mut self,
        node: NodeId,
        app: AppId,
        ty: SocketType,
        flow: u32,
    ) -> SocketId {
        let id = SocketId(self.sockets.len() as u32);
        let made = self.made.entry(node).or_default();
        let number = *made;
        *made += 1;
        self.sockets.push(Socket {
            number,
            node,
            app,
            ty,
            port: None,
            rx: None,
            open: true,
            flow,
            conn: None,
            listen: None,
            tcp: None,
            error: None,
            unix: false,
        });
        id
    }
}

impl Ctx<'_> {
    /// `socket(AF_INET, type, 0)`
    pub fn socket(&mut self, ty: SocketType) -> SocketId {
        let id = self
            .stack
            .sockets
            .new_socket(self.node, self.app, ty, self.flow);
        if ty == SocketType::Stream {
            self.stack.sockets.get_mut(id).tcp = Some(self.stack.tcp_defaults.clone());
        }
        self.trace_call(SocketCall::Socket {
            sock: self.stack.sockets.shown(id),
            kind: ty.name(),
        });
        id
    }

    /// `bind(sock, {INADDR_ANY, port})`; port 0 picks an ephemeral port.
    pub fn bind(&mut self, sock: SocketId, port: u16) -> Result<u16, SocketError> {
        let node = self.node;
        let t = &mut self.stack.sockets;
        let s = t.open(node, sock)?;
        if s.port.is_some() {
            return Err(SocketError::AlreadyBound);
        }
        let ty = s.ty;
        let port = if port == 0 {
            t.free_port(node, ty).ok_or(SocketError::NoPortAvailable)?
        } else {
            port
        };
        if t.ports(ty).contains_key(&(node, port)) {
            return Err(SocketError::AddressInUse);
        }
        match ty {
            SocketType::Datagram => t.udp_ports.insert((node, port), sock),
            SocketType::Stream => t.tcp_ports.insert((node, port), sock),
        };
        t.open_mut(node, sock)?.port = Some(port);
        self.trace_call(SocketCall::Bind {
            sock: self.stack.sockets.shown(sock),
            port,
        });
        Ok(port)
    }

    /// `sendto(sock, len bytes, {to, port})`: one UDP datagram. An unbound socket
    /// is bound to an ephemeral port first, as BSD does.
    pub fn sendto(
        &mut self,
        sock: SocketId,
        len: u32,
        to: Ipv4Addr,
        port: u16,
    ) -> Result<(), SocketError> {
        if u64::from(len) > crate::wire::udp::MAX_UDP_PAYLOAD {
            return Err(SocketError::MessageTooLong);
        }
        if self.stack.sockets.open(self.node, sock)?.port.is_none() {
            self.bind(sock, 0)?;
        }
        let dst = self.env.host(to).ok_or(SocketError::HostUnreachable)?;
        let s = self.stack.sockets.open(self.node, sock)?;
        if s.ty != SocketType::Datagram {
            return Err(SocketError::WrongType);
        }
        let (src_port, flow) = (s.port.unwrap_or(0), s.flow);
        self.trace_call(SocketCall::SendTo {
            sock: self.stack.sockets.shown(sock),
            to,
            port,
            len,
        });
        let node = self.node;
        let origin = self.next_payload_origin(u64::from(len));
        let packet = Packet {
            uid: 0,
            src: node,
            dst,
            src_addr: self.env.address(node),
            dst_addr: to,
            ttl: self.ttl,
            ecn: Ecn::NotEct,
            transport: Transport::Udp(UdpRepr {
                src_port,
                dst_port: port,
                payload_len: len,
            }),
            payload_origin: origin,
            flow,
            sent_at: self.env.now(),
        };
        self.env
            .flow(crate::trace::FlowRecord::DatagramSent { flow, bytes: len });
        self.env.send(packet);
        Ok(())
    }

    /// `recvfrom(sock)`: the oldest waiting datagram, or `None` (EWOULDBLOCK).
    pub fn recvfrom(&mut self, sock: SocketId) -> Result<Option<Datagram>, SocketError> {
        let s = self.stack.sockets.open_mut(self.node, sock)?;
        let Some(rx) = s.rx.as_mut() else {
            return Ok(None);
        };
        let Some(d) = rx.datagrams.pop_front() else {
            return Ok(None);
        };
        rx.bytes -= u64::from(d.len);
        self.trace_call(SocketCall::RecvFrom {
            sock: self.stack.sockets.shown(sock),
            from: d.from,
            port: d.from_port,
            len: d.len,
        });
        Ok(Some(d))
    }

    /// `close(sock)`: frees the port; waiting datagrams are discarded; a
    /// connection is closed (FIN after the data already sent; it lives on in the
    /// stack until it reaches CLOSED).
    pub fn close(&mut self, sock: SocketId) -> Result<(), SocketError> {
        if self.stack.sockets.is_unix(sock) {
            return self.close_unix(sock);
        }
        let node = self.node;
        let t = &mut self.stack.sockets;
        let s = t.open_mut(node, sock)?;
        s.open = false;
        s.rx = None;
        let (conn, listen) = (s.conn.take(), s.listen.take().map(|l| *l));
        if let Some(port) = s.port.take() {
            debug_assert_eq!(s.node, node);
            let ty = s.ty;
            t.release_port(node, ty, port);
        }
        self.stack.tcp_close(self.env, conn, listen);
        self.trace_call(SocketCall::Close {
            sock: self.stack.sockets.shown(sock),
        });
        Ok(())
    }
}
