# Tracking store and model registry commands on a copy of a store shaped as MLflow writes it:
# experiments, runs (filter, sort, limit), compare, delete/restore, register, registry,
# promote under data/policy.json (pass, refusal with exit 4, forced, rollback), history.
. "$(dirname "$0")/lib.sh"
S="$TMP/mlruns"
cp -r "$ROOT/tests/fixtures/mlruns_mlflow" "$S"
EXP=473823019427317474
R1=a1f0c2e4b6d8490a8c1e3f5a7b9d0c2e
R2=b7e3d1c9a5f24b6e8d0c2a4f6e8b1d3f
R3=c4a8e2f6b0d14c3e9a7f5b3d1e9c7a5b
ll() { "$LENDLAB" --store "$S" --batch "$@"; }

# --- experiments and runs -------------------------------------------------------------------
expect_rc 0 ll experiments
contains "$TMP/out" "credit-default"
contains "$TMP/out" "Default"
expect_rc 0 ll experiments --json
json_eq "$TMP/out" "[e['runs'] for e in d if e['name'] == 'credit-default'][0]" 3

expect_rc 0 ll runs
contains "$TMP/out" "gbdt-baseline"
contains "$TMP/out" "logreg-l2"
contains "$TMP/out" "3 runs"
expect_rc 0 ll runs --json
json_eq "$TMP/out" "d['matched']" 3
json_eq "$TMP/out" "[r['run_id'] for r in d['runs']]" "['$R3', '$R2', '$R1']"
json_eq "$TMP/out" "d['runs'][2]['metrics']['valid_auc']" 0.7398
json_eq "$TMP/out" "d['runs'][2]['params']['max_depth']" 4
json_eq "$TMP/out" "d['runs'][2]['status']" FINISHED

expect_rc 0 ll runs --filter "metrics.auc > 0.72 and params.model = 'gbdt'" --json
json_eq "$TMP/out" "[r['run_name'] for r in d['runs']]" "['gbdt-tuned', 'gbdt-baseline']"
expect_rc 0 ll runs --filter "params.model = \"logreg\" OR metrics.\`valid_auc\` >= 0.75" --json
json_eq "$TMP/out" "sorted(r['run_name'] for r in d['runs'])" "['gbdt-tuned', 'logreg-l2']"
expect_rc 0 ll runs --sort -metrics.auc --limit 1
contains "$TMP/out" "gbdt-tuned"
contains "$TMP/out" "1 of 3 runs"
expect_rc 0 ll runs --sort metrics.logloss --json
json_eq "$TMP/out" "[r['run_name'] for r in d['runs']]" "['gbdt-tuned', 'gbdt-baseline', 'logreg-l2']"
expect_rc 0 ll runs --experiment credit-default --filter "tags.mlflow.runName LIKE '%tuned'"
contains "$TMP/out" "1 run"
expect_rc 2 ll runs --filter "metrics.auc 0.7"
contains "$TMP/err" "position 13"
contains "$TMP/err" "expected a comparator"
expect_rc 1 ll runs --experiment nope
contains "$TMP/err" "no experiment named 'nope'"

# --- compare ----------------------------------------------------------------------------------
expect_rc 0 ll compare a1f0 b7e3 c4a8
contains "$TMP/out" "0.7531 *"
contains "$TMP/out" "Learning curve valid_auc"
expect_rc 0 ll compare a1f0 b7e3 --diff-only --json
json_eq "$TMP/out" "[p['key'] for p in d['params']]" "['learning_rate', 'max_depth', 'n_estimators']"
json_eq "$TMP/out" "[m['best'] for m in d['metrics'] if m['key'] == 'logloss'][0]" "$R2"
json_eq "$TMP/out" "[c['best_step'] for c in d['curves']['valid_auc']]" "[4, 5]"
expect_rc 1 ll compare zz a1f0
contains "$TMP/err" "no run 'zz'"

# --- delete and restore only flip lifecycle_stage -------------------------------------------
expect_rc 0 ll delete-run c4a8
contains "$TMP/out" "deleted run $R3"
grep -q "lifecycle_stage: deleted" "$S/$EXP/$R3/meta.yaml" || die "run not marked deleted"
expect_rc 0 ll runs --json
json_eq "$TMP/out" "d['matched']" 2
expect_rc 0 ll runs --all --json
json_eq "$TMP/out" "[r['lifecycle_stage'] for r in d['runs']]" "['deleted', 'active', 'active']"
expect_rc 0 ll restore-run "$R3"
cmp "$S/$EXP/$R3/meta.yaml" "$ROOT/tests/fixtures/mlruns_mlflow/$EXP/$R3/meta.yaml" ||
    die "restore did not give back MLflow's meta.yaml"

# --- registry -------------------------------------------------------------------------------
expect_rc 0 ll registry
contains "$TMP/out" "champion=2"
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "[(v['version'], v['stage'], v['aliases']) for v in d['versions']]" \
    "[(1, 'Production', []), (2, 'None', ['champion'])]"
