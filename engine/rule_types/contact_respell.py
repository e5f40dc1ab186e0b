"""Phone and QQ numbers respelled in other characters: sound-alike characters (腰伞吧灵…),
look-alike letters (138O0l38000), pinyin or English words (yao san ba…, one three eight…)."""

from __future__ import annotations

import re
from importlib import resources

from engine.normalize import Normalized, fold, unconfuse
from engine.rule_types.contact_labels import LABEL_STRIP, Labels
from engine.rule_types.contact_numbers import (
    DIGIT_CHARS,
    LABEL_WINDOW,
    SEPARATOR_CLASS,
    Contact,
    ascii_digits,
    char_class,
    classify,
    overlaps,
)


def find_respelled(
    text: str, folded: str, norm: Normalized, labels: Labels | None, found: list[Contact]
) -> list[Contact]:
    """Numbers respelled by sound, by look-alike letters or in words, except those
    overlapping a contact in ``found`` or found before them here."""
    out: list[Contact] = []
    seen = [*found]

    def add(found_here: list[Contact]) -> None:
        for c in found_here:
            if not overlaps(c, seen):
                out.append(c)
                seen.append(c)

    hot = _hot_sounds(text)
    if hot:
        add(_sounded(text, hot))
        if labels is not None and labels.hint.search(text):
            add(_sounded_qq(text, labels, hot))
    if ("O" in text or "o" in text or "I" in text or "l" in text) and _LETTERED.search(text):
        add(_lettered(text))
    if _SPELLED_HINT.search(folded):
        add(_spelled_numbers(folded, norm, labels))
    return out


# Digits written as characters that sound like them (腰伞吧灵…: yāo sān bā líng), from
# engine/data/contact_sounds.tsv: eleven in a row, up to two separators between two of them
# (妖伞吧-期期久-零灵…), one of them at least a sound-alike, that make a mobile number. Not
# digits elsewhere: a mobile glued to one of these characters (我是你爸13812345678) stays a
# plain mobile.
def _load_sounds() -> dict[str, str]:
    text = resources.files("engine").joinpath("data/contact_sounds.tsv").read_text("utf-8")
    out: dict[str, str] = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            digit, chars = line.split("\t")
            out.update(dict.fromkeys(chars.strip(), digit))
    return out


_SOUNDS = _load_sounds()
_SOUND_OR_DIGIT = f"[{char_class([*_SOUNDS, *DIGIT_CHARS])}]"
# separators and sound-alikes are disjoint, so each character has one way to be read
_SOUNDED = re.compile(f"{_SOUND_OR_DIGIT}(?:[{SEPARATOR_CLASS}]{{0,2}}{_SOUND_OR_DIGIT}){{10,12}}")
_SOUNDS_GATE = re.compile(f"[{char_class(_SOUNDS)}]")
_FROM_SOUNDS = str.maketrans(_SOUNDS)
_SEPARATOR = re.compile(f"[{SEPARATOR_CLASS}]")


# a sound-alike counts only with two digits or sound-alikes within this distance (分3期 no)
_SOUNDS_NEAR = 3
_SOUNDS_SPAN = 40  # characters either side of it that a run through it can take
_SOUNDS_MAX = 64  # sound-alikes looked at per message (each reads a bounded window)


def _hot_sounds(text: str) -> list[int]:
    """Where a sound-alike stands with digits or other sound-alikes near it (期, 无, 领 …
    are common words: alone they start no number)."""
    hot: list[int] = []
    for n, g in enumerate(_SOUNDS_GATE.finditer(text)):
        if n == _SOUNDS_MAX:
            break
        p = g.start()
        near = text[max(0, p - _SOUNDS_NEAR) : p] + text[p + 1 : p + 1 + _SOUNDS_NEAR]
        if sum(c in _SOUNDS or c in DIGIT_CHARS for c in near) >= 2:
            hot.append(p)
    return hot


def _sounded(text: str, hot: list[int]) -> list[Contact]:
    """Mobile numbers through a sound-alike: the run regex reads only a window around each
    hot sound-alike."""
    out: list[Contact] = []
    seen: set[int] = set()
    for p in hot:
        lo, hi = max(0, p - _SOUNDS_SPAN), min(len(text), p + _SOUNDS_SPAN + 1)
        for m in _SOUNDED.finditer(text, lo, hi):
            if m.start() > p or m.end() <= p:
                continue  # a run without this sound-alike: another one's window has it
            c = _sounded_phone(text, m)
            if c is not None and c.start not in seen:
                seen.add(c.start)
                out.append(c)
    out.sort(key=lambda c: c.start)
    return out


def _sounded_phone(text: str, m: re.Match[str]) -> Contact | None:
    chunk = m.group()
    # the positions of the characters read as digits (separators left out)
    at = [m.start() + i for i, c in enumerate(chunk) if not _SEPARATOR.match(c)]
    read = "".join(text[i] for i in at)
    digits = ascii_digits(read.translate(_FROM_SOUNDS))
    for k in range(len(digits) - 10):
        if classify(digits[k : k + 11]) == "phone" and any(c in _SOUNDS for c in read[k : k + 11]):
            s, e = at[k], at[k + 10] + 1
            return Contact("phone", s, e, digits[k : k + 11], "homophone_digits")
    return None


# A QQ number in sound-alikes after a QQ label (扣扣：腰伞吧腰儿伞寺舞溜): 5 to 11 of them
_SOUNDED_SHORT = re.compile(
    f"{_SOUND_OR_DIGIT}(?:[{SEPARATOR_CLASS}]{{0,2}}{_SOUND_OR_DIGIT}){{4,10}}"
    f"(?![{SEPARATOR_CLASS}]{{0,2}}{_SOUND_OR_DIGIT})"
)


