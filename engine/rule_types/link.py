"""link: URLs in the message, their hosts and how many there are.

Checks (one per rule): ``any`` (no link at all, e.g. verification codes), ``raw_ip``,
``shortener`` and ``listed`` (host on ``domains``: a shortener, a chat app's invite link),
``short_code`` (the shape of a short link on a host not on ``domains``: one random code as
the whole path, e.g. s.xinyh.cn/TGq7c),
``not_allowlisted`` (host not on ``domains``),
``count`` (more than ``max_links``), ``download`` (.apk/.ipa links).
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from typing import NamedTuple

from engine.match import HAS_DOT
from engine.normalize import Normalized
from engine.rule_types.base import Rule, RuleMeta
from engine.rule_types.context import Context
from engine.verdict import Finding

# Top-level domains seen in SMS links; a closed list keeps 1.5小时 or Mr.Wang from being links.
_TLDS = (
    "com|cn|net|org|top|xyz|cc|me|io|vip|shop|club|info|biz|tv|co|ly|gl|im|to|gd|wang|ink|link"
    "|site|online|store|tech|fun|cloud|ren|red|work|life|live|asia|hk|tw|mo|us|uk|jp|kr|app|dev"
    "|ai|gov|edu|mobi|pro|icu|cyou|buzz|lol|one|nu|cn\\.com"
    # short ccTLDs of Chinese short-link services and throwaway pages (985.so, mrw.so);
    # not .in or .sh, which end words (log.in, bash.sh)
    "|so|su|ws|tk|pw|ml|ga|gq|cf"
)
_PATH = r"(?:[/?#][^\s\u3000-\u303f\uff00-\uffef\u4e00-\u9fff，。！？、；：“”‘’（）()<>【】]*)?"
URL = re.compile(
    # only an ASCII letter or digit before the host: 点击t.cn/x is a link (击 is a \w)
    r"(?<![a-z0-9_@.-])(?:(?P<scheme>https?)://)?"
    r"(?P<host>(?:\d{1,3}(?:\.\d{1,3}){3})|(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:"
    + _TLDS
    + r"))(?![a-z0-9-])(?::\d{1,5})?"
    + _PATH
    # a host on a TLD not listed above (sina.lt, rb.gy, dwz.mk): a link only when a path
    # follows it, which 1.5小时 or Mr.Wang never have
    + r"|(?<![a-z0-9_@.-])(?:(?P<scheme2>https?)://)?"
    r"(?P<host2>(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,6})(?=/[a-z0-9])" + _PATH,
    re.IGNORECASE,
)
# Every URL has a dot between a letter/digit and a TLD letter or an IP digit: a fast test
# before the full pattern, which has no literal prefix to scan for.
_MAYBE_URL = re.compile(r"[0-9a-z-]\.[0-9a-z]", re.IGNORECASE)
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
# Sentence punctuation that ends a link rather than belonging to it: a path may contain , . !
# ? ; : ) but a link written at the end of a clause (t.cn/abc，or x.cn/a.) does not. The
# folded text has them half-width; the full-width forms are here for unfolded callers.
TRAILING = ".,!?;:'\")]}>…，。！？；：、）】」』〉》”’"
# A short link: one random code as the whole path (a trailing / or a ?query may follow it).
# On a short host name (t.cn, 3.cn) or a short first label on a longer host (s.xinyh.cn,
# c.tb.cn) a code of 4-16 letters and digits is random when it mixes case past its first
# character (TGq7c, bmDYgu; not Act2024) or mixes letters and digits (7itbd); digits alone
# (t.dangdang.com/02847) are a page id. The mobile and www labels (m.brand.cn) name a site.
# On any other host (sourl.vip/A6xYz1, a service no list names yet) only a code no one would
# type is taken: upper and lower case, a digit and two or more lone letters (A6xYz1, TGq7c;
# not iPhone15, H5Sale, NewYear2026), mixed case or digits with letters that are almost all
# consonants (Bg9byp, HcpHta; not Mate60Pro), or letters and digits alternating three times
# or more (c2y5h1; not sale2024).
_CODE_PATH = re.compile(r"^(?:https?://)?[^/]+/([A-Za-z0-9]{4,16})/?(?:\?[^#]*)?$", re.IGNORECASE)
_CASE_MIX = re.compile(r"^.[^A-Z]*[A-Z]")
# the pieces a page name is written in: words (Sale, sale), acronyms (VIP, iOS's OS), numbers
_PIECE = re.compile(r"[A-Z]{2,}(?![a-z])|[A-Z]?[a-z]+|[A-Z]|\d+")
_SITE_LABELS = frozenset({"m", "www", "wap", "h5"})


def url_host(m: re.Match[str]) -> str:
    """Return the host a ``URL`` match found, in either of its two forms."""
    return m.group("host") or m.group("host2")


class Link(NamedTuple):
    """A URL found in the message (original-text span) and its lower-case host."""

    start: int
    end: int
    host: str
    url: str

    @property
    def is_ip(self) -> bool:
        """Tell whether the host is a raw IPv4 address."""
        return bool(_IPV4.match(self.host))


def short_code(link: Link, original: str) -> bool:
    """Tell whether ``original`` (the link as written) has a short link's host and code."""
    if link.is_ip:
        return False
    # full-width forms (ｓ．ｘｉｎｙｈ．ｃｎ／ＦＢ４１５ｇ) as their ASCII letters, case kept
    m = _CODE_PATH.match(unicodedata.normalize("NFKC", original))
    if m is None:
        return False
    code = m.group(1)
    if code.isdigit():
        return False
    labels = link.host.split(".")
    first = labels[0]
    if len(first) <= 3 and (len(labels) < 3 or first not in _SITE_LABELS):
        if len(code) > 10 and code.isalnum() and not _random_code(code):
            return False
        mixed_case = bool(_CASE_MIX.match(code)) and any(c.islower() for c in code)
        return mixed_case or not code.isalpha()
    return _random_code(code)


