//! Explicit Congestion Notification (RFC 3168) end to end: a RED bottleneck
//! that marks instead of dropping, TCP that negotiates ECN, echoes CE as ECE
//! and answers with CWR, and pcaps in which tshark reads all of it.

mod common;

use netsim::stats::{LinkReport, Report};
use std::path::Path;
use std::process::Command;

/// A bulk TCP flow over a 10 Mbit/s, 20 ms RED bottleneck that marks
/// (`link_ecn`), with ECN negotiated by both ends if `tcp_ecn`.
fn scenario(tcp_ecn: bool, link_ecn: bool) -> String {
    format!(
        "[simulation]\nname = \"ecn\"\nduration = \"20s\"\n\
         [tcp]\necn = {tcp_ecn}\n\
         [[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n\
         [[node]]\nname = \"R1\"\nkind = \"router\"\n[[node]]\nname = \"R2\"\nkind = \"router\"\n\
         [[link]]\nbetween = [\"A\", \"R1\"]\n\
         [[link]]\nbetween = [\"R1\", \"R2\"]\nbandwidth = \"10Mbps\"\ndelay = \"20ms\"\nqueue = \"100p\"\naqm = \"red\"\necn = {link_ecn}\n\
         [[link]]\nbetween = [\"R2\", \"B\"]\n\
         [[flow]]\nname = \"bulk\"\nprotocol = \"tcp\"\nfrom = \"A\"\nto = \"B:80\"\n"
    )
}

