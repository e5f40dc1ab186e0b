"""engine.check end to end on the shipped rules: contract, spans, evasions, false positives."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from engine import Decision, MessageError, check, make_message
from engine.ruleset import RuleSet

DATA = Path(__file__).parent / "data"


def _ids(verdict) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.rule_id for f in verdict.findings}


def test_verdict_contract_fields(ruleset: RuleSet) -> None:
    v = check(make_message("【信使商城】全场最低价", type="marketing", id="m1"), ruleset)
    d = v.to_dict()
    assert set(d) == {
        "id", "verdict", "findings", "segments", "chars", "ruleset_version", "ruleset_commit"
    }  # fmt: skip
    assert d["id"] == "m1" and d["verdict"] == "block" and d["ruleset_version"] == ruleset.version
    f = d["findings"][0]
    assert set(f) == {"rule_id", "category", "severity", "start", "end", "matched", "message",
                      "suggestion", "source", "evasion", "related", "frame"}  # fmt: skip
    first = v.findings[0]
    assert type(f["severity"]) is str and f["severity"] == first.severity.value
    assert f["related"] == list(first.related)  # a JSON list, never a tuple's repr
    assert (f["rule_id"], f["start"], f["end"]) == (first.rule_id, first.start, first.end)
    scored = replace(v, score={"score": 0.5}).to_dict()
    assert scored["score"] == {"score": 0.5} and set(scored) == set(d) | {"score"}


def test_string_input_is_checked_as_marketing(ruleset: RuleSet) -> None:
    assert "unsubscribe.missing" in _ids(check("【信使商城】冬季上新，会员价8折", ruleset))


@pytest.mark.parametrize(
    ("text", "matched"),
    [
        ("【信使商城】尊敬的会员，加V信领券。拒收请回复R", "加V信"),
        ("【信使商城】尊敬的会员，加薇信领券。拒收请回复R", "加薇信"),
        ("【信使商城】尊敬的会员，加威信领券。拒收请回复R", "加威信"),
        ("【信使商城】尊敬的会员，加vx领券。拒收请回复R", "加vx"),
        ("【信使商城】尊敬的会员，加wx领券。拒收请回复R", "加wx"),
        ("【信使商城】尊敬的会员，加ＶＸ领券。拒收请回复R", "加ＶＸ"),
        ("【信使商城】尊敬的会员，加微❤信领券。拒收请回复R", "加微❤信"),
        ("【信使商城】尊敬的会员，加 微 信领券。拒收请回复R", "加 微 信"),
        ("【信使商城】尊敬的会员，加\u200b微\u200b信领券。拒收请回复R", "加\u200b微\u200b信"),
        ("【信使商城】尊敬的会员，加薇❤信领券。拒收请回复R", "加薇❤信"),
    ],
)
def test_contact_evasions_are_caught_on_the_original_text(
    ruleset: RuleSet, text: str, matched: str
) -> None:
    v = check(text, ruleset)
    hits = [f for f in v.findings if f.rule_id == "contact_diversion.private_im"]
    assert hits, v.findings
    assert text[hits[0].start : hits[0].end] == hits[0].matched == matched
    assert v.verdict is Decision.BLOCK


@pytest.mark.parametrize(
    "text", ["全场最低价", "全场最 低 价", "全场最*低*价", "全場最低價", "全场ＺＵＩ最低价"]
)
def test_superlative_spellings(ruleset: RuleSet, text: str) -> None:
    v = check(f"【信使商城】尊敬的会员，{text}，11月1日至3日。拒收请回复R", ruleset)
    assert "absolute_claim.superlative" in _ids(v)


def test_disguised_words_name_the_obfuscation_on_the_same_finding(ruleset: RuleSet) -> None:
    v = check("【信使商城】尊敬的会员，全场最*低*价。拒收请回复R", ruleset)
    [f] = [f for f in v.findings if "format.obfuscation" in f.rule_ids]
    assert (f.rule_id, f.matched, f.evasion) == ("absolute_claim.superlative", "最*低*价", "noise")
    assert f.related == ("format.obfuscation",)


@pytest.mark.parametrize(
    "text",
    [
        "【信使商城】尊敬的会员，最近上新的羽绒服会员价599元，11月1日至3日。拒收请回复R",
        "【信使商城】尊敬的会员，第一季度账单已出，请在App查看。拒收请回复R",
    ],
)
def test_allow_list_stops_superlative_false_positives(ruleset: RuleSet, text: str) -> None:
    assert not {"absolute_claim.superlative", "absolute_claim.caution"} & _ids(check(text, ruleset))


def test_official_account_is_not_a_private_contact(ruleset: RuleSet) -> None:
    msg = make_message(
        "【信使商城】您的订单已发货，请在微信公众号内查看订单。", type="notification"
    )
    assert not any(f.category == "contact_diversion" for f in check(msg, ruleset).findings)


def test_unsubscribe_line_never_triggers_a_deny_word(ruleset: RuleSet) -> None:
    v = check("【信使商城】尊敬的会员，冬季新品会员价8折，11月3日至5日。回T退订", ruleset)
    assert v.verdict is Decision.ALLOW, v.findings


def test_clean_corpus_is_allowed(ruleset: RuleSet) -> None:
    flagged = []
    for line in (DATA / "clean_messages.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        v = check(make_message(item["text"], type=item["type"]), ruleset)
        if v.verdict is not Decision.ALLOW:
            flagged.append((item["text"], [(f.rule_id, f.matched) for f in v.findings]))
    assert flagged == []


def test_segments_count_the_signature(ruleset: RuleSet) -> None:
    v = check("【信使商城】" + "好" * 64, ruleset)
    assert (v.chars, v.segments) == (70, 1)
    v = check("【信使商城】" + "好" * 65, ruleset)
    assert (v.chars, v.segments) == (71, 2)


def test_findings_point_into_the_original_text(ruleset: RuleSet) -> None:
    text = "【信使商城】尊敬的會員，全網最低價，加 Ｖ 信领券！！"
    for f in check(text, ruleset).findings:
        assert 0 <= f.start <= f.end <= len(text)
        assert text[f.start : f.end] == f.matched


def test_send_at_without_offset_is_beijing_time(ruleset: RuleSet) -> None:
    text = "【信使商城】尊敬的会员，部分商品5折，11月11日当天。拒收请回复R"
    late = make_message(text, send_at="2026-11-11T21:30")
    utc_noon = make_message(text, send_at="2026-11-11T12:00:00Z")  # 20:00 Beijing
    assert "send_window.marketing" in _ids(check(late, ruleset))
    assert "send_window.marketing" not in _ids(check(utc_noon, ruleset))


def test_profile_narrows_the_send_window(ruleset: RuleSet) -> None:
    text = "【信使商城】尊敬的会员，部分商品5折，11月11日当天。拒收请回复R"
    assert "send_window.marketing" not in _ids(
        check(make_message(text, send_at="2026-11-11T21:30", profile="tencent"), ruleset)
    )
    assert "send_window.marketing" in _ids(
        check(make_message(text, send_at="2026-11-11T20:30", profile="qiniu"), ruleset)
    )


@pytest.mark.parametrize(
    ("kwargs", "field", "text"),
    [
        ({"type": "promo"}, "type", "unknown message type 'promo'"),
        ({"send_at": "tomorrow"}, "send_at", "not an ISO 8601 time"),
    ],
)
def test_bad_message_fields_have_clear_errors(kwargs, field, text) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(MessageError) as exc:
        make_message("【信使商城】你好", **kwargs)
    assert exc.value.field == field and text in exc.value.message


def test_unknown_industry_and_profile_are_refused(ruleset: RuleSet) -> None:
    with pytest.raises(MessageError, match=r"unknown industry 'airline'.*Did you mean 'air'"):
        check(make_message("【云途旅行】你好", industry="airline"), ruleset)
    with pytest.raises(MessageError, match=r"unknown profile 'alyun'.*Did you mean 'aliyun'"):
        check(make_message("【云途旅行】你好", profile="alyun"), ruleset)


def test_empty_and_odd_unicode_do_not_crash(ruleset: RuleSet) -> None:
    for text in ["", " ", "\u200b" * 50, "🙂" * 200, "a\x00b", "【】", "【" * 100, "x" * 5000]:
        v = check(text, ruleset)
        assert v.verdict in (Decision.ALLOW, Decision.REVIEW, Decision.BLOCK)


def test_lone_surrogates_are_refused_with_a_clear_error() -> None:
    with pytest.raises(MessageError, match="unpaired surrogate at index 1"):
        make_message("a\ud800b")


def test_spam_and_fraud_corpus_is_blocked_by_the_right_rule(ruleset: RuleSet) -> None:
    missed = []
    for line in (DATA / "bad_messages.jsonl").read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        v = check(make_message(item["text"], type=item["type"]), ruleset)
        blocking = {rid for f in v.blocking for rid in f.rule_ids}
        if v.verdict is not Decision.BLOCK or item["expect"] not in blocking:
            missed.append((item["text"], item["expect"], sorted(blocking)))
    assert missed == []


def test_industry_and_profile_scoped_rules_follow_each_message(ruleset: RuleSet) -> None:
    # One text (the same trigger ids) for several industries and profiles: the rule list a
    # message type remembers per trigger set is kept apart per industry and profile.
    text = "【星河地产】尊敬的业主，样板间本周末开放参观。拒收请回复R"

    def fired(industry: str | None, profile: str) -> bool:
        msg = make_message(text, type="marketing", industry=industry, profile=profile)
        ids = {rid for f in check(msg, ruleset).findings for rid in f.rule_ids}
        return "forbidden_industry.otp_only" in ids

    assert fired("real_estate", "tencent")
    assert not fired(None, "tencent")
    assert not fired("real_estate", "default")
    assert fired("real_estate", "tencent")
