//! Caps that stop a run before it exhausts the machine: events processed,
//! packets alive at once, nodes, and the process's resident memory.
//!
//! A `Limits` holds optional values; an unset one falls back to the next source
//! (`RunOptions::limits`, then the scenario's `[limits]`, then `DEFAULTS`).
//! `Limits::UNLIMITED` turns every cap off. The engine checks the event and
//! packet caps after every event (two integer comparisons) and memory only every
//! `MEMORY_CHECK_EVERY` events, by reading `VmRSS` from `/proc/self/status`
//! (Linux; elsewhere the memory cap is not enforced).

use crate::sim::SimTime;
use std::fmt;

/// Caps on a run; `None` defers to the next source (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limits {
    /// Events the engine may process.
    pub max_events: Option<u64>,
    /// Packets alive at once (queued, being sent, propagating): the packet
    /// arena's live count.
    pub max_packets_in_flight: Option<u64>,
    /// Nodes in the scenario (checked before the run starts).
    pub max_nodes: Option<u64>,
    /// Resident memory of the whole process, bytes.
    pub max_memory: Option<u64>,
}

/// About 100 s of simulation at the engine's ~10 M events/s on the project's
/// machine: over 30 times the largest example (telephone.toml, 29 M events),
/// and short enough that a runaway scenario (a flow far faster than its link,
/// a very long duration) stops within a couple of minutes, with a partial result.
pub const DEFAULT_MAX_EVENTS: u64 = 1_000_000_000;
/// Ten million packets of about 150 bytes of bookkeeping each: ~1.5 GB.
pub const DEFAULT_MAX_PACKETS_IN_FLIGHT: u64 = 10_000_000;
/// The largest generated topology (`[[topology]]`) is capped at the same size.
pub const DEFAULT_MAX_NODES: u64 = 100_000;
/// Half of a 16 GB laptop.
pub const DEFAULT_MAX_MEMORY: u64 = 8 << 30;

/// How often (in events) the resident memory is read: ~0.1 s of simulation.
pub const MEMORY_CHECK_EVERY: u64 = 1 << 20;

impl Limits {
    /// The defaults that protect a laptop.
    pub const DEFAULTS: Limits = Limits {
        max_events: Some(DEFAULT_MAX_EVENTS),
        max_packets_in_flight: Some(DEFAULT_MAX_PACKETS_IN_FLIGHT),
        max_nodes: Some(DEFAULT_MAX_NODES),
        max_memory: Some(DEFAULT_MAX_MEMORY),
    };

    /// No cap at all.
    pub const UNLIMITED: Limits = Limits {
        max_events: Some(u64::MAX),
        max_packets_in_flight: Some(u64::MAX),
        max_nodes: Some(u64::MAX),
        max_memory: Some(u64::MAX),
    };

    /// Only a cap on events (the others from the scenario or the defaults).
    pub fn max_events(n: u64) -> Limits {
        Limits {
            max_events: Some(n),
            ..Limits::default()
        }
    }

    /// Each value of `self`, or `under`'s where `self` has none.
    pub fn or(self, under: Limits) -> Limits {
        Limits {
            max_events: self.max_events.or(under.max_events),
            max_packets_in_flight: self.max_packets_in_flight.or(under.max_packets_in_flight),
            max_nodes: self.max_nodes.or(under.max_nodes),
            max_memory: self.max_memory.or(under.max_memory),
        }
    }

    /// Every cap set: unset values take the defaults.
    pub fn resolved(self) -> Resolved {
        let l = self.or(Limits::DEFAULTS);
        Resolved {
            max_events: l.max_events.unwrap_or(u64::MAX),
            max_packets_in_flight: l.max_packets_in_flight.unwrap_or(u64::MAX),
            max_nodes: l.max_nodes.unwrap_or(u64::MAX),
            max_memory: l.max_memory.unwrap_or(u64::MAX),
        }
    }
}

/// The caps in force for one run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub max_events: u64,
    pub max_packets_in_flight: u64,
    pub max_nodes: u64,
    pub max_memory: u64,
}

/// Which cap stopped a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cap {
    Events,
    PacketsInFlight,
    Nodes,
    Memory,
}

