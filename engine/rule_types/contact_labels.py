"""QQ and WeChat labels: the words before a QQ number or WeChat ID (QQ, 扣扣, 🐧, 微信, +薇, vx …).

The label words are data (rules/lists/contact_labels_*.txt, compiled by ``compile_labels``);
the grammar around them is here. ``number_label`` reads the window before a group of digits;
``wechat_ids`` finds a WeChat label followed by an ID.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from typing import NamedTuple

from engine.normalize import Normalized, fold, tables, unconfuse
from engine.rule_types.contact_accounts import Platforms
from engine.rule_types.contact_numbers import (
    LABEL_WINDOW,
    CharSearch,
    Contact,
    char_class,
    digit_count,
    has_fullwidth,
)

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


_CJK_UNDERSCORE = re.compile(r"(?<=[\u3400-\u9fff])_(?=[\u3400-\u9fff])")
LABEL_STRIP = " \u3000:=是为\t"
# A single 徽/魏/薇 … counts as a label only right before an ID with a digit (徽tt_9722); not
# 微 (稍微, 轻微), 安徽 or 权威.
_WEI_ALONE = _WEI.replace("微", "")
# a WeChat ID: a letter, then 5-19 letters, digits, '_' or '-' (Tencent's rule for IDs); not
# a host name (https://w.xyzabc1.com: w.x is no label there)
# a search verb (vx搜 abc_1234), a pointing arrow (微信号👉abc) or an opening bracket (微信（abc）)
# may stand between the label and the ID
_ID = (
    r"(?:号码|号)?(?:搜一搜|搜索|搜)?(?P<gap>[ :=+\n👉→➡(【\[「『]{0,3})"
    r"(?!wechat|weixin)(?P<id>[a-z][a-z0-9_-]{5,19})(?![a-z0-9_-]|\.[a-z])"
)
# A cheap test before the WeChat-ID pattern (which has no literal prefix): six ID characters
_ID_HINT = re.compile(r"[a-z][a-z0-9_-]{5}")
_INVITE_PREFIX = ("添加", "加", "+", "➕")  # included in a QQ/WeChat span: 加威信xsmall01, +薇：abc


class Labels(NamedTuple):
    """QQ and WeChat label words compiled into the searches ``find_contacts`` runs."""

    qq: re.Pattern[str]  # a QQ label at the end of the window before a number
    wechat: re.Pattern[str]  # a WeChat label there
    wechat_id: re.Pattern[str]  # a WeChat label and the ID after it
    hint: CharSearch  # a character of some label, as written (ｑ, Ｑ, ǫ, 絲 …)
    start: re.Pattern[str]  # a character a WeChat label starts with (on the folded text)
    # Every label contains one of these (on the skeleton: symbols removed, folded): the rules
    # register them as a gate, so messages without any skip the label searches.
    literals: tuple[str, ...]
    # chat apps and content platforms other than WeChat/QQ (rules/lists/contact_apps_*.txt);
    # their names are gated apart (``Platforms.literals``)
    platforms: Platforms | None = None
    # a listed QQ or WeChat label anywhere (not the built-in q, v or a lone 微): where a label
    # far from its number or ID is looked for (contact_far)
    far: re.Pattern[str] | None = None


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
        CharSearch(hint),
        re.compile(f"[{char_class(starts)}]"),
        tuple(dict.fromkeys(literals)),
        platforms,
        re.compile(f"(?P<qq>{qq_alt})|(?P<wechat>{wx_alt})"),
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
    "徾信", "伟信", "胃信", "微鑫", "薇鑫", "威鑫", "微心", "薇心", "威心", "丝薇", "私薇",
    "私微", "绿泡泡", "💚泡泡", "绿色泡泡", "🟢信", "v信", "wei信", "vx", "wx",
    "v我", "weixin", "wechat", "wechat id",
)  # fmt: skip


@lru_cache(maxsize=1)
def default_labels() -> Labels:
    """The labels of ``QQ_WORDS`` and ``WECHAT_WORDS``."""
    return compile_labels(QQ_WORDS, WECHAT_WORDS)


def number_label(
    text: str, group: list[tuple[int, int]], labels: Labels
) -> tuple[str, int, bool] | None:
    """A QQ or WeChat label right before a number: (kind, span start, evasive spelling)."""
    start = group[0][0]
    raw = text[max(0, start - LABEL_WINDOW) : start]
    if not labels.hint.search(raw):
        return None  # most numbers (prices, order numbers, dates) have no label at all
    folded = fold(raw)
    window = unconfuse(folded)
    if len(window) != len(raw):
        return None  # a fold that changes the length; too rare here to map
    stripped = window.rstrip(LABEL_STRIP)
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
        and digit_count(group) >= 6
    )


def _disguised(q: str, text: str, group: list[tuple[int, int]]) -> bool:
    return q not in "qQ" or not all(text[s:e].isascii() for s, e in group)


def _with_prefix(window: str, start: int) -> int:
    for prefix in _INVITE_PREFIX:
        if window[:start].endswith(prefix):
            return start - len(prefix)
    return start


def wechat_ids(
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
        if has_fullwidth(text[s:e]):
            evasion: str | None = "fullwidth"
        elif label in _WECHAT_PLAIN and folded[m.start("label") : m.end("label")] == label:
            evasion = None  # 微信, WeChat ID
        elif not label.isalnum():
            evasion = "noise"  # 微❤信, 微 信, V·X
        else:
            evasion = "variant"
        out.append(Contact("wechat", s, e, m.group("id"), evasion))
    return out
