//! Bad scenario files, as a user meets them: `netsim run` and `netsim validate`
//! must both refuse the file with exit code 2 and exactly one line on stderr,
//! `error: FILE:LINE:COL: what is wrong; what was expected`, and simulate nothing.
//!
//! The fixtures live in `tests/bad_input/`; each starts with a comment saying
//! what is wrong with it. Paths in the messages are relative because the binary
//! runs from the crate root.

mod common;

use std::path::Path;
use std::process::Output;

fn check_refused(what: &str, out: &Output, expected_stderr: &str) {
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        expected_stderr,
        "stderr of `{what}`"
    );
    assert_eq!(out.status.code(), Some(2), "exit code of `{what}`");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "",
        "stdout of `{what}`"
    );
}

/// `netsim run FILE --out TMP` and `netsim validate FILE` both print exactly
/// `expected_stderr`, nothing on stdout, exit with 2; `run` writes nothing.
fn rejects(file: &str, expected_stderr: &str) {
    assert!(
        expected_stderr.starts_with(&format!("error: {file}:")),
        "the expected message names another file than {file}"
    );
    let stem = Path::new(file).file_stem().unwrap().to_string_lossy();
    let out_dir = common::temp_dir(&stem);
    let run = common::netsim(&["run", file, "--out", out_dir.to_str().unwrap()]);
    check_refused(&format!("netsim run {file}"), &run, expected_stderr);
    let written: Vec<_> = std::fs::read_dir(&out_dir).unwrap().collect();
    assert!(written.is_empty(), "`netsim run {file}` wrote {written:?}");
    std::fs::remove_dir_all(&out_dir).unwrap();

    let validate = common::netsim(&["validate", file]);
    check_refused(
        &format!("netsim validate {file}"),
        &validate,
        expected_stderr,
    );
}

// ---- unknown keys and tables: toml's messages, in the file's words ----

#[test]
fn unknown_key_in_link() {
    rejects(
        "tests/bad_input/unknown_key_in_link.toml",
        "error: tests/bad_input/unknown_key_in_link.toml:9:1: unknown key `bandwith`, expected one of `between`, `bandwidth`, `delay`, `queue`, `loss`, `loss_forward`, `loss_reverse`, `cost`, `channels`, `drop`, `aqm`, `aqm_target`, `aqm_interval`, `aqm_threshold`, `ecn`\n",
    );
}

#[test]
fn unknown_aqm() {
    rejects(
        "tests/bad_input/unknown_aqm.toml",
        "error: tests/bad_input/unknown_aqm.toml:9:7: unknown aqm `blue`; expected \"drop-tail\", \"red\", \"codel\", \"fq-codel\" or \"step\"\n",
    );
}

#[test]
fn unknown_congestion_control() {
    rejects(
        "tests/bad_input/unknown_congestion.toml",
        "error: tests/bad_input/unknown_congestion.toml:3:14: unknown congestion `vegas`; expected \"newreno\", \"cubic\", \"dctcp\", \"bbr\"\n",
    );
}

#[test]
fn unknown_recovery() {
    rejects(
        "tests/bad_input/unknown_recovery.toml",
        "error: tests/bad_input/unknown_recovery.toml:3:12: unknown recovery `fack`; expected \"rfc6675\", \"prr\"\n",
    );
}

#[test]
fn unknown_cwnd_growth() {
    rejects(
        "tests/bad_input/unknown_cwnd_growth.toml",
        "error: tests/bad_input/unknown_cwnd_growth.toml:3:15: unknown cwnd_growth `per-byte`; expected \"bytes\", \"per-ack\"\n",
    );
}

#[test]
fn per_ack_growth_with_cubic() {
    rejects(
        "tests/bad_input/cwnd_growth_with_cubic.toml",
        "error: tests/bad_input/cwnd_growth_with_cubic.toml:17:22: cwnd_growth = \"per-ack\" is the congestion-avoidance rule of newreno and dctcp; expected congestion = \"newreno\" or \"dctcp\" with it, or cwnd_growth = \"bytes\" (congestion = \"cubic\" grows its own way)\n",
    );
}

