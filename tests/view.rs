//! `view.html` in a real browser: the quickstart, the diamond failure and
//! `compare` of four-paths, opened in headless Chromium and driven through
//! the DevTools protocol (play, step, the slider, clicks on hosts and
//! packets). What the page shows is checked against the run's own text trace.
//!
//! Screenshots of each view are left in Cargo's test temp folder
//! (`target/tmp/view-shots/`) to be looked at.

mod common;

use common::cdp::{Browser, find_chromium};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

const WAIT: Duration = Duration::from_secs(10);

/// Chromium, or a skip outside CI (CI installs it and must not skip).
fn have_chromium() -> bool {
    if find_chromium().is_some() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI must install chromium (see .ci/run)"
    );
    eprintln!("chromium not installed: skipping the view tests; CI installs it");
    false
}

fn shots() -> PathBuf {
    let d = Path::new(env!("CARGO_TARGET_TMPDIR")).join("view-shots");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs `netsim <args> --view --trace` into a fresh folder; returns it.
fn netsim_view(name: &str, args: &[&str]) -> common::TempDir {
    let mut all = args.to_vec();
    all.push("--trace");
    netsim_view_untraced(name, &all)
}

/// Runs `netsim <args> --view` into a fresh folder; returns it.
fn netsim_view_untraced(name: &str, args: &[&str]) -> common::TempDir {
    let out = common::temp_dir(name);
    let mut all = args.to_vec();
    all.extend(["--view", "--no-plots", "--quiet", "--out"]);
    all.push(out.to_str().unwrap());
    let o = common::netsim(&all);
    assert!(
        o.status.success(),
        "netsim {all:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    out
}

fn open(page: &Path, profile: &Path) -> Browser {
    let url = format!("file://{}", std::fs::canonicalize(page).unwrap().display());
    let mut b = Browser::launch(&url, 1280, 1000, profile).unwrap();
    b.wait_until("typeof window.netsimView === 'object'", WAIT)
        .unwrap();
    b
}

fn num(v: Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}

/// Seconds as the trace prints them, in nanoseconds.
fn trace_ns(field: &str) -> u64 {
    let (s, frac) = field.split_once('.').unwrap();
    s.parse::<u64>().unwrap() * 1_000_000_000 + frac.parse::<u64>().unwrap()
}

/// `(time, node, connection, new state)` of every `tcp-state` line.
fn tcp_states(trace: &str) -> Vec<(u64, String, String, String)> {
    trace
        .lines()
        .filter_map(|l| {
            let f: Vec<&str> = l.split(' ').collect();
            (f.get(2) == Some(&"tcp-state"))
                .then(|| (trace_ns(f[0]), f[1].into(), f[3].into(), f[6].into()))
        })
        .collect()
}

/// The state the trace gives `conn` (as `local>remote`) on `node` at `t`.
fn state_in_trace(
    states: &[(u64, String, String, String)],
    node: &str,
    conn: &str,
    t: u64,
) -> String {
    states
        .iter()
        .rfind(|(at, n, c, _)| *at <= t && n == node && c == conn)
        .map_or("CLOSED".into(), |s| s.3.clone())
}

/// The times of a `<link> link-down|link-up` pair in the trace.
fn failure_times(trace: &str, link: &str) -> (u64, u64) {
    let at = |what: &str| {
        let l = trace
            .lines()
            .find(|l| l.split(' ').nth(1) == Some(link) && l.split(' ').nth(2) == Some(what))
            .unwrap_or_else(|| panic!("no `{link} {what}` line in the trace"));
        trace_ns(l.split(' ').next().unwrap())
    };
    (at("link-down"), at("link-up"))
}

fn set_time(b: &mut Browser, t: u64) {
    b.eval(&format!("netsimView.setTime({t})")).unwrap();
}

/// `[uid, x, y]` of the packets drawn in `pane`.
fn drawn(b: &mut Browser, pane: usize) -> Vec<(u64, f64, f64)> {
    let v = b
        .eval(&format!(
            "netsimView.drawn({pane}).map(d => [d.uid, d.x, d.y])"
        ))
        .unwrap();
    v.as_array()
        .unwrap()
        .iter()
        .map(|d| (d[0].as_u64().unwrap(), num(d[1].clone()), num(d[2].clone())))
        .collect()
}

/// Some packet drawn at both times is drawn at two different places.
fn packets_move(b: &mut Browser, pane: usize, t: u64, dt: u64) -> bool {
    set_time(b, t);
    let before = drawn(b, pane);
    set_time(b, t + dt);
    let after = drawn(b, pane);
    assert!(
        !before.is_empty(),
        "no packet drawn at {t} ns in pane {pane}"
    );
    before.iter().any(|&(uid, x, y)| {
        after
            .iter()
            .any(|&(u, x2, y2)| u == uid && (x - x2).abs() + (y - y2).abs() > 0.5)
    })
}

/// Clicks a packet drawn in `pane`, away from every node, whose headers
/// (`ip`, `tr` as the page holds them) pass `filter`; waits for the packet
/// panel to show it and returns its uid.
fn click_packet(b: &mut Browser, pane: usize, filter: &str) -> Option<u64> {
    let found = b
        .eval(&format!(
            "(() => {{ const v = netsimView;
                document.querySelector('#pane-{pane} .stage').scrollIntoView({{block: 'center'}});
                const far = (d) => v.data.nodes.every(n => Math.hypot(n.x - d.x, n.y - d.y) > 24);
                const i = v.drawn({pane}).findIndex(d => {{
                  const [ip, tr] = v.data.runs[{pane}].packets[d.packet];
                  return far(d) && ({filter}); }});
                return i < 0 ? null : [v.drawn({pane})[i].uid, ...v.packetAt({pane}, i)]; }})()"
        ))
        .unwrap();
    if found.is_null() {
        return None;
    }
    let uid = found[0].as_u64().unwrap();
    b.click(num(found[1].clone()), num(found[2].clone()))
        .unwrap();
    b.wait_until(
        &format!("document.getElementById('packet-panel').dataset.packet === '{uid}'"),
        WAIT,
    )
    .unwrap();
    Some(uid)
}

