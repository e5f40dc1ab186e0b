"""The check page's behaviour in a real browser (Debian's Chromium): checks wait for the input
method, only the changed draft is sent, status sits on the draft, type per draft, ★ within a
type, keyboard access, one-click fixes, and bad input (long, many, emoji-only, server gone).

Requests are counted as the browser sends them (page.on("request")); waits poll, never sleep.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser import PHONE, launch, open_page, responds
from tests.conftest import RULES
from tests.processes import free_port, serving

NOTICE = "【信使商城】您的订单已发货，预计明天送达，请保持电话畅通。"
SIGNED = "【信使商城】您的订单已签收，感谢您的支持。"
VERDICT = "(i, v) => document.querySelectorAll('.draft')[i]?.dataset.verdict === v"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("pages")
    env = {"XINSHI_DATA": str(tmp / "data"), "XINSHI_WATCH_RULES": "0"}
    with serving(RULES, tmp / "server.log", env) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    yield from launch()


@pytest.fixture
def page(browser: Any, site: str) -> Iterator[Any]:
    context, pg, errors = open_page(browser)
    pg.goto(site + "/")
    pg.wait_for_function(f"() => ({VERDICT})(0, 'block') && ({VERDICT})(1, 'review')")
    yield pg
    context.close()
    assert not errors, errors


class Sent:
    """The drafts the page sends to /v1/variants, as the browser sends them."""

    def __init__(self, page: Any) -> None:
        self.bodies: list[dict[str, Any]] = []
        page.on("request", self._seen)

    def _seen(self, request: Any) -> None:
        if request.url.endswith("/v1/variants"):
            self.bodies.append(json.loads(request.post_data))

    def texts(self) -> list[str]:
        return [b["drafts"][0]["text"] for b in self.bodies]


def card(page: Any, i: int) -> Any:
    return page.locator(".draft").nth(i)


def status(page: Any, i: int) -> str:
    return str(card(page, i).locator(".draft-status").inner_text())


def add_draft(page: Any, text: str) -> int:
    page.click("#add-draft")
    i = page.locator(".draft").count() - 1
    card(page, i).locator("textarea").fill(text)
    return i


@pytest.mark.slow
def test_nothing_is_sent_while_an_input_method_composes(page: Any) -> None:
    sent = Sent(page)
    composed = "【信使商城】全网最低价"
    page.evaluate(
        """(text) => { const area = document.querySelectorAll('.draft textarea')[0];
        area.focus(); area.value = '';
        area.dispatchEvent(new CompositionEvent('compositionstart', { data: '' }));
        for (const typed of ['【信使商城】全网z', '【信使商城】全网zui', '【信使商城】全网zuidi']) {
          area.value = typed;
          area.dispatchEvent(new CompositionEvent('compositionupdate', { data: typed.slice(9) }));
          area.dispatchEvent(new InputEvent('input', { inputType: 'insertCompositionText', isComposing: true }));
        } }""",
        composed,
    )
    # a barrier, not a sleep: draft 2 changes after draft 1's pinyin; once draft 2's (debounced)
    # check has come back, a check of draft 1 scheduled by the pinyin would have gone out too
    card(page, 1).locator("textarea").fill(NOTICE)
    page.wait_for_function(
        "() => document.querySelectorAll('.draft')[1].dataset.verdict === 'block'"
    )
    assert sent.texts() == [NOTICE]  # only the draft that changed, and no pinyin
    page.evaluate(
        """(text) => { const area = document.querySelectorAll('.draft textarea')[0];
        area.value = text;
        area.dispatchEvent(new CompositionEvent('compositionend', { data: '最低价' }));
        area.dispatchEvent(new InputEvent('input', { inputType: 'insertCompositionText' })); }""",
        composed,
    )
    page.wait_for_function(
        f"() => document.querySelectorAll('.draft .highlighted')[0]?.textContent === {composed!r}"
    )
    assert sent.texts() == [NOTICE, composed]  # one request after composition ends
    assert "zui" not in "".join(sent.texts())


@pytest.mark.slow
def test_keystrokes_are_debounced_and_only_the_changed_draft_is_sent(page: Any) -> None:
    sent = Sent(page)
    area = card(page, 1).locator("textarea")
    area.fill("")
    area.press_sequentially("【信使商城】您的订单已发货", delay=10)
    page.wait_for_function(
        "() => document.querySelectorAll('.draft .highlighted')[1]?.textContent === '【信使商城】您的订单已发货'"
    )
    assert 1 <= len(sent.bodies) < len("【信使商城】您的订单已发货")
    assert set(sent.texts()) <= {"【信使商城】您的订单已发货"} | {
        "【信使商城】您的订单已发货"[:k] for k in range(1, 14)
    }
    assert sent.texts()[-1] == "【信使商城】您的订单已发货"
    assert all(len(b["drafts"]) == 1 for b in sent.bodies)


@pytest.mark.slow
def test_checking_status_and_errors_sit_on_the_draft(page: Any) -> None:
    held: list[Any] = []
    page.route(
        "**/v1/variants", lambda route: held.append(route)
    )  # hold the request: the page shows it is checking
    card(page, 1).locator("textarea").fill(NOTICE)
    page.wait_for_function(
        "() => document.querySelectorAll('.draft .draft-status')[1].textContent === '检查中…'"
    )
    assert status(page, 0) == "" and page.locator("#status").count() == 0
    assert len(held) == 1
    page.unroute("**/v1/variants")  # lets the held request go on to the server
    page.wait_for_function(f"() => ({VERDICT})(1, 'block')")
    assert status(page, 1) == ""


@pytest.mark.slow
def test_type_is_per_draft_and_the_star_compares_drafts_of_one_type(page: Any) -> None:
    sent = Sent(page)
    i = add_draft(page, NOTICE)  # a new draft starts as the draft above it: marketing
    page.wait_for_function(f"() => ({VERDICT})({i}, 'block')")
    card(page, i).locator("select.type").select_option("notification")
    page.wait_for_function(f"() => ({VERDICT})({i}, 'allow')")
    assert [b["drafts"][0]["type"] for b in sent.bodies] == ["marketing", "notification"]
    assert set(sent.texts()) == {NOTICE}  # switching one draft's type re-checks that draft only
    assert [card(page, k).get_attribute("data-verdict") for k in (0, 1)] == ["block", "review"]
    # the marketing draft for review stays the best marketing draft although a notice is allowed
    assert "★ 最佳合规草稿" in card(page, 1).locator(".badges").inner_text()
    badges = card(page, i).locator(".badges > span").all_inner_texts()
    assert badges == ["通过", "通知草稿"]  # the only notice: no rank, no ★
    j = add_draft(page, SIGNED)
    card(page, j).locator("select.type").select_option("notification")
    page.wait_for_function(
        f"() => ({VERDICT})({j}, 'allow') && document.querySelectorAll('.draft.best').length === 2"
    )
    stars = [k for k in range(4) if "best" in (card(page, k).get_attribute("class") or "")]
    assert stars[0] == 1 and stars[1] in (i, j)
    assert "营销草稿第 1 名（共 2 条）" in card(page, 1).locator(".rank").inner_text()
    assert {card(page, k).locator(".rank").inner_text() for k in (i, j)} == {
        "通知草稿第 1 名（共 2 条）", "通知草稿第 2 名（共 2 条）"
    }  # fmt: skip


@pytest.mark.slow
def test_highlights_and_buttons_work_from_the_keyboard(page: Any) -> None:
    remove = page.get_by_role("button", name="删除草稿 1")
    assert remove.count() == 1 and page.get_by_role("button", name="×").count() == 0
    card(page, 0).locator("textarea").focus()
    for _ in range(10):  # Tab from the draft's text to its first highlight
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.tagName") == "MARK":
            break
    focused = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
        return { tag: e.tagName, name: e.getAttribute('aria-label'), role: e.getAttribute('role'),
                 outline: s.outlineStyle, width: parseFloat(s.outlineWidth) }; }"""
    )
    assert focused["tag"] == "MARK" and focused["role"] == "button"
    assert focused["name"] == "最*低*价：拦截：使用了绝对化用语“最*低*价”"
    assert focused["outline"] != "none" and focused["width"] >= 2  # a visible focus ring
    page.keyboard.press("Enter")
    item = card(page, 0).locator('li[data-rule="absolute_claim.superlative"]')
    assert "selected" in (item.get_attribute("class") or "")
    # the rule id is on the small details line, not in the finding's main line
    assert "absolute_claim" not in item.locator("strong").inner_text()
    assert "absolute_claim.superlative" in item.locator(".details").inner_text()
    names = []
    for _ in range(2):  # on to the next highlight, then the mark where something is missing
        page.keyboard.press("Tab")
        names.append(page.evaluate("document.activeElement.getAttribute('aria-label')"))
    assert names == [
        "加 V 信：拦截：引导添加个人微信/QQ或进群：“加 V 信”",
        "此处拦截：营销短信缺少退订方式",
    ]


