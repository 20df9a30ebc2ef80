//! `netsim run --pcap`: the captures hold real IPv4/TCP/UDP packets that tshark
//! reads without complaint (no malformed packets, every checksum good), and each
//! capture's frame and byte counts equal netsim's statistics for its link direction.
//!
//! The tshark part is skipped (with a message) where tshark is not installed,
//! except under CI (the `CI` variable set), where a missing tshark fails the test.

mod common;

use netsim::stats::{LinkReport, Report};
use netsim::wire::stream_byte;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A TCP transfer of 400 kB through a router; the router-to-server hop loses 1 %
/// of its packets at random and the client's hop loses its 30th and 31st packets.
const TCP_LOSSY: &str = r#"
[simulation]
name = "pcap-tcp"
seed = 3
duration = "10s"

[[node]]
name = "client"
[[node]]
name = "R1"
kind = "router"
[[node]]
name = "server"

[[link]]
between = ["client", "R1"]
bandwidth = "20Mbps"
delay = "2ms"
drop = [30, 31]

[[link]]
between = ["R1", "server"]
bandwidth = "5Mbps"
delay = "10ms"
queue = "40p"
loss = 0.01

[[flow]]
name = "bulk"
protocol = "tcp"
from = "client"
to = "server:80"
bytes = "400kB"
"#;

/// A constant-rate UDP flow through a router, with random loss on the second hop.
const UDP_CBR: &str = r#"
[simulation]
name = "pcap-udp"
seed = 5
duration = "3s"

[[node]]
name = "A"
[[node]]
name = "R1"
kind = "router"
[[node]]
name = "B"

[[link]]
between = ["A", "R1"]
bandwidth = "10Mbps"
delay = "1ms"

[[link]]
between = ["R1", "B"]
bandwidth = "2Mbps"
delay = "5ms"
loss = 0.05

[[flow]]
name = "cbr"
from = "A"
to = "B:9000"
rate = "1Mbps"
size = "500B"
stop = "2s"
"#;

fn run_with_pcap(toml: &str, out: &Path) -> netsim::run::RunResult {
    let sc =
        netsim::scenario::parse("inline.toml", toml, "inline").unwrap_or_else(|e| panic!("{e}"));
    netsim::run::run(
        sc,
        &netsim::run::RunConfig {
            pcap: true,
            plots: false,
            ..netsim::run::RunConfig::new(out)
        },
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

/// One record of a pcap file: time in ns and the captured bytes.
struct Record {
    time_ns: u64,
    bytes: Vec<u8>,
}

/// Reads a nanosecond, little-endian, LINKTYPE_RAW pcap file (what netsim writes).
fn read_pcap(path: &Path) -> Vec<Record> {
    let data = std::fs::read(path).unwrap();
    assert!(data.len() >= 24, "{}: no pcap header", path.display());
    let u32_at = |i: usize| u32::from_le_bytes(data[i..i + 4].try_into().unwrap());
    assert_eq!(u32_at(0), 0xa1b2_3c4d, "nanosecond magic");
    assert_eq!(u32_at(20), 101, "LINKTYPE_RAW");
    let mut records = Vec::new();
    let mut i = 24;
    while i < data.len() {
        let (secs, nanos, incl, orig) = (u32_at(i), u32_at(i + 4), u32_at(i + 8), u32_at(i + 12));
        assert_eq!(incl, orig, "nothing truncated");
        let start = i + 16;
        let end = start + incl as usize;
        assert!(end <= data.len(), "{}: record cut short", path.display());
        records.push(Record {
            time_ns: u64::from(secs) * 1_000_000_000 + u64::from(nanos),
            bytes: data[start..end].to_vec(),
        });
        i = end;
    }
    records
}

/// The capture file of each link direction, checked to be exactly the files in `pcap/`.
fn captures(folder: &Path, report: &Report) -> Vec<(PathBuf, LinkReport)> {
    let dir = folder.join(netsim::capture::PCAP_DIR);
    let mut found: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    found.sort();
    let mut expected: Vec<String> = report
        .links
        .iter()
        .map(|l| format!("{}.pcap", netsim::capture::file_stem(&l.name)))
        .collect();
    expected.sort();
    assert_eq!(found, expected, "one capture per link direction");
    report
        .links
        .iter()
        .map(|l| {
            let name = format!("{}.pcap", netsim::capture::file_stem(&l.name));
            (dir.join(name), l.clone())
        })
        .collect()
}

/// Checks what can be checked without tshark: record count and bytes equal the
/// direction's statistics, every record is one whole IPv4 packet (DF set, total
/// length = record length), times never go backwards.
fn check_records(path: &Path, link: &LinkReport) -> Vec<Record> {
    let records = read_pcap(path);
    assert_eq!(records.len() as u64, link.tx_packets, "{}", link.name);
    let bytes: u64 = records.iter().map(|r| r.bytes.len() as u64).sum();
    assert_eq!(bytes, link.tx_bytes, "{}", link.name);
    for w in records.windows(2) {
        assert!(
            w[0].time_ns <= w[1].time_ns,
            "{}: time goes backwards",
            link.name
        );
    }
    for r in &records {
        let b = &r.bytes;
        assert_eq!(b[0], 0x45, "IPv4, 20-byte header");
        assert_eq!(usize::from(u16::from_be_bytes([b[2], b[3]])), b.len());
        assert_eq!(b[6] & 0xE0, 0x40, "DF set, MF clear");
    }
    records
}

fn tshark_found() -> bool {
    let found = Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "tshark not installed, but CI is set: the pcap check must run in CI \
             (.ci/run installs tshark)"
        );
        // Straight to stderr, past the test harness's capture, so it is seen.
        let _ = writeln!(
            std::io::stderr(),
            "tshark not installed: skipping the pcap check; CI installs it"
        );
    }
    found
}

