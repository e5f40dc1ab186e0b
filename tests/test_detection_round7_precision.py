"""Issue #13, round 7 (precision): the classes behind false alarms on clean notices and news.

Every text below was written for this file (none is a corpus text). Clean notices from
couriers, banks, hospitals, government, e-commerce and airlines must pass; news sentences that
report a scam, a crackdown or a court case must get no content finding of severity warn or
block (news is checked as unsigned marketing, so its verdict is block for the signature); and
spam written the same way must still be caught.

The classes:
- a two-character sound-alike generated from a deny word is a piece of an everyday word
  (跟治 in 跟治疗师 for 根治, 头住 in 里头住户 for 投注, 日转 in 次日转账 for 日赚);
- a report narrates a case (据悉, 团伙, 为幌子, 骗取被害人, 法院认为, 责令停业整顿);
- an after-sales notice says money was paid back and gives the customer line for questions;
- a presale deposit, or a deposit whose terms are stated elsewhere;
- a matcher's ``found`` (``when``/``unless``) ignored the global allow-list that ``spans`` applies.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import Decision, Severity, check, make_message
from engine.ruleset import load_ruleset
from engine.verdict import Verdict
from tests.conftest import SEND_AT, check_text, shipped_ruleset

SHIPPED = shipped_ruleset()
NOT_CONTENT = {"signature", "unsubscribe", "length", "format", "send_window", "template_type"}


def _content_alarms(v: Verdict) -> list[tuple[tuple[str, ...], str]]:
    """Content findings of severity warn or block: what the detection bench calls a false alarm."""
    return [
        (f.rule_ids, f.matched)
        for f in v.findings
        if f.severity is not Severity.INFO
        and any(rid.split(".")[0] not in NOT_CONTENT for rid in f.rule_ids)
    ]


CLEAN = [
    # text, type, industry
    # --- homophone keys inside everyday words
    (
        "【康复医院】请跟治疗师预约下周的复诊时间，如需改期请提前一天告知。",
        "notification",
        "medical",
    ),
    ("【信使中学】本周六所有校区照常上课，请家长按时接送。", "notification", "education"),
    (
        "【信使银行】您尾号1234的账户次日转账额度已恢复，如非本人操作请致电95588。",
        "notification",
        "finance",
    ),
    ("【信使物业】小区里头住户请注意，本周三停水一天。", "notification", "other"),
    # --- after-sales notices: money paid back, the customer line for questions
    (
        "【京东】您的订单因商品质量问题退款199元已原路退回，如有疑问请联系京东客服。",
        "notification",
        "ecommerce",
    ),
    (
        "【顺丰速运】您的快件SF1402938475在运输中破损，已按保价规则赔付200元至原支付账户，如有疑问请联系顺丰客服95338。",
        "notification",
        "logistics",
    ),
    (
        "【中通快递】很抱歉，您的包裹丢失，我们已按规定赔偿，赔偿款已打入您的支付宝，如有疑问请拨打客服热线95311。",
        "notification",
        "logistics",
    ),
    (
        "【东方航空】您的MU5101航班取消，可在东航App免费改签或全额退款，如有疑问请致电客服热线95530。",
        "notification",
        "travel",
    ),
    (
        "【携程】您预订的酒店因房型满房被取消，房费已全额退款，并补偿50元优惠券至您的账户。",
        "notification",
        "travel",
    ),
    # --- deposits: a presale's balance, terms stated in the contract
    (
        "【宜家家居】您的定制衣柜订单已确认，定金500元已支付，安装前可取消，定金不退规则详见合同。",
        "notification",
        "retail",
    ),
    (
        "【京东】您预订的商品尾款已可支付，请在12月10日前支付尾款，逾期定金不退。",
        "notification",
        "ecommerce",
    ),
    # --- everyday notices with a courier's mobile, a hotline, anti-fraud wording
    (
        "【顺丰速运】您的快件SF1402938475已由快递员王师傅（13812345678）派送，如有疑问请联系快递员。",
        "notification",
        "logistics",
    ),
    (
        "【美团】您的外卖订单已由骑手张师傅（17712345678）配送，预计12:30送达。",
        "notification",
        "ecommerce",
    ),
    (
        "【工商银行】温馨提示：银行工作人员不会要求您将资金转入“安全账户”，凡要求转账到安全账户的均为诈骗，请拨打95588核实。",
        "notification",
        "finance",
    ),
    (
        "【建设银行】您的贷款已于12月5日放款50000元至尾号8888账户，年化利率3.65%，请按期还款。",
        "notification",
        "finance",
    ),
    (
        "【市妇幼保健院】您的乳腺癌筛查报告已出，请登录医院公众号查看或到门诊自助机打印。",
        "notification",
        "medical",
    ),
    (
        "【市公安局】提醒：公检法机关不会通过电话办案，不会要求转账，“涉嫌洗钱需缴纳保证金”都是诈骗。",
        "notification",
        "government",
    ),
    (
        "【唯品会】温馨提示：客服不会以订单异常、退款理赔为由要求您添加微信或共享屏幕，谨防诈骗。",
        "notification",
        "ecommerce",
    ),
    (
        "【市招生考试院】2026年高考本科批最低投档分数线已公布，请考生登录官网查询。",
        "notification",
        "education",
    ),
    ("【物业服务中心】12月8日小区大礼堂举办业主大会，欢迎各位业主参加。", "notification", "other"),
    # --- a lawful product that shares a word with a cheating device (麻将机控制器)
    (
        "【宜家】全自动麻将机新品到店，会员价3999元，12月31日前下单包安装。回T退订",
        "marketing",
        "retail",
    ),
    # --- short words that jieba reads as part of a longer word ([boundary]), weather facts
    (
        "【信使家电】桑拿天来了，空调以旧换新会员价2999元，12月31日前有效。回T退订",
        "marketing",
        "retail",
    ),
    (
        "【信使超市】入冬以来最强寒潮将至，羽绒服会员价299元，12月10日前有效。回T退订",
        "marketing",
        "retail",
    ),
    # --- a bank's congratulation on points (恭喜您获得 alone is no prize scam)
    (
        "【信使银行】恭喜您获得信用卡年度消费达标礼，积分5000分已发放，可在App积分商城兑换。",
        "notification",
        "finance",
    ),
    # --- a promotion that carries the warning or the terms the content model asks for
    (
        "【信使银行】大额存单3年期利率2.15%，20万元起存，存款受存款保险保护，12月31日前有效。拒收请回复R",
        "marketing",
        "finance",
    ),
    (
        "【信使航空】广州-北京经济舱680元起，1月出行，退改按票面规则收取手续费。回T退订",
        "marketing",
        "air",
    ),
    # --- an institution's warning names the scheme it forbids; a drug-education display
    (
        "【信使银行】提示：出租、出借、出售银行卡涉嫌违法，请勿参与“跑分”“刷流水”等活动。",
        "notification",
        "finance",
    ),
    (
        "【信使大学】提醒同学们：“代写论文”“考试包过”“替考”均属违规行为，学校将严肃处理。",
        "notification",
        "education",
    ),
    (
        "【市禁毒办】6·26禁毒日主题展览在市图书馆举办，展出大麻、冰毒等毒品仿真样品，欢迎市民参观。",
        "notification",
        "government",
    ),
    # --- the clinician assigned to the reader gives a mobile
    (
        "【信使医院】您的家庭医生张医生联系电话15912341234，签约服务有效期一年。",
        "notification",
        "medical",
    ),
    # --- a threshold, and a regulator's finding that quotes the claim
    (
        "【信使大学】本学期期末考试安排已发布，最低及格分数为60分，请登录教务系统查看。",
        "notification",
        "education",
    ),
    (
        "【市监局】您举报的虚假广告线索已受理，经查该商家宣称“全网最低价”属实，已立案查处。",
        "notification",
        "government",
    ),
]


@pytest.mark.parametrize(("text", "type", "industry"), CLEAN)
def test_round7_clean_notices_pass(text: str, type: str, industry: str) -> None:
    v = check_text(text, type=type, industry=industry)
    assert v.verdict is Decision.ALLOW, [(f.rule_ids, f.matched) for f in v.findings]


NEWS = [
    "据报道，部分机票代理商以“特价机票不退不改”为由拒绝退款，消费者投诉增多。",
    "该团伙以“包治百病”为幌子销售假药，涉案金额达300万元，目前已被警方刑事拘留。",
    "据了解，该平台以“保本保息、年化收益20%”为诱饵，非法吸收公众存款。",
    "法院认为，商家“定金不退”的格式条款侵害消费者权益，判决退还定金。",
    "警方提醒，骗子冒充电商客服称商品质量问题可办理退款，要求受害人提供验证码。",
    "警方介绍，该团伙在境外开设网络赌场，通过“菠菜”推广群招揽赌客。",
    "多名投资者反映，该平台承诺“年化收益15%，保本保息”，如今已无法提现。",
    "受访商家表示，今年双十一预售定金不退的规则引发不少争议。",
    "民警在检查中发现，该按摩店提供异性按摩服务，已依法责令停业整顿。",
    "警方在出租屋内查获假毕业证200余本，涉案人员已被控制。",
    "法院审理查明，被告人在微信群内发布“兼职刷单，日赚300元”的信息，骗取多名被害人钱款。",
    "民警提醒广大市民，接到自称“公检法”要求转入安全账户的电话，一律是诈骗。",
    "香港赛马会表示，本季度赛马投注额较去年同期下降3%。",
    "业内人士指出，部分网贷平台以“低息秒批”吸引年轻人，实际年化利率远超法定上限。",
    "该药物在三期临床试验中显示，患者有效率达到78%，目前正在申请上市。",
    "一男子网购“根治糖尿病”特效药，花费3万元后病情加重。",
    "#上海# 一女子在直播间购买“祖传秘方”，服用后出现肝损伤。",
    "网上代购处方药的现象屡禁不止，专家呼吁加强监管。",
    "从业者透露，“代开发票”的灰色产业链正在向线上转移。",
    "一些旅行社打出“零团费”旗号，到了目的地却强制购物。",
    "“特价机票不退不改”合理吗？民航局：不能简单规定不得退改。",
    "酒店“预订后不可取消”条款引发消费者不满，平台回应将优化规则。",
    "境外网站出售“听话水”“迷情药”，一男子购买后被警方查获，已被刑事拘留。",
    "网红“减肥茶”被查出含违禁成分，已有多人服用后住院。",
    "该博彩公司在澳门经营多家赌场，去年营收下降15%。",
    "市民王女士收到“ETC认证失效”短信，点击链接后银行卡被盗刷。",
    "“交了定金不退”是否合法？法官详解定金与订金的区别。",
    "机票价格持续走低，经济舱最低3折，业内预计春节前将回升。",
]


@pytest.mark.parametrize("text", NEWS)
def test_round7_news_reports_get_no_content_alarm(text: str) -> None:
    assert _content_alarms(check_text(text)) == []


SPAM = [
    # text, rule that must fire
    ("网上堵博平台，注册就送88，稳赢不亏", "gambling.gambling_terms"),
    ("鼻炎特效药，三天跟治不复发，加V：abc123", "medical_claim.efficacy_guarantee"),
    (
        "【X快递】您的包裹丢失，可获3倍理赔，已为您登记，请点击 http://kd-lp.cc/a 领取。",
        "fraud.refund_claim",
    ),
    ("【航空服务】您的航班已取消，可获300元延误补偿，请致电4008123456办理。", "fraud.refund_claim"),
    (
        "【信使商城】您的订单质量问题退款已受理，如有疑问请添加理赔专员微信abc12345。",
        "fraud.refund_claim",
    ),
    (
        "警方提醒：近期诈骗高发。为完成退款，请将收到的验证码发给客服微信：kf8899a",
        "fraud.credential_request",
    ),
    (
        "【信使旅行】据报道今年机票大涨，现特价机票399元起，抢购请加微信：trip8899",
        "refund_disclosure.refund_air_ticket",
    ),
    (
        "【信使家居】交99元定金抵1999元，定金不退。拒收请回复R",
        "refund_disclosure.deposit_no_refund",
    ),
    ("据报道，本店羽绒服全网最低价，加微信下单", "absolute_claim.superlative"),
    ("在线投注，注册送88元，稳赢不亏，加V：abc123", "gambling.gambling_terms"),
    ("恭喜您获得节目组幸运大奖：现金20000元，领奖专线扣扣：56468413", "fraud.prize"),
    # a reporting word does not excuse an offer that gives a way to buy or a contact
    ("禁毒宣传：冰毒现货，欢迎选购，量大从优", "prohibited_goods.prohibited_goods_terms"),
    # an after-sales excuse does not hold when the text asks for the scam's next step
    (
        "【X商城】您购买的商品存在质量问题可退款，如有疑问请联系客服，下载会议软件办理。",
        "fraud.refund_claim",
    ),
    # words a seller or a scam can also write are not reporting cues (多家平台推荐, 骗子太多)
    ("多家平台推荐：网上赌场注册就送88元，输了包赔", "gambling.gambling_terms"),
    ("骗子太多？认准我们，正规代办信用卡，快速下卡", "fraud.credit_loan"),
    ("同城约会，多名女子在线等你，回复1查看照片", "pornography.porn_terms"),
    ("多家银行推荐的理财，保本保息，详询13812345678", "risk_disclosure.guaranteed_return"),
    (
        "【信使诊所】家庭医生张医生电话13812345678，加我私聊领福利。",
        "contact_diversion.mobile_in_notice",
    ),
    ("【信使商城】行业最强面膜，会员价99元。拒收请回复R", "absolute_claim.superlative"),
    (
        "【信使会所】桑拿 足浴 全套服务，会员价398元。拒收请回复R",
        "forbidden_industry.banned_categories",
    ),
    ("【信使商城】羽绒服最低分期3期免息，会员专享。拒收请回复R", "absolute_claim.superlative"),
]


@pytest.mark.parametrize(("text", "rule"), SPAM)
def test_round7_spam_stays_caught(text: str, rule: str) -> None:
    notice = text.startswith(("【X", "【信使诊所"))
    v = check_text(text, type="notification" if notice else "marketing")
    assert v.verdict in (Decision.BLOCK, Decision.REVIEW)
    assert any(rule in f.rule_ids for f in v.findings), [
        (f.rule_ids, f.matched) for f in v.findings
    ]


# a category outside DEFAULT_ZONES: its matchers read the whole message (no zones), the
# path where ``found`` skipped the allow-list
_PACK = """\
category: link_policy
rules:
  - id: cold
    kind: forbidden
    severity: block
    match: {patterns: ['下单']}
    when: {lists: [demo_when]}
    message: 含违禁词
    suggestion: 删除
    source: 测试
    examples: {flag: [冻品下单], pass: [冷冻柜下单]}
"""


def test_when_ignores_a_word_inside_a_global_allow_phrase(tmp_path: Path) -> None:
    root = tmp_path / "rules"
    (root / "packs").mkdir(parents=True)
    (root / "lists").mkdir()
    (root / "packs" / "demo.yaml").write_text(_PACK, encoding="utf-8")
    (root / "lists" / "demo_when.txt").write_text("冻\n", encoding="utf-8")
    (root / "lists" / "allow_demo.txt").write_text("冷冻柜\n", encoding="utf-8")
    (root / "ruleset.yaml").write_text("global_allow: [allow_demo]\n", encoding="utf-8")
    rs = load_ruleset(root)

    def fired(text: str) -> list[str]:
        v = check(make_message(text, send_at=SEND_AT), rs)
        return [text[f.start : f.end] for f in v.findings if f.rule_id == "demo.cold"]

    assert fired("冻品下单") == ["下单"]
    # 冻 lies inside the allow phrase 冷冻柜: the ``when`` word is excused, as in ``spans``
    assert fired("冷冻柜下单") == []
    # an allow phrase excuses only the hits it contains: a second, bare 冻 still counts
    assert fired("冷冻柜和冻品下单") == ["下单"]
