#!/usr/bin/env bash
# Measures `asrscope bundle` beside `asrscope analyze --csv` on the benchmark
# captures: the time of each (median of RUNS, run alternately), the peak
# memory, and the size of the bundle and of its packet file against the
# capture's.
#
#   benches/bundle.sh                      # generates the inputs, 5 rounds
#   RUNS=7 WORK=/var/tmp/asrbench benches/bundle.sh
#
# GEN names the capture generator (default: ../shared/bench/make-bench-pcap.py,
# beside the repository). It prints the numbers, it does not judge them.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d)}
GEN=${GEN:-../shared/bench/make-bench-pcap.py}
mkdir -p "$WORK"
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (apt-get install time)"; exit 2; }
command -v unzip >/dev/null || { echo "needs unzip (apt-get install unzip)"; exit 2; }
cargo build --release -q
BIN=$PWD/target/release/asrscope

for mix in handshakes replication; do
    [ -s "$WORK/$mix.pcap" ] || python3 "$GEN" "$WORK/$mix.pcap" --mix "$mix" >/dev/null
done

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "asrscope: $("$BIN" --version)"
for mix in handshakes replication; do
    f=$WORK/$mix.pcap
    : > "$WORK/runs.txt"
    for i in $(seq "$RUNS"); do
        for step in a b; do
            if [ $((i % 2)) -eq 0 ] && [ $step = a ] || [ $((i % 2)) -eq 1 ] && [ $step = b ]; then
                /usr/bin/time -f "analyze %e %M" -a -o "$WORK/runs.txt" \
                    "$BIN" analyze "$f" --csv "$WORK/flows.csv" >/dev/null 2>&1 || true
            else
                rm -f "$WORK/case.zip"
                /usr/bin/time -f "bundle %e %M" -a -o "$WORK/runs.txt" \
                    "$BIN" bundle "$f" -o "$WORK/case.zip" >/dev/null 2>&1 || true
            fi
        done
    done
    rm -rf "$WORK/unzipped"
    unzip -q "$WORK/case.zip" -d "$WORK/unzipped"
    python3 - "$mix" "$f" "$WORK" <<'PY'
import json, os, statistics, sys
mix, f, work = sys.argv[1:]
runs = {}
for line in open(os.path.join(work, "runs.txt")):
    parts = line.split()
    if len(parts) == 3 and parts[0] in ("analyze", "bundle"):
        runs.setdefault(parts[0], []).append((float(parts[1]), int(parts[2])))
med = {k: (statistics.median(t for t, _ in v), max(m for _, m in v) / 1024) for k, v in runs.items()}
cap = os.path.getsize(f)
z = os.path.getsize(os.path.join(work, "case.zip"))
pcapng = os.path.getsize(os.path.join(work, "unzipped", "site-recovery.pcapng"))
m = json.load(open(os.path.join(work, "unzipped", "manifest.json")))["packets"]
print(f"{mix}: capture {cap/1e6:.0f} MB, {m['read']} packets; bundle {z/1e6:.2f} MB "
      f"({100*z/cap:.2f} % of the capture), its packet file {pcapng/1e6:.1f} MB with {m['kept']} packets "
      f"of {m['site_recovery_flows']} Site Recovery flows")
a, b = med["analyze"], med["bundle"]
print(f"  analyze --csv {a[0]:.2f} s ({a[1]:.0f} MiB peak); bundle {b[0]:.2f} s ({b[1]:.0f} MiB peak): "
      f"{b[0]/a[0]:.2f} x the analysis")
PY
done
