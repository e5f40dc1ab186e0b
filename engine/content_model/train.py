"""Train the content model on bench/corpora/dev and export models/content.json.

    python -m engine.content_model.train [--out models/content.json] [--folds 5]

Writes the weights and their model card (CONTENT_CARD.md next to them).

Labels: the spam ``label`` of each dev spam message (9 content categories), ``clean`` and
``news``. Features: ``ngrams(prepared(normalize(text), body))`` (as scoring), counted.
Model: multinomial logistic regression, refitted on the ``KEEP`` n-grams with the largest
weights so that the export stays small. The threshold on P(label) is chosen by grouped
cross-validation (messages of one corpus ``note`` - one template - stay in one fold) as the
lowest that keeps out-of-fold false alarms within the targets on clean and news messages of
the types the rules run on (marketing, notification), and also those of the second corpus
author's messages scored by a fit on the first author's alone (new wording is where the model
fails). Only the dev split is read.
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import sklearn
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold

from engine.content_model.card import render_card
from engine.content_model.model import MODEL_FORMAT, ngrams, prepared
from engine.normalize import normalize
from engine.rule_types.context import find_zones

ROOT = Path(__file__).resolve().parent.parent.parent
DEV = ROOT / "bench" / "corpora" / "dev"
FILES = ("clean", "spam", "news")
HAM = ("clean", "news")
ORDERS = (1, 2, 3)
KEEP = 6000  # n-grams kept after the first fit
C = 4.0
TARGET_FA = {"clean": 0.01, "news": 0.02}
# At least 0.6: out-of-fold false alarms are nil from 0.3 up on dev, but text by another author
# is not as kind (one of the 66 hand-written clean notices of tests/data scores fraud 0.503).
MIN_THRESHOLD = 0.6
# measured with bench/content_model.py (re-measure when the model changes)
COST = (
    "Measured with `bench/content_model.py` on 1,903 dev marketing/notification messages cut to\n"
    "70 characters, CPU time, on a shared 2-core machine under load (check() ran at 2,600-2,850\n"
    "msg/s there): `model.score` 40-65 µs per message (one automaton pass over ~110 n-gram\n"
    "matches), the 9 rules together 80-150 µs inside check(): 2,586 -> 1,877 msg/s. Over the\n"
    "20 µs budget; the evidence window (about 0.5 ms) is computed only when a rule fires.\n"
    "Weights file 0.57 MB (6,000 n-grams); loaded once per process (cached by path and mtime)."
)
TYPES = ("marketing", "notification")  # the types the model rules run on


class Sample:
    """One dev message: prepared text, label, group, type and true categories."""

    __slots__ = ("author", "categories", "group", "label", "text", "type")

    def __init__(self, row: dict[str, Any], corpus: str) -> None:
        norm = normalize(row["text"])
        self.text = prepared(norm, find_zones(row["text"], norm).body)[0]
        self.label = str(row["label"])
        self.group = f"{corpus}:{row.get('note') or row['id']}"
        self.type = str(row["type"])
        self.categories = frozenset(row.get("categories") or ())
        self.author = author_of(str(row["id"]))


def author_of(sample_id: str) -> str:
    """The writing round of a corpus id: the letter after the corpus name (spam-g12 -> g).

    Rounds d and f were written by one author, g by another who never saw the rules; the
    next rounds get later letters (bench/corpora/README.md).
    """
    tail = sample_id.partition("-")[2]
    return "g+" if tail[:1] >= "g" else "d-f"


def load_dev(root: Path = DEV) -> tuple[list[Sample], str]:
    """The dev samples and the sha256 of the files they came from."""
    digest = hashlib.sha256()
    samples: list[Sample] = []
    for name in FILES:
        raw = (root / f"{name}.jsonl").read_bytes()
        digest.update(raw)
        samples.extend(Sample(orjson.loads(line), name) for line in raw.splitlines() if line)
    return samples, digest.hexdigest()


def _vectorizer(vocab: list[str] | None = None) -> CountVectorizer:
    return CountVectorizer(analyzer=_analyzer, vocabulary=vocab)


def _analyzer(text: str) -> list[str]:
    return ngrams(text, ORDERS)


def fit(samples: list[Sample], labels: list[str]) -> dict[str, Any]:
    """Fit, prune to KEEP n-grams, refit; return the weights as plain data."""
    texts = [s.text for s in samples]
    y = np.array([labels.index(s.label) for s in samples])
    vec = _vectorizer()
    x = vec.fit_transform(texts)
    first = LogisticRegression(C=C, max_iter=3000).fit(x, y)
    strength = np.abs(first.coef_).max(axis=0)
    keep = np.sort(np.argsort(-strength, kind="stable")[:KEEP])
    names = vec.get_feature_names_out()
    vocab = [str(names[i]) for i in keep]
    xk = csr_matrix(x[:, keep])
    final = LogisticRegression(C=C, max_iter=3000).fit(xk, y)
    order = [int(np.where(final.classes_ == i)[0][0]) for i in range(len(labels))]
    coef = final.coef_[order]
    return {
        "labels": labels,
        "orders": list(ORDERS),
        "bias": [round(float(b), 4) for b in final.intercept_[order]],
        "weights": {g: [round(float(w), 4) for w in coef[:, j]] for j, g in enumerate(vocab)},
    }


def _probs(weights: dict[str, Any], texts: list[str]) -> np.ndarray:
    from engine.content_model.model import model_from_dict

    model = model_from_dict({**weights, "format": MODEL_FORMAT, "thresholds": {}})
    return np.array([model.score_text(t) for t in texts])


def cross_validate(samples: list[Sample], labels: list[str], folds: int) -> np.ndarray:
    """Out-of-fold probabilities, folds grouped by template (corpus note)."""
    out = np.zeros((len(samples), len(labels)))
    groups = [s.group for s in samples]
    for train_idx, test_idx in GroupKFold(n_splits=folds).split(samples, groups=groups):
        weights = fit([samples[i] for i in train_idx], labels)
        out[test_idx] = _probs(weights, [samples[i].text for i in test_idx])
    return out


def predictions(probs: np.ndarray, labels: list[str], threshold: float) -> list[str | None]:
    """The spam label each message would be flagged with (None: not flagged)."""
    spam = [i for i, name in enumerate(labels) if name not in HAM]
    out: list[str | None] = []
    for row in probs:
        best = max(spam, key=lambda i: row[i])
        out.append(labels[best] if row[best] >= threshold else None)
    return out


def figures(samples: list[Sample], labels: list[str], pred: list[str | None]) -> dict[str, Any]:
    """False-alarm rates on ham (types the rules run on) and precision/recall per label."""
    fa: dict[str, float] = {}
    for ham in HAM:
        idx = [i for i, s in enumerate(samples) if s.label == ham and s.type in TYPES]
        fa[ham] = sum(pred[i] is not None for i in idx) / max(1, len(idx))
    per: dict[str, dict[str, float]] = {}
    spam_labels = [name for name in labels if name not in HAM]
    for name in spam_labels:
        flagged = [i for i, p in enumerate(pred) if p == name]
        right = sum(name in samples[i].categories for i in flagged)
        total = sum(s.label == name for s in samples)
        hit = sum(pred[i] == name for i, s in enumerate(samples) if s.label == name)
        per[name] = {
            "n": total,
            "flagged": len(flagged),
            "precision": round(right / len(flagged), 3) if flagged else 0.0,
            "recall": round(hit / total, 3) if total else 0.0,
        }
    spam_idx = [i for i, s in enumerate(samples) if s.label not in HAM]
    caught = sum(pred[i] is not None for i in spam_idx) / len(spam_idx)
    exact = sum(pred[i] == samples[i].label for i in spam_idx) / len(spam_idx)
    return {
        "false_alarms": {k: round(v, 4) for k, v in fa.items()},
        "spam_flagged": round(caught, 3),
        "spam_right_label": round(exact, 3),
        "per_label": per,
    }


def cross_author(samples: list[Sample], labels: list[str]) -> tuple[list[Sample], np.ndarray]:
    """Fit on the first author's rounds, score the other author's: how new wording fares."""
    train_idx = [i for i, s in enumerate(samples) if s.author == "d-f"]
    test = [s for s in samples if s.author != "d-f"]
    if not train_idx or not test:
        return [], np.zeros((0, len(labels)))
    weights = fit([samples[i] for i in train_idx], labels)
    return test, _probs(weights, [s.text for s in test])


def pick_threshold(
    samples: list[Sample],
    labels: list[str],
    probs: np.ndarray,
    also: tuple[list[Sample], np.ndarray] = ([], np.zeros((0, 0))),
) -> float:
    """The lowest threshold whose out-of-fold false alarms meet TARGET_FA, and those of the
    other author's messages scored by a fit on the first author's (``also``), if any."""
    checks = [(samples, probs)] + ([also] if also[0] else [])
    for t in [x / 100 for x in range(round(MIN_THRESHOLD * 100), 100)]:
        ok = True
        for group, p in checks:
            fa = figures(group, labels, predictions(p, labels, t))["false_alarms"]
            ok = ok and all(fa[k] <= v for k, v in TARGET_FA.items())
        if ok:
            return t
    return 0.99


def train(folds: int = 5, root: Path = DEV) -> dict[str, Any]:
    """Cross-validate, pick the threshold, fit on all of dev; return the exportable model."""
    samples, data_hash = load_dev(root)
    counts = Counter(s.label for s in samples)
    labels = sorted(k for k in counts if k not in HAM) + list(HAM)
    oof = cross_validate(samples, labels, folds)
    held_samples, held_probs = cross_author(samples, labels)
    threshold = pick_threshold(samples, labels, oof, (held_samples, held_probs))
    cv = figures(samples, labels, predictions(oof, labels, threshold))
    curve = {}
    for t in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        f = figures(samples, labels, predictions(oof, labels, t))
        curve[str(t)] = {"false_alarms": f["false_alarms"], "spam_flagged": f["spam_flagged"]}
    held_out_author: dict[str, Any] = {}
    if held_samples:
        held_out_author = {
            "trained_on": "d-f",
            "tested_on": "g+",
            "n": len(held_samples),
            "threshold": threshold,
            **figures(held_samples, labels, predictions(held_probs, labels, threshold)),
        }
    weights = fit(samples, labels)
    insample = figures(
        samples, labels, predictions(_probs(weights, [s.text for s in samples]), labels, threshold)
    )
    return {
        "format": MODEL_FORMAT,
        **weights,
        "thresholds": {name: threshold for name in labels if name not in HAM},
        "training": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "sklearn": sklearn.__version__,
            "data": "bench/corpora/dev/{clean,spam,news}.jsonl",
            "data_sha256": data_hash,
            "counts": dict(sorted(counts.items())),
            "model": f"LogisticRegression(C={C}, multinomial, lbfgs), counted char n-grams "
            f"{ORDERS} of the skeleton (digits as 0), top {KEEP} by max |weight|, refitted",
            "cv": {
                "folds": folds,
                "grouped_by": "corpus + note (template)",
                "threshold": threshold,
                **cv,
            },
            "cv_curve": curve,
            "cross_author": held_out_author,
            "in_sample": insample,
            "targets": TARGET_FA,
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: train and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "content.json")
    ap.add_argument("--folds", type=int, default=5)
    args = ap.parse_args(argv)
    model = train(args.folds)
    args.out.write_bytes(orjson.dumps(model))
    card = args.out.with_name("CONTENT_CARD.md")
    card.write_text(render_card(model, COST), encoding="utf-8")
    info = model["training"]
    print(
        orjson.dumps(
            {"cv": info["cv"], "in_sample": info["in_sample"]}, option=orjson.OPT_INDENT_2
        ).decode()
    )
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.2f} MB, {len(model['weights'])} n-grams)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
