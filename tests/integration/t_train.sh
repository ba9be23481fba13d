# train and predict: AUC bars of the three models, parameter errors, batch scoring through saved
# models (stdin/stdout too), and the XGBoost export scored by python3-xgboost.
. "$(dirname "$0")/lib.sh"
F=$ROOT/tests/fixtures
PY=/usr/bin/python3
# every run is tracked: keep the store in the temporary directory (t_track.sh checks the store)
LENDLAB_STORE="$TMP/mlruns"
export LENDLAB_STORE

train() {
    "$LENDLAB" --batch train "$F/lending_club_train.csv" --test "$F/lending_club_test.csv" \
        --target Class --positive bad --json "$@"
}

# auc_at_least FILE BAR : the train --json output in FILE has metrics.auc >= BAR
auc_at_least() {
    $PY - "$1" "$2" <<'PY' || die "AUC below $2 in $1"
import json, sys
d = json.load(open(sys.argv[1]))
auc = d["metrics"]["auc"]
print(d["model"], "test AUC", auc, file=sys.stderr)
sys.exit(0 if auc >= float(sys.argv[2]) else 1)
PY
}

# same_probabilities SCORED.csv PRED.csv : the probability columns are equal, labels follow 0.5
same_probabilities() {
    $PY - "$1" "$2" <<'PY' || die "$1 and $2 differ"
import csv, sys
scored = list(csv.DictReader(open(sys.argv[1])))
pred = list(csv.DictReader(open(sys.argv[2])))
assert len(scored) == len(pred) == 1971, (len(scored), len(pred))
for s, p in zip(scored, pred):
    assert float(s["probability"]) == float(p["probability"]), (s["probability"], p["probability"])
    assert s["label"] == ("bad" if float(s["probability"]) >= 0.5 else "good")
PY
}

# --- gbdt, logreg, forest: bars, saved models, scoring equal to the trained model's --------------
expect_rc 0 train --model gbdt --set n_estimators=300 --set eta=0.05 --set max_depth=2 \
    --output "$TMP/gbdt" --predictions "$TMP/gbdt_pred.csv"
cp "$TMP/out" "$TMP/gbdt.json"
auc_at_least "$TMP/gbdt.json" 0.718
json_eq "$TMP/gbdt.json" 'd["model"]' gbdt
json_eq "$TMP/gbdt.json" 'd["rows"]["train"]' 7886
json_eq "$TMP/gbdt.json" 'd["rows"]["test"]' 1971
json_eq "$TMP/gbdt.json" 'd["params"]["n_estimators"]' 300
json_eq "$TMP/gbdt.json" 'd["params"]["eta"]' 0.05
json_eq "$TMP/gbdt.json" 'len(d["importance"])' 22
json_eq "$TMP/gbdt.json" 'sorted(d["metrics"])' "['accuracy', 'accuracy_best', 'auc', 'brier', 'f1', 'f1_best', 'gini', 'ks', 'logloss', 'pr_auc', 'precision', 'precision_best', 'recall', 'recall_best', 'threshold_best']"
json_eq "$TMP/gbdt.json" 'd["output"]' "$TMP/gbdt"
json_eq "$TMP/gbdt.json" 'd["fit_seconds"] > 0' True
for f in model.json MLmodel model.xgb.json; do [ -s "$TMP/gbdt/$f" ] || die "no $f saved"; done
contains "$TMP/gbdt/MLmodel" "loader_module: lendlab"
contains "$TMP/gbdt/MLmodel" "  lendlab:"
contains "$TMP/gbdt/MLmodel" '{"type": "string", "name": "sub_grade", "required": true}'

expect_rc 0 train --model logreg --output "$TMP/logreg" --predictions "$TMP/logreg_pred.csv"
cp "$TMP/out" "$TMP/logreg.json"
auc_at_least "$TMP/logreg.json" 0.710
[ ! -e "$TMP/logreg/model.xgb.json" ] || die "logreg wrote an XGBoost file"

expect_rc 0 train --model forest --set n_trees=200 --set min_samples_leaf=5 \
    --output "$TMP/forest" --predictions "$TMP/forest_pred.csv"
