"""Round 8 (issue #13, linkmed13): short links fresh authors write that no host list names.

Each round's frozen split brought short-link services the lists did not know yet (sourl.cn,
985.so, m6z.cn, u.jd.com, s.xinyh.cn). These tests pin the shape-based checks: a host on any
TLD when a path follows, a machine-made code on any host, full-width links, and the page
names a tenant writes that must stay allowed.
"""

from __future__ import annotations

import pytest

from engine import Decision, check, make_message
from engine.normalize import normalize
from engine.rule_types.link import Link, scan_links, short_code

SIG = "【信使商城】尊敬的会员，"
END = " 。拒收请回复R"


def _link_findings(text: str) -> list[tuple[str, str]]:
    v = check(make_message(text, type="marketing", send_at="2026-12-02T10:00:00+08:00"))
    return [
        (rid, text[f.start : f.end])
        for f in v.findings
        for rid in f.rule_ids
        if rid.startswith("link_policy.") and rid != "link_policy.domain_not_allowlisted"
    ]


@pytest.mark.parametrize(
    ("link", "rule"),
    [
        ("sourl.vip/Bg9byp", "link_policy.short_code"),  # a 5-letter service name
        ("xurl.cn/HcpHta", "link_policy.short_code"),  # letters nearly all consonants
        ("hdyx8.cn/A6xYz1", "link_policy.short_code"),  # lone letters mixed with digits
        ("dwz.mk/AbC12", "link_policy.short_code"),  # a TLD no list names
        ("s.xinyh.cn/A6xYz12?f=sms", "link_policy.short_code"),  # a query after the code
        ("ｓ．ｘｉｎｙｈ．ｃｎ／ＦＢ４１５ｇ", "link_policy.short_code"),  # full-width
        ("sina.lt/AbC12x", "link_policy.shortener"),  # listed, on a TLD the finder now reads
        ("shorturl.at/aBc12", "link_policy.shortener"),
        ("t•cn/Ab3dE", "link_policy.disguised_link"),  # a bullet for the dot
    ],
)
def test_fresh_short_links_are_flagged_with_the_link_as_span(link: str, rule: str) -> None:
    text = f"{SIG}领券入口 {link}{END}"
    found = _link_findings(text)
    assert (rule, link) in found, found


@pytest.mark.parametrize(
    "link",
    [
        "https://www.xinshi-mall.cn/Mate60Pro",
        "https://xinshi-mall.cn/iPhone15",
        "https://xinshi-mall.cn/H5Sale",
        "https://xinshi-mall.cn/NewYear2026",
        "https://xinshi-mall.cn/JDPlus",
        "https://xinshi-mall.cn/sale2024",
        "https://xinshi-mall.cn/VIP2024",
    ],
)
def test_page_names_on_a_tenant_site_are_not_short_links(link: str) -> None:
    text = f"{SIG}年终活动（12月1日至31日）详见 {link}{END}"
    assert _link_findings(text) == []


def test_a_short_link_in_a_signed_promo_holds_it_for_review() -> None:
    text = f"{SIG}领券入口 sourl.vip/Bg9byp{END}"
    v = check(make_message(text, type="marketing", send_at="2026-12-02T10:00:00+08:00"))
    assert v.verdict is Decision.REVIEW


@pytest.mark.parametrize(
    ("text", "spans"),
    [
        ("点击dwz.mk/AbC12领取，谢谢", ["dwz.mk/AbC12"]),  # ends before CJK
        ("访问 rb.gy/a6xyz1！", ["rb.gy/a6xyz1"]),  # ends before ！
        ("约2.5kg/箱，1.5元/斤", []),  # a number is no host
        ("版本 v3.2.1/ios 已上线", []),
    ],
)
def test_unlisted_tld_links_need_a_path_and_stop_at_cjk(text: str, spans: list[str]) -> None:
    assert [text[lk.start : lk.end] for lk in scan_links(normalize(text))] == spans


@pytest.mark.parametrize(
    ("url", "host", "expected"),
    [
        ("sourl.cn/Bg9byp", "sourl.cn", True),
        ("sourl.cn/arz3hh", "sourl.cn", True),
        ("sourl.cn/c2y5h1", "sourl.cn", True),
        ("xinshi-mall.cn/Double11", "xinshi-mall.cn", False),
        ("xinshi-mall.cn/P70Pro", "xinshi-mall.cn", False),
        ("xinshi-mall.cn/help", "xinshi-mall.cn", False),
        ("t.dangdang.com/02847", "t.dangdang.com", False),
    ],
)
def test_short_code_on_any_host(url: str, host: str, expected: bool) -> None:
    assert short_code(Link(0, len(url), host, url.lower()), url) is expected


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("【信使优选】护肝片治疗脂肪肝，会员价99元。回T退订", "治疗脂肪肝"),
        ("【信使优选】最最有效的护肝片，治疗脂肪肝，回T退订", "治疗脂肪肝"),
        ("【信使养生】草本茶饮治疗耳鸣，买二送一。回T退订", "治疗耳鸣"),
    ],
)
def test_a_non_medical_product_treating_a_chronic_disease_is_blocked(text: str, span: str) -> None:
    v = check(make_message(text, type="marketing", send_at="2026-12-02T10:00:00+08:00"))
    assert v.verdict is Decision.BLOCK
    spans = [
        text[f.start : f.end]
        for f in v.findings
        if "medical_claim.treatment_nonmedical" in f.rule_ids
    ]
    assert span in spans