/// The packet panel's fields by name.
fn packet_fields(b: &mut Browser) -> Value {
    b.eval(
        "Object.fromEntries([...document.querySelectorAll('#packet-panel td[data-field]')]
           .map(td => [td.dataset.field, td.textContent]))",
    )
    .unwrap()
}

/// Scrolls to the top and saves the whole page.
fn shoot(b: &mut Browser, name: &str) {
    b.eval("window.scrollTo(0, 0)").unwrap();
    let path = shots().join(name);
    b.screenshot_page(&path).unwrap();
    eprintln!("screenshot: {}", path.display());
}

fn link_index(b: &mut Browser, label: &str) -> usize {
    let v = b
        .eval(&format!(
            "netsimView.data.links.findIndex(l => l.label === {})",
            serde_json::to_string(label).unwrap()
        ))
        .unwrap();
    let i = v.as_i64().unwrap();
    assert!(i >= 0, "no link {label} on the page");
    i as usize
}

fn link_marked_down(b: &mut Browser, pane: usize, link: usize) -> bool {
    b.eval(&format!(
        "document.querySelector('#pane-{pane} [data-link=\"{link}\"]').classList.contains('down')"
    ))
    .unwrap()
        == Value::Bool(true)
}

/// The failed link is marked exactly while the trace has it down, in `pane`.
fn check_failure_marked(b: &mut Browser, pane: usize, link: &str, down: u64, up: u64) {
    let i = link_index(b, link);
    for (t, expect) in [
        (down - 1_000_000, false),
        (down, true),
        (down + (up - down) / 2, true),
        (up - 1, true),
        (up, false),
        (up + 1_000_000, false),
    ] {
        set_time(b, t);
        assert_eq!(
            link_marked_down(b, pane, i),
            expect,
            "pane {pane}: link {link} at {t} ns (down {down}, up {up})"
        );
    }
}

