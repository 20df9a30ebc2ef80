//! Fidelity cases of issue 16, checked against the arithmetic of published
//! models rather than against other simulators' numbers.
//!
//! - Many flows on one bottleneck: the retransmission timer and fast
//!   retransmit. RFC 6298 §5.3 restarts the timer only on an ACK of new data,
//!   so a fast retransmission that waits behind a full queue can be overtaken
//!   by the timer that the last new ACK started (most visibly with Linux's
//!   200 ms minimum RTO); `rto_restart = "head-retransmit"` re-arms the timer
//!   when the first unacknowledged segment is resent, as Linux does.
//! - Many flows (1,000 on a 139-segment pipe) with SACK: a lost
//!   retransmission waits for the RTO, which Karn's rule keeps backed off,
//!   while SACK clocks new data out behind the hole. Timed by cumulative
//!   ACKs only (`rtt_sample = "cumulative"`), hardly a segment is timed to
//!   the end and the backoff stays; timed by the SACK that reports it (the
//!   default), the backoff comes down, but the timer already running keeps
//!   its backed-off expiry. ns-3 forgets the backoff at every new ACK
//!   (`rto_backoff = "new-ack"`), and timestamps time retransmissions, so
//!   neither holds it.
//! - Identical starts: 100 flows starting together retry in lockstep and some
//!   never get a segment through (a phase effect); staggered starts do not.
//! - The congestion-avoidance growth rule (`cwnd_growth`): RFC 5681's
//!   equation 3 counts ACKs, so with an ACK for every second segment it grows
//!   half as fast as byte counting, and flows sharing a drop-tail buffer
//!   overflow it half as often. It does not change the lockout above.
//! - ns-3's rules under random loss: equation 3 per ACK (b = 2) and
//!   ssthresh from the pipe estimate (`loss_flight = "pipe"`) give the
//!   sawtooth those rules predict.
//! - Heavy random loss on the data direction: goodput against Mathis et al.'s
//!   periodic-loss model (upper bound: no timeouts) and the Padhye et al.
//!   (PFTK) model for Reno with timeouts (lower bound: SACK recovers most
//!   multi-loss windows that Reno would time out on).

use netsim::engine::Simulation;
use netsim::stats::Report;

fn run(text: &str, seed: u64) -> Report {
    let mut sc = netsim::scenario::parse("fidelity.toml", text, "fidelity")
        .unwrap_or_else(|e| panic!("{e}"));
    sc.seed = seed;
    Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap()
}

/// `n` bulk flows s_i -> d_i across L -> R (10 Mbit/s, 20 ms, 100 packets).
fn dumbbell(n: usize, tcp: &str, bottleneck: &str, seconds: u64) -> String {
    let mut s = format!(
        "[simulation]\nduration = \"{seconds}s\"\n[tcp]\n{tcp}\n\
         [[node]]\nname = \"L\"\nkind = \"router\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n\
         [[link]]\nbetween = [\"L\", \"R\"]\nbandwidth = \"10Mbps\"\ndelay = \"20ms\"\nqueue = \"100p\"\n{bottleneck}\n"
    );
    for i in 0..n {
        s += &format!(
            "[[node]]\nname = \"s{i}\"\n[[node]]\nname = \"d{i}\"\n\
             [[link]]\nbetween = [\"s{i}\", \"L\"]\n[[link]]\nbetween = [\"d{i}\", \"R\"]\n\
             [[flow]]\nprotocol = \"tcp\"\nfrom = \"s{i}\"\nto = \"d{i}:80\"\n"
        );
    }
    s
}

struct Totals {
    retransmitted: u64,
    rtos: u64,
    drops: u64,
    goodput_mbps: f64,
    rtt_mean_s: f64,
}

