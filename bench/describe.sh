#!/bin/sh
# describe on 1,000,000 rows x 23 columns: median wall time and peak RSS of the whole command
# (CSV load + profile + JSON). Budget: 1.0 s wall and 250 MB on the 2-core reference machine.
# Usage: sh bench/describe.sh [RUNS]   (default 5 runs; the data file is built once)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
DATA=/tmp/lc_1m.csv
BIN=build/lendlab

[ -x /usr/bin/time ] || { echo "bench/describe.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
[ -x "$BIN" ] || make --no-print-directory "$BIN"
if [ ! -s "$DATA" ]; then
    echo "building $DATA (1,000,000 rows drawn from the training split)"
    /usr/bin/python3 ../shared/bench/make_data.py scale ../shared/data/lending_club_train.csv \
        1000000 "$DATA.tmp.$$"
    mv "$DATA.tmp.$$" "$DATA"
fi

times=$(mktemp)
trap 'rm -f "$times"' EXIT INT TERM
i=0
while [ "$i" -lt "$RUNS" ]; do
    /usr/bin/time -f '%e %M' -o "$times" -a "$BIN" --batch describe "$DATA" --json >/dev/null
    i=$((i + 1))
done

# median of the wall times; peak RSS is the largest of the runs (kB -> MB)
sort -n "$times" | awk -v runs="$RUNS" '
    { wall[NR] = $1; if ($2 > rss) rss = $2; all = all sprintf(" %.2f", $1) }
    END {
        m = (NR % 2) ? wall[(NR + 1) / 2] : (wall[NR / 2] + wall[NR / 2 + 1]) / 2
        printf "describe 1M rows x 23 cols: median %.2f s wall over %d runs (sorted:%s), peak RSS %.0f MB\n", m, runs, all, rss / 1024
    }'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
