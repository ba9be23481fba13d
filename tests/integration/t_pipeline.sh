# pipeline: a date's run end to end (train, register, promote, predict, monitor), idempotent
# re-runs, retrain once on drift, a failed step and its resume, schedule text, Airflow export.
. "$(dirname "$0")/lib.sh"
F=$ROOT/tests/fixtures
S="$TMP/mlruns"
ll() { "$LENDLAB" --store "$S" --batch "$@"; }
# runs of the pipeline experiment matching a filter, counted
nruns() {
    "$LENDLAB" --store "${2:-$S}" --batch runs -e pipeline --filter "$1" --json >"$TMP/runs.json"
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["matched"])' "$TMP/runs.json"
}
# the fixtures without their label: new loans to score
cut -d, -f1-22 "$F/lending_club_test.csv" >"$TMP/batch.csv"
cut -d, -f1-22 "$F/lending_club_drifted.csv" >"$TMP/drifted.csv"
# config CONFIG BATCH RETRAIN_DATA DRIFT_SHARE POLICY TRAIN_DATA
config() {
    cat >"$1" <<EOF
{"experiment": "pipeline", "model_name": "credit-risk",
 "train": {"data": "$6", "target": "Class", "positive": "bad", "model": "gbdt",
           "params": {"n_estimators": 300, "eta": 0.05, "max_depth": 2},
           "test_fraction": 0.2, "seed": 42},
 "tune": null, "policy": "$5", "batch": "$2", "retrain_data": $3,
 "output_dir": "pipe-out", "drift": {"drift_share": $4}}
EOF
}
config "$TMP/p.json" batch.csv null 0.5 "$ROOT/data/policy.json" "$F/lending_club_train.csv"

# --- a first run: everything runs, version 1 goes to production -----------------------------
expect_rc 0 ll pipeline run --config "$TMP/p.json" --date 2025-03-01 --json
cp "$TMP/out" "$TMP/s1.json"
contains "$TMP/err" "pipeline 2025-03-01: train: started"
contains "$TMP/err" "pipeline 2025-03-01: monitor: done"
json_eq "$TMP/s1.json" "[(s['step'], s['status'], s['reused']) for s in d['steps']]" \
    "[('train', 'FINISHED', False), ('register', 'FINISHED', False), ('promote', 'FINISHED', False), ('predict', 'FINISHED', False), ('monitor', 'FINISHED', False)]"
json_eq "$TMP/s1.json" "(d['status'], d['outcome'], d['already_done'])" "('FINISHED', 'completed', False)"
json_eq "$TMP/s1.json" "d['model']" \
    "{'name': 'credit-risk', 'candidate_version': 1, 'retrained_version': None, 'promoted_version': 1, 'production_version': 1}"
json_eq "$TMP/s1.json" "(d['drift']['dataset_drift'], d['retrained'])" "(False, False)"
json_eq "$TMP/s1.json" "d['outputs']['predictions']" "$TMP/pipe-out/predictions_2025-03-01.csv"
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "[(v['version'], v['stage'], sorted(v['aliases'])) for v in d['versions']]" \
    "[(1, 'Production', ['production', 'staging'])]"
# predictions: every batch row with its probability, as predict writes them with that version
P="$TMP/pipe-out/predictions_2025-03-01.csv"
python3 - "$P" <<'PY' || die "bad predictions file"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert len(rows) == 1971, len(rows)
assert all(0 < float(r["probability"]) < 1 for r in rows)
assert {r["label"] for r in rows} <= {"bad", "good"}
PY
RUN=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["versions"][0]["run_id"])' "$TMP/out")
expect_rc 0 "$LENDLAB" --batch predict --model "$S"/*/"$RUN"/artifacts/model --input "$TMP/batch.csv" \
    --output "$TMP/direct.csv"
cmp "$P" "$TMP/direct.csv" || die "pipeline predictions differ from predict's"
json_eq "$TMP/pipe-out/latest_predictions.json" "(d['path'], d['rows'], d['model']['name'], d['model']['version'], d['model']['alias'], d['date'])" \
    "('$P', 1971, 'credit-risk', 1, 'production', '2025-03-01')"
json_eq "$TMP/pipe-out/drift_2025-03-01.json" "(d['dataset_drift'], d['number_of_columns'], d['drift_share'])" "(False, 22, 0.5)"
grep -q "<html" "$TMP/pipe-out/drift_2025-03-01.html" || die "no drift HTML"
# the record: a parent run, one child per step, the training run nested under the train step
[ "$(nruns "tags.lendlab.pipeline_date = '2025-03-01' and tags.lendlab.pipeline_step IS NULL")" = 1 ] ||
    die "not one parent run"
PARENT=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["pipeline_run_id"])' "$TMP/s1.json")
[ "$(nruns "tags.mlflow.parentRunId = '$PARENT'")" = 5 ] || die "not five step runs"
TRAINSTEP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["steps"][0]["run_id"])' "$TMP/s1.json")
[ "$(nruns "tags.mlflow.parentRunId = '$TRAINSTEP' and run_id = '$RUN'")" = 1 ] ||
    die "training run not nested under the train step"
ls "$S"/*/"$RUN"/artifacts/reference/profile.json >/dev/null || die "no reference profile artifact"
expect_rc 0 ll runs -e pipeline --filter "run_id = '$PARENT'" --json
json_eq "$TMP/out" "d['runs'][0]['tags']['lendlab.pipeline_outcome']" completed
json_eq "$TMP/out" "d['runs'][0]['status']" FINISHED

