#!/usr/bin/python3
"""Cross-check lendlab's gradient boosting against XGBoost (Debian's python3-xgboost 1.7).
Run with /usr/bin/python3; tests/test_gbdt.c calls it and skips when xgboost is missing.

  xgb_check.py score MODEL.json ROWS.csv [TOL]
      MODEL.json: a model lendlab exported with ll_gbdt_export_xgboost. ROWS.csv: the model's
      features (categorical ones as lendlab category indexes; empty = missing) and a last
      column "lendlab_p". Loads the model with xgboost.Booster, scores the rows (categoricals
      as pandas category dtype in lendlab's category order) and prints the largest absolute
      difference; exits 1 when it exceeds TOL (default 1e-6).
  xgb_check.py train MODEL.json ROWS.csv
      Trains a small numeric binary:logistic model with XGBoost on seeded synthetic data with
      missing values, saves it as JSON and writes the scoring rows (including values on and
      just below every split threshold) with XGBoost's probabilities in a last column "xgb_p".
  xgb_check.py fidelity MODEL.json DATA.csv 'PARAMS-JSON'
      Writes seeded integer-coded data (f0..f4 numeric 0..15, f5 categorical with 3 and f6
      with 12 categories, 10% missing; last column y) and trains XGBoost hist on it with the
      given parameters. Each distinct value is its own XGBoost bin, so lendlab fitting the
      same codes as bins (cuts k + 1) must grow the same trees."""
import sys

import numpy as np
import pandas as pd
import xgboost as xgb


def score(model_path, rows_path, tol):
    booster = xgb.Booster(model_file=model_path)
    names = booster.feature_names
    types = booster.feature_types or ["float"] * len(names)
    df = pd.read_csv(rows_path, keep_default_na=True)
    want = df.pop("lendlab_p").to_numpy(dtype=np.float64)
    X = pd.DataFrame(index=df.index)
    for name, kind in zip(names, types):
        col = pd.to_numeric(df[name], errors="coerce")
        if kind == "c":
            codes = col.fillna(-1).astype(int).to_numpy()
            X[name] = pd.Categorical.from_codes(codes, categories=list(range(256)))
        else:
            X[name] = col.astype(np.float64)
    got = booster.predict(xgb.DMatrix(X, enable_categorical=True))
    diff = float(np.max(np.abs(got.astype(np.float64) - want))) if len(want) else 0.0
    print(f"rows {len(want)} max_abs_diff {diff:.3g}")
    return 0 if diff <= tol else 1


def train(model_path, rows_path):
    rng = np.random.default_rng(20240601)
    n, p = 3000, 5
    X = rng.normal(size=(n, p)).astype(np.float32).astype(np.float64)
    X[:, 3] = np.round(X[:, 3] * 4)  # a coarse feature with ties
    logit = 1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + rng.normal(size=n)
    y = (logit > 0.3).astype(np.float64)
    X[rng.random(size=(n, p)) < 0.1] = np.nan
    names = [f"x{i}" for i in range(p)]
    d = xgb.DMatrix(X, label=y, feature_names=names)
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 4,
              "eta": 0.3, "lambda": 2.0, "alpha": 0.1, "base_score": 0.3, "seed": 1}
    booster = xgb.train(params, d, 25)
    booster.save_model(model_path)
    # scoring rows: the data, then rows sitting on and just below each numeric threshold
    extra = []
    for tree in booster.trees_to_dataframe().itertuples():
        if tree.Feature != "Leaf" and not np.isnan(tree.Split):
            thr = float(np.float32(tree.Split))
            for v in (thr, np.nextafter(thr, -np.inf), float(np.nextafter(np.float32(thr), np.float32(-np.inf)))):
                row = np.full(p, np.nan)
                row[names.index(tree.Feature)] = v
                extra.append(row)
    rows = np.vstack([X[:500], np.array(extra)])
    prob = booster.predict(xgb.DMatrix(rows, feature_names=names))
    out = pd.DataFrame(rows, columns=names)
    out["xgb_p"] = prob.astype(np.float64)
    with open(rows_path, "w") as f:
        f.write(",".join(out.columns) + "\n")
        for r in out.itertuples(index=False):
            f.write(",".join("" if np.isnan(v) else repr(float(v)) for v in r) + "\n")
    print(f"trained {booster.num_boosted_rounds()} trees, {len(rows)} rows")
    return 0


def fidelity(model_path, data_path, params_json):
    import json
    extra = json.loads(params_json)
    rng = np.random.default_rng(int(extra.pop("data_seed", 5)))
    n, p = 5000, 7
    X = rng.integers(0, 16, size=(n, p)).astype(float)
    X[:, 5] = rng.integers(0, 3, size=n)
    X[:, 6] = rng.integers(0, 12, size=n)
    z = (0.3 * (X[:, 0] - 7.5) - 0.2 * (X[:, 1] - 7.5) + 0.5 * (X[:, 2] > 10)
         + np.isin(X[:, 6], [1, 4, 7, 9]) * 1.0 - (X[:, 5] == 1) * 0.8 + rng.normal(size=n))
    X[rng.random((n, p)) < 0.1] = np.nan
    y = (z > 0.5).astype(float)
    names = [f"f{i}" for i in range(p)]
    out = pd.DataFrame(np.column_stack([X, y]), columns=names + ["y"])
    out.to_csv(data_path, index=False, na_rep="", float_format="%.0f")
    df = pd.DataFrame(X, columns=names)
    for c, k in (("f5", 3), ("f6", 12)):
        df[c] = pd.Categorical.from_codes(np.nan_to_num(df[c], nan=-1).astype(int),
                                          categories=list(range(k)))
    rounds = int(extra.pop("rounds", 40))
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_bin": 256,
              "base_score": 0.5, "nthread": 1}
    params.update(extra)
    booster = xgb.train(params, xgb.DMatrix(df, label=y, enable_categorical=True), rounds)
    booster.save_model(model_path)
    print(f"trained {rounds} trees")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "fidelity":
        sys.exit(fidelity(sys.argv[2], sys.argv[3], sys.argv[4]))
    if len(sys.argv) >= 4 and sys.argv[1] == "score":
        sys.exit(score(sys.argv[2], sys.argv[3], float(sys.argv[4]) if len(sys.argv) > 4 else 1e-6))
    if len(sys.argv) == 4 and sys.argv[1] == "train":
        sys.exit(train(sys.argv[2], sys.argv[3]))
    sys.exit(__doc__)
