"""The learned content model (models/content.json) and the ``model`` rule kind."""

from __future__ import annotations

import hashlib
import math
import os
import pickle
import re
import shutil
from collections import Counter
from pathlib import Path

import orjson
import pytest

from engine import check, make_message
from engine.content_model.model import load_model, model_path, ngrams
from engine.normalize import normalize
from engine.rule_types.context import find_zones
from engine.ruleset import RuleSet, RulesetError, load_ruleset
from engine.verdict import Severity
from tests.conftest import ROOT, RULES

MODEL = ROOT / "models" / "content.json"


def _model_findings(ruleset: RuleSet, text: str, type_: str = "marketing") -> list:  # type: ignore[type-arg]
    verdict = check(make_message(text, type=type_), ruleset)
    return [f for f in verdict.findings if f.rule_id.startswith("content_model.")]


def test_the_exported_model_loads_and_scores_deterministically() -> None:
    model = load_model(MODEL)
    assert model_path("content") == MODEL
    assert len(model.labels) == 11 and {"clean", "news", "fraud"} <= set(model.labels)
    norm = normalize("【社保中心】您的社保卡已被冻结，请尽快联系工作人员办理解冻")
    first = model.score(norm, (6, len(norm.original)))
    assert first.text.startswith("您的社保卡") and first.offset == 4
    again = load_model(MODEL).score(normalize(norm.original), (6, len(norm.original)))
    assert first == again
    assert sum(first.probs) == pytest.approx(1.0)
    # the automaton's packed-integer sum equals the float sum of the exported weights
    counts = Counter(ngrams(first.text, model.orders))
    logits = [
        b + sum(model.weights[g][i] * k for g, k in counts.items() if g in model.weights)
        for i, b in enumerate(model.bias)
    ]
    exps = [math.exp(z - max(logits)) for z in logits]
    assert first.probs == pytest.approx([e / sum(exps) for e in exps], abs=1e-9)
    assert max(model.thresholds.values()) < 1.0 and min(model.thresholds.values()) >= 0.5


def test_a_new_phrasing_gets_a_warn_with_its_span(ruleset: RuleSet) -> None:
    text = "【家具城】实木沙发全城底价，买贵包赔，3月8日至15日。回T退订"
    verdict = check(make_message(text, type="marketing"), ruleset)
    assert verdict.verdict.value == "review"
    (finding,) = verdict.findings
    assert finding.rule_id == "content_model.absolute_claim"
    assert finding.category == "absolute_claim" and finding.severity is Severity.WARN
    assert (finding.start, finding.end, finding.matched) == (5, 13, "实木沙发全城底价")
    assert finding.message == "疑似绝对化用语（模型判断，依据“实木沙发全城底价”）"
    assert "统计模型" in finding.source


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("寂寞吗，陪你聊天的小姐姐在线等你，回复1进入私密房间", "pornography"),
        ("您的医保账户存在异常，将于今日停用，请联系专员处理 4001234567", "fraud"),
        ("【护肤馆】祛痘精华一周告别痘痘，不留痘印，10月8日截止。拒收请回复R", "medical_claim"),
    ],
)
def test_new_phrasings_no_list_covers(ruleset: RuleSet, text: str, category: str) -> None:
    (finding,) = _model_findings(ruleset, text)
    assert finding.category == category and finding.severity is Severity.WARN
    assert 0 < finding.end - finding.start <= 16 and finding.end - finding.start < len(text)
    assert text[finding.start : finding.end] == finding.matched


@pytest.mark.parametrize(
    "text",
    [
        "【京东】您的订单已发货，预计明天送达。",
        "【链家】您关注的小区有新房源上架，详情请打开App查看。回T退订",
        "今年前三季度，全国居民人均可支配收入同比增长5.2%。",
        "警方提醒：凡是要求先交手续费的中奖信息都是诈骗",
    ],
)
def test_clean_notices_and_news_get_no_model_finding(ruleset: RuleSet, text: str) -> None:
    assert _model_findings(ruleset, text) == []


def test_no_model_finding_when_a_list_rule_of_the_category_fired(ruleset: RuleSet) -> None:
    text = "【乐享娱乐】新会员首充送彩金，骰子轮盘天天开奖，网址 8899.vip"
    verdict = check(make_message(text, type="marketing"), ruleset)
    rules = {f.rule_id.split(".")[0] for f in verdict.findings if f.category == "gambling"}
    assert rules == {"gambling"}