fn totals(r: &Report) -> Totals {
    let clients: Vec<_> = r.tcp.iter().filter(|c| c.side == "client").collect();
    let bottleneck = r.links.iter().find(|l| l.name == "L->R").unwrap();
    Totals {
        retransmitted: clients.iter().map(|c| c.segments_retransmitted).sum(),
        rtos: clients.iter().map(|c| c.rto_expiries).sum(),
        drops: bottleneck.drops,
        goodput_mbps: r.flows.iter().map(|f| f.received_bytes).sum::<u64>() as f64 * 8.0
            / r.duration_s
            / 1e6,
        rtt_mean_s: clients.iter().filter_map(|c| c.rtt_mean_ms).sum::<f64>()
            / clients.len() as f64
            / 1e3,
    }
}

#[test]
fn timer_restart_on_head_retransmission_removes_spurious_timeouts() {
    let rfc = totals(&run(&dumbbell(10, "min_rto = \"200ms\"", "", 60), 1));
    let linux = totals(&run(
        &dumbbell(
            10,
            "min_rto = \"200ms\"\nrto_restart = \"head-retransmit\"",
            "",
            60,
        ),
        1,
    ));
    for (name, t) in [("new-ack", &rfc), ("head-retransmit", &linux)] {
        eprintln!(
            "10 flows, min_rto 200 ms, rto_restart {name}: {} retransmissions, {} RTOs, {} drops, {:.3} Mbit/s",
            t.retransmitted, t.rtos, t.drops, t.goodput_mbps
        );
    }
    // RFC 6298's rule: timers fire behind fast retransmissions, and the
    // go-back-N that follows resends segments that were never lost.
    assert!(rfc.rtos > 50, "{}", rfc.rtos);
    assert!(rfc.retransmitted > rfc.drops + rfc.drops / 2);
    // Re-arming at the retransmission leaves recovery to SACK: (almost) one
    // retransmission per drop, no timeout, and the link's capacity used.
    assert!(linux.rtos * 10 < rfc.rtos, "{}", linux.rtos);
    assert!(linux.retransmitted <= linux.drops + linux.drops / 20);
    assert!(linux.goodput_mbps > rfc.goodput_mbps);
}

/// Mathis et al. (1997): B = MSS/RTT · C/√p with C = √(3/2) when the window
/// grows one MSS per RTT (netsim counts bytes, so delayed ACKs do not halve
/// the growth and b = 1).
fn mathis_mbps(mss: f64, rtt: f64, p: f64) -> f64 {
    mss * 8.0 / rtt * (1.5f64).sqrt() / p.sqrt() / 1e6
}

/// Mathis et al.'s periodic-loss sawtooth, generalised: the window grows one
/// segment every `b` round trips from W_min to W, where a loss sets it to
/// W_min = (W − k)/2, and one segment in 1/p is lost. A cycle lasts
/// b·(W − W_min) round trips and carries their mean window each, so
/// b·(3W − k)(W + k)/8 = 1/p. k = 0 is Mathis's model (RFC 5681 equation 4
/// on a full window); k = DupThresh + 1 = 4 halves what is left of the window
/// once the three SACKed segments and the lost one are taken out (ns-3).
fn sawtooth_mbps(mss: f64, rtt: f64, p: f64, b: f64, k: f64) -> f64 {
    let w = (-k + (4.0 * k * k + 24.0 / (b * p)).sqrt()) / 3.0;
    (3.0 * w - k) / 4.0 * mss * 8.0 / rtt / 1e6
}

/// Padhye et al. (1998), Reno with timeouts, b = 1, T0 = the 1 s minimum RTO:
/// B = 1 / (RTT·√(2bp/3) + T0·min(1, 3√(3bp/8))·p·(1 + 32p²)) packets/s.
fn pftk_mbps(mss: f64, rtt: f64, p: f64, t0: f64) -> f64 {
    let per_packet = rtt * (2.0 * p / 3.0).sqrt()
        + t0 * (3.0 * (3.0 * p / 8.0).sqrt()).min(1.0) * p * (1.0 + 32.0 * p * p);
    mss * 8.0 / per_packet / 1e6
}