/// Runs tshark on `file` with every checksum check on; returns its output.
///
/// The payloads are pseudo-random bytes: `decode` ("-d", "udp.port==9000,data")
/// keeps tshark from dissecting them as the port's protocol (HTTP on 80), or as
/// whatever a heuristic dissector guesses (RTCP, now and then), which would flag
/// them malformed. The IPv4 and TCP/UDP headers are dissected and checked in full.
fn tshark(file: &Path, decode: &[&str], args: &[&str]) -> String {
    let out = Command::new("tshark")
        .args([
            "-n",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
            "-r",
        ])
        .arg(file)
        .args(decode)
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark {args:?} on {}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// What tshark says about one capture.
#[derive(Debug, Default)]
struct Figures {
    frames: u64,
    bytes: u64,
    conv_frames: u64,
    /// Conversation bytes as tshark prints them (rounded down to its unit),
    /// and the sum of those units: the exact sum is in `[low, low + slack)`.
    conv_bytes_low: u64,
    conv_bytes_slack: u64,
    ip_good: u64,
    tcp_good: u64,
    udp_good: u64,
    bad_checksums: u64,
    malformed: u64,
    /// Frames with an expert note of severity "Error".
    errors: u64,
    /// tshark's lines for the frames that are malformed, or have a bad checksum
    /// or an expert error.
    flagged: Vec<String>,
}

/// A byte count of tshark's conversation table: "0 bytes", "2316 kB", "14 MB".
/// Returns (value rounded down, size of the unit).
fn parse_size(number: &str, unit: &str) -> (u64, u64) {
    let n: u64 = number
        .parse()
        .unwrap_or_else(|_| panic!("byte count {number:?}"));
    let unit = match unit {
        "bytes" => 1,
        "kB" => 1_000,
        "MB" => 1_000_000,
        "GB" => 1_000_000_000,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => panic!("unit {unit:?}"),
    };
    (n * unit, unit)
}

/// Display filters counted by tshark's `io,stat` (one column each, in this order).
/// Checksum status: 0 bad, 1 good, 2 unverified.
const MALFORMED: &str = "_ws.malformed";
const BAD_CHECKSUM: &str =
    "ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0";
const EXPERT_ERROR: &str = "_ws.expert.severity == \"Error\"";
const COLUMNS: [&str; 7] = [
    "frame",
    MALFORMED,
    BAD_CHECKSUM,
    EXPERT_ERROR,
    "ip.checksum.status == 1",
    "tcp.checksum.status == 1",
    "udp.checksum.status == 1",
];

fn tshark_figures(file: &Path, decode: &[&str]) -> Figures {
    let mut f = Figures::default();
    // Listed directly: every frame that is malformed, has a bad checksum or an
    // expert error (there must be none).
    let any_bad = format!("{MALFORMED} || {BAD_CHECKSUM} || {EXPERT_ERROR}");
    f.flagged = tshark(file, decode, &["-Y", &any_bad])
        .lines()
        .map(String::from)
        .collect();
    // Counted: conversations, and frames and bytes matching each column's filter.
    let io_stat = format!("io,stat,0,{}", COLUMNS.join(","));
    let stats = tshark(
        file,
        decode,
        &["-q", "-z", "conv,tcp", "-z", "conv,udp", "-z", &io_stat],
    );
    for line in stats.lines() {
        if line.contains("<->") {
            // addr <-> addr  frames bytes unit  frames bytes unit  frames bytes unit  start duration
            // (<-, ->, total); tshark 4 prints bytes rounded down to kB, MB, ...
            let t: Vec<&str> = line.split_whitespace().collect();
            assert!(t.len() >= 12, "conversation line {line:?}");
            f.conv_frames += t[9].parse::<u64>().unwrap();
            let (low, unit) = parse_size(t[10], t[11]);
            f.conv_bytes_low += low;
            f.conv_bytes_slack += unit;
        } else if line.contains("<>") {
            // | 0.0 <> 20.0 | frames | bytes | frames | bytes | ... (one pair per column)
            let cols: Vec<u64> = line
                .split('|')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .skip(1)
                .map(|c| {
                    c.parse()
                        .unwrap_or_else(|_| panic!("io,stat line {line:?}"))
                })
                .collect();
            assert_eq!(cols.len(), 2 * COLUMNS.len(), "io,stat line {line:?}");
            let frames = |i: usize| cols[2 * i];
            f.frames += frames(0);
            f.bytes += cols[1];
            f.malformed += frames(1);
            f.bad_checksums += frames(2);
            f.errors += frames(3);
            f.ip_good += frames(4);
            f.tcp_good += frames(5);
            f.udp_good += frames(6);
        }
    }
    f
}

/// The tshark checks of every capture of a run; returns the figures by direction.
fn check_with_tshark(caps: &[(PathBuf, LinkReport)], decode: &[&str]) -> Vec<(String, Figures)> {
    let mut all = Vec::new();
    for (path, link) in caps {
        let f = tshark_figures(path, decode);
        eprintln!(
            "{:>12}: tshark {} frames {} bytes (conversations {} frames, {}..{} bytes), \
             checksums good ip {} tcp {} udp {}, bad {}, malformed {}, expert errors {}; \
             netsim tx {} packets {} bytes",
            link.name,
            f.frames,
            f.bytes,
            f.conv_frames,
            f.conv_bytes_low,
            f.conv_bytes_low + f.conv_bytes_slack,
            f.ip_good,
            f.tcp_good,
            f.udp_good,
            f.bad_checksums,
            f.malformed,
            f.errors,
            link.tx_packets,
            link.tx_bytes,
        );
        let n = &link.name;
        assert!(
            f.flagged.is_empty(),
            "{n}: flagged frames:\n{}",
            f.flagged.join("\n")
        );
        assert_eq!(f.malformed, 0, "{n}: malformed packets");
        assert_eq!(f.bad_checksums, 0, "{n}: bad checksums");
        assert_eq!(f.errors, 0, "{n}: expert errors");
        assert_eq!(f.frames, link.tx_packets, "{n}: frames");
        assert_eq!(f.bytes, link.tx_bytes, "{n}: bytes");
        assert_eq!(f.conv_frames, link.tx_packets, "{n}: conversation frames");
        assert!(
            f.conv_bytes_low <= link.tx_bytes
                && link.tx_bytes < f.conv_bytes_low + f.conv_bytes_slack.max(1),
            "{n}: conversation bytes {}..{} vs {}",
            f.conv_bytes_low,
            f.conv_bytes_low + f.conv_bytes_slack,
            link.tx_bytes
        );
        assert_eq!(
            f.ip_good, link.tx_packets,
            "{n}: every IPv4 checksum verified good"
        );
        assert_eq!(
            f.tcp_good + f.udp_good,
            link.tx_packets,
            "{n}: every TCP/UDP checksum verified good"
        );
        all.push((n.clone(), f));
    }
    all
}

fn link<'a>(caps: &'a [(PathBuf, LinkReport)], name: &str) -> &'a (PathBuf, LinkReport) {
    caps.iter()
        .find(|(_, l)| l.name == name)
        .unwrap_or_else(|| panic!("no direction {name}"))
}

