//! `netsim bench`: how fast the engine runs, in events per second, wall time
//! and peak memory.
//!
//! (a) The hold model: the event queue alone with N pending events. Each step
//!     pops the earliest event and schedules one at a later time (uniform
//!     increment), so N stays constant. (b) UDP through a chain of routers.
//! (c) TCP dumbbells, (d) fat-trees with ECMP and a permutation of 1 MB TCP
//! transfers, (e) the diamond failure scenario, (f) the memory an idle
//! established TCP connection holds.
//! `run` measures each case in a child process of its own (`netsim bench
//! --only CASE`), so that each peak resident memory is that case's alone.
//! Figures vary with the machine and its load; tests never assert on them.

use crate::engine::{Event, RunOptions, Simulation};
use crate::sim::rng;
use crate::sim::{EventQueue, SimTime};
use rand::RngExt;
use std::time::Instant;

pub struct BenchRow {
    pub name: String,
    pub events: u64,
    pub wall_s: f64,
    /// Peak resident memory of the process that ran it, bytes.
    pub peak_bytes: Option<u64>,
    /// A figure of its own (the idle-connection case's bytes per connection).
    pub note: String,
}

impl BenchRow {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.wall_s.max(1e-9)
    }
}

/// The hold model with `pending` events, for `steps` pop-and-push steps.
pub fn hold_model(pending: usize, steps: u64) -> BenchRow {
    let mut r = rng::stream(1, "bench:hold");
    let mut q: EventQueue<Event> = EventQueue::new();
    const MEAN: u64 = 1_000_000;
    for i in 0..pending {
        q.push(
            SimTime(r.random_range(0..2 * MEAN)),
            Event::AppWake {
                app: crate::ids::AppId(i as u32),
                token: 0,
            },
        );
    }
    let started = Instant::now();
    for _ in 0..steps {
        let (t, e) = q.pop().expect("the hold model keeps N events pending");
        q.push(t + SimTime(r.random_range(0..2 * MEAN)), e);
    }
    let wall_s = started.elapsed().as_secs_f64();
    std::hint::black_box(q.len());
    BenchRow {
        name: format!("hold model, {pending} pending"),
        events: steps,
        wall_s,
        peak_bytes: None,
        note: String::new(),
    }
}

/// A scenario with `flows` CBR flows from hosts on one side of a chain of
/// `routers` routers to hosts on the other side.
pub fn router_chain_scenario(routers: usize, flows: usize, duration_s: u64) -> String {
    let mut s =
        format!("[simulation]\nname = \"bench-udp\"\nseed = 1\nduration = \"{duration_s}s\"\n");
    for r in 0..routers {
        s += &format!("[[node]]\nname = \"R{r}\"\nkind = \"router\"\n");
    }
    for r in 1..routers {
        s += &format!(
            "[[link]]\nbetween = [\"R{}\", \"R{r}\"]\nbandwidth = \"1Gbps\"\ndelay = \"1ms\"\nqueue = \"1000p\"\n",
            r - 1
        );
    }
    for f in 0..flows {
        s += &format!("[[node]]\nname = \"S{f}\"\n[[node]]\nname = \"D{f}\"\n");
        s += &format!(
            "[[link]]\nbetween = [\"S{f}\", \"R0\"]\nbandwidth = \"1Gbps\"\ndelay = \"100us\"\n"
        );
        s += &format!(
            "[[link]]\nbetween = [\"D{f}\", \"R{}\"]\nbandwidth = \"1Gbps\"\ndelay = \"100us\"\n",
            routers - 1
        );
        s += &format!(
            "[[flow]]\nfrom = \"S{f}\"\nto = \"D{f}\"\npattern = \"poisson\"\nrate = \"{}Mbps\"\nsize = \"1000B\"\n",
            800 / flows
        );
    }
    s
}

/// The threads each simulated case runs on (`netsim bench --threads N`).
static THREADS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);

/// Runs the simulated cases on `threads` threads (`RunOptions::threads`).
pub fn set_threads(threads: usize) {
    THREADS.store(threads.max(1), std::sync::atomic::Ordering::Relaxed);
}

