//! A barrier for the threads of a parallel run, which meet once per window:
//! often (windows can be a few microseconds of work) and mostly each on a
//! core of its own. Waiters spin, so that a meeting costs a cache line's
//! trip rather than a sleep and a wake-up in the kernel (`std::sync::Barrier`,
//! some 20 us on the project's machine); past a short spin they yield, so
//! that more threads than cores still make progress.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// Spins before a waiter starts yielding its core (each a `spin_loop` hint).
const SPINS: u32 = 1 << 10;

pub struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    /// Counts the meetings: a waiter is released when it moves.
    generation: AtomicUsize,
}

impl SpinBarrier {
    pub fn new(parties: usize) -> SpinBarrier {
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
        }
    }

    /// Returns once all `parties` threads have called it.
    pub fn wait(&self) {
        let generation = self.generation.load(Acquire);
        if self.arrived.fetch_add(1, AcqRel) + 1 == self.parties {
            // Reset before the release: a thread released can only arrive at
            // the next meeting after it has seen the new generation.
            self.arrived.store(0, Relaxed);
            self.generation.fetch_add(1, Release);
            return;
        }
        let mut spins = 0;
        while self.generation.load(Acquire) == generation {
            if spins < SPINS {
                spins += 1;
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// Every thread sees every other's writes of the round before: what the
    /// parallel run's mailboxes rely on.
    #[test]
    fn no_thread_passes_a_meeting_before_all_have_reached_it() {
        const THREADS: usize = 4;
        const ROUNDS: u64 = 2_000;
        let barrier = SpinBarrier::new(THREADS);
        let done: Vec<AtomicU64> = (0..THREADS).map(|_| AtomicU64::new(0)).collect();
        std::thread::scope(|s| {
            for me in 0..THREADS {
                let (barrier, done) = (&barrier, &done);
                s.spawn(move || {
                    for round in 1..=ROUNDS {
                        done[me].store(round, Relaxed);
                        barrier.wait();
                        for d in done {
                            assert!(d.load(Relaxed) >= round, "a thread ran ahead");
                        }
                        barrier.wait();
                    }
                });
            }
        });
    }
}
