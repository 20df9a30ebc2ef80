//! TCP as a scenario sees it: trace snapshots of the textbook exchanges, and a
//! transfer's completion time against the arithmetic of handshake, slow start,
//! headers and the bottleneck rate.

mod common;

use netsim::engine::Simulation;

#[test]
fn handshake_exchange_and_four_way_close() {
    let t = common::trace_of("tests/fixtures/tcp_exchange.toml");
    for expected in [
        "client tcp-state 10.0.0.1:49152>10.0.0.2:80 CLOSED -> SYN-SENT",
        "server tcp-state 10.0.0.2:80>10.0.0.1:49152 LISTEN -> SYN-RECEIVED",
        "client tcp-state 10.0.0.1:49152>10.0.0.2:80 SYN-SENT -> ESTABLISHED",
        "server accept sock=0 new=1 from=10.0.0.1:49152",
        "client tcp-state 10.0.0.1:49152>10.0.0.2:80 FIN-WAIT-2 -> TIME-WAIT",
        "server tcp-state 10.0.0.2:80>10.0.0.1:49152 LAST-ACK -> CLOSED",
    ] {
        assert!(t.contains(expected), "missing `{expected}` in\n{t}");
    }
    // SYN: 20 B IPv4 + 20 B TCP + 12 B of options (MSS, SACK-permitted, window scale).
    assert!(t.contains("size=52 flags=SYN seq="), "{t}");
    insta::assert_snapshot!("tcp_exchange", t);
}

#[test]
fn syn_to_a_closed_port_is_answered_by_rst() {
    let t = common::trace_of("tests/fixtures/tcp_refused.toml");
    assert!(t.contains("flags=RST|ACK seq=0"), "{t}");
    assert!(
        t.contains("socket-error sock=0 connection refused (ECONNREFUSED)"),
        "{t}"
    );
    insta::assert_snapshot!("tcp_refused", t);
}

#[test]
fn lost_segment_repaired_by_fast_retransmit() {
    let t = common::trace_of("tests/fixtures/tcp_fast_retransmit.toml");
    assert_eq!(t.matches("reason=injected").count(), 1, "{t}");
    assert_eq!(t.matches("cause=fast-retransmit").count(), 1, "{t}");
    assert!(!t.contains("cause=rto"), "{t}");
    insta::assert_snapshot!("tcp_fast_retransmit", t);
}

#[test]
fn lost_last_segment_repaired_by_a_tail_loss_probe() {
    let t = common::trace_of("tests/fixtures/tcp_tail_loss_probe.toml");
    assert_eq!(t.matches("reason=injected").count(), 1, "{t}");
    assert_eq!(t.matches("loss-probe expired").count(), 1, "{t}");
    assert_eq!(t.matches("cause=loss-probe").count(), 1, "{t}");
    assert!(!t.contains("cause=rto"), "{t}");
    // The probe leaves 2·SRTT + 200 ms after the last ACK, well inside the
    // 1 s retransmission timeout.
    let at = |needle: &str| -> f64 {
        let line = t.lines().find(|l| l.contains(needle)).unwrap();
        line.split(' ').next().unwrap().parse().unwrap()
    };
    let gap = at("cause=loss-probe") - at("reason=injected");
    assert!(gap > 0.2 && gap < 0.3, "{gap}");
    insta::assert_snapshot!("tcp_tail_loss_probe", t);
}

#[test]
fn lost_segment_repaired_by_rto_with_backoff() {
    let t = common::trace_of("tests/fixtures/tcp_rto.toml");
    let rto: Vec<f64> = t
        .lines()
        .filter(|l| l.contains("cause=rto"))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(rto.len(), 2, "{t}");
    // The second timeout is twice the first (200 ms minimum RTO, doubled).
    assert!((rto[1] - rto[0] - 0.4).abs() < 1e-9, "{rto:?}");
    insta::assert_snapshot!("tcp_rto", t);
}

