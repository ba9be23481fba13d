# describe: the JSON profile and text table of data/lending_club.csv, options and errors.
. "$(dirname "$0")/lib.sh"
DATA=$ROOT/data/lending_club.csv

# --json: one object; expected values computed with pandas 1.5 / numpy 1.24 on the same file
expect_rc 0 "$LENDLAB" --batch describe "$DATA" --json
cp "$TMP/out" "$TMP/lc.json"
json_eq "$TMP/lc.json" "d['rows']" 9857
json_eq "$TMP/lc.json" "len(d['columns'])" 23
json_eq "$TMP/lc.json" "d['path'] == '$DATA'" True
json_eq "$TMP/lc.json" "d['skipped_rows']" 0
json_eq "$TMP/lc.json" "[c['name'] for c in d['columns']][0]" funded_amnt
json_eq "$TMP/lc.json" "{c['name']: c for c in d['columns']}['funded_amnt']['type']" numeric
json_eq "$TMP/lc.json" "{c['name']: c for c in d['columns']}['sub_grade']['type']" categorical
json_eq "$TMP/lc.json" "{c['name']: c for c in d['columns']}['sub_grade']['distinct']" 35
json_eq "$TMP/lc.json" "sum(c['type'] == 'numeric' for c in d['columns'])" 17
json_eq "$TMP/lc.json" "d['target']['column']" Class
json_eq "$TMP/lc.json" "d['target']['positive']" bad
json_eq "$TMP/lc.json" "round(d['target']['positive_rate'], 4)" 0.0525
json_eq "$TMP/lc.json" "d['target']['classes']" "[{'value': 'good', 'count': 9340}, {'value': 'bad', 'count': 517}]"
python3 - "$TMP/lc.json" <<'PY' || die "statistics in the JSON profile differ from pandas"
import json, math, sys
d = json.load(open(sys.argv[1]))
c = {x["name"]: x for x in d["columns"]}
def close(got, want, what):
    if not math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12):
        sys.exit(f"{what}: got {got!r}, want {want!r}")
f = c["funded_amnt"]
for k, want in [("count", 9857), ("missing", 0), ("distinct", 900), ("min", 1000.0),
                ("max", 40000.0), ("mean", 15683.557370396673), ("std", 8879.1065468201)]:
    close(f[k], want, "funded_amnt " + k)
want_q = {"p1": 2000.0, "p5": 4000.0, "p25": 8500.0, "p50": 15000.0, "p75": 21000.0,
          "p95": 35000.0, "p99": 35000.0}
if set(f["quantiles"]) != set(want_q):
    sys.exit(f"quantile names: {sorted(f['quantiles'])}")
for k, want in want_q.items():
    close(f["quantiles"][k], want, "funded_amnt " + k)
if f["histogram"]["counts"] != [252, 476, 973, 813, 1075, 803, 485, 1014, 509, 866, 337, 501,
                                418, 314, 328, 98, 70, 489, 4, 32]:
    sys.exit(f"funded_amnt histogram {f['histogram']['counts']}")
if len(f["histogram"]["edges"]) != 21 or f["histogram"]["edges"][1] != 2950.0:
    sys.exit(f"funded_amnt edges {f['histogram']['edges']}")
r = c["revol_util"]
close(r["quantiles"]["p1"], 1.5560000000000003, "revol_util p1")
close(r["quantiles"]["p99"], 98.84400000000005, "revol_util p99")
close(r["std"], 24.37896796769701, "revol_util std")
s = c["sub_grade"]
if "mean" in s or "quantiles" in s or "histogram" in s:
    sys.exit("categorical column with numeric statistics")
top = [(t["value"], t["count"]) for t in s["top"]]
if top[:3] != [("C1", 672), ("B5", 624), ("A1", 612)] or len(top) != 10:
    sys.exit(f"sub_grade top {top}")
close(s["top"][0]["target_rate"], 28 / 672, "C1 target rate")
v = c["verification_status"]["top"]
if [(t["value"], t["count"]) for t in v] != [("Source_Verified", 3742), ("Not_Verified", 3434),
                                             ("Verified", 2681)]:
    sys.exit(f"verification_status top {v}")
if "target_rate" in c["Class"]["top"][0]:
    sys.exit("the target column has target rates")
PY