cp "$TMP/out" "$TMP/forest.json"
auc_at_least "$TMP/forest.json" 0.715

for m in gbdt logreg forest; do
    expect_rc 0 "$LENDLAB" --batch predict --model "$TMP/$m" --input "$ROOT/data/batch_input.csv" \
        --output "$TMP/scored_$m.csv"
    [ "$(wc -l <"$TMP/scored_$m.csv")" -eq 1972 ] || die "$m: scored file has not 1971 rows"
    head -1 "$TMP/scored_$m.csv" | grep -q ',total_il_high_credit_limit,probability,label$' ||
        die "$m: header lacks probability,label"
    same_probabilities "$TMP/scored_$m.csv" "$TMP/${m}_pred.csv"
done

# the text table names the model and the metrics
expect_rc 0 "$LENDLAB" --batch train "$F/lending_club_train.csv" --target Class --model logreg
contains "$TMP/out" "test AUC"
contains "$TMP/out" "top features"

# --- standard input and output, threshold, chunking ---------------------------------------------
"$LENDLAB" --batch predict --model "$TMP/gbdt" --input - --output - \
    <"$ROOT/data/batch_input.csv" >"$TMP/scored_pipe.csv" || die "predict through pipes failed"
cmp -s "$TMP/scored_pipe.csv" "$TMP/scored_gbdt.csv" || die "stdin/stdout scoring differs"
expect_rc 0 "$LENDLAB" --batch predict --model "$TMP/gbdt" --input "$ROOT/data/batch_input.csv" \
    --chunk 100
cmp -s "$TMP/out" "$TMP/scored_gbdt.csv" || die "scoring in chunks of 100 rows differs"
expect_rc 0 "$LENDLAB" --batch predict --model "$TMP/gbdt" --input "$ROOT/data/batch_input.csv" \
    --threshold 0.05
$PY - "$TMP/out" <<'PY' || die "threshold 0.05 not applied"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
assert all(r["label"] == ("bad" if float(r["probability"]) >= 0.05 else "good") for r in rows)
assert sum(r["label"] == "bad" for r in rows) > 100
PY

# --- errors ---------------------------------------------------------------------------------------
expect_rc 2 train --model gbdt --set bogus=1
contains "$TMP/err" "unknown parameter 'bogus'"
contains "$TMP/err" "valid keys"
contains "$TMP/err" "n_estimators"
contains "$TMP/err" "max_depth"
expect_rc 2 train --model gbdt --set eta=2
contains "$TMP/err" "eta must be number in (0, 1]"
expect_rc 2 train --model forest --set n_trees=many
contains "$TMP/err" "n_trees"
expect_rc 2 train --model tree
contains "$TMP/err" "unknown model 'tree'"
expect_rc 2 "$LENDLAB" --batch train "$F/lending_club_train.csv"
contains "$TMP/err" "--target"
expect_rc 1 train --target no_such_column
contains "$TMP/err" "no_such_column"
expect_rc 2 "$LENDLAB" --batch predict --input "$ROOT/data/batch_input.csv"
expect_rc 1 "$LENDLAB" --batch predict --model "$TMP/nothing_here" --input "$ROOT/data/batch_input.csv"
cut -d, -f1-2,4- "$ROOT/data/batch_input.csv" >"$TMP/no_rate.csv"
expect_rc 1 "$LENDLAB" --batch predict --model "$TMP/gbdt" --input "$TMP/no_rate.csv" --output "$TMP/x.csv"
contains "$TMP/err" "int_rate"
[ ! -e "$TMP/x.csv" ] || die "a failed predict left its output behind"
sed '2s/^3500/lots/' "$F/lending_club_test.csv" >"$TMP/bad_number.csv"
expect_rc 1 "$LENDLAB" --batch predict --model "$TMP/gbdt" --input "$TMP/bad_number.csv"
contains "$TMP/err" "funded_amnt"
contains "$TMP/err" "lots"

# --- Ctrl-C cancels a long fit cleanly --------------------------------------------------------------
set +e
timeout --preserve-status -s INT 2 "$LENDLAB" --batch train "$F/lending_club_train.csv" --target Class \
    --set n_estimators=100000 --set max_depth=8 >"$TMP/out" 2>"$TMP/err"
