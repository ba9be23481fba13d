#!/bin/sh
# batch predict: models:/ and runs:/ URIs, score and reason columns equal to the server's
# output=full, contributions adding up to the probability, --timestamp names, the --marker JSON,
# pipes, quoting, errors, an output that never appears half-written, and devices and FIFOs as
# outputs (written into, never replaced).
. "$(dirname "$0")/lib.sh"
F=$ROOT/tests/fixtures
IN=$ROOT/data/batch_input.csv
PY=/usr/bin/python3
STORE="$TMP/mlruns"
LENDLAB_STORE="$STORE"
export LENDLAB_STORE
SPID=""
trap '[ -z "$SPID" ] || kill "$SPID" 2>/dev/null || true; rm -rf "$TMP"' EXIT INT TERM
predict() { "$LENDLAB" --batch predict "$@"; }

# --- a tracked, registered gbdt and the URIs that reach it ----------------------------------------
expect_rc 0 "$LENDLAB" --batch train "$F/lending_club_train.csv" --test "$F/lending_club_test.csv" \
    --target Class --positive bad --set n_estimators=60 --set max_depth=3 --json \
    --register credit --alias champion
RUN=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$TMP/out")
[ -n "$RUN" ] || die "train printed no run_id"
ART="$STORE/0/$RUN/artifacts/model"
[ -s "$ART/model.json" ] || die "no model artifact at $ART"
expect_rc 0 predict --model "$ART" --input "$IN" --output "$TMP/by_dir.csv"
for uri in 'models:/credit@champion' 'models:/credit/1' 'models:/credit/latest' "runs:/$RUN/model"; do
    expect_rc 0 predict --model "$uri" --input "$IN" --output "$TMP/by_uri.csv"
    cmp -s "$TMP/by_uri.csv" "$TMP/by_dir.csv" || die "$uri scores differently from the directory"
done
[ "$(wc -l <"$TMP/by_dir.csv")" -eq 1972 ] || die "scored file has not 1971 rows"
head -1 "$TMP/by_dir.csv" | grep -q ',total_il_high_credit_limit,probability,label$' ||
    die "header does not end with probability,label"

# --- standard input and output ---------------------------------------------------------------------
predict --model 'models:/credit@champion' --input - --output - <"$IN" >"$TMP/pipe.csv" ||
    die "predict through pipes failed"
cmp -s "$TMP/pipe.csv" "$TMP/by_dir.csv" || die "stdin/stdout scoring differs"

# --- score, reasons and all contributions ------------------------------------------------------------
expect_rc 0 predict --model "$ART" --input "$IN" --output "$TMP/reasons.csv" --reasons 3
expect_rc 0 predict --model "$ART" --input "$IN" --output "$TMP/contrib.csv" --contributions --score
$PY - "$ART/model.json" "$TMP/by_dir.csv" "$TMP/reasons.csv" "$TMP/contrib.csv" <<'PY' || die "score, reasons or contributions are wrong"
import csv, json, math, sys
feats = [f["name"] for f in json.load(open(sys.argv[1]))["prep"]["features"]]
plain = list(csv.DictReader(open(sys.argv[2])))
hdr = next(csv.reader(open(sys.argv[3])))
want = ["probability", "label", "score", "reason_1", "reason_2", "reason_3",
        "reason_1_contribution", "reason_2_contribution", "reason_3_contribution"]
assert hdr[-9:] == want, hdr[-9:]
rs = list(csv.DictReader(open(sys.argv[3])))
cs = list(csv.DictReader(open(sys.argv[4])))
assert len(rs) == len(cs) == len(plain) == 1971
# points: 600 at 50:1 good:bad, 20 more to double the odds
factor = 20 / math.log(2)
offset = 600 - factor * math.log(50)
named = 0
for p, r, c in zip(plain, rs, cs):
    prob = float(r["probability"])
    assert r["probability"] == p["probability"] == c["probability"], (r, p)
    assert r["label"] == ("bad" if prob >= 0.5 else "good")
    q = min(max(prob, 1e-6), 1 - 1e-6)
    score = offset - factor * math.log(q / (1 - q))
    assert abs(float(r["score"]) - score) < 1e-9, (r["score"], score)
    assert r["score"] == c["score"]
    # every contribution, and the bias: they add up to the margin
    contrib = {f: float(c["contribution_" + f]) for f in feats}
    margin = sum(contrib.values()) + float(c["contribution_bias"])
    assert abs(1 / (1 + math.exp(-margin)) - prob) < 1e-6, (margin, prob)
    # the reasons are the largest positive contributions, largest first, same text
    top = sorted((f for f in feats if contrib[f] > 0), key=lambda f: -contrib[f])[:3]
    got = [r["reason_%d" % k] for k in (1, 2, 3)]
    assert got == top + [""] * (3 - len(top)), (got, top)
    for k, f in enumerate(top, 1):
        assert f in feats
        assert r["reason_%d_contribution" % k] == c["contribution_" + f]
        named += 1
