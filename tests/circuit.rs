//! Circuit switching (`netsim::circuit`): setup time, Erlang B blocking,
//! outages with and without an alternate path, like-for-like traffic with
//! packet mode, and determinism.

use netsim::circuit::{self, CircuitFlowReport, CircuitReport, Outcome};
use netsim::scenario::{Distribution, Scenario, TrafficPattern};
use netsim::sim::SimTime;
use netsim::trace::{TraceSink, TraceWriter};
use std::cell::RefCell;
use std::io::Write;
use std::path::Path;
use std::rc::Rc;

fn fixture(name: &str) -> Scenario {
    let path = format!("tests/fixtures/{name}.toml");
    netsim::scenario::load(Path::new(&path)).unwrap_or_else(|e| panic!("{e}"))
}

/// A trace sink the test can read back.
#[derive(Clone, Default)]
struct Shared(Rc<RefCell<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn traced(sc: &Scenario) -> (CircuitReport, String) {
    let sink = Shared::default();
    let mut writer = TraceWriter::new(Box::new(sink.clone()));
    let report = circuit::simulate(sc, Some(&mut writer));
    writer.finish().unwrap();
    let text = String::from_utf8(sink.0.borrow().clone()).unwrap();
    (report, text)
}

/// Every offered byte is delivered, lost for one cause, or in flight at the end;
/// every call is blocked, dropped or completed; the series adds up.
fn check_bookkeeping(f: &CircuitFlowReport) {
    let l = &f.lost;
    assert_eq!(
        l.link_down,
        l.link_down_in_flight + l.link_down_before_notice + l.link_down_reestablishing,
        "{f:?}"
    );
    assert_eq!(
        f.lost_bytes,
        l.setup + l.blocked + l.link_down + l.dropped,
        "{f:?}"
    );
    assert_eq!(
        f.offered_bytes,
        f.delivered_bytes + f.lost_bytes + f.in_flight_bytes,
        "{f:?}"
    );
    assert_eq!(
        f.calls.offered,
        f.calls.blocked + f.calls.dropped + f.calls.completed,
        "{f:?}"
    );
    assert_eq!(
        f.delivered_series.iter().sum::<u64>(),
        f.delivered_bytes,
        "{}",
        f.name
    );
    assert_eq!(f.delivered_series.len(), circuit::SERIES_BINS);
    assert_eq!(f.jitter_ms, 0.0);
}

fn ms(t: f64) -> f64 {
    (t * 1e6).round() / 1e6
}

#[test]
fn setup_time_is_processing_plus_propagation_both_ways() {
    let sc = fixture("circuit_three_hops");
    let (r, trace) = traced(&sc);
    // Per hop: 0.5 ms processing + propagation (1, 2, 3 ms); SETUP out, CONNECT back.
    let one_way_ms = (0.5 + 1.0) + (0.5 + 2.0) + (0.5 + 3.0);
    let setup_ms = 2.0 * one_way_ms;
    assert_eq!(setup_ms, 15.0);
    let f = &r.flows[0];
    assert_eq!(f.setup.samples, 1);
    assert_eq!(ms(f.setup.min_ms), setup_ms);
    assert_eq!(ms(f.setup.max_ms), setup_ms);
    assert_eq!(ms(f.delay.mean_ms), 1.0 + 2.0 + 3.0);
    assert!(
        trace.contains("1.015000000 A connect call=0 flow=data path=A-R1-R2-B setup=0.015000000 delay=0.006000000"),
        "{trace}"
    );
    // 1 Mbit/s = 125000 B/s over [1 s, 2 s).
    assert_eq!(f.offered_bytes, 125_000);
    assert_eq!(f.lost.setup, 1_875); // 15 ms
    assert_eq!(f.delivered_bytes, 122_375); // sent [1.015, 1.994), arrived by 2 s
    assert_eq!(f.in_flight_bytes, 750); // the last 6 ms
    assert_eq!(
        (f.calls.offered, f.calls.completed, f.calls.blocked),
        (1, 1, 0)
    );
    check_bookkeeping(f);
    // Reserved (both directions) from 1.0005 s (A sends the SETUP onto A-R1
    // after 0.5 ms) to 2.0005 s (A sends the RELEASE likewise; past the end):
    // 0.9995 s of 2 s, 1 Mbit/s of 100 Mbit/s. Used in the forward direction
    // only, while A sends: [1.015, 2) s.
    let a_r1 = r.links.iter().find(|l| l.name == "A->R1").unwrap();
    let r1_a = r.links.iter().find(|l| l.name == "R1->A").unwrap();
    assert!((a_r1.reserved_utilization - 0.01 * 0.9995 / 2.0).abs() < 1e-12);
    assert_eq!(a_r1.reserved_utilization, r1_a.reserved_utilization);
    assert!((a_r1.used_utilization - 0.01 * 0.985 / 2.0).abs() < 1e-12);
    assert_eq!(r1_a.used_utilization, 0.0);
    assert_eq!(a_r1.peak_circuits, 1);
}

/// B(c, A) by the recursion B(0) = 1, B(k) = A B(k-1) / (k + A B(k-1)).
fn erlang_b(channels: u32, load: f64) -> f64 {
    (1..=channels).fold(1.0, |b, k| load * b / (f64::from(k) + load * b))
}

#[test]
fn blocking_matches_erlang_b() {
    let base = fixture("circuit_erlang");
    for load in [5.0, 8.0, 12.0] {
        let mut sc = base.clone();
        // Mean holding 1 s, so the arrival rate is the load in Erlang.
        sc.flows[0].pattern = TrafficPattern::Calls {
            arrival_rate: load,
            holding: SimTime::from_secs(1),
            holding_distribution: Distribution::Exponential,
        };
        // 20000 s: about 100000 calls at 5 Erlang, 160000 at 8, 240000 at 12.
        sc.duration = SimTime::from_secs(20_000);
        sc.flows[0].stop = sc.duration;
        let r = circuit::simulate(&sc, None);
        let f = &r.flows[0];
        check_bookkeeping(f);
        let measured = f.blocking_probability;
        let formula = erlang_b(10, load);
        println!(
            "load {load} Erlang, 10 channels: {} calls, {} blocked, measured {measured:.4}, Erlang B {formula:.4}",
            f.calls.offered, f.calls.blocked
        );
        assert!(f.calls.offered >= 90_000, "{}", f.calls.offered);
        assert!(
            (measured - formula).abs() < 0.01,
            "load {load}: measured {measured}, Erlang B {formula}"
        );
        // Only R1-R2 blocks; it never holds more than its 10 channels.
        let bottleneck = r.links.iter().find(|l| l.name == "R1->R2").unwrap();
        assert_eq!(bottleneck.peak_circuits, 10);
        assert_eq!(bottleneck.refused, f.calls.blocked);
        // Carried load = A (1 - B) Erlang on 10 channels.
        let carried = load * (1.0 - formula) / 10.0;
        assert!(
            (bottleneck.reserved_utilization - carried).abs() < 0.01,
            "{} vs {carried}",
            bottleneck.reserved_utilization
        );
    }
}

#[test]
fn without_an_alternate_path_a_circuit_loses_everything_until_repair() {
    let sc = fixture("circuit_outage");
    let (r, trace) = traced(&sc);
    let f = &r.flows[0];
    check_bookkeeping(f);
    // The arithmetic is in the fixture's comments.
    assert_eq!(f.offered_bytes, 2_375_000);
    assert_eq!(f.lost.setup, 1_500);
    assert_eq!(f.lost.link_down_in_flight, 250);
    assert_eq!(f.lost.link_down_before_notice, 6_500);
    assert_eq!(f.lost.link_down_reestablishing, 876_500);
    assert_eq!(f.lost.dropped, 0);
    assert_eq!(f.delivered_bytes, 623_250 + 867_000);
    assert_eq!(f.in_flight_bytes, 0);
    let c = &f.calls;
    assert_eq!((c.offered, c.blocked, c.dropped, c.completed), (1, 0, 0, 1));
    assert_eq!((c.torn_down, c.reestablished, c.retries), (1, 1, 3));
    assert_eq!(ms(f.setup.mean_ms), 12.0);
    for line in [
        "5.052000000 A teardown call=0 flow=line link=R1-R2 lost=6750B",
        "6.052000000 A retry-refused call=0 flow=line attempt=1 reason=no-route",
        "8.052000000 A retry-refused call=0 flow=line attempt=2 reason=no-route",
        "12.052000000 A retry call=0 flow=line attempt=3 path=A-R1-R2-B",
        "12.064000000 A connect call=0 flow=line path=A-R1-R2-B setup=0.012000000",
    ] {
        assert!(trace.contains(line), "missing `{line}` in\n{trace}");
    }
    // Nothing arrives from 5.001 s (the last data before the failure) until
    // 12.067 s: the bins of 0.2 s from [5.2, 5.4) to [11.8, 12) are empty.
    let s = &f.delivered_series;
    assert!(s[26..60].iter().all(|&b| b == 0), "{s:?}");
    assert!(s[1..25].iter().all(|&b| b == 25_000), "{s:?}");
    assert!(s[61..95].iter().all(|&b| b == 25_000), "{s:?}");
    // The failure's own figures.
    let o = &r.failures[0];
    assert_eq!(o.element, "link R1-R2");
    assert_eq!((o.down_s, o.up_s), (5.0, Some(8.0)));
    assert_eq!(o.circuits_torn_down, 1);
    assert_eq!(o.lost_bytes, 250 + 6_500 + 876_500);
    assert_eq!(o.circuits[0].outcome, Outcome::Reestablished);
    assert_eq!(o.circuits[0].reestablished_after_ms.map(ms), Some(7_064.0));

    // With two retries only, both fail during the outage (before routes know
    // of the repair): the call is dropped at 8.052 s and carries nothing more.
    let mut sc = sc;
    sc.circuit.retries = 2;
    let (r, trace) = traced(&sc);
    let f = &r.flows[0];
    check_bookkeeping(f);
    assert_eq!(f.lost.link_down_reestablishing, 375_000);
    assert_eq!(f.lost.dropped, 1_368_500);
    assert_eq!(f.delivered_bytes, 623_250);
    assert_eq!((f.calls.dropped, f.calls.completed), (1, 0));
    assert!(f.delivered_series[26..].iter().all(|&b| b == 0));
    assert!(
        trace.contains("8.052000000 A dropped call=0 flow=line retries=2"),
        "{trace}"
    );
    let o = &r.failures[0];
    assert_eq!(o.circuits[0].outcome, Outcome::Dropped);
    assert_eq!(o.circuits[0].reestablished_after_ms, None);
    assert_eq!(o.lost_bytes, 250 + 6_500 + 375_000 + 1_368_500);
}

#[test]
fn diamond_trace_snapshot() {
    let sc = fixture("circuit_diamond");
    let (r, trace) = traced(&sc);
    let f = &r.flows[0];
    check_bookkeeping(f);
    // The arithmetic is in the fixture's comments.
    assert_eq!(f.delivered_bytes, 209_875);
    assert_eq!(f.lost.setup, 2_000);
    assert_eq!(f.lost.link_down_in_flight, 375);
    assert_eq!(f.lost.link_down_before_notice, 1_750);
    assert_eq!(f.lost.link_down_reestablishing, 11_000);
    assert_eq!((f.delay.min_ms, f.delay.max_ms), (4.0, 6.0));
    assert_eq!(
        r.failures[0].circuits[0].reestablished_after_ms,
        Some(102.0)
    );
    insta::assert_snapshot!("circuit_diamond", trace);
}

#[test]
fn same_calls_and_periods_as_packet_mode() {
    // Without failures, the packet sources send what the circuit sources
    // offer, up to the datagram grid: at most one datagram per call or
    // on-period apart (the fluid counts partial datagrams).
    let mut sc = fixture("circuit_mixed");
    sc.failures.clear();
    let r = circuit::simulate(&sc, None);
    let p = netsim::engine::Simulation::new(sc.clone(), Default::default())
        .unwrap()
        .run()
        .unwrap();
    for (c, pf) in r.flows.iter().zip(&p.flows) {
        check_bookkeeping(c);
        let spec = sc.flows.iter().find(|f| f.name == c.name).unwrap();
        let periods = match spec.pattern {
            TrafficPattern::OnOff { on, off, .. } => {
                sc.duration.as_nanos() / (on + off).as_nanos() * 2 + 10
            }
            _ => c.calls.offered,
        };
        // Exponential datagram sizes make the packet source's bytes random
        // around the mean: compare the datagram count instead.
        let sent = if spec.size_distribution == Distribution::Exponential {
            pf.sent_packets * spec.size
        } else {
            pf.sent_bytes
        };
        let diff = sent.abs_diff(c.offered_bytes);
        println!(
            "{}: packet mode sent {sent} B, circuit mode offered {} B",
            c.name, c.offered_bytes
        );
        assert!(
            diff <= periods * spec.size,
            "{}: packet {sent} vs circuit {} ({} calls/periods)",
            c.name,
            c.offered_bytes,
            periods
        );
    }
}

#[test]
fn mixed_scenario_adds_up_and_is_deterministic() {
    let sc = fixture("circuit_mixed");
    let (a, trace_a) = traced(&sc);
    let (b, trace_b) = traced(&sc);
    assert_eq!(a, b);
    assert_eq!(trace_a, trace_b);
    assert_eq!(
        serde_json::to_string(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    assert_eq!(a.summary(), b.summary());
    let c = circuit::simulate(&sc, None);
    assert_eq!(a, c, "tracing must not change the figures");
    for f in &a.flows {
        check_bookkeeping(f);
    }
    // The random processes did fail things, and calls were torn down.
    assert!(a.failures.len() > 5, "{}", a.summary());
    let phones = &a.flows[0];
    assert!(phones.calls.torn_down > 0, "{}", a.summary());
    assert!(phones.calls.blocked > 0, "{}", a.summary());
    for l in &a.links {
        assert!(
            l.used_utilization <= l.reserved_utilization + 1e-12,
            "{l:?}"
        );
        assert!(l.reserved_utilization <= 1.0, "{l:?}");
    }
    let channels = |name: &str| a.links.iter().find(|l| l.name == name).unwrap();
    assert!(channels("R1->R2").peak_circuits <= 6);
    assert!(channels("R1->R3").peak_circuits <= 4);
    // A different seed gives different figures.
    let mut other = sc.clone();
    other.seed = 8;
    assert_ne!(circuit::simulate(&other, None), a);
    println!("{}", a.summary());
}
