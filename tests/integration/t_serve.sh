#!/bin/sh
# serve and invoke over loopback: every endpoint and error, served probabilities equal to
# predict's, hot reload through the registry under load, SIGTERM with a request in flight.
. "$(dirname "$0")/lib.sh"
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"' EXIT INT TERM

# start_server NAME ARGS...: start `serve --port 0` in the background, set PORT and SPID
start_server() {
    name=$1; shift
    rm -f "$TMP/$name.port"
    "$LENDLAB" --batch serve --port 0 --port-file "$TMP/$name.port" "$@" \
        2>"$TMP/$name.err" >"$TMP/$name.out" &
    SPID=$!
    PIDS="$PIDS $SPID"
    i=0
    while [ ! -s "$TMP/$name.port" ]; do
        i=$((i + 1))
        [ $i -le 200 ] || { cat "$TMP/$name.err" >&2; die "$name did not start"; }
        kill -0 "$SPID" 2>/dev/null || { cat "$TMP/$name.err" >&2; die "$name exited"; }
        sleep 0.05
    done
    PORT=$(cat "$TMP/$name.port")
}

# req METHOD PATH [CONTENT-TYPE BODY-FILE]: body in $TMP/body, status in $TMP/code
req() {
    if [ $# -ge 4 ]; then
        curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" -H "Content-Type: $3" \
            --data-binary "@$4" "http://127.0.0.1:$PORT$2" >"$TMP/code"
    else
        curl -s -o "$TMP/body" -w '%{http_code}' -X "$1" "http://127.0.0.1:$PORT$2" >"$TMP/code"
    fi
}
same_json() { python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1])) != json.load(open(sys.argv[2])))' "$1" "$2"; }
status() { [ "$(cat "$TMP/code")" = "$1" ] || { cat "$TMP/body" >&2; die "HTTP $(cat "$TMP/code"), wanted $1 ($2)"; }; }

expect_rc 0 "$LENDLAB" --batch train "$ROOT/tests/fixtures/lending_club_train.csv" --target Class \
    --positive bad --model gbdt --output "$TMP/m1"
expect_rc 0 "$LENDLAB" --batch train "$ROOT/tests/fixtures/lending_club_train.csv" --target Class \
    --positive bad --model logreg --output "$TMP/m2"

start_server a --model "$TMP/m1"
A_PID=$SPID
contains "$TMP/a.err" "listening on http://127.0.0.1:$PORT"

# ---- information endpoints
req GET /ping; status 200 ping
req GET /health; status 200 health
req GET /version; status 200 version
contains "$TMP/body" "$("$LENDLAB" --version | sed 's/^lendlab //')"
req GET /model; status 200 model
json_eq "$TMP/body" "d['kind']" gbdt
json_eq "$TMP/body" "len(d['input_schema'])" 22
json_eq "$TMP/body" "d['input_schema'][1]['categories']" "['term_36', 'term_60']"
json_eq "$TMP/body" "d['positive_label']" bad
json_eq "$TMP/body" "d['version']" None

# ---- scoring: every shape gives the same answer
req POST /invocations application/json "$ROOT/data/sample_input.json"; status 200 split
json_eq "$TMP/body" "len(d['predictions'])" 3
python3 - "$ROOT/data/sample_input.json" "$TMP" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))["dataframe_split"]
rows = [dict(zip(d["columns"], r)) for r in d["data"]]
p = {"output": "probability"}
json.dump({"dataframe_split": d, "params": p}, open(sys.argv[2] + "/s.json", "w"))
json.dump({"dataframe_records": rows, "params": p}, open(sys.argv[2] + "/r.json", "w"))
json.dump({"instances": rows, "params": p}, open(sys.argv[2] + "/i.json", "w"))
json.dump({"inputs": {c: [r[i] for r in d["data"]] for i, c in enumerate(d["columns"])},
           "params": p}, open(sys.argv[2] + "/c.json", "w"))
with open(sys.argv[2] + "/s.csv", "w") as f:
    f.write(",".join(d["columns"]) + "\n")
    for r in d["data"]:
        f.write(",".join(str(v) for v in r) + "\n")
