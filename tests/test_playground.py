"""The web playground: its JSON endpoints, and its pages in a real browser (Debian's Chromium).

One `xinshi serve` on 127.0.0.1 with a copy of the rules and a small demo A/B experiment.
Browser tests skip only when Chromium is missing outside CI; in CI (`CI` set) they must run.
Set XINSHI_SCREENSHOTS=1 to refresh the README's screenshots in docs/screenshots/.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.browser import (
    DESKTOP,
    PHONE,
    axe_violations,
    launch,
    narrow_headers,
    open_page,
    overflowing,
    screenshot,
)
from tests.conftest import RULES
from tests.processes import serving

KEY = "playground-admin-key"
STATIC = Path(__file__).resolve().parent.parent / "engine" / "api" / "static"
EVASIVE = "【信使商城】尊敬的会员，全场5折，加 V 信领券！拒收请回复R"


class Server:
    """A running `xinshi serve` with its rules copy."""

    def __init__(self, url: str, rules: Path) -> None:
        self.url, self.rules = url, rules


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    tmp = tmp_path_factory.mktemp("playground")
    rules = tmp / "rules"
    shutil.copytree(RULES, rules)
    env = {
        "XINSHI_DATA": str(tmp / "data"),
        "XINSHI_API_KEYS": KEY,
        "XINSHI_WATCH_RULES": "0",
    }
    subprocess.run(
        [sys.executable, "-m", "engine.cli", "ab", "demo", "--recipients", "20000"],
        env={**os.environ, **env}, check=True, capture_output=True,
    )  # fmt: skip
    with serving(rules, tmp / "server.log", env) as url:
        yield Server(url, rules)


@pytest.fixture(scope="session")
def api(site: Server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=site.url, timeout=60) as c:
        yield c


def _err(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    body: dict[str, Any] = r.json()["error"]
    assert body["code"] == code, body
    return body


# --- JSON -----------------------------------------------------------------------------------


def test_variants_rank_drafts_and_mark_the_best_compliant(api: httpx.Client) -> None:
    drafts = [
        "【信使商城】尊敬的会员，全场最*低*价，加 V 信领券！",
        "【信使商城】尊敬的会员，全场5折！拒收请回复R",
        "【信使商城】王女士，您有2张满200减30券待领，点击 t.cn/A6x1 领取，有效期至11月30日，拒收请回复R",
    ]
    r = api.post("/v1/variants", json={"drafts": drafts, "price": 0.05})
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["price"] == 0.05 and data["model"]["trained_on"] == "simulated"
    rows = data["results"]
    assert [row["text"] for row in rows] == drafts  # input order; rank says the order by score
    assert sorted(row["rank"] for row in rows) == [1, 2, 3]
    assert rows[0]["verdict"] == "block" and not rows[0]["best"]
    assert sum(row["best"] for row in rows) == 1
    # the others pass: one with a note (its promotion's period, info since 450a0e2), one for
    # review (an unknown short link); the best is the allowed one, though it scores lower
    assert [row["verdict"] for row in rows[1:]] == ["allow", "review"]
    assert rows[1]["best"] and rows[1]["score"]["score"] < rows[2]["score"]["score"]
    for row in rows:
        assert row["cost_per_10k"] == round(row["segments"] * 0.05 * 10_000, 2)
        for f in row["findings"]:
            assert row["text"][f["start"] : f["end"]] == f["matched"]
    # every rewrite offered has already passed the check (never blocked)
    for s in rows[1]["score"]["suggestions"]:
        again = api.post("/v1/check", json={"text": s["text"]}).json()
        assert again["verdict"] != "block" and again["verdict"] == s["verdict"]


def test_variants_rank_and_mark_the_best_among_drafts_of_one_type(api: httpx.Client) -> None:
    promo = "【信使商城】王女士，您有2张满200减30券待领，有效期至11月30日，拒收请回复R"
    weak = "【信使商城】尊敬的会员，全场5折！拒收请回复R"
    notice = {
        "text": "【信使商城】您的订单已发货，单号SF1234567，请留意查收",
        "type": "notification",
    }
    rows = api.post("/v1/variants", json={"drafts": [weak, notice, promo]}).json()["results"]
    # a notice is no alternative to a promotion: ranked and starred among notices only
    assert (rows[1]["rank"], rows[1]["rank_of"], rows[1]["best"]) == (1, 1, True)
    assert sorted(r["rank"] for r in (rows[0], rows[2])) == [1, 2]
    assert rows[0]["rank_of"] == rows[2]["rank_of"] == 2
    assert sum(r["best"] for r in (rows[0], rows[2])) == 1


def test_variants_apply_shared_options(api: httpx.Client) -> None:
    text = "【信使商城】王女士，您有2张满200减30券待领，有效期至11月30日，拒收请回复R"
    day, night = ({"drafts": [text], "send_at": f"2026-11-11T{t}"} for t in ("10:00", "22:30"))
    by_day = api.post("/v1/variants", json=day).json()["results"][0]
    by_night = api.post("/v1/variants", json=night).json()["results"][0]
    assert "send_window" not in {f["category"] for f in by_day["findings"]}
    assert "send_window" in {f["category"] for f in by_night["findings"]}
    otp = {
        "text": "【信使商城】验证码386512，用于登录，5分钟内有效，请勿泄露。",
        "type": "verification",
    }
    row = api.post("/v1/variants", json={"drafts": [otp]}).json()["results"][0]
    assert row["verdict"] == "allow" and row["best"]


@pytest.mark.parametrize(
    ("payload", "status", "code", "field", "message"),
    [
        ({"drafts": "x"}, 422, "invalid_request", "drafts", 'send {"drafts": ["draft one", "draft two"]}'),
        ({"drafts": ["x"] * 21}, 413, "too_many_drafts", "drafts",
         "21 drafts; compare at most 20 at once (use /v1/check/batch for more)"),
        ({"drafts": ["x"], "price": -1}, 422, "invalid_request", "price",
         "price: yuan per segment, a number >= 0 (e.g. 0.045)"),
        ({"drafts": ["x"], "colour": 1}, 422, "invalid_request", "colour",
         "unknown field 'colour' (allowed: drafts, industry, price, profile, send_at, signature, type)"),
        ({"drafts": ["x"], "type": "promo"}, 422, "invalid_message", "drafts.0.type",
         "unknown message type 'promo'. Use one of: verification, notification, marketing"),
        ({"drafts": ["x", 3]}, 422, "invalid_message", "drafts.1",
         'a message is a JSON object like {"text": "..."}'),
    ],
)  # fmt: skip
def test_variants_errors(
    api: httpx.Client, payload: Any, status: int, code: str, field: str, message: str
) -> None:
    body = _err(api.post("/v1/variants", json=payload), status, code)
    assert (body["field"], body["message"]) == (field, message)


def test_variants_refuses_a_body_that_is_not_json(api: httpx.Client) -> None:
    _err(api.post("/v1/variants", content=b"drafts"), 415, "unsupported_media_type")
    r = api.post("/v1/variants", content=b"{", headers={"content-type": "application/json"})
    _err(r, 400, "invalid_json")


def test_catalog_lists_every_rule_with_source_and_examples(api: httpx.Client) -> None:
    catalog = api.get("/v1/rules/catalog").json()
    report = api.get("/v1/rules").json()
    assert catalog["version"] == report["version"]
    assert len(catalog["rules"]) == report["rules"]
    assert "air" in catalog["industries"] and "tencent" in catalog["profiles"]
    rule = next(r for r in catalog["rules"] if r["id"] == "contact_diversion.private_im")
    assert rule["source"] and rule["examples"]["flag"] and rule["examples"]["pass"]
    assert rule["file"] == "rules/packs/contact_diversion.yaml" and rule["line"] > 0


def test_ab_list_and_chart(api: httpx.Client) -> None:
    assert api.get("/v1/ab").json() == {"experiments": ["demo_promo"]}
    png = api.get("/v1/ab/demo_promo/chart.png", params={"metric": "conversion"})
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG")
    body = _err(api.get("/v1/ab/nope/chart.png"), 404, "not_found")
    assert body["message"].startswith("no experiment 'nope' in ")
    body = _err(api.get("/v1/ab/demo_promo/chart.png?metric=opens"), 422, "invalid_request")
    assert body["message"] == "unknown metric 'opens'; one of click, conversion, delivery, revenue"


def test_charts_are_cached_until_the_store_changes(api: httpx.Client, site: Server) -> None:
    def chart(metric: str) -> httpx.Response:
        r = api.get("/v1/ab/demo_promo/chart.png", params={"metric": metric})
        assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
        return r

    first = chart("delivery")
    again = chart("delivery")
    assert (first.headers["x-chart-cache"], again.headers["x-chart-cache"]) == ("miss", "hit")
    assert again.content == first.content
    assert chart("click").headers["x-chart-cache"] == "miss"  # the metric is part of the key
    store = site.rules.parent / "data" / "ab.duckdb"
    st = store.stat()
    os.utime(store, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # as an ingest would
    assert chart("delivery").headers["x-chart-cache"] == "miss"


@pytest.mark.parametrize("path", ["/", "/rules", "/ab", "/providers"])
def test_pages_are_utf8_html_that_load_nothing_from_elsewhere(api: httpx.Client, path: str) -> None:
    r = api.get(path)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert '<meta charset="utf-8">' in r.text and 'name="viewport"' in r.text
    for ref in ("/static/app.css", "/static/common.js"):
        assert ref in r.text and api.get(ref).status_code == 200


def test_static_files_work_offline_and_never_inject_raw_html() -> None:
    for f in STATIC.iterdir():
        text = f.read_text(encoding="utf-8")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, f.name
        assert "innerHTML" not in text and "insertAdjacentHTML" not in text, f.name


# --- in the browser ---------------------------------------------------------------------------


@pytest.fixture(scope="module")  # Playwright's sync API keeps an event loop running: stop it
def browser() -> Iterator[Any]:  # with this module, or later asyncio.run() calls fail
    yield from launch()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context, pg, errors = open_page(browser)
    pg.set_default_timeout(15_000)
    yield pg
    context.close()
    assert not errors, errors


@pytest.fixture(scope="session")
def scorecard(site: Server) -> Path:
    """Six messages sent through two providers, in the server's outbox (once a session)."""
    outbox = site.rules.parent / "xinshi-data" / "dispatch.sqlite"
    _sent_through_two_providers(outbox)
    return outbox