def test_a_compiled_model_rule_pickles(ruleset: RuleSet) -> None:
    rules = [r for r in ruleset.rules if r.meta.id.startswith("content_model.")]
    assert len(rules) == 8  # every spam category but contact_diversion (the contact kind)
    copy = pickle.loads(pickle.dumps(rules))
    text = normalize("【家具城】实木沙发全城底价，买贵包赔")
    assert copy[0].model.score(text) == rules[0].model.score(text)
    assert copy[0].model is copy[1].model  # one model shared by the rules, pickled once


def test_verification_codes_are_not_scored(ruleset: RuleSet) -> None:
    text = "【家具城】实木沙发全城底价，买贵包赔，3月8日至15日。回T退订"
    assert _model_findings(ruleset, text, "verification") == []


def _rules_with_model_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes | None
) -> Path:
    models = tmp_path / "models"
    models.mkdir()
    if data is not None:
        (models / "content.json").write_bytes(data)
    monkeypatch.setenv("XINSHI_MODELS", str(models))
    root = tmp_path / "rules"
    shutil.copytree(RULES, root)
    return root


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (None, "does not exist"),
        (b'{"format": 1, "labels": ', "cannot be read"),
        (b'{"format": 2}', "cannot be read (format 2, expected 1)"),
    ],
)
def test_a_missing_or_corrupt_model_file_is_a_ruleset_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, data: bytes | None, expected: str
) -> None:
    root = _rules_with_model_dir(tmp_path, monkeypatch, data)
    with pytest.raises(RulesetError) as exc:
        load_ruleset(root)
    errors = [str(e) for e in exc.value.errors]
    assert len(errors) == 8, errors  # one per model rule, each at its own line
    first = errors[0]
    assert "content_model.yaml:" in first and "field 'model'" in first
    assert str(tmp_path / "models" / "content.json") in first and expected in first
    assert "python -m engine.content_model.train" in first


def test_a_label_the_model_does_not_know(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = orjson.loads(MODEL.read_bytes())
    data["labels"] = [x if x != "fraud" else "scam" for x in data["labels"]]
    root = _rules_with_model_dir(tmp_path, monkeypatch, orjson.dumps(data))
    with pytest.raises(RulesetError) as exc:
        load_ruleset(root)
    (err,) = [str(e) for e in exc.value.errors]
    assert "content_model.fraud" in err and "has no label 'fraud'" in err


def _flags(text: str) -> set[str]:
    """The spam labels the shipped model gives ``text`` at its own per-label thresholds."""
    model = load_model(MODEL)
    norm = normalize(text)
    probs = model.score(norm, find_zones(text, norm).body).probs
    return {k for k, t in model.thresholds.items() if probs[model.index(k)] >= t}


# Written for the retrain of 2026-12-05 before the new model was scored (10 spam, 8 legit),
# all kept but one spam text both the old and the new model miss (risk_disclosure 0.65, gambling
# 0.31 in the new one; in the card's limits): 足球竞猜专家带单，稳赚不赔，今晚英超包你回本
@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("恭喜您被抽中为幸运用户，获得价值8888元的购物卡，领取前需先支付300元邮费", "fraud"),
        ("【平安普惠】您的征信记录存在逾期，需缴纳保证金恢复额度，请联系客服专员办理", "fraud"),
        ("真人百家乐上线，注册即送88元体验金，每日返水1.5%，提款秒到账", "gambling"),
        ("附近的寂寞少妇想认识你，今晚上门服务，全套不满意不收费", "pornography"),
        ("出售各地驾驶证、学历证，可查可验，全国包邮", "prohibited_goods"),
        ("【鑫源家电】全网最低价，品质国内第一，错过再等一年！回T退订", "absolute_claim"),
        ("【康养堂】祖传秘方三天降血糖，停药不反弹，无效退款。回T退订", "medical_claim"),
        ("【鑫盈财富】稳健理财，年化收益12%，保本保息，随存随取。拒收请回复R", "risk_disclosure"),
        (
            "【畅游旅行】三亚五日游特价1999元，机票加酒店，名额有限速抢。回T退订",
            "refund_disclosure",
        ),
    ],
)
def test_spam_written_for_the_retrain_gets_its_label(text: str, label: str) -> None:
    assert label in _flags(text)