assert named > 3000, named
PY
# forest contributions are probabilities: bias + contributions = probability
expect_rc 0 "$LENDLAB" --batch train "$F/lending_club_train.csv" --target Class --positive bad \
    --model forest --set n_trees=20 --set min_samples_leaf=20 --no-track --output "$TMP/forest"
expect_rc 0 predict --model "$TMP/forest" --input "$IN" --output "$TMP/forest.csv" --contributions \
    --reasons 2
$PY - "$TMP/forest.csv" <<'PY' || die "forest contributions do not add up to the probability"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
cols = [c for c in rows[0] if c.startswith("contribution_")]
assert len(cols) == 23, cols
for r in rows:
    s = sum(float(r[c]) for c in cols)
    assert abs(s - float(r["probability"])) < 1e-9, (s, r["probability"])
    assert r["reason_1"] == "" or float(r["reason_1_contribution"]) > 0
PY
# score scaling options and their checks
expect_rc 0 predict --model "$ART" --input "$IN" --score --base-points 500 --base-odds 20 --pdo 40
$PY - "$TMP/out" <<'PY' || die "--base-points/--base-odds/--pdo not applied"
import csv, math, sys
factor = 40 / math.log(2)
for r in csv.DictReader(open(sys.argv[1])):
    q = min(max(float(r["probability"]), 1e-6), 1 - 1e-6)
    want = 500 - factor * math.log(20) - factor * math.log(q / (1 - q))
    assert abs(float(r["score"]) - want) < 1e-9, (r["score"], want)
PY

# --- served numbers are predict's, byte for byte ----------------------------------------------------
rm -f "$TMP/port"
"$LENDLAB" --batch serve --model 'models:/credit@champion' --port 0 --port-file "$TMP/port" \
    2>"$TMP/serve.err" >/dev/null &
SPID=$!
i=0
while [ ! -s "$TMP/port" ]; do
    i=$((i + 1))
    [ $i -le 200 ] || { cat "$TMP/serve.err" >&2; die "server did not start"; }
    sleep 0.05
done
curl -s -H 'Content-Type: text/csv' --data-binary "@$IN" \
    "http://127.0.0.1:$(cat "$TMP/port")/invocations?output=full&reasons=3" >"$TMP/full.json" ||
    die "output=full request failed"
kill "$SPID"
wait "$SPID" || true
SPID=""
$PY - "$TMP/full.json" "$TMP/reasons.csv" <<'PY' || die "served output=full differs from predict --reasons 3"
import csv, json, sys
text = lambda s: s  # keep every number as the text the server wrote
served = json.loads(open(sys.argv[1]).read(), parse_float=text, parse_int=text)["predictions"]
rows = list(csv.DictReader(open(sys.argv[2])))
assert len(served) == len(rows) == 1971, (len(served), len(rows))
for s, r in zip(served, rows):
    assert s["probability"] == r["probability"], (s["probability"], r["probability"])
    assert s["score"] == r["score"], (s["score"], r["score"])
    assert s["class"] == r["label"]
    got = [(x["feature"], x["contribution"]) for x in s["reasons"]]
    want = [(r["reason_%d" % k], r["reason_%d_contribution" % k]) for k in (1, 2, 3)
            if r["reason_%d" % k]]
    assert got == want, (got, want)
PY

# --- --timestamp and --marker ----------------------------------------------------------------------
mkdir "$TMP/batch"
before=$(date -u +%s)
expect_rc 0 predict --model 'models:/credit@champion' --input "$IN" --output "$TMP/batch/scored.csv" \
    --timestamp --marker "$TMP/latest.json" --threshold 0.2
