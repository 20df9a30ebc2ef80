//! A UDP sink: binds a port and reads every datagram that arrives.

use super::{App, Ctx};
use crate::stack::{SocketId, SocketType};

pub struct UdpSink {
    port: u16,
    sock: Option<SocketId>,
    pub received: u64,
}

impl UdpSink {
    pub fn new(port: u16) -> Self {
        UdpSink {
            port,
            sock: None,
            received: 0,
        }
    }
}

impl App for UdpSink {
    fn start(&mut self, ctx: &mut Ctx) {
        let s = ctx.socket(SocketType::Datagram);
        // Ports are checked for conflicts when the scenario is validated.
        ctx.bind(s, self.port).expect("sink port is free");
        self.sock = Some(s);
    }

    fn readable(&mut self, ctx: &mut Ctx, sock: SocketId) {
        while let Ok(Some(_)) = ctx.recvfrom(sock) {
            self.received += 1;
        }
    }
}
