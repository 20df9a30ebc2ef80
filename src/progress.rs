//! A progress line on stderr for long runs: simulated time against the end,
//! and events per second. Drawn only once a run has taken about a second, and
//! only when the caller has checked that stderr is a terminal.

use crate::engine::Simulation;
use crate::sim::SimTime;
use std::io::Write;
use std::time::{Duration, Instant};

/// Runs `sim` to its end in slices, redrawing the line at most 10 times a second.
pub fn run_with_progress(sim: &mut Simulation) {
    let end = sim.scenario().duration;
    let slice = SimTime((end.as_nanos() / 1000).max(1));
    let started = Instant::now();
    let mut last_draw: Option<Instant> = None;
    let mut t = SimTime::ZERO;
    while t < end {
        t = (t + slice).min(end);
        sim.run_until(t);
        if sim.limit_hit().is_some() {
            break;
        }
        let elapsed = started.elapsed();
        let due = last_draw.is_none_or(|d| d.elapsed() >= Duration::from_millis(100));
        if elapsed >= Duration::from_secs(1) && due {
            draw(t, end, sim.events_processed(), elapsed);
            last_draw = Some(Instant::now());
        }
    }
    if last_draw.is_some() {
        draw(
            sim.now().min(end),
            end,
            sim.events_processed(),
            started.elapsed(),
        );
        eprintln!();
    }
}

fn draw(t: SimTime, end: SimTime, events: u64, elapsed: Duration) {
    const WIDTH: usize = 30;
    let fraction = t.as_secs_f64() / end.as_secs_f64().max(1e-12);
    let filled = ((fraction * WIDTH as f64) as usize).min(WIDTH);
    let rate = events as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6;
    let mut err = std::io::stderr().lock();
    let _ = write!(
        err,
        "\r[{}{}] {:5.1}%  {:.3}/{:.3} s simulated  {:.2} M events/s ",
        "#".repeat(filled),
        " ".repeat(WIDTH - filled),
        fraction * 100.0,
        t.as_secs_f64(),
        end.as_secs_f64(),
        rate
    );
    let _ = err.flush();
}