@pytest.mark.slow
def test_check_page_highlights_the_evasive_contact_and_fixes_it(site: Server, page: Any) -> None:
    page.goto(site.url + "/")
    page.wait_for_selector(".draft[data-verdict]")
    card = page.locator(".draft").first
    card.locator("textarea").fill(EVASIVE)
    page.wait_for_function(
        "() => document.querySelector('.draft .highlighted')?.textContent === "
        f"{EVASIVE!r} && document.querySelector('.draft').dataset.verdict === 'block'"
    )
    marks = card.locator('mark[data-rules~="contact_diversion.private_im"]')
    assert "".join(marks.all_text_contents()) == "加 V 信"
    # the characters before the highlight are exactly the original text before "加 V 信"
    before = page.evaluate(
        """() => { const box = document.querySelector('.draft .highlighted'); let s = '';
        for (const n of box.childNodes) { if (n.nodeType === 1 && (n.dataset.rules || '')
          .split(' ').includes('contact_diversion.private_im')) break; s += n.textContent; }
        return s; }"""
    )
    assert before == EVASIVE[: EVASIVE.index("加 V 信")]
    marks.first.click()
    item = card.locator('li[data-rule="contact_diversion.private_im"]')
    assert "selected" in (item.get_attribute("class") or "")
    assert "依据" in item.inner_text()
    # one finding for the problem: the other rules on 加 V 信 are a note on it, not findings
    assert card.locator('li[data-rule="format.obfuscation"]').count() == 0
    related = item.locator(".related").get_attribute("data-related") or ""
    assert "format.obfuscation" in related.split()

    item.locator("button.apply-fix").click()  # delete "加 V 信" and re-check
    page.wait_for_function("() => document.querySelector('.draft').dataset.verdict !== 'block'")
    assert card.locator("textarea").input_value() == EVASIVE.replace("加 V 信", "")
    # what is left is a note (the promotion's period, info since 450a0e2): allowed
    assert card.get_attribute("data-verdict") == "allow"
    assert card.locator('mark[data-rules~="contact_diversion.private_im"]').count() == 0

    rewrite = card.locator(".rewrites li").first  # a rewrite: applied, re-checked, never blocked
    wanted = rewrite.locator(".meta").first.inner_text().removeprefix("→ ")
    rewrite.locator("button.apply-rewrite").click()
    page.wait_for_function(
        f"() => document.querySelector('.draft .highlighted')?.textContent.startsWith({wanted[:12]!r})"
    )
    assert card.locator("textarea").input_value() == wanted
    assert page.locator(".draft.best").count() == 1


