//! The engine's parts: simulated time, the event queue and per-component random streams.
pub mod hash;
pub mod queue;
pub mod rng;
pub mod time;

pub use queue::EventQueue;
pub use time::SimTime;
