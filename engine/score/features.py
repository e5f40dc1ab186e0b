"""Message -> the engagement model's feature vector: ONE pure function, for training and scoring.

Every feature is an interpretable copy element or a piece of send context, so that a
coefficient reads as "this element moves the click rate by x" and a copywriter can act on it.
Detectors run on NFKC-folded, lower-cased text (full-width ！，０ become !,0), which is enough
for the elements below and costs ~1 µs; the compliance engine's full normalisation (~12 µs)
is for evasions, which copy-quality detectors do not need.

Template variables such as ``${name}`` or ``${n}`` count as the thing they stand for: a draft
with ``${name}，`` has a name salutation, one with ``满${a}减${b}`` a specific offer.
"""

from __future__ import annotations

import re
import unicodedata

from engine.message import BEIJING, Message, MessageType

_NUM = r"(?:\d{1,9}(?:\.\d{1,4})?|\$\{\w{1,20}\})"
_CN = "两二三四五六七八九十"  # 一 is left out: 一下, 一起, 一份心意 are not counts

_TITLE = r"(?:先生|女士|小姐)"
NAME_SALUTATION = re.compile(
    rf"(?:[\u4e00-\u9fff]{_TITLE}|\$\{{(?:name|surname|姓名|姓)\}}{_TITLE}?)\s*[,:：]"
)
GENERIC_SALUTATION = re.compile(r"尊敬的|亲爱的")
# Every branch below starts with a literal or a character class and checks the number
# *before* a unit with a fixed-width lookbehind ("元(?<=[\d}]元)"): the regex engine then scans
# for the first character instead of trying each branch at every position (~0.5 µs a search).
_AFTER_NUM = r"[\d}]"  # the last character of a number or of a template variable ${n}
# A concrete amount: money with a unit or currency, a threshold offer, a named cut, a rate.
SPECIFIC_OFFER = re.compile(
    rf"满{_NUM}减{_NUM}|(?:立减|直降|立省|每单减|每月减|减|省|返现?|降)\s*{_NUM}"
    rf"|元(?<={_AFTER_NUM}元)|块钱(?<={_AFTER_NUM}块钱)|[¥$]\s*{_NUM}|减免\s*{_NUM}%?"
    rf"|低至\s*{_NUM}%|半价|买一送一"
)
# A discount rate is concrete ("享8折") unless it is a blanket or a floor ("全场5折", "7折起"),
# which the design note counts as vague: DISCOUNT matches, _BLANKET_DISCOUNT takes it back.
DISCOUNT = re.compile(rf"折(?<={_AFTER_NUM}折)(?!起|扣)")
_BLANKET_DISCOUNT = re.compile(rf"全场[^,，。!；;]{{0,4}}?{_NUM}折")
VAGUE_OFFER = re.compile(
    rf"全场[^,，。!；;]{{0,4}}?{_NUM}折|折起(?<={_AFTER_NUM}折起)"
    r"|优惠|福利|折扣|特惠|特价|低价|好价|钜惠|让利|大促|促销|返现|好礼|礼品|礼物|豪礼|大礼|小礼|有礼"
    r"|开卡礼|见面礼"
)
# A count of things the reader gets: a number and a measure word ("3张券", "2杯", "两晚"),
# not an ordinal (第二件, 第2件).
_COUNTED = rf"[\d}}{_CN}]"
ITEM_COUNT = re.compile(
    r"(?:[张件份杯次晚节瓶盒袋包台套束只支罐双本桶箱把条]|个(?!月|工作日|小时))"
    rf"(?<={_COUNTED}.)(?<!第{_COUNTED}.)(?<!第\d\d.)|课时(?<={_COUNTED}课时)"
)
# A named gift: a giving verb, then what is given, up to the next punctuation. The object is
# named unless it is a vague gift word (礼品, 惊喜, 福利), an offer (券, 红包), or the verb is
# part of another word (领取, 送达, 发送).
GIFT = re.compile(
    r"(?:赠送|加赠|免费领|免费体验|免费试用|免费试吃|兑换|换购|送(?<![发推运传护输递欢配外接]送)|赠|领取|领)"
    r"(?:给?您|你)?([^\s,，。!！?？；;：:、~]{2,12})"
)
_NOT_NAMED = re.compile(
    r"^(?:取|达|到|出|货|走|回|给|至|往|品|上门|先|导|域|袖|有效|使用|后|时|方式|入口|资格)"
    r"|礼|惊喜|福利|优惠|实惠|券|红包|积分|奖"
)
# A real deadline names a time: a date, a weekday, today/tonight, an hour, or N days.
# Vague urgency (近期, 尽快, 即将截止, 限时 without a number, 数量有限) is not one.
_WHEN = (
    rf"(?:{_NUM}(?:月(?:{_NUM}[日号]|底)|[日号])|本?月底|年底|本?周[一二三四五六日天末]"
    rf"|下周[一二三四五六日天末]|今[天日晚]|明[天日晚]|当[天日])"
)
_TIME = rf"{_NUM}\s*[点时:]\s*(?:\d{{1,2}}分?)?"
_ENDS = r"(?:前|截止|截至|止|结束|到期|过期|失效|为止|有效)"
# what a reader must do by then, between the time and the end word ("7月1日报名截止")
_ACT = r"(?:报名|预约|预订|购买|下单|领取|使用|兑换|参与|活动|优惠)"
# the verbs after "N天内" / "24小时内" that make it a deadline, not a delivery time (3天内发货)
_WITHIN_ACT = r"(?:有效|使用|领取|兑换|下单|失效|到期|过期|预约|预订|报名|购买|参与)"
_LEADS = (
    r"有效期至|倒计时|今日有效|当日有效"
    rf"|(?:截止|仅限|限)\s*{_WHEN}|至(?<!截至)\s*{_WHEN}|截至\s*{_NUM}月{_NUM}[日号]"
    rf"|(?:限时|仅剩|还剩|剩余|最后)\s*{_NUM}\s*(?:天|日|小时)"
)
DEADLINE = re.compile(
    rf"{_LEADS}|(?:{_WHEN}\s*(?:{_TIME})?|{_NUM}\s*[点时]\s*){_ACT}?{_ENDS}"
    rf"|{_NUM}月{_NUM}[日号]\s*[-—~]\s*(?:{_NUM}月)?{_NUM}[日号]"
    rf"|{_NUM}\s*(?:天|日|小时)[内后]{_WITHIN_ACT}"
)
# has_deadline() is DEADLINE.search() in ~2 µs instead of ~10: the branches that start with a
# date or a number are tried only in the few characters before an end word (前, 截止, 有效…),
# a range dash or 内. tests/score/test_features.py asserts both agree.
_DEADLINE_LEAD = re.compile(_LEADS)
_DEADLINE_MARK = re.compile(rf"{_ENDS}|[-—~]|[内后]{_WITHIN_ACT}")
_BEFORE_END = re.compile(rf"(?:{_WHEN}\s*(?:{_TIME})?|{_NUM}\s*[点时]\s*){_ACT}?$")
_BEFORE_RANGE = re.compile(rf"{_NUM}月{_NUM}[日号]\s*$")
_AFTER_RANGE = re.compile(rf"\s{{0,5}}(?:{_NUM}月)?{_NUM}[日号]")
_BEFORE_WITHIN = re.compile(rf"{_NUM}\s*(?:天|日|小时)$")
_LOOK_BACK = 40  # characters: the longest date + hour before an end word, with a ${variable}


