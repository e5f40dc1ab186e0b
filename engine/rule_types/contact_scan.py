"""Find contact details in a message: phone numbers, QQ numbers, WeChat IDs, e-mail addresses.

Spam writes them in every form but an unbroken 11-digit number: ``138-1234-5678``,
``１３８…`` (full width), ``一三八…`` (Chinese numerals), ``壹叁捌…`` (financial numerals),
``①③⑧…`` (circled digits), mixed; ``QQ：123456789``, ``扣扣123456789``; ``+薇：abc123``.

Linear time by construction: one regex with a single character class finds the runs of digit
characters, Python joins runs separated by at most ``MAX_GAP`` separator characters, labels
are read from a bounded window before a number, and every other search is a literal-anchored
regex with bounded repeats. Spans are on the original text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from engine.normalize import Normalized, fold, tables, unconfuse
from engine.rule_types.contact_accounts import Platforms, default_platforms, find_accounts

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
_RUN = re.compile(f"[{''.join(re.escape(c) for c in _DIGITS)}]+")
_TO_ASCII = str.maketrans({c: d for c, (d, _) in _DIGITS.items()})
_NO_FORMS: frozenset[str] = frozenset()

# Between the digits of one number: spaces, dashes, dots, brackets, zero-width characters,
# symbols and emoji (138-1234-5678, 138 1234 5678, 1❤3❤8…). Not sentence punctuation, '*' (a
# masked number: 138****5678, whose stars are more than ``MAX_GAP``; one star between groups,
# 1515*5705*871, is a separator), '/' or ':' (dates, times, fractions). Carets and back-quotes
# (1^8940'2^6^9^560) are no arithmetic in a message; line breaks (a number written down the
# screen, one digit a line) are separators too.
_SEPARATOR_CLASS = (
    r" \t\r\n\u3000\-‐‑‒–—―－_.·•~～()（）\[\]［］<>\"'“”‘’*＊^＾`"
    "\u00a0\u2000-\u200f\u2060\ufeff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001faff"
    # keycap digits (1️⃣3️⃣8️⃣: a digit, the emoji variation selector, the combining keycap)
    "\ufe0f\u20e3"
)
_DIGIT_CLASS = "".join(re.escape(c) for c in _DIGITS)
# A stretch that may hold a number: a digit, then at least 4 more digits or separators.
_CANDIDATE = re.compile(f"[{_DIGIT_CLASS}][{_DIGIT_CLASS}{_SEPARATOR_CLASS}]{{4,}}")
MAX_GAP = 3  # separator characters allowed between two digits of one number


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


# Labels right before a number (on the folded window, ':' and spaces stripped off its end;
# look-alike letters read as the letter they imitate: ǫǫ is qq, νχ is vx) and before a WeChat
# ID. The label words are data (rules/lists/contact_labels_qq.txt, contact_labels_wechat.txt,
# compiled by ``compile_labels``); the grammar around them is here: 号/号码/群 after a label,
# 加/+/➕ before it, up to two symbols or spaces between its characters (Q.Q, 微❤信, V·X).
# Built in: 🐧 (QQ's penguin; a word list cannot hold a symbol alone); a lone q, which needs
# 加q, q:, q群 or a disguised number right after it (Q845315 is a model number, Ｑ845315 not).
PENGUIN = "🐧"
# \w, not a range of code points: a class with the CJK range costs ~1 ms to compile, and this
# one stands between every two characters of every label word
_GAP = r"[^\w,!?;:：，。！？；]{0,2}"
_QQ_BUILT_IN = r"(?<![a-z])q|q(?=群)|🐧"
_QQ_PLAIN = frozenset(("qq", "q"))
# Characters that stand for 微 in 微信 (薇信, 威信, 徽信, 魏信, 嶶信, 溦信 …)
_WEI = "微薇威徽危魏嶶溦徾"
# Other characters read wei: they stand for 微 only with a symbol and an ID after them
# (维❤ dd_41300)
_WEI_SOUND = _WEI + "维唯惟伟韦围卫喂巍"
# 薇❤: a symbol (no space) after a 微-like character, then the ID (微❤信 is a listed 微信)
_WECHAT_NOISY = rf"[{_WEI_SOUND}] ?[^a-z0-9\u3400-\u9fff\s,!?;:：，。！？；]{{1,2}}"
# V❤: a non-ASCII symbol after the v (ASCII ones are URL paths: /v-promo2026)
_WECHAT_LATIN_NOISY = r"(?<![a-z])v[^\x00-\x7f\w\s，。！？；：]{1,2}"
_WECHAT_WEAK = frozenset(("v", "微", "薇", "威"))  # need a ':' or a 加/+ before them
_WECHAT_PLAIN = frozenset(("微信", "wechat", "weixin", "wechat id", "wechatid"))
_LABEL_WINDOW = 10
_CJK_UNDERSCORE = re.compile(r"(?<=[\u3400-\u9fff])_(?=[\u3400-\u9fff])")
_LABEL_STRIP = " \u3000:=是为\t"
# A single 徽/魏/薇 … counts as a label only right before an ID with a digit (徽tt_9722); not
# 微 (稍微, 轻微), 安徽 or 权威.
_WEI_ALONE = _WEI.replace("微", "")
# a WeChat ID: a letter, then 5-19 letters, digits, '_' or '-' (Tencent's rule for IDs); not
# a host name (https://w.xyzabc1.com: w.x is no label there)
_ID = r"(?:号码|号)?(?P<gap>[ :=+]{0,3})(?P<id>[a-z][a-z0-9_-]{5,19})(?![a-z0-9_-]|\.[a-z])"
# A cheap test before the WeChat-ID pattern (which has no literal prefix): six ID characters
_ID_HINT = re.compile(r"[a-z][a-z0-9_-]{5}")
_INVITE_PREFIX = ("添加", "加", "+", "➕")  # included in a QQ/WeChat span: 加威信xsmall01, +薇：abc


class Labels(NamedTuple):
    """QQ and WeChat label words compiled into the searches ``find_contacts`` runs."""

    qq: re.Pattern[str]  # a QQ label at the end of the window before a number
    wechat: re.Pattern[str]  # a WeChat label there
    wechat_id: re.Pattern[str]  # a WeChat label and the ID after it
    hint: re.Pattern[str]  # a character of some label, as written (ｑ, Ｑ, ǫ, 絲 …)
    start: re.Pattern[str]  # a character a WeChat label starts with (on the folded text)
    # Every label contains one of these (on the skeleton: symbols removed, folded): the rules
    # register them as a gate, so messages without any skip the label searches.
    literals: tuple[str, ...]
    # chat apps and content platforms other than WeChat/QQ (rules/lists/contact_apps_*.txt);
    # their names are gated apart (``Platforms.literals``)
    platforms: Platforms | None = None


def _word(word: str) -> str:
    """One label word as a regex: symbols or spaces allowed between its characters."""
    chars = [re.escape(c) for c in unconfuse(fold(word)).lower() if not c.isspace()]
    body = _GAP.join(chars)
    return f"(?<![a-z]){body}" if chars[0].isascii() else body


def compile_labels(
    qq: Sequence[str], wechat: Sequence[str], platforms: Platforms | None = None
) -> Labels:
    """Compile label words (longest first, so 微信号 is not read as 微信 + 号)."""
    qq_alt = "|".join(_word(w) for w in sorted(set(qq), key=len, reverse=True))
    wx_words = sorted(set(wechat), key=len, reverse=True)
    wx_alt = "|".join(_word(w) for w in wx_words)
    # 扣扣邮箱 276615693, QQ空间, QQ账号: the number is the QQ number
    qq_re = re.compile(rf"(?:{qq_alt}|{_QQ_BUILT_IN})(?:号码|号|群|邮箱|空间|账号)?$")
    wx_label = re.compile(rf"(?:{wx_alt}|(?<![a-z])v|微|薇|威)(?:号码|号)?$")
    wx_id = re.compile(
        rf"(?P<label>{wx_alt}|{_WECHAT_LATIN_NOISY}|{_WECHAT_NOISY}"
        r"|(?<=[加+➕])(?:v|微|薇|威)|(?<![a-z])(?:v|微|薇|威)(?= ?:)"
        rf"|(?<![安权示])(?P<single>[{_WEI_ALONE}])){_ID}"
    )
    targets = {_telling(unconfuse(fold(w)).lower()) for w in (*qq, *wechat)}
    hint = _written_as(targets | set("qv" + _WEI + PENGUIN))
    starts = {unconfuse(fold(w)).lower()[0] for w in wechat} | set("v" + _WEI_SOUND)
    literals = [*qq, *wechat, "q", "v", *_WEI_SOUND]
    return Labels(
        qq_re,
        wx_label,
        wx_id,
        re.compile(f"[{''.join(re.escape(c) for c in sorted(hint))}]"),
        re.compile(f"[{''.join(re.escape(c) for c in sorted(starts))}]"),
        tuple(dict.fromkeys(literals)),
        platforms,
    )


def _telling(word: str) -> str:
    """The character of a label the hint looks for: q, v, x or w, a Chinese character other
    than 信/芯/泡 (common in other text), else the first (few characters, rarely in prices)."""

    def rank(c: str) -> int:
        if c in "qvxw":
            return "qvxw".index(c)
        return 4 if not c.isascii() and c not in "信芯泡" else 5 if not c.isascii() else 6

    return min(word.replace(" ", ""), key=rank)


def _written_as(chars: set[str]) -> set[str]:
    """Every character that folds, or reads as a look-alike, to one of ``chars``."""
    t = tables()
    out = set(chars)
    out |= {chr(cp) for cp, v in t.lookalikes.items() if v in chars}
    out |= {chr(cp) for cp, v in t.fold_one.items() if v in out}
    return out


# The words rules/lists/contact_labels_*.txt ship with: used by callers that bring no ruleset
# (tests, tools) and by a ruleset without those lists.
QQ_WORDS = ("qq", "扣扣", "蔻蔻", "抠抠", "企鹅", "秋秋", "球球", "口口")
WECHAT_WORDS = (
    "微信", "微芯", "薇信", "薇芯", "威信", "威芯", "徽信", "危信", "魏信", "嶶信", "溦信",
    "徾信", "伟信", "胃信", "微鑫", "薇鑫", "威鑫", "丝薇", "私薇", "私微", "绿泡泡", "💚泡泡",
    "绿色泡泡", "🟢信", "v信", "wei信", "vx", "wx",
    "v我", "weixin", "wechat", "wechat id",
)  # fmt: skip


@lru_cache(maxsize=1)
def default_labels() -> Labels:
    """The labels of ``QQ_WORDS`` and ``WECHAT_WORDS``."""
    return compile_labels(QQ_WORDS, WECHAT_WORDS)


_AT_WORDS = ("@", " at ", "#", "(at)", "[at]", "艾特", "圈a")


def find_contacts(
    text: str, norm: Normalized, labels: Labels | bool = True, apps: Platforms | bool = True
) -> list[Contact]:
    """Every phone, landline, hotline, QQ number, WeChat ID, e-mail address and account ID on
    another platform in ``text``.

    ``labels``: the QQ/WeChat labels to read (True: ``default_labels()``); False when the
    message has none of their ``literals`` (no QQ/WeChat label is searched). ``apps``: the
    platform names to read (True: those of ``labels``, else ``default_platforms()``); False
    when the message has none of them (IDs after an invitation verb or a described app, and
    Matrix IDs, are still found).
    """
    lab = default_labels() if labels is True else labels or None
    out = _numbers(text, lab)
    folded = norm.folded.text
    if lab is not None:
        out.extend(_wechat_ids(text, folded, norm, out, lab))
    out.extend(_told_numbers(text, out))
    if _SOUNDS_GATE.search(text):
        out.extend(c for c in _sounded(text) if not _overlaps(c, out))
    if ("O" in text or "o" in text or "I" in text or "l" in text) and _LETTERED.search(text):
        out.extend(c for c in _lettered(text) if not _overlaps(c, out))
    if _SPELLED_HINT.search(folded):
        spelled = _spelled_numbers(folded, norm, lab)
        out.extend(c for c in spelled if not _overlaps(c, out))
    if apps is True:
        apps = (lab.platforms if lab is not None else None) or default_platforms()
    out.extend(_accounts(text, folded, norm, out, apps or None))
    if "/" in text or "|" in text or "\\" in text:
        out.extend(_slashed(text, out))
    if "@" in folded:
        out.extend(_emails(text, folded, norm))
    if "ⓐ" in text or "Ⓐ" in text:
        out.extend(_circled_at_emails(text))
    if any(w in folded for w in _AT_WORDS) and _AT_HINT.search(folded):
        out.extend(_disguised_emails(text, folded, norm, out))
    if ("com" in folded or "cn" in folded or "net" in folded or "me" in folded) and (
        _WEBMAIL_HINT.search(folded)
    ):
        out.extend(_webmail_emails(folded, norm, out))
    if _MAIL_WORDS.search(folded):
        out.extend(_described_emails(folded, norm, out))
    out = [_through_keycap(text, c) for c in out]
    out.sort(key=lambda c: (c.start, -c.end))
    return out


def _accounts(
    text: str, folded: str, norm: Normalized, found: list[Contact], apps: Platforms | None
) -> list[Contact]:
    """Account IDs on other platforms (contact_accounts), on the original text, except those
    overlapping a contact already found (a WeChat ID, a QQ number)."""

    def written(s: int, e: int) -> str:
        return text[slice(*norm.folded_span(s, e))]

    out = []
    for a in find_accounts(folded, written, apps):
        s, e = norm.folded_span(a.start, a.end)
        # a number inside the account's span (Zalo 0912345678: a landline too) leaves it be;
        # the findings merge into the account's
        if not any(
            c.start < e and s < c.end and not (c.kind in _NUMBER_KINDS and s <= c.start)
            for c in found
        ):
            out.append(Contact(a.kind, s, e, a.value, a.evasion))
    return out


_NUMBER_KINDS = frozenset(("landline", "hotline"))  # a mobile stays the phone rules'


# Digits written as characters that sound like them (腰伞吧灵…: yāo sān bā líng): eleven in a
# row, one of them at least a sound-alike, that make a mobile number. Not digits elsewhere: a
# mobile glued to one of these characters (我是你爸13812345678) stays a plain mobile.
_SOUNDS = {
    ch: digit
    for chars, digit in (
        ("腰妖", "1"), ("儿而", "2"), ("伞散", "3"), ("寺", "4"), ("舞午吴", "5"),
        ("溜留", "6"), ("妻", "7"), ("吧巴爸", "8"), ("酒久", "9"), ("灵铃", "0"),
    )
    for ch in chars
}  # fmt: skip
_SOUNDED = re.compile(f"[{''.join(_SOUNDS)}{_DIGIT_CLASS}]{{11,13}}")
_SOUNDS_GATE = re.compile(f"[{''.join(_SOUNDS)}]")
_FROM_SOUNDS = str.maketrans(_SOUNDS)


def _sounded(text: str) -> list[Contact]:
    out = []
    for m in _SOUNDED.finditer(text):
        chunk = m.group()
        digits = _ascii(chunk.translate(_FROM_SOUNDS))
        for k in range(len(digits) - 10):
            if classify(digits[k : k + 11]) == "phone" and any(
                c in _SOUNDS for c in chunk[k : k + 11]
            ):
                s = m.start() + k
                out.append(Contact("phone", s, s + 11, digits[k : k + 11], "homophone_digits"))
                break
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


def _overlaps(c: Contact, found: list[Contact]) -> bool:
    return any(f.start < c.end and c.start < f.end for f in found)


def _through_keycap(text: str, c: Contact) -> Contact:
    """End a number's span after the keycap marks of its last digit (…5️⃣, not …5)."""
    end = c.end
    while end < len(text) and end - c.end < 2 and text[end] in "\ufe0f\u20e3":
        end += 1
    return c if end == c.end else c._replace(end=end)


