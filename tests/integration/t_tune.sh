# tune: a small TPE study tracked in a store (parent run + one child run per trial), resume,
# determinism, the search-space checks and their exit codes, cancellation, forest and logreg.
. "$(dirname "$0")/lib.sh"
F=$ROOT/tests/fixtures
PY=/usr/bin/python3
S=$TMP/store

cat >"$TMP/space.json" <<'EOF'
{"max_depth": {"type": "int", "low": 2, "high": 6},
 "eta": {"type": "float", "low": 0.02, "high": 0.3, "log": true},
 "n_estimators": {"type": "int", "low": 20, "high": 60, "step": 10},
 "subsample": {"type": "float", "low": 0.6, "high": 1.0}}
EOF

tune() {
    "$LENDLAB" --store "$S" --batch tune "$F/lending_club_train.csv" --test \
        "$F/lending_club_test.csv" --target Class --positive bad --cv 3 --space "$TMP/space.json" \
        --experiment tuning --study-name small --json "$@"
}

# study_check STORE EXPECTED_CHILDREN : one parent run named "small" whose children are numbered
# 0..N-1 and point at it; prints the parent's id
study_check() {
    $PY - "$1" "$2" <<'PY'
import os, sys
root, want = sys.argv[1], int(sys.argv[2])
def read(p):
    with open(p) as f:
        return f.read()
runs = {}
for e in os.listdir(root):
    d = os.path.join(root, e)
    if not os.path.isdir(d) or e.startswith("."):
        continue
    for r in os.listdir(d):
        if os.path.isfile(os.path.join(d, r, "meta.yaml")):
            runs[r] = os.path.join(d, r)
def tag(r, k):
    p = os.path.join(runs[r], "tags", k)
    return read(p) if os.path.exists(p) else None
parents = [r for r in runs if tag(r, "lendlab.study") == "small" and tag(r, "mlflow.parentRunId") is None]
assert len(parents) == 1, parents
p = parents[0]
assert "status: 3" in read(os.path.join(runs[p], "meta.yaml")), "parent not FINISHED"
kids = [r for r in runs if tag(r, "mlflow.parentRunId") == p]
assert len(kids) == want, (len(kids), want)
nums = sorted(int(tag(r, "lendlab.trial_number")) for r in kids)
assert nums == list(range(want)), nums
for r in kids:
    st = tag(r, "lendlab.trial_state")
    assert st in ("COMPLETE", "PRUNED"), st
    params = sorted(os.listdir(os.path.join(runs[r], "params")))
    assert params == ["eta", "max_depth", "n_estimators", "subsample"], params
    mets = os.listdir(os.path.join(runs[r], "metrics"))
    assert "fold_auc" in mets and ("cv_auc" in mets) == (st == "COMPLETE"), (st, mets)
for m in ("best_cv_auc", "test_auc"):
    assert os.path.exists(os.path.join(runs[p], "metrics", m)), m
for a in ("best_params.json", "space.json", "model/MLmodel", "model/model.json"):
    assert os.path.exists(os.path.join(runs[p], "artifacts", a)), a
print(p)
PY
}

# --- a small study, then resumed to 12 trials ----------------------------------------------
expect_rc 0 tune --trials 8
cp "$TMP/out" "$TMP/r8.json"
json_eq "$TMP/r8.json" 'sorted(d["best_params"])' "['eta', 'max_depth', 'n_estimators', 'subsample']"
json_eq "$TMP/r8.json" 'd["trials"]' 8
json_eq "$TMP/r8.json" 'd["complete"] + d["pruned"]' 8
json_eq "$TMP/r8.json" '0.65 < d["test_auc"] < 0.8' True
json_eq "$TMP/r8.json" '0.65 < d["best_cv_auc"] < 0.8' True
json_eq "$TMP/r8.json" 'd["best_params"]["n_estimators"] in (20, 30, 40, 50, 60)' True
json_eq "$TMP/r8.json" 'd["best_params"]["max_depth"] in range(2, 7)' True
json_eq "$TMP/r8.json" '0.02 <= d["best_params"]["eta"] <= 0.3' True
json_eq "$TMP/r8.json" 'len(d["study_run_id"])' 32
json_eq "$TMP/r8.json" 'd["rows"], d["test_rows"]' "(7886, 1971)"
parent=$(study_check "$S" 8) || die "store after 8 trials"
json_eq "$TMP/r8.json" 'd["study_run_id"]' "$parent"

