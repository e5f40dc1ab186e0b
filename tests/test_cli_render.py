"""CJK-aware wrapping: every piece fits its width and the pieces give back the text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from engine.cli.render import break_points, display_width

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


MESSAGES = [
    "【信使商城】验证码386512，5分钟内有效，请勿泄露给他人。",
    "验证码：123456，点击 http://x.cn 领取 加微信abc123",
    "尊敬的会员，全网最低价！限时秒杀，请访问 m.xinshi-mall.cn 领取\t大礼包，回T退订",
]


def test_plain_output_is_what_rich_prints_off_a_terminal() -> None:
    # `xinshi check` off a terminal writes with PlainText instead of importing rich: the
    # same lines, character for character, at any width
    import io

    from rich.console import Console

    from engine.check import check
    from engine.cli.render import PlainConsole, render
    from engine.message import make_message

    for text in MESSAGES:
        verdict = check(make_message(text))
        assert verdict.findings or text.startswith("【")
        for width in (40, 80, 132):
            rich_out, plain_out = io.StringIO(), io.StringIO()
            render(Console(file=rich_out, width=width), text, verdict)
            render(PlainConsole(plain_out, width), text, verdict)
            assert plain_out.getvalue() == rich_out.getvalue(), (text, width)
