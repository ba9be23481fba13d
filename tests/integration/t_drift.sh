# drift and profile: the shifted fixture, the clean split, profiles, HTML, exit codes, errors.
. "$(dirname "$0")/lib.sh"
F=$ROOT/tests/fixtures
TEST=$F/lending_club_test.csv
TRAIN=$F/lending_club_train.csv
DRIFTED=$F/lending_club_drifted.csv
# drift runs are tracked by default: keep them out of the repository
LENDLAB_STORE=$TMP/default-store
export LENDLAB_STORE

# the shifted batch: exactly int_rate, annual_inc, term and sub_grade drift; 4 of 22 features
# is below the default share 0.5, so no dataset drift (the observed share decides)
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --target Class --json
cp "$TMP/out" "$TMP/d.json"
json_eq "$TMP/d.json" "sorted(k for k, v in d['drift_by_columns'].items() if v['drift_detected'])" \
    "['annual_inc', 'int_rate', 'sub_grade', 'term']"
json_eq "$TMP/d.json" "d['number_of_columns']" 22
json_eq "$TMP/d.json" "d['number_of_drifted_columns']" 4
json_eq "$TMP/d.json" "d['share_of_drifted_columns']" 0.18181818181818182
json_eq "$TMP/d.json" "d['dataset_drift']" False
json_eq "$TMP/d.json" "d['drift_share']" 0.5
json_eq "$TMP/d.json" "d['rows']" "{'reference': 1971, 'current': 1971}"
json_eq "$TMP/d.json" "d['target_drift']['column_name']" Class
json_eq "$TMP/d.json" "d['target_drift']['drift_detected']" False
json_eq "$TMP/d.json" "'Class' in d['drift_by_columns']" False
# values computed with SciPy 1.10 following Evidently's wasserstein/jensenshannon stattests
json_eq "$TMP/d.json" "d['drift_by_columns']['int_rate']['stattest_name']" "Wasserstein distance (normed)"
json_eq "$TMP/d.json" "round(d['drift_by_columns']['int_rate']['drift_score'], 12)" 0.602138296515
json_eq "$TMP/d.json" "d['drift_by_columns']['term']['stattest_name']" "Jensen-Shannon distance"
json_eq "$TMP/d.json" "round(d['drift_by_columns']['term']['drift_score'], 12)" 0.158598374887
json_eq "$TMP/d.json" "round(d['drift_by_columns']['int_rate']['psi'], 12)" 0.992845243268
json_eq "$TMP/d.json" "d['drift_by_columns']['int_rate']['psi_band']" significant
json_eq "$TMP/d.json" "d['drift_by_columns']['term']['psi_band']" moderate
json_eq "$TMP/d.json" "d['drift_by_columns']['addr_state']['new_categories']" "[]"

# the text table lists the drifted columns first
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --target Class
contains "$TMP/out" "dataset drift: no (4 of 22 columns drifted"
sed -n '6p' "$TMP/out" | grep -q '^int_rate .* yes ' || { cat "$TMP/out" >&2; die "int_rate not first"; }
sed -n '10p' "$TMP/out" | grep -q ' no ' || { cat "$TMP/out" >&2; die "5th row should not drift"; }

# a lower share turns it into dataset drift; --fail-on-drift then exits 3
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --drift-share 0.1 --json
json_eq "$TMP/out" "d['dataset_drift']" True
expect_rc 3 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --drift-share 0.1 --fail-on-drift
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --fail-on-drift

# the training split against the test split: nothing drifted
expect_rc 0 "$LENDLAB" --batch drift --reference "$TRAIN" --current "$TEST" --target Class --json
json_eq "$TMP/out" "d['dataset_drift']" False
json_eq "$TMP/out" "d['number_of_drifted_columns']" 0

