#!/usr/bin/env bash
# netsim and ns-3 side by side on identical scenarios, on this machine, in one run.
#
#   benches/ns3/compare.sh [--quick] [--repeat R]
#
# Builds netsim (cargo build --release) and the two ns-3 programs (g++ -O2 against
# Debian's libns3-dev, into benches/ns3/build/), runs both simulators on the
# dumbbell with N = 1, 10, 100, 1000 flows and on the diamond, and prints one table.
#   --quick     skip N = 1000
#   --repeat R  run each scenario R times (default 3), both simulators taking turns;
#               the table shows the fastest run's wall time and the largest peak RSS.
#               N = 1000 is always run once.
# Wall time is the whole process (date +%s.%N around it); peak RSS comes from
# /usr/bin/time -v. Each program's own clock (setup + simulation, no process
# start-up) is shown in a second table.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
QUICK=0
REPEAT=3
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --repeat) REPEAT=${2:?--repeat needs a number}; shift ;;
        -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
        *) echo "compare.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done

command -v python3 >/dev/null || { echo "compare.sh: python3 is missing" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "compare.sh: /usr/bin/time is missing (apt-get install -y time)" >&2; exit 1; }

# --- build -------------------------------------------------------------------
"$HERE/build.sh"
NETSIM="$ROOT/target/release/netsim"
BUILD="$HERE/build"
# netsim's dumbbells, written afresh from the same generator as src/bench.rs.
(cd "$BUILD" && python3 "$HERE/gen-dumbbell.py" 1 10 100 1000)

