#!/usr/bin/env bash
# Measures how judging grows with the NSG rules and routes given: `check`
# with 10,000, 20,000 and 100,000 rules inside the Site Recovery tag, with
# 700,000 routes to addresses in it and with 20,000 and 100,000 routes naming
# service tags (benches/make-route-export.py), and `analyze --nsg` with
# 100,000 rules on the handshakes benchmark capture (60,000 flows, from
# ../shared/bench/make-bench-pcap.py), against no rules at all.
#
#   benches/nsg.sh                               # this build only
#   PEER=/path/to/other/asrscope benches/nsg.sh  # and another build, same inputs
#   RUNS=5 WORK=/var/tmp/asrnsg benches/nsg.sh
#
# Each run is capped at TIMEOUT seconds (default 180) and shown as ">TIMEOUT"
# past it. Figures are medians of RUNS (default 3) wall times; it prints the
# numbers, it does not judge them.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-180}
WORK=${WORK:-$(mktemp -d)}
GEN=${GEN:-../shared/bench/make-bench-pcap.py}
mkdir -p "$WORK"
cargo build --release -q
BINS=("$PWD/target/release/asrscope")
[ -n "${PEER:-}" ] && BINS+=("$PEER")

for n in 10000 20000 100000; do
    [ -s "$WORK/nsg-$n.json" ] || python3 benches/make-nsg-export.py "$WORK/nsg-$n.json" --rules "$n"
done
[ -s "$WORK/routes-700000.json" ] || python3 benches/make-route-export.py "$WORK/routes-700000.json" --routes 700000
for n in 20000 100000; do
    [ -s "$WORK/tag-routes-$n.json" ] || python3 benches/make-route-export.py "$WORK/tag-routes-$n.json" --routes "$n" --to tags
done
[ -s "$WORK/handshakes.pcap" ] || python3 "$GEN" "$WORK/handshakes.pcap" --mix handshakes >/dev/null

WIDTH=44
# shellcheck source=benches/timing.sh
. benches/timing.sh
header
REG=(--source-region eastus --target-region centralus)
for n in 10000 20000 100000; do
    row "check, $n rules" check --nsg "$WORK/nsg-$n.json" "${REG[@]}"
done
ALLOW=tests/data/nsg-allow-all.json
row "check, 700000 routes to addresses" check --nsg "$ALLOW" --routes "$WORK/routes-700000.json" "${REG[@]}"
for n in 20000 100000; do
    row "check, $n routes naming tags" check --nsg "$ALLOW" --routes "$WORK/tag-routes-$n.json" "${REG[@]}"
done
row "analyze handshakes, no rules" analyze "$WORK/handshakes.pcap" "${REG[@]}"
row "analyze handshakes, 100000 rules" analyze --nsg "$WORK/nsg-100000.json" "$WORK/handshakes.pcap" "${REG[@]}"
