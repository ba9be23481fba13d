#!/bin/sh
# Tracking store listing speed on 10,000 runs x 20 params x 10 metrics x 200 steps (MLflow
# layout, written once by bench/gen_store.py and kept in $BENCH_STORE):
#  - `lendlab --batch runs --sort -metrics.auc --limit 20` wall time: the first listing (reads
#    every run's files and writes the run index), then with the page cache dropped (as root:
#    sync; echo 3 > /proc/sys/vm/drop_caches), from the run index and with --rescan (every
#    run's files), then repeated runs with the page cache warm;
#  - in-process ll_store_search_runs times (bench/bench_store.c, built here by hand).
# Targets: the command <= 0.5 s cold, the in-process list <= 0.2 s warm.
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

LIST="./build/lendlab --store $STORE --batch runs --sort -metrics.auc --limit 20"
drop_caches() {
    sync
    echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
}
echo "lendlab --batch runs --sort -metrics.auc --limit 20 on $N runs:"
rm -f "$STORE"/*/.lendlab-runs
cold=""
drop_caches && cold=", page cache dropped"
t0=$(ms)
$LIST >/dev/null
echo "  $first, no run index yet (reads every run, writes the index)$cold: $(( $(ms) - t0 )) ms"
if drop_caches; then
    for i in 1 2 3; do
        drop_caches
        t0=$(ms)
        $LIST >/dev/null
        echo "  page cache dropped, run index: $(( $(ms) - t0 )) ms"
    done
    drop_caches
    t0=$(ms)
    $LIST --rescan >/dev/null
    echo "  page cache dropped, --rescan (every run's files): $(( $(ms) - t0 )) ms"
else
    echo "  (cold-cache runs skipped: dropping the page cache needs root)"
fi
for i in 1 2 3 4 5; do
    t0=$(ms)
    $LIST >/dev/null
    echo "  page cache warm, run $i: $(( $(ms) - t0 )) ms"
done
t0=$(ms)
$LIST --rescan >/dev/null
echo "  page cache warm, --rescan: $(( $(ms) - t0 )) ms"
t0=$(ms)
./build/lendlab --store "$STORE" --batch runs \
    --filter "params.model = 'gbdt' and metrics.logloss < 0.2" --sort -metrics.auc --limit 20 \
    >/dev/null
echo "  with --filter \"params.model = 'gbdt' and metrics.logloss < 0.2\" (first time): $(( $(ms) - t0 )) ms"
t0=$(ms)
./build/lendlab --store "$STORE" --batch runs \
    --filter "params.model = 'gbdt' and metrics.logloss < 0.2" --sort -metrics.auc --limit 20 \
    >/dev/null
echo "  the same again: $(( $(ms) - t0 )) ms"
"$bin" "$STORE" 5
echo "machine load: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
