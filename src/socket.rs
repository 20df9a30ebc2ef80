//! The BSD-like socket layer: the socket table, UDP port demultiplexing, and the
//! calls applications make (`socket`, `bind`, `sendto`, `recvfrom`, `close`).
//!
//! The table owns socket state only. The calls live on `app::Ctx`, which gives
//! them the network to send on and the trace to record them in.

use crate::app::Ctx;
use crate::net::packet::{Packet, Transport};
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
}

impl SocketType {
    fn name(self) -> &'static str {
        match self {
            SocketType::Datagram => "dgram",
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
}

/// A datagram waiting in a socket's receive buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Datagram {
    pub from: Ipv4Addr,
    pub from_port: u16,
    pub len: u32,
    pub payload_origin: u64,
}

struct Socket {
    node: u32,
    app: u32,
    ty: SocketType,
    port: Option<u16>,
    rx: VecDeque<Datagram>,
    rx_bytes: u64,
    open: bool,
    /// The flow the owning application sends for (statistics only).
    flow: u32,
}

/// Linux's default receive buffer (net.core.rmem_default).
pub const DEFAULT_RECV_BUFFER: u64 = 212_992;
const EPHEMERAL: std::ops::RangeInclusive<u16> = 49_152..=65_535;

/// What happened to a UDP datagram handed up by IP.
pub enum UdpDelivery {
    /// Queued on a socket; its owner should be told it is readable.
    Queued {
        app: u32,
        sock: SocketId,
    },
    PortUnreachable,
    BufferFull,
}

#[derive(Default)]
pub struct SocketTable {
    sockets: Vec<Socket>,
    udp_ports: BTreeMap<(u32, u16), SocketId>,
}

impl SocketTable {
    fn open(&self, s: SocketId) -> Result<&Socket, SocketError> {
        self.sockets
            .get(s.0 as usize)
            .filter(|s| s.open)
            .ok_or(SocketError::BadDescriptor)
    }

    fn open_mut(&mut self, s: SocketId) -> Result<&mut Socket, SocketError> {
        self.sockets
            .get_mut(s.0 as usize)
            .filter(|s| s.open)
            .ok_or(SocketError::BadDescriptor)
    }

    /// Hands a UDP datagram that reached `node` to the socket bound to its port.
    pub fn deliver_udp(&mut self, node: u32, p: &Packet, udp: &UdpRepr) -> UdpDelivery {
        let Some(&sock) = self.udp_ports.get(&(node, udp.dst_port)) else {
            return UdpDelivery::PortUnreachable;
        };
        let s = &mut self.sockets[sock.0 as usize];
        if s.rx_bytes + u64::from(udp.payload_len) > DEFAULT_RECV_BUFFER {
            return UdpDelivery::BufferFull;
        }
        s.rx_bytes += u64::from(udp.payload_len);
        s.rx.push_back(Datagram {
            from: p.src_addr,
            from_port: udp.src_port,
            len: udp.payload_len,
            payload_origin: p.payload_origin,
        });
        UdpDelivery::Queued { app: s.app, sock }
    }

    fn free_port(&self, node: u32) -> Option<u16> {
        EPHEMERAL
            .clone()
            .find(|p| !self.udp_ports.contains_key(&(node, *p)))
    }
}

impl Ctx<'_> {
    /// `socket(AF_INET, type, 0)`
    pub fn socket(&mut self, ty: SocketType) -> SocketId {
        let t = &mut self.world.sockets;
        let id = SocketId(t.sockets.len() as u32);
        t.sockets.push(Socket {
            node: self.node,
            app: self.app,
            ty,
            port: None,
            rx: VecDeque::new(),
            rx_bytes: 0,
            open: true,
            flow: self.flow,
        });
        self.trace_call(SocketCall::Socket {
            sock: id.0,
            kind: ty.name(),
        });
        id
    }

    /// `bind(sock, {INADDR_ANY, port})`; port 0 picks an ephemeral port.
    pub fn bind(&mut self, sock: SocketId, port: u16) -> Result<u16, SocketError> {
        let node = self.node;
        let t = &mut self.world.sockets;
        if t.open(sock)?.port.is_some() {
            return Err(SocketError::AlreadyBound);
        }
        let port = if port == 0 {
            t.free_port(node).ok_or(SocketError::NoPortAvailable)?
        } else {
            port
        };
        if t.udp_ports.contains_key(&(node, port)) {
            return Err(SocketError::AddressInUse);
        }
        t.udp_ports.insert((node, port), sock);
        t.open_mut(sock)?.port = Some(port);
        self.trace_call(SocketCall::Bind { sock: sock.0, port });
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
        if u64::from(len) > crate::scenario::MAX_UDP_PAYLOAD {
            return Err(SocketError::MessageTooLong);
        }
        if self.world.sockets.open(sock)?.port.is_none() {
            self.bind(sock, 0)?;
        }
        let dst = self
            .world
            .net
            .node_by_address(to)
            .ok_or(SocketError::HostUnreachable)?;
        let s = self.world.sockets.open(sock)?;
        if s.ty != SocketType::Datagram {
            return Err(SocketError::WrongType);
        }
        let (src_port, flow) = (s.port.unwrap_or(0), s.flow);
        self.trace_call(SocketCall::SendTo {
            sock: sock.0,
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
            src_addr: self.world.net.nodes[node as usize].addr,
            dst_addr: to,
            ttl: self.ttl,
            transport: Transport::Udp(UdpRepr {
                src_port,
                dst_port: port,
                payload_len: len,
            }),
            payload_origin: origin,
            flow,
            sent_at: self.world.now,
        };
        self.world.stats.sent(flow, len);
        self.world.send_from_host(node, packet);
        Ok(())
    }

    /// `recvfrom(sock)`: the oldest waiting datagram, or `None` (EWOULDBLOCK).
    pub fn recvfrom(&mut self, sock: SocketId) -> Result<Option<Datagram>, SocketError> {
        let s = self.world.sockets.open_mut(sock)?;
        let Some(d) = s.rx.pop_front() else {
            return Ok(None);
        };
        s.rx_bytes -= u64::from(d.len);
        self.trace_call(SocketCall::RecvFrom {
            sock: sock.0,
            from: d.from,
            port: d.from_port,
            len: d.len,
        });
        Ok(Some(d))
    }

    /// `close(sock)`: frees the port; waiting datagrams are discarded.
    pub fn close(&mut self, sock: SocketId) -> Result<(), SocketError> {
        let node = self.node;
        let t = &mut self.world.sockets;
        let s = t.open_mut(sock)?;
        s.open = false;
        s.rx.clear();
        s.rx_bytes = 0;
        if let Some(port) = s.port.take() {
            debug_assert_eq!(s.node, node);
            t.udp_ports.remove(&(node, port));
        }
        self.trace_call(SocketCall::Close { sock: sock.0 });
        Ok(())
    }
}
