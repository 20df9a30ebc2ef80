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

/// Two UDP flows across one lossy link, one each way: `loss_forward` and
/// `loss_reverse` set each direction, over `loss`.
#[test]
fn loss_can_differ_by_direction() {
    let text = |keys: &str| {
        format!(
            "[simulation]\nduration = \"10s\"\n\
             [[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n\
             [[link]]\nbetween = [\"A\", \"B\"]\n{keys}\n\
             [[flow]]\nname = \"ab\"\nfrom = \"A\"\nto = \"B\"\nrate = \"800kbps\"\n\
             [[flow]]\nname = \"ba\"\nfrom = \"B\"\nto = \"A\"\nrate = \"800kbps\"\n"
        )
    };
    let rate = |r: &Report, flow: &str| {
        let f = r.flows.iter().find(|f| f.name == flow).unwrap();
        f.lost_packets as f64 / f.sent_packets as f64
    };
    let one_way = run(&text("loss = 0.1\nloss_reverse = 0.0"));
    // About 1,000 datagrams each way: 10% ± a few points forward, none back.
    assert!(
        (rate(&one_way, "ab") - 0.1).abs() < 0.03,
        "{}",
        rate(&one_way, "ab")
    );
    assert_eq!(one_way.flows[1].lost_packets, 0);
    let reverse = run(&text("loss_reverse = 0.2"));
    assert_eq!(reverse.flows[0].lost_packets, 0);
    assert!(
        (rate(&reverse, "ba") - 0.2).abs() < 0.04,
        "{}",
        rate(&reverse, "ba")
    );
    // The forward direction draws from the same stream whether or not the
    // reverse direction is lossy: its losses are the same packets.
    let both = run(&text("loss = 0.1"));
    assert_eq!(both.flows[0].lost_packets, one_way.flows[0].lost_packets);
}

/// A diamond whose short path (1 ms) costs more than its long one (5 ms):
/// `cost` decides first, the delay only between equal costs.
#[test]
fn link_cost_picks_the_primary_path() {
    let text = |cost: &str| {
        format!(
            "[simulation]\nduration = \"2s\"\n\
             [[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n\
             [[node]]\nname = \"R1\"\nkind = \"router\"\n[[node]]\nname = \"R2\"\nkind = \"router\"\n\
             [[node]]\nname = \"R3\"\nkind = \"router\"\n[[node]]\nname = \"R4\"\nkind = \"router\"\n\
             [[link]]\nbetween = [\"A\", \"R1\"]\n[[link]]\nbetween = [\"R4\", \"B\"]\n\
             [[link]]\nbetween = [\"R1\", \"R2\"]\ndelay = \"1ms\"\n{cost}\n[[link]]\nbetween = [\"R2\", \"R4\"]\ndelay = \"1ms\"\n\
             [[link]]\nbetween = [\"R1\", \"R3\"]\ndelay = \"5ms\"\n[[link]]\nbetween = [\"R3\", \"R4\"]\ndelay = \"5ms\"\n\
             [[flow]]\nfrom = \"A\"\nto = \"B\"\nrate = \"80kbps\"\n"
        )
    };
    let carried =
        |r: &Report, link: &str| r.links.iter().find(|l| l.name == link).unwrap().tx_packets;
    let by_delay = run(&text(""));
    assert!(carried(&by_delay, "R1->R2") > 0);
    assert_eq!(carried(&by_delay, "R1->R3"), 0);
    let by_cost = run(&text("cost = 10"));
    assert_eq!(carried(&by_cost, "R1->R2"), 0);
    assert_eq!(carried(&by_cost, "R1->R3"), carried(&by_delay, "R1->R2"));
}