expect_rc 0 tune --trials 12 --resume
cp "$TMP/out" "$TMP/r12.json"
json_eq "$TMP/r12.json" 'd["trials"], d["resumed"]' "(12, 8)"
json_eq "$TMP/r12.json" 'd["study_run_id"]' "$parent"
[ "$(study_check "$S" 12)" = "$parent" ] || die "store after resuming to 12 trials"

# an uninterrupted 12-trial study makes the same choices as the resumed one
expect_rc 0 tune --trials 12 --no-track
cp "$TMP/out" "$TMP/f12.json"
$PY - "$TMP/r12.json" "$TMP/f12.json" <<'PY' || die "resumed and uninterrupted studies differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("best_params", "best_cv_auc", "test_auc", "best_trial", "pruned", "complete"):
    assert a[k] == b[k], (k, a[k], b[k])
assert b["study_run_id"] is None and b["resumed"] == 0
PY
# --resume of a study that does not exist, and with another space
expect_rc 1 tune --trials 3 --resume --study-name nosuch
contains "$TMP/err" "no study named 'nosuch' in experiment 'tuning'"
sed 's/"high": 6/"high": 7/' "$TMP/space.json" >"$TMP/space7.json"
expect_rc 2 tune --trials 14 --resume --space "$TMP/space7.json"
contains "$TMP/err" "another --space"

# --- two jobs: deterministic for a given seed -------------------------------------------------
expect_rc 0 tune --trials 12 --no-track --jobs 2 --seed 7
cp "$TMP/out" "$TMP/j2a.json"
expect_rc 0 tune --trials 12 --no-track --jobs 2 --seed 7
$PY - "$TMP/j2a.json" "$TMP/out" <<'PY' || die "two runs with --jobs 2 --seed 7 differ"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
for k in ("best_params", "best_cv_auc", "test_auc", "best_trial", "pruned"):
    assert a[k] == b[k], (k, a[k], b[k])
PY

# --- search-space errors: exit 2 with a clear message -----------------------------------------
bad_space() { # bad_space JSON MESSAGE
    printf '%s\n' "$1" >"$TMP/bad.json"
    expect_rc 2 "$LENDLAB" --batch tune "$F/lending_club_train.csv" --target Class --no-track \
        --space "$TMP/bad.json"
    contains "$TMP/err" "$2"
}
bad_space '{"max_dept": {"type": "int", "low": 3, "high": 10}}' \
    "unknown parameter 'max_dept' for gbdt (tunable: n_estimators, eta, max_depth"
bad_space '{"eta": {"type": "float", "low": 0, "high": 0.3, "log": true}}' \
    "'eta': low 0 is out of range (number in (0, 1])"
bad_space '{"subsample": {"type": "float", "low": 0.5, "high": 1.5}}' \
    "'subsample': high 1.5 is out of range"
bad_space '{"max_depth": {"type": "int", "low": 8, "high": 3}}' "'max_depth': low 8 is above high 3"
bad_space '{"max_depth": {"type": "float", "low": 3, "high": 8}}' \
    "'max_depth' is an integer parameter"
bad_space '{"gamma": {"type": "float", "low": 0, "high": 5, "log": true}}' \
    "'gamma': a log scale needs low > 0"
