"""Mutation score per core module, with mutmut and a focused test selection per module.

    .venv/bin/python bench/mutation.py                 # every module below, smallest first
    .venv/bin/python bench/mutation.py segments optout # only these

Each module runs in its own scratch copy of the project (engine, tests, rules, models) with a
setup.cfg that tells mutmut which one file to mutate and which tests to run, so a module takes
minutes, not hours, and the worktree is never touched. One mutant at a time by default (the
machine is shared); --children N for more. Prints killed / total per module; `--survivors`
lists each surviving mutant's diff (judge: a missing test, or an equivalent mutant), and each one
that timed out (counted as killed; on a loaded machine, check it is not a slow run).

Each module's latest figures are kept in bench/mutation_results.json, and the run ends with a
table of every module (those not run this time show their last recorded figures and date), so
one module can be re-measured without re-running the rest. The survivors judged equivalent,
and why, are listed in bench/mutation_equivalents.md.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.mutation_sql import case_only_sql_mutants_of_file

ROOT = Path(__file__).resolve().parent.parent
MUTMUT = Path(sys.executable).parent / "mutmut"

# the outbox driven directly (no servers, no second process): a few seconds
_OUTBOX_TESTS = [
    "tests/dispatch/test_outbox_claims.py",
    "tests/dispatch/test_outbox.py",
    "tests/dispatch/test_caps_concurrency.py",
    "--deselect",
    "tests/dispatch/test_caps_concurrency.py::test_two_worker_processes_keep_the_caps",
]
_NORMALIZE_TESTS = [
    "tests/test_normalize_view.py",
    "tests/test_normalize_apart.py",
    "tests/test_normalize_pinyin.py",
    "tests/test_normalize_cases.py",
    "tests/test_normalize.py",
    "tests/test_evasion_classes.py",
]
# module -> the file, or files, to mutate and the tests that should kill its mutants (fast
# ones: no servers, no browsers). A package split into files keeps its one figure.
MODULES: dict[str, tuple[str | tuple[str, ...], list[str]]] = {
    "segments": (
        "engine/segments.py",
        ["tests/test_segments.py", "tests/test_segment_boundaries.py"],
    ),
    "optout": (
        "engine/dispatch/optout.py",
        ["tests/dispatch/test_boundaries.py", "tests/dispatch/test_lanes.py"],
    ),
    "verdict": ("engine/verdict.py", ["tests/test_check.py", "tests/test_rule_examples.py"]),
    "lanes": (
        "engine/dispatch/lanes.py",
        [
            "tests/dispatch/test_lanes.py",
            "tests/dispatch/test_boundaries.py",
            "tests/dispatch/test_lane_policies.py",
            "tests/dispatch/test_lane_slots.py",
        ],
    ),
    "queries": (
        "engine/abtest/queries.py",
        ["tests/test_ab_oracle.py", "tests/test_ab_queries.py"],
    ),
    # normalize is a package: the pipeline (__init__, its fold tables and emoji names, one figure)
    # and its views, apart (squeeze) and pinyin
    "normalize": (
        (
            "engine/normalize/__init__.py",
            "engine/normalize/tables.py",
            "engine/normalize/emoji.py",
        ),
        ["tests/test_normalize_cases.py", "tests/test_normalize.py"],
    ),
    "normalize_view": ("engine/normalize/view.py", _NORMALIZE_TESTS),
    "normalize_apart": ("engine/normalize/apart.py", _NORMALIZE_TESTS),
    "normalize_pinyin": ("engine/normalize/pinyin.py", _NORMALIZE_TESTS),
    # match is a package: every module of it (its __init__ only re-exports)
    "match": (
        (
            "engine/match/lists.py",
            "engine/match/hits.py",
            "engine/match/edges.py",
            "engine/match/collect.py",
            "engine/match/thinning.py",
            "engine/match/emoji.py",
            "engine/match/lexicon.py",
        ),
        [
            "tests/test_match_cases.py",
            "tests/test_match_emoji.py",
            "tests/test_match_spellings.py",
            "tests/test_match_long.py",
            "tests/test_match.py",
            "tests/test_long_inputs.py",
        ],
    ),
    "proportions": (
        "engine/abtest/proportions.py",
        ["tests/test_ab_stats.py", "tests/test_ab_oracle.py", "tests/test_ab_proportions_edges.py"],
    ),
    # the outbox, split into storage / queue / send record (outbox.py only puts them together)
    "storage": ("engine/dispatch/storage.py", _OUTBOX_TESTS),
    "queue": ("engine/dispatch/queue.py", _OUTBOX_TESTS),
    "send_record": ("engine/dispatch/send_record.py", _OUTBOX_TESTS),
    "ruleset_load": (
        "engine/ruleset/load.py",
        [
            "tests/test_ruleset_read.py",
            "tests/test_ruleset_errors.py",
            "--deselect",
            "tests/test_ruleset_errors.py::test_the_shipped_rules_dir_copied_and_broken_keeps_other_files_valid",
        ],
    ),
}
# modules whose mutants that only change the letter case of SQL text are dropped before the run
# (bench/mutation_sql.py: SQLite's and DuckDB's keywords and identifiers are case-insensitive)
SQL_MODULES = {"queries", "storage", "queue", "send_record"}
COPY = ["engine", "tests", "rules", "models", "README.md"]
# Generates the mutants (what `mutmut run` does first) without running them; run inside the
# scratch copy, so the SQL filter can mark mutants skipped before the run.
_GENERATE = """
from os import makedirs
import mutmut.__main__ as m
m.set_mutant_under_test("mutant_generation")
makedirs("mutants", exist_ok=True)
m.copy_src_dir()
m.copy_also_copy_files()
m.setup_source_paths()
m.store_lines_covered_by_tests()
m.create_mutants(1)
"""
SKIPPED = 34  # mutmut's exit code for a skipped mutant: not run, not counted
# Prints each surviving (or untested) mutant's diff; run inside the scratch copy.
_SHOW_SURVIVORS = """
import sys
from mutmut.mutation.data import SourceFileMutationData
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code
for path in sys.argv[1:]:
    data = SourceFileMutationData(path=path)
    data.load()
    for name, code in sorted(data.exit_code_by_key.items()):
        status = status_by_exit_code[code]
        if status in ("survived", "no tests", "timeout"):
            print(f"\\n--- {name}: {status}")
            print(get_diff_for_mutant(name, path=path))