/// Clicks `host` in pane 0 at each time and compares the TCP state shown
/// with the trace's.
fn check_host_state(b: &mut Browser, trace: &str, host: &str, times: &[u64]) {
    let states = tcp_states(trace);
    let conn: String = states
        .iter()
        .find(|s| s.1 == host)
        .unwrap_or_else(|| panic!("no TCP connection on {host} in the trace"))
        .2
        .clone();
    // The page writes a connection as "local → remote".
    let shown_as = conn.replace('>', " → ");
    for &t in times {
        set_time(b, t);
        b.click_selector(&format!("#pane-0 [data-node=\"{host}\"] > :first-child"))
            .unwrap();
        b.wait_until(
            &format!("document.getElementById('host-panel').dataset.node === '{host}'"),
            WAIT,
        )
        .unwrap();
        let rows = b
            .eval(
                "[...document.querySelectorAll('#host-panel tr[data-conn]')]
                   .map(tr => [tr.cells[0].textContent, tr.querySelector('td.state').textContent])",
            )
            .unwrap();
        let row = rows
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r[0] == shown_as.as_str())
            .unwrap_or_else(|| panic!("{host}: no row for {shown_as} in {rows}"));
        assert_eq!(
            row[1].as_str().unwrap(),
            state_in_trace(&states, host, &conn, t),
            "{host} {conn} at {t} ns"
        );
    }
}

