#!/usr/bin/env python3
# Tested with: Python 3.11.7, scikit-learn 1.9.1, numpy 2.4.6 (scipy 1.17.1, threadpoolctl 3.8.0).
"""scikit-learn peer for `training-benchmark`.

This is the scikit-learn side of the side-by-side comparison with the Swift
trainer. Both sides run on the same files and the same train/validation
splits, so quality and throughput numbers are directly comparable.

Subcommands (stdout carries JSON lines only; diagnostics go to stderr):

  export OUTDIR       Write iris/wine/breast_cancer/diabetes CSVs from the
                      loaders bundled with scikit-learn (no network), plus
                      OUTDIR/manifest.json.
  quality OUTDIR      Train on the `train` rows of each CSV, evaluate on the
                      `validation` rows, print one line per (dataset, estimator).
  throughput ...      Time fitting on raw float32/int32 files (see --help).
"""
import argparse
import csv
import json
import os
import re
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.metrics import (accuracy_score, f1_score, log_loss, mean_absolute_error,
                             mean_squared_error, r2_score, roc_auc_score)
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

warnings.simplefilter("ignore", ConvergenceWarning)
# batch_size=200 exceeds the small training sets (iris, wine): sklearn clips it to full batch.
warnings.filterwarnings("ignore", message="Got `batch_size` less than 1")

TEST_SIZE, RANDOM_STATE = 0.2, 42
UCI_NOTE = ("UCI Machine Learning Repository (CC BY 4.0 at UCI), as bundled with "
            "scikit-learn (BSD-3-Clause package); public data.")
DATASETS = [  # (name, loader, task, licence/source note)
    ("iris", datasets.load_iris, "classification",
     "Iris (Fisher, 1936). " + UCI_NOTE),
    ("wine", datasets.load_wine, "classification",
     "Wine (Forina et al.). " + UCI_NOTE),
    ("breast_cancer", datasets.load_breast_cancer, "classification",
     "Breast Cancer Wisconsin (Diagnostic) (Wolberg, Street, Mangasarian). " + UCI_NOTE),
    ("diabetes", lambda: datasets.load_diabetes(scaled=False), "regression",
     "Diabetes (Efron, Hastie, Johnstone, Tibshirani, 2004, 'Least Angle Regression'), "
     "unscaled, as bundled with scikit-learn (BSD-3-Clause package); the original "
     "authors publish the data without stating a separate licence."),
]


def emit(obj):
    print(json.dumps(obj), flush=True)


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def sanitise(names):
    """Lowercase [a-z0-9_] names, repeats collapsed, unique, not 'target'/'split'."""
    taken, out = {"target", "split"}, []
    for i, name in enumerate(names):
        base = re.sub(r"_+", "_", re.sub(r"[^a-z0-9_]", "_", str(name).lower())).strip("_")
        base = base or f"feature_{i}"
        cand, k = base, 2
        while cand in taken:
            cand, k = f"{base}_{k}", k + 1
        taken.add(cand)
        out.append(cand)
    return out


def split_mask(n):
    """True for validation rows: train_test_split of the row indices, not stratified."""
    _, val_idx = train_test_split(np.arange(n), test_size=TEST_SIZE, random_state=RANDOM_STATE)
    mask = np.zeros(n, dtype=bool)
    mask[val_idx] = True
    return mask


