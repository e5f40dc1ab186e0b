"""Phone, landline and hotline numbers written with any digit characters and separators.

Spam writes numbers in every form but an unbroken 11-digit one: ``138-1234-5678``,
``１３８…`` (full width), ``一三八…`` (Chinese numerals), ``壹叁捌…`` (financial numerals),
``①③⑧…`` (circled digits), mixed. One regex with a single character class finds the runs of
digit characters; Python joins runs separated by at most ``MAX_GAP`` separator characters and
cuts a group at the lengths ``classify`` accepts. ``Contact`` is the finding every
``contact_*`` module returns (spans on the original text).
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

# digit character -> (digit, form); the form names the evasion (None: plain ASCII digit)
_DIGITS: dict[str, tuple[str, str | None]] = {str(d): (str(d), None) for d in range(10)}
_FORMS = (
    ("０１２３４５６７８９", "fullwidth"),
    ("〇一二三四五六七八九", "chinese_numerals"),
    (" 壹贰叁肆伍陆柒捌玖", "financial_numerals"),
    ("⓪①②③④⑤⑥⑦⑧⑨", "circled_digits"),
    (" ❶❷❸❹❺❻❼❽❾", "circled_digits"),
    (" ➀➁➂➃➄➅➆➇➈", "circled_digits"),
    (" ➊➋➌➍➎➏➐➑➒", "circled_digits"),
    (" ⑴⑵⑶⑷⑸⑹⑺⑻⑼", "circled_digits"),
    (" ⒈⒉⒊⒋⒌⒍⒎⒏⒐", "circled_digits"),
    (" 壹貳參肆伍陸柒捌玖", "financial_numerals"),  # traditional forms
)
for _chars, _form in _FORMS:
    for _d, _ch in enumerate(_chars):
        if _ch != " ":
            _DIGITS.setdefault(_ch, (str(_d), _form))
# Every other character Unicode gives a digit value: superscript and subscript digits,
# mathematical bold/double-struck/monospace digits, other scripts' digits, dingbat circles.
# Only the blocks that hold them are scanned, so the import stays fast.
_UNICODE_DIGIT_BLOCKS = ((0x00B2, 0x2FFF), (0xA620, 0xABFF), (0xFF10, 0xFF19),
                         (0x1D7CE, 0x1D7FF), (0x1F100, 0x1F10C), (0x1FBF0, 0x1FBF9))  # fmt: skip
_DIGIT_FORMS = (("SUPERSCRIPT", "superscript_digits"), ("SUBSCRIPT", "subscript_digits"),
                ("MATHEMATICAL", "math_digits"), ("CIRCLED", "circled_digits"),
                ("PARENTHESIZED", "circled_digits"), ("FULL STOP", "circled_digits"))  # fmt: skip
for _lo, _hi in _UNICODE_DIGIT_BLOCKS:
    for _cp in range(_lo, _hi + 1):
        _ch = chr(_cp)
        _value = unicodedata.digit(_ch, None)
        if _value is not None and _ch not in _DIGITS:
            _name = unicodedata.name(_ch, "")
            _form = next((f for word, f in _DIGIT_FORMS if word in _name), "unicode_digits")
            _DIGITS[_ch] = (str(_value), _form)
_DIGITS["零"] = ("0", "zero")  # shared by Chinese and financial numerals
_DIGITS["幺"] = ("1", "chinese_numerals")  # 1 as read out in phone numbers
_DIGITS["两"] = ("2", "chinese_numerals")
for _i, (_upper, _lower) in enumerate(zip("ⅠⅡⅢⅣⅤⅥⅦⅧⅨ", "ⅰⅱⅲⅳⅴⅵⅶⅷⅸ", strict=True)):
    _DIGITS[_upper] = _DIGITS[_lower] = (str(_i + 1), "roman_numerals")  # Ⅰ Ⅲ Ⅷ …
# digits as read out over the radio (幺八洞两幺勾勾…: 洞 0, 拐 7, 勾 9), in a run of numerals
for _spoken, _radio in (("洞", "0"), ("拐", "7"), ("勾", "9")):
    _DIGITS[_spoken] = (_radio, "spoken_digits")


def char_class(chars: Iterable[str]) -> str:
    """A regex character class body for ``chars``, runs of code points as ranges.

    ``re`` tests a character against a class's members past the BMP one by one (its bitmap
    covers the BMP only): the 71 digits past it, as single characters, made the class test
    at each position of every message cost more than the rest of the search; as ranges
    (𝟎-𝟿 …) they are a few tests.
    """
    cps = sorted({ord(c) for c in chars})
    parts: list[str] = []
    i = 0
    while i < len(cps):
        j = i
        while j + 1 < len(cps) and cps[j + 1] == cps[j] + 1:
            j += 1
        lo, hi = re.escape(chr(cps[i])), re.escape(chr(cps[j]))
        parts.append(lo if i == j else f"{lo}-{hi}")
        i = j + 1
    return "".join(parts)


_WIDE = re.compile("[\U00010000-\U0010ffff]")


class CharSearch:
    """A search for one character of a set, like ``re.compile(f"[{char_class(chars)}]")``,
    that tests the members past the BMP only when the searched stretch has a character
    there: even as ranges, scattered ones (math letters 𝐐 𝐕 𝐖 𝐗 in every style) are tested
    one by one at every position."""

    __slots__ = ("full", "narrow", "pattern")

    def __init__(self, chars: Iterable[str]) -> None:
        chars = set(chars)
        self.full = re.compile(f"[{char_class(chars)}]")
        narrow = [c for c in chars if c < "\U00010000"]
        self.narrow = re.compile(f"[{char_class(narrow)}]" if narrow else "(?!)")
        self.pattern = self.full.pattern

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """The first character of the set in ``text[pos:endpos]``, as ``re`` finds it."""
        wide = _WIDE.search(text, pos, endpos) is not None
        return (self.full if wide else self.narrow).search(text, pos, endpos)


DIGIT_CLASS = char_class(_DIGITS)
DIGIT_RUN = re.compile(f"[{DIGIT_CLASS}]+")
_TO_ASCII = str.maketrans({c: d for c, (d, _) in _DIGITS.items()})
_NO_FORMS: frozenset[str] = frozenset()

# Between the digits of one number: spaces, dashes, dots, brackets, zero-width characters,
# symbols and emoji (138-1234-5678, 138 1234 5678, 1❤3❤8…). Not sentence punctuation, '*' (a
# masked number: 138****5678, whose stars are more than ``MAX_GAP``; one star between groups,
# 1515*5705*871, is a separator), '/' or ':' (dates, times, fractions). Carets and back-quotes
# (1^8940'2^6^9^560) are no arithmetic in a message; line breaks (a number written down the
# screen, one digit a line) are separators too, and so are CJK brackets around groups
# (【138】【1234】【5678】, 〔138〕…).
SEPARATOR_CLASS = (
    r" \t\r\n\u3000\-‐‑‒–—―－_.·•~～()（）\[\]［］<>\"'“”‘’*＊^＾`"
    "【】〔〕〖〗『』「」{}｛｝"
    "\u00a0\u2000-\u200f\u2060\ufeff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
    # line and paragraph separators, bidi marks, the narrow and the medium math space
    # (1\u202f3\u202f9\u202f8…: round 10, a dev miss)
    "\u2028-\u202f\u205f"
    # keycap digits (1️⃣3️⃣8️⃣: a digit, the emoji variation selector, the combining keycap)
    "\ufe0f\u20e3"
)
DIGIT_CHARS = frozenset(_DIGITS)  # every character read as a digit
# A stretch that may hold a number: a digit, then at least 4 more digits or separators.
CANDIDATE = re.compile(f"[{DIGIT_CLASS}][{DIGIT_CLASS}{SEPARATOR_CLASS}]{{4,}}")
MAX_GAP = 3  # separator characters allowed between two digits of one number


LABEL_WINDOW = 10


class Contact(NamedTuple):
    """A contact detail found in the message (original-text span)."""

    kind: str  # phone, landline, hotline, qq, wechat, email, url
    start: int
    end: int
    value: str  # the digits, the ID or the address
    evasion: str | None  # how it was disguised: separators, fullwidth, chinese_numerals, ...


class _Run(NamedTuple):
    start: int
    end: int
    digits: str
    forms: frozenset[str]


def overlaps(c: Contact, found: list[Contact]) -> bool:
    return any(f.start < c.end and c.start < f.end for f in found)


def through_keycap(text: str, c: Contact) -> Contact:
    """End a number's span after the keycap marks of its last digit (…5️⃣, not …5)."""
    end = c.end
    while end < len(text) and end - c.end < 2 and text[end] in "\ufe0f\u20e3":
        end += 1
    return c if end == c.end else c._replace(end=end)


