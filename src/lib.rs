//! netsim: a deterministic discrete-event network simulator.
//!
//! # Module map
//!
//! Floors, bottom first. A module imports only from floors below its own;
//! `tests/layering.rs` holds the same floors as data and fails CI on an import
//! that runs sideways or up (the few that remain are listed there by name, each
//! with the change that removes it).
//!
//! | floor | module | what it owns |
//! |---|---|---|
//! | 0 | `sim` | simulated time (integer ns), the event queue, seeded ChaCha streams |
//! | 0 | `wire` | header formats (IPv4, UDP, TCP, AF_UNIX limits), the Internet checksum, pcap |
//! | 0 | `plot` | charts as PNG and SVG from plain data; knows nothing of the simulator |
//! | 1 | `units` | "10Mbps", "1.5s", "64KB", "100p" |
//! | 1 | `limits` | caps on a run (`[limits]`) and which cap stopped it |
//! | 2 | `error` | errors a user can act on, and their exit codes |
//! | 2 | `transport` | the TCP state machine: no I/O, handed `now`; congestion control, SACK, RTO |
//! | 3 | `scenario` | TOML in, a checked model out (schema, validation, generators) |
//! | 4 | `net` | nodes, link directions, routing tables, multipath choice, packets |
//! | 5 | `trace` | typed trace points and the text trace writer |
//! | 6 | `stats`, `capture` | subscribers to the trace points: figures, pcap files |
//! | 7 | `view` | a subscriber keeping bounded records of a run; the self-contained animated `view.html` |
//! | 8 | `engine` | the world, the one dispatch loop, forwarding, failures, TCP demultiplexing |
//! | 8 | `socket`, `app` | BSD-like socket calls; traffic sources and sinks written against them |
//! | 8 | `circuit` | circuit switching: signalling, reservation, its own event loop |
//! | 9 | `progress`, `output`, `html`, `charts` | progress line, atomic result folders, index.html, which charts a run draws |
//! | 10 | `run`, `compare`, `bench` | one run end to end; packet vs circuit; speed measurements |
//! | 11 | `sweep` | parameter grids over seeds, mean and 95% CI, shards and merge |
//!
//! Data flows one way: scenario → model → engine → trace records → stats,
//! trace, pcap → outputs.
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
pub mod limits;
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
pub mod view;
pub mod wire;

pub use error::{Error, Result};