PY
req POST /invocations application/json "$TMP/s.json"; status 200 split-probability
cp "$TMP/body" "$TMP/want.json"
for f in r i c; do
    req POST /invocations application/json "$TMP/$f.json"; status 200 "$f"
    cmp -s "$TMP/body" "$TMP/want.json" || { cat "$TMP/body" "$TMP/want.json" >&2; die "$f differs"; }
done
req POST '/invocations?output=probability' text/csv "$TMP/s.csv"; status 200 csv
cmp -s "$TMP/body" "$TMP/want.json" || die "csv differs"

# ---- served probabilities are predict's, exactly (1,971 rows)
expect_rc 0 "$LENDLAB" --batch predict --model "$TMP/m1" --input "$ROOT/data/batch_input.csv" \
    --output "$TMP/pred.csv"
req POST '/invocations?output=probability' text/csv "$ROOT/data/batch_input.csv"; status 200 batch
python3 - "$TMP/pred.csv" "$TMP/body" <<'PY' || die "served probabilities differ from predict"
import csv, json, sys
want = [float(r["probability"]) for r in csv.DictReader(open(sys.argv[1]))]
got = json.load(open(sys.argv[2]))["predictions"]
assert len(want) == len(got) == 1971, (len(want), len(got))
bad = [i for i, (a, b) in enumerate(zip(want, got)) if a != b]
assert not bad, "rows %s differ: %r vs %r" % (bad[:5], want[bad[0]], got[bad[0]])
PY
# labels by default, and full objects with reasons
req POST /invocations application/json "$ROOT/data/sample_input.json"
json_eq "$TMP/body" "all(p in (0, 1) for p in d['predictions'])" True
python3 - "$ROOT/data/sample_input.json" "$TMP/f.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["params"] = {"output": "full", "reasons": 2}
json.dump(d, open(sys.argv[2], "w"))
PY
req POST /invocations application/json "$TMP/f.json"; status 200 full
json_eq "$TMP/body" "sorted(d['predictions'][0])" "['class', 'label', 'probability', 'reasons', 'score']"
json_eq "$TMP/body" "all(len(p['reasons']) <= 2 for p in d['predictions'])" True
json_eq "$TMP/body" "all(r['contribution'] > 0 for p in d['predictions'] for r in p['reasons'])" True

# ---- errors, as MLflow's scoring server answers them
printf '{"dataframe_split": {' >"$TMP/bad.json"
req POST /invocations application/json "$TMP/bad.json"; status 400 malformed
json_eq "$TMP/body" "d['error_code']" BAD_REQUEST
printf '{"dataframe_split": {"columns": ["funded_amnt"], "data": [[1]]}}' >"$TMP/bad.json"
req POST /invocations application/json "$TMP/bad.json"; status 400 missing
json_eq "$TMP/body" "d['error_code']" INVALID_PARAMETER_VALUE
contains "$TMP/body" "Model is missing inputs ['term', 'int_rate'"
sed 's/7\.39/"seven"/' "$ROOT/data/sample_input.json" >"$TMP/bad.json"
req POST /invocations application/json "$TMP/bad.json"; status 400 type
contains "$TMP/body" "column 'int_rate' (row 1)"
printf '{"inputs": [], "instances": []}' >"$TMP/bad.json"
req POST /invocations application/json "$TMP/bad.json"; status 400 two-formats
contains "$TMP/body" "exactly one of the input fields"
req POST /invocations text/plain "$TMP/bad.json"; status 415 content-type
contains "$TMP/body" "Got 'text/plain'"
req GET /invocations; status 405 method
req DELETE /ping; status 405 method
req GET /nowhere; status 404 path
json_eq "$TMP/body" "d['error_code']" ENDPOINT_NOT_FOUND

# ---- the body limit
start_server small --model "$TMP/m1" --max-body 2048
head -c 5000 /dev/zero | tr '\0' ' ' >"$TMP/big.json"
req POST /invocations application/json "$TMP/big.json"; status 413 too-big
contains "$TMP/body" "2048 bytes"
kill "$SPID"; wait "$SPID" || die "small server exited $?"
PORT=$(cat "$TMP/a.port")

