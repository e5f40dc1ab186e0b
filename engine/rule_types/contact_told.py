"""Phone numbers told in pieces, so that no scanner sees them whole: parts joined by a word
(131接5515再接8093), reversed (67493829291（倒过来）) or labelled by position
(前三位138，中间四位1234，后四位5678)."""

from __future__ import annotations

import re

from engine.rule_types.contact_numbers import (
    CANDIDATE,
    DIAL_WORDS,
    DIGIT_CLASS,
    DIGIT_RUN,
    Contact,
    ascii_digits,
    classify,
    dialled,
    digit_groups,
    standalone,
)

# A number told in pieces, so that no scanner sees it whole:
# - joined parts: 131接5515再接8093, 174，2853，4760（连起来）, 15252(空)878024 — parts of 2-8
#   digits joined by a spoken connector (接, 再接, 然后, 加, +, 空格), a word in brackets, or
#   commas (commas only with a cue: 连起来, 拼起来, or a phone word before it; never before a
#   unit: prices are listed so);
# - reversed: 67493829291（倒过来） — eleven digits that read as a mobile backwards, next to
#   a cue (倒过来, 倒着, 反过来, 倒序);
# - parts by position: 尾号9445，前面是1391065; 前三位138，中间四位1234，后四位5678;
#   手机17445，后六位198167 — parts labelled head, middle or tail (and a head right before
#   a labelled part), put in order, that make a mobile number.
_D = f"[{DIGIT_CLASS}]"
_JOIN_WORD = r"再接|接着|后接|后面接|然后是|然后|后面是|加上|接|加|空格|空|横杠|杠|点"
_JOIN_BRACKET = r"[(（\[【]\s?[^\s()（）\[\]【】]{1,3}?\s?[)）\]】]"
_JOIN = (
    rf"\s{{0,2}}(?:[，,、]?\s?(?P<w>{_JOIN_WORD}|[+＋])|(?P<b>{_JOIN_BRACKET})|[，,、])\s{{0,2}}"
)
_JOINED = re.compile(rf"(?<!{_D}){_D}{{2,8}}(?:{_JOIN}{_D}{{2,8}}){{1,4}}(?!{_D})")
_JOIN_CUE = ("连起来", "连在一起", "拼起来", "合起来", "组合", "连读", "拼一起")
# commas join the parts of a number only with a cue (连起来) or a phone word in the message
_JOIN_CUE_OR_DIAL = re.compile("|".join(map(re.escape, (*_JOIN_CUE, *DIAL_WORDS))))
_UNITS = "元块角万千百亿%％折件个人次天月年号"
_REVERSED_CUE = re.compile(r"倒过来|倒着|反过来|反着|倒序|倒读|逆序|从后往前|从右往左")
_POSITION = re.compile(
    r"(?:(?P<head>前\s?[三四五六七3-7]\s?位|前面|开头|前几位)"
    r"|(?P<mid>中间\s?[三四五3-5]?\s?位?)"
    r"|(?P<tail>后\s?[四五六七八4-8]\s?位|尾号|尾数|末\s?[四五4-5]\s?位|后面|结尾|最后(?:\s?[四4]\s?位)?))"
    rf"(?:是|为)?[:：\s]{{0,2}}(?P<d>{_D}{{3,8}})(?!{_D})"
)
_PARTS_GATE = re.compile(r"位|尾号|尾数|前面|后面|开头|结尾|最后")
# a head before a labelled part, bare or with 开头/打头 after it (138开头，后面是00112233)
_BARE_HEAD = re.compile(rf"(?<!{_D})({_D}{{3,7}})(?:开头|打头)?[,，、;；\s和]{{0,3}}$")


def told_numbers(text: str, found: list[Contact]) -> list[Contact]:
    """Phone numbers told in pieces: joined parts, reversed, parts by position."""
    out: list[Contact] = []
    done = 0
    for lo, hi in _join_windows(text):
        for m in _JOINED.finditer(text, max(lo, done), hi):
            out.extend(_joined(text, m))
            done = m.end()
    if _REVERSED_CUE.search(text):
        out.extend(_reversed(text))
    if _PARTS_GATE.search(text):
        out.extend(_positioned(text))
    return [c for c in out if not any(f.start < c.end and c.start < f.end for f in found)]


_JOIN_CHAR = re.compile(r"[接空然加+＋(（\[【杠横点后]")
# A connector between two digits (the common digit forms only): where _JOINED is tried
_JOIN_SPOT = re.compile(
    rf"[0-9０-９〇一二三四五六七八九零幺两]\s{{0,2}}(?:[，,、]?\s?(?:{_JOIN_WORD}|[+＋])|{_JOIN_BRACKET}|[，,、])"
    r"\s{0,2}[0-9０-９〇一二三四五六七八九零幺两]"
)