# A mobile number cut by slashes or bars (185/2353/5448, 138|1234|5678): '/' is no separator
# in general (dates 2026/12/02, fractions), but three groups of 3-4 digits that make an 11-digit
# mobile number are no date.
_SLASHED = re.compile(r"(?<![\d/|\\])(\d{3,4})([/|\\])(\d{3,4})\2(\d{3,4})(?![\d/|\\])")


def _slashed(text: str, found: list[Contact]) -> list[Contact]:
    out = []
    for m in _SLASHED.finditer(text):
        digits = m.group(1) + m.group(3) + m.group(4)
        s, e = m.span()
        if (
            classify(digits) == "phone"
            and _standalone(text, s, e)
            and not any(c.start < e and s < c.end for c in found)
        ):
            out.append(Contact("phone", s, e, digits, "separators"))
    return out


def _groups(chunk: str, offset: int) -> list[list[tuple[int, int]]]:
    """The digit runs of a candidate stretch (text spans), grouped when at most ``MAX_GAP``
    separators stand between them; only groups of at least 5 digits (shorter cannot be a
    contact)."""
    spans: list[list[tuple[int, int]]] = []
    prev_end = -MAX_GAP - 1
    for m in _RUN.finditer(chunk):
        s, e = m.span()
        if spans and s - prev_end <= MAX_GAP:
            spans[-1].append((offset + s, offset + e))
        else:
            spans.append([(offset + s, offset + e)])
        prev_end = e
    return [g for g in spans if g[-1][1] - g[0][0] >= 5 and _digit_count(g) >= 5]