# the text table
expect_rc 0 "$LENDLAB" --batch describe "$DATA"
contains "$TMP/out" "$DATA: 9857 rows, 23 columns"
contains "$TMP/out" "target Class: positive class 'bad', 517 of 9857 rows (5.25%)"
grep -Eq '^column +type +missing +distinct +min +mean +max +top$' "$TMP/out" ||
    die "no header line"
grep -Eq '^funded_amnt +numeric +0 \(0\.0%\) +900 +1000 +15683\.6 +40000$' "$TMP/out" ||
    die "funded_amnt line"
grep -Eq '^sub_grade +categorical +0 \(0\.0%\) +35 +C1 \(672, 6\.8%\)$' "$TMP/out" ||
    die "sub_grade line"
grep -Eq '^  bad +517 +5\.25%  positive$' "$TMP/out" || die "class balance line"

# options: --help, --positive, --no-target, --target, --type, stdin
expect_rc 0 "$LENDLAB" --batch describe --help
contains "$TMP/out" "usage: lendlab --batch describe FILE"
contains "$TMP/out" "--skip-bad-rows"
expect_rc 0 "$LENDLAB" --batch describe "$DATA" --json --positive good
json_eq "$TMP/out" "d['target']['positive']" good
json_eq "$TMP/out" "round(d['target']['positive_rate'], 4)" 0.9475
expect_rc 0 "$LENDLAB" --batch describe "$DATA" --json --no-target
json_eq "$TMP/out" "d['target']" None
json_eq "$TMP/out" "'target_rate' in d['columns'][1]['top'][0]" False
expect_rc 0 "$LENDLAB" --batch describe "$DATA" --json --target term
json_eq "$TMP/out" "d['target']['positive']" term_60
expect_rc 0 "$LENDLAB" --batch describe "$DATA" --json --type delinq_2yrs=categorical
json_eq "$TMP/out" "d['columns'][8]['type']" categorical
json_eq "$TMP/out" "d['columns'][8]['top'][0]['value']" 0
expect_rc 0 sh -c "\"\$1\" --batch describe - --json < \"\$2\"" sh "$LENDLAB" "$DATA"
json_eq "$TMP/out" "d['rows']" 9857

# errors: exit 1 with a clear message, 2 for usage
expect_rc 1 "$LENDLAB" --batch describe "$TMP/no-such-file.csv"
contains "$TMP/err" "lendlab describe: $TMP/no-such-file.csv"
grep -qi "no such file" "$TMP/err" || die "missing file message: $(cat "$TMP/err")"
expect_rc 2 "$LENDLAB" --batch describe "$DATA" --bogus
contains "$TMP/err" "unknown option '--bogus'"
expect_rc 2 "$LENDLAB" --batch describe
expect_rc 2 "$LENDLAB" --batch describe "$DATA" --type funded_amnt=integer
expect_rc 2 "$LENDLAB" --batch describe "$DATA" --delimiter ';;'
expect_rc 2 "$LENDLAB" --batch describe "$DATA" --no-target --target Class
expect_rc 1 "$LENDLAB" --batch describe "$DATA" --target nosuch
contains "$TMP/err" "nosuch"
expect_rc 1 "$LENDLAB" --batch describe "$DATA" --target verification_status
contains "$TMP/err" "target column 'verification_status' must have exactly 2 classes, found 3"
expect_rc 1 "$LENDLAB" --batch describe "$DATA" --positive ugly
contains "$TMP/err" "positive label 'ugly' is not a class of target 'Class'"

# a malformed CSV: the error names file, line and column; --skip-bad-rows goes on
printf 'amount,grade,Class\n100,A,good\n200,B\n300,A,bad\n400,C,good\n' >"$TMP/bad.csv"
expect_rc 1 "$LENDLAB" --batch describe "$TMP/bad.csv"
grep -Eq "^lendlab describe: $TMP/bad\.csv:3:[0-9]+: " "$TMP/err" ||
    die "no file:line:column in: $(cat "$TMP/err")"
expect_rc 0 "$LENDLAB" --batch describe "$TMP/bad.csv" --skip-bad-rows --json
json_eq "$TMP/out" "d['rows']" 3
json_eq "$TMP/out" "d['skipped_rows']" 1
json_eq "$TMP/out" "d['target']['positive']" bad
contains "$TMP/err" "skipped 1 bad row (line 3)"