# A mobile number cut by slashes or bars (185/2353/5448, 138|1234|5678): '/' is no separator
# in general (dates 2026/12/02, fractions), but three groups of 3-4 digits that make an 11-digit
# mobile number are no date.
_SLASHED = re.compile(
    r"(\d(?<![\d/|\\／｜＼]\d)\d{2,3})([/|\\／｜＼])(\d{3,4})\2(\d{3,4})(?![\d/|\\／｜＼])"
)


# ... or by any other character, the same one twice (138嗯1234嗯5678, 138a1234a5678,
# 138的1234的5678): three groups of 3-4 digits cut by one repeated character that make a mobile
# number are one number (prices and dates cut so make none).
# (both start with a digit, its look-behind after it: ``re`` then skips to the digits in C
# instead of testing the look-behind at every position)
_CUT = re.compile(
    r"(\d(?<!\d\d)\d{2,3})([^\d\s，。,;；:：!！?？/|\\／｜＼])(\d{3,4})\2(\d{3,4})(?!\d)"
)


def cut_numbers(text: str, found: list[Contact]) -> list[Contact]:
    """Mobile numbers cut into three groups by one repeated character (slashes and bars only
    when the message has one), except those overlapping a contact in ``found``."""
    out: list[Contact] = []
    slashed = "/" in text or "|" in text or "\\" in text or "／" in text or "｜" in text
    for pattern in (_SLASHED, _CUT) if slashed else (_CUT,):
        for m in pattern.finditer(text):
            digits = ascii_digits(m.group(1) + m.group(3) + m.group(4))
            s, e = m.span()
            sep = m.group(2)
            if (
                classify(digits) == "phone"
                and standalone(text, s, e)
                and text[s - 1 : s] != sep
                and text[e : e + 1] != sep
                and not any(c.start < e and s < c.end for c in (*found, *out))
            ):
                evasion = "inserted_word" if sep.isalpha() else "separators"
                out.append(Contact("phone", s, e, digits, evasion))
    return out


