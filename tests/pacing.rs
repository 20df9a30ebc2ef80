//! Pacing (`[tcp] pacing = true`): data segments leave at the rate Linux's
//! `tcp_update_pacing_rate` sets (cwnd / SRTT × 2 while cwnd < ssthresh / 2,
//! × 1.2 after), read off the sender's `transmit` lines in the trace.

mod common;

/// One 10 MB transfer s0 -> d0 over 100 Mbit/s access links and a
/// 10 Mbit/s, 20 ms, 100-packet bottleneck.
fn scenario(pacing: bool) -> String {
    format!(
        "[simulation]\nname = \"pacing-{pacing}\"\nduration = \"30s\"\n[tcp]\npacing = {pacing}\n\
         [[node]]\nname = \"L\"\nkind = \"router\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n\
         [[node]]\nname = \"s0\"\n[[node]]\nname = \"d0\"\n\
         [[link]]\nbetween = [\"L\", \"R\"]\nbandwidth = \"10Mbps\"\ndelay = \"20ms\"\nqueue = \"100p\"\n\
         [[link]]\nbetween = [\"s0\", \"L\"]\nbandwidth = \"100Mbps\"\ndelay = \"1ms\"\n\
         [[link]]\nbetween = [\"d0\", \"R\"]\nbandwidth = \"100Mbps\"\ndelay = \"1ms\"\n\
         [[flow]]\nname = \"bulk\"\nprotocol = \"tcp\"\nfrom = \"s0\"\nto = \"d0:80\"\nbytes = \"10MB\"\n"
    )
}

fn ns(field: &str) -> u64 {
    let (s, f) = field.split_once('.').unwrap();
    s.parse::<u64>().unwrap() * 1_000_000_000 + f.parse::<u64>().unwrap()
}

/// The trace, and the times the sender put full data segments on its link.
fn run(pacing: bool) -> (String, Vec<u64>) {
    let dir = common::temp_dir(&format!("pacing-{pacing}"));
    let file = dir.join("pacing.toml");
    std::fs::write(&file, scenario(pacing)).unwrap();
    let r = common::run_file(&file, &dir, true, None);
    let trace = std::fs::read_to_string(r.folder.join("trace.txt")).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    let sends = trace
        .lines()
        .filter(|l| l.contains(" s0 transmit s0->L ") && l.contains(" len=1448"))
        .map(|l| ns(l.split(' ').next().unwrap()))
        .collect();
    (trace, sends)
}

fn back_to_back(sends: &[u64]) -> usize {
    // 1,488 B at 100 Mbit/s take 119,040 ns: a burst leaves that far apart.
    sends.windows(2).filter(|w| w[1] - w[0] < 200_000).count()
}

#[test]
fn paced_segments_leave_at_the_linux_rate_instead_of_in_bursts() {
    let (_, bursty) = run(false);
    let (trace, paced) = run(true);
    eprintln!(
        "back-to-back data segments: {} of {} unpaced, {} of {} paced",
        back_to_back(&bursty),
        bursty.len(),
        back_to_back(&paced),
        paced.len()
    );
    assert!(back_to_back(&bursty) * 3 > bursty.len());
    assert!(back_to_back(&paced) * 20 < paced.len());

    // The initial window, paced from the handshake's RTT sample: SRTT is the
    // SYN's round trip, cwnd 10 segments (14,480 B) far below ssthresh, so
    // the rate is 2 × 14,480 B / SRTT and 1,488 B (payload and 40 header
    // bytes) leave 1,488 / rate apart.
    let at = |pat: &str| {
        ns(trace
            .lines()
            .find(|l| l.contains(pat))
            .unwrap_or_else(|| panic!("no `{pat}` line"))
            .split(' ')
            .next()
            .unwrap())
    };
    let srtt = at(" s0 deliver ") - at(" s0 transmit s0->L ");
    let rate = 2 * 14_480 * 1_000_000_000u128 / u128::from(srtt);
    let gap = (1488 * 1_000_000_000u128 / rate) as u64;
    // (The first segment waits 3.2 µs behind the handshake's ACK on the
    // host's link, so its gap to the second is that much shorter.)
    for w in paced[1..10].windows(2) {
        assert_eq!(w[1] - w[0], gap, "SRTT {srtt} ns, rate {rate} B/s");
    }
}
