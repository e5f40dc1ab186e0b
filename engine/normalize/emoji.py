"""Emoji with a short Chinese name (CLDR), for words written with an emoji for a character."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from engine.normalize.tables import _char_class, _is_cjk


class EmojiNames(NamedTuple):
    """Emoji with a short Chinese name (CLDR), and where one touches a Chinese character."""

    names: dict[str, str]
    # a character that may be one of ``names``: past the BMP, or one of the few below it
    # (a bitmap test: a class of the emoji themselves is a slow range search per character)
    candidate: re.Pattern[str]

    def beside_cjk(self, text: str) -> list[int]:
        """Indices of the emoji of ``names`` next to a Chinese character in ``text``."""
        out = []
        for m in self.candidate.finditer(text):
            i = m.start()
            if m.group() not in self.names:
                continue
            after = i + 2 if text[i + 1 : i + 2] == "\ufe0f" else i + 1
            if (i and _is_cjk(text[i - 1])) or (after < len(text) and _is_cjk(text[after])):
                out.append(i)
                if len(out) == _EMOJI_MAX:
                    break
        return out


_EMOJI_MAX = 16  # emoji beside a Chinese character read per message (each: a few scans)


@lru_cache(maxsize=1)
def emoji_names() -> EmojiNames:
    """Emoji -> Chinese short name, from engine/data/emoji_zh.tsv (CLDR, see its header)."""
    from importlib import resources

    text = resources.files("engine").joinpath("data/emoji_zh.tsv").read_text(encoding="utf-8")
    names = dict(
        line.split("\t", 1) for line in text.splitlines() if line and not line.startswith("#")
    )
    narrow = _char_class(sorted(ord(e) for e in names if ord(e) < 0x10000))
    return EmojiNames(names, re.compile(f"[{narrow}]|[\U00010000-\U0010ffff]"))
