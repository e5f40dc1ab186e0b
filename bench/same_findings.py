"""Compare the findings of this checkout's engine with a base commit's, message by message.

    python bench/same_findings.py [--base main] [--words 50000] [--messages 10000]

Checks every message of the dev corpora (bench/corpora/dev: clean, spam, news; peers as
plain marketing text) and bench/check.py's generated messages (with its extra deny list)
under both engines and prints each message whose verdict or findings (rule ids, severity,
span, matched text, evasion) differ. The base engine is a ``git archive`` of ``--base`` in a
temporary directory, run in a subprocess, each engine with its own commit's rules: pick a
base whose rules/ equal this checkout's (``git merge-base HEAD main``, or the main parent of
your last merge), or rule changes show up as differences. Exit status 1 when anything
differs. Never reads the frozen split.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV = ROOT / "bench" / "corpora" / "dev"


def _inputs(messages: int) -> list[dict[str, object]]:
    """The messages to check: dev corpora first, then the benchmark's."""
    out: list[dict[str, object]] = []
    for name in ("clean", "spam", "news", "peers"):
        path = DEV / f"{name}.jsonl"
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            out.append(
                {
                    "id": row["id"],
                    "text": row["text"],
                    "type": row.get("type", "marketing"),
                    "industry": row.get("industry"),
                    "send_at": "2026-11-25T10:00",
                    "bench": False,
                }
            )
    sys.path.insert(0, str(ROOT / "bench"))
    from check import make_messages  # bench/check.py

    for i, m in enumerate(make_messages(messages)):
        row = {"id": f"bench-{i}", "text": m.text, "type": m.type.value, "industry": None}
        out.append({**row, "send_at": "2026-11-25T10:00", "bench": True})
    return out


def _run(root: Path, inputs: Path, words: int) -> list[object]:
    """Findings per message from the engine under ``root`` (in a subprocess)."""
    code = f"""
import json, sys
sys.path.insert(0, {str(root)!r}); sys.path.insert(1, {str(ROOT / "bench")!r})
from engine import check, make_message
from engine.ruleset import load_ruleset
from check import make_words
plain = load_ruleset({str(root / "rules")!r}, cached=False)
extra = load_ruleset({str(root / "rules")!r}, extra_lists={{"bench_extra": make_words({words})}})
out = []
for row in json.load(open({str(inputs)!r}, encoding="utf-8")):
    kw = {{k: row[k] for k in ("type", "industry", "send_at")}}
    try:
        msg = make_message(row["text"], **kw)
    except Exception as exc:
        out.append(["error", type(exc).__name__]); continue
    v = check(msg, extra if row["bench"] else plain)
    out.append([v.verdict.value, [[f.rule_id, f.severity.value, f.start, f.end, f.matched,
                f.evasion, list(f.related)] for f in v.findings]])
json.dump(out, sys.stdout)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise SystemExit(f"engine under {root} failed:\n{done.stderr}")
    result: list[object] = json.loads(done.stdout)
    return result


def main() -> None:
    """Check both engines and print the differences."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--base", default="main", help="git revision of the base engine")
    ap.add_argument("--words", type=int, default=50_000)
    ap.add_argument("--messages", type=int, default=10_000)
    args = ap.parse_args()
    rows = _inputs(args.messages)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        base.mkdir()
        archive = subprocess.run(
            ["git", "archive", args.base, "engine", "rules", "models"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        inputs = Path(tmp) / "inputs.json"
        inputs.write_text(json.dumps(rows), encoding="utf-8")
        old = _run(base, inputs, args.words)
        new = _run(ROOT, inputs, args.words)
    diffs = 0
    for row, a, b in zip(rows, old, new, strict=True):
        if a != b:
            diffs += 1
            if diffs <= 20:
                print(f"{row['id']}: {row['text']!r}\n  base: {a}\n  this: {b}")
    n_dev = sum(1 for r in rows if not r["bench"])
    print(
        f"{len(rows):,} messages ({n_dev:,} dev corpus, {len(rows) - n_dev:,} bench/check.py): "
        f"{diffs} with different findings (base {args.base})"
    )
    raise SystemExit(1 if diffs else 0)


if __name__ == "__main__":
    main()