# profile -> drift equals CSV -> drift
expect_rc 0 "$LENDLAB" --batch profile "$TRAIN" -o "$TMP/train.profile.json" --target Class
contains "$TMP/out" "7886 rows, 23 columns, target Class"
json_eq "$TMP/train.profile.json" "d['schema_version']" 1
json_eq "$TMP/train.profile.json" "d['source'].endswith('lending_club_train.csv')" True
for cur in "$DRIFTED" "$TEST"; do
    expect_rc 0 "$LENDLAB" --batch drift --reference "$TRAIN" --current "$cur" --target Class --json --no-track
    grep -v '"reference":' "$TMP/out" >"$TMP/from_csv.json"
    expect_rc 0 "$LENDLAB" --batch drift --reference "$TMP/train.profile.json" --current "$cur" --json --no-track
    grep -v '"reference":' "$TMP/out" >"$TMP/from_profile.json"
    cmp -s "$TMP/from_csv.json" "$TMP/from_profile.json" ||
        { diff "$TMP/from_csv.json" "$TMP/from_profile.json" >&2; die "profile drift differs from CSV drift ($cur)"; }
done

# a small reference gets K-S, chi-square and Z-tests; options choose tests and thresholds
head -n 401 "$TEST" >"$TMP/small.csv"
expect_rc 0 "$LENDLAB" --batch drift --reference "$TMP/small.csv" --current "$DRIFTED" --json \
    --column-test int_rate=psi:0.2 --column-test annual_inc=wasserstein
cp "$TMP/out" "$TMP/s.json"
json_eq "$TMP/s.json" "d['drift_by_columns']['funded_amnt']['stattest']" ks
json_eq "$TMP/s.json" "d['drift_by_columns']['term']['stattest']" z
json_eq "$TMP/s.json" "d['drift_by_columns']['sub_grade']['stattest']" chisquare
json_eq "$TMP/s.json" "d['drift_by_columns']['int_rate']['stattest']" psi
json_eq "$TMP/s.json" "d['drift_by_columns']['int_rate']['stattest_threshold']" 0.2
json_eq "$TMP/s.json" "d['drift_by_columns']['annual_inc']['stattest']" wasserstein
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --json --stattest ks --threshold 0.01
json_eq "$TMP/out" "d['drift_by_columns']['funded_amnt']['stattest']" ks
json_eq "$TMP/out" "d['drift_by_columns']['funded_amnt']['stattest_threshold']" 0.01
json_eq "$TMP/out" "d['drift_by_columns']['term']['stattest']" jensenshannon

# HTML: self-contained, with inline SVG histograms, no scripts
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --html "$TMP/r.html"
contains "$TMP/out" "HTML report: $TMP/r.html"
contains "$TMP/r.html" "<svg"
contains "$TMP/r.html" "int_rate"
if grep -qiE '<script|https?://' "$TMP/r.html"; then die "HTML report refers to scripts or the network"; fi
# a FIFO (as /dev/stdout may be) is written in place, never replaced by a regular file; a
# profile written there too
mkfifo "$TMP/fifo"
timeout 30 cat "$TMP/fifo" >"$TMP/fifo.out" &
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --html "$TMP/fifo" \
    --no-track
wait
[ -p "$TMP/fifo" ] || die "the HTML report replaced the FIFO"
contains "$TMP/fifo.out" "<svg"
[ "$(ls "$TMP" | grep -c '\.tmp\.')" -eq 0 ] || die "temporary HTML file left behind"

