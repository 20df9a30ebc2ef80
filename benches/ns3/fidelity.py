#!/usr/bin/env python3
"""Issue 16's table, produced again: netsim and ns-3 3.37 on the same dumbbells.

    benches/ns3/fidelity.py [--no-build] [--quick] [--linux]

Builds netsim and the ns-3 programs (build.sh) unless --no-build, then runs every
row with SACK on: netsim with its defaults, netsim with ns-3's rules (the
`[tcp]` keys in NS3_RULES), netsim with Linux's options (LINUX_OPTIONS), and
ns-3 (dumbbell.cc --sack=1). --quick leaves out the two 1,000-flow rows, which
take ns-3 about half a minute each. --linux adds the Linux kernel's own TCP
(reno) through benches/linux/run.sh (root, network namespaces; in real time:
3 seeds of 100 s for the random-loss rows, one 60 s run for the others, about
15 minutes), whose RTOs and drops it does not count ("—").

The dumbbell is compare.sh's (gen-dumbbell.py): 100 Mbit/s, 1 ms access links,
a 10 Mbit/s, 20 ms bottleneck, 100-packet drop-tail queues. Random loss is on
the bottleneck's data direction only (netsim's loss_forward, dumbbell.cc
--loss). "RTOs" are every expiry of netsim's timer but ns-3's entries into
CA_LOSS (repeated timeouts in that state are not counted again)."""
import importlib.util
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
NETSIM = os.path.join(ROOT, "target", "release", "netsim")
NS3 = os.path.join(HERE, "build", "dumbbell")

# ns-3's TCP where it differs from netsim's defaults: RFC 5681 equation 3 per
# ACK, ssthresh from its pipe estimate, the RTO backoff forgotten at every new
# ACK, and the timed segment's RTT only from the cumulative ACK.
NS3_RULES = "\n".join([
    'cwnd_growth = "per-ack"',
    'loss_flight = "pipe"',
    'rto_backoff = "new-ack"',
    'rtt_sample = "cumulative"',
])

# The kernel's defaults that netsim can name (benches/linux/README.md).
LINUX_OPTIONS = "\n".join([
    'loss_detection = "rack-tlp"',
    'recovery = "prr"',
    'min_rto = "200ms"',
    "timestamps = true",
    'rto_restart = "head-retransmit"',
])

spec = importlib.util.spec_from_file_location("gen_dumbbell", os.path.join(HERE, "gen-dumbbell.py"))
gen = importlib.util.module_from_spec(spec)
spec.loader.exec_module(gen)


def jain(xs):
    total = sum(xs)
    squares = sum(x * x for x in xs)
    return total * total / len(xs) / squares if squares else 0.0


RUNS = iter(range(1, 1_000_000))


def netsim(tmp, n, duration, tcp, loss=0.0, stagger_us=0, seed=1):
    """One netsim run; returns the row's figures from stats.json."""
    name = f"fidelity-{next(RUNS)}"
    bottleneck = f"loss_forward = {loss}" if loss else ""
    text = gen.scenario(n, duration, "sack = true\n" + tcp, bottleneck, stagger_us, name)
    path = os.path.join(tmp, name + ".toml")
    with open(path, "w") as f:
        f.write(text)
    subprocess.run([NETSIM, "run", path, "--out", tmp, "--seed", str(seed), "--no-plots",
                    "--quiet"], check=True)
    with open(os.path.join(tmp, name, "stats.json")) as f:
        d = json.load(f)
    clients = [t for t in d["tcp"] if t["side"] == "client"]
    received = [fl["received_bytes"] for fl in d["flows"]]
    return {
        "retx": sum(c["segments_retransmitted"] for c in clients),
        "rtos": sum(c["rto_expiries"] for c in clients),
        "drops": next(l["drops"] for l in d["links"] if l["name"] == "L->R"),
        "goodput": sum(received) * 8 / d["duration_s"] / 1e6,
        "jain": jain(received),
    }


def ns3(n, duration, loss=0.0, stagger_us=0, seed=1):
    args = [NS3, f"--n={n}", "--sack=1", f"--duration={duration}", f"--seed={seed}"]
    if loss:
        args.append(f"--loss={loss}")
    if stagger_us:
        args.append(f"--stagger_us={stagger_us}")
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("RESULT "))
    kv = dict(item.split("=", 1) for item in line.split()[1:])
    return {
        "retx": int(kv["retransmissions"]),
        "rtos": int(kv["rtos"]),
        "drops": int(kv["drops_at_L"]),
        "goodput": float(kv["goodput_mbps"]),
        "jain": float(kv["jain"]),
    }


