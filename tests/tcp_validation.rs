//! TCP against the literature: the square-root law of Mathis et al. under random
//! loss, and the 10 MB transfer through a 100-packet drop-tail queue with and
//! without SACK.
//!
//! # Mathis et al.
//!
//! M. Mathis, J. Semke, J. Mahdavi, T. Ott, "The Macroscopic Behavior of the TCP
//! Congestion Avoidance Algorithm", ACM SIGCOMM CCR 27(3), July 1997: a sender in
//! congestion avoidance that loses a fraction p of its packets averages
//!
//! ```text
//!     BW = (MSS / RTT) · C / sqrt(p)
//! ```
//!
//! with C = sqrt(3/2) ≈ 1.22 for the idealised periodic sawtooth when cwnd grows
//! by one MSS per RTT. Their Table 1 derives C for the other cases: 1.22 (periodic
//! loss) and 1.31 (random loss) with an ACK per segment, 0.87 = sqrt(3/4) (periodic)
//! and 0.93 (random) with delayed ACKs, which halve the growth to 1/2 MSS per RTT.
//! The literature's range is therefore C in [0.87, 1.31], i.e. measured goodput
//! between 0.71 and 1.07 times the sqrt(3/2) formula; higher loss rates fall below
//! it when retransmission timeouts become common (Padhye, Firoiu, Towsley, Kurose,
//! "Modeling TCP Throughput", SIGCOMM 1998).
//!
//! netsim's NewReno uses delayed ACKs but grows cwnd in congestion avoidance by
//! byte counting (one SMSS per cwnd of acknowledged bytes, RFC 5681 §3.1 / RFC
//! 3465), so the delayed-ACK halving does not apply: the expected constant is the
//! one for an ACK per segment, about 1.31 for random loss while timeouts are rare.
//!
//! The loss hits data segments only (ACKs return over another, lossless path; see
//! `tests/fixtures/tcpv_mathis.toml`). C is computed with the loss fraction the
//! link really drew: the number of losses is binomial, and at p = 0.001 its ±3%
//! sampling noise (1/sqrt(1,200 losses)) would move the ratio by ±1.4%, as much as
//! the margin to 1.31; the realized fraction removes that noise (seven seeds gave
//! C = 1.287 to 1.297 at p = 0.001 with it, 1.260 to 1.330 with the nominal p).
//! Both figures are printed.

use netsim::engine::Simulation;
use netsim::stats::Report;

const MSS: f64 = 1448.0;

fn run_text(name: &str, text: &str) -> Report {
    let sc = netsim::scenario::parse(name, text, "tcpv").unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap()
}

fn link<'a>(r: &'a Report, name: &str) -> &'a netsim::stats::LinkReport {
    r.links
        .iter()
        .find(|l| l.name == name)
        .unwrap_or_else(|| panic!("no link direction {name}"))
}

