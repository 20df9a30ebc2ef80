//! Unix-domain sockets: IPC between applications on one host, over a socket
//! path, with the host's local latency and nothing on any link.

mod common;

use netsim::app::{App, Ctx};
use netsim::engine::Simulation;
use netsim::stack::{SocketError, SocketId, SocketType};
use std::cell::RefCell;
use std::rc::Rc;

/// What a scripted application saw, in order.
type Log = Rc<RefCell<Vec<String>>>;

fn scenario(text: &str) -> netsim::scenario::Scenario {
    netsim::scenario::parse("t.toml", text, "t").unwrap_or_else(|e| panic!("{e}"))
}

/// Two hosts joined by a link, and no flows.
const TWO_HOSTS: &str = "[simulation]\nduration = \"10ms\"\n[[node]]\nname = \"A\"\n\
    [[node]]\nname = \"B\"\n[[link]]\nbetween = [\"A\", \"B\"]\n";

#[test]
fn stream_exchange_on_one_host() {
    let t = common::trace_of("tests/fixtures/unix_exchange.toml");
    for expected in [
        "0.000000000 A connect sock=1 path=/tmp/app.sock",
        // Each hand-over takes the host's 25 us: connect, request, response, close.
        "0.000025000 A local-deliver path=/tmp/app.sock sock=0 connect peer=1",
        "0.000050000 A local-deliver path=/tmp/app.sock sock=2 len=100",
        "0.000075000 A local-deliver path=/tmp/app.sock sock=1 len=200",
        "0.000100000 A local-deliver path=/tmp/app.sock sock=2 hangup",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in\n{t}");
    }
    // Not one packet.
    assert!(!t.contains("pkt="), "{t}");
    insta::assert_snapshot!("unix_exchange", t);
}

#[test]
fn exchange_statistics() {
    let sc = netsim::run::load("tests/fixtures/unix_exchange.toml".as_ref(), None).unwrap();
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    let f = &r.flows[0];
    assert_eq!(
        (f.protocol.as_str(), f.to.as_str()),
        ("local", "A:/tmp/app.sock")
    );
    assert_eq!((f.sent_bytes, f.received_bytes), (100, 200));
    // Connect, request and response: three hand-overs of 25 us.
    assert_eq!(f.completion_s, Some(75e-6));
    let summary = r.summary();
    assert!(
        summary.contains("Local flows (Unix-domain sockets"),
        "{summary}"
    );
    assert!(summary.contains("A:/tmp/app.sock"), "{summary}");
}

#[test]
fn datagram_echo_keeps_boundaries() {
    let t = common::trace_of("tests/fixtures/unix_datagram.toml");
    let lens = |who: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.contains(&format!("recvfrom sock={who} ")))
            .map(|l| l.rsplit(' ').next().unwrap().to_string())
            .collect()
    };
    let expected = ["len=300", "len=300", "len=300", "len=100"];
    // The server gets the client's datagrams whole, the client the echoes.
    assert_eq!(lens("0"), expected, "{t}");
    assert_eq!(lens("1"), expected, "{t}");
    assert!(t.contains("A bind sock=1 path=@00000"), "{t}");
    assert!(!t.contains("pkt="), "{t}");

    let sc = netsim::run::load("tests/fixtures/unix_datagram.toml".as_ref(), None).unwrap();
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    let f = &r.flows[0];
    assert_eq!((f.sent_packets, f.sent_bytes), (4, 1000));
    assert_eq!((f.received_packets, f.received_bytes), (4, 1000));
    assert_eq!(f.in_flight_packets, 0);
    assert_eq!(f.completion_s, Some(20e-6)); // there and back, 10 us each
}

/// Writes three messages, of 100, 200 and 300 B, as datagrams and on a stream.
struct Writer;

impl App for Writer {
    fn start(&mut self, ctx: &mut Ctx) {
        let d = ctx.socket_unix(SocketType::Datagram);
        for len in [100, 200, 300] {
            ctx.sendto_unix(d, len, "/tmp/dgram.sock").unwrap();
        }
        let s = ctx.socket_unix(SocketType::Stream);
        ctx.connect_unix(s, "/tmp/stream.sock").unwrap();
    }

