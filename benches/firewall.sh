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

# median wall time of a command, in seconds, or >TIMEOUT
measure() {
    local times=() t
    for _ in $(seq "$RUNS"); do
        local s e
        s=$(date +%s.%N)
        local rc=0
        timeout "$TIMEOUT" "$@" >/dev/null 2>&1 || rc=$?
        [ "$rc" -eq 124 ] && { echo ">$TIMEOUT"; return; }
        e=$(date +%s.%N)
        times+=("$(echo "$e - $s" | bc)")
    done
    t=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
    printf '%.2f' "$t"
}

printf '%-52s %14s' "input" "this build, s"
[ -n "${PEER:-}" ] && printf ' %14s' "PEER, s"
echo
row() {
    local label=$1; shift
    printf '%-52s' "$label"
    for b in "${BINS[@]}"; do printf ' %14s' "$(measure "$b" "$@")"; done
    echo
}
REG=(--source-region eastus --target-region centralus)
ROUTES=(--routes tests/data/routes-udr-nva.json)
EXPORTS=(--azure "$FW/firewall.json" --azure "$FW/policy.json" --azure "$FW/groups.json")
ALLOW=tests/data/nsg-allow-all.json
row "check, no firewall" check --nsg "$ALLOW" "${ROUTES[@]}" "${REG[@]}"
row "check, $RULES rules in $RCGS groups" check --nsg "$ALLOW" "${ROUTES[@]}" "${EXPORTS[@]}" "${REG[@]}"
row "analyze handshakes, no firewall" analyze "${ROUTES[@]}" "$WORK/handshakes.pcap" "${REG[@]}"
row "analyze handshakes, $RULES rules in $RCGS groups" analyze "${ROUTES[@]}" "${EXPORTS[@]}" "$WORK/handshakes.pcap" "${REG[@]}"