@pytest.mark.slow
def test_rules_page_searches_and_shows_reload_errors(
    site: Server, page: Any, api: httpx.Client
) -> None:
    page.goto(site.url + "/rules")
    page.wait_for_selector(".rule")
    assert "成功" in page.locator(".banner").inner_text()
    total = page.locator(".rule").count()
    assert total == api.get("/v1/rules").json()["rules"]
    page.fill("#search", "加V信")  # matches the examples of the contact-diversion rules
    visible = page.locator(".rule:visible")
    ids = {visible.nth(i).get_attribute("data-rule") for i in range(visible.count())}
    assert "contact_diversion.private_im" in ids and len(ids) < total
    # a message's placeholder is shown as a named slot, never as "{matched}"
    assert "{matched}" not in page.locator("#rules").inner_text()
    message = page.locator('.rule[data-rule="contact_diversion.private_im"] .message')
    assert message.inner_text() == "引导添加个人微信/QQ或进群：“命中的文字”"
    assert message.locator(".slot").inner_text() == "命中的文字"
    # the details line names the category and kind in Chinese; only the rule id stays English
    details = page.locator('.rule[data-rule="contact_diversion.private_im"] .details').inner_text()
    assert "类别：私下导流" in details and "检查方式：禁用词" in details
    assert "contact_diversion.private_im" in details and " forbidden " not in details + " "

    pack = site.rules / "packs" / "contact_diversion.yaml"
    good = pack.read_text(encoding="utf-8")
    pack.write_text(good.replace("kind: forbidden", "kind: forbiden", 1), encoding="utf-8")
    try:
        auth = {"Authorization": f"Bearer {KEY}"}
        assert api.post("/v1/rules/reload", headers=auth).status_code == 409
        page.reload()
        page.wait_for_selector(".reload-errors li")  # rendered after the page fetches /v1/rules
        errors = page.locator(".reload-errors li").all_inner_texts()
        assert any(
            e.startswith("rules/packs/contact_diversion.yaml 第 ")
            and "未知的规则类型“forbiden”，是否应为“forbidden”？" in e
            for e in errors
        ), errors
        assert str(site.rules.parent) not in page.content()  # no absolute path of the server
        assert "被拒绝" in page.locator(".banner").inner_text()
    finally:
        pack.write_text(good, encoding="utf-8")
        assert api.post("/v1/rules/reload", headers=auth).status_code == 200