    fn connected(&mut self, ctx: &mut Ctx, sock: SocketId, result: Result<(), SocketError>) {
        result.unwrap();
        for len in [100, 200, 300] {
            assert_eq!(ctx.send_unix(sock, len), Ok(len));
        }
    }
}

/// Reads only at 1 ms, when everything has long arrived.
struct LateReader {
    dgram: Option<SocketId>,
    listener: Option<SocketId>,
    log: Log,
}

impl App for LateReader {
    fn start(&mut self, ctx: &mut Ctx) {
        let d = ctx.socket_unix(SocketType::Datagram);
        ctx.bind_unix(d, "/tmp/dgram.sock").unwrap();
        let l = ctx.socket_unix(SocketType::Stream);
        ctx.bind_unix(l, "/tmp/stream.sock").unwrap();
        ctx.listen_unix(l, 8).unwrap();
        (self.dgram, self.listener) = (Some(d), Some(l));
        ctx.wake_at(netsim::sim::SimTime::from_millis(1), 0);
    }

    fn wake(&mut self, ctx: &mut Ctx, _token: u64) {
        let mut log = self.log.borrow_mut();
        while let Some(d) = ctx.recvfrom_unix(self.dgram.unwrap()).unwrap() {
            log.push(format!("datagram {}", d.len));
        }
        let conn = ctx.accept_unix(self.listener.unwrap()).unwrap().unwrap();
        log.push(format!("stream {}", ctx.recv_unix(conn, u64::MAX).unwrap()));
        assert_eq!(ctx.recv_unix(conn, u64::MAX), Err(SocketError::WouldBlock));
    }
}

#[test]
fn datagrams_stay_whole_where_a_stream_runs_together() {
    let log = Log::default();
    let mut sim = Simulation::new(scenario(TWO_HOSTS), Default::default()).unwrap();
    let reader = LateReader {
        dgram: None,
        listener: None,
        log: log.clone(),
    };
    sim.add_app("A", Box::new(reader)).unwrap();
    sim.add_app("A", Box::new(Writer)).unwrap();
    sim.run().unwrap();
    assert_eq!(
        *log.borrow(),
        ["datagram 100", "datagram 200", "datagram 300", "stream 600"]
    );
}

/// Sends 10-byte datagrams to a reader that is slow to read.
struct Flood {
    sock: Option<SocketId>,
    log: Log,
}

impl Flood {
    fn fill(&mut self, ctx: &mut Ctx) {
        let sock = self.sock.unwrap();
        let mut sent = 0;
        while ctx.sendto_unix(sock, 10, "/tmp/slow.sock").is_ok() {
            sent += 1;
        }
        self.log
            .borrow_mut()
            .push(format!("{} sent {sent}", ctx.now()));
    }
}

impl App for Flood {
    fn start(&mut self, ctx: &mut Ctx) {
        self.sock = Some(ctx.socket_unix(SocketType::Datagram));
        self.fill(ctx);
        assert_eq!(
            ctx.sendto_unix(self.sock.unwrap(), 10, "/tmp/slow.sock"),
            Err(SocketError::WouldBlock)
        );
    }

    fn writable(&mut self, ctx: &mut Ctx, _sock: SocketId) {
        self.fill(ctx);
    }
}

/// Binds /tmp/slow.sock and reads one datagram at 1 ms.
struct Slow(Option<SocketId>);

impl App for Slow {
    fn start(&mut self, ctx: &mut Ctx) {
        let s = ctx.socket_unix(SocketType::Datagram);
        ctx.bind_unix(s, "/tmp/slow.sock").unwrap();
        self.0 = Some(s);
        ctx.wake_at(netsim::sim::SimTime::from_millis(1), 0);
    }

    fn wake(&mut self, ctx: &mut Ctx, _token: u64) {
        ctx.recvfrom_unix(self.0.unwrap()).unwrap().unwrap();
    }
}

#[test]
fn a_full_datagram_receiver_blocks_the_sender_until_it_reads() {
    let log = Log::default();
    let mut sim = Simulation::new(scenario(TWO_HOSTS), Default::default()).unwrap();
    sim.add_app("A", Box::new(Slow(None))).unwrap();
    let flood = Flood {
        sock: None,
        log: log.clone(),
    };
    sim.add_app("A", Box::new(flood)).unwrap();
    sim.run().unwrap();
    // Linux refuses (EAGAIN) while more than 10 datagrams wait
    // (net.unix.max_dgram_qlen); one read makes room for one more.
    assert_eq!(*log.borrow(), ["0.000000000 sent 11", "0.001000000 sent 1"]);
}

