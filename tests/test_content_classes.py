"""Content classes of issue #13 (round 4): what a user sees for each new class of banned content.

One table of spam a copywriter might write (or disguise), with the verdict, the rule, its
severity, the characters it points at and the evasion it names; one table of everyday notices
and news that must stay clean of the named rule (anti-fraud reminders that quote a script, a
regulator's notice quoting banned words, a fund statistic, a sports win rate).
"""

from __future__ import annotations

import pytest

from engine import Decision, Severity, check, make_message
from engine.verdict import Verdict
from tests.conftest import shipped_ruleset

SHIPPED = shipped_ruleset()
SEND_AT = "2026-12-02T10:00:00+08:00"  # a weekday morning: inside every send window


def _check(text: str, type: str = "marketing", industry: str | None = None) -> Verdict:
    msg = make_message(text, type=type, industry=industry, send_at=SEND_AT)
    return check(msg, SHIPPED)


FLAGGED = [
    # text, rule, severity, matched text, evasion (None: written plainly)
    # prohibited goods: cheating devices, jammers, wildlife, fake plates, drugs in English
    (
        "【牌友汇】扑克分析仪、透视眼镜，现货当天发。回T退订",
        "prohibited_goods.prohibited_goods_terms",
        Severity.BLOCK,
        "扑克分析仪",
        None,
    ),
    (
        "【安防城】信号屏bi器、伪基站设备，量大从优。回T退订",
        "prohibited_goods.prohibited_goods_terms",
        Severity.BLOCK,
        "信号屏bi器",
        "pinyin",
    ),
    (
        "【藏品阁】象牙制品、犀牛角收藏级，私聊。回T退订",
        "prohibited_goods.prohibited_goods_terms",
        Severity.BLOCK,
        "象牙制品",
        None,
    ),
    (
        "【车友】JiaChePai定制，三天取。回T退订",
        "prohibited_goods.prohibited_goods_terms",
        Severity.BLOCK,
        "JiaChePai",
        "pinyin",
    ),
    (
        "【Club】Top weed & coke delivery，discreet。回T退订",
        "prohibited_goods.prohibited_goods_terms",
        Severity.BLOCK,
        "weed & coke",
        None,
    ),
    # gambling: sure-win tips, casino spam in English, a lottery tip under a draw result
    (
        "赛马必中内幕，跟注20倍，QQ：453939",
        "gambling.gambling_terms",
        Severity.BLOCK,
        "必中内幕",
        None,
    ),
    (
        "Online casino bet now，first deposit bonus 100%，飞机：@okzv",
        "gambling.gambling_terms",
        Severity.BLOCK,
        "Online casino",
        None,
    ),
    (
        "香港六合采彡第756期开奖结果已出，特码11，下期一码中特请回复1",
        "gambling.gambling_terms",
        Severity.BLOCK,
        "六合采彡",
        "split_radical",
    ),
    (
        "幸运大转盘，一元夺宝，每天开奖180次，dwz.cn/t9pxgG",
        "gambling.gambling_terms",
        Severity.BLOCK,
        "一元夺宝",
        None,
    ),
    # pornography
    (
        "同城交友，见面需先付88元定金，妹子26岁，加微信xiaoyu_882",
        "pornography.porn_terms",
        Severity.BLOCK,
        "妹子26岁",
        None,
    ),
    (
        "娱乐城送彩金，美女荷官姓感发牌，蝙蝠 boss8spg5x7e",
        "pornography.porn_terms",
        Severity.BLOCK,
        "姓感发牌",
        "homophone",
    ),
    (
        "黄色漫画无删减，18禁，t.cn/w3suEH",
        "pornography.porn_terms",
        Severity.BLOCK,
        "黄色漫画",
        None,
    ),
    (
        "情趣yong品、充气娃娃隐私发货，企鹅号5718600",
        "pornography.porn_terms",
        Severity.BLOCK,
        "情趣yong品",
        "pinyin",
    ),
    (
        "Hot girls nearby，hookup tonight，no strings",
        "pornography.porn_terms",
        Severity.BLOCK,
        "hookup tonight",
        None,
    ),
    # medical claims
    (
        "【附属医院】无痛人流，当天出院，不伤子宫。回T退订",
        "medical_claim.efficacy_guarantee",
        Severity.BLOCK,
        "无痛人流",
        None,
    ),
    (
        "【宏图】生发神液，7天长出新发，根制脱发。回T退订",
        "medical_claim.efficacy_guarantee",
        Severity.BLOCK,
        "根制",
        "homophone",
    ),
    (
        "【御品堂】灵芝孢子粉kangai，防癌首选。回T退订",
        "medical_claim.treatment_nonmedical",
        Severity.BLOCK,
        "kangai",
        "pinyin",
    ),
    (
        "【佳美】一个月瘦16斤，BuJieShi，不反弹。回T退订",
        "medical_claim.efficacy_guarantee",
        Severity.BLOCK,
        "BuJieShi",
        "pinyin",
    ),
    # risk disclosure: property yields, stock tips, deposit-and-earn, English promises
    (
        "【鑫汇通投顾】精选牛股，胜率90%，会员月费1299元。回T退订",
        "risk_disclosure.guaranteed_return",
        Severity.BLOCK,
        "牛股，胜率90%",
        None,
    ),
    (
        "【幸福里】北京核心地段，升值潜力巨大，买到就是转到，首付3万起。回T退订",
        "risk_disclosure.guaranteed_return",
        Severity.BLOCK,
        "买到就是转到",
        "homophone",
    ),
    (
        "【鼎盛财富】存50万日赚200元，本今无忧，T+0随时提现。回T退订",
        "risk_disclosure.guaranteed_return",
        Severity.BLOCK,
        "存50万日赚",
        None,
    ),
    (
        "【Capital】BTC strategy guaranteed return 3%/月。回T退订",
        "risk_disclosure.guaranteed_return",
        Severity.BLOCK,
        "guaranteed return",
        None,
    ),
    (
        "【滨江一号】地铁口现房，升值空间巨大，首付50万起。回T退订",
        "industry_claim.realestate_promise",
        Severity.BLOCK,
        "升值空间",
        None,
    ),
    # fraud scripts
    (
        "同城交友，见面需先付39元定金，妹子27岁",
        "fraud.lure_scripts",
        Severity.BLOCK,
        "见面需先付39元定金",
        None,
    ),
    (
        "【唯品会】您的店铺保证金异常，需补缴49元，否则封店，详询4001234567。",
        "fraud.lure_scripts",
        Severity.BLOCK,
        "保证金异常，需补缴",
        None,
    ),
    (
        "【王者荣耀】免费ling取限定皮肤，扫码登录即送，url.cn/1b9gs3",
        "fraud.lure_scripts",
        Severity.BLOCK,
        "免费ling取限定皮肤",
        "pinyin",
    ),
    (
        "【建设银行风控】您的账户存在异常，请将余额转入an全账户。",
        "fraud.authority_safe_account",
        Severity.BLOCK,
        "an全账户",
        "pinyin",
    ),
    (
        "【得物客服】您开通的佰万保障服务即将自动扣费169元/月，如需关闭请联系客服。",
        "fraud.refund_claim",
        Severity.BLOCK,
        "佰万保障",
        "homophone",
    ),
    (
        "【吉祥航空】您的航班因机械故障已取消，请致电☎(188)7588-5767办理，可获延误补偿300元。",
        "fraud.refund_claim",
        Severity.BLOCK,
        "延误补偿",
        None,
    ),
    # refund disclosure: no-cancel rooms, no-return sales, tickets priced in ¥
    (
        "【丽枫酒店】广州店特惠房159元/晚，预订后不可取消。回T退订",
        "refund_disclosure.refund_no_return_clause",
        Severity.WARN,
        "预订后不可取消",
        None,
    ),
    (
        "【携程旅行】羊毛衫年终清仓，售出概不K退货，最后17小时。回T退订",
        "refund_disclosure.refund_no_return_clause",
        Severity.BLOCK,  # merged into the format.obfuscation finding on the same characters
        "概不K退货",
        "insertion",
    ),
    (
        "【御品堂】清仓洗衣液6折起，特价商品概不腿换，先到先得。回T退订",
        "refund_disclosure.refund_no_return_clause",
        Severity.BLOCK,  # merged into the format.obfuscation finding on the same characters
        "概不腿换",
        "homophone",
    ),
    (
        "【同程旅行】Flash deal 太原→沈阳 only ¥49，特价票今晚截止，快抢！回TD退订",
        "refund_disclosure.refund_air_ticket",
        Severity.BLOCK,
        "¥49，特价票",
        None,
    ),
]


