//! The packet network's rules: TTL, ports nobody bound, router failures,
//! failure files and random failure processes.

use netsim::engine::Simulation;
use netsim::stats::Report;

fn run(text: &str) -> Report {
    let sc = netsim::scenario::parse("tests/fixtures/net.toml", text, "net")
        .unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap()
}

fn lost(r: &Report, cause: &str) -> u64 {
    r.flows[0]
        .lost_by_reason
        .iter()
        .find(|c| c.reason == cause)
        .map_or(0, |c| c.count)
}

/// A - R1 - R2 - B, then `extra` (flows, failures).
fn line(extra: &str) -> String {
    format!(
        "[simulation]\nduration = \"5s\"\n[routing]\ndetection = \"10ms\"\nconvergence = \"10ms\"\n\
         [[node]]\nname = \"A\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n[[node]]\nname = \"R2\"\nkind = \"router\"\n[[node]]\nname = \"B\"\n\
         [[link]]\nbetween = [\"A\", \"R\"]\n[[link]]\nbetween = [\"R\", \"R2\"]\n[[link]]\nbetween = [\"R2\", \"B\"]\n{extra}"
    )
}

#[test]
fn ttl_expires_at_the_router_that_decrements_it_to_zero() {
    // TTL 2: R decrements to 1, R2 to 0 and drops. TTL 3 gets through.
    let r = run(&line(
        "[[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"80kbps\"\nttl = 2\n",
    ));
    assert_eq!(r.flows[0].received_packets, 0);
    assert_eq!(lost(&r, "ttl-expired"), r.flows[0].sent_packets);
    let r = run(&line(
        "[[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"80kbps\"\nttl = 3\n",
    ));
    assert_eq!(r.flows[0].lost_packets, 0);
}

#[test]
fn datagram_to_a_port_nobody_bound_is_counted_port_unreachable() {
    let r = run(&line(
        "[[flow]]\nfrom = \"A\"\nto = \"B:7777\"\nrate = \"80kbps\"\nsink = false\n",
    ));
    assert_eq!(r.flows[0].sent_packets, 50);
    assert_eq!(lost(&r, "port-unreachable"), 50);
    assert_eq!(r.node_drops[0].reason, "port-unreachable");
}

#[test]
fn failure_file_and_router_failures() {
    // The file takes R-B... there is no R-B link: the file names elements of
    // this scenario, so use one that has them.
    let text = "[simulation]\nduration = \"5s\"\n[routing]\ndetection = \"10ms\"\nconvergence = \"10ms\"\n\
        [[node]]\nname = \"A\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n[[node]]\nname = \"B\"\n\
        [[link]]\nbetween = [\"A\", \"R\"]\n[[link]]\nbetween = [\"R\", \"B\"]\n\
        [[failure]]\nfile = \"failures.csv\"\n\
        [[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"80kbps\"\n";
    let r = run(text);
    // Two outages from the file: R-B for 1 s, router R for 0.5 s: about 15 of
    // the 50 datagrams (10 per second) are lost, none outside the outages.
    let elements: Vec<&str> = r.outages.iter().map(|o| o.element.as_str()).collect();
    assert_eq!(elements, ["R-B", "R"]);
    let f = &r.flows[0];
    assert!((14..=17).contains(&f.lost_packets), "{f:?}");
    assert_eq!(
        f.received_packets + f.lost_packets + f.in_flight_packets,
        50
    );
}

#[test]
fn random_failures_are_reproducible_and_change_with_the_seed() {
    let text = |seed: u64| {
        line("[[failure]]\nlink = [\"R\", \"R2\"]\nmtbf = \"500ms\"\nmttr = \"100ms\"\n[[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"800kbps\"\n")
        .replace("duration = \"5s\"", &format!("duration = \"5s\"\nseed = {seed}"))
    };
    let down = |r: &Report| {
        r.outages
            .iter()
            .map(|o| (o.down_s, o.up_s))
            .collect::<Vec<_>>()
    };
    let (a, b, c) = (run(&text(1)), run(&text(1)), run(&text(2)));
    assert!(down(&a).len() >= 3, "{:?}", down(&a));
    assert_eq!(down(&a), down(&b));
    assert_ne!(down(&a), down(&c));
    assert!(a.flows[0].lost_packets > 0);
}
