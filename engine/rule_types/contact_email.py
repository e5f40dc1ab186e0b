"""E-mail addresses: plain (user@example.com) and disguised ('@' written ＠, at, #, (at),
艾特, ⓐ or a symbol before a free-mail host; '.' written 点 or dot; an address told in parts)."""

from __future__ import annotations

import re

from engine.normalize import Normalized
from engine.rule_types.contact_numbers import Contact, has_fullwidth, overlaps


def find_emails(text: str, folded: str, norm: Normalized, found: list[Contact]) -> list[Contact]:
    """Every e-mail address, plain or disguised; disguised ones only where no contact in
    ``found`` (or an address found before them here) overlaps."""
    out: list[Contact] = []
    if "@" in folded:
        out.extend(_emails(text, folded, norm))
    if "ⓐ" in text or "Ⓐ" in text:
        out.extend(_circled_at_emails(text))
    if any(w in folded for w in _AT_WORDS) and _AT_HINT.search(folded):
        out.extend(_disguised_emails(text, folded, norm, [*found, *out]))
    if ("com" in folded or "cn" in folded or "net" in folded or "me" in folded) and (
        _WEBMAIL_HINT.search(folded)
    ):
        out.extend(_webmail_emails(folded, norm, [*found, *out]))
    if _MAIL_WORDS.search(folded):
        out.extend(_described_emails(folded, norm, [*found, *out]))
    return out


_AT_WORDS = ("@", " at ", "#", "(at)", "[at]", "艾特", "圈a")


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
            fullwidth = "＠" in text[s:e] or has_fullwidth(text[s:e]) or _has_letters_fw(label)
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
        if any(c.isdigit() for c in m["local"]) and not overlaps(
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
