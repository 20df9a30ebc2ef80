//! netsim: a deterministic discrete-event network simulator.
//!
//! # Module map
//!
//! Floors, bottom first. A module imports only from floors below its own;
//! `tests/layering.rs` holds the same floors as data and fails CI on an import
//! that runs sideways or up.
//!
//! | floor | module | what it owns |
//! |---|---|---|
//! | 0 | `sim` | simulated time (integer ns), the event queue, seeded ChaCha streams |
//! | 0 | `wire` | header formats (IPv4, UDP, TCP, AF_UNIX limits), the Internet checksum, pcap |
//! | 0 | `ids` | typed ids: nodes, links, link directions, connections, applications |
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
//! | 8 | `stack` | the hosts' stacks: socket tables and calls, ports, TCP demultiplexing, listeners and timers, UDP delivery, AF_UNIX; reaches the engine only through `stack::Env` |
//! | 9 | `app` | traffic sources and sinks written against the socket calls (`stack::Ctx`) |
//! | 10 | `engine` | the world under the stacks: the event queue and the one dispatch loop, forwarding, failures, the applications' lives |
//! | 10 | `circuit` | circuit switching: signalling, reservation, its own event loop |
//! | 11 | `progress`, `output`, `html`, `charts` | progress line, atomic result folders, index.html, which charts a run draws |
//! | 12 | `run`, `compare`, `bench` | one run end to end; packet vs circuit; speed measurements |
//! | 13 | `sweep` | parameter grids over seeds, mean and 95% CI, shards and merge |
//!
//! Data flows one way: scenario → model → engine ⇄ stacks (packets in, packets
//! and timers out) → trace records → stats, trace, pcap → outputs.
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
pub mod ids;
pub mod limits;
pub mod net;
pub mod output;
pub mod plot;
pub mod progress;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod stack;
pub mod stats;
pub mod sweep;
pub mod trace;
pub mod transport;
pub mod units;
pub mod view;
pub mod wire;

pub use error::{Error, Result};