bad_space '{"threads": {"type": "int", "low": 1, "high": 4}}' "'threads' cannot be tuned"
bad_space '{"eta": {"type": "float", "low": 0.1, "hihg": 0.3}}' "'eta': unknown key 'hihg'"
bad_space '{}' "the search space names no parameter"
bad_space '{"eta": {"type": "float", "low": 0.1 "high": 0.3}}' "bad.json:1:38: malformed JSON"
expect_rc 2 "$LENDLAB" --batch tune "$F/lending_club_train.csv" --target Class --no-track \
    --space "$TMP/missing.json"
contains "$TMP/err" "missing.json"
expect_rc 2 "$LENDLAB" --batch tune "$F/lending_club_train.csv" --target Class --no-track \
    --set max_depth=3
contains "$TMP/err" "'max_depth' is both tuned and fixed by --set"
expect_rc 2 "$LENDLAB" --batch tune "$F/lending_club_train.csv" --target Class --no-track \
    --prune often
contains "$TMP/err" "--prune must be fold, iteration or none"

# the default spaces, in the format --space reads
expect_rc 0 "$LENDLAB" --batch tune --print-space
json_eq "$TMP/out" 'list(d)' "['max_depth', 'eta', 'n_estimators', 'subsample', 'colsample_bytree', 'gamma', 'alpha', 'lambda']"
json_eq "$TMP/out" 'd["eta"]' "{'type': 'float', 'low': 0.01, 'high': 0.3, 'log': True}"
expect_rc 0 "$LENDLAB" --batch tune --print-space --model logreg
json_eq "$TMP/out" 'd' "{'C': {'type': 'float', 'low': 0.001, 'high': 100, 'log': True}}"

# --- forest and logreg, per-iteration pruning, a held-out fraction ---------------------------
cat >"$TMP/forest.json" <<'EOF'
{"n_trees": {"type": "int", "low": 10, "high": 30},
 "min_samples_leaf": {"type": "int", "low": 1, "high": 50, "log": true},
 "class_weight": {"type": "categorical", "choices": ["none", "balanced"]}}
EOF
expect_rc 0 "$LENDLAB" --batch tune "$F/lending_club_train.csv" --target Class --no-track --json \
    --model forest --space "$TMP/forest.json" --trials 4 --cv 2 --prune iteration
json_eq "$TMP/out" 'd["best_params"]["class_weight"] in ("none", "balanced")' True
json_eq "$TMP/out" 'd["rows"], d["test_rows"]' "(6309, 1577)"
expect_rc 0 "$LENDLAB" --batch tune "$F/lending_club_train.csv" --target Class --no-track --json \
    --model logreg --trials 3 --cv 2 --test-fraction 0.3
json_eq "$TMP/out" '0.001 <= d["best_params"]["C"] <= 100 and d["test_rows"] == 2366' True

# --- cancellation: exit 130, the study run KILLED ---------------------------------------------
"$LENDLAB" --store "$TMP/cstore" --batch tune "$F/lending_club_train.csv" --target Class \
    --study-name cancelled --trials 500 --progress >"$TMP/c.out" 2>"$TMP/c.err" &
pid=$!
i=0
until grep -q '^tune: \[1/' "$TMP/c.err" 2>/dev/null; do
    i=$((i + 1))
    [ "$i" -lt 600 ] || { kill "$pid"; die "no trial finished within 60 s"; }
    sleep 0.1
done
kill -INT "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" -eq 130 ] || { cat "$TMP/c.err" >&2; die "cancelled tune exited $rc, wanted 130"; }
grep -l '^cancelled$' "$TMP"/cstore/*/*/tags/lendlab.study >"$TMP/c.tags" || true
[ "$(wc -l <"$TMP/c.tags")" -ge 1 ] || die "no study run in the store"
for t in $(cat "$TMP/c.tags"); do
    d=$(dirname "$(dirname "$t")")
    [ -e "$d/tags/mlflow.parentRunId" ] && continue
    grep -q '^status: 5$' "$d/meta.yaml" || { cat "$d/meta.yaml" >&2; die "study run not KILLED"; }
done
echo "t_tune: ok"
