//! `netsim bench`: how fast the engine runs, in events per second and wall time.
//!
//! (a) The hold model: the event queue alone with N pending events. Each step
//!     pops the earliest event and schedules one at a later time (uniform
//!     increment), so N stays constant. (b) UDP through a chain of routers.
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
}

impl BenchRow {
    pub fn events_per_second(&self) -> f64 {
        self.events as f64 / self.wall_s.max(1e-9)
    }
}

/// The hold model with `pending` events, for `steps` pop-and-push steps.
pub fn hold_model(pending: usize, steps: u64) -> BenchRow {
    let mut r = rng::stream(1, "bench:hold");
    let mut q: EventQueue<Event> = EventQueue::with_capacity(pending + 1);
    const MEAN: u64 = 1_000_000;
    for i in 0..pending {
        q.push(
            SimTime(r.random_range(0..2 * MEAN)),
            Event::AppWake {
                app: i as u32,
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

/// Simulates a generated scenario and times it.
fn time_scenario(name: String, text: &str) -> BenchRow {
    let sc = crate::scenario::parse("bench", text, "bench").expect("the bench scenario is valid");
    let started = Instant::now();
    let report = Simulation::new(sc, RunOptions::default())
        .expect("bench scenario builds")
        .run()
        .expect("bench runs");
    BenchRow {
        name,
        events: report.events,
        wall_s: started.elapsed().as_secs_f64(),
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
    let mut s = format!(
        "[simulation]\nname = \"bench-dumbbell\"\nduration = \"{duration_s}s\"\n[tcp]\nsack = false\n\
         [[node]]\nname = \"L\"\nkind = \"router\"\n[[node]]\nname = \"R\"\nkind = \"router\"\n\
         [[link]]\nbetween = [\"L\", \"R\"]\nbandwidth = \"10Mbps\"\ndelay = \"20ms\"\nqueue = \"100p\"\n"
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

/// Runs every benchmark and prints a table.
/// Runs every benchmark; returns the table.
pub fn run(quick: bool) -> String {
    let steps = if quick { 2_000_000 } else { 20_000_000 };
    let mut rows = Vec::new();
    for pending in [1_000, 100_000, 1_000_000] {
        rows.push(hold_model(pending, steps));
    }
    rows.push(udp_chain(4, 8, if quick { 2 } else { 20 }));
    for n in [1, 10, 100] {
        rows.push(dumbbell(n, if quick { 6 } else { 60 }));
    }
    let mut table = format!(
        "{:<52} {:>14} {:>10} {:>14}\n",
        "benchmark", "events", "wall s", "M events/s"
    );
    for r in &rows {
        table += &format!(
            "{:<52} {:>14} {:>10.3} {:>14.2}\n",
            r.name,
            r.events,
            r.wall_s,
            r.events_per_second() / 1e6
        );
    }
    table
}
