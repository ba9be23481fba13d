# train records runs in the tracking store: MLflow layout, params with data fingerprints,
# per-iteration and final metrics, artifacts; runs/compare read them back; --register and
# promote under passing and failing policies; KILLED on SIGTERM, FAILED on a fit error;
# LENDLAB_STORE, --no-track and standard input.
. "$(dirname "$0")/lib.sh"
F=$ROOT/tests/fixtures
PY=/usr/bin/python3
S="$TMP/mlruns"
ll() { "$LENDLAB" --store "$S" --batch "$@"; }
train() {
    ll train "$F/lending_club_train.csv" --test "$F/lending_club_test.csv" --target Class \
        --experiment credit --json "$@"
}

# --- two tracked runs into a fresh store -------------------------------------------------------
expect_rc 0 train --model gbdt --set n_estimators=300 --set eta=0.05 --set max_depth=2 \
    --set early_stopping_rounds=30 --predictions "$TMP/gbdt_pred.csv" \
    --register credit-risk --alias staging
cp "$TMP/out" "$TMP/gbdt.json"
G=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$TMP/gbdt.json")
json_eq "$TMP/gbdt.json" 'len(d["run_id"])' 32
json_eq "$TMP/gbdt.json" 'd["registered"]' "{'name': 'credit-risk', 'version': 1, 'alias': 'staging', 'stage': 'Staging'}"
json_eq "$TMP/gbdt.json" 'd["artifact_uri"].startswith("file:///") and d["artifact_uri"].endswith(d["run_id"] + "/artifacts")' True
EXP=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["experiment_id"])' "$TMP/gbdt.json")
[ "$EXP" != 0 ] || die "experiment credit was not created"

expect_rc 0 train --model logreg --predictions "$TMP/logreg_pred.csv" --run-name logreg-l2
cp "$TMP/out" "$TMP/logreg.json"
LR=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["run_id"])' "$TMP/logreg.json")
json_eq "$TMP/logreg.json" 'd["registered"]' None
json_eq "$TMP/logreg.json" 'd["experiment_id"]' "$EXP"

# the text form names the run
expect_rc 0 ll train "$F/lending_club_train.csv" --target Class --model logreg --experiment other
contains "$TMP/out" "run name           logreg-"
grep -Eq "^run +[0-9a-f]{32} \(experiment 'other', id [0-9]+\)$" "$TMP/out" || die "no run line"

# --- runs, filter, compare ----------------------------------------------------------------------
expect_rc 0 ll runs --experiment credit --json
json_eq "$TMP/out" "sorted((r['run_id'], r['status']) for r in d['runs'])" \
    "$(python3 -c "print(sorted([('$G', 'FINISHED'), ('$LR', 'FINISHED')]))")"
json_eq "$TMP/out" "all(0.5 < r['metrics']['auc'] < 1 for r in d['runs'])" True
json_eq "$TMP/out" "[r['run_name'] for r in d['runs'] if r['run_id'] == '$LR']" "['logreg-l2']"
$PY - "$TMP/out" "$G" <<'PY' || die "default run name is not gbdt-YYYYmmdd-HHMMSS"
import json, re, sys
d = json.load(open(sys.argv[1]))
name = [r["run_name"] for r in d["runs"] if r["run_id"] == sys.argv[2]][0]
assert re.fullmatch(r"gbdt-\d{8}-\d{6}", name), name
PY
expect_rc 0 ll runs --filter "params.model = 'gbdt'" --json
json_eq "$TMP/out" "[r['run_id'] for r in d['runs']]" "['$G']"
expect_rc 0 ll runs --experiment credit --filter "metrics.auc > 0.5 and params.model = 'logreg'"
contains "$TMP/out" "1 run"
expect_rc 0 ll compare "$G" "$LR" --diff-only --json
json_eq "$TMP/out" "'model' in [p['key'] for p in d['params']]" True
json_eq "$TMP/out" "'target' in [p['key'] for p in d['params']]" False
json_eq "$TMP/out" "'test_sha256' in [p['key'] for p in d['params']]" False
json_eq "$TMP/out" "[(c['run_id'], c['steps'] >= 30) for c in d['curves']['valid_auc']]" "[('$G', True)]"
expect_rc 0 ll compare "$G" "$LR"
contains "$TMP/out" "Learning curve valid_auc"

