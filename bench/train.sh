#!/bin/sh
# Model quality and speed against the peers (scikit-learn, XGBoost as Debian ships them).
#  1. quality on the fixed LendingClub split (train -> test, positive "bad"): the three
#     learners with the settings the peers use, and ../shared/bench/peers.py for the peers;
#  2. speed on 1,000,000 rows (make_data.py scale), 2 threads, 200 trees, depth 6, eta 0.1:
#     gbdt and logreg fit time, test AUC and peak RSS of the whole train command, gbdt
#     scoring throughput of `predict` (CSV -> CSV), and XGBoost / scikit-learn on the same file.
# Usage: sh bench/train.sh [quality|speed|all]   (PEERS=0 skips the Python peers)
set -eu
cd "$(dirname "$0")/.."
WHAT=${1:-all}
BIN=build/lendlab
SH=${SHARED:-../shared}
TRAIN=$SH/data/lending_club_train.csv
TEST=$SH/data/lending_club_test.csv
BIG=/tmp/lc_1m.csv
PEERS=${PEERS:-1}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT INT TERM
[ -x "$BIN" ] || make --no-print-directory "$BIN"

auc_of() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print("%.4f %.2f" % (d["metrics"]["auc"], d["fit_seconds"]))' "$1"; }

if [ "$WHAT" = quality ] || [ "$WHAT" = all ]; then
    echo "== quality: $TRAIN -> $TEST"
    $BIN --batch train "$TRAIN" --test "$TEST" --target Class --positive bad --no-track --json \
        --model gbdt --set n_estimators=300 --set eta=0.05 --set max_depth=2 >"$OUT/g.json"
    echo "lendlab gbdt (300 trees, eta 0.05, depth 2): auc fit_s = $(auc_of "$OUT/g.json")"
    $BIN --batch train "$TRAIN" --test "$TEST" --target Class --positive bad --no-track --json \
        --model logreg >"$OUT/l.json"
    echo "lendlab logreg (C=1):                        auc fit_s = $(auc_of "$OUT/l.json")"
    $BIN --batch train "$TRAIN" --test "$TEST" --target Class --positive bad --no-track --json \
        --model forest --set n_trees=200 --set min_samples_leaf=5 >"$OUT/f.json"
    echo "lendlab forest (200 trees, leaf 5):          auc fit_s = $(auc_of "$OUT/f.json")"
    if [ "$PEERS" = 1 ]; then
        /usr/bin/python3 $SH/bench/peers.py "$TRAIN" "$TEST" --models logreg,random_forest \
            --trees 200
        /usr/bin/python3 $SH/bench/peers.py "$TRAIN" "$TEST" --models xgboost --trees 300 \
            --eta 0.05 --depth 2
    fi
fi

if [ "$WHAT" = speed ] || [ "$WHAT" = all ]; then
    if [ ! -s "$BIG" ]; then
        /usr/bin/python3 $SH/bench/make_data.py scale "$TRAIN" 1000000 "$BIG.tmp.$$"
        mv "$BIG.tmp.$$" "$BIG"
    fi
    echo "== speed: $BIG (1,000,000 rows), 2 threads"
    /usr/bin/time -f '%e %M' -o "$OUT/t" $BIN --batch train "$BIG" --test "$TEST" --target Class \
        --positive bad --no-track --json --model gbdt --set n_estimators=200 --set max_depth=6 \
        --set eta=0.1 --set threads=2 --output "$OUT/model" >"$OUT/g.json"
    echo "lendlab gbdt fit: auc fit_s = $(auc_of "$OUT/g.json"); whole command wall_s peak_kB = $(cat "$OUT/t")"
    /usr/bin/time -f '%e %M' -o "$OUT/t" $BIN --batch train "$BIG" --test "$TEST" --target Class \
        --positive bad --no-track --json --model logreg >"$OUT/l.json"
    echo "lendlab logreg fit: auc fit_s = $(auc_of "$OUT/l.json"); whole command wall_s peak_kB = $(cat "$OUT/t")"
    /usr/bin/time -f '%e %M' -o "$OUT/t" $BIN --batch predict --model "$OUT/model" --input "$BIG" \
        --output "$OUT/pred.csv"
    set -- $(cat "$OUT/t")
    echo "lendlab predict 1M rows CSV->CSV: wall_s=$1 peak_kB=$2 rows_per_s=$(awk -v w="$1" 'BEGIN{printf "%.0f", 1000000/w}')"
    if [ "$PEERS" = 1 ]; then
        /usr/bin/time -f 'peer wall_s peak_kB: %e %M' /usr/bin/python3 $SH/bench/peers.py "$BIG" "$TEST" \
            --models xgboost,logreg --trees 200 --depth 6 --eta 0.1 --threads 2
    fi
fi