after=$(date -u +%s)
ls "$TMP/batch" >"$TMP/names"
[ "$(wc -l <"$TMP/names")" -eq 1 ] || { cat "$TMP/names" >&2; die "not exactly one file written"; }
NAME=$(cat "$TMP/names")
$PY - "$TMP/latest.json" "$TMP/batch" "$NAME" "$before" "$after" "$RUN" "$IN" <<'PY' || die "marker or name wrong"
import calendar, json, os, re, sys, time
marker, bdir, name, before, after, run, inp = sys.argv[1:8]
m = re.fullmatch(r"scored_(\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d)\.csv", name)
assert m, name
t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%d_%H-%M-%S"))
assert int(before) <= t <= int(after), (t, before, after)
d = json.load(open(marker))
assert sorted(d) == ["created_at", "input", "model", "path", "rows", "threshold"], sorted(d)
assert d["path"] == os.path.realpath(os.path.join(bdir, name)), d["path"]
assert os.path.isabs(d["path"])
assert d["created_at"] == time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t)), d["created_at"]
assert d["model"] == {"uri": "models:/credit@champion", "name": "credit", "version": 1,
                      "alias": "champion", "run_id": run}, d["model"]
assert d["rows"] == 1971 and d["threshold"] == 0.2
assert d["input"] == os.path.realpath(inp), d["input"]
lines = open(d["path"]).read().splitlines()
assert len(lines) == 1972 and lines[0].endswith(",probability,label")
PY
# a directory model: no registry fields, the run from its MLmodel
expect_rc 0 predict --model "$ART" --input - --output "$TMP/batch/second.csv" --marker "$TMP/latest.json" <"$IN"
json_eq "$TMP/latest.json" "(d['model']['name'], d['model']['version'], d['model']['alias'], d['input'])" \
    "(None, None, None, '-')"
json_eq "$TMP/latest.json" "d['model']['run_id']" "$RUN"
json_eq "$TMP/latest.json" "d['path'].endswith('/batch/second.csv')" True