#[test]
fn quickstart_view_plays_steps_seeks_and_shows_hosts_and_packets() {
    if !have_chromium() {
        return;
    }
    let out = netsim_view("view-quickstart", &["run", "scenarios/quickstart.toml"]);
    let folder = out.join("quickstart");
    let trace = std::fs::read_to_string(folder.join("trace.txt")).unwrap();
    let mut b = open(&folder.join("view.html"), &out.join("profile"));
    let duration = num(b.eval("netsimView.data.duration").unwrap());

    // Packets move: the same packet is somewhere else 100 µs later.
    for t in [500_000_000u64, 3_000_000_000, 6_000_000_000] {
        assert!(
            packets_move(&mut b, 0, t, 100_000),
            "nothing moved at {t} ns"
        );
    }

    // Play runs the clock; pause stops it.
    set_time(&mut b, 2_000_000_000);
    b.eval("netsimView.setSpeed(0.01)").unwrap();
    b.click_selector("#play").unwrap();
    b.wait_until(
        "netsimView.time() > 2000000000 && netsimView.playing()",
        WAIT,
    )
    .unwrap();
    b.click_selector("#play").unwrap();
    b.wait_until("!netsimView.playing()", WAIT).unwrap();
    let paused_at = num(b.eval("netsimView.time()").unwrap());
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(num(b.eval("netsimView.time()").unwrap()), paused_at);

    // Step lands on the next instant the trace records something the page
    // draws: a packet starting or ending a hop, a drop, a TCP state.
    let drawn_kinds = [
        "transmit",
        "receive",
        "drop",
        "tcp-state",
        "link-down",
        "link-up",
    ];
    let moments: std::collections::BTreeSet<u64> = trace
        .lines()
        .filter(|l| {
            l.split(' ')
                .nth(2)
                .is_some_and(|k| drawn_kinds.contains(&k))
        })
        .map(|l| trace_ns(l.split(' ').next().unwrap()))
        .collect();
    for from in [2_000_000_000u64, 5_000_000_000, 5_024_099_840] {
        set_time(&mut b, from);
        b.click_selector("#step").unwrap();
        let stepped = num(b.eval("netsimView.time()").unwrap()) as u64;
        let next = *moments.range(from + 1..).next().unwrap();
        assert_eq!(stepped, next, "step from {from} ns");
    }

    // The slider: a click at its middle seeks to about half the run.
    let at = b
        .eval(
            "(() => { const r = document.getElementById('slider').getBoundingClientRect();
                      return [r.left + r.width / 2, r.top + r.height / 2]; })()",
        )
        .unwrap();
    b.click(num(at[0].clone()), num(at[1].clone())).unwrap();
    let t = num(b.eval("netsimView.time()").unwrap());
    assert!(
        (t - duration / 2.0).abs() < duration * 0.02,
        "the slider's middle went to {t} ns of {duration}"
    );

    // Hosts: the state shown for A's connection is the trace's, before the
    // SYN, during the retried handshake, established, closing, closed.
    check_host_state(
        &mut b,
        &trace,
        "A",
        &[
            1_000_000_000,
            2_500_000_000,
            5_030_000_000,
            6_000_000_000,
            12_000_000_000,
            19_000_000_000,
        ],
    );
    check_host_state(
        &mut b,
        &trace,
        "B",
        &[5_030_000_000, 6_000_000_000, 12_000_000_000],
    );

    // A packet: click one and read its headers, field by field, as the
    // trace numbers them.
    set_time(&mut b, 6_000_000_000);
    let uid = click_packet(&mut b, 0, "true").expect("a packet on the wire at 6 s");
    let fields = packet_fields(&mut b);
    for f in [
        "IPv4 source",
        "IPv4 destination",
        "TTL (as sent)",
        "ECN",
        "header checksum",
        "source port",
    ] {
        assert!(fields.get(f).is_some(), "packet panel lacks {f}: {fields}");
    }
    assert!(
        trace.contains(&format!(" pkt={uid} ")),
        "uid {uid} not in the trace"
    );

    let mut tcp = None;
    for t in (6_000_000_000u64..7_000_000_000).step_by(1_000_000) {
        set_time(&mut b, t);
        tcp = click_packet(&mut b, 0, "tr[0] === 'tcp'");
        if tcp.is_some() {
            break;
        }
    }
    let uid = tcp.expect("a TCP segment on the wire between 6 and 7 s");
    let fields = packet_fields(&mut b);
    for f in [
        "source port",
        "destination port",
        "sequence number",
        "acknowledgment number",
        "data offset",
        "flags",
        "window",
        "checksum",
        "urgent pointer",
    ] {
        assert!(fields.get(f).is_some(), "TCP field {f} missing: {fields}");
    }
    let line = trace
        .lines()
        .find(|l| l.contains(&format!(" pkt={uid} tcp ")))
        .expect("the clicked segment is in the trace");
    let field = |name: &str| fields[name].as_str().unwrap().to_string();
    let ports = format!(":{}>", field("source port"));
    assert!(
        line.contains(&ports),
        "trace `{line}` vs source port {ports}"
    );
    let seq = format!(" seq={} ", field("sequence number"));
    assert!(line.contains(&seq), "trace `{line}` vs{seq}");

    // The ladder follows the clock and shows segments around now.
    set_time(&mut b, 5_030_000_000);
    let shown = num(b
        .eval("+document.getElementById('ladder-panel').dataset.shown")
        .unwrap());
    assert!(
        shown > 0.0,
        "the ladder shows no segment around the handshake"
    );
    b.click_selector("#pane-0 [data-node=\"A\"] > :first-child")
        .unwrap();
    shoot(&mut b, "quickstart.png");
    drop(b);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn diamond_view_marks_the_failed_link_between_its_down_and_up_times() {
    if !have_chromium() {
        return;
    }
    let out = netsim_view("view-diamond", &["run", "scenarios/diamond.toml"]);
    let folder = out.join("diamond");
    let trace = std::fs::read_to_string(folder.join("trace.txt")).unwrap();
    let (down, up) = failure_times(&trace, "R2-R4");
    let mut b = open(&folder.join("view.html"), &out.join("profile"));
    check_failure_marked(&mut b, 0, "R2-R4", down, up);

    // Drops at the dead link are shown with their reason.
    let first_drop = trace
        .lines()
        .find(|l| l.contains(" drop ") && l.contains("reason=link-down"))
        .map(|l| trace_ns(l.split(' ').next().unwrap()))
        .expect("the diamond loses packets into the dead link");
    set_time(&mut b, first_drop);
    let status = b
        .eval("document.querySelector('#pane-0 .status').textContent")
        .unwrap();
    let status = status.as_str().unwrap();
    assert!(
        status.contains("link-down"),
        "status at the first drop: {status}"
    );
    assert!(status.contains("links down: R2-R4"), "status: {status}");

    // Traffic moves to the backup path after convergence: packets on R1-R3.
    let backup = link_index(&mut b, "R1-R3");
    let on_backup = |b: &mut Browser, t: u64| {
        set_time(b, t);
        let v = b
            .eval(&format!(
                "netsimView.drawn(0).filter(d => (d.channel >> 1) === {backup}).length"
            ))
            .unwrap();
        num(v)
    };
    assert_eq!(
        on_backup(&mut b, down - 1_000_000),
        0.0,
        "backup busy before the failure"
    );
    assert!(
        on_backup(&mut b, down + 1_000_000_000) > 0.0,
        "nothing rerouted onto R1-R3"
    );

    set_time(&mut b, down + 60_000_000);
    b.click_selector("#pane-0 [data-node=\"A\"] > :first-child")
        .unwrap();
    shoot(&mut b, "diamond.png");
    drop(b);
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_failed_node_is_marked_with_its_links() {
    if !have_chromium() {
        return;
    }
    // The diamond with router R2 failing instead of its link to R4.
    let text = std::fs::read_to_string("scenarios/diamond.toml").unwrap();
    let text = text.replace("link = [\"R2\", \"R4\"]", "node = \"R2\"");
    assert!(text.contains("node = \"R2\""));
    let dir = common::temp_dir("view-node-scenario");
    let file = dir.join("diamond-node.toml");
    std::fs::write(&file, text).unwrap();
    let out = netsim_view("view-node", &["run", file.to_str().unwrap()]);
    let folder = out.join("diamond");
    let trace = std::fs::read_to_string(folder.join("trace.txt")).unwrap();
    let at = |what: &str| {
        let l = trace
            .lines()
            .find(|l| l.split(' ').nth(1) == Some("R2") && l.split(' ').nth(2) == Some(what))
            .unwrap_or_else(|| panic!("no `R2 {what}` line"));
        trace_ns(l.split(' ').next().unwrap())
    };
    let (down, up) = (at("node-down"), at("node-up"));
    let mut b = open(&folder.join("view.html"), &out.join("profile"));
    let node_down = |b: &mut Browser, t: u64| {
        set_time(b, t);
        b.eval("document.querySelector('#pane-0 [data-node=\"R2\"]').classList.contains('down')")
            .unwrap()
            == Value::Bool(true)
    };
    assert!(!node_down(&mut b, down - 1));
    assert!(node_down(&mut b, down));
    assert!(node_down(&mut b, up - 1));
    assert!(!node_down(&mut b, up));
    for link in ["R1-R2", "R2-R4"] {
        let i = link_index(&mut b, link);
        set_time(&mut b, down + 1);
        assert!(link_marked_down(&mut b, 0, i), "{link} with its node down");
    }
    set_time(&mut b, down + 1);
    let status = b
        .eval("document.querySelector('#pane-0 .status').textContent")
        .unwrap();
    assert!(
        status.as_str().unwrap().contains("nodes down: R2"),
        "{status}"
    );
    shoot(&mut b, "diamond-node.png");
    drop(b);
    std::fs::remove_dir_all(&out).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn compare_view_shows_packet_and_circuit_runs_on_one_clock() {
    if !have_chromium() {
        return;
    }
    let out = netsim_view("view-compare", &["compare", "scenarios/four-paths.toml"]);
    let folder = out.join("four-paths-compare");
    let packet_trace = std::fs::read_to_string(folder.join("trace-packet.txt")).unwrap();
    let circuit_trace = std::fs::read_to_string(folder.join("trace-circuit.txt")).unwrap();
    let mut b = open(&folder.join("view.html"), &out.join("profile"));

    let kinds = b.eval("netsimView.data.runs.map(r => r.kind)").unwrap();
    assert_eq!(kinds, serde_json::json!(["packet", "circuit"]));
    assert_eq!(
        num(b.eval("document.querySelectorAll('.pane').length").unwrap()),
        2.0
    );

    // One clock: both panes show the same time.
    set_time(&mut b, 8_000_000_000);
    let status = b
        .eval(
            "[...document.querySelectorAll('.pane .status')].map(s => s.textContent.split(' ')[0])",
        )
        .unwrap();
    assert_eq!(status, serde_json::json!(["8.000000000", "8.000000000"]));

    assert!(
        packets_move(&mut b, 0, 1_000_000_000, 100_000),
        "packets do not move"
    );

    // The failure is marked in both runs, at the times each trace gives.
    let (down, up) = failure_times(&packet_trace, "R1-M1");
    check_failure_marked(&mut b, 0, "R1-M1", down, up);
    let (down, up) = failure_times(&circuit_trace, "R1-M1");
    check_failure_marked(&mut b, 1, "R1-M1", down, up);

    // The circuit run holds circuits on its links while calls are up.
    set_time(&mut b, 1_000_000_000);
    let held = b
        .eval("[...document.querySelectorAll('#pane-1 [data-link]')].map(g => +g.dataset.held).reduce((a, b) => a + b, 0)")
        .unwrap();
    assert!(num(held) > 0.0, "no circuit held at 1 s");

    set_time(&mut b, down + 20_000_000);
    b.click_selector("#pane-0 [data-node=\"A\"] > :first-child")
        .unwrap();
    shoot(&mut b, "compare.png");
    drop(b);
    std::fs::remove_dir_all(&out).unwrap();
}

/// The JSON the page carries.
fn page_data(page: &Path) -> Value {
    let html = std::fs::read_to_string(page).unwrap();
    let start = html.find("id=\"netsim-data\">").expect("the data block") + 17;
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end].replace("<\\/", "</")).unwrap()
}

