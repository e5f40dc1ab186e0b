"""Issue #13, round 7 (fraud, gambling, prohibited goods, pornography): classes the earlier
rounds' lists did not name, each written here in wordings of our own (not corpus texts).

Flagged: fee-first scams (a "verification deposit" before the loan, a fee behind a throw-away
link), impersonation of a court, the police or a customer service with a private number,
investment "teachers" and crypto arbitrage, the landlord's new card, a parent's "friend", jobs
in the fraud-compound countries, a free gift for the postage; cash card games, lottery plans,
in-play betting and red-packet mines; knives, wildlife, drugs by street name, caller-ID
spoofing, health certificates without the examination; escort and swinger wording, the 18+ sign.

Clean: the legitimate look-alikes each of those could hit: a bank's real fee notice, a state
lottery draw and a lottery win, a court's enforcement and fee notice, a courier refusing
contraband, paid-postage samples, auto-renewal managed in the App, lawful labour dispatch
abroad, a fund's past return with its risk line, game ranks and second-hand mahjong tables,
free-range chicken, farm knives, medical reports and certificates, clothes "任你选".
"""

from __future__ import annotations

import pytest

from engine import Decision, Severity
from tests.conftest import check_text, shipped_ruleset

SHIPPED = shipped_ruleset()
MINE = ("fraud", "gambling", "prohibited_goods", "pornography")


N, M = "notification", "marketing"

FLAGGED = [
    # text, type, rule, the characters the finding points at
    # --- fee first: a deposit "to verify" before the loan, a fee or a card behind a cheap domain
    (
        "您申请的8万元贷款已批，需先转入验证金3000元，核实后连本带款一起到账",
        N,
        "fraud.pay_to_release",
        "需先转入验证金",
    ),
    (
        "【人事考试中心】证书可提前领取，需缴纳加急费99元，请点击 zs-bl.top 办理",
        N,
        "fraud.fee_link",
        "缴纳加急费99元，请点击 zs-bl.top",
    ),
    (
        "【交管】您有一笔违章罚款未缴，请登录 jt-fk.xyz 填写银行卡号缴纳",
        N,
        "fraud.fee_link",
        "jt-fk.xyz 填写银行卡",
    ),
    (
        "【社保中心】您的育儿补贴已发放，请点击 yr-bt.live 登记",
        N,
        "fraud.fee_link",
        "yr-bt.live",
    ),
    # --- impersonation: police task force, a court deadline on a mobile, customer service
    (
        "您的包裹涉嫌夹带毒品，请立即联系专案组王警官",
        N,
        "fraud.sanction_with_fixer",
        "毒品，请立即联系专案组王警官",
    ),
    (
        "【信使法院】请于今日17点前致电书记员13912345678，否则将依法强制执行",
        N,
        "fraud.sanction_with_fixer",
        "17点前致电书记员13912345678，否则将依法强制执行",
    ),
    (
        "您的白条利率不符合规定，请尽快关闭，否则影响个人征信",
        N,
        "fraud.credit_loan",
        "白条利率不符合规定，请尽快关闭",
    ),
    (
        "您好，您的会员下月起每月自动扣费688元，取消请致电17788889999",
        N,
        "fraud.lure_scripts",
        "自动扣费688元，取消请致电17788889999",
    ),
    # --- investment "teachers", crypto arbitrage
    ("老师推荐：下周三只潜力股，进群免费领", M, "fraud.investment_tips", "推荐：下周三只潜力股"),
    ("币圈老师带你做单，USDT搬砖，一天一结", M, "fraud.investment_tips", "币圈老师带你做单"),
    # --- acquaintances, jobs abroad, a gift for the postage
    ("我是小王房东，换了张新卡，这个月房租打到新卡上", N, "fraud.lure_scripts", "房租打到新卡"),
    (
        "您妈让我跟你说，先转2000到这个账户，她在开会",
        N,
        "fraud.lure_scripts",
        "您妈让我跟你说，先转2000到这个账户",
    ),
    ("菲律宾客服岗，月薪2万5，包机票", M, "fraud.lure_scripts", "菲律宾客服岗，月薪2"),
    (
        "恭喜获得价值3688元的扫地机器人，只需支付68元邮费即可领取",
        M,
        "fraud.lure_scripts",
        "价值3688元的扫地机器人，只需支付68元邮费",
    ),
    # --- gambling without the word 赌
    (
        "推筒子、炸金花线上现金局，微信拉群",
        M,
        "gambling.gambling_terms",
        "推筒子、炸金花线上现金局",
    ),
    ("幸运飞艇计划，准确率98%，跟投就回本", M, "gambling.gambling_terms", "幸运飞艇计划，准确率"),
    ("线上斗地主，输赢微信结算，随叫随到", M, "gambling.gambling_terms", "输赢微信结算"),
    ("某平台出款无上限，大额无忧", M, "gambling.gambling_terms", "出款无上限"),
    ("红包群抢包，中雷赔1.8倍", M, "gambling.gambling_terms", "中雷赔"),
    ("英超开盘，水位高，速来", M, "gambling.gambling_terms", "英超开盘"),
    # --- prohibited goods and services
    (
        "出售三棱刀、弹簧刀，快递直发",
        M,
        "prohibited_goods.prohibited_goods_terms",
        "出售三棱刀、弹簧刀",
    ),
    ("收售象牙手镯，保真", M, "prohibited_goods.prohibited_goods_terms", "收售象牙"),
    ("健康证代办，不用体检，两天拿证", M, "prohibited_goods.prohibited_goods_terms", "健康证代办"),
    ("出冰，量大从优", M, "prohibited_goods.prohibited_goods_terms", "出冰"),
    ("改号软件，显示任意号码", M, "prohibited_goods.prohibited_goods_terms", "改号软件"),
    ("依托咪酯烟弹到货，私聊", M, "prohibited_goods.prohibited_goods_terms", "依托咪酯"),
    # --- pornography: escort and swinger wording, a choice of women, the 18+ sign
    ("夜总会陪酒公主，价格私聊", M, "pornography.porn_terms", "陪酒公主"),
    ("换妻群招新，真实夫妻优先", M, "pornography.porn_terms", "换妻"),
    ("🔞 Hot girls tonight，私聊", M, "pornography.porn_terms", "🔞"),
    ("少妇、熟女、嫩模任你选，酒店上门", M, "pornography.porn_terms", "少妇、熟女、嫩模任你选"),
]