# --- fields that need quoting pass through intact ---------------------------------------------------
$PY - "$IN" "$TMP/quoted.csv" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1])))
with open(sys.argv[2], "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["note"] + rows[0])
    notes = ["plain", "a, b", 'say "hi"', "two\nlines", ""]
    for i, r in enumerate(rows[1:]):
        w.writerow([notes[i % len(notes)]] + r)
PY
expect_rc 0 predict --model "$ART" --input "$TMP/quoted.csv" --output "$TMP/quoted_out.csv"
$PY - "$TMP/quoted.csv" "$TMP/quoted_out.csv" "$TMP/by_dir.csv" <<'PY' || die "quoted fields changed"
import csv, sys
src = list(csv.reader(open(sys.argv[1], newline="")))
out = list(csv.reader(open(sys.argv[2], newline="")))
ref = list(csv.reader(open(sys.argv[3], newline="")))
assert len(src) == len(out) == len(ref)
for s, o, r in zip(src, out, ref):
    assert o[:-2] == s, (o, s)
    assert o[-2:] == r[-2:], (o[-2:], r[-2:])
PY

# --- errors -------------------------------------------------------------------------------------------
cut -d, -f1-2,4- "$IN" >"$TMP/no_rate.csv"
expect_rc 1 predict --model "$ART" --input "$TMP/no_rate.csv" --output "$TMP/x.csv"
contains "$TMP/err" "feature column 'int_rate' is missing"
[ ! -e "$TMP/x.csv" ] || die "a failed predict left its output behind"
expect_rc 2 predict --model 'models:/credit' --input "$IN"
contains "$TMP/err" "bad model URI 'models:/credit'"
expect_rc 1 predict --model 'models:/credit@nope' --input "$IN"
contains "$TMP/err" "no alias 'nope'"
expect_rc 1 predict --model 'models:/nobody/1' --input "$IN"
contains "$TMP/err" "nobody"
expect_rc 1 predict --model 'runs:/0123456789abcdef/model' --input "$IN"
contains "$TMP/err" "0123456789abcdef"
expect_rc 2 predict --model "$ART" --input "$IN" --timestamp
contains "$TMP/err" "--timestamp needs --output FILE"
expect_rc 2 predict --model "$ART" --input "$IN" --reasons 0
expect_rc 2 predict --model "$ART" --input "$IN" --score --pdo 0
# a bad row at the very end, after several chunks were written: the old output stays whole
cp "$TMP/by_dir.csv" "$TMP/keep.csv"
{ cat "$IN"; sed -n 2p "$IN" | sed 's/^3500,/lots,/'; } >"$TMP/bad_tail.csv"
expect_rc 1 predict --model "$ART" --input "$TMP/bad_tail.csv" --output "$TMP/keep.csv" --chunk 100
contains "$TMP/err" "bad_tail.csv:1973:1: column 'funded_amnt' should be numeric but holds 'lots'"
cmp -s "$TMP/keep.csv" "$TMP/by_dir.csv" || die "the failed run changed the existing output"
for f in "$TMP"/keep.csv.*; do [ ! -e "$f" ] || die "a temporary file was left behind: $f"; done
expect_rc 1 predict --model "$ART" --input "$TMP/bad_tail.csv" --output "$TMP/batch/t.csv" --chunk 100 \
    --timestamp --marker "$TMP/m2.json"
[ "$(ls "$TMP/batch" | wc -l)" -eq 2 ] || die "a failed --timestamp run left a file: $(ls "$TMP/batch")"
[ ! -e "$TMP/m2.json" ] || die "a failed run wrote its marker"
# interrupted (the input still streaming in): status 130 and no output
( (cat "$IN"; sleep 3) | "$LENDLAB" --batch predict --model "$ART" --input - \
    --output "$TMP/int.csv" 2>"$TMP/int.err" &
  P=$!
  sleep 1
  kill -INT "$P"
  set +e
  wait "$P"
  echo $? >"$TMP/int.rc" )
[ "$(cat "$TMP/int.rc")" -eq 130 ] || { cat "$TMP/int.err" >&2; die "interrupted predict exited $(cat "$TMP/int.rc")"; }
[ ! -e "$TMP/int.csv" ] || die "an interrupted predict left its output"
for f in "$TMP"/int.csv.*; do [ ! -e "$f" ] || die "an interrupted predict left $f"; done

# --- devices and FIFOs are written into, never renamed over ---------------------------------------
# (run as root, a rename over /dev/null made it a regular file: put it back before failing)
chr() { $PY -c 'import os, stat, sys; sys.exit(not stat.S_ISCHR(os.stat(sys.argv[1]).st_mode))' "$1"; }
null_broken() {
    if [ "$(id -u)" = 0 ]; then rm -f /dev/null && mknod -m 666 /dev/null c 1 3; fi
    die "$1"
}
chr /dev/null || die "/dev/null is not a character device before the test"
expect_rc 0 predict --model "$ART" --input "$IN" --output /dev/null --marker "$TMP/null.json"
chr /dev/null || null_broken "predict --output /dev/null replaced /dev/null"
json_eq "$TMP/null.json" "(d['path'], d['rows'])" "('/dev/null', 1971)"
expect_rc 0 predict --model "$ART" --input "$IN" --output /dev/null --reasons 2
chr /dev/null || null_broken "predict --output /dev/null --reasons replaced /dev/null"
for f in /dev/null.tmp.*; do [ ! -e "$f" ] || { rm -f "$f"; die "predict left $f"; }; done
# a FIFO: its reader gets exactly what a file would hold
mkfifo "$TMP/fifo"
timeout 60 cat "$TMP/fifo" >"$TMP/from_fifo.csv" &
CATPID=$!
expect_rc 0 predict --model "$ART" --input "$IN" --output "$TMP/fifo"
wait "$CATPID" || die "nothing read the FIFO"
[ -p "$TMP/fifo" ] || die "predict replaced the FIFO"
cmp -s "$TMP/from_fifo.csv" "$TMP/by_dir.csv" || die "the FIFO got other rows than a file"
# a full device: the error names the output and the cause
expect_rc 1 predict --model "$ART" --input "$IN" --output /dev/full
contains "$TMP/err" "/dev/full: No space left on device"
chr /dev/full || die "predict --output /dev/full replaced /dev/full"
# a directory: an error naming it, nothing written
mkdir "$TMP/outdir"
expect_rc 1 predict --model "$ART" --input "$IN" --output "$TMP/outdir"
contains "$TMP/err" "cannot write $TMP/outdir: Is a directory"
[ -z "$(ls -A "$TMP/outdir")" ] || die "predict wrote into the directory"
echo "predict: ok"
