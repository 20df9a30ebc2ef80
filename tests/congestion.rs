//! Congestion control algorithms on the bottleneck of issue 14: 10 Mbit/s,
//! 20 ms, a 100-packet buffer, 60 s. One flow per algorithm, then two flows
//! of different algorithms sharing it. The figures are printed (run with
//! `--nocapture`) for the comparison with ns-3 in `benches/ns3/`.

use netsim::engine::Simulation;
use netsim::stats::Report;

const SECONDS: f64 = 60.0;

/// Flows `flows` (name, tcp table) from A1.. to B1.. across R1 -> R2.
fn dumbbell(bottleneck: &str, flows: &[(&str, &str)]) -> Report {
    let mut text = format!(
        "[simulation]\nname = \"cc\"\nduration = \"{SECONDS}s\"\n\
         [[node]]\nname = \"R1\"\nkind = \"router\"\n[[node]]\nname = \"R2\"\nkind = \"router\"\n\
         [[link]]\nbetween = [\"R1\", \"R2\"]\nbandwidth = \"10Mbps\"\ndelay = \"20ms\"\nqueue = \"100p\"\n{bottleneck}\n"
    );
    for (i, (name, tcp)) in flows.iter().enumerate() {
        text += &format!(
            "[[node]]\nname = \"A{i}\"\n[[node]]\nname = \"B{i}\"\n\
             [[link]]\nbetween = [\"A{i}\", \"R1\"]\n[[link]]\nbetween = [\"R2\", \"B{i}\"]\n\
             [[flow]]\nname = \"{name}\"\nprotocol = \"tcp\"\nfrom = \"A{i}\"\nto = \"B{i}:80\"\ntcp = {{ {tcp} }}\n"
        );
    }
    let sc = netsim::scenario::parse("cc.toml", &text, "cc").unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap()
}

struct Figures {
    goodput_mbps: f64,
    retransmitted: u64,
    rtos: u64,
    /// Loss recoveries and ECN reductions: how often the window was cut.
    reductions: u64,
}

fn figures(r: &Report, flow: &str) -> Figures {
    let f = r.flows.iter().find(|f| f.name == flow).unwrap();
    let c = r
        .tcp
        .iter()
        .find(|c| c.flow == flow && c.side == "client")
        .unwrap();
    Figures {
        goodput_mbps: f.received_bytes as f64 * 8.0 / SECONDS / 1e6,
        retransmitted: c.segments_retransmitted,
        rtos: c.rto_expiries,
        reductions: c.fast_retransmits + c.rto_expiries + c.ecn_reductions,
    }
}

fn queue_delay_ms(r: &Report) -> f64 {
    let l = r.links.iter().find(|l| l.name == "R1->R2").unwrap();
    l.mean_queue_delay_ms
}

fn bottleneck_drops(r: &Report) -> u64 {
    let l = r.links.iter().find(|l| l.name == "R1->R2").unwrap();
    l.drops_by_reason.iter().map(|c| c.count).sum()
}

/// Jain's fairness index of the throughputs: 1 for an equal share, 1/n for one taking all.
fn jain(x: &[f64]) -> f64 {
    let sum: f64 = x.iter().sum();
    let squares: f64 = x.iter().map(|v| v * v).sum();
    sum * sum / (x.len() as f64 * squares)
}

fn print(label: &str, r: &Report, flow: &str) -> Figures {
    let f = figures(r, flow);
    eprintln!(
        "{label:<26} goodput {:.3} Mbit/s, mean queue delay {:.2} ms, {} retransmissions, {} RTOs, {} reductions, {} drops at the bottleneck",
        f.goodput_mbps,
        queue_delay_ms(r),
        f.retransmitted,
        f.rtos,
        f.reductions,
        bottleneck_drops(r)
    );
    f
}

#[test]
fn one_flow_per_algorithm() {
    let newreno = dumbbell("", &[("f", "congestion = \"newreno\"")]);
    let cubic = dumbbell("", &[("f", "congestion = \"cubic\"")]);
    let dctcp = dumbbell(
        "aqm = \"step\"\naqm_threshold = 20\necn = true",
        &[("f", "congestion = \"dctcp\"")],
    );
    let n = print("newreno, drop-tail", &newreno, "f");
    let c = print("cubic, drop-tail", &cubic, "f");
    let d = print("dctcp, step K=20 + ECN", &dctcp, "f");
    // Each keeps the link busy: with a buffer of about 2.8 BDP even a halving
    // leaves the queue non-empty.
    for f in [&n, &c, &d] {
        assert!(f.goodput_mbps > 9.0, "{}", f.goodput_mbps);
        assert_eq!(f.rtos, 0);
    }
    // CUBIC backs off to 0.7 of its window, NewReno to 0.5: CUBIC's standing
    // queue is the longer one, and it fills the buffer more often.
    assert!(queue_delay_ms(&cubic) > queue_delay_ms(&newreno));
    // DCTCP holds the queue near K = 20 packets (24 ms) instead of filling
    // 100: the standing delay is a fraction of drop-tail's, without a loss
    // after slow start.
    assert!(queue_delay_ms(&dctcp) < 30.0, "{}", queue_delay_ms(&dctcp));
    assert!(queue_delay_ms(&dctcp) < queue_delay_ms(&newreno) / 2.0);
    assert!(d.retransmitted < n.retransmitted);
}

