//! `netsim parallelism`: the profile of a sequential run under splits into
//! parts, as a user runs it, and its refusals.

mod common;

#[test]
fn profiles_the_quickstart_and_cuts_its_bottleneck() {
    let out = common::netsim(&["parallelism", "scenarios/quickstart.toml", "--parts", "2,4"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // Two routers are all there is to split: 4 parts become 2, listed once.
    let rows: Vec<&str> = text
        .lines()
        .filter(|l| {
            l.split_whitespace()
                .next()
                .is_some_and(|w| w.parse::<u32>().is_ok())
        })
        .collect();
    assert_eq!(rows.len(), 1, "{text}");
    let cells: Vec<&str> = rows[0].split_whitespace().collect();
    // parts, cut links, lookahead: the R1-R2 link, 10 ms.
    assert_eq!(&cells[..4], ["2", "1", "10000", "us"], "{text}");
    assert!(text.contains(" events in "), "{text}");
}

#[test]
fn refuses_a_missing_file_and_zero_parts() {
    let out = common::netsim(&["parallelism", "nope.toml"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("error: nope.toml:1:1: cannot read"));
    let out = common::netsim(&["parallelism", "scenarios/quickstart.toml", "--parts", "0"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("expected a number of parts"));
}