/// Runs the Mathis scenario with loss probability `p` for `seconds`, measures the
/// goodput after a warm-up and checks the constant C against the literature.
fn mathis(p: f64, seconds: u64) {
    const WARM_UP_S: f64 = 60.0;
    let fixture = std::fs::read_to_string("tests/fixtures/tcpv_mathis.toml").unwrap();
    assert!(fixture.contains("loss = 0.001\n") && fixture.contains("duration = \"600s\"\n"));
    let text = fixture
        .replace("loss = 0.001\n", &format!("loss = {p}\n"))
        .replace(
            "duration = \"600s\"\n",
            &format!("duration = \"{seconds}s\"\n"),
        );
    let r = run_text("tcpv_mathis.toml", &text);
    let (flow, client) = (&r.flows[0], &r.tcp[0]);
    assert!(r.tcp.iter().all(|c| c.integrity_errors == 0));

    // Loss on data only: the lossy fwd1-fwd2 link carries nothing the other way, the
    // ACKs come back over rev1-rev2, and every drop is a random loss there.
    let lossy = link(&r, "fwd1->fwd2");
    assert_eq!(link(&r, "fwd2->fwd1").tx_packets, 0);
    assert_eq!(link(&r, "server->fwd2").tx_packets, 0);
    assert!(link(&r, "server->rev1").tx_packets > 0);
    let drops: u64 = r.links.iter().map(|l| l.drops).sum();
    assert_eq!(drops, lossy.drops);
    assert_eq!(flow.lost_packets, lossy.drops);
    assert!(
        flow.lost_by_reason
            .iter()
            .all(|c| c.reason == "random-loss"),
        "{:?}",
        flow.lost_by_reason
    );
    // The realized loss fraction is a binomial draw around p (4 sigma).
    let n = lossy.tx_packets as f64;
    let p_real = lossy.drops as f64 / n;
    let sigma = (p * (1.0 - p) / n).sqrt();
    assert!((p_real - p).abs() < 4.0 * sigma, "p {p}, drew {p_real}");

    // Slow start ended (the first loss) well inside the warm-up.
    let first_loss = r.congestion[0]
        .iter()
        .find(|s| s.ssthresh < u32::MAX)
        .expect("a congestion signal")
        .t_s;
    assert!(first_loss < WARM_UP_S / 2.0, "first loss at {first_loss} s");

    // Goodput: bytes the server application read after the warm-up.
    let bins = r.timeline.bins;
    let width = bins.width_s();
    assert!((bins.count as f64 * width - seconds as f64).abs() < 1e-9);
    let first = (WARM_UP_S / width).ceil() as usize;
    let span = seconds as f64 - first as f64 * width;
    let bytes: u64 = r.timeline.delivered[0][first..].iter().sum();
    let goodput = bytes as f64 * 8.0 / span;

    // The path's RTT: 2 x 50 ms of propagation, a full segment serialized on three
    // 1 Gbps hops and a 40-byte ACK on three more. No queue builds up.
    let rtt = 0.100 + 3.0 * (MSS + 40.0) * 8.0 / 1e9 + 3.0 * 40.0 * 8.0 / 1e9;
    let per_rtt = MSS * 8.0 / rtt; // one segment per RTT, bit/s
    let formula = per_rtt * 1.5f64.sqrt() / p.sqrt();
    let ratio = goodput / formula;
    let c_nominal = goodput / per_rtt * p.sqrt();
    let c = goodput / per_rtt * p_real.sqrt();
    eprintln!(
        "Mathis p = {p}: goodput {:.3} Mbit/s over {span:.0} s; (MSS/RTT)·sqrt(3/2)/sqrt(p) = {:.3} Mbit/s; \
         ratio {ratio:.3} (C = {c_nominal:.3}); with the realized loss {p_real:.5}: formula {:.3} Mbit/s, ratio {:.3}, C = {c:.3}",
        goodput / 1e6,
        formula / 1e6,
        per_rtt * 1.5f64.sqrt() / p_real.sqrt() / 1e6,
        c / 1.5f64.sqrt(),
    );
    eprintln!(
        "  {} segments, {} lost, {} retransmitted, {} fast retransmits, {} RTO expiries, mean RTT {:.2} ms",
        client.segments_sent,
        lossy.drops,
        client.segments_retransmitted,
        client.fast_retransmits,
        client.rto_expiries,
        client.rtt_mean_ms.unwrap_or(f64::NAN),
    );
    assert!(
        (0.87..=1.31).contains(&c),
        "p = {p}: C = {c:.3} (goodput {goodput:.0} bit/s, realized loss {p_real}) is outside \
         the range of Mathis et al. [0.87, 1.31]"
    );
}

/// About 1,200 losses and 12 million events: a few seconds in the test profile.
#[test]
fn mathis_square_root_law_at_loss_0_001() {
    mathis(0.001, 3000);
}

/// About 1,200 losses; timeouts follow roughly one loss in twenty here.
#[test]
fn mathis_square_root_law_at_loss_0_01() {
    mathis(0.01, 1000);
}

