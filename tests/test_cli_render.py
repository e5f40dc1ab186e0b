"""CJK-aware wrapping: every piece fits its width and the pieces give back the text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.cli_render import break_points, display_width

PIECES = st.sampled_from(["信", "使", "，", "。", "）", "a", "b", "7", " ", "-", "【", "】", "→"])


@given(st.lists(PIECES, max_size=200).map("".join), st.integers(4, 80), st.integers(4, 80))
def test_lines_fit_and_rejoin(text: str, first: int, rest: int) -> None:
    cuts = break_points(text, first, rest)
    assert cuts == sorted(set(cuts)) and all(0 < c < len(text) for c in cuts)
    parts = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
    assert "".join(parts) == text
    for i, part in enumerate(parts):
        assert display_width(part) <= (first if i == 0 else rest)


def test_chinese_breaks_anywhere_but_latin_words_stay_whole() -> None:
    text = "尊敬的会员请访问 m.xinshi-mall.cn 领取"
    cuts = break_points(text, 20, 20)
    assert text[: cuts[0]] == "尊敬的会员请访问 "  # the address moves down whole
    assert break_points("一二三四五，六", 10, 10) == [4]  # the comma does not start a line
    assert display_width("信使ab") == 6