# --- runs --------------------------------------------------------------------
TMP=$(mktemp -d /tmp/netsim-ns3.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
RECORDS="$TMP/records.tsv"
: > "$RECORDS"

# measure SCENARIO SIM ITER OUTFILE CMD...: runs CMD with stdout to OUTFILE and
# stderr to OUTFILE.err, appends "scenario sim iter wall_s rss_kb outfile cpu_s".
measure() {
    local scen=$1 sim=$2 iter=$3 out=$4
    shift 4
    local t0 t1 rss
    t0=$(date +%s.%N)
    /usr/bin/time -v -o "$out.time" "$@" > "$out" 2> "$out.err"
    t1=$(date +%s.%N)
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$out.time")
    cpu=$(awk -F': ' '/User time|System time/ {s += $2} END {print s}' "$out.time")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$scen" "$sim" "$iter" \
        "$(python3 -c "print(f'{$t1 - $t0:.4f}')")" "$rss" "$out" "$cpu" >> "$RECORDS"
}

SIZES="1 10 100"
[ "$QUICK" = 1 ] || SIZES="$SIZES 1000"

for n in $SIZES; do
    reps=$REPEAT
    [ "$n" -ge 1000 ] && reps=1
    for i in $(seq 1 "$reps"); do
        echo "== dumbbell N=$n, run $i/$reps: netsim, then ns-3" >&2
        # Not --quiet: netsim then prints its own wall time on stderr (the
        # summary on stdout goes to a file nobody reads).
        measure "dumbbell-$n" netsim "$i" "$TMP/netsim-d$n-$i.txt" \
            "$NETSIM" run "$BUILD/dumbbell-$n.toml" --out "$TMP/netsim-out-$i" --no-plots
        measure "dumbbell-$n" ns3 "$i" "$TMP/ns3-d$n-$i.txt" "$BUILD/dumbbell" --n="$n"
    done
done
for i in $(seq 1 "$REPEAT"); do
    echo "== diamond, run $i/$REPEAT: netsim, then ns-3" >&2
    measure diamond netsim "$i" "$TMP/netsim-diamond-$i.txt" \
        "$NETSIM" run "$ROOT/scenarios/diamond.toml" --out "$TMP/netsim-out-$i" --no-plots
    measure diamond ns3 "$i" "$TMP/ns3-diamond-$i.txt" "$BUILD/diamond"
done

# --- table -------------------------------------------------------------------
NS3_VERSION=$(pkg-config --modversion ns3-core)
NETSIM_VERSION=$("$NETSIM" --version 2>/dev/null || echo netsim)
GIT_REV=$(cd "$ROOT" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
python3 - "$RECORDS" "$TMP" "$NS3_VERSION" "$NETSIM_VERSION" "$GIT_REV" <<'EOF'
import json, os, re, sys
records, tmp, ns3_version, netsim_version, git_rev = sys.argv[1:6]

runs = {}  # (scenario, sim) -> list of (wall, rss_kb, outfile, cpu_s)
order = []
for line in open(records):
    scen, sim, it, wall, rss, out, cpu = line.rstrip("\n").split("\t")
    if scen not in order:
        order.append(scen)
    runs.setdefault((scen, sim), []).append((float(wall), int(rss), out, float(cpu)))

def ns3_result(out):
    for line in open(out):
        if line.startswith("RESULT "):
            return dict(kv.split("=", 1) for kv in line.split()[1:])
    raise SystemExit(f"no RESULT line in {out}")

def netsim_inner(out):
    m = re.search(r"(\d+) events in ([0-9.]+) s wall time", open(out + ".err").read())
    return (int(m.group(1)), float(m.group(2))) if m else (None, None)

def netsim_stats(scen, out):
    it = re.search(r"-(\d+)\.txt$", out).group(1)
    name = "diamond" if scen == "diamond" else "ns3cmp-" + scen
    return json.load(open(os.path.join(tmp, f"netsim-out-{it}", name, "stats.json")))

def best(scen, sim):
    rs = runs[(scen, sim)]
    fastest = min(rs, key=lambda r: r[0])
    return fastest[0], max(r[1] for r in rs) / 1024.0, fastest[2], len(rs), min(r[3] for r in rs)

def jain(xs):
    s, q = sum(xs), sum(x * x for x in xs)
    return s * s / (len(xs) * q) if q else 0.0

rows, inner, extra = [], [], []
for scen in order:
    nw, nrss, nout, reps, ncpu = best(scen, "netsim")
    sw, srss, sout, _, scpu = best(scen, "ns3")
    st = netsim_stats(scen, nout)
    r = ns3_result(sout)
    dur = st["duration_s"]
    n_rx = sum(f["received_bytes"] for f in st["flows"])
    n_gp = n_rx * 8 / dur / 1e6
    s_gp = float(r["goodput_mbps"])
    rows.append((scen, nw, sw, sw / nw, n_gp, s_gp, nrss, srss, reps))
    ev, iw = netsim_inner(nout)
    s_inner = float(r["setup_wall_s"]) + float(r["run_wall_s"])
    inner.append((scen, iw, s_inner, ncpu, scpu, ev, int(r["events"])))
    if scen.startswith("dumbbell"):
        drops = sum(l["drops"] for l in st["links"])
        per = [f["received_bytes"] * 8 / dur / 1e6 for f in st["flows"]]
        extra.append((scen, drops, int(r["drops_at_L"]) + int(r["drops_at_R"]) + int(r["drops_at_hosts"]),
                      min(per), float(r["perflow_min_mbps"]), max(per), float(r["perflow_max_mbps"]),
                      jain(per), float(r["jain"])))
    else:
        f = st["flows"][0]
        tcp = [g for g in st["flows"] if g["protocol"] == "tcp"]
        diamond = dict(
            n_sent=f["sent_bytes"], s_sent=int(r["sent_bytes"]),
            n_del=f["received_bytes"], s_del=int(r["delivered_bytes"]),
            n_lost=f["lost_bytes"], s_lost=int(r["lost_bytes"]),
            n_inflight=f["in_flight_packets"], s_inflight=int(r["in_flight_packets"]),
            n_dmin=f["delay"]["min_ms"], s_dmin=float(r["delay_min_ms"]),
            n_dmean=f["delay"]["mean_ms"], s_dmean=float(r["delay_mean_ms"]),
            n_dmax=f["delay"]["max_ms"], s_dmax=float(r["delay_max_ms"]),
            n_tcp=", ".join(f"{g['name']} {g['completion_s']}" for g in tcp) or "none (no TCP flow)",
            s_tcp=r["tcp_completion_s"] if r["tcp_completion_s"] != "none" else "none (no TCP flow)")

print(f"{netsim_version} (git {git_rev}) vs ns-3 {ns3_version}; {os.cpu_count()} cores; "
      f"load average at the end {os.getloadavg()[0]:.2f}")
print()
hdr = ("scenario", "netsim wall s", "ns-3 wall s", "ratio (ns-3/netsim)", "netsim goodput Mbit/s",
       "ns-3 goodput Mbit/s", "netsim RSS MB", "ns-3 RSS MB", "runs")
print("| " + " | ".join(hdr) + " |")
print("|" + "|".join(["---"] + ["---:"] * (len(hdr) - 1)) + "|")
for s, nw, sw, ratio, ng, sg, nr, sr, reps in rows:
    print(f"| {s} | {nw:.3f} | {sw:.3f} | {ratio:.1f} | {ng:.3f} | {sg:.3f} | {nr:.1f} | {sr:.1f} | {reps} |")
print()
print("Each program's own clock (netsim: load, simulate and compute statistics; ns-3: build the")
print("topology and Simulator::Run), CPU time of the whole process (user + system, least of the runs;")
print("less disturbed by other load than wall time), and events executed (netsim's count;")
print("ns-3's Simulator::GetEventCount):")
print()
print("| scenario | netsim inner s | ns-3 inner s | ratio | netsim CPU s | ns-3 CPU s | ratio | netsim events | ns-3 events |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for s, iw, si, nc, sc, ev, sev in inner:
    iws = f"{iw:.3f}" if iw is not None else "-"
    ratio = f"{si / iw:.1f}" if iw else "-"
    cratio = f"{sc / nc:.1f}" if nc else "-"
    print(f"| {s} | {iws} | {si:.3f} | {ratio} | {nc:.2f} | {sc:.2f} | {cratio} | {ev if ev is not None else '-'} | {sev} |")
print()
print("Dumbbell detail (drops: packets dropped at full queues; per-flow goodput in Mbit/s; Jain's fairness index):")
print()
print("| scenario | netsim drops | ns-3 drops | netsim flow min | ns-3 flow min | netsim flow max | ns-3 flow max | netsim Jain | ns-3 Jain |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for s, nd, sd, nmin, smin, nmax, smax, nj, sj in extra:
    print(f"| {s} | {nd} | {sd} | {nmin:.4f} | {smin:.4f} | {nmax:.4f} | {smax:.4f} | {nj:.4f} | {sj:.4f} |")
if "diamond" in order:
    d = diamond
    print()
    print("Diamond (CBR UDP A -> B:5000, R2-R4 down 5 s to 15 s):")
    print()
    print("| figure | netsim | ns-3 |")
    print("|---|---:|---:|")
    print(f"| sent bytes | {d['n_sent']} | {d['s_sent']} |")
    print(f"| delivered bytes | {d['n_del']} | {d['s_del']} |")
    print(f"| lost bytes | {d['n_lost']} | {d['s_lost']} |")
    print(f"| in flight at 20 s (packets) | {d['n_inflight']} | {d['s_inflight']} |")
    print(f"| one-way delay min / mean / max ms | {d['n_dmin']:.3f} / {d['n_dmean']:.3f} / {d['n_dmax']:.3f} "
          f"| {d['s_dmin']:.3f} / {d['s_dmean']:.3f} / {d['s_dmax']:.3f} |")
    print(f"| TCP completion time | {d['n_tcp']} | {d['s_tcp']} |")
EOF