/// The 10 MB transfer through a 100-packet drop-tail queue, with SACK (RFC 6675)
/// and with NewReno (RFC 6582): slow start overshoots and loses a burst; both
/// repair it, every byte arrives in order, and SACK does it without timeouts,
/// resending only what was lost.
#[test]
fn transfer_of_10_mb_through_a_100_packet_queue_with_and_without_sack() {
    let fixture = std::fs::read_to_string("tests/fixtures/tcpv_transfer_100p.toml").unwrap();
    assert!(fixture.contains("sack = true"));
    // The same transfer through a queue that never overflows (tests/tcp.rs checks
    // its completion time against the arithmetic), and with Nagle off: with it
    // on, the last short segment (with the FIN) waits for every byte before it
    // to be acknowledged, a round trip through the full 1000-packet queue
    // (8.354 -> 8.434 s) that leaves the bottleneck idle. A lossy run reaches
    // its end with a shorter queue and waits less, so only the Nagle-free
    // transfer is a lower bound for it.
    let deep = run_text(
        "tcpv_transfer_deep.toml",
        &fixture
            .replace("queue = \"100p\"", "queue = \"1000p\"")
            .replace("sack = true }", "sack = true, nagle = false }"),
    );
    assert_eq!(deep.flows[0].lost_packets, 0);
    let lossless = deep.flows[0].completion_s.unwrap();
    eprintln!("10 MB, 10 Mbit/s, 20 ms, 1000-packet queue: {lossless:.4} s, no drops");

    let mut results = Vec::new();
    for sack in [true, false] {
        let r = run_text(
            "tcpv_transfer_100p.toml",
            &fixture.replace("sack = true", &format!("sack = {sack}")),
        );
        let f = &r.flows[0];
        let (client, server) = (&r.tcp[0], &r.tcp[1]);
        let data = link(&r, "client->server");
        let acks = link(&r, "server->client");
        let completion = f.completion_s.expect("the transfer completes");
        eprintln!(
            "10 MB, 100-packet queue, {}: completion {completion:.4} s, {} drops (queue overflow), \
             {} segments retransmitted ({} B), {} RTO expiries, {} fast retransmits, \
             {} SACK recoveries, {} duplicate ACKs, {} segments sent, mean RTT {:.1} ms",
            if sack { "SACK    " } else { "NewReno " },
            data.drops,
            client.segments_retransmitted,
            client.bytes_retransmitted,
            client.rto_expiries,
            client.fast_retransmits,
            client.sack_recoveries,
            client.dup_acks_received,
            client.segments_sent,
            client.rtt_mean_ms.unwrap_or(f64::NAN),
        );
        // Every byte arrives, in order, and the connection closes.
        assert_eq!(f.received_bytes, 10_000_000);
        assert_eq!(server.bytes_delivered, 10_000_000);
        assert_eq!(client.bytes_acked, 10_000_000);
        assert_eq!(client.integrity_errors, 0);
        assert_eq!(server.integrity_errors, 0);
        assert_eq!(client.state, "TIME-WAIT");
        assert_eq!(server.state, "CLOSED");
        // The queue was the limit: it filled, and overflow was the only loss.
        assert_eq!(data.peak_queue_packets, 100);
        assert!(data.drops > 0);
        assert_eq!(f.lost_packets, data.drops);
        assert!(
            f.lost_by_reason
                .iter()
                .all(|c| c.reason == "queue-overflow"),
            "{:?}",
            f.lost_by_reason
        );
        assert_eq!(acks.drops, 0);
        // Each lost segment was sent again, at least once.
        assert!(client.segments_retransmitted >= data.drops);
        // Never faster than the lossless transfer, whose bottleneck never idles.
        assert!(completion >= lossless - 1e-9);
        results.push((completion, client.clone(), data.drops));
    }
    let (sack_done, sack, sack_drops) = &results[0];
    let (reno_done, reno, _) = &results[1];
    assert!(sack.sack_recoveries >= 1);
    assert_eq!(reno.sack_recoveries, 0);
    assert!(
        sack.rto_expiries <= reno.rto_expiries,
        "SACK {} RTO expiries, NewReno {}",
        sack.rto_expiries,
        reno.rto_expiries
    );
    assert_eq!(sack.rto_expiries, 0);
    // SACK knows what arrived: it resends exactly the lost segments.
    assert_eq!(sack.segments_retransmitted, *sack_drops);
    assert!(
        sack_done < reno_done,
        "SACK {sack_done} s, NewReno {reno_done} s"
    );
}
