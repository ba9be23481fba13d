#!/bin/sh
# Runs every tests/integration/t_*.sh against the built binary ($LENDLAB) and prints a summary.
# Each script exits 0 on success; its output is shown only when it fails.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${LENDLAB:?set LENDLAB to the lendlab binary}"
export LENDLAB
export LENDLAB_ROOT="$(cd "$here/../.." && pwd)"
pass=0
fail=0
for t in "$here"/t_*.sh; do
    [ -e "$t" ] || continue
    name=$(basename "$t" .sh)
    log=$(mktemp)
    start=$(date +%s)
    if sh "$t" >"$log" 2>&1; then
        pass=$((pass + 1))
        echo "ok   $name ($(($(date +%s) - start))s)"
    else
        fail=$((fail + 1))
        echo "FAIL $name"
        sed 's/^/    /' "$log"
    fi
    rm -f "$log"
done
echo "integration: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
