"""What the content model costs and what it finds.

    python bench/content_model.py [--repeat 5]              # cost: µs per message
    python bench/content_model.py --loao [--folds DIR]       # the model per held-out author
    python bench/content_model.py --system [--folds DIR]     # the checker per held-out author

Cost: µs per message for scoring alone, and check() with and without the ``content_model``
pack (same process, passes interleaved, best of ``--repeat``), on the marketing and
notification messages of bench/corpora/dev (clean, spam, news), each cut or padded to 70
characters. CPU time (process_time), so other load on the machine counts less than in wall
time.

``--loao``: each dev author (the letter in the id) scored by the model fitted on the other
authors' messages (same recipe), at the shipped model's thresholds: own-label recall on spam,
false alarms on clean and news (marketing and notification, the types the model rules run on).
The shipped model (``XINSHI_MODELS`` or models/) scored on the same messages is printed
beside it: it saw some of these authors in training. ``--system``: the whole checker
(rules/, severity warn or block, as bench/detection.py counts) per author, three ways: without
the content_model pack, with the shipped model, and with the model that never saw the
author: main-category recall on spam, false alarms on clean and news. ``--folds DIR`` reads the
held-out fits written by ``python -m engine.content_model.train --folds-dir DIR``
(``content-<author>.json``); without it they are fitted now (scikit-learn, several minutes).
Only the dev split is read.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.corpus import MESSAGE_CORPORA, Sample, load
from bench.detection import Result, run
from engine import check, make_message
from engine.content_model.model import HAM, ContentModel, load_model, model_path
from engine.normalize import normalize
from engine.rule_types.context import find_zones
from engine.ruleset import RuleSet, load_ruleset

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "bench" / "corpora" / "dev"
TYPES = ("marketing", "notification")


def _messages() -> list[tuple[str, str]]:
    out = []
    for name in ("clean", "spam", "news"):
        for line in (DEV / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            if row["type"] in TYPES:
                text = (row["text"] * 3)[:70]
                out.append((text, row["type"]))
    return out


def _best(fn: Callable[[object], object], items: list[object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for item in items:
            fn(item)
        best = min(best, time.process_time() - t0)
    return best / len(items) * 1e6


def _without_pack() -> RuleSet:
    with tempfile.TemporaryDirectory() as tmp:
        without = Path(tmp) / "rules"
        shutil.copytree(ROOT / "rules", without)
        (without / "packs" / "content_model.yaml").unlink()
        return load_ruleset(without)


def cost(repeat: int) -> None:
    """Print µs per message: scoring alone, check() with and without the pack."""
    msgs = _messages()
    model = load_model(model_path("content"))
    prepared: list[object] = []
    for text, _ in msgs:
        norm = normalize(text)
        prepared.append((norm, find_zones(text, norm).body))
    score_us = _best(lambda p: model.score(*p), prepared, repeat)  # type: ignore[misc]
    rulesets = {"without": _without_pack(), "with": load_ruleset(ROOT / "rules")}
    made: list[object] = [make_message(t, type=ty) for t, ty in msgs]
    times: dict[str, float] = {}
    for _ in range(repeat):
        for name, rs in rulesets.items():
            us = _best(lambda m, rs=rs: check(m, rs), made, 1)  # type: ignore[misc]
            times[name] = min(times.get(name, float("inf")), us)
    print(f"{len(msgs)} messages of 70 characters (dev marketing + notification), CPU time")
    print(f"  model.score (normalized text in)   {score_us:7.1f} µs/msg")
    for name, us in times.items():
        print(f"  check() {name:8} content_model   {us:7.1f} µs/msg = {1e6 / us:,.0f} msg/s")
    print(f"  cost of the pack in check()        {times['with'] - times['without']:7.1f} µs/msg")


def author(sample_id: str) -> str:
    """The corpus round of an id: the letter after the corpus name (spam-g12 -> g)."""
    return sample_id.partition("-")[2][:1]


def dev_by_author() -> dict[str, list[Sample]]:
    """The dev messages of each author."""
    out: dict[str, list[Sample]] = {}
    for name in MESSAGE_CORPORA:
        for s in load("dev", name):
            out.setdefault(author(s.id), []).append(s)
    return dict(sorted(out.items()))


def folds(folds_dir: Path | None, tmp: Path) -> dict[str, Path]:
    """Author -> the model file fitted without that author's messages (fitted now if no DIR)."""
    if folds_dir is None:
        import orjson

        from engine.content_model.train import fold_model, load_dev, loao

        shipped = load_model(model_path("content"))
        samples, _ = load_dev()
        _, fits = loao(samples, list(shipped.labels))
        for name, weights in fits.items():
            data = orjson.dumps(fold_model(weights, shipped.thresholds, name))
            (tmp / f"content-{name}.json").write_bytes(data)
        folds_dir = tmp
    found = {p.stem.partition("-")[2]: p for p in sorted(folds_dir.glob("content-*.json"))}
    if not found:
        raise SystemExit(
            f"{folds_dir}: no content-<author>.json; write them with "
            "`python -m engine.content_model.train --folds-dir DIR`"
        )
    return found


def _flags(model: ContentModel, s: Sample, thresholds: dict[str, float]) -> set[str]:
    norm = normalize(s.text)
    probs = model.score(norm, find_zones(s.text, norm).body).probs
    return {name for name, t in thresholds.items() if probs[model.index(name)] >= t}


