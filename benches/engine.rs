//! Criterion measurements: the event queue (hold model), the routing table of
//! a fat-tree, and whole runs of small scenarios. `netsim bench` reports the
//! larger cases (events per second, wall time, peak memory) in one table.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use netsim::engine::{Event, RunOptions, Simulation};
use netsim::net::routing::Routes;
use netsim::sim::{EventQueue, SimTime, rng};
use rand::RngExt;
use std::hint::black_box;

/// Pop the earliest of `pending` events and push one a uniform time later.
fn hold_model(c: &mut Criterion) {
    let mut group = c.benchmark_group("hold model");
    const STEPS: u64 = 100_000;
    group.throughput(Throughput::Elements(STEPS));
    for pending in [1_000usize, 100_000, 1_000_000] {
        let mut r = rng::stream(1, "bench:hold");
        let mut q: EventQueue<Event> = EventQueue::new();
        for i in 0..pending {
            let t = SimTime(r.random_range(0..2_000_000));
            q.push(
                t,
                Event::AppWake {
                    app: netsim::ids::AppId(i as u32),
                    token: 0,
                },
            );
        }
        group.bench_with_input(BenchmarkId::from_parameter(pending), &pending, |b, _| {
            b.iter(|| {
                for _ in 0..STEPS {
                    let (t, e) = q.pop().expect("the hold model keeps N events pending");
                    q.push(t + SimTime(r.random_range(0..2_000_000)), e);
                }
            })
        });
    }
    group.finish();
}

fn fat_tree_routes(c: &mut Criterion) {
    let mut group = c.benchmark_group("routing table");
    group.sample_size(10);
    for k in [8usize, 16] {
        let text = format!("[[topology]]\nkind = \"fat-tree\"\nk = {k}\n");
        let sc = netsim::scenario::parse("bench.toml", &text, "bench").expect("valid");
        group.bench_with_input(BenchmarkId::new("fat-tree k", k), &sc, |b, sc| {
            b.iter(|| black_box(Routes::compute(sc)))
        });
    }
    group.finish();
}

fn small_runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("run");
    group.sample_size(10);
    let cases = [
        (
            "dumbbell, 10 flows, 6 s",
            netsim::bench::dumbbell_scenario(10, 6),
        ),
        (
            "fat-tree k=4, ECMP",
            netsim::bench::fat_tree_scenario(4, 16),
        ),
        (
            "diamond failure, 20 s",
            include_str!("../scenarios/diamond.toml").to_string(),
        ),
    ];
    for (name, text) in cases {
        let sc = netsim::scenario::parse("bench.toml", &text, "bench").expect("valid");
        group.bench_function(name, |b| {
            b.iter(|| {
                let sim = Simulation::new(sc.clone(), RunOptions::default()).expect("builds");
                black_box(sim.run().expect("runs").events)
            })
        });
    }
    group.finish();
}

criterion_group!(benches, hold_model, fat_tree_routes, small_runs);
criterion_main!(benches);
