"""The complaint kill switch's rules: what a complaint looks like and when a campaign stops.

``rules/dispatch/complaints.yaml`` (or ``$XINSHI_COMPLAINTS``) holds the complaint vocabulary
(words such as 投诉, 举报, 12321, and the negations that cancel one: "不是投诉"), the provider
codes that mean a complaint or a blacklist, and the thresholds (defaults, overridden per
signature). Loading validates everything and reports every problem with file:line, as
``xinshi rules check`` prints them. Pure: no database here (engine.dispatch.campaigns acts).
"""

from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from engine.ruleset import dispatch_file
from engine.ruleset.errors import RuleFileError, did_you_mean
from engine.ruleset.yaml_lines import YamlDocument, key_line

_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
TOP_KEYS = ("vocabulary", "attribute_within", "provider_codes", "defaults", "signatures")
THRESHOLD_KEYS = ("window", "complaints", "optout_rate", "blacklist_rate", "min_sends")
MAX_WINDOW_S = 7 * 86400.0


class ComplaintRulesError(ValueError):
    """The complaints file has problems; ``errors`` lists every one (file:line)."""

    def __init__(self, errors: list[RuleFileError]) -> None:
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass(frozen=True, slots=True)
class Thresholds:
    """When a campaign stops: within ``window_s``, ``complaints`` complaint replies, or an
    opt-out (blacklist) rate above ``optout_rate`` (``blacklist_rate``) once the campaign has
    had ``min_sends`` accepted messages in the window."""

    window_s: float = 3600.0
    complaints: int = 3
    optout_rate: float = 0.02
    blacklist_rate: float = 0.05
    min_sends: int = 200


def _fold(text: str) -> str:
    """NFKC, upper case, spaces and punctuation dropped (as opt-out replies are read)."""
    return "".join(
        ch
        for ch in unicodedata.normalize("NFKC", text).upper()
        if not unicodedata.category(ch).startswith(("P", "Z", "S", "C"))
    )


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Complaint words, and the negations that cancel a word right after them."""

    words: tuple[str, ...]
    negations: tuple[str, ...]

    def complaint(self, reply: str) -> str | None:
        """The first un-negated complaint word: 我要投诉 -> 投诉; 不是投诉 -> None."""
        text = _fold(reply)
        for word in self.words:
            start = text.find(word)
            while start >= 0:
                before = text[:start]
                if not any(before.endswith(neg) for neg in self.negations):
                    return word
                start = text.find(word, start + 1)
        return None


@dataclass(frozen=True, slots=True)
class ComplaintPolicy:
    """The whole file, validated."""

    vocabulary: Vocabulary
    attribute_within_s: float
    provider_codes: frozenset[str]
    defaults: Thresholds
    signatures: dict[str, Thresholds]
    source: str

    def for_signature(self, sign_name: str) -> Thresholds:
        """The thresholds of a signature (its own, else the defaults)."""
        return self.signatures.get(sign_name.strip("【】 "), self.defaults)


def complaints_path() -> Path:
    """$XINSHI_COMPLAINTS, else rules/dispatch/complaints.yaml."""
    env = os.environ.get("XINSHI_COMPLAINTS")
    return Path(env) if env else dispatch_file("complaints.yaml")


def parse_duration(value: object) -> float | None:
    """``30m``, ``1h``, ``2d`` (or seconds as a number) -> seconds; None if not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    m = _DURATION.match(str(value).strip())
    return float(int(m.group(1)) * _UNIT[m.group(2)]) if m else None


class _Reader:
    """Collects every error of one file with its line."""

    def __init__(self, path: Path, doc: YamlDocument) -> None:
        self.path, self.doc = str(path), doc
        self.errors: list[RuleFileError] = []

    def err(self, where: tuple[str | int, ...], message: str) -> None:
        self.errors.append(RuleFileError(self.path, self.doc.line_of(*where), None, message))

    def keys(
        self, data: dict[str, Any], where: tuple[str | int, ...], known: tuple[str, ...]
    ) -> None:
        for key in data:
            if key not in known:
                line = key_line(self.doc, where, str(key))
                hint = did_you_mean(str(key), known) or f" Known keys: {', '.join(known)}."
                at = ".".join(str(w) for w in (*where, key))
                self.errors.append(
                    RuleFileError(self.path, line, None, f"unknown key {at!r}.{hint}")
                )

    def words(self, data: dict[str, Any], name: str) -> tuple[str, ...]:
        raw = data.get(name, [])
        where = ("vocabulary", name)
        if not isinstance(raw, list) or not all(isinstance(w, str | int) for w in raw):
            self.err(where, f"vocabulary.{name} is a list of words, e.g. [投诉, 举报, 12321]")
            return ()
        folded = tuple(_fold(str(w)) for w in raw)
        for i, (w, f) in enumerate(zip(raw, folded, strict=True)):
            if not f:
                self.err((*where, i), f"vocabulary.{name}[{i}] {w!r} is empty once spaces and "
                         "punctuation are dropped; write a word")  # fmt: skip
        return tuple(f for f in folded if f)

    def thresholds(
        self, data: object, where: tuple[str | int, ...], base: Thresholds
    ) -> Thresholds:
        at = ".".join(str(w) for w in where)
        if not isinstance(data, dict):
            self.err(where, f"{at} is a mapping of {', '.join(THRESHOLD_KEYS)}")
            return base
        self.keys(data, where, THRESHOLD_KEYS)
        t = base
        if "window" in data:
            s = parse_duration(data["window"])
            if s is None or not 60 <= s <= MAX_WINDOW_S:
                self.err((*where, "window"), f"{at}.window {data['window']!r} is not a window from "
                         "1 minute to 7 days; write it like 30m, 1h or 1d")  # fmt: skip
            else:
                t = replace(t, window_s=s)
        for key in ("complaints", "min_sends"):
            if key in data:
                v = data[key]
                if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                    self.err((*where, key), f"{at}.{key} {v!r} is not a whole number of at least 1")
                else:
                    t = replace(t, **{key: v})
        for key in ("optout_rate", "blacklist_rate"):
            if key in data:
                v = data[key]
                if isinstance(v, bool) or not isinstance(v, int | float) or not 0 < v < 1:
                    self.err((*where, key), f"{at}.{key} {v!r} is not a rate between 0 and 1 "
                             "(exclusive); write 0.02 for 2%")  # fmt: skip
                else:
                    t = replace(t, **{key: float(v)})  # type: ignore[arg-type]
        for key, rate in (("optout_rate", t.optout_rate), ("blacklist_rate", t.blacklist_rate)):
            if t.min_sends * rate < 1:  # one reply out of min_sends would already be over it
                self.err((*where, key), f"{at}: {key} {rate:g} with min_sends {t.min_sends} "
                         f"trips on a single reply; raise min_sends to at least "
                         f"{int(1 / rate) + 1} or the rate")  # fmt: skip
        return t