/// One flow, random loss `p` on the data direction only, 100 s, 5 seeds.
fn random_loss(p: f64, tcp: &str) -> (f64, f64, u64) {
    let text = dumbbell(1, tcp, &format!("loss_forward = {p}"), 100);
    let runs: Vec<Totals> = (1..=5).map(|seed| totals(&run(&text, seed))).collect();
    let mean = |f: fn(&Totals) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
    (
        mean(|t| t.goodput_mbps),
        mean(|t| t.rtt_mean_s),
        runs.iter().map(|t| t.rtos).sum(),
    )
}

#[test]
fn goodput_under_random_loss_sits_between_the_models() {
    for p in [0.01, 0.05] {
        let (goodput, rtt, rtos) = random_loss(p, "");
        let upper = mathis_mbps(1448.0, rtt, p);
        let lower = pftk_mbps(1448.0, rtt, p, 1.0);
        eprintln!(
            "p = {p}: goodput {goodput:.3} Mbit/s (mean of 5 seeds), mean RTT {:.1} ms, {rtos} RTOs in all; Mathis {upper:.3}, PFTK (Reno, T0 = 1 s) {lower:.3}",
            rtt * 1e3
        );
        assert!(goodput < upper * 1.05, "above the no-timeout model");
        assert!(goodput > lower, "below Reno's timeout-bound model");
        if p <= 0.01 {
            // At 1% a window rarely loses two segments: the periodic model holds.
            assert!((goodput / upper - 1.0).abs() < 0.15, "{}", goodput / upper);
        }
    }
}

#[test]
fn the_growth_and_ssthresh_rules_of_ns3_give_the_sawtooth_they_predict() {
    // RFC 5681 equation 3 per ACK with an ACK per two segments grows half a
    // segment per round trip (b = 2); ns-3 also halves its pipe estimate
    // rather than the FlightSize (k = 4). At 1% loss a window rarely loses
    // two segments, so the periodic model holds (at 5% timeouts dominate).
    let p = 0.01;
    let per_ack = "cwnd_growth = \"per-ack\"";
    let pipe = "cwnd_growth = \"per-ack\"\nloss_flight = \"pipe\"";
    let mut goodputs = Vec::new();
    for (tcp, k) in [(per_ack, 0.0), (pipe, 4.0)] {
        let (goodput, rtt, rtos) = random_loss(p, tcp);
        let model = sawtooth_mbps(1448.0, rtt, p, 2.0, k);
        eprintln!(
            "p = {p}, [tcp] {tcp:?}: goodput {goodput:.3} Mbit/s (mean of 5 seeds), mean RTT {:.1} ms, {rtos} RTOs in all; sawtooth b = 2, k = {k}: {model:.3}",
            rtt * 1e3
        );
        assert!((goodput / model - 1.0).abs() < 0.15, "{}", goodput / model);
        goodputs.push(goodput);
    }
    // The models differ by a fifth: the deeper cut shows.
    assert!(goodputs[1] < 0.9 * goodputs[0], "{goodputs:?}");
}

/// Jain's fairness index of the flows' received bytes.
fn jain(r: &Report) -> f64 {
    let g: Vec<f64> = r.flows.iter().map(|f| f.received_bytes as f64).collect();
    let sum: f64 = g.iter().sum();
    sum * sum / (g.len() as f64 * g.iter().map(|x| x * x).sum::<f64>())
}

/// Flows that delivered nothing in the whole run.
fn starved(r: &Report) -> usize {
    r.flows.iter().filter(|f| f.received_bytes == 0).count()
}