# --- the run directory in MLflow's layout -------------------------------------------------------
R="$S/$EXP/$G"
for f in meta.yaml params/model params/data_sha256 metrics/valid_auc metrics/auc tags/mlflow.runName \
    artifacts/model/MLmodel artifacts/model/model.json artifacts/model/model.xgb.json \
    artifacts/roc_curve.json artifacts/calibration.json artifacts/feature_importance.json \
    artifacts/confusion_matrix.json artifacts/metrics.json; do
    [ -s "$R/$f" ] || die "run directory lacks $f"
done
[ "$(cat "$R/params/model")" = gbdt ] || die "params/model is not gbdt"
[ ! -e "$S/$EXP/$LR/artifacts/model/model.xgb.json" ] || die "logreg run has an XGBoost file"
contains "$R/artifacts/model/MLmodel" "run_id: '$G'"
contains "$R/artifacts/model/MLmodel" "artifact_path: 'model'"
$PY - "$S" "$EXP" "$G" "$LR" "$F" "$TMP" <<'PY' || die "run directory contents are wrong"
import csv, glob, hashlib, json, os, re, sys
import yaml
from sklearn.metrics import roc_auc_score, log_loss
S, EXP, G, LR, F, TMP = sys.argv[1:7]
sha = lambda p: hashlib.sha256(open(p, "rb").read()).hexdigest()
for run, kind in ((G, "gbdt"), (LR, "logreg")):
    R = os.path.join(S, EXP, run)
    meta = yaml.safe_load(open(os.path.join(R, "meta.yaml")))
    assert meta["status"] == 3 and meta["run_id"] == run and meta["experiment_id"] == EXP, meta
    assert meta["end_time"] >= meta["start_time"] > 0, meta
    p = {k: open(os.path.join(R, "params", k)).read() for k in os.listdir(os.path.join(R, "params"))}
    assert p["model"] == kind and p["target"] == "Class" and p["positive"] == "bad", p
    assert p["train_file"] == os.path.realpath(F + "/lending_club_train.csv"), p["train_file"]
    assert p["test_file"] == os.path.realpath(F + "/lending_club_test.csv"), p["test_file"]
    assert p["data_sha256"] == sha(F + "/lending_club_train.csv"), p["data_sha256"]
    assert p["test_sha256"] == sha(F + "/lending_club_test.csv"), p["test_sha256"]
    assert (p["rows"], p["rows_test"], p["seed"]) == ("7886", "1971", "42"), p
    if kind == "gbdt":
        # 10 % of each class held out for early stopping: round(0.1 * 414) + round(0.1 * 7472)
        assert (p["rows_train"], p["rows_valid"]) == ("7098", "788"), p
        for k, v in (("n_estimators", "300"), ("eta", "0.05"), ("max_depth", "2"),
                     ("early_stopping_rounds", "30"), ("lambda", "1"), ("subsample", "1"),
                     ("learner_seed", "42"), ("max_bin", "256")):
            assert p[k] == v, (k, p[k])
    else:
        assert p["rows_train"] == "7886" and "rows_valid" not in p, p
        for k, v in (("C", "1"), ("max_iter", "100"), ("class_weight", "none")):
            assert p[k] == v, (k, p[k])
    tags = os.listdir(os.path.join(R, "tags"))
    for t in ("mlflow.runName", "mlflow.user", "mlflow.source.name", "lendlab.version"):
        assert t in tags, t
    # metric files: "<ms> <value> <step>" lines; final metrics at step 0
    def lines(key):
        out = []
        for line in open(os.path.join(R, "metrics", key)):
            m = re.fullmatch(r"(\d{13}) (\S+) (\d+)\n", line)
            assert m, (key, line)
            out.append((int(m[1]), float(m[2]), int(m[3])))
        return out
    tl = lines("train_logloss")
    assert len(tl) >= 3 and [s for _, _, s in tl] == list(range(1, len(tl) + 1)), tl[:5]
    if kind == "gbdt":
        va = lines("valid_auc")
        assert len(va) >= 30 and len(va) == len(tl), (len(va), len(tl))
        assert all(0.5 < v <= 1 for _, v, _ in va), va[:3]
    else:
        assert not os.path.exists(os.path.join(R, "metrics", "valid_auc"))
    out = json.load(open(os.path.join(TMP, kind + ".json")))
    final = {k: lines(k) for k in out["metrics"] if os.path.exists(os.path.join(R, "metrics", k))}
    for k, pts in final.items():
        assert len(pts) == 1 and pts[0][2] == 0, (k, pts)
        assert pts[0][1] == out["metrics"][k], (k, pts, out["metrics"][k])
    for k in ("auc", "pr_auc", "ks", "gini", "logloss", "brier", "accuracy", "precision",
              "recall", "f1", "f1_best", "threshold_best"):
        assert k in final, k
    assert lines("fit_seconds")[0][1] > 0
    # the logged test metrics agree with scikit-learn on the test rows' probabilities
    test = [r["Class"] == "bad" for r in csv.DictReader(open(F + "/lending_club_test.csv"))]
    prob = [float(r["probability"]) for r in csv.DictReader(open(os.path.join(TMP, kind + "_pred.csv")))]
    assert abs(final["auc"][0][1] - roc_auc_score(test, prob)) < 1e-9
    assert abs(final["logloss"][0][1] - log_loss(test, prob)) < 1e-9
    # artifacts
    A = os.path.join(R, "artifacts")
    roc = json.load(open(os.path.join(A, "roc_curve.json")))
    assert 2 <= len(roc["fpr"]) == len(roc["tpr"]) == len(roc["threshold"]) <= 200, len(roc["fpr"])
    assert (roc["fpr"][0], roc["tpr"][0], roc["fpr"][-1], roc["tpr"][-1]) == (0, 0, 1, 1)
    assert roc["threshold"][0] is None  # +infinity
    trap = sum((roc["fpr"][i] - roc["fpr"][i - 1]) * (roc["tpr"][i] + roc["tpr"][i - 1]) / 2
               for i in range(1, len(roc["fpr"])))
    assert abs(trap - roc_auc_score(test, prob)) < 0.01, trap
    cal = json.load(open(os.path.join(A, "calibration.json")))["bins"]
    assert len(cal) == 10 and sum(b["n"] for b in cal) == 1971, cal
    assert abs(sum(b["n"] * b["y_rate"] for b in cal) - 103) < 1e-6
    imp = json.load(open(os.path.join(A, "feature_importance.json")))
    gains = [f["gain"] for f in imp["features"]]
    assert len(gains) == 22 and gains == sorted(gains, reverse=True), gains
    assert [f["feature"] for f in imp["features"]] == [f["feature"] for f in out["importance"]]
    cm = json.load(open(os.path.join(A, "confusion_matrix.json")))
    at = cm["at_0.5"]
    pred = [q >= 0.5 for q in prob]
    tp = sum(a and b for a, b in zip(test, pred))
    fp = sum(b and not a for a, b in zip(test, pred))
    assert (at["threshold"], at["tp"], at["fp"], at["tp"] + at["fn"]) == (0.5, tp, fp, 103), at
    best = cm["at_f1_best"]
    assert best["threshold"] == out["metrics"]["threshold_best"] and best["f1"] == out["metrics"]["f1_best"]
    met = json.load(open(os.path.join(A, "metrics.json")))
    assert met["auc"] == out["metrics"]["auc"] and met["fit_seconds"] > 0, met
