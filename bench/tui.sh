#!/bin/sh
# Workbench responsiveness, from the LENDLAB_DEBUG_LOG timestamps (ms since main started), with
# the real binary in a private tmux server at 120x40:
#  1. start to first frame with a 1,000-run tracking store (bench/gen_store.py; the store is
#     read on a worker thread, so the list arrives after the first frame): median and worst of
#     $TUI_STARTS starts, and when the run list arrived. Target: first frame <= 150 ms.
#  2. keystroke to redraw while a gbdt run trains on the 1M-row file (Train screen, a worker
#     thread): $TUI_KEYS keys switching screens and moving cursors. Target: <= 16 ms.
# The 1M-row file is /tmp/lc_1m.csv (made with /work/shared/bench/make_data.py when missing).
set -eu
cd "$(dirname "$0")/.."
ROOT=$(pwd)
RUNS=${BENCH_RUNS:-1000}
STORE=${BENCH_TUI_STORE:-${TMPDIR:-/tmp}/lendlab-bench-store-$RUNS}
BIG=${BENCH_BIG:-/tmp/lc_1m.csv}
STARTS=${TUI_STARTS:-7}
NKEYS=${TUI_KEYS:-60}
command -v tmux >/dev/null || { echo "tmux is needed" >&2; exit 1; }
# LENDLAB=path measures another build (default: build/lendlab, made here)
if [ -n "${LENDLAB:-}" ]; then BIN=$LENDLAB; else make -s build/lendlab >/dev/null; BIN=$ROOT/build/lendlab; fi

if [ ! -f "$STORE/.generated" ]; then
    echo "generating $RUNS runs in $STORE (once)..."
    rm -rf "$STORE"
    python3 bench/gen_store.py "$STORE" "$RUNS"
    touch "$STORE/.generated"
fi
if [ ! -f "$BIG" ]; then
    echo "making $BIG (1,000,000 rows, once)..."
    /usr/bin/python3 /work/shared/bench/make_data.py scale /work/shared/data/lending_club_train.csv \
        1000000 "$BIG"
fi

W=$(mktemp -d)
SOCK=lendlab-bench-$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -f "${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/$SOCK"; rm -rf "$W"' EXIT INT TERM
export HOME="$W/home" XDG_CONFIG_HOME="$W/config" XDG_STATE_HOME="$W/state" XDG_DATA_HOME="$W/data"
mkdir -p "$HOME"
tm() { tmux -L "$SOCK" -f /dev/null "$@"; }
# run NAME LOG ARGS...: lendlab in a new 120x40 window
run() {
    name=$1 log=$2
    shift 2
    cmd="env LANG=C.UTF-8 LENDLAB_DEBUG_LOG=$log '$BIN' $*; sleep 30"
    if tm has-session 2>/dev/null; then
        tm new-window -d -n "$name" -c "$W" "$cmd"
        tm resize-window -t "main:$name" -x 120 -y 40
    else
        tm new-session -d -s main -n "$name" -x 120 -y 40 -c "$W" "$cmd"
    fi
}
# wait_log FILE TEXT [TENTHS]
wait_log() {
    n=0
    while [ "$n" -lt "${3:-300}" ]; do
        grep -q -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
        n=$((n + 1))
    done
    echo "timed out waiting for '$2' in $1" >&2
    exit 1
}
# stats: median, 90th percentile and worst of the numbers on standard input
stats() {
    sort -n | awk '{v[NR] = $1} END {
        if (!NR) { print "no samples"; exit }
        p = int(NR * 0.9 + 0.5); if (p < 1) p = 1; if (p > NR) p = NR
        printf "median %.1f ms, p90 %.1f ms, worst %.1f ms (%d samples)\n", v[int((NR + 1) / 2)], v[p], v[NR], NR }'
}

echo "1. start to first frame, store of $RUNS runs ($STORE), $STARTS starts:"
: >"$W/first"
: >"$W/loaded"
i=1
while [ "$i" -le "$STARTS" ]; do
    log="$W/start$i.log"
    run "s$i" "$log" --store "$STORE"
    wait_log "$log" "runs loaded"
    awk '/first-frame/ {print $1}' "$log" >>"$W/first"
    awk '/runs loaded/ {print $1}' "$log" >>"$W/loaded"
    tm send-keys -t "main:s$i" q
    i=$((i + 1))
done
printf "   first frame:      "
stats <"$W/first"
printf "   run list arrived: "
stats <"$W/loaded"
grep -h "runs loaded" "$W/start1.log" | sed 's/^ *[0-9.]* /   (worker: /; s/$/)/'

echo "2. keystroke to redraw while gbdt trains on $BIG:"
log="$W/keys.log"
run keys "$log" --store "$STORE"
wait_log "$log" "runs loaded"
# the Train form: the big file, its target, a long run; then start it
tm send-keys -t main:keys 2
for cmd in "set dataset $BIG" "set target Class" "set n_estimators 300" "set max_depth 6" \
    "set experiment bench-tui-keys"; do
    tm send-keys -t main:keys : "$cmd" Enter
    sleep 0.2
done
tm send-keys -t main:keys s
wait_log "$log" "train #1 gbdt start"
# the fit begins after the file is read and split (a few seconds)
n=0
until tm capture-pane -p -t main:keys | grep -q "fitting gbdt on"; do
    sleep 0.5
    n=$((n + 1))
    [ "$n" -lt 240 ] || { echo "the fit never started" >&2; exit 1; }
done
sleep 1
mark=$(wc -l <"$log")
k=0
while [ "$k" -lt "$NKEYS" ]; do
    case $((k % 6)) in
    0) key=3 ;;  # Runs: the 1,000-run table
    1) key=j ;;
    2) key=k ;;
    3) key=1 ;;  # Datasets
    4) key=2 ;;  # Train: the live pane
    5) key=PgUp ;;
    esac
    tm send-keys -t main:keys "$key"
    sleep 0.15
    k=$((k + 1))
done
sleep 0.5
tail -n +"$((mark + 1))" "$log" | awk '/ key .* redraw / {print $(NF - 1), $3}' >"$W/keys"
printf "   key to redraw:    "
cut -d' ' -f1 "$W/keys" | stats
printf "   slowest keys:     "
sort -rn "$W/keys" | head -3 | awk '{printf "%s %.1f ms  ", $2, $1} END {print ""}'
tm capture-pane -p -t main:keys | grep -Eo "iteration [0-9]+/[0-9]+" | head -1 |
    sed 's/^/   (the fit meanwhile reached /; s/$/)/'
tm send-keys -t main:keys 2 c
wait_log "$log" "train #1 gbdt done"
tm send-keys -t main:keys q
# keep the store as generated: drop the experiment this run was recorded in
for m in "$STORE"/*/meta.yaml; do
    grep -q "^name: bench-tui-keys$" "$m" && rm -rf "$(dirname "$m")"
done
echo "machine load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
