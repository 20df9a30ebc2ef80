//! Fuzz target: scenario text -> `netsim::scenario::parse`.
//!
//! Any input must give either a checked `Scenario` or an `Error::Input` whose
//! message reads `FILE:LINE:COL: ...`; a panic, an abort or a hang is a bug
//! (the checks are in `fuzz/steps.rs`).

#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "../steps.rs"]
mod steps;

fuzz_target!(|data: &[u8]| {
    // `scenario::load` refuses non-UTF-8 files before parsing; `parse` takes text.
    if let Ok(text) = std::str::from_utf8(data) {
        steps::parse_checked(text);
    }
});