@pytest.mark.slow
def test_an_insert_fix_from_the_server_is_one_click(page: Any) -> None:
    """The back end's insert fixes (kind, start, end, text, label): added here to the real answer."""

    def with_insert_fix(route: Any) -> None:
        response = route.fetch()
        data = response.json()
        for f in data["results"][0]["findings"]:
            if f["rule_id"] == "unsubscribe.missing":
                n = len(data["results"][0]["text"])
                f["fixes"] = [
                    {
                        "kind": "insert",
                        "start": n,
                        "end": n,
                        "text": "拒收请回复R",
                        "label": "补上退订方式",
                    }
                ]
        route.fulfill(response=response, json=data)

    page.route("**/v1/variants", with_insert_fix)
    text = "【信使商城】尊敬的会员，上新了！"
    card(page, 1).locator("textarea").fill(text)
    fix = card(page, 1).get_by_role("button", name="插入“拒收请回复R”")
    fix.click()
    page.wait_for_function(f"() => ({VERDICT})(1, 'allow')")
    assert card(page, 1).locator("textarea").input_value() == text + "拒收请回复R"
    assert card(page, 1).locator('li[data-rule="unsubscribe.missing"]').count() == 0


@pytest.mark.slow
def test_the_servers_opt_out_and_signature_inserts_are_one_click(page: Any) -> None:
    """Not mocked: the server's own fixes (engine.rewrite), the signature asked for first."""
    text = "尊敬的会员，冬装上新，满300减50，12月8日截止。"
    card(page, 1).locator("textarea").fill(text)
    page.wait_for_function(f"() => ({VERDICT})(1, 'block')")
    card(page, 1).get_by_role("button", name="插入“拒收请回复R”").click()
    page.wait_for_function(
        "() => document.querySelectorAll('.draft')[1].querySelector('textarea').value.endsWith('R')"
    )
    assert card(page, 1).locator("textarea").input_value() == text + "拒收请回复R"
    card(page, 1).get_by_role("button", name="插入“拒收请回复R”").wait_for(state="detached")
    page.once("dialog", lambda d: d.accept("信使商城"))
    card(page, 1).get_by_role("button", name="插入“【签名】”").click()
    page.wait_for_function(f"() => ({VERDICT})(1, 'allow')")
    assert card(page, 1).locator("textarea").input_value() == "【信使商城】" + text + "拒收请回复R"


