"""Contact details in the forms real spam uses to divert customers (issue 13): what the user
sees for each (verdict, rule id, severity, span on the original text, evasion), and the
everyday notices next to them that must stay unflagged."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from engine import Decision, Severity, check, make_message
from engine.normalize import normalize, unconfuse
from engine.rule_types.contact_accounts import APP_CHAT, APP_CONTENT, APP_WORDS
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


# Issue 13, round 6: the classes behind round 5's held-out contact misses, each in wordings
# written for this file. (message type, text, rule, span, evasion, severity)
OTHER_APP, PLATFORM_ID = "contact_diversion.other_app", "contact_diversion.platform_id"
DISGUISED, MOBILE_NOTICE = (
    "contact_diversion.disguised_number",
    "contact_diversion.mobile_in_notice",
)
B, W = Severity.BLOCK, Severity.WARN
TOLD = [
    # an account on another chat app: named, with 号/ID/群/频道/私信/搜 or right before the ID
    ("marketing", "同城约会，Kik luna_0815", OTHER_APP, "Kik luna_0815", "other_platform", B),
    ("marketing", "内部福利，飞书搜 fl_kefu2026", OTHER_APP, "飞书搜 fl_kefu2026", "other_platform", B),
    ("marketing", "代开发票，阿里旺旺 fp_kai22", OTHER_APP, "阿里旺旺 fp_kai22", "other_platform", B),
    ("marketing", "彩票计划，Threema ID：cp778899", OTHER_APP, "Threema ID：cp778899", "other_platform", B),
    ("marketing", "赌球内部群，Zalo 0912345678", OTHER_APP, "Zalo 0912345678", "other_platform", B),
    # a group, room, channel or private message on any platform is a private channel
    ("marketing", "福利资源，豆瓣小组私信 nana7712", OTHER_APP, "豆瓣小组私信 nana7712", "other_platform", B),
    ("marketing", "上分找我，斗鱼房间号 8826123", OTHER_APP, "斗鱼房间号 8826123", "other_platform", B),
    ("marketing", "私人影院，夸克网盘群 66123459", OTHER_APP, "夸克网盘群 66123459", "other_platform", B),
    ("marketing", "游戏皮肤，Steam好友代码 300112233", OTHER_APP, "Steam好友代码 300112233", "other_platform", B),
    ("marketing", "矿机托管，YY频道 55667788", OTHER_APP, "YY频道 55667788", "other_platform", B),
    # an app described rather than named; an ID after an invitation verb; a Matrix ID; a bare
    # group number
    ("marketing", "刷单日结，绿色聊天软件搜 rj_kefu77", OTHER_APP, "绿色聊天软件搜 rj_kefu77", "described_app", B),
    ("marketing", "外围模特，某社交app号 ww_2288", OTHER_APP, "某社交app号 ww_2288", "described_app", B),
    ("marketing", "刷单返利，私信 fanli2027 领任务", OTHER_APP, "私信 fanli2027", "bare_id", B),
    ("marketing", "网赌回血，加 huixue_vip99 上岸", OTHER_APP, "加 huixue_vip99", "bare_id", B),
    ("marketing", "六合彩资料，群号：77889911", OTHER_APP, "群号：77889911", "bare_id", B),
    ("marketing", "数字藏品，Element @cang_88:matrix.org", OTHER_APP, "Element @cang_88:matrix.org", "other_platform", B),
    # a platform named by a hint or by its initials
    ("marketing", "资源分享，xhs搜 zy_2026", OTHER_APP, "xhs搜 zy_2026", "other_platform", B),
    ("marketing", "【信使商城】尊敬的会员，某音号 mm_2026。拒收请回复R", PLATFORM_ID, "某音号 mm_2026", "other_platform", W),
    # a content platform's account ID: held for review
    ("marketing", "【信使商城】尊敬的会员，得物号 dw_haowu88。拒收请回复R", PLATFORM_ID, "得物号 dw_haowu88", "other_platform", W),
    ("marketing", "【信使商城】尊敬的会员，拼多多搜店铺“好货365”。拒收请回复R", PLATFORM_ID, "拼多多搜店铺“好货365", "other_platform", W),
    # QQ and WeChat by other names
    ("marketing", "彩票计划群，Ⓠ 3344556677", PRIVATE, "Ⓠ 3344556677", "variant", B),
    ("marketing", "代考包过，企业Q 88776655", PRIVATE, "Q 88776655", "variant", B),
    ("marketing", "资源全套，扣扣邮箱 2233445566", PRIVATE, "扣扣邮箱 2233445566", "variant", B),
    ("marketing", "足浴上门，微_信 mimi8866", PRIVATE, "微_信 mimi8866", "noise", B),
    ("marketing", "赛事押注，维❤ tz_2288", PRIVATE, "维❤ tz_2288", "noise", B),
    # a phone number told in words or in pieces
    # mobile_number takes its label (电话) into its span: merged, the finding covers both
    ("marketing", "烟草批发，电话幺五八拐勾洞两三四五六", DISGUISED, "电话幺五八拐勾洞两三四五六", "spoken_digits", B),
    ("marketing", "同城上门，yi wu jiu ling yi er san si wu liu qi", DISGUISED, "yi wu jiu ling yi er san si wu liu qi", "spelled_digits", B),
    ("marketing", "上门服务，call one five nine zero one two three four five six seven", DISGUISED, "one five nine zero one two three four five six seven", "spelled_digits", B),
    ("marketing", "高仿手表，ⅠⅢⅧⅠⅡⅢⅣⅤⅥⅦⅧ", DISGUISED, "ⅠⅢⅧⅠⅡⅢⅣⅤⅥⅦⅧ", "roman_numerals", B),
    ("marketing", "同城约，手机139OO1l2233", DISGUISED, "139OO1l2233", "homoglyph", B),
    ("marketing", "同城约，电话腰伞吧灵灵腰儿伞寺舞溜", DISGUISED, "腰伞吧灵灵腰儿伞寺舞溜", "homophone_digits", B),
    ("marketing", "办证加急，联系幺三八杠一二三四杠五六七八", DISGUISED, "幺三八杠一二三四杠五六七八", "joined_parts", B),
    ("marketing", "刷单返利，扣扣 yi er san si wu liu qi", PRIVATE, "扣扣 yi er san si wu liu qi", "spelled_digits", B),
    ("marketing", "兼职日结，简历发moc.qq@7202iqiq（倒过来）", EMAIL, "moc.qq@7202iqiq", "reversed", B),
    ("marketing", "上门服务，电话\n1\n3\n7\n0\n0\n1\n2\n3\n4\n5\n6", "contact_diversion.mobile_number", "1\n3\n7\n0\n0\n1\n2\n3\n4\n5\n6", "separators", B),
    ("marketing", "枪支配件，号码138，再接1234，再接5678", DISGUISED, "138，再接1234，再接5678", "joined_parts", B),
    ("marketing", "催收服务，联系158然后是0012然后是3456", DISGUISED, "158然后是0012然后是3456", "joined_parts", B),
    ("marketing", "招聘客服，报名电话159，2601，7788（连起来）", DISGUISED, "159，2601，7788", "joined_parts", B),
    ("marketing", "上门服务，电话13800(停顿)138000", DISGUISED, "13800(停顿)138000", "inserted_word", B),
    ("marketing", "收购银行卡，电话 52387654831（从右往左读）", DISGUISED, "52387654831", "reversed", B),
    ("marketing", "代孕，号码后四位7788，前七位1390012", DISGUISED, "后四位7788，前七位1390012", "split_parts", B),
    ("marketing", "贷款秒批，手机前面是186，中间是0011，最后是2233", DISGUISED, "前面是186，中间是0011，最后是2233", "split_parts", B),
    ("marketing", "内幕资料，助理手机13712，后六位345678", DISGUISED, "13712，后六位345678", "split_parts", B),
    # an e-mail address: any symbol for @ before a free-mail host, a Chinese 。 for the dot,
    # told in parts, the host's mailbox, behind a full-width label
    ("marketing", "手工辣酱，订购请发hong_2231🌀163.com（🌀换@）", EMAIL, "hong_2231🌀163.com", "substitution", B),
    ("marketing", "老货保真，联系mumu5520＠qq。com", EMAIL, "mumu5520＠qq。com", "substitution", B),
    ("marketing", "黑客接单，邮件 hack2027 (a) gmail . com", EMAIL, "hack2027 (a) gmail . com", "substitution", B),
    ("marketing", "老货保真，联系mumu5520＠shop。top", EMAIL, "mumu5520＠shop。top", "substitution", B),
    ("marketing", "兼职日结，邮箱前缀 qiqi_7781，后缀126", EMAIL, "前缀 qiqi_7781，后缀126", "described", B),
    ("marketing", "出售信息，邮箱用户名 xx_2026，域名 outlook.com", EMAIL, "用户名 xx_2026，域名 outlook.com", "described", B),
    ("marketing", "代开发票，sina邮箱：fapiao_99", EMAIL, "sina邮箱：fapiao_99", "described", B),
    ("notification", "您的包裹异常，请联系ｍａｉｌ：kefu_88@yeah.net处理。", EMAIL, "kefu_88@yeah.net", "fullwidth", B),
    # an "official" service desk on a mobile number in a notice
    ("notification", "【信使航空】航班取消，退款请联系官方客服13812345678办理。", MOBILE_NOTICE, "13812345678", None, B),
]  # fmt: skip


@pytest.mark.parametrize(("mtype", "text", "rule", "span", "evasion", "severity"), TOLD)
def test_contacts_told_in_other_ways_are_found(
    ruleset: RuleSet,
    mtype: str,
    text: str,
    rule: str,
    span: str,
    evasion: str | None,
    severity: Severity,
) -> None:
    v = check(make_message(text, type=mtype, send_at=SEND_AT), ruleset)
    [f] = [f for f in v.findings if rule in f.rule_ids]
    assert (text[f.start : f.end], f.severity) == (span, severity)
    assert v.verdict is (Decision.BLOCK if severity is B else Decision.REVIEW)
    # the scanner names the evasion (a finding merged into another rule's shows that one's)
    found = {text[c.start : c.end]: c.evasion for c in find_contacts(text, normalize(text))}
    inner = max((s for s in found if s in span), key=len)  # the contact inside a merged span
    assert found[inner] == evasion
    if not f.related and f.rule_ids[0] == rule:
        assert f.evasion == evasion


# Numbers and codes that must not read as accounts or told numbers
NOT_ACCOUNTS = [
    ("notification", "【信使快递】您在京东购买的商品已发货，运单号JD0012345678901。"),
    ("notification", "【信使快递】您的快递SF1234567890123已签收，京东 SF1234567890 查询。"),
    ("notification", "【信使航空】您预订的MU5137航班已值机，改签请在App内办理。"),
    ("notification", "【信使租车】您预订的车辆京A12345已备好，取车点：首都机场T3。"),
    ("marketing", "【信使数码】尊敬的会员，京东搜X200Pro享12期免息。拒收请回复R"),
    ("marketing", "【信使数码】尊敬的会员，京东搜RTX4090新品首发，详见App。拒收请回复R"),
    ("marketing", "【信使商城】尊敬的会员，加购满2件享8折，搜索 sku100234 直达商品页。拒收请回复R"),
    ("marketing", "【信使商城】尊敬的会员，抖音 1000000粉丝庆典，详见App。拒收请回复R"),
    ("marketing", "【信使商城】尊敬的会员，视频号直播间 20261212 开播，详见App。拒收请回复R"),
    ("marketing", "【信使商城】尊敬的会员，在淘宝搜索“信使商城旗舰店”领券。拒收请回复R"),
    ("marketing", "【信使家电】尊敬的会员，三档会员价159，2999，3999元，详询门店。拒收请回复R"),
    ("notification", "【信使银行】您尾号6633的账户于12月1日消费159.00元。"),
    ("notification", "【信使银行】请于12月5日前还款，还款账号后四位5678，金额1380元。"),
    ("notification", "【信使如家】您已入住，您的房间号 8012，WiFi密码 rujia8888。"),
    (
        "notification",
        "【信使科技】您的飞书账号 zhang_san01 已在新设备登录，如非本人操作请修改密码。",
    ),
    ("notification", "【信使邮箱】您的163邮箱已开通，登录名为您的手机号。"),
    ("notification", "【信使政务】请将材料发送至 zhengwu@xinshi.gov.cn，咨询电话 0571-12345678。"),
    (
        "notification",
        "【信使优选】您的商品已到阳光小区团点，提货码123456，今日20:00前自提。团长电话13812345678。",
    ),
    ("notification", "【信使旅游】集合时间7:30，导游张女士13812345678，车牌浙A8B123。"),
    ("marketing", "【信使茶饮】尊敬的会员，第二杯半价，再加1元得小料，详见小程序。拒收请回复R"),
    ("notification", "【信使维修】维修人员 维师傅 已出发，预计30分钟到达。"),
    ("marketing", "【信使酒吧】尊敬的会员，今晚12点30分酒吧见，儿童节快乐。拒收请回复R"),
    ("notification", "【信使物流】您的快递1OO件已入库，柜号IO12，请凭码取件。"),
]


@pytest.mark.parametrize(("mtype", "text"), NOT_ACCOUNTS)
def test_codes_and_service_numbers_are_not_diversion(
    ruleset: RuleSet, mtype: str, text: str
) -> None:
    v = check(make_message(text, type=mtype, send_at=SEND_AT), ruleset)
    assert [f for f in v.findings if f.category == "contact_diversion"] == []


def test_app_names_are_read_from_the_rule_lists(ruleset: RuleSet, tmp_path: Path) -> None:
    rules = tmp_path / "rules"
    shutil.copytree(Path(__file__).resolve().parent.parent / "rules", rules)
    with (rules / "lists" / "contact_apps_chat.txt").open("a", encoding="utf-8") as f:
        f.write("喵聊\n")  # an app no list knew
    text = "【信使商城】尊敬的会员，领券请找喵聊 mm_2026。拒收请回复R"
    msg = make_message(text, type="marketing", send_at=SEND_AT)
    assert [f for f in check(msg, ruleset).findings if OTHER_APP in f.rule_ids] == []
    [f] = [f for f in check(msg, load_ruleset(rules)).findings if OTHER_APP in f.rule_ids]
    assert (f.matched, f.evasion, f.severity) == ("喵聊 mm_2026", "other_platform", B)


def test_a_mobile_glued_to_a_sound_alike_character_stays_a_plain_mobile() -> None:
    # 爸 reads 8 only in a number of sound-alikes (腰伞吧…), not before a plain mobile
    text = "我是你爸13812345678"
    [c] = find_contacts(text, normalize(text))
    assert (c.kind, text[c.start : c.end], c.evasion) == ("phone", "13812345678", None)


def test_the_built_in_app_names_are_the_shipped_lists() -> None:
    # callers without a ruleset (tools, these tests) read the same names as the rules
    lists = Path(__file__).resolve().parent.parent / "rules" / "lists"
    for name, words in (
        ("contact_apps_chat", APP_CHAT),
        ("contact_apps_content", APP_CONTENT),
        ("contact_apps_words", APP_WORDS),
    ):
        lines = (lists / f"{name}.txt").read_text(encoding="utf-8").splitlines()
        assert [w.strip() for w in lines if w.strip() and not w.startswith("#")] == list(words)