#[test]
fn keepalive_probes_without_keepalive() {
    rejects(
        "tests/bad_input/keepalive_probes_alone.toml",
        "error: tests/bad_input/keepalive_probes_alone.toml:3:20: keepalive_probes needs keep-alive on; expected keepalive = \"2h\" (or another idle time) beside it\n",
    );
}

#[test]
fn urgent_at_past_the_transfer() {
    rejects(
        "tests/bad_input/urgent_at_past_the_transfer.toml",
        "error: tests/bad_input/urgent_at_past_the_transfer.toml:15:13: urgent_at 3000B is past the transfer's last byte; expected a stream offset from 0B to 2999B (bytes - 1: the urgent byte is one of the bytes sent)\n",
    );
}

#[test]
fn urgent_at_on_a_udp_flow() {
    rejects(
        "tests/bad_input/urgent_at_udp.toml",
        "error: tests/bad_input/urgent_at_udp.toml:13:13: urgent_at is TCP's urgent data; expected protocol = \"tcp\" with it\n",
    );
}

#[test]
fn dctcp_without_ecn() {
    rejects(
        "tests/bad_input/dctcp_without_ecn.toml",
        "error: tests/bad_input/dctcp_without_ecn.toml:3:14: congestion = \"dctcp\" reacts to ECN marks; expected ecn = true (or no ecn key) with it\n",
    );
}

#[test]
fn step_threshold_on_another_aqm() {
    rejects(
        "tests/bad_input/threshold_without_step.toml",
        "error: tests/bad_input/threshold_without_step.toml:10:17: aqm_threshold sets the step marker; expected aqm = \"step\" on this link\n",
    );
}

#[test]
fn unknown_key_in_simulation() {
    rejects(
        "tests/bad_input/unknown_key_in_simulation.toml",
        "error: tests/bad_input/unknown_key_in_simulation.toml:4:1: unknown key `durration`, expected one of `name`, `seed`, `duration`, `switching`\n",
    );
}

#[test]
fn unknown_top_level_table() {
    rejects(
        "tests/bad_input/unknown_top_level_table.toml",
        "error: tests/bad_input/unknown_top_level_table.toml:7:3: unknown table `links`, expected one of `simulation`, `node`, `link`, `flow`, `routing`, `circuit`, `tcp`, `failure`, `topology`, `flows`, `limits`\n",
    );
}

// ---- quantities with units ----

#[test]
fn bad_unit() {
    rejects(
        "tests/bad_input/bad_unit.toml",
        "error: tests/bad_input/bad_unit.toml:9:13: `10 Mbsp`: unknown unit `Mbsp`; expected a data rate such as \"10Mbps\" or \"64kbps\", with a unit from: bps, kbps, Kbps, Mbps, Gbps, Tbps\n",
    );
}

#[test]
fn duration_without_unit() {
    rejects(
        "tests/bad_input/duration_without_unit.toml",
        "error: tests/bad_input/duration_without_unit.toml:9:9: `20`: missing unit; expected a duration such as \"20ms\" or \"1.5s\", with a unit from: ns, us, µs, ms, s, min, h\n",
    );
}

#[test]
fn negative_bandwidth() {
    rejects(
        "tests/bad_input/negative_bandwidth.toml",
        "error: tests/bad_input/negative_bandwidth.toml:9:13: `-5Mbps` is negative; expected a data rate such as \"10Mbps\" or \"64kbps\", with a unit from: bps, kbps, Kbps, Mbps, Gbps, Tbps\n",
    );
}

#[test]
fn zero_bandwidth() {
    rejects(
        "tests/bad_input/zero_bandwidth.toml",
        "error: tests/bad_input/zero_bandwidth.toml:9:13: the bandwidth must be greater than zero, e.g. \"10Mbps\"\n",
    );
}

#[test]
fn zero_duration() {
    rejects(
        "tests/bad_input/zero_duration.toml",
        "error: tests/bad_input/zero_duration.toml:3:12: the duration must be longer than zero, e.g. \"10s\"\n",
    );
}