def digit_groups(chunk: str, offset: int) -> list[list[tuple[int, int]]]:
    """The digit runs of a candidate stretch (text spans), grouped when at most ``MAX_GAP``
    separators stand between them; only groups of at least 5 digits (shorter cannot be a
    contact)."""
    spans: list[list[tuple[int, int]]] = []
    prev_end = -MAX_GAP - 1
    for m in DIGIT_RUN.finditer(chunk):
        s, e = m.span()
        if spans and s - prev_end <= MAX_GAP:
            spans[-1].append((offset + s, offset + e))
        else:
            spans.append([(offset + s, offset + e)])
        prev_end = e
    return [g for g in spans if g[-1][1] - g[0][0] >= 5 and digit_count(g) >= 5]


def digit_count(group: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in group)


def _run(chars: str, start: int) -> _Run:
    if chars.isascii():
        return _Run(start, start + len(chars), chars, _NO_FORMS)
    forms = frozenset([f for c in chars if (f := _DIGITS[c][1]) is not None])
    return _Run(start, start + len(chars), chars.translate(_TO_ASCII), forms)


def digit_runs(text: str, spans: list[tuple[int, int]]) -> list[_Run]:
    return [_run(text[s:e], s) for s, e in spans]


def ascii_digits(digits: str) -> str:
    return digits if digits.isascii() else digits.translate(_TO_ASCII)


# The first two digits of every number ``classify`` accepts (86 for +86 numbers, 1x mobiles,
# 400/800 hotlines, 0x landlines, 95xxx/96xxx hotlines) and the lengths it accepts: a stretch
# of thousands of digits (1.1.1.…) is skipped without trying every cut.
_PREFIXES = frozenset(
    ["86", "40", "80", "95", "96", *(f"1{d}" for d in "3456789")] + [f"0{d}" for d in "123456789"]
)
_LENGTHS = (5, 6, 10, 11, 12, 13)


def split_numbers(text: str, group: list[tuple[int, int]]) -> list[Contact]:
    """Phone, landline and hotline numbers in a group of digit runs (text spans), cut at
    separators when it holds more than one (13812345678 13912345678).

    From each run, the runs after it are joined while the number is at most 13 digits; the
    longest join ``classify`` accepts wins, except that a phone or an 11+ digit number ends
    the search. Only joins of an accepted length can be accepted, so only those are tried.
    """
    out: list[Contact] = []
    digits = "".join(text[s:e] for s, e in group)
    if not digits.isascii():
        digits = digits.translate(_TO_ASCII)
    if not any(prefix in digits for prefix in _PREFIXES):
        return out  # no accepted number starts anywhere in it (1.1.1.…: thousands of runs)
    ends: dict[int, int] = {}  # digits before the end of run j -> j
    total = 0
    for j, (s, e) in enumerate(group):
        total += e - s
        ends[total] = j
    i, base, n = 0, 0, len(group)
    while i < n:
        found = None
        if digits[base : base + 2] in _PREFIXES:
            for length in _LENGTHS:
                j = ends.get(base + length, -1)
                if j < 0:
                    continue
                kind = classify(digits[base : base + length])
                if kind is not None:
                    found = (j, kind, length)
                    if kind == "phone" or length >= 11:
                        break
        if found is None:
            base += group[i][1] - group[i][0]
            i += 1
            continue
        j, kind, length = found
        start, end = group[i][0], group[j][1]
        if standalone(text, start, end) and (
            kind != "hotline" or length >= 10 or dialled(text, start)
        ):
            out.append(make_contact(kind, start, digit_runs(text, group[i : j + 1]), False))
        base += length
        i = j + 1
    return out


