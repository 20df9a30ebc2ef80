use netsim::engine::Simulation;

fn run(p: f64, seconds: u64, seed: u64) -> netsim::stats::Report {
    let text = std::fs::read_to_string("tests/fixtures/tcpv_mathis.toml").unwrap();
    let text = text
        .replace("loss = 0.001", &format!("loss = {p}"))
        .replace("duration = \"600s\"", &format!("duration = \"{seconds}s\""))
        .replace("seed = 7", &format!("seed = {seed}"));
    let sc = netsim::scenario::parse("tcpv_mathis.toml", &text, "tcpv_mathis").unwrap();
    Simulation::new(sc, Default::default()).unwrap().run().unwrap()
}

#[test]
fn explore() {
    for (p, secs) in [(0.001, 3000u64), (0.01, 1000)] { for seed in [7, 1, 2, 3, 4, 5, 6] {
        let t = std::time::Instant::now();
        let r = run(p, secs, seed);
        let bins = r.timeline.bins;
        let d = &r.timeline.delivered[0];
        let warm = 60.0;
        let i0 = (warm / bins.width_s()).ceil() as usize;
        let bytes: u64 = d[i0..].iter().sum();
        let span = bins.count as f64 * bins.width_s() - i0 as f64 * bins.width_s();
        let span = span.min(secs as f64 - i0 as f64 * bins.width_s());
        let goodput = bytes as f64 * 8.0 / span;
        let rtt = 0.1;
        let mathis = 1448.0 * 8.0 / rtt * (1.5f64).sqrt() / p.sqrt();
        eprintln!("p {p}: wall {:?} events {} goodput {goodput:.0} mathis {mathis:.0} ratio {:.3} C {:.3}", t.elapsed(), r.events, goodput / mathis, goodput/mathis*1.5f64.sqrt());
        let c = &r.tcp[0];
        let segs = c.segments_sent as f64;
        let lossr = r.flows[0].lost_packets as f64 / segs;
        let ev = (c.fast_retransmits + c.rto_expiries) as f64 / segs;
        eprintln!("  measured loss {lossr:.5} C(loss) {:.3} events {ev:.5} C(events) {:.3} rto {} fr {} rtx {} lost {}", goodput*0.1/(1448.0*8.0)*lossr.sqrt(), goodput*0.1/(1448.0*8.0)*ev.sqrt(), c.rto_expiries, c.fast_retransmits, c.segments_retransmitted, r.flows[0].lost_packets);
    }}
}

#[test]
fn explore_transfer() {
    let text = std::fs::read_to_string("tests/fixtures/tcpv_transfer_100p.toml").unwrap();
    for sack in [true, false] {
        let text = text.replace("sack = true", &format!("sack = {sack}"));
        let sc = netsim::scenario::parse("t.toml", &text, "t").unwrap();
        let r = Simulation::new(sc, Default::default()).unwrap().run().unwrap();
        eprintln!("sack {sack}: {:?}", r.flows[0]);
        for c in &r.tcp { eprintln!("  {c:?}"); }
        for l in &r.links { eprintln!("  {l:?}"); }
        let s = &r.congestion[0];
        let mut prev = (0u32, 0u32);
        for x in s.iter() { if x.ssthresh != prev.1 || x.cwnd < prev.0 { eprintln!("({:.3} cwnd {} ssth {} rto {:.0}) prev cwnd {}", x.t_s, x.cwnd/1448, x.ssthresh.min(99999999)/1448, x.rto_ms, prev.0/1448); } prev = (x.cwnd, x.ssthresh); }
        let l = &r.timeline.losses[0];
        let mut by = std::collections::BTreeMap::new();
        for (t, _) in l { *by.entry(t.as_nanos() / 100_000_000).or_insert(0) += 1; }
        eprintln!("losses per 100ms: {by:?}");
    }
}