def read_policy(path: Path) -> tuple[ComplaintPolicy | None, list[RuleFileError]]:
    """Read and validate a complaints file: the policy (None on errors) and every error."""
    try:
        doc = YamlDocument(path.read_text(encoding="utf-8"))
    except OSError as exc:
        return None, [RuleFileError(str(path), None, None, f"cannot read: {exc.strerror}")]
    except Exception as exc:  # yaml.YAMLError: the parser's message names line and column
        return None, [RuleFileError(str(path), None, None, f"not valid YAML: {exc}")]
    r = _Reader(path, doc)
    data = doc.data
    if not isinstance(data, dict):
        r.err((), "the file is a mapping with vocabulary, provider_codes, defaults, signatures")
        return None, r.errors
    r.keys(data, (), TOP_KEYS)
    vocab = data.get("vocabulary")
    if not isinstance(vocab, dict):
        r.err(("vocabulary",), "vocabulary is a mapping: words: [...], negations: [...]")
        vocab = {}
    r.keys(vocab, ("vocabulary",), ("words", "negations"))
    words, negations = r.words(vocab, "words"), r.words(vocab, "negations")
    if not words and "words" in vocab:
        r.err(("vocabulary", "words"), "vocabulary.words is empty: list the complaint words")
    for neg in sorted(set(words) & set(negations)):
        r.err(("vocabulary", "negations"), f"{neg!r} is both a complaint word and a negation")
    within = parse_duration(data.get("attribute_within", "72h"))
    if within is None or not 60 <= within <= 30 * 86400:
        r.err(("attribute_within",), f"attribute_within {data.get('attribute_within')!r} is not "
              "a time from 1 minute to 30 days; write it like 72h")  # fmt: skip
        within = 72 * 3600.0
    codes: set[str] = set()
    raw_codes = data.get("provider_codes", [])
    if not isinstance(raw_codes, list):
        r.err(("provider_codes",), "provider_codes is a list of {code, provider, source}")
        raw_codes = []
    for i, item in enumerate(raw_codes):
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            r.err(("provider_codes", i), f"provider_codes[{i}] needs a code: {{code: DB:0141, "
                  "provider: aliyun, source: <the provider's document>}")  # fmt: skip
            continue
        r.keys(item, ("provider_codes", i), ("code", "provider", "meaning", "source"))
        if not item.get("source"):
            r.err(("provider_codes", i), f"provider code {item['code']!r} has no source: cite "
                  "the provider's public error-code page")  # fmt: skip
        codes.add(item["code"])
    defaults = r.thresholds(data.get("defaults", {}), ("defaults",), Thresholds())
    signatures: dict[str, Thresholds] = {}
    sigs = data.get("signatures", {}) or {}
    if not isinstance(sigs, dict):
        r.err(("signatures",), "signatures maps a signature (信使商城) to its thresholds")
        sigs = {}
    for name, value in sigs.items():
        sig = str(name).strip("【】 ")
        signatures[sig] = r.thresholds(value, ("signatures", str(name)), defaults)
    if r.errors:
        return None, r.errors
    vocabulary = Vocabulary(words, negations)
    policy = ComplaintPolicy(vocabulary, within, frozenset(codes), defaults, signatures, str(path))
    return policy, []


def load_policy(path: Path | None = None) -> ComplaintPolicy:
    """The complaint policy (default: $XINSHI_COMPLAINTS or the shipped file); raises
    ComplaintRulesError listing every problem."""
    policy, errors = read_policy(path or complaints_path())
    if errors or policy is None:
        raise ComplaintRulesError(errors)
    return policy


def complaint_rule_errors(root: Path) -> list[RuleFileError]:
    """``xinshi rules check``: the problems of ``root``/dispatch/complaints.yaml, if it exists."""
    path = root / "dispatch" / "complaints.yaml"
    return read_policy(path)[1] if path.exists() else []