# --- the same date again: nothing new ---------------------------------------------------------
ALL=$(nruns "attributes.status != 'x'")
expect_rc 0 ll pipeline run --config "$TMP/p.json" --date 2025-03-01 --json
json_eq "$TMP/out" "(d['already_done'], d['outcome'], [s['reused'] for s in d['steps']])" \
    "(True, 'completed', [True, True, True, True, True])"
contains "$TMP/err" "nothing to do"
[ "$(nruns "attributes.status != 'x'")" = "$ALL" ] || die "a re-run created runs"
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "len(d['versions'])" 1

# --- the next day, the same data: the candidate gains nothing and is refused ------------------
expect_rc 0 ll pipeline run --config "$TMP/p.json" --date 2025-03-02 --json
json_eq "$TMP/out" "[s['outcome'] for s in d['steps']]" "['trained', 'registered', 'refused', 'scored', 'no_drift']"
json_eq "$TMP/out" "(d['model']['candidate_version'], d['model']['promoted_version'], d['model']['production_version'])" \
    "(2, None, 1)"
json_eq "$TMP/pipe-out/latest_predictions.json" "(d['date'], d['model']['version'])" "('2025-03-02', 1)"
# a backfill of an earlier date leaves the marker on the later one
expect_rc 0 ll pipeline run --config "$TMP/p.json" --date 2025-02-28
json_eq "$TMP/pipe-out/latest_predictions.json" "d['date']" 2025-03-02

# --- drift: retrain once, its version refused (other test rows than the incumbent's) ----------
config "$TMP/d.json" drifted.csv "\"$F/lending_club_drifted.csv\"" 0.1 "$ROOT/data/policy.json" \
    "$F/lending_club_train.csv"
expect_rc 3 ll pipeline run --config "$TMP/d.json" --date 2025-03-03 --json
cp "$TMP/out" "$TMP/s3.json"
contains "$TMP/err" "lendlab pipeline: stopped: the retrained version 5 was refused by the policy"
json_eq "$TMP/s3.json" "[(s['step'], s['status']) for s in d['steps']]" \
    "[('train', 'FINISHED'), ('register', 'FINISHED'), ('promote', 'FINISHED'), ('predict', 'FINISHED'), ('monitor', 'FINISHED'), ('retrain', 'FINISHED'), ('retrain-register', 'FINISHED'), ('retrain-promote', 'FINISHED'), ('retrain-predict', 'skipped'), ('retrain-monitor', 'skipped')]"
json_eq "$TMP/s3.json" "(d['outcome'], d['retrained'], d['drift']['dataset_drift'], d['model']['production_version'])" \
    "('stopped', True, True, 1)"
json_eq "$TMP/s3.json" "d['retrain_reason']" \
    "dataset drift on 2025-03-03: 4 of 22 columns drifted (share 0.1818 >= 0.1): int_rate, annual_inc, term, sub_grade"
json_eq "$TMP/pipe-out/drift_2025-03-03.json" \
    "sorted(k for k, v in d['drift_by_columns'].items() if v['drift_detected'])" \
    "['annual_inc', 'int_rate', 'sub_grade', 'term']"