_QQ_LABEL_TAIL = re.compile(r"(?:号码|号|群)?[ :=是为]{0,3}")


def _sounded_qq(text: str, labels: Labels, hot: list[int]) -> list[Contact]:
    """QQ numbers through a sound-alike, right after a listed QQ label (read on the folded
    window around each hot sound-alike; a window whose fold changes its length is skipped)."""
    out: list[Contact] = []
    if labels.far is None:
        return out
    seen: set[int] = set()
    for p in hot:
        lo = max(0, p - _SOUNDS_SPAN)
        raw = text[lo : p + _SOUNDS_SPAN + 1]
        window = unconfuse(fold(raw)).lower()
        if len(window) != len(raw):
            continue
        for label in labels.far.finditer(window, 0, p - lo):
            if label["qq"] is None or lo + label.start() in seen:
                continue
            tail = _QQ_LABEL_TAIL.match(window, label.end())
            m = _SOUNDED_SHORT.match(window, tail.end() if tail is not None else label.end())
            if m is None or m.start() > p - lo or m.end() <= p - lo:
                continue
            read = "".join(c for c in m.group() if not _SEPARATOR.match(c))
            digits = ascii_digits(read.translate(_FROM_SOUNDS))
            if digits[0] != "0" and any(c in _SOUNDS for c in read):
                seen.add(lo + label.start())
                out.append(
                    Contact("qq", lo + label.start(), lo + m.end(), digits, "homophone_digits")
                )
    return out


# A mobile number with look-alike letters for digits (138O0l38000: O for 0, l or I for 1)
_LETTERED = re.compile(r"1[0-9OoIl]{10}(?![A-Za-z0-9])")  # the start is tested in Python
_LETTER_DIGITS = str.maketrans("OoIl", "0011")


def _lettered(text: str) -> list[Contact]:
    out = []
    for m in _LETTERED.finditer(text):
        if m.start() > 0 and text[m.start() - 1].isascii() and text[m.start() - 1].isalnum():
            continue
        chunk = m.group()
        digits = chunk.translate(_LETTER_DIGITS)
        if not chunk.isdigit() and sum(c.isdigit() for c in chunk) >= 7 and classify(digits):
            out.append(Contact("phone", m.start(), m.end(), digits, "homoglyph"))
    return out


# Digits spelled in pinyin or English (yao san ba ling…, one three eight…): a stretch of
# letters and separators is parsed into numeral syllables; eleven in a row that make a
# mobile number are one. Parsed in Python, word by word: one character class finds stretches.
_SPELLED = {
    **dict.fromkeys(("ling", "dong"), "0"), **dict.fromkeys(("yi", "yao"), "1"),
    **dict.fromkeys(("er", "liang"), "2"), "san": "3", "si": "4", "wu": "5", "liu": "6",
    **dict.fromkeys(("qi", "guai"), "7"), "ba": "8", **dict.fromkeys(("jiu", "gou"), "9"),
    **dict.fromkeys(("zero", "oh"), "0"), "one": "1", "two": "2", "three": "3", "four": "4",
    "five": "5", "six": "6", "seven": "7", "eight": "8", "nine": "9",
}  # fmt: skip
# one token: a numeral (longest first: liang before li…, six before si), separators, or
# the rest of a word that is no numeral
_SPELLED_TOKEN = re.compile(
    "|".join(sorted(_SPELLED, key=len, reverse=True)) + r"|[ \-.,·_/]+|[a-z]+"
)
_SPELLED_STRETCH = re.compile(r"[a-z][a-z \-.,·_/]{12,160}")
_SPELLED_HINT = re.compile(r"(?:san|liu|jiu|three|seven|eight)[ \-.,·_/]{0,2}[a-z]")


def _spelled_numbers(folded: str, norm: Normalized, labels: Labels | None) -> list[Contact]:
    out = []
    for m in _SPELLED_STRETCH.finditer(folded):
        digits: list[tuple[str, int, int]] = []  # (digit, start, end) in the folded text
        for t in _SPELLED_TOKEN.finditer(folded, m.start(), m.end()):
            digit = _SPELLED.get(t.group())
            if digit is not None:
                digits.append((digit, t.start(), t.end()))
            elif t.group()[0].isalpha():  # a word that is no numeral ends the sequence
                out.extend(_spelled(folded, digits, norm, labels))
                digits = []
        out.extend(_spelled(folded, digits, norm, labels))
    return out


def _spelled(
    folded: str, digits: list[tuple[str, int, int]], norm: Normalized, labels: Labels | None
) -> list[Contact]:
    """A mobile number in a spelled sequence, or a QQ number after a QQ label (QQ：yi er…)."""
    if len(digits) >= 11:
        found = _spelled_phone(digits, norm)
        if found:
            return found
    if labels is None or not 5 <= len(digits) <= 11:
        return []
    start = digits[0][1]
    window = folded[max(0, start - LABEL_WINDOW) : start]
    stripped = window.rstrip(LABEL_STRIP)
    m = labels.qq.search(stripped)
    if m is None or (m.group() == "q" and ":" not in window[len(stripped) :]):
        return []  # a lone q needs a ':' (q: yi er san…)
    s, e = norm.folded_span(start - len(window) + m.start(), digits[-1][2])
    return [Contact("qq", s, e, "".join(d for d, _, _ in digits), "spelled_digits")]


def _spelled_phone(digits: list[tuple[str, int, int]], norm: Normalized) -> list[Contact]:
    value = "".join(d for d, _, _ in digits)
    for n in (13, 11):
        for k in range(len(value) - n + 1):
            if value[k] in "18" and classify(value[k : k + n]) == "phone":
                s, e = norm.folded_span(digits[k][1], digits[k + n - 1][2])
                return [Contact("phone", s, e, value[k : k + n], "spelled_digits")]
    return []