@pytest.mark.parametrize(("text", "type", "rule", "matched"), FLAGGED)
def test_round7_classes_are_blocked(text: str, type: str, rule: str, matched: str) -> None:
    v = check_text(text, type)
    hits = [f for f in v.findings if rule in f.rule_ids]
    assert matched in [text[f.start : f.end] for f in hits], [
        (f.rule_ids, f.matched) for f in v.findings
    ]
    f = next(f for f in hits if text[f.start : f.end] == matched)
    assert f.severity is Severity.BLOCK
    assert v.verdict is Decision.BLOCK


CLEAN = [
    # text, type: none of fraud, gambling, prohibited_goods, pornography may warn or block
    # --- a bank's real fees, the state lottery
    ("【信使银行】您尾号1234的信用卡年费200元将于12月10日扣收，如需减免请致电95588。", N),
    ("【信使银行】您尾号1234账户跨行转账手续费2.00元已扣收，余额5230.11元。", N),
    ("本期双色球开出一等奖8注，单注奖金580万元，奖池余额21亿元。", M),
    ("【信使福彩】您购买的双色球第2026140期已中奖，奖金200元，请到任一投注站兑奖。", N),
    # --- courts, couriers, renewals, jobs abroad, funds, credit records
    ("【信使法院】(2026)京0105执123号案件，请于本月20日前履行义务，逾期将依法强制执行。", N),
    ("【信使法院】您涉及的民初123号案件已立案，请于7日内通过诉讼服务平台缴纳诉讼费。", N),
    ("【信使速运】您寄递的物品含有违禁品，无法收寄，如有疑问请致电95338。", N),
    ("【信使商城】新客免费领取试用装，仅需支付运费9.9元，12月31日前。拒收请回复R", M),
    ("【信使视频】您的会员将于12月10日自动续费25元，如需取消可在App-设置中关闭。", N),
    ("【信使劳务】新加坡建筑工劳务派遣，月薪8000元，正规工作签证，详见官网。", N),
    (
        "【信使基金】本基金近一年收益率达128%，过往业绩不代表未来表现，投资有风险。拒收请回复R",
        M,
    ),
    ("【信使期货】黄金投资讲座，分析师带您解读行情，12月6日14:00。投资有风险。拒收请回复R", M),
    ("【信使征信】不良信用记录自结清之日起保留5年，到期自动删除。", N),
    ("【信使证券】新股中签提醒：您中签500股，请于今日16:00前确保账户资金充足。", N),
    ("【信使反诈中心】凡是要求转入验证金、还款能力证明金才能放款的，都是诈骗。", N),
    ("【信使交警】凡是短信要求点击 jj-fk.top 填写银行卡号缴纳罚款的都是诈骗。", N),
    # --- games, second-hand tables, food, tools, property
    ("【信使手游】欢乐麻将冲段赛开启，连胜上分赢头像框。拒收请回复R", M),
    ("【信使二手】麻将机高价回收，上门评估。拒收请回复R", M),
    ("【信使农庄】走地鸡拼盘限时特惠68元。拒收请回复R", M),
    ("【信使五金】批发砍刀、镰刀、锄头等农具，量大从优。拒收请回复R", M),
    ("【信使楼盘】城东新盘今日开盘，首付20万起。拒收请回复R", M),
    ("【信使游戏】新版本上线，蝴蝶刀皮肤限时折扣。拒收请回复R", M),
    # --- medical papers, police, wildlife and history in the news
    ("【信使医院】您的体检报告已出，可查看电子版。", N),
    ("【信使疾控】健康证体检当天出证，请携身份证办理。", N),
    ("记者获悉，民警出示警官证后依法进行了询问。", M),
    ("虎骨入药自1993年起被全面禁止，专家提醒勿购买来历不明的药酒。", M),
    ("鸦片战争博物馆推出冬季研学课程。", M),
    # --- "任你选" and night-life words in ordinary use
    ("【信使女装】秋冬新款多色任你选，满299减50。拒收请回复R", M),
    ("【信使教育】学生可任选两门选修课，报名截至12月15日。", N),
    ("【信使酒店】本酒店客房已完成防偷拍检测，请放心入住。", N),
    ("【信使KTV】包厢预订享8折，公主服务专业热情。拒收请回复R", M),
]


@pytest.mark.parametrize(("text", "type"), CLEAN)
def test_round7_look_alikes_stay_clean(text: str, type: str) -> None:
    v = check_text(text, type)
    named = [
        (f.rule_ids, f.matched)
        for f in v.findings
        if f.severity is not Severity.INFO
        and (f.category in MINE or any(rid.split(".")[0] in MINE for rid in f.rule_ids))
    ]
    assert named == []
