"""Train the content model on bench/corpora/dev and export models/content.json.

    python -m engine.content_model.train [--out models/content.json] [--folds-dir DIR]

Writes the weights and their model card (CONTENT_CARD.md next to them).

Labels: the spam ``label`` of each dev spam message (9 content categories), ``clean`` and
``news``. Features: ``ngrams(prepared(normalize(text), body))`` (as scoring), counted.
Model: multinomial logistic regression, refitted on the ``KEEP`` n-grams with the largest
weights so that the export stays small. Thresholds, one per label, come from leave-one-author-
out scores (each corpus author's messages scored by a fit on the other authors'; new wording
is where the model fails), never from the final fit: for each label the lowest that keeps its
false alarms on clean and news messages of the types the rules run on (marketing,
notification) within its share of the targets. Only the dev split is read, plus
``models/content_ham.jsonl``: clean marketing copy from the engagement simulator's copy space
(coupons, deadlines, 点击链接领取), which no corpus author wrote and the dev-only fit flagged as
fraud (170 of 400 simulated drafts). Those messages are always in training, in every fold,
and never in the threshold budgets or the figures: the dev authors alone judge the model.

    python -m engine.content_model.train --write-ham   # regenerate models/content_ham.jsonl
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

from engine.content_model.card import render_card
from engine.content_model.model import MODEL_FORMAT, ngrams, prepared
from engine.normalize import normalize
from engine.rule_types.context import find_zones

ROOT = Path(__file__).resolve().parent.parent.parent
DEV = ROOT / "bench" / "corpora" / "dev"
HAM_FILE = ROOT / "models" / "content_ham.jsonl"
HAM_AUTHOR = "+"  # never held out, never judged
HAM_SEED, HAM_CAMPAIGNS = 7, 200  # test suites simulate with seeds 0-3: a different draw
HAM_COPY = "base"  # the copy space the file was drawn from ("wide" came later, untrained on)
FILES = ("clean", "spam", "news")
HAM = ("clean", "news")
ORDERS = (1, 2, 3)
KEEP = 6000  # n-grams kept after the first fit
C = 4.0
TARGET_FA = {"clean": 0.01, "news": 0.02}
# At least 0.6: text by yet another writer scores higher than the corpus's own. Of the 77
# hand-written clean notices of tests/data none reaches 0.6 under the 2026-12-05 fit, but two
# reach 0.59 (absolute_claim) and 0.58 (pornography). Out of author, 8 of the 9 labels
# already meet their share of the targets at 0.6 (they would at 0.5 too, see the card).
MIN_THRESHOLD = 0.6
# measured with bench/content_model.py (re-measure when the model changes)
COST = (
    "Measured with `bench/content_model.py` on 8,993 dev marketing/notification messages cut to\n"
    "70 characters, CPU time, best of 5, two runs each, on a shared 2-core machine under load\n"
    "(2026-12-05, model reading links -> this one, links masked): `model.score` 25.9 / 20.3 ->\n"
    "30.2 / 22.7 µs per message (alone it finds the links itself: one regex scan), the 8 rules\n"
    "together inside check(), which reuse the links the link rules found, 53.1 / 34.0 -> 47.8 /\n"
    "29.6 µs. `bench/interleaved.py --base main` (check(), same rules): new/base 1.009, 0.986,\n"
    "1.005, 1.016 (216.3 -> 219.7 µs per message on the quietest run): no measurable change.\n"
    "Over the 20 µs budget; the evidence window (about 0.5 ms) is computed only when a rule\n"
    "fires. Weights file 0.58 MB (6,000 n-grams, the same size as before); loaded once per\n"
    "process (cached by path and mtime)."
)
# measured with bench/content_model.py --system --folds DIR (re-measure when the model changes)
SYSTEM = (
    "The whole checker (`rules/`, as `bench/detection.py` counts: main-category recall on spam,\n"
    "content findings of severity warn or block on clean and news, every type) per dev round,\n"
    "with `bench/content_model.py --system --folds DIR`. *Held-out model*: that round scored\n"
    "with the fit that never saw it (at the thresholds above); *+ links read*: the same recipe\n"
    "before links were masked (the model of 2026-12-05 15:23, its held-out fits refitted).\n"
    "Rules were written on all of dev, so the rules-only column is not a held-out figure.\n"
    "False alarms as rules only / with the held-out model.\n"
    "\n"
    "| round | spam | rules only | + held-out model | + links read | FA clean | FA news |\n"
    "|---|---:|---:|---:|---:|---:|---:|\n"
    "| d | 374 | 0.995 | 1.000 | 1.000 | 0.00% / 0.35% | 0.00% / 0.00% |\n"
    "| f | 503 | 0.992 | 0.992 | 0.992 | 0.00% / 0.00% | 0.00% / 0.00% |\n"
    "| g | 504 | 0.946 | 0.990 | 0.990 | 0.00% / 0.47% | 0.00% / 0.00% |\n"
    "| h | 500 | 0.900 | 0.976 | 0.976 | 0.22% / 0.22% | 0.00% / 0.00% |\n"
    "| i | 500 | 0.916 | 0.986 | 0.988 | 0.00% / 0.00% | 0.00% / 0.00% |\n"
    "| j | 500 | 0.920 | 0.994 | 0.996 | 0.00% / 0.00% | 0.00% / 0.00% |\n"
    "| k | 500 | 0.712 | 0.892 | 0.874 | 1.11% / 1.56% | 0.33% / 0.33% |\n"
    "| m | 500 | 0.820 | 0.972 | 0.968 | 0.22% / 0.22% | 0.00% / 0.00% |\n"
    "| all | 3,881 | 0.897 | 0.974 | 0.972 | 0.21% / 0.35% | 0.05% / 0.05% |\n"
    "\n"
    "With links read, the held-out fits' clean false alarms were 0.38% (f 0.48%, d 0.00%).\n"
    "The k false alarms without the model come from the rules. With the shipped model\n"
    "(trained on all of dev, so in sample) dev reads 0.996; that figure means nothing."
)
TYPES = ("marketing", "notification")  # the types the model rules run on


class Sample:
    """One dev message: prepared text, label, author, type and true categories."""

    __slots__ = ("author", "categories", "label", "text", "type")

    def __init__(self, row: dict[str, Any]) -> None:
        norm = normalize(row["text"])
        self.text = prepared(norm, find_zones(row["text"], norm).body)[0]
        self.label = str(row["label"])
        self.type = str(row["type"])
        self.categories = frozenset(row.get("categories") or ())
        self.author = author_of(str(row["id"]))


def author_of(sample_id: str) -> str:
    """The writing round of a corpus id: the letter after the corpus name (spam-g12 -> g).

    Each round (d, f, g, h, i, j, k, ...) was written by a corpus author who did not see the
    rules; rounds d and f share one author (bench/corpora/README.md).
    """
    return sample_id.partition("-")[2][:1]


def load_dev(root: Path = DEV) -> tuple[list[Sample], str]:
    """The dev samples and the sha256 of the files they came from."""
    digest = hashlib.sha256()
    samples: list[Sample] = []
    for name in FILES:
        raw = (root / f"{name}.jsonl").read_bytes()
        digest.update(raw)
        samples.extend(Sample(orjson.loads(line)) for line in raw.splitlines() if line)
    return samples, digest.hexdigest()


def load_ham(path: Path = HAM_FILE) -> tuple[list[Sample], str]:
    """The extra clean copy (``author`` HAM_AUTHOR) and the sha256 of its file."""
    raw = path.read_bytes()
    rows = (orjson.loads(line) for line in raw.splitlines() if line)
    samples = [Sample({**row, "id": f"ham-{HAM_AUTHOR}"}) for row in rows]
    return samples, hashlib.sha256(raw).hexdigest()


def simulated_ham() -> bytes:
    """The extra clean copy as JSON lines: every distinct draft of a simulation (seed
    HAM_SEED) from ``engine.score.simulate``'s copy space."""
    from engine.score.simulate import simulate

    seen: dict[str, str] = {}
    sim = simulate(campaigns=HAM_CAMPAIGNS, sends=10, seed=HAM_SEED, copy_space=HAM_COPY)
    for v in sim.variants:
        seen.setdefault(v.message.text, v.message.type)
    return b"".join(
        orjson.dumps({"text": t, "type": k, "label": "clean"}) + b"\n" for t, k in seen.items()
    )


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