#[test]
fn wrong_type() {
    rejects(
        "tests/bad_input/wrong_type.toml",
        "error: tests/bad_input/wrong_type.toml:9:13: invalid type: integer `10`, expected a data rate string such as \"10Mbps\"\n",
    );
}

// ---- loss probabilities ----

#[test]
fn loss_above_one() {
    rejects(
        "tests/bad_input/loss_above_one.toml",
        "error: tests/bad_input/loss_above_one.toml:9:8: loss 1.5 is not a probability; expected a number from 0 to 1, e.g. 0.01 for 1%\n",
    );
}

#[test]
fn loss_negative() {
    rejects(
        "tests/bad_input/loss_negative.toml",
        "error: tests/bad_input/loss_negative.toml:9:8: loss -0.1 is not a probability; expected a number from 0 to 1, e.g. 0.01 for 1%\n",
    );
}

#[test]
fn loss_nan() {
    rejects(
        "tests/bad_input/loss_nan.toml",
        "error: tests/bad_input/loss_nan.toml:9:8: loss NaN is not a probability; expected a number from 0 to 1, e.g. 0.01 for 1%\n",
    );
}

// ---- nodes and names ----

#[test]
fn undeclared_node_in_link() {
    rejects(
        "tests/bad_input/undeclared_node_in_link.toml",
        "error: tests/bad_input/undeclared_node_in_link.toml:8:17: unknown node `C`; expected one of the declared [[node]] names: `A`, `B`\n",
    );
}

#[test]
fn undeclared_node_in_flow() {
    rejects(
        "tests/bad_input/undeclared_node_in_flow.toml",
        "error: tests/bad_input/undeclared_node_in_flow.toml:12:6: unknown node `C`; expected one of the declared [[node]] names: `A`, `B`\n",
    );
}

#[test]
fn duplicate_node_names() {
    rejects(
        "tests/bad_input/duplicate_node_names.toml",
        "error: tests/bad_input/duplicate_node_names.toml:7:8: duplicate node name `A` (first declared at line 3, column 8); expected a unique name per node\n",
    );
}

#[test]
fn duplicate_flow_names() {
    rejects(
        "tests/bad_input/duplicate_flow_names.toml",
        "error: tests/bad_input/duplicate_flow_names.toml:16:8: duplicate flow name `voice` (first declared at line 11, column 8); expected a unique name per flow\n",
    );
}

#[test]
fn bad_address() {
    rejects(
        "tests/bad_input/bad_address.toml",
        "error: tests/bad_input/bad_address.toml:4:11: `10.0.0.256` is not an IPv4 address (field exceeds 255); expected four numbers 0-255 such as \"10.0.0.1\"\n",
    );
}

#[test]
fn duplicate_address() {
    rejects(
        "tests/bad_input/duplicate_address.toml",
        "error: tests/bad_input/duplicate_address.toml:7:11: address 10.0.0.7 of `B` is already used by `A`; expected a unique address per node\n",
    );
}

// ---- links ----

#[test]
fn self_link() {
    rejects(
        "tests/bad_input/self_link.toml",
        "error: tests/bad_input/self_link.toml:8:17: a link from `A` to itself; expected two different nodes\n",
    );
}

#[test]
fn between_three_nodes() {
    rejects(
        "tests/bad_input/between_three_nodes.toml",
        "error: tests/bad_input/between_three_nodes.toml:10:11: `between` names 3 nodes; expected exactly two, e.g. between = [\"A\", \"R1\"]\n",
    );
}

// ---- flows ----

#[test]
fn flow_to_itself() {
    rejects(
        "tests/bad_input/flow_to_itself.toml",
        "error: tests/bad_input/flow_to_itself.toml:12:6: flow `flow1` goes from `A` to itself; expected two different hosts\n",
    );
}