/// The 10 MB transfer of the issue: 10 Mbps / 20 ms, MSS 1448, a queue deep
/// enough that nothing is dropped.
#[test]
fn completion_time_of_10_mb_matches_the_arithmetic() {
    let sc = netsim::run::load("scenarios/tcp-transfer.toml".as_ref(), None).unwrap();
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    let f = &r.flows[0];
    assert_eq!(f.received_bytes, 10_000_000);
    assert_eq!(f.lost_packets, 0);
    let measured = f.completion_s.expect("the transfer completes");

    let rate = 10e6; // bit/s
    let d = 0.020; // one-way propagation, s
    let mss = 1448.0;
    let seg = (mss + 40.0) * 8.0 / rate; // a full segment on the wire: 1.1904 ms
    let ack = 40.0 * 8.0 / rate; // a pure ACK: 32 us
    let syn = 52.0 * 8.0 / rate; // SYN and SYN-ACK with 12 B of options: 41.6 us
    // 1. Handshake: SYN out, SYN-ACK back; data may leave with the third segment.
    let handshake = 2.0 * (syn + d);
    // 2. Every byte with its headers through the bottleneck: 6,907 segments
    //    (6,906 full and one of 112 B), 40 B of IPv4 + TCP headers each.
    let segments = (10_000_000f64 / mss).ceil();
    let wire = (10_000_000.0 + 40.0 * segments) * 8.0 / rate;
    // 3. Slow start leaves the link idle while the window is smaller than the
    //    path: each round trip the sender sends cwnd segments, then waits for the
    //    first ACK (RTT = 2d + one segment + one ACK). Starting at 10 segments
    //    (RFC 6928), with an ACK for every second segment (delayed ACKs) each
    //    adding one segment (RFC 5681), cwnd grows by half per round trip.
    let rtt = 2.0 * d + seg + ack;
    let (mut cwnd, mut idle) = (10.0f64, 0.0);
    while cwnd * seg < rtt {
        idle += rtt - cwnd * seg;
        cwnd += (cwnd / 2.0).ceil();
    }
    // 4. The last segment still propagates to the receiver.
    let predicted = handshake + idle + wire + d;
    let error = (measured - predicted) / predicted;
    eprintln!(
        "10 MB: measured {measured:.4} s, predicted {predicted:.4} s (handshake {handshake:.4}, slow-start idle {idle:.4}, wire {wire:.4}), error {:+.2}%",
        error * 100.0
    );
    assert!(
        error.abs() < 0.02,
        "measured {measured}, predicted {predicted}"
    );
}

#[test]
fn no_stream_integrity_errors_under_loss() {
    // A lossy path: every byte still arrives, in order, checked segment by segment.
    let text = "[simulation]\nduration = \"60s\"\nseed = 3\n[[node]]\nname = \"a\"\n[[node]]\nname = \"b\"\n\
        [[link]]\nbetween = [\"a\", \"b\"]\nbandwidth = \"10Mbps\"\ndelay = \"10ms\"\nloss = 0.02\n\
        [[flow]]\nprotocol = \"tcp\"\nfrom = \"a\"\nto = \"b:80\"\nbytes = \"2MB\"\n";
    let sc = netsim::scenario::parse("t.toml", text, "t").unwrap();
    let r = Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap();
    assert_eq!(r.flows[0].received_bytes, 2_000_000);
    assert!(r.tcp.iter().all(|c| c.integrity_errors == 0));
    assert!(r.tcp[0].segments_retransmitted > 0);
}

#[test]
fn zero_window_and_its_probes() {
    let t = common::trace_of("tests/fixtures/tcp_zero_window.toml");
    assert!(t.contains(" win=0 len=0"), "{t}");
    let persist: Vec<f64> = t
        .lines()
        .filter(|l| l.contains("persist expired"))
        .map(|l| l.split(' ').next().unwrap().parse().unwrap())
        .collect();
    assert!(persist.len() >= 2, "{t}");
    // The persist timer backs off: each interval is longer than the one before.
    assert!(persist[1] - persist[0] > 0.2, "{persist:?}");
    assert!(t.contains("1.000000000 server recv sock=1 len=4000"), "{t}");
    insta::assert_snapshot!("tcp_zero_window", t);
}

#[test]
fn simultaneous_close_passes_through_closing() {
    let t = common::trace_of("tests/fixtures/tcp_simultaneous_close.toml");
    for side in [
        "client tcp-state 10.0.0.1:49152>10.0.0.2:80",
        "server tcp-state 10.0.0.2:80>10.0.0.1:49152",
    ] {
        assert!(t.contains(&format!("{side} FIN-WAIT-1 -> CLOSING")), "{t}");
        assert!(t.contains(&format!("{side} CLOSING -> TIME-WAIT")), "{t}");
    }
    assert!(!t.contains("CLOSE-WAIT") && !t.contains("LAST-ACK"), "{t}");
    insta::assert_snapshot!("tcp_simultaneous_close", t);
}