def has_deadline(t: str) -> bool:
    """Return whether folded text names a real deadline (what DEADLINE.search finds)."""
    if _DEADLINE_LEAD.search(t):
        return True
    for m in _DEADLINE_MARK.finditer(t):
        lo, at = max(0, m.start() - _LOOK_BACK), m.start()
        c = t[at]
        if c in "-—~":
            if _BEFORE_RANGE.search(t, lo, at) and _AFTER_RANGE.match(t, at + 1):
                return True
        elif c in "内后" and m.end() - at > 1:
            if _BEFORE_WITHIN.search(t, lo, at):
                return True
        elif _BEFORE_END.search(t, lo, at):
            return True
    return False


HYPE = re.compile(r"抢购|疯抢|错过再等|速来|手慢无|秒杀|最后机会|(?:赶快|赶紧|快)来?抢")
CLEAR_CTA = re.compile(
    r"点击.{0,40}?(?:领取|领券|查看|使用|预约|预订|订购|办理|下单|购买|购票|报名|兑换|开卡"
    r"|续费|还款|充值|激活|参与|参加)"
)
LINK = re.compile(r"(?:https?://)?(?:[a-z0-9-]+\.)+[a-z]{2,}(?:/[\w./?=&%#-]*)?")
SIGNATURE = re.compile(r"^\s*【[^】]{1,20}】|【[^】]{1,20}】\s*$")