@pytest.mark.slow
def test_bad_input_gets_a_chinese_message_on_the_draft_and_never_freezes_the_page(
    page: Any,
) -> None:
    area = card(page, 0).locator("textarea")
    area.fill("测" * 5000)
    page.wait_for_function(
        "() => document.querySelectorAll('.draft-status')[0].textContent.includes('5000 字')"
    )
    assert status(page, 0).startswith("这条草稿有 5000 字，超过检查上限 2000 字，没有检查")
    responds(page)
    area.fill("😀🎉👍🔥")
    page.wait_for_function(
        "() => document.querySelectorAll('.draft-status')[0].textContent.includes('表情')"
    )
    assert status(page, 0) == "这条草稿只有表情或符号，没有文字，所以没有检查。请写上短信内容。"
    assert card(page, 0).get_attribute("data-verdict") is None
    responds(page)

    lines = [f"【信使商城】会员日第{k}场，全场满199减20，拒收请回复R" for k in range(1, 51)]
    page.evaluate(
        """(text) => { const area = document.querySelectorAll('.draft textarea')[1];
        const data = new DataTransfer(); data.setData('text/plain', text);
        area.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true })); }""",
        "\n".join(lines),
    )
    assert page.locator(".draft").count() == 20
    assert card(page, 1).locator(".draft-note").inner_text() == (
        "粘贴了 50 行，每行一条草稿；一页最多比较 20 条，后面 31 行没有添加。"
    )
    assert page.locator("#add-draft").is_disabled()
    responds(page)  # while 19 drafts are being checked, a few at a time
    page.wait_for_function(
        "() => Array.from(document.querySelectorAll('.draft')).slice(1).every((c) => c.dataset.verdict)",
        timeout=120_000,
    )
    responds(page)