@pytest.mark.parametrize(("text", "rule", "severity", "matched", "evasion"), FLAGGED)
def test_new_content_classes_are_flagged(
    text: str, rule: str, severity: Severity, matched: str, evasion: str | None
) -> None:
    v = _check(text)
    hits = [f for f in v.findings if rule in f.rule_ids]
    assert hits, [(f.rule_id, f.matched) for f in v.findings]
    f = next((f for f in hits if f.matched == matched), hits[0])
    assert (f.matched, f.evasion) == (matched, evasion)
    assert text[f.start : f.end] == matched  # the span points at the original characters
    assert f.severity is severity
    expected = Decision.BLOCK if severity is Severity.BLOCK else Decision.REVIEW
    # a block finding blocks; a warn one sends a signed, opted-out message to review at least
    assert v.verdict is expected or v.verdict is Decision.BLOCK


def test_a_warn_finding_alone_sends_the_message_to_review() -> None:
    v = _check("【丽枫酒店】广州店特惠房159元/晚，预订后不可取消。回T退订", industry="hotel")
    assert v.verdict is Decision.REVIEW
    assert {f.rule_id for f in v.findings} == {"refund_disclosure.refund_no_return_clause"}


CLEAN = [
    # text, type, industry, rule (or category) that must not fire
    (
        "【青岛医保局】医保卡不会因“异常”被停用，凡短信称“医保卡已停用，请点击链接补录信息”的均为"
        "诈骗，请勿点击。",
        "notification",
        "government",
        "fraud",
    ),
    (
        "【贵阳区人民医院】本院从未委托任何机构宣传“包治百病”“根治”类疗效，谨防虚假医疗广告，"
        "就诊请认准官方挂号渠道。",
        "notification",
        "medical",
        "medical_claim",
    ),
    (
        "【申通快递】提醒：近期有人冒充快递客服称“快递丢失理赔”“双倍赔偿”，要求加微信、共享屏幕，"
        "均为诈骗。理赔请只通过官方App办理。",
        "notification",
        "logistics",
        "fraud",
    ),
    (
        "【乌鲁木齐人民检察院】检察机关从不通过电话、微信办案，也不会发送“通缉令”“逮捕令”图片，"
        "谨防冒充公检法诈骗。",
        "notification",
        "government",
        "fraud",
    ),
    (
        "【太原市场监管】提示：商家宣传“国家级”“最高级”“全网最低价”属违法用语，如遇此类宣传可"
        "拨打12315举报。",
        "notification",
        "government",
        "absolute_claim",
    ),
    (
        "【猿辅导】篮球课程招生，最低入学年龄5岁，试听课免费，详询0104-20450059。回T退订",
        "marketing",
        "education",
        "absolute_claim",
    ),
    (
        "基金业协会数据显示，截至11月末公募基金管理规模达18万亿元。",
        "marketing",
        None,
        "risk_disclosure",
    ),
    ("本赛季该队主场胜率达到75%，球迷期待周末的比赛。", "marketing", None, "risk_disclosure"),
    (
        "财政部等部门联合发文，严厉打击私彩、网络赌博等违法犯罪活动，规范彩票市场秩序。",
        "marketing",
        None,
        "gambling",
    ),
    (
        "海关查获象牙制品20余件，提醒旅客不要购买携带野生动物制品。",
        "marketing",
        None,
        "prohibited_goods",
    ),
    (
        "银川无线电管理部门联合警方查获一台“伪基站”设备，嫌疑人驾车群发诈骗短信。",
        "marketing",
        None,
        "prohibited_goods",
    ),
    (
        "南宁一名市民接到自称“公安局”的电话，称其涉嫌洗钱需转账到“安全账户”，银行柜员及时识破并报警。",
        "marketing",
        None,
        "fraud",
    ),
    (
        "住建部门查处一批违法房地产广告，其中有楼盘宣称“升值潜力巨大”“投资回报率240%”。",
        "marketing",
        None,
        "industry_claim",
    ),
    (
        "【85度C】生日蛋糕提前一天预订享8.5折，下单后24小时内可免费取消。拒收请回复R",
        "marketing",
        "food",
        "price_disclosure",
    ),
    (
        "【泊寓】太原长租公寓首月房租9.5折，签约满12个月有效，押一付三，详情见门店。回T退订",
        "marketing",
        "real_estate",
        "price_disclosure",
    ),
    # a word-level sound-alike only: 跑腿订单 is not 退订 written as 腿订
    (
        "【顺丰同城】您的跑腿订单已完成，骑士万先生已将物品送达，如有问题请联系15829040914。",
        "notification",
        "logistics",
        "format",
    ),
    (
        "【信使游学】尊敬的家长，海外游学营12月开营，费用及行程详见官网。拒收请回复R",
        "marketing",
        "education",
        "fraud",
    ),
]


@pytest.mark.parametrize(("text", "type", "industry", "what"), CLEAN)
def test_notices_and_news_stay_clean(text: str, type: str, industry: str | None, what: str) -> None:
    v = _check(text, type=type, industry=industry)
    named = [
        rid
        for f in v.findings
        for rid in f.rule_ids
        if rid.split(".")[0] == what or f.category == what
    ]
    assert named == [], [(f.rule_id, f.matched) for f in v.findings]


def test_a_warning_that_also_gives_an_account_is_still_flagged() -> None:
    # the reporting excuse does not cover a "warning" that hands out a private account
    v = _check("警方提醒：防范诈骗。兼职刷单日赚300元，详询微信号abc12345")
    assert "fraud.task_rebate" in {rid for f in v.findings for rid in f.rule_ids}
    assert v.verdict is Decision.BLOCK