#[test]
fn the_page_holds_the_runs_trace_records_and_fetches_nothing() {
    let out = netsim_view("view-data", &["run", "scenarios/quickstart.toml"]);
    let folder = out.join("quickstart");
    let trace = std::fs::read_to_string(folder.join("trace.txt")).unwrap();
    let page = folder.join("view.html");
    let d = page_data(&page);
    let run = &d["runs"][0];
    assert!(
        run["window_end"].is_null(),
        "the quickstart fits the hop cap"
    );
    let channels: Vec<&str> = d["channels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap())
        .collect();

    // Every hop the page animates is a `transmit` line of the trace, and
    // every `transmit` line a hop: same times, same link directions.
    let field = |l: &str, i: usize| l.split(' ').nth(i).unwrap_or("").to_string();
    let mut in_trace: Vec<(u64, String)> = trace
        .lines()
        .filter(|l| field(l, 2) == "transmit")
        .map(|l| (trace_ns(&field(l, 0)), field(l, 3)))
        .collect();
    let hops = run["hops"].as_array().unwrap();
    let mut on_page: Vec<(u64, String)> = hops
        .chunks(5)
        .map(|h| {
            (
                h[2].as_u64().unwrap(),
                channels[h[1].as_u64().unwrap() as usize].to_string(),
            )
        })
        .collect();
    in_trace.sort();
    on_page.sort();
    assert_eq!(on_page.len(), in_trace.len());
    assert_eq!(on_page, in_trace);

    // Drops: as many, at the same times.
    let drops_in_trace: Vec<u64> = trace
        .lines()
        .filter(|l| field(l, 2) == "drop")
        .map(|l| trace_ns(&field(l, 0)))
        .collect();
    let drops = run["drops"].as_array().unwrap();
    let drops_on_page: Vec<u64> = drops.chunks(5).map(|d| d[0].as_u64().unwrap()).collect();
    assert_eq!(drops_on_page, drops_in_trace);
    let total: u64 = run["drops_total"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(total as usize, drops_in_trace.len());

    // TCP states: the trace's `tcp-state` lines, connection by connection.
    let states = tcp_states(&trace);
    for c in run["connections"].as_array().unwrap() {
        let node = d["nodes"][c["node"].as_u64().unwrap() as usize]["name"]
            .as_str()
            .unwrap();
        let conn = format!(
            "{}>{}",
            c["local"].as_str().unwrap(),
            c["remote"].as_str().unwrap()
        );
        let expected: Vec<Value> = states
            .iter()
            .filter(|s| s.1 == node && s.2 == conn)
            .map(|s| serde_json::json!([s.0, s.3]))
            .collect();
        let shown = c["states"].as_array().unwrap();
        assert_eq!(&shown[1..], &expected[..], "{node} {conn}");
    }

    // The same run writes the same page, byte for byte.
    let again = netsim_view("view-data-again", &["run", "scenarios/quickstart.toml"]);
    let second = std::fs::read(again.join("quickstart").join("view.html")).unwrap();
    assert!(
        std::fs::read(&page).unwrap() == second,
        "view.html differs between two runs"
    );
    std::fs::remove_dir_all(&again).unwrap();
    let index = std::fs::read_to_string(folder.join("index.html")).unwrap();
    assert!(
        index.contains("<a href=\"view.html\">"),
        "index.html does not link the view"
    );

    // Self-contained: no address to fetch, no external script, style or font.
    let html = std::fs::read_to_string(&page).unwrap();
    let outside: Vec<&str> = ["https://", "http://", "src=", "<link", "@import", "url("]
        .into_iter()
        .filter(|p| {
            html.match_indices(p)
                .any(|(i, _)| !html[i..].starts_with("http://www.w3.org/2000/svg"))
        })
        .collect();
    assert!(
        outside.is_empty(),
        "view.html refers outside itself: {outside:?}"
    );
    std::fs::remove_dir_all(&out).unwrap();
}

#[test]
fn a_large_run_is_cut_to_the_page_budget_and_says_so() {
    // Each of compare's two runs has half the page's budget; the packet run
    // of four-paths needs more than that.
    let out = netsim_view_untraced("view-cap", &["compare", "scenarios/four-paths.toml"]);
    let page = out.join("four-paths-compare").join("view.html");
    let d = page_data(&page);
    let run = &d["runs"][0];
    let hop_cap = run["hop_cap"].as_u64().unwrap();
    let byte_cap = run["byte_cap"].as_u64().unwrap();
    assert_eq!(
        (hop_cap, byte_cap),
        (100_000, 7_000_000),
        "the default budget shared by two runs"
    );
    let begun = run["hops_begun"].as_u64().unwrap();
    let kept = run["hops"].as_array().unwrap().len() as u64 / 5;
    assert!(
        begun > kept,
        "the example should exceed the budget ({begun} hops)"
    );
    let window_bytes = run["window_bytes"].as_u64().unwrap();
    assert!(
        kept == hop_cap || window_bytes >= byte_cap,
        "the window closed early: {kept} hops, {window_bytes} B"
    );
    assert!(
        window_bytes < byte_cap + 100_000,
        "the window overran: {window_bytes} B"
    );
    let end = run["window_end"]
        .as_u64()
        .expect("the window's end is stated");
    let duration = d["duration"].as_u64().unwrap();
    assert!(end > 0 && end < duration);
    // Past the window the aggregates go on to the end of the run.
    let bin = run["bin"].as_u64().unwrap();
    for c in run["util"].as_array().unwrap() {
        assert!(c.as_array().unwrap().len() as u64 * bin >= duration);
    }
    // The stated bound: 20 MB plus about 250 B per node, link and connection.
    let per_item = d["nodes"].as_array().unwrap().len()
        + d["links"].as_array().unwrap().len()
        + run["connections"].as_array().unwrap().len();
    let size = std::fs::metadata(&page).unwrap().len();
    assert!(
        size <= 20_000_000 + 250 * per_item as u64,
        "view.html is {size} B"
    );
    std::fs::remove_dir_all(&out).unwrap();
}
