//! Active queue management on a 10 Mbit/s, 20 ms bottleneck with a
//! 100-packet buffer: what each discipline does to the standing queue a bulk
//! TCP flow builds, and FQ-CoDel's isolation of a sparse flow.

use netsim::engine::Simulation;
use netsim::stats::Report;

/// A -> R1 -> R2 -> B for a bulk TCP flow, C -> R1 -> R2 -> D for `udp`
/// (if any); the bottleneck R1->R2 runs `aqm`.
fn dumbbell(aqm: &str, udp: &str) -> Report {
    let text = format!(
        "[simulation]\nname = \"aqm\"\nduration = \"30s\"\n\
         [[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n[[node]]\nname = \"C\"\n[[node]]\nname = \"D\"\n\
         [[node]]\nname = \"R1\"\nkind = \"router\"\n[[node]]\nname = \"R2\"\nkind = \"router\"\n\
         [[link]]\nbetween = [\"A\", \"R1\"]\n[[link]]\nbetween = [\"C\", \"R1\"]\n\
         [[link]]\nbetween = [\"R1\", \"R2\"]\nbandwidth = \"10Mbps\"\ndelay = \"20ms\"\nqueue = \"100p\"\naqm = \"{aqm}\"\n\
         [[link]]\nbetween = [\"R2\", \"B\"]\n[[link]]\nbetween = [\"R2\", \"D\"]\n\
         [[flow]]\nname = \"bulk\"\nprotocol = \"tcp\"\nfrom = \"A\"\nto = \"B:80\"\n{udp}"
    );
    let sc = netsim::scenario::parse("aqm.toml", &text, "aqm").unwrap_or_else(|e| panic!("{e}"));
    Simulation::new(sc, Default::default())
        .unwrap()
        .run()
        .unwrap()
}

fn bottleneck(r: &Report) -> &netsim::stats::LinkReport {
    r.links.iter().find(|l| l.name == "R1->R2").unwrap()
}

fn drops(l: &netsim::stats::LinkReport, reason: &str) -> u64 {
    l.drops_by_reason
        .iter()
        .find(|c| c.reason == reason)
        .map_or(0, |c| c.count)
}

fn goodput_mbps(r: &Report, flow: &str) -> f64 {
    let f = r.flows.iter().find(|f| f.name == flow).unwrap();
    f.received_bytes as f64 * 8.0 / 30.0 / 1e6
}

#[test]
fn codel_holds_the_standing_queue_near_its_target() {
    let tail = dumbbell("drop-tail", "");
    let codel = dumbbell("codel", "");
    let (t, c) = (bottleneck(&tail), bottleneck(&codel));
    eprintln!(
        "drop-tail: mean queue delay {:.2} ms, {} overflow drops, goodput {:.3} Mbit/s",
        t.mean_queue_delay_ms,
        drops(t, "queue-overflow"),
        goodput_mbps(&tail, "bulk")
    );
    eprintln!(
        "codel:     mean queue delay {:.2} ms, {} aqm drops, {} overflow drops, goodput {:.3} Mbit/s",
        c.mean_queue_delay_ms,
        drops(c, "aqm-drop"),
        drops(c, "queue-overflow"),
        goodput_mbps(&codel, "bulk")
    );
    // Drop-tail lets NewReno fill the buffer: the sawtooth swings between
    // a full 100 packets (120 ms at 1.2 ms a packet) and about half of it.
    assert!(t.mean_queue_delay_ms > 40.0, "{}", t.mean_queue_delay_ms);
    // CoDel drops at the head once the sojourn time has stayed above 5 ms
    // for 100 ms: the standing queue stays within a few targets.
    assert!(c.mean_queue_delay_ms < 15.0, "{}", c.mean_queue_delay_ms);
    assert!(drops(c, "aqm-drop") > 0);
    assert_eq!(
        drops(c, "queue-overflow"),
        0,
        "CoDel acts before the buffer fills"
    );
    // And the link stays busy: one flow with a 42 ms RTT keeps most of it.
    assert!(goodput_mbps(&codel, "bulk") > 8.0);
}

#[test]
fn red_keeps_the_average_between_its_thresholds() {
    let red = dumbbell("red", "");
    let l = bottleneck(&red);
    eprintln!(
        "red: mean queue delay {:.2} ms, {} early drops, {} overflow drops, goodput {:.3} Mbit/s",
        l.mean_queue_delay_ms,
        drops(l, "aqm-drop"),
        drops(l, "queue-overflow"),
        goodput_mbps(&red, "bulk")
    );
    // min_th = 5 and max_th = 15 packets of 1.2 ms each: the queue waits
    // around 6 to 18 ms, never near the 120 ms a full buffer means.
    assert!(l.mean_queue_delay_ms < 30.0, "{}", l.mean_queue_delay_ms);
    assert!(drops(l, "aqm-drop") > 0);
    assert_eq!(drops(l, "queue-overflow"), 0);
}

#[test]
fn fq_codel_isolates_a_sparse_flow_from_a_bulk_one() {
    let voice =
        "[[flow]]\nname = \"voice\"\nfrom = \"C\"\nto = \"D\"\nrate = \"1Mbps\"\nsize = \"200B\"\n";
    let delay = |r: &Report| {
        r.flows
            .iter()
            .find(|f| f.name == "voice")
            .unwrap()
            .delay
            .clone()
    };
    let tail = dumbbell("drop-tail", voice);
    let fq = dumbbell("fq-codel", voice);
    let (dt, df) = (delay(&tail), delay(&fq));
    eprintln!(
        "voice one-way delay, drop-tail: mean {:.2} / p99 {:.2} ms; fq-codel: mean {:.2} / p99 {:.2} ms (base {:.2} ms); bulk goodput {:.3} vs {:.3} Mbit/s",
        dt.mean_ms,
        dt.p99_ms,
        df.mean_ms,
        df.p99_ms,
        df.min_ms,
        goodput_mbps(&tail, "bulk"),
        goodput_mbps(&fq, "bulk")
    );
    // Behind a drop-tail queue the voice packets wait as long as the bulk
    // flow's packets do.
    assert!(dt.mean_ms > df.min_ms + 40.0, "{dt:?}");
    // In its own queue, served first as a sparse flow, a voice packet waits
    // at most for the bulk packet being sent (1.2 ms) and a round of DRR.
    assert!(df.mean_ms < df.min_ms + 3.0, "{df:?}");
    assert!(df.p99_ms < df.min_ms + 5.0, "{df:?}");
}