def loao(
    samples: list[Sample], labels: list[str], extra: list[Sample] | None = None
) -> tuple[np.ndarray, dict[str, dict[str, Any]]]:
    """Leave one author out: each author's messages scored by a fit on the other authors'
    (and on ``extra``, which every fold trains on and none scores).

    Returns the out-of-author probabilities (one row per sample) and each fold's weights
    (author -> the fit that never saw that author's messages)."""
    out = np.zeros((len(samples), len(labels)))
    fits: dict[str, dict[str, Any]] = {}
    for author in sorted({s.author for s in samples}):
        train_idx = [i for i, s in enumerate(samples) if s.author != author]
        test_idx = [i for i, s in enumerate(samples) if s.author == author]
        fits[author] = fit([samples[i] for i in train_idx] + list(extra or ()), labels)
        out[test_idx] = _probs(fits[author], [samples[i].text for i in test_idx])
    return out, fits


def flagged(
    probs: np.ndarray, labels: list[str], thresholds: dict[str, float]
) -> list[frozenset[str]]:
    """The spam labels each message would be flagged with: every label whose probability
    reaches its own threshold (one model rule per label, each with its threshold)."""
    cols = [(labels.index(name), name, t) for name, t in thresholds.items()]
    return [frozenset(name for i, name, t in cols if row[i] >= t) for row in probs]


