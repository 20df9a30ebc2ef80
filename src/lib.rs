//! netsim: a deterministic discrete-event network simulator.
//!
//! The layers, top-down, as a student meets them:
//!
//! - `app`      — traffic sources and sinks, written against the socket API
//! - `socket`   — BSD-like sockets: `socket`, `bind`, `sendto`, `recvfrom`, `close`
//! - `net`      — nodes, link directions (serialization + propagation, drop-tail
//!   queues, random loss), shortest-path forwarding, packets
//! - `wire`     — header formats (IPv4, UDP, TCP) and the Internet checksum
//!
//! Around them: `scenario` (TOML in, checked model out), `engine` (the world and
//! the one dispatch loop), `sim` (time, event queue, random streams), `trace`
//! (typed trace points and the text trace), `stats` (figures computed from trace
//! points), `output` (the result folder), `bench` (speed measurements).
//!
//! Data flows one way: scenario → model → engine → trace/stats → outputs.
//!
//! ```no_run
//! let scenario = netsim::scenario::load("scenarios/quickstart.toml".as_ref()).unwrap();
//! let report = netsim::engine::Simulation::new(scenario, Default::default()).unwrap().run().unwrap();
//! println!("{}", report.summary());
//! ```

pub mod app;
pub mod bench;
pub mod capture;
pub mod charts;
pub mod circuit;
pub mod compare;
pub mod engine;
pub mod error;
pub mod html;
pub mod net;
pub mod output;
pub mod plot;
pub mod progress;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod socket;
pub mod stats;
pub mod sweep;
pub mod trace;
pub mod transport;
pub mod units;
pub mod wire;

pub use error::{Error, Result};