#[test]
fn many_flows_with_sack_wait_behind_lost_retransmissions_while_the_rto_is_backed_off() {
    // 1,000 flows on a pipe that holds about 139 segments (38.8 in flight at
    // 10 Mbit/s over the 46.5 ms round trip, 100 queued): a fair share is
    // 0.14 segment, so most flows wait on their retransmission timer at any
    // time. Starts are staggered by 0.7 ms so that no two flows run in
    // lockstep (with identical starts and round trips they retry together).
    let payload_capacity = 10.0 * 1448.0 / (1448.0 + 40.0);
    let case = |tcp: &str| {
        let r = run(&stagger(&dumbbell(1000, tcp, "", 60), 700), 1);
        let t = totals(&r);
        let clients = r.tcp.iter().filter(|c| c.side == "client");
        let (sent, acked, samples) = clients.fold((0, 0, 0), |(s, a, n), c| {
            (s + c.bytes_sent, a + c.bytes_acked, n + c.rtt_samples)
        });
        // New data sent and not cumulatively acknowledged at the end: most
        // of it arrived and waits at the receiver behind a hole.
        let behind = (sent - acked) as f64 / sent as f64;
        let busy = r
            .links
            .iter()
            .find(|l| l.name == "L->R")
            .unwrap()
            .utilization;
        eprintln!(
            "1000 flows, [tcp] {tcp:?}: {} retransmissions, {} RTOs, {} drops, {:.3} Mbit/s \
             ({:.0}% of {payload_capacity:.3}), bottleneck busy {:.1}%, {:.0}% of the data sent \
             not acknowledged at the end, {samples} RTT samples, Jain {:.3}, {} flows with nothing delivered",
            t.retransmitted,
            t.rtos,
            t.drops,
            t.goodput_mbps,
            100.0 * t.goodput_mbps / payload_capacity,
            100.0 * busy,
            100.0 * behind,
            jain(&r),
            starved(&r)
        );
        (t, behind, busy, samples)
    };
    // RFC 6675 retransmits a segment once per recovery, and none below the
    // recovery point an RTO sets (§5.1), so a retransmission that is lost
    // too is found only by the RTO; Karn's rule keeps that RTO backed off
    // (2, 4, 8, 16 s) until a segment sent once is timed. All the while SACK
    // clocks new data out behind the hole: the link stays busy, but what it
    // carries waits at the receiver.
    //
    // Timed only by the cumulative ACK (BSD's and ns-3's rule), a segment
    // sent behind a hole loses its timing when the hole is retransmitted:
    // few samples, and the backoff stays.
    let cumulative = case("rtt_sample = \"cumulative\"");
    // The default also takes the sample from the first SACK that reports
    // the timed segment (Linux's rule), so the backoff comes down while the
    // hole waits. What remains behind holes is there because the timer that
    // the last new ACK started still runs with the backed-off value (RFC
    // 6298 §5.3 restarts it only on new ACKs).
    let sack = case("");
    // Without SACK no new data goes out behind the hole.
    let no_sack = case("sack = false");
    // The backoff forgotten at every new ACK (ns-3's rule), or timestamps,
    // which time retransmissions too (RFC 7323 §4; Linux's default), so that
    // Karn's rule holds no backoff: the hole is repaired after one RTO.
    let new_ack = case("rto_backoff = \"new-ack\"");
    let timestamps = case("timestamps = true");
    // RACK-TLP (RFC 8985) finds a lost retransmission once data sent after
    // it is delivered, without the RTO, also the go-back-N retransmissions
    // below an RTO's recovery point (§6.3); a flow whose window is one
    // segment has nothing sent after it, and still waits for the RTO.
    let rack = case("loss_detection = \"rack-tlp\"");
    for (_, _, busy, _) in [&cumulative, &sack, &no_sack, &new_ack, &timestamps, &rack] {
        assert!(*busy > 0.99, "the bottleneck idled: {busy}");
    }
    assert!(cumulative.1 > 0.3, "{}", cumulative.1);
    assert!(
        cumulative.0.goodput_mbps < 0.7 * payload_capacity,
        "{}",
        cumulative.0.goodput_mbps
    );
    // SACK-reported samples: several times as many, and about half as much
    // data waiting behind holes.
    assert!(sack.3 > 3 * cumulative.3, "{} vs {}", sack.3, cumulative.3);
    assert!(
        sack.1 < 0.7 * cumulative.1,
        "{} vs {}",
        sack.1,
        cumulative.1
    );
    assert!(sack.0.goodput_mbps > 1.2 * cumulative.0.goodput_mbps);
    // ... and still more behind holes than with no backoff held at all.
    assert!(new_ack.1 < sack.1 / 2.0 && timestamps.1 < sack.1 / 2.0);
    assert!(
        no_sack.0.goodput_mbps > 0.9 * payload_capacity,
        "{}",
        no_sack.0.goodput_mbps
    );
    assert!(
        new_ack.0.goodput_mbps > 0.9 * payload_capacity,
        "{}",
        new_ack.0.goodput_mbps
    );
    assert!(
        timestamps.0.goodput_mbps > 0.9 * payload_capacity,
        "{}",
        timestamps.0.goodput_mbps
    );
    assert!(
        rack.0.rtos < sack.0.rtos,
        "{} vs {}",
        rack.0.rtos,
        sack.0.rtos
    );
    assert!(rack.1 < sack.1 / 2.0, "{} vs {}", rack.1, sack.1);
    assert!(
        rack.0.goodput_mbps > 0.9 * payload_capacity,
        "{}",
        rack.0.goodput_mbps
    );
}

