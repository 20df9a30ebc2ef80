//! The engine's parts: simulated time, the event queue, per-component random
//! streams, the tables they index, and the barrier of a parallel run.
pub mod barrier;
pub mod chunked;
pub mod hash;
pub mod queue;
pub mod rng;
pub mod time;

pub use queue::EventQueue;
pub use time::SimTime;