def _random_code(code: str) -> bool:
    """Tell whether a path code looks machine-made on any host (A6xYz1, c2y5h1)."""
    cased = any(c.isupper() for c in code) and any(c.islower() for c in code)
    pieces = _PIECE.findall(code)
    # a page name has at most one lone letter (iPhone15, H5Sale); A6xYz1 has three
    lone = sum(1 for p in pieces if len(p) == 1 and p.isalpha())
    if cased and lone >= 2 and any(c.isdigit() for c in code):
        return True
    # acronyms aside (JD, VIP), words and pinyin are about two letters in five vowels and
    # random letters one in five
    letters = "".join(p for p in pieces if p.isalpha() and not (len(p) > 1 and p.isupper()))
    vowels = sum(1 for c in letters.lower() if c in "aeiouy")
    if (cased or not code.isalpha()) and len(letters) >= 4 and vowels * 5 <= len(letters):
        return True
    turns = sum(1 for a, b in itertools.pairwise(code) if a.isdigit() != b.isdigit())
    return len(code) >= 5 and turns >= 3


def find_links(ctx: Context) -> list[Link]:
    """Return every URL in the message (cached on the context)."""
    cached: list[Link] | None = ctx.__dict__.get("links")
    if cached is not None:
        return cached
    links = scan_links(ctx.norm)
    ctx.__dict__["links"] = links
    return links


def scan_links(norm: Normalized) -> list[Link]:
    """Return every URL of a normalized text, as original-text spans; each ends before the
    sentence punctuation that follows it (t.cn/abc，-> t.cn/abc)."""
    links = []
    folded = norm.folded.text
    if _MAYBE_URL.search(folded):
        for m in URL.finditer(folded):
            host = url_host(m)
            host_end = m.end("host") if m.group("host") else m.end("host2")
            end = max(host_end, len(m.group(0).rstrip(TRAILING)) + m.start())
            s, e = norm.folded_span(m.start(), end)
            links.append(Link(s, e, host.lower(), folded[m.start() : end]))
    return links


def host_in(host: str, domains: frozenset[str]) -> bool:
    """Tell whether ``host`` is one of ``domains`` or a subdomain of one."""
    labels = host.split(".")
    return any(".".join(labels[i:]) in domains for i in range(len(labels)))


class LinkRule(Rule):
    """Runtime ``link`` rule."""

    __slots__ = ("check", "domains", "max_links")

    def __init__(self, meta: RuleMeta, check: str, domains: frozenset[str], max_links: int) -> None:
        super().__init__(meta, frozenset((HAS_DOT,)))
        self.check, self.domains, self.max_links = check, domains, max_links

    def evaluate(self, ctx: Context) -> Iterable[Finding]:
        """Report the links this rule objects to."""
        links = find_links(ctx)
        if not links:
            return ()
        if self.check == "count":
            if len(links) <= self.max_links:
                return ()
            extra = links[self.max_links :]
            return [ctx.finding(self.meta, lk.start, lk.end, count=len(links)) for lk in extra]
        bad = [lk for lk in links if self._bad(lk, ctx.text)]
        return [ctx.finding(self.meta, lk.start, lk.end, host=lk.host) for lk in bad]

    def _bad(self, link: Link, text: str) -> bool:
        if self.check == "any":
            return True
        if self.check == "short_code":
            return not host_in(link.host, self.domains) and short_code(
                link, text[link.start : link.end]
            )
        if self.check == "raw_ip":
            return link.is_ip
        if self.check in ("shortener", "listed"):
            return host_in(link.host, self.domains)
        if self.check == "download":
            return bool(re.search(r"\.(apk|ipa)(?:$|[?#])", link.url, re.IGNORECASE))
        return not link.is_ip and not host_in(link.host, self.domains)  # not_allowlisted