def _rates(rows: list[tuple[Sample, set[str]]]) -> tuple[int, float, float, float]:
    """Spam count, own-label recall, clean and news false alarms (types the model runs on)."""
    spam = [(s, f) for s, f in rows if s.label not in HAM]
    recall = sum(s.label in f for s, f in spam) / max(1, len(spam))
    fa = []
    for ham in HAM:
        part = [f for s, f in rows if s.label == ham and s.type in TYPES]
        fa.append(sum(bool(f) for f in part) / max(1, len(part)))
    return len(spam), recall, fa[0], fa[1]


def loao_report(folds_dir: Path | None) -> None:
    """Print own-label recall and false alarms per held-out author."""
    shipped = load_model(model_path("content"))
    thresholds = shipped.thresholds
    by_author = dev_by_author()
    with tempfile.TemporaryDirectory() as tmp:
        files = folds(folds_dir, Path(tmp))
        print(f"model per held-out author, thresholds of {model_path('content')}:")
        print("  " + ", ".join(f"{k} {v:.2f}" for k, v in thresholds.items()))
        print(
            f"{'author':<8}{'spam':>6}  held out: {'recall':>7}{'FA clean':>10}{'FA news':>9}"
            f"   shipped: {'recall':>7}{'FA clean':>10}{'FA news':>9}"
        )
        every: dict[str, list[tuple[Sample, set[str]]]] = {"held": [], "shipped": []}
        for name, samples in by_author.items():
            if name not in files:
                continue
            held = load_model(files[name])
            rows = {
                "held": [(s, _flags(held, s, thresholds)) for s in samples],
                "shipped": [(s, _flags(shipped, s, thresholds)) for s in samples],
            }
            n, r1, c1, w1 = _rates(rows["held"])
            _, r2, c2, w2 = _rates(rows["shipped"])
            print(
                f"{name:<8}{n:>6}            {r1:7.3f}{c1:10.2%}{w1:9.2%}"
                f"            {r2:7.3f}{c2:10.2%}{w2:9.2%}"
            )
            for key in every:
                every[key] += rows[key]
        n, r1, c1, w1 = _rates(every["held"])
        _, r2, c2, w2 = _rates(every["shipped"])
        print(
            f"{'all':<8}{n:>6}            {r1:7.3f}{c1:10.2%}{w1:9.2%}"
            f"            {r2:7.3f}{c2:10.2%}{w2:9.2%}"
        )


@contextmanager
def _models(directory: Path) -> Iterator[None]:
    """Point the ruleset loader at another models directory for the duration."""
    old = os.environ.get("XINSHI_MODELS")
    os.environ["XINSHI_MODELS"] = str(directory)
    try:
        yield
    finally:
        if old is None:
            del os.environ["XINSHI_MODELS"]
        else:
            os.environ["XINSHI_MODELS"] = old


def _system_rates(results: list[Result]) -> tuple[float, float, float]:
    """Main-category recall on spam; false alarms (warn or block) on clean and news."""
    spam = [r for r in results if r.sample.label not in HAM]
    recall = sum(r.sample.label in r.found for r in spam) / max(1, len(spam))
    fa = []
    for ham in HAM:
        part = [r for r in results if r.sample.label == ham]
        fa.append(sum(r.warned for r in part) / max(1, len(part)))
    return recall, fa[0], fa[1]


def _system_row(name: str, n: int, cols: list[list[Result]]) -> str:
    cells = []
    for width, results in zip((11, 16, 17), cols, strict=True):
        r, c, v = _system_rates(results)
        cells.append(f"{' ' * width}{r:7.3f}{c:9.2%}{v:8.2%}")
    return f"{name:<7}{n:>5} | " + " | ".join(cells)


def system_report(folds_dir: Path | None) -> None:
    """Print the checker's main-category recall and false alarms per held-out author."""
    by_author = dev_by_author()
    without = _without_pack()
    shipped = load_ruleset(ROOT / "rules")
    head = f"{'recall':>7}{'FA clean':>9}{'FA news':>8}"
    print(f"checker on dev per author (shipped model: {model_path('content')})")
    print(
        f"{'author':<7}{'spam':>5} | rules only {head} | + shipped model {head} | "
        f"+ held-out model {head}"
    )
    every: list[list[Result]] = [[], [], []]
    with tempfile.TemporaryDirectory() as tmp:
        files = folds(folds_dir, Path(tmp))
        for name, samples in by_author.items():
            if name not in files:
                continue
            here = Path(tmp) / f"models-{name}"
            here.mkdir()
            shutil.copy(files[name], here / "content.json")
            with _models(here):
                held = load_ruleset(ROOT / "rules")
            cols = [run(samples, rs)[0] for rs in (without, shipped, held)]
            n = sum(s.label not in HAM for s in samples)
            print(_system_row(name, n, cols))
            for acc, results in zip(every, cols, strict=True):
                acc += results
    n = sum(r.sample.label not in HAM for r in every[0])
    print(_system_row("all", n, every))


def main() -> int:
    """Print the figures."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--loao", action="store_true", help="the model per held-out author")
    ap.add_argument("--system", action="store_true", help="the checker per held-out author")
    ap.add_argument("--folds", type=Path, help="held-out fits (train --folds-dir DIR)")
    args = ap.parse_args()
    if args.loao:
        loao_report(args.folds)
    if args.system:
        system_report(args.folds)
    if not (args.loao or args.system):
        cost(args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
