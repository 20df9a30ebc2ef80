//! Profiling aid: the hold model alone (`cargo run --release --example hold -- 100000`).
fn main() {
    let pending: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(100_000);
    let row = netsim::bench::hold_model(pending, 5_000_000);
    println!(
        "{}: {:.2} M events/s",
        row.name,
        row.events_per_second() / 1e6
    );
}
