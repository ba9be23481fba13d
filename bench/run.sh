#!/bin/sh
# Runs every benchmark script in bench/ (each prints its own figures). Needs ../shared/bench
# for the scaled data generator and the peer scripts.
set -eu
cd "$(dirname "$0")/.."
for b in bench/*.sh; do
    [ "$b" = bench/run.sh ] && continue
    echo "== $b"
    sh "$b"
done
