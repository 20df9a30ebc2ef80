//! Fuzz target: scenario text -> `netsim::scenario::parse`.
//!
//! Any input must give either a checked `Scenario` or an `Error::Input` whose
//! message reads `FILE:LINE:COL: ...`; a panic, an abort or a hang is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    // `scenario::load` refuses non-UTF-8 files before parsing; `parse` takes text.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match netsim::scenario::parse("fuzz.toml", text, "fuzz") {
        Ok(sc) => {
            // The checked model's own helpers must hold for every scenario.
            for l in 0..sc.links.len() {
                let _ = sc.link_label(l);
            }
            for i in 0..sc.failures.len() {
                let _ = sc.failure_label(i);
            }
        }
        Err(netsim::error::Error::Input { location, message }) => {
            assert!(
                location.line >= 1 && location.column >= 1 && !message.is_empty(),
                "an input error without a usable location or message: {location}: {message}"
            );
        }
        Err(other) => panic!("scenario text gave a non-input error: {other}"),
    }
});