fn run(text: &str, out: &Path, trace: bool, pcap: bool) -> (Report, std::path::PathBuf) {
    let sc = netsim::scenario::parse("ecn.toml", text, "ecn").unwrap_or_else(|e| panic!("{e}"));
    let r = netsim::run::run(
        sc,
        &netsim::run::RunConfig {
            trace,
            pcap,
            plots: false,
            ..netsim::run::RunConfig::new(out)
        },
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (r.report, r.folder)
}

fn bottleneck(r: &Report) -> &LinkReport {
    r.links.iter().find(|l| l.name == "R1->R2").unwrap()
}

fn aqm_drops(l: &LinkReport) -> u64 {
    l.drops_by_reason
        .iter()
        .filter(|c| c.reason == "aqm-drop" || c.reason == "queue-overflow")
        .map(|c| c.count)
        .sum()
}

#[test]
fn marks_replace_drops_when_both_ends_negotiate_ecn() {
    let out = common::temp_dir("ecn-marks");
    let (ecn, folder) = run(&scenario(true, true), &out, true, false);
    let l = bottleneck(&ecn);
    let client = ecn.tcp.iter().find(|c| c.side == "client").unwrap();
    eprintln!(
        "ECN: {} marks, {} drops at R1->R2, {} window reductions for ECE, {} retransmitted segments, mean queue delay {:.2} ms",
        l.ecn_marks,
        aqm_drops(l),
        client.ecn_reductions,
        client.segments_retransmitted,
        l.mean_queue_delay_ms
    );
    assert!(l.ecn_marks > 10, "{} marks", l.ecn_marks);
    // At most one reduction per window of data: fewer reductions than marks.
    assert!(client.ecn_reductions > 0 && client.ecn_reductions <= l.ecn_marks);

    // Slow start overshoots before RED's slow average (wq = 0.002) catches
    // up, and the average takes a while to come back down: while it is at or
    // above max_th RED drops even ECN-capable packets (RFC 3168 §7). Seen
    // here until 1.83 s. After that the queue is held by marks alone.
    let trace = std::fs::read_to_string(folder.join("trace.txt")).unwrap();
    let late_drops: Vec<&str> = trace
        .lines()
        .filter(|l| l.contains(" drop R1->R2 "))
        .filter(|l| l.split(' ').next().unwrap().parse::<f64>().unwrap() >= 3.0)
        .collect();
    assert!(late_drops.is_empty(), "{late_drops:?}");
    assert!(aqm_drops(l) > 0, "the slow-start overshoot");

    // The exchange in the trace: an ECN-setup SYN (ECE|CWR), a SYN-ACK with ECE
    // alone, ECT(0) data, a CE mark, ECE on the ACKs, CWR on new data.
    let first = |pred: &dyn Fn(&str) -> bool| trace.lines().position(pred);
    let syn = first(&|l| l.contains("flags=SYN|ECE|CWR")).expect("ECN-setup SYN");
    let syn_ack = first(&|l| l.contains("flags=SYN|ACK|ECE ")).expect("ECN-setup SYN-ACK");
    let mark = first(&|l| l.contains(" ecn-mark R1->R2 ")).expect("a CE mark");
    let echo = trace
        .lines()
        .skip(mark)
        .position(|l| l.contains("10.0.0.2:80>10.0.0.1") && l.contains("ECE"))
        .expect("ECE echoed after the mark");
    let cwr = trace
        .lines()
        .skip(mark + echo)
        .position(|l| l.contains("10.0.0.1:") && l.contains("CWR"))
        .expect("CWR after the echo");
    assert!(syn < syn_ack && syn_ack < mark && echo > 0 && cwr > 0);
    assert!(trace.contains("ecn=ect0") && trace.contains("ecn=ce"));
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn no_marks_without_negotiation() {
    let out = common::temp_dir("ecn-off");
    // The link would mark, but the transport is not ECN-capable: RED drops.
    let (plain, _) = run(&scenario(false, true), &out, false, false);
    let l = bottleneck(&plain);
    eprintln!(
        "no ECN: {} marks, {} drops at R1->R2",
        l.ecn_marks,
        aqm_drops(l)
    );
    assert_eq!(l.ecn_marks, 0);
    assert!(aqm_drops(l) > 0);
    std::fs::remove_dir_all(&out).unwrap();
}

fn tshark_count(file: &Path, filter: &str) -> usize {
    let out = Command::new("tshark")
        .args([
            "-n",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-d",
            "tcp.port==80,data",
            "-r",
        ])
        .arg(file)
        .args(["-Y", filter])
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn tshark_reads_ect_ce_ece_and_cwr() {
    if Command::new("tshark").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI must install tshark (see .ci/run)"
        );
        eprintln!("tshark not installed: skipping; CI installs it");
        return;
    }
    let out = common::temp_dir("ecn-pcap");
    let (_, folder) = run(&scenario(true, true), &out, false, true);
    // Marked on R1->R2, so CE shows from there on; the echo rides back on B's ACKs.
    let forward = folder.join("pcap/R2-B.pcap");
    let back = folder.join("pcap/B-R2.pcap");
    let ect0 = tshark_count(&forward, "ip.dsfield.ecn == 2");
    let ce = tshark_count(&forward, "ip.dsfield.ecn == 3");
    let cwr = tshark_count(&forward, "tcp.flags.cwr == 1 && !(tcp.flags.syn == 1)");
    let ece = tshark_count(&back, "tcp.flags.ece == 1 && !(tcp.flags.syn == 1)");
    let syn_setup = tshark_count(
        &folder.join("pcap/A-R1.pcap"),
        "tcp.flags.syn == 1 && tcp.flags.ece == 1 && tcp.flags.cwr == 1",
    );
    eprintln!("tshark: ECT(0) {ect0}, CE {ce}, CWR {cwr}, ECE {ece}, ECN-setup SYN {syn_setup}");
    assert!(ect0 > 1000 && ce > 10 && cwr > 0 && ece > 0 && syn_setup == 1);
    for f in [&forward, &back] {
        let bad = tshark_count(
            f,
            "_ws.malformed || ip.checksum.status == 0 || tcp.checksum.status == 0",
        );
        assert_eq!(bad, 0, "malformed or bad checksums in {}", f.display());
    }
    std::fs::remove_dir_all(&out).unwrap();
}
