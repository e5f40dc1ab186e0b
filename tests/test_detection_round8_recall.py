"""Issue #13, round 8 (recall per class on a new author's kinds): fraud, refund_disclosure,
link_policy, and risk_disclosure's precision. Texts are wordings of our own, not corpus texts.

Flagged: the "two cards" trade with look-alike characters, a cancelled flight's refund turned
into a claim by phone, a regulator's name in the signature with a deadline and a threat, a
deposit before a meeting however it is spelled, a win held back for turnover, forex teams and
internal IPO quotas and pension stakes, a boss's relayed transfer; air tickets in pinyin,
English, initials or as a city pair, hotels in English, stored-value cards never refunded;
short links on unlisted services, links and IP addresses with their dots written out; card
instalments priced per period.

Clean: the nearest legitimate notices: a bank's card warning, an airline's automatic refund,
a regulator's anti-fraud notice, a furniture deposit, a bank's turnover notice, a broker's
new-share reminder, a ticket offer with its terms, a brand's own readable link, an instalment
with its annual rate. Another trade's "sure win" is judged by its own rules, not as a finance
promise.
"""

from __future__ import annotations

import pytest

from engine import Decision, Severity
from engine.rule_types.link import Link, short_code
from tests.conftest import check_text, shipped_ruleset

SHIPPED = shipped_ruleset()
N, M = "notification", "marketing"
B, W = Severity.BLOCK, Severity.WARN


FLAGGED = [
    # text, type, rule, the characters the finding points at, its severity
    # --- fraud
    ("高价收咔：收购银行咔、对公账户，一套6000起，电报 @xs0101", M, "fraud.card_trading",
     "收购银行咔", B),
    ("收对公9账户、银行卡四件套，上门结算", M, "fraud.card_trading", "银行卡四件套", B),
    ("【航旅服务】您的HU7781航班因机械故障取消，请速致电一八九二二三三四四五五办理退票理赔。", N,
     "fraud.refund_claim", "航班因机械故障取消，请速致电一八九二二三三四四五五办理退票理赔", B),
    ("【银保监管】您名下的校园贷账户尚未关闭，须在24小时内完成注销，否则将影响征芯。", N,
     "fraud.credit_loan", "校园贷", B),
    ("同城交友，照片真实，先交300元押jin后再见面，绝不放鸽子", M, "fraud.lure_scripts",
     "先交300元押jin后再见面", B),
    ("您在平台的盈利5200元因流水不足暂时无法出款，请联系在线客服", N, "fraud.pay_to_release",
     "流水不足暂时无法出款", B),
    ("原油期货专业团队喊单，跟上就赚，详询飞机@yy8", M, "fraud.investment_tips",
     "原油期货专业团队喊单", B),
    ("【某某证券】内部新股配售名额，限额10名，先到先得", M, "fraud.investment_tips",
     "内部新股配售名额", B),
    ("【康养中心】养老基地认购，年分红12%，国家背书", M, "fraud.investment_tips",
     "养老基地认购", B),
    ("老板让我跟你说一声，中午前把合同款5万打到这个账户", M, "fraud.lure_scripts",
     "老板让我跟你说一声，中午前把合同款5万打到这个账户", B),
    ("下款快，黑2户也行，当天到账", M, "fraud.credit_loan", "黑2户也行", B),
    # --- refund_disclosure
    ("【云游】广州-昆明 jī piào 仅需199元，今晚截止。回T退订", M,
     "refund_disclosure.refund_air_ticket", "jī piào 仅需199", B),
    ("【云游】Air ticket 上海-大阪 only 699元，回T退订", M,
     "refund_disclosure.refund_air_ticket", "Air ticket 上海-大阪 only 699元", B),
    ("【云游】厦门JP 88元，回T退订", M, "refund_disclosure.refund_air_ticket", "JP 88元", B),
    ("【云游】成都-拉萨单程低至460，回T退订", M, "refund_disclosure.refund_air_ticket",
     "成都-拉萨单程低至460", B),
    ("【云游】Resort 三亚湾 only 399元/晚，回T退订", M, "refund_disclosure.refund_travel_hotel",
     "Resort 三亚湾 only 399元", W),
    ("【雅韵美发】会员卡充3000送600，余额不退，回T退订", M,
     "refund_disclosure.refund_no_return_clause", "余额不退", W),
    ("【雅韵美发】会员卡充3000送600，充值后一律不退，回T退订", M,
     "refund_disclosure.refund_no_return_clause", "充值后一律不退", W),
    # --- link_policy
    ("【信使商城】会场入口 https://u.kqbd.cn/Xa3fQ 。拒收请回复R", M, "link_policy.short_code",
     "https://u.kqbd.cn/Xa3fQ", W),
    ("【信使商城】会场入口 d.qz9.cn/k8bzt 。拒收请回复R", M, "link_policy.short_code",
     "d.qz9.cn/k8bzt", W),
    ("【信使商城】会场入口 dwz点cn/Qw3e 。拒收请回复R", M, "link_policy.disguised_link",
     "dwz点cn/Qw3e", B),
    ("【信使商城】会场入口 bit[.]ly/Qw3e 。拒收请回复R", M, "link_policy.disguised_link",
     "bit[.]ly/Qw3e", B),
    ("【信使商城】会场入口 47点98点12点34 。拒收请回复R", M, "link_policy.disguised_link",
     "47点98点12点34", B),
    # --- risk_disclosure: an instalment priced per period
    ("【信使银行信用卡】账单分期每月费率低至0.35%，回复1办理。回T退订", M,
     "risk_disclosure.loan_apr_missing", "每月费率低至0.35%", B),
]  # fmt: skip