# Names in the order features() returns them; the model artifact must list the same.
FEATURE_NAMES: tuple[str, ...] = (
    # copy elements
    "name_salutation",
    "generic_salutation",
    "specific_offer",
    "vague_offer",
    "item_count",
    "named_item",
    "deadline",
    "hype",
    "exclamations",
    "clear_cta",
    "link",
    "long",
    "no_signature",
    # send context (baseline: weekday morning/other hours, marketing, general retail)
    "send_lunch",
    "send_afternoon",
    "send_evening",
    "weekend",
    "type_notification",
    "industry_finance",
    "industry_travel",
    "industry_education",
)
COPY_FEATURES = FEATURE_NAMES[:13]
MAX_EXCLAMATIONS = 3  # beyond three marks the reader has stopped counting

_INDUSTRY = {
    "finance": 18,
    "loan": 18,
    "insurance": 18,
    "air": 19,
    "travel": 19,
    "hotel": 19,
    "education": 20,
}
_SINGLE_SEGMENT = 70  # characters, signature included (engine/segments.py)


def fold(text: str) -> str:
    """Fold text for the detectors: NFKC (full-width -> half-width) and lower case."""
    return unicodedata.normalize("NFKC", text).lower()


def _concrete_discount(t: str) -> bool:
    """A discount rate that is not a blanket or a floor: "享8折" yes, "全场5折", "7折起" no."""
    blanket = {m.end() for m in _BLANKET_DISCOUNT.finditer(t)}
    return any(m.end() not in blanket for m in DISCOUNT.finditer(t))


def _named_item(t: str) -> bool:
    return any(not _NOT_NAMED.search(m.group(1)) for m in GIFT.finditer(t))


def features(message: Message) -> tuple[float, ...]:
    """Return the feature vector of one message, in FEATURE_NAMES order."""
    t = fold(message.text)
    x = [0.0] * len(FEATURE_NAMES)
    if ("先生" in t or "女士" in t or "小姐" in t or "${" in t) and NAME_SALUTATION.search(t):
        x[0] = 1.0
    elif GENERIC_SALUTATION.search(t):
        x[1] = 1.0
    if SPECIFIC_OFFER.search(t) or ("折" in t and _concrete_discount(t)):
        x[2] = 1.0
    elif VAGUE_OFFER.search(t):
        x[3] = 1.0
    if ITEM_COUNT.search(t):
        x[4] = 1.0
    if _named_item(t):
        x[5] = 1.0
    if has_deadline(t):
        x[6] = 1.0
    if HYPE.search(t):
        x[7] = 1.0
    x[8] = float(min(t.count("!"), MAX_EXCLAMATIONS))
    if "点击" in t and CLEAR_CTA.search(t):
        x[9] = 1.0
    if "." in t and LINK.search(t):
        x[10] = 1.0
    if len(message.text) > _SINGLE_SEGMENT:
        x[11] = 1.0
    if not SIGNATURE.search(t):
        x[12] = 1.0
    when = message.send_at
    if when is not None:
        local = when.astimezone(BEIJING)
        hour = local.hour
        if 11 <= hour <= 13:
            x[13] = 1.0
        elif 14 <= hour <= 17:
            x[14] = 1.0
        elif 18 <= hour <= 21:
            x[15] = 1.0
        if local.weekday() >= 5:
            x[16] = 1.0
    if message.type is MessageType.NOTIFICATION:
        x[17] = 1.0
    if message.industry is not None:
        slot = _INDUSTRY.get(message.industry)
        if slot is not None:
            x[slot] = 1.0
    return tuple(x)