def _ham(samples: list[Sample], ham: str) -> list[int]:
    """Indices of the ham messages of one kind among the types the rules run on."""
    return [i for i, s in enumerate(samples) if s.label == ham and s.type in TYPES]


def figures(
    samples: list[Sample], labels: list[str], flags: list[frozenset[str]]
) -> dict[str, Any]:
    """False-alarm rates on ham (types the rules run on) and precision/recall per label.

    Recall of a label: its messages flagged with it; precision: the flags of a label on
    messages that carry it among their categories."""
    fa = {
        ham: sum(bool(flags[i]) for i in idx) / max(1, len(idx))
        for ham in HAM
        for idx in [_ham(samples, ham)]
    }
    per: dict[str, dict[str, float]] = {}
    for name in (x for x in labels if x not in HAM):
        hits = [i for i, f in enumerate(flags) if name in f]
        right = sum(name in samples[i].categories for i in hits)
        total = sum(s.label == name for s in samples)
        own = sum(name in flags[i] for i, s in enumerate(samples) if s.label == name)
        per[name] = {
            "n": total,
            "flagged": len(hits),
            "precision": round(right / len(hits), 3) if hits else 0.0,
            "recall": round(own / total, 3) if total else 0.0,
        }
    spam_idx = [i for i, s in enumerate(samples) if s.label not in HAM]
    caught = sum(bool(flags[i]) for i in spam_idx) / max(1, len(spam_idx))
    exact = sum(samples[i].label in flags[i] for i in spam_idx) / max(1, len(spam_idx))
    return {
        "false_alarms": {k: round(v, 4) for k, v in fa.items()},
        "spam_flagged": round(caught, 3),
        "spam_right_label": round(exact, 3),
        "per_label": per,
    }


def per_author(samples: list[Sample], flags: list[frozenset[str]]) -> dict[str, dict[str, Any]]:
    """Per author: spam messages and own-label recall, clean and news false alarms."""
    out: dict[str, dict[str, Any]] = {}
    for author in sorted({s.author for s in samples}):
        mine = [i for i, s in enumerate(samples) if s.author == author]
        spam = [i for i in mine if samples[i].label not in HAM]
        row: dict[str, Any] = {
            "spam": len(spam),
            "recall": round(sum(samples[i].label in flags[i] for i in spam) / max(1, len(spam)), 3),
        }
        for ham in HAM:
            idx = [i for i in mine if samples[i].label == ham and samples[i].type in TYPES]
            row[ham] = len(idx)
            row[f"fa_{ham}"] = round(sum(bool(flags[i]) for i in idx) / max(1, len(idx)), 4)
        out[author] = row
    return out


def pick_thresholds(
    samples: list[Sample], labels: list[str], probs: np.ndarray
) -> dict[str, float]:
    """Per spam label, the lowest threshold (at least MIN_THRESHOLD) whose out-of-author false
    alarms of that label stay within its share of TARGET_FA: the targets split evenly between
    the labels, so that all the labels together meet them."""
    spam = [x for x in labels if x not in HAM]
    budget = {ham: rate / len(spam) for ham, rate in TARGET_FA.items()}
    ham_idx = {ham: _ham(samples, ham) for ham in HAM}
    out: dict[str, float] = {}
    for name in spam:
        col = probs[:, labels.index(name)]
        out[name] = 0.99
        for t in [x / 100 for x in range(round(MIN_THRESHOLD * 100), 100)]:
            rates = {h: float((col[idx] >= t).mean()) if idx else 0.0 for h, idx in ham_idx.items()}
            if all(rates[h] <= budget[h] for h in HAM):
                out[name] = t
                break
    return out