PY

# --- registry and promotion ---------------------------------------------------------------------
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "[(v['version'], v['aliases'], v['stage'], v['run_id']) for v in d['versions']]" \
    "[(1, ['staging'], 'Staging', '$G')]"
expect_rc 0 ll registry credit-risk
contains "$TMP/out" "Staging"

# verdict of data/policy.json for a run's metrics (incumbent: a run id or "-")
verdict() {
    $PY - "$S" "$1" "$2" <<'PY'
import json, subprocess, sys, os
S, cand, inc = sys.argv[1:4]
def metrics(run):
    out = subprocess.run([os.environ["LENDLAB"], "--store", S, "--batch", "runs", "--json"],
                         capture_output=True, check=True).stdout
    return [r["metrics"] for r in json.loads(out)["runs"] if r["run_id"] == run][0]
m = metrics(cand)
ok = m["auc"] >= 0.70 and m["ks"] >= 0.25 and m["logloss"] <= 0.2
if inc != "-":
    ok = ok and m["auc"] - metrics(inc)["auc"] >= 0.005
print(0 if ok else 4)
PY
}
want=$(verdict "$G" -)
[ "$want" = 0 ] || echo "note: gbdt metrics fail data/policy.json" >&2
expect_rc "$want" ll promote credit-risk --from staging --to production --policy "$ROOT/data/policy.json"
contains "$TMP/out" "PASS  challenger"
contains "$TMP/out" "no version holds the target alias yet"
if [ "$want" = 0 ]; then
    expect_rc 0 ll registry credit-risk --json
    json_eq "$TMP/out" "d['versions'][0]['stage']" Production