# bad input: exit 1 with a message naming the problem
cut -d, -f1-5 "$TEST" >"$TMP/fewer.csv"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TEST" --current "$TMP/fewer.csv"
contains "$TMP/err" "missing from the current data: 'verification_status'"
head -n 1 "$TEST" >"$TMP/header_only.csv"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TEST" --current "$TMP/header_only.csv"
grep -qiE 'no (data )?rows' "$TMP/err" || { cat "$TMP/err" >&2; die "empty current set not reported"; }
sed '2s/^3500,/lots,/' "$TEST" >"$TMP/text.csv"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TEST" --current "$TMP/text.csv"
contains "$TMP/err" "column 'funded_amnt' is numeric in the reference but text in the current data"
awk -F, 'BEGIN { OFS = "," } NR > 1 { $11 = "" } { print }' "$TEST" >"$TMP/nomiss.csv"
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$TMP/nomiss.csv" --json
json_eq "$TMP/out" "d['drift_by_columns']['revol_util']['note']" "no values in the current data"
json_eq "$TMP/out" "d['drift_by_columns']['revol_util']['drift_detected']" False
json_eq "$TMP/out" "d['drift_by_columns']['revol_util']['missing_share_current']" 1
json_eq "$TMP/out" "d['number_of_columns']" 22
expect_rc 1 "$LENDLAB" --batch drift --reference "$TMP/nope.csv" --current "$TEST"
contains "$TMP/err" "nope.csv"
echo '{"schema": "something-else"}' >"$TMP/bad.json"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TMP/bad.json" --current "$TEST"
contains "$TMP/err" "not a lendlab drift profile"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --target nosuch
contains "$TMP/err" "target column 'nosuch'"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --column-test nosuch=ks
contains "$TMP/err" "unknown column 'nosuch'"

# tracking: a drift run is a monitoring run with metrics, params, tag and drift.json
S=$TMP/mlruns
expect_rc 0 "$LENDLAB" --store "$S" --batch drift --reference "$TEST" --current "$DRIFTED" --target Class \
    --json --html "$TMP/t.html"
cp "$TMP/out" "$TMP/tracked.json"
json_eq "$TMP/tracked.json" "len(d['run_id'])" 32
expect_rc 0 "$LENDLAB" --store "$S" --batch runs --experiment monitoring --json
cp "$TMP/out" "$TMP/runs.json"
json_eq "$TMP/runs.json" "len(d['runs'])" 1
RID=$(/usr/bin/python3 -c "import json; print(json.load(open('$TMP/tracked.json'))['run_id'])")
json_eq "$TMP/runs.json" "d['runs'][0]['run_id']" "$RID"
json_eq "$TMP/runs.json" "(d['runs'][0]['status'], d['runs'][0]['run_name'].startswith('drift-'))" "('FINISHED', True)"
json_eq "$TMP/runs.json" "d['runs'][0]['metrics']['share_of_drifted_columns']" 0.18181818181818182
json_eq "$TMP/runs.json" "d['runs'][0]['metrics']['number_of_drifted_columns']" 4
json_eq "$TMP/runs.json" "d['runs'][0]['metrics']['dataset_drift']" 0
json_eq "$TMP/runs.json" "round(d['runs'][0]['metrics']['drift_score.int_rate'], 12)" 0.602138296515
json_eq "$TMP/runs.json" "round(d['runs'][0]['metrics']['psi.int_rate'], 12)" 0.992845243268
json_eq "$TMP/runs.json" "d['runs'][0]['tags']['lendlab.kind']" monitoring
json_eq "$TMP/runs.json" "d['runs'][0]['params']['stattest']" auto
json_eq "$TMP/runs.json" "d['runs'][0]['params']['current'] == '$DRIFTED'" True
ART=$(/usr/bin/python3 -c "import json; print(json.load(open('$TMP/runs.json'))['runs'][0]['artifact_uri'][7:])")
cmp -s "$ART/drift.json" "$TMP/tracked.json" || die "drift.json artifact differs from --json output"
contains "$ART/drift.html" "<svg"
expect_rc 0 "$LENDLAB" --store "$S" --batch drift --reference "$TEST" --current "$DRIFTED" --experiment other
contains "$TMP/out" "in experiment other"
expect_rc 0 "$LENDLAB" --store "$TMP/none" --batch drift --reference "$TEST" --current "$DRIFTED" --json --no-track
json_eq "$TMP/out" "d['run_id']" None
[ ! -e "$TMP/none" ] || die "--no-track created a store"
# a failed comparison after the run began is recorded as FAILED
expect_rc 1 "$LENDLAB" --store "$TMP/fail" --batch drift --reference "$TEST" --current "$TMP/fewer.csv"
expect_rc 0 "$LENDLAB" --store "$TMP/fail" --batch runs --experiment monitoring --json
json_eq "$TMP/out" "[r['status'] for r in d['runs']]" "['FAILED']"

