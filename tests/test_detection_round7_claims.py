"""Issue #13, round 7 (claims): superlatives, refund waivers, earnings promises, aesthetic
medicine and short links, in wordings written for this file (no corpus text).

Flagged rows are the classes the round-7 lists and patterns add: a superlative with any
adjective over a whole city or net, a ranking of a result, a refund waiver written as a term of
sale, an earnings promise per day or per traded lot, a "teacher" who trades for you, an
injectable sold for home use, a platform's short link. Clean rows are their look-alikes: a
weather notice's lowest temperature, a shop's own discount range, an opt-out that says 可退订
or 取消 (it is no refund term), a balance notice's yesterday's income, a penalty rate per day,
a face mask with hyaluronic acid, a clinic's own booking notice, a regulator's warning.
"""

from __future__ import annotations

import pytest

from engine import Decision, Severity
from tests.conftest import check_text, shipped_ruleset

SHIPPED = shipped_ruleset()


B, W = Severity.BLOCK, Severity.WARN

FLAGGED = [
    # text, rule, severity, the characters the finding points at
    # --- absolute claims
    (
        "【椰林民宿】全城最火的海景民宿，周末房源开放预订。回T退订",
        "absolute_claim.superlative",
        B,
        "全城最火",
    ),
    (
        "【启航驾校】本校科目二通过率最高，冬季班报名立减300元。回T退订",
        "absolute_claim.superlative",
        B,
        "通过率最高",
    ),
    (
        "【暖居家纺】羊绒围巾永不褪色，会员价129元。回T退订",
        "absolute_claim.superlative",
        B,
        "永不褪色",
    ),
    (
        "【暖居家纺】空调被史上最便宜，仅此一周。回T退订",
        "absolute_claim.superlative",
        B,
        "史上最便宜",
    ),
    (
        "【净源净水】净水器行业领导品牌，以旧换新补贴500元。回T退订",
        "absolute_claim.superlative",
        B,
        "领导品牌",
    ),
    # a mobile written with dots makes the text an offer as a plain one does
    ("蚕丝被全市最低价，订购电话139.2468.1357", "absolute_claim.superlative", B, "全市最低价"),
    # --- refund waivers written as terms of sale
    (
        "【云栖客栈】元旦大床房368元/晚，预订后不可退款。回T退订",
        "refund_disclosure.refund_no_return_clause",
        W,
        "预订后不可退款",
    ),
    (
        "【潮玩小铺】盲盒拆封不退，满99元包邮。回T退订",
        "refund_disclosure.refund_no_return_clause",
        W,
        "拆封不退",
    ),
    (
        "【潮玩小铺】年终清仓，特价商品不退不换。回T退订",
        "refund_disclosure.refund_no_return_clause",
        W,
        "特价商品不退不换",
    ),
    # an opt-out that says 可退订 is no refund term: the ticket offer still lacks one
    (
        "【翼行旅行】广州-昆明特价机票428元起，1月出发。回T可退订",
        "refund_disclosure.refund_air_ticket",
        B,
        "特价机票",
    ),
    # ... and neither is 回复TD取消 for a hotel room
    (
        "【云栖旅行】山景房299元/晚，限时抢订。回复TD取消",
        "refund_disclosure.refund_travel_hotel",
        W,
        "山景房299元",
    ),
    # a tour or a room priced without 元 (仅需1999) owes the same cancellation terms
    (
        "【翼行旅游】桂林双飞5日游仅需1899，名额有限。回T退订",
        "refund_disclosure.refund_travel_hotel",
        W,
        "5日游仅需1899",
    ),
    # --- earnings promises
    (
        "【汇鑫投资】外汇托管计划，日收益1.5%，随时可提。回T退订",
        "risk_disclosure.guaranteed_return",
        B,
        "日收益1.5%",
    ),
    (
        "【汇鑫投资】原油期货一手赚3200元，名额有限。回T退订",
        "risk_disclosure.guaranteed_return",
        B,
        "一手赚3200",
    ),
    (
        "【汇鑫投资】量化基金收益6%/月，开户即送体验金。回T退订",
        "risk_disclosure.guaranteed_return",
        B,
        "收益6%/月",
    ),
    (
        "【汇鑫投资】拟上市公司原始股认购，额度仅剩20份。回T退订",
        "risk_disclosure.guaranteed_return",
        B,
        "原始股认购",
    ),
    # a trading product sold without a risk warning
    (
        "【鑫汇贵金属】现货黄金开户即送100元，手续费全免。回T退订",
        "risk_disclosure.warning_missing",
        B,
        "现货黄金",
    ),
    # a direct flight with a price is a ticket offer too
    (
        "【翼行旅行】上海直飞大阪899元起，12月出发。回T退订",
        "refund_disclosure.refund_air_ticket",
        B,
        "直飞大阪899元",
    ),
    # --- aesthetic medicine and injectables
    (
        "【丽颜馆】韩式美白精华，7天美白，会员价199元。回T退订",
        "medical_claim.efficacy_guarantee",
        B,
        "7天美白",
    ),
    (
        "【丽颜馆】童颜针一针年轻十岁，本月预约立减800元。回T退订",
        "medical_claim.efficacy_guarantee",
        B,
        "一针年轻十岁",
    ),
    (
        "【丽颜馆】进口瘦脸针现货，包邮到家，在家自己打。回T退订",
        "medical_claim.injectable_sale",
        B,
        "瘦脸针",
    ),
    ("左旋肉碱加减肥针，一月瘦15斤，私聊下单", "medical_claim.efficacy_guarantee", B, "一月瘦15斤"),
    # --- short links of platforms
    (
        "【潮玩小铺】年货节爆款直达 u.jd.com/aB3kQ9 。回T退订",
        "link_policy.shortener",
        W,
        "u.jd.com/aB3kQ9",
    ),
    (
        "【潮玩小铺】领券入口 s.click.taobao.com/Xy7Wq 。回T退订",
        "link_policy.shortener",
        W,
        "s.click.taobao.com/Xy7Wq",
    ),
    # --- classes added after the author-k hold-out was scored
    (
        "【青禾健身】私教课2980元，付款后不予退还。回T退订",
        "refund_disclosure.refund_no_return_clause",
        W,
        "付款后不予退还",
    ),
    (
        "【康泰生物】老年痴呆逆转胶囊，坚持服用三个月。回T退订",
        "medical_claim.efficacy_guarantee",
        B,
        "老年痴呆逆转",
    ),
    (
        "【鑫汇藏品】数字藏品上线即翻5倍，名额有限。回T退订",
        "risk_disclosure.guaranteed_return",
        B,
        "上线即翻5倍",
    ),
    (
        "【舒步】弹力袜治静脉曲张，不开刀也能好。回T退订",
        "medical_claim.treatment_nonmedical",
        B,
        "不开刀",
    ),
]