"""
RESULTS = ROOT / "bench" / "mutation_results.json"
TARGET = 0.90


def files_of(module: str) -> tuple[str, ...]:
    """The files a module's mutants come from."""
    source = MODULES[module][0]
    return (source,) if isinstance(source, str) else source


def _scratch(module: str, files: tuple[str, ...], tests: list[str]) -> Path:
    work = Path(tempfile.mkdtemp(prefix=f"mutation-{module}-"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, work / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, work / name)
    # no [tool.mutmut] in pyproject: mutmut then reads setup.cfg
    shutil.copy2(ROOT / "pyproject.toml", work / "pyproject.toml")
    selection = "\n    ".join(tests)
    only = "\n    ".join(files)
    (work / "setup.cfg").write_text(
        "[mutmut]\n"
        "source_paths = engine\n"
        f"only_mutate =\n    {only}\n"
        "also_copy =\n    rules\n    models\n    README.md\n    pyproject.toml\n"
        f"pytest_add_cli_args_test_selection =\n    {selection}\n"
        "pytest_add_cli_args =\n    -x\n    -q\n    -p\n    no:cacheprovider\n"
        # a mutant that loops for ever (normalize.tables._char_class) stops at 4 x (the tests CPU
        # time + 1 s) instead of 30 x: minutes per such mutant otherwise
        "timeout_multiplier = 2.0\n",
        encoding="utf-8",
    )
    return work


def run(module: str, children: int, survivors: bool) -> dict[str, int | float | str]:
    """Mutate one module in a scratch copy; return its counts."""
    files, tests = files_of(module), MODULES[module][1]
    work = _scratch(module, files, tests)
    started = time.monotonic()
    filtered = 0
    try:
        if module in SQL_MODULES:
            filtered = _drop_case_only_sql(work, files)
        proc = subprocess.run(
            [str(MUTMUT), "run", "--max-children", str(children)],
            cwd=work, capture_output=True, text=True, check=False,
        )  # fmt: skip
        if proc.returncode != 0:
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-15:]
            return {"module": module, "error": "\n".join(tail)}
        subprocess.run(
            [str(MUTMUT), "export-cicd-stats"], cwd=work, capture_output=True, check=True
        )
        stats = json.loads((work / "mutants" / "mutmut-cicd-stats.json").read_text())
        if survivors:
            # one process for every diff: `mutmut show` per mutant costs seconds each
            res = subprocess.run(
                [sys.executable, "-c", _SHOW_SURVIVORS, *files],
                cwd=work, capture_output=True, text=True, check=False,
            )  # fmt: skip
            print(res.stdout + res.stderr, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    killed = int(stats["killed"]) + int(stats.get("timeout", 0))
    total = int(stats["total"]) - int(stats.get("skipped", 0))
    return {
        "module": module,
        "killed": killed,
        "total": total,
        "filtered_sql_case": filtered,
        "survived": int(stats["survived"]),
        # counted as killed; on a loaded machine a slow test run can time out too (wall clock)
        "timeout": int(stats.get("timeout", 0)),
        "no_tests": int(stats.get("no_tests", 0)),
        "score": killed / total if total else 1.0,
        "seconds": round(time.monotonic() - started),
    }


def _drop_case_only_sql(work: Path, files: tuple[str, ...]) -> int:
    """Generate the mutants and mark those that only change SQL text's case as skipped."""
    subprocess.run(
        [sys.executable, "-c", _GENERATE], cwd=work, capture_output=True, text=True, check=True
    )
    return sum(_drop_case_only_sql_of(work, source) for source in files)


def _drop_case_only_sql_of(work: Path, source: str) -> int:
    meta_path = work / "mutants" / f"{source}.meta"
    meta = json.loads(meta_path.read_text("utf-8"))
    codes: dict[str, int | None] = meta["exit_code_by_key"]
    drop = case_only_sql_mutants_of_file(work / "mutants" / source, codes)
    for key in drop:
        codes[key] = SKIPPED
    meta_path.write_text(json.dumps(meta, indent=4), "utf-8")
    return len(drop)


def _load_results() -> dict[str, dict[str, int | float | str]]:
    if not RESULTS.exists():
        return {}
    data: dict[str, dict[str, int | float | str]] = json.loads(RESULTS.read_text("utf-8"))
    return data


def _save_results(results: dict[str, dict[str, int | float | str]]) -> None:
    ordered = {m: results[m] for m in MODULES if m in results}
    RESULTS.write_text(json.dumps(ordered, indent=2, ensure_ascii=False) + "\n", "utf-8")


def final_table(results: dict[str, dict[str, int | float | str]], ran: list[str]) -> str:
    """Every module's figures, this run's and the last recorded ones, with the total."""
    lines = [
        f"{'module':<14} {'killed':>7} {'total':>6} {'score':>7} {'time':>6}  measured",
        "-" * 58,
    ]
    killed = total = 0
    for name in MODULES:
        r = results.get(name)
        if r is None:
            lines.append(f"{name:<14} {'-':>7} {'-':>6} {'-':>7} {'-':>6}  not run")
            continue
        k, t = int(r["killed"]), int(r["total"])
        killed, total = killed + k, total + t
        when = "this run" if name in ran else str(r["date"])
        flag = "" if k >= TARGET * t else f"  below {TARGET:.0%}"
        lines.append(
            f"{name:<14} {k:>7} {t:>6} {k / t if t else 1.0:>7.1%} {r['seconds']:>5}s  {when}{flag}"
        )
    lines.append("-" * 58)
    lines.append(f"{'all':<14} {killed:>7} {total:>6} {killed / total if total else 1.0:>7.1%}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", choices=[[], *MODULES], default=[])
    parser.add_argument("--children", type=int, default=1)
    parser.add_argument("--survivors", action="store_true", help="print each surviving mutant")
    parser.add_argument("--table", action="store_true", help="only print the last recorded figures")
    args = parser.parse_args()
    results = _load_results()
    if args.table:
        print(final_table(results, []))
        return
    names = args.modules or sorted(
        MODULES, key=lambda m: sum((ROOT / f).stat().st_size for f in files_of(m))
    )
    print(f"{'module':<14} {'killed':>7} {'total':>6} {'score':>7} {'time':>6}")
    started = time.monotonic()
    ran: list[str] = []
    for name in names:
        r = run(name, args.children, args.survivors)
        if "error" in r:
            print(f"{name:<14} mutmut failed:\n{r['error']}", flush=True)
            continue
        print(
            f"{name:<14} {r['killed']:>7} {r['total']:>6} {r['score']:>7.1%} {r['seconds']:>5}s"
            + (f"  ({r['no_tests']} not reached by the selected tests)" if r["no_tests"] else "")
            + (f"  ({r['timeout']} of the killed timed out)" if r["timeout"] else "")
            + (
                f"  ({r['filtered_sql_case']} SQL case-only mutants filtered out of "
                f"{int(r['total']) + int(r['filtered_sql_case'])})"
                if r["filtered_sql_case"]
                else ""
            ),
            flush=True,
        )
        r["date"] = datetime.now(UTC).strftime("%Y-%m-%d")
        results = _load_results()  # another run may have recorded a module meanwhile
        results[name] = r
        ran.append(name)
        _save_results(results)
    print(f"\nall modules (this run: {round(time.monotonic() - started)} s)")
    print(final_table(results, ran))


if __name__ == "__main__":
    main()