#[test]
fn cubic_and_newreno_share_a_bottleneck() {
    let r = dumbbell(
        "",
        &[
            ("cubic", "congestion = \"cubic\""),
            ("newreno", "congestion = \"newreno\""),
        ],
    );
    let c = print("cubic vs newreno: cubic", &r, "cubic");
    let n = print("cubic vs newreno: newreno", &r, "newreno");
    let index = jain(&[c.goodput_mbps, n.goodput_mbps]);
    eprintln!("Jain's index {index:.3}");
    // Together they fill the link.
    assert!(c.goodput_mbps + n.goodput_mbps > 9.0);
    // CUBIC's gentler decrease (beta = 0.7) takes the larger share here.
    assert!(c.goodput_mbps > n.goodput_mbps);
    assert!(index > 0.7, "{index}");
}

#[test]
fn cubic_flows_share_evenly() {
    let r = dumbbell(
        "",
        &[
            ("c1", "congestion = \"cubic\""),
            ("c2", "congestion = \"cubic\""),
        ],
    );
    let a = print("cubic vs cubic: c1", &r, "c1");
    let b = print("cubic vs cubic: c2", &r, "c2");
    let index = jain(&[a.goodput_mbps, b.goodput_mbps]);
    eprintln!("Jain's index {index:.3}");
    assert!(index > 0.95, "{index}");
}

#[test]
fn bbr_fills_the_link_with_a_short_queue() {
    let newreno = dumbbell("", &[("f", "congestion = \"newreno\"")]);
    let bbr = dumbbell("", &[("f", "congestion = \"bbr\"")]);
    let b = print("bbr, drop-tail", &bbr, "f");
    // BBR paces at its bandwidth estimate and caps the flight at 2 BDP, so it
    // neither fills the 100-packet buffer nor loses a segment. Alone, it sees
    // the empty-queue RTT again in every gain cycle, so RTprop never expires
    // and PROBE_RTT never runs (ns-3's TcpBbr filters the smoothed RTT, which
    // never repeats exactly, and probes every ~10 s).
    assert!(b.goodput_mbps > 9.3, "{}", b.goodput_mbps);
    assert_eq!(b.retransmitted, 0);
    assert!(queue_delay_ms(&bbr) < 20.0, "{}", queue_delay_ms(&bbr));
    assert!(queue_delay_ms(&bbr) < queue_delay_ms(&newreno) / 4.0);
}

#[test]
fn bbr_and_cubic_share_a_bottleneck() {
    let r = dumbbell(
        "",
        &[
            ("bbr", "congestion = \"bbr\""),
            ("cubic", "congestion = \"cubic\""),
        ],
    );
    let b = print("bbr vs cubic: bbr", &r, "bbr");
    let c = print("bbr vs cubic: cubic", &r, "cubic");
    let index = jain(&[b.goodput_mbps, c.goodput_mbps]);
    eprintln!("Jain's index {index:.3}");
    assert!(b.goodput_mbps + c.goodput_mbps > 9.0);
    // Neither starves the other in a buffer of 2.8 BDP.
    assert!(b.goodput_mbps > 1.0 && c.goodput_mbps > 1.0);
}

#[test]
fn cwnd_growth_reaches_the_reno_style_flows() {
    use netsim::transport::tcp::{CongestionAlgorithm, CwndGrowth};
    let flows = |tcp: &str, per_flow: &[&str]| {
        let mut text = format!(
            "[tcp]\n{tcp}\n[[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n\
             [[link]]\nbetween = [\"A\", \"B\"]\n"
        );
        for t in per_flow {
            text += &format!(
                "[[flow]]\nprotocol = \"tcp\"\nfrom = \"A\"\nto = \"B:80\"\ntcp = {{ {t} }}\n"
            );
        }
        netsim::scenario::parse("growth.toml", &text, "growth")
    };
    let sc = flows(
        "cwnd_growth = \"per-ack\"",
        &[
            "",
            "congestion = \"dctcp\"",
            "congestion = \"cubic\", cwnd_growth = \"bytes\"",
        ],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let got: Vec<_> = sc
        .flows
        .iter()
        .map(|f| {
            let tcp = &f.stream().expect("a TCP flow").tcp;
            (tcp.congestion, tcp.cwnd_growth)
        })
        .collect();
    assert_eq!(
        got,
        [
            (CongestionAlgorithm::NewReno, CwndGrowth::PerAck),
            (CongestionAlgorithm::Dctcp, CwndGrowth::PerAck),
            (CongestionAlgorithm::Cubic, CwndGrowth::Bytes),
        ]
    );
    // The default is byte counting.
    let sc = flows("", &[""]).unwrap();
    assert_eq!(
        sc.flows[0].stream().unwrap().tcp.cwnd_growth,
        CwndGrowth::Bytes
    );
    // CUBIC from [tcp], per-ACK growth asked for in the flow: refused at the
    // flow's key.
    let e = flows("congestion = \"cubic\"", &["cwnd_growth = \"per-ack\""])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("growth.toml:13:23: cwnd_growth = \"per-ack\" is the congestion-avoidance rule of newreno and dctcp"),
        "{e}"
    );
}