[ "$(nruns "tags.lendlab.pipeline_step = 'retrain'")" = 1 ] || die "not exactly one retrain"
expect_rc 0 ll runs -e pipeline --filter "tags.lendlab.pipeline_step = 'retrain'" --json
json_eq "$TMP/out" "d['runs'][0]['tags']['lendlab.retrain_reason'].startswith('dataset drift on 2025-03-03: 4 of 22')" True
# the retrained model learnt from both files
json_eq "$TMP/out" "d['runs'][0]['tags']['lendlab.rows_retrain_data']" 1971
[ "$(wc -l <"$TMP/pipe-out/training_2025-03-03_retrained.csv")" = $((7886 + 1971 + 1)) ] ||
    die "retrain data is not the training rows plus the recent rows"
# running the date again repeats nothing and reports the same stop
expect_rc 3 ll pipeline run --config "$TMP/d.json" --date 2025-03-03
[ "$(nruns "tags.lendlab.pipeline_step = 'retrain'")" = 1 ] || die "a re-run retrained again"
contains "$TMP/out" "retrain-promote   FINISHED"

# --- drift with a policy the retrained model passes: promoted, re-scored, drift persists -----
echo '{"require": {"auc": {"min": 0.7}, "logloss": {"max": 0.25}}}' >"$TMP/lenient.json"
config "$TMP/d2.json" drifted.csv "\"$F/lending_club_drifted.csv\"" 0.1 lenient.json \
    "$F/lending_club_train.csv"
S2="$TMP/mlruns2"
expect_rc 3 "$LENDLAB" --store "$S2" --batch pipeline run --config "$TMP/d2.json" --date 2025-03-04 --json
json_eq "$TMP/out" "(d['model']['retrained_version'], d['model']['promoted_version'], d['model']['production_version'])" \
    "(2, 2, 2)"
json_eq "$TMP/out" "(d['drift']['dataset_drift'], d['drift']['after_retrain'])" "(True, True)"
json_eq "$TMP/out" "d['stop_reason'].startswith('dataset drift persists after retraining')" True
json_eq "$TMP/out" "d['outputs']['predictions']" "$TMP/pipe-out/predictions_2025-03-04_retrained.csv"
json_eq "$TMP/pipe-out/latest_predictions.json" "(d['model']['version'], d['rows'])" "(2, 1971)"
[ "$(nruns "tags.lendlab.pipeline_step = 'retrain'" "$S2")" = 1 ] || die "not exactly one retrain"

# --- a missing file fails its step; the next run of the date resumes there --------------------
config "$TMP/m.json" batch.csv null 0.5 "$ROOT/data/policy.json" "$TMP/later_train.csv"
S3="$TMP/mlruns3"
expect_rc 1 "$LENDLAB" --store "$S3" --batch pipeline run --config "$TMP/m.json" --date 2025-03-05
contains "$TMP/err" "step 'train' failed"
contains "$TMP/err" "$TMP/later_train.csv"
contains "$TMP/out" "FAILED"
cp "$F/lending_club_train.csv" "$TMP/later_train.csv"
config "$TMP/m.json" later_batch.csv null 0.5 "$ROOT/data/policy.json" "$TMP/later_train.csv"
expect_rc 1 "$LENDLAB" --store "$S3" --batch pipeline run --config "$TMP/m.json" --date 2025-03-05 --json
contains "$TMP/err" "step 'predict' failed"
contains "$TMP/err" "$TMP/later_batch.csv"
json_eq "$TMP/out" "(d['status'], d['outcome'], d['error']['step'])" "('FAILED', 'failed', 'predict')"
json_eq "$TMP/out" "[s['status'] for s in d['steps']]" "['FINISHED', 'FINISHED', 'FINISHED', 'FAILED', 'pending']"
cp "$TMP/batch.csv" "$TMP/later_batch.csv"
expect_rc 0 "$LENDLAB" --store "$S3" --batch pipeline run --config "$TMP/m.json" --date 2025-03-05 --json
json_eq "$TMP/out" "[(s['step'], s['reused']) for s in d['steps']]" \
    "[('train', True), ('register', True), ('promote', True), ('predict', False), ('monitor', False)]"
json_eq "$TMP/out" "(d['status'], d['error'])" "('FINISHED', None)"
[ "$(nruns "tags.lendlab.pipeline_step = 'train'" "$S3")" = 2 ] || die "not one failed and one finished train"
[ "$(nruns "tags.lendlab.pipeline_step = 'train' and attributes.status = 'FINISHED'" "$S3")" = 1 ] ||
    die "train ran again on resume"
[ "$(nruns "tags.lendlab.pipeline_step IS NULL and tags.lendlab.pipeline_date = '2025-03-05'" "$S3")" = 1 ] ||
    die "the resumed run is not the same parent"
