#!/usr/bin/python3
"""XGBoost's scoring throughput on a 1M-row file with a 200-tree, depth-6 model (the peer of
lendlab's in-memory gbdt scoring in bench/bench_gbdt.c). The model is fitted on the first
100,000 rows (model size is what matters for scoring), then inplace_predict scores all rows.
Usage: xgb_predict.py FILE.csv [--target Class] [--threads 2]"""
import argparse, json, time
import numpy as np, pandas as pd, xgboost as xgb

ap = argparse.ArgumentParser()
ap.add_argument("file"); ap.add_argument("--target", default="Class")
ap.add_argument("--positive", default="bad"); ap.add_argument("--threads", type=int, default=2)
a = ap.parse_args()
df = pd.read_csv(a.file)
y = (df.pop(a.target).astype(str) == a.positive).astype(int).values
X = pd.get_dummies(df, dtype=np.float32).values
m = xgb.XGBClassifier(n_estimators=200, max_depth=6, learning_rate=0.1, tree_method="hist",
                      nthread=a.threads).fit(X[:100000], y[:100000])
b = m.get_booster()
best = 1e9
for _ in range(3):
    t = time.perf_counter(); b.inplace_predict(X); best = min(best, time.perf_counter() - t)
print(json.dumps({"rows": len(X), "features": X.shape[1], "predict_s": round(best, 3),
                  "rows_per_s": round(len(X) / best)}))