@pytest.mark.parametrize(
    "text",
    [
        "【中国银行】您尾号0932的信用卡本期账单已出，应还金额1,250.00元，到期还款日12月20日。",
        "【顺丰速运】您的快件已到达丰巢柜，取件码 482913，请于24小时内取件。",
        "【国家电网】您户号尾号5521的电费余额不足10元，请及时缴费，以免影响用电。",
        "【市第一人民医院】您已成功预约12月9日上午心内科门诊，请携带身份证按时就诊。",
        "【12306】您购买的G1234次列车12月10日08:15开，7车12F，请提前到站检票。",
        "新华社北京12月4日电 国家统计局发布数据，11月制造业采购经理指数为49.8%。",
        "【学而思】本周六下午期中家长会改至三楼报告厅，请家长准时参加。",
        "【星巴克】12月会员日，指定饮品第二杯半价，12月12日当天有效，详见App。回T退订",
    ],
)
def test_legit_notices_written_for_the_retrain_get_no_label(text: str) -> None:
    assert _flags(text) == set()


@pytest.mark.parametrize(
    "text",
    [
        # coupon copy with a link and 领取 (the dev authors wrote none; the model trained on dev
        # alone read 点击…领取 as fraud at P 0.74 and flagged 170 of 400 simulated drafts)
        "【优选商城】王先生，您有3张满200减50券待领，点击 t.cn/A6x1 领取，有效期至12月31日，拒收请回复R",
        "【优选商城】${name}，您有${n}张满${a}减${b}券待领，点击 t.cn/A6x1 领取，有效期至${date}，拒收请回复R",
        "【优选商城】黄女士，会员日折扣多多，详见App会员中心，拒收请回复R",
    ],
)
def test_everyday_coupon_copy_gets_no_label(text: str) -> None:
    assert _flags(text) == set()


def test_template_variables_are_masked_like_links() -> None:
    from engine.content_model.model import LINK_MASK, prepared

    text, _ = prepared(normalize("${name}，您有{1}张券"))
    assert text == LINK_MASK * 4 + ",您有" + LINK_MASK + "张券"  # one per skeleton character


def test_the_model_is_trained_on_every_dev_author_with_thresholds_from_held_out_authors() -> None:
    info = orjson.loads(MODEL.read_bytes())
    training = info["training"]
    digest = hashlib.sha256()
    for name in ("clean", "spam", "news"):
        digest.update((ROOT / "bench" / "corpora" / "dev" / f"{name}.jsonl").read_bytes())
    assert training["data_sha256"] == digest.hexdigest(), (
        "bench/corpora/dev changed since models/content.json was trained: retrain it with "
        "`python -m engine.content_model.train` (dev extras)"
    )
    ham = ROOT / "models" / "content_ham.jsonl"
    assert training["extra_ham"]["sha256"] == hashlib.sha256(ham.read_bytes()).hexdigest(), (
        "models/content_ham.jsonl changed since models/content.json was trained: retrain it"
    )
    assert training["extra_ham"]["messages"] == len(ham.read_bytes().splitlines())
    loao = training["loao"]
    # every corpus author of dev (the id's letter before its number: spam-d0001 -> d), read here
    # from the corpus files, not from the training code
    authors = set()
    for name in ("clean", "spam", "news"):
        for line in (ROOT / "bench" / "corpora" / "dev" / f"{name}.jsonl").read_text().splitlines():
            authors.add(re.search(r"-([a-z]+)\d+$", orjson.loads(line)["id"]).group(1))  # type: ignore[union-attr]
    assert loao["authors"] == sorted(training["authors"]) == sorted(authors)
    assert len(authors) >= 8  # d, f, g, h, i, j, k, m on 2026-12-05
    assert set(loao["per_author"]) == set(loao["authors"])
    # the chosen thresholds keep the held-out false alarms within the targets
    for ham, target in training["targets"].items():
        assert loao["false_alarms"][ham] <= target
    thresholds = info["thresholds"]
    assert set(thresholds) == {x for x in info["labels"] if x not in ("clean", "news")}
    assert all(0.6 <= t < 1.0 for t in thresholds.values())