#[test]
fn identical_starts_lock_flows_out_and_staggered_starts_do_not() {
    // 100 flows starting at the same nanosecond with the same round trip:
    // those whose first window is lost retry in lockstep (1, 3, 7, 15, 31 s
    // after their handshake) into a queue the others keep full, a phase
    // effect of a deterministic drop-tail network (Floyd and Jacobson 1992).
    let together = run(&dumbbell(100, "", "", 60), 1);
    let staggered = run(&stagger(&dumbbell(100, "", "", 60), 7000), 1);
    for (name, r) in [
        ("identical starts", &together),
        ("starts 7 ms apart", &staggered),
    ] {
        eprintln!(
            "100 flows, {name}: {:.3} Mbit/s, Jain {:.3}, {} flows with nothing delivered",
            totals(r).goodput_mbps,
            jain(r),
            starved(r)
        );
    }
    assert!(starved(&together) > 10, "{}", starved(&together));
    assert_eq!(starved(&staggered), 0);
    assert!(jain(&staggered) > jain(&together) + 0.2);
}

#[test]
fn per_ack_growth_halves_the_drops_and_leaves_the_lockout() {
    // N flows share the 100-packet buffer. Between losses their windows
    // together grow N·g segments per round trip: g = 1 with byte counting,
    // g ≈ 1/2 with RFC 5681's equation 3 (SMSS²/cwnd per ACK) and an ACK for
    // every second segment. A drop halves one flow's window, of about
    // (BDP + buffer)/N segments under either rule since both fill the same
    // buffer, and the buffer overflows again once the flows together have grown
    // that much back: the time between drops scales as 1/g, so per-ACK
    // growth should drop about half as many segments (rounding SMSS²/cwnd
    // down makes it a little fewer; the delayed-ACK timer, acknowledging a
    // single segment now and then, a little more).
    let ten = |growth: &str| totals(&run(&dumbbell(10, growth, "", 60), 1));
    let bytes = ten("cwnd_growth = \"bytes\"");
    let per_ack = ten("cwnd_growth = \"per-ack\"");
    for (name, t) in [("bytes", &bytes), ("per-ack", &per_ack)] {
        eprintln!(
            "10 flows, cwnd_growth {name}: {} retransmissions, {} RTOs, {} drops, {:.3} Mbit/s",
            t.retransmitted, t.rtos, t.drops, t.goodput_mbps
        );
    }
    let ratio = per_ack.drops as f64 / bytes.drops as f64;
    assert!(
        (0.4..=0.6).contains(&ratio),
        "drops {} / {}",
        per_ack.drops,
        bytes.drops
    );
    // SACK repairs each drop with one retransmission and no timeout, and the
    // link stays busy under either rule.
    for t in [&bytes, &per_ack] {
        assert_eq!(t.rtos, 0);
        assert!(
            t.retransmitted <= t.drops + t.drops / 20,
            "{}",
            t.retransmitted
        );
        assert!(t.goodput_mbps > 9.6, "{}", t.goodput_mbps);
    }
    // 100 flows starting together: the growth rule is not what locks flows
    // out. About 45 survivors fill the 139-packet pipe with three segments
    // each, so a drop (half of one flow's window, 1.5 segments) is grown back
    // in 1.5/45 of a round trip with byte counting, 1.5/22 with per-ACK
    // growth: under either rule L's queue is within a few packets of full
    // when the locked-out flows retry (1.045 and 3.045 s), and they stay out.
    let r = run(&dumbbell(100, "cwnd_growth = \"per-ack\"", "", 60), 1);
    eprintln!(
        "100 flows, identical starts, cwnd_growth per-ack: Jain {:.3}, {} flows with nothing delivered",
        jain(&r),
        starved(&r)
    );
    assert!(starved(&r) > 10, "{}", starved(&r));
    assert!(jain(&r) < 0.6, "{}", jain(&r));
}