@pytest.mark.parametrize(("text", "rule", "severity", "matched"), FLAGGED)
def test_round7_claims_are_flagged(text: str, rule: str, severity: Severity, matched: str) -> None:
    v = check_text(text)
    hits = [f for f in v.findings if rule in f.rule_ids]
    assert hits, [(f.rule_ids, f.matched) for f in v.findings]
    assert matched in [text[f.start : f.end] for f in hits], [(f.rule_ids, f.matched) for f in hits]
    f = next(f for f in hits if text[f.start : f.end] == matched)
    assert f.severity is severity
    # a block finding blocks; a warn one holds the message for review at least
    assert v.verdict is Decision.BLOCK if severity is B else v.verdict is not Decision.ALLOW


CLEAN = [
    # text, type, industry, category that must not fire
    (
        "【信使气象】今晨全省最低气温-12℃，请注意防寒保暖。",
        "notification",
        "government",
        "absolute_claim",
    ),
    (
        "【信使商城】全市最近的自提点12月1日起开放，满99元包邮。拒收请回复R",
        "marketing",
        "ecommerce",
        "absolute_claim",
    ),
    (
        "【信使驾校】您的科目二考试安排在12月9日上午，请携带身份证提前到场。",
        "notification",
        "education",
        "absolute_claim",
    ),
    # a hotel that states its cancellation terms, with the opt-out written as 可退订
    (
        "【信使酒店】湖景房358元/晚，入住前1天18:00前可免费取消。回T可退订",
        "marketing",
        "travel",
        "refund_disclosure",
    ),
    (
        "【信使客栈】丽江客栈标间仅需168，入住前1天可免费取消。回T退订",
        "marketing",
        "travel",
        "refund_disclosure",
    ),
    (
        "【信使旅行】广州-昆明机票428元起，特价票退改需收取手续费，以购票页规则为准。回T退订",
        "marketing",
        "air",
        "refund_disclosure",
    ),
    (
        "【信使商城】您的退款129元已原路退回，请注意查收。",
        "notification",
        "ecommerce",
        "refund_disclosure",
    ),
    (
        "【信使银行】您的零钱理财昨日收益1.23元，详情请登录App查看。",
        "notification",
        "finance",
        "risk_disclosure",
    ),
    (
        "【信使银行】您的贷款已逾期3天，逾期罚息0.05%/天，请尽快还款。",
        "notification",
        "finance",
        "risk_disclosure",
    ),
    (
        "【信使反诈中心】“老师带单”“内幕消息”“原始股认购”都是投资诈骗话术，请勿轻信。",
        "notification",
        "government",
        "risk_disclosure",
    ),
    (
        "【信使期货】期货开户手续费优惠，期货有风险，投资需谨慎。回T退订",
        "marketing",
        "finance",
        "risk_disclosure",
    ),
    (
        "【信使美妆】玻尿酸补水面膜会员价59元，12月1日至7日，满99元包邮。拒收请回复R",
        "marketing",
        "cosmetics",
        "medical_claim",
    ),
    (
        "【信使医疗美容医院】您预约的12月6日10:00水光针项目请按时到院，术前请勿化妆。",
        "notification",
        "medical",
        "medical_claim",
    ),
    (
        "据报道，药监部门提醒网上售卖的所谓“免处方瘦脸针”来源不明，切勿购买。",
        "marketing",
        None,
        "medical_claim",
    ),
    (
        "【信使商城】年货节会场已开启，详见 https://m.xinshi-mall.cn/nh 。拒收请回复R",
        "marketing",
        "ecommerce",
        "link_policy",
    ),
    (
        "消费者协会提醒：“付款后概不退款”属于格式条款，消费者可依法维权。",
        "marketing",
        None,
        "refund_disclosure",
    ),
    (
        "【信使公安】“高息理财”“稳赚不赔”都是陷阱，请勿轻信。",
        "notification",
        "government",
        "risk_disclosure",
    ),
    (
        "专家解读：早筛可以提高治愈率，建议40岁以上人群定期检查。",
        "marketing",
        None,
        "medical_claim",
    ),
    ("医生表示，目前糖尿病尚无法根治，需长期控制血糖。", "marketing", None, "medical_claim"),
    (
        "【信使体育】祝贺球队夺冠，冠军纪念围巾12月1日开售，99元。回T退订",
        "marketing",
        "ecommerce",
        "absolute_claim",
    ),
]


@pytest.mark.parametrize(("text", "type", "industry", "what"), CLEAN)
def test_round7_look_alikes_stay_clean(
    text: str, type: str, industry: str | None, what: str
) -> None:
    v = check_text(text, type=type, industry=industry)
    named = [
        (f.rule_ids, f.matched)
        for f in v.findings
        if f.severity is not Severity.INFO
        and (any(rid.split(".")[0] == what for rid in f.rule_ids) or f.category == what)
    ]
    assert named == []