#[test]
fn a_path_on_another_host_is_rejected_by_validation() {
    let e = netsim::scenario::load("tests/fixtures/unix_other_host.toml".as_ref()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "tests/fixtures/unix_other_host.toml:14:6: a Unix-domain socket path is reachable only on its own host; flow `ipc` starts on `A`, so expected to = \"A:/tmp/app.sock\""
    );
    assert_eq!(e.exit_code(), 2);
}

/// Tries the calls that must fail, once, and logs the errors.
struct Prober {
    log: Log,
}

impl App for Prober {
    fn start(&mut self, ctx: &mut Ctx) {
        let mut log = self.log.borrow_mut();
        let s = ctx.socket_unix(SocketType::Stream);
        log.push(format!(
            "connect: {:?}",
            ctx.connect_unix(s, "/tmp/app.sock")
        ));
        let d = ctx.socket_unix(SocketType::Datagram);
        log.push(format!(
            "sendto: {:?}",
            ctx.sendto_unix(d, 10, "/tmp/app.sock")
        ));
        log.push(format!("inet bind: {:?}", ctx.bind(s, 80)));
    }
}

#[test]
fn a_path_on_another_host_cannot_be_reached() {
    // A listens on /tmp/app.sock; a program on B looks for the same path.
    let text = format!(
        "{TWO_HOSTS}[[flow]]\nname = \"ipc\"\nprotocol = \"local\"\nfrom = \"A\"\nto = \"A:/tmp/app.sock\"\napp = \"echo\"\nbytes = \"1kB\"\n"
    );
    let log = Log::default();
    let mut sim = Simulation::new(scenario(&text), Default::default()).unwrap();
    sim.add_app("B", Box::new(Prober { log: log.clone() }))
        .unwrap();
    let r = sim.run().unwrap();
    assert_eq!(
        *log.borrow(),
        [
            "connect: Err(NoEntry)",
            "sendto: Err(NoEntry)",
            "inet bind: Err(WrongFamily)"
        ]
    );
    // On A itself the echo went through.
    assert_eq!(r.flows[0].received_bytes, 1000);
    assert_eq!(
        SocketError::NoEntry.to_string(),
        "no such file or directory (ENOENT)"
    );
}

/// Connects to paths that exist but cannot take a stream connection.
struct WrongPeers {
    log: Log,
}

impl App for WrongPeers {
    fn start(&mut self, ctx: &mut Ctx) {
        let mut log = self.log.borrow_mut();
        let bound = ctx.socket_unix(SocketType::Stream);
        ctx.bind_unix(bound, "/tmp/bound.sock").unwrap();
        let dgram = ctx.socket_unix(SocketType::Datagram);
        ctx.bind_unix(dgram, "/tmp/dgram.sock").unwrap();
        let again = ctx.socket_unix(SocketType::Datagram);
        log.push(format!(
            "bind: {:?}",
            ctx.bind_unix(again, "/tmp/dgram.sock")
        ));
        let s = ctx.socket_unix(SocketType::Stream);
        log.push(format!(
            "no listener: {:?}",
            ctx.connect_unix(s, "/tmp/bound.sock")
        ));
        log.push(format!(
            "datagram: {:?}",
            ctx.connect_unix(s, "/tmp/dgram.sock")
        ));
        ctx.close(dgram).unwrap();
        log.push(format!(
            "closed: {:?}",
            ctx.connect_unix(s, "/tmp/dgram.sock")
        ));
    }
}

#[test]
fn connect_errors_are_those_of_linux() {
    let log = Log::default();
    let mut sim = Simulation::new(scenario(TWO_HOSTS), Default::default()).unwrap();
    sim.add_app("A", Box::new(WrongPeers { log: log.clone() }))
        .unwrap();
    sim.run().unwrap();
    assert_eq!(
        *log.borrow(),
        [
            "bind: Err(AddressInUse)",
            "no listener: Err(ConnectionRefused)",
            "datagram: Err(WrongProtocolType)",
            // Closing the socket removed its path.
            "closed: Err(NoEntry)",
        ]
    );
}

