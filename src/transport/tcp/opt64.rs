//! Optional 64-bit values in 8 bytes: `Option<SimTime>` and `Option<u64>`
//! take 16, and a connection keeps several (its timers, the FIN offsets, the
//! recovery point), as does the stack for each connection.

use crate::sim::SimTime;
use std::marker::PhantomData;

/// A value held as a `u64` that is never `u64::MAX`: a time (that many
/// nanoseconds is about 584 years, past any run's end; `next_timer` treated
/// it as no deadline already) or a sequence offset (past any stream).
pub trait Word: Copy {
    fn to_word(self) -> u64;
    fn from_word(w: u64) -> Self;
}

impl Word for u64 {
    fn to_word(self) -> u64 {
        self
    }
    fn from_word(w: u64) -> Self {
        w
    }
}

impl Word for SimTime {
    fn to_word(self) -> u64 {
        self.0
    }
    fn from_word(w: u64) -> Self {
        SimTime(w)
    }
}

/// `Option<T>` with `u64::MAX` standing for `None`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Opt64<T: Word>(u64, PhantomData<T>);

pub type OptTime = Opt64<SimTime>;
pub type OptOffset = Opt64<u64>;

impl<T: Word> Opt64<T> {
    pub const NONE: Self = Opt64(u64::MAX, PhantomData);

    pub fn some(v: T) -> Self {
        let w = v.to_word();
        debug_assert!(w != u64::MAX, "a value no run reaches");
        Opt64(w, PhantomData)
    }

    pub fn get(self) -> Option<T> {
        (self.0 != u64::MAX).then(|| T::from_word(self.0))
    }

    /// The value as a `u64`, `u64::MAX` for none (the latest of all times).
    pub fn word(self) -> u64 {
        self.0
    }

    pub fn is_none(self) -> bool {
        self.0 == u64::MAX
    }

    pub fn is_some_and(self, f: impl FnOnce(T) -> bool) -> bool {
        self.get().is_some_and(f)
    }
}

impl<T: Word> From<Option<T>> for Opt64<T> {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::NONE, Self::some)
    }
}

impl<T: Word> Default for Opt64<T> {
    fn default() -> Self {
        Self::NONE
    }
}
