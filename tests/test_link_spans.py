"""Link findings end where the link ends: never on the punctuation that follows it."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import check, make_message
from engine.ruleset import RuleSet

LINKS = [
    "http://t.cn/abc",
    "t.cn/A6x1",
    "https://xinshi-sale.top/a?b=1&c=2",
    "xinshi-sale.top/1111",
]
# full-width and ASCII marks that close a clause, and the closers of brackets and quotes
AFTER = [
    "，",
    "。",
    "！",
    "？",
    "；",
    "：",
    "）",
    "】",
    "」",
    "』",
    "、",
    "…",
    ",",
    ".",
    "!",
    "?",
    ";",
    ":",
    ")",
    "”",
]


def _link_findings(text: str, ruleset: RuleSet) -> list[tuple[int, int]]:
    v = check(make_message(text), ruleset)
    # a link finding may be merged into another rule's on the same characters
    return [
        (f.start, f.end)
        for f in v.findings
        if any(r.startswith("link_policy.") for r in f.rule_ids)
    ]


@pytest.mark.parametrize("mark", AFTER)
@pytest.mark.parametrize("link", LINKS)
def test_link_span_stops_before_the_mark(link: str, mark: str, ruleset: RuleSet) -> None:
    text = f"【优选商城】全场满200减50，详见{link}{mark}拒收请回复R"
    spans = _link_findings(text, ruleset)
    start = text.index(link)
    assert spans and all(span == (start, start + len(link)) for span in spans), (
        text,
        [text[a:b] for a, b in spans],
    )


def test_the_issue_example(ruleset: RuleSet) -> None:
    text = "【优选商城】全场5折，点 http://t.cn/abc，拒收请回复R"
    v = check(make_message(text), ruleset)
    link = next(f for f in v.findings if f.category == "link_policy")
    assert text[link.start : link.end] == "http://t.cn/abc"
    assert link.matched == "http://t.cn/abc"


def test_a_path_keeps_its_inner_punctuation(ruleset: RuleSet) -> None:
    text = "【优选商城】订单详情 https://m.xinshi-mall.cn/o?id=7,8;x=a.b 。拒收请回复R"
    v = check(make_message(text, type="notification"), ruleset)
    assert [text[f.start : f.end] for f in v.findings if f.category == "link_policy"] == []
    from engine.normalize import normalize
    from engine.rule_types.link import scan_links

    (only,) = scan_links(normalize(text))
    assert text[only.start : only.end] == "https://m.xinshi-mall.cn/o?id=7,8;x=a.b"


@settings(max_examples=150, deadline=None)
@given(
    link=st.sampled_from(LINKS),
    tail=st.text(alphabet="".join(AFTER), min_size=1, max_size=4),
    rest=st.sampled_from(["拒收请回复R", "", "详询客服"]),
)
def test_any_run_of_marks_after_a_link_stays_outside(
    link: str, tail: str, rest: str, ruleset: RuleSet
) -> None:
    text = f"【优选商城】新品上市 {link}{tail}{rest}"
    start = text.index(link)
    for span in _link_findings(text, ruleset):
        assert span == (start, start + len(link)), (text, text[span[0] : span[1]])


@pytest.mark.parametrize(
    ("text", "wanted"),
    [
        # top/1111 read with the slash as noise is the listed superlative top1: not in a link
        (
            "【花漾美妆】${name}，年终回馈，全场6折起，详见xinshi-sale.top/1111，拒收请回复R",
            [
                ("price_disclosure.promo_period", "6折"),
                ("link_policy.domain_not_allowlisted", "xinshi-sale.top/1111"),
            ],
        ),
        # the same words outside the link still count, with their own span
        (
            "【信使商城】全场最*低*价，详见 xinshi-sale.top/1111 拒收请回复R",
            [
                ("absolute_claim.superlative", "最*低*价"),
                ("link_policy.domain_not_allowlisted", "xinshi-sale.top/1111"),
            ],
        ),
    ],
)
def test_words_inside_a_link_are_no_claim(
    ruleset: RuleSet, text: str, wanted: list[tuple[str, str]]
) -> None:
    v = check(make_message(text), ruleset)
    assert [(f.rule_id, f.matched) for f in v.findings] == wanted
