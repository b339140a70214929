#!/usr/bin/env bash
# Per-message and per-byte cost of one MPI message, side by side: two ranks on two namespace hosts (TCP over the
# private bridge, as the multinode suite runs) and two ranks on one host (shared memory). Fits
# time(bytes) = latency + bytes / bandwidth to each (least squares over the sizes) and prints both: the inputs of
# docs/scaling.md. Needs root and mpicxx (libopenmpi-dev). Usage: pingpong.sh [REPEATS] (default 200).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
repeats=${1:-200}
work=$(mktemp -d)
hosts=$work/hosts
trap 'bash "$root/scripts/netns-hosts.sh" stop "$hosts"; rm -rf "$work"' EXIT
mpicxx -O2 -o "$work/pingpong" "$root/bench/multinode/pingpong.cpp"
bash "$root/scripts/netns-hosts.sh" start "$hosts" 2 >/dev/null
addr() { bash "$root/scripts/netns-hosts.sh" addr "$hosts" "$1"; }
bash "$root/scripts/netns-hosts.sh" mpirun "$hosts" -n 2 --host "$(addr 1):1,$(addr 2):1" "$work/pingpong" \
  "$repeats" > "$work/tcp.txt"
mpirun --allow-run-as-root --oversubscribe -n 2 --bind-to none "$work/pingpong" "$repeats" > "$work/shm.txt"
python3 - "$work" <<'PY'
import sys
work = sys.argv[1]
def load(name):
    return [tuple(map(float, line.split())) for line in open(f"{work}/{name}.txt") if line.strip()]
rows = {name: load(name) for name in ("tcp", "shm")}
print(f"{'bytes':>10} {'TCP 2 hosts: us':>16} {'MB/s':>8} {'shm 1 host: us':>15} {'MB/s':>8}")
for (b, t_us, t_bw), (_, s_us, s_bw) in zip(rows["tcp"], rows["shm"]):
    print(f"{int(b):>10} {t_us:>16.1f} {t_bw:>8.1f} {s_us:>15.1f} {s_bw:>8.1f}")
for name, data in rows.items():
    # time_us = a + b * bytes, least squares; a: per-message cost, 1/b: bandwidth.
    n = len(data)
    xs = [d[0] for d in data]
    ys = [d[1] for d in data]
    mx, my = sum(xs) / n, sum(ys) / n
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    small = data[0][1]  # the 8-byte message: the per-message cost itself
    print(f"{name}: per message {small:.1f} us (8-byte one-way), per byte {slope * 1e3:.3f} ns "
          f"({1 / slope:.0f} MB/s)")
PY