@pytest.mark.slow
def test_an_unreachable_server_is_said_on_the_draft_and_retry_recovers(page: Any) -> None:
    closed = f"http://127.0.0.1:{free_port()}/v1/variants"  # nothing listens there
    page.route("**/v1/variants", lambda route: route.continue_(url=closed))
    card(page, 1).locator("textarea").fill(NOTICE)
    page.wait_for_function(
        "() => document.querySelectorAll('.draft-status')[1].textContent.includes('无法连接')"
    )
    assert status(page, 1).startswith("无法连接服务器：服务可能已停止或网络中断。")
    assert card(page, 1).get_attribute("data-verdict") is None and status(page, 0) == ""
    responds(page)
    page.unroute("**/v1/variants")
    card(page, 1).get_by_role("button", name="重试").click()
    page.wait_for_function(f"() => ({VERDICT})(1, 'block')")
    assert status(page, 1) == ""


@pytest.mark.slow
def test_a_phone_gets_per_draft_controls_without_overflow(site: str, browser: Any) -> None:
    from tests.browser import overflowing

    context, pg, errors = open_page(browser, PHONE)
    pg.goto(site + "/")
    pg.wait_for_function(f"() => ({VERDICT})(0, 'block') && ({VERDICT})(1, 'review')")
    assert pg.locator(".draft select.type").count() == 2
    assert overflowing(pg) == []
    context.close()
    assert not errors, errors


@pytest.mark.slow
def test_the_page_speaks_chinese_with_rule_ids_only_on_details_lines(page: Any) -> None:
    link = "【信使商城】尊敬的会员，会员日活动详见 https://m.hjkd.cn/w8 ，拒收请回复R"
    card(page, 1).locator("textarea").fill(link)
    page.wait_for_function(
        "() => document.querySelector('li[data-rule=\"link_policy.domain_not_allowlisted\"]')"
    )
    shown = page.evaluate(  # the page's text but the small details lines (rule ids)
        "() => { const c = document.querySelector('main').cloneNode(true);"
        " c.querySelectorAll('.details').forEach((d) => d.remove()); return c.textContent; }"
    )
    for english in (
        "block",
        "review",
        "allow",
        "noise",
        "rules/lists",
        "link_domains",
        "{matched}",
        "×",
    ):
        assert english not in shown, english
    assert "变形写法：夹杂符号或空格" in card(page, 0).inner_text()
    suggestion = card(page, 1).locator('li[data-rule="link_policy.domain_not_allowlisted"]')
    assert "联系合规管理员加入已报备域名列表" in suggestion.inner_text()
    for item in page.locator("li[data-rule]").all():
        rule = item.get_attribute("data-rule") or ""
        outside = item.evaluate(
            "(li) => { const c = li.cloneNode(true); c.querySelectorAll('.details').forEach((d) => d.remove());"
            " return c.textContent; }"
        )
        assert rule not in outside and rule in item.locator(".details").inner_text()


