"""The edit operations: exact outputs on hand examples, and no new flaw on the corpus."""

from __future__ import annotations

from itertools import pairwise

import pytest

from engine.rewrite.edits import (
    PUNCT,
    Edit,
    delete_link,
    delete_span,
    insert_before_footer,
    insert_body_start,
    insert_opt_out,
    insert_signature,
    replace_span,
    zones,
)
from engine.rewrite.gate import new_defects
from tests.rewrite.conftest import corpus


def _cut(text: str, part: str) -> str:
    start = text.index(part)
    return delete_span(text, start, start + len(part)).apply(text)


@pytest.mark.parametrize(
    ("text", "part", "out"),
    [
        # the 领券 case: the left mark stays, the stray ！ goes
        ("【优选商城】${name}，全场最低价！领券", "全场最低价", "【优选商城】${name}，领券"),
        # the right mark stays when it ends the body (before the opt-out line)
        ("【店】买它，全场最低价。拒收请回复R", "全场最低价", "【店】买它。拒收请回复R"),
        ("【店】买它，全场最低价，拒收请回复R", "全场最低价", "【店】买它，拒收请回复R"),
        # nothing may open the body
        ("【店】全场最低价！领券", "全场最低价", "【店】领券"),
        ("全场最低价！领券", "全场最低价", "领券"),
        ("【店】全场5折起，速来！！！t.cn/A6x1", "速来", "【店】全场5折起，t.cn/A6x1"),
        # no comma ends the message
        ("【店】买它，全场最低价", "全场最低价", "【店】买它"),
        # spaces go with the cut; one stays between two ASCII words
        ("【店】详见 t.cn/x ，回T退订", "t.cn/x", "【店】详见，回T退订"),
        ("【店】iPhone 最低价 Pro", "最低价", "【店】iPhone Pro"),
        ("【店】加 V 信 abc123 领券，全场5折", "加 V 信 abc123", "【店】领券，全场5折"),
    ],
)
def test_delete_span_repairs_punctuation(text: str, part: str, out: str) -> None:
    assert _cut(text, part) == out
    assert new_defects(text, out) == []


@pytest.mark.parametrize(
    ("text", "link", "out"),
    [
        ("【店】全场5折，戳 t.cn/A6x1，拒收请回复R", "t.cn/A6x1", "【店】全场5折，拒收请回复R"),
        ("【店】全场5折，点击 t.cn/A6x1 领取。回T退订", "t.cn/A6x1", "【店】全场5折。回T退订"),
        ("【店】全场5折，点击点击 t.cn/A6x1，回T退订", "t.cn/A6x1", "【店】全场5折，回T退订"),
        ("【店】您的快递已到驿站，详见 t.cn/A6x1", "t.cn/A6x1", "【店】您的快递已到驿站"),
    ],
)
def test_delete_link_takes_its_call_to_action(text: str, link: str, out: str) -> None:
    start = text.index(link)
    edit = delete_link(text, start, start + len(link))
    assert edit.apply(text) == out and edit.kind in {"delete", "replace"}


@pytest.mark.parametrize(
    ("text", "phrase", "out"),
    [
        ("【店】全场5折，详见App", "拒收请回复R", "【店】全场5折，详见App，拒收请回复R"),
        ("【店】全场5折，详见App。", "回T退订", "【店】全场5折，详见App。回T退订"),
        ("【店】全场5折！  ", "拒收请回复R", "【店】全场5折！拒收请回复R  "),
        ("【店】全场5折，戳 t.cn/A6x1", "拒收请回复R", "【店】全场5折，戳 t.cn/A6x1，拒收请回复R"),
    ],
)
def test_insert_opt_out_goes_last(text: str, phrase: str, out: str) -> None:
    edit = insert_opt_out(text, phrase)
    assert edit.kind == "insert" and edit.start == edit.end
    assert edit.apply(text) == out


def test_insert_signature_and_body_start() -> None:
    assert insert_signature("  全场5折", "信使商城").apply("  全场5折") == "  【信使商城】全场5折"
    assert insert_signature("全场5折", "店") == Edit("insert_signature", 0, 0, "【店】")
    text = "【店】  全场5折"
    assert insert_body_start(text, "${name}，").apply(text) == "【店】  ${name}，全场5折"


@pytest.mark.parametrize(
    ("text", "out"),
    [
        (
            "【店】全场5折，戳 t.cn/A6x1，拒收请回复R",
            "【店】全场5折，戳 t.cn/A6x1，有效期至${date}，拒收请回复R",
        ),
        (
            "【店】全场5折，戳 t.cn/A6x1 ！拒收请回复R",
            "【店】全场5折，戳 t.cn/A6x1，有效期至${date}！拒收请回复R",
        ),
        ("【店】好礼相送！！拒收请回复R", "【店】好礼相送，有效期至${date}！！拒收请回复R"),
        ("【店】全场5折", "【店】全场5折，有效期至${date}"),
    ],
)
def test_insert_before_footer(text: str, out: str) -> None:
    assert insert_before_footer(text, "有效期至${date}").apply(text) == out


def test_replace_span() -> None:
    text = "【店】全场5折，回T退订"
    edit = replace_span(text, 8, 12, "拒收请回复R")
    assert edit.kind == "replace" and edit.apply(text) == "【店】全场5折，拒收请回复R"


@pytest.mark.parametrize("row", corpus(), ids=lambda r: r["id"])
def test_every_operation_leaves_no_new_flaw_on_the_corpus(row: dict[str, str]) -> None:
    text = row["text"]
    z = zones(text)
    outs = [insert_before_footer(text, "有效期至${date}").apply(text)]
    if z.footer is None:
        outs.append(insert_opt_out(text, "拒收请回复R").apply(text))
    if not z.signature:
        outs.append(insert_signature(text, "信使商城").apply(text))
    # every clause of the body (between two marks), deleted
    body_start, body_end = z.body
    cuts = [body_start] + [i for i in range(body_start, body_end) if text[i] in PUNCT] + [body_end]
    for a, b in pairwise(cuts):
        a += a > body_start  # after the mark
        if b > a and text[a:b].strip():
            outs.append(delete_span(text, a, b).apply(text))
    for out in outs:
        assert new_defects(text, out) == [], (text, out)
    # any run of two or four CJK characters: no punctuation flaw (a cut inside a word may
    # join two equal characters, which the gate then refuses)
    for start in range(body_start, body_end):
        for size in (2, 4):
            part = text[start : start + size]
            if start + size <= body_end and all("\u4e00" <= c <= "\u9fff" for c in part):
                out = delete_span(text, start, start + size).apply(text)
                flaws = [d for d in new_defects(text, out) if not d.startswith("repeated")]
                assert flaws == [], (text, out)
