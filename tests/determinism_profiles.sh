#!/usr/bin/env bash
# Determinism across build profiles: the debug build (netsim at opt-level 0,
# debug assertions and overflow checks on) and the release build must write
# byte-identical results for the same scenario and seed: every file of
# `run --trace --pcap` (summary, statistics, trace, captures, charts) for the
# quickstart and diamond scenarios, and of `compare --trace` on diamond.
# Called by .ci/run; run it by hand with `tests/determinism_profiles.sh`.
# (cargo test cannot do this itself: its profile is optimized.)
set -euo pipefail
cd "$(dirname "$0")/.."

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Copy each binary right after its build: `cargo test` writes its own
# (optimized) build to the same target/debug/netsim.
cargo build --locked --quiet
cp target/debug/netsim "$tmp/netsim-debug"
cargo build --release --locked --quiet
cp target/release/netsim "$tmp/netsim-release"
if cmp -s "$tmp/netsim-debug" "$tmp/netsim-release"; then
    echo "the debug and release binaries are the same file: nothing to compare" >&2
    exit 1
fi

for profile in debug release; do
    bin="$tmp/netsim-$profile"
    out="$tmp/out-$profile"
    for scenario in quickstart diamond; do
        "$bin" run "scenarios/$scenario.toml" --out "$out" --trace --pcap --quiet
    done
    "$bin" compare scenarios/diamond.toml --out "$out" --trace --quiet
done

diff -r "$tmp/out-debug" "$tmp/out-release"
files=$(find "$tmp/out-debug" -type f | wc -l)
echo "debug and release builds wrote identical bytes: $files files"