@pytest.mark.slow
def test_rules_page_examples_and_packs_speak_chinese(browser: Any, site: str) -> None:
    context, pg, errors = open_page(browser)
    pg.goto(site + "/rules")
    pg.wait_for_function("() => document.querySelectorAll('.rule').length > 100")
    shown = pg.evaluate(
        "() => { const c = document.querySelector('main').cloneNode(true);"
        " c.querySelectorAll('.details').forEach((d) => d.remove()); return c.textContent; }"
    )
    for internal in ("type=", "industry=", "profile=", "send_at=", "notification", "aliyun",
                     "absolute_claim", "仅限行业：finance"):  # fmt: skip
        assert internal not in shown, internal
    assert "（类型=通知）" in shown and "（类型=通知，行业=政务）" in shown
    assert "（类型=验证码，通道=阿里云）" in shown and "发送时间=2026-11-11 22:30" in shown
    assert "规则包：绝对化用语 " in shown and "仅限通道：阿里云、" in shown
    pg.fill("#search", "类型=验证码")  # the Chinese words are searchable too
    pg.wait_for_function("() => document.querySelector('#count').textContent.startsWith('显示 ')")
    assert 0 < pg.locator(".rule:visible").count() < 40
    context.close()
    assert not errors, errors


@pytest.mark.slow
def test_a_notice_keeps_its_purpose_and_its_own_industry_and_profile(page: Any) -> None:
    sent = Sent(page)
    notice = "【顺丰速运】尊敬的客户，您的快递已到驿站，取件码1234，详见 t.cn/A6x1"
    i = add_draft(page, notice)
    card(page, i).locator("select.type").select_option("notification")
    card(page, i).locator("select.industry").select_option(label="物流")
    card(page, i).locator("select.profile").select_option(label="阿里云")
    page.wait_for_function(
        f"() => document.querySelectorAll('.draft')[{i}].querySelectorAll('.rewrites li').length > 0"
    )
    last = sent.bodies[-1]["drafts"][0]
    assert (last["type"], last["industry"], last["profile"]) == (
        "notification", "logistics", "aliyun"
    )  # fmt: skip
    assert set(sent.texts()) == {notice}  # the other drafts keep theirs and are not re-sent
    offered = card(page, i).locator(".rewrites").inner_text()
    assert "点击 t.cn/A6x1 查看" in offered  # a clearer call to action is for a notice too ...
    for promo in ("${name}", "姓名称呼", "有效期至", "券", "领取"):  # ... a greeting or offer not
        assert promo not in offered, promo
    assert "换成姓名称呼" not in card(page, i).inner_text()


@pytest.mark.slow
def test_a_link_ends_at_the_chinese_comma_in_highlight_and_fix(page: Any) -> None:
    text = "【信使商城】尊敬的会员，冬装5折，详见 http://t.cn/abc，拒收请回复R"
    card(page, 1).locator("textarea").fill(text)
    rule = "link_policy.domain_not_allowlisted"
    # wait for the re-check of the new text (the draft held before has a link mark too)
    page.wait_for_function(
        "() => [...document.querySelectorAll("
        f"'.draft:nth-child(2) mark[data-rules~=\"{rule}\"]')].some("
        "m => m.textContent.includes('t.cn/abc'))"
    )
    marks = card(page, 1).locator(f'mark[data-rules~="{rule}"]')
    assert "".join(marks.all_text_contents()) == "http://t.cn/abc"
    fix = card(page, 1).locator(f'li[data-rule="{rule}"] button.apply-fix')
    assert fix.inner_text() == "删除“，详见 http://t.cn/abc”"  # the comma after the link stays
    fix.click()
    page.wait_for_function(
        f"() => !document.querySelector('.draft:nth-child(2) mark[data-rules~=\"{rule}\"]')"
    )
    assert (
        card(page, 1).locator("textarea").input_value()
        == "【信使商城】尊敬的会员，冬装5折，拒收请回复R"
    )
