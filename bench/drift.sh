#!/bin/sh
# drift on 1,000,000 vs 1,000,000 rows x 23 columns (training rows against the shifted batch,
# both scaled by make_data.py): median wall time and peak RSS of the whole command, CSV loading,
# all default tests and PSI included. Budget: 3 s wall and 600 MB on the 2-core reference
# machine. PEER=1 also times the SciPy peer (../shared/bench/drift_peer.py) once.
# Usage: sh bench/drift.sh [RUNS]   (default 5 runs; the data files are built once)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-5}
REF=/tmp/lc_1m.csv
CUR=/tmp/lc_drift_1m.csv
BIN=build/lendlab

[ -x /usr/bin/time ] || { echo "bench/drift.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
[ -x "$BIN" ] || make --no-print-directory "$BIN"
build() { # build SOURCE OUT
    if [ ! -s "$2" ]; then
        echo "building $2 (1,000,000 rows drawn from $(basename "$1"))"
        /usr/bin/python3 ../shared/bench/make_data.py scale "$1" 1000000 "$2.tmp.$$"
        mv "$2.tmp.$$" "$2"
    fi
}
build ../shared/data/lending_club_train.csv "$REF"
build ../shared/data/lending_club_drifted.csv "$CUR"

times=$(mktemp)
trap 'rm -f "$times"' EXIT INT TERM
i=0
while [ "$i" -lt "$RUNS" ]; do
    /usr/bin/time -f '%e %M' -o "$times" -a "$BIN" --batch drift --reference "$REF" \
        --current "$CUR" --target Class --json >/dev/null
    i=$((i + 1))
done
sort -n "$times" | awk -v runs="$RUNS" '
    { wall[NR] = $1; if ($2 > rss) rss = $2; all = all sprintf(" %.2f", $1) }
    END {
        m = (NR % 2) ? wall[(NR + 1) / 2] : (wall[NR / 2] + wall[NR / 2 + 1]) / 2
        printf "drift 1M vs 1M rows x 23 cols: median %.2f s wall over %d runs (sorted:%s), peak RSS %.0f MB\n", m, runs, all, rss / 1024
    }'
if [ "${PEER:-0}" = 1 ]; then
    /usr/bin/time -f 'peer (SciPy, drift_peer.py): %e s wall, peak RSS %M kB' \
        /usr/bin/python3 ../shared/bench/drift_peer.py "$REF" "$CUR" >/dev/null
fi
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