@pytest.mark.slow
def test_ab_page_shows_report_chart_and_srm_in_plain_words(site: Server, page: Any) -> None:
    page.goto(site.url + "/ab")
    page.wait_for_selector("table")
    assert page.locator("#experiment").input_value() == "demo_promo"
    assert "分流正常" in page.locator(".srm").inner_text()
    assert page.locator("table").first.locator("tbody tr").count() == 3
    page.wait_for_function("() => document.querySelector('img.chart')?.naturalWidth > 0")
    page.select_option("#metric", "conversion")
    page.wait_for_function("() => location.search.includes('metric=conversion')")
    page.wait_for_selector("th:has-text('转化率')")


@pytest.mark.slow
def test_api_docs_render_every_operation_offline(
    site: Server, api: httpx.Client, browser: Any
) -> None:
    spec = api.get("/openapi.json")
    assert spec.status_code == 200
    operations = sum(len(ops) for ops in spec.json()["paths"].values())
    context = browser.new_context()
    elsewhere: list[str] = []

    def only_this_server(route: Any) -> None:
        if route.request.url.startswith(site.url):
            route.continue_()
        else:  # a CDN or any other host: the docs must not need it
            elsewhere.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    pg = context.new_page()
    pg.goto(site.url + "/docs")
    pg.wait_for_function(
        f"() => document.querySelectorAll('.opblock').length === {operations}", timeout=30_000
    )
    assert pg.locator(".opblock-summary-path", has_text="/v1/check/batch").count() == 1
    context.close()
    assert elsewhere == []


