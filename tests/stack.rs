//! The per-host stack seen from applications: a context reaches its own host's
//! sockets and nothing else.

use netsim::app::{App, Ctx};
use netsim::engine::Simulation;
use netsim::sim::SimTime;
use netsim::stack::{SocketError, SocketId, SocketType};
use std::cell::RefCell;
use std::rc::Rc;

/// The descriptors A's program opened, and what each program saw.
#[derive(Default)]
struct Shared {
    a_sockets: Vec<SocketId>,
    log: Vec<String>,
}

type Board = Rc<RefCell<Shared>>;

/// On A: opens an AF_INET datagram socket bound to port 7, a stream socket
/// listening on port 80 and a Unix-domain socket; later checks that they are
/// still its own, untouched.
struct Owner(Board);

impl App for Owner {
    fn start(&mut self, ctx: &mut Ctx) {
        let udp = ctx.socket(SocketType::Datagram);
        ctx.bind(udp, 7).unwrap();
        let tcp = ctx.socket(SocketType::Stream);
        ctx.bind(tcp, 80).unwrap();
        ctx.listen(tcp, 4).unwrap();
        let unix = ctx.socket_unix(SocketType::Datagram);
        self.0.borrow_mut().a_sockets = vec![udp, tcp, unix];
        ctx.wake_at(SimTime::from_millis(1), 0);
    }

    fn wake(&mut self, ctx: &mut Ctx, _token: u64) {
        let mut b = self.0.borrow_mut();
        let [udp, tcp, unix] = b.a_sockets[..] else {
            panic!("three sockets")
        };
        let checks = format!(
            "A after: bind udp {:?}, accept {:?}, recvfrom_unix {:?}",
            ctx.bind(udp, 9),
            ctx.accept(tcp),
            ctx.recvfrom_unix(unix)
        );
        b.log.push(checks);
    }
}

/// On B: tries every kind of call on A's descriptors.
struct Intruder(Board);

impl App for Intruder {
    fn start(&mut self, ctx: &mut Ctx) {
        let mut b = self.0.borrow_mut();
        let [udp, tcp, unix] = b.a_sockets[..] else {
            panic!("A's program starts first")
        };
        let a = netsim::wire::ipv4::Ipv4Addr([10, 0, 0, 1]);
        let tries = [
            format!("sendto {:?}", ctx.sendto(udp, 10, a, 7)),
            format!("recvfrom {:?}", ctx.recvfrom(udp)),
            format!("bind {:?}", ctx.bind(udp, 0)),
            format!("accept {:?}", ctx.accept(tcp)),
            format!("send {:?}", ctx.send(tcp, 10)),
            format!("close tcp {:?}", ctx.close(tcp)),
            format!("recvfrom_unix {:?}", ctx.recvfrom_unix(unix)),
            format!("close unix {:?}", ctx.close(unix)),
        ];
        b.log.extend(tries);
    }
}

#[test]
fn an_application_reaches_only_its_own_hosts_sockets() {
    let text = "[simulation]\nduration = \"10ms\"\n[[node]]\nname = \"A\"\n\
        [[node]]\nname = \"B\"\n[[link]]\nbetween = [\"A\", \"B\"]\n";
    let sc = netsim::scenario::parse("t.toml", text, "t").unwrap();
    let board = Board::default();
    let mut sim = Simulation::new(sc, Default::default()).unwrap();
    sim.add_app("A", Box::new(Owner(board.clone()))).unwrap();
    sim.add_app("B", Box::new(Intruder(board.clone()))).unwrap();
    sim.run().unwrap();
    let log = &board.borrow().log;
    let ebadf = "Err(BadDescriptor)";
    for line in &log[..8] {
        assert!(line.ends_with(ebadf), "B reached A's socket: {line}");
    }
    // A's sockets are as A left them: bound, listening with nobody waiting,
    // nothing received.
    assert_eq!(
        log[8],
        "A after: bind udp Err(AlreadyBound), accept Ok(None), recvfrom_unix Ok(None)"
    );
    assert_eq!(
        SocketError::BadDescriptor.to_string(),
        "bad socket descriptor (EBADF)"
    );
}
