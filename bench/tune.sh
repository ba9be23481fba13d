#!/bin/sh
# tune on the LendingClub fixtures: 50 TPE trials of gbdt scored by 5-fold CV on the 7,886
# training rows (median pruning after each fold), the best parameters refitted and scored on the
# 1,971 test rows, the study tracked in a fresh store. Bar on the 2-core reference machine:
# test AUC >= 0.730 in <= 20 s wall (Optuna's seeded TPE driving XGBoost reaches 0.733 in 65 s
# there). Prints each run's figures, the median wall time and the load average.
# Usage: sh bench/tune.sh [RUNS] [EXTRA TUNE OPTIONS...]   (default 3 runs, --jobs 2)
set -eu
cd "$(dirname "$0")/.."
RUNS=${1:-3}
[ $# -gt 0 ] && shift
BIN=build/lendlab
F=tests/fixtures

[ -x /usr/bin/time ] || { echo "bench/tune.sh: needs /usr/bin/time (Debian package time)" >&2; exit 1; }
[ -x "$BIN" ] || make --no-print-directory "$BIN"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
i=0
while [ "$i" -lt "$RUNS" ]; do
    rm -rf "$work/store"
    /usr/bin/time -f '%e %U' -o "$work/time" "$BIN" --store "$work/store" --batch tune \
        "$F/lending_club_train.csv" --test "$F/lending_club_test.csv" --target Class \
        --positive bad --trials 50 --cv 5 --jobs 2 --json "$@" >"$work/out.json"
    read -r wall user <"$work/time"
    /usr/bin/python3 - "$work/out.json" "$wall" "$user" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
wall = float(sys.argv[2])
ok = d["test_auc"] >= 0.730 and wall <= 20
print("tune 50 trials x 5 folds: test AUC %.4f, best CV AUC %.4f (trial #%d), %d pruned, "
      "%.1f s wall, %.1f s user -> %s" % (d["test_auc"], d["best_cv_auc"], d["best_trial"],
      d["pruned"], wall, float(sys.argv[3]), "within the bar" if ok else "OUTSIDE the bar"))
PY
    echo "$wall" >>"$work/walls"
    i=$((i + 1))
done
sort -n "$work/walls" | awk '{ w[NR] = $1 } END {
    m = (NR % 2) ? w[(NR + 1) / 2] : (w[NR / 2] + w[NR / 2 + 1]) / 2
    printf "median %.1f s wall over %d runs\n", m, NR }'
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