# each attempt reopened the parent; the last one ended it and cleared the earlier failure
PJ="$TMP/runs.json"
pick() { "$LENDLAB" --store "$1" --batch runs -e pipeline --json \
    --filter "tags.lendlab.pipeline_step IS NULL and tags.lendlab.pipeline_date = '$2'" >"$PJ"; }
pick "$S3" 2025-03-05
json_eq "$PJ" "(d['runs'][0]['status'], d['runs'][0]['tags']['lendlab.pipeline_attempts'])" \
    "('FINISHED', '3')"
json_eq "$PJ" "d['runs'][0]['end_time'] >= d['runs'][0]['start_time']" True
json_eq "$PJ" "[k for k in ('lendlab.failed_step', 'lendlab.error', 'lendlab.stop_reason')
    if k in d['runs'][0]['tags']]" "[]"
json_eq "$PJ" "d['runs'][0]['tags']['lendlab.pid'].split('@')[1]" "$(hostname)"
# stopped after a step (--step): SCHEDULED, no end time; the next run reopens and finishes it
S5="$TMP/mlruns5"
expect_rc 0 "$LENDLAB" --store "$S5" --batch pipeline run --config "$TMP/p.json" --date 2025-03-08 \
    --step train --json
json_eq "$TMP/out" "(d['status'], d['outcome'])" "('SCHEDULED', 'partial')"
pick "$S5" 2025-03-08
json_eq "$PJ" "(d['runs'][0]['status'], d['runs'][0]['end_time'])" "('SCHEDULED', None)"
expect_rc 0 "$LENDLAB" --store "$S5" --batch pipeline run --config "$TMP/p.json" --date 2025-03-08 \
    --json
json_eq "$TMP/out" "[(s['step'], s['reused']) for s in d['steps']][:2]" \
    "[('train', True), ('register', False)]"
pick "$S5" 2025-03-08
json_eq "$PJ" "(d['matched'], d['runs'][0]['status'], d['runs'][0]['tags']['lendlab.pipeline_attempts'])" \
    "(1, 'FINISHED', '2')"
# a first model the policy refuses leaves nothing to score with: exit 4, resumable
echo '{"require": {"auc": {"min": 0.99}}}' >"$TMP/strict.json"
config "$TMP/st.json" batch.csv null 0.5 strict.json "$F/lending_club_train.csv"
expect_rc 4 "$LENDLAB" --store "$TMP/mlruns4" --batch pipeline run --config "$TMP/st.json" --date 2025-03-07
contains "$TMP/err" "step 'promote' failed: version 1 of credit-risk was refused by the policy"
contains "$TMP/err" "no version is in production yet"
expect_rc 0 "$LENDLAB" --store "$TMP/mlruns4" --batch pipeline run --config "$TMP/st.json" --date 2025-03-07 \
    --step register --json
json_eq "$TMP/out" "(d['status'], d['outcome'], [s['status'] for s in d['steps']])" \
    "('FAILED', 'partial', ['FINISHED', 'FINISHED', 'FAILED', 'pending', 'pending'])"
# a config error is reported before anything runs
echo '{"model_name": "credit-risk", "train": {"data": "x.csv", "target": "Class"}}' >"$TMP/bad.json"
expect_rc 1 ll pipeline run --config "$TMP/bad.json"
contains "$TMP/err" "batch is required"
expect_rc 1 ll pipeline run --config "$TMP/none.json"
contains "$TMP/err" "no pipeline config $TMP/none.json"
expect_rc 2 ll pipeline run --config "$TMP/p.json" --date 2025-02-30
expect_rc 2 ll pipeline run --config "$TMP/p.json" --airflow x.py
expect_rc 2 ll pipeline deploy --config "$TMP/p.json"

# --- schedule: crontab line and systemd units ------------------------------------------------
expect_rc 0 ll pipeline schedule --config "$TMP/p.json" --at 03:15
cp "$TMP/out" "$TMP/sched.txt"
contains "$TMP/sched.txt" "[Timer]"
contains "$TMP/sched.txt" "OnCalendar=*-*-* 03:15:00"
CRON=$(grep -E '^[0-9]+ [0-9]+ \* \* \* /' "$TMP/sched.txt") || die "no crontab line"
case $CRON in
"15 3 * * * $LENDLAB --store $S --batch pipeline run --config $TMP/p.json --date \"\$(date +\\%F)\"") ;;
*) die "unexpected crontab line: $CRON" ;;
esac
# run the line's command as cron would: unescaped \% becomes %, then sh
CMD=$(printf '%s\n' "$CRON" | cut -d' ' -f6- | sed 's/\\%/%/g')
expect_rc 0 sh -c "$CMD"
contains "$TMP/err" "pipeline $(date +%F): "
if command -v systemd-analyze >/dev/null 2>&1; then
    awk '/\.service \(/ {f = 1; next} /\.timer ----/ {f = 2; next}
         f == 1 {print > "'"$TMP"'/lendlab-pipeline-credit-risk.service"}
         f == 2 {print > "'"$TMP"'/lendlab-pipeline-credit-risk.timer"}' "$TMP/sched.txt"
    systemd-analyze verify --man=no "$TMP/lendlab-pipeline-credit-risk.service" \
        "$TMP/lendlab-pipeline-credit-risk.timer" || die "systemd-analyze rejects the units"
