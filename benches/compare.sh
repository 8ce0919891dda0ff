#!/usr/bin/env bash
# Measures asrscope side by side with ndpiReader, tshark and a libpcap-only
# read (tcpdump -r F -w /dev/null) on the two benchmark captures, after
# checking that the tools agree on the TLS server names found.
#
#   benches/compare.sh                 # generates the inputs, 5 rounds
#   RUNS=7 WORK=/var/tmp/asrbench benches/compare.sh
#   PEER=/path/to/other/asrscope benches/compare.sh   # and another build, same runs
#   LIVE_PPS="100000 200000 300000" benches/compare.sh   # as root: also live capture (the default;
#                                                        # LIVE_PPS= leaves it out)
#
# GEN names the capture generator (default: ../shared/bench/make-bench-pcap.py,
# beside the repository). Tools run one after another in each round, in
# alternating order, and the table gives the median time, the median CPU
# time (user + system) and the peak memory
# (/usr/bin/time -v's maximum resident set size). Run it on an idle machine;
# it prints the numbers, it does not judge them.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-5}
WORK=${WORK:-$(mktemp -d)}
GEN=${GEN:-../shared/bench/make-bench-pcap.py}
mkdir -p "$WORK"

need=()
command -v tshark >/dev/null || need+=(tshark)
command -v ndpiReader >/dev/null || need+=(libndpi-bin)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v tcpreplay >/dev/null || need+=(tcpreplay)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi
cargo build --release -q
BIN=$PWD/target/release/asrscope

for mix in handshakes replication; do
    [ -s "$WORK/$mix.pcap" ] || python3 "$GEN" "$WORK/$mix.pcap" --mix "$mix" >/dev/null
done

# Agreement: (destination, port, server name) of every TLS hello, per tool.
agree() {
    local f=$1
    "$BIN" analyze "$f" --csv "$WORK/a.csv" >/dev/null || true
    python3 - "$WORK/a.csv" > "$WORK/a.sni" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    if r["name_source"] == "sni":
        print(r["dst_ip"], r["dst_port"], r["server_name"])
PY
    sort -u -o "$WORK/a.sni" "$WORK/a.sni"
    tshark -n -r "$f" -Y 'tls.handshake.type == 1' -T fields -e ip.dst -e tcp.dstport \
        -e tls.handshake.extensions_server_name 2>/dev/null | awk 'NF==3 {print $1, $2, $3}' | sort -u > "$WORK/t.sni"
    ndpiReader -q -i "$f" -C "$WORK/n.csv" >/dev/null 2>&1 || true
    python3 - "$WORK/n.csv" > "$WORK/n.sni" <<'PY'
import csv, sys
rows = csv.reader(open(sys.argv[1]))
head = next(rows)
head[0] = head[0].lstrip("#")
i = {k: n for n, k in enumerate(head)}
for r in rows:
    if len(r) > i["server_name_sni"] and r[i["server_name_sni"]] and r[i["dst_port"]] == "443":
        print(r[i["dst_ip"]], r[i["dst_port"]], r[i["server_name_sni"]])
PY
    sort -u -o "$WORK/n.sni" "$WORK/n.sni"
    local a t n at an
    a=$(wc -l < "$WORK/a.sni"); t=$(wc -l < "$WORK/t.sni"); n=$(wc -l < "$WORK/n.sni")
    at=$(comm -12 "$WORK/a.sni" "$WORK/t.sni" | wc -l); an=$(comm -12 "$WORK/a.sni" "$WORK/n.sni" | wc -l)
    echo "  server names (distinct dst, port, SNI): asrscope $a, tshark $t, ndpiReader $n; asrscope and tshark share $at, asrscope and ndpiReader share $an"
}