def _join_windows(text: str) -> list[tuple[int, int]]:
    """Stretches around each connector with a digit on both sides: the joined-parts regex
    runs there only (run on the whole text, it tries every digit of every message)."""
    windows: list[tuple[int, int]] = []
    if not _JOIN_CHAR.search(text) and not (
        ("，" in text or "," in text or "、" in text) and _JOIN_CUE_OR_DIAL.search(text)
    ):
        return windows  # commas join parts only with a cue or a phone word
    for m in _JOIN_SPOT.finditer(text):
        lo, hi = max(0, m.start() - 10), min(len(text), m.end() + 44)
        if windows and lo <= windows[-1][1]:
            windows[-1] = (windows[-1][0], hi)
        else:
            windows.append((lo, hi))
    return windows


def _positioned(text: str) -> list[Contact]:
    """Parts labelled by position, at most 10 characters apart, in head-middle-tail order."""
    groups: list[list[tuple[int, int, int, str]]] = []  # (rank, start, end, digits)
    for m in _POSITION.finditer(text):
        rank = 0 if m["head"] else 1 if m["mid"] else 2
        part = (rank, m.start(), m.end(), m["d"])
        if groups and m.start() - groups[-1][-1][2] <= 10:
            groups[-1].append(part)
        else:
            bare = _BARE_HEAD.search(text, max(0, m.start() - 12), m.start()) if rank else None
            groups.append([(0, bare.start(1), bare.end(1), bare[1])] if bare else [])
            groups[-1].append(part)
    out = []
    for g in groups:
        if len(g) < 2:
            continue
        digits = ascii_digits("".join(d for _, _, _, d in sorted(g, key=lambda p: p[0])))
        if classify(digits) == "phone":
            start, end = min(p[1] for p in g), max(p[2] for p in g)
            out.append(Contact("phone", start, end, digits, "split_parts"))
    return out


def _joined(text: str, m: re.Match[str]) -> list[Contact]:
    s, e = m.span()
    chunk = m.group()
    parts = DIGIT_RUN.findall(chunk)
    digits = ascii_digits("".join(parts))
    if classify(digits) not in ("phone", "landline") or not standalone(text, s, e):
        return []
    if e < len(text) and text[e] in _UNITS:
        return []  # 159，2999，3999元: prices
    spoken = _JOINED_WORD.search(chunk) is not None
    bracket = _JOINED_BRACKET.search(chunk) is not None
    if not spoken and not bracket:
        # commas only: 174，2853，4760 with 连起来 after it or a phone word before it
        after = text[e : e + 10]
        if not any(cue in after for cue in _JOIN_CUE) and not dialled(text, s):
            return []
    evasion = "inserted_word" if bracket and not spoken else "joined_parts"
    return [Contact(classify(digits) or "phone", s, e, digits, evasion)]


_JOINED_WORD = re.compile(rf"{_D}\s{{0,2}}[，,、]?\s?(?:{_JOIN_WORD}|[+＋])\s{{0,2}}{_D}")
_JOINED_BRACKET = re.compile(_JOIN_BRACKET)


def _reversed(text: str) -> list[Contact]:
    out = []
    for cue in _REVERSED_CUE.finditer(text):
        lo = max(0, cue.start() - 24)
        for m in CANDIDATE.finditer(text, lo, min(len(text), cue.end() + 16)):
            for group in digit_groups(m.group(), m.start()):
                digits = ascii_digits("".join(text[a:b] for a, b in group))
                if classify(digits[::-1]) == "phone" and classify(digits) != "phone":
                    out.append(
                        Contact("phone", group[0][0], group[-1][1], digits[::-1], "reversed")
                    )
        # an e-mail address written backwards (moc.qq@654cba（倒过来）)
        lo, hi = max(0, cue.start() - 40), min(len(text), cue.end() + 40)
        if "@" in text[lo:hi] or "＠" in text[lo:hi]:
            window = text[lo:hi][::-1]
            for m in _REVERSED_EMAIL.finditer(window):
                s, e = lo + len(window) - m.end(), lo + len(window) - m.start()
                out.append(Contact("email", s, e, m.group().replace("＠", "@"), "reversed"))
    return out


_REVERSED_EMAIL = re.compile(
    r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]{1,64}[@＠][A-Za-z0-9-]{1,63}\.[A-Za-z]{2,10}"
    r"(?![A-Za-z0-9-])"
)