# prediction drift: the model's scores on both sets (values checked with SciPy 1.10 on the
# probabilities of `lendlab --batch predict`: wasserstein_distance / np.std(reference))
expect_rc 0 "$LENDLAB" --batch train "$TRAIN" --test "$TEST" --target Class --positive bad --no-track \
    --output "$TMP/m"
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --model "$TMP/m" --json --no-track
cp "$TMP/out" "$TMP/p.json"
json_eq "$TMP/p.json" "d['prediction_drift']['stattest_name']" "Wasserstein distance (normed)"
json_eq "$TMP/p.json" "round(d['prediction_drift']['drift_score'], 12)" 0.147635369482
json_eq "$TMP/p.json" "d['prediction_drift']['threshold']" 0.1
json_eq "$TMP/p.json" "d['prediction_drift']['drift_detected']" True
json_eq "$TMP/p.json" "d['prediction_drift']['psi_band']" moderate
json_eq "$TMP/p.json" "(d['number_of_columns'], d['number_of_drifted_columns'])" "(23, 4)"
# train against test: the features do not drift, but in-sample scores are more extreme than
# out-of-sample ones, so the score distribution does (PSI stays stable)
expect_rc 0 "$LENDLAB" --batch drift --reference "$TRAIN" --current "$TEST" --model "$TMP/m" --json --no-track
json_eq "$TMP/out" "round(d['prediction_drift']['drift_score'], 12)" 0.158651297337
json_eq "$TMP/out" "d['prediction_drift']['drift_detected']" True
json_eq "$TMP/out" "d['prediction_drift']['psi_band']" stable
json_eq "$TMP/out" "d['dataset_drift']" False
# two halves of the test split (985 reference rows: K-S): no prediction drift
head -n 986 "$TEST" >"$TMP/h1.csv"
{ head -n 1 "$TEST"; tail -n +987 "$TEST"; } >"$TMP/h2.csv"
expect_rc 0 "$LENDLAB" --batch drift --reference "$TMP/h1.csv" --current "$TMP/h2.csv" --model "$TMP/m" --json --no-track
json_eq "$TMP/out" "d['prediction_drift']['stattest']" ks
json_eq "$TMP/out" "round(d['prediction_drift']['drift_score'], 12)" 0.541279466024
json_eq "$TMP/out" "round(d['prediction_drift']['statistic'], 12)" 0.035720390029
json_eq "$TMP/out" "d['prediction_drift']['drift_detected']" False
expect_rc 0 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --model "$TMP/m" --no-track \
    --html "$TMP/p.html"
grep -q '^prediction (score) .* yes ' "$TMP/out" || { cat "$TMP/out" >&2; die "no prediction row"; }
contains "$TMP/p.html" "model scores"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TMP/train.profile.json" --current "$TEST" --model "$TMP/m" --no-track
contains "$TMP/err" "--model needs the reference and current data as CSV"
expect_rc 1 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --model "$TMP/nomodel" --no-track

# usage errors: exit 2
expect_rc 2 "$LENDLAB" --batch drift --reference "$TEST"
expect_rc 2 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --stattest nope
contains "$TMP/err" "unknown --stattest 'nope'"
expect_rc 2 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --column-test int_rate
expect_rc 2 "$LENDLAB" --batch drift --reference "$TEST" --current "$DRIFTED" --drift-share 2
expect_rc 2 "$LENDLAB" --batch profile "$TEST"
contains "$TMP/err" "-o OUT is required"
expect_rc 0 "$LENDLAB" --batch drift --help
contains "$TMP/out" "--fail-on-drift"
contains "$TMP/out" "3 dataset drift"