impl Cap {
    /// The `[limits]` key.
    pub fn key(self) -> &'static str {
        match self {
            Cap::Events => "max_events",
            Cap::PacketsInFlight => "max_packets_in_flight",
            Cap::Nodes => "max_nodes",
            Cap::Memory => "max_memory",
        }
    }

    /// The command-line flag of `run` and `compare`.
    pub fn flag(self) -> &'static str {
        match self {
            Cap::Events => "--max-events N",
            Cap::PacketsInFlight => "--max-packets-in-flight N",
            Cap::Nodes => "--max-nodes N",
            Cap::Memory => "--max-memory SIZE",
        }
    }
}

/// A run stopped by a cap: which, its value, what was measured, and where the
/// run was.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitHit {
    pub cap: Cap,
    pub limit: u64,
    /// What exceeded it (events, packets, nodes or bytes).
    pub measured: u64,
    /// Simulated time of the last event processed.
    pub at: SimTime,
    pub events: u64,
}

impl LimitHit {
    /// "stopped at 1.500000000 s (simulated) by the max_events cap", the first
    /// line of an incomplete summary.
    pub fn headline(&self) -> String {
        format!(
            "INCOMPLETE: stopped at {} s (simulated) by the {} cap",
            self.at,
            self.cap.key()
        )
    }

    fn amount(&self, v: u64) -> String {
        match self.cap {
            Cap::Memory => format!("{:.1} MiB", v as f64 / (1u64 << 20) as f64),
            _ => v.to_string(),
        }
    }
}

impl fmt::Display for LimitHit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.cap {
            Cap::Events => "events processed",
            Cap::PacketsInFlight => "packets in flight",
            Cap::Nodes => "nodes",
            Cap::Memory => "resident memory",
        };
        if self.cap == Cap::Nodes {
            return write!(
                f,
                "the scenario has {} nodes, more than the max_nodes cap ({}); raise it with {} or max_nodes in [limits]",
                self.measured,
                self.limit,
                self.cap.flag()
            );
        }
        write!(
            f,
            "the run stopped at {} s (simulated) after {} events: {what} reached {}, the {} cap is {}; raise it with {} or {} in [limits]",
            self.at,
            self.events,
            self.amount(self.measured),
            self.cap.key(),
            self.amount(self.limit),
            self.cap.flag(),
            self.cap.key()
        )
    }
}

/// The process's resident set size in bytes (`VmRSS`), where the system says.
pub fn resident_memory() -> Option<u64> {
    process_status_bytes("VmRSS")
}

/// The process's peak resident set size in bytes (`VmHWM`), where the system says.
pub fn peak_resident_memory() -> Option<u64> {
    process_status_bytes("VmHWM")
}

/// A `kB` field of `/proc/self/status`, in bytes (Linux only).
fn process_status_bytes(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|l| l.strip_prefix(field).is_some_and(|r| r.starts_with(':')))?;
    let kb: u64 = line[field.len() + 1..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_fall_back_in_order() {
        let cli = Limits::max_events(5);
        let file = Limits {
            max_events: Some(7),
            max_nodes: Some(3),
            ..Limits::default()
        };
        let r = cli.or(file).resolved();
        assert_eq!(r.max_events, 5);
        assert_eq!(r.max_nodes, 3);
        assert_eq!(r.max_packets_in_flight, DEFAULT_MAX_PACKETS_IN_FLIGHT);
        assert_eq!(r.max_memory, DEFAULT_MAX_MEMORY);
        assert_eq!(Limits::UNLIMITED.resolved().max_events, u64::MAX);
    }

    #[test]
    fn a_packet_costs_about_150_bytes() {
        // The figure behind DEFAULT_MAX_PACKETS_IN_FLIGHT's ~1.5 GB.
        let size = std::mem::size_of::<Option<crate::net::packet::Packet>>();
        assert!((64..=256).contains(&size), "{size} bytes");
    }

    #[test]
    fn reads_the_resident_memory_on_linux() {
        if cfg!(target_os = "linux") {
            let rss = resident_memory().expect("VmRSS in /proc/self/status");
            assert!(rss > 0);
        }
    }
}