fn threads() -> usize {
    THREADS.load(std::sync::atomic::Ordering::Relaxed)
}

/// Simulates a generated scenario and times it.
fn time_scenario(name: String, text: &str) -> BenchRow {
    let sc = crate::scenario::parse("bench", text, "bench").expect("the bench scenario is valid");
    let started = Instant::now();
    let options = RunOptions {
        threads: threads(),
        ..Default::default()
    };
    let mut sim = Simulation::new(sc, options).expect("bench scenario builds");
    sim.run_until(sim.scenario().duration);
    let parts = sim.parts_used();
    let report = sim.finish().expect("bench runs");
    let name = match parts {
        1 => name,
        n => format!("{name}, {n} threads"),
    };
    let transfers: Vec<f64> = report.flows.iter().filter_map(|f| f.completion_s).collect();
    let note = match transfers.len() {
        0 => String::new(),
        n => format!(
            "{n} transfers done, slowest {:.3} s",
            transfers.iter().copied().fold(0.0, f64::max)
        ),
    };
    BenchRow {
        name,
        events: report.events,
        wall_s: started.elapsed().as_secs_f64(),
        peak_bytes: None,
        note,
    }
}

pub fn udp_chain(routers: usize, flows: usize, duration_s: u64) -> BenchRow {
    time_scenario(
        format!("UDP, {flows} Poisson flows over {routers} routers, {duration_s} s"),
        &router_chain_scenario(routers, flows, duration_s),
    )
}

/// A dumbbell: `n` senders and `n` receivers, two routers, access links
/// 100 Mbps / 1 ms, bottleneck 10 Mbps / 20 ms with a 100-packet drop-tail
/// queue, `n` unlimited NewReno bulk flows.
pub fn dumbbell_scenario(n: usize, duration_s: u64) -> String {
    dumbbell_scenario_with(n, duration_s, "sack = false", "")
}

/// The dumbbell with `tcp` as the `[tcp]` table's keys and `bottleneck` as
/// more keys of the bottleneck link.
pub fn dumbbell_scenario_with(n: usize, duration_s: u64, tcp: &str, bottleneck: &str) -> String {
    let mut s = format!(
        "[simulation]\nname = \"bench-dumbbell\"\nduration = \"{duration_s}s\"\n[tcp]\n{tcp}\n\
         [[node]]\nname = \"L\"\nkind = \"router\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n\
         [[link]]\nbetween = [\"L\", \"R\"]\nbandwidth = \"10Mbps\"\ndelay = \"20ms\"\nqueue = \"100p\"\n{bottleneck}\n"
    );
    for i in 0..n {
        s += &format!("[[node]]\nname = \"s{i}\"\n[[node]]\nname = \"d{i}\"\n");
        s += &format!(
            "[[link]]\nbetween = [\"s{i}\", \"L\"]\n[[link]]\nbetween = [\"d{i}\", \"R\"]\n"
        );
        s += &format!("[[flow]]\nprotocol = \"tcp\"\nfrom = \"s{i}\"\nto = \"d{i}:80\"\n");
    }
    s
}

pub fn dumbbell(n: usize, duration_s: u64) -> BenchRow {
    time_scenario(
        format!("TCP dumbbell, {n} bulk flows, {duration_s} s"),
        &dumbbell_scenario(n, duration_s),
    )
}

/// The dumbbell with SACK and another congestion controller: `cubic` over
/// drop-tail, or `dctcp` over a step marker (20 packets, ECN).
pub fn dumbbell_of(algorithm: &str, n: usize, duration_s: u64) -> BenchRow {
    let bottleneck = if algorithm == "dctcp" {
        "aqm = \"step\"\necn = true"
    } else {
        ""
    };
    time_scenario(
        format!("{algorithm} dumbbell, {n} bulk flows, {duration_s} s"),
        &dumbbell_scenario_with(
            n,
            duration_s,
            &format!("congestion = \"{algorithm}\""),
            bottleneck,
        ),
    )
}

