#!/usr/bin/env bash
# Measures judging with an Azure Firewall policy in the path: 10,000 rules in
# 100 rule collection groups (benches/make-firewall-export.py) behind the route
# table tests/data/routes-udr-nva.json, for `analyze` on the handshakes
# benchmark capture (60,000 flows, from ../shared/bench/make-bench-pcap.py)
# and for `check`, against the same runs without the firewall.
#
#   benches/firewall.sh                               # this build only
#   PEER=/path/to/other/asrscope benches/firewall.sh  # and another build, same inputs
#   RUNS=5 WORK=/var/tmp/asrfw RULES=20000 RCGS=200 benches/firewall.sh
#
# Each run is capped at TIMEOUT seconds (default 180) and shown as ">TIMEOUT"
# past it. Figures are medians of RUNS (default 3) wall times; it prints the
# numbers, it does not judge them.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
TIMEOUT=${TIMEOUT:-180}
RULES=${RULES:-10000}
RCGS=${RCGS:-100}
WORK=${WORK:-$(mktemp -d)}
GEN=${GEN:-../shared/bench/make-bench-pcap.py}
mkdir -p "$WORK"
cargo build --release -q
BINS=("$PWD/target/release/asrscope")
[ -n "${PEER:-}" ] && BINS+=("$PEER")

FW="$WORK/fw-$RULES-$RCGS"
[ -s "$FW/groups.json" ] || python3 benches/make-firewall-export.py "$FW" --rules "$RULES" --groups "$RCGS"
[ -s "$WORK/handshakes.pcap" ] || python3 "$GEN" "$WORK/handshakes.pcap" --mix handshakes >/dev/null

WIDTH=52
# shellcheck source=benches/timing.sh
. benches/timing.sh
header
REG=(--source-region eastus --target-region centralus)
ROUTES=(--routes tests/data/routes-udr-nva.json)
EXPORTS=(--azure "$FW/firewall.json" --azure "$FW/policy.json" --azure "$FW/groups.json")
ALLOW=tests/data/nsg-allow-all.json
row "check, no firewall" check --nsg "$ALLOW" "${ROUTES[@]}" "${REG[@]}"
row "check, $RULES rules in $RCGS groups" check --nsg "$ALLOW" "${ROUTES[@]}" "${EXPORTS[@]}" "${REG[@]}"
row "analyze handshakes, no firewall" analyze "${ROUTES[@]}" "$WORK/handshakes.pcap" "${REG[@]}"
row "analyze handshakes, $RULES rules in $RCGS groups" analyze "${ROUTES[@]}" "${EXPORTS[@]}" "$WORK/handshakes.pcap" "${REG[@]}"
