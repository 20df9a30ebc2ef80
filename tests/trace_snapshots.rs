//! Full traces of small scenarios, each checkable by hand against the arithmetic
//! in the fixture's comments. Snapshots live in tests/snapshots/.

mod common;

#[test]
fn one_packet_across_three_hops() {
    let t = common::trace_of("tests/fixtures/three_hops.toml");
    // The arithmetic of the fixture: 822.4 us serialization + 1 ms per hop.
    assert!(t.contains("0.005467200 B deliver pkt=0"), "{t}");
    insta::assert_snapshot!("three_hops", t);
}

#[test]
fn bottleneck_queue_overflows() {
    let t = common::trace_of("tests/fixtures/bottleneck.toml");
    assert_eq!(t.matches("reason=queue-overflow").count(), 3, "{t}");
    assert_eq!(t.matches(" deliver ").count(), 3, "{t}");
    insta::assert_snapshot!("bottleneck", t);
}

#[test]
fn lossy_link_drops_some() {
    let t = common::trace_of("tests/fixtures/lossy.toml");
    let lost = t.matches("reason=random-loss").count();
    let delivered = t.matches(" deliver ").count();
    assert_eq!(lost + delivered, 10, "{t}");
    assert!(lost > 0 && delivered > 0, "{t}");
    insta::assert_snapshot!("lossy", t);
}

#[test]
fn urgent_byte_marked_and_delivered_out_of_band() {
    let t = common::trace_of("tests/fixtures/tcp_urgent.toml");
    // The arithmetic of the fixture: the urgent point 3750653582 is the byte
    // after the urgent byte, SEG.SEQ + urg on every URG segment.
    for expected in [
        "client send sock=0 len=1 accepted=1 oob",
        "flags=ACK|URG seq=3750652581 ack=1249833583 win=32768 len=0 urg=1001",
        "flags=ACK|URG seq=3750652581 ack=1249833583 win=32768 len=500 urg=1001",
        "flags=ACK|URG seq=3750653081 ack=1249833583 win=32768 len=500 urg=501",
        "flags=ACK|URG seq=3750653581 ack=1249833583 win=32768 len=500 urg=1",
        "0.016011200 server urgent 10.0.0.2:80>10.0.0.1:49152 up=3750653582",
        "0.036475200 server recv sock=1 len=1 oob offset=2000",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in\n{t}");
    }
    assert!(!t.contains("seq=3750654081 ack=1249833583 win=32768 len=500 urg="));
    let inline: u64 = t
        .lines()
        .filter(|l| l.contains("server recv ") && !l.contains(" oob"))
        .map(|l| l.rsplit("len=").next().unwrap().parse::<u64>().unwrap())
        .sum();
    assert_eq!(inline, 2999, "{t}");
    insta::assert_snapshot!("tcp_urgent", t);
}