def cmd_export(outdir):
    os.makedirs(outdir, exist_ok=True)
    manifest = []
    for name, loader, task, note in DATASETS:
        bunch = loader()
        X, y = np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)
        features = sanitise(bunch.feature_names)
        classes = [str(c) for c in bunch.target_names] if task == "classification" else None
        is_val = split_mask(len(X))
        with open(os.path.join(outdir, f"{name}.csv"), "w", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(features + ["target", "split"])
            for row, t, v in zip(X, y, is_val):
                target = classes[int(t)] if classes else repr(float(t))
                w.writerow([repr(float(x)) for x in row] + [target, "validation" if v else "train"])
        entry = {"name": name, "file": f"{name}.csv", "task": task, "target": "target",
                 "features": features, "rows": len(X), "licence": note}
        if classes:
            entry["classes"] = classes
        entry["split"] = {"column": "split", "method": "sklearn.model_selection.train_test_split",
                          "test_size": TEST_SIZE, "random_state": RANDOM_STATE, "stratify": None}
        manifest.append(entry)
        emit({"event": "exported", "dataset": name, "rows": len(X), "features": len(features)})
    with open(os.path.join(outdir, "manifest.json"), "w") as fh:
        json.dump({"datasets": manifest}, fh, indent=2)
        fh.write("\n")


def read_csv(path, task):
    with open(path, newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    t_col, s_col = header.index("target"), header.index("split")
    f_cols = [i for i in range(len(header)) if i not in (t_col, s_col)]
    X = np.array([[float(r[i]) for i in f_cols] for r in body], dtype=np.float64)
    y = np.array([r[t_col] for r in body])
    if task == "regression":
        y = y.astype(np.float64)
    is_train = np.array([r[s_col] == "train" for r in body])
    is_val = np.array([r[s_col] == "validation" for r in body])
    return X[is_train], y[is_train], X[is_val], y[is_val]


def quality_estimators(task, n_classes):
    if task == "classification":
        return [
            ("logistic_regression" if n_classes == 2 else "softmax_regression",
             LogisticRegression(max_iter=5000)),
            ("mlp", MLPClassifier(hidden_layer_sizes=(100,), activation="relu", solver="adam",
                                  alpha=0.0001, batch_size=200, learning_rate_init=0.001,
                                  max_iter=200, random_state=RANDOM_STATE)),
        ]
    return [
        ("linear_regression", LinearRegression()),
        ("ridge", Ridge(alpha=1.0)),
        ("mlp", MLPRegressor(hidden_layer_sizes=(100,), max_iter=2000,
                             learning_rate_init=0.001, random_state=RANDOM_STATE)),
    ]


def cmd_quality(outdir):
    with open(os.path.join(outdir, "manifest.json")) as fh:
        manifest = json.load(fh)["datasets"]
    for ds in manifest:
        task = ds["task"]
        Xtr, ytr, Xva, yva = read_csv(os.path.join(outdir, ds["file"]), task)
        n_classes = len(ds.get("classes") or np.unique(ytr)) if task == "classification" else 0
        for algorithm, model in quality_estimators(task, n_classes):
            pipe = Pipeline([("scale", StandardScaler()), ("model", model)])
            start = time.perf_counter()
            pipe.fit(Xtr, ytr)
            seconds = time.perf_counter() - start
            pred = pipe.predict(Xva)
            if task == "classification":
                proba = pipe.predict_proba(Xva)
                labels = pipe.classes_
                metrics = {"accuracy": accuracy_score(yva, pred),
                           "macro_f1": f1_score(yva, pred, average="macro")}
                if len(labels) == 2:  # AUC is symmetric in the choice of positive class
                    metrics["roc_auc"] = roc_auc_score(yva == labels[1], proba[:, 1])
                metrics["log_loss"] = log_loss(yva, proba, labels=labels)
            else:
                metrics = {"r2": r2_score(yva, pred), "mse": mean_squared_error(yva, pred),
                           "mae": mean_absolute_error(yva, pred)}
            emit({"event": "quality", "dataset": ds["name"], "algorithm": algorithm,
                  "estimator": type(model).__name__,
                  "metrics": {k: float(v) for k, v in metrics.items()},
                  "seconds": seconds, "train_rows": len(Xtr), "validation_rows": len(Xva)})


def blas_threads():
    try:
        from threadpoolctl import threadpool_info
        blas = [p for p in threadpool_info() if p.get("user_api") == "blas"]
        if blas:
            return max(p["num_threads"] for p in blas), blas[0].get("internal_api")
    except Exception as exc:  # threadpoolctl missing or failing: fall back
        log(f"threadpoolctl unavailable: {exc}")
    return os.cpu_count(), None


def cmd_throughput(a):
    threads, blas = blas_threads()
    emit({"event": "environment", "sklearn": sklearn.__version__, "numpy": np.__version__,
          "threads": threads, "blas": blas, "cpu_count": os.cpu_count()})
    X = np.fromfile(a.features_file, dtype="<f4")
    y = np.fromfile(a.labels_file, dtype="<i4")
    if X.size != a.rows * a.width or y.size != a.rows:
        sys.exit(f"size mismatch: features {X.size} (want {a.rows * a.width}), labels {y.size} (want {a.rows})")
    if not 0 < a.train_rows < a.rows:
        sys.exit("--train-rows must be between 1 and --rows - 1")
    X = X.reshape(a.rows, a.width)
    T, E = a.train_rows, a.epochs
    Xtr, ytr, Xte, yte = X[:T], y[:T], X[T:], y[T:]
    runs = [
        ("SGDClassifier", "logistic_regression",
         SGDClassifier(loss="log_loss", alpha=0.0001, max_iter=E, tol=None, shuffle=True,
                       random_state=RANDOM_STATE)),
        ("LogisticRegression", "logistic_regression", LogisticRegression(max_iter=1000)),
        ("MLPClassifier", "mlp",
         MLPClassifier(hidden_layer_sizes=(64, 64), activation="relu", solver="adam",
                       alpha=0.0001, batch_size=200, learning_rate_init=0.001, max_iter=E,
                       tol=0, n_iter_no_change=10**9, early_stopping=False, shuffle=True,
                       random_state=RANDOM_STATE)),
    ]
    for estimator, algorithm, model in runs:
        start = time.perf_counter()
        model.fit(Xtr, ytr)
        seconds = time.perf_counter() - start
        epochs = int(np.max(model.n_iter_))  # == E for SGD/MLP (no early stop); lbfgs iterations
        emit({"event": "throughput", "estimator": estimator, "algorithm": algorithm,
              "epochs": epochs, "seconds": seconds, "samples_per_second": T * epochs / seconds,
              "accuracy": float(accuracy_score(yte, model.predict(Xte)))})


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("export", help="write CSVs + manifest.json").add_argument("outdir")
    sub.add_parser("quality", help="train/evaluate on exported CSVs").add_argument("outdir")
    t = sub.add_parser("throughput", help="time fitting on raw binary files")
    t.add_argument("--features-file", required=True, help="little-endian float32, rows x width")
    t.add_argument("--labels-file", required=True, help="little-endian int32 labels (0/1)")
    for flag in ("--rows", "--width", "--train-rows", "--epochs"):
        t.add_argument(flag, type=int, required=True)
    a = p.parse_args(argv)
    if a.cmd == "export":
        cmd_export(a.outdir)
    elif a.cmd == "quality":
        cmd_quality(a.outdir)
    else:
        cmd_throughput(a)


if __name__ == "__main__":
    main()