# ---- metrics
req GET /metrics; status 200 metrics
contains "$TMP/body" 'lendlab_http_requests_total{endpoint="/invocations",code="200"}'
contains "$TMP/body" 'lendlab_http_request_errors_total{endpoint="/invocations",code="415"} 1'
contains "$TMP/body" 'lendlab_http_request_duration_seconds_bucket{endpoint="/invocations",le="+Inf"}'
contains "$TMP/body" 'lendlab_rows_scored_total 1995'
contains "$TMP/body" 'lendlab_model_loaded 1'

# ---- invoke
expect_rc 0 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$PORT" --input "$ROOT/data/sample_input.json"
[ "$(wc -l <"$TMP/out")" -eq 3 ] || die "invoke printed $(wc -l <"$TMP/out") lines"
expect_rc 0 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$PORT" --input "$TMP/s.csv" \
    --params '{"output": "probability"}' --json
same_json "$TMP/out" "$TMP/want.json" || { cat "$TMP/out"; die "invoke csv differs"; }
expect_rc 0 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$PORT/invocations" \
    --input "$ROOT/data/sample_input.json" --params '{"output": "full"}'
contains "$TMP/out" "reasons"
expect_rc 1 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$PORT" --input "$TMP/bad.json"
contains "$TMP/err" "HTTP 400 BAD_REQUEST: The input must be a JSON dictionary"
sed 's/7\.39/"seven"/' "$ROOT/data/sample_input.json" >"$TMP/bad.json"
expect_rc 1 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$PORT" --input "$TMP/bad.json"
contains "$TMP/err" "HTTP 400 INVALID_PARAMETER_VALUE: Incompatible input types for column 'int_rate'"
# refused: a port nobody listens on (bound and closed again)
FREE=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
expect_rc 1 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$FREE" --input "$ROOT/data/sample_input.json"
contains "$TMP/err" "cannot connect to"
# a server that accepts and never answers
python3 -c '
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(4)
print(s.getsockname()[1], flush=True)
c, _ = s.accept(); time.sleep(30)' >"$TMP/mute.port" &
MUTE=$!
PIDS="$PIDS $MUTE"
while [ ! -s "$TMP/mute.port" ]; do sleep 0.05; done
expect_rc 1 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$(cat "$TMP/mute.port")" \
    --input "$ROOT/data/sample_input.json" --timeout 1
contains "$TMP/err" "no answer within 1 s"
kill "$MUTE" 2>/dev/null || true
expect_rc 2 "$LENDLAB" --batch invoke --url "http://127.0.0.1:$PORT" --input x.json --params '[1]'

# ---- SIGTERM with a request in flight: it is answered, then the server exits 0
python3 - "$ROOT/data/sample_input.json" "$TMP/slow.json" <<'PY'
import sys
body = open(sys.argv[1]).read().rstrip()
open(sys.argv[2], "w").write(body[:-1] + " " * 6000 + "}")
PY
curl -s -o "$TMP/slow.out" -w '%{http_code}' --limit-rate 3K -H 'Content-Type: application/json' \
    --data-binary "@$TMP/slow.json" "http://127.0.0.1:$PORT/invocations" >"$TMP/slow.code" &
CURL=$!
sleep 0.7
kill -TERM "$A_PID"
wait "$CURL" || die "slow request failed"
[ "$(cat "$TMP/slow.code")" = 200 ] || die "in-flight request got $(cat "$TMP/slow.code")"
set +e; wait "$A_PID"; rc=$?; set -e
[ "$rc" -eq 0 ] || { cat "$TMP/a.err" >&2; die "server exited $rc after SIGTERM"; }
contains "$TMP/a.err" "shutting down (1 request in flight)"
contains "$TMP/a.err" "stopped"
curl -s "http://127.0.0.1:$PORT/ping" >/dev/null 2>&1 && die "server still answers"

