#!/usr/bin/python3
"""Writes a synthetic tracking store for bench/store.sh in MLflow's FileStore layout:
N runs (default 10,000) in one experiment, each with 20 params, 10 metrics of 200 steps
(lines "<ms> <value> <step>") and MLflow's usual tags. Deterministic (seeded).

Usage: gen_store.py DIR [N]
"""
import os
import random
import sys


def main():
    root = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rng = random.Random(20240501)
    exp = "612345678901234567"
    absroot = os.path.abspath(root)
    os.makedirs(os.path.join(root, ".trash"), exist_ok=True)
    os.makedirs(os.path.join(root, "0"), exist_ok=True)
    with open(os.path.join(root, "0", "meta.yaml"), "w") as f:
        f.write(f"artifact_location: file://{absroot}/0\ncreation_time: 1714471200000\n"
                "experiment_id: '0'\nlast_update_time: 1714471200000\n"
                "lifecycle_stage: active\nname: Default\n")
    ed = os.path.join(root, exp)
    os.makedirs(ed, exist_ok=True)
    with open(os.path.join(ed, "meta.yaml"), "w") as f:
        f.write(f"artifact_location: file://{absroot}/{exp}\ncreation_time: 1714557600000\n"
                f"experiment_id: '{exp}'\nlast_update_time: 1714557600000\n"
                "lifecycle_stage: active\nname: bench\n")
    metrics = ["auc", "ks", "logloss", "pr_auc", "gini", "brier", "accuracy", "f1",
               "valid_auc", "valid_logloss"]
    models = ["gbdt", "forest", "logreg"]
    t0 = 1714557600000
    for i in range(n):
        rid = "%032x" % rng.getrandbits(128)
        rd = os.path.join(ed, rid)
        for sub in ("params", "metrics", "tags", "artifacts"):
            os.makedirs(os.path.join(rd, sub))
        start = t0 + i * 60000
        name = f"run-{i:05d}"
        with open(os.path.join(rd, "meta.yaml"), "w") as f:
            f.write(f"artifact_uri: file://{absroot}/{exp}/{rid}/artifacts\n"
                    f"end_time: {start + 45000}\nentry_point_name: ''\n"
                    f"experiment_id: '{exp}'\nlifecycle_stage: active\nrun_id: {rid}\n"
                    f"run_name: {name}\nrun_uuid: {rid}\nsource_name: ''\nsource_type: 4\n"
                    f"source_version: ''\nstart_time: {start}\nstatus: 3\ntags: []\n"
                    "user_id: bench\n")
        params = {"model": models[i % 3], "learning_rate": rng.choice([0.03, 0.05, 0.1, 0.2]),
                  "max_depth": rng.randint(2, 10), "n_estimators": rng.choice([100, 200, 400])}
        for p in range(len(params), 20):
            params[f"p{p:02d}"] = round(rng.random(), 6)
        for k, v in params.items():
            with open(os.path.join(rd, "params", k), "w") as f:
                f.write(str(v))
        for m in metrics:
            final = rng.uniform(0.6, 0.8) if m not in ("logloss", "brier", "valid_logloss") \
                else rng.uniform(0.15, 0.25)
            first = final * 0.8
            with open(os.path.join(rd, "metrics", m), "w") as f:
                f.write("".join(f"{start + 1000 + s * 200} {first + (final - first) * s / 199!r} {s}\n"
                                for s in range(200)))
        for k, v in (("mlflow.runName", name), ("mlflow.user", "bench"),
                     ("mlflow.source.name", "lendlab"), ("mlflow.source.type", "LOCAL")):
            with open(os.path.join(rd, "tags", k), "w") as f:
                f.write(v)


if __name__ == "__main__":
    main()