fi
expect_rc 0 ll pipeline schedule --config "$TMP/p.json" --hourly --at 00:20
contains "$TMP/out" "OnCalendar=*-*-* *:20:00"
grep -qE '^20 \* \* \* \* /' "$TMP/out" || die "no hourly crontab line"
expect_rc 2 ll pipeline schedule --config "$TMP/p.json" --at 25:00
expect_rc 2 ll pipeline schedule --config "$TMP/p.json" --daily --hourly

# --- export: an Airflow DAG that compiles, and whose tasks run the steps ----------------------
expect_rc 0 ll pipeline export --config "$TMP/d2.json" --airflow "$TMP/dag.py"
/usr/bin/python3 -m py_compile "$TMP/dag.py" || die "the DAG does not compile"
# Airflow is not installed: a stand-in records the tasks, then they run in dependency order
mkdir -p "$TMP/stub/airflow/operators"
cat >"$TMP/stub/airflow/__init__.py" <<'PY'
class DAG:
    current = None
    def __init__(self, **kw):
        self.kw, self.tasks = kw, {}
    def __enter__(self):
        DAG.current = self
        return self
    def __exit__(self, *a):
        DAG.current = None
PY
cat >"$TMP/stub/airflow/operators/__init__.py" <<'PY'
from airflow import DAG
class Op:
    def __init__(self, task_id, **kw):
        self.task_id, self.kw, self.down = task_id, kw, []
        DAG.current.tasks[task_id] = self
    def __rshift__(self, other):
        for o in other if isinstance(other, list) else [other]:
            self.down.append(o.task_id)
        return other
PY
for m in bash empty python; do
    printf 'from airflow.operators import Op as BashOperator, Op as EmptyOperator, Op as BranchPythonOperator\n' \
        >"$TMP/stub/airflow/operators/$m.py"
done
PYTHONPATH="$TMP/stub" /usr/bin/python3 - "$TMP/dag.py" 2025-03-06 <<'PY' >"$TMP/dagrun.txt" 2>&1 ||
import runpy, subprocess, sys
g = runpy.run_path(sys.argv[1])
dag = g["dag"]
t = dag.tasks
edges = sorted((a, b) for a in t for b in t[a].down)
assert edges == sorted([("train", "register"), ("register", "promote"), ("promote", "predict"),
    ("predict", "monitor"), ("monitor", "retrain_on_drift"), ("retrain_on_drift", "retrain"),
    ("retrain_on_drift", "no_drift"), ("retrain", "retrain_register"),
    ("retrain_register", "retrain_promote"), ("retrain_promote", "retrain_predict"),
    ("retrain_predict", "retrain_monitor")]), edges
ds = sys.argv[2]
def run(task):
    cmd = t[task].kw["bash_command"].replace("{{ ds }}", ds)
    rc = subprocess.call(cmd, shell=True)
    print(task, rc)
    return rc
for task in ["train", "register", "promote", "predict", "monitor"]:
    assert run(task) == 0, task
branch = t["retrain_on_drift"].kw["python_callable"](ds=ds)
print("branch", branch)
assert branch == "retrain"
for task in ["retrain", "retrain_register", "retrain_promote", "retrain_predict"]:
    assert run(task) == 0, task
assert run("retrain_monitor") == 3  # drift persists: the task fails
PY
    { cat "$TMP/dagrun.txt" >&2; die "the DAG's tasks do not run the pipeline"; }
contains "$TMP/dagrun.txt" "branch retrain"
expect_rc 3 "$LENDLAB" --store "$S" --batch pipeline run --config "$TMP/d2.json" --date 2025-03-06 --json
json_eq "$TMP/out" "(d['already_done'], d['outcome'], len(d['steps']))" "(True, 'stopped', 10)"
