"""Contact details in the forms real spam uses to divert customers (issue 13): what the user
sees for each (verdict, rule id, severity, span on the original text, evasion), and the
everyday notices next to them that must stay unflagged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import Decision, Severity, check, make_message
from engine.normalize import normalize, unconfuse
from engine.rule_types.contact_scan import find_contacts
from engine.ruleset import RuleSet, load_ruleset

SEND_AT = "2026-12-02T10:00:00+08:00"
PRIVATE = "contact_diversion.private_account"
EMAIL = "contact_diversion.disguised_email"
HANDLE = "contact_diversion.im_handle"
IM_LINK = "contact_diversion.im_link"

# (message type, text, rule, span, evasion): every one is blocked
FLAGGED = [
    # QQ: the penguin, look-alike letters, 秋秋, Q群, a Q right before a disguised number
    ("marketing", "稳赚内部计划，🐧718003", PRIVATE, "🐧718003", "variant"),
    ("marketing", "考研真题，加🐧⑨⑥②⑦④⑥⑧③⑥⑦领取", PRIVATE, "加🐧⑨⑥②⑦④⑥⑧③⑥⑦", "circled_digits"),
    (
        "marketing",
        "时时彩计划群，🐧七九二〇七〇七〇八四",
        PRIVATE,
        "🐧七九二〇七〇七〇八四",
        "chinese_numerals",
    ),
    (
        "notification",
        "您出售的账号已被下单，请联系客服ǫǫ2186485826处理。",
        PRIVATE,
        "ǫǫ2186485826",
        "variant",
    ),
    ("marketing", "稳赚不赔，详询秋秋伍7６７贰８玖9", PRIVATE, "秋秋伍7６７贰８玖9", "mixed"),
    ("marketing", "考研冲刺班，jinqunQ群35772750领真题", PRIVATE, "Q群35772750", None),
    (
        "marketing",
        "降血糖效果显著，Q一六九八二三零二五四",
        PRIVATE,
        "Q一六九八二三零二五四",
        "chinese_numerals",
    ),
    ("marketing", "定位器隐蔽安装，Ｑ845315", PRIVATE, "Ｑ845315", None),
    (
        "marketing",
        "仿真枪，Ｑ捌捌捌贰肆肆壹壹捌",
        PRIVATE,
        "Ｑ捌捌捌贰肆肆壹壹捌",
        "financial_numerals",
    ),
    # WeChat: other characters for 微, symbols and spaces inside, English, Greek, 💚泡泡
    ("marketing", "不孕不育包生男孩，魏信tay69096", PRIVATE, "魏信tay69096", "variant"),
    ("marketing", "内部优惠券找我领，溦信bwk11317", PRIVATE, "溦信bwk11317", "variant"),
    ("marketing", "一夜情，嶶信ｒｐｄ４１２６１", PRIVATE, "嶶信ｒｐｄ４１２６１", "fullwidth"),
    ("marketing", "发票可验，絲薇xiaoyu_4261", PRIVATE, "絲薇xiaoyu_4261", "variant"),
    ("marketing", "刷单兼职，宝妈学生均可，徽tt_9722", PRIVATE, "徽tt_9722", "variant"),
    ("marketing", "会员专属客服，sl微❤信anjru34128领券", PRIVATE, "微❤信anjru34128", "noise"),
    ("marketing", "平台招代理，微 信ugxj56429", PRIVATE, "微 信ugxj56429", "noise"),
    ("marketing", "彩票计划群，薇❤daagsm40634", PRIVATE, "薇❤daagsm40634", "noise"),
    ("marketing", "走私烟一手货源，V·X kefu_7015", PRIVATE, "V·X kefu_7015", "noise"),
    ("marketing", "赛事押注，💚泡泡 qkbu55484", PRIVATE, "💚泡泡 qkbu55484", "noise"),
    ("marketing", "特殊服务，νχhmtnft38804", PRIVATE, "νχhmtnft38804", "variant"),
    (
        "marketing",
        "跟我投注包赚，ｖ我：ｌａｏｓｈｉ_３０５",
        PRIVATE,
        "ｖ我：ｌａｏｓｈｉ_３０５",
        "fullwidth",
    ),
    (
        "notification",
        "请尽快添加理赔专员WeChat ID jiejie_9226办理退款。",
        PRIVATE,
        "WeChat ID jiejie_9226",
        None,
    ),
    # e-mail with '@' or '.' written otherwise, in any message type
    (
        "marketing",
        "批发价格请发邮件至krdwem1506[@]outlook.com。",
        EMAIL,
        "krdwem1506[@]outlook.com",
        "substitution",
    ),
    (
        "notification",
        "请添加客服邮箱：811743353(at)foxmail.com",
        EMAIL,
        "811743353(at)foxmail.com",
        "substitution",
    ),
    (
        "marketing",
        "领奖请联系cdzf6560 at qq dot com。",
        EMAIL,
        "cdzf6560 at qq dot com",
        "substitution",
    ),
    (
        "marketing",
        "批发请发邮件至hmbz6152艾特foxmail点com。",
        EMAIL,
        "hmbz6152艾特foxmail点com",
        "substitution",
    ),
    ("marketing", "黑户可下款，grs4743艾特163點com", EMAIL, "grs4743艾特163點com", "substitution"),
    (
        "marketing",
        "简历发至ｋｙｆｊｓ７８７６ ａｔ ｐｒｏｔｏｎ ｄｏｔ ｍｅ。",
        EMAIL,
        "ｋｙｆｊｓ７８７６ ａｔ ｐｒｏｔｏｎ ｄｏｔ ｍｅ",
        "substitution",
    ),
    (
        "notification",
        "账户涉嫌洗钱，E-mail：20099248＠126.com",
        EMAIL,
        "20099248＠126.com",
        "fullwidth",
    ),
    # Telegram, BatChat and Potato handles as a search
    ("marketing", "招聘兼职，日结，tg搜索 wintac4", HANDLE, "tg搜索 wintac4", None),
    ("marketing", "急用钱？不查征信，小飞机搜 winthtjh", HANDLE, "小飞机搜 winthtjh", None),
    ("marketing", "娱乐城送彩金，蝙蝠 boss8spg5x7e", HANDLE, "蝙蝠 boss8spg5x7e", None),
    ("marketing", "象牙制品，土豆Potato：club3dtfb28f", HANDLE, "土豆Potato：club3dtfb28f", None),
    # chat apps' invite links
    ("marketing", "代购下单请进群，t.me/lucky5c9mbkfg", IM_LINK, "t.me/lucky5c9mbkfg", None),
    (
        "marketing",
        "加群领券：https://qm.qq.com/q/AbCd12。",
        IM_LINK,
        "https://qm.qq.com/q/AbCd12",
        None,
    ),
    (
        "notification",
        "售后进度请点击wa.me/8613812345678咨询。",
        IM_LINK,
        "wa.me/8613812345678",
        None,
    ),
]


@pytest.mark.parametrize(("mtype", "text", "rule", "span", "evasion"), FLAGGED)
def test_diverting_contact_forms_are_blocked(
    ruleset: RuleSet, mtype: str, text: str, rule: str, span: str, evasion: str | None
) -> None:
    v = check(make_message(text, type=mtype, send_at=SEND_AT), ruleset)
    mine = [f for f in v.findings if rule in f.rule_ids]
    assert len(mine) == 1, v.findings
    f = mine[0]
    assert text[f.start : f.end] == span
    assert f.matched == span
    assert f.severity is Severity.BLOCK
    assert v.verdict is Decision.BLOCK
    if rule in (PRIVATE, EMAIL):
        # the scanner names the disguise (a finding merged with another rule's shows theirs)
        found = {text[c.start : c.end]: c.evasion for c in find_contacts(text, normalize(text))}
        assert found[span] == evasion
        if not f.related:
            assert f.evasion == evasion


SIG, OPT_OUT = "【信使商城】尊敬的会员，冬装5折，", "。拒收请回复R"

# Other spellings of the labels (written in a marketing message, the span flagged)
LABELS = [
    ("加🐧 12345678领券", "加🐧 12345678"),
    ("➕V：abc12345", "➕V：abc12345"),
    ("V❤abc12345", "V❤abc12345"),
    ("威芯abc12345", "威芯abc12345"),
    ("wei信abc12345", "wei信abc12345"),
    ("wei信：12345678", "wei信：12345678"),
    ("企鹅号：12345678", "企鹅号：12345678"),
    ("Q群：12345678", "Q群：12345678"),
    ("扣 扣 12345678", "扣 扣 12345678"),
    ("Q.Q 12345678", "Q.Q 12345678"),
    ("Q～Q：12345678", "Q～Q：12345678"),
    ("Ⓥ信 abc12345", "Ⓥ信 abc12345"),
]


@pytest.mark.parametrize(("written", "span"), LABELS)
def test_label_spellings_are_private_accounts(ruleset: RuleSet, written: str, span: str) -> None:
    text = SIG + written + OPT_OUT
    v = check(make_message(text, type="marketing", send_at=SEND_AT), ruleset)
    [f] = [f for f in v.findings if PRIVATE in f.rule_ids]
    assert (text[f.start : f.end], f.severity, v.verdict) == (span, Severity.BLOCK, Decision.BLOCK)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("【信使商城】尊敬的会员，冬装5折，订购请打1515*5705*871。拒收请回复R", "1515*5705*871"),
        (
            "【信使商城】尊敬的会员，房东直租，Tel:14*0*7*12*2*1·7·92*。拒收请回复R",
            "14*0*7*12*2*1·7·92",
        ),
    ],
)
def test_a_mobile_split_by_single_stars_is_a_mobile(ruleset: RuleSet, text: str, span: str) -> None:
    v = check(make_message(text, type="marketing", send_at=SEND_AT), ruleset)
    [f] = [f for f in v.findings if "contact_diversion.mobile_number" in f.rule_ids]
    assert (f.matched, f.evasion, f.severity) == (span, "separators", Severity.BLOCK)


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("【信使医保】您的医保卡已停用，请点击t.cn/FQDxodG补录信息", "t.cn/FQDxodG"),
        ("【信使商城】您的银行卡已过期，请尽快点击suo.im/7pLEhuG更新认证", "suo.im/7pLEhuG"),
        ("【信使商城】充值59元返2000元，点击sourl.cn/Bg9byp", "sourl.cn/Bg9byp"),
        ("【信使商城】注册送258元彩金，3.cn/uy5dw7", "3.cn/uy5dw7"),
        ("【信使商城】医保卡已停用，请点击u.nu/wgKcZ5e补录", "u.nu/wgKcZ5e"),
    ],
)
def test_a_shortener_right_after_chinese_text_is_found(
    ruleset: RuleSet, text: str, span: str
) -> None:
    v = check(make_message(text, type="notification", send_at=SEND_AT), ruleset)
    [f] = [f for f in v.findings if "link_policy.shortener" in f.rule_ids]
    assert text[f.start : f.end] == span
    assert v.verdict is not Decision.ALLOW


# Everyday messages that look a little like the forms above: (type, text)
CLEAN = [
    ("notification", "【信使科技】您的QQ号123456789已成功绑定手机，如非本人操作请修改密码。"),
    ("notification", "【信使科技】您的QQ 123456789于12月1日在新设备登录，如非本人操作请修改密码。"),
    ("notification", "【信使宽带】您的宽带账号为q12345678，初始密码已发送至您的手机。"),
    ("marketing", "【信使商城】尊敬的会员，新款型号Q12345到店，详见App。拒收请回复R"),
    ("marketing", "【信使商城】尊敬的会员，Q1季度新品会员价8折，详见App。拒收请回复R"),
    ("notification", "【信使物流】您的包裹已到达安徽abc123仓，请注意查收。"),
    ("marketing", "【信使商城】尊敬的会员，稍微abc123一下就能领券，详见App。拒收请回复R"),
    ("notification", "【信使商城】您尾号5678的手机138****5678已绑定成功。"),
    ("notification", "【信使商城】您的快递柜取件码 1234*5678，请于今日取件。"),
    ("marketing", "【信使家居】尊敬的会员，规格1200*600*18mm现货，详见App。拒收请回复R"),
    ("marketing", "【信使生鲜】尊敬的会员，今日特价：土豆 500g 2.99元，详见App。拒收请回复R"),
    ("notification", "【信使影院】您购买的《蝙蝠侠》电影票已出票，取票码abc123。"),
    ("notification", "【信使商城】您的电子发票已发送至邮箱zhang***@163.com，请查收。"),
    ("notification", "【信使商城】您的订单将于明天下午3点送达，请保持电话畅通。"),
    ("marketing", "【信使商城】Dear member, meet us at booth.com center on Dec 5. 拒收请回复R"),
    ("notification", "【信使商城】您的订单已发货，可在微信公众号内查看订单。"),
    ("notification", "【信使银行】您尾号5678的账户于11月3日支出500元，如有疑问请致电95588。"),
    (
        "marketing",
        "【信使商城】尊敬的会员，新品请见 https://m.xinshi-mall.cn/t.me 活动页。拒收请回复R",
    ),
    ("notification", "【信使商城】您的订单已发货，物流详情见 https://w.xyzabc1.com/a 。"),
    ("verification", "【信使商城】您的验证码为9 5 1 2 3 4，5分钟内有效，请勿泄露。"),
    ("verification", "【信使商城】验证码386512，用于QQ登录，5分钟内有效，请勿泄露。"),
    ("notification", "【信使银行】您的信用卡账单已出，如有疑问请致电客服95588。"),
    ("notification", "【信使商城】您的售后已受理，客服热线400-123-4567，微信公众号：信使商城。"),
    (
        "notification",
        "【信使商城】您的订单已由快递员王师傅派送，电话138 1234 5678，请保持电话畅通。",
    ),
]


@pytest.mark.parametrize(("mtype", "text"), CLEAN)
def test_everyday_messages_are_not_diversion(ruleset: RuleSet, mtype: str, text: str) -> None:
    v = check(make_message(text, type=mtype, send_at=SEND_AT), ruleset)
    assert [f for f in v.findings if f.category == "contact_diversion"] == []


def test_a_security_word_does_not_excuse_an_invitation(ruleset: RuleSet) -> None:
    text = "【信使商城】账号已绑定，领取福利请加QQ：123456789。拒收请回复R"
    v = check(make_message(text, type="marketing", send_at=SEND_AT), ruleset)
    [f] = [f for f in v.findings if PRIVATE in f.rule_ids]
    assert (f.matched, v.verdict) == ("加QQ：123456789", Decision.BLOCK)


def test_look_alike_letters_read_as_the_letter_they_imitate() -> None:
    assert unconfuse("νχ ǫǫ wеchat") == "vx qq wechat"  # Greek, Latin ǫ, Cyrillic е
    assert normalize("ǫǫ群").skeleton.text == "qq群"


def test_a_plain_email_is_found_once() -> None:
    text = "发邮件至tuangou8@qq.com"
    [c] = find_contacts(text, normalize(text))
    assert (c.kind, text[c.start : c.end], c.evasion) == ("email", "tuangou8@qq.com", None)


def test_label_words_are_read_from_the_rule_lists(ruleset: RuleSet, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", rules)
    with (rules / "lists" / "contact_labels_wechat.txt").open("a", encoding="utf-8") as f:
        f.write("绿叶\n")  # a new nickname for WeChat
    text = "【信使商城】尊敬的会员，领券请找绿叶：abc12345。拒收请回复R"
    msg = make_message(text, type="marketing", send_at=SEND_AT)
    assert [f for f in check(msg, ruleset).findings if PRIVATE in f.rule_ids] == []
    [f] = [f for f in check(msg, load_ruleset(rules)).findings if PRIVATE in f.rule_ids]
    assert (f.matched, f.severity) == ("绿叶：abc12345", Severity.BLOCK)


MOBILE = "contact_diversion.mobile_number"


@pytest.mark.parametrize(
    ("text", "span", "evasion"),
    [
        ("跑分兼职日结，联系电话¹³⁸¹²³⁴⁵⁶⁷⁸", "¹³⁸¹²³⁴⁵⁶⁷⁸", "superscript_digits"),
        ("代开发票，联系₁₃₈₁₂₃₄₅₆₇₈", "₁₃₈₁₂₃₄₅₆₇₈", "subscript_digits"),
        ("高额返利，来电𝟏𝟑𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖", "𝟏𝟑𝟖𝟏𝟐𝟑𝟒𝟓𝟔𝟕𝟖", "math_digits"),
        ("高额返利，来电𝟙𝟛𝟠-𝟙𝟚𝟛𝟜-𝟝𝟞𝟟𝟠", "𝟙𝟛𝟠-𝟙𝟚𝟛𝟜-𝟝𝟞𝟟𝟠", "math_digits"),
        ("无抵押贷款，致电١٣٨١٢٣٤٥٦٧٨", "١٣٨١٢٣٤٥٦٧٨", "unicode_digits"),
        ("无抵押贷款，致电➀➂➇➀➁➂➃➄➅➆➇", "➀➂➇➀➁➂➃➄➅➆➇", "circled_digits"),
    ],
)
def test_any_character_unicode_reads_as_a_digit_spells_a_mobile(
    ruleset: RuleSet, text: str, span: str, evasion: str
) -> None:
    """Not a list of look-alike digits: every character with a Unicode digit value."""
    v = check(make_message(text, type="marketing", send_at=SEND_AT), ruleset)
    (f,) = [f for f in v.findings if MOBILE in f.rule_ids]
    assert (text[f.start : f.end], f.severity, f.evasion) == (span, Severity.BLOCK, evasion)
    assert v.verdict is Decision.BLOCK


def test_superscripts_in_units_are_no_number(ruleset: RuleSet) -> None:
    text = "【信使地产】臻园120m²三居，首付¹⁹⁹万起，地址：滨江路88号，拒收请回复R"
    v = check(make_message(text, type="marketing", send_at=SEND_AT), ruleset)
    assert [f.rule_id for f in v.findings if f.category == "contact_diversion"] == []