fi

# the logreg run as version 2 in staging, challenging production on the same test file
expect_rc 0 ll register "$LR" --name credit-risk --alias staging
want=$(verdict "$LR" "$G")
expect_rc "$want" ll promote credit-risk --from staging --to production --policy "$ROOT/data/policy.json"
contains "$TMP/out" "challenger: auc up by >= 0.005 vs version 1"
[ "$want" = 4 ] && contains "$TMP/out" "FAIL  challenger"

# a failing and a passing policy
printf '{"require": {"auc": {"min": 0.99}, "ks": {"min": 0.1}}}\n' >"$TMP/strict.json"
expect_rc 4 ll promote credit-risk --from staging --to production --policy "$TMP/strict.json"
contains "$TMP/out" "FAIL  auc >= 0.99"
contains "$TMP/out" "PASS  ks >= 0.1"
contains "$TMP/err" "refused"
expect_rc 4 ll promote credit-risk --from staging --to production --policy "$TMP/strict.json" --json
json_eq "$TMP/out" "(d['promoted'], [r['passed'] for r in d['rules']])" "(False, [False, True])"
printf '{"require": {"auc": {"min": 0.6}}, "challenger": {"metric": "brier", "min_gain": -0.01}}\n' \
    >"$TMP/lenient.json"
expect_rc 0 ll promote credit-risk --from staging --to production --policy "$TMP/lenient.json"
contains "$TMP/out" "PASS  challenger"
expect_rc 0 ll registry credit-risk --json
json_eq "$TMP/out" "[(v['version'], v['stage']) for v in d['versions']]" "[(1, 'Archived'), (2, 'Production')]"
json_eq "$TMP/out" "d['aliases']" "{'production': 2, 'staging': 2}"
expect_rc 0 ll history credit-risk
contains "$TMP/out" "register"
contains "$TMP/out" "staging -> production"
[ "$(grep -c 'promote' "$TMP/out")" -ge 2 ] || die "history lacks the promotions"
expect_rc 0 ll history credit-risk --json
json_eq "$TMP/out" "[e['action'] for e in d if e['action'] == 'register']" "['register', 'register']"
json_eq "$TMP/out" "d[0]['run_id']" "$G"

