"""Import-time regexes kept between warm starts (engine.regex_cache): a primed pattern is the
one re.compile builds; a missing, corrupt or unwritable file is no error."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from engine import regex_cache

PATTERNS = [
    (r"(?<![a-z])(?P<label>微信|薇信)\s{0,2}(?P<id>[a-z][a-z0-9_-]{5,19})", 0),
    (r"(?i)退订|回T", 0),
    (r"[【\[［]([^】\]］]{0,40})[】\]］]", re.IGNORECASE),
    (rb"[\x80-\xff]", 0),
]
TEXTS = ["加薇信 abc_12345 领取", "回t退订", "【信使商城】hi", "ok"]


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XINSHI_CACHE_DIR", str(tmp_path / "cache"))
    re.purge()
    yield tmp_path / "cache"
    re.purge()


def _matches(p: re.Pattern[str] | re.Pattern[bytes]) -> list[object]:
    out: list[object] = []
    for text in TEXTS:
        m = p.search(text.encode() if isinstance(p.pattern, bytes) else text)  # type: ignore[arg-type]
        out.append(m and (m.span(), m.groups(), m.groupdict()))
    return out


def test_a_primed_pattern_is_the_compiled_one(cache_dir: Path) -> None:
    fresh = [re.compile(p, f) for p, f in PATTERNS]
    assert not regex_cache.prime()  # nothing saved yet
    regex_cache.save()
    assert len(list(cache_dir.glob("regexes-check-*.pickle"))) == 1
    re.purge()
    assert regex_cache.prime()
    for (pattern, flags), want in zip(PATTERNS, fresh, strict=True):
        got = re.compile(pattern, flags)  # from the primed cache
        assert got is not want
        assert (got.pattern, got.flags, got.groupindex) == (
            want.pattern,
            want.flags,
            want.groupindex,
        )
        assert _matches(got) == _matches(want)


def test_a_corrupt_file_is_ignored(cache_dir: Path) -> None:
    re.compile(*PATTERNS[0])
    regex_cache.save()
    (path,) = cache_dir.glob("regexes-check-*.pickle")
    path.write_bytes(b"not a pickle")
    re.purge()
    assert not regex_cache.prime()
    assert _matches(re.compile(*PATTERNS[0]))[0] is not None


def test_an_unwritable_cache_dir_is_no_error(cache_dir: Path) -> None:
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cache_dir.write_text("a file where the directory should be")
    re.compile(*PATTERNS[1])
    regex_cache.save()  # no exception
    assert not regex_cache.prime()