rc=$?
set -e
[ "$rc" -eq 130 ] || { cat "$TMP/err" >&2; die "interrupted train exited $rc, wanted 130"; }

# --- the XGBoost export scores identically in python3-xgboost --------------------------------------
expect_rc 0 "$LENDLAB" --batch predict --model "$TMP/gbdt" --input "$ROOT/data/lending_club.csv" \
    --output "$TMP/scored_all.csv"
$PY - "$TMP/gbdt" "$ROOT/data/lending_club.csv" "$TMP/scored_all.csv" <<'PY' || die "xgboost differs"
import csv, json, sys
import numpy as np, xgboost as xgb
mdir, data, scored = sys.argv[1:4]
feats = json.load(open(mdir + "/model.json"))["prep"]["features"]
rows = list(csv.DictReader(open(data)))
X = np.full((len(rows), len(feats)), np.nan)
types = []
for j, f in enumerate(feats):
    cat = f["type"] == "categorical"
    types.append("c" if cat else "q")
    index = {c: i for i, c in enumerate(f.get("categories", []))}
    for i, r in enumerate(rows):
        v = r[f["name"]]
        if v in ("", "NA"):
            continue
        # unseen categories are the plan's "other" bucket, right after its categories
        X[i, j] = index.get(v, len(index)) if cat else float(v)
d = xgb.DMatrix(X, feature_names=[f["name"] for f in feats], feature_types=types,
                enable_categorical=True)
b = xgb.Booster()
b.load_model(mdir + "/model.xgb.json")
p = b.predict(d)
want = np.array([float(r["probability"]) for r in csv.DictReader(open(scored))])
assert len(p) == len(want) == 9857, (len(p), len(want))
diff = float(np.max(np.abs(p - want)))
print("xgboost max |difference|", diff, file=sys.stderr)
sys.exit(0 if diff <= 1e-6 else 1)
PY

# --- a directory holding only an XGBoost model (trained by xgboost itself) scores on raw values ---
mkdir "$TMP/xgb_only"
$PY - "$ROOT/data/lending_club.csv" "$TMP/numeric.csv" "$TMP/xgb_only/booster.json" \
    "$TMP/xgb_pred.csv" <<'PY' || die "training the reference XGBoost model failed"
import csv, sys
import numpy as np, xgboost as xgb
data, out_csv, model, pred = sys.argv[1:5]
cols = ["funded_amnt", "int_rate", "annual_inc", "revol_util", "all_util"]
rows = list(csv.DictReader(open(data)))
X = np.array([[float(r[c]) if r[c] not in ("", "NA") else np.nan for c in cols] for r in rows])
y = np.array([r["Class"] == "bad" for r in rows], dtype=float)
b = xgb.train({"objective": "binary:logistic", "max_depth": 3, "eta": 0.1, "tree_method": "hist"},
              xgb.DMatrix(X, label=y, feature_names=cols), num_boost_round=30)
b.save_model(model)
p = b.predict(xgb.DMatrix(X, feature_names=cols))
with open(out_csv, "w", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        w.writerow([r[c] for c in cols])
with open(pred, "w") as f:
    f.write("probability\n" + "".join(repr(float(v)) + "\n" for v in p))
PY
expect_rc 0 "$LENDLAB" --batch predict --model "$TMP/xgb_only" --input "$TMP/numeric.csv" \
    --output "$TMP/xgb_scored.csv"
$PY - "$TMP/xgb_scored.csv" "$TMP/xgb_pred.csv" <<'PY' || die "imported XGBoost model scores differently"
import csv, sys
a = [float(r["probability"]) for r in csv.DictReader(open(sys.argv[1]))]
b = [float(r["probability"]) for r in csv.DictReader(open(sys.argv[2]))]
assert len(a) == len(b) == 9857
diff = max(abs(x - y) for x, y in zip(a, b))
print("imported model max |difference|", diff, file=sys.stderr)
sys.exit(0 if diff <= 1e-6 else 1)
PY
head -2 "$TMP/xgb_scored.csv" | tail -1 | grep -Eq ',(0|1)$' || die "imported labels are not 0/1"