def linux(n, duration, loss=0.0, stagger_us=0, seed=1):
    """Linux's reno over benches/linux's relay (RTOs and drops not counted)."""
    run_sh = os.path.join(os.path.dirname(HERE), "linux", "run.sh")
    args = [run_sh, str(loss), str(seed), str(duration), "reno", str(n), str(stagger_us)]
    words = subprocess.run(args, check=True, capture_output=True, text=True).stdout.split()
    after = lambda word: words[words.index(word) + 1].rstrip(",")
    return {
        "retx": int(after("retransmissions")),
        "rtos": None,
        "drops": None,
        "goodput": float(after("goodput")),
        "jain": float(after("jain")),
    }


def mean_of_seeds(run, seeds=5):
    runs = [run(seed) for seed in range(1, seeds + 1)]
    if seeds == 1:
        return runs[0]
    return {k: None if runs[0][k] is None else sum(r[k] for r in runs) / len(runs)
            for k in runs[0]}


def main():
    args = sys.argv[1:]
    unknown = [a for a in args
               if a not in ("--no-build", "--quick", "--linux", "-h", "--help")]
    if unknown or "-h" in args or "--help" in args:
        print(__doc__.strip())
        sys.exit(2 if unknown else 0)
    if "--no-build" not in args:
        subprocess.run([os.path.join(HERE, "build.sh")], check=True)
    for program in (NETSIM, NS3):
        if not os.access(program, os.X_OK):
            sys.exit(f"fidelity.py: {program} is missing (run benches/ns3/build.sh)")

    count = lambda v: "—" if v is None else f"{round(v):,}"
    counts = lambda r: f"{count(r['retx'])} / {count(r['rtos'])} / {count(r['drops'])}"
    rows = [
        ("10 flows, 60 s", "retransmissions / RTOs / drops",
         dict(n=10, duration=60), counts),
        ("100 flows, 60 s", "retransmissions / RTOs / drops; goodput, Jain",
         dict(n=100, duration=60),
         lambda r: f"{counts(r)}; {r['goodput']:.3f}, {r['jain']:.3f}"),
    ]
    if "--quick" not in args:
        rows += [
            ("1,000 flows, 60 s", "goodput Mbit/s", dict(n=1000, duration=60),
             lambda r: f"{r['goodput']:.3f}"),
            ("1,000 flows 0.7 ms apart, 60 s", "goodput Mbit/s",
             dict(n=1000, duration=60, stagger_us=700), lambda r: f"{r['goodput']:.3f}"),
        ]
    for p in (0.01, 0.05):
        rows.append((f"1 flow, random loss p = {p}, 100 s, 5 seeds", "goodput Mbit/s (mean)",
                     dict(n=1, duration=100, loss=p), lambda r: f"{r['goodput']:.3f}"))

    with_linux = "--linux" in args
    print("| scenario | figure | netsim | netsim, ns-3's rules | netsim, Linux's options | ns-3 3.37 |"
          + (" Linux (reno) |" if with_linux else ""))
    print("|---|---|---|---|---|---|" + ("---|" if with_linux else ""))
    with tempfile.TemporaryDirectory(prefix="netsim-fidelity-") as tmp:
        for title, figure, setup, show in rows:
            seeds = 5 if setup.get("loss") else 1
            cells = [
                mean_of_seeds(lambda s: netsim(tmp, tcp="", seed=s, **setup), seeds),
                mean_of_seeds(lambda s: netsim(tmp, tcp=NS3_RULES, seed=s, **setup), seeds),
                mean_of_seeds(lambda s: netsim(tmp, tcp=LINUX_OPTIONS, seed=s, **setup), seeds),
                mean_of_seeds(lambda s: ns3(seed=s, **setup), seeds),
            ]
            shown = [show(c) for c in cells]
            if with_linux:
                linux_seeds = 3 if setup.get("loss") else 1
                shown.append(show(mean_of_seeds(lambda s: linux(seed=s, **setup), linux_seeds)))
            print(f"| {title} | {figure} | " + " | ".join(shown) + " |", flush=True)


if __name__ == "__main__":
    main()