/// A k-ary fat-tree (1 Gbps, 10 us links, 100-packet queues) with per-flow
/// ECMP and a permutation of 1 MB TCP transfers among `senders` hosts spread
/// evenly over the pods (every (k³/4 / senders)-th host): each sends one and
/// receives one, starting within the first 10 ms.
pub fn fat_tree_scenario(k: usize, senders: usize) -> String {
    let hosts = k * k * k / 4;
    let step = (hosts / senders.clamp(1, hosts)).max(1);
    let chosen: Vec<String> = (0..hosts)
        .step_by(step)
        .take(senders)
        .map(|h| format!("\"h{h}\""))
        .collect();
    format!(
        "[simulation]\nname = \"bench-fat-tree\"\nduration = \"10s\"\n[routing]\nmultipath = \"ecmp\"\n\
         [[topology]]\nkind = \"fat-tree\"\nk = {k}\n\
         edge = {{ bandwidth = \"1Gbps\", delay = \"10us\" }}\n\
         aggregation = {{ bandwidth = \"1Gbps\", delay = \"10us\" }}\n\
         core = {{ bandwidth = \"1Gbps\", delay = \"10us\" }}\n\
         [[flows]]\nname = \"perm\"\npattern = \"permutation\"\nhosts = [{}]\nprotocol = \"tcp\"\n\
         size = \"1MB\"\nstart_spread = \"10ms\"\n",
        chosen.join(", ")
    )
}

/// How many hosts of a k-ary fat-tree send in the bench case.
fn fat_tree_senders(k: usize) -> usize {
    let most = if k >= 48 { 8192 } else { 4096 };
    (k * k * k / 4).min(most)
}

/// How long the dumbbell cases simulate, s.
fn dumbbell_seconds(quick: bool) -> u64 {
    if quick { 6 } else { 60 }
}

/// A fat-tree with at most 4,096 transfers (k = 32: every other host), or
/// 8,192 from k = 48 on (27,648 hosts: every third or so).
pub fn fat_tree(k: usize) -> BenchRow {
    let senders = fat_tree_senders(k);
    time_scenario(
        format!("fat-tree k={k}, ECMP, {senders} x 1 MB TCP, 10 s"),
        &fat_tree_scenario(k, senders),
    )
}

pub fn diamond() -> BenchRow {
    time_scenario(
        "diamond failure scenario, 20 s".into(),
        include_str!("../scenarios/diamond.toml"),
    )
}

/// `n` TCP connections between two hosts, opened at 1 s, each carrying one
/// byte and then idle until 9 s.
pub fn idle_connections_scenario(n: usize) -> String {
    let mut s = String::from(
        "[simulation]\nname = \"bench-idle\"\nduration = \"10s\"\n\
         [[node]]\nname = \"A\"\n[[node]]\nname = \"B\"\n\
         [[link]]\nbetween = [\"A\", \"B\"]\nbandwidth = \"1Gbps\"\nqueue = \"1000000p\"\n",
    );
    for _ in 0..n {
        s += "[[flow]]\nprotocol = \"tcp\"\nfrom = \"A\"\nto = \"B:80\"\nbytes = \"1B\"\n\
              start = \"1s\"\nclose_at = \"9s\"\n";
    }
    s
}

/// The resident memory `n` established idle connections add: measured just
/// before they open (0.999 s) and once they are idle (5 s), per connection
/// (both of its ends: sockets, TCP state, statistics).
pub fn idle_connections(n: usize) -> BenchRow {
    use crate::limits::resident_memory;
    let text = idle_connections_scenario(n);
    let sc = crate::scenario::parse("bench", &text, "bench").expect("the bench scenario is valid");
    let started = Instant::now();
    let mut sim = Simulation::new(sc, RunOptions::default()).expect("bench scenario builds");
    sim.run_until(SimTime::from_millis(999));
    let before = resident_memory();
    sim.run_until(SimTime::from_secs(5));
    let after = resident_memory();
    let events = sim.events_processed();
    let report = sim.finish().expect("bench runs");
    // Established by the time memory is read: opened at 1 s, so within 4 s
    // (SYNs that met a full backlog are retried 1, 3, 7 s later).
    let established = report
        .tcp
        .iter()
        .filter(|c| c.side == "client" && c.handshake_ms.is_some_and(|ms| ms <= 4000.0))
        .count();
    let note = match (before, after) {
        (Some(b), Some(a)) => format!(
            "{:.0} B per idle connection ({established} established by 5 s)",
            a.saturating_sub(b) as f64 / n as f64
        ),
        _ => "memory not measurable here".into(),
    };
    BenchRow {
        name: format!("{n} idle TCP connections, to 5 s"),
        events,
        wall_s: started.elapsed().as_secs_f64(),
        peak_bytes: None,
        note,
    }
}

