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
