//! The engine: simulated time, the event queue and per-component random streams.
pub mod time;
pub use time::SimTime;
