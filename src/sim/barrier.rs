//! A barrier for the threads of a parallel run, which meet once per window:
//! often (windows can be a few microseconds of work) and mostly each on a
//! core of its own. Waiters spin first, so that a meeting costs a cache
//! line's trip rather than a sleep and a wake-up in the kernel
//! (`std::sync::Barrier`, some 20 us on the project's machine); past a short
//! spin they sleep, so that a thread whose partner lost its core (a busy
//! machine, more threads than cores) does not burn the core it needs.

use std::sync::atomic::AtomicUsize;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

/// How long a waiter spins before it sleeps: longer than a busy part's lead
/// in a typical window (with 50 us, the k = 16 fat-tree bench ran some 15 %
/// slower on two threads, its waiters sleeping and waking late).
const SPIN: Duration = Duration::from_micros(500);

pub struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    /// Counts the meetings: a waiter is released when it moves.
    generation: AtomicUsize,
    /// Waiters that stopped spinning, and where they sleep.
    sleepers: AtomicUsize,
    lock: Mutex<()>,
    wake: Condvar,
}

impl SpinBarrier {
    pub fn new(parties: usize) -> SpinBarrier {
        SpinBarrier {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            sleepers: AtomicUsize::new(0),
            lock: Mutex::new(()),
            wake: Condvar::new(),
        }
    }

    /// Returns once all `parties` threads have called it.
    pub fn wait(&self) {
        let generation = self.generation.load(Acquire);
        if self.arrived.fetch_add(1, AcqRel) + 1 == self.parties {
            // Reset before the release: a thread released can only arrive at
            // the next meeting after it has seen the new generation.
            self.arrived.store(0, Relaxed);
            self.generation.fetch_add(1, SeqCst);
            // A sleeper counted itself before it looked at the generation
            // (both sequentially consistent): it either saw the new one or is
            // counted here, and waits under the lock taken for the wake-up.
            if self.sleepers.load(SeqCst) > 0 {
                let _guard = self.lock.lock().expect("barrier lock");
                self.wake.notify_all();
            }
            return;
        }
        let started = Instant::now();
        let mut spins = 0u32;
        while self.generation.load(Acquire) == generation {
            std::hint::spin_loop();
            spins += 1;
            if spins % 64 == 0 && started.elapsed() > SPIN {
                return self.sleep(generation);
            }
        }
    }

    fn sleep(&self, generation: usize) {
        let mut guard = self.lock.lock().expect("barrier lock");
        self.sleepers.fetch_add(1, SeqCst);
        while self.generation.load(SeqCst) == generation {
            guard = self.wake.wait(guard).expect("barrier lock");
        }
        self.sleepers.fetch_sub(1, SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// Every thread sees every other's writes of the round before: what the
    /// parallel run's mailboxes rely on. Eight threads on the machine's few
    /// cores also make some of them sleep.
    #[test]
    fn no_thread_passes_a_meeting_before_all_have_reached_it() {
        const THREADS: usize = 8;
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