def fold_model(
    weights: dict[str, Any], thresholds: dict[str, float], author: str
) -> dict[str, Any]:
    """A leave-one-author-out fit as a loadable model file (for bench/content_model.py)."""
    return {
        "format": MODEL_FORMAT,
        **weights,
        "thresholds": thresholds,
        "training": {"held_out_author": author},
    }


def train(root: Path = DEV, folds_dir: Path | None = None, ham: Path = HAM_FILE) -> dict[str, Any]:
    """Score every author by a fit on the others, pick per-label thresholds from those
    out-of-author scores, fit on all of dev; return the exportable model. With ``folds_dir``,
    also write each fold's model there (``content-<author>.json``)."""
    samples, data_hash = load_dev(root)
    extra, extra_hash = load_ham(ham)
    counts = Counter(s.label for s in samples)
    labels = sorted(k for k in counts if k not in HAM) + list(HAM)
    probs, fits = loao(samples, labels, extra)
    thresholds = pick_thresholds(samples, labels, probs)
    flags = flagged(probs, labels, thresholds)
    held = {
        "authors": sorted(fits),
        **figures(samples, labels, flags),
        "per_author": per_author(samples, flags),
    }
    spam = [x for x in labels if x not in HAM]
    curve = {}
    for t in (0.5, 0.6, 0.7, 0.8, 0.9):
        f = figures(samples, labels, flagged(probs, labels, dict.fromkeys(spam, t)))
        curve[str(t)] = {
            "false_alarms": f["false_alarms"],
            "spam_flagged": f["spam_flagged"],
            "spam_right_label": f["spam_right_label"],
        }
    if folds_dir is not None:
        folds_dir.mkdir(parents=True, exist_ok=True)
        for author, weights in fits.items():
            data = orjson.dumps(fold_model(weights, thresholds, author))
            (folds_dir / f"content-{author}.json").write_bytes(data)
    weights = fit(samples + extra, labels)
    insample = figures(
        samples, labels, flagged(_probs(weights, [s.text for s in samples]), labels, thresholds)
    )
    return {
        "format": MODEL_FORMAT,
        **weights,
        "thresholds": thresholds,
        "training": {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "sklearn": sklearn.__version__,
            "data": "bench/corpora/dev/{clean,spam,news}.jsonl",
            "data_sha256": data_hash,
            "extra_ham": {
                "file": "models/content_ham.jsonl",
                "sha256": extra_hash,
                "messages": len(extra),
                "source": f"engine.score.simulate copy space, seed {HAM_SEED}, "
                f"{HAM_CAMPAIGNS} campaigns, copy space {HAM_COPY}, distinct drafts; "
                "trained on, never judged",
            },
            "counts": dict(sorted(counts.items())),
            "authors": dict(sorted(Counter(s.author for s in samples).items())),
            "model": f"LogisticRegression(C={C}, multinomial, lbfgs), counted char n-grams "
            f"{ORDERS} of the skeleton (digits as 0), top {KEEP} by max |weight|, refitted",
            "thresholds": "per label, from leave-one-author-out scores: the lowest "
            f">= {MIN_THRESHOLD} whose false alarms stay within 1/{len(spam)} of the targets",
            "loao": held,
            "loao_curve": curve,
            "in_sample": insample,
            "targets": TARGET_FA,
        },
    }


def main(argv: list[str] | None = None) -> int:
    """Command line: train and write the JSON."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "models" / "content.json")
    ap.add_argument("--folds-dir", type=Path, help="also write the leave-one-author-out fits here")
    ap.add_argument("--write-ham", action="store_true", help=f"regenerate {HAM_FILE.name} and stop")
    args = ap.parse_args(argv)
    if args.write_ham:
        HAM_FILE.write_bytes(simulated_ham())
        print(f"wrote {HAM_FILE} ({len(HAM_FILE.read_bytes().splitlines())} messages)")
        return 0
    model = train(folds_dir=args.folds_dir)
    args.out.write_bytes(orjson.dumps(model))
    card = args.out.with_name("CONTENT_CARD.md")
    card.write_text(render_card(model, COST, SYSTEM), encoding="utf-8")
    info = model["training"]
    print(
        orjson.dumps(
            {"thresholds": model["thresholds"], "loao": info["loao"]}, option=orjson.OPT_INDENT_2
        ).decode()
    )
    size = args.out.stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.2f} MB, {len(model['weights'])} n-grams)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