@pytest.mark.parametrize(("text", "type", "rule", "matched", "severity"), FLAGGED)
def test_round8_kinds_are_flagged(
    text: str, type: str, rule: str, matched: str, severity: Severity
) -> None:
    v = check_text(text, type)
    hits = [f for f in v.findings if rule in f.rule_ids]
    assert matched in [text[f.start : f.end] for f in hits], [
        (f.rule_ids, text[f.start : f.end]) for f in v.findings
    ]
    f = next(f for f in hits if text[f.start : f.end] == matched)
    assert f.severity is severity
    # a block finding blocks; a warn finding holds the message for review at least
    assert v.verdict is Decision.BLOCK if severity is B else v.verdict is not Decision.ALLOW


CLEAN = [
    # text, type, the category that must not warn or block
    ("【信使银行】您的新银行卡已寄出，请勿出租、出借、出售银行卡和对公账户。", N, "fraud"),
    ("【云途航空】您的MU5521航班因天气原因取消，票款将原路全额退回，无需办理。", N, "fraud"),
    ("【信使金融监管】提醒：凡是要求您今日内注销“校园贷”、否则影响征信的都是诈骗。", N, "fraud"),
    ("【信使家居】定制橱柜先付300元定金后安排上门测量，12月1日至7日。拒收请回复R", M, "fraud"),
    ("【信使银行】您本月账户流水不足5000元，暂不享受转账免费，详见App。", N, "fraud"),
    ("【信使证券】本周有3只新股可申购，中签以交易所摇号为准。股市有风险，投资需谨慎。拒收请回复R", M,
     "fraud"),
    ("【信使科技】领导让我通知大家，周五下午在三楼开年终总结会。", N, "fraud"),
    ("【云途旅行】成都-拉萨单程460元起（12月出发），特价票退改需收取手续费。回T退订", M,
     "refund_disclosure"),
    ("【云途旅行】北京-上海往返高铁票553元起，12月出发，可在开车前办理退票改签。回T退订", M,
     "refund_disclosure"),
    ("【雅韵美发】会员卡充3000送600（12月1日至31日），未消费余额可申请退还。回T退订", M,
     "refund_disclosure"),
    ("【信使商城】年终活动（12月1日至31日）详见 https://m.xinshi-mall.cn/Sale2026 。拒收请回复R", M,
     "link_policy"),
    ("【信使商城】年终活动（12月1日至31日）详见 https://t.xinshi-mall.cn/20261201 。拒收请回复R", M,
     "link_policy"),
    ("【信使商城】营业时间10点至22点，满1,200元减100（12月1日至7日）。拒收请回复R", M,
     "link_policy"),
    ("【信使银行信用卡】账单分期每月费率0.35%，折合年化利率（单利）约7.5%。回T退订", M,
     "risk_disclosure"),
    ("【安行保险】提示：保险产品不承诺“保本保息”，如有人以此推销请拨95500核实。", N,
     "risk_disclosure"),
]  # fmt: skip


@pytest.mark.parametrize(("text", "type", "category"), CLEAN)
def test_round8_look_alikes_stay_clean(text: str, type: str, category: str) -> None:
    v = check_text(text, type)
    named = [
        (f.rule_ids, text[f.start : f.end])
        for f in v.findings
        if f.severity is not Severity.INFO
        and any(rid.split(".")[0] == category for rid in f.rule_ids)
    ]
    assert named == []


OTHER_TRADES = [
    # another trade's "sure win" or "zero risk": its own rule blocks it, risk_disclosure stays out
    ("时时彩计划群，稳赢方案，跟投包赚，加群vx：cp2026", "gambling"),
    ("【丽颜医美】隆鼻零风险，术后无痕，12月预约半价。回T退订", "medical_claim"),
    ("USDT投注，秒存秒取，稳赚不赔，飞机@bc2026", "gambling"),
]


@pytest.mark.parametrize(("text", "category"), OTHER_TRADES)
def test_round8_other_trades_are_not_finance_promises(text: str, category: str) -> None:
    v = check_text(text)
    cats = {rid.split(".")[0] for f in v.findings for rid in f.rule_ids}
    assert "risk_disclosure" not in cats
    assert v.verdict is Decision.BLOCK


@pytest.mark.parametrize(
    ("url", "host", "expected"),
    [
        ("s.xinyh.cn/TGq7c", "s.xinyh.cn", True),  # a short first label, case mixed
        ("s.xinyh.cn/7itbd", "s.xinyh.cn", True),  # letters and digits
        ("http://m6z.cn/bmDYgu", "m6z.cn", True),  # a short host name
        ("s.xinyh.cn/abcde", "s.xinyh.cn", False),  # one case, no digit: a word
        ("t.dangdang.com/02847", "t.dangdang.com", False),  # digits: a page id
        ("m.brand.cn/Act2024", "m.brand.cn", False),  # the mobile site
        # a long host name with a code no one types (linkmed13: fresh authors' shorteners
        # are not all 3-letter hosts); a CamelCase word or a year on it is a page name
        ("xinyh.cn/Ab3dE", "xinyh.cn", True),
        ("xinyh.cn/iPhone15", "xinyh.cn", False),
        ("xinyh.cn/sale2024", "xinyh.cn", False),
        ("s.xinyh.cn/m/Ab3dE", "s.xinyh.cn", False),  # more than one path segment
    ],
)
def test_short_code_shape(url: str, host: str, expected: bool) -> None:
    assert short_code(Link(0, len(url), host, url.lower()), url) is expected
