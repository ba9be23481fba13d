#!/bin/sh
# Tracking store listing speed on 10,000 runs x 20 params x 10 metrics x 200 steps (MLflow
# layout, written once by bench/gen_store.py and kept in $BENCH_STORE):
#  - `lendlab --batch runs --sort -metrics.auc --limit 20` wall time, the first run in a fresh
#    process right after generation, then repeated runs (page cache warm);
#  - in-process ll_store_search_runs times (bench/bench_store.c, built here by hand).
# Targets: the command <= 0.5 s, the in-process list <= 0.2 s.
set -eu
cd "$(dirname "$0")/.."
N=${BENCH_RUNS:-10000}
STORE=${BENCH_STORE:-${TMPDIR:-/tmp}/lendlab-bench-store-$N}
CC=${CC:-cc}
make -s build/lendlab build/liblendlab.a >/dev/null

ms() { date +%s%N | cut -c1-13; }

if [ ! -f "$STORE/.generated" ]; then
    echo "generating $N runs in $STORE (once; about 30 s and 2 GB of small files)..."
    rm -rf "$STORE"
    t0=$(ms)
    python3 bench/gen_store.py "$STORE" "$N"
    touch "$STORE/.generated"
    echo "  generated in $(( $(ms) - t0 )) ms"
    first="first run after generation"
else
    first="first run in this script (store generated earlier)"
fi

bin=$(mktemp)
trap 'rm -f "$bin"' EXIT
$CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -iquote core \
    -o "$bin" bench/bench_store.c build/liblendlab.a -lyaml -lcjson -lm -lpthread

echo "lendlab --batch runs --sort -metrics.auc --limit 20 on $N runs:"
t0=$(ms)
./build/lendlab --store "$STORE" --batch runs --sort -metrics.auc --limit 20 >/dev/null
echo "  $first: $(( $(ms) - t0 )) ms"
for i in 1 2 3 4 5; do
    t0=$(ms)
    ./build/lendlab --store "$STORE" --batch runs --sort -metrics.auc --limit 20 >/dev/null
    echo "  repeated run $i: $(( $(ms) - t0 )) ms"
done
t0=$(ms)
./build/lendlab --store "$STORE" --batch runs \
    --filter "params.model = 'gbdt' and metrics.logloss < 0.2" --sort -metrics.auc --limit 20 \
    >/dev/null
echo "  with --filter \"params.model = 'gbdt' and metrics.logloss < 0.2\": $(( $(ms) - t0 )) ms"
"$bin" "$STORE" 5
echo "machine load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