#[test]
fn flow_without_path() {
    rejects(
        "tests/bad_input/flow_without_path.toml",
        "error: tests/bad_input/flow_without_path.toml:18:6: flow `flow1`: no path from `A` to `D`; expected the two hosts to be connected by [[link]]s (through routers: hosts do not forward)\n",
    );
}

#[test]
fn flow_from_router() {
    rejects(
        "tests/bad_input/flow_from_router.toml",
        "error: tests/bad_input/flow_from_router.toml:16:8: `R` is a router; expected a host (flows start and end at hosts)\n",
    );
}

#[test]
fn start_past_end() {
    rejects(
        "tests/bad_input/start_past_end.toml",
        "error: tests/bad_input/start_past_end.toml:16:9: start 12s is past the end of the simulation; expected a time from 0s to 10s (the duration)\n",
    );
}

#[test]
fn stop_before_start() {
    rejects(
        "tests/bad_input/stop_before_start.toml",
        "error: tests/bad_input/stop_before_start.toml:14:8: stop 2s is not after start 5s; expected stop > start\n",
    );
}

#[test]
fn port_out_of_range() {
    rejects(
        "tests/bad_input/port_out_of_range.toml",
        "error: tests/bad_input/port_out_of_range.toml:12:6: port 70000 is out of range; expected \"NODE\" or \"NODE:PORT\" with a port from 1 to 65535\n",
    );
}

// ---- files that are not scenarios at all ----

#[test]
fn unclosed_bracket() {
    rejects(
        "tests/bad_input/unclosed_bracket.toml",
        "error: tests/bad_input/unclosed_bracket.toml:9:1: missing comma between array elements, expected `,` or `]`\n",
    );
}

#[test]
fn missing_quote() {
    rejects(
        "tests/bad_input/missing_quote.toml",
        "error: tests/bad_input/missing_quote.toml:9:20: unclosed string, expected `\"` before the end of the line\n",
    );
}

#[test]
fn empty_file() {
    rejects(
        "tests/bad_input/empty_file.toml",
        "error: tests/bad_input/empty_file.toml:1:1: the file is empty; expected a scenario with [[node]], [[link]] and [[flow]] tables\n",
    );
}

#[test]
fn not_toml() {
    rejects(
        "tests/bad_input/not_toml.toml",
        "error: tests/bad_input/not_toml.toml:1:6: key with no value, expected `=`\n",
    );
}