#[test]
fn links_see_nothing_of_local_traffic() {
    let t = common::trace_of("tests/fixtures/unix_bulk.toml");
    for absent in ["pkt=", "enqueue", "transmit", "receive", "drop"] {
        assert!(!t.contains(absent), "`{absent}` in\n{t}");
    }
    // The writer's buffer (212992 B) fills; each read lets it write more.
    assert_eq!(t.matches("accepted=212992").count(), 4, "{t}");
    assert_eq!(t.matches("accepted=0").count(), 4, "{t}");

    let sc = netsim::run::load("tests/fixtures/unix_bulk.toml".as_ref(), None).unwrap();
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(r.flows[0].received_bytes, 1_000_000);
    assert_eq!(r.flows[0].completion_s, Some(60e-6));
    assert_eq!(r.links.len(), 2);
    for l in &r.links {
        assert_eq!(
            (l.tx_packets, l.tx_bytes, l.drops, l.peak_queue_packets),
            (0, 0, 0, 0),
            "{}",
            l.name
        );
        assert_eq!(l.utilization, 0.0);
    }
    assert!(r.node_drops.is_empty());
    assert!(r.tcp.is_empty());
}

#[test]
fn local_latency_is_a_host_key() {
    let text = "[[node]]\nname = \"A\"\nlocal_latency = \"1ms\"\n[[node]]\nname = \"B\"\n\
        [[link]]\nbetween = [\"A\", \"B\"]\n\
        [[flow]]\nprotocol = \"local\"\nfrom = \"B\"\nto = \"B\"\napp = \"bulk\"\nbytes = \"1kB\"\n\
        [[flow]]\nprotocol = \"local\"\nfrom = \"A\"\nto = \"A\"\napp = \"bulk\"\nbytes = \"1kB\"\n";
    let sc = scenario(text);
    assert_eq!(
        sc.nodes[0].local_latency,
        netsim::sim::SimTime::from_millis(1)
    );
    // The default: 10 us.
    assert_eq!(
        sc.nodes[1].local_latency,
        netsim::sim::SimTime::from_micros(10)
    );
    // Without a path: /tmp/FLOW.sock.
    assert_eq!(sc.flows[0].local().unwrap().path, "/tmp/flow1.sock");
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    // Connect, then the data: two hand-overs.
    assert_eq!(r.flows[0].completion_s, Some(20e-6));
    assert_eq!(r.flows[1].completion_s, Some(2e-3));
}

#[test]
fn local_keys_are_checked() {
    let base =
        "[[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n[[link]]\nbetween = [\"A\", \"B\"]\n";
    let err = |flows: &str| {
        netsim::scenario::parse("t.toml", &format!("{base}{flows}"), "t")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        err("[[flow]]\nfrom = \"A\"\nto = \"B\"\nsocket = \"datagram\"\n"),
        "t.toml:10:10: `socket` applies to protocol = \"local\" flows only; expected no `socket` key here"
    );
    assert_eq!(
        err("[[flow]]\nprotocol = \"local\"\nfrom = \"A\"\nto = \"A:tmp.sock\"\n"),
        "t.toml:10:6: `tmp.sock` is not a Unix-domain socket path; expected \"NODE:/PATH\" with a path of at most 107 bytes, e.g. \"A:/tmp/app.sock\""
    );
    assert_eq!(
        err(
            "[[flow]]\nprotocol = \"local\"\nfrom = \"A\"\nto = \"A:/s\"\n\
             [[flow]]\nprotocol = \"local\"\nfrom = \"A\"\nto = \"A:/s\"\nsocket = \"datagram\"\n"
        ),
        "t.toml:15:10: path `/s` is already used by stream flow `flow1`; expected one socket type per path on a host"
    );
    assert_eq!(
        err(
            "[[flow]]\nprotocol = \"local\"\nfrom = \"A\"\nto = \"A:/s\"\nsocket = \"datagram\"\n\
             app = \"request-response\"\nresponse_size = \"1MB\"\n"
        ),
        "t.toml:13:17: response_size 1000000B does not fit in one Unix datagram; expected at most 212992B (or socket = \"stream\")"
    );
}