measure() {  # label command... -> appends "label seconds kilobytes cpu-seconds"
    local label=$1; shift
    /usr/bin/time -f "%e %M %U %S" -o "$WORK/time.out" "$@" >/dev/null 2>&1 || true
    echo "$label $(cat "$WORK/time.out" | tail -1)" >> "$WORK/runs.txt"
}

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "tools: $("$BIN" --version), ndpiReader $(dpkg-query -W -f '${Version}' libndpi-bin 2>/dev/null || echo '?'), $(tshark --version 2>/dev/null | head -1), $(tcpdump --version 2>&1 | head -1)"
for mix in handshakes replication; do
    f=$WORK/$mix.pcap
    echo
    echo "$mix: $(du -m "$f" | cut -f1) MB, $(capinfos -c -M "$f" 2>/dev/null | awk '/Number of packets/ {print $NF}') packets"
    agree "$f"
    : > "$WORK/runs.txt"
    for ((i = 0; i < RUNS; i++)); do
        # Alternate the order each round, so that no tool always runs first.
        if ((i % 2 == 0)); then order="asr peer ndpi tshark pcap"; else order="pcap tshark ndpi peer asr"; fi
        for t in $order; do
            case $t in
                asr) measure asrscope "$BIN" analyze "$f" --csv "$WORK/out.csv" ;;
                peer) [ -z "${PEER:-}" ] || measure peer "$PEER" analyze "$f" --csv "$WORK/peer.csv" ;;
                ndpi) measure ndpiReader ndpiReader -q -i "$f" -C "$WORK/ndpi.csv" ;;
                tshark) measure tshark tshark -n -r "$f" -Y 'tls.handshake.type == 1' -T fields -e tls.handshake.extensions_server_name ;;
                pcap) measure libpcap-read tcpdump -r "$f" -w /dev/null ;;
            esac
        done
    done
    python3 - "$WORK/runs.txt" "$mix" <<'PY'
import statistics, sys
runs = {}
for line in open(sys.argv[1]):
    name, secs, kb, user, system = line.split()
    runs.setdefault(name, []).append((float(secs), int(kb), float(user) + float(system)))
med = {
    k: (
        statistics.median(s for s, _, _ in v),
        max(m for _, m, _ in v),
        statistics.median(c for _, _, c in v),
    )
    for k, v in runs.items()
}
a = med["asrscope"]
print(f"  {'tool':<14} {'median s':>9} {'cpu s':>7} {'peak MiB':>9}   asrscope is")
for k in ["asrscope", "peer", "ndpiReader", "tshark", "libpcap-read"]:
    if k not in med:
        continue
    s, m, c = med[k]
    if k == "asrscope":
        rel = ""
    elif k == "libpcap-read":
        rel = f"{a[0] / s:.2f}x its time"
    else:
        rel = f"{s / a[0]:.1f}x faster, {c / a[2]:.1f}x less CPU"
    print(f"  {k:<14} {s:>9.2f} {c:>7.2f} {m / 1024:>9.1f}   {rel}")
print(f"  asrscope peak memory / ndpiReader's: {a[1] / med['ndpiReader'][1]:.2f}")
PY
done

# Live capture (as root): the handshakes capture replayed on the loopback
# interface at each rate while `asrscope live` captures; the share captured
# and the drops (kernel, interface, asrscope's own queue) as it reports them.
if [ "$(id -u)" -eq 0 ] && [ -n "${LIVE_PPS-100000 200000 300000}" ]; then
    echo
    echo "live capture on lo, handshakes replayed with tcpreplay (which itself takes a core):"
    for pps in ${LIVE_PPS-100000 200000 300000}; do
        n=$((pps * 3))
        "$BIN" live -i lo --no-tui --format json --duration $((n / pps + 6)) \
            --source-region eastus --target-region centralus > "$WORK/live.json" 2> "$WORK/live.err" &
        live=$!
        for _ in $(seq 100); do grep -q "capturing on" "$WORK/live.err" && break; sleep 0.1; done
        timeout 60 tcpreplay -i lo --pps "$pps" --limit "$n" "$WORK/handshakes.pcap" > /dev/null 2>&1 || true
        wait "$live" || true
        tail -1 "$WORK/live.json" | python3 -c "
import json, sys
d = json.load(sys.stdin); dr = d['drops']; sent = $n
print(f'  {$pps:>7} packets/s: captured {d[\"frames\"]:,} of {sent:,} ({100 * d[\"frames\"] / sent:.2f}%), drops kernel {dr[\"kernel\"]}, interface {dr[\"interface\"]}, queue {dr[\"queue\"]}')
"
    done
fi
