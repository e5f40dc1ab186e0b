"""Tracked-link destinations: a URL behind a short link passes the link rules before it is used.

With ``track_links`` the SMS carries ``{link_base}/r/{code}``, so the check of the text never
sees the real URL. Each destination is therefore checked on its own terms, twice:

* at intake: the URL must have a shape the link rules can read in full (http/https, at most
  ``MAX_URL_CHARS``, a plain ASCII host, no ``user@`` part) and the message, with the URL in
  place of its short link, must have no finding on the URL (raw IP, .apk, shortener, host not
  on the allow-list, forbidden words in the path ...). It is refused exactly as it would have
  been without ``track_links``;
* at ``/r/{code}``: the stored destination is checked again with the serving rules, so a row
  stored before this check existed, or edited by hand, is never a redirect target.

Length rules are not applied to the URL: the SMS carries the short link, not the destination.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from engine.check import check
from engine.message import MessageType, make_message
from engine.rule_types.link import URL, url_host
from engine.ruleset import RuleSet
from engine.verdict import Finding, Severity

MAX_URL_CHARS = 2048  # what browsers and link scanners reliably handle; README "Click tracking"
_NOT_ON_THE_URL = frozenset({"length"})  # rule categories about the SMS itself, not its links


class LinkError(ValueError):
    """A tracked link's destination that may not be shortened or redirected to."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


def check_shape(url: str) -> None:
    """Refuse a URL the link rules could not read in full (or that hides its real host)."""
    if len(url) > MAX_URL_CHARS:
        raise LinkError(
            "url_too_long",
            f"the link has {len(url)} characters; the limit is {MAX_URL_CHARS}. "
            "Use a shorter landing page address",
        )
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # .port raises on a port that is not a number
    except ValueError:
        parts, host = urlsplit(""), None
    seen = URL.fullmatch(url)
    if (
        parts.scheme.lower() not in ("http", "https")
        or host is None
        or "@" in parts.netloc
        or "\\" in url
        or not host.isascii()
        or seen is None
        or url_host(seen).lower() != host.lower()
    ):
        raise LinkError(
            "invalid_link",
            f"the link {url[:80]!r} is not a plain http(s) address the link rules can check: "
            "use https://host/path with an ASCII host (punycode), no user@ part, and "
            "percent-encode spaces, brackets and non-ASCII characters",
        )


def findings_on(
    text: str, short: str, url: str, msg_type: MessageType, ruleset: RuleSet
) -> list[Finding]:
    """Check ``text`` with ``url`` in place of ``short``; return the findings on the URL."""
    at = text.find(short)
    if at < 0:  # the short link is not in the text: nothing ties the URL to a checked message
        raise LinkError("invalid_link", "the short link is not in the message text")
    full = text[:at] + url + text[at + len(short) :]
    verdict = check(make_message(full, type=msg_type), ruleset)
    end = at + len(url)
    return [
        f
        for f in verdict.findings
        if f.severity is not Severity.INFO
        and f.category not in _NOT_ON_THE_URL
        and f.start < end
        and f.end > at
    ]


def vet(text: str, short: str, url: str, msg_type: MessageType, ruleset: RuleSet) -> None:
    """Raise LinkError unless ``url`` may stand behind ``short`` in ``text``."""
    check_shape(url)
    bad = findings_on(text, short, url, msg_type, ruleset)
    if bad:
        # a finding names the rules merged into it too (a shortener is also off the allow-list)
        what = "; ".join(f"{f.message} ({', '.join(f.rule_ids)})" for f in bad)
        raise LinkError(
            "link_not_allowed",
            f"the tracked link's destination is refused by the link rules: {what}. "
            "Link to an allowed page (the same rules apply with or without track_links)",
        )