# --- register errors are usage errors before any work ------------------------------------------
expect_rc 2 train --alias staging
contains "$TMP/err" "--alias needs --register"
expect_rc 2 train --register credit-risk --alias latest
contains "$TMP/err" "invalid alias 'latest'"
expect_rc 2 ll train "$F/lending_club_train.csv" --target Class --register credit-risk --no-track
contains "$TMP/err" "--register needs a tracked run"
expect_rc 2 train --no-track
contains "$TMP/err" "--experiment needs a tracked run"

# --- SIGTERM during the fit: KILLED, exit 130 -------------------------------------------------
set +e
timeout --preserve-status -s TERM 2 "$LENDLAB" --store "$S" --batch train "$F/lending_club_train.csv" \
    --target Class --experiment killed --set n_estimators=100000 --set max_depth=8 \
    >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -eq 130 ] || { cat "$TMP/err" >&2; die "terminated train exited $rc, wanted 130"; }
contains "$TMP/err" "marked KILLED"
expect_rc 0 ll runs --experiment killed --json
json_eq "$TMP/out" "[r['status'] for r in d['runs']]" "['KILLED']"
json_eq "$TMP/out" "d['runs'][0]['end_time'] >= d['runs'][0]['start_time']" True

# --- a fit that fails: FAILED with the error in tag lendlab.error ---------------------------
printf 'x,y\n1,paid\n2,paid\n3,paid\n4,paid\n5,paid\n' >"$TMP/one_class.csv"
expect_rc 1 ll train "$TMP/one_class.csv" --target y --experiment broken
contains "$TMP/err" "marked FAILED"
expect_rc 0 ll runs --experiment broken --json
json_eq "$TMP/out" "[r['status'] for r in d['runs']]" "['FAILED']"
json_eq "$TMP/out" "'two classes' in d['runs'][0]['tags']['lendlab.error']" True
json_eq "$TMP/out" "d['runs'][0]['params']['model']" gbdt
expect_rc 1 ll train "$TMP/no_such.csv" --target y --experiment broken
expect_rc 0 ll runs --experiment broken --filter "status = 'FAILED'" --json
json_eq "$TMP/out" "d['matched']" 2

# --- LENDLAB_STORE, --no-track, standard input --------------------------------------------------
expect_rc 0 env LENDLAB_STORE="$TMP/envstore" "$LENDLAB" --batch train "$F/lending_club_train.csv" \
    --target Class --model logreg --json
json_eq "$TMP/out" "d['artifact_uri'].startswith('file://$TMP/envstore/0/')" True
[ -s "$TMP/envstore/0/meta.yaml" ] || die "LENDLAB_STORE was not used"
expect_rc 0 env LENDLAB_STORE="$TMP/nostore" "$LENDLAB" --batch train "$F/lending_club_train.csv" \
    --target Class --model logreg --no-track --json
json_eq "$TMP/out" "(d['run_id'], d['registered'])" "(None, None)"
[ ! -e "$TMP/nostore" ] || die "--no-track created a store"
mkdir "$TMP/spool"
set +e
TMPDIR="$TMP/spool" "$LENDLAB" --store "$S" --batch train - --target Class --model logreg --experiment piped --json \
    <"$F/lending_club_train.csv" >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -eq 0 ] || { cat "$TMP/err" >&2; die "train from standard input exited $rc"; }
expect_rc 0 ll runs --experiment piped --json
# the split's test rows are named by the data's SHA-256, the fraction and the seed
$PY - "$TMP/out" "$F/lending_club_train.csv" <<'PY' || die "stdin run has wrong fingerprints"
import hashlib, json, sys
r = json.load(open(sys.argv[1]))["runs"][0]
h = hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
p = r["params"]
assert p["data_sha256"] == h and p["train_file"] == "-", p
assert p["test_fraction"] == "0.2" and "test_file" not in p, p
assert p["test_sha256"] == hashlib.sha256(f"{h}:0.2:42".encode()).hexdigest(), p
assert (p["rows"], p["rows_train"], p["rows_test"]) == ("7886", "6309", "1577"), p
PY
[ -z "$(ls "$TMP/spool")" ] || die "the spooled copy of standard input was left behind"