/// The benchmark cases, by the name `--only` takes.
pub fn cases(quick: bool) -> Vec<&'static str> {
    let mut c = vec![
        "hold-1000",
        "hold-10000",
        "hold-100000",
        "hold-1000000",
        "udp-chain",
        "dumbbell-1",
        "dumbbell-10",
        "dumbbell-100",
        "dumbbell-1000",
        "cubic-dumbbell-10",
        "bbr-dumbbell-10",
        "dctcp-dumbbell-10",
        "fat-tree-8",
        "fat-tree-16",
    ];
    if !quick {
        c.push("fat-tree-32");
    }
    c.extend(["diamond", "idle-tcp-10000"]);
    c
}

/// Runs one case in this process; `None` for an unknown name.
pub fn run_case(name: &str, quick: bool) -> Option<BenchRow> {
    let steps = if quick { 2_000_000 } else { 20_000_000 };
    let number = |prefix: &str| name.strip_prefix(prefix)?.parse::<usize>().ok();
    let mut row = if let Some(pending) = number("hold-") {
        hold_model(pending, steps)
    } else if let Some(n) = number("dumbbell-") {
        dumbbell(n, dumbbell_seconds(quick))
    } else if let Some(n) = number("cubic-dumbbell-") {
        dumbbell_of("cubic", n, dumbbell_seconds(quick))
    } else if let Some(n) = number("bbr-dumbbell-") {
        dumbbell_of("bbr", n, dumbbell_seconds(quick))
    } else if let Some(n) = number("dctcp-dumbbell-") {
        dumbbell_of("dctcp", n, dumbbell_seconds(quick))
    } else if let Some(k) = number("fat-tree-") {
        fat_tree(k)
    } else if let Some(n) = number("idle-tcp-") {
        idle_connections(n)
    } else if name == "udp-chain" {
        udp_chain(4, 8, if quick { 2 } else { 20 })
    } else if name == "diamond" {
        diamond()
    } else {
        return None;
    };
    row.peak_bytes = crate::limits::peak_resident_memory();
    Some(row)
}

/// One case's figures as the line a child process prints for its parent.
pub fn row_line(r: &BenchRow) -> String {
    format!(
        "{}\t{}\t{}\t{}\t{}\n",
        r.name,
        r.events,
        r.wall_s,
        r.peak_bytes.map_or(String::new(), |b| b.to_string()),
        r.note
    )
}

fn parse_row_line(line: &str) -> Option<BenchRow> {
    let f: Vec<&str> = line.trim_end_matches('\n').split('\t').collect();
    let [name, events, wall, peak, note] = f[..] else {
        return None;
    };
    Some(BenchRow {
        name: name.into(),
        events: events.parse().ok()?,
        wall_s: wall.parse().ok()?,
        peak_bytes: peak.parse().ok(),
        note: note.into(),
    })
}

/// Runs every case, each in a child process (`exe bench --only CASE`) when
/// `exe` is given, else here; returns the table.
pub fn run(quick: bool, exe: Option<&std::path::Path>) -> String {
    let mut rows = Vec::new();
    for case in cases(quick) {
        let child = exe.and_then(|exe| {
            let mut cmd = std::process::Command::new(exe);
            cmd.args(["bench", "--only", case]);
            if quick {
                cmd.arg("--quick");
            }
            cmd.args(["--threads", &threads().to_string()]);
            let out = cmd.output().ok().filter(|o| o.status.success())?;
            parse_row_line(&String::from_utf8_lossy(&out.stdout))
        });
        match child {
            Some(r) => rows.push(r),
            None => rows.extend(run_case(case, quick)),
        }
    }
    let mut table = format!(
        "{:<48} {:>12} {:>9} {:>11} {:>9}  {}\n",
        "benchmark", "events", "wall s", "M events/s", "peak MB", "note"
    );
    for r in &rows {
        table += &format!(
            "{:<48} {:>12} {:>9.3} {:>11.2} {:>9}  {}\n",
            r.name,
            r.events,
            r.wall_s,
            r.events_per_second() / 1e6,
            r.peak_bytes
                .map_or("-".into(), |b| format!("{:.1}", b as f64 / 1e6)),
            r.note
        );
    }
    table
}