#[test]
fn non_utf8() {
    // Written at run time: invalid UTF-8 is awkward to keep in git.
    let dir = common::temp_dir("non_utf8-fixture");
    let file = dir.join("non_utf8.toml");
    std::fs::write(&file, b"[[node]]\nname = \"A\xff\xfe\"\n").unwrap();
    let file = file.to_str().unwrap();
    rejects(
        file,
        &format!("error: {file}:2:10: the file is not valid UTF-8; expected a TOML text file\n"),
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn missing_file() {
    rejects(
        "tests/bad_input/does_not_exist.toml",
        "error: tests/bad_input/does_not_exist.toml:1:1: cannot read the scenario file: No such file or directory (os error 2)\n",
    );
}

#[test]
fn directory_instead_of_file() {
    rejects(
        "tests/bad_input",
        "error: tests/bad_input:1:1: is a directory; expected a scenario file (TOML)\n",
    );
}

// ---- and a good file ----

#[test]
fn quickstart_validates() {
    let out = common::netsim(&["validate", "scenarios/quickstart.toml"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("scenarios/quickstart.toml: ok"),
        "stdout: {stdout}"
    );
    assert_eq!(stdout.lines().count(), 1, "stdout: {stdout}");
}

// ---- failures ----

#[test]
fn overlapping_failures() {
    rejects(
        "tests/bad_input/overlapping_failures.toml",
        "error: tests/bad_input/overlapping_failures.toml:19:8: this failure overlaps an earlier one of the same element; expected the element to be up again (`up`) before it fails again\n",
    );
}

#[test]
fn failure_on_missing_link() {
    rejects(
        "tests/bad_input/failure_on_missing_link.toml",
        "error: tests/bad_input/failure_on_missing_link.toml:14:8: no link joins `A` and `B`; expected the ends of a declared [[link]]\n",
    );
}

#[test]
fn mtbf_without_mttr() {
    rejects(
        "tests/bad_input/mtbf_without_mttr.toml",
        "error: tests/bad_input/mtbf_without_mttr.toml:15:8: `mtbf` needs `mttr` (the mean time to repair), e.g. mttr = \"2s\"\n",
    );
}

// ---- syntax: duplicates, unknown values, missing keys ----

#[test]
fn duplicate_key() {
    rejects(
        "tests/bad_input/duplicate_key.toml",
        "error: tests/bad_input/duplicate_key.toml:10:1: duplicate key `delay`; expected each key at most once per table\n",
    );
}

#[test]
fn duplicate_table() {
    rejects(
        "tests/bad_input/duplicate_table.toml",
        "error: tests/bad_input/duplicate_table.toml:4:2: duplicate table `simulation`; expected each [table] at most once (use [[table]] for a list)\n",
    );
}

#[test]
fn unknown_value() {
    rejects(
        "tests/bad_input/unknown_value.toml",
        "error: tests/bad_input/unknown_value.toml:13:12: unknown value `sctp`, expected one of `udp`, `tcp`, `local`\n",
    );
}

#[test]
fn missing_required_key() {
    rejects(
        "tests/bad_input/missing_required_key.toml",
        "error: tests/bad_input/missing_required_key.toml:10:1: missing required key `to`\n",
    );
}

// ---- wrong types, negative and overflowing numbers ----

#[test]
fn seed_as_string() {
    rejects(
        "tests/bad_input/seed_as_string.toml",
        "error: tests/bad_input/seed_as_string.toml:3:8: invalid type: string \"42\", expected a whole number from 0 to 18446744073709551615\n",
    );
}

#[test]
fn seed_negative() {
    rejects(
        "tests/bad_input/seed_negative.toml",
        "error: tests/bad_input/seed_negative.toml:3:8: invalid value: integer `-1`, expected a whole number from 0 to 18446744073709551615\n",
    );
}

#[test]
fn seed_too_large() {
    rejects(
        "tests/bad_input/seed_too_large.toml",
        "error: tests/bad_input/seed_too_large.toml:3:8: invalid type: integer `99999999999999999999` is too large, expected a whole number from 0 to 18446744073709551615\n",
    );
}

#[test]
fn ttl_too_large() {
    rejects(
        "tests/bad_input/ttl_too_large.toml",
        "error: tests/bad_input/ttl_too_large.toml:13:7: invalid value: integer `256`, expected a whole number from 0 to 255\n",
    );
}

#[test]
fn duration_overflow() {
    rejects(
        "tests/bad_input/duration_overflow.toml",
        "error: tests/bad_input/duration_overflow.toml:3:12: `99999999999999999999s`: the value is too large; expected a duration such as \"20ms\" or \"1.5s\", with a unit from: ns, us, µs, ms, s, min, h\n",
    );
}

#[test]
fn duration_too_long() {
    rejects(
        "tests/bad_input/duration_too_long.toml",
        "error: tests/bad_input/duration_too_long.toml:3:12: duration 18000000000s is longer than netsim simulates; expected at most 3600000000s (1000000h: time is 64-bit nanoseconds, and any two times up to the duration must add up without overflow)\n",
    );
}

#[test]
fn bandwidth_overflow() {
    rejects(
        "tests/bad_input/bandwidth_overflow.toml",
        "error: tests/bad_input/bandwidth_overflow.toml:9:13: `20000000Tbps`: the value is too large; expected a data rate such as \"10Mbps\" or \"64kbps\", with a unit from: bps, kbps, Kbps, Mbps, Gbps, Tbps\n",
    );
}

#[test]
fn size_too_large() {
    rejects(
        "tests/bad_input/size_too_large.toml",
        "error: tests/bad_input/size_too_large.toml:13:8: datagram size 65508B is out of range; expected 1B to 65507B (the largest UDP payload)\n",
    );
}

// ---- NaN, infinities, huge rates, tiny delays ----

#[test]
fn loss_infinite() {
    rejects(
        "tests/bad_input/loss_infinite.toml",
        "error: tests/bad_input/loss_infinite.toml:9:8: loss inf is not a probability; expected a number from 0 to 1, e.g. 0.01 for 1%\n",
    );
}

#[test]
fn arrival_rate_nan() {
    rejects(
        "tests/bad_input/arrival_rate_nan.toml",
        "error: tests/bad_input/arrival_rate_nan.toml:14:16: arrival_rate NaN is not a positive number of calls per second; expected e.g. 0.5\n",
    );
}

#[test]
fn shape_infinite() {
    rejects(
        "tests/bad_input/shape_infinite.toml",
        "error: tests/bad_input/shape_infinite.toml:14:9: shape inf is not greater than 1; expected e.g. shape = 1.5 (a Pareto distribution with a finite mean)\n",
    );
}

#[test]
fn rate_huge_tiny_interval() {
    rejects(
        "tests/bad_input/rate_huge_tiny_interval.toml",
        "error: tests/bad_input/rate_huge_tiny_interval.toml:13:8: rate 1000000Tbps sends 1-byte datagrams less than 1 ns apart; expected at most 8Gbps for this size (one datagram per ns)\n",
    );
}

#[test]
fn delay_below_resolution() {
    rejects(
        "tests/bad_input/delay_below_resolution.toml",
        "error: tests/bad_input/delay_below_resolution.toml:9:9: `0.5ns`: `0.5` has more decimal places (1) than the unit's resolution allows; expected a duration such as \"20ms\" or \"1.5s\", with a unit from: ns, us, µs, ms, s, min, h\n",
    );
}

#[test]
fn queue_fractional() {
    rejects(
        "tests/bad_input/queue_fractional.toml",
        "error: tests/bad_input/queue_fractional.toml:9:9: `1.5p`: `1.5` has more decimal places (1) than the unit's resolution allows; expected a whole number of packets such as \"100p\"\n",
    );
}

// ---- names that would escape the output folder ----

#[test]
fn name_dot_dot() {
    rejects(
        "tests/bad_input/name_dot_dot.toml",
        "error: tests/bad_input/name_dot_dot.toml:3:8: invalid simulation name `..`; expected 1 to 64 letters, digits, '_', '-' or '.' (not starting with '.')\n",
    );
}

#[test]
fn name_dot() {
    rejects(
        "tests/bad_input/name_dot.toml",
        "error: tests/bad_input/name_dot.toml:3:8: invalid simulation name `.`; expected 1 to 64 letters, digits, '_', '-' or '.' (not starting with '.')\n",
    );
}

#[test]
fn name_with_slash() {
    rejects(
        "tests/bad_input/name_with_slash.toml",
        "error: tests/bad_input/name_with_slash.toml:3:8: invalid simulation name `../x`; expected 1 to 64 letters, digits, '_', '-' or '.' (not starting with '.')\n",
    );
}

#[test]
fn name_absolute() {
    rejects(
        "tests/bad_input/name_absolute.toml",
        "error: tests/bad_input/name_absolute.toml:3:8: invalid simulation name `/tmp/x`; expected 1 to 64 letters, digits, '_', '-' or '.' (not starting with '.')\n",
    );
}

#[test]
fn name_empty() {
    rejects(
        "tests/bad_input/name_empty.toml",
        "error: tests/bad_input/name_empty.toml:3:8: invalid simulation name ``; expected 1 to 64 letters, digits, '_', '-' or '.' (not starting with '.')\n",
    );
}

#[test]
fn node_name_with_slash() {
    rejects(
        "tests/bad_input/node_name_with_slash.toml",
        "error: tests/bad_input/node_name_with_slash.toml:3:8: invalid node name `A/../../x`; expected 1 to 64 letters, digits, '_', '-' or '.' (not starting with '.')\n",
    );
}

// ---- graphs and failures ----

#[test]
fn no_links() {
    rejects(
        "tests/bad_input/no_links.toml",
        "error: tests/bad_input/no_links.toml:9:6: flow `flow1`: no path from `A` to `B`; expected the two hosts to be connected by [[link]]s (through routers: hosts do not forward)\n",
    );
}

#[test]
fn failure_on_missing_node() {
    rejects(
        "tests/bad_input/failure_on_missing_node.toml",
        "error: tests/bad_input/failure_on_missing_node.toml:11:8: unknown node `R9`; expected one of the declared [[node]] names: `A`, `B`\n",
    );
}

#[test]
fn failure_up_before_down() {
    rejects(
        "tests/bad_input/failure_up_before_down.toml",
        "error: tests/bad_input/failure_up_before_down.toml:13:6: up 2s is not after down 5s; expected up > down\n",
    );
}

// ---- [limits] ----

#[test]
fn limits_unknown_key() {
    rejects(
        "tests/bad_input/limits_unknown_key.toml",
        "error: tests/bad_input/limits_unknown_key.toml:3:1: unknown key `max_event`, expected one of `max_events`, `max_packets_in_flight`, `max_nodes`, `max_memory`\n",
    );
}

#[test]
fn limits_zero() {
    rejects(
        "tests/bad_input/limits_zero.toml",
        "error: tests/bad_input/limits_zero.toml:3:14: max_events = 0 would stop every run at once; expected a cap of at least 1\n",
    );
}

#[test]
fn limits_bad_memory() {
    rejects(
        "tests/bad_input/limits_bad_memory.toml",
        "error: tests/bad_input/limits_bad_memory.toml:3:14: `8`: missing unit; expected a size such as \"1500B\" or \"64KB\", with a unit from: B, KB, kB, MB, GB, KiB, MiB, GiB\n",
    );
}

// ---- a cycle is not an error ----

/// A triangle of routers (a cycle) with a host on two of them: routing must
/// not loop, the run succeeds and the datagrams arrive.
#[test]
fn a_cycle_in_the_topology_runs() {
    let dir = common::temp_dir("cycle");
    let file = dir.join("cycle.toml");
    let mut text = String::from("[simulation]\nduration = \"1s\"\n");
    for n in ["A", "B"] {
        text += &format!("[[node]]\nname = \"{n}\"\n");
    }
    for n in ["R1", "R2", "R3"] {
        text += &format!("[[node]]\nname = \"{n}\"\nkind = \"router\"\n");
    }
    for (a, b) in [
        ("A", "R1"),
        ("R1", "R2"),
        ("R2", "R3"),
        ("R3", "R1"),
        ("R2", "B"),
    ] {
        text += &format!("[[link]]\nbetween = [\"{a}\", \"{b}\"]\n");
    }
    text += "[[flow]]\nfrom = \"A\"\nto = \"B\"\n[[flow]]\nfrom = \"B\"\nto = \"A\"\n";
    std::fs::write(&file, text).unwrap();
    let out = dir.join("out");
    let run = common::netsim(&[
        "run",
        file.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--no-plots",
        "--quiet",
    ]);
    assert_eq!(
        run.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let flows = std::fs::read_to_string(out.join("cycle/flows.csv")).unwrap();
    let header: Vec<&str> = flows.lines().next().unwrap().split(',').collect();
    let col = |k: &str| {
        header
            .iter()
            .position(|h| *h == k)
            .unwrap_or_else(|| panic!("no column {k} in {header:?}"))
    };
    for row in flows.lines().skip(1) {
        let v: Vec<&str> = row.split(',').collect();
        assert_eq!(
            v[col("lost_packets")],
            "0",
            "nothing lost, no routing loop: {row}"
        );
        assert_ne!(v[col("received_bytes")], "0", "{row}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn arrival_rate_too_high() {
    rejects(
        "tests/bad_input/arrival_rate_too_high.toml",
        "error: tests/bad_input/arrival_rate_too_high.toml:14:16: arrival_rate 1e300 would start calls less than 1 ns apart; expected at most 1e9 calls per second\n",
    );
}