json_eq "$TMP/out" "d['versions'][1]['metrics']['auc']" 0.7531

# a run without artifacts/model cannot be registered
expect_rc 1 ll register c4a8 --name credit-risk
contains "$TMP/err" "no model artifact"
mkdir -p "$S/$EXP/$R3/artifacts/model"
echo "artifact_path: model" >"$S/$EXP/$R3/artifacts/model/MLmodel"
expect_rc 0 ll register c4a8 --name credit-risk --alias staging --json
json_eq "$TMP/out" "(d['version'], d['stage'])" "(3, 'Staging')"
json_eq "$TMP/out" "d['source']" "file:///home/analyst/credit/mlruns/$EXP/$R3/artifacts/model"

# champion -> production passes the policy (it beats the legacy Production version 1)
expect_rc 0 ll promote credit-risk --from champion --to production --policy "$ROOT/data/policy.json"
contains "$TMP/out" "PASS  challenger: auc up by >= 0.005 vs version 1"
contains "$TMP/out" "archived version 1"
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "[v['stage'] for v in d['versions']]" "['Archived', 'Production', 'Staging']"

# staging -> production is refused: evaluated on other test data
expect_rc 4 ll promote credit-risk --from staging --to production --policy "$ROOT/data/policy.json"
contains "$TMP/out" "FAIL  challenger"
contains "$TMP/out" "different test data"
contains "$TMP/out" "PASS  auc >= 0.7"
contains "$TMP/err" "refused"
expect_rc 4 ll promote credit-risk --from staging --to production --policy "$ROOT/data/policy.json" --json
json_eq "$TMP/out" "(d['promoted'], d['passed'], [r['passed'] for r in d['rules']])" \
    "(False, False, [True, True, True, False])"
expect_rc 2 ll promote credit-risk --from staging --to production --force
contains "$TMP/err" "--force needs --comment"
expect_rc 2 ll promote credit-risk --to production
expect_rc 1 ll promote credit-risk --from staging --to production --policy "$TMP/none.json"
expect_rc 0 ll promote credit-risk --from staging --to production \
    --policy "$ROOT/data/policy.json" --force --comment "interpretable model required"
contains "$TMP/out" "FORCED"
# rollback to version 2
expect_rc 0 ll promote credit-risk --version 2 --to production --comment "rollback"
contains "$TMP/out" "rolled back credit-risk version 2"
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "[v['stage'] for v in d['versions']]" "['Archived', 'Production', 'Staging']"
json_eq "$TMP/out" "d['aliases']" "{'champion': 2, 'production': 2, 'staging': 3}"
expect_rc 0 ll promote credit-risk --demote staging
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "d['versions'][2]['stage']" Archived

# --- history: one valid JSON line per change -------------------------------------------------
expect_rc 0 ll history credit-risk
contains "$TMP/out" "FORCED"
contains "$TMP/out" "interpretable model required"
expect_rc 0 ll history credit-risk --json
json_eq "$TMP/out" "[e['action'] for e in d]" "['register', 'promote', 'promote', 'rollback', 'demote']"
json_eq "$TMP/out" "[e['forced'] for e in d]" "[False, False, True, False, False]"
json_eq "$TMP/out" "d[2]['policy']['rules'][3]['passed']" False
json_eq "$TMP/out" "d[1]['metrics']['auc']" 0.7531
python3 - "$S/models/credit-risk/history.jsonl" <<'PY' || die "history.jsonl is not one JSON object per line"
import json, sys, re
for line in open(sys.argv[1]):
    e = json.loads(line)
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", e["time"]), e["time"]
    for k in ("user", "action", "version", "from_alias", "to_alias", "metrics", "policy",
              "forced", "comment"):
        assert k in e, k
PY

# --- what lendlab wrote reads back in MLflow's types (PyYAML, as MLflow loads it) ------------
python3 - "$S" <<'PY' || die "meta.yaml files do not load as MLflow expects"
import glob, os, sys, yaml
s = sys.argv[1]
for p in glob.glob(os.path.join(s, "models", "credit-risk", "version-*", "meta.yaml")):
    d = yaml.safe_load(open(p))
    assert isinstance(d["version"], int) and d["status"] == "READY", p
    assert d["current_stage"] in ("None", "Staging", "Production", "Archived"), p
    assert isinstance(d["creation_timestamp"], int), p
m = yaml.safe_load(open(os.path.join(s, "models", "credit-risk", "meta.yaml")))
assert m["aliases"] == {"champion": "2", "production": "2"}, m
for p in glob.glob(os.path.join(s, "*", "*", "meta.yaml")):
    if "/models/" in p:
        continue
    d = yaml.safe_load(open(p))
    assert isinstance(d["status"], int) and isinstance(d["experiment_id"], str), p
for name in os.listdir(os.path.join(s, "models", "credit-risk", "aliases")):
    assert not name.startswith("."), name
for root, dirs, files in os.walk(s):
    assert not [f for f in files if f.endswith(".tmp")], (root, files)
PY