# ---- hot reload through the registry, under load
STORE="$TMP/store"
mkdir -p "$STORE/0"
printf "artifact_location: file://%s/0\ncreation_time: 1714471200000\nexperiment_id: '0'\nlast_update_time: 1714471200000\nlifecycle_stage: active\nname: Default\n" \
    "$STORE" >"$STORE/0/meta.yaml"
# mk_run ID MODEL_DIR: a finished run of the Default experiment holding MODEL_DIR as its model
mk_run() {
    d="$STORE/0/$1"
    mkdir -p "$d/artifacts/model" "$d/params" "$d/metrics" "$d/tags"
    cp -R "$2/." "$d/artifacts/model/"
    printf "artifact_uri: file://%s/artifacts\nend_time: 1714561257000\nentry_point_name: ''\nexperiment_id: '0'\nlifecycle_stage: active\nrun_id: %s\nrun_name: %s\nrun_uuid: %s\nsource_name: ''\nsource_type: 4\nsource_version: ''\nstart_time: 1714561200000\nstatus: 3\ntags: []\nuser_id: test\n" \
        "$d" "$1" "$1" "$1" >"$d/meta.yaml"
}
R1=11111111111111111111111111111111
R2=22222222222222222222222222222222
mk_run $R1 "$TMP/m1"
mk_run $R2 "$TMP/m2"
expect_rc 0 "$LENDLAB" --store "$STORE" --batch register $R1 --name credit --alias production
expect_rc 0 "$LENDLAB" --store "$STORE" --batch register $R2 --name credit
export LENDLAB_STORE="$STORE"
start_server b --model 'models:/credit@production' --reload-interval 0.2
B_PID=$SPID
req GET /model
json_eq "$TMP/body" "(d['version'], d['alias'], d['kind'], d['run_id'])" "(1, 'production', 'gbdt', '$R1')"
# a client loop records every status while the alias moves
(
    while [ ! -e "$TMP/stop" ]; do
        curl -s -o /dev/null -w '%{http_code}\n' -H 'Content-Type: application/json' \
            --data-binary "@$ROOT/data/sample_input.json" "http://127.0.0.1:$PORT/invocations"
    done
) >"$TMP/codes" &
LOOP=$!
PIDS="$PIDS $LOOP"
sleep 0.5
expect_rc 0 "$LENDLAB" --store "$STORE" --batch promote credit --version 2 --to production \
    --force --comment "switch to the linear model"
i=0
while :; do
    req GET /model
    python3 -c 'import json,sys; sys.exit(json.load(open(sys.argv[1]))["version"] != 2)' "$TMP/body" && break
    i=$((i + 1))
    [ $i -le 100 ] || die "/model still shows version 1"
    sleep 0.1
done
json_eq "$TMP/body" "(d['version'], d['kind'], d['run_id'])" "(2, 'logreg', '$R2')"
sleep 0.5
touch "$TMP/stop"
wait "$LOOP"
n=$(wc -l <"$TMP/codes")
[ "$n" -gt 5 ] || die "only $n requests during the reload"
grep -qv '^200$' "$TMP/codes" && die "a request failed during the reload: $(sort "$TMP/codes" | uniq -c)"
contains "$TMP/b.err" "reloaded models:/credit@production: version 1 -> 2"
req GET /metrics
contains "$TMP/body" 'lendlab_model_version{name="credit",alias="production"} 2'
contains "$TMP/body" 'lendlab_model_reloads_total 1'
kill -INT "$B_PID"
set +e; wait "$B_PID"; rc=$?; set -e
[ "$rc" -eq 0 ] || die "server exited $rc after SIGINT"

# ---- usage errors
expect_rc 2 "$LENDLAB" --batch serve
expect_rc 2 "$LENDLAB" --batch serve --model "$TMP/m1" --port 70000
expect_rc 2 "$LENDLAB" --batch serve --model 'models:/credit'
expect_rc 1 "$LENDLAB" --batch serve --model "$TMP/nothing" --port 0
contains "$TMP/err" "no model at"
expect_rc 1 "$LENDLAB" --batch serve --model 'models:/credit@nope' --port 0
contains "$TMP/err" "no alias 'nope'"
echo "serve: ok"