def classify(digits: str) -> str | None:
    """phone (mainland mobile), landline, hotline (400/800, 95xxx) or None."""
    n = len(digits)
    if n == 13 and digits.startswith("86"):
        digits, n = digits[2:], 11
    if n == 11 and digits[0] == "1" and digits[1] in "3456789":
        return "phone"
    if n == 10 and digits[:3] in ("400", "800"):
        return "hotline"
    if digits[0] == "0" and digits[1:2] not in ("", "0") and 10 <= n <= 12:
        return "landline"
    if n in (5, 6) and digits[:2] in ("95", "96"):
        return "hotline"
    return None


# words a number may be glued to: a dial label is no code (Tel189-9799-5352, call165 1392 2819)
_DIAL_PREFIXES = ("tel", "call", "phone", "mobile", "mob")


def standalone(text: str, start: int, end: int) -> bool:
    """A number is not part of a longer code: no letter, digit or '*' right next to it; a
    lone '*' (…92*。) is punctuation, a mask (138****5678) or a product (5678*2) is not.
    A dial word right before it (Tel, call) is a label, not part of a code."""
    before = _glued_at(text, start - 1, -1) and not _dial_label(text, start)
    return not (before or _glued_at(text, end, 1))


def _dial_label(text: str, start: int) -> bool:
    head = text[max(0, start - 7) : start].lower()
    for word in _DIAL_PREFIXES:
        if head.endswith(word):
            i = start - len(word) - 1
            return i < 0 or not (text[i].isascii() and text[i].isalnum())
    return False


def _glued_at(text: str, i: int, step: int) -> bool:
    ch = text[i] if 0 <= i < len(text) else ""
    if ch in ("*", "＊"):
        j = i + step
        beyond = text[j] if 0 <= j < len(text) else ""
        return beyond in ("*", "＊") or _glued(beyond)
    return _glued(ch)


def _glued(ch: str) -> bool:
    return bool(ch) and ((ch.isascii() and ch.isalnum()) or ch in "*＊" or "ａ" <= ch <= "ｚ")


# traditional forms too: the window is read as written (folding it costs more than the test)
DIAL_WORDS = (
    "电话", "電話", "热线", "熱線", "致电", "致電", "拨打", "撥打", "来电", "來電", "联系",
    "聯繫", "客服", "咨询", "諮詢", "详询", "詳詢", "tel", "Tel", "TEL",
)  # fmt: skip


def dialled(text: str, start: int) -> bool:
    """A 5-6 digit 95xxx number counts as a hotline only after a phone word (金额95000元 is
    not one)."""
    window = text[max(0, start - LABEL_WINDOW) : start]
    return any(w in window for w in DIAL_WORDS)


def make_contact(kind: str, start: int, runs: list[_Run], variant: bool) -> Contact:
    digits = "".join(r.digits for r in runs)
    forms: set[str] = set().union(*(r.forms for r in runs))
    if "zero" in forms:
        forms.discard("zero")
        forms = forms or {"chinese_numerals"}
    if "spoken_digits" in forms:
        evasion: str | None = "spoken_digits"  # 幺八洞两…: the radio reading names it
    elif len(forms) > 1:
        evasion = "mixed"
    elif forms:
        evasion = next(iter(forms))
    elif len(runs) > 1:
        evasion = "separators"
    else:
        evasion = "variant" if variant else None
    return Contact(kind, start, runs[-1].end, digits, evasion)


def has_fullwidth(text: str) -> bool:
    """Full-width letters or digits (ＶＸ, １２３); full-width punctuation is ordinary."""
    return any("\uff10" <= ch <= "\uff19" or "\uff21" <= ch <= "\uff5a" for ch in text)
