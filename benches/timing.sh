# Sourced by the export benchmarks (nsg.sh, firewall.sh): the median wall
# time of a command over RUNS rounds, and a table row of it for every
# build in BINS. The caller sets RUNS, TIMEOUT, BINS and WIDTH (the label
# column's width).

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

# the table's header: the label column, this build, and PEER if given
header() {
    printf "%-${WIDTH}s %14s" "input" "this build, s"
    [ -n "${PEER:-}" ] && printf ' %14s' "PEER, s"
    echo
}

# one row: the label, then the median time of each build in BINS
row() {
    local label=$1; shift
    printf "%-${WIDTH}s" "$label"
    for b in "${BINS[@]}"; do printf ' %14s' "$(measure "$b" "$@")"; done
    echo
}