#[test]
fn leaving_limited_transmit_out_of_flight_size_loosens_the_lockout() {
    // 100 flows at t = 0: the ~25 that keep sending after the first window
    // overshoot in slow start and each enter SACK recovery once between
    // 0.2 and 0.5 s, after limited transmit has sent one or two segments on
    // the first duplicate ACKs. Halving the flight without those (RFC 5681
    // §3.2 step 2) gives each a segment or so less ssthresh, together less
    // than the buffer holds: L's queue is lower when the locked-out flows
    // retry at 1.045 s and 3.045 s, and more of them get in. ns-3 cuts far
    // deeper (ssthresh from its pipe estimate, which leaves out the lost
    // and SACKed segments too) and locks out one flow.
    // Measured (and traced) with the RTT taken from cumulative ACKs only;
    // with the default, SACK-reported samples, the same direction and a
    // smaller gap (Jain 0.517 against 0.431, 41 flows against 51 in one run).
    for sample in ["rtt_sample = \"cumulative\"", ""] {
        let outstanding = run(
            &dumbbell(
                100,
                &format!("{sample}\nloss_flight = \"outstanding\""),
                "",
                60,
            ),
            1,
        );
        let rfc = run(&dumbbell(100, sample, "", 60), 1);
        for (name, r) in [
            ("outstanding", &outstanding),
            ("before-limited-transmit", &rfc),
        ] {
            eprintln!(
                "100 flows, identical starts, [tcp] {sample:?}, loss_flight {name}: Jain {:.3}, {} flows with nothing delivered, {} RTOs",
                jain(r),
                starved(r),
                totals(r).rtos
            );
        }
        if sample.is_empty() {
            assert!(starved(&rfc) < starved(&outstanding));
            assert!(jain(&rfc) > jain(&outstanding));
        } else {
            assert!(
                starved(&rfc) + 10 <= starved(&outstanding),
                "{} {}",
                starved(&rfc),
                starved(&outstanding)
            );
            assert!(jain(&rfc) > jain(&outstanding) + 0.1);
        }
    }
}

/// The dumbbell with flow i starting at i·`step_us` microseconds.
fn stagger(text: &str, step_us: u64) -> String {
    let mut out = String::new();
    let mut i = 0;
    for line in text.lines() {
        out += line;
        out += "\n";
        if line.starts_with("to = ") {
            out += &format!("start = \"{}us\"\n", i * step_us);
            i += 1;
        }
    }
    out
}
