#!/usr/bin/env bash
# Builds what the ns-3 comparisons run: netsim (cargo build --release) and the
# ns-3 programs (g++ -O2 against Debian's libns3-dev) into benches/ns3/build/.
#
#   benches/ns3/build.sh
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)

for tool in g++ pkg-config; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is missing" >&2; exit 1; }
done
pkg-config --exists ns3-core || { echo "build.sh: ns-3 not found (apt-get install -y libns3-dev)" >&2; exit 1; }

echo "== cargo build --release" >&2
(cd "$ROOT" && cargo build --release) >&2

BUILD="$HERE/build"
mkdir -p "$BUILD"
MODS="ns3-core ns3-network ns3-internet ns3-point-to-point ns3-applications ns3-traffic-control"
CFLAGS=$(pkg-config --cflags $MODS)
# Debian's .pc files name /usr/lib/x86_64-linux-gnu/libgsl.so and libgslcblas.so,
# which exist only with libgsl-dev; the ns-3 libraries link GSL themselves, so
# absolute library paths that do not exist are left out.
LIBS=""
for f in $(pkg-config --libs $MODS); do
    case "$f" in
        /*) [ -e "$f" ] && LIBS="$LIBS $f" ;;
        *) LIBS="$LIBS $f" ;;
    esac
done
for prog in dumbbell diamond algorithms; do
    echo "== g++ -O2 $prog.cc" >&2
    # shellcheck disable=SC2086
    g++ -O2 -std=c++17 $CFLAGS "$HERE/$prog.cc" -o "$BUILD/$prog" $LIBS
done