#[test]
fn tcp_transfer_with_losses_captures_read_clean_in_tshark() {
    let out = common::temp_dir("pcap-tcp");
    let r = run_with_pcap(TCP_LOSSY, &out);
    let flow = &r.report.flows[0];
    assert!(flow.completion_s.is_some(), "the transfer completes");
    assert!(
        flow.lost_packets >= 2,
        "segments were lost: {}",
        flow.lost_packets
    );
    let caps = captures(&r.folder, &r.report);
    for (path, l) in &caps {
        check_records(path, l);
    }
    // The client's first data segment carries stream bytes 0.. (SYN: seq = ISN).
    let (path, _) = link(&caps, "client->R1");
    let records = read_pcap(path);
    let syn = &records[0].bytes;
    assert_eq!(syn[20 + 13] & 0x12, 0x02, "SYN first");
    let isn = u32::from_be_bytes(syn[24..28].try_into().unwrap());
    let data = records
        .iter()
        .map(|r| &r.bytes)
        .find(|b| {
            let hl = usize::from(b[32] >> 4) * 4;
            b.len() > 20 + hl && u32::from_be_bytes(b[24..28].try_into().unwrap()) == isn + 1
        })
        .expect("a first data segment");
    let hl = usize::from(data[32] >> 4) * 4;
    for (k, &byte) in data[20 + hl..].iter().enumerate() {
        assert_eq!(byte, stream_byte(k as u64), "payload byte {k}");
    }
    if tshark_found() {
        let decode = ["-d", "tcp.port==80,data"];
        check_with_tshark(&caps, &decode);
        // The two segments lost on purpose are sent again: tshark's sequence
        // analysis, reading seq numbers and lengths, sees both repairs.
        let (path, _) = link(&caps, "client->R1");
        let filter = "tcp.analysis.retransmission || tcp.analysis.out_of_order";
        let rtx = tshark(path, &decode, &["-Y", filter]);
        assert!(rtx.lines().count() >= 2, "tshark sees the repairs:\n{rtx}");
    }
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn udp_flow_captures_read_clean_in_tshark() {
    let out = common::temp_dir("pcap-udp");
    let r = run_with_pcap(UDP_CBR, &out);
    assert!(
        r.report.flows[0].lost_packets > 0,
        "some datagrams are lost"
    );
    let caps = captures(&r.folder, &r.report);
    for (path, l) in &caps {
        check_records(path, l);
    }
    // TTL as on each hop: 64 leaving A, 63 after the router.
    let (a_r1, _) = link(&caps, "A->R1");
    let (r1_b, _) = link(&caps, "R1->B");
    let first = read_pcap(a_r1);
    assert!(first.iter().all(|r| r.bytes[8] == 64));
    assert!(read_pcap(r1_b).iter().all(|r| r.bytes[8] == 63));
    // Payload: the flow's stream bytes, datagram after datagram; first one sent at 0.
    assert_eq!(first[0].time_ns, 0);
    for (i, rec) in first.iter().take(5).enumerate() {
        assert_eq!(rec.bytes.len(), 20 + 8 + 500);
        for (k, &byte) in rec.bytes[28..].iter().enumerate() {
            assert_eq!(byte, stream_byte((i * 500 + k) as u64));
        }
    }
    if tshark_found() {
        let figures = check_with_tshark(&caps, &["-d", "udp.port==9000,data"]);
        assert!(figures.iter().all(|(_, f)| f.tcp_good == 0));
    }
    std::fs::remove_dir_all(&out).unwrap();
}
