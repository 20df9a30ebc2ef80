#!/usr/bin/env bash
# One flow of the Linux kernel's own TCP over the user-space dumbbell (relay.py):
#
#   benches/linux/run.sh LOSS SEED SECONDS [CC [FLOWS [STAGGER_US]]]
#
# as root; e.g. run.sh 0.01 1 100 reno, or run.sh 0 1 60 reno 1000 700 (SECONDS
# a whole number). Makes network namespaces cli and srv, joined by two TUN
# devices whose packets relay.py forwards (10 Mbit/s, 100-packet queue, 22 ms
# each way, loss LOSS on the data direction), runs bulk.py with FLOWS
# connections (default 1) started STAGGER_US µs apart (default 0) for SECONDS
# and prints the receiver's goodput, Jain's index and the senders'
# retransmissions. Needs root, TUN and network namespaces (tc netem is not
# needed: this machine's kernel has no sch_netem).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
LOSS=${1:?loss probability}; SEED=${2:?seed}; SECONDS_=${3:?seconds}; CC=${4:-reno}
FLOWS=${5:-1}; STAGGER_US=${6:-0}
OUT=$(mktemp -d /tmp/netsim-linux.XXXXXX)
cleanup() {
    [ -n "${RELAY:-}" ] && kill "$RELAY" 2>/dev/null || true
    ip netns del cli 2>/dev/null || true
    ip netns del srv 2>/dev/null || true
    rm -rf "$OUT"
}
trap cleanup EXIT
ip netns del cli 2>/dev/null || true
ip netns del srv 2>/dev/null || true
ip netns add cli
ip netns add srv
python3 "$HERE/relay.py" "$LOSS" "$SEED" "$((SECONDS_ + 8 + FLOWS * STAGGER_US / 1000000))" > "$OUT/relay" 2>&1 &
RELAY=$!
for _ in $(seq 50); do grep -q ready "$OUT/relay" && break; sleep 0.1; done
ip link set tun_c netns cli
ip link set tun_s netns srv
for ns in cli srv; do ip netns exec $ns ip link set lo up; done
ip netns exec cli ip addr add 10.9.0.1 peer 10.9.0.2 dev tun_c
ip netns exec srv ip addr add 10.9.0.2 peer 10.9.0.1 dev tun_s
ip netns exec cli ip link set tun_c up mtu 1500 txqueuelen 1000
ip netns exec srv ip link set tun_s up mtu 1500
ip netns exec srv python3 "$HERE/bulk.py" sink "$SECONDS_" "$FLOWS" > "$OUT/sink" &
SINK=$!
sleep 0.5
ip netns exec cli python3 "$HERE/bulk.py" source "$SECONDS_" "$FLOWS" "$STAGGER_US" "$CC" > "$OUT/source"
wait "$SINK"
cat "$OUT/sink" "$OUT/source"