def _digit_count(group: list[tuple[int, int]]) -> int:
    return sum(e - s for s, e in group)


def _run(chars: str, start: int) -> _Run:
    if chars.isascii():
        return _Run(start, start + len(chars), chars, _NO_FORMS)
    forms = frozenset([f for c in chars if (f := _DIGITS[c][1]) is not None])
    return _Run(start, start + len(chars), chars.translate(_TO_ASCII), forms)


def _runs(text: str, spans: list[tuple[int, int]]) -> list[_Run]:
    return [_run(text[s:e], s) for s, e in spans]


def _numbers(text: str, labels: Labels | None) -> list[Contact]:
    out: list[Contact] = []
    for m in _CANDIDATE.finditer(text):
        chunk = m.group()
        if chunk.isdigit() and chunk.isascii():  # the common case: one plain number
            s, e = m.span()
            if len(chunk) > 20:
                continue
            if labels is None or not labels.hint.search(text, max(0, s - _LABEL_WINDOW), s):
                kind = classify(chunk) if len(chunk) <= 13 else None
                if (
                    kind is not None
                    and _standalone(text, s, e)
                    and (kind != "hotline" or len(chunk) >= 10 or _dialled(text, s))
                ):
                    out.append(Contact(kind, s, e, chunk, None))
                continue
            groups = [[(s, e)]]
        else:
            groups = _groups(chunk, m.start())
        for group in groups:
            label = _label(text, group, labels) if labels is not None else None
            if label is not None:
                kind, start, variant = label
                if _digit_count(group) <= 20:
                    out.append(_contact(kind, start, _runs(text, group), variant))
                continue
            out.extend(_split_numbers(text, group))
    return out


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
_D = f"[{_DIGIT_CLASS}]"
_JOIN_WORD = r"再接|接着|后接|后面接|然后是|然后|后面是|加上|接|加|空格|空|横杠|杠|点"
_JOIN_BRACKET = r"[(（\[【]\s?[^\s()（）\[\]【】]{1,3}?\s?[)）\]】]"
_JOIN = rf"\s{{0,2}}(?:[，,、]?\s?(?P<w>{_JOIN_WORD}|\+)|(?P<b>{_JOIN_BRACKET})|[，,、])\s{{0,2}}"
_JOINED = re.compile(rf"(?<!{_D}){_D}{{2,8}}(?:{_JOIN}{_D}{{2,8}}){{1,4}}(?!{_D})")
_JOIN_CUE = ("连起来", "连在一起", "拼起来", "合起来", "组合", "连读", "拼一起")
_UNITS = "元块角万千百亿%％折件个人次天月年号"
_REVERSED_CUE = re.compile(r"倒过来|倒着|反过来|反着|倒序|倒读|逆序|从后往前|从右往左")
_POSITION = re.compile(
    r"(?:(?P<head>前\s?[三四五六七3-7]\s?位|前面|开头|前几位)"
    r"|(?P<mid>中间\s?[三四五3-5]?\s?位?)"
    r"|(?P<tail>后\s?[四五六七八4-8]\s?位|尾号|末\s?[四五4-5]\s?位|后面|结尾|最后(?:\s?[四4]\s?位)?))"
    rf"(?:是|为)?[:：\s]{{0,2}}(?P<d>{_D}{{3,8}})(?!{_D})"
)
_PARTS_GATE = re.compile(r"位|尾号|前面|后面|开头|结尾|最后")
_BARE_HEAD = re.compile(rf"(?<!{_D})({_D}{{3,7}})[,，、;；\s和]{{0,3}}$")


