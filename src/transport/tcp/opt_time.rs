//! An optional time in 8 bytes: `Option<SimTime>` takes 16, and a connection
//! keeps several (its timers), as does the stack for each connection.

use crate::sim::SimTime;

/// `Option<SimTime>` with `u64::MAX` nanoseconds (about 584 years, past any
/// run's end; `next_timer` treats it as no deadline already) for `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptTime(u64);

impl OptTime {
    pub const NONE: OptTime = OptTime(u64::MAX);

    pub fn at(t: SimTime) -> OptTime {
        debug_assert!(t.0 != u64::MAX, "a time no run reaches");
        OptTime(t.0)
    }

    pub fn get(self) -> Option<SimTime> {
        (self != OptTime::NONE).then_some(SimTime(self.0))
    }

    /// The time in nanoseconds, `u64::MAX` for none (the latest of all).
    pub fn nanos(self) -> u64 {
        self.0
    }

    pub fn is_none(self) -> bool {
        self == OptTime::NONE
    }

    pub fn is_some_and(self, f: impl FnOnce(SimTime) -> bool) -> bool {
        self.get().is_some_and(f)
    }
}

impl From<Option<SimTime>> for OptTime {
    fn from(t: Option<SimTime>) -> Self {
        t.map_or(OptTime::NONE, OptTime::at)
    }
}