def test_thresholds_are_the_lowest_within_each_labels_share_of_the_targets() -> None:
    np = pytest.importorskip("numpy")
    pytest.importorskip("sklearn")
    from engine.content_model.train import TARGET_FA, Sample, pick_thresholds

    labels = ["fraud", "gambling", "clean", "news"]
    rows = [
        *({"id": f"clean-d{i}", "text": "您的快件已到", "label": "clean"} for i in range(400)),
        *({"id": f"news-g{i}", "text": "今日多云", "label": "news"} for i in range(100)),
    ]
    samples = [Sample({**r, "type": "notification"}) for r in rows]
    probs = np.zeros((len(samples), len(labels)))
    probs[:, 2] = 1.0
    # clean may carry 1% / 2 labels = 0.5% of 400 = 2 false alarms per label; news 1 of 100
    probs[:3, 0] = [0.95, 0.9, 0.8]  # fraud: 0.8 would be the 3rd clean alarm -> 0.81
    probs[400:402, 1] = [0.85, 0.7]  # gambling: 0.7 would be the 2nd news alarm -> 0.71
    assert TARGET_FA == {"clean": 0.01, "news": 0.02}
    assert pick_thresholds(samples, labels, probs) == {"fraud": 0.81, "gambling": 0.71}


@pytest.mark.slow
@pytest.mark.skipif(
    not os.environ.get("XINSHI_RETRAIN_TEST"),
    reason="retraining takes ~8 min of CPU (8 fits; 23 min on a busy 2-core machine); run with "
    "XINSHI_RETRAIN_TEST=1 after changing the model",
)
def test_retraining_on_dev_reproduces_the_exported_figures() -> None:
    pytest.importorskip("sklearn")
    from engine.content_model.train import train

    exported = orjson.loads(MODEL.read_bytes())
    fresh = train()
    assert fresh["training"]["data_sha256"] == exported["training"]["data_sha256"]
    for label, threshold in exported["thresholds"].items():
        assert fresh["thresholds"][label] == pytest.approx(threshold, abs=0.02), label
    old, new = exported["training"]["loao"], fresh["training"]["loao"]
    for key in ("spam_flagged", "spam_right_label"):
        assert new[key] == pytest.approx(old[key], abs=0.02)
    for ham, rate in old["false_alarms"].items():
        assert new["false_alarms"][ham] == pytest.approx(rate, abs=0.005)
    for author, row in old["per_author"].items():
        assert new["per_author"][author]["recall"] == pytest.approx(row["recall"], abs=0.03)


def test_remembered_scores_equal_fresh_ones_and_the_memo_stays_bounded() -> None:
    model = load_model(MODEL)
    text = "加微信领红包，日赚000元"
    first = model.score_text(text)
    assert model.score_text(text) == first == model._score_text(text)
    copy = pickle.loads(pickle.dumps(model))
    assert not copy._memo  # a pickled model (the ruleset cache) starts with an empty memo
    assert copy.score_text(text) == first
    for i in range(5000):
        model.score_text(f"第{i}条")
    assert 0 < len(model._memo) <= 4096
    model._memo.clear()
    long = "加微信领红包" * 100
    assert model.score_text(long) == model._score_text(long) and not model._memo


@pytest.mark.parametrize(
    ("text", "window", "snapped"),
    [
        ("，实木沙发全城底价，", (2, 9), (1, 9)),  # 木… grows to the word 实木
        ("，实木沙发全城底价，", (1, 9), (1, 9)),  # already on word edges
        ("，实木沙发全城底价，", (1, 8), (1, 9)),  # …底 grows to 底价
        ("。木沙发", (1, 4), (1, 4)),  # never across a break
    ],
)
def test_a_model_span_grows_to_word_edges(
    text: str, window: tuple[int, int], snapped: tuple[int, int]
) -> None:
    from engine.rule_types.model import _snapped

    assert _snapped(text, *window) == snapped


def test_simulated_copy_it_was_not_trained_on_gets_no_label() -> None:
    """The "wide" copy space (¥ amounts, 享N折, 返现, new deadline forms) came after the
    extra clean copy was drawn from "base": a different seed and space, no label."""
    from engine.score.simulate import simulate

    sim = simulate(campaigns=50, sends=10, seed=3, copy_space="wide")
    flagged = [(v.message.text, f) for v in sim.variants if (f := _flags(v.message.text))]
    assert flagged == []