def _sent_through_two_providers(outbox_path: Path) -> None:
    """Records as a worker and receipts would leave them: 6 messages, 2 providers."""
    from engine.dispatch import Intake, Outbox, SendRequest, load_templates
    from engine.dispatch.message import Lane
    from engine.dispatch.outbox import Receipt
    from engine.ruleset import load_ruleset

    ruleset = load_ruleset(RULES)
    outbox = Outbox(outbox_path)
    intake = Intake(outbox, load_templates(), lambda: ruleset, b"playground-secret", "x")
    for i, (provider, ok) in enumerate([("aliyun", True)] * 3 + [("tencent", True),
                                        ("tencent", False), ("tencent", True)]):  # fmt: skip
        row, _ = intake.submit(SendRequest(f"pg-{i}", f"1380000{i:04d}", "order_confirmed",
                                           {"order": f"{i:010d}"}))  # fmt: skip
        now = time.time()
        outbox.claim(Lane.NOTICE, 1, now + 1, 30)
        outbox.record_attempt(row.id, provider, now, now + 0.05 * (1 + i), "accepted", "OK", None)
        outbox.accept(row.id, provider, f"ref-{i}", "OK", now + 0.1)
        code = "DELIVERED" if ok else "MK:0001"
        outbox.apply_receipts([Receipt(provider, f"ref-{i}", row.id, row.phone, ok, code, None,
                                       "{}", 1)], now + 0.5 + i)  # fmt: skip
    outbox.close()


@pytest.mark.slow
def test_providers_page_shows_the_scorecard_table_and_latency_chart(
    site: Server, page: Any, scorecard: Path
) -> None:
    page.goto(site.url + "/providers")
    page.wait_for_selector("table")
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    first = rows.nth(0).inner_text()
    assert first.startswith("aliyun") and "100.00%" in first
    second = rows.nth(1).inner_text()
    assert "66.67%" in second and "MK:0001（空号）×1" in second
    assert page.locator(".latency-chart").count() == 2
    assert page.locator(".latency-chart .bar.p50").count() == 4  # 2 providers x submit, receipt
    assert "未设置单价" in page.locator("#card").inner_text()  # no XINSHI_PROVIDER_PRICES
    page.select_option("#by", "carrier")
    page.wait_for_function("() => location.search.includes('by=carrier')")
    page.wait_for_selector("th:has-text('运营商')")
    assert "中国移动" in page.locator("table tbody tr").first.inner_text()


# --- every page: accessibility, phone layout, screenshots ----------------------------------

PAGES = {
    "check": ("/", "() => document.querySelectorAll('.draft[data-verdict]').length === 2"),
    "rules": ("/rules", "() => document.querySelectorAll('.rule').length > 100"),
    "ab": ("/ab?experiment=demo_promo&metric=click",
           "() => document.querySelectorAll('table').length >= 3"),
    "providers": ("/providers", "() => document.querySelectorAll('.latency-chart').length === 2"),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("name", PAGES)
def test_every_page_passes_axe_and_fits_a_phone(
    site: Server, browser: Any, scorecard: Path, name: str, tmp_path: Path
) -> None:
    path, ready = PAGES[name]
    for size, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
        context, pg, errors = open_page(browser, viewport)
        pg.goto(site.url + path)
        pg.wait_for_function(ready, timeout=60_000)
        if name == "check":  # show a selected finding in the screenshot
            pg.locator(".draft mark").first.click()
        if name == "ab":  # the chart loads lazily, when it is scrolled to
            pg.locator("img.chart").scroll_into_view_if_needed()
            pg.wait_for_function("() => document.querySelector('img.chart').naturalWidth > 0")
            pg.evaluate("window.scrollTo(0, 0)")
            if size == "phone":  # show the comparison table, one block per variant
                pg.locator("h2", has_text="与对照组比较").evaluate("(e) => e.scrollIntoView()")
        assert axe_violations(pg) == [], size  # no serious or critical violation
        if size == "phone":
            over = overflowing(pg)
            assert over == [], "\n".join(over)
            assert narrow_headers(pg) == []  # no header one glyph wide, wrapping per character
            if name in ("ab", "providers"):  # tables: one block per row, columns named
                assert pg.locator(".cell-label:visible").count() > 0
        # the whole page on a desktop (the rules page only its top: 124 rules are ~20,000 px)
        full = size == "desktop" and name != "rules"
        screenshot(pg, f"{name}-{size}.png", tmp_path, full_page=full)
        context.close()
        assert not errors, errors
