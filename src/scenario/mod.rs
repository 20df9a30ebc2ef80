//! Scenario files: read TOML, check everything, produce a typed model.
//!
//! `load` either returns a `Scenario` in which every name is resolved, every
//! default applied and every value in range, or an `Error::Input` that points at
//! the offending line and column. Nothing is simulated from a file that fails.
//!
//! Defaults (documented in the README's scenario reference):
//! - simulation: name = the file stem, seed = 1, duration = "10s"
//! - node: kind = "host", address = 10.0.0.N for the N-th host, 172.16.0.N for the N-th router,
//!   local_latency = "10us" (each Unix-domain socket delivery on the host)
//! - link: bandwidth = "100Mbps", delay = "1ms", queue = "100p", loss = 0.0
//! - flow: protocol = "udp", pattern = "cbr", rate = "1Mbps", size = "1000B"
//!   (payload), size_distribution = "fixed", start = "0s", stop = the end,
//!   on = off = "1s" with periods = "fixed", ttl = 64, destination port 9,
//!   source ports 49152, 49153, ... per host in flow order.
//! - local flow (protocol = "local"): to = "HOST:/PATH" on the `from` host
//!   (path "/tmp/FLOW.sock" when only "HOST" is given), socket = "stream".
//!
//! Where things are: `schema` is the file's shape as serde reads it, `model`
//! the checked result, `load` reading and parsing, `validate` the checks
//! (with `tcp`, `topology`, `failures`, `aqm` and `cdf` for their parts, and
//! `reach` for reachability). The imports below are shared: the submodules
//! take them with `use super::*`.

pub mod aqm;
pub mod cdf;
mod failures;
mod load;
mod model;
pub(crate) mod reach;
pub mod schema;
mod tcp;
mod topology;
mod validate;

pub use tcp::{AppSpec, DEFAULT_BACKLOG};

use crate::error::{Error, Result, SourceMap};
use crate::sim::SimTime;
use crate::units::{Bandwidth, Duration, QueueCapacity};
use crate::wire::ipv4::Ipv4Addr;
use schema::*;
use std::collections::BTreeMap;
use std::path::Path;
use toml::Spanned;

pub use schema::{Distribution, LocalSocket, Multipath, NodeKind, Pattern, Protocol, Switching};

pub use crate::wire::udp::MAX_UDP_PAYLOAD;
pub use aqm::{CodelParams, QueueDiscipline, RedParams};
pub use load::{load, parse};
pub use model::*;
use validate::*;