/// The scenario text of a case that runs one (`fat-tree-K`, `dumbbell-N`,
/// `diamond`, `udp-chain`).
pub fn case_scenario(name: &str, quick: bool) -> Option<String> {
    let number = |prefix: &str| name.strip_prefix(prefix)?.parse::<usize>().ok();
    if let Some(k) = number("fat-tree-") {
        Some(fat_tree_scenario(k, fat_tree_senders(k)))
    } else if let Some(n) = number("dumbbell-") {
        Some(dumbbell_scenario(n, dumbbell_seconds(quick)))
    } else if name == "diamond" {
        Some(include_str!("../scenarios/diamond.toml").to_string())
    } else if name == "udp-chain" {
        Some(router_chain_scenario(4, 8, if quick { 2 } else { 20 }))
    } else {
        None
    }
}

/// Two threads meeting `ROUNDS` times; the mean time of one meeting, ns.
fn time_meetings(wait: impl Fn() + Send + Sync + 'static) -> f64 {
    const ROUNDS: u32 = 20_000;
    let wait = std::sync::Arc::new(wait);
    let other = std::sync::Arc::clone(&wait);
    let peer = std::thread::spawn(move || (0..ROUNDS).for_each(|_| other()));
    let started = Instant::now();
    (0..ROUNDS).for_each(|_| wait());
    let ns = started.elapsed().as_secs_f64() * 1e9 / f64::from(ROUNDS);
    peer.join().expect("the barrier thread ends");
    ns
}

/// One meeting of two threads at a `std::sync::Barrier` (they sleep in the
/// kernel) and at the parallel run's spinning one, ns.
pub fn barrier_ns() -> (f64, f64) {
    let sleeping = std::sync::Barrier::new(2);
    let sleeping = time_meetings(move || {
        sleeping.wait();
    });
    let spinning = crate::sim::barrier::SpinBarrier::new(2);
    let spinning = time_meetings(move || spinning.wait());
    (sleeping, spinning)
}

/// Runs a scenario sequentially with a parallelism profile under splits into
/// each of `parts` parts, and returns the cost model's table.
///
/// The model: a windowed conservative run takes, per window, as long as its
/// busiest part (its events plus the packets that crossed into it, each
/// costed as one event) plus one barrier. The event cost is this run's wall
/// time per event; the barrier cost is measured here for two threads, with a
/// spinning barrier and with `std::sync::Barrier`, and taken to grow as log2
/// of the parts (a dissemination barrier has that many rounds). "bound"
/// leaves the barriers out: what load balance and the window structure alone
/// allow.
pub fn parallel_model(sc: crate::scenario::Scenario, parts: &[usize]) -> crate::Result<String> {
    let name = sc.name.clone();
    let mut sim = Simulation::new(sc, RunOptions::default())?;
    sim.profile(parts);
    let started = Instant::now();
    let duration = sim.scenario().duration;
    sim.run_until(duration);
    let wall = started.elapsed().as_secs_f64();
    let events = sim.events_processed();
    let event_ns = wall * 1e9 / events.max(1) as f64;
    let (sleeping, spinning) = barrier_ns();
    let rounds = |p: usize| (p.max(2) as f64).log2();
    let table = sim
        .profile_table(event_ns, |p| spinning * rounds(p), |p| sleeping * rounds(p))
        .expect("the profile was asked for");
    Ok(format!(
        "{name}: {events} events in {wall:.3} s sequential ({event_ns:.0} ns per event, profiling included)\n\
         two threads meet in {spinning:.0} ns spinning, {sleeping:.0} ns at std::sync::Barrier; \
         x log2(parts) beyond two\n{table}"
    ))
}