def _told_numbers(text: str, found: list[Contact]) -> list[Contact]:
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


_JOIN_CHAR = re.compile(r"[接空然加+(（\[【杠横点后]")
# A connector between two digits (the common digit forms only): where _JOINED is tried
_JOIN_SPOT = re.compile(
    rf"[0-9０-９〇一二三四五六七八九零幺两]\s{{0,2}}(?:[，,、]?\s?(?:{_JOIN_WORD}|\+)|{_JOIN_BRACKET}|[，,、])"
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
        digits = _ascii("".join(d for _, _, _, d in sorted(g, key=lambda p: p[0])))
        if classify(digits) == "phone":
            start, end = min(p[1] for p in g), max(p[2] for p in g)
            out.append(Contact("phone", start, end, digits, "split_parts"))
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
    window = folded[max(0, start - _LABEL_WINDOW) : start]
    stripped = window.rstrip(_LABEL_STRIP)
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


def _ascii(digits: str) -> str:
    return digits if digits.isascii() else digits.translate(_TO_ASCII)


def _joined(text: str, m: re.Match[str]) -> list[Contact]:
    s, e = m.span()
    chunk = m.group()
    parts = _RUN.findall(chunk)
    digits = _ascii("".join(parts))
    if classify(digits) not in ("phone", "landline") or not _standalone(text, s, e):
        return []
    if e < len(text) and text[e] in _UNITS:
        return []  # 159，2999，3999元: prices
    spoken = _JOINED_WORD.search(chunk) is not None
    bracket = _JOINED_BRACKET.search(chunk) is not None
    if not spoken and not bracket:
        # commas only: 174，2853，4760 with 连起来 after it or a phone word before it
        after = text[e : e + 10]
        if not any(cue in after for cue in _JOIN_CUE) and not _dialled(text, s):
            return []
    evasion = "inserted_word" if bracket and not spoken else "joined_parts"
    return [Contact(classify(digits) or "phone", s, e, digits, evasion)]


_JOINED_WORD = re.compile(rf"{_D}\s{{0,2}}[，,、]?\s?(?:{_JOIN_WORD}|\+)\s{{0,2}}{_D}")
_JOINED_BRACKET = re.compile(_JOIN_BRACKET)


def _reversed(text: str) -> list[Contact]:
    out = []
    for cue in _REVERSED_CUE.finditer(text):
        lo = max(0, cue.start() - 24)
        for m in _CANDIDATE.finditer(text, lo, min(len(text), cue.end() + 16)):
            for group in _groups(m.group(), m.start()):
                digits = _ascii("".join(text[a:b] for a, b in group))
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


# The first two digits of every number ``classify`` accepts (86 for +86 numbers, 1x mobiles,
# 400/800 hotlines, 0x landlines, 95xxx/96xxx hotlines) and the lengths it accepts: a stretch
# of thousands of digits (1.1.1.…) is skipped without trying every cut.
_PREFIXES = frozenset(
    ["86", "40", "80", "95", "96", *(f"1{d}" for d in "3456789")] + [f"0{d}" for d in "123456789"]
)
_LENGTHS = (5, 6, 10, 11, 12, 13)


def _split_numbers(text: str, group: list[tuple[int, int]]) -> list[Contact]:
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
        if _standalone(text, start, end) and (
            kind != "hotline" or length >= 10 or _dialled(text, start)
        ):
            out.append(_contact(kind, start, _runs(text, group[i : j + 1]), False))
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


def _standalone(text: str, start: int, end: int) -> bool:
    """A number is not part of a longer code: no letter, digit or '*' right next to it; a
    lone '*' (…92*。) is punctuation, a mask (138****5678) or a product (5678*2) is not."""
    return not (_glued_at(text, start - 1, -1) or _glued_at(text, end, 1))


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
_DIAL = (
    "电话", "電話", "热线", "熱線", "致电", "致電", "拨打", "撥打", "来电", "來電", "联系",
    "聯繫", "客服", "咨询", "諮詢", "详询", "詳詢", "tel", "Tel", "TEL",
)  # fmt: skip
# commas join the parts of a number only with a cue (连起来) or a phone word in the message
_JOIN_CUE_OR_DIAL = re.compile("|".join(map(re.escape, (*_JOIN_CUE, *_DIAL))))


def _dialled(text: str, start: int) -> bool:
    """A 5-6 digit 95xxx number counts as a hotline only after a phone word (金额95000元 is
    not one)."""
    window = text[max(0, start - _LABEL_WINDOW) : start]
    return any(w in window for w in _DIAL)


def _label(text: str, group: list[tuple[int, int]], labels: Labels) -> tuple[str, int, bool] | None:
    """A QQ or WeChat label right before a number: (kind, span start, evasive spelling)."""
    start = group[0][0]
    raw = text[max(0, start - _LABEL_WINDOW) : start]
    if not labels.hint.search(raw):
        return None  # most numbers (prices, order numbers, dates) have no label at all
    folded = fold(raw)
    window = unconfuse(folded)
    if len(window) != len(raw):
        return None  # a fold that changes the length; too rare here to map
    stripped = window.rstrip(_LABEL_STRIP)
    colon = len(stripped) < len(window) and ":" in window[len(stripped) :]
    offset = start - len(raw)
    m = labels.qq.search(stripped)
    if m is not None:
        word = _QQ_NOUN.sub("", m.group())
        if (
            word == "q"
            and word == m.group()
            and not colon
            and not stripped[: m.start()].endswith(("加", "+", "➕"))
            and not (len(stripped) == len(window) and _disguised(raw[-1], text, group))
            and raw[m.start()] in "qQ"  # Ⓠ, ｑ: a disguised q, even before a space
            and not _qualified_q(window, m.start(), group)
        ):
            # a lone q needs 加q, q:, q群, or to stand right before a number that it or the
            # number disguises (Ｑ845315, Q一六九八…); Q12345 is a model, q12345678 an account
            return None
        s = _with_prefix(stripped, m.start())
        # ǫǫ; a circled or squared Q (Ⓠ 3504156506)
        lookalike = folded[m.start() : m.end()] != m.group() or _enclosed(raw[m.start()])
        qualified = word == "q" and _qualified_q(window, m.start(), group)  # 企业Q
        return "qq", offset + s, lookalike or qualified or word.replace(" ", "") not in _QQ_PLAIN
    m = labels.wechat.search(stripped)
    if m is not None:
        word = m.group().removesuffix("号码").removesuffix("号")
        invited = stripped[: m.start()].endswith(("加", "+", "➕"))
        if word in _WECHAT_WEAK and not colon and not invited:
            return None
        s = _with_prefix(stripped, m.start())
        lookalike = folded[m.start() : m.end()] != m.group()
        return "wechat", offset + s, lookalike or word not in _WECHAT_PLAIN
    return None


def _enclosed(ch: str) -> bool:
    return any(w in unicodedata.name(ch, "") for w in ("CIRCLED", "SQUARED", "PARENTHESIZED"))


_QQ_NOUN = re.compile("(?:号码|号|群|邮箱|空间|账号)$")


def _qualified_q(window: str, start: int, group: list[tuple[int, int]]) -> bool:
    """A q after a Chinese word and a space, before six or more digits (企业Q 770743663):
    QQ by another name; a model is written against its number (Q12345)."""
    before = window[start - 1] if start > 0 else ""
    return (
        "\u3400" <= before <= "\u9fff"
        and window[start + 1 :].strip() == ""
        and len(window) > start + 1
        and _digit_count(group) >= 6
    )


def _disguised(q: str, text: str, group: list[tuple[int, int]]) -> bool:
    return q not in "qQ" or not all(text[s:e].isascii() for s, e in group)


def _with_prefix(window: str, start: int) -> int:
    for prefix in _INVITE_PREFIX:
        if window[:start].endswith(prefix):
            return start - len(prefix)
    return start


def _contact(kind: str, start: int, runs: list[_Run], variant: bool) -> Contact:
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


def _wechat_ids(
    text: str, folded: str, norm: Normalized, numbers: list[Contact], labels: Labels
) -> list[Contact]:
    out: list[Contact] = []
    if not _ID_HINT.search(folded):
        return (
            out  # no run of 6 ID characters: the full pattern, tried at every position, costs more
        )
    plain = unconfuse(folded)  # wеchat with a Cyrillic е reads wechat
    if "_" in plain:  # 微_信: an underscore between two Chinese characters is a symbol there
        plain = _CJK_UNDERSCORE.sub("·", plain)
    if not labels.start.search(plain):
        return out
    for m in labels.wechat_id.finditer(plain):
        s, e = norm.folded_span(_with_prefix(folded, m.start()), m.end())
        if any(c.start < e and s < c.end for c in numbers):
            continue
        if m.group("single") and (m.group("gap") or not any(c.isdigit() for c in m["id"])):
            continue  # 徽 alone is a label only right before an ID with a digit
        label = m.group("label")
        if _has_fullwidth(text[s:e]):
            evasion: str | None = "fullwidth"
        elif label in _WECHAT_PLAIN and folded[m.start("label") : m.end("label")] == label:
            evasion = None  # 微信, WeChat ID
        elif not label.isalnum():
            evasion = "noise"  # 微❤信, 微 信, V·X
        else:
            evasion = "variant"
        out.append(Contact("wechat", s, e, m.group("id"), evasion))
    return out


_LOCAL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._%+-")
_DOMAIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789.-")


def _emails(text: str, folded: str, norm: Normalized) -> list[Contact]:
    """user@example.com: expand left and right of each '@' (each character is read at most
    twice: expansions stop at the next '@')."""
    out = []
    at = folded.find("@")
    while at >= 0:
        lo = at
        while lo > 0 and at - lo < 64 and folded[lo - 1] in _LOCAL:
            lo -= 1
        hi = at + 1
        while hi < len(folded) and hi - at <= 255 and folded[hi] in _DOMAIN:
            hi += 1
        domain = folded[at + 1 : hi].rstrip(".-")
        hi = at + 1 + len(domain)
        tld = domain.rsplit(".", 1)[-1]
        if lo < at and "." in domain and 2 <= len(tld) <= 10 and tld.isalpha():
            s, e = norm.folded_span(lo, hi)
            # ＠, ａｂｃ, or a full-width label right before it (ｍａｉｌ：abc@yeah.net)
            label = text[max(0, s - 8) : s]
            fullwidth = "＠" in text[s:e] or _has_fullwidth(text[s:e]) or _has_letters_fw(label)
            out.append(Contact("email", s, e, folded[lo:hi], "fullwidth" if fullwidth else None))
        at = folded.find("@", at + 1)
    return out


def _has_letters_fw(text: str) -> bool:
    """Full-width letters (ｍａｉｌ)."""
    return any("\uff21" <= ch <= "\uff5a" for ch in text)


# An '@' written as any symbol (🌀, ©, ＠ with a Chinese 。 for the dot) before a free-mail host:
# user🌀qq.com（🌀换@）, user＠163。com. The host is what tells a mail address here.
_WEBMAIL = (
    r"(?:qq|vip\.qq|163|vip\.163|126|139|189|188|yeah|sina|sohu|gmail|googlemail|outlook|"
    r"hotmail|live|foxmail|aliyun|icloud|yahoo|protonmail|proton|tom|21cn)"
)
_MAIL_DOT = r"(?:[.。．]|点|dot)"
_WEBMAIL_HINT = re.compile(rf"{_WEBMAIL}\s?{_MAIL_DOT}\s?(?:com|cn|net|me)(?![a-z0-9])")
_ANY_AT = (
    r"(?:[^\sa-z0-9._%+\-，。,;；!！?？:：()（）\[\]\u3400-\u9fff]{1,3}|艾特|圈a|at"
    r"|\(a\)|\[a\]|\(at\)|\[at\]|\(@\)|\[@\])"
)
_WEBMAIL_EMAIL = re.compile(
    rf"(?<![a-z0-9._%+-])(?P<local>[a-z0-9][a-z0-9._%+-]{{1,63}}) ?(?P<at>{_ANY_AT}) ?"
    rf"(?P<host>{_WEBMAIL}) ?(?P<dot>{_MAIL_DOT}) ?(?P<tld>com|cn|net|me)(?![a-z0-9-])"
)


def _webmail_emails(folded: str, norm: Normalized, found: list[Contact]) -> list[Contact]:
    out = []
    for m in _WEBMAIL_EMAIL.finditer(folded):
        if m["at"] == "@" and m["dot"] == ".":
            continue  # written plainly: _emails has it
        s, e = norm.folded_span(m.start(), m.end())
        if any(c.start < e and s < c.end for c in found):
            continue
        value = f"{m['local']}@{m['host']}.{m['tld']}"
        out.append(Contact("email", s, e, value, "substitution"))
    return out


# An address told in parts: 邮箱前缀 xiaoyu_89152，后缀163; 用户名abc，域名qq.com
_DESCRIBED_EMAIL = re.compile(
    r"(?:前缀|用户名|账号|@前面?)(?:是|为)?[:：\s]{0,2}(?P<local>[a-z0-9][a-z0-9._%+-]{1,63})"
    r"[^a-z0-9._%+\-。\n]{0,8}?(?:后缀|域名|@后面?)(?:是|为)?[:：\s@]{0,2}"
    r"(?P<host>[a-z0-9][a-z0-9-]{1,20}(?:\.[a-z]{2,6}){0,2})(?![a-z0-9])"
)


_MAIL_WORDS = re.compile("后缀|域名|@后|邮箱|信箱|mail")
# the host's mailbox, then the name: 163邮箱 abc123, qq邮箱：xyz_88 (a QQ mailbox with a
# number is the QQ number: the QQ labels have it)
_HOST_MAILBOX = re.compile(
    rf"(?<![a-z0-9])(?P<host>{_WEBMAIL})(?:邮箱|信箱|mail)(?:是|为)?[:：\s]{{0,3}}"
    r"(?P<local>[a-z][a-z0-9._-]{2,63})(?![a-z0-9@._-])"
)


def _described_emails(folded: str, norm: Normalized, found: list[Contact]) -> list[Contact]:
    out = []
    for m in _HOST_MAILBOX.finditer(folded):
        s, e = norm.folded_span(m.start(), m.end())
        if any(c.isdigit() for c in m["local"]) and not _overlaps(
            Contact("", s, e, "", None), found
        ):
            out.append(Contact("email", s, e, f"{m['local']}@{m['host']}.com", "described"))
    for m in _DESCRIBED_EMAIL.finditer(folded):
        host = m["host"]
        mail = "邮箱" in folded[max(0, m.start() - 8) : m.start()] or "邮" in m.group()
        if not mail and not re.fullmatch(_WEBMAIL + r"(?:\.[a-z]{2,6})?", host):
            continue
        s, e = norm.folded_span(m.start(), m.end())
        if any(c.start < e and s < c.end for c in found):
            continue
        value = f"{m['local']}@{host if '.' in host else host + '.com'}"
        out.append(Contact("email", s, e, value, "described"))
    return out


def _has_fullwidth(text: str) -> bool:
    """Full-width letters or digits (ＶＸ, １２３); full-width punctuation is ordinary."""
    return any("\uff10" <= ch <= "\uff19" or "\uff21" <= ch <= "\uff5a" for ch in text)


# '@' and '.' written otherwise: user at qq dot com, user#126.com, user(at)gmail.com,
# user[@]163.com, user艾特qq点com, user＠shop。top (on the folded text: （at） and 點 read (at)
# and 点)
_AT = r"(?: at | ?(?:\(at\)|\[at\]|\(@\)|\[@\]|#|艾特|圈a) ?|@)"
_DOT = r"(?: dot | ?(?:\(dot\)|\[dot\]|点|。) ?|\.)"
_TLD = r"(?:com|cn|net|org|cc|vip|top|me|io)"
_AT_HINT = re.compile(rf"{_AT}[a-z0-9-]{{1,63}}{_DOT}{_TLD}")
_DISGUISED_EMAIL = re.compile(
    rf"(?<![a-z0-9._%+-])(?P<local>[a-z0-9._%+-]{{1,64}})(?P<at>{_AT})"
    rf"(?P<host>[a-z0-9-]{{1,63}})(?P<dot>{_DOT})(?P<tld>{_TLD})(?:{_DOT}cn)?(?![a-z0-9-])"
)


def _disguised_emails(
    text: str, folded: str, norm: Normalized, found: list[Contact]
) -> list[Contact]:
    out = []
    for m in _DISGUISED_EMAIL.finditer(folded):
        tail = folded[m.end("local") : m.end()]
        if tail[0] == "@" and all(c in _DOMAIN for c in tail[1:]):
            continue  # user@qq.com written plainly: _emails has it
        if m["at"] == " at " and m["dot"] == "." and not any(c.isdigit() for c in m["local"]):
            continue  # English: meet us at booth.com
        s, e = norm.folded_span(m.start(), m.end())
        value = f"{m.group('local')}@{m.group('host')}.{m.group('tld')}"
        out.append(Contact("email", s, e, value, "substitution"))
    return out


# '@' written as a circled a (user ⓐ gmail.com): NFKC folds ⓐ to a plain 'a', so this reads
# the original text
_CIRCLED_AT = re.compile(
    r"(?<![a-z0-9._%+-])[a-z0-9._%+-]{1,64} ?[ⓐⒶ] ?[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,2}"
    r"\.[a-z]{2,10}(?![a-z0-9-])",
    re.IGNORECASE,
)


def _circled_at_emails(text: str) -> list[Contact]:
    out = []
    for m in _CIRCLED_AT.finditer(text):
        value = re.sub("[ⓐⒶ]", "@", m.group().replace(" ", "")).lower()
        out.append(Contact("email", m.start(), m.end(), value, "substitution"))
    return out
