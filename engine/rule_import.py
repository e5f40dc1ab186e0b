"""Bring an external dictionary into a rules directory as word lists plus one rule pack.

Formats (``--format``; ``auto`` picks by looking at the lines):

    lines   one word per line ('#' starts a comment) — also ToolGood.Words' keyword files
            (IllegalKeywords.txt, BadWord.txt), which carry no tags: give ``--category``
    houbb   houbb/sensitive-word tag files: ``word tag1,tag2`` (tags are names or the numeric
            codes 0 政治, 1 毒品, 2 色情, 3 赌博, 4 违法)
    tsv     ``word<TAB>tag`` or ``word,tag`` (ToolGood-style exports of grouped keywords and
            most spreadsheet dumps)

Tags map to Xinshi categories through ``--map TAG=CATEGORY`` on top of the defaults below;
a tag with no mapping is an error that names every such tag and how to map or skip it. Each
category becomes ``lists/<name>_<category>.txt`` and one ``forbidden`` rule in
``packs/<name>.yaml``; the directory is validated with the new files in place, and nothing is
written if it does not load.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

import yaml

from engine.normalize import normalize_word
from engine.rule_types.base import CATEGORIES

Format = Literal["auto", "lines", "houbb", "tsv"]

# houbb's system tags (README "系统内置实现") and the Chinese names teams use in their own files.
DEFAULT_TAGS: dict[str, str | None] = {
    "0": None,  # 政治: no SMS category; map it explicitly or skip it
    "1": "prohibited_goods",
    "2": "pornography",
    "3": "gambling",
    "4": "prohibited_goods",
    "毒品": "prohibited_goods",
    "色情": "pornography",
    "赌博": "gambling",
    "违法": "prohibited_goods",
    "诈骗": "fraud",
    "广告": "contact_diversion",
}
SKIP = "skip"

_CATEGORY_TEXT = {
    "gambling": ("赌博", "《刑法》第303条；《治安管理处罚法》第70条"),
    "pornography": ("色情", "《治安管理处罚法》第68条；《网络信息内容生态治理规定》第6条"),
    "fraud": ("诈骗", "《反电信网络诈骗法》第25条"),
    "prohibited_goods": ("违禁品", "《治安管理处罚法》；《广告法》第9条、第15条"),
    "contact_diversion": ("引流", "各云短信平台模板审核规范（禁止引导添加个人联系方式）"),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_PASS_TEXT = "【信使商城】您的订单已发货，运单号SF1234567890，可在App-我的订单查看物流。"


class DictionaryError(ValueError):
    """The dictionary cannot be imported; ``problems`` are 'file:line: what. How to fix'."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass
class Parsed:
    """Words by category, and what was left out (with file:line)."""

    words: dict[str, list[str]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # duplicates, symbol-only words, skip tags
    tag_counts: Counter[str] = field(default_factory=Counter)


def sniff(lines: list[str]) -> Format:
    """Guess the format from the first non-comment lines."""
    sample = [ln for ln in (raw.strip() for raw in lines) if ln and not ln.startswith("#")][:50]
    if sample and sum("\t" in ln for ln in sample) > len(sample) // 2:
        return "tsv"
    if sample and sum(bool(re.fullmatch(r"\S+ [^\s,]+(?:,[^\s,]+)*", ln)) for ln in sample) > (
        len(sample) // 2
    ):
        return "houbb"
    return "lines"


def parse(
    path: Path,
    fmt: Format = "auto",
    category: str | None = None,
    tag_map: dict[str, str] | None = None,
) -> Parsed:
    """Read a dictionary file into words by category; every problem names file:line."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except UnicodeDecodeError as exc:
        what = f"{path}: not UTF-8 text ({exc.reason}). Save the file as UTF-8"
        raise DictionaryError([what]) from None
    except OSError as exc:
        raise DictionaryError([f"{path}: cannot read ({exc.strerror})"]) from None
    if category is not None and category not in CATEGORIES:
        raise DictionaryError([_unknown_category("--category", category)])
    mapping: dict[str, str | None] = {**DEFAULT_TAGS, **(tag_map or {})}
    for tag, cat in (tag_map or {}).items():
        if cat != SKIP and cat not in CATEGORIES:
            raise DictionaryError([_unknown_category(f"--map {tag}=", cat)])
    kind = sniff(lines) if fmt == "auto" else fmt
    out = Parsed()
    seen: dict[str, int] = {}
    unmapped: dict[str, int] = {}  # tag -> first line
    problems: list[str] = []
    for lineno, raw in enumerate(lines, start=1):
        text = raw.split("#", 1)[0].strip() if kind == "lines" else raw.strip()
        if not text or text.startswith("#"):
            continue
        word, tags = _split(text, kind)
        if kind != "lines" and not tags and category is None:
            problems.append(
                f"{path}:{lineno}: word '{word}' has no tag. Add one, or give --category for "
                "untagged words"
            )
            continue
        cats: list[str] = []
        for tag in tags or [""]:
            if not tag:
                cats.append(category or "")
                continue
            out.tag_counts[tag] += 1
            mapped = mapping.get(tag, category)
            if mapped is None:
                unmapped.setdefault(tag, lineno)
            elif mapped == SKIP:
                out.skipped.append(f"{path}:{lineno}: '{word}' (tag {tag} skipped)")
            else:
                cats.append(mapped)
        if not cats:
            continue
        if not normalize_word(word):
            out.skipped.append(f"{path}:{lineno}: '{word}' is only symbols or spaces")
            continue
        key = normalize_word(word)
        if key in seen:
            out.skipped.append(f"{path}:{lineno}: '{word}' repeats line {seen[key]}")
            continue
        seen[key] = lineno
        for cat in dict.fromkeys(cats):  # two tags of one category: the word once
            if not cat:
                problems.append(
                    f"{path}:{lineno}: word '{word}' has no category. Give --category "
                    f"(one of: {', '.join(_CATEGORY_TEXT)})"
                )
                continue
            out.words.setdefault(cat, []).append(word)
    for tag, lineno in sorted(unmapped.items(), key=lambda kv: kv[1]):
        hint = "政治 has no SMS category; " if tag in ("0", "政治") else ""
        problems.append(
            f"{path}:{lineno}: tag '{tag}' maps to no category. {hint}Add --map {tag}=CATEGORY "
            f"(e.g. --map {tag}=fraud) or --map {tag}={SKIP}"
        )
    if problems:
        raise DictionaryError(problems)
    if not out.words:
        raise DictionaryError([f"{path}: no words to import. Check --format and the tag mapping"])
    return out


def _split(text: str, kind: str) -> tuple[str, list[str]]:
    if kind == "lines":
        return text, []
    if kind == "tsv":
        word, _, tag = text.partition("\t") if "\t" in text else text.partition(",")
        return word.strip(), [t.strip() for t in re.split(r"[,，|]", tag) if t.strip()]
    word, _, tags = text.partition(" ")
    return word.strip(), [t.strip() for t in tags.split(",") if t.strip()]


def _unknown_category(where: str, value: str) -> str:
    return f"{where}{value}: unknown category. Known: {', '.join(CATEGORIES)}, or '{SKIP}'"


@dataclass(frozen=True)
class Planned:
    """Files an import would write: path -> text."""

    files: dict[Path, str]
    counts: dict[str, int]


def plan(
    parsed: Parsed,
    rules_dir: Path,
    name: str,
    source: str,
    severity: Literal["block", "warn"] = "block",
    flag_texts: dict[str, str] | None = None,
) -> Planned:
    """The list files and the rule pack for an import (nothing written yet)."""
    if not _NAME.match(name):
        raise DictionaryError(
            [
                f"--name {name!r}: use lower-case letters, digits and '_' (starting with a "
                "letter), e.g. --name team_words"
            ]
        )
    pack = rules_dir / "packs" / f"{name}.yaml"
    if pack.exists():
        raise DictionaryError(
            [f"{pack}: already exists. Choose another --name, or delete the file to re-import"]
        )
    files: dict[Path, str] = {}
    rules = []
    today = date.today().isoformat()
    for cat, words in sorted(parsed.words.items()):
        list_name = f"{name}_{cat}"
        header = (
            f"# Imported {today} by `xinshi rules import` from {source}: {len(words)} words "
            f"({cat}).\n# Check the licence of the source before shipping this list.\n"
        )
        files[rules_dir / "lists" / f"{list_name}.txt"] = header + "\n".join(words) + "\n"
        label, law = _CATEGORY_TEXT.get(cat, ("违规", "《广告法》；《通信短信息服务管理规定》"))
        flag = (flag_texts or {}).get(cat, f"【信使商城】{words[0]}，详情咨询客服。拒收请回复R")
        rules.append(
            {
                "id": cat,
                "kind": "forbidden",
                "category": cat,
                "severity": severity,
                "match": {"lists": [list_name]},
                "message": f"含有{label}类敏感词“{{matched}}”（导入词库 {name}）",
                "suggestion": f"删除“{{matched}}”；如属误报，请把正常用法加入白名单（{name}）",
                "source": f"{law}；导入词库：{source}",
                "examples": {"flag": [flag], "pass": [_PASS_TEXT]},
            }
        )
    doc = {"category": sorted(parsed.words)[0], "rules": rules}
    text = f"# Imported {today} by `xinshi rules import` from {source}.\n" + yaml.safe_dump(
        doc, allow_unicode=True, sort_keys=False, width=100
    )
    files[pack] = text
    return Planned(files, {c: len(w) for c, w in parsed.words.items()})


@dataclass(frozen=True)
class Imported:
    """What an import wrote (or would write, with ``dry_run``)."""

    files: tuple[Path, ...]
    counts: dict[str, int]
    skipped: tuple[str, ...]
    version: str


def import_dictionary(
    path: Path,
    rules_dir: Path,
    name: str,
    *,
    fmt: Format = "auto",
    category: str | None = None,
    tag_map: dict[str, str] | None = None,
    severity: Literal["block", "warn"] = "block",
    source: str | None = None,
    dry_run: bool = False,
) -> Imported:
    """Parse, plan, validate in a scratch copy of ``rules_dir``, then write (unless dry run).

    The flag example of each rule is the first of its words that the rule really flags in a
    sample message (a word an allow-list excuses would make a failing example).
    """
    import shutil
    import tempfile

    from engine.rule_examples import run_examples
    from engine.ruleset import validate_rules

    parsed = parse(path, fmt, category, tag_map)
    plan(parsed, rules_dir, name, source or path.name, severity)  # name and target checks
    flag_texts: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="xinshi-import-") as tmp:
        scratch = Path(tmp) / "rules"
        shutil.copytree(rules_dir, scratch)
        for attempt in range(20):
            planned = plan(parsed, scratch, name, source or path.name, severity, flag_texts)
            for file, text in planned.files.items():
                file.parent.mkdir(parents=True, exist_ok=True)
                file.write_text(text, encoding="utf-8")
            ruleset, errors = validate_rules(scratch)
            if errors or ruleset is None:
                raise DictionaryError(
                    [str(e).replace(str(scratch), str(rules_dir)) for e in errors]
                    or ["rules did not load"]
                )
            failing = [
                r.rule_id.split(".", 1)[1]
                for r in run_examples(ruleset)
                if not r.ok and r.rule_id.startswith(f"{name}.")
            ]
            if not failing:
                break
            for cat in failing:
                words = parsed.words[cat]
                word = words[min(attempt + 1, len(words) - 1)]
                flag_texts[cat] = f"【信使商城】{word}，详情咨询客服。拒收请回复R"
            for file in planned.files:
                file.unlink()
        else:
            raise DictionaryError(
                [
                    f"{path}: no word of categories {', '.join(failing)} is flagged in a sample "
                    "message (all excused by allow-lists?). Check the words"
                ]
            )
    final = plan(parsed, rules_dir, name, source or path.name, severity, flag_texts)
    if not dry_run:
        for file, text in final.files.items():
            file.parent.mkdir(parents=True, exist_ok=True)
            part = file.with_name(f".{file.name}.part")
            part.write_text(text, encoding="utf-8")
            part.replace(file)  # atomic: a watching server never sees half a file
    return Imported(tuple(final.files), final.counts, tuple(parsed.skipped), ruleset.version)
