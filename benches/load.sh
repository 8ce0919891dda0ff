#!/usr/bin/env bash
# Measures asrscope under hostile load: time and peak memory (/usr/bin/time)
# on the captures of benches/make-load-pcap.py, and what one flow costs.
#
#   benches/load.sh                    # generates the inputs in a temporary folder
#   WORK=/var/tmp/asrload benches/load.sh
#
#   syn-flood   2,000,000 SYN-only flows, 1 µs apart (a scan or SYN flood on an NVA)
#   half-open   200,000 connections each sending 16 KB of a TLS record that never
#               completes (16,384 announced: larger than any hello, never buffered)
#   half-open-6k  the same with a 7,000-byte record of which 6,500 bytes come: held
#               until the memory budget (--max-memory, 512 MB by default) releases them
#   per-flow    100,000 and 400,000 SYN-only flows with a budget large enough to keep
#               them all: the difference in peak memory over 300,000 flows
#
# The captures take about 5 GB of disk. It prints the numbers; it does not judge them.
set -euo pipefail
cd "$(dirname "$0")/.."
WORK=${WORK:-$(mktemp -d)}
mkdir -p "$WORK"
[ -x /usr/bin/time ] || { echo "load.sh: /usr/bin/time is needed (apt-get install time)" >&2; exit 1; }
cargo build --release -q
BIN=$PWD/target/release/asrscope
GEN="python3 benches/make-load-pcap.py"

[ -s "$WORK/syn-flood.pcap" ] || $GEN syn-flood "$WORK/syn-flood.pcap"
[ -s "$WORK/half-open.pcap" ] || $GEN half-open "$WORK/half-open.pcap"
[ -s "$WORK/half-open-6k.pcap" ] || $GEN half-open "$WORK/half-open-6k.pcap" --record 7000 --sent 6500
[ -s "$WORK/syn-100k.pcap" ] || $GEN syn-flood "$WORK/syn-100k.pcap" --flows 100000
[ -s "$WORK/syn-400k.pcap" ] || $GEN syn-flood "$WORK/syn-400k.pcap" --flows 400000

measure() {  # label args...
    local label=$1; shift
    /usr/bin/time -f "%e %M" "$BIN" analyze "$@" >"$WORK/out.txt" 2>"$WORK/time.txt" || true
    read -r secs kb < <(tail -1 "$WORK/time.txt")
    printf '%-14s %8s s %8d MB  %s\n' "$label" "$secs" $((kb / 1024)) \
        "$(grep -oE '[0-9]+ flows[^:(]*(evicted early under load|reassembly buffers released early)' "$WORK/out.txt" | head -2 | tr '\n' ';')"
    echo "$kb" > "$WORK/last.kb"
}

echo "input           time       peak memory"
measure syn-flood "$WORK/syn-flood.pcap"
measure half-open "$WORK/half-open.pcap"
measure half-open-6k "$WORK/half-open-6k.pcap"
measure per-flow-100k --max-memory 4G "$WORK/syn-100k.pcap"; a=$(cat "$WORK/last.kb")
measure per-flow-400k --max-memory 4G "$WORK/syn-400k.pcap"; b=$(cat "$WORK/last.kb")
echo "one SYN-only flow held: $(( (b - a) * 1024 / 300000 )) bytes"
