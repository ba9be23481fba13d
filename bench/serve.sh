#!/bin/sh
# The scoring server under wrk on loopback (server: 2 worker threads, a default gbdt of 100
# trees): single-row JSON requests (target >= 20,000 requests/s with p99 <= 5 ms on the 2-core
# reference machine) and 1,000-row requests (rows/s). wrk and the server share the machine's
# cores, so figures are lower bounds of what the server does on its own.
# Usage: sh bench/serve.sh [SECONDS] [CONNECTIONS]   (default 10 s per run, 16 connections)
set -eu
cd "$(dirname "$0")/.."
SECS=${1:-10}
CONN=${2:-16}
BIN=build/lendlab

command -v wrk >/dev/null || { echo "bench/serve.sh: needs wrk (Debian package wrk)" >&2; exit 1; }
[ -x "$BIN" ] || make --no-print-directory "$BIN"
T=$(mktemp -d)
SPID=""
trap '[ -n "$SPID" ] && kill "$SPID" 2>/dev/null; rm -rf "$T"' EXIT INT TERM

"$BIN" --batch train tests/fixtures/lending_club_train.csv --target Class --positive bad \
    --model gbdt --output "$T/model" >/dev/null
/usr/bin/python3 - data/sample_input.json data/batch_input.csv "$T" <<'PY'
import csv, json, sys
d = json.load(open(sys.argv[1]))["dataframe_split"]
json.dump({"dataframe_split": {"columns": d["columns"], "data": d["data"][:1]}},
          open(sys.argv[3] + "/one.json", "w"))
rows = list(csv.reader(open(sys.argv[2])))
cols, data = rows[0], rows[1:1001]
types = {c: (str if isinstance(v, str) else float) for c, v in zip(d["columns"], d["data"][0])}
data = [[types[c](v) for c, v in zip(cols, r)] for r in data]
json.dump({"dataframe_split": {"columns": cols, "data": data}}, open(sys.argv[3] + "/k.json", "w"))
PY
cat >"$T/post.lua" <<'EOF'
local f = assert(io.open(os.getenv("BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
EOF

"$BIN" --batch serve --model "$T/model" --port 0 --port-file "$T/port" --threads 2 2>"$T/serve.err" &
SPID=$!
i=0
while [ ! -s "$T/port" ]; do
    i=$((i + 1))
    [ $i -le 200 ] || { cat "$T/serve.err" >&2; exit 1; }
    sleep 0.05
done
URL="http://127.0.0.1:$(cat "$T/port")/invocations"
# a short warm-up so the first run does not pay for page faults
BODY_FILE="$T/one.json" wrk -t1 -c2 -d1s -s "$T/post.lua" "$URL" >/dev/null

# ms of a wrk latency figure ("812.00us", "1.43ms", "2.10s")
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /[^m]s$/) n *= 1000; printf "%.2f", n }'; }

BODY_FILE="$T/one.json" wrk -t2 -c"$CONN" -d"${SECS}s" --latency -s "$T/post.lua" "$URL" >"$T/one.txt"
rps=$(awk '/^Requests\/sec/ { print $2 }' "$T/one.txt")
p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$T/one.txt")")
p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$T/one.txt")")
errs=$(awk '/Non-2xx|Socket errors/' "$T/one.txt")
echo "serve, 1-row JSON, $CONN connections, ${SECS} s: $rps requests/s, p50 $p50 ms, p99 $p99 ms" \
    "(target >= 20000 requests/s, p99 <= 5 ms)${errs:+; $errs}"

BODY_FILE="$T/k.json" wrk -t2 -c4 -d"${SECS}s" --latency -s "$T/post.lua" "$URL" >"$T/k.txt"
krps=$(awk '/^Requests\/sec/ { print $2 }' "$T/k.txt")
kp99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$T/k.txt")")
errs=$(awk '/Non-2xx|Socket errors/' "$T/k.txt")
echo "serve, 1000-row JSON, 4 connections, ${SECS} s: $krps requests/s =" \
    "$(awk -v r="$krps" 'BEGIN { printf "%.0f", r * 1000 }') rows/s, p99 $kp99 ms${errs:+; $errs}"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)"
