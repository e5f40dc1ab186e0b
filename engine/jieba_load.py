"""jieba's tokenizer, loaded faster than ``jieba.Tokenizer().initialize()`` does it.

Two costs of jieba's own loading are avoidable, and both land on a server's first start
(whole-word rules' examples segment text) and on the first whole-word check:

- ``import jieba`` imports pkg_resources (~0.3 s, deprecated) only to open its own data
  files; without it jieba opens them next to its ``__file__``.
- ``initialize()`` reads its dictionary cache (``$TMPDIR/jieba.cache``, a marshal of the
  prefix dictionary) with ``marshal.load`` on a file object, which reads it a few bytes at a
  time: ~3x slower than ``marshal.loads`` of the whole file (~1 s against ~0.4 s).

The cache is the very file jieba would read for its default dictionary; anything unexpected
falls back to jieba's own ``initialize()``.
"""

from __future__ import annotations

import sys
from typing import Any


def import_jieba() -> Any:
    """``import jieba``, without importing pkg_resources for it."""
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba

        return jieba
    sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # makes its import fail
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


def tokenizer() -> Any:
    """A ready ``jieba.Tokenizer`` with the default dictionary."""
    jieba = import_jieba()
    tok = jieba.Tokenizer()
    if not _read_cache(tok):
        tok.initialize()  # builds the prefix dictionary and writes the cache
    return tok


def _read_cache(tok: Any) -> bool:
    """Fill ``tok`` from jieba's default-dictionary cache; False if there is none fit to use."""
    import marshal
    import os
    import tempfile

    jieba = sys.modules["jieba"]
    if tok.dictionary != jieba.DEFAULT_DICT or tok.cache_file:
        return False
    path = os.path.join(tok.tmp_dir or tempfile.gettempdir(), "jieba.cache")
    try:
        with open(path, "rb") as f:
            freq, total = marshal.loads(f.read())
    except Exception:  # missing, unreadable, truncated or not marshal data: jieba rebuilds it
        return False
    if not isinstance(freq, dict) or not isinstance(total, int) or not freq:
        return False
    tok.FREQ, tok.total, tok.initialized = freq, total, True
    return True
